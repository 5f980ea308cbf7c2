// Turns a copy of dist/npm into the test package (make test-pkg): adds the
// `mrkenv/testing` export of the test hooks to its package.json. The
// published package (dist/npm) never has it.

import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const dir = process.argv[2];
if (!dir) throw new Error("usage: node scripts/test-package.mjs <package folder>");
const file = path.join(dir, "package.json");
const pkg = JSON.parse(readFileSync(file, "utf8"));
pkg.exports["./testing"] = {
  types: "./testing.d.ts",
  browser: "./testing-browser.js",
  node: "./testing-node.js",
  default: "./testing-browser.js",
};
pkg.sideEffects.push("./testing-node.js", "./testing-browser.js");
writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
