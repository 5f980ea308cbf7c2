// Runs in Chromium: the package loaded as plain ESM through an import map.
// Results go to window.__mrkenvResult for browser.test.mjs.

import {
  Action,
  KmsMrkDiscoveryKeyring,
  KmsMrkKeyring,
  MrkenvError,
  RawAesKeyring,
  decrypt,
  decryptRecord,
  decryptStream,
  encrypt,
  encryptRecord,
  encryptStream,
  inspect,
  isMrk,
  mrkMatch,
  parseArn,
  rekey,
  rekeyHeader,
} from "mrkenv";
import { _setCryptoPath, encryptRecordWith, encryptWith } from "mrkenv/testing";

const EAST = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const WEST = "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";

const hex = (s) => new Uint8Array(s.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const utf8 = (s) => new TextEncoder().encode(s);
const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

async function rejectsWith(promise, code) {
  try {
    await promise;
  } catch (e) {
    check(e instanceof MrkenvError, `expected MrkenvError ${code}, got ${e}`);
    check(e.code === code, `expected ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  throw new Error(`expected ${code}, but it succeeded`);
}

async function collect(readable) {
  const parts = [];
  const reader = readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function chunked(bytes, size) {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

/** An in-page fake KMS: one data key, blobs name the key. */
function fakeKms() {
  const dataKey = crypto.getRandomValues(new Uint8Array(32));
  const calls = [];
  return {
    calls,
    async generateDataKey(p) {
      calls.push(["GenerateDataKey", p.KeyId]);
      return { KeyId: p.KeyId, Plaintext: dataKey.slice(), CiphertextBlob: utf8(`wrapped:${p.KeyId}`) };
    },
    async encrypt(p) {
      calls.push(["Encrypt", p.KeyId]);
      return { KeyId: p.KeyId, CiphertextBlob: utf8(`wrapped:${p.KeyId}`) };
    },
    async decrypt(p) {
      calls.push(["Decrypt", p.KeyId]);
      const wrappedFor = new TextDecoder().decode(p.CiphertextBlob).slice("wrapped:".length);
      if (!mrkMatch(wrappedFor, p.KeyId)) throw new Error(`fake KMS: ${p.KeyId} cannot decrypt`);
      return { KeyId: p.KeyId, Plaintext: dataKey.slice() };
    },
  };
}

const tests = {
  async "raw AES round trip"() {
    const keyring = new RawAesKeyring({ keyNamespace: "ns", keyName: "k", wrappingKey: crypto.getRandomValues(new Uint8Array(32)) });
    const plaintext = crypto.getRandomValues(new Uint8Array(10000));
    const message = await encrypt(keyring, plaintext, { encryptionContext: { page: "yes" }, frameLength: 1024 });
    const { plaintext: back, header } = await decrypt(keyring, message, { encryptionContext: { page: "yes" } });
    check(eq(back, plaintext), "plaintext differs");
    check(header.frameLength === 1024 && header.encryptionContext.page === "yes", "header");
    await rejectsWith(decrypt(keyring, message, { encryptionContext: { page: "no" } }), "ContextMismatch");
  },
  async "fake KMS client: MRK east -> west, strict and discovery"() {
    const kms = fakeKms();
    const message = await encrypt(new KmsMrkKeyring({ client: kms, keyIds: [EAST] }), utf8("mrk in a page"));
    check(inspect(message).encryptedDataKeys[0].isMrk === true, "isMrk in header");
    const strict = await decrypt(new KmsMrkKeyring({ client: kms, keyIds: [WEST] }), message);
    check(new TextDecoder().decode(strict.plaintext) === "mrk in a page", "strict");
    const discovery = await decrypt(new KmsMrkDiscoveryKeyring({ client: kms, region: "us-west-2" }), message);
    check(eq(discovery.plaintext, strict.plaintext), "discovery");
    check(JSON.stringify(kms.calls) === JSON.stringify([["GenerateDataKey", EAST], ["Decrypt", WEST], ["Decrypt", WEST]]), JSON.stringify(kms.calls));
    const other = "arn:aws:kms:us-west-2:111122223333:key/mrk-00000000000000000000000000000000";
    const e = await rejectsWith(decrypt(new KmsMrkKeyring({ client: kms, keyIds: [other] }), message), "NoDecryptableKey");
    check(e.errors.length === 1 && e.errors[0].keyId === EAST, JSON.stringify(e.errors));
  },
  async "re-key: MRK east replaced by a raw AES key, frames unchanged, header-only form agrees"() {
    const kms = fakeKms();
    const east = new KmsMrkKeyring({ client: kms, keyIds: [EAST] });
    const message = await encrypt(east, crypto.getRandomValues(new Uint8Array(5000)), { frameLength: 1024 });
    const keyring = new RawAesKeyring({ keyNamespace: "ns", keyName: "k2", wrappingKey: crypto.getRandomValues(new Uint8Array(32)) });
    const rekeyed = await rekey(east, message, { add: keyring, remove: [EAST] });
    const { head, bodyOffset } = await rekeyHeader(keyring, rekeyed);
    const old = await rekeyHeader(east, message);
    check(eq(rekeyed.subarray(bodyOffset), message.subarray(old.bodyOffset)), "frames differ");
    check(eq(head, rekeyed.subarray(0, bodyOffset)), "an unchanged re-key gives the same head");
    check(inspect(rekeyed).encryptedDataKeys.map((k) => k.providerInfo).join() === "k2", "EDKs");
    const { plaintext } = await decrypt(keyring, rekeyed);
    check(eq(plaintext, (await decrypt(east, message)).plaintext), "plaintext");
    await rejectsWith(decrypt(east, rekeyed), "NoDecryptableKey");
    await rejectsWith(rekey(keyring, message), "NoDecryptableKey");
  },
  async "every shared vector decrypts (and re-encrypts byte for byte) on the WebCrypto and the wasm AES paths"() {
    check(_setCryptoPath("auto") === "webcrypto", "WebCrypto is the host AES-GCM in Chromium");
    const names = await (await fetch("/vectors/list.json")).json();
    check(names.length > 0, "no vectors");
    for (const path of ["host", "wasm"]) {
      _setCryptoPath(path);
      try {
        for (const name of names) {
          const v = await (await fetch(`/vectors/${name}`)).json();
          const spec = v.decrypt_keyring ?? v.keyring;
          if (spec.type !== "raw-aes") continue; // KMS vectors run in Node with the scripted client
          const keyring = new RawAesKeyring({ keyNamespace: spec.key_namespace, keyName: spec.key_name, wrappingKey: hex(spec.wrapping_key) });
          const options = { encryptionContext: v.required_encryption_context };
          if (v.result === "ok") {
            const { plaintext } = await decrypt(keyring, hex(v.ciphertext), options);
            check(toHex(plaintext) === v.plaintext, `${v.name} (${path}): plaintext`);
          } else {
            await rejectsWith(decrypt(keyring, hex(v.ciphertext), options), v.error_kind);
          }
          if (v.reencrypt) {
            const again = await encryptWith(keyring, hex(v.plaintext), {
              encryptionContext: v.encryption_context,
              frameLength: v.frame_length,
              messageId: hex(v.message_id),
              dataKey: hex(v.data_key),
              rawAesIv: hex(v.raw_aes_iv),
            });
            check(toHex(again) === v.ciphertext, `${v.name} (${path}): re-encryption differs`);
          }
        }
      } finally {
        _setCryptoPath("auto");
      }
    }
  },
  async "WebCrypto and wasm paths agree on a 1 MiB message and on a tampered frame"() {
    const keyring = new RawAesKeyring({ keyNamespace: "ns", keyName: "k", wrappingKey: new Uint8Array(32).fill(3) });
    const plaintext = new Uint8Array(1 << 20);
    for (let at = 0; at < plaintext.length; at += 65536) crypto.getRandomValues(plaintext.subarray(at, at + 65536));
    const fixed = { frameLength: 4096, messageId: new Uint8Array(32).fill(1), dataKey: new Uint8Array(32).fill(2), rawAesIv: new Uint8Array(12).fill(3) };
    const sealed = {};
    for (const path of ["host", "wasm"]) {
      _setCryptoPath(path);
      try {
        sealed[path] = await encryptWith(keyring, plaintext, fixed);
        check(eq((await decrypt(keyring, sealed[path])).plaintext, plaintext), `${path}: round trip`);
        const bad = sealed[path].slice();
        bad[bad.length - 5000] ^= 1;
        await rejectsWith(decrypt(keyring, bad), "Authentication");
      } finally {
        _setCryptoPath("auto");
      }
    }
    check(eq(sealed.host, sealed.wasm), "the two paths write the same bytes");
    // Views on a SharedArrayBuffer (which WebCrypto refuses) work on the host path too.
    if (typeof SharedArrayBuffer !== "undefined") {
      const shared = new Uint8Array(new SharedArrayBuffer(plaintext.length));
      shared.set(plaintext);
      const message = new Uint8Array(new SharedArrayBuffer(sealed.host.length));
      message.set(sealed.host);
      _setCryptoPath("host");
      try {
        check(eq(await encryptWith(keyring, shared, fixed), sealed.host), "shared plaintext");
        check(eq((await decrypt(keyring, message)).plaintext, plaintext), "shared message");
      } finally {
        _setCryptoPath("auto");
      }
    }
  },
  async "streams round trip (1 MiB, odd chunks)"() {
    const keyring = new RawAesKeyring({ keyNamespace: "ns", keyName: "k", wrappingKey: new Uint8Array(32).fill(3) });
    const plaintext = new Uint8Array(1 << 20).map((_, i) => i & 255);
    const message = await collect(chunked(plaintext, 12345).pipeThrough(encryptStream(keyring, { frameLength: 16384 })));
    const back = await collect(chunked(message, 4321).pipeThrough(decryptStream(keyring)));
    check(eq(back, plaintext), "stream round trip");
    await rejectsWith(collect(chunked(message.subarray(0, message.length - 1), 4321).pipeThrough(decryptStream(keyring))), "MalformedMessage");
  },
  async "records: the seed vector decrypts and re-encrypts byte for byte; a round trip; tampering refused"() {
    const v = await (await fetch("/vectors/records/ok-seed-item.json")).json();
    const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    const item = (json) => Object.fromEntries(Object.entries(json).map(([k, { S, B }]) => [k, B === undefined ? { S } : { B: b64(B) }]));
    const same = (a, b) => JSON.stringify(Object.entries(a).sort().map(([k, x]) => [k, x.S ?? toHex(x.B)])) === JSON.stringify(Object.entries(b).sort().map(([k, x]) => [k, x.S ?? toHex(x.B)]));
    const spec = v.keyring;
    const keyring = new RawAesKeyring({ keyNamespace: spec.key_namespace, keyName: spec.key_name, wrappingKey: hex(spec.wrapping_key) });
    const table = { tableName: v.table_name, partitionKey: v.partition_key };
    check(same(await decryptRecord(keyring, item(v.encrypted_item), table), item(v.decrypted_item)), "seed vector decrypt");
    const again = await encryptRecordWith(keyring, item(v.plaintext_item), {
      ...table,
      actions: v.actions,
      messageId: hex(v.message_id),
      dataKey: hex(v.data_key),
      rawAesIv: hex(v.raw_aes_iv),
    });
    check(same(again, item(v.encrypted_item)), "seed vector re-encryption differs");
    const fresh = await encryptRecord(keyring, { employeeId: { S: "1" }, name: { S: "Andy" } }, {
      ...table,
      actions: { employeeId: Action.SIGN_ONLY, name: Action.ENCRYPT_AND_SIGN },
    });
    check(fresh.name.B instanceof Uint8Array, "name is encrypted");
    check((await decryptRecord(keyring, fresh, table)).name.S === "Andy", "round trip");
    await rejectsWith(decryptRecord(keyring, { ...fresh, employeeId: { S: "2" } }, table), "Authentication");
  },
  async "identifiers and bad input"() {
    check(parseArn(WEST).region === "us-west-2", "parseArn");
    check(isMrk(EAST) && mrkMatch(EAST, WEST), "isMrk/mrkMatch");
    try {
      parseArn("nope");
      throw new Error("no error");
    } catch (e) {
      check(e instanceof MrkenvError && e.code === "InvalidArn", String(e));
    }
    try {
      new RawAesKeyring({ keyNamespace: "a", keyName: "b", wrappingKey: "not bytes" });
      throw new Error("no error");
    } catch (e) {
      check(e instanceof TypeError, String(e));
    }
  },
};

const result = { passed: [], failed: [] };
for (const [name, fn] of Object.entries(tests)) {
  try {
    await fn();
    result.passed.push(name);
  } catch (e) {
    result.failed.push({ name, error: String(e?.stack ?? e) });
  }
}
document.getElementById("log").textContent = JSON.stringify(result, null, 2);
window.__mrkenvResult = result;
