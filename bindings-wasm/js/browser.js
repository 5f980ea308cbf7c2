// Entry point for browsers and bundlers (the "browser" condition): the wasm
// module is fetched relative to this file (bundlers such as Vite and webpack
// recognise `new URL(..., import.meta.url)` and emit it as an asset) while
// the module graph loads, so every export, synchronous ones included, is
// usable at once. A bundler that does not emit the asset (esbuild) gets an
// error naming the entry with the module inlined, `mrkenv/inline`.

import init from "./mrkenv_wasm.js";
import { markLoaded } from "./runtime.js";
import "./host_aes_web.js";

const url = new URL("./mrkenv_wasm_bg.wasm", import.meta.url);
let instance;
try {
  instance = await init({ module_or_path: url });
} catch (e) {
  throw new Error(
    `mrkenv: could not load its WebAssembly module from ${url} (${e?.message ?? e}). ` +
      "If a bundler built this page, it did not emit the .wasm asset of `new URL(..., import.meta.url)` " +
      '(esbuild does not): import from "mrkenv/inline" instead, which has the module inlined.',
    { cause: e },
  );
}
markLoaded(instance);

export * from "./public.js";
