"""The multi-Region scenario against a local KMS (moto's server, patched for
MRK ids by tests/kms/moto_launcher.py), with real boto3 clients."""

from __future__ import annotations

import io

import pytest
from botocore.exceptions import ClientError

import mrkenv
from conftest import ACCOUNT, EAST, WEST, CountingClient, make_client

CONTEXT = {"tenant": "acme", "purpose": "mrkenv-test"}
DATA = b"replicated record " * 1000


@pytest.fixture(scope="module")
def mrk_message(east, mrk):
    east_arn, _ = mrk
    return mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(east, [east_arn]), encryption_context=CONTEXT)


def test_encrypt_east_header(mrk_message, mrk):
    east_arn, _ = mrk
    summary = mrkenv.inspect(mrk_message)
    (edk,) = summary["encrypted_data_keys"]
    assert edk["provider_id"] == "aws-kms"
    assert edk["key_arn"] == east_arn and edk["provider_info"] == east_arn
    assert edk["region"] == EAST and edk["is_mrk"] is True
    assert summary["encryption_context"] == CONTEXT


def test_decrypt_west_strict_with_replica(mrk_message, mrk, west):
    _, west_arn = mrk
    client = CountingClient(west)
    keyring = mrkenv.KmsMrkKeyring(client, [west_arn])
    assert mrkenv.decrypt(mrk_message, keyring, encryption_context=CONTEXT) == DATA
    ((method, kwargs),) = client.calls
    assert method == "decrypt"
    assert kwargs["KeyId"] == west_arn  # the local replica, never the us-east-1 ARN
    assert kwargs["EncryptionContext"] == CONTEXT
    assert "GrantTokens" not in kwargs


def test_decrypt_west_discovery(mrk_message, mrk, west):
    _, west_arn = mrk
    for discovery_filter in (None, mrkenv.DiscoveryFilter("aws", [ACCOUNT])):
        client = CountingClient(west)
        keyring = mrkenv.KmsMrkDiscoveryKeyring(client, WEST, discovery_filter=discovery_filter)
        assert mrkenv.decrypt(mrk_message, keyring) == DATA
        assert [c[1]["KeyId"] for c in client.calls] == [west_arn]


def test_discovery_filter_excludes_other_accounts(mrk_message, west):
    client = CountingClient(west)
    keyring = mrkenv.KmsMrkDiscoveryKeyring(
        client, WEST, discovery_filter=mrkenv.DiscoveryFilter("aws", ["999999999999"])
    )
    with pytest.raises(mrkenv.NoDecryptableKeyError, match="account"):
        mrkenv.decrypt(mrk_message, keyring)
    assert client.calls == []
    keyring = mrkenv.KmsMrkDiscoveryKeyring(
        client, WEST, discovery_filter=mrkenv.DiscoveryFilter("aws-cn", [ACCOUNT])
    )
    with pytest.raises(mrkenv.NoDecryptableKeyError, match="partition"):
        mrkenv.decrypt(mrk_message, keyring)
    assert client.calls == []


def test_single_region_key_not_decryptable_from_other_region(east, west, single_region_key, mrk):
    message = mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(east, [single_region_key]))
    assert mrkenv.decrypt(message, mrkenv.KmsMrkKeyring(east, [single_region_key])) == DATA
    client = CountingClient(west)
    with pytest.raises(mrkenv.NoDecryptableKeyError) as info:
        mrkenv.decrypt(message, mrkenv.KmsMrkDiscoveryKeyring(client, WEST))
    assert "single-Region" in str(info.value)
    (attempt,) = info.value.errors
    assert attempt.key_id == single_region_key
    _, west_arn = mrk
    with pytest.raises(mrkenv.NoDecryptableKeyError):
        mrkenv.decrypt(message, mrkenv.KmsMrkKeyring(client, [west_arn]))
    wrong_region = single_region_key.replace(EAST, WEST)
    with pytest.raises(mrkenv.NoDecryptableKeyError):
        mrkenv.decrypt(message, mrkenv.KmsMrkKeyring(client, [wrong_region]))
    assert client.calls == []  # KMS is never called for a key it cannot use


