// The TypeScript declarations compile under --strict against a usage file.

import test from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

test("index.d.ts and testing.d.ts type-check a strict usage file", () => {
  const result = spawnSync(
    process.execPath,
    [tsc, "--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext",
      "--lib", "es2022,dom", path.join(HERE, "types", "usage.ts")],
    { encoding: "utf8", timeout: 120000 },
  );
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
});

test("record items type-check against @aws-sdk/client-dynamodb's AttributeValue, both ways", () => {
  const result = spawnSync(
    process.execPath,
    [tsc, "--noEmit", "--strict", "--skipLibCheck", "--target", "es2022", "--module", "nodenext",
      "--moduleResolution", "nodenext", "--lib", "es2022,dom", path.join(HERE, "types", "sdk-records.ts")],
    { encoding: "utf8", timeout: 120000 },
  );
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
});
