// Compiled with `tsc --noEmit --strict` by types.test.mjs: the .d.ts files
// describe every export, and wrong usage is rejected (@ts-expect-error).
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
  defaultLimits,
  type Bytes,
  type ErrorCode,
  type Header,
  type KmsClient,
  type Limits,
} from "mrkenv";
import { encryptWith } from "mrkenv/testing";

declare const client: KmsClient;

export async function usage(): Promise<void> {
  const raw = new RawAesKeyring({ keyNamespace: "a", keyName: "b", wrappingKey: new Uint8Array(32) });
  const strict = new KmsMrkKeyring({ client, keyIds: ["arn:aws:kms:us-east-1:111122223333:key/mrk-1"], grantTokens: ["t"] });
  const discovery = new KmsMrkDiscoveryKeyring({
    client,
    region: "us-west-2",
    discoveryFilter: { partition: "aws", accountIds: ["111122223333"] },
  });
  const message = await encrypt(strict, new Uint8Array(1), { encryptionContext: { a: "b" }, frameLength: 4096 });
  const result = await decrypt(discovery, message, {
    encryptionContext: new Map([["a", "b"]]),
  });
  const typed: { plaintext: Uint8Array; header: Header } = result;
  void typed;
  const header: Header = inspect(result.plaintext, { limits: { maxHeaderBytes: 4096 } });
  // Byte results are Uint8Array<ArrayBuffer>: they go where a BlobPart or BufferSource is expected.
  const blob: Blob = new Blob([message, result.plaintext]);
  const digest: Promise<ArrayBuffer> = crypto.subtle.digest("SHA-256", result.plaintext);
  const response: Response = new Response(message);
  const bytes: Bytes = message;
  void blob, digest, response, bytes;
  const limits: Required<Limits> = defaultLimits();
  await decrypt(raw, message, { limits: { maxEncryptedDataKeys: 2, maxFrameLength: limits.maxFrameLength } });
  // @ts-expect-error a misspelled option is an error
  await decrypt(raw, message, { context: { a: "b" } });
  // @ts-expect-error a misspelled option is an error
  await encrypt(raw, message, { encryption_context: { a: "b" } });
  // @ts-expect-error a misspelled limit is an error
  inspect(message, { limits: { maxEdks: 1 } });
  // A discovery keyring may take its Region from the client.
  const fromClient = new KmsMrkDiscoveryKeyring({ client });
  const maybeRegion: string | undefined = fromClient.region;
  void maybeRegion;
  const arnRegion: string = parseArn("x").region;
  const flags: boolean = isMrk("x") && mrkMatch("a", "b");
  const enc: TransformStream<Uint8Array, Uint8Array> = encryptStream(raw);
  const dec: TransformStream<Uint8Array, Uint8Array> = decryptStream(raw, { encryptionContext: { a: "b" } });
  await encryptWith(raw, new Uint8Array(0), { messageId: new Uint8Array(32) });
  try {
    await decrypt(raw, message);
  } catch (e) {
    if (e instanceof MrkenvError) {
      const code: ErrorCode = e.code;
      const keyIds: string[] = e.errors.map((a) => a.keyId);
      void code, keyIds;
    }
  }
  const own = new MrkenvError("Keyring", "custom", { errors: [{ keyId: "k", reason: "r" }], cause: 1 });
  const ownCode: ErrorCode = own.code;
  void ownCode;
  // @ts-expect-error the code is one of the stable codes
  new MrkenvError("Nope", "x");
  // @ts-expect-error plaintext must be a Uint8Array
  await encrypt(raw, "text");
  // @ts-expect-error keyIds is required
  new KmsMrkKeyring({ client });
  // @ts-expect-error RawAesKeyring needs a wrapping key
  new RawAesKeyring({ keyNamespace: "a", keyName: "b" });
  void header, arnRegion, flags, enc, dec;
}

// Records (the interplay with @aws-sdk/client-dynamodb's own types is in sdk-records.ts).
import {
  Action,
  decryptRecord,
  encryptRecord,
  type AttributeValue,
  type Item,
} from "mrkenv";
import { encryptRecordWith } from "mrkenv/testing";

