// The public API without a KMS server: identifiers, raw AES, bad input,
// the KMS loop with scripted clients (what moto cannot show), streams.

import test from "node:test";
import assert from "node:assert/strict";
import * as mrkenv from "mrkenv";
import {
  KmsMrkDiscoveryKeyring,
  KmsMrkKeyring,
  MrkenvError,
  RawAesKeyring,
  decrypt,
  decryptStream,
  encrypt,
  encryptStream,
  inspect,
  isMrk,
  mrkMatch,
  parseArn,
} from "mrkenv";
import { _wasmMemoryBytes, _wasmMemoryIncludes } from "mrkenv/testing";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chunked, collect, utf8 } from "./helpers.mjs";

const EAST = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const WEST = "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const SINGLE_EAST = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

const rawKeyring = (fill = 1) =>
  new RawAesKeyring({ keyNamespace: "app", keyName: "key-1", wrappingKey: new Uint8Array(32).fill(fill) });

function isMrkenvError(code) {
  return (e) => {
    assert.ok(e instanceof MrkenvError, `expected MrkenvError ${code}, got ${e?.stack ?? e}`);
    assert.ok(e instanceof Error);
    assert.equal(e.name, "MrkenvError");
    assert.equal(e.code, code, e.message);
    return true;
  };
}

/** A fake KMS with one data key; `behave` can alter responses per operation. */
function fakeKms({ behave = {}, dataKey = new Uint8Array(32).fill(9) } = {}) {
  const calls = [];
  const blobFor = (keyId) => utf8(`blob:${keyId}`);
  const client = {
    calls,
    async generateDataKey(p) {
      calls.push({ op: "GenerateDataKey", ...p });
      const r = { KeyId: p.KeyId, Plaintext: dataKey.slice(), CiphertextBlob: blobFor(p.KeyId) };
      return behave.generateDataKey ? behave.generateDataKey(p, r) : r;
    },
    async encrypt(p) {
      calls.push({ op: "Encrypt", ...p, Plaintext: p.Plaintext.slice() });
      const r = { KeyId: p.KeyId, CiphertextBlob: blobFor(p.KeyId) };
      return behave.encrypt ? behave.encrypt(p, r) : r;
    },
    async decrypt(p) {
      calls.push({ op: "Decrypt", ...p });
      const r = { KeyId: p.KeyId, Plaintext: dataKey.slice() };
      return behave.decrypt ? behave.decrypt(p, r) : r;
    },
  };
  return client;
}

test("exports exactly the public names", () => {
  assert.deepEqual(Object.keys(mrkenv).sort(), [
    "Action",
    "KmsMrkDiscoveryKeyring",
    "KmsMrkKeyring",
    "MrkenvError",
    "RawAesKeyring",
    "decrypt",
    "decryptRecord",
    "decryptStream",
    "defaultLimits",
    "encrypt",
    "encryptRecord",
    "encryptStream",
    "inspect",
    "isMrk",
    "mrkMatch",
    "parseArn",
    "rekey",
    "rekeyHeader",
    "rekeyRecord",
  ]);
});

test("parseArn, isMrk, mrkMatch", () => {
  assert.deepEqual(parseArn(EAST), {
    partition: "aws",
    service: "kms",
    region: "us-east-1",
    account: "111122223333",
    resourceType: "key",
    resourceId: "mrk-1234abcd12ab34cd56ef1234567890ab",
    isMrk: true,
  });
  assert.equal(parseArn("arn:aws:kms:us-east-1:1:alias/a/b").resourceId, "a/b");
  assert.equal(isMrk(EAST), true);
  assert.equal(isMrk("mrk-abc"), true);
  assert.equal(isMrk("alias/mrk-abc"), false);
  assert.equal(isMrk(SINGLE_EAST), false);
  assert.equal(mrkMatch(EAST, WEST), true);
  assert.equal(mrkMatch(SINGLE_EAST, SINGLE_EAST.replace("us-east-1", "us-west-2")), false);
  for (const bad of ["", "arn:aws:kms:us-east-1:1", "arn:aws:s3:us-east-1:1:key/x", "key/abc", "arn:aws:kms::1:key/x"]) {
    assert.throws(() => parseArn(bad), isMrkenvError("InvalidArn"), bad);
  }
  assert.throws(() => isMrk("key/abc"), isMrkenvError("InvalidArn"));
  assert.throws(() => mrkMatch(EAST, "arn:x"), isMrkenvError("InvalidArn"));
});

