// Bundled by Vite and by webpack: `mrkenv` resolves through the "browser"
// export condition and the wasm is emitted as an asset.
import * as mrkenv from "mrkenv";
import { roundTrip } from "./roundtrip.js";

await roundTrip(mrkenv, document.body.dataset.bundler);
