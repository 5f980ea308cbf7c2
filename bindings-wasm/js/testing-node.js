// INTERNAL test hooks (`mrkenv/testing`, Node): injected randomness for
// reproducing the shared test vectors. Never use these in real code.

import "./node.js";

export * from "./testing.js";