test("raw AES round trip with context, frames and inspect", async () => {
  const keyring = rawKeyring();
  const plaintext = new Uint8Array(5000).map((_, i) => i % 251);
  const message = await encrypt(keyring, plaintext, {
    encryptionContext: new Map([["tenant", "acme"], ["__proto__", "x"]]),
    frameLength: 1024,
  });
  const header = inspect(message.subarray(0, 400));
  assert.equal(header.frameLength, 1024);
  assert.equal(header.encryptionContext.tenant, "acme");
  assert.equal(Object.getOwnPropertyDescriptor(header.encryptionContext, "__proto__").value, "x");
  assert.deepEqual(header.encryptedDataKeys, [{ providerId: "app", providerInfo: "key-1", ciphertextLen: 60 }]);
  const { plaintext: back } = await decrypt(keyring, message, { encryptionContext: { tenant: "acme" } });
  assert.deepEqual(back, plaintext);
  await assert.rejects(decrypt(keyring, message, { encryptionContext: { tenant: "other" } }), isMrkenvError("ContextMismatch"));
  await assert.rejects(decrypt(keyring, message, { encryptionContext: { missing: "x" } }), isMrkenvError("ContextMismatch"));
  await assert.rejects(decrypt(rawKeyring(2), message), (e) => {
    isMrkenvError("NoDecryptableKey")(e);
    assert.equal(e.errors.length, 1);
    assert.equal(e.errors[0].keyId, "app/key-1");
    assert.match(e.errors[0].reason, /does not authenticate/);
    return true;
  });
  // Every truncation is detected.
  for (const cut of [0, 3, 10, 200, message.length - 1]) {
    await assert.rejects(decrypt(keyring, message.subarray(0, cut)), isMrkenvError("MalformedMessage"), `cut ${cut}`);
  }
  const tampered = message.slice();
  tampered[tampered.length - 5] ^= 1;
  await assert.rejects(decrypt(keyring, tampered), isMrkenvError("Authentication"));
});

test("bad JS input gives TypeError or MrkenvError, never a wasm trap", async () => {
  const keyring = rawKeyring();
  const message = await encrypt(keyring, utf8("x"));
  const typeError = (e) => {
    assert.ok(e instanceof TypeError, `expected TypeError, got ${e?.stack ?? e}`);
    return true;
  };
  for (const bad of [undefined, null, "s", 1, {}, [], { keyNamespace: "a", keyName: "b" }, { keyNamespace: 1, keyName: "b", wrappingKey: new Uint8Array(32) }, { keyNamespace: "a", keyName: "b", wrappingKey: [1, 2] }]) {
    assert.throws(() => new RawAesKeyring(bad), typeError);
  }
  assert.throws(() => new RawAesKeyring({ keyNamespace: "a", keyName: "b", wrappingKey: new Uint8Array(31) }), isMrkenvError("Keyring"));
  assert.throws(() => new RawAesKeyring({ keyNamespace: "", keyName: "b", wrappingKey: new Uint8Array(32) }), isMrkenvError("Keyring"));
  assert.throws(() => new RawAesKeyring({ keyNamespace: "aws-kms", keyName: "b", wrappingKey: new Uint8Array(32) }), isMrkenvError("Keyring"));
  for (const bad of [undefined, {}, { client: {}, keyIds: [EAST] }, { client: fakeKms(), keyIds: EAST }, { client: fakeKms(), keyIds: [1] }, { client: fakeKms(), keyIds: [EAST], grantTokens: "t" }]) {
    assert.throws(() => new KmsMrkKeyring(bad), typeError);
  }
  assert.throws(() => new KmsMrkKeyring({ client: fakeKms(), keyIds: [] }), isMrkenvError("Keyring"));
  assert.throws(() => new KmsMrkKeyring({ client: fakeKms(), keyIds: ["key/x"] }), isMrkenvError("InvalidArn"));
  assert.throws(() => new KmsMrkDiscoveryKeyring({ client: fakeKms(), region: 5 }), typeError);
  assert.throws(() => new KmsMrkDiscoveryKeyring({ client: fakeKms(), region: "us-west-2", discoveryFilter: { partition: "aws" } }), typeError);
  assert.throws(() => new KmsMrkDiscoveryKeyring({ client: fakeKms(), region: "" }), isMrkenvError("Keyring"));
  assert.throws(() => new KmsMrkDiscoveryKeyring({ client: fakeKms(), region: "us-west-2", discoveryFilter: { partition: "aws", accountIds: [] } }), isMrkenvError("Keyring"));
  for (const [args, check] of [
    [[{}, utf8("x")], typeError],
    [[keyring, "text"], typeError],
    [[keyring, [1, 2]], typeError],
    [[keyring, utf8("x"), 5], typeError],
    [[keyring, utf8("x"), { encryptionContext: { a: 1 } }], typeError],
    [[keyring, utf8("x"), { encryptionContext: "a=b" }], typeError],
    [[keyring, utf8("x"), { frameLength: "big" }], typeError],
    [[keyring, utf8("x"), { frameLength: 1.5 }], typeError],
    [[keyring, utf8("x"), { frameLength: 100 }], isMrkenvError("InvalidArgument")],
    [[keyring, utf8("x"), { frameLength: 2 ** 40 }], isMrkenvError("InvalidArgument")],
    [[keyring, utf8("x"), { frameLength: -1 }], isMrkenvError("InvalidArgument")],
  ]) {
    await assert.rejects(encrypt(...args), check, JSON.stringify(args.slice(2)));
  }
  await assert.rejects(decrypt(keyring, "not bytes"), typeError);
  await assert.rejects(decrypt(null, message), typeError);
  await assert.rejects(decrypt(keyring, message, { encryptionContext: { a: null } }), typeError);
  await assert.rejects(decrypt(keyring, utf8("garbage that is not a message")), isMrkenvError("MalformedMessage"));
  assert.throws(() => inspect(null), typeError);
  assert.throws(() => inspect(new Uint8Array(0)), isMrkenvError("MalformedMessage"));
  assert.throws(() => parseArn(42), typeError);
  assert.throws(() => isMrk(undefined), typeError);
  assert.throws(() => mrkMatch(EAST), typeError);
  assert.throws(() => encryptStream(keyring, { frameLength: "x" }), typeError);
  assert.throws(() => decryptStream("keyring"), typeError);
  // A non-Uint8Array chunk errors the stream with a TypeError.
  const strings = new ReadableStream({ start: (c) => { c.enqueue("text"); c.close(); } });
  await assert.rejects(collect(strings.pipeThrough(encryptStream(keyring))), typeError);
  // The module still works after all of the above.
  assert.deepEqual((await decrypt(keyring, message)).plaintext, utf8("x"));
});

