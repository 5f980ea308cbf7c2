// Re-keying messages and records (issue 14, docs/FORMAT.md part 15): rekey,
// rekeyHeader and rekeyRecord with scripted clients (frames and attributes
// unchanged, every refusal before anything is returned, the cause rule), a
// shared vector reproduced byte for byte, and the cross-Region scenarios
// against moto (KMS, and DynamoDB for records).

import test, { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  KmsMrkDiscoveryKeyring,
  KmsMrkKeyring,
  Action,
  MrkenvError,
  RawAesKeyring,
  decrypt,
  decryptRecord,
  encrypt,
  encryptRecord,
  inspect,
  rekey,
  rekeyHeader,
  rekeyRecord,
} from "mrkenv";
import { VECTORS_DIR, counting, hex, kmsClient, startMoto, toHex, utf8, vectorClient } from "./helpers.mjs";

const K1 = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const K2 = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const K3 = "arn:aws:kms:us-west-2:111122223333:key/99999999-12ab-34cd-56ef-1234567890ab";
const MRK_EAST = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const MRK_WEST = "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const CONTEXT = { tenant: "acme", purpose: "rekey" };

const isCode = (code) => (e) => {
  assert.ok(e instanceof MrkenvError, `expected MrkenvError ${code}, got ${e?.stack ?? e}`);
  assert.equal(e.code, code, e.message);
  return true;
};

/**
 * A deterministic fake KMS: a blob is `<keyId>|<data key hex>|<context>`,
 * opened only when asked with that key id and context. Records every call.
 */
function fakeKms() {
  const calls = [];
  const context = (c) => JSON.stringify(Object.entries(c).sort());
  const blob = (keyId, key, c) => utf8(`${keyId}|${toHex(key)}|${context(c)}`);
  return {
    calls,
    async generateDataKey({ KeyId, NumberOfBytes, EncryptionContext }) {
      calls.push({ op: "GenerateDataKey", KeyId });
      const key = crypto.getRandomValues(new Uint8Array(NumberOfBytes));
      return { KeyId, Plaintext: key, CiphertextBlob: blob(KeyId, key, EncryptionContext) };
    },
    async encrypt({ KeyId, Plaintext, EncryptionContext }) {
      calls.push({ op: "Encrypt", KeyId });
      return { KeyId, CiphertextBlob: blob(KeyId, Plaintext, EncryptionContext) };
    },
    async decrypt({ KeyId, CiphertextBlob, EncryptionContext }) {
      calls.push({ op: "Decrypt", KeyId });
      const [keyId, key, c] = new TextDecoder().decode(CiphertextBlob).split("|");
      if (keyId !== KeyId || c !== context(EncryptionContext)) {
        const e = new Error(`fake KMS: cannot decrypt with ${KeyId}`);
        e.name = "IncorrectKeyException";
        throw e;
      }
      return { KeyId, Plaintext: hex(key) };
    },
  };
}

const kms = (client, ...keyIds) => new KmsMrkKeyring({ client, keyIds });
const raw = (keyName, fill) => new RawAesKeyring({ keyNamespace: "app", keyName, wrappingKey: new Uint8Array(32).fill(fill) });
const plaintext = (n) => new Uint8Array(n).map((_, i) => (i * 7 + 3) & 255);
const arns = (message) => inspect(message).encryptedDataKeys.map((k) => k.providerInfo);

/** Where the body starts: a re-key that changes nothing gives it. */
async function bodyOffsetOf(keyring, message) {
  return (await rekeyHeader(keyring, message)).bodyOffset;
}

