// The one error class of the package, and the conversion of what the wasm
// module throws (its error values, and a trap) into it.

import { poison } from "./runtime.js";

/**
 * An error of mrkenv. `code` is stable: InvalidArn, MalformedMessage,
 * Authentication, NoDecryptableKey, Keyring, LimitExceeded, ContextMismatch,
 * InvalidArgument, Internal (a bug: the WebAssembly module trapped; it is
 * replaced by a fresh instance before the next call). For NoDecryptableKey, `errors` lists every key that was
 * skipped or tried (`{ keyId, reason, cause? }`, where `cause` is what the KMS
 * client threw or the response check that failed). `cause` is what the KMS
 * client threw on the last call that threw (the core's cause rule), if any.
 */
export class MrkenvError extends Error {
  constructor(code, message, options) {
    const opts = options !== null && typeof options === "object" ? options : {};
    super(message, "cause" in opts ? { cause: opts.cause } : undefined);
    const errors = Array.isArray(opts.errors) ? opts.errors : [];
    this.name = "MrkenvError";
    this.code = code;
    this.errors = errors;
  }
}

/**
 * Turns the `{ code, message, attempts }` value thrown by the wasm module
 * into a MrkenvError; a trap of the instance (`WebAssembly.RuntimeError`,
 * e.g. `unreachable` after a panic) into an Internal MrkenvError, and marks
 * the instance for replacement.
 */
export function fromNative(value) {
  if (value instanceof WebAssembly.RuntimeError) {
    poison();
    return new MrkenvError(
      "Internal",
      `internal error: the WebAssembly module trapped (${value.message}); this is a bug of mrkenv, please report it. ` +
        "The module is replaced for the next call; keyrings holding a raw AES key must be created again",
      { cause: value },
    );
  }
  if (value instanceof Error && value.message === "Invalid stale object from previous Wasm instance") {
    // The glue's check: an object of an instance replaced after a trap.
    return new MrkenvError(
      "InvalidArgument",
      "invalid argument: this object was made before the WebAssembly module was reset after an internal error; start again",
    );
  }
  if (value instanceof Error) return value;
  if (value && typeof value === "object" && typeof value.code === "string") {
    const errors = Array.isArray(value.attempts)
      ? value.attempts.map((a) => ({ keyId: a.keyId, reason: a.reason }))
      : [];
    return new MrkenvError(value.code, String(value.message), { errors });
  }
  return new MrkenvError("InvalidArgument", String(value));
}

/** Runs a call into the wasm module, converting its error value. */
export function call(fn) {
  try {
    return fn();
  } catch (e) {
    throw fromNative(e);
  }
}