test("limits: too large an encryption context is LimitExceeded before any KMS call", async () => {
  const client = fakeKms();
  const keyring = new KmsMrkKeyring({ client, keyIds: [EAST] });
  const context = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, "v"]));
  await assert.rejects(encrypt(keyring, utf8("x"), { encryptionContext: context }), isMrkenvError("LimitExceeded"));
  assert.equal(client.calls.length, 0);
});

test("strict keyring refuses related MRKs, naming every related id", () => {
  const other = "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
  assert.throws(
    () => new KmsMrkKeyring({ client: fakeKms(), keyIds: [EAST, SINGLE_EAST, WEST, other] }),
    (e) => {
      isMrkenvError("Keyring")(e);
      for (const id of [EAST, WEST, other]) assert.ok(e.message.includes(id), e.message);
      return true;
    },
  );
});

test("KMS loop: GenerateDataKey then Encrypt with context and grant tokens; decrypt in another Region", async () => {
  const client = fakeKms();
  const keyring = new KmsMrkKeyring({ client, keyIds: [EAST, SINGLE_EAST], grantTokens: ["gt-1"] });
  const message = await encrypt(keyring, utf8("hello"), { encryptionContext: { t: "1" } });
  assert.deepEqual(
    client.calls.map((c) => [c.op, c.KeyId, c.NumberOfBytes, c.EncryptionContext, c.GrantTokens]),
    [
      ["GenerateDataKey", EAST, 32, { t: "1" }, ["gt-1"]],
      ["Encrypt", SINGLE_EAST, undefined, { t: "1" }, ["gt-1"]],
    ],
  );
  assert.deepEqual(client.calls[1].Plaintext, new Uint8Array(32).fill(9));
  const header = inspect(message);
  assert.deepEqual(
    header.encryptedDataKeys.map((k) => [k.providerId, k.keyArn, k.region, k.isMrk]),
    [
      ["aws-kms", EAST, "us-east-1", true],
      ["aws-kms", SINGLE_EAST, "us-east-1", false],
    ],
  );
  // Strict, in us-west-2: asked with the configured (replica) ARN; no grant tokens when none configured.
  const west = fakeKms();
  const { plaintext } = await decrypt(new KmsMrkKeyring({ client: west, keyIds: [WEST] }), message);
  assert.deepEqual(plaintext, utf8("hello"));
  assert.deepEqual(west.calls.map((c) => [c.op, c.KeyId, c.GrantTokens]), [["Decrypt", WEST, undefined]]);
  assert.deepEqual(west.calls[0].EncryptionContext, { t: "1" });
  assert.deepEqual(west.calls[0].CiphertextBlob, utf8(`blob:${EAST}`));
});

test("discovery: Region rewrite of the requested KeyId; single-Region key of another Region skipped without a call", async () => {
  const message = await encrypt(new KmsMrkKeyring({ client: fakeKms(), keyIds: [SINGLE_EAST, EAST] }), utf8("d"));
  const client = fakeKms();
  const keyring = new KmsMrkDiscoveryKeyring({ client, region: "us-west-2", grantTokens: ["g"] });
  assert.deepEqual((await decrypt(keyring, message)).plaintext, utf8("d"));
  assert.deepEqual(client.calls.map((c) => [c.op, c.KeyId, c.GrantTokens]), [["Decrypt", WEST, ["g"]]]);

  // With a filter that excludes the account: nothing is asked.
  const filtered = fakeKms();
  const other = new KmsMrkDiscoveryKeyring({
    client: filtered,
    region: "us-west-2",
    discoveryFilter: { partition: "aws", accountIds: ["999999999999"] },
  });
  await assert.rejects(decrypt(other, message), (e) => {
    isMrkenvError("NoDecryptableKey")(e);
    assert.equal(e.errors.length, 2);
    assert.match(e.errors[0].reason, /account 111122223333 is not in the discovery filter/);
    assert.match(e.errors[1].reason, /not in the discovery filter/);
    assert.equal(e.cause, undefined);
    return true;
  });
  assert.equal(filtered.calls.length, 0);
  // A single-Region key of another Region: skipped, KMS never called.
  const single = await encrypt(new KmsMrkKeyring({ client: fakeKms(), keyIds: [SINGLE_EAST] }), utf8("s"));
  const none = fakeKms();
  await assert.rejects(decrypt(new KmsMrkDiscoveryKeyring({ client: none, region: "us-west-2" }), single), (e) => {
    isMrkenvError("NoDecryptableKey")(e);
    assert.deepEqual(e.errors.map((a) => a.keyId), [SINGLE_EAST]);
    assert.match(e.errors[0].reason, /single-Region key in us-east-1, keyring is in us-west-2/);
    return true;
  });
  assert.equal(none.calls.length, 0);
  await assert.rejects(encrypt(keyring, utf8("x")), isMrkenvError("Keyring"));
  assert.equal(client.calls.length, 1);
});

