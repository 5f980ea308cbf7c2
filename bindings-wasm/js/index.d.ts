// Type declarations of the npm package `mrkenv`.

/** The stable error codes of {@link MrkenvError}. */
export type ErrorCode =
  | "InvalidArn"
  | "MalformedMessage"
  | "Authentication"
  | "NoDecryptableKey"
  | "Keyring"
  | "LimitExceeded"
  | "ContextMismatch"
  | "InvalidArgument";

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
 */
export interface KmsClient {
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
 * Related MRKs (the same `mrk-` id twice) are refused at construction.
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
 * this Region, a single-Region key only when it lives here.
 *
 * @example
 * const keyring = new KmsMrkDiscoveryKeyring({
 *   client: new KMS({ region: "us-west-2" }), region: "us-west-2",
 *   discoveryFilter: { partition: "aws", accountIds: ["111122223333"] },
 * });
 */
export class KmsMrkDiscoveryKeyring {
  constructor(options: {
    client: KmsClient;
    region: string;
    discoveryFilter?: { partition: string; accountIds: string[] };
    grantTokens?: string[];
  });
  readonly region: string;
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

export interface EncryptOptions {
  encryptionContext?: EncryptionContext;
  /** Plaintext bytes per frame, 1024..=16777216 (default 65536). */
  frameLength?: number;
}

export interface DecryptOptions {
  /** Pairs that must be present, with equal values, in the message. */
  encryptionContext?: EncryptionContext;
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
): Promise<Uint8Array>;

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
): Promise<{ plaintext: Uint8Array; header: Header }>;

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
): TransformStream<Uint8Array, Uint8Array>;

/**
 * A TransformStream decrypting one message; each frame's plaintext is released
 * only after it verified, and a truncated message errors the stream.
 */
export function decryptStream(
  keyring: Keyring,
  options?: DecryptOptions,
): TransformStream<Uint8Array, Uint8Array>;

/** Reads the header of a message (or of a prefix holding the header), with no key. */
export function inspect(ciphertext: Uint8Array): Header;

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