test("frames stay byte for byte; the added key opens the message; the header keeps id, context and frame length", async () => {
  const client = fakeKms();
  const message = await encrypt(kms(client, K1), plaintext(5000), { encryptionContext: CONTEXT, frameLength: 1024 });
  const oldOffset = await bodyOffsetOf(kms(client, K1), message);
  client.calls.length = 0;
  const rekeyed = await rekey(kms(client, K1), message, { add: kms(client, K2) });
  assert.deepEqual(client.calls, [{ op: "Decrypt", KeyId: K1 }, { op: "Encrypt", KeyId: K2 }]);
  const newOffset = await bodyOffsetOf(kms(client, K2), rekeyed);
  assert.ok(newOffset > oldOffset);
  assert.deepEqual(rekeyed.subarray(newOffset), message.subarray(oldOffset));
  const [before, after] = [inspect(message), inspect(rekeyed)];
  assert.deepEqual(arns(rekeyed), [K1, K2]);
  for (const field of ["version", "suite", "messageId", "encryptionContext", "frameLength"]) {
    assert.deepEqual(after[field], before[field], field);
  }
  assert.deepEqual((await decrypt(kms(client, K2), rekeyed)).plaintext, plaintext(5000));
  assert.deepEqual((await decrypt(kms(client, K1), rekeyed)).plaintext, plaintext(5000));
});

test("rekeyHeader: the new head spliced onto the old body equals rekey(); more than the head is ignored", async () => {
  const client = fakeKms();
  const message = await encrypt(kms(client, K1), plaintext(3000), { encryptionContext: CONTEXT, frameLength: 1024 });
  const options = { add: kms(client, K2), remove: [K1] };
  const whole = await rekey(kms(client, K1), message, options);
  const offset = await bodyOffsetOf(kms(client, K1), message);
  for (const prefix of [message.subarray(0, offset), message.subarray(0, offset + 100), message]) {
    const { head, bodyOffset } = await rekeyHeader(kms(client, K1), prefix, options);
    assert.ok(head instanceof Uint8Array);
    assert.equal(bodyOffset, offset);
    assert.deepEqual(new Uint8Array([...head, ...message.subarray(bodyOffset)]), whole);
  }
  // One byte short of the header tag: truncated, before any KMS call.
  client.calls.length = 0;
  await assert.rejects(rekeyHeader(kms(client, K1), message.subarray(0, offset - 1), options), isCode("MalformedMessage"));
  assert.deepEqual(client.calls, []);
});

test("add a raw AES key and remove the KMS key: no Encrypt call, and the removed key alone no longer opens it", async () => {
  const client = fakeKms();
  const message = await encrypt(kms(client, K1), plaintext(2000), { encryptionContext: CONTEXT });
  client.calls.length = 0;
  const rekeyed = await rekey(kms(client, K1), message, { add: raw("key-2026", 2), remove: [K1] });
  assert.deepEqual(client.calls, [{ op: "Decrypt", KeyId: K1 }]);
  assert.deepEqual(
    inspect(rekeyed).encryptedDataKeys.map((k) => [k.providerId, k.providerInfo]),
    [["app", "key-2026"]],
  );
  assert.deepEqual((await decrypt(raw("key-2026", 2), rekeyed)).plaintext, plaintext(2000));
  client.calls.length = 0;
  await assert.rejects(decrypt(kms(client, K1), rekeyed), isCode("NoDecryptableKey"));
  assert.deepEqual(client.calls, [], "no KMS call for a key the message no longer has");
  // And back: remove the raw AES key by its name, add the KMS key again.
  const back = await rekey(raw("key-2026", 2), rekeyed, { add: kms(client, K1), remove: ["key-2026"] });
  assert.deepEqual(arns(back), [K1]);
  assert.deepEqual((await decrypt(kms(client, K1), back)).plaintext, plaintext(2000));
});

test("a wrong keyring fails with NoDecryptableKey and nothing is wrapped", async () => {
  const client = fakeKms();
  const message = await encrypt(kms(client, K1), plaintext(100));
  const adder = fakeKms();
  for (const keyring of [kms(client, K3), raw("key-1", 1), new KmsMrkDiscoveryKeyring({ client, region: "eu-west-1" })]) {
    await assert.rejects(rekey(keyring, message, { add: kms(adder, K2) }), isCode("NoDecryptableKey"));
    await assert.rejects(rekeyHeader(keyring, message, { add: kms(adder, K2) }), isCode("NoDecryptableKey"));
  }
  assert.deepEqual(adder.calls, []);
});

