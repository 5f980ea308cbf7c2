// INTERNAL test hooks (`mrkenv/testing`, browsers): injected randomness for
// reproducing the shared test vectors. Never use these in real code.

import "./browser.js";

export * from "./testing.js";
