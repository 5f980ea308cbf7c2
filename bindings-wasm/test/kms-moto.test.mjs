// @aws-sdk/client-kms v3 (the aggregated KMS class, unchanged) against the
// local moto KMS: MRK in us-east-1 replicated to us-west-2, encrypt east,
// decrypt west (strict and discovery), plus the negative cases moto can show.

import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  KmsMrkDiscoveryKeyring,
  KmsMrkKeyring,
  MrkenvError,
  decrypt,
  decryptStream,
  encrypt,
  encryptStream,
  inspect,
} from "mrkenv";
import { ROOT, chunked, collect, counting, kmsClient, startMoto, utf8 } from "./helpers.mjs";

let moto;
let east;
let west;
let mrkEast;
let mrkWest;
let singleEast;

before(async () => {
  moto = await startMoto();
  east = await kmsClient(moto.endpoint, "us-east-1");
  west = await kmsClient(moto.endpoint, "us-west-2");
  const created = await east.createKey({ MultiRegion: true, Description: "mrkenv js test" });
  mrkEast = created.KeyMetadata.Arn;
  const replica = await east.replicateKey({ KeyId: created.KeyMetadata.KeyId, ReplicaRegion: "us-west-2" });
  mrkWest = replica.ReplicaKeyMetadata.Arn;
  singleEast = (await east.createKey({ Description: "single-Region" })).KeyMetadata.Arn;
});

after(async () => {
  await moto?.stop();
});

const isCode = (code) => (e) => {
  assert.ok(e instanceof MrkenvError, `expected MrkenvError ${code}, got ${e?.stack ?? e}`);
  assert.equal(e.code, code, e.message);
  return true;
};

test("the MRK and its replica differ only in the Region", () => {
  assert.match(mrkEast, /^arn:aws:kms:us-east-1:123456789012:key\/mrk-/);
  assert.equal(mrkWest, mrkEast.replace("us-east-1", "us-west-2"));
});

test("encrypt in us-east-1, decrypt in us-west-2 with the strict keyring (replica ARN)", async () => {
  const context = { tenant: "acme", purpose: "moto" };
  const message = await encrypt(new KmsMrkKeyring({ client: east, keyIds: [mrkEast] }), utf8("across Regions"), {
    encryptionContext: context,
  });
  assert.equal(inspect(message).encryptedDataKeys[0].keyArn, mrkEast);
  const spy = counting(west);
  const { plaintext, header } = await decrypt(new KmsMrkKeyring({ client: spy, keyIds: [mrkWest] }), message, {
    encryptionContext: { tenant: "acme" },
  });
  assert.equal(new TextDecoder().decode(plaintext), "across Regions");
  assert.deepEqual(header.encryptionContext, context);
  assert.deepEqual(spy.calls, [{ op: "decrypt", KeyId: mrkWest }]);
});

test("decrypt in us-west-2 with the discovery keyring, with and without a filter", async () => {
  const message = await encrypt(new KmsMrkKeyring({ client: east, keyIds: [mrkEast] }), utf8("discover"));
  for (const discoveryFilter of [undefined, { partition: "aws", accountIds: ["123456789012"] }]) {
    const spy = counting(west);
    const keyring = new KmsMrkDiscoveryKeyring({ client: spy, region: "us-west-2", discoveryFilter });
    assert.deepEqual((await decrypt(keyring, message)).plaintext, utf8("discover"));
    assert.deepEqual(spy.calls, [{ op: "decrypt", KeyId: mrkWest }]);
  }
  const spy = counting(west);
  const excluded = new KmsMrkDiscoveryKeyring({
    client: spy,
    region: "us-west-2",
    discoveryFilter: { partition: "aws", accountIds: ["111111111111"] },
  });
  await assert.rejects(decrypt(excluded, message), isCode("NoDecryptableKey"));
  assert.equal(spy.calls.length, 0);
});

test("a single-Region key is not decryptable from the other Region, and KMS is not called for it", async () => {
  const message = await encrypt(new KmsMrkKeyring({ client: east, keyIds: [singleEast] }), utf8("local only"));
  const spy = counting(west);
  await assert.rejects(decrypt(new KmsMrkDiscoveryKeyring({ client: spy, region: "us-west-2" }), message), (e) => {
    isCode("NoDecryptableKey")(e);
    assert.match(e.errors[0].reason, /single-Region key in us-east-1/);
    return true;
  });
  await assert.rejects(decrypt(new KmsMrkKeyring({ client: spy, keyIds: [mrkWest] }), message), isCode("NoDecryptableKey"));
  assert.equal(spy.calls.length, 0);
  // In its own Region it works.
  assert.deepEqual((await decrypt(new KmsMrkDiscoveryKeyring({ client: east, region: "us-east-1" }), message)).plaintext, utf8("local only"));
});

