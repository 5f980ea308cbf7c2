// Headless Chromium (Debian chromium, driven by playwright-core) against the
// package served from 127.0.0.1: plain ESM through an import map pointing at
// the "browser" export condition, the README/examples page, and a Vite build.
// Any page error, console error or failed request fails the test.

import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { build } from "vite";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PKG_DIR = path.resolve(HERE, "../..");
const ROOT = path.resolve(PKG_DIR, "..");
const DIST = path.join(ROOT, "dist", "npm");
const VECTORS = path.join(ROOT, "tests", "vectors");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css",
};

let server;
let origin;
let context;
let scratch;
const viteOut = () => path.join(scratch, "vite-dist");

function route(urlPath) {
  const mounts = [
    ["/node_modules/mrkenv/", DIST],
    ["/test/", HERE],
    ["/examples/", path.join(PKG_DIR, "examples")],
    ["/vectors/", VECTORS],
    ["/vite/", viteOut()],
  ];
  for (const [prefix, dir] of mounts) {
    if (urlPath.startsWith(prefix)) {
      const file = path.resolve(dir, "." + path.posix.normalize("/" + urlPath.slice(prefix.length)));
      if (!file.startsWith(dir + path.sep) && file !== dir) return null;
      return file;
    }
  }
  return null;
}

before(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), "mrkenv-browser-"));
  await build({
    root: path.join(HERE, "vite-app"),
    base: "/vite/",
    logLevel: "warn",
    configFile: false,
    build: { outDir: viteOut(), emptyOutDir: true },
  });
  server = createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (urlPath === "/favicon.ico") {
      res.writeHead(204);
      res.end();
      return;
    }
    if (urlPath === "/vectors/list.json") {
      res.writeHead(200, { "content-type": TYPES[".json"] });
      res.end(JSON.stringify(readdirSync(VECTORS).filter((f) => f.endsWith(".json")).sort()));
      return;
    }
    let file = route(urlPath);
    try {
      if (file && statSync(file).isDirectory()) file = path.join(file, "index.html");
      const body = readFileSync(file);
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end(`not found: ${urlPath}`);
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  context = await chromium.launchPersistentContext(path.join(scratch, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await context?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Opens a page, waits for window.__mrkenvResult (or a selector's text), fails on any page error. */
async function runPage(url, { result = true, text } = {}) {
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.stack ?? e}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  try {
    await page.goto(`${origin}${url}`);
    let value;
    if (result) {
      await page.waitForFunction(() => window.__mrkenvResult !== undefined || false, null, { timeout: 60000 }).catch((e) => {
        problems.push(`no result: ${e.message}`);
      });
      value = await page.evaluate(() => window.__mrkenvResult);
    } else {
      await page.waitForFunction((t) => document.getElementById("out")?.textContent === t, text, { timeout: 30000 }).catch((e) => {
        problems.push(`text never became ${JSON.stringify(text)}: ${e.message}`);
      });
    }
    assert.deepEqual(problems, [], problems.join("\n"));
    return value;
  } finally {
    await page.close();
  }
}

test("the import map targets are the package's browser export condition", () => {
  const pkg = JSON.parse(readFileSync(path.join(DIST, "package.json"), "utf8"));
  const html = readFileSync(path.join(HERE, "index.html"), "utf8");
  const map = JSON.parse(html.match(/<script type="importmap">([\s\S]*?)<\/script>/)[1]).imports;
  assert.equal(map.mrkenv, "/node_modules/mrkenv/" + pkg.exports["."].browser.replace(/^\.\//, ""));
  assert.equal(map["mrkenv/testing"], "/node_modules/mrkenv/" + pkg.exports["./testing"].browser.replace(/^\.\//, ""));
});

test("Chromium, plain ESM: raw AES, fake KMS, re-key, vectors (WebCrypto and wasm paths), streams, records, identifiers", async () => {
  const result = await runPage("/test/index.html");
  assert.deepEqual(result.failed, [], JSON.stringify(result.failed, null, 2));
  assert.equal(result.passed.length, 8, JSON.stringify(result.passed));
});

test("Chromium: the browser example page works as written", async () => {
  await runPage("/examples/browser/index.html", { result: false, text: "hello from the browser" });
});

test("Chromium: a Vite production build of an app importing mrkenv", async () => {
  const assets = readdirSync(path.join(viteOut(), "assets"));
  assert.ok(assets.some((f) => f.endsWith(".wasm")), `no wasm asset in the Vite build: ${assets}`);
  const result = await runPage("/vite/index.html");
  assert.deepEqual(result.failed, [], JSON.stringify(result.failed, null, 2));
  assert.deepEqual(result.passed, ["vite round trip"]);
});