test("removing every key, or a key the message lacks, is InvalidArgument before any KMS call", async () => {
  const client = fakeKms();
  const message = await encrypt(kms(client, K1, K2), plaintext(100));
  client.calls.length = 0;
  await assert.rejects(rekey(kms(client, K1), message, { remove: [K1, K2] }), (e) => {
    isCode("InvalidArgument")(e);
    assert.match(e.message, /no encrypted data key/);
    return true;
  });
  await assert.rejects(rekeyHeader(kms(client, K1), message, { remove: [K2, K1] }), isCode("InvalidArgument"));
  await assert.rejects(rekey(kms(client, K1), message, { remove: [K3] }), (e) => {
    isCode("InvalidArgument")(e);
    assert.ok(e.message.includes(K3), e.message);
    return true;
  });
  await assert.rejects(rekey(kms(client, K1), message, { remove: ["arn:aws:kms:nope"] }), isCode("InvalidArn"));
  assert.deepEqual(client.calls, []);
});

test("matchReplicas: removing an MRK ARN removes its replicas' keys only when asked", async () => {
  const client = fakeKms();
  const message = await encrypt(kms(client, MRK_EAST, K1), plaintext(100));
  await assert.rejects(rekey(kms(client, K1), message, { remove: [MRK_WEST] }), isCode("InvalidArgument"));
  const rekeyed = await rekey(kms(client, K1), message, { remove: [MRK_WEST], matchReplicas: true });
  assert.deepEqual(arns(rekeyed), [K1]);
});

test("the context cannot be changed: a required context is checked before any KMS call", async () => {
  const client = fakeKms();
  const message = await encrypt(kms(client, K1), plaintext(100), { encryptionContext: CONTEXT });
  client.calls.length = 0;
  await assert.rejects(rekey(kms(client, K1), message, { add: kms(client, K2), encryptionContext: { tenant: "evil" } }), isCode("ContextMismatch"));
  await assert.rejects(rekeyHeader(kms(client, K1), message, { encryptionContext: new Map([["absent", "x"]]) }), isCode("ContextMismatch"));
  assert.deepEqual(client.calls, []);
  const rekeyed = await rekey(kms(client, K1), message, { add: kms(client, K2), encryptionContext: { tenant: "acme" } });
  assert.deepEqual(inspect(rekeyed).encryptionContext, CONTEXT);
  // The wrapping call was made under the message's context (the fake KMS binds it).
  assert.deepEqual((await decrypt(kms(client, K2), rekeyed, { encryptionContext: CONTEXT })).plaintext, plaintext(100));
});

test("a tampered header cannot be re-keyed into a valid message: Authentication, nothing wrapped", async () => {
  const client = fakeKms();
  const message = await encrypt(kms(client, K1), plaintext(3000), { encryptionContext: CONTEXT, frameLength: 1024 });
  const offset = await bodyOffsetOf(kms(client, K1), message);
  const idAt = toHex(message).indexOf(inspect(message).messageId) / 2;
  assert.ok(idAt > 0);
  for (const at of [idAt + 5, offset - 1]) {
    // The message id (under the commitment) and the header tag itself.
    const tampered = message.slice();
    tampered[at] ^= 1;
    const adder = fakeKms();
    await assert.rejects(rekey(kms(client, K1), tampered, { add: kms(adder, K2) }), isCode("Authentication"));
    await assert.rejects(rekeyHeader(kms(client, K1), tampered, { add: kms(adder, K2) }), isCode("Authentication"));
    assert.deepEqual(adder.calls, []);
  }
  // A body with broken framing: rekey (which reads it) refuses before any KMS call; rekeyHeader does not read it.
  client.calls.length = 0;
  await assert.rejects(rekey(kms(client, K1), message.subarray(0, message.length - 1)), isCode("MalformedMessage"));
  await assert.rejects(rekey(kms(client, K1), new Uint8Array([...message, 0])), isCode("MalformedMessage"));
  assert.deepEqual(client.calls, []);
});

