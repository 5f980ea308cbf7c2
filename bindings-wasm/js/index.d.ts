// Type declarations of the npm package `mrkenv`. They need TypeScript 5.7
// or later (`Uint8Array<ArrayBuffer>`).

/**
 * The bytes mrkenv returns: always a fresh `Uint8Array` over its own
 * `ArrayBuffer` (never shared memory), so it goes wherever a `BufferSource`
 * or `BlobPart` is expected: `new Blob([message])`, `fetch(url, { body:
 * message })`, `crypto.subtle.digest("SHA-256", plaintext)`.
 */
export type Bytes = Uint8Array<ArrayBuffer>;

/** The stable error codes of {@link MrkenvError}. */
export type ErrorCode =
  | "InvalidArn"
  | "MalformedMessage"
  | "Authentication"
  | "NoDecryptableKey"
  | "Keyring"
  | "LimitExceeded"
  | "ContextMismatch"
  | "InvalidArgument"
  /** A bug: the WebAssembly module trapped; it is replaced before the next call. */
  | "Internal";

/** One encrypted data key that was skipped or tried during a decrypt. */
export interface DecryptAttempt {
  /** The key id that was asked (or would have been). */
  keyId: string;
  /** Why it did not give the data key. */
  reason: string;
  /** What the KMS client threw, or the MrkenvError of a rejected response. */
  cause?: unknown;
}

/**
 * Every error of mrkenv. Wrong argument types raise a `TypeError` instead.
 *
 * `cause` (the rule of every mrkenv binding): what the KMS client threw on the
 * last KMS call that threw, during an encrypt (a `Keyring` error) or a decrypt
 * (`NoDecryptableKey`). A response mrkenv rejected is never the cause; when no
 * call threw, there is no `cause`.
 *
 * @example
 * try { await decrypt(keyring, message); }
 * catch (e) { if (e instanceof MrkenvError && e.code === "NoDecryptableKey") console.log(e.errors); }
 */
export class MrkenvError extends Error {
  constructor(
    code: ErrorCode,
    message: string,
    options?: { errors?: DecryptAttempt[]; cause?: unknown },
  );
  readonly name: "MrkenvError";
  /** Stable code. */
  readonly code: ErrorCode;
  /** For NoDecryptableKey: every attempt, in order; empty otherwise. */
  readonly errors: DecryptAttempt[];
  /** What the KMS client threw on the last call that threw, if any (see above). */
  readonly cause?: unknown;
}

/** An encryption context: text keys to text values. */
export type EncryptionContext = Record<string, string> | Map<string, string>;

/**
 * The KMS client shape used by the KMS keyrings: `new KMS({ region })` of
 * `@aws-sdk/client-kms` v3 works unchanged. Only `decrypt` is needed to decrypt.
 * When `config.region` names the client's Region (as the SDK's does), it is
 * checked against the keyring at first use.
 */
export interface KmsClient {
  config?: { region?: string | (() => string | Promise<string>) };
  generateDataKey?(params: {
    KeyId: string;
    NumberOfBytes: number;
    EncryptionContext: Record<string, string>;
    GrantTokens?: string[];
  }): Promise<{ KeyId?: string; Plaintext?: Uint8Array; CiphertextBlob?: Uint8Array }>;
  encrypt?(params: {
    KeyId: string;
    Plaintext: Uint8Array;
    EncryptionContext: Record<string, string>;
    GrantTokens?: string[];
  }): Promise<{ KeyId?: string; CiphertextBlob?: Uint8Array }>;
  decrypt(params: {
    KeyId: string;
    CiphertextBlob: Uint8Array;
    EncryptionContext: Record<string, string>;
    GrantTokens?: string[];
  }): Promise<{ KeyId?: string; Plaintext?: Uint8Array }>;
}

/**
 * Strict multi-Region-aware KMS keyring. The first key generates the data key
 * (GenerateDataKey), every other key wraps it (Encrypt). Decrypt calls KMS with
 * the configured key for any encrypted data key that is an MRK match of it.
 * Related MRKs (the same `mrk-` id twice) are refused at construction. A
 * client whose Region (`client.config.region()`) is not the Region of a key
 * ARN is refused at first use ("the KMS client is for us-west-2 but the key
 * ... is in us-east-1"). Unknown option names throw a TypeError.
 *
 * @example
 * import { KMS } from "@aws-sdk/client-kms";
 * const keyring = new KmsMrkKeyring({ client: new KMS({ region: "us-west-2" }), keyIds: [westArn] });
 */
export class KmsMrkKeyring {
  constructor(options: { client: KmsClient; keyIds: string[]; grantTokens?: string[] });
  readonly keyIds: readonly string[];
}

