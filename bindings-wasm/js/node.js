// Entry point for Node (the "node" and "default" conditions): the wasm
// module is read from the package folder and compiled on first use.

import { readFileSync } from "node:fs";
import { initSync } from "./mrkenv_wasm.js";
import { setLoader } from "./runtime.js";
import "./host_aes_node.js";

setLoader(() => {
  const bytes = readFileSync(new URL("./mrkenv_wasm_bg.wasm", import.meta.url));
  return initSync({ module: bytes });
});

export * from "./public.js";