test("scripted client: wrong response KeyId, wrong plaintext length and a throwing client are all reported", async () => {
  const message = await encrypt(new KmsMrkKeyring({ client: fakeKms(), keyIds: [EAST] }), utf8("z"));
  const thrown = Object.assign(new Error("AccessDenied by test"), { name: "AccessDeniedException" });
  for (const [behave, pattern, causeCheck] of [
    [(p, r) => ({ ...r, KeyId: EAST }), /is not the key that was asked/, (c) => c instanceof MrkenvError && c.code === "Keyring"],
    [(p, r) => ({ ...r, Plaintext: new Uint8Array(16) }), /16 bytes, expected 32/, (c) => c.code === "Keyring"],
    [(p, r) => ({ ...r, KeyId: undefined }), /no KeyId/, (c) => c.code === "Keyring"],
    // A mistyped or missing field reaches the core empty, which says what is wrong.
    [(p, r) => ({ ...r, Plaintext: "abc" }), /plaintext data key is 0 bytes, expected 32/, (c) => c.code === "Keyring"],
    [() => null, /response has no KeyId/, (c) => c.code === "Keyring"],
    [() => { throw thrown; }, /KMS Decrypt failed: AccessDeniedException: AccessDenied by test/, (c) => c === thrown],
  ]) {
    const client = fakeKms({ behave: { decrypt: behave } });
    await assert.rejects(decrypt(new KmsMrkKeyring({ client, keyIds: [WEST] }), message), (e) => {
      isMrkenvError("NoDecryptableKey")(e);
      assert.equal(e.errors.length, 1);
      assert.equal(e.errors[0].keyId, WEST);
      assert.match(e.errors[0].reason, pattern);
      assert.ok(causeCheck(e.errors[0].cause), `cause ${e.errors[0].cause}`);
      assert.match(e.message, pattern);
      if (e.errors[0].cause === thrown) assert.equal(e.cause, thrown);
      return true;
    });
  }
  // First failure is reported, second key succeeds: first success wins.
  const two = await encrypt(new KmsMrkKeyring({ client: fakeKms(), keyIds: [EAST, SINGLE_EAST] }), utf8("w"));
  let n = 0;
  const flaky = fakeKms({ behave: { decrypt: (p, r) => { if (n++ === 0) throw thrown; return r; } } });
  const { plaintext } = await decrypt(new KmsMrkKeyring({ client: flaky, keyIds: [EAST, SINGLE_EAST] }), two);
  assert.deepEqual(plaintext, utf8("w"));
  assert.deepEqual(flaky.calls.map((c) => c.KeyId), [EAST, SINGLE_EAST]);
});

test("encrypt: bad KMS responses are rejected; a client error is the cause of a Keyring error", async () => {
  const thrown = new Error("throttled");
  for (const [behave, check] of [
    [{ generateDataKey: (p, r) => ({ ...r, Plaintext: new Uint8Array(31) }) }, isMrkenvError("Keyring")],
    [{ generateDataKey: (p, r) => ({ ...r, KeyId: "alias/x" }) }, isMrkenvError("Keyring")],
    [{ generateDataKey: (p, r) => ({ ...r, CiphertextBlob: new Uint8Array(0) }) }, isMrkenvError("Keyring")],
    [{ encrypt: (p, r) => ({ ...r, CiphertextBlob: undefined }) }, isMrkenvError("Keyring")],
    [{ encrypt: () => { throw thrown; } }, (e) => isMrkenvError("Keyring")(e) && e.cause === thrown],
    [{ generateDataKey: () => { throw thrown; } }, (e) => isMrkenvError("Keyring")(e) && e.cause === thrown],
  ]) {
    const keyring = new KmsMrkKeyring({ client: fakeKms({ behave }), keyIds: [EAST, SINGLE_EAST] });
    await assert.rejects(encrypt(keyring, utf8("x")), check);
  }
  const noGenerate = { decrypt: async () => ({}) };
  await assert.rejects(encrypt(new KmsMrkKeyring({ client: noGenerate, keyIds: [EAST] }), utf8("x")), TypeError);
});

