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
  type ErrorCode,
  type Header,
  type KmsClient,
} from "mrkenv";
import { encryptWith } from "mrkenv/testing";

declare const client: KmsClient;

export async function usage(): Promise<void> {
  const raw = new RawAesKeyring({ keyNamespace: "a", keyName: "b", wrappingKey: new Uint8Array(32) });
  const strict = new KmsMrkKeyring({ client, keyIds: ["arn:aws:kms:us-east-1:1:key/mrk-1"], grantTokens: ["t"] });
  const discovery = new KmsMrkDiscoveryKeyring({
    client,
    region: "us-west-2",
    discoveryFilter: { partition: "aws", accountIds: ["1"] },
  });
  const message: Uint8Array = await encrypt(strict, new Uint8Array(1), { encryptionContext: { a: "b" }, frameLength: 4096 });
  const result: { plaintext: Uint8Array; header: Header } = await decrypt(discovery, message, {
    encryptionContext: new Map([["a", "b"]]),
  });
  const header: Header = inspect(result.plaintext);
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
