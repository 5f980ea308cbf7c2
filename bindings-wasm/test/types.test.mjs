// The TypeScript declarations compile under --strict against usage files,
// with the current TypeScript (7, the native compiler) and with 5.9. Byte
// results are `Uint8Array<ArrayBuffer>` (a generic since TypeScript 5.7), so
// `new Blob([message])` type-checks (usage.ts).

import test from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const COMPILERS = ["typescript", "typescript-5"].map((name) => path.resolve(HERE, "..", "node_modules", name, "bin", "tsc"));
const FLAGS = ["--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--lib", "es2022,dom"];

function typeCheck(tsc, file, extra = []) {
  const result = spawnSync(process.execPath, [tsc, ...FLAGS, ...extra, path.join(HERE, "types", file)], {
    encoding: "utf8",
    timeout: 120000,
  });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
}

for (const tsc of COMPILERS) {
  const version = spawnSync(process.execPath, [tsc, "--version"], { encoding: "utf8" }).stdout.trim();

  test(`${version}: index.d.ts and testing.d.ts type-check a strict usage file`, () => {
    typeCheck(tsc, "usage.ts");
  });

  test(`${version}: record items type-check against @aws-sdk/client-dynamodb's AttributeValue, both ways`, () => {
    typeCheck(tsc, "sdk-records.ts", ["--skipLibCheck"]);
  });
}