/**
 * Decrypt-only keyring for one Region: an MRK encrypted data key is asked in
 * this Region, a single-Region key only when it lives here. Without
 * `region`, the client's Region (`client.config.region()`) is taken at first
 * use; a `region` that differs from the client's is refused at first use.
 * Unknown option names throw a TypeError.
 *
 * @example
 * const keyring = new KmsMrkDiscoveryKeyring({
 *   client: new KMS({ region: "us-west-2" }),
 *   discoveryFilter: { partition: "aws", accountIds: ["111122223333"] },
 * });
 */
export class KmsMrkDiscoveryKeyring {
  constructor(options: {
    client: KmsClient;
    region?: string | null;
    discoveryFilter?: { partition: string; accountIds: string[] } | null;
    grantTokens?: string[];
  });
  /** The Region; `undefined` until first use when it is taken from the client. */
  readonly region: string | undefined;
}

/**
 * A keyring holding a 32-byte AES wrapping key.
 *
 * @example
 * const keyring = new RawAesKeyring({ keyNamespace: "my-app", keyName: "key-1",
 *   wrappingKey: crypto.getRandomValues(new Uint8Array(32)) });
 */
export class RawAesKeyring {
  constructor(options: { keyNamespace: string; keyName: string; wrappingKey: Uint8Array });
  readonly keyNamespace: string;
  readonly keyName: string;
}

export type Keyring = KmsMrkKeyring | KmsMrkDiscoveryKeyring | RawAesKeyring;

/** One encrypted data key of a header. */
export interface EncryptedDataKeySummary {
  providerId: string;
  providerInfo: string;
  /** For `aws-kms` keys with a valid key ARN. */
  keyArn?: string;
  region?: string;
  isMrk?: boolean;
  ciphertextLen: number;
}

/** A key-free summary of a message header. */
export interface Header {
  version: number;
  suite: number;
  suiteName: string;
  /** 64 lowercase hex digits. */
  messageId: string;
  encryptionContext: Record<string, string>;
  frameLength: number;
  encryptedDataKeys: EncryptedDataKeySummary[];
}

/**
 * The core's limits, each checked before the work it guards (a message over
 * a limit costs no KMS call). Every field is optional: a missing one keeps
 * its default (the values of {@link defaultLimits}). Each is an integer from
 * 1 to 4294967295.
 */
export interface Limits {
  /** Most encrypted data keys in one message or record (default 16). */
  maxEncryptedDataKeys?: number;
  /** Most bytes of the encoded header (default 262144, 256 KiB). */
  maxHeaderBytes?: number;
  /** Most encryption context entries (default 128). */
  maxContextEntries?: number;
  /** Most bytes of all context keys and values together (default 65536). */
  maxContextBytes?: number;
  /** Largest frame length a reader accepts (default 16777216, the format's maximum). */
  maxFrameLength?: number;
  /** Most attributes in one record, its two reserved attributes not counted (default 4096). */
  maxRecordAttributes?: number;
  /** Deepest nesting of `L` and `M` values in a record (default 32, as DynamoDB). */
  maxRecordDepth?: number;
}

/** The default limits (see {@link Limits}). */
export function defaultLimits(): Required<Limits>;

/** Options of {@link encrypt} and {@link encryptStream}; unknown names throw a TypeError. */
export interface EncryptOptions {
  encryptionContext?: EncryptionContext;
  /** Plaintext bytes per frame, 1024..=16777216 (default 65536). */
  frameLength?: number;
  /** The encrypt side checks the key count and the context against these. */
  limits?: Limits;
}

/** Options of {@link decrypt} and {@link decryptStream}; unknown names throw a TypeError. */
export interface DecryptOptions {
  /** Pairs that must be present, with equal values, in the message. */
  encryptionContext?: EncryptionContext;
  /** Limits the message must fit (default {@link defaultLimits}). */
  limits?: Limits;
}

/** Options of {@link inspect}; unknown names throw a TypeError. */
export interface InspectOptions {
  /** Limits the header must fit (default {@link defaultLimits}). */
  limits?: Limits;
}

/**
 * Encrypts `plaintext` into one message.
 *
 * @example
 * const message = await encrypt(keyring, new TextEncoder().encode("hello"), {
 *   encryptionContext: { tenant: "acme" },
 * });
 */
export function encrypt(
  keyring: Keyring,
  plaintext: Uint8Array,
  options?: EncryptOptions,
): Promise<Bytes>;

/**
 * Decrypts a message; nothing is returned unless every frame verified.
 *
 * @example
 * const { plaintext, header } = await decrypt(keyring, message, { encryptionContext: { tenant: "acme" } });
 */
export function decrypt(
  keyring: Keyring,
  ciphertext: Uint8Array,
  options?: DecryptOptions,
): Promise<{ plaintext: Bytes; header: Header }>;

/**
 * A TransformStream encrypting Uint8Array chunks into one message, holding
 * about one frame.
 *
 * @example
 * await readable.pipeThrough(encryptStream(keyring)).pipeTo(writable);
 */