test("the cause rule: the last call that threw is the cause; a rejected response never is", async () => {
  const message = await encrypt(new KmsMrkKeyring({ client: fakeKms(), keyIds: [EAST, SINGLE_EAST] }), utf8("c"));
  const keyIds = [EAST, SINGLE_EAST];
  const thrown = Object.assign(new Error("denied"), { name: "AccessDeniedException" });
  const later = new Error("throttled");
  const reject = (p, r) => ({ ...r, KeyId: WEST }); // a KeyId that was not asked
  const cases = [
    // [behaviour per asked key, expected cause (undefined: no cause), expected kinds of errors[i].cause]
    [{ [EAST]: "throw", [SINGLE_EAST]: "reject" }, thrown, ["thrown", "rejected"]],
    [{ [EAST]: "reject", [SINGLE_EAST]: "throw" }, thrown, ["rejected", "thrown"]],
    [{ [EAST]: "throw", [SINGLE_EAST]: "later" }, later, ["thrown", "later"]],
    [{ [EAST]: "reject", [SINGLE_EAST]: "reject" }, undefined, ["rejected", "rejected"]],
  ];
  for (const [plan, cause, kinds] of cases) {
    const decryptAs = (p, r) => {
      const what = plan[p.KeyId];
      if (what === "throw") throw thrown;
      if (what === "later") throw later;
      return reject(p, r);
    };
    const client = fakeKms({ behave: { decrypt: decryptAs } });
    await assert.rejects(decrypt(new KmsMrkKeyring({ client, keyIds }), message), (e) => {
      isMrkenvError("NoDecryptableKey")(e);
      assert.deepEqual(e.errors.map((a) => a.keyId), keyIds);
      if (cause === undefined) assert.equal("cause" in e, false, "no cause when no call threw");
      else assert.equal(e.cause, cause);
      kinds.forEach((kind, i) => {
        const c = e.errors[i].cause;
        if (kind === "rejected") {
          assert.ok(c instanceof MrkenvError && c.code === "Keyring", String(c));
          assert.match(e.errors[i].reason, /is not the key that was asked/);
        } else {
          assert.equal(c, kind === "later" ? later : thrown);
          assert.match(e.errors[i].reason, /^KMS Decrypt failed: /);
        }
      });
      return true;
    });
    assert.deepEqual(client.calls.map((c) => c.KeyId), keyIds);
  }

  // Encrypt: GenerateDataKey throws -> a Keyring error caused by the thrown value; no Encrypt call.
  const failing = fakeKms({ behave: { generateDataKey: () => { throw thrown; } } });
  await assert.rejects(encrypt(new KmsMrkKeyring({ client: failing, keyIds }), utf8("x")), (e) => {
    isMrkenvError("Keyring")(e);
    assert.equal(e.cause, thrown);
    assert.match(e.message, /KMS GenerateDataKey for .* failed: AccessDeniedException: denied/);
    return true;
  });
  assert.deepEqual(failing.calls.map((c) => c.op), ["GenerateDataKey"]);
  // Encrypt: a rejected GenerateDataKey response -> no cause.
  const rejecting = fakeKms({ behave: { generateDataKey: (p, r) => ({ ...r, KeyId: "alias/x" }) } });
  await assert.rejects(encrypt(new KmsMrkKeyring({ client: rejecting, keyIds }), utf8("x")), (e) => {
    isMrkenvError("Keyring")(e);
    assert.equal("cause" in e, false);
    return true;
  });
});

test("KMS adapter: NumberOfBytes comes from the core; every data key buffer it handled is zeroed", async () => {
  const returned = []; // the Plaintext buffers the client handed back
  const sent = []; // the Plaintext buffers the client was given (Encrypt)
  const keep = (r) => (returned.push(r.Plaintext), r);
  const client = fakeKms({
    behave: {
      generateDataKey: (p, r) => keep(r),
      encrypt: (p, r) => (sent.push(p.Plaintext), r),
      decrypt: (p, r) => keep(r),
    },
  });
  const keyring = new KmsMrkKeyring({ client, keyIds: [EAST, SINGLE_EAST] });
  const message = await encrypt(keyring, utf8("wipe"));
  assert.equal(client.calls[0].NumberOfBytes, 32);
  assert.equal(client.calls[1].NumberOfBytes, undefined);
  assert.deepEqual(client.calls[1].Plaintext, new Uint8Array(32).fill(9), "Encrypt was sent the data key");
  assert.deepEqual((await decrypt(keyring, message)).plaintext, utf8("wipe"));
  // Streams go through the same adapter.
  const streamed = await collect(chunked(utf8("s"), 1).pipeThrough(encryptStream(keyring)));
  assert.deepEqual(await collect(chunked(streamed, 7).pipeThrough(decryptStream(keyring))), utf8("s"));
  assert.equal(returned.length, 4); // GenerateDataKey and Decrypt, twice
  assert.equal(sent.length, 2);
  for (const buffer of [...returned, ...sent]) assert.deepEqual(buffer, new Uint8Array(32), "zeroed after the call");
  // A rejected answer's buffer is zeroed too.
  const short = new Uint8Array(16).fill(5);
  const bad = fakeKms({ behave: { decrypt: (p, r) => ({ ...r, Plaintext: short }) } });
  await assert.rejects(decrypt(new KmsMrkKeyring({ client: bad, keyIds: [EAST] }), message), isMrkenvError("NoDecryptableKey"));
  assert.deepEqual(short, new Uint8Array(16));
});

test("strict keyring: provider info that is not a key ARN fails the decrypt; other providers are skipped", async () => {
  const aliasClient = fakeKms({ behave: { generateDataKey: (p, r) => ({ ...r, KeyId: "arn:aws:kms:us-east-1:111122223333:alias/a" }) } });
  await assert.rejects(encrypt(new KmsMrkKeyring({ client: aliasClient, keyIds: [EAST] }), utf8("x")), isMrkenvError("Keyring"));
  const raw = await encrypt(rawKeyring(), utf8("x"));
  const client = fakeKms();
  await assert.rejects(decrypt(new KmsMrkKeyring({ client, keyIds: [EAST] }), raw), (e) => {
    isMrkenvError("NoDecryptableKey")(e);
    assert.match(e.errors[0].reason, /provider id "app" is not "aws-kms"/);
    return true;
  });
  assert.equal(client.calls.length, 0);
});

