// Entry point `mrkenv/inline`: the wasm module is inlined in the JavaScript
// (base64, mrkenv_wasm_inline.js) instead of fetched next to this file, so
// the package works with any bundler without asset handling (esbuild, which
// leaves `new URL("./x.wasm", import.meta.url)` alone, among them) and in
// Node. About a third larger than the wasm file before compression; the
// `mrkenv` entry is smaller where the bundler emits the asset (Vite, webpack).

import init from "./mrkenv_wasm.js";
import { WASM_BASE64 } from "./mrkenv_wasm_inline.js";
import { markLoaded } from "./runtime.js";

function decodeBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

markLoaded(await init({ module_or_path: decodeBase64(WASM_BASE64) }));

export * from "./public.js";
