// A DynamoDB global table: the item is encrypted attribute by attribute in
// us-east-1 with a multi-Region key (the employee id signed only, because
// DynamoDB needs it in the clear as the key; the name encrypted and signed),
// replicated, then read and decrypted in us-west-2 with the replica key.
// Against real AWS, set MRK_EAST_ARN to an MRK replicated to us-west-2 and
// create the global table; the test suite runs this against a local moto
// endpoint (MRKENV_AWS_ENDPOINT), where it creates the key and both tables and
// copies the item itself (moto does not replicate global tables).
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { KMS } from "@aws-sdk/client-kms";
import { Action, KmsMrkKeyring, decryptRecord, encryptRecord } from "mrkenv";

const endpoint = process.env.MRKENV_AWS_ENDPOINT; // undefined: real AWS
const [eastKms, westKms] = ["us-east-1", "us-west-2"].map((region) => new KMS({ region, endpoint }));
const [eastDb, westDb] = ["us-east-1", "us-west-2"].map((region) => new DynamoDBClient({ region, endpoint }));
const TableName = "global-table-example";

let eastArn = process.env.MRK_EAST_ARN;
if (endpoint) {
  const { KeyMetadata } = await eastKms.createKey({ MultiRegion: true });
  await eastKms.replicateKey({ KeyId: KeyMetadata.KeyId, ReplicaRegion: "us-west-2" });
  eastArn = KeyMetadata.Arn;
  for (const db of [eastDb, westDb]) {
    await db.send(new CreateTableCommand({
      TableName,
      KeySchema: [{ AttributeName: "employeeId", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "employeeId", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    }));
  }
}
const westArn = eastArn.replace(":us-east-1:", ":us-west-2:");
const table = { tableName: TableName, partitionKey: "employeeId" };

// us-east-1: encrypt with the primary key and put.
const item = await encryptRecord(
  new KmsMrkKeyring({ client: eastKms, keyIds: [eastArn] }),
  { employeeId: { S: "1234" }, name: { S: "Andy" } },
  { ...table, actions: { employeeId: Action.SIGN_ONLY, name: Action.ENCRYPT_AND_SIGN } },
);
await eastDb.send(new PutItemCommand({ TableName, Item: item }));
if (endpoint) await westDb.send(new PutItemCommand({ TableName, Item: item })); // moto: no replication

// us-west-2: get the replicated item and decrypt it with the replica key.
let Item;
for (let tries = 0; !Item && tries < 30; tries++) {
  if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 1000)); // replication lag
  ({ Item } = await westDb.send(new GetItemCommand({ TableName, Key: { employeeId: { S: "1234" } } })));
}
const decrypted = await decryptRecord(new KmsMrkKeyring({ client: westKms, keyIds: [westArn] }), Item, table);
console.log("stored name is", Item.name.B ? "encrypted" : "in the clear"); // stored name is encrypted
console.log("decrypted in us-west-2:", decrypted.name.S); // decrypted in us-west-2: Andy
