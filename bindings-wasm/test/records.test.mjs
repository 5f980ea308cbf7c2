// Records (DynamoDB items): every shared record vector (decrypt, byte-identical
// re-encryption, expected error codes), the rules of issue 9 part 1, the JS
// conversion of AWS SDK v3 AttributeValue shapes and the options checks, and
// @aws-sdk/client-dynamodb + @aws-sdk/client-kms against moto (the seed's
// global table: encrypt in us-east-1, read and decrypt in us-west-2).

import test, { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import {
  Action,
  KmsMrkKeyring,
  MrkenvError,
  RawAesKeyring,
  decryptRecord,
  encryptRecord,
} from "mrkenv";
import { encryptRecordWith } from "mrkenv/testing";
import { ROOT, VECTORS_DIR, hex, kmsClient, startMoto } from "./helpers.mjs";

const RECORDS_DIR = path.join(VECTORS_DIR, "records");

// ------------------------------------------------------------------ helpers

const b64 = (s) => Uint8Array.from(Buffer.from(s, "base64"));

/** DynamoDB JSON (B and BS in base64) -> AWS SDK v3 shapes (Uint8Array). */
function fromDynamoJson(value) {
  const [[tag, inner]] = Object.entries(value);
  switch (tag) {
    case "B":
      return { B: b64(inner) };
    case "BS":
      return { BS: inner.map(b64) };
    case "L":
      return { L: inner.map(fromDynamoJson) };
    case "M":
      return { M: itemFromJson(inner) };
    default:
      return { [tag]: inner };
  }
}
const itemFromJson = (item) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k, fromDynamoJson(v)]));

/** A comparable form: bytes as hex, set elements sorted (sets are unordered in DynamoDB). */
function canon(value) {
  const [[tag, inner]] = Object.entries(value);
  const hexOf = (b) => {
    assert.ok(b instanceof Uint8Array, `B must come back as a Uint8Array, got ${b}`);
    return Buffer.from(b).toString("hex");
  };
  switch (tag) {
    case "B":
      return { B: hexOf(inner) };
    case "BS":
      return { BS: inner.map(hexOf).sort() };
    case "SS":
    case "NS":
      return { [tag]: [...inner].sort() };
    case "L":
      return { L: inner.map(canon) };
    case "M":
      return { M: canonItem(inner) };
    default:
      return { [tag]: inner };
  }
}
const canonItem = (item) =>
  Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, canon(v)]));

const rawKeyring = (spec) =>
  new RawAesKeyring({ keyNamespace: spec.key_namespace, keyName: spec.key_name, wrappingKey: hex(spec.wrapping_key) });

const isCode = (code, pattern) => (e) => {
  assert.ok(e instanceof MrkenvError, `expected MrkenvError ${code}, got ${e?.stack ?? e}`);
  assert.equal(e.code, code, e.message);
  if (pattern) assert.match(e.message, pattern);
  return true;
};
const isTypeError = (pattern) => (e) => {
  assert.ok(e instanceof TypeError, `expected TypeError, got ${e?.stack ?? e}`);
  assert.match(e.message, pattern);
  return true;
};

// ------------------------------------------------------------------ vectors

const vectors = readdirSync(RECORDS_DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(readFileSync(path.join(RECORDS_DIR, f), "utf8")));

function encryptOptionsOf(v) {
  return {
    tableName: v.table_name,
    partitionKey: v.partition_key,
    sortKey: v.sort_key,
    actions: v.actions,
    defaultAction: v.default_action,
    encryptionContext: v.encryption_context,
    messageId: hex(v.message_id),
    dataKey: hex(v.data_key),
    rawAesIv: hex(v.raw_aes_iv),
  };
}

test("there are positive, negative and re-encryptable record vectors", () => {
  assert.ok(vectors.length >= 29);
  assert.ok(vectors.some((v) => v.result === "ok" && v.reencrypt));
  assert.ok(vectors.some((v) => v.result === "error" && v.operation === "encrypt"));
  assert.ok(vectors.some((v) => v.result === "error" && v.operation === "decrypt"));
});

