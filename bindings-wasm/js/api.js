// The public API of the npm package `mrkenv`. The rules (formats, MRK
// matching, response checks) live in the Rust core, compiled to wasm; this
// file validates JavaScript input, runs the KMS calls with the user's client
// (any object shaped like `new KMS({ region })` of @aws-sdk/client-kms v3) and
// maps errors to MrkenvError.

import * as wasm from "./mrkenv_wasm.js";
import { MrkenvError, call, fromNative } from "./errors.js";
import { ready, wasmExports } from "./runtime.js";

export { MrkenvError };

const DEFAULT_FRAME_LENGTH = 65536;

// ---------------------------------------------------------------- validation

function typeName(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? (value.constructor?.name ?? "an object") : typeof value;
}

function checkObject(value, what) {
  if (value === null || typeof value !== "object") {
    throw new TypeError(`${what} must be an object, got ${typeName(value)}`);
  }
  return value;
}

// A lone UTF-16 surrogate cannot be encoded as UTF-8: passed on, it would
// silently become U+FFFD in the message (an authenticated context altered).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isWellFormed =
  typeof String.prototype.isWellFormed === "function"
    ? (s) => s.isWellFormed()
    : (s) => !LONE_SURROGATE.test(s);

function checkString(value, what) {
  if (typeof value !== "string") {
    throw new TypeError(`${what} must be a string, got ${typeName(value)}`);
  }
  if (!isWellFormed(value)) {
    throw new TypeError(`${what} is not well-formed Unicode (it holds a lone surrogate)`);
  }
  return value;
}