test("streams: round trip in odd chunk sizes, KMS keyring, truncation detected", async () => {
  const keyring = new KmsMrkKeyring({ client: fakeKms(), keyIds: [EAST] });
  const plaintext = new Uint8Array(300_000).map((_, i) => (i * 7) % 256);
  const message = await collect(chunked(plaintext, 9999).pipeThrough(encryptStream(keyring, { frameLength: 4096, encryptionContext: { s: "1" } })));
  assert.deepEqual((await decrypt(keyring, message)).plaintext, plaintext);
  const back = await collect(chunked(message, 333).pipeThrough(decryptStream(keyring, { encryptionContext: { s: "1" } })));
  assert.deepEqual(back, plaintext);
  // Truncated at a frame boundary or in a frame: the stream errors.
  for (const cut of [message.length - 1, message.length - 30, 5000]) {
    await assert.rejects(collect(chunked(message.subarray(0, cut), 1000).pipeThrough(decryptStream(keyring))), isMrkenvError("MalformedMessage"));
  }
  // Empty input still makes a valid message.
  const empty = await collect(chunked(new Uint8Array(0), 1).pipeThrough(encryptStream(rawKeyring())));
  assert.equal((await decrypt(rawKeyring(), empty)).plaintext.length, 0);
  // Wrong required context errors before KMS is called.
  const client = fakeKms();
  await assert.rejects(
    collect(chunked(message, 100).pipeThrough(decryptStream(new KmsMrkKeyring({ client, keyIds: [EAST] }), { encryptionContext: { s: "2" } }))),
    isMrkenvError("ContextMismatch"),
  );
  assert.equal(client.calls.length, 0);
});

test("streams hold about one frame: 16 MiB through encrypt and decrypt with flat wasm memory", async () => {
  const keyring = rawKeyring();
  const total = 16 * 1024 * 1024;
  const chunk = new Uint8Array(1024 * 1024).fill(0x5a);
  let produced = 0;
  const source = new ReadableStream({
    pull(controller) {
      if (produced >= total) return controller.close();
      produced += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const before = _wasmMemoryBytes();
  let count = 0;
  let peak = 0;
  const sink = new WritableStream({
    write(part) {
      for (let i = 0; i < part.length; i += 4096) assert.equal(part[i], 0x5a);
      count += part.length;
      peak = Math.max(peak, _wasmMemoryBytes());
    },
  });
  await source.pipeThrough(encryptStream(keyring)).pipeThrough(decryptStream(keyring)).pipeTo(sink);
  assert.equal(count, total);
  const growth = peak - before;
  assert.ok(growth <= 8 * 1024 * 1024, `wasm memory grew by ${growth} bytes while streaming 16 MiB`);
});

// ------------------------------------------------------------ review additions

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fake KMS that really wraps (xor per key) and answers after a random delay. */
function delayedKms() {
  const mask = (keyId) => (keyId.includes("mrk-") ? 0xaa : 0x55);
  const xor = (bytes, m) => Uint8Array.from(bytes, (b) => b ^ m);
  return {
    async generateDataKey(p) {
      await sleep(Math.random() * 8);
      const key = crypto.getRandomValues(new Uint8Array(32));
      return { KeyId: p.KeyId, Plaintext: key, CiphertextBlob: xor(key, mask(p.KeyId)) };
    },
    async encrypt(p) {
      await sleep(Math.random() * 8);
      return { KeyId: p.KeyId, CiphertextBlob: xor(p.Plaintext, mask(p.KeyId)) };
    },
    async decrypt(p) {
      await sleep(Math.random() * 8);
      return { KeyId: p.KeyId, Plaintext: xor(p.CiphertextBlob, mask(p.KeyId)) };
    },
  };
}

test("concurrent encrypts, decrypts and streams interleaving on async KMS calls do not mix state", async () => {
  const keyring = new KmsMrkKeyring({ client: delayedKms(), keyIds: [EAST, SINGLE_EAST] });
  const plaintexts = Array.from({ length: 24 }, (_, i) => crypto.getRandomValues(new Uint8Array(500 + i * 613)));
  const messages = await Promise.all(
    plaintexts.map((p, i) => encrypt(keyring, p, { encryptionContext: { i: String(i) }, frameLength: 1024 })),
  );
  assert.equal(new Set(messages.map((m) => inspect(m).messageId)).size, messages.length);
  const results = await Promise.all(
    messages.map((m, i) => {
      const keyIds = [i % 2 === 0 ? WEST : SINGLE_EAST];
      return decrypt(new KmsMrkKeyring({ client: delayedKms(), keyIds }), m, { encryptionContext: { i: String(i) } });
    }),
  );
  results.forEach(({ plaintext, header }, i) => {
    assert.deepEqual(plaintext, plaintexts[i], `message ${i}`);
    assert.deepEqual(header.encryptionContext, { i: String(i) });
  });
  const discovery = new KmsMrkDiscoveryKeyring({ client: delayedKms(), region: "us-west-2" });
  const streamed = await Promise.all(
    plaintexts.slice(0, 12).map((p, i) =>
      collect(
        chunked(p, 97 + i)
          .pipeThrough(encryptStream(keyring, { frameLength: 1024, encryptionContext: { s: String(i) } }))
          .pipeThrough(decryptStream(discovery, { encryptionContext: { s: String(i) } })),
      ),
    ),
  );
  streamed.forEach((back, i) => assert.deepEqual(back, plaintexts[i], `stream ${i}`));
});

/** Writes `data` into a TransformStream in pieces of the given sizes (0 included) and reads it all. */
async function throughPieces(transform, data, sizes) {
  const writer = transform.writable.getWriter();
  const reader = transform.readable.getReader();
  const parts = [];
  const reading = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parts.push(value);
    }
  })();
  reading.catch(() => {});
  let at = 0;
  for (let k = 0; at < data.length || k === 0; k++) {
    const n = sizes[k % sizes.length];
    await writer.write(data.subarray(at, at + n));
    at += n;
  }
  await writer.write(new Uint8Array(0));
  await writer.close();
  await reading;
  return Buffer.concat(parts);
}

