"""Identifiers, raw AES round trips, argument checking, the exception tree."""

from __future__ import annotations

import pytest

import mrkenv

MRK_EAST = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
MRK_WEST = MRK_EAST.replace("us-east-1", "us-west-2")
SRK = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


class NeverCalled:
    def generate_data_key(self, **kwargs):  # pragma: no cover - must not run
        raise AssertionError("KMS must not be called")

    encrypt = decrypt = generate_data_key


def raw_keyring(name: str = "key-1") -> mrkenv.RawAesKeyring:
    return mrkenv.RawAesKeyring("my-app", name, bytes(range(32)))


def test_parse_arn_attributes():
    arn = mrkenv.parse_arn(MRK_EAST)
    assert (arn.partition, arn.service, arn.region, arn.account) == (
        "aws",
        "kms",
        "us-east-1",
        "111122223333",
    )
    assert arn.resource_type == "key"
    assert arn.resource_id == "mrk-1234abcd12ab34cd56ef1234567890ab"
    assert arn.is_mrk is True
    assert str(arn) == MRK_EAST
    assert arn == mrkenv.parse_arn(MRK_EAST)
    assert isinstance(arn, mrkenv.KmsArn)
    alias = mrkenv.parse_arn("arn:aws:kms:us-east-1:111122223333:alias/mrk-x")
    assert alias.resource_type == "alias" and alias.is_mrk is False


@pytest.mark.parametrize(
    "bad",
    ["", "arn:aws:kms:us-east-1:111122223333", "arn:aws:s3:us-east-1:1:key/x", "arn::kms:r:a:key/x",
     "arn:aws:kms:us-east-1:111122223333:key/", "arn:aws:kms:us-east-1:111122223333:thing/x"],
)
def test_parse_arn_rejects(bad):
    with pytest.raises(mrkenv.InvalidArnError):
        mrkenv.parse_arn(bad)


def test_is_mrk_and_mrk_match():
    assert mrkenv.is_mrk(MRK_EAST)
    assert mrkenv.is_mrk("mrk-1234")
    assert not mrkenv.is_mrk(SRK)
    assert not mrkenv.is_mrk("alias/mrk-1234")
    assert mrkenv.mrk_match(MRK_EAST, MRK_WEST)
    assert mrkenv.mrk_match(SRK, SRK)
    assert not mrkenv.mrk_match(SRK, SRK.replace("us-east-1", "us-west-2"))
    assert not mrkenv.mrk_match(MRK_EAST, MRK_EAST.replace("111122223333", "444455556666"))
    with pytest.raises(mrkenv.InvalidArnError):
        mrkenv.mrk_match(MRK_EAST, "key/abc")
    with pytest.raises(mrkenv.InvalidArnError):
        mrkenv.is_mrk("arn:aws:kms:us-east-1")


def test_exception_tree():
    for cls in (
        mrkenv.InvalidArnError,
        mrkenv.MalformedMessageError,
        mrkenv.AuthenticationError,
        mrkenv.NoDecryptableKeyError,
        mrkenv.KeyringError,
        mrkenv.LimitExceededError,
        mrkenv.ContextMismatchError,
        mrkenv.InvalidArgumentError,
    ):
        assert issubclass(cls, mrkenv.MrkenvError)
        assert cls.__module__ == "mrkenv"
    assert issubclass(mrkenv.InvalidArgumentError, ValueError)
    assert mrkenv.NoDecryptableKeyError("x").errors == []


def test_raw_aes_round_trip_and_context():
    keyring = raw_keyring()
    for size in (0, 1, 1023, 1024, 1025, 5000):
        data = bytes(i % 251 for i in range(size))
        message = mrkenv.encrypt(data, keyring, encryption_context={"tenant": "acme"}, frame_length=1024)
        assert mrkenv.decrypt(message, keyring) == data
        assert mrkenv.decrypt(message, keyring, encryption_context={"tenant": "acme"}) == data
        assert mrkenv.decrypt(bytearray(message), keyring) == data
        assert mrkenv.decrypt(memoryview(message), keyring) == data
    with pytest.raises(mrkenv.ContextMismatchError, match="tenant"):
        mrkenv.decrypt(message, keyring, encryption_context={"tenant": "other"})
    with pytest.raises(mrkenv.ContextMismatchError, match="missing|not in the message"):
        mrkenv.decrypt(message, keyring, encryption_context={"purpose": "x"})


def test_raw_aes_failures():
    keyring = raw_keyring()
    message = mrkenv.encrypt(b"secret" * 100, keyring)
    with pytest.raises(mrkenv.NoDecryptableKeyError) as info:
        mrkenv.decrypt(message, raw_keyring("key-2"))
    assert [a.key_id for a in info.value.errors] == ["my-app/key-1"]
    assert isinstance(info.value.errors[0].error, mrkenv.KeyringError)
    wrong_key = mrkenv.RawAesKeyring("my-app", "key-1", bytes(32))
    with pytest.raises(mrkenv.NoDecryptableKeyError):
        mrkenv.decrypt(message, wrong_key)
    with pytest.raises(mrkenv.MalformedMessageError, match="truncated"):
        mrkenv.decrypt(message[:-1], keyring)
    with pytest.raises(mrkenv.MalformedMessageError):
        mrkenv.decrypt(message + b"\x00", keyring)
    with pytest.raises(mrkenv.MalformedMessageError, match="MRKE"):
        mrkenv.decrypt(b"hello world", keyring)
    tampered = bytearray(message)
    tampered[-20] ^= 1
    with pytest.raises(mrkenv.AuthenticationError):
        mrkenv.decrypt(bytes(tampered), keyring)


