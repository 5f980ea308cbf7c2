// The interop matrix: each of Rust, Python, Node, Chromium and C encrypts a
// message and a record, with a raw AES keyring and with a KMS keyring (moto:
// an MRK in us-east-1 replicated to us-west-2; encrypt in east, decrypt in
// west), and every peer decrypts each of them. Prints the table of results;
// any FAIL cell fails the test. Run by `make -C bindings-wasm test-interop`.
//
// The peers, all answering the JSON requests of py_peer.py:
//   Rust      core/examples/interop_peer.rs (MRKENV_RUST_PEER); the core has no
//             KMS client, so its KMS calls come back over stdout and are made
//             here with @aws-sdk/client-kms against moto
//   Python    py_peer.py with the wheel in the venv (boto3 against moto)
//   Node      js_peer.mjs in this process (@aws-sdk/client-kms against moto)
//   Chromium  js_peer.mjs in browser_peer.html (headless, playwright-core); its
//             KMS calls are relayed to moto by this process
//   C         bindings-c/build/kms_demo (MRKENV_KMS_DEMO): libcurl client to moto
// KMS decryption in us-west-2 must work both with a strict keyring (the
// replica ARN) and a discovery keyring, except in C, whose kms_demo only
// builds strict keyrings.

import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import * as mrkenv from "mrkenv";
import { chromium } from "playwright-core";
import { kmsClient, startMoto, PYTHON } from "../../bindings-wasm/test/helpers.mjs";
import { makePeer } from "./js_peer.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const RUST_PEER = process.env.MRKENV_RUST_PEER ?? path.join(ROOT, "target", "debug", "examples", "interop_peer");
const KMS_DEMO = process.env.MRKENV_KMS_DEMO ?? path.join(ROOT, "bindings-c", "build", "kms_demo");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

const RAW = { type: "raw-aes", key_namespace: "interop", key_name: "key-1", wrapping_key: "11".repeat(32) };
const toHex = (b) => Buffer.from(b).toString("hex");
const PLAINTEXT = toHex(Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
const CONTEXT = { tenant: "acme", "ünïcode": "välue" };
const b64 = (bytes) => Buffer.from(bytes).toString("base64");
// A record with every DynamoDB type and a sort key, in DynamoDB JSON.
const ITEM = {
  pk: { S: "tenant#1" },
  sk: { N: "42" },
  name: { S: "Andy" },
  blob: { B: b64([0, 1, 2, 255]) },
  ok: { BOOL: true },
  nothing: { NULL: true },
  list: { L: [{ S: "a" }, { N: "-1.5" }, { M: { inner: { BS: [b64([9]), b64([7, 7])] } } }] },
  tags: { SS: ["x", "y"] },
  scores: { NS: ["1", "2.25"] },
  tenant: { S: "acme" },
  note: { S: "not signed" },
};
const ACTIONS = { pk: "SIGN_ONLY", sk: "SIGN_ONLY", tenant: "SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT", note: "DO_NOTHING" };
const TABLE = { table_name: "interop-table", partition_key: "pk", sort_key: "sk" };
const RECORD_CONTEXT = { app: "interop" };

/** An item with set elements sorted (peers may write sets in canonical order). */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, ["SS", "NS", "BS"].includes(k) ? [...v].sort() : canonical(v)]),
  );
}

let moto;
const clients = new Map();
const clientFor = async (region) => {
  if (!clients.has(region)) clients.set(region, await kmsClient(moto.endpoint, region));
  return clients.get(region);
};
const regionOf = (keyId) => keyId.split(":")[3];

/** One KMS call made here for a peer without a KMS client; blobs in hex both ways. */
async function relayKms(op, params) {
  const sent = { ...params };
  for (const f of ["Plaintext", "CiphertextBlob"]) if (sent[f]) sent[f] = Buffer.from(sent[f], "hex");
  try {
    const got = await (await clientFor(regionOf(params.KeyId)))[op](sent);
    return {
      KeyId: got.KeyId,
      ...(got.Plaintext ? { Plaintext: toHex(got.Plaintext) } : {}),
      ...(got.CiphertextBlob ? { CiphertextBlob: toHex(got.CiphertextBlob) } : {}),
    };
  } catch (e) {
    return { error: `${e.name}: ${e.message}`, name: e.name };
  }
}

function python(request) {
  const r = spawnSync(PYTHON, [path.join(HERE, "py_peer.py")], {
    input: JSON.stringify(request), encoding: "utf8", timeout: 60000, maxBuffer: 64 << 20,
  });
  if (r.status !== 0) return { error: "exit", message: `py_peer.py: ${r.error?.message ?? r.stderr}` };
  return JSON.parse(r.stdout);
}

