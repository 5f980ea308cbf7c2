// WebAssembly memory and RSS after a 100 MB one-shot encrypt + decrypt, on
// the host AES-GCM path (node:crypto) and on the pure-WebAssembly path, each
// in a fresh process (wasm memory never shrinks, so the path run first
// would hide the other). Usage: node scripts/memory.mjs  (after make dist)
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const SIZE = 100 * 1000 * 1000;
const MB = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

if (process.argv[2] === "--child") {
  const { RawAesKeyring, decrypt, encrypt } = await import("mrkenv");
  const { _setCryptoPath, _wasmMemoryBytes } = await import("mrkenv/testing");
  const keyring = new RawAesKeyring({ keyNamespace: "m", keyName: "k", wrappingKey: new Uint8Array(32) });
  _setCryptoPath(process.argv[3]);
  const before = _wasmMemoryBytes();
  const plaintext = new Uint8Array(SIZE).fill(1);
  const message = await encrypt(keyring, plaintext);
  const back = (await decrypt(keyring, message)).plaintext;
  if (back.length !== SIZE) throw new Error("round trip");
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ before, after: _wasmMemoryBytes(), peak }));
} else {
  for (const path of ["wasm", "host"]) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", path], { encoding: "utf8" });
    if (child.status !== 0) throw new Error(child.stderr);
    const r = JSON.parse(child.stdout);
    console.log(
      `${path.padEnd(4)} path: wasm memory ${MB(r.before)} before, ${MB(r.after)} after a 100 MB one-shot ` +
        `encrypt + decrypt; peak RSS ${MB(r.peak)}`,
    );
  }
}
