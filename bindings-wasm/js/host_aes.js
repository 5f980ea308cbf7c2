// The bulk AES-GCM of one-shot messages on the host's own AES-GCM
// (`node:crypto` in Node: host_aes_node.js; WebCrypto in browsers:
// host_aes_web.js), behind the same core. Internal to the package.
//
// The core (wasm `HostSealer` / `HostOpener`, core module `host_frames`)
// derives the keys, writes and checks the prelude (header, header tag, key
// commitment), builds every frame's head, IV and AAD, and checks sequence
// numbers, the final frame and trailing bytes. This file only runs AES-GCM
// with the IV and AAD the core gives, between JavaScript buffers: the
// plaintext and the message never pass through wasm memory, and the result
// is one Uint8Array allocated once at its final size.
//
// The content key leaves the core once, as a fresh Uint8Array that is
// imported into a non-extractable CryptoKey (browsers) or a KeyObject
// (Node streams) and then zeroed, or, for a one-shot message in Node, given
// as raw bytes to the synchronous node:crypto ciphers and zeroed as soon as
// they return; the core's copy is wiped when it is taken.
//
// Small messages stay on the pure-WebAssembly path (the host call costs more
// than it saves below `threshold` bytes), as does every message where no
// host AES-GCM exists (e.g. a browser page that is not a secure context).

import * as wasm from "./mrkenv_wasm.js";
import { MrkenvError, call, fromNative } from "./errors.js";

let host = null;
let mode = "auto";

/**
 * Registers the host's AES-GCM: `{ name, threshold, importKey(raw, usage),
 * seal(key, jobs, out), open(key, jobs, out), rawKeys? }` (see
 * host_aes_node.js; `rawKeys: true` when `seal` and `open` run
 * synchronously and also take the raw key bytes, see `withContentKey`).
 */
export function setHostAes(impl) {
  host = impl;
}

/**
 * INTERNAL, for tests and benches: `"auto"` (default: the host above its
 * threshold), `"host"` (the host for every size) or `"wasm"` (never the
 * host). Returns the name of the host AES-GCM in use, or null.
 */
export function setCryptoPath(value) {
  if (!["auto", "host", "wasm"].includes(value)) {
    throw new TypeError(`crypto path must be "auto", "host" or "wasm", got ${JSON.stringify(value)}`);
  }
  if (value === "host" && host === null) {
    throw new MrkenvError("InvalidArgument", "invalid argument: no host AES-GCM is available here");
  }
  mode = value;
  return host === null ? null : host.name;
}

/** The host AES-GCM to use for `size` bytes, or null for the wasm path. */
export function hostFor(size) {
  if (host === null || mode === "wasm") return null;
  if (mode === "host" || size >= host.threshold) return host;
  return null;
}

// A packed frame plan (bindings-wasm/src/host_frames.rs, `pack`).
const FIXED = 1 + 1 + 4 + 8 + 12 + 49;

function unpack(packed) {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const headLen = packed[0];
  return {
    headLen,
    isFinal: packed[1] === 1,
    length: view.getUint32(2, true),
    sequence: view.getUint32(6, true) + view.getUint32(10, true) * 2 ** 32,
    iv: packed.subarray(14, 26),
    aad: packed.subarray(26, FIXED),
    head: packed.subarray(FIXED, FIXED + headLen),
  };
}

/** Imports the content key (a fresh array from the core) and zeroes it. */
async function importKey(impl, raw, usage) {
  try {
    return await impl.importKey(raw, usage);
  } finally {
    raw.fill(0);
  }
}

/**
 * Runs `use(key)` once with the content key `raw` (a fresh array from the
 * core), then zeroes `raw`. A host whose AES-GCM runs synchronously on raw
 * key bytes (`rawKeys`: node:crypto, whose ciphers copy the key into
 * OpenSSL) gets `raw` itself, zeroed as soon as the call returns: no key
 * object is made for a one-shot message. Otherwise the key is imported
 * first (and `raw` zeroed right then).
 */
async function withContentKey(impl, raw, usage, use) {
  if (impl.rawKeys === true) {
    try {
      return use(raw);
    } finally {
      raw.fill(0);
    }
  }
  return use(await importKey(impl, raw, usage));
}

/** Encrypts `plaintext` into one message with the host's AES-GCM. */
export async function hostEncrypt(impl, materials, plaintext, frameLength, messageId) {
  const sealer = call(() => new wasm.HostSealer(materials, frameLength, messageId));
  try {
    const out = new Uint8Array(call(() => sealer.messageLen(plaintext.length)));
    const prelude = call(() => sealer.prelude());
    out.set(prelude);
    const jobs = [];
    let at = prelude.length;
    let from = 0;
    for (;;) {
      const rest = plaintext.length - from;
      const isFinal = rest < frameLength;
      const plan = unpack(call(() => sealer.nextFrame(isFinal ? rest : frameLength, isFinal)));
      out.set(plan.head, at);
      const body = at + plan.headLen;
      jobs.push({ iv: plan.iv, aad: plan.aad, input: plaintext.subarray(from, from + plan.length), at: body });
      at = body + plan.length + 16;
      from += plan.length;
      if (isFinal) break;
    }
    await withContentKey(impl, call(() => sealer.takeContentKey()), "encrypt", (key) => impl.seal(key, jobs, out));
    return out;
  } finally {
    sealer.free();
  }
}

