"""Run under tests/zeroize/freescan.c (LD_PRELOAD, FREESCAN_KEYS set to
``patterns_hex()``): KMS (a fake client) and
raw AES encrypt/decrypt with known keys, then report how many freed blocks
held each key. Prints one JSON line: {"data_key": n, "wrapping_key": n,
"control": n, "record_plaintext": n, "frees": n}."""

from __future__ import annotations

import ctypes
import gc
import hashlib
import io
import json
import sys
from typing import Any, Dict

import mrkenv
from mrkenv._testing import encrypt_with

# Patterns that occur nowhere else (not runs of bytes that a plaintext holds).
DATA_KEY = hashlib.sha256(b"mrkenv test data key").digest()
WRAPPING_KEY = hashlib.sha256(b"mrkenv test wrapping key").digest()
CONTROL = hashlib.sha256(b"mrkenv test control").digest()
# A record attribute's plaintext: 32 ASCII bytes, the pattern itself.
RECORD_SECRET = hashlib.sha256(b"mrkenv test record plaintext").hexdigest()[:32]
ARN_1 = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
ARN_2 = "arn:aws:kms:us-east-1:111122223333:key/0000aaaa-bb11-cc22-dd33-eeeeffff0000"


class FakeKms:
    """Hands out DATA_KEY; wraps by prefixing the key id's last byte."""

    def generate_data_key(self, **kw: Any) -> Dict[str, Any]:
        return {"KeyId": kw["KeyId"], "Plaintext": bytes(DATA_KEY), "CiphertextBlob": b"blob-" + kw["KeyId"][-4:].encode()}

    def encrypt(self, **kw: Any) -> Dict[str, Any]:
        assert bytes(kw["Plaintext"]) == DATA_KEY
        return {"KeyId": kw["KeyId"], "CiphertextBlob": b"blob-" + kw["KeyId"][-4:].encode()}

    def decrypt(self, **kw: Any) -> Dict[str, Any]:
        return {"KeyId": kw["KeyId"], "Plaintext": bytes(DATA_KEY)}


def patterns_hex() -> str:
    """FREESCAN_KEYS for this script: data key, wrapping key, control, record
    plaintext."""
    return ",".join(k.hex() for k in (DATA_KEY, WRAPPING_KEY, CONTROL, RECORD_SECRET.encode()))


class SelfWipingKms:
    """Hands out DATA_KEY in bytearrays it wipes itself (wipe()), and
    copies nothing it is given: the only copies left are the binding's."""

    def __init__(self) -> None:
        self.handed: list = []

    def _key(self) -> bytearray:
        key = bytearray(DATA_KEY)  # one copy, in the bytearray's own buffer
        self.handed.append(key)
        return key

    def generate_data_key(self, **kw: Any) -> Dict[str, Any]:
        return {"KeyId": kw["KeyId"], "Plaintext": self._key(), "CiphertextBlob": b"blob-" + kw["KeyId"][-4:].encode()}

    def encrypt(self, **kw: Any) -> Dict[str, Any]:
        assert kw["Plaintext"] == DATA_KEY
        return {"KeyId": kw["KeyId"], "CiphertextBlob": b"blob-" + kw["KeyId"][-4:].encode()}

    def decrypt(self, **kw: Any) -> Dict[str, Any]:
        return {"KeyId": kw["KeyId"], "Plaintext": self._key()}

    def wipe(self) -> None:
        for key in self.handed:
            for i in range(len(key)):  # in place (no temporary holding the key)
                key[i] = 0
        self.handed.clear()


def kms_work() -> None:
    plaintext = b"\x01" * 75_000
    client = SelfWipingKms()
    kms = mrkenv.KmsMrkKeyring(client, [ARN_1, ARN_2])
    for _ in range(3):
        message = mrkenv.encrypt(plaintext, kms, encryption_context={"a": "b"})
        assert mrkenv.decrypt(message, kms) == plaintext
        out = io.BytesIO()
        mrkenv.decrypt_stream(io.BytesIO(message), out, kms)
        assert out.getvalue() == plaintext
    client.wipe()
    del kms
    gc.collect()