for (const v of vectors) {
  if (v.operation === "decrypt") {
    test(`record vector ${v.name}: decrypt gives ${v.result === "ok" ? "the item" : v.error_kind}`, async () => {
      const d = v.decrypt;
      const run = decryptRecord(rawKeyring(d.keyring), itemFromJson(v.encrypted_item), {
        tableName: d.table_name,
        partitionKey: d.partition_key,
        sortKey: d.sort_key,
        encryptionContext: d.required_encryption_context,
        allowPlaintext: d.allow_plaintext,
      });
      if (v.result === "ok") {
        assert.deepEqual(canonItem(await run), canonItem(itemFromJson(v.decrypted_item)));
      } else {
        await assert.rejects(run, isCode(v.error_kind));
      }
    });
  } else {
    test(`record vector ${v.name}: encrypt fails with ${v.error_kind}`, async () => {
      assert.equal(v.result, "error");
      await assert.rejects(
        encryptRecordWith(rawKeyring(v.keyring), itemFromJson(v.plaintext_item), encryptOptionsOf(v)),
        isCode(v.error_kind),
      );
    });
  }
  if (v.reencrypt) {
    test(`record vector ${v.name}: re-encrypts byte for byte`, async () => {
      const encrypted = await encryptRecordWith(rawKeyring(v.keyring), itemFromJson(v.plaintext_item), encryptOptionsOf(v));
      assert.deepEqual(canonItem(encrypted), canonItem(itemFromJson(v.encrypted_item)));
    });
  }
}

// ------------------------------------------------------- the rules (part 1)

const keyring = new RawAesKeyring({ keyNamespace: "ns", keyName: "key", wrappingKey: new Uint8Array(32).fill(7) });
const seed = () => ({ employeeId: { S: "1234" }, name: { S: "Andy" } });
const table = { tableName: "global-table-example", partitionKey: "employeeId" };
const seedActions = { employeeId: Action.SIGN_ONLY, name: Action.ENCRYPT_AND_SIGN };
const encryptSeed = (item = seed(), extra = {}) => encryptRecord(keyring, item, { ...table, actions: seedActions, ...extra });

test("Action is a frozen object of the four action names", () => {
  assert.deepEqual(Object.keys(Action), ["ENCRYPT_AND_SIGN", "SIGN_ONLY", "SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT", "DO_NOTHING"]);
  for (const [k, v] of Object.entries(Action)) assert.equal(k, v);
  assert.ok(Object.isFrozen(Action));
});

test("the seed item: the id stays in the clear, the name becomes B, and it decrypts", async () => {
  const encrypted = await encryptSeed();
  assert.deepEqual(Object.keys(encrypted).sort(), ["aws_mrkenv_header", "aws_mrkenv_tag", "employeeId", "name"]);
  assert.deepEqual(encrypted.employeeId, { S: "1234" });
  assert.ok(encrypted.name.B instanceof Uint8Array);
  assert.ok(encrypted.aws_mrkenv_header.B instanceof Uint8Array);
  assert.equal(encrypted.aws_mrkenv_tag.B.length, 16);
  assert.deepEqual(await decryptRecord(keyring, encrypted, table), seed());
  // Fresh randomness every time.
  const again = await encryptSeed();
  assert.notDeepEqual(again.name, encrypted.name);
});

test("every type round-trips (nested, sets, numbers canonicalised, binary keys)", async () => {
  const item = {
    pk: { B: new Uint8Array([0, 1, 2]) },
    sk: { N: "0042.50" },
    s: { S: "héllo \u{1F600}" },
    n: { N: "-1e3" },
    b: { B: new Uint8Array([255]) },
    empty: { B: new Uint8Array(0) },
    t: { BOOL: true },
    f: { BOOL: false },
    nul: { NULL: true },
    l: { L: [{ S: "a" }, { L: [] }, { M: { k: { NS: ["3", "1"] } } }] },
    m: { M: { __proto__x: { S: "y" }, inner: { BS: [new Uint8Array([2]), new Uint8Array([1, 1])] } } },
    ss: { SS: ["b", "a"] },
    ns: { NS: ["10", "9"] },
    bs: { BS: [new Uint8Array([9])] },
  };
  const options = { tableName: "t", partitionKey: "pk", sortKey: "sk", defaultAction: Action.ENCRYPT_AND_SIGN, actions: { pk: "SIGN_ONLY", sk: "SIGN_ONLY", s: "SIGN_ONLY" } };
  const encrypted = await encryptRecord(keyring, item, options);
  assert.deepEqual(encrypted.sk, { N: "42.5" }, "key values are stored canonical");
  const back = await decryptRecord(keyring, encrypted, { tableName: "t", partitionKey: "pk", sortKey: "sk" });
  const expected = { ...item, sk: { N: "42.5" }, n: { N: "-1000" } };
  assert.deepEqual(canonItem(back), canonItem(expected));
});

