// Shared helpers of the Node tests: vectors, scripted KMS clients, moto.

import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import readline from "node:readline";
import { mrkMatch } from "mrkenv";

export const ROOT = path.resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const VECTORS_DIR = path.join(ROOT, "tests", "vectors");

export const hex = (s) => Uint8Array.from(Buffer.from(s, "hex"));
export const toHex = (bytes) => Buffer.from(bytes).toString("hex");
export const utf8 = (s) => new TextEncoder().encode(s);

/** Every shared vector, sorted by name. Fails when there are none. */
export function loadVectors() {
  const files = readdirSync(VECTORS_DIR).filter((f) => f.endsWith(".json")).sort();
  if (files.length === 0) throw new Error(`no test vectors in ${VECTORS_DIR}`);
  return files.map((f) => JSON.parse(readFileSync(path.join(VECTORS_DIR, f), "utf8")));
}

/**
 * The scripted KMS client of tests/vectors/README.md, recording its calls.
 */
export function vectorClient(keyringSpec, dataKeyHex) {
  const responses = keyringSpec.kms_responses.map((r) => ({
    keyId: r.key_id,
    blob: r.ciphertext_blob,
  }));
  const calls = [];
  const dataKey = () => hex(dataKeyHex);
  return {
    calls,
    async generateDataKey(params) {
      calls.push({ op: "GenerateDataKey", ...params });
      if (params.KeyId !== keyringSpec.key_ids[0]) throw new Error(`unexpected KeyId ${params.KeyId}`);
      if (params.NumberOfBytes !== 32) throw new Error("NumberOfBytes must be 32");
      return { KeyId: responses[0].keyId, Plaintext: dataKey(), CiphertextBlob: hex(responses[0].blob) };
    },
    async encrypt(params) {
      calls.push({ op: "Encrypt", ...params });
      const i = keyringSpec.key_ids.indexOf(params.KeyId);
      if (i < 1) throw new Error(`unexpected Encrypt KeyId ${params.KeyId}`);
      if (toHex(params.Plaintext) !== dataKeyHex) throw new Error("Encrypt got the wrong data key");
      return { KeyId: responses[i].keyId, CiphertextBlob: hex(responses[i].blob) };
    },
    async decrypt(params) {
      calls.push({ op: "Decrypt", ...params });
      const blob = toHex(params.CiphertextBlob);
      const match = responses.find(
        (r) => r.blob === blob && (r.keyId === params.KeyId || mrkMatch(r.keyId, params.KeyId)),
      );
      if (!match) {
        const e = new Error(`scripted KMS: cannot decrypt with ${params.KeyId}`);
        e.name = "IncorrectKeyException";
        throw e;
      }
      return { KeyId: params.KeyId, Plaintext: dataKey() };
    },
  };
}

/** Reads a whole ReadableStream of Uint8Array into one Uint8Array. */
export async function collect(readable) {
  const parts = [];
  let total = 0;
  for await (const part of readable) {
    parts.push(part);
    total += part.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A ReadableStream over `bytes` in chunks of `size`. */
export function chunked(bytes, size) {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

export const PYTHON = process.env.MRKENV_PYTHON ?? path.join(ROOT, ".venv", "bin", "python");

/**
 * Starts tests/kms/moto_launcher.py; resolves to { endpoint, stop }. The
 * server dies with this process (its stdin is our pipe).
 */
export async function startMoto() {
  const child = spawn(PYTHON, [path.join(ROOT, "tests", "kms", "moto_launcher.py")], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`moto launcher: no endpoint after 60 s\n${stderr}`)), 60000);
    readline.createInterface({ input: child.stdout }).once("line", (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`moto launcher could not start (${PYTHON}): ${e.message}`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`moto launcher exited with ${code}\n${stderr}`));
    });
  });
  if (!line.startsWith("MOTO_ENDPOINT=")) throw new Error(`moto launcher said ${line}`);
  const endpoint = line.slice("MOTO_ENDPOINT=".length).trim();
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.stdin.end();
      setTimeout(() => child.kill("SIGKILL"), 10000).unref();
    });
  return { endpoint, stop };
}

/** A v3 KMS client of @aws-sdk/client-kms against moto. */
export async function kmsClient(endpoint, region) {
  const { KMS } = await import("@aws-sdk/client-kms");
  return new KMS({
    region,
    endpoint,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
}

/** Wraps a client, counting calls per operation. */
export function counting(client) {
  const calls = [];
  const wrap = (name) => async (params) => {
    calls.push({ op: name, KeyId: params.KeyId });
    return client[name](params);
  };
  return {
    calls,
    generateDataKey: wrap("generateDataKey"),
    encrypt: wrap("encrypt"),
    decrypt: wrap("decrypt"),
  };
}
