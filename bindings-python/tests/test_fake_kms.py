"""A scripted KMS client for what moto cannot show: responses the core must
reject, a client that raises, and the Region rewrite of discovery."""

from __future__ import annotations

import traceback
from typing import Any, Callable, Dict, List, Optional

import pytest

import mrkenv

ACCOUNT = "111122223333"
MRK_ID = "mrk-1234abcd12ab34cd56ef1234567890ab"
MRK_EAST = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{MRK_ID}"
MRK_WEST = MRK_EAST.replace("us-east-1", "us-west-2")
SRK_EAST = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DATA_KEY = bytes(range(32))
DATA = b"payload " * 300


class ClientFailure(Exception):
    """What the scripted client raises."""


class ScriptedKms:
    """Answers GenerateDataKey/Encrypt as a real KMS would (blob = b"blob:" +
    key id) and Decrypt through ``decrypt_hook`` when one is set."""

    def __init__(self, decrypt_hook: Optional[Callable[..., Dict[str, Any]]] = None) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.decrypt_hook = decrypt_hook

    def generate_data_key(self, **kw: Any) -> Dict[str, Any]:
        self.calls.append({"op": "generate_data_key", **kw})
        return {"KeyId": kw["KeyId"], "Plaintext": DATA_KEY, "CiphertextBlob": b"blob:" + kw["KeyId"].encode()}

    def encrypt(self, **kw: Any) -> Dict[str, Any]:
        self.calls.append({"op": "encrypt", **kw})
        return {"KeyId": kw["KeyId"], "CiphertextBlob": b"blob:" + kw["KeyId"].encode()}

    def decrypt(self, **kw: Any) -> Dict[str, Any]:
        self.calls.append({"op": "decrypt", **kw})
        if self.decrypt_hook is not None:
            return self.decrypt_hook(**kw)
        return {"KeyId": kw["KeyId"], "Plaintext": DATA_KEY}


def message_for(*key_ids: str) -> bytes:
    return mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(ScriptedKms(), list(key_ids)),
                          encryption_context={"c": "1"})


def test_happy_path_and_call_shape():
    client = ScriptedKms()
    keyring = mrkenv.KmsMrkKeyring(client, [MRK_EAST, SRK_EAST])
    message = mrkenv.encrypt(DATA, keyring, encryption_context={"c": "1"})
    gdk, enc = client.calls
    assert gdk == {"op": "generate_data_key", "KeyId": MRK_EAST, "NumberOfBytes": 32,
                   "EncryptionContext": {"c": "1"}}
    assert enc == {"op": "encrypt", "KeyId": SRK_EAST, "Plaintext": DATA_KEY,
                   "EncryptionContext": {"c": "1"}}
    assert mrkenv.decrypt(message, keyring) == DATA
    dec = client.calls[2]
    assert dec == {"op": "decrypt", "KeyId": MRK_EAST, "CiphertextBlob": b"blob:" + MRK_EAST.encode(),
                   "EncryptionContext": {"c": "1"}}


def test_response_key_id_differs_is_rejected():
    message = message_for(MRK_EAST)
    client = ScriptedKms(lambda **kw: {"KeyId": MRK_EAST, "Plaintext": DATA_KEY})
    with pytest.raises(mrkenv.NoDecryptableKeyError) as info:
        mrkenv.decrypt(message, mrkenv.KmsMrkKeyring(client, [MRK_WEST]))
    (attempt,) = info.value.errors
    assert attempt.key_id == MRK_WEST
    assert isinstance(attempt.error, mrkenv.KeyringError)
    assert "not the key that was asked" in str(attempt.error)


def test_generate_data_key_response_checks():
    class WrongKeyId(ScriptedKms):
        def generate_data_key(self, **kw: Any) -> Dict[str, Any]:
            return {**super().generate_data_key(**kw), "KeyId": "alias/other"}

    with pytest.raises(mrkenv.KeyringError, match="GenerateDataKey"):
        mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(WrongKeyId(), [MRK_EAST]))

    class ShortKey(ScriptedKms):
        def generate_data_key(self, **kw: Any) -> Dict[str, Any]:
            return {**super().generate_data_key(**kw), "Plaintext": DATA_KEY[:16]}

    with pytest.raises(mrkenv.KeyringError, match="16 bytes"):
        mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(ShortKey(), [MRK_EAST]))

    class NotAMapping(ScriptedKms):
        def generate_data_key(self, **kw: Any) -> Any:
            return 42

    with pytest.raises(mrkenv.KeyringError, match="not a mapping"):
        mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(NotAMapping(), [MRK_EAST]))

    class TextPlaintext(ScriptedKms):
        def generate_data_key(self, **kw: Any) -> Dict[str, Any]:
            return {**super().generate_data_key(**kw), "Plaintext": "x" * 32}

    with pytest.raises(mrkenv.KeyringError, match="Plaintext is not bytes"):
        mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(TextPlaintext(), [MRK_EAST]))


