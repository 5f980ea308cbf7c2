// The examples run, and the README quick starts are exactly the examples.

import test from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./helpers.mjs";

const PKG = path.join(ROOT, "bindings-wasm");
const readme = readFileSync(path.join(PKG, "README.md"), "utf8");

test("README quick starts are the example files, verbatim", () => {
  for (const file of ["examples/quickstart.mjs", "examples/browser/index.html", "examples/records.mjs"]) {
    const source = readFileSync(path.join(PKG, file), "utf8");
    assert.ok(readme.includes(source), `${file} is not in README.md as written`);
  }
});

test("examples/quickstart.mjs runs and prints the plaintext", () => {
  const result = spawnSync(process.execPath, [path.join(PKG, "examples", "quickstart.mjs")], {
    encoding: "utf8",
    timeout: 30000,
  });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, "{ tenant: 'acme' }\nhello, mrkenv\n");
});

test("the package folder: package.json exports, types and files", () => {
  const dist = path.join(ROOT, "dist", "npm");
  const pkg = JSON.parse(readFileSync(path.join(dist, "package.json"), "utf8"));
  assert.equal(pkg.name, "mrkenv");
  assert.equal(pkg.type, "module");
  assert.equal(pkg.dependencies, undefined, "the package has no dependencies");
  assert.equal(pkg.types, "./index.d.ts");
  // The test hooks (`mrkenv/testing`) are not published: see dist.test.mjs.
  assert.deepEqual(Object.keys(pkg.exports).sort(), [".", "./inline", "./package.json"]);
  for (const entry of [".", "./inline"]) {
    assert.equal(Object.keys(pkg.exports[entry])[0], "types", `${entry}: "types" must be the first condition`);
  }
  // The entry files load the wasm as a side effect: a bundler must keep them
  // (sideEffects: false would let it skip them); everything else may be shaken.
  assert.deepEqual([...pkg.sideEffects].sort(), ["./browser.js", "./inline.js", "./node.js"]);
  for (const file of pkg.sideEffects) readFileSync(path.join(dist, file));
  assert.ok(pkg.files.includes("mrkenv_wasm_bg.wasm"));
  for (const condition of ["types", "browser", "node", "default"]) {
    readFileSync(path.join(dist, pkg.exports["."][condition])); // exists
  }
  for (const condition of ["types", "default"]) {
    readFileSync(path.join(dist, pkg.exports["./inline"][condition])); // exists
  }
  readFileSync(path.join(dist, "mrkenv_wasm_inline.js"));
  readFileSync(path.join(dist, "mrkenv_wasm_bg.wasm"));
  const types = readFileSync(path.join(dist, "index.d.ts"), "utf8");
  for (const name of ["encrypt", "decrypt", "encryptStream", "decryptStream", "inspect", "parseArn", "isMrk", "mrkMatch", "encryptRecord", "decryptRecord"]) {
    assert.match(types, new RegExp(`export function ${name}\\(`), name);
  }
  for (const name of ["KmsMrkKeyring", "KmsMrkDiscoveryKeyring", "RawAesKeyring", "MrkenvError"]) {
    assert.match(types, new RegExp(`export class ${name}`), name);
  }
});