const HEADER_PROBE = 4096;
const MAX_HEAD = 20;

/**
 * Reads the prelude of `message` through the core (a prefix, then exactly
 * the prelude's length), so the message is never copied into wasm memory.
 */
function readOpener(message, required, limits) {
  let prefix = message.subarray(0, HEADER_PROBE);
  for (;;) {
    const read = call(() => wasm.HostOpener.read(prefix, required, limits));
    if (read instanceof wasm.HostOpener) return read;
    const more = Math.min(message.length, Math.max(read.needed, prefix.length + 1));
    if (prefix.length === message.length || more <= prefix.length) {
      throw new MrkenvError("MalformedMessage", "message is truncated: the header is incomplete");
    }
    prefix = message.subarray(0, more);
  }
}

/**
 * Decrypts a whole message with the host's AES-GCM. `unlock(opener)` finds
 * the data key and sets it (commitment and header tag checked by the core).
 * Returns `{ plaintext, header }` (header as the core gives it); no
 * plaintext is returned unless every frame verified. The errors are the
 * core's, in the order its own decrypt would report them.
 */
export async function hostDecrypt(impl, message, required, unlock, limits) {
  const opener = readOpener(message, required, limits);
  try {
    const header = call(() => opener.header());
    await unlock(opener);
    const raw = call(() => opener.takeContentKey());
    try {
      // Every frame head is read first (a few bytes each); the first problem
      // is kept, to be reported after the frames before it were opened.
      const jobs = [];
      let problem = null;
      let at = call(() => opener.bodyOffset());
      let total = 0;
      try {
        while (!opener.isDone()) {
          const available = message.length - at;
          const packed = call(() => opener.nextFrame(message.subarray(at, at + MAX_HEAD), available, true));
          const plan = unpack(packed);
          const body = at + plan.headLen;
          jobs.push({
            iv: plan.iv,
            aad: plan.aad,
            input: message.subarray(body, body + plan.length),
            tag: message.subarray(body + plan.length, body + plan.length + 16),
            sealed: message.subarray(body, body + plan.length + 16),
            at: total,
            sequence: plan.sequence,
          });
          total += plan.length;
          at = body + plan.length + 16;
        }
        call(() => opener.finish(message.length - at));
      } catch (e) {
        problem = e;
      }
      const out = new Uint8Array(total);
      const failed = await withContentKey(impl, raw, "decrypt", (key) => impl.open(key, jobs, out));
      if (failed !== -1) {
        out.fill(0);
        throw fromNative(wasm.HostOpener.tagFailed(jobs[failed].sequence));
      }
      if (problem !== null) {
        out.fill(0);
        throw problem;
      }
      return { plaintext: out, header };
    } finally {
      raw.fill(0); // also when reading the frame heads threw
    }
  } finally {
    opener.free();
  }
}

/**
 * The encryptor of `encryptStream` on the host's AES-GCM: the shape of the
 * wasm `MessageEncryptor` (`update`, `finish`, `free`), asynchronous. Holds
 * less than one frame of plaintext; each full frame is sealed as it comes,
 * straight from the caller's chunk, into a new array of its encoded size.
 */
export class HostStreamEncryptor {
  constructor(impl, materials, frameLength, messageId) {
    this.impl = impl;
    this.frameLength = frameLength;
    this.sealer = call(() => new wasm.HostSealer(materials, frameLength, messageId));
    this.prelude = call(() => this.sealer.prelude());
    this.pending = new Uint8Array(frameLength);
    this.pendingLen = 0;
    this.key = null;
  }

  async keyed() {
    if (this.key === null) this.key = await importKey(this.impl, call(() => this.sealer.takeContentKey()), "encrypt");
    return this.key;
  }

  async seal(input, isFinal) {
    const key = await this.keyed();
    const plan = unpack(call(() => this.sealer.nextFrame(input.length, isFinal)));
    const prelude = this.prelude ?? new Uint8Array(0);
    this.prelude = null;
    const out = new Uint8Array(prelude.length + plan.headLen + input.length + 16);
    out.set(prelude);
    out.set(plan.head, prelude.length);
    await this.impl.seal(key, [{ iv: plan.iv, aad: plan.aad, input, at: prelude.length + plan.headLen }], out);
    return out;
  }

