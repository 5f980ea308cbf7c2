// The public API of the npm package `mrkenv`. The rules (formats, MRK
// matching, response checks) live in the Rust core, compiled to wasm; this
// file validates JavaScript input, runs the KMS calls with the user's client
// (any object shaped like `new KMS({ region })` of @aws-sdk/client-kms v3) and
// maps errors to MrkenvError.

import * as wasm from "./mrkenv_wasm.js";
import { MrkenvError, call, fromNative } from "./errors.js";
import { generation, ready, wasmExports } from "./runtime.js";
import { HostStreamDecryptor, HostStreamEncryptor, hostDecrypt, hostEncrypt, hostFor, setCryptoPath } from "./host_aes.js";

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

/** What to do with a string given where bytes are expected. */
function bytesHint(text) {
  switch (wasm.stringEncoding(text)) {
    case "hex":
      return "this looks like hex text; decode it to bytes first (Uint8Array.from(Buffer.from(s, \"hex\")) in Node)";
    case "base64":
      return "this looks like base64 text; decode it to bytes first (Uint8Array.from(atob(s), (c) => c.charCodeAt(0)))";
    default:
      return "encode text with new TextEncoder().encode(s)";
  }
}

function checkBytes(value, what) {
  if (typeof value === "string") {
    throw new TypeError(`${what} must be a Uint8Array, got a string: ${bytesHint(value)}`);
  }
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

/**
 * An options (or constructor argument) object with only `accepted` keys: a
 * misspelled option must never be ignored (a `context` meant as
 * `encryptionContext` would silently turn the required-context check off).
 */
function knownOptions(options, what, accepted) {
  checkObject(options, what);
  for (const key of Object.keys(options)) {
    if (!accepted.includes(key)) {
      throw new TypeError(`${what}: unknown option ${JSON.stringify(key)} (accepted: ${accepted.join(", ")})`);
    }
  }
  return options;
}

/** Like `knownOptions`, for an optional options argument (undefined or null is `{}`). */
function checkOptions(options, what, accepted) {
  if (options === undefined || options === null) return {};
  return knownOptions(options, what, accepted);
}

/**
 * The names of the core's limits (core/src/limits.rs), in the order the wasm
 * module reads them (bindings-wasm/src/limits.rs).
 */
const LIMIT_NAMES = [
  "maxEncryptedDataKeys",
  "maxHeaderBytes",
  "maxContextEntries",
  "maxContextBytes",
  "maxFrameLength",
  "maxRecordAttributes",
  "maxRecordDepth",
];

/** The `limits` option as the wasm module takes it (0 keeps a default), or undefined. */
function limitsOf(value) {
  if (value === undefined || value === null) return undefined;
  knownOptions(value, "limits", LIMIT_NAMES);
  return LIMIT_NAMES.map((name) => {
    const limit = value[name];
    if (limit === undefined) return 0;
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > 0xffffffff) {
      throw new TypeError(`limits.${name} must be an integer from 1 to 4294967295, got ${typeof limit === "number" ? limit : typeName(limit)}`);
    }
    return limit;
  });
}

