// Headless Chromium (Debian chromium, driven by playwright-core) against the
// package served from 127.0.0.1: plain ESM through an import map pointing at
// the "browser" export condition (the test package, with mrkenv/testing),
// the README/examples page, and apps bundled from the published package
// (dist/npm) by Vite, webpack and esbuild, as a user's app would be: no file
// copied by hand. Any page error, console error or failed request fails the
// test, except where a failure is the point.

import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { build } from "vite";
import * as esbuild from "esbuild";
import webpack from "webpack";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PKG_DIR = path.resolve(HERE, "../..");
const ROOT = path.resolve(PKG_DIR, "..");
const DIST = path.join(ROOT, "dist", "npm");
const TEST_PKG = path.join(PKG_DIR, "build-testing", "pkg");
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
const bundled = (name) => path.join(scratch, "bundled", name);
const viteOut = () => bundled("vite");

function route(urlPath) {
  const mounts = [
    ["/node_modules/mrkenv/", TEST_PKG],
    ["/test/", HERE],
    ["/examples/", path.join(PKG_DIR, "examples")],
    ["/vectors/", VECTORS],
    ["/bundled/", path.join(scratch, "bundled")],
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

/** A page loading a bundle, with the bundler's name for the round trip. */
function bundlePage(name, script, module) {
  writeFileSync(
    path.join(bundled(name), "index.html"),
    `<!doctype html><html><head><meta charset="utf-8" /><title>mrkenv through ${name}</title></head>` +
      `<body data-bundler="${name}"><pre id="out">working...</pre>` +
      `<script ${module ? 'type="module" ' : ""}src="./${script}"></script></body></html>`,
  );
}

function runWebpack(name, entry) {
  return new Promise((resolve, reject) => {
    webpack(
      {
        mode: "production",
        context: path.join(scratch, "app"),
        entry: `./${entry}`,
        output: { path: bundled(name), filename: "main.js", publicPath: "auto" },
        target: "web",
        infrastructureLogging: { level: "warn" },
      },
      (err, stats) => {
        if (err) return reject(err);
        if (stats.hasErrors()) return reject(new Error(stats.toString({ all: false, errors: true })));
        bundlePage(name, "main.js", false);
        resolve();
      },
    );
  });
}

async function runEsbuild(name, entry) {
  await esbuild.build({
    entryPoints: [path.join(scratch, "app", entry)],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    outdir: bundled(name),
    logLevel: "warning",
  });
  bundlePage(name, path.basename(entry), true);
}

before(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), "mrkenv-browser-"));
  // The app, with the published package installed as a user's would be.
  cpSync(path.join(HERE, "app"), path.join(scratch, "app"), { recursive: true });
  mkdirSync(path.join(scratch, "app", "node_modules"));
  symlinkSync(DIST, path.join(scratch, "app", "node_modules", "mrkenv"), "dir");
  await build({
    root: path.join(scratch, "app"),
    base: "/bundled/vite/",
    logLevel: "warn",
    configFile: false,
    build: { outDir: viteOut(), emptyOutDir: true },
  });
  await runWebpack("webpack", "main.js");
  await runWebpack("webpack-inline", "main-inline.js");
  await runEsbuild("esbuild-inline", "main-inline.js");
  await runEsbuild("esbuild", "main.js"); // the "browser" entry: no wasm emitted
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
async function runPage(url, { result = true, text, expectProblems = false } = {}) {
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
    if (expectProblems) {
      // The page is expected to fail: wait for its error, not for a result.
      for (let waited = 0; waited < 30000 && !problems.some((p) => p.startsWith("page error")); waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return problems;
    }
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
  const pkg = JSON.parse(readFileSync(path.join(TEST_PKG, "package.json"), "utf8"));
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
  const result = await runPage("/bundled/vite/index.html");
  assert.deepEqual(result.failed, [], JSON.stringify(result.failed, null, 2));
  assert.deepEqual(result.passed, ["vite"]);
});

test("Chromium: a webpack production build of an app importing mrkenv (the wasm emitted as an asset)", async () => {
  const files = readdirSync(bundled("webpack"));
  assert.ok(files.some((f) => f.endsWith(".wasm")), `no wasm asset in the webpack build: ${files}`);
  const result = await runPage("/bundled/webpack/index.html");
  assert.deepEqual(result.failed, [], JSON.stringify(result.failed, null, 2));
  assert.deepEqual(result.passed, ["webpack"]);
});

test("Chromium: esbuild and webpack builds of an app importing mrkenv/inline (the wasm inside the bundle)", async () => {
  assert.deepEqual(readdirSync(bundled("esbuild-inline")).filter((f) => f.endsWith(".wasm")), []);
  for (const name of ["esbuild-inline", "webpack-inline"]) {
    const result = await runPage(`/bundled/${name}/index.html`);
    assert.deepEqual(result.failed, [], JSON.stringify(result.failed, null, 2));
    assert.deepEqual(result.passed, [name]);
  }
});

test("Chromium: esbuild with the plain mrkenv entry fails loudly, naming mrkenv/inline (esbuild emits no wasm)", async () => {
  const problems = await runPage("/bundled/esbuild/index.html", { expectProblems: true });
  assert.ok(problems.some((p) => p.startsWith("HTTP 404") && p.endsWith("/bundled/esbuild/mrkenv_wasm_bg.wasm")), problems.join("\n"));
  assert.ok(
    problems.some((p) => /page error: Error: mrkenv: could not load its WebAssembly module from .*import from "mrkenv\/inline" instead/.test(p)),
    problems.join("\n"),
  );
});