function checkBytes(value, what) {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${what} must be a Uint8Array, got ${typeName(value)}`);
  }
  return value;
}

function checkStringArray(value, what, { nonEmpty = false } = {}) {
  if (!Array.isArray(value)) {
    throw new TypeError(`${what} must be an array of strings, got ${typeName(value)}`);
  }
  value.forEach((item, i) => checkString(item, `${what}[${i}]`));
  if (nonEmpty && value.length === 0) {
    throw new MrkenvError("Keyring", `${what} must hold at least one key id`);
  }
  return [...value];
}

function checkOptions(options, what) {
  if (options === undefined || options === null) return {};
  return checkObject(options, what);
}

/** An encryption context (plain object or Map of string -> string) as a flat list. */
function contextList(context, what = "encryptionContext") {
  if (context === undefined || context === null) return [];
  if (Array.isArray(context)) {
    throw new TypeError(`${what} must be a plain object or a Map of strings, got an array`);
  }
  const entries =
    context instanceof Map ? [...context.entries()] : Object.entries(checkObject(context, what));
  const flat = [];
  for (const [key, value] of entries) {
    checkString(key, `${what} key`);
    checkString(value, `${what}[${JSON.stringify(key)}]`);
    flat.push(key, value);
  }
  return flat;
}

function contextObject(flat) {
  const entries = [];
  for (let i = 0; i < flat.length; i += 2) entries.push([flat[i], flat[i + 1]]);
  return Object.fromEntries(entries);
}

function frameLengthOf(value) {
  if (value === undefined) return DEFAULT_FRAME_LENGTH;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`frameLength must be an integer, got ${typeName(value)}`);
  }
  if (value < 0 || value > 0xffffffff) {
    throw new MrkenvError("InvalidArgument", `invalid argument: frame length ${value} is outside 1024..=16777216`);
  }
  return value;
}

function headerOf(native) {
  const { encryptionContext, encryptedDataKeys, ...rest } = native;
  return {
    ...rest,
    encryptionContext: contextObject(encryptionContext),
    encryptedDataKeys,
  };
}

// ------------------------------------------------------------------ keyrings

// Keyring -> { native, kind, client, grantTokens }; not reachable from outside.
const states = new WeakMap();

function stateOf(keyring) {
  const state = keyring !== null && typeof keyring === "object" ? states.get(keyring) : undefined;
  if (state === undefined) {
    throw new TypeError(
      `keyring must be a KmsMrkKeyring, KmsMrkDiscoveryKeyring or RawAesKeyring, got ${typeName(keyring)}`,
    );
  }
  return state;
}

function checkClient(client) {
  if (client === null || (typeof client !== "object" && typeof client !== "function")) {
    throw new TypeError(`client must be a KMS client object, got ${typeName(client)}`);
  }
  if (typeof client.decrypt !== "function") {
    throw new TypeError("client must have a decrypt() method (e.g. new KMS({ region }) of @aws-sdk/client-kms)");
  }
  return client;
}

function grantTokensOf(value) {
  if (value === undefined || value === null) return undefined;
  return checkStringArray(value, "grantTokens");
}

/**
 * A strict multi-Region-aware KMS keyring: the first key generates the data
 * key, every other key wraps it; decrypts only with the configured keys (a
 * replica in the client's Region works for a message written with the
 * primary).
 */
export class KmsMrkKeyring {
  constructor(options) {
    ready();
    const { client, keyIds, grantTokens } = checkObject(options, "KmsMrkKeyring options");
    checkClient(client);
    const ids = checkStringArray(keyIds, "keyIds", { nonEmpty: true });
    const tokens = grantTokensOf(grantTokens);
    const native = call(() => wasm.Keyring.strict(ids));
    states.set(this, { native, kind: "strict", client, grantTokens: tokens });
    Object.defineProperty(this, "keyIds", { value: Object.freeze(ids), enumerable: true });
  }
}

/**
 * A decrypt-only keyring for one Region: MRK keys are asked in this Region,
 * single-Region keys only when they live in it. `discoveryFilter` limits the
 * keys to one partition and a list of accounts.
 */
export class KmsMrkDiscoveryKeyring {
  constructor(options) {
    ready();
    const { client, region, discoveryFilter, grantTokens } = checkObject(
      options,
      "KmsMrkDiscoveryKeyring options",
    );
    checkClient(client);
    checkString(region, "region");
    let partition;
    let accountIds;
    if (discoveryFilter !== undefined && discoveryFilter !== null) {
      checkObject(discoveryFilter, "discoveryFilter");
      partition = checkString(discoveryFilter.partition, "discoveryFilter.partition");
      accountIds = checkStringArray(discoveryFilter.accountIds, "discoveryFilter.accountIds");
    }
    const tokens = grantTokensOf(grantTokens);
    const native = call(() => wasm.Keyring.discovery(region, partition, accountIds));
    states.set(this, { native, kind: "discovery", client, grantTokens: tokens });
    Object.defineProperty(this, "region", { value: region, enumerable: true });
  }
}

/** A keyring holding a 256-bit AES wrapping key, named by namespace and name. */
export class RawAesKeyring {
  constructor(options) {
    ready();
    const { keyNamespace, keyName, wrappingKey } = checkObject(options, "RawAesKeyring options");
    checkString(keyNamespace, "keyNamespace");
    checkString(keyName, "keyName");
    checkBytes(wrappingKey, "wrappingKey");
    const native = call(() => wasm.Keyring.rawAes(keyNamespace, keyName, wrappingKey.slice()));
    states.set(this, { native, kind: "raw-aes" });
    Object.defineProperty(this, "keyNamespace", { value: keyNamespace, enumerable: true });
    Object.defineProperty(this, "keyName", { value: keyName, enumerable: true });
  }
}

// ------------------------------------------------------------ the KMS loop

function clientMethod(state, name) {
  const method = state.client[name];
  if (typeof method !== "function") {
    throw new TypeError(`client has no ${name}() method`);
  }
  return (params) => method.call(state.client, params);
}

function withGrantTokens(params, state) {
  return state.grantTokens === undefined ? params : { ...params, GrantTokens: [...state.grantTokens] };
}

function responseBytes(response, field, operation, keyId) {
  const value = response[field];
  if (value instanceof Uint8Array) return value;
  throw new MrkenvError(
    "Keyring",
    `KMS ${operation} response for ${keyId}: ${field} is not a Uint8Array (got ${typeName(value)})`,
  );
}

function responseKeyId(response, operation, keyId) {
  const value = response.KeyId;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw new MrkenvError(
      "Keyring",
      `KMS ${operation} response for ${keyId}: KeyId is not a string (got ${typeName(value)})`,
    );
  }
  return value;
}

function responseObject(response, operation, keyId) {
  if (response === null || typeof response !== "object") {
    throw new MrkenvError(
      "Keyring",
      `KMS ${operation} response for ${keyId}: expected an object, got ${typeName(response)}`,
    );
  }
  return response;
}

/** Encryption materials (a wasm `Materials`); the caller frees them. */
async function materialsFor(state, context, injected = {}) {
  if (state.kind === "raw-aes") {
    return call(() => state.native.rawAesMaterials(context, injected.dataKey, injected.rawAesIv));
  }
  // Checks limits; fails for a discovery keyring.
  const keyId = call(() => state.native.generateDataKeyRequest(context));
  const encryptionContext = contextObject(context);
  const generateDataKey = clientMethod(state, "generateDataKey");
  const otherKeys = state.native.encryptKeyIds();
  const encryptKey = otherKeys.length > 0 ? clientMethod(state, "encrypt") : null;
  const generated = responseObject(
    await generateDataKey(
      withGrantTokens({ KeyId: keyId, NumberOfBytes: 32, EncryptionContext: encryptionContext }, state),
    ),
    "GenerateDataKey",
    keyId,
  );
  const plaintext = responseBytes(generated, "Plaintext", "GenerateDataKey", keyId);
  const materials = call(() =>
    state.native.acceptGenerateDataKey(
      context,
      responseKeyId(generated, "GenerateDataKey", keyId),
      plaintext.slice(), // zeroed by the call
      responseBytes(generated, "CiphertextBlob", "GenerateDataKey", keyId),
    ),
  );
  if (otherKeys.length === 0) return materials;
  const dataKey = materials.dataKey();
  try {
    for (const otherKey of otherKeys) {
      const wrapped = responseObject(
        await encryptKey(
          withGrantTokens(
            { KeyId: otherKey, Plaintext: dataKey, EncryptionContext: encryptionContext },
            state,
          ),
        ),
        "Encrypt",
        otherKey,
      );
      call(() =>
        state.native.acceptEncrypt(
          materials,
          otherKey,
          responseKeyId(wrapped, "Encrypt", otherKey),
          responseBytes(wrapped, "CiphertextBlob", "Encrypt", otherKey),
        ),
      );
    }
  } catch (e) {
    materials.free();
    throw e;
  } finally {
    dataKey.fill(0);
  }
  return materials;
}

function describe(error) {
  if (error instanceof Error) {
    return `${error.name}: ${error.message}`;
  }
  return String(error);
}

/** Finds the data key for the decryptor's header (a wasm `DataKeyBox`). */
async function dataKeyFor(state, decryptor) {
  if (state.kind === "raw-aes") {
    return call(() => state.native.unwrapRawAes(decryptor));
  }
  const plan = call(() => state.native.decryptPlan(decryptor));
  const encryptionContext = contextObject(call(() => decryptor.header()).encryptionContext);
  const failures = [];
  let thrown = false;
  let firstThrown;
  const decryptKey = plan.requests.length > 0 ? clientMethod(state, "decrypt") : null;
  for (const request of plan.requests) {
    let response;
    try {
      response = await decryptKey(
        withGrantTokens(
          {
            KeyId: request.keyId,
            CiphertextBlob: request.ciphertextBlob,
            EncryptionContext: encryptionContext,
          },
          state,
        ),
      );
    } catch (e) {
      if (!thrown) {
        thrown = true;
        firstThrown = e;
      }
      failures.push({ keyId: request.keyId, reason: `KMS Decrypt failed: ${describe(e)}`, cause: e });
      continue;
    }
    try {
      responseObject(response, "Decrypt", request.keyId);
      const plaintext = responseBytes(response, "Plaintext", "Decrypt", request.keyId);
      const keyId = responseKeyId(response, "Decrypt", request.keyId);
      return call(() =>
        // plaintext.slice() is zeroed by the call
        state.native.acceptDecrypt(decryptor, request.edkIndex, request.keyId, keyId, plaintext.slice()),
      );
    } catch (e) {
      failures.push({ keyId: request.keyId, reason: e.message, cause: e });
    }
  }
  const errors = [...plan.skipped, ...failures];
  const native = fromNative(
    wasm.noDecryptableKey(
      errors.map((a) => a.keyId),
      errors.map((a) => a.reason),
    ),
  );
  throw new MrkenvError(native.code, native.message, thrown ? { errors, cause: firstThrown } : { errors });
}

/** Unlocks a decryptor that needs its data key. */
async function unlock(state, decryptor) {
  const dataKey = await dataKeyFor(state, decryptor);
  try {
    call(() => decryptor.setDataKey(dataKey));
  } finally {
    dataKey.free();
  }
}

// ----------------------------------------------------------------- one shot

function encryptOptionsOf(options) {
  const { encryptionContext, frameLength } = checkOptions(options, "options");
  return { context: contextList(encryptionContext), frameLength: frameLengthOf(frameLength) };
}

async function encryptWith(keyring, plaintext, options, injected) {
  ready();
  const state = stateOf(keyring);
  checkBytes(plaintext, "plaintext");
  const { context, frameLength } = encryptOptionsOf(options);
  const materials = await materialsFor(state, context, injected);
  try {
    return call(() => wasm.encryptMessage(materials, plaintext, frameLength, injected.messageId));
  } finally {
    materials.free();
  }
}

/**
 * Encrypts `plaintext` into one mrkenv message.
 *
 * @example
 * const keyring = new RawAesKeyring({ keyNamespace: "app", keyName: "k1", wrappingKey });
 * const message = await encrypt(keyring, new TextEncoder().encode("secret"), {
 *   encryptionContext: { tenant: "acme" },
 * });
 */
export async function encrypt(keyring, plaintext, options) {
  return encryptWith(keyring, plaintext, options, {});
}

/**
 * Decrypts a whole message. When `encryptionContext` is given, every pair
 * must be present with an equal value in the message (else ContextMismatch,
 * before any KMS call). Returns `{ plaintext, header }`.
 */
export async function decrypt(keyring, ciphertext, options) {
  ready();
  const state = stateOf(keyring);
  checkBytes(ciphertext, "ciphertext");
  const { encryptionContext } = checkOptions(options, "options");
  const required = contextList(encryptionContext);
  const decryptor = call(() => new wasm.MessageDecryptor(required));
  try {
    call(() => decryptor.update(ciphertext));
    if (!decryptor.needsDataKey()) {
      throw new MrkenvError("MalformedMessage", "message is truncated: the header is incomplete");
    }
    const header = headerOf(call(() => decryptor.header()));
    await unlock(state, decryptor);
    const plaintext = call(() => decryptor.update(new Uint8Array(0)));
    call(() => decryptor.finish());
    return { plaintext, header };
  } finally {
    decryptor.free();
  }
}

/** The key-free header summary of a message (a prefix holding the header is enough). */
export function inspect(ciphertext) {
  ready();
  checkBytes(ciphertext, "ciphertext");
  return headerOf(call(() => wasm.inspect(ciphertext)));
}

/** Parses a KMS ARN: `{ partition, service, region, account, resourceType, resourceId, isMrk }`. */
export function parseArn(arn) {
  ready();
  checkString(arn, "arn");
  return call(() => wasm.parseArn(arn));
}

/** True when the identifier (ARN, alias or key id) names a multi-Region key. */
export function isMrk(identifier) {
  ready();
  checkString(identifier, "identifier");
  return call(() => wasm.isMrk(identifier));
}

/** The MRK match of the AWS Encryption SDK specification (Region ignored for MRKs). */
export function mrkMatch(a, b) {
  ready();
  checkString(a, "a");
  checkString(b, "b");
  return call(() => wasm.mrkMatch(a, b));
}

// ------------------------------------------------------------------ streams

const STREAM_SLICE = 65536;

/**
 * A TransformStream that encrypts Uint8Array chunks into one message. Holds
 * about one frame of plaintext; KMS is called when the first chunk (or the
 * end) arrives.
 */
export function encryptStream(keyring, options) {
  return encryptStreamWith(keyring, options, {});
}

function encryptStreamWith(keyring, options, injected) {
  ready();
  const state = stateOf(keyring);
  const { context, frameLength } = encryptOptionsOf(options);
  // The wasm encryptor is freed when the stream ends, errors or is cancelled
  // (aborted writable or cancelled readable); `closed` keeps a KMS answer
  // that arrives after a cancel from creating one.
  let encryptor = null;
  let closed = false;
  const start = async () => {
    if (encryptor !== null) return encryptor;
    const materials = await materialsFor(state, context, injected);
    try {
      if (closed) throw new MrkenvError("InvalidArgument", "invalid argument: the encrypt stream was cancelled");
      encryptor = call(() => new wasm.MessageEncryptor(materials, frameLength, injected.messageId));
    } finally {
      materials.free();
    }
    return encryptor;
  };
  const release = () => {
    closed = true;
    if (encryptor !== null) {
      encryptor.free();
      encryptor = null;
    }
  };
  return new TransformStream({
    async transform(chunk, controller) {
      try {
        checkBytes(chunk, "stream chunk");
        const enc = await start();
        const step = Math.max(frameLength, 1);
        for (let at = 0; at < chunk.length; at += step) {
          const out = call(() => enc.update(chunk.subarray(at, at + step)));
          if (out.length > 0) controller.enqueue(out);
        }
      } catch (e) {
        release();
        throw e;
      }
    },
    async flush(controller) {
      try {
        const enc = await start();
        const out = call(() => enc.update(new Uint8Array(0)));
        if (out.length > 0) controller.enqueue(out);
        controller.enqueue(call(() => enc.finish()));
      } finally {
        release();
      }
    },
    cancel() {
      release();
    },
  });
}

/**
 * A TransformStream that decrypts one message from Uint8Array chunks. Each
 * frame's plaintext is released only after that frame verified; a stream
 * that ends before the final frame errors. Holds about one frame.
 */
export function decryptStream(keyring, options) {
  ready();
  const state = stateOf(keyring);
  const { encryptionContext } = checkOptions(options, "options");
  const required = contextList(encryptionContext);
  let decryptor = call(() => new wasm.MessageDecryptor(required));
  // While a transform awaits KMS, a cancel must not free the decryptor under
  // it: the transform frees it when it resumes.
  let busy = false;
  let cancelled = false;
  const release = () => {
    if (decryptor !== null) {
      decryptor.free();
      decryptor = null;
    }
  };
  const live = () => {
    if (cancelled) throw new MrkenvError("InvalidArgument", "invalid argument: the decrypt stream was cancelled");
    if (decryptor === null) {
      throw new MrkenvError("InvalidArgument", "invalid argument: the decrypt stream already failed");
    }
    return decryptor;
  };
  const feed = async (bytes, controller) => {
    const out = call(() => live().update(bytes));
    if (out.length > 0) controller.enqueue(out);
    if (live().needsDataKey()) {
      await unlock(state, live());
      const rest = call(() => live().update(new Uint8Array(0)));
      if (rest.length > 0) controller.enqueue(rest);
    }
  };
  return new TransformStream({
    async transform(chunk, controller) {
      busy = true;
      try {
        checkBytes(chunk, "stream chunk");
        live();
        for (let at = 0; at < chunk.length; at += STREAM_SLICE) {
          await feed(chunk.subarray(at, at + STREAM_SLICE), controller);
        }
      } catch (e) {
        release();
        throw e;
      } finally {
        busy = false;
        if (cancelled) release();
      }
    },
    async flush() {
      try {
        call(() => live().finish());
      } finally {
        release();
      }
    },
    cancel() {
      cancelled = true;
      if (!busy) release();
    },
  });
}

// ------------------------------------------------------ testing (internal)

function injectedOf(options) {
  const { messageId, dataKey, rawAesIv } = checkOptions(options, "options");
  const injected = { messageId: checkBytes(messageId, "messageId") };
  if (dataKey !== undefined) injected.dataKey = checkBytes(dataKey, "dataKey");
  if (rawAesIv !== undefined) injected.rawAesIv = checkBytes(rawAesIv, "rawAesIv");
  return injected;
}

/**
 * INTERNAL, for test vectors only (exported from `mrkenv/testing`): encrypts
 * with an injected message id and, for raw AES keyrings, an injected data key
 * and wrapping IV. Reusing these values in real messages destroys security.
 */
export async function _encryptWithInjected(keyring, plaintext, options) {
  const { encryptionContext, frameLength } = checkOptions(options, "options");
  return encryptWith(keyring, plaintext, { encryptionContext, frameLength }, injectedOf(options));
}

/** INTERNAL: encryptStream with injected randomness (see `_encryptWithInjected`). */
export function _encryptStreamWithInjected(keyring, options) {
  const { encryptionContext, frameLength } = checkOptions(options, "options");
  return encryptStreamWith(keyring, { encryptionContext, frameLength }, injectedOf(options));
}

/** INTERNAL: whether the wasm linear memory holds `needle` anywhere (for key-hygiene tests). */
export function _wasmMemoryIncludes(needle) {
  ready();
  checkBytes(needle, "needle");
  const memory = new Uint8Array(wasmExports().memory.buffer);
  if (needle.length === 0) return true;
  for (let at = memory.indexOf(needle[0]); at !== -1; at = memory.indexOf(needle[0], at + 1)) {
    let i = 1;
    while (i < needle.length && memory[at + i] === needle[i]) i++;
    if (i === needle.length) return true;
  }
  return false;
}

/** INTERNAL: the size of the wasm linear memory, in bytes (for memory-bound tests). */
export function _wasmMemoryBytes() {
  ready();
  return wasmExports().memory.buffer.byteLength;
}