test("an attribute named __proto__ is an attribute, not a prototype", async () => {
  const item = JSON.parse('{"employeeId": {"S": "1"}, "__proto__": {"S": "x"}}');
  const encrypted = await encryptRecord(keyring, item, { ...table, actions: { employeeId: "SIGN_ONLY", __proto__: "ENCRYPT_AND_SIGN" }, defaultAction: "ENCRYPT_AND_SIGN" });
  assert.ok(Object.hasOwn(encrypted, "__proto__"));
  assert.equal(Object.getPrototypeOf(encrypted), Object.prototype);
  const back = await decryptRecord(keyring, encrypted, table);
  assert.deepEqual(Object.getOwnPropertyDescriptor(back, "__proto__").value, { S: "x" });
});

test("an item holding a reserved attribute is refused at encrypt, naming it", async () => {
  const item = { ...seed(), aws_mrkenv_header: { B: new Uint8Array(1) } };
  await assert.rejects(encryptSeed(item, { defaultAction: "DO_NOTHING" }), isCode("InvalidArgument", /"aws_mrkenv_header" is reserved/));
  await assert.rejects(
    encryptRecord(keyring, seed(), { ...table, actions: { ...seedActions, aws_mrkenv_x: "SIGN_ONLY" } }),
    isCode("InvalidArgument", /"aws_mrkenv_x" is reserved/),
  );
});

test("a key attribute with ENCRYPT_AND_SIGN (or DO_NOTHING) is refused, naming it", async () => {
  await assert.rejects(
    encryptRecord(keyring, seed(), { ...table, actions: { employeeId: "ENCRYPT_AND_SIGN", name: "ENCRYPT_AND_SIGN" } }),
    isCode("InvalidArgument", /partition key attribute "employeeId" cannot be ENCRYPT_AND_SIGN/),
  );
  await assert.rejects(
    encryptRecord(keyring, { ...seed(), sk: { S: "x" } }, { ...table, sortKey: "sk", actions: { ...seedActions, sk: "DO_NOTHING" } }),
    isCode("InvalidArgument", /sort key attribute "sk" cannot be DO_NOTHING/),
  );
  // Through the default action, too.
  await assert.rejects(
    encryptRecord(keyring, seed(), { ...table, actions: {}, defaultAction: "ENCRYPT_AND_SIGN" }),
    isCode("InvalidArgument", /"employeeId" cannot be ENCRYPT_AND_SIGN/),
  );
});

test("every attribute needs an action unless a default action is given", async () => {
  const item = { ...seed(), title: { S: "Engineer" } };
  await assert.rejects(encryptSeed(item), isCode("InvalidArgument", /attribute "title": no action configured/));
  const encrypted = await encryptSeed(item, { defaultAction: Action.ENCRYPT_AND_SIGN });
  assert.ok(encrypted.title.B instanceof Uint8Array);
  assert.deepEqual(await decryptRecord(keyring, encrypted, table), item);
  await assert.rejects(
    encryptRecord(keyring, seed(), { ...table, actions: { ...seedActions, name: "ENCRYPT" } }),
    isCode("InvalidArgument", /unknown attribute action "ENCRYPT"/),
  );
});

