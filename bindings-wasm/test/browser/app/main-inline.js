// Bundled by esbuild (and by webpack, as a second check): `mrkenv/inline`
// carries the wasm in the JavaScript, so there is no asset to emit.
import * as mrkenv from "mrkenv/inline";
import { roundTrip } from "./roundtrip.js";

await roundTrip(mrkenv, document.body.dataset.bundler);
