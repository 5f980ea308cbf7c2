"""Every shared vector in tests/vectors: decrypt (one shot and streaming) with
the expected result or error class, and re-encrypt byte for byte where
`reencrypt` is true (injected message id, data key and raw AES IV)."""

from __future__ import annotations

import io
import json
from typing import Any, Dict, List

import pytest

import mrkenv
from mrkenv._testing import encrypt_with
from conftest import VECTORS

ERROR_CLASSES = {
    "InvalidArn": mrkenv.InvalidArnError,
    "MalformedMessage": mrkenv.MalformedMessageError,
    "Authentication": mrkenv.AuthenticationError,
    "NoDecryptableKey": mrkenv.NoDecryptableKeyError,
    "Keyring": mrkenv.KeyringError,
    "LimitExceeded": mrkenv.LimitExceededError,
    "ContextMismatch": mrkenv.ContextMismatchError,
    "InvalidArgument": mrkenv.InvalidArgumentError,
}

VECTOR_FILES = sorted(VECTORS.glob("*.json"))


class VectorKms:
    """The scripted KMS client described in tests/vectors/README.md."""

    def __init__(self, key_ids: List[str], responses: List[Dict[str, str]], data_key: bytes) -> None:
        self.key_ids = key_ids
        self.responses = [(r["key_id"], bytes.fromhex(r["ciphertext_blob"])) for r in responses]
        self.data_key = data_key

    def generate_data_key(self, *, KeyId: str, NumberOfBytes: int, EncryptionContext: Dict[str, str],
                          **_: Any) -> Dict[str, Any]:
        assert KeyId == self.key_ids[0] and NumberOfBytes == 32
        key_id, blob = self.responses[0]
        return {"KeyId": key_id, "Plaintext": self.data_key, "CiphertextBlob": blob}

    def encrypt(self, *, KeyId: str, Plaintext: bytes, EncryptionContext: Dict[str, str],
                **_: Any) -> Dict[str, Any]:
        assert Plaintext == self.data_key
        key_id, blob = self.responses[self.key_ids.index(KeyId)]
        return {"KeyId": key_id, "CiphertextBlob": blob}

    def decrypt(self, *, KeyId: str, CiphertextBlob: bytes, EncryptionContext: Dict[str, str],
                **_: Any) -> Dict[str, Any]:
        for key_id, blob in self.responses:
            if blob == CiphertextBlob and mrkenv.mrk_match(KeyId, key_id):
                return {"KeyId": KeyId, "Plaintext": self.data_key}
        raise RuntimeError(f"scripted KMS: {KeyId} cannot decrypt this blob")


def make_keyring(spec: Dict[str, Any], vector: Dict[str, Any], kms: Any = None) -> Any:
    data_key = bytes.fromhex(vector["data_key"])
    kind = spec["type"]
    if kind == "raw-aes":
        return mrkenv.RawAesKeyring(spec["key_namespace"], spec["key_name"], bytes.fromhex(spec["wrapping_key"]))
    if kind == "aws-kms":
        if kms is None:
            kms = VectorKms(spec["key_ids"], spec.get("kms_responses", []), data_key)
        return mrkenv.KmsMrkKeyring(kms, spec["key_ids"])
    raise AssertionError(f"unknown keyring type {kind!r} in vector {vector['name']}")


def decrypt_keyring(vector: Dict[str, Any]) -> Any:
    encrypt_spec = vector["keyring"]
    spec = vector.get("decrypt_keyring", encrypt_spec)
    kms = None
    if encrypt_spec["type"] == "aws-kms":
        # The scripted KMS knows the blobs made at encrypt time.
        kms = VectorKms(encrypt_spec["key_ids"], encrypt_spec["kms_responses"], bytes.fromhex(vector["data_key"]))
    return make_keyring(spec, vector, kms)


def load(path: Any) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def test_vectors_are_present():
    assert VECTOR_FILES, f"no test vectors in {VECTORS}"
    assert any(load(p)["result"] == "error" for p in VECTOR_FILES)
    assert any(load(p).get("reencrypt") for p in VECTOR_FILES)


@pytest.mark.parametrize("path", VECTOR_FILES, ids=[p.stem for p in VECTOR_FILES])
def test_decrypt_vector(path):
    vector = load(path)
    ciphertext = bytes.fromhex(vector["ciphertext"])
    plaintext = bytes.fromhex(vector["plaintext"])
    required = vector.get("required_encryption_context") or {}
    keyring = decrypt_keyring(vector)
    if vector["result"] == "ok":
        assert mrkenv.decrypt(ciphertext, keyring, encryption_context=required) == plaintext
        out = io.BytesIO()
        mrkenv.decrypt_stream(io.BytesIO(ciphertext), out, keyring, encryption_context=required)
        assert out.getvalue() == plaintext
        summary = mrkenv.inspect(ciphertext)
        assert summary["message_id"] == vector["message_id"]
        assert summary["encryption_context"] == vector["encryption_context"]
        assert summary["frame_length"] == vector["frame_length"]
    else:
        expected = ERROR_CLASSES[vector["error_kind"]]
        with pytest.raises(expected) as info:
            mrkenv.decrypt(ciphertext, keyring, encryption_context=required)
        assert info.value.code == vector["error_kind"]
        with pytest.raises(expected):
            mrkenv.decrypt_stream(io.BytesIO(ciphertext), io.BytesIO(), keyring, encryption_context=required)


REENCRYPT = [p for p in VECTOR_FILES if load(p).get("reencrypt")]


@pytest.mark.parametrize("path", REENCRYPT, ids=[p.stem for p in REENCRYPT])
def test_reencrypt_vector(path):
    vector = load(path)
    keyring = make_keyring(vector["keyring"], vector)
    iv = vector.get("raw_aes_iv")
    message = encrypt_with(
        bytes.fromhex(vector["plaintext"]),
        keyring,
        encryption_context=vector["encryption_context"],
        frame_length=vector["frame_length"],
        message_id=bytes.fromhex(vector["message_id"]),
        data_key=bytes.fromhex(vector["data_key"]),
        raw_aes_iv=bytes.fromhex(iv) if iv else None,
    )
    assert message.hex() == vector["ciphertext"]