test("DO_NOTHING attributes may change, be added or be removed freely", async () => {
  const item = { ...seed(), views: { N: "1" } };
  const encrypted = await encryptSeed(item, { defaultAction: "DO_NOTHING" });
  assert.deepEqual(encrypted.views, { N: "1" });
  const changed = { ...encrypted, views: { N: "2" } };
  assert.deepEqual(await decryptRecord(keyring, changed, table), { ...seed(), views: { N: "2" } });
  const { views, ...removed } = encrypted;
  void views;
  assert.deepEqual(await decryptRecord(keyring, removed, table), seed());
});

test("tampering is refused: a changed, removed or moved signed attribute, the tag, the header", async () => {
  const encrypted = await encryptSeed();
  const other = await encryptSeed({ employeeId: { S: "1234" }, name: { S: "Bob" } });
  const flip = (bytes, i) => {
    const copy = bytes.slice();
    copy[i] ^= 1;
    return copy;
  };
  const tampered = [
    ["a changed signed value", { ...encrypted, employeeId: { S: "1235" } }, "Authentication"],
    ["a changed ciphertext", { ...encrypted, name: { B: flip(encrypted.name.B, 5) } }, "Authentication"],
    ["a ciphertext from another item", { ...encrypted, name: other.name }, "Authentication"],
    ["a removed signed attribute", { ...encrypted, name: undefined }, null],
    ["a changed tag", { ...encrypted, aws_mrkenv_tag: { B: flip(encrypted.aws_mrkenv_tag.B, 0) } }, "Authentication"],
    ["a changed type", { ...encrypted, employeeId: { N: "1234" } }, "Authentication"],
  ];
  for (const [what, item, code] of tampered) {
    if (code === null) {
      const { name, ...without } = encrypted;
      void name;
      await assert.rejects(decryptRecord(keyring, without, table), isCode("Authentication"), what);
    } else {
      await assert.rejects(decryptRecord(keyring, item, table), isCode(code), what);
    }
  }
  await assert.rejects(decryptRecord(keyring, encrypted, { ...table, tableName: "other" }), isCode("ContextMismatch"));
  await assert.rejects(
    decryptRecord(keyring, encrypted, { ...table, encryptionContext: { tenant: "acme" } }),
    isCode("ContextMismatch"),
  );
});

test("allowPlaintext: an item without reserved attributes is refused by default and returned when allowed", async () => {
  await assert.rejects(decryptRecord(keyring, seed(), table), isCode("MalformedMessage", /is not an encrypted record/));
  assert.deepEqual(await decryptRecord(keyring, seed(), { ...table, allowPlaintext: false }).catch((e) => e.code), "MalformedMessage");
  assert.deepEqual(await decryptRecord(keyring, seed(), { ...table, allowPlaintext: true }), seed());
  // An encrypted item is still verified when plaintext is allowed.
  const encrypted = await encryptSeed();
  await assert.rejects(
    decryptRecord(keyring, { ...encrypted, employeeId: { S: "9" } }, { ...table, allowPlaintext: true }),
    isCode("Authentication"),
  );
  // A truthy non-boolean never turns the check off.
  await assert.rejects(decryptRecord(keyring, seed(), { ...table, allowPlaintext: "false" }), isTypeError(/allowPlaintext must be a boolean/));
});

test("SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT reaches KMS through the same KMS adapter, and the item is checked before any call", async () => {
  const arn = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd";
  const dataKey = new Uint8Array(32).fill(5);
  const calls = [];
  const client = {
    async generateDataKey(params) {
      calls.push(["GenerateDataKey", params.KeyId, params.EncryptionContext]);
      return { KeyId: arn, Plaintext: dataKey.slice(), CiphertextBlob: new Uint8Array([1, 2, 3]) };
    },
    async decrypt(params) {
      calls.push(["Decrypt", params.KeyId, params.EncryptionContext]);
      return { KeyId: params.KeyId, Plaintext: dataKey.slice() };
    },
  };
  const kms = new KmsMrkKeyring({ client, keyIds: [arn] });
  const item = { ...seed(), tenant: { S: "acme" } };
  const options = { ...table, actions: { ...seedActions, tenant: Action.SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT }, encryptionContext: { app: "hr" } };
  const encrypted = await encryptRecord(kms, item, options);
  const context = {
    app: "hr",
    "aws-mrkenv:table": "global-table-example",
    "aws-mrkenv:partition-key": "employeeId",
    "aws-mrkenv:attr:employeeId": "1234",
    "aws-mrkenv:attr:tenant": "acme",
  };
  assert.deepEqual(await decryptRecord(kms, encrypted, { ...table, encryptionContext: { app: "hr" } }), item);
  assert.deepEqual(calls, [
    ["GenerateDataKey", arn, context],
    ["Decrypt", arn, context],
  ]);
  calls.length = 0;
  await assert.rejects(encryptRecord(kms, { ...item, bad: { SS: [] } }, { ...options, defaultAction: "SIGN_ONLY" }), isCode("InvalidArgument"));
  await assert.rejects(decryptRecord(kms, { ...encrypted, aws_mrkenv_tag: { S: "x" } }, table), isCode("MalformedMessage"));
  assert.deepEqual(calls, [], "no KMS call for a bad item");
});

