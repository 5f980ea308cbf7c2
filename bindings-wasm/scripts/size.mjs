// Prints the npm package size: the wasm and the JavaScript, raw and gzip
// (level 9), and the total. Exits 1 when the total gzip size exceeds the
// budget (150 KB). Usage: node scripts/size.mjs <package folder>
//
// Measured (Node 20, opt-level 3 + wasm-opt -Oz): about 121 KB gzip before
// records, 181 KB with them through ciborium value trees, 149.7 KB once the
// core read and wrote its CBOR directly (no ciborium in the build) with one
// copy of the sort, 158.2 KB with re-keying (rekey, rekeyHeader: +8 KB),
// about 160 KB with record re-keying, 177 KB with the host AES-GCM path
// (js/host_aes*.js, +4.6 KB of JS) and what main had gained meanwhile.
// With the bulk AES-GCM on the host, the wasm is built for size (Makefile):
// opt-level "s" 154.0 KB (wasm path ~10-15 MiB/s), "z" 146.1 KB (~4 MiB/s),
// "z" with the crypto crates at 3: 144.6 KB (~7-8 MiB/s), the choice; the
// core itself at 3 too: 179 KB. (wasm path one-shot MiB/s of 16 MiB in Node
// on 2 shared cores, where opt-level 3 everywhere gave ~20.) Records on
// HKDF-SHA256 (suite 2) and the record fast paths of the speed work: 148.8 KB.

import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 150 * 1024;
const dir = process.argv[2];
const groups = { wasm: { raw: 0, gzip: 0 }, js: { raw: 0, gzip: 0 } };
// mrkenv_wasm_inline.js (the `mrkenv/inline` entry's base64 wasm) replaces
// the .wasm file where it is used, never adds to it: printed on its own.
const INLINE = "mrkenv_wasm_inline.js";
for (const file of readdirSync(dir)) {
  if (file === INLINE) continue;
  const kind = file.endsWith(".wasm") ? "wasm" : file.endsWith(".js") ? "js" : null;
  if (!kind) continue;
  const bytes = readFileSync(path.join(dir, file));
  groups[kind].raw += bytes.length;
  groups[kind].gzip += gzipSync(bytes, { level: 9 }).length;
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const total = { raw: groups.wasm.raw + groups.js.raw, gzip: groups.wasm.gzip + groups.js.gzip };
for (const [name, g] of Object.entries({ ...groups, total })) {
  console.log(`${name.padEnd(6)} raw ${kb(g.raw).padStart(9)}   gzip ${kb(g.gzip).padStart(9)}`);
}
try {
  const inline = readFileSync(path.join(dir, INLINE));
  console.log(`inline raw ${kb(inline.length).padStart(9)}   gzip ${kb(gzipSync(inline, { level: 9 }).length).padStart(9)}   (${INLINE}, instead of the .wasm)`);
} catch {
  // no inline entry in this folder
}
if (total.gzip > BUDGET) {
  console.error(`package is ${kb(total.gzip)} gzip, over the ${kb(BUDGET)} budget`);
  process.exit(1);
}
