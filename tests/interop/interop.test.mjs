// Cross-binding: a message made by the Python package decrypts in Node and
// the reverse, with a raw AES keyring and with KMS keyrings (moto, MRK in
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
  encrypt,
  inspect,
} from "mrkenv";
import { hex, kmsClient, startMoto, toHex, PYTHON } from "../../bindings-wasm/test/helpers.mjs";

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
  } finally {
    await moto.stop();
  }
});
