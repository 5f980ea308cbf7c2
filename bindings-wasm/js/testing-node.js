// INTERNAL test hooks (`mrkenv/testing`, Node): injected randomness for
// reproducing the shared test vectors. Never use these in real code.

import "./node.js";

export {
  _encryptWithInjected,
  _encryptStreamWithInjected,
  _wasmMemoryBytes,
  _wasmMemoryIncludes,
} from "./api.js";
