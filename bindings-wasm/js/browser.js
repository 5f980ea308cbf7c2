// Entry point for browsers and bundlers (the "browser" condition): the wasm
// module is fetched relative to this file (bundlers such as Vite recognise
// `new URL(..., import.meta.url)` and emit it as an asset) while the module
// graph loads, so every export, synchronous ones included, is usable at once.

import init from "./mrkenv_wasm.js";
import { markLoaded } from "./runtime.js";
import "./host_aes_web.js";

markLoaded(await init({ module_or_path: new URL("./mrkenv_wasm_bg.wasm", import.meta.url) }));

export * from "./public.js";