export async function records(keyring: RawAesKeyring): Promise<void> {
  const item: Item = {
    employeeId: { S: "1234" },
    name: { S: "Andy" },
    age: { N: "42" },
    photo: { B: new Uint8Array(1) },
    active: { BOOL: true },
    nothing: { NULL: true },
    list: { L: [{ S: "a" }, { M: { k: { NS: ["1"] } } }] },
    tags: { SS: ["a"] },
    blobs: { BS: [new Uint8Array(1)] },
  };
  const encrypted: Item = await encryptRecord(keyring, item, {
    tableName: "global-table-example",
    partitionKey: "employeeId",
    actions: { employeeId: Action.SIGN_ONLY, name: "ENCRYPT_AND_SIGN" },
    defaultAction: Action.DO_NOTHING,
    encryptionContext: { tenant: "acme" },
  });
  const decrypted: Item = await decryptRecord(keyring, encrypted, {
    tableName: "global-table-example",
    partitionKey: "employeeId",
    sortKey: null,
    allowPlaintext: true,
  });
  const action: Action = Action.SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT;
  const value: AttributeValue = decrypted.name;
  await encryptRecordWith(keyring, item, {
    tableName: "t",
    partitionKey: "employeeId",
    actions: new Map([["employeeId", Action.SIGN_ONLY]]),
    messageId: new Uint8Array(32),
  });
  // @ts-expect-error not an action
  await encryptRecord(keyring, item, { tableName: "t", partitionKey: "p", actions: { p: "ENCRYPT" } });
  // @ts-expect-error tableName is required
  await decryptRecord(keyring, item, { partitionKey: "p" });
  // @ts-expect-error a misspelled option is an error
  await decryptRecord(keyring, item, { tableName: "t", partitionKey: "p", allowPlainText: true });
  // @ts-expect-error N is a string, as in the SDK
  await encryptRecord(keyring, { n: { N: 1 } }, { tableName: "t", partitionKey: "n", actions: {} });
  // @ts-expect-error the Action object is read-only
  Action.SIGN_ONLY = "DO_NOTHING";
  void action, value;
}

// Re-keying messages.
import { rekey, rekeyHeader, type RekeyOptions } from "mrkenv";

export async function rekeying(strict: KmsMrkKeyring, raw: RawAesKeyring, discovery: KmsMrkDiscoveryKeyring): Promise<void> {
  const message = new Uint8Array(0);
  const options: RekeyOptions = { add: raw, remove: strict.keyIds, encryptionContext: { a: "b" }, matchReplicas: true };
  const rekeyed = await rekey(discovery, message, options);
  const rekeyedBlob = new Blob([rekeyed, (await rekeyHeader(strict, message)).head]);
  void rekeyedBlob;
  const { head, bodyOffset }: { head: Uint8Array; bodyOffset: number } = await rekeyHeader(strict, message, { add: strict });
  await rekey(raw, message);
  // @ts-expect-error a discovery keyring cannot add keys
  await rekey(raw, message, { add: discovery });
  // @ts-expect-error remove is a list of key ids
  await rekey(raw, message, { remove: "arn" });
  // @ts-expect-error unknown option
  await rekeyHeader(raw, message, { adds: raw });
  void rekeyed, head, bodyOffset;
}

// Re-keying records.
import { rekeyRecord, type RekeyRecordOptions } from "mrkenv";

export async function rekeyingRecords(strict: KmsMrkKeyring, raw: RawAesKeyring, item: Item): Promise<void> {
  const options: RekeyRecordOptions = {
    tableName: "t",
    partitionKey: "employeeId",
    sortKey: null,
    add: strict,
    remove: ["key-2025"],
    encryptionContext: new Map([["tenant", "acme"]]),
    matchReplicas: false,
  };
  const rekeyed: Item = await rekeyRecord(raw, item, options);
  await rekeyRecord(strict, rekeyed, { tableName: "t", partitionKey: "employeeId", remove: strict.keyIds });
  // @ts-expect-error the table is required
  await rekeyRecord(raw, item, { partitionKey: "employeeId", add: strict });
  // @ts-expect-error options are required
  await rekeyRecord(raw, item);
  // @ts-expect-error decryptRecord's allowPlaintext is not a re-key option
  await rekeyRecord(raw, item, { tableName: "t", partitionKey: "p", allowPlaintext: true });
}
