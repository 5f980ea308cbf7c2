// A panic inside the wasm module (a bug; injected here by the test build's
// hook) traps the instance (panic=abort: `RuntimeError: unreachable`). It
// becomes an Internal MrkenvError, and the package works afterwards on a
// fresh instance: KMS keyrings carry on, a raw AES keyring (whose key is
// not kept in JS) must be made again, and objects of the old instance are
// never used (their free() is a no-op, so the new heap is not corrupted).

import test from "node:test";
import assert from "node:assert/strict";
import { KmsMrkKeyring, MrkenvError, RawAesKeyring, decrypt, decryptStream, encrypt, inspect } from "mrkenv";
import { _panicForTesting } from "mrkenv/testing";
import { chunked, collect, utf8 } from "./helpers.mjs";

const EAST = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";

const raw = () => new RawAesKeyring({ keyNamespace: "app", keyName: "k", wrappingKey: new Uint8Array(32).fill(7) });

function fakeKms(dataKey = new Uint8Array(32).fill(9)) {
  return {
    async generateDataKey(p) {
      return { KeyId: p.KeyId, Plaintext: dataKey.slice(), CiphertextBlob: utf8(`blob:${p.KeyId}`) };
    },
    async encrypt(p) {
      return { KeyId: p.KeyId, CiphertextBlob: utf8(`blob:${p.KeyId}`) };
    },
    async decrypt(p) {
      return { KeyId: p.KeyId, Plaintext: dataKey.slice() };
    },
  };
}

test("an injected panic is an Internal MrkenvError, and the module works afterwards", async () => {
  const before = raw();
  const kms = new KmsMrkKeyring({ client: fakeKms(), keyIds: [EAST] });
  const message = await encrypt(before, utf8("before the panic"), { encryptionContext: { a: "b" } });
  const kmsMessage = await encrypt(kms, utf8("kms"));
  // A stream holding a wasm decryptor across the trap.
  const pending = decryptStream(before);
  const drained = collect(pending.readable).catch((e) => e);
  const writer = pending.writable.getWriter();
  await writer.write(message.subarray(0, 10));

  assert.throws(_panicForTesting, (e) => {
    assert.ok(e instanceof MrkenvError, `expected MrkenvError, got ${e?.stack ?? e}`);
    assert.equal(e.code, "Internal");
    assert.match(e.message, /^internal error: the WebAssembly module trapped \(unreachable\); this is a bug of mrkenv/);
    assert.ok(e.cause instanceof WebAssembly.RuntimeError);
    return true;
  });

  // The old raw AES keyring is refused with what to do.
  await assert.rejects(encrypt(before, utf8("x")), (e) => e.code === "InvalidArgument" && /create it again/.test(e.message));
  // The stream of the old instance fails cleanly; aborting it frees nothing in the new instance.
  await assert.rejects(writer.write(message.subarray(10)), (e) => e.code === "InvalidArgument" && /made before the WebAssembly module was reset/.test(e.message));
  await writer.abort().catch(() => {});
  assert.ok((await drained) instanceof Error);

  // A new raw AES keyring decrypts the message written before the panic.
  const after = raw();
  assert.deepEqual((await decrypt(after, message, { encryptionContext: { a: "b" } })).plaintext, utf8("before the panic"));
  // A KMS keyring made before the panic carries on (its configuration is remade).
  assert.deepEqual((await decrypt(kms, kmsMessage)).plaintext, utf8("kms"));
  assert.equal(inspect(message).encryptionContext.a, "b");
  // Many round trips on the new instance: its heap is sound.
  for (let i = 0; i < 200; i++) {
    const pt = utf8(`round ${i} `.repeat(i));
    const streamed = await collect(chunked(await encrypt(after, pt), 333).pipeThrough(decryptStream(after)));
    assert.deepEqual(streamed, pt);
  }

  // A second panic is handled the same way.
  assert.throws(_panicForTesting, (e) => e instanceof MrkenvError && e.code === "Internal");
  assert.deepEqual((await decrypt(raw(), message)).plaintext, utf8("before the panic"));
});