def test_wrong_plaintext_length_is_rejected():
    message = message_for(MRK_EAST)
    for plaintext in (DATA_KEY[:31], DATA_KEY + b"\x00", b""):
        client = ScriptedKms(lambda **kw: {"KeyId": kw["KeyId"], "Plaintext": plaintext})
        with pytest.raises(mrkenv.NoDecryptableKeyError) as info:
            mrkenv.decrypt(message, mrkenv.KmsMrkKeyring(client, [MRK_EAST]))
        (attempt,) = info.value.errors
        assert f"{len(plaintext)} bytes" in str(attempt.error)


def test_wrong_data_key_fails_commitment():
    message = message_for(MRK_EAST)
    client = ScriptedKms(lambda **kw: {"KeyId": kw["KeyId"], "Plaintext": bytes(32)})
    with pytest.raises(mrkenv.AuthenticationError, match="commitment"):
        mrkenv.decrypt(message, mrkenv.KmsMrkKeyring(client, [MRK_EAST]))


def test_client_raising_is_reported_and_chained():
    message = message_for(MRK_EAST, SRK_EAST)
    failures = {MRK_EAST: ClientFailure("access denied by the scripted client"),
                SRK_EAST: ClientFailure("throttled by the scripted client")}

    def hook(**kw: Any) -> Dict[str, Any]:
        raise failures[kw["KeyId"]]

    client = ScriptedKms(hook)
    keyring = mrkenv.KmsMrkKeyring(client, [MRK_EAST, SRK_EAST])
    with pytest.raises(mrkenv.NoDecryptableKeyError) as info:
        mrkenv.decrypt(message, keyring)
    assert [a.key_id for a in info.value.errors] == [MRK_EAST, SRK_EAST]
    for attempt in info.value.errors:
        assert isinstance(attempt.error, mrkenv.KeyringError)
        assert attempt.error.__cause__ is failures[attempt.key_id]
        assert "ClientFailure: " in str(attempt.error)
    # The cause rule: the exception of the last call the client failed (this
    # used to be the last attempt's KeyringError; now it is the client's own).
    assert info.value.__cause__ is failures[SRK_EAST]
    assert "access denied by the scripted client" in str(info.value)


def test_cause_is_the_client_exception_not_a_rejected_response():
    # Key 1: the client raises. Key 2: it answers, but with another key's
    # KeyId, which the core rejects. The rejection has no client exception,
    # so the cause is the one the client raised, although it came first.
    message = message_for(MRK_EAST, SRK_EAST)
    failure = ClientFailure("access denied")

    def hook(**kw: Any) -> Dict[str, Any]:
        if kw["KeyId"] == MRK_EAST:
            raise failure
        return {"KeyId": MRK_WEST, "Plaintext": DATA_KEY}

    with pytest.raises(mrkenv.NoDecryptableKeyError) as info:
        mrkenv.decrypt(message, mrkenv.KmsMrkKeyring(ScriptedKms(hook), [MRK_EAST, SRK_EAST]))
    raised, rejected = info.value.errors
    assert raised.error.__cause__ is failure
    assert rejected.key_id == SRK_EAST and rejected.error.__cause__ is None
    assert "not the key that was asked" in str(rejected.error)
    assert info.value.__cause__ is failure
    # The traceback of the client's exception is kept.
    frames = traceback.extract_tb(failure.__traceback__)
    assert [f.name for f in frames][-1] == "hook"


def test_no_cause_when_the_only_failure_is_a_rejected_response():
    message = message_for(MRK_EAST)
    client = ScriptedKms(lambda **kw: {"KeyId": kw["KeyId"], "Plaintext": DATA_KEY[:16]})
    with pytest.raises(mrkenv.NoDecryptableKeyError) as info:
        mrkenv.decrypt(message, mrkenv.KmsMrkKeyring(client, [MRK_EAST]))
    (attempt,) = info.value.errors
    assert attempt.error.__cause__ is None
    assert info.value.__cause__ is None


def test_unreadable_response_is_a_failed_call_with_a_type_error():
    message = message_for(MRK_EAST)
    client = ScriptedKms(lambda **kw: {"KeyId": 7, "Plaintext": DATA_KEY})
    with pytest.raises(mrkenv.NoDecryptableKeyError, match="KeyId is not a str") as info:
        mrkenv.decrypt(message, mrkenv.KmsMrkKeyring(client, [MRK_EAST]))
    (attempt,) = info.value.errors
    assert isinstance(attempt.error.__cause__, TypeError)
    assert info.value.__cause__ is attempt.error.__cause__