// ------------------------------------------------- JS shapes and options

test("bad items throw TypeError or MrkenvError naming the attribute path", async () => {
  const attempt = (item) => encryptRecord(keyring, item, { ...table, actions: seedActions, defaultAction: "ENCRYPT_AND_SIGN" });
  const typeErrors = [
    [null, /item must be a plain object, got null/],
    [[], /item must be a plain object, got an array/],
    [new Map(), /item must be a plain object/],
    [{ ...seed(), x: "Andy" }, /item attribute "x": an AttributeValue must be a plain object, got string/],
    [{ ...seed(), x: { S: 1 } }, /item attribute "x": S must be a string, got number/],
    [{ ...seed(), x: { N: 1 } }, /item attribute "x": N must be a string, got number/],
    [{ ...seed(), x: { B: [1, 2] } }, /item attribute "x": B must be a Uint8Array, got an array/],
    [{ ...seed(), x: { B: "AQI=" } }, /B must be a Uint8Array, got string/],
    [{ ...seed(), x: { BOOL: "true" } }, /BOOL must be a boolean/],
    [{ ...seed(), x: { NULL: false } }, /NULL must be true/],
    [{ ...seed(), x: { S: "a", N: "1" } }, /exactly one type key/],
    [{ ...seed(), x: {} }, /exactly one type key/],
    [{ ...seed(), x: { X: "1" } }, /unknown AttributeValue type "X"/],
    [{ ...seed(), x: { $unknown: ["X", 1] } }, /unknown AttributeValue type "\$unknown"/],
    [{ ...seed(), x: { L: [{ S: "a" }, { M: { k: { SS: ["a", 2] } } }] } }, /item attribute "x"\[1\]\["k"\]\[1\]: an SS element must be a string, got number/],
    [{ ...seed(), x: { M: [] } }, /item attribute "x": M must be a plain object, got an array/],
    [{ ...seed(), x: { S: "\ud800" } }, /item attribute "x": S is not well-formed Unicode/],
    [{ ...seed(), ["bad\udc00"]: { S: "x" } }, /attribute name is not well-formed Unicode/],
  ];
  for (const [item, pattern] of typeErrors) await assert.rejects(attempt(item), isTypeError(pattern), String(pattern));
  const coreErrors = [
    [{ ...seed(), x: { N: "12abc" } }, /attribute "x": number is not a decimal number/],
    [{ ...seed(), x: { N: "1e200" } }, /attribute "x": number is out of range/],
    [{ ...seed(), x: { L: [{ SS: [] }] } }, /attribute "x"\[0\]: SS set is empty/],
    [{ ...seed(), x: { NS: ["1", "1.0"] } }, /attribute "x": NS set holds duplicates/],
  ];
  for (const [item, pattern] of coreErrors) await assert.rejects(attempt(item), isCode("InvalidArgument", pattern), String(pattern));
  // `undefined` members are absent (the SDK's union types allow them).
  const encrypted = await attempt({ ...seed(), x: { S: "a", N: undefined } });
  assert.deepEqual((await decryptRecord(keyring, encrypted, table)).x, { S: "a" });
});