test("the cause rule: what the client threw is the cause; a rejected response never is", async () => {
  const client = fakeKms();
  const message = await encrypt(kms(client, K1), plaintext(100));
  const thrown = new Error("throttled");
  // The decrypt session: the keyring's client throws.
  const failing = { decrypt: async () => { throw thrown; } };
  await assert.rejects(rekey(kms(failing, K1), message, { add: raw("key-2", 2) }), (e) => {
    isCode("NoDecryptableKey")(e);
    assert.equal(e.cause, thrown);
    assert.equal(e.errors[0].cause, thrown);
    return true;
  });
  // The wrap session: the add keyring's client throws on Encrypt (a Keyring error).
  const adder = { decrypt: client.decrypt, encrypt: async () => { throw thrown; } };
  await assert.rejects(rekey(kms(client, K1), message, { add: kms(adder, K2) }), (e) => {
    isCode("Keyring")(e);
    assert.equal(e.cause, thrown);
    return true;
  });
  // A response mrkenv rejects (no ciphertext, or a KeyId that is not a key ARN): no cause.
  const liar = { decrypt: client.decrypt, encrypt: async (p) => ({ ...(await client.encrypt(p)), CiphertextBlob: undefined }) };
  await assert.rejects(rekey(kms(client, K1), message, { add: kms(liar, K2) }), (e) => {
    isCode("Keyring")(e);
    assert.equal("cause" in e, false);
    return true;
  });
  liar.encrypt = async (p) => ({ ...(await client.encrypt(p)), KeyId: "alias/x" });
  await assert.rejects(rekeyHeader(kms(client, K1), message, { add: kms(liar, K2) }), (e) => {
    isCode("Keyring")(e);
    assert.equal("cause" in e, false);
    return true;
  });
  // A client without encrypt(): a TypeError, as for encrypt.
  await assert.rejects(rekey(kms(client, K1), message, { add: kms({ decrypt: client.decrypt }, K2) }), TypeError);
});

test("options: unknown names and wrong types are TypeErrors; a discovery keyring cannot add", async () => {
  const client = fakeKms();
  const message = await encrypt(kms(client, K1), plaintext(100));
  const keyring = kms(client, K1);
  for (const [fn, what] of [[rekey, "rekey options"], [rekeyHeader, "rekeyHeader options"]]) {
    await assert.rejects(fn(keyring, message, { adds: raw("k", 2) }), (e) => {
      assert.ok(e instanceof TypeError, String(e));
      assert.equal(e.message, `${what}: unknown option "adds" (accepted: add, remove, encryptionContext, matchReplicas, limits)`);
      return true;
    });
    await assert.rejects(fn(keyring, message, { remove: K1 }), TypeError);
    await assert.rejects(fn(keyring, message, { remove: [1] }), TypeError);
    await assert.rejects(fn(keyring, message, { add: {} }), /add must be a KmsMrkKeyring/);
    await assert.rejects(fn(keyring, message, { matchReplicas: "yes" }), TypeError);
    await assert.rejects(fn(keyring, message, 5), TypeError);
    await assert.rejects(fn({}, message), TypeError);
    await assert.rejects(fn(keyring, "bytes"), TypeError);
    await assert.rejects(fn(keyring, message, { add: new KmsMrkDiscoveryKeyring({ client, region: "us-west-2" }) }), isCode("Keyring"));
  }
  assert.deepEqual(client.calls.filter((c) => c.op !== "GenerateDataKey"), []);
  // No options at all: the same keys, a valid message.
  const same = await rekey(keyring, message, null);
  assert.deepEqual(same, message);
});