def test_encrypt_failure_is_chained_to_the_client_exception():
    failure = ClientFailure("no such key")

    class FailsGenerate(ScriptedKms):
        def generate_data_key(self, **kw: Any) -> Dict[str, Any]:
            raise failure

    with pytest.raises(mrkenv.KeyringError, match="KMS GenerateDataKey for .* failed: ClientFailure: no such key") as info:
        mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(FailsGenerate(), [MRK_EAST, SRK_EAST]))
    assert info.value.__cause__ is failure

    class FailsEncrypt(ScriptedKms):
        def encrypt(self, **kw: Any) -> Dict[str, Any]:
            raise failure

    with pytest.raises(mrkenv.KeyringError, match=f"KMS Encrypt for {SRK_EAST} failed") as info:
        mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(FailsEncrypt(), [MRK_EAST, SRK_EAST]))
    assert info.value.__cause__ is failure

    # A response the core rejects has no cause.
    class ShortKey(ScriptedKms):
        def generate_data_key(self, **kw: Any) -> Dict[str, Any]:
            return {**super().generate_data_key(**kw), "Plaintext": DATA_KEY[:16]}

    with pytest.raises(mrkenv.KeyringError, match="16 bytes") as info:
        mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(ShortKey(), [MRK_EAST]))
    assert info.value.__cause__ is None


def test_first_success_wins_after_a_failure():
    message = message_for(MRK_EAST, SRK_EAST)
    answers = iter([ClientFailure("throttled"), None])

    def hook(**kw: Any) -> Dict[str, Any]:
        outcome = next(answers)
        if outcome is not None:
            raise outcome
        return {"KeyId": kw["KeyId"], "Plaintext": DATA_KEY}

    client = ScriptedKms(hook)
    assert mrkenv.decrypt(message, mrkenv.KmsMrkKeyring(client, [MRK_EAST, SRK_EAST])) == DATA
    assert [c["KeyId"] for c in client.calls if c["op"] == "decrypt"] == [MRK_EAST, SRK_EAST]


def test_base_exceptions_propagate_unwrapped():
    message = message_for(MRK_EAST, SRK_EAST)
    interrupt = KeyboardInterrupt()

    def hook(**kw: Any) -> Dict[str, Any]:
        raise interrupt

    client = ScriptedKms(hook)
    with pytest.raises(KeyboardInterrupt) as info:
        mrkenv.decrypt(message, mrkenv.KmsMrkKeyring(client, [MRK_EAST, SRK_EAST]))
    assert info.value is interrupt and info.value.__cause__ is None
    assert len(client.calls) == 1  # no further key is tried

    class Exits(ScriptedKms):
        def generate_data_key(self, **kw: Any) -> Dict[str, Any]:
            raise SystemExit(3)

    with pytest.raises(SystemExit):
        mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(Exits(), [MRK_EAST]))


def test_discovery_rewrites_the_region_of_an_mrk():
    message = message_for(MRK_EAST, SRK_EAST)
    client = ScriptedKms()
    keyring = mrkenv.KmsMrkDiscoveryKeyring(client, "us-west-2",
                                            discovery_filter=mrkenv.DiscoveryFilter("aws", [ACCOUNT]))
    assert mrkenv.decrypt(message, keyring) == DATA
    (call,) = client.calls
    assert call["KeyId"] == MRK_WEST  # the EDK's ARN with the keyring's Region
    assert call["CiphertextBlob"] == b"blob:" + MRK_EAST.encode()


def test_discovery_response_must_be_the_rewritten_key():
    message = message_for(MRK_EAST)
    client = ScriptedKms(lambda **kw: {"KeyId": MRK_EAST, "Plaintext": DATA_KEY})
    with pytest.raises(mrkenv.NoDecryptableKeyError) as info:
        mrkenv.decrypt(message, mrkenv.KmsMrkDiscoveryKeyring(client, "us-west-2"))
    assert info.value.errors[0].key_id == MRK_WEST


def test_strict_keyring_calls_the_configured_replica_not_the_edk_arn():
    message = message_for(MRK_EAST)
    client = ScriptedKms()
    assert mrkenv.decrypt(message, mrkenv.KmsMrkKeyring(client, [MRK_WEST])) == DATA
    assert [c["KeyId"] for c in client.calls] == [MRK_WEST]


def test_grant_tokens_only_when_given():
    client = ScriptedKms()
    message = mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(client, [MRK_EAST, SRK_EAST], grant_tokens=["g1", "g2"]))
    mrkenv.decrypt(message, mrkenv.KmsMrkDiscoveryKeyring(client, "us-east-1", grant_tokens=["g3"]))
    assert [c.get("GrantTokens") for c in client.calls] == [["g1", "g2"], ["g1", "g2"], ["g3"]]
    client = ScriptedKms()
    mrkenv.decrypt(message, mrkenv.KmsMrkKeyring(client, [MRK_EAST]))
    assert "GrantTokens" not in client.calls[0]


def test_bad_provider_info_fails_the_decrypt():
    # A raw AES key whose namespace is not aws-kms is skipped, not an error.
    raw = mrkenv.RawAesKeyring("ns", "name", bytes(32))
    message = mrkenv.encrypt(DATA, raw)
    client = ScriptedKms()
    with pytest.raises(mrkenv.NoDecryptableKeyError, match="provider id"):
        mrkenv.decrypt(message, mrkenv.KmsMrkKeyring(client, [MRK_EAST]))
    assert client.calls == []
