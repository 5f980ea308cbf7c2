// The host AES-GCM of Node: `node:crypto` (OpenSSL), registered by the Node
// entry point (node.js). Internal to the package; see host_aes.js.
//
// A one-shot message's ciphers take the content key's raw bytes (`rawKeys`:
// node:crypto copies them into OpenSSL when the cipher is made; the caller
// zeroes the array as soon as the synchronous seal or open returns), so no
// key object is made per message. A stream, which keeps its key between
// chunks, holds it in a KeyObject (`createSecretKey`, memory owned by Node,
// not by JavaScript) and zeroes the raw array at once. Each frame is one
// cipher with the core's IV and AAD.

import { createCipheriv, createDecipheriv, createSecretKey } from "node:crypto";
import { setHostAes } from "./host_aes.js";

const ALGORITHM = "aes-256-gcm";

/** Seals each job's plaintext into `out` at `job.at`, the tag right after. */
function seal(key, jobs, out) {
  for (const { iv, aad, input, at } of jobs) {
    const cipher = createCipheriv(ALGORITHM, key, iv);
    cipher.setAAD(aad);
    const body = cipher.update(input);
    cipher.final();
    out.set(body, at);
    out.set(cipher.getAuthTag(), at + input.length);
  }
}

/**
 * Opens each job's ciphertext into `out` at `job.at`; returns the index of
 * the first frame whose tag fails (the frames after it are not opened), or
 * -1. The caller releases `out` only when every frame verified.
 */
function open(key, jobs, out) {
  for (let i = 0; i < jobs.length; i++) {
    const { iv, aad, input, tag, at } = jobs[i];
    const decipher = createDecipheriv(ALGORITHM, key, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const body = decipher.update(input);
    out.set(body, at);
    body.fill(0); // not yet verified: leave no copy behind
    try {
      decipher.final();
    } catch {
      return i;
    }
  }
  return -1;
}

setHostAes({
  name: "node:crypto",
  // Below this many bytes the wasm path is as fast (scripts/threshold.mjs:
  // with the size-optimised wasm the host is faster from 1 KiB).
  threshold: 1024,
  importKey: (raw) => createSecretKey(raw),
  rawKeys: true,
  seal,
  open,
});