test("vector: ok-aws-kms-several-edks re-keyed is ok-rekeyed-aws-kms-replaced, byte for byte", async () => {
  const read = (name) => JSON.parse(readFileSync(path.join(VECTORS_DIR, `${name}.json`), "utf8"));
  const source = read("ok-aws-kms-several-edks");
  const target = read("ok-rekeyed-aws-kms-replaced");
  const spec = target.keyring;
  const added = {
    decrypt: async () => { throw new Error("not used"); },
    async encrypt(params) {
      assert.equal(params.KeyId, spec.key_ids[0]);
      assert.equal(toHex(params.Plaintext), target.data_key);
      assert.deepEqual(params.EncryptionContext, target.encryption_context);
      return { KeyId: spec.kms_responses[0].key_id, CiphertextBlob: hex(spec.kms_responses[0].ciphertext_blob) };
    },
  };
  const opener = kms(vectorClient(source.keyring, source.data_key), source.keyring.key_ids[0]);
  const rekeyed = await rekey(opener, hex(source.ciphertext), { add: kms(added, ...spec.key_ids), remove: [source.keyring.key_ids[1]] });
  assert.equal(toHex(rekeyed), target.ciphertext);
});

describe("against moto: encrypt in us-east-1, add a us-west-2 key, remove the us-east-1 key", () => {
  let moto;
  let east;
  let west;
  before(async () => {
    moto = await startMoto();
    east = await kmsClient(moto.endpoint, "us-east-1");
    west = await kmsClient(moto.endpoint, "us-west-2");
  });
  after(async () => {
    await moto?.stop();
  });

  test("the re-keyed message decrypts in us-west-2, not with the removed key, frames unchanged", async () => {
    const singleEast = (await east.createKey({ Description: "rekey east" })).KeyMetadata.Arn;
    const singleWest = (await west.createKey({ Description: "rekey west" })).KeyMetadata.Arn;
    assert.match(singleEast, /^arn:aws:kms:us-east-1:\d+:key\/[0-9a-f-]+$/);
    assert.match(singleWest, /^arn:aws:kms:us-west-2:/);
    const data = plaintext(100_000);
    const message = await encrypt(kms(east, singleEast), data, { encryptionContext: CONTEXT, frameLength: 4096 });
    const oldOffset = await bodyOffsetOf(kms(east, singleEast), message);

    // Add the us-west-2 key: Decrypt in us-east-1, Encrypt in us-west-2.
    const [eastSpy, westSpy] = [counting(east), counting(west)];
    const added = await rekey(kms(eastSpy, singleEast), message, { add: kms(westSpy, singleWest) });
    assert.deepEqual(eastSpy.calls, [{ op: "decrypt", KeyId: singleEast }]);
    assert.deepEqual(westSpy.calls, [{ op: "encrypt", KeyId: singleWest }]);
    assert.deepEqual(arns(added), [singleEast, singleWest]);

    // Remove the us-east-1 key, in us-west-2 (the header-only form agrees).
    const removed = await rekey(kms(west, singleWest), added, { remove: [singleEast] });
    const { head, bodyOffset } = await rekeyHeader(kms(west, singleWest), added.subarray(0, 4096), { remove: [singleEast] });
    assert.deepEqual(new Uint8Array([...head, ...added.subarray(bodyOffset)]), removed);
    assert.deepEqual(arns(removed), [singleWest]);
    assert.deepEqual(removed.subarray(head.length), message.subarray(oldOffset), "frames byte-identical to the original's");

    // It decrypts in us-west-2 (strict and discovery)...
    assert.deepEqual((await decrypt(kms(west, singleWest), removed, { encryptionContext: CONTEXT })).plaintext, data);
    assert.deepEqual((await decrypt(new KmsMrkDiscoveryKeyring({ client: west, region: "us-west-2" }), removed)).plaintext, data);
    // ...and no longer with the removed key alone (no KMS call), while the original still does.
    const spy = counting(east);
    await assert.rejects(decrypt(kms(spy, singleEast), removed), isCode("NoDecryptableKey"));
    await assert.rejects(decrypt(new KmsMrkDiscoveryKeyring({ client: spy, region: "us-east-1" }), removed), isCode("NoDecryptableKey"));
    assert.deepEqual(spy.calls, []);
    assert.deepEqual((await decrypt(kms(east, singleEast), message)).plaintext, data, "not revocation: the old copy still opens");
  });
});

