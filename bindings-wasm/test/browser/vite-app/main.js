// Bundled by Vite: `mrkenv` resolves through the "browser" export condition
// and the wasm is emitted as an asset.
import { RawAesKeyring, encrypt, decrypt, inspect } from "mrkenv";

const keyring = new RawAesKeyring({ keyNamespace: "vite", keyName: "k", wrappingKey: new Uint8Array(32).fill(5) });
try {
  const message = await encrypt(keyring, new TextEncoder().encode("bundled"), { encryptionContext: { via: "vite" } });
  const { plaintext } = await decrypt(keyring, message);
  const ok = new TextDecoder().decode(plaintext) === "bundled" && inspect(message).encryptionContext.via === "vite";
  window.__mrkenvResult = ok ? { passed: ["vite round trip"], failed: [] } : { passed: [], failed: [{ name: "vite round trip", error: "mismatch" }] };
} catch (e) {
  window.__mrkenvResult = { passed: [], failed: [{ name: "vite round trip", error: String(e?.stack ?? e) }] };
}
document.getElementById("out").textContent = JSON.stringify(window.__mrkenvResult);
