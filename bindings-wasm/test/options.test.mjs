// First contact: misspelled options are refused (never silently ignored),
// the KMS client's Region is checked against the keyring up front, a string
// given for bytes gets a hint, and every core limit is settable.

import test from "node:test";
import assert from "node:assert/strict";
import { KMS } from "@aws-sdk/client-kms";
import {
  Action,
  KmsMrkDiscoveryKeyring,
  KmsMrkKeyring,
  MrkenvError,
  RawAesKeyring,
  decrypt,
  decryptRecord,
  decryptStream,
  defaultLimits,
  encrypt,
  encryptRecord,
  encryptStream,
  inspect,
  rekey,
  rekeyHeader,
  rekeyRecord,
} from "mrkenv";
import { encryptRecordWith, encryptStreamWith, encryptWith } from "mrkenv/testing";
import { chunked, collect, utf8 } from "./helpers.mjs";

const EAST = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const WEST = "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const SINGLE_EAST = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

const raw = (fill = 1, name = "key-1") =>
  new RawAesKeyring({ keyNamespace: "app", keyName: name, wrappingKey: new Uint8Array(32).fill(fill) });

function isError(type, pattern, code) {
  return (e) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${e?.stack ?? e}`);
    if (code !== undefined) assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  };
}
const typeError = (pattern) => isError(TypeError, pattern);
const mrkenvError = (code, pattern) => isError(MrkenvError, pattern, code);

/** A fake KMS (one data key) whose Region is `region` (AWS SDK v3 shape: config.region() async). */
function fakeKms({ region, dataKey = new Uint8Array(32).fill(9) } = {}) {
  const calls = [];
  const regionCalls = [];
  const client = {
    calls,
    regionCalls,
    async generateDataKey(p) {
      calls.push({ op: "GenerateDataKey", ...p });
      return { KeyId: p.KeyId, Plaintext: dataKey.slice(), CiphertextBlob: utf8(`blob:${p.KeyId}`) };
    },
    async encrypt(p) {
      calls.push({ op: "Encrypt", ...p });
      return { KeyId: p.KeyId, CiphertextBlob: utf8(`blob:${p.KeyId}`) };
    },
    async decrypt(p) {
      calls.push({ op: "Decrypt", ...p });
      return { KeyId: p.KeyId, Plaintext: dataKey.slice() };
    },
  };
  if (region !== undefined) {
    client.config = {
      region: async () => {
        regionCalls.push(region);
        return region;
      },
    };
  }
  return client;
}

// ------------------------------------------------------------ unknown options

test("decrypt with a misspelled required context is refused, not run without the check", async () => {
  const keyring = raw();
  const message = await encrypt(keyring, utf8("x"), { encryptionContext: { tenant: "acme" } });
  await assert.rejects(
    decrypt(keyring, message, { context: { tenant: "evil" } }),
    typeError(/^decrypt options: unknown option "context" \(accepted: encryptionContext, limits\)$/),
  );
  // The right name still checks.
  await assert.rejects(decrypt(keyring, message, { encryptionContext: { tenant: "evil" } }), mrkenvError("ContextMismatch", /tenant/));
});

test("encrypt with encryption_context is refused, not sealed with an empty context", async () => {
  await assert.rejects(
    encrypt(raw(), utf8("x"), { encryption_context: { tenant: "acme" } }),
    typeError(/^encrypt options: unknown option "encryption_context" \(accepted: encryptionContext, frameLength, limits\)$/),
  );
});

test("every function taking options refuses an unknown key, naming it and the accepted ones", async () => {
  const keyring = raw();
  const message = await encrypt(keyring, utf8("x"));
  const table = { tableName: "t", partitionKey: "pk" };
  const item = { pk: { S: "1" }, a: { S: "v" } };
  const record = await encryptRecord(keyring, item, { ...table, actions: { pk: Action.SIGN_ONLY, a: Action.ENCRYPT_AND_SIGN } });
  assert.throws(() => encryptStream(keyring, { frame_length: 4096 }), typeError(/^encryptStream options: unknown option "frame_length" \(accepted: encryptionContext, frameLength, limits\)$/));
  assert.throws(() => decryptStream(keyring, { context: {} }), typeError(/^decryptStream options: unknown option "context" \(accepted: encryptionContext, limits\)$/));
  assert.throws(() => inspect(message, { maxHeaderBytes: 10 }), typeError(/^inspect options: unknown option "maxHeaderBytes" \(accepted: limits\)$/));
  await assert.rejects(encryptRecord(keyring, item, { ...table, actions: {}, context: {} }), typeError(/encryptRecord options: unknown option "context"/));
  await assert.rejects(decryptRecord(keyring, record, { ...table, context: {} }), typeError(/decryptRecord options: unknown option "context"/));
  await assert.rejects(rekey(keyring, message, { context: {} }), typeError(/rekey options: unknown option "context"/));
  await assert.rejects(rekeyHeader(keyring, message, { removes: [] }), typeError(/rekeyHeader options: unknown option "removes"/));
  await assert.rejects(rekeyRecord(keyring, record, { ...table, context: {} }), typeError(/rekeyRecord options: unknown option "context"/));
  // The limits object too.
  await assert.rejects(
    decrypt(keyring, message, { limits: { maxEdks: 1 } }),
    typeError(/^limits: unknown option "maxEdks" \(accepted: maxEncryptedDataKeys, maxHeaderBytes, maxContextEntries, maxContextBytes, maxFrameLength, maxRecordAttributes, maxRecordDepth\)$/),
  );
  // The test hooks as well.
  await assert.rejects(encryptWith(keyring, utf8("x"), { messageId: new Uint8Array(32), context: {} }), typeError(/encryptWith options: unknown option "context"/));
  assert.throws(() => encryptStreamWith(keyring, { messageId: new Uint8Array(32), context: {} }), typeError(/encryptStreamWith options: unknown option "context"/));
  await assert.rejects(encryptRecordWith(keyring, item, { ...table, actions: {}, messageId: new Uint8Array(32), context: {} }), typeError(/encryptRecordWith options: unknown option "context"/));
});

test("keyring constructor arguments refuse unknown keys", () => {
  const client = fakeKms();
  assert.throws(
    () => new KmsMrkKeyring({ client, keyIds: [EAST], grantToken: ["t"] }),
    typeError(/^KmsMrkKeyring options: unknown option "grantToken" \(accepted: client, keyIds, grantTokens\)$/),
  );
  assert.throws(
    () => new KmsMrkKeyring({ client, keyId: EAST }),
    typeError(/^KmsMrkKeyring options: unknown option "keyId"/),
  );
  assert.throws(
    () => new KmsMrkDiscoveryKeyring({ client, region: "us-east-1", filter: { partition: "aws", accountIds: ["111122223333"] } }),
    typeError(/^KmsMrkDiscoveryKeyring options: unknown option "filter" \(accepted: client, region, discoveryFilter, grantTokens\)$/),
  );
  assert.throws(
    () => new KmsMrkDiscoveryKeyring({ client, region: "us-east-1", discoveryFilter: { partition: "aws", accountIds: ["111122223333"], account: "x" } }),
    typeError(/^discoveryFilter: unknown option "account" \(accepted: partition, accountIds\)$/),
  );
  assert.throws(
    () => new RawAesKeyring({ keyNamespace: "a", keyName: "b", wrappingKey: new Uint8Array(32), key: new Uint8Array(32) }),
    typeError(/^RawAesKeyring options: unknown option "key" \(accepted: keyNamespace, keyName, wrappingKey\)$/),
  );
});

// --------------------------------------------------------- strings for bytes

test("a string where bytes are expected is a TypeError with a base64, hex or TextEncoder hint", async () => {
  const keyring = raw();
  await assert.rejects(decrypt(keyring, "AYAAFJwWq9zPBCkYr2VB7k9uAAAAAQAHYXdzLWttcwBLYXJuOmF3cw=="), typeError(/^ciphertext must be a Uint8Array, got a string: this looks like base64 text; decode it to bytes first/));
  await assert.rejects(decrypt(keyring, "0180a1b2c3d4e5f60718293a4b5c6d7e"), typeError(/^ciphertext must be a Uint8Array, got a string: this looks like hex text; decode it to bytes first/));
  await assert.rejects(encrypt(keyring, "hello, world"), typeError(/^plaintext must be a Uint8Array, got a string: encode text with new TextEncoder\(\)\.encode\(s\)$/));
  assert.throws(() => inspect("AYAAFJwWq9zPBCkYr2VB7k9u"), typeError(/this looks like base64 text/));
  assert.throws(
    () => new RawAesKeyring({ keyNamespace: "a", keyName: "b", wrappingKey: "0101010101010101010101010101010101010101010101010101010101010101" }),
    typeError(/^wrappingKey must be a Uint8Array, got a string: this looks like hex text/),
  );
});

// ------------------------------------------------------------------- Regions

test("strict keyring: a client for another Region fails up front with the core's message, no KMS call", async () => {
  const client = fakeKms({ region: "us-west-2" });
  const keyring = new KmsMrkKeyring({ client, keyIds: [EAST] });
  const expected = mrkenvError(
    "InvalidArgument",
    /the KMS client is for us-west-2 but the key arn:aws:kms:us-east-1:111122223333:key\/mrk-1234abcd12ab34cd56ef1234567890ab is in us-east-1: give a client for us-east-1; to use the multi-Region key's replica in us-west-2, configure arn:aws:kms:us-west-2:/,
  );
  await assert.rejects(encrypt(keyring, utf8("x")), expected);
  const message = await encrypt(new KmsMrkKeyring({ client: fakeKms({ region: "us-east-1" }), keyIds: [EAST] }), utf8("x"));
  await assert.rejects(decrypt(keyring, message), expected);
  await assert.rejects(collect(chunked(message, 5).pipeThrough(decryptStream(keyring))), expected);
  assert.deepEqual(client.calls, []);
  assert.deepEqual(client.regionCalls, ["us-west-2"], "the Region is asked once per keyring");
  // A single-Region key in another Region: no replica hint.
  const single = new KmsMrkKeyring({ client: fakeKms({ region: "eu-west-1" }), keyIds: [SINGLE_EAST] });
  await assert.rejects(encrypt(single, utf8("x")), (e) => e.code === "InvalidArgument" && /client is for eu-west-1/.test(e.message) && !/replica/.test(e.message));
  // The right Region works, and so does a client that names no Region.
  const west = fakeKms({ region: "us-west-2" });
  assert.deepEqual((await decrypt(new KmsMrkKeyring({ client: west, keyIds: [WEST] }), message)).plaintext, utf8("x"));
  assert.deepEqual((await decrypt(new KmsMrkKeyring({ client: fakeKms(), keyIds: [WEST] }), message)).plaintext, utf8("x"));
});

test("strict keyring with a real AWS SDK v3 client of another Region: refused before any request", async () => {
  const client = new KMS({
    region: "us-west-2",
    endpoint: "http://127.0.0.1:9", // nothing listens: a request would fail differently
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  const keyring = new KmsMrkKeyring({ client, keyIds: [EAST] });
  await assert.rejects(encrypt(keyring, utf8("x")), mrkenvError("InvalidArgument", /the KMS client is for us-west-2 but the key .* is in us-east-1/));
});

test("discovery keyring: the Region comes from the client when none is given", async () => {
  const message = await encrypt(new KmsMrkKeyring({ client: fakeKms({ region: "us-east-1" }), keyIds: [EAST] }), utf8("mrk"));
  const client = fakeKms({ region: "us-west-2" });
  const keyring = new KmsMrkDiscoveryKeyring({ client, discoveryFilter: { partition: "aws", accountIds: ["111122223333"] } });
  assert.equal(keyring.region, undefined, "not known before first use");
  assert.deepEqual((await decrypt(keyring, message)).plaintext, utf8("mrk"));
  assert.equal(keyring.region, "us-west-2");
  assert.equal(client.calls[0].KeyId, WEST, "asked in the client's Region");
  assert.deepEqual((await decrypt(keyring, message)).plaintext, utf8("mrk"));
  assert.deepEqual(client.regionCalls, ["us-west-2"]);
  // config.region as a plain string (some hand-made clients) works too.
  const plain = { ...fakeKms(), config: { region: "us-west-2" } };
  assert.deepEqual((await decrypt(new KmsMrkDiscoveryKeyring({ client: plain }), message)).plaintext, utf8("mrk"));
});

test("discovery keyring: a given Region that differs from the client's is refused; no Region at all is refused", async () => {
  const message = await encrypt(new KmsMrkKeyring({ client: fakeKms({ region: "us-east-1" }), keyIds: [EAST] }), utf8("mrk"));
  const client = fakeKms({ region: "us-west-2" });
  const keyring = new KmsMrkDiscoveryKeyring({ client, region: "us-east-1" });
  assert.equal(keyring.region, "us-east-1");
  await assert.rejects(
    decrypt(keyring, message),
    mrkenvError("InvalidArgument", /^invalid argument: the KMS client is for us-west-2 but the discovery keyring is for us-east-1: give a client for us-east-1 or leave the Region out to take the client's$/),
  );
  assert.deepEqual(client.calls, []);
  const nowhere = new KmsMrkDiscoveryKeyring({ client: fakeKms() });
  await assert.rejects(decrypt(nowhere, message), mrkenvError("InvalidArgument", /the discovery keyring has no Region: give `region`, or a client whose config.region\(\) names one/));
  // A client whose Region provider fails: that failure is the cause.
  const failing = { ...fakeKms(), config: { region: async () => { throw new Error("Region is missing"); } } };
  await assert.rejects(decrypt(new KmsMrkDiscoveryKeyring({ client: failing }), message), (e) => {
    assert.equal(e.code, "InvalidArgument");
    assert.match(e.message, /client.config.region\(\)\) failed: Region is missing/);
    assert.equal(e.cause.message, "Region is missing");
    return true;
  });
  // The filter is still checked at construction without a Region.
  assert.throws(() => new KmsMrkDiscoveryKeyring({ client, discoveryFilter: { partition: "aws", accountIds: [] } }), (e) => e.code === "Keyring");
});

// -------------------------------------------------------------------- limits

test("defaultLimits are the core's documented defaults", () => {
  assert.deepEqual(defaultLimits(), {
    maxEncryptedDataKeys: 16,
    maxHeaderBytes: 262144,
    maxContextEntries: 128,
    maxContextBytes: 65536,
    maxFrameLength: 16777216,
    maxRecordAttributes: 4096,
    maxRecordDepth: 32,
  });
});

test("a lower limit is enforced by decrypt, the streams, inspect, records and re-key", async () => {
  const client = fakeKms();
  const two = new KmsMrkKeyring({ client, keyIds: [EAST, SINGLE_EAST] });
  const context = { a: "1", b: "2" };
  const message = await encrypt(two, utf8("limits"), { encryptionContext: context, frameLength: 4096 });
  const limit = (pattern) => mrkenvError("LimitExceeded", pattern);
  // Defaults accept the message.
  assert.deepEqual((await decrypt(two, message, { limits: {} })).plaintext, utf8("limits"));
  const calls = client.calls.length;
  await assert.rejects(decrypt(two, message, { limits: { maxEncryptedDataKeys: 1 } }), limit(/encrypted data keys: 2 exceeds the limit of 1/));
  await assert.rejects(decrypt(two, message, { limits: { maxContextEntries: 1 } }), limit(/exceeds the limit of 1/));
  await assert.rejects(decrypt(two, message, { limits: { maxContextBytes: 3 } }), limit(/exceeds the limit of 3/));
  await assert.rejects(decrypt(two, message, { limits: { maxHeaderBytes: 64 } }), limit(/exceeds the limit of 64/));
  await assert.rejects(decrypt(two, message, { limits: { maxFrameLength: 2048 } }), limit(/exceeds the limit of 2048/));
  assert.equal(client.calls.length, calls, "no KMS call for a message over a limit");
  await assert.rejects(collect(chunked(message, 9).pipeThrough(decryptStream(two, { limits: { maxEncryptedDataKeys: 1 } }))), limit(/encrypted data keys/));
  assert.throws(() => inspect(message, { limits: { maxHeaderBytes: 64 } }), limit(/exceeds the limit of 64/));
  assert.equal(inspect(message, { limits: { maxHeaderBytes: 4096 } }).encryptedDataKeys.length, 2);
  // Encrypt side: the key count and the context.
  await assert.rejects(encrypt(two, utf8("x"), { limits: { maxEncryptedDataKeys: 1 } }), limit(/encrypted data keys: 2 exceeds the limit of 1/));
  await assert.rejects(collect(chunked(utf8("x"), 1).pipeThrough(encryptStream(two, { encryptionContext: context, limits: { maxContextEntries: 1 } }))), limit(/exceeds the limit of 1/));
  // Re-key: the result must stay under the limit.
  const keyring = raw();
  const one = await encrypt(keyring, utf8("r"));
  await assert.rejects(rekey(keyring, one, { add: raw(2, "key-2"), limits: { maxEncryptedDataKeys: 1 } }), limit(/exceeds the limit of 1/));
  await assert.rejects(rekeyHeader(keyring, one, { add: raw(2, "key-2"), limits: { maxEncryptedDataKeys: 1 } }), limit(/exceeds the limit of 1/));
  assert.ok((await rekey(keyring, one, { add: raw(2, "key-2"), limits: { maxEncryptedDataKeys: 2 } })).length > one.length);
  // Records: attributes and depth.
  const table = { tableName: "t", partitionKey: "pk" };
  const actions = { pk: Action.SIGN_ONLY, a: Action.ENCRYPT_AND_SIGN, b: Action.ENCRYPT_AND_SIGN };
  const item = { pk: { S: "1" }, a: { L: [{ L: [{ S: "deep" }] }] }, b: { S: "v" } };
  await assert.rejects(encryptRecord(keyring, item, { ...table, actions, limits: { maxRecordAttributes: 2 } }), limit(/exceeds the limit of 2/));
  await assert.rejects(encryptRecord(keyring, item, { ...table, actions, limits: { maxRecordDepth: 1 } }), limit(/limit of 1/));
  const record = await encryptRecord(keyring, item, { ...table, actions });
  await assert.rejects(decryptRecord(keyring, record, { ...table, limits: { maxRecordAttributes: 2 } }), limit(/exceeds the limit of 2/));
  // A stored record nested deeper than the reader allows is malformed for it (the core's choice).
  await assert.rejects(decryptRecord(keyring, record, { ...table, limits: { maxRecordDepth: 1 } }), mrkenvError("MalformedMessage", /nested deeper than 1 levels/));
  await assert.rejects(rekeyRecord(keyring, record, { ...table, add: raw(2, "key-2"), limits: { maxEncryptedDataKeys: 1 } }), limit(/exceeds the limit of 1/));
  assert.deepEqual(await decryptRecord(keyring, record, { ...table, limits: { maxRecordAttributes: 3, maxRecordDepth: 3 } }), item);
});

test("limits must be positive integers", async () => {
  const keyring = raw();
  const message = await encrypt(keyring, utf8("x"));
  for (const bad of [0, -1, 1.5, "10", 2 ** 32, null]) {
    await assert.rejects(decrypt(keyring, message, { limits: { maxHeaderBytes: bad } }), typeError(/^limits\.maxHeaderBytes must be an integer from 1 to 4294967295/));
  }
  await assert.rejects(decrypt(keyring, message, { limits: 5 }), typeError(/limits must be an object/));
});

// ------------------------------------------------------------ key hygiene

test("the KMS response's own Plaintext buffer is wiped in place on every path (messages, streams, records, re-key)", async () => {
  const returned = []; // every Plaintext the client handed back, kept by reference
  const client = fakeKms();
  for (const op of ["generateDataKey", "decrypt"]) {
    const original = client[op];
    client[op] = async (p) => {
      const response = await original(p);
      returned.push(response.Plaintext);
      return response;
    };
  }
  const keyring = new KmsMrkKeyring({ client, keyIds: [EAST] });
  const message = await encrypt(keyring, utf8("m"));
  await decrypt(keyring, message);
  await collect(chunked(message, 3).pipeThrough(decryptStream(keyring)));
  const table = { tableName: "t", partitionKey: "pk" };
  const record = await encryptRecord(keyring, { pk: { S: "1" }, a: { S: "v" } }, { ...table, actions: { pk: Action.SIGN_ONLY, a: Action.ENCRYPT_AND_SIGN } });
  await decryptRecord(keyring, record, table);
  await rekey(keyring, message, { add: raw() });
  await rekeyRecord(keyring, record, { ...table, add: raw() });
  assert.equal(returned.length, 7); // 2 GenerateDataKey, 5 Decrypt
  for (const buffer of returned) assert.deepEqual(buffer, new Uint8Array(32), "zeroed in place after the answer");
});
