// The published package (dist/npm, `make dist`) holds no test hook: no
// `mrkenv/testing` entry, no deterministic-encrypt or panic export in its
// wasm, and a fixed message id is refused. The test package the other tests
// import (build-testing/pkg, `make test-pkg`) has all of them, so this test
// would fail if dist were built like it.

import test from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { spawnSync } from "node:child_process";
import { ROOT } from "./helpers.mjs";

const DIST = path.join(ROOT, "dist", "npm");
const TEST_PKG = path.join(ROOT, "bindings-wasm", "build-testing", "pkg");
const HOOKS = ["keyring_encryptionMaterialsWith", "keyring_recordMaterialsWith", "panicForTesting"];

const wasmExports = (dir) =>
  WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(path.join(dir, "mrkenv_wasm_bg.wasm")))).map((e) => e.name);

test("dist/npm has no mrkenv/testing entry and no test hook in its wasm", () => {
  const pkg = JSON.parse(readFileSync(path.join(DIST, "package.json"), "utf8"));
  assert.equal(pkg.exports["./testing"], undefined);
  const files = readdirSync(DIST);
  assert.deepEqual(files.filter((f) => f.startsWith("testing")), [], `test entry files in dist: ${files}`);
  const names = wasmExports(DIST);
  assert.ok(names.includes("keyring_strict"), `not the mrkenv wasm: ${names}`);
  for (const hook of HOOKS) assert.ok(!names.includes(hook), `dist wasm exports ${hook}`);
  const glue = readFileSync(path.join(DIST, "mrkenv_wasm.js"), "utf8");
  for (const name of ["encryptionMaterialsWith", "recordMaterialsWith", "panicForTesting"]) {
    assert.ok(!glue.includes(name), `dist glue mentions ${name}`);
  }
});

test("the test package has the hooks (the check above is not vacuous)", () => {
  const names = wasmExports(TEST_PKG);
  for (const hook of HOOKS) assert.ok(names.includes(hook), `test wasm lacks ${hook}`);
  assert.ok(existsSync(path.join(TEST_PKG, "testing.js")));
  const pkg = JSON.parse(readFileSync(path.join(TEST_PKG, "package.json"), "utf8"));
  assert.equal(pkg.exports["./testing"].node, "./testing-node.js");
});

test("dist's wasm refuses a fixed message id (the one injection left in its signatures)", async () => {
  const glue = await import(pathToFileURL(path.join(DIST, "mrkenv_wasm.js")).href);
  glue.initSync({ module: readFileSync(path.join(DIST, "mrkenv_wasm_bg.wasm")) });
  const keyring = glue.Keyring.rawAes("ns", "k", new Uint8Array(32).fill(3));
  const session = keyring.encryptSession([]);
  assert.equal(session.next().done, true);
  const materials = session.materials();
  assert.throws(
    () => glue.encryptMessage(materials, new Uint8Array(4), 4096, new Uint8Array(32)),
    (e) => e.code === "InvalidArgument" && /fixed message id is a test hook/.test(e.message),
  );
  // Without one it encrypts.
  assert.ok(glue.encryptMessage(materials, new Uint8Array(4), 4096).length > 0);
});

test("mrkenv/inline (the wasm inlined as base64) works in Node too", async () => {
  const inline = await import("mrkenv/inline");
  const keyring = new inline.RawAesKeyring({ keyNamespace: "ns", keyName: "k", wrappingKey: new Uint8Array(32).fill(4) });
  const message = await inline.encrypt(keyring, new Uint8Array([1, 2, 3]));
  assert.deepEqual((await inline.decrypt(keyring, message)).plaintext, new Uint8Array([1, 2, 3]));
  // The inlined module is the package's wasm, byte for byte.
  const { WASM_BASE64 } = await import(pathToFileURL(path.join(DIST, "mrkenv_wasm_inline.js")).href);
  assert.ok(Buffer.from(WASM_BASE64, "base64").equals(readFileSync(path.join(DIST, "mrkenv_wasm_bg.wasm"))));
});

test("the published package ships its README and the README's examples (npm pack's file list)", () => {
  const result = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: DIST, encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const files = JSON.parse(result.stdout)[0].files.map((f) => f.path);
  for (const expected of ["README.md", "examples/quickstart.mjs", "examples/kms-mrk.mjs", "examples/records.mjs", "examples/browser/index.html", "mrkenv_wasm_bg.wasm"]) {
    assert.ok(files.includes(expected), `${expected} missing from the package: ${files.join(", ")}`);
  }
  assert.deepEqual(files.filter((f) => f.startsWith("testing")), [], "no test entry is packed");
});