/** The Rust peer: one request line in; KMS call lines out, answered here; the answer line out. */
function rust(request) {
  return new Promise((resolve) => {
    const child = spawn(RUST_PEER, [], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    let answer;
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (e) => resolve({ error: "spawn", message: `${RUST_PEER}: ${e.message}` }));
    readline.createInterface({ input: child.stdout }).on("line", async (line) => {
      const message = JSON.parse(line);
      if (message.answer) {
        answer = message.answer;
        return;
      }
      const op = { GenerateDataKey: "generateDataKey", Encrypt: "encrypt", Decrypt: "decrypt" }[message.kms];
      const got = await relayKms(op, {
        KeyId: message.key_id,
        EncryptionContext: message.context,
        ...(op === "generateDataKey" ? { NumberOfBytes: 32 } : {}),
        ...(message.plaintext ? { Plaintext: message.plaintext } : {}),
        ...(message.ciphertext_blob ? { CiphertextBlob: message.ciphertext_blob } : {}),
      });
      child.stdin.write(
        JSON.stringify(got.error ? { error: got.error } : { key_id: got.KeyId, plaintext: got.Plaintext, ciphertext_blob: got.CiphertextBlob }) + "\n",
      );
    });
    child.on("close", (code) => resolve(answer ?? { error: `exit ${code}`, message: stderr }));
    child.stdin.write(JSON.stringify(request) + "\n");
  });
}

