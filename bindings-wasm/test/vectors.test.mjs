// Every shared vector: decrypt (positive and negative) and, where
// `reencrypt` is true, a byte-identical re-encryption (one-shot and stream).
// One-shot encrypt and decrypt run through both AES-GCM paths: the host's
// (node:crypto) and the pure-WebAssembly one, forced with _setCryptoPath.

import test from "node:test";
import assert from "node:assert/strict";
import { KmsMrkKeyring, MrkenvError, RawAesKeyring, decrypt, decryptStream, inspect } from "mrkenv";
import { _setCryptoPath, encryptStreamWith, encryptWith } from "mrkenv/testing";
import { chunked, collect, hex, loadVectors, toHex, vectorClient } from "./helpers.mjs";

function keyringFor(spec, dataKeyHex) {
  if (spec.type === "raw-aes") {
    return {
      keyring: new RawAesKeyring({
        keyNamespace: spec.key_namespace,
        keyName: spec.key_name,
        wrappingKey: hex(spec.wrapping_key),
      }),
    };
  }
  if (spec.type === "aws-kms") {
    const client = vectorClient(spec, dataKeyHex);
    return { keyring: new KmsMrkKeyring({ client, keyIds: spec.key_ids }), client };
  }
  throw new Error(`unknown keyring type ${spec.type}`);
}

const vectors = loadVectors();

test("there are positive and negative vectors", () => {
  assert.ok(vectors.some((v) => v.result === "ok"));
  assert.ok(vectors.some((v) => v.result === "error"));
});

const PATHS = ["wasm", "host"];

test("the host AES-GCM in Node is node:crypto, and the wasm path can be forced", () => {
  assert.equal(_setCryptoPath("host"), "node:crypto");
  assert.equal(_setCryptoPath("wasm"), "node:crypto");
  assert.equal(_setCryptoPath("auto"), "node:crypto");
  assert.throws(() => _setCryptoPath("fast"), TypeError);
});

for (const v of vectors) {
  test(`vector ${v.name}: decrypt gives ${v.result === "ok" ? "the plaintext" : v.error_kind} on both AES paths`, async () => {
    const { keyring } = keyringFor(v.decrypt_keyring ?? v.keyring, v.data_key);
    const options = { encryptionContext: v.required_encryption_context };
    const ciphertext = hex(v.ciphertext);
    const messages = [];
    try {
      for (const path of PATHS) {
        _setCryptoPath(path);
        if (v.result === "ok") {
          const { plaintext, header } = await decrypt(keyring, ciphertext, options);
          assert.equal(toHex(plaintext), v.plaintext, path);
          assert.deepEqual(header.encryptionContext, v.encryption_context);
          assert.equal(header.messageId, v.message_id);
          assert.equal(header.frameLength, v.frame_length);
          assert.deepEqual(inspect(ciphertext), header);
        } else {
          await assert.rejects(decrypt(keyring, ciphertext, options), (e) => {
            assert.ok(e instanceof MrkenvError, `expected MrkenvError, got ${e} (${path})`);
            assert.equal(e.code, v.error_kind, `${path}: ${e.message}`);
            messages.push(e.message);
            return true;
          });
        }
      }
    } finally {
      _setCryptoPath("auto");
    }
    if (v.result !== "ok") assert.equal(messages[1], messages[0], "the same error on both paths");
  });

  test(`vector ${v.name}: decryptStream in 100-byte chunks agrees on both AES paths`, async () => {
    const { keyring } = keyringFor(v.decrypt_keyring ?? v.keyring, v.data_key);
    const messages = [];
    for (const path of PATHS) {
      _setCryptoPath(path);
      let stream;
      try {
        stream = chunked(hex(v.ciphertext), 100).pipeThrough(
          decryptStream(keyring, { encryptionContext: v.required_encryption_context }),
        );
      } finally {
        _setCryptoPath("auto");
      }
      if (v.result === "ok") {
        assert.equal(toHex(await collect(stream)), v.plaintext, path);
      } else {
        await assert.rejects(collect(stream), (e) => {
          assert.ok(e instanceof MrkenvError, `expected MrkenvError, got ${e} (${path})`);
          assert.equal(e.code, v.error_kind, `${path}: ${e.message}`);
          messages.push(e.message);
          return true;
        });
      }
    }
    if (v.result !== "ok") assert.equal(messages[1], messages[0], "the same error on both paths");
  });

  if (v.reencrypt) {
    test(`vector ${v.name}: re-encrypts byte for byte`, async () => {
      const { keyring, client } = keyringFor(v.keyring, v.data_key);
      const options = {
        encryptionContext: v.encryption_context,
        frameLength: v.frame_length,
        messageId: hex(v.message_id),
        ...(v.keyring.type === "raw-aes" ? { dataKey: hex(v.data_key), rawAesIv: hex(v.raw_aes_iv) } : {}),
      };
      for (const path of PATHS) {
        _setCryptoPath(path);
        try {
          const message = await encryptWith(keyring, hex(v.plaintext), options);
          assert.equal(toHex(message), v.ciphertext, `${path} path`);
          const streamed = await collect(
            chunked(hex(v.plaintext), 777).pipeThrough(encryptStreamWith(keyring, options)),
          );
          assert.equal(toHex(streamed), v.ciphertext, `${path} path, stream`);
        } finally {
          _setCryptoPath("auto");
        }
        if (client) {
          // The one-shot's calls, then the stream's: the same ones.
          const once = v.keyring.key_ids.map((k, i) => [i === 0 ? "GenerateDataKey" : "Encrypt", k]);
          assert.deepEqual(client.calls.map((c) => [c.op, c.KeyId]), [...once, ...once]);
          for (const call of client.calls) assert.deepEqual(call.EncryptionContext, v.encryption_context);
          client.calls.length = 0;
        }
      }
    });
  }
}