test("two wrapping keys in one message: either decrypts", async () => {
  const message = await encrypt(new KmsMrkKeyring({ client: east, keyIds: [mrkEast, singleEast] }), utf8("two keys"));
  assert.deepEqual(inspect(message).encryptedDataKeys.map((k) => k.keyArn), [mrkEast, singleEast]);
  assert.deepEqual((await decrypt(new KmsMrkKeyring({ client: east, keyIds: [singleEast] }), message)).plaintext, utf8("two keys"));
  assert.deepEqual((await decrypt(new KmsMrkKeyring({ client: west, keyIds: [mrkWest] }), message)).plaintext, utf8("two keys"));
});

test("wrong required context fails before KMS; discovery cannot encrypt", async () => {
  const message = await encrypt(new KmsMrkKeyring({ client: east, keyIds: [mrkEast] }), utf8("ctx"), {
    encryptionContext: { tenant: "acme" },
  });
  const spy = counting(west);
  await assert.rejects(
    decrypt(new KmsMrkKeyring({ client: spy, keyIds: [mrkWest] }), message, { encryptionContext: { tenant: "evil" } }),
    isCode("ContextMismatch"),
  );
  assert.equal(spy.calls.length, 0);
  await assert.rejects(encrypt(new KmsMrkDiscoveryKeyring({ client: west, region: "us-west-2" }), utf8("x")), isCode("Keyring"));
});

test("a KMS error (wrong key) is kept as the cause in errors", async () => {
  const other = (await west.createKey({ MultiRegion: true })).KeyMetadata.Arn;
  const message = await encrypt(new KmsMrkKeyring({ client: east, keyIds: [mrkEast] }), utf8("x"));
  // Scripted the same EDK under another configured key is impossible with the strict rules,
  // so decrypt with discovery on a client whose Decrypt goes to another key id.
  const wrongKey = {
    decrypt: (params) => west.decrypt({ ...params, KeyId: other }),
  };
  await assert.rejects(decrypt(new KmsMrkDiscoveryKeyring({ client: wrongKey, region: "us-west-2" }), message), (e) => {
    isCode("NoDecryptableKey")(e);
    assert.equal(e.errors.length, 1);
    assert.ok(e.errors[0].cause instanceof Error);
    assert.equal(e.cause, e.errors[0].cause);
    assert.match(e.errors[0].reason, /KMS Decrypt failed: \w+Exception/);
    return true;
  });
});

test("streams with KMS: encrypt east, decrypt west", async () => {
  const plaintext = new Uint8Array(200_000).map((_, i) => i % 256);
  const message = await collect(
    chunked(plaintext, 7000).pipeThrough(encryptStream(new KmsMrkKeyring({ client: east, keyIds: [mrkEast] }), { frameLength: 8192 })),
  );
  const back = await collect(chunked(message, 5000).pipeThrough(decryptStream(new KmsMrkKeyring({ client: west, keyIds: [mrkWest] }))));
  assert.deepEqual(back, plaintext);
});

test("examples/kms-mrk.mjs runs against moto", () => {
  const result = spawnSync(process.execPath, [path.join(ROOT, "bindings-wasm", "examples", "kms-mrk.mjs")], {
    env: { ...process.env, MRKENV_KMS_ENDPOINT: moto.endpoint, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing" },
    encoding: "utf8",
    timeout: 60000,
  });
  assert.equal(result.status, 0, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  assert.match(result.stdout, /decrypted in us-west-2: hello from us-east-1/);
});

test("the README's Local KMS example runs as written, configured only in code", () => {
  const readme = readFileSync(path.join(ROOT, "bindings-wasm", "README.md"), "utf8");
  const section = readme.split("\n## Local KMS\n")[1].split("\n## ")[0];
  const block = section.match(/```js\n([\s\S]*?)```/)[1];
  assert.ok(block.includes('endpoint: "http://127.0.0.1:4566"'), "the block names the endpoint make kms-local prints");
  const script = `${block.replace("http://127.0.0.1:4566", moto.endpoint)}
console.log(new TextDecoder().decode(plaintext));
`;
  // Nothing from the environment: the endpoint and credentials must come from the code.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("AWS_")));
  const result = spawnSync(process.execPath, ["--input-type=module", "-"], {
    cwd: path.join(ROOT, "bindings-wasm"), // where `mrkenv` and `@aws-sdk/client-kms` resolve
    input: script,
    env,
    encoding: "utf8",
    timeout: 60000,
  });
  assert.equal(result.status, 0, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  assert.equal(result.stdout, "secret\n");
});