def test_argument_types():
    keyring = raw_keyring()
    with pytest.raises(TypeError):
        mrkenv.encrypt("text", keyring)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        mrkenv.encrypt(b"x", object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        mrkenv.encrypt(b"x", keyring, encryption_context={"a": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        mrkenv.encrypt(b"x", keyring, encryption_context=["a"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        mrkenv.encrypt(b"x", keyring, frame_length="big")  # type: ignore[arg-type]
    for bad in (0, 1023, 16 * 1024 * 1024 + 1, -1, 2**40):
        with pytest.raises(mrkenv.InvalidArgumentError):
            mrkenv.encrypt(b"x", keyring, frame_length=bad)
    with pytest.raises(TypeError):
        mrkenv.encrypt(b"x", keyring, {"a": "b"})  # type: ignore[misc]  # keyword-only
    with pytest.raises(mrkenv.KeyringError, match="32 bytes"):
        mrkenv.RawAesKeyring("ns", "name", bytes(16))
    with pytest.raises(mrkenv.KeyringError):
        mrkenv.RawAesKeyring("aws-kms", "name", bytes(32))
    with pytest.raises(TypeError):
        mrkenv.KmsMrkKeyring(object(), [MRK_EAST])
    with pytest.raises(TypeError):
        mrkenv.KmsMrkKeyring(NeverCalled(), MRK_EAST)  # type: ignore[arg-type]  # a str, not a list
    with pytest.raises(TypeError):
        mrkenv.KmsMrkDiscoveryKeyring(NeverCalled(), "us-east-1", discovery_filter="aws")  # type: ignore[arg-type]


def test_keyring_construction_rules():
    client = NeverCalled()
    keyring = mrkenv.KmsMrkKeyring(client, [MRK_EAST, SRK], grant_tokens=["t"])
    assert keyring.key_ids == [MRK_EAST, SRK]
    assert keyring.grant_tokens == ["t"]
    assert keyring.client is client
    with pytest.raises(mrkenv.KeyringError) as info:
        mrkenv.KmsMrkKeyring(client, [MRK_EAST, SRK, MRK_WEST])
    assert MRK_EAST in str(info.value) and MRK_WEST in str(info.value)
    with pytest.raises(mrkenv.KeyringError):
        mrkenv.KmsMrkKeyring(client, [])
    with pytest.raises(mrkenv.InvalidArnError):
        mrkenv.KmsMrkKeyring(client, ["key/abc"])
    f = mrkenv.DiscoveryFilter("aws", ["111122223333"])
    assert (f.partition, f.account_ids) == ("aws", ["111122223333"])
    d = mrkenv.KmsMrkDiscoveryKeyring(client, "us-west-2", discovery_filter=f)
    assert d.region == "us-west-2" and d.discovery_filter == f
    with pytest.raises(mrkenv.KeyringError):
        mrkenv.DiscoveryFilter("aws", [])
    with pytest.raises(mrkenv.KeyringError):
        mrkenv.KmsMrkDiscoveryKeyring(client, "")
    assert "wrapping" not in repr(raw_keyring()) or "REDACTED" in repr(raw_keyring())


def test_discovery_cannot_encrypt():
    keyring = mrkenv.KmsMrkDiscoveryKeyring(NeverCalled(), "us-east-1")
    with pytest.raises(mrkenv.KeyringError, match="discovery"):
        mrkenv.encrypt(b"x", keyring)


def test_inspect_reads_only_the_header():
    keyring = raw_keyring()
    message = mrkenv.encrypt(bytes(200_000), keyring, encryption_context={"a": "b"}, frame_length=4096)
    summary = mrkenv.inspect(message)
    assert summary["version"] == 1
    assert summary["suite"] == 1
    assert len(summary["message_id"]) == 64
    assert summary["encryption_context"] == {"a": "b"}
    assert summary["frame_length"] == 4096
    (edk,) = summary["encrypted_data_keys"]
    assert edk["provider_id"] == "my-app" and edk["provider_info"] == "key-1"
    assert "key_arn" not in edk
    assert mrkenv.inspect(message[:1024]) == summary
    with pytest.raises(mrkenv.MalformedMessageError, match="truncated"):
        mrkenv.inspect(message[:20])


def test_version_and_typing_files():
    import importlib.resources as resources

    assert mrkenv.__version__
    files = {p.name for p in resources.files("mrkenv").iterdir()}
    assert {"py.typed", "_native.pyi"} <= files