export function encryptStream(
  keyring: Keyring,
  options?: EncryptOptions,
): TransformStream<Uint8Array, Bytes>;

/**
 * A TransformStream decrypting one message; each frame's plaintext is released
 * only after it verified, and a truncated message errors the stream.
 */
export function decryptStream(
  keyring: Keyring,
  options?: DecryptOptions,
): TransformStream<Uint8Array, Bytes>;

/** Reads the header of a message (or of a prefix holding the header), with no key. */
export function inspect(ciphertext: Uint8Array, options?: InspectOptions): Header;

/** A parsed KMS ARN. */
export interface KmsArn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resourceType: "key" | "alias";
  resourceId: string;
  isMrk: boolean;
}

/** Parses a KMS ARN; throws MrkenvError `InvalidArn` when malformed. */
export function parseArn(arn: string): KmsArn;

/** True when an ARN, alias or key id names a multi-Region key; throws `InvalidArn` when malformed. */
export function isMrk(identifier: string): boolean;

/** MRK match: identical, or both MRKs equal in everything but the Region; throws `InvalidArn` when malformed. */
export function mrkMatch(a: string, b: string): boolean;

// ------------------------------------------------------------------ records

/**
 * The action of an attribute of a record. Key attributes (partition and sort
 * key) must be `SIGN_ONLY` or `SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT`.
 */
export declare const Action: Readonly<{
  /** Encrypt the value; the record tag covers the ciphertext. */
  ENCRYPT_AND_SIGN: "ENCRYPT_AND_SIGN";
  /** Keep the value in the clear; the record tag covers it. */
  SIGN_ONLY: "SIGN_ONLY";
  /** Like SIGN_ONLY, and put the value (S, N or B) in the encryption context, so it reaches KMS. */
  SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT: "SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT";
  /** Keep the value in the clear, unauthenticated: it may change freely. */
  DO_NOTHING: "DO_NOTHING";
}>;
export type Action = (typeof Action)[keyof typeof Action];

/**
 * A DynamoDB value in the shape of the AWS SDK v3 `AttributeValue` (what
 * `PutItemCommand` takes and `GetItemCommand` returns): `N` is a decimal
 * string, `B` a `Uint8Array`, `NULL` always `true`; sets are non-empty and
 * without duplicates.
 */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: Bytes }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: Bytes[] };

/** A DynamoDB item: attribute name -> value. */
export type Item = Record<string, AttributeValue>;

/**
 * What the functions accept: an {@link Item}, or an item typed by
 * `@aws-sdk/client-dynamodb` (whose `AttributeValue` union also has an
 * `$unknown` member, at any depth, for types newer than the SDK; such a value
 * is refused with a TypeError at run time).
 */
export type AttributeValueInput =
  | { S: string }
  | { N: string }
  | { B: Uint8Array }
  | { BOOL: boolean }
  | { NULL: boolean } // the SDK types it so; anything but true is refused at run time
  | { L: AttributeValueInput[] }
  | { M: Record<string, AttributeValueInput> }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: Uint8Array[] }
  | { $unknown: [string, unknown] };

/** An item as the functions accept it (see {@link AttributeValueInput}). */
export type ItemInput = Record<string, AttributeValueInput>;

/** Attribute name -> action. */
export type Actions = Record<string, Action> | Map<string, Action>;

export interface EncryptRecordOptions {
  /** The action of each attribute. */
  actions: Actions;
  /** The table name (bound into the encryption context). */
  tableName: string;
  /** The partition key attribute name. */
  partitionKey: string;
  /** The sort key attribute name, if the table has one. */
  sortKey?: string | null;
  /** The action of attributes missing from `actions` (else such an attribute is an error). */
  defaultAction?: Action | null;
  /** Your own encryption context (keys may not start with `aws-mrkenv:`). */
  encryptionContext?: EncryptionContext;
  /** Limits the item and its context must fit (default {@link defaultLimits}). */
  limits?: Limits;
}

export interface DecryptRecordOptions {
  /** The table name; the record must have been written for it. */
  tableName: string;
  /** The partition key attribute name; must be the record's. */
  partitionKey: string;
  /** The sort key attribute name; must be the record's (both absent, or equal). */
  sortKey?: string | null;
  /** Pairs that must be present, with equal values, in the record's context. */
  encryptionContext?: EncryptionContext;
  /** Return an item without the reserved attributes unchanged instead of failing (migration). Default false. */
  allowPlaintext?: boolean;
  /** Limits the record must fit (default {@link defaultLimits}). */
  limits?: Limits;
}