test("streams: zero-length chunks and many one-byte chunks", async () => {
  const keyring = rawKeyring();
  const data = crypto.getRandomValues(new Uint8Array(3000));
  const message = await throughPieces(encryptStream(keyring, { frameLength: 1024 }), data, [0, 1, 0, 2]);
  assert.deepEqual((await decrypt(keyring, message)).plaintext, data);
  const back = await throughPieces(decryptStream(keyring), message, [0, 1, 0, 1, 3]);
  assert.deepEqual(new Uint8Array(back), data);
  // Only empty chunks: a valid empty message; an empty decrypt input is truncated.
  const empty = await throughPieces(encryptStream(keyring), new Uint8Array(0), [0]);
  assert.equal((await decrypt(keyring, empty)).plaintext.length, 0);
  await assert.rejects(throughPieces(decryptStream(keyring), new Uint8Array(0), [0]), isMrkenvError("MalformedMessage"));
});

test("streams: abort and cancel propagate and free the wasm state, also while KMS is answering", async () => {
  const keyring = rawKeyring();
  const message = await encrypt(keyring, new Uint8Array(200_000), { frameLength: 4096 });
  // Aborting the writable errors the readable with the abort reason.
  {
    const stream = decryptStream(keyring);
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    const first = reader.read();
    await writer.write(message.subarray(0, 10_000));
    assert.equal((await first).done, false);
    const reason = new Error("user abort");
    await writer.abort(reason);
    await assert.rejects(reader.read(), (e) => e === reason);
  }
  // Cancelling the readable errors the writable.
  {
    const stream = encryptStream(keyring);
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    const first = reader.read();
    const written = writer.write(new Uint8Array(100_000));
    await first;
    const reason = new Error("stop reading");
    await reader.cancel(reason);
    await written.catch(() => {});
    await assert.rejects(writer.write(new Uint8Array(1)), (e) => e === reason);
  }
  // A KMS answer that arrives after the abort does not resurrect the stream.
  for (const make of [
    (kr) => decryptStream(kr),
    (kr) => encryptStream(kr),
  ]) {
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    const client = fakeKms({
      behave: {
        generateDataKey: async (p, r) => (await gate, r),
        decrypt: async (p, r) => (await gate, r),
      },
    });
    const kr = new KmsMrkKeyring({ client, keyIds: [EAST] });
    const kmsMessage = await encrypt(new KmsMrkKeyring({ client: fakeKms(), keyIds: [EAST] }), new Uint8Array(5000));
    const stream = make(kr);
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    reader.read().catch(() => {});
    const pending = writer.write(kmsMessage).catch((e) => e);
    await sleep(5);
    assert.equal(client.calls.length, 1, "the KMS call is in flight");
    // Cancelling the readable runs the transformer's cancel while the
    // transform still awaits KMS; the transform must then fail cleanly.
    const reason = new Error("gone");
    const cancelled = reader.cancel(reason);
    release();
    await cancelled;
    const outcome = await pending;
    assert.ok(outcome instanceof Error, `the pending write fails, got ${outcome}`);
    assert.ok(!/unreachable|null pointer|RuntimeError/.test(String(outcome?.message)), outcome?.message);
    await assert.rejects(writer.write(new Uint8Array(1)), (e) => e === reason);
  }
  // Many aborted streams do not grow wasm memory (each is freed at once, not by GC).
  const before = _wasmMemoryBytes();
  const big = await encrypt(keyring, new Uint8Array(3_000_000), { frameLength: 1 << 20 });
  for (let i = 0; i < 40; i++) {
    const stream = decryptStream(keyring);
    const writer = stream.writable.getWriter();
    stream.readable.getReader().read().catch(() => {});
    await writer.write(big.subarray(0, 1_500_000));
    await writer.abort(new Error("x"));
  }
  const growth = _wasmMemoryBytes() - before;
  assert.ok(growth <= 16 * 1024 * 1024, `wasm memory grew by ${growth} bytes over 40 aborted 1 MiB-frame streams`);
  // The module still works.
  assert.deepEqual((await decrypt(keyring, message)).plaintext.length, 200_000);
});

