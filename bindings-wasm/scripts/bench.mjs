// Rough throughput of the package in Node: one-shot encrypt and decrypt of
// 16 MiB with a raw AES keyring, on the host AES-GCM path (node:crypto) and
// on the pure-WebAssembly path. Usage: node scripts/bench.mjs
import { RawAesKeyring, decrypt, encrypt } from "mrkenv";
import { _setCryptoPath } from "mrkenv/testing";

const keyring = new RawAesKeyring({ keyNamespace: "bench", keyName: "k", wrappingKey: new Uint8Array(32) });
const size = 16 * 1024 * 1024;
const plaintext = new Uint8Array(size);
const mib = size / (1024 * 1024);
for (const path of ["host", "wasm"]) {
  _setCryptoPath(path);
  let t = performance.now();
  const message = await encrypt(keyring, plaintext);
  const enc = (performance.now() - t) / 1000;
  t = performance.now();
  await decrypt(keyring, message);
  const dec = (performance.now() - t) / 1000;
  console.log(`${path}: encrypt ${(mib / enc).toFixed(1)} MiB/s, decrypt ${(mib / dec).toFixed(1)} MiB/s (${mib} MiB, one shot)`);
}
_setCryptoPath("auto");