/** The core's default limits, by name (see `limits` of the options). */
export function defaultLimits() {
  ready();
  const values = wasm.defaultLimits();
  return Object.fromEntries(LIMIT_NAMES.map((name, i) => [name, values[i]]));
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

/**
 * The header summary the wasm module gives as JSON text (one string across
 * the boundary: bindings-wasm/src/lib.rs `summary_value`), with the
 * encryption context's flat list made an object.
 */
function headerOf(json) {
  const { version, suite, suiteName, messageId, encryptionContext, frameLength, encryptedDataKeys } = JSON.parse(json);
  return {
    version,
    suite,
    suiteName,
    messageId,
    frameLength,
    encryptionContext: contextObject(encryptionContext),
    encryptedDataKeys,
  };
}

// ------------------------------------------------------------------ keyrings

// Keyring -> { native, generation, client?, grantTokens?, make?, makeIn?,
// region?, checked? }; not reachable from outside. `native` is the wasm
// keyring, made in wasm instance `generation`: null for a discovery keyring
// that takes its Region from the client, until first use (`makeIn(region)`
// makes it then). `make` makes it again in a new wasm instance (KMS keyrings
// only: their configuration holds no secret). `checked` is the promise of
// the one Region check (see `prepare`).
const states = new WeakMap();

function stateOf(keyring, what = "keyring") {
  const state = keyring !== null && typeof keyring === "object" ? states.get(keyring) : undefined;
  if (state === undefined) {
    throw new TypeError(
      `${what} must be a KmsMrkKeyring, KmsMrkDiscoveryKeyring or RawAesKeyring, got ${typeName(keyring)}`,
    );
  }
  if (state.generation !== generation()) {
    // The wasm instance was replaced after an internal error (see runtime.js).
    if (state.make === undefined) {
      throw new MrkenvError(
        "InvalidArgument",
        `invalid argument: ${what} was made before the WebAssembly module was reset after an internal error; create it again`,
      );
    }
    state.native = state.make === null ? null : call(state.make);
    state.generation = generation();
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
 * The client's Region, when it says (AWS SDK v3: `client.config.region`, a
 * string or a function returning one or a promise of one); undefined when
 * it does not.
 */
async function clientRegion(client) {
  const config = client.config;
  if (config === null || typeof config !== "object" || config.region === undefined || config.region === null) {
    return undefined;
  }
  let region;
  try {
    region = typeof config.region === "function" ? await config.region() : config.region;
  } catch (e) {
    throw new MrkenvError("InvalidArgument", `invalid argument: the KMS client's Region (client.config.region()) failed: ${e?.message ?? e}`, { cause: e });
  }
  if (region === undefined || region === null) return undefined;
  if (typeof region !== "string") {
    throw new TypeError(`client.config.region() must give a string, got ${typeName(region)}`);
  }
  return region;
}

/**
 * Makes the keyring ready for its first KMS session, once: a discovery
 * keyring without a Region takes the client's; the client's Region must fit
 * the keyring (the core's rule: a strict keyring's key ARN Regions, a
 * discovery keyring's Region). A client that names no Region is not checked.
 */
function prepare(state) {
  if (state.client === undefined) return undefined; // raw AES: no client
  state.checked ??= (async () => {
    const region = await clientRegion(state.client);
    if (state.make === null) {
      if (region === undefined) {
        throw new MrkenvError(
          "InvalidArgument",
          "invalid argument: the discovery keyring has no Region: give `region`, or a client whose config.region() names one",
        );
      }
      const { makeIn } = state;
      state.make = () => makeIn(region);
      state.native = call(state.make);
      state.region = region;
    }
    if (region !== undefined) call(() => state.native.checkClientRegion(region));
  })();
  return state.checked;
}

const STRICT_OPTIONS = ["client", "keyIds", "grantTokens"];
const DISCOVERY_OPTIONS = ["client", "region", "discoveryFilter", "grantTokens"];
const FILTER_OPTIONS = ["partition", "accountIds"];
const RAW_AES_OPTIONS = ["keyNamespace", "keyName", "wrappingKey"];

/**
 * A strict multi-Region-aware KMS keyring: the first key generates the data
 * key, every other key wraps it; decrypts only with the configured keys (a
 * replica in the client's Region works for a message written with the
 * primary). A client whose Region (`client.config.region()`) is not the
 * Region of a key ARN is refused at first use.
 */
export class KmsMrkKeyring {
  constructor(options) {
    ready();
    const { client, keyIds, grantTokens } = knownOptions(options, "KmsMrkKeyring options", STRICT_OPTIONS);
    checkClient(client);
    const ids = checkStringArray(keyIds, "keyIds", { nonEmpty: true });
    const tokens = grantTokensOf(grantTokens);
    const make = () => wasm.Keyring.strict(ids);
    const native = call(make);
    states.set(this, { native, client, grantTokens: tokens, make, generation: generation() });
    Object.defineProperty(this, "keyIds", { value: Object.freeze(ids), enumerable: true });
  }
}

/**
 * A decrypt-only keyring for one Region: MRK keys are asked in this Region,
 * single-Region keys only when they live in it. `discoveryFilter` limits the
 * keys to one partition and a list of accounts. Without `region`, the
 * client's Region (`client.config.region()`) is taken at first use; a
 * given `region` that differs from the client's is refused at first use.
 */
export class KmsMrkDiscoveryKeyring {
  constructor(options) {
    ready();
    const { client, region, discoveryFilter, grantTokens } = knownOptions(
      options,
      "KmsMrkDiscoveryKeyring options",
      DISCOVERY_OPTIONS,
    );
    checkClient(client);
    const given = region === undefined || region === null ? undefined : checkString(region, "region");
    let partition;
    let accountIds;
    if (discoveryFilter !== undefined && discoveryFilter !== null) {
      knownOptions(discoveryFilter, "discoveryFilter", FILTER_OPTIONS);
      partition = checkString(discoveryFilter.partition, "discoveryFilter.partition");
      accountIds = checkStringArray(discoveryFilter.accountIds, "discoveryFilter.accountIds");
    }
    const tokens = grantTokensOf(grantTokens);
    const makeIn = (r) => wasm.Keyring.discovery(r, partition, accountIds);
    const state = { native: null, client, grantTokens: tokens, make: null, makeIn, region: given, generation: generation() };
    if (given !== undefined) {
      // Validated now (the core's checks of the Region and the filter).
      state.make = () => makeIn(given);
      state.native = call(state.make);
    } else if (partition !== undefined) {
      // The Region comes from the client at first use; the filter is checked now.
      call(() => wasm.checkDiscoveryFilter(partition, accountIds));
    }
    states.set(this, state);
    Object.defineProperty(this, "region", { get: () => state.region, enumerable: true });
  }
}

/** A keyring holding a 256-bit AES wrapping key, named by namespace and name. */
export class RawAesKeyring {
  constructor(options) {
    ready();
    const { keyNamespace, keyName, wrappingKey } = knownOptions(options, "RawAesKeyring options", RAW_AES_OPTIONS);
    checkString(keyNamespace, "keyNamespace");
    checkString(keyName, "keyName");
    checkBytes(wrappingKey, "wrappingKey");
    const native = call(() => wasm.Keyring.rawAes(keyNamespace, keyName, wrappingKey.slice()));
    states.set(this, { native, generation: generation() });
    Object.defineProperty(this, "keyNamespace", { value: keyNamespace, enumerable: true });
    Object.defineProperty(this, "keyName", { value: keyName, enumerable: true });
  }
}

// ------------------------------------------------------- the KMS adapter

const METHOD = { GenerateDataKey: "generateDataKey", Encrypt: "encrypt", Decrypt: "decrypt" };
const bytesOr = (value) => (value instanceof Uint8Array ? value : new Uint8Array(0));

function describe(error) {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Steps a core KMS session (wasm `KmsSession`) with the keyring's client:
 * each call the core asks for is made, awaited and answered; a thrown value
 * is kept by attempt index. Returns when the session is done; else throws
 * the core's error as a MrkenvError, `cause` chosen by the core's rule.
 */
async function converse(session, { client, grantTokens }) {
  const thrown = new Map(); // attempt -> what the client threw
  const called = new Set();
  let step;
  while ((step = call(() => session.next())).call) {
    const { attempt, operation, keyId, encryptionContext, numberOfBytes, plaintext, ciphertextBlob } = step.call;
    const method = client[METHOD[operation]];
    if (typeof method !== "function") {
      plaintext?.fill(0);
      throw new TypeError(`client has no ${METHOD[operation]}() method`);
    }
    called.add(attempt);
    const params = { KeyId: keyId, NumberOfBytes: numberOfBytes, Plaintext: plaintext, CiphertextBlob: ciphertextBlob,
      EncryptionContext: contextObject(encryptionContext), GrantTokens: grantTokens && [...grantTokens] };
    Object.keys(params).forEach((k) => params[k] === undefined && delete params[k]);
    let response;
    try {
      response = await method.call(client, params);
    } catch (e) {
      thrown.set(attempt, e);
      call(() => session.fail(describe(e)));
      continue;
    } finally {
      plaintext?.fill(0); // our copy of the data key (Encrypt)
    }
    // A missing or mistyped field goes to the core empty; the core says what is wrong.
    const { KeyId, Plaintext, CiphertextBlob } = response !== null && typeof response === "object" ? response : {};
    const key = bytesOr(Plaintext);
    try {
      call(() => session.answer(typeof KeyId === "string" ? KeyId : undefined, key, bytesOr(CiphertextBlob)));
    } finally {
      key.fill(0); // the response's own buffer (answer zeroes the wasm copy)
    }
  }
  if (step.done) return;
  const { code, message, errors } = fromNative(step.failed);
  const attempts = errors.map((a, i) => {
    if (thrown.has(i)) return { ...a, cause: thrown.get(i) };
    return called.has(i) ? { ...a, cause: new MrkenvError("Keyring", a.reason) } : a; // a rejected response
  });
  const cause = session.causeAttempt();
  throw new MrkenvError(code, message, cause === undefined ? { errors: attempts } : { errors: attempts, cause: thrown.get(cause) });
}

/** Encryption materials (a wasm `Materials`); the caller frees them. */
async function materialsFor(state, context, injected = {}, limits = undefined) {
  if (injected.dataKey !== undefined) {
    return call(() => state.native.encryptionMaterialsWith(context, injected.dataKey, injected.rawAesIv));
  }
  await prepare(state);
  const session = call(() => state.native.encryptSession(context, limits));
  try {
    await converse(session, state);
    return call(() => session.materials());
  } finally {
    session.free();
  }
}

/** Unlocks a decryptor that needs its data key; returns the plaintext of
 * what it had buffered meanwhile. */
async function unlock(state, decryptor) {
  await prepare(state);
  const session = call(() => state.native.decryptSession(decryptor));
  try {
    await converse(session, state);
    const dataKey = call(() => session.dataKey());
    try {
      return call(() => decryptor.setDataKey(dataKey));
    } finally {
      dataKey.free();
    }
  } finally {
    session.free();
  }
}

/** Finds and sets the data key of a host-path opener (host_aes.js). */
async function unlockHost(state, opener) {
  await prepare(state);
  const session = call(() => state.native.hostDecryptSession(opener));
  try {
    await converse(session, state);
    const dataKey = call(() => session.dataKey());
    try {
      call(() => opener.setDataKey(dataKey));
    } finally {
      dataKey.free();
    }
  } finally {
    session.free();
  }
}

// ----------------------------------------------------------------- one shot

const ENCRYPT_OPTIONS = ["encryptionContext", "frameLength", "limits"];
const DECRYPT_OPTIONS = ["encryptionContext", "limits"];
const INSPECT_OPTIONS = ["limits"];

function encryptOptionsOf(options, what = "encrypt options") {
  const { encryptionContext, frameLength, limits } = checkOptions(options, what, ENCRYPT_OPTIONS);
  return { context: contextList(encryptionContext), frameLength: frameLengthOf(frameLength), limits: limitsOf(limits) };
}

function decryptOptionsOf(options, what) {
  const { encryptionContext, limits } = checkOptions(options, what, DECRYPT_OPTIONS);
  return { required: contextList(encryptionContext), limits: limitsOf(limits) };
}

async function encryptOnce(keyring, plaintext, options, injected) {
  ready();
  const state = stateOf(keyring);
  checkBytes(plaintext, "plaintext");
  const { context, frameLength, limits } = encryptOptionsOf(options);
  const materials = await materialsFor(state, context, injected, limits);
  try {
    const host = hostFor(plaintext.length);
    if (host !== null) return await hostEncrypt(host, materials, plaintext, frameLength, injected.messageId);
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
  return encryptOnce(keyring, plaintext, options, {});
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
  const { required, limits } = decryptOptionsOf(options, "decrypt options");
  const host = hostFor(ciphertext.length);
  if (host !== null) {
    // The bulk AES-GCM on the host; the message never enters wasm memory.
    const opened = await hostDecrypt(host, ciphertext, required, (opener) => unlockHost(state, opener), limits);
    return { plaintext: opened.plaintext, header: headerOf(opened.header) };
  }
  const decryptor = call(() => new wasm.MessageDecryptor(required, limits));
  try {
    call(() => decryptor.update(ciphertext));
    if (!decryptor.needsDataKey()) {
      throw new MrkenvError("MalformedMessage", "message is truncated: the header is incomplete");
    }
    const header = headerOf(call(() => decryptor.header()));
    const plaintext = await unlock(state, decryptor);
    call(() => decryptor.finish());
    return { plaintext, header };
  } finally {
    decryptor.free();
  }
}

/**
 * The key-free header summary of a message (a prefix holding the header is
 * enough), read under `limits`.
 */
export function inspect(ciphertext, options) {
  ready();
  checkBytes(ciphertext, "ciphertext");
  const { limits } = checkOptions(options, "inspect options", INSPECT_OPTIONS);
  return headerOf(call(() => wasm.inspect(ciphertext, limitsOf(limits))));
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
  return encryptStreamOf(keyring, options, {});
}

function encryptStreamOf(keyring, options, injected) {
  ready();
  const state = stateOf(keyring);
  const { context, frameLength, limits } = encryptOptionsOf(options, "encryptStream options");
  // The wasm encryptor is freed when the stream ends, errors or is cancelled
  // (aborted writable or cancelled readable); `closed` keeps a KMS answer
  // that arrives after a cancel from creating one.
  let encryptor = null;
  let closed = false;
  const start = async () => {
    if (encryptor !== null) return encryptor;
    const materials = await materialsFor(state, context, injected, limits);
    try {
      if (closed) throw new MrkenvError("InvalidArgument", "invalid argument: the encrypt stream was cancelled");
      // The host's AES-GCM when there is one (a stream's length is unknown).
      const host = hostFor(Infinity);
      encryptor =
        host !== null
          ? new HostStreamEncryptor(host, materials, frameLength, injected.messageId)
          : call(() => new wasm.MessageEncryptor(materials, frameLength, injected.messageId));
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
          const out = await call(() => enc.update(chunk.subarray(at, at + step)));
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
        const out = await call(() => enc.update(new Uint8Array(0)));
        if (out.length > 0) controller.enqueue(out);
        controller.enqueue(await call(() => enc.finish()));
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
  const { required, limits } = decryptOptionsOf(options, "decryptStream options");
  // The host's AES-GCM when there is one (a stream's length is unknown).
  const host = hostFor(Infinity);
  let decryptor =
    host !== null ? new HostStreamDecryptor(host, required, limits) : call(() => new wasm.MessageDecryptor(required, limits));
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
    const out = await call(() => live().update(bytes));
    if (out.length > 0) controller.enqueue(out);
    if (live().needsDataKey()) {
      const dec = live();
      const rest =
        dec instanceof HostStreamDecryptor ? await dec.unlock((opener) => unlockHost(state, opener)) : await unlock(state, dec);
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

// ------------------------------------------------------------------ records

/**
 * The action of an attribute of a record: what `encryptRecord` does with it.
 * Key attributes (partition and sort key) must be `SIGN_ONLY` or
 * `SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT`.
 */
export const Action = Object.freeze({
  /** Encrypt the value; the record tag covers the ciphertext. */
  ENCRYPT_AND_SIGN: "ENCRYPT_AND_SIGN",
  /** Keep the value in the clear; the record tag covers it. */
  SIGN_ONLY: "SIGN_ONLY",
  /** Like SIGN_ONLY, and put the value (S, N or B) in the encryption context, so it reaches KMS. */
  SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT: "SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT",
  /** Keep the value in the clear, unauthenticated: it may change freely. */
  DO_NOTHING: "DO_NOTHING",
});

const ENCRYPT_RECORD_OPTIONS = ["actions", "tableName", "partitionKey", "sortKey", "defaultAction", "encryptionContext", "limits"];
const DECRYPT_RECORD_OPTIONS = ["tableName", "partitionKey", "sortKey", "encryptionContext", "allowPlaintext", "limits"];
const INJECTED_OPTIONS = ["messageId", "dataKey", "rawAesIv"];

const optionalString = (value, what) => (value === undefined || value === null ? undefined : checkString(value, what));

/** Attribute name -> action (plain object or Map) as a flat list; the core checks the names. */
function actionsList(actions) {
  if (actions === undefined || actions === null || Array.isArray(actions) || typeof actions !== "object") {
    throw new TypeError(`actions must be a plain object or a Map of attribute name -> action, got ${typeName(actions)}`);
  }
  const entries = actions instanceof Map ? [...actions.entries()] : Object.entries(actions);
  const flat = [];
  for (const [name, action] of entries) {
    checkString(name, "actions key");
    checkString(action, `actions[${JSON.stringify(name)}]`);
    flat.push(name, action);
  }
  return flat;
}

function tableOf(options) {
  return {
    tableName: checkString(options.tableName, "tableName"),
    partitionKey: checkString(options.partitionKey, "partitionKey"),
    sortKey: optionalString(options.sortKey, "sortKey"),
  };
}

/** Materials for a record's context (a wasm `Materials`); the caller frees them. */
async function recordMaterials(state, plan, injected) {
  if (injected.dataKey !== undefined) {
    return call(() => state.native.recordMaterialsWith(plan, injected.dataKey, injected.rawAesIv));
  }
  await prepare(state);
  const session = call(() => state.native.recordEncryptSession(plan));
  try {
    await converse(session, state);
    return call(() => session.materials());
  } finally {
    session.free();
  }
}

async function encryptRecordOf(keyring, item, options, injected) {
  ready();
  const state = stateOf(keyring);
  const { tableName, partitionKey, sortKey } = tableOf(options);
  const actions = actionsList(options.actions);
  const defaultAction = optionalString(options.defaultAction, "defaultAction");
  const context = contextList(options.encryptionContext);
  const limits = limitsOf(options.limits);
  // Every check of the item and the options runs here, before any KMS call.
  const plan = call(
    () => new wasm.RecordEncryptPlan(item, tableName, partitionKey, sortKey, actions, defaultAction, context, injected.messageId, limits),
  );
  try {
    const materials = await recordMaterials(state, plan, injected);
    try {
      return call(() => plan.seal(materials));
    } finally {
      materials.free();
    }
  } finally {
    plan.free();
  }
}

/**
 * Encrypts a DynamoDB item (AWS SDK v3 `AttributeValue` shapes, as
 * `PutItemCommand` takes) attribute by attribute: each `ENCRYPT_AND_SIGN`
 * attribute becomes a `B` value, the others stay as they are, and two
 * reserved attributes (`aws_mrkenv_header`, `aws_mrkenv_tag`) are added.
 * Every attribute needs an action in `actions` unless `defaultAction` is
 * given. The encryption context passed to KMS holds the table name, the key
 * names and values and `encryptionContext`.
 *
 * @example
 * const encrypted = await encryptRecord(keyring, { employeeId: { S: "1234" }, name: { S: "Andy" } }, {
 *   tableName: "global-table-example",
 *   partitionKey: "employeeId",
 *   actions: { employeeId: Action.SIGN_ONLY, name: Action.ENCRYPT_AND_SIGN },
 * });
 */
export async function encryptRecord(keyring, item, options) {
  return encryptRecordOf(keyring, item, knownOptions(options, "encryptRecord options", ENCRYPT_RECORD_OPTIONS), {});
}

/**
 * Decrypts an item written by `encryptRecord` (as `GetItemCommand` returns
 * it): checks the table and key schema, the required `encryptionContext`,
 * the key commitment and the record tag over every signed attribute before
 * anything is decrypted, and returns the item without the reserved
 * attributes. An item without them is refused unless `allowPlaintext` is
 * true (then it is returned as it is: for migrating a table).
 */
export async function decryptRecord(keyring, item, options) {
  ready();
  const state = stateOf(keyring);
  knownOptions(options, "decryptRecord options", DECRYPT_RECORD_OPTIONS);
  const { tableName, partitionKey, sortKey } = tableOf(options);
  const required = contextList(options.encryptionContext);
  const { allowPlaintext = false } = options;
  if (typeof allowPlaintext !== "boolean") {
    throw new TypeError(`allowPlaintext must be a boolean, got ${typeName(allowPlaintext)}`);
  }
  const limits = limitsOf(options.limits);
  const plan = call(() => new wasm.RecordDecryptPlan(item, tableName, partitionKey, sortKey, required, allowPlaintext, limits));
  try {
    if (plan.isPlaintext()) return call(() => plan.plaintextItem());
    await prepare(state);
    const session = call(() => state.native.recordDecryptSession(plan));
    try {
      await converse(session, state);
      const dataKey = call(() => session.dataKey());
      try {
        return call(() => plan.open(dataKey));
      } finally {
        dataKey.free();
      }
    } finally {
      session.free();
    }
  } finally {
    plan.free();
  }
}

// ---------------------------------------------------------------- re-keying

const REKEY_OPTIONS = ["add", "remove", "encryptionContext", "matchReplicas", "limits"];

function rekeyOptionsOf(options, what, accepted = REKEY_OPTIONS) {
  const { add, remove, encryptionContext, matchReplicas = false, limits } = checkOptions(options, what, accepted);
  if (typeof matchReplicas !== "boolean") {
    throw new TypeError(`matchReplicas must be a boolean, got ${typeName(matchReplicas)}`);
  }
  return {
    add: add === undefined || add === null ? undefined : stateOf(add, "add"),
    remove: remove === undefined || remove === null ? [] : checkStringArray(remove, "remove"),
    required: contextList(encryptionContext),
    matchReplicas,
    limits: limitsOf(limits),
  };
}

/**
 * The two KMS sessions of a re-key (a wasm `MessageRekey` or `RecordRekey`,
 * freed here): the decrypt session with the keyring's client, the wrap
 * session with the `add` keyring's client, then `finish(materials)` writes
 * the result. The data key stays in wasm memory from one session to the
 * other.
 */
async function rekeySessions(state, add, plan, decryptSession, finish) {
  try {
    await prepare(state);
    if (add !== undefined) await prepare(add);
    const unwrap = call(() => decryptSession(plan));
    try {
      await converse(unwrap, state);
      const dataKey = call(() => unwrap.dataKey());
      try {
        call(() => plan.verify(dataKey));
      } finally {
        dataKey.free();
      }
    } finally {
      unwrap.free();
    }
    const wrap = call(() => plan.wrapSession());
    try {
      await converse(wrap, add ?? {});
      const materials = call(() => wrap.materials());
      try {
        return call(() => finish(materials));
      } finally {
        materials.free();
      }
    } finally {
      wrap.free();
    }
  } finally {
    plan.free();
  }
}

/**
 * The re-key of `bytes` (a whole message, or its head): the plan (every
 * check that needs no key), then the two sessions and the new head.
 */
async function rekeyOf(keyring, bytes, options, what, wholeMessage) {
  ready();
  const state = stateOf(keyring);
  checkBytes(bytes, wholeMessage ? "message" : "head");
  const { add, remove, required, matchReplicas, limits } = rekeyOptionsOf(options, what);
  if (add !== undefined) await prepare(add);
  const plan = call(() =>
    add === undefined
      ? wasm.MessageRekey.plan(bytes, remove, matchReplicas, required, wholeMessage, limits)
      : wasm.MessageRekey.planAdding(add.native, bytes, remove, matchReplicas, required, wholeMessage, limits),
  );
  return rekeySessions(state, add, plan, (p) => state.native.rekeyDecryptSession(p), (materials) => ({
    head: plan.newHead(materials),
    bodyOffset: plan.bodyOffset(),
  }));
}

/**
 * Re-keys a message without touching its body: the data key is found with
 * `keyring` (as decrypt finds it: commitment and header tag checked), wrapped
 * again by every key of `add`, and the encrypted data keys of the key ids in
 * `remove` (KMS key ARNs, or raw AES key names) are dropped. Returns the new
 * message: a new header and header tag, then the old frames byte for byte.
 * The body's framing is checked before any KMS call (not its frame tags).
 *
 * @example
 * // Replace a us-east-1 key by a us-west-2 key.
 * const rekeyed = await rekey(new KmsMrkKeyring({ client: east, keyIds: [eastArn] }), message, {
 *   add: new KmsMrkKeyring({ client: west, keyIds: [westArn] }),
 *   remove: [eastArn],
 * });
 */
export async function rekey(keyring, message, options) {
  const { head, bodyOffset } = await rekeyOf(keyring, message, options, "rekey options", true);
  const out = new Uint8Array(head.length + message.length - bodyOffset);
  out.set(head);
  out.set(message.subarray(bodyOffset), head.length);
  return out;
}

/**
 * Re-keys the head of a message: `head` holds its first bytes, at least up
 * to the end of the header tag (more is ignored). Returns the new head and
 * `bodyOffset`, where the unchanged body starts in the old message: the
 * re-keyed message is `head` followed by the old message from `bodyOffset`.
 * The body is not read, so it is not checked.
 *
 * @example
 * const { head, bodyOffset } = await rekeyHeader(keyring, firstBytes, { add: newKeyring });
 * // S3: upload `head`, then UploadPartCopy with CopySourceRange `bytes=${bodyOffset}-`.
 */
export async function rekeyHeader(keyring, head, options) {
  return rekeyOf(keyring, head, options, "rekeyHeader options", false);
}

const REKEY_RECORD_OPTIONS = ["add", "remove", "tableName", "partitionKey", "sortKey", "encryptionContext", "matchReplicas", "limits"];

/**
 * Re-keys a record (an item written by `encryptRecord`, as `GetItemCommand`
 * returns it) without decrypting its attributes: the item is checked as
 * `decryptRecord` checks it (table, key schema, `encryptionContext`), the
 * data key is found with `keyring` and verified against the commitment and
 * the record tag, wrapped again by every key of `add`, and the encrypted
 * data keys of the key ids in `remove` are dropped. Only `aws_mrkenv_header`
 * and `aws_mrkenv_tag` change; every other attribute is returned as it was.
 *
 * @example
 * const { Item } = await dynamodb.send(new GetItemCommand({ TableName, Key }));
 * const rekeyed = await rekeyRecord(east, Item, { tableName: TableName, partitionKey: "employeeId", add: west, remove: [eastArn] });
 * await dynamodb.send(new PutItemCommand({ TableName, Item: rekeyed }));
 */
export async function rekeyRecord(keyring, item, options) {
  ready();
  const state = stateOf(keyring);
  knownOptions(options, "rekeyRecord options", REKEY_RECORD_OPTIONS);
  const { tableName, partitionKey, sortKey } = tableOf(options);
  const { add, remove, required, matchReplicas, limits } = rekeyOptionsOf(options, "rekeyRecord options", REKEY_RECORD_OPTIONS);
  if (add !== undefined) await prepare(add);
  // Every check of the item and the options runs here, before any KMS call.
  const plan = call(() =>
    add === undefined
      ? wasm.RecordRekey.plan(item, tableName, partitionKey, sortKey, remove, matchReplicas, required, limits)
      : wasm.RecordRekey.planAdding(add.native, item, tableName, partitionKey, sortKey, remove, matchReplicas, required, limits),
  );
  return rekeySessions(state, add, plan, (p) => state.native.recordRekeyDecryptSession(p), (materials) => plan.newItem(materials));
}

// ------------------------------------------------------ testing (internal)

const ENCRYPT_WITH_OPTIONS = [...ENCRYPT_OPTIONS, ...INJECTED_OPTIONS];

function injectedOf(options) {
  const { messageId, dataKey, rawAesIv } = options;
  const injected = { messageId: checkBytes(messageId, "messageId") };
  if ((dataKey === undefined) !== (rawAesIv === undefined)) {
    throw new MrkenvError("InvalidArgument", "invalid argument: give both a data key and an IV, or neither");
  }
  if (dataKey !== undefined) {
    injected.dataKey = checkBytes(dataKey, "dataKey");
    injected.rawAesIv = checkBytes(rawAesIv, "rawAesIv");
  }
  return injected;
}

/**
 * INTERNAL, for test vectors only (exported from `mrkenv/testing`): encrypts
 * with an injected message id and, for raw AES keyrings, an injected data key
 * and wrapping IV. Reusing these values in real messages destroys security.
 */
export async function encryptWith(keyring, plaintext, options) {
  const { encryptionContext, frameLength, limits } = checkOptions(options, "encryptWith options", ENCRYPT_WITH_OPTIONS);
  return encryptOnce(keyring, plaintext, { encryptionContext, frameLength, limits }, injectedOf(options ?? {}));
}

/** INTERNAL: encryptStream with injected randomness (see `encryptWith`). */
export function encryptStreamWith(keyring, options) {
  const { encryptionContext, frameLength, limits } = checkOptions(options, "encryptStreamWith options", ENCRYPT_WITH_OPTIONS);
  return encryptStreamOf(keyring, { encryptionContext, frameLength, limits }, injectedOf(options ?? {}));
}

/**
 * INTERNAL, for test vectors only (exported from `mrkenv/testing`):
 * `encryptRecord` with an injected message id and, for raw AES keyrings, an
 * injected data key and wrapping IV. Reusing these values destroys security.
 */
export async function encryptRecordWith(keyring, item, options) {
  knownOptions(options, "encryptRecordWith options", [...ENCRYPT_RECORD_OPTIONS, ...INJECTED_OPTIONS]);
  return encryptRecordOf(keyring, item, options, injectedOf(options ?? {}));
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

/**
 * INTERNAL, for tests and benches: which AES-GCM runs the frames of one-shot
 * messages: "auto" (the host's above a size threshold), "host" or "wasm".
 * Returns the host AES-GCM's name ("node:crypto", "webcrypto") or null.
 */
export function _setCryptoPath(path) {
  ready();
  return setCryptoPath(path);
}

/** INTERNAL: the size of the wasm linear memory, in bytes (for memory-bound tests). */
export function _wasmMemoryBytes() {
  ready();
  return wasmExports().memory.buffer.byteLength;
}