def test_two_wrapping_keys(east, west, mrk, single_region_key):
    east_arn, west_arn = mrk
    client = CountingClient(east)
    message = mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(client, [single_region_key, east_arn]),
                             encryption_context=CONTEXT)
    assert [c[0] for c in client.calls] == ["generate_data_key", "encrypt"]
    gdk, enc = (c[1] for c in client.calls)
    assert gdk["KeyId"] == single_region_key and gdk["NumberOfBytes"] == 32
    assert gdk["EncryptionContext"] == CONTEXT and enc["EncryptionContext"] == CONTEXT
    assert enc["KeyId"] == east_arn
    edks = mrkenv.inspect(message)["encrypted_data_keys"]
    assert [e["key_arn"] for e in edks] == [single_region_key, east_arn]
    assert [e["is_mrk"] for e in edks] == [False, True]
    # Either key alone decrypts: the single-Region key in its Region, the MRK in the other.
    assert mrkenv.decrypt(message, mrkenv.KmsMrkKeyring(east, [single_region_key])) == DATA
    west_client = CountingClient(west)
    assert mrkenv.decrypt(message, mrkenv.KmsMrkDiscoveryKeyring(west_client, WEST)) == DATA
    assert [c[1]["KeyId"] for c in west_client.calls] == [west_arn]
    assert mrkenv.decrypt(message, mrkenv.KmsMrkKeyring(west, [west_arn])) == DATA


def test_wrong_required_context(mrk_message, mrk, west):
    _, west_arn = mrk
    client = CountingClient(west)
    keyring = mrkenv.KmsMrkKeyring(client, [west_arn])
    with pytest.raises(mrkenv.ContextMismatchError):
        mrkenv.decrypt(mrk_message, keyring, encryption_context={"tenant": "other"})
    with pytest.raises(mrkenv.ContextMismatchError):
        mrkenv.decrypt_stream(io.BytesIO(mrk_message), io.BytesIO(), keyring,
                              encryption_context={"missing": "x"})
    assert client.calls == []  # checked before KMS is asked


def test_discovery_cannot_encrypt(west):
    client = CountingClient(west)
    with pytest.raises(mrkenv.KeyringError, match="cannot encrypt"):
        mrkenv.encrypt(DATA, mrkenv.KmsMrkDiscoveryKeyring(client, WEST))
    with pytest.raises(mrkenv.KeyringError, match="cannot encrypt"):
        mrkenv.encrypt_stream(io.BytesIO(DATA), io.BytesIO(), mrkenv.KmsMrkDiscoveryKeyring(client, WEST))
    assert client.calls == []


def test_client_error_is_chained(mrk_message, mrk, kms_endpoint):
    # No replica in eu-west-1: moto answers NotFoundException.
    east_arn, _ = mrk
    eu = make_client(kms_endpoint, "eu-west-1")
    eu_arn = east_arn.replace(EAST, "eu-west-1")
    with pytest.raises(mrkenv.NoDecryptableKeyError) as info:
        mrkenv.decrypt(mrk_message, mrkenv.KmsMrkKeyring(eu, [eu_arn]))
    (attempt,) = info.value.errors
    assert attempt.key_id == eu_arn
    assert isinstance(attempt.error, mrkenv.KeyringError)
    assert isinstance(attempt.error.__cause__, ClientError)
    # The cause rule: the client's exception of the last failed call.
    assert info.value.__cause__ is attempt.error.__cause__
    assert "NotFoundException" in str(info.value)


def test_generate_data_key_failure_is_chained(east):
    missing = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    with pytest.raises(mrkenv.KeyringError) as info:
        mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(east, [missing]))
    assert isinstance(info.value.__cause__, ClientError)
    assert "GenerateDataKey" in str(info.value)


def test_grant_tokens_are_passed(east, mrk):
    east_arn, _ = mrk
    client = CountingClient(east)
    keyring = mrkenv.KmsMrkKeyring(client, [east_arn], grant_tokens=["token-1"])
    message = mrkenv.encrypt(DATA, keyring)
    assert mrkenv.decrypt(message, keyring) == DATA
    assert [c[1]["GrantTokens"] for c in client.calls] == [["token-1"], ["token-1"]]


def test_streams_with_kms(east, west, mrk):
    east_arn, west_arn = mrk
    src, dst = io.BytesIO(DATA * 10), io.BytesIO()
    mrkenv.encrypt_stream(src, dst, mrkenv.KmsMrkKeyring(east, [east_arn]),
                          encryption_context=CONTEXT, frame_length=4096)
    out = io.BytesIO()
    mrkenv.decrypt_stream(io.BytesIO(dst.getvalue()), out,
                          mrkenv.KmsMrkDiscoveryKeyring(west, WEST), encryption_context=CONTEXT)
    assert out.getvalue() == DATA * 10
