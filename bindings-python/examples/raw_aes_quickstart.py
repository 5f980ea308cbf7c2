"""Encrypt and decrypt with a local AES key (no AWS needed).

    python examples/raw_aes_quickstart.py
"""

import os

import mrkenv

# In real use the wrapping key comes from your secret store; it must be 32 bytes.
wrapping_key = os.urandom(32)
keyring = mrkenv.RawAesKeyring("my-app", "backup-key-2024", wrapping_key)

message = mrkenv.encrypt(b"order #1234: 3 widgets", keyring, encryption_context={"table": "orders"})
print("message:", len(message), "bytes")
print("header:", mrkenv.inspect(message)["encrypted_data_keys"])

plaintext = mrkenv.decrypt(message, keyring, encryption_context={"table": "orders"})
assert plaintext == b"order #1234: 3 widgets"

try:
    mrkenv.decrypt(message, keyring, encryption_context={"table": "users"})
except mrkenv.ContextMismatchError as error:
    print("refused:", error)
print("ok")