test("nesting is bounded while reading (a cycle or a hostile depth cannot exhaust the stack)", async () => {
  let deep = { NULL: true };
  for (let i = 0; i < 32; i++) deep = { L: [deep] };
  const ok = await encryptSeed({ ...seed(), deep }, { defaultAction: "SIGN_ONLY" });
  assert.deepEqual((await decryptRecord(keyring, ok, table)).deep, deep);
  await assert.rejects(encryptSeed({ ...seed(), deep: { L: [deep] } }, { defaultAction: "SIGN_ONLY" }), isCode("LimitExceeded", /nesting depth/));
  const cycle = { M: {} };
  cycle.M.self = cycle;
  await assert.rejects(encryptSeed({ ...seed(), cycle }, { defaultAction: "SIGN_ONLY" }), isCode("LimitExceeded"));
});

test("a getter or proxy that throws is an error, and the package keeps working", async () => {
  const item = seed();
  Object.defineProperty(item, "boom", { enumerable: true, get() { throw new Error("no"); } });
  await assert.rejects(encryptSeed(item, { defaultAction: "SIGN_ONLY" }), TypeError);
  const proxy = new Proxy([], { get() { throw new Error("no"); } });
  await assert.rejects(encryptSeed({ ...seed(), l: { L: proxy } }, { defaultAction: "SIGN_ONLY" }), isTypeError(/L could not be read/));
  assert.deepEqual(await decryptRecord(keyring, await encryptSeed(), table), seed());
});

test("options reject unknown keys, naming the key and the accepted ones", async () => {
  const encrypted = await encryptSeed();
  await assert.rejects(
    decryptRecord(keyring, encrypted, { ...table, allowPlainText: true }),
    isTypeError(/decryptRecord options: unknown option "allowPlainText" \(accepted: tableName, partitionKey, sortKey, encryptionContext, allowPlaintext, limits\)/),
  );
  await assert.rejects(
    decryptRecord(keyring, encrypted, { ...table, requiredEncryptionContext: { a: "b" } }),
    isTypeError(/unknown option "requiredEncryptionContext"/),
  );
  await assert.rejects(
    encryptRecord(keyring, seed(), { ...table, actions: seedActions, defaultActions: "DO_NOTHING" }),
    isTypeError(/encryptRecord options: unknown option "defaultActions" \(accepted: actions, tableName, partitionKey, sortKey, defaultAction, encryptionContext, limits\)/),
  );
  await assert.rejects(encryptRecord(keyring, seed(), { ...table, actions: seedActions, messageId: new Uint8Array(32) }), isTypeError(/unknown option "messageId"/));
  await assert.rejects(encryptRecord(keyring, seed()), isTypeError(/options must be an object/));
  await assert.rejects(encryptRecord(keyring, seed(), { ...table }), isTypeError(/actions must be a plain object or a Map/));
  await assert.rejects(encryptRecord(keyring, seed(), { ...table, actions: { name: 1 } }), isTypeError(/actions\["name"\] must be a string/));
  await assert.rejects(encryptRecord(keyring, seed(), { actions: seedActions, partitionKey: "employeeId" }), isTypeError(/tableName must be a string/));
  await assert.rejects(encryptRecord({}, seed(), { ...table, actions: seedActions }), isTypeError(/keyring must be/));
  // A Map of actions works.
  const viaMap = await encryptRecord(keyring, seed(), { ...table, actions: new Map(Object.entries(seedActions)) });
  assert.deepEqual(await decryptRecord(keyring, viaMap, table), seed());
});

test("the data key never reaches JavaScript: records use the sessions' DataKeyBox", async () => {
  const { _wasmMemoryIncludes } = await import("mrkenv/testing");
  const dataKey = new Uint8Array(32).fill(0xa7);
  const encrypted = await encryptRecordWith(keyring, seed(), {
    ...table,
    actions: seedActions,
    messageId: new Uint8Array(32).fill(1),
    dataKey: dataKey.slice(),
    rawAesIv: new Uint8Array(12).fill(2),
  });
  assert.deepEqual(await decryptRecord(keyring, encrypted, table), seed());
  assert.equal(_wasmMemoryIncludes(dataKey), false, "the data key was zeroized in wasm memory");
});

// ------------------------------------------------------- DynamoDB + KMS (moto)