// ------------------------------------------------------------------ records

const RESERVED = ["aws_mrkenv_header", "aws_mrkenv_tag"];
const TABLE = { tableName: "global-table-example", partitionKey: "employeeId", sortKey: "since" };
const ITEM = {
  employeeId: { S: "1234" },
  since: { N: "2019" },
  name: { S: "Andy" },
  tags: { SS: ["a", "b"] },
  photo: { B: new Uint8Array([1, 2, 3]) },
  dept: { S: "ops" },
  level: { N: "3" },
  note: { S: "free" },
};
const ACTIONS = {
  employeeId: Action.SIGN_ONLY,
  since: Action.SIGN_ONLY,
  name: Action.ENCRYPT_AND_SIGN,
  tags: Action.ENCRYPT_AND_SIGN,
  photo: Action.ENCRYPT_AND_SIGN,
  dept: Action.SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT,
  level: Action.SIGN_ONLY,
  note: Action.DO_NOTHING,
};
const encryptedRecord = (keyring) => encryptRecord(keyring, ITEM, { ...TABLE, actions: ACTIONS, encryptionContext: CONTEXT });
const sorted = (item) => Object.keys(item).sort();

test("rekeyRecord: only the header attribute and the tag change; the added key opens it, the removed key alone does not", async () => {
  const client = fakeKms();
  const stored = await encryptedRecord(kms(client, K1));
  client.calls.length = 0;
  const rekeyed = await rekeyRecord(kms(client, K1), stored, { ...TABLE, add: kms(client, K2), remove: [K1] });
  assert.deepEqual(client.calls, [{ op: "Decrypt", KeyId: K1 }, { op: "Encrypt", KeyId: K2 }]);
  assert.deepEqual(sorted(rekeyed), sorted(stored));
  for (const name of Object.keys(stored)) {
    if (RESERVED.includes(name)) {
      assert.ok(rekeyed[name].B instanceof Uint8Array, name);
      assert.notDeepEqual(rekeyed[name], stored[name], `${name} is rewritten`);
    } else {
      assert.deepEqual(rekeyed[name], stored[name], `${name} stays as it was`);
    }
  }
  assert.deepEqual(await decryptRecord(kms(client, K2), rekeyed, { ...TABLE, encryptionContext: CONTEXT }), ITEM);
  client.calls.length = 0;
  await assert.rejects(decryptRecord(kms(client, K1), rekeyed, TABLE), isCode("NoDecryptableKey"));
  assert.deepEqual(client.calls, [], "no KMS call for a key the record no longer has");
  assert.deepEqual(await decryptRecord(kms(client, K1), stored, TABLE), ITEM, "not revocation: the old copy still opens");
  // Raw AES both ways: add a raw key (no KMS call), then drop the KMS key by ARN.
  client.calls.length = 0;
  const local = await rekeyRecord(kms(client, K2), rekeyed, { ...TABLE, add: raw("key-2026", 2), remove: [K2], encryptionContext: { tenant: "acme" } });
  assert.deepEqual(client.calls, [{ op: "Decrypt", KeyId: K2 }]);
  assert.deepEqual(await decryptRecord(raw("key-2026", 2), local, TABLE), ITEM);
});

