// INTERNAL test hooks of `mrkenv/testing`: for reproducing test vectors only.
// Injected message ids, data keys and IVs destroy security in real messages.

import type { Bytes, EncryptRecordOptions, EncryptionContext, Item, ItemInput, Keyring, Limits } from "./index.js";

export interface InjectedOptions {
  encryptionContext?: EncryptionContext;
  frameLength?: number;
  limits?: Limits;
  /** 32 bytes. */
  messageId: Uint8Array;
  /** Raw AES keyrings only: 32 bytes, given together with `rawAesIv`. */
  dataKey?: Uint8Array;
  /** Raw AES keyrings only: 12 bytes. */
  rawAesIv?: Uint8Array;
}

/** @internal Encrypts with injected randomness. */
export function encryptWith(
  keyring: Keyring,
  plaintext: Uint8Array,
  options: InjectedOptions,
): Promise<Bytes>;

/** @internal encryptStream with injected randomness. */
export function encryptStreamWith(
  keyring: Keyring,
  options: InjectedOptions,
): TransformStream<Uint8Array, Bytes>;

/** @internal encryptRecord with injected randomness. */
export function encryptRecordWith(
  keyring: Keyring,
  item: ItemInput,
  options: EncryptRecordOptions & {
    /** 32 bytes. */
    messageId: Uint8Array;
    /** Raw AES keyrings only: 32 bytes, given together with `rawAesIv`. */
    dataKey?: Uint8Array;
    /** Raw AES keyrings only: 12 bytes. */
    rawAesIv?: Uint8Array;
  },
): Promise<Item>;

/** @internal Bytes of wasm linear memory now. */
export function _wasmMemoryBytes(): number;

/** @internal Whether the wasm linear memory holds these bytes anywhere. */
export function _wasmMemoryIncludes(needle: Uint8Array): boolean;

/** @internal Panics inside the wasm module (test builds only): throws an Internal MrkenvError. */
export function _panicForTesting(): void;

/**
 * @internal Which AES-GCM runs the frames of one-shot messages: "auto" (the
 * host's above a size threshold), "host" or "wasm". Returns the host
 * AES-GCM's name ("node:crypto", "webcrypto") or null.
 */
export function _setCryptoPath(path: "auto" | "host" | "wasm"): string | null;
