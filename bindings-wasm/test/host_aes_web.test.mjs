// The WebCrypto host AES-GCM (js/host_aes_web.js, what browsers use) run in
// Node, whose `crypto.subtle` is WebCrypto: registered here in place of
// node:crypto (this file runs in its own process), it must write the same
// bytes as the wasm path, refuse a tampered frame, and take views on a
// SharedArrayBuffer (which WebCrypto itself refuses).

import test from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { MrkenvError, RawAesKeyring, decrypt, decryptStream } from "mrkenv";
import { _setCryptoPath, encryptStreamWith, encryptWith } from "mrkenv/testing";
import { chunked, collect } from "./helpers.mjs";

await import(new URL("../node_modules/mrkenv/host_aes_web.js", import.meta.url));

const keyring = new RawAesKeyring({ keyNamespace: "app", keyName: "k", wrappingKey: new Uint8Array(32).fill(3) });
const fixed = {
  frameLength: 1024,
  messageId: new Uint8Array(32).fill(5),
  dataKey: new Uint8Array(32).fill(9),
  rawAesIv: new Uint8Array(12).fill(7),
};

async function onPath(path, fn) {
  _setCryptoPath(path);
  try {
    return await fn();
  } finally {
    _setCryptoPath("auto");
  }
}

const shared = (bytes) => {
  const view = new Uint8Array(new SharedArrayBuffer(bytes.length));
  view.set(bytes);
  return view;
};

test("WebCrypto is the host AES-GCM once registered", () => {
  assert.equal(_setCryptoPath("auto"), "webcrypto");
});

test("the WebCrypto path writes the wasm path's bytes, one-shot and streamed, and reads them back", async () => {
  for (const len of [0, 1000, 1024, 40_000]) {
    const plaintext = randomBytes(len);
    const wasm = await onPath("wasm", () => encryptWith(keyring, plaintext, fixed));
    assert.deepEqual(await onPath("host", () => encryptWith(keyring, plaintext, fixed)), wasm, `${len} bytes`);
    assert.deepEqual(await onPath("host", () => encryptWith(keyring, shared(plaintext), fixed)), wasm, "shared");
    _setCryptoPath("host");
    const streamed = await collect(chunked(plaintext, 700).pipeThrough(encryptStreamWith(keyring, fixed)));
    const back = await collect(chunked(wasm, 900).pipeThrough(decryptStream(keyring)));
    _setCryptoPath("auto");
    assert.deepEqual(streamed, wasm);
    assert.ok(Buffer.from(back).equals(plaintext));
    const opened = await onPath("host", () => decrypt(keyring, shared(wasm)));
    assert.ok(Buffer.from(opened.plaintext).equals(plaintext));
  }
});

test("the WebCrypto path refuses a tampered frame with the core's error, releasing nothing", async () => {
  const message = await onPath("wasm", () => encryptWith(keyring, randomBytes(40_000), fixed));
  const bad = message.slice();
  bad[bad.length - 3000] ^= 1;
  const errors = [];
  for (const path of ["host", "wasm"]) {
    await assert.rejects(onPath(path, () => decrypt(keyring, bad)), (e) => {
      assert.ok(e instanceof MrkenvError);
      errors.push(`${e.code}: ${e.message}`);
      return true;
    });
  }
  assert.match(errors[0], /^Authentication: frame \d+: authentication tag does not verify$/);
  assert.equal(errors[0], errors[1]);
});
