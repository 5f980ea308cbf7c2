// INTERNAL test hooks (`mrkenv/testing`, browsers): injected randomness for
// reproducing the shared test vectors. Never use these in real code.

import "./browser.js";

export {
  _encryptWithInjected,
  _encryptStreamWithInjected,
  _wasmMemoryBytes,
  _wasmMemoryIncludes,
} from "./api.js";
