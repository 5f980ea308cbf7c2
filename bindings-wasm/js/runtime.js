// Loading of the wasm module, shared by the Node and browser entry points.
// Internal to the package.

let load = null;
let exports = null;

/** Registers how to load the wasm module synchronously (Node); it returns the instance exports. */
export function setLoader(fn) {
  load = fn;
}

/** Records the instance exports once loaded (browser entry, after `await init`). */
export function markLoaded(instanceExports) {
  exports = instanceExports;
}

/** Loads the wasm module on first use. */
export function ready() {
  if (exports !== null) return;
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
