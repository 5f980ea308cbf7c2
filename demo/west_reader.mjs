// make demo, steps in us-west-2 from Node: get items from the us-west-2 copy of
// the global table with @aws-sdk/client-dynamodb and decrypt each with the
// replica multi-Region key (mrkenv's decryptRecord + KmsMrkKeyring over
// @aws-sdk/client-kms). Started by demo/run_demo.py.
//
// stdin:  {"endpoint", "region", "keyArn", "table", "partitionKey", "ids": [...]}
// stdout: {"results": [{"id", "stored", "decrypted" | "error", "kms": [...]}]}
//         items are DynamoDB JSON with B in base64 (what the C program reads);
//         "kms" has one line per KMS call: "kms: Decrypt in <Region> (KeyId <ARN>)".
// Exit 1 with the reason on stderr if anything but a decryption fails.
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { KMS } from "@aws-sdk/client-kms";
import { KmsMrkKeyring, decryptRecord } from "mrkenv";

const readStdin = async () => {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
};

// DynamoDB JSON as the wire carries it (B and BS in base64).
const toJson = (value) => {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
};

// The KMS client the keyring calls, logging which Region's KMS answered.
class LoggedKms {
  constructor(inner, region, log) {
    Object.assign(this, { inner, region, log });
  }
  async decrypt(params) {
    this.log.push(`kms: Decrypt in ${this.region} (KeyId ${params.KeyId})`);
    return this.inner.decrypt(params);
  }
}

const request = await readStdin();
const { endpoint, region, keyArn, table, partitionKey, ids } = request;
const db = new DynamoDBClient({ region, endpoint });
const kms = new KMS({ region, endpoint });
const results = [];
for (const id of ids) {
  const { Item } = await db.send(new GetItemCommand({ TableName: table, Key: { [partitionKey]: { S: id } } }));
  if (!Item) throw new Error(`no item ${partitionKey}=${id} in ${table} (${region})`);
  const log = [];
  const result = { id, stored: toJson(Item), kms: log };
  try {
    const keyring = new KmsMrkKeyring({ client: new LoggedKms(kms, region, log), keyIds: [keyArn] });
    result.decrypted = toJson(await decryptRecord(keyring, Item, { tableName: table, partitionKey }));
  } catch (err) {
    result.error = { name: err.name, code: err.code ?? null, message: err.message };
  }
  results.push(result);
}
process.stdout.write(JSON.stringify({ results }) + "\n");
