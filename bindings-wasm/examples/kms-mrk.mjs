// Encrypt with a multi-Region key in us-east-1, decrypt with its replica in
// us-west-2, using the AWS SDK v3 KMS client unchanged. Against real AWS, set
// MRK_EAST_ARN to an MRK that is replicated to us-west-2; the test suite runs
// it against a local moto endpoint (MRKENV_KMS_ENDPOINT) and creates the key.
import { KMS } from "@aws-sdk/client-kms";
import { KmsMrkKeyring, KmsMrkDiscoveryKeyring, encrypt, decrypt } from "mrkenv";

const endpoint = process.env.MRKENV_KMS_ENDPOINT; // undefined: real AWS
const east = new KMS({ region: "us-east-1", endpoint });
const west = new KMS({ region: "us-west-2", endpoint });

let eastArn = process.env.MRK_EAST_ARN;
if (!eastArn) {
  const { KeyMetadata } = await east.createKey({ MultiRegion: true });
  await east.replicateKey({ KeyId: KeyMetadata.KeyId, ReplicaRegion: "us-west-2" });
  eastArn = KeyMetadata.Arn;
}
const westArn = eastArn.replace(":us-east-1:", ":us-west-2:");

const message = await encrypt(
  new KmsMrkKeyring({ client: east, keyIds: [eastArn] }),
  new TextEncoder().encode("hello from us-east-1"),
  { encryptionContext: { table: "orders" } },
);

// Strict: name the replica. Discovery: any key of the account, asked in us-west-2.
const strict = await decrypt(new KmsMrkKeyring({ client: west, keyIds: [westArn] }), message);
const discovered = await decrypt(new KmsMrkDiscoveryKeyring({ client: west, region: "us-west-2" }), message);
console.log("decrypted in us-west-2:", new TextDecoder().decode(strict.plaintext));
console.log("discovery agrees:", new TextDecoder().decode(discovered.plaintext) === "hello from us-east-1");
