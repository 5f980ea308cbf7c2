// Where the host AES-GCM starts to pay: one-shot encrypt + decrypt time of
// the npm package on the host path and on the pure-WebAssembly path, per
// message size, in Node. Prints a table and the smallest size from which
// the host path is faster at every size measured. Usage:
//   node scripts/threshold.mjs   (after make dist)
import { RawAesKeyring, decrypt, encrypt } from "mrkenv";
import { _setCryptoPath } from "mrkenv/testing";

const keyring = new RawAesKeyring({ keyNamespace: "bench", keyName: "k", wrappingKey: new Uint8Array(32) });
const sizes = [256, 1024, 4096, 8192, 16384, 32768, 65536, 262144];

async function timeOf(path, plaintext) {
  _setCryptoPath(path);
  const budget = 300; // ms per measurement
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < budget) {
    const message = await encrypt(keyring, plaintext);
    await decrypt(keyring, message);
    n++;
  }
  return (performance.now() - start) / n;
}

let threshold = null;
console.log("size      host µs   wasm µs   host/wasm");
for (const size of sizes) {
  const plaintext = new Uint8Array(size).fill(7);
  const runs = { host: [], wasm: [] };
  for (let rep = 0; rep < 3; rep++) {
    for (const path of ["host", "wasm"]) runs[path].push(await timeOf(path, plaintext));
  }
  const median = (xs) => xs.sort((a, b) => a - b)[1];
  const host = median(runs.host) * 1000;
  const wasm = median(runs.wasm) * 1000;
  if (host < wasm) threshold ??= size;
  else threshold = null;
  console.log(`${String(size).padEnd(9)} ${host.toFixed(1).padStart(8)}  ${wasm.toFixed(1).padStart(8)}   ${(host / wasm).toFixed(2)}`);
}
_setCryptoPath("auto");
console.log(`host path faster from ${threshold ?? "none of the sizes"} bytes`);