test("rekeyRecord refusals: removing every key or a key the record lacks, another table, a context it lacks, a plaintext item: before any KMS call", async () => {
  const client = fakeKms();
  const stored = await encryptedRecord(kms(client, K1, K2));
  const adder = fakeKms();
  client.calls.length = 0;
  await assert.rejects(rekeyRecord(kms(client, K1), stored, { ...TABLE, remove: [K1, K2] }), (e) => {
    isCode("InvalidArgument")(e);
    assert.match(e.message, /no encrypted data key/);
    return true;
  });
  await assert.rejects(rekeyRecord(kms(client, K1), stored, { ...TABLE, add: kms(adder, K3), remove: [K3] }), (e) => {
    isCode("InvalidArgument")(e);
    assert.ok(e.message.includes(K3), e.message);
    return true;
  });
  await assert.rejects(rekeyRecord(kms(client, K1), stored, { ...TABLE, remove: ["arn:aws:kms:nope"] }), isCode("InvalidArn"));
  await assert.rejects(rekeyRecord(kms(client, K1), stored, { ...TABLE, tableName: "other-table", add: kms(adder, K3) }), isCode("ContextMismatch"));
  await assert.rejects(rekeyRecord(kms(client, K1), stored, { ...TABLE, sortKey: undefined }), isCode("ContextMismatch"));
  await assert.rejects(rekeyRecord(kms(client, K1), stored, { ...TABLE, encryptionContext: { tenant: "evil" } }), isCode("ContextMismatch"));
  await assert.rejects(rekeyRecord(kms(client, K1), ITEM, { ...TABLE, add: kms(adder, K3) }), isCode("MalformedMessage"));
  const { aws_mrkenv_tag: _, ...untagged } = stored;
  await assert.rejects(rekeyRecord(kms(client, K1), untagged, TABLE), isCode("MalformedMessage"));
  assert.deepEqual(client.calls, []);
  assert.deepEqual(adder.calls, []);
  // A keyring that holds none of the record's keys: NoDecryptableKey, nothing wrapped.
  await assert.rejects(rekeyRecord(raw("key-1", 1), stored, { ...TABLE, add: kms(adder, K3) }), isCode("NoDecryptableKey"));
  assert.deepEqual(adder.calls, []);
});

test("rekeyRecord: a tampered signed attribute (or tag) cannot be re-keyed into a valid record: Authentication, nothing wrapped", async () => {
  const client = fakeKms();
  const stored = await encryptedRecord(kms(client, K1));
  const flip = (b) => b.map((x, i) => (i === 3 ? x ^ 1 : x));
  for (const tampered of [
    { ...stored, level: { N: "4" } },
    { ...stored, name: { B: flip(stored.name.B) } },
    { ...stored, aws_mrkenv_tag: { B: flip(stored.aws_mrkenv_tag.B) } },
  ]) {
    const adder = fakeKms();
    await assert.rejects(rekeyRecord(kms(client, K1), tampered, { ...TABLE, add: kms(adder, K2) }), isCode("Authentication"));
    assert.deepEqual(adder.calls, []);
  }
  // A DO_NOTHING attribute may change: it is carried over as it is.
  const changed = await rekeyRecord(kms(client, K1), { ...stored, note: { S: "changed" } }, { ...TABLE, add: kms(client, K2) });
  assert.deepEqual(changed.note, { S: "changed" });
});

test("rekeyRecord options: unknown names and wrong types are TypeErrors; the table is required", async () => {
  const client = fakeKms();
  const stored = await encryptedRecord(kms(client, K1));
  const keyring = kms(client, K1);
  client.calls.length = 0;
  await assert.rejects(rekeyRecord(keyring, stored, { ...TABLE, allowPlaintext: true }), (e) => {
    assert.ok(e instanceof TypeError, String(e));
    assert.equal(
      e.message,
      'rekeyRecord options: unknown option "allowPlaintext" (accepted: add, remove, tableName, partitionKey, sortKey, encryptionContext, matchReplicas, limits)',
    );
    return true;
  });
  await assert.rejects(rekeyRecord(keyring, stored, { partitionKey: "employeeId" }), TypeError);
  await assert.rejects(rekeyRecord(keyring, stored), TypeError);
  await assert.rejects(rekeyRecord(keyring, stored, { ...TABLE, remove: K1 }), TypeError);
  await assert.rejects(rekeyRecord(keyring, stored, { ...TABLE, add: {} }), /add must be a KmsMrkKeyring/);
  await assert.rejects(rekeyRecord(keyring, stored, { ...TABLE, matchReplicas: 1 }), TypeError);
  await assert.rejects(rekeyRecord(keyring, new Map(), TABLE), TypeError);
  await assert.rejects(rekeyRecord({}, stored, TABLE), TypeError);
  await assert.rejects(rekeyRecord(keyring, stored, { ...TABLE, add: new KmsMrkDiscoveryKeyring({ client, region: "us-west-2" }) }), isCode("Keyring"));
  assert.deepEqual(client.calls, []);
  // Nothing added or removed: the same header, a valid record.
  const same = await rekeyRecord(keyring, stored, TABLE);
  assert.deepEqual(same.aws_mrkenv_header, stored.aws_mrkenv_header);
  assert.deepEqual(await decryptRecord(keyring, same, TABLE), ITEM);
});

