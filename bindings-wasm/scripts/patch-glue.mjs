// Patches the wasm-bindgen glue (make dist, after `wasm-bindgen
// --experimental-reset-state-function`): `free()` of an object made by a
// wasm instance that was since replaced (after a trap, see js/runtime.js)
// must do nothing. The generated `free()` has no stale-object check, so it
// would free the old pointer inside the new instance and corrupt its heap.
// Fails when the generated code no longer has the expected shape.

import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2];
if (!file) throw new Error("usage: node scripts/patch-glue.mjs <mrkenv_wasm.js>");
const source = readFileSync(file, "utf8");
if (!source.includes("export function __wbg_reset_state")) {
  throw new Error(`${file}: no __wbg_reset_state (run wasm-bindgen with --experimental-reset-state-function)`);
}
const FREE = /    free\(\) \{\n        const ptr = this\.__destroy_into_raw\(\);\n/g;
const count = (source.match(FREE) ?? []).length;
const classes = (source.match(/^export class /gm) ?? []).length;
if (count === 0 || count !== classes) {
  throw new Error(`${file}: expected one free() per class (${classes}), found ${count}: the glue's shape changed`);
}
const patched = source.replace(
  FREE,
  "    free() {\n" +
    "        if (this.__wbg_inst !== undefined && this.__wbg_inst !== __wbg_instance_id) { this.__wbg_ptr = 0; return; }\n" +
    "        const ptr = this.__destroy_into_raw();\n",
);
writeFileSync(file, patched);