describe("the seed's global table with @aws-sdk/client-dynamodb and @aws-sdk/client-kms against moto", () => {
  let moto;
  before(async () => {
    moto = await startMoto();
  });
  after(async () => {
    await moto?.stop();
  });

  test("encrypt in us-east-1 with the primary MRK, PutItem, copy to us-west-2, GetItem, decrypt with the replica", async () => {
    const { DynamoDBClient, CreateTableCommand, PutItemCommand, GetItemCommand } = await import("@aws-sdk/client-dynamodb");
    const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };
    const dynamo = (region) => new DynamoDBClient({ region, endpoint: moto.endpoint, credentials });
    const eastKms = await kmsClient(moto.endpoint, "us-east-1");
    const westKms = await kmsClient(moto.endpoint, "us-west-2");
    const created = await eastKms.createKey({ MultiRegion: true, Description: "mrkenv records" });
    const primaryArn = created.KeyMetadata.Arn;
    const replica = await eastKms.replicateKey({ KeyId: created.KeyMetadata.KeyId, ReplicaRegion: "us-west-2" });
    const replicaArn = replica.ReplicaKeyMetadata.Arn;
    assert.equal(replicaArn, primaryArn.replace(":us-east-1:", ":us-west-2:"));

    const TableName = "global-table-example";
    const east = dynamo("us-east-1");
    const west = dynamo("us-west-2");
    for (const client of [east, west]) {
      await client.send(
        new CreateTableCommand({
          TableName,
          KeySchema: [{ AttributeName: "employeeId", KeyType: "HASH" }],
          AttributeDefinitions: [{ AttributeName: "employeeId", AttributeType: "S" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
    }

    const options = { tableName: TableName, partitionKey: "employeeId" };
    const item = { employeeId: { S: "1234" }, name: { S: "Andy" } };
    const encrypted = await encryptRecord(new KmsMrkKeyring({ client: eastKms, keyIds: [primaryArn] }), item, {
      ...options,
      actions: { employeeId: Action.SIGN_ONLY, name: Action.ENCRYPT_AND_SIGN },
    });
    await east.send(new PutItemCommand({ TableName, Item: encrypted }));

    // moto does not replicate global tables: copy the item from the
    // us-east-1 table to the us-west-2 table, as DynamoDB replication would.
    const Key = { employeeId: { S: "1234" } };
    const inEast = (await east.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }))).Item;
    assert.ok(inEast.name.B instanceof Uint8Array, "DynamoDB stores the name encrypted");
    await west.send(new PutItemCommand({ TableName, Item: inEast }));

    const inWest = (await west.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }))).Item;
    const calls = [];
    const spy = { decrypt: (params) => (calls.push(params.KeyId), westKms.decrypt(params)) };
    const decrypted = await decryptRecord(new KmsMrkKeyring({ client: spy, keyIds: [replicaArn] }), inWest, options);
    assert.deepEqual(decrypted, item);
    assert.deepEqual(calls, [replicaArn], "one Decrypt, in us-west-2, with the replica");

    // A tampered copy in us-west-2 is refused.
    await west.send(new PutItemCommand({ TableName, Item: { ...inWest, employeeId: { S: "1234" }, name: { B: inWest.name.B.map((b, i) => (i === 3 ? b ^ 1 : b)) } } }));
    const tampered = (await west.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }))).Item;
    await assert.rejects(decryptRecord(new KmsMrkKeyring({ client: westKms, keyIds: [replicaArn] }), tampered, options), isCode("Authentication"));
  });

  test("examples/records.mjs (the README's records example) runs against moto", async () => {
    // Its own tables: a fresh moto server, as the test above created them on this one.
    const fresh = await startMoto();
    try {
      const result = spawnSync(process.execPath, [path.join(ROOT, "bindings-wasm", "examples", "records.mjs")], {
        env: { ...process.env, MRKENV_AWS_ENDPOINT: fresh.endpoint, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing" },
        encoding: "utf8",
        timeout: 60000,
      });
      assert.equal(result.status, 0, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
      assert.equal(result.stdout, "stored name is encrypted\ndecrypted in us-west-2: Andy\n");
    } finally {
      await fresh.stop();
    }
  });
});