describe("against moto: a record in us-east-1 gets a us-west-2 key, loses the us-east-1 key, and decrypts in us-west-2", () => {
  let moto;
  before(async () => {
    moto = await startMoto();
  });
  after(async () => {
    await moto?.stop();
  });

  test("rekeyRecord between GetItem and PutItem, with two single-Region keys", async () => {
    const { DynamoDBClient, CreateTableCommand, PutItemCommand, GetItemCommand } = await import("@aws-sdk/client-dynamodb");
    const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };
    const dynamo = (region) => new DynamoDBClient({ region, endpoint: moto.endpoint, credentials });
    const [east, west] = [await kmsClient(moto.endpoint, "us-east-1"), await kmsClient(moto.endpoint, "us-west-2")];
    const eastArn = (await east.createKey({ Description: "record rekey east" })).KeyMetadata.Arn;
    const westArn = (await west.createKey({ Description: "record rekey west" })).KeyMetadata.Arn;
    const TableName = "rekey-records";
    const [eastDb, westDb] = [dynamo("us-east-1"), dynamo("us-west-2")];
    for (const db of [eastDb, westDb]) {
      await db.send(
        new CreateTableCommand({
          TableName,
          KeySchema: [{ AttributeName: "employeeId", KeyType: "HASH" }],
          AttributeDefinitions: [{ AttributeName: "employeeId", AttributeType: "S" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
    }
    const options = { tableName: TableName, partitionKey: "employeeId" };
    const Key = { employeeId: { S: "1234" } };
    const item = { employeeId: { S: "1234" }, name: { S: "Andy" } };
    const get = async (db) => (await db.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }))).Item;
    const encrypted = await encryptRecord(kms(east, eastArn), item, { ...options, actions: { employeeId: Action.SIGN_ONLY, name: Action.ENCRYPT_AND_SIGN } });
    await eastDb.send(new PutItemCommand({ TableName, Item: encrypted }));
    const original = await get(eastDb);

    // Add the us-west-2 key: Decrypt in us-east-1, Encrypt in us-west-2.
    const [eastSpy, westSpy] = [counting(east), counting(west)];
    const added = await rekeyRecord(kms(eastSpy, eastArn), original, { ...options, add: kms(westSpy, westArn) });
    assert.deepEqual(eastSpy.calls, [{ op: "decrypt", KeyId: eastArn }]);
    assert.deepEqual(westSpy.calls, [{ op: "encrypt", KeyId: westArn }]);
    await eastDb.send(new PutItemCommand({ TableName, Item: added }));

    // Remove the us-east-1 key, in us-west-2; copy to the us-west-2 table (moto does not replicate).
    const removed = await rekeyRecord(kms(west, westArn), await get(eastDb), { ...options, remove: [eastArn] });
    assert.deepEqual(removed.name, original.name, "the encrypted attribute is unchanged");
    await westDb.send(new PutItemCommand({ TableName, Item: removed }));
    const inWest = await get(westDb);

    assert.deepEqual(await decryptRecord(kms(west, westArn), inWest, options), item);
    assert.deepEqual(await decryptRecord(new KmsMrkDiscoveryKeyring({ client: west, region: "us-west-2" }), inWest, options), item);
    const spy = counting(east);
    await assert.rejects(decryptRecord(kms(spy, eastArn), inWest, options), isCode("NoDecryptableKey"));
    assert.deepEqual(spy.calls, []);
    assert.deepEqual(await decryptRecord(kms(east, eastArn), original, options), item, "not revocation: the old copy still opens");
  });
});