test("strings that are not well-formed Unicode are refused, not silently replaced", async () => {
  const keyring = rawKeyring();
  const typeError = (e) => {
    assert.ok(e instanceof TypeError, `expected TypeError, got ${e?.stack ?? e}`);
    assert.match(e.message, /lone surrogate/);
    return true;
  };
  await assert.rejects(encrypt(keyring, utf8("x"), { encryptionContext: { a: "\ud800" } }), typeError);
  await assert.rejects(encrypt(keyring, utf8("x"), { encryptionContext: new Map([["\udc00b", "v"]]) }), typeError);
  const message = await encrypt(keyring, utf8("x"), { encryptionContext: { a: "\ufffd" } });
  await assert.rejects(decrypt(keyring, message, { encryptionContext: { a: "\ud800" } }), typeError);
  assert.throws(() => new RawAesKeyring({ keyNamespace: "a\ud800", keyName: "b", wrappingKey: new Uint8Array(32) }), typeError);
  // A well-formed pair (an emoji) is fine.
  const emoji = await encrypt(keyring, utf8("x"), { encryptionContext: { "\ud83d\ude00": "ok" } });
  assert.equal(inspect(emoji).encryptionContext["\u{1f600}"], "ok");
  await assert.rejects(encrypt(keyring, utf8("x"), { encryptionContext: [["a", "b"]] }), TypeError);
});

test("NoDecryptableKey keeps what the client threw as cause, even a non-Error", async () => {
  const message = await encrypt(new KmsMrkKeyring({ client: fakeKms(), keyIds: [EAST] }), utf8("z"));
  for (const thrown of ["a string", null, undefined, 0]) {
    const client = fakeKms({ behave: { decrypt: () => { throw thrown; } } });
    await assert.rejects(decrypt(new KmsMrkKeyring({ client, keyIds: [WEST] }), message), (e) => {
      isMrkenvError("NoDecryptableKey")(e);
      assert.ok("cause" in e, "cause is set");
      assert.equal(e.cause, thrown);
      assert.equal(e.errors[0].cause, thrown);
      return true;
    });
  }
  const own = new MrkenvError("Keyring", "m", { errors: [{ keyId: "k", reason: "r" }] });
  assert.equal(own.code, "Keyring");
  assert.equal(own.errors.length, 1);
  assert.equal("cause" in own, false);
});

test("key hygiene: a KMS Decrypt answer leaves no copy of the data key in wasm memory", async () => {
  // A distinctive data key; the message is made in another process, so this
  // wasm memory has never seen the key before the decrypt. (The encrypt path
  // is not checked: the core moves DataKey by value, which can leave copies
  // on the wasm shadow stack; that is the core's to fix.)
  const dataKey = Uint8Array.from({ length: 32 }, (_, i) => 0xc0 ^ (i * 37));
  const made = spawnSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { KmsMrkKeyring, encrypt } from "mrkenv";
       const dataKey = Uint8Array.from({ length: 32 }, (_, i) => 0xc0 ^ (i * 37));
       const client = {
         async generateDataKey(p) { return { KeyId: p.KeyId, Plaintext: dataKey.slice(), CiphertextBlob: new Uint8Array([7]) }; },
         async decrypt() { throw new Error("unused"); },
       };
       const m = await encrypt(new KmsMrkKeyring({ client, keyIds: [${JSON.stringify(EAST)}] }), new TextEncoder().encode("secret"));
       process.stdout.write(Buffer.from(m).toString("hex"));`,
    ],
    { encoding: "utf8", cwd: path.dirname(fileURLToPath(import.meta.url)) },
  );
  assert.equal(made.status, 0, made.stderr);
  const message = Uint8Array.from(Buffer.from(made.stdout, "hex"));
  // The allocator writes its free-list links over the start of a freed
  // block: look for the last 16 bytes.
  const tail = dataKey.subarray(16);
  assert.equal(_wasmMemoryIncludes(tail), false);
  const client = fakeKms({ dataKey });
  const { plaintext } = await decrypt(new KmsMrkKeyring({ client, keyIds: [WEST] }), message);
  assert.deepEqual(plaintext, utf8("secret"));
  assert.equal(_wasmMemoryIncludes(tail), false, "after decrypt");
  // A response the core rejects (a 31-byte key) is wiped too.
  const short = dataKey.subarray(0, 31);
  const bad = fakeKms({ behave: { decrypt: (p, r) => ({ ...r, Plaintext: short.slice() }) } });
  await assert.rejects(decrypt(new KmsMrkKeyring({ client: bad, keyIds: [WEST] }), message), isMrkenvError("NoDecryptableKey"));
  assert.equal(_wasmMemoryIncludes(short.subarray(15)), false, "after a rejected Decrypt answer");
  // The caller's arrays are not modified.
  const wrappingKey = Uint8Array.from({ length: 32 }, (_, i) => 0x3c ^ (i * 53));
  const raw = new RawAesKeyring({ keyNamespace: "app", keyName: "k", wrappingKey });
  assert.deepEqual(wrappingKey, Uint8Array.from({ length: 32 }, (_, i) => 0x3c ^ (i * 53)));
  assert.deepEqual((await decrypt(raw, await encrypt(raw, utf8("r")))).plaintext, utf8("r"));
});
