// Compiled by types.test.mjs (with --skipLibCheck: the SDK's declarations
// need @types/node, which this package does not install; usage.ts checks
// mrkenv's own declarations strictly): records go straight into
// @aws-sdk/client-dynamodb's PutItem input and come straight from its
// GetItem output, with no cast.
import { decryptRecord, encryptRecord, rekeyRecord, type Item, type Keyring } from "mrkenv";
import type { GetItemCommandOutput, PutItemCommandInput } from "@aws-sdk/client-dynamodb";
import { KMS } from "@aws-sdk/client-kms";
import { KmsMrkDiscoveryKeyring, type KmsClient } from "mrkenv";

// The SDK's KMS client is a KmsClient as it is (its config.region included).
const kms: KmsClient = new KMS({ region: "us-west-2" });
export const discovery = new KmsMrkDiscoveryKeyring({ client: kms });

declare const keyring: Keyring;
declare const got: GetItemCommandOutput;

export async function sdk(): Promise<PutItemCommandInput> {
  const options = { tableName: "global-table-example", partitionKey: "employeeId" };
  const decrypted: Item = await decryptRecord(keyring, got.Item ?? {}, options);
  const encrypted = await encryptRecord(keyring, decrypted, { ...options, actions: { employeeId: "SIGN_ONLY" } });
  const rekeyed: Item = await rekeyRecord(keyring, got.Item ?? {}, { ...options, remove: ["key-2025"] });
  void rekeyed;
  return { TableName: "global-table-example", Item: encrypted };
}