/**
 * Encrypts a DynamoDB item attribute by attribute: `ENCRYPT_AND_SIGN`
 * attributes become `B` values, the others stay, and `aws_mrkenv_header` and
 * `aws_mrkenv_tag` are added. Unknown option names throw a TypeError.
 *
 * @example
 * const encrypted = await encryptRecord(keyring, { employeeId: { S: "1234" }, name: { S: "Andy" } }, {
 *   tableName: "global-table-example",
 *   partitionKey: "employeeId",
 *   actions: { employeeId: Action.SIGN_ONLY, name: Action.ENCRYPT_AND_SIGN },
 * });
 * await dynamodb.send(new PutItemCommand({ TableName: "global-table-example", Item: encrypted }));
 */
export function encryptRecord(keyring: Keyring, item: ItemInput, options: EncryptRecordOptions): Promise<Item>;

/**
 * Decrypts an item written by {@link encryptRecord}; nothing is decrypted
 * unless the commitment and the tag over every signed attribute verify.
 * Unknown option names throw a TypeError.
 *
 * @example
 * const { Item } = await dynamodb.send(new GetItemCommand({ TableName, Key: { employeeId: { S: "1234" } } }));
 * const item = await decryptRecord(keyring, Item!, { tableName: TableName, partitionKey: "employeeId" });
 */
export function decryptRecord(keyring: Keyring, item: ItemInput, options: DecryptRecordOptions): Promise<Item>;

// ---------------------------------------------------------------- re-keying

export interface RekeyOptions {
  /** Wrap the data key with every key of this keyring too (KMS `Encrypt` per key, or raw AES locally). */
  add?: KmsMrkKeyring | RawAesKeyring | null;
  /**
   * Drop the encrypted data keys of these keys: KMS key ARNs (exact match,
   * see `matchReplicas`) or raw AES key names. Each must be in the message,
   * and at least one encrypted data key must remain (else `InvalidArgument`).
   */
  remove?: readonly string[] | null;
  /** Pairs the message's encryption context must hold (checked, never changed). */
  encryptionContext?: EncryptionContext;
  /** Removing a multi-Region key ARN also removes its replicas' encrypted data keys. Default false. */
  matchReplicas?: boolean;
  /** Limits the old and the new header must fit (default {@link defaultLimits}). */
  limits?: Limits;
}

/**
 * Re-keys a message without touching its body: finds the data key with
 * `keyring` (as decrypt does), wraps it with the keys of `add`, drops the
 * encrypted data keys of `remove`, and writes a new header and header tag;
 * the frames stay byte for byte. Not revocation: old copies still open with
 * the old keys. Unknown option names throw a TypeError.
 *
 * @example
 * const rekeyed = await rekey(new KmsMrkKeyring({ client: east, keyIds: [eastArn] }), message, {
 *   add: new KmsMrkKeyring({ client: west, keyIds: [westArn] }),
 *   remove: [eastArn],
 * });
 */
export function rekey(keyring: Keyring, message: Uint8Array, options?: RekeyOptions): Promise<Bytes>;

/**
 * Re-keys only the head of a message: `head` holds its first bytes, at
 * least up to the end of the header tag (more is ignored). The re-keyed
 * message is the returned `head` followed by the old message from
 * `bodyOffset` (for example an S3 copy with a byte range); the body is not read.
 *
 * @example
 * const { head, bodyOffset } = await rekeyHeader(keyring, firstBytes, { add: newKeyring });
 */
export function rekeyHeader(
  keyring: Keyring,
  head: Uint8Array,
  options?: RekeyOptions,
): Promise<{ head: Bytes; bodyOffset: number }>;

export interface RekeyRecordOptions extends RekeyOptions {
  /** The table name; the record must have been written for it. */
  tableName: string;
  /** The partition key attribute name; must be the record's. */
  partitionKey: string;
  /** The sort key attribute name; must be the record's (both absent, or equal). */
  sortKey?: string | null;
  /** Pairs the record's encryption context must hold (checked, never changed). */
  encryptionContext?: EncryptionContext;
}

/**
 * Re-keys a record written by {@link encryptRecord} without decrypting its
 * attributes: checks it as {@link decryptRecord} does (table, key schema,
 * context, commitment and the tag over every signed attribute), wraps its
 * data key with the keys of `add` and drops the encrypted data keys of
 * `remove`. Only `aws_mrkenv_header` and `aws_mrkenv_tag` change; every other
 * attribute is returned as it was. Unknown option names throw a TypeError.
 *
 * @example
 * const { Item } = await dynamodb.send(new GetItemCommand({ TableName, Key }));
 * const rekeyed = await rekeyRecord(east, Item!, { tableName: TableName, partitionKey: "employeeId", add: west, remove: [eastArn] });
 * await dynamodb.send(new PutItemCommand({ TableName, Item: rekeyed }));
 */
export function rekeyRecord(keyring: Keyring, item: ItemInput, options: RekeyRecordOptions): Promise<Item>;
