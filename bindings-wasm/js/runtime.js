// Loading of the wasm module, shared by the Node and browser entry points,
// and its replacement after a trap. Internal to the package.
//
// The wasm is built with panic=abort: a panic (a bug) traps the instance
// with `WebAssembly.RuntimeError: unreachable`, which leaves its memory in
// an unknown state. errors.js turns the trap into a MrkenvError and calls
// `poison()`; the next call into the package replaces the instance with a
// fresh one from the same module (the glue's `__wbg_reset_state`) and bumps
// `generation()`, so objects of the old instance are refused, never used.

import { __wbg_reset_state, initSync } from "./mrkenv_wasm.js";

let load = null;
let exports = null;
let poisoned = false;
let gen = 0;

/** Registers how to load the wasm module synchronously (Node); it returns the instance exports. */
export function setLoader(fn) {
  load = fn;
}

/** Records the instance exports once loaded (browser entry, after `await init`). */
export function markLoaded(instanceExports) {
  exports = instanceExports;
}

/** The instance trapped: replace it before the next call. */
export function poison() {
  poisoned = true;
}

/** How many times the instance was replaced; wasm objects made in an older generation are dead. */
export function generation() {
  return gen;
}

/** Loads the wasm module on first use; replaces a trapped instance. */
export function ready() {
  if (exports !== null) {
    if (poisoned) {
      __wbg_reset_state();
      exports = initSync(); // the current (new) instance's exports
      poisoned = false;
      gen += 1;
    }
    return;
  }
  if (load === null) {
    throw new Error(
      "mrkenv: the WebAssembly module is not loaded; import 'mrkenv' (not an internal file)",
    );
  }
  exports = load();
}

/** The wasm instance exports (after `ready()`). */
export function wasmExports() {
  ready();
  return exports;
}
