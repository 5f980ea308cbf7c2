// The host AES-GCM of browsers (and other runtimes with WebCrypto):
// `crypto.subtle`, registered by the browser entry point (browser.js) when
// it exists (WebCrypto needs a secure context). Internal to the package; see
// host_aes.js.
//
// The content key is imported as a non-extractable CryptoKey usable for one
// direction only; the raw array it came from is zeroed by the caller.
// Frames are sealed and opened a window at a time, so at most WINDOW
// frames' results wait to be copied into the output.

import { setHostAes } from "./host_aes.js";

const WINDOW = 16;

// WebCrypto refuses views on a SharedArrayBuffer: such input is copied
// first (`slice` makes a view on a new, unshared buffer).
const unshared = (view) =>
  typeof SharedArrayBuffer !== "undefined" && view.buffer instanceof SharedArrayBuffer ? view.slice() : view;

function params(job) {
  return { name: "AES-GCM", iv: job.iv, additionalData: job.aad, tagLength: 128 };
}

async function seal(key, jobs, out) {
  const subtle = globalThis.crypto.subtle;
  for (let from = 0; from < jobs.length; from += WINDOW) {
    await Promise.all(
      jobs.slice(from, from + WINDOW).map(async (job) => {
        const sealed = await subtle.encrypt(params(job), key, unshared(job.input));
        out.set(new Uint8Array(sealed), job.at);
      }),
    );
  }
}

/**
 * Opens each job into `out`; returns the index of the first frame whose tag
 * fails (the windows after it are not opened), or -1. WebCrypto returns no
 * plaintext for a frame that fails.
 */
async function open(key, jobs, out) {
  const subtle = globalThis.crypto.subtle;
  for (let from = 0; from < jobs.length; from += WINDOW) {
    const results = await Promise.all(
      jobs.slice(from, from + WINDOW).map(async (job) => {
        try {
          const plain = new Uint8Array(await subtle.decrypt(params(job), key, unshared(job.sealed)));
          out.set(plain, job.at);
          plain.fill(0);
          return true;
        } catch {
          return false;
        }
      }),
    );
    const bad = results.indexOf(false);
    if (bad !== -1) return from + bad;
  }
  return -1;
}

if (globalThis.crypto?.subtle !== undefined) {
  setHostAes({
    name: "webcrypto",
    // Below this many bytes the wasm path is as fast (bench/bench-compare.mjs
    // measures the crossover in Chromium: the host is faster from 1 KiB).
    threshold: 1024,
    importKey: (raw, usage) => globalThis.crypto.subtle.importKey("raw", raw, "AES-GCM", false, [usage]),
    seal,
    open,
  });
}
