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