def work() -> None:
    plaintext = bytes(range(256)) * 300  # 75 KiB: two frames
    kms = mrkenv.KmsMrkKeyring(FakeKms(), [ARN_1, ARN_2])
    for _ in range(3):
        message = mrkenv.encrypt(plaintext, kms, encryption_context={"a": "b"})
        assert mrkenv.decrypt(message, kms) == plaintext
        assert mrkenv.decrypt_with_header(memoryview(message), kms).plaintext == plaintext
        out = io.BytesIO()
        mrkenv.decrypt_stream(io.BytesIO(message), out, kms)
        assert out.getvalue() == plaintext
    # A wrapping key given as bytearray and as memoryview (copied by the binding).
    for wrapping in (bytearray(WRAPPING_KEY), memoryview(bytearray(WRAPPING_KEY)), WRAPPING_KEY):
        raw = mrkenv.RawAesKeyring("ns", "name", wrapping)
        message = mrkenv.encrypt(plaintext, raw)
        assert mrkenv.decrypt(bytearray(message), raw) == plaintext
        # The raw AES data key made known (test hook), then unwrapped by decrypt.
        known = encrypt_with(plaintext, raw, message_id=bytes(32), data_key=bytearray(DATA_KEY),
                             raw_aes_iv=bytes(12))
        assert mrkenv.decrypt(known, raw) == plaintext
        out = io.BytesIO()
        mrkenv.encrypt_stream(io.BytesIO(plaintext), out, raw)
        rekeyed = mrkenv.rekey(out.getvalue(), raw, add=mrkenv.RawAesKeyring("ns", "other", wrapping))
        assert mrkenv.decrypt(rekeyed, raw) == plaintext
        del raw
    record_work(kms)
    del kms
    gc.collect()


def record_work(kms: mrkenv.KmsMrkKeyring) -> None:
    """Records encrypted and decrypted with RECORD_SECRET in every encrypted
    attribute, nested ones included: the binding and the core must wipe
    their copies (Python's own small objects live in pymalloc arenas, which
    this scan does not see)."""
    secret = RECORD_SECRET
    item = {
        "pk": {"S": "key"},
        "s": {"S": secret},
        "b": {"B": secret.encode()},
        "l": {"L": [{"S": secret}, {"SS": ["x", secret]}]},
        "m": {"M": {"inner": {"BS": [secret.encode()]}, secret: {"N": "1"}}},
    }
    actions = {"pk": "SIGN_ONLY"}
    for keyring in (mrkenv.RawAesKeyring("ns", "records", WRAPPING_KEY), kms):
        for _ in range(3):
            encrypted = mrkenv.encrypt_record(item, keyring, actions, table_name="t", partition_key="pk",
                                              default_action="ENCRYPT_AND_SIGN")
            assert mrkenv.decrypt_record(encrypted, keyring, table_name="t", partition_key="pk") == item
    gc.collect()


def main() -> None:
    scan = ctypes.CDLL(None)
    scan.freescan_hits.restype = ctypes.c_long
    scan.freescan_frees.restype = ctypes.c_long
    run = kms_work if sys.argv[1:] == ["kms-malloc"] else work
    run()  # once to warm up (imports, caches), then counted
    gc.collect()
    scan.freescan_reset()
    run()
    gc.collect()
    # The control: a block this script frees (through the process's free(),
    # as the extension's frees go) with a pattern in it is seen.
    scan.malloc.restype = ctypes.c_void_p
    block = scan.malloc(4096)
    ctypes.memmove(block + 100, CONTROL, 32)
    scan.free(ctypes.c_void_p(block))
    json.dump({"data_key": scan.freescan_hits(0), "wrapping_key": scan.freescan_hits(1),
               "control": scan.freescan_hits(2), "record_plaintext": scan.freescan_hits(3),
               "frees": scan.freescan_frees()}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
