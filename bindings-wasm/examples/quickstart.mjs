import { RawAesKeyring, encrypt, decrypt, inspect } from "mrkenv";

// In real code the wrapping key comes from your secret store.
const wrappingKey = crypto.getRandomValues(new Uint8Array(32));
const keyring = new RawAesKeyring({ keyNamespace: "my-app", keyName: "key-1", wrappingKey });

const message = await encrypt(keyring, new TextEncoder().encode("hello, mrkenv"), {
  encryptionContext: { tenant: "acme" },
});
console.log(inspect(message).encryptionContext); // { tenant: 'acme' }

const { plaintext } = await decrypt(keyring, message, { encryptionContext: { tenant: "acme" } });
console.log(new TextDecoder().decode(plaintext)); // hello, mrkenv