  /** Seals every frame `chunk` completes; returns the message bytes written. */
  async update(chunk) {
    const parts = [];
    let at = 0;
    const frame = this.frameLength;
    if (this.pendingLen > 0) {
      const take = Math.min(frame - this.pendingLen, chunk.length);
      this.pending.set(chunk.subarray(0, take), this.pendingLen);
      this.pendingLen += take;
      at = take;
      if (this.pendingLen === frame) {
        parts.push(await this.seal(this.pending, false));
        this.pending.fill(0);
        this.pendingLen = 0;
      }
    }
    for (; chunk.length - at >= frame; at += frame) parts.push(await this.seal(chunk.subarray(at, at + frame), false));
    this.pending.set(chunk.subarray(at), this.pendingLen);
    this.pendingLen += chunk.length - at;
    if (parts.length === 0 && this.prelude !== null && chunk.length > 0) {
      // The first bytes of the message go out as soon as there is input.
      parts.push(this.prelude);
      this.prelude = null;
    }
    return concat(parts);
  }

  /** Seals the final frame (the plaintext still held, maybe none). */
  async finish() {
    const out = await this.seal(this.pending.subarray(0, this.pendingLen), true);
    this.pending.fill(0);
    this.pendingLen = 0;
    return out;
  }

  free() {
    this.pending.fill(0);
    this.key = null;
    this.sealer.free();
  }
}

function concat(parts) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const EMPTY = new Uint8Array(0);

/**
 * The decryptor of `decryptStream` on the host's AES-GCM: the shape of the
 * wasm `MessageDecryptor` (`update`, `needsDataKey`, `finish`, `free`),
 * asynchronous, with `unlock(setKey)` in place of `setDataKey`. Holds the
 * bytes of at most about one frame; the core reads the prelude and every
 * frame head, and a frame's plaintext is returned only after its tag
 * verified on the host.
 */
export class HostStreamDecryptor {
  constructor(impl, required, limits) {
    this.impl = impl;
    this.required = required;
    this.limits = limits;
    this.buffer = EMPTY;
    this.opener = null;
    this.key = null;
    this.missing = "the header is incomplete";
  }

  needsDataKey() {
    return this.opener !== null && this.key === null;
  }

  header() {
    return call(() => this.opener.header());
  }

  append(bytes) {
    if (this.buffer.length === 0) {
      this.buffer = bytes;
      return;
    }
    const next = new Uint8Array(this.buffer.length + bytes.length);
    next.set(this.buffer);
    next.set(bytes, this.buffer.length);
    this.buffer = next;
  }

  /** Consumes message bytes; returns the plaintext of the frames they complete. */
  async update(bytes) {
    this.append(bytes);
    if (this.opener === null) {
      const read = call(() => wasm.HostOpener.read(this.buffer, this.required, this.limits));
      if (!(read instanceof wasm.HostOpener)) {
        this.missing = read.missing;
        this.buffer = this.buffer.slice(); // own the bytes: the caller may reuse its chunk
        return EMPTY;
      }
      this.opener = read;
      this.buffer = this.buffer.slice(call(() => read.bodyOffset()));
      return EMPTY;
    }
    if (this.key === null) {
      this.buffer = this.buffer.slice();
      return EMPTY;
    }
    return this.frames();
  }

  /** Sets the data key with `setKey(opener)` (commitment and header tag checked), then opens what was buffered. */
  async unlock(setKey) {
    await setKey(this.opener);
    this.key = await importKey(this.impl, call(() => this.opener.takeContentKey()), "decrypt");
    return this.frames();
  }

  async frames() {
    const parts = [];
    let at = 0;
    const buffer = this.buffer;
    while (!call(() => this.opener.isDone())) {
      const available = buffer.length - at;
      const packed = call(() => this.opener.nextFrame(buffer.subarray(at, at + MAX_HEAD), available, false));
      if (packed === undefined) break;
      const plan = unpack(packed);
      const body = at + plan.headLen;
      const job = {
        iv: plan.iv,
        aad: plan.aad,
        input: buffer.subarray(body, body + plan.length),
        tag: buffer.subarray(body + plan.length, body + plan.length + 16),
        sealed: buffer.subarray(body, body + plan.length + 16),
        at: 0,
      };
      const out = new Uint8Array(plan.length);
      if ((await this.impl.open(this.key, [job], out)) !== -1) {
        for (const part of parts) part.fill(0);
        throw fromNative(wasm.HostOpener.tagFailed(plan.sequence));
      }
      parts.push(out);
      at = body + plan.length + 16;
    }
    this.buffer = buffer.slice(at);
    if (this.buffer.length > 0 && call(() => this.opener.isDone())) {
      for (const part of parts) part.fill(0);
      call(() => this.opener.finish(this.buffer.length)); // bytes after the final frame
    }
    return parts.length === 0 ? EMPTY : concat(parts);
  }

  /** Ends the input: fails unless the final frame was read and nothing follows it. */
  finish() {
    if (this.opener === null) throw new MrkenvError("MalformedMessage", `message is truncated: ${this.missing}`);
    if (this.key === null) throw new MrkenvError("InvalidArgument", "invalid argument: finish called before the data key was set");
    call(() => this.opener.finish(this.buffer.length));
  }

  free() {
    this.key = null;
    this.buffer = EMPTY;
    this.opener?.free();
    this.opener = null;
  }
}
