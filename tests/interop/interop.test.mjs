// Python <-> Node edge cases beside the interop matrix (matrix.test.mjs, which
// has every peer decrypt what every peer encrypts): the headers agree, a wrong
// context, tampering and a key that cannot decrypt are refused on the other
// side. A message or a record (DynamoDB item) made by the Python
// package decrypts in Node and the reverse, with a raw AES keyring and with KMS keyrings (moto, MRK in
// us-east-1 replicated to us-west-2). Run by `make -C bindings-wasm test`
// (target test-interop), which installs the wheel into .venv first. Python
// missing is a failure, not a skip.

import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  KmsMrkDiscoveryKeyring,
  KmsMrkKeyring,
  MrkenvError,
  RawAesKeyring,
  decrypt,
  decryptRecord,
  encrypt,
  encryptRecord,
  inspect,
} from "mrkenv";
import { hex, kmsClient, startMoto, toHex, PYTHON } from "../../bindings-wasm/test/helpers.mjs";
import { itemFromJson, itemToJson } from "./js_peer.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));

function python(request) {
  const result = spawnSync(PYTHON, [path.join(HERE, "py_peer.py")], {
    input: JSON.stringify(request),
    encoding: "utf8",
    timeout: 60000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new Error(`cannot run ${PYTHON}: ${result.error.message}`);
  assert.equal(result.status, 0, `py_peer.py failed:\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** Python's inspect() in the camelCase shape of the JS one. */
function camelHeader(h) {
  return {
    version: h.version,
    suite: h.suite,
    suiteName: h.suite_name,
    messageId: h.message_id,
    encryptionContext: h.encryption_context,
    frameLength: h.frame_length,
    encryptedDataKeys: h.encrypted_data_keys.map((k) => ({
      providerId: k.provider_id,
      providerInfo: k.provider_info,
      ...(k.key_arn !== undefined && k.key_arn !== null ? { keyArn: k.key_arn } : {}),
      ...(k.region !== undefined && k.region !== null ? { region: k.region } : {}),
      ...(k.is_mrk !== undefined && k.is_mrk !== null ? { isMrk: k.is_mrk } : {}),
      ciphertextLen: k.ciphertext_len,
    })),
  };
}

const RAW = { type: "raw-aes", key_namespace: "interop", key_name: "key-1", wrapping_key: "11".repeat(32) };
const rawKeyring = () =>
  new RawAesKeyring({ keyNamespace: RAW.key_namespace, keyName: RAW.key_name, wrappingKey: hex(RAW.wrapping_key) });
const PLAINTEXT = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256);
const CONTEXT = { tenant: "acme", "ünïcode": "välue" };

// A record with every DynamoDB type, as the SDK shapes it and as DynamoDB JSON.
const ITEM = {
  pk: { S: "tenant#1" },
  sk: { N: "42" },
  name: { S: "Andy" },
  blob: { B: Uint8Array.of(0, 1, 2, 255) },
  ok: { BOOL: true },
  nothing: { NULL: true },
  list: { L: [{ S: "a" }, { N: "-1.5" }, { M: { inner: { BS: [Uint8Array.of(9), Uint8Array.of(7, 7)] } } }] },
  tags: { SS: ["x", "y"] },
  scores: { NS: ["1", "2.25"] },
  tenant: { S: "acme" },
  note: { S: "not signed" },
};
const ACTIONS = {
  pk: "SIGN_ONLY",
  sk: "SIGN_ONLY",
  tenant: "SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT",
  note: "DO_NOTHING",
};
const RECORD = { tableName: "interop-table", partitionKey: "pk", sortKey: "sk" };
const PY_RECORD = { table_name: "interop-table", partition_key: "pk", sort_key: "sk" };


test("the Python package is importable from the venv", () => {
  const result = spawnSync(PYTHON, ["-c", "import mrkenv, boto3; print('ok')"], { encoding: "utf8" });
  assert.equal(result.status, 0, `${PYTHON}: ${result.error?.message ?? result.stderr}`);
});

test("raw AES: Node encrypts, Python decrypts (several frames, context)", async () => {
  const message = await encrypt(rawKeyring(), PLAINTEXT, { encryptionContext: CONTEXT, frameLength: 4096 });
  const answer = python({ op: "decrypt", keyring: RAW, ciphertext: toHex(message), context: { tenant: "acme" } });
  assert.equal(answer.error, undefined, answer.message);
  assert.equal(answer.plaintext, toHex(PLAINTEXT));
  assert.deepEqual(camelHeader(answer.header), inspect(message));
  const wrong = python({ op: "decrypt", keyring: RAW, ciphertext: toHex(message), context: { tenant: "other" } });
  assert.equal(wrong.error, "ContextMismatchError", wrong.message);
});

test("raw AES: Python encrypts, Node decrypts", async () => {
  const answer = python({ op: "encrypt", keyring: RAW, plaintext: toHex(PLAINTEXT), context: CONTEXT, frame_length: 1024 });
  assert.equal(answer.error, undefined, answer.message);
  const message = hex(answer.ciphertext);
  const { plaintext, header } = await decrypt(rawKeyring(), message, { encryptionContext: CONTEXT });
  assert.deepEqual(plaintext, PLAINTEXT);
  assert.equal(header.frameLength, 1024);
  assert.deepEqual(header.encryptionContext, CONTEXT);
  const tampered = message.slice();
  tampered[tampered.length - 3] ^= 0x80;
  await assert.rejects(decrypt(rawKeyring(), tampered), (e) => e instanceof MrkenvError && e.code === "Authentication");
});

test("records, raw AES: Python encrypts, Node decrypts, and the reverse (every type, sort key, context)", async () => {
  const answer = python({
    op: "encrypt_record", keyring: RAW, item: itemToJson(ITEM), actions: ACTIONS,
    default_action: "ENCRYPT_AND_SIGN", ...PY_RECORD, context: { app: "interop" },
  });
  assert.equal(answer.error, undefined, answer.message);
  const stored = itemFromJson(answer.item);
  assert.ok(stored.name.B && stored.aws_mrkenv_header && stored.aws_mrkenv_tag);
  assert.deepEqual(stored.pk, ITEM.pk);
  const plain = await decryptRecord(rawKeyring(), stored, { ...RECORD, encryptionContext: { app: "interop" } });
  assert.deepEqual(plain, ITEM);

  const fromNode = await encryptRecord(rawKeyring(), ITEM, {
    ...RECORD, actions: ACTIONS, defaultAction: "ENCRYPT_AND_SIGN",
    encryptionContext: { app: "interop" },
  });
  const back = python({ op: "decrypt_record", keyring: RAW, item: itemToJson(fromNode), ...PY_RECORD, context: { app: "interop" } });
  assert.equal(back.error, undefined, back.message);
  assert.deepEqual(itemFromJson(back.item), ITEM);

  // A signed attribute changed in storage is refused on the other side too.
  const tampered = itemToJson({ ...fromNode, tenant: { S: "evil" } });
  const refused = python({ op: "decrypt_record", keyring: RAW, item: tampered, ...PY_RECORD });
  assert.equal(refused.error, "AuthenticationError", refused.message);
});

test("KMS (moto)", async (t) => {
  const moto = await startMoto();
  try {
    const east = await kmsClient(moto.endpoint, "us-east-1");
    const west = await kmsClient(moto.endpoint, "us-west-2");
    const created = await east.createKey({ MultiRegion: true });
    const eastArn = created.KeyMetadata.Arn;
    const westArn = (await east.replicateKey({ KeyId: created.KeyMetadata.KeyId, ReplicaRegion: "us-west-2" }))
      .ReplicaKeyMetadata.Arn;
    const py = (region, keyIds) =>
      keyIds ? { type: "kms", region, endpoint: moto.endpoint, key_ids: keyIds } : { type: "kms-discovery", region, endpoint: moto.endpoint };

    await t.test("Python (boto3, us-east-1) encrypts, Node (@aws-sdk/client-kms, us-west-2) decrypts: strict and discovery", async () => {
      const answer = python({ op: "encrypt", keyring: py("us-east-1", [eastArn]), plaintext: toHex(PLAINTEXT), context: CONTEXT });
      assert.equal(answer.error, undefined, answer.message);
      const message = hex(answer.ciphertext);
      assert.equal(inspect(message).encryptedDataKeys[0].keyArn, eastArn);
      const strict = await decrypt(new KmsMrkKeyring({ client: west, keyIds: [westArn] }), message, { encryptionContext: CONTEXT });
      assert.deepEqual(strict.plaintext, PLAINTEXT);
      const discovery = await decrypt(new KmsMrkDiscoveryKeyring({ client: west, region: "us-west-2" }), message);
      assert.deepEqual(discovery.plaintext, PLAINTEXT);
    });

    await t.test("Node (us-east-1) encrypts, Python (us-west-2) decrypts: strict and discovery", async () => {
      const message = await encrypt(new KmsMrkKeyring({ client: east, keyIds: [eastArn] }), PLAINTEXT, { encryptionContext: CONTEXT });
      for (const keyring of [py("us-west-2", [westArn]), py("us-west-2")]) {
        const answer = python({ op: "decrypt", keyring, ciphertext: toHex(message), context: CONTEXT });
        assert.equal(answer.error, undefined, answer.message);
        assert.equal(answer.plaintext, toHex(PLAINTEXT));
        assert.deepEqual(camelHeader(answer.header), inspect(message));
      }
      const other = (await west.createKey({ MultiRegion: true })).KeyMetadata.Arn;
      const answer = python({ op: "decrypt", keyring: py("us-west-2", [other]), ciphertext: toHex(message) });
      assert.equal(answer.error, "NoDecryptableKeyError", answer.message);
    });

    await t.test("records: Python encrypts in us-east-1, Node decrypts in us-west-2, and the reverse", async () => {
      const answer = python({ op: "encrypt_record", keyring: py("us-east-1", [eastArn]), item: itemToJson(ITEM), actions: ACTIONS, default_action: "ENCRYPT_AND_SIGN", ...PY_RECORD });
      assert.equal(answer.error, undefined, answer.message);
      const plain = await decryptRecord(new KmsMrkKeyring({ client: west, keyIds: [westArn] }), itemFromJson(answer.item), RECORD);
      assert.deepEqual(plain, ITEM);

      const fromNode = await encryptRecord(new KmsMrkKeyring({ client: east, keyIds: [eastArn] }), ITEM, {
        ...RECORD, actions: ACTIONS, defaultAction: "ENCRYPT_AND_SIGN",
      });
      for (const keyring of [py("us-west-2", [westArn]), py("us-west-2")]) {
        const back = python({ op: "decrypt_record", keyring, item: itemToJson(fromNode), ...PY_RECORD });
        assert.equal(back.error, undefined, back.message);
        assert.deepEqual(itemFromJson(back.item), ITEM);
      }
    });
  } finally {
    await moto.stop();
  }
});