/** The C peer: kms_demo with a raw AES or a strict KMS keyring. */
function c(request) {
  const k = request.keyring;
  const args = [request.op.replace("_", "-")];
  if (k.type === "raw-aes") {
    args.push("--raw-aes-key", k.wrapping_key, "--key-namespace", k.key_namespace, "--key-name", k.key_name);
  } else {
    // kms_demo builds strict keyrings only: a discovery request runs strict.
    const keyIds = k.key_ids ?? [k.strict_fallback];
    args.push("--region", k.region, "--endpoint", k.endpoint, ...keyIds.flatMap((id) => ["--key-id", id]));
  }
  const record = request.op.endsWith("record");
  if (record) {
    args.push("--table", request.table_name, "--partition-key", request.partition_key);
    if (request.sort_key) args.push("--sort-key", request.sort_key);
    for (const [name, action] of Object.entries(request.actions ?? {})) args.push("--action", `${name}=${action}`);
  }
  // Message decryption in kms_demo takes no required context.
  if (request.op !== "decrypt") for (const [key, value] of Object.entries(request.context ?? {})) args.push("--context", `${key}=${value}`);
  const input = record ? JSON.stringify(request.item) : Buffer.from(request.plaintext ?? request.ciphertext, "hex");
  const r = spawnSync(KMS_DEMO, args, { input, timeout: 60000, maxBuffer: 64 << 20, env: { ...process.env, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing" } });
  if (r.status !== 0) return { error: `exit ${r.status}`, message: `kms_demo: ${r.error?.message ?? r.stderr}` };
  if (record) return { item: JSON.parse(r.stdout.toString("utf8")) };
  return request.op === "encrypt" ? { ciphertext: toHex(r.stdout) } : { plaintext: toHex(r.stdout) };
}

// Chromium: a page with the package, its KMS calls relayed by relayKms.
let server;
let browser;
let page;
const scratch = mkdtempSync(path.join(tmpdir(), "mrkenv-matrix-"));

async function startChromium() {
  const mounts = [["/node_modules/mrkenv/", path.join(ROOT, "dist", "npm")], ["/interop/", HERE]];
  server = createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url, "http://x").pathname);
    for (const [prefix, dir] of mounts) {
      if (!urlPath.startsWith(prefix)) continue;
      const file = path.resolve(dir, "." + path.posix.normalize("/" + urlPath.slice(prefix.length)));
      try {
        if (!file.startsWith(dir + path.sep)) break;
        const body = readFileSync(file);
        const type = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm" }[path.extname(file)];
        res.writeHead(200, { "content-type": type ?? "application/octet-stream" });
        return res.end(body);
      } catch {
        break;
      }
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  browser = await chromium.launchPersistentContext(path.join(scratch, "profile"), {
    executablePath: CHROMIUM, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
  });
  page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  await page.exposeFunction("__kms", async (op, params) => JSON.stringify(await relayKms(op, JSON.parse(params))));
  await page.goto(`http://127.0.0.1:${server.address().port}/interop/browser_peer.html`);
  await page.waitForFunction(() => window.peerReady === true, null, { timeout: 60000 }).catch((e) => problems.push(e.message));
  assert.deepEqual(problems, [], problems.join("\n"));
}

const nodePeer = makePeer(mrkenv, (region) => {
  // KmsMrkKeyring wants the client synchronously: a small adapter that awaits the real one.
  const call = (op) => async (params) => (await clientFor(region))[op](params);
  return { generateDataKey: call("generateDataKey"), encrypt: call("encrypt"), decrypt: call("decrypt") };
});

/** A peer that throws (bad output, a crashed page) gives an error answer: its cells FAIL, the table still prints. */
const safe = (peer) => async (r) => {
  try {
    return await peer(r);
  } catch (e) {
    return { error: e.name, message: e.message };
  }
};
const PEERS = {
  Rust: safe(rust),
  Python: safe(async (r) => python(r)),
  Node: safe(nodePeer),
  Chromium: safe((r) => page.evaluate((request) => window.peer(request), r)),
  C: safe(async (r) => c(r)),
};

before(async () => {
  moto = await startMoto();
  await startChromium();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  await moto?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test("interop matrix: every peer decrypts what every peer encrypts (messages and records, raw AES and KMS)", async () => {
  const east = await clientFor("us-east-1");
  const created = await east.createKey({ MultiRegion: true });
  const eastArn = created.KeyMetadata.Arn;
  const westArn = (await east.replicateKey({ KeyId: created.KeyMetadata.KeyId, ReplicaRegion: "us-west-2" })).ReplicaKeyMetadata.Arn;
  const KEYRINGS = {
    "raw AES": { encrypt: RAW, decrypt: [RAW] },
    KMS: {
      encrypt: { type: "kms", region: "us-east-1", endpoint: moto.endpoint, key_ids: [eastArn] },
      decrypt: [
        { type: "kms", region: "us-west-2", endpoint: moto.endpoint, key_ids: [westArn] },
        { type: "kms-discovery", region: "us-west-2", endpoint: moto.endpoint, strict_fallback: westArn },
      ],
    },
  };
  const KINDS = {
    message: {
      encrypt: (keyring) => ({ op: "encrypt", keyring, plaintext: PLAINTEXT, context: CONTEXT, frame_length: 4096 }),
      produced: (answer) => answer.ciphertext,
      decrypt: (keyring, ciphertext) => ({ op: "decrypt", keyring, ciphertext, context: { tenant: "acme" } }),
      check: (answer) => answer.plaintext === PLAINTEXT || `plaintext differs`,
    },
    record: {
      encrypt: (keyring) => ({ op: "encrypt_record", keyring, item: ITEM, actions: ACTIONS, default_action: "ENCRYPT_AND_SIGN", ...TABLE, context: RECORD_CONTEXT }),
      produced: (answer) => answer.item,
      decrypt: (keyring, item) => ({ op: "decrypt_record", keyring, item, ...TABLE, context: RECORD_CONTEXT }),
      check: (answer) => assertSame(canonical(answer.item), canonical(ITEM)),
    },
  };

  const cells = new Map(); // "kind|keyring|producer|consumer" -> true | reason
  for (const [kind, k] of Object.entries(KINDS)) {
    for (const [keyringName, keyrings] of Object.entries(KEYRINGS)) {
      for (const [producer, produce] of Object.entries(PEERS)) {
        const made = await produce(k.encrypt(keyrings.encrypt));
        const output = made.error ? null : k.produced(made);
        for (const [consumer, consume] of Object.entries(PEERS)) {
          let result = true;
          if (!output) result = `${producer} could not encrypt: ${made.error}: ${made.message}`;
          for (const keyring of keyrings.decrypt) {
            if (result !== true) break;
            const answer = await consume(k.decrypt(keyring, output));
            result = answer.error ? `${keyring.type}: ${answer.error}: ${answer.message}` : k.check(answer);
          }
          cells.set(`${kind}|${keyringName}|${producer}|${consumer}`, result);
        }
      }
    }
  }

  const names = Object.keys(PEERS);
  const width = 10;
  const pad = (s) => String(s).padEnd(width);
  const lines = ["", "interop matrix (rows: producer, columns: consumer)"];
  for (const kind of Object.keys(KINDS)) {
    for (const keyringName of Object.keys(KEYRINGS)) {
      lines.push("", `${kind}, ${keyringName}${keyringName === "KMS" ? " (moto: encrypt in us-east-1, decrypt in us-west-2)" : ""}`);
      lines.push(pad("") + names.map(pad).join(""));
      for (const producer of names) {
        lines.push(pad(producer) + names.map((consumer) => pad(cells.get(`${kind}|${keyringName}|${producer}|${consumer}`) === true ? "ok" : "FAIL")).join(""));
      }
    }
  }
  const failures = [...cells].filter(([, v]) => v !== true).map(([key, why]) => `${key.replaceAll("|", " ")}: ${why}`);
  lines.push("", `${cells.size - failures.length}/${cells.size} cells ok`);
  console.log(lines.join("\n"));
  assert.deepEqual(failures, [], failures.join("\n"));
});

function assertSame(actual, expected) {
  try {
    assert.deepEqual(actual, expected);
    return true;
  } catch (e) {
    return `item differs: ${e.message.slice(0, 400)}`;
  }
}
