// INTERNAL test hooks of `mrkenv/testing`: the one export list of
// testing-node.js and testing-browser.js. `encryptWith`, `encryptStreamWith`
// and `encryptRecordWith` carry the test-hook name shared by every binding
// (C `mrkenv_testing_encrypt_with`, Python `mrkenv._testing.encrypt_with`).

export {
  encryptWith,
  encryptStreamWith,
  encryptRecordWith,
  _setCryptoPath,
  _wasmMemoryBytes,
  _wasmMemoryIncludes,
} from "./api.js";

// Only here, not in api.js: the published glue has no panicForTesting, and
// bundlers refuse an import of a missing export.
import { panicForTesting } from "./mrkenv_wasm.js";
import { call } from "./errors.js";
import { ready } from "./runtime.js";

/** INTERNAL: panics inside the wasm module (test builds only), to test the trap handling. */
export function _panicForTesting() {
  ready();
  call(() => panicForTesting());
}
