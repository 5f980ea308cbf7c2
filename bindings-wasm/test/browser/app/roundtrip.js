// The bundled apps' check (browser.test.mjs): a raw AES round trip with a
// context, reported in window.__mrkenvResult as the other pages do.
export async function roundTrip(mrkenv, name) {
  const { RawAesKeyring, encrypt, decrypt, inspect } = mrkenv;
  const keyring = new RawAesKeyring({ keyNamespace: "bundled", keyName: "k", wrappingKey: new Uint8Array(32).fill(5) });
  try {
    const message = await encrypt(keyring, new TextEncoder().encode("bundled"), { encryptionContext: { via: name } });
    const { plaintext } = await decrypt(keyring, message);
    const ok = new TextDecoder().decode(plaintext) === "bundled" && inspect(message).encryptionContext.via === name;
    window.__mrkenvResult = ok ? { passed: [name], failed: [] } : { passed: [], failed: [{ name, error: "mismatch" }] };
  } catch (e) {
    window.__mrkenvResult = { passed: [], failed: [{ name, error: String(e?.stack ?? e) }] };
  }
  document.getElementById("out").textContent = JSON.stringify(window.__mrkenvResult);
}
