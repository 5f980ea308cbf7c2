"""What a new user trips over: argument errors that name the parameter and
the type it wants, a client for the wrong Region, the discovery Region taken
from the client, the header with the plaintext, limits by keyword, and the
stubs accepting a boto3-stubs KMS client."""

from __future__ import annotations

import base64
import io
import os
import pathlib
import subprocess
import sys
from typing import Any, Callable, Dict, List, Tuple

import pytest

import mrkenv
from conftest import REPO

MRK_EAST = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
MRK_WEST = MRK_EAST.replace("us-east-1", "us-west-2")
SRK_EAST = "arn:aws:kms:us-east-1:111122223333:key/0000aaaa-bb11-cc22-dd33-eeeeffff0000"
KEYRING = mrkenv.RawAesKeyring("my-app", "key-1", bytes(range(32)))
MESSAGE = mrkenv.encrypt(b"hello", KEYRING, encryption_context={"a": "b"})
ITEM = {"pk": {"S": "1"}, "v": {"S": "x"}}
ACTIONS = {"pk": "SIGN_ONLY", "v": "ENCRYPT_AND_SIGN"}
RECORD = mrkenv.encrypt_record(ITEM, KEYRING, ACTIONS, table_name="t", partition_key="pk")


class FakeKms:
    """A KMS client with no Region (no ``meta``) that is never called."""

    def generate_data_key(self, **kwargs: Any) -> Any:  # pragma: no cover - must not run
        raise AssertionError("KMS must not be called")

    encrypt = decrypt = generate_data_key


def boto3_kms(region: str) -> Any:
    import boto3

    # Constructing a client makes no network call.
    return boto3.client("kms", region_name=region, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


# ------------------------------------------------------------ argument errors

# Every public function and constructor: its valid arguments, by keyword.
CALLS: Dict[str, Tuple[Callable[..., Any], Dict[str, Any]]] = {
    "encrypt": (mrkenv.encrypt, {"plaintext": b"x", "keyring": KEYRING}),
    "decrypt": (mrkenv.decrypt, {"ciphertext": MESSAGE, "keyring": KEYRING}),
    "decrypt_with_header": (mrkenv.decrypt_with_header, {"ciphertext": MESSAGE, "keyring": KEYRING}),
    "encrypt_stream": (mrkenv.encrypt_stream, {"src": io.BytesIO(b"x"), "dst": io.BytesIO(), "keyring": KEYRING}),
    "decrypt_stream": (mrkenv.decrypt_stream, {"src": io.BytesIO(MESSAGE), "dst": io.BytesIO(), "keyring": KEYRING}),
    "inspect": (mrkenv.inspect, {"ciphertext": MESSAGE}),
    "rekey": (mrkenv.rekey, {"message": MESSAGE, "keyring": KEYRING}),
    "rekey_header": (mrkenv.rekey_header, {"head": MESSAGE, "keyring": KEYRING}),
    "rekey_stream": (mrkenv.rekey_stream, {"src": io.BytesIO(MESSAGE), "dst": io.BytesIO(), "keyring": KEYRING}),
    "encrypt_record": (mrkenv.encrypt_record, {"item": ITEM, "keyring": KEYRING, "actions": ACTIONS,
                                               "table_name": "t", "partition_key": "pk"}),
    "decrypt_record": (mrkenv.decrypt_record, {"item": RECORD, "keyring": KEYRING, "table_name": "t",
                                               "partition_key": "pk"}),
    "rekey_record": (mrkenv.rekey_record, {"item": RECORD, "keyring": KEYRING, "table_name": "t",
                                           "partition_key": "pk"}),
    "parse_arn": (mrkenv.parse_arn, {"s": MRK_EAST}),
    "is_mrk": (mrkenv.is_mrk, {"identifier": MRK_EAST}),
    "mrk_match": (mrkenv.mrk_match, {"a": MRK_EAST, "b": MRK_WEST}),
    "KmsMrkKeyring": (mrkenv.KmsMrkKeyring, {"client": FakeKms(), "key_ids": [MRK_EAST]}),
    "KmsMrkDiscoveryKeyring": (mrkenv.KmsMrkDiscoveryKeyring, {"client": FakeKms(), "region": "us-east-1"}),
    "DiscoveryFilter": (mrkenv.DiscoveryFilter, {"partition": "aws", "account_ids": ["111122223333"]}),
    "RawAesKeyring": (mrkenv.RawAesKeyring, {"key_namespace": "ns", "key_name": "k", "wrapping_key": bytes(32)}),
    "Limits": (mrkenv.Limits, {}),
}

# A wrong value for each kind of parameter, and the message it must give.
BYTES = (12345, "must be bytes, bytearray or memoryview, got int")
KEYRING_BAD = ("my-keyring", "must be a KmsMrkKeyring, KmsMrkDiscoveryKeyring or RawAesKeyring, got str")
CONTEXT = (5, "must be a mapping of str to str, got int")
STR = (5, "must be a str, got int")
STRS = ("one-id", "must be a sequence of str, got str")
BOOL = (1, "must be a bool, got int")
LIMITS = ({"max_header_bytes": 1}, "must be an mrkenv.Limits, got dict")
COUNT = ("10", "must be a non-negative int, got str")
PARAMETERS: Dict[str, Dict[str, Tuple[Any, str]]] = {
    "encrypt": {"plaintext": BYTES, "keyring": KEYRING_BAD, "encryption_context": CONTEXT,
                "frame_length": ("4096", "must be an int, got str"), "limits": LIMITS},
    "decrypt": {"ciphertext": BYTES, "keyring": KEYRING_BAD, "encryption_context": CONTEXT, "limits": LIMITS},
    "decrypt_with_header": {"ciphertext": BYTES, "keyring": KEYRING_BAD, "encryption_context": CONTEXT,
                            "limits": LIMITS},
    "encrypt_stream": {"src": ("in.txt", 'must be an open binary file, got a path (str): pass open(path, "rb")'),
                       "dst": (pathlib.Path("out.bin"),
                               'must be an open binary file, got a path (PosixPath): pass open(path, "wb")'),
                       "keyring": KEYRING_BAD, "encryption_context": CONTEXT,
                       "frame_length": (4096.0, "must be an int, got float"), "limits": LIMITS},
    "decrypt_stream": {"src": (pathlib.Path("in.bin"), "must be an open binary file, got a path (PosixPath)"),
                       "dst": (b"out.txt", "must be an open binary file, got a path (bytes)"),
                       "keyring": KEYRING_BAD, "encryption_context": CONTEXT, "limits": LIMITS},
    "inspect": {"ciphertext": BYTES, "limits": LIMITS},
    "rekey": {"message": BYTES, "keyring": KEYRING_BAD, "add": KEYRING_BAD,
              "remove": ("key-1", "must be a sequence of key identifiers, not one str"),
              "encryption_context": CONTEXT, "match_replicas": BOOL, "limits": LIMITS},
    "rekey_header": {"head": BYTES, "keyring": KEYRING_BAD, "add": KEYRING_BAD, "encryption_context": CONTEXT,
                     "remove": ("key-1", "must be a sequence of key identifiers, not one str"),
                     "match_replicas": BOOL, "limits": LIMITS},
    "rekey_stream": {"src": ("in.bin", "must be an open binary file, got a path (str)"),
                     "dst": (object(), "must be an open binary file (with a write() method), got object"),
                     "keyring": KEYRING_BAD, "add": KEYRING_BAD, "encryption_context": CONTEXT,
                     "remove": ("key-1", "must be a sequence of key identifiers, not one str"),
                     "match_replicas": BOOL, "limits": LIMITS},
    "encrypt_record": {"item": (5, "must be a dict of attribute name"), "keyring": KEYRING_BAD,
                       "actions": (5, "must be a mapping of attribute name to action, got int"),
                       "table_name": STR, "partition_key": STR, "sort_key": STR,
                       "default_action": (5, "must be an action name (str or mrkenv.Action), got int"),
                       "encryption_context": CONTEXT, "limits": LIMITS},
    "decrypt_record": {"item": (5, "must be a dict of attribute name"), "keyring": KEYRING_BAD,
                       "table_name": STR, "partition_key": STR, "sort_key": STR,
                       "encryption_context": CONTEXT, "allow_plaintext": BOOL, "limits": LIMITS},
    "rekey_record": {"item": (5, "must be a dict of attribute name"), "keyring": KEYRING_BAD,
                     "add": KEYRING_BAD, "table_name": STR, "partition_key": STR, "sort_key": STR,
                     "remove": ("key-1", "must be a sequence of key identifiers, not one str"),
                     "encryption_context": CONTEXT, "match_replicas": BOOL, "limits": LIMITS},
    "parse_arn": {"s": STR},
    "is_mrk": {"identifier": STR},
    "mrk_match": {"a": STR, "b": STR},
    "KmsMrkKeyring": {"client": (None, 'must be a KMS client (e.g. boto3.client("kms")), got NoneType'),
                      "key_ids": STRS, "grant_tokens": STRS},
    "KmsMrkDiscoveryKeyring": {"client": (42, "must be a KMS client"), "region": STR,
                               "discovery_filter": ({"partition": "aws"},
                                                    "must be an mrkenv.DiscoveryFilter, got dict"),
                               "grant_tokens": (b"token", "must be a sequence of str, got bytes")},
    "DiscoveryFilter": {"partition": STR, "account_ids": ("111122223333", "must be a sequence of str, got str")},
    "RawAesKeyring": {"key_namespace": STR, "key_name": STR, "wrapping_key": BYTES},
    "Limits": {name: COUNT for name in ("max_encrypted_data_keys", "max_header_bytes", "max_context_entries",
                                        "max_context_bytes", "max_frame_length", "max_record_attributes",
                                        "max_record_depth")},
}

# What pyo3's own extraction errors look like: none may reach a user.
PYO3_INTERNALS = ("argument '", "Can't extract", "is not an instance of", "cannot be converted",
                  "PyString", "PyBytes", "Vec", "'PyAny'")


NOT_CALLED_BY_USERS = {"Action", "KmsArn", "Decrypted", "DecryptAttempt", "HeaderInfo", "EncryptedDataKeyInfo"}


def test_every_public_callable_is_covered():
    import inspect as pyinspect

    callables = {n for n in mrkenv.__all__ if callable(getattr(mrkenv, n))
                 and not (isinstance(getattr(mrkenv, n), type) and issubclass(getattr(mrkenv, n), BaseException))}
    assert callables - NOT_CALLED_BY_USERS == set(CALLS)
    assert set(PARAMETERS) == set(CALLS)
    # Every parameter of every callable has a wrong-type case.
    for name, (fn, _) in CALLS.items():
        assert set(pyinspect.signature(fn).parameters) == set(PARAMETERS[name]), name


CASES = [(name, param) for name in sorted(PARAMETERS) for param in sorted(PARAMETERS[name])]


@pytest.mark.parametrize("name,param", CASES, ids=[f"{n}.{p}" for n, p in CASES])
def test_a_wrong_type_names_the_parameter_and_the_type(name, param):
    fn, valid = CALLS[name]
    bad, expected = PARAMETERS[name][param]
    kwargs = dict(valid)
    for key in ("src", "dst"):
        if key in kwargs:  # fresh streams per call
            kwargs[key] = io.BytesIO(kwargs[key].getvalue())
    kwargs[param] = bad
    with pytest.raises(TypeError) as info:
        fn(**kwargs)
    message = str(info.value)
    assert message.startswith(f"{param} must be ") or message.startswith(f"{param}"), message
    assert expected in message, message
    for internal in PYO3_INTERNALS:
        assert internal not in message, message


@pytest.mark.parametrize("param,bad,expected", [
    ("key_ids", [MRK_EAST, 7], "key_ids[1] must be a str, got int"),
    ("key_ids", 7, "key_ids must be a sequence of str, got int"),
    ("grant_tokens", ["t", None], "grant_tokens[1] must be a str, got NoneType"),
])
def test_a_wrong_item_in_a_sequence_is_named_by_index(param, bad, expected):
    kwargs: Dict[str, Any] = {"client": FakeKms(), "key_ids": [MRK_EAST], param: bad}
    with pytest.raises(TypeError) as info:
        mrkenv.KmsMrkKeyring(**kwargs)
    assert str(info.value).startswith(expected), str(info.value)


@pytest.mark.parametrize("text,hint", [
    (base64.b64encode(MESSAGE).decode(), "this looks like base64 text: decode it to bytes first"),
    (MESSAGE.hex(), "this looks like hex text: decode it to bytes first (bytes.fromhex(text))"),
    ("hello world", "encode text first (text.encode())"),
])
def test_a_str_for_bytes_gets_a_hint(text, hint):
    with pytest.raises(TypeError) as info:
        mrkenv.decrypt(text, KEYRING)  # type: ignore[arg-type]
    assert str(info.value).startswith("ciphertext must be bytes, bytearray or memoryview, got str; ")
    assert hint in str(info.value)
    with pytest.raises(TypeError, match="wrapping_key must be bytes.*got str; this looks like hex"):
        mrkenv.RawAesKeyring("ns", "k", bytes(32).hex())  # type: ignore[arg-type]


def test_sequences_of_str_are_any_iterable():
    keyring = mrkenv.KmsMrkKeyring(FakeKms(), (MRK_EAST,), grant_tokens=iter(["t1", "t2"]))
    assert keyring.key_ids == [MRK_EAST]
    assert keyring.grant_tokens == ["t1", "t2"]
    assert mrkenv.DiscoveryFilter("aws", ("111122223333",)).account_ids == ["111122223333"]


# ------------------------------------------------------------ Regions


def test_strict_keyring_refuses_a_client_for_another_region():
    with pytest.raises(mrkenv.InvalidArgumentError) as info:
        mrkenv.KmsMrkKeyring(boto3_kms("us-west-2"), [MRK_EAST])
    message = str(info.value)
    assert f"the KMS client is for us-west-2 but the key {MRK_EAST} is in us-east-1" in message
    assert MRK_WEST in message  # the replica to configure instead
    with pytest.raises(mrkenv.InvalidArgumentError, match="client is for us-west-2 but the key .* is in us-east-1"):
        mrkenv.KmsMrkKeyring(boto3_kms("us-west-2"), [MRK_WEST, SRK_EAST])
    # A client in the key's Region, or a key named without a Region, is fine.
    assert mrkenv.KmsMrkKeyring(boto3_kms("us-east-1"), [MRK_EAST, SRK_EAST]).key_ids == [MRK_EAST, SRK_EAST]
    assert mrkenv.KmsMrkKeyring(boto3_kms("us-west-2"), ["alias/app", "mrk-1234abcd12ab34cd56ef1234567890ab"])


def test_discovery_keyring_takes_the_clients_region():
    keyring = mrkenv.KmsMrkDiscoveryKeyring(boto3_kms("eu-west-1"))
    assert keyring.region == "eu-west-1"
    assert mrkenv.KmsMrkDiscoveryKeyring(boto3_kms("eu-west-1"), "eu-west-1").region == "eu-west-1"
    filtered = mrkenv.KmsMrkDiscoveryKeyring(
        boto3_kms("eu-west-1"), discovery_filter=mrkenv.DiscoveryFilter("aws", ["111122223333"]))
    assert filtered.region == "eu-west-1"


def test_discovery_keyring_refuses_a_region_other_than_the_clients():
    with pytest.raises(mrkenv.InvalidArgumentError,
                       match="the KMS client is for us-west-2 but the discovery keyring is for us-east-1"):
        mrkenv.KmsMrkDiscoveryKeyring(boto3_kms("us-west-2"), "us-east-1")


def test_discovery_keyring_needs_a_region_when_the_client_has_none():
    with pytest.raises(TypeError, match="region is required: the client does not say its Region"):
        mrkenv.KmsMrkDiscoveryKeyring(FakeKms())
    assert mrkenv.KmsMrkDiscoveryKeyring(FakeKms(), "us-east-1").region == "us-east-1"


# ------------------------------------------------------------ decrypt_with_header


def test_decrypt_with_header_returns_the_header_it_verified():
    other = mrkenv.RawAesKeyring("my-app", "key-2", bytes(32))
    message = mrkenv.rekey(mrkenv.encrypt(b"secret", KEYRING, encryption_context={"tenant": "acme"}),
                           KEYRING, add=other)
    got = mrkenv.decrypt_with_header(message, other, encryption_context={"tenant": "acme"})
    assert isinstance(got, mrkenv.Decrypted)
    assert got.plaintext == b"secret"
    assert got.encryption_context == {"tenant": "acme"}
    assert [k["provider_info"] for k in got.encrypted_data_keys] == ["key-1", "key-2"]
    assert got.header == mrkenv.inspect(message)
    assert "Decrypted(plaintext=<6 bytes>" in repr(got)
    with pytest.raises(mrkenv.ContextMismatchError):
        mrkenv.decrypt_with_header(message, other, encryption_context={"tenant": "evil"})
    with pytest.raises(mrkenv.AuthenticationError):
        mrkenv.decrypt_with_header(message[:-1] + bytes([message[-1] ^ 1]), other)


# Below and above 256 KiB of message (where decrypt switches to reading the
# exact length ahead and filling the result in place).
@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 3 * 4096, 100_000, 256 * 1024 - 300,
                                  256 * 1024, 64 * 4096, 300_001])
def test_results_have_their_exact_length(size):
    plaintext = os.urandom(size)
    message = mrkenv.encrypt(plaintext, KEYRING, frame_length=4096)
    assert mrkenv.decrypt(message, KEYRING) == plaintext
    assert mrkenv.decrypt(bytearray(message), KEYRING) == plaintext
    with pytest.raises(mrkenv.MalformedMessageError):
        mrkenv.decrypt(message + b"\0", KEYRING)
    with pytest.raises(mrkenv.MalformedMessageError):
        mrkenv.decrypt(message[:-1], KEYRING)


# ------------------------------------------------------------ limits


def test_limits_defaults_are_the_documented_ones():
    limits = mrkenv.Limits()
    assert (limits.max_encrypted_data_keys, limits.max_header_bytes, limits.max_context_entries,
            limits.max_context_bytes, limits.max_frame_length, limits.max_record_attributes,
            limits.max_record_depth) == (16, 256 * 1024, 128, 64 * 1024, 16 * 1024 * 1024, 4096, 32)
    assert mrkenv.Limits(max_header_bytes=10) == mrkenv.Limits(max_header_bytes=10)
    assert mrkenv.Limits(max_header_bytes=10) != limits
    assert "max_header_bytes=10" in repr(mrkenv.Limits(max_header_bytes=10))
    with pytest.raises(mrkenv.InvalidArgumentError, match="max_frame_length 100 is outside 1024..=16777216"):
        mrkenv.Limits(max_frame_length=100)
    with pytest.raises(mrkenv.InvalidArgumentError, match="max_context_entries must be between 0"):
        mrkenv.Limits(max_context_entries=-1)


TWO_KEYS = mrkenv.rekey(mrkenv.encrypt(bytes(10_000), KEYRING, encryption_context={"a": "b", "c": "d"}),
                        KEYRING, add=mrkenv.RawAesKeyring("my-app", "key-2", bytes(32)))

# Each limit, set below what TWO_KEYS needs (2 keys, 2 context entries of 4
# bytes, frames of 64 KiB), must fail every reader.
READER_LIMITS = {
    "max_encrypted_data_keys": mrkenv.Limits(max_encrypted_data_keys=1),
    "max_header_bytes": mrkenv.Limits(max_header_bytes=64),
    "max_context_entries": mrkenv.Limits(max_context_entries=1),
    "max_context_bytes": mrkenv.Limits(max_context_bytes=3),
    "max_frame_length": mrkenv.Limits(max_frame_length=4096),
}


@pytest.mark.parametrize("limit", sorted(READER_LIMITS))
def test_every_message_limit_is_settable_on_every_reader(limit):
    limits = READER_LIMITS[limit]
    readers: List[Callable[[], Any]] = [
        lambda: mrkenv.decrypt(TWO_KEYS, KEYRING, limits=limits),
        lambda: mrkenv.decrypt_with_header(TWO_KEYS, KEYRING, limits=limits),
        lambda: mrkenv.decrypt_stream(io.BytesIO(TWO_KEYS), io.BytesIO(), KEYRING, limits=limits),
        lambda: mrkenv.inspect(TWO_KEYS, limits=limits),
        lambda: mrkenv.rekey(TWO_KEYS, KEYRING, limits=limits),
        lambda: mrkenv.rekey_header(TWO_KEYS, KEYRING, limits=limits),
        lambda: mrkenv.rekey_stream(io.BytesIO(TWO_KEYS), io.BytesIO(), KEYRING, limits=limits),
    ]
    for read in readers:
        with pytest.raises(mrkenv.LimitExceededError):
            read()
    # The defaults read it.
    assert mrkenv.decrypt(TWO_KEYS, KEYRING, limits=mrkenv.Limits()) == bytes(10_000)


@pytest.mark.parametrize("limits", [mrkenv.Limits(max_context_entries=1), mrkenv.Limits(max_context_bytes=3)],
                         ids=["max_context_entries", "max_context_bytes"])
def test_context_limits_apply_on_encrypt(limits):
    context = {"a": "b", "c": "d"}
    with pytest.raises(mrkenv.LimitExceededError):
        mrkenv.encrypt(b"x", KEYRING, encryption_context=context, limits=limits)
    with pytest.raises(mrkenv.LimitExceededError):
        mrkenv.encrypt_stream(io.BytesIO(b"x"), io.BytesIO(), KEYRING, encryption_context=context, limits=limits)


def test_encrypted_data_key_limit_applies_on_encrypt_before_kms():
    keyring = mrkenv.KmsMrkKeyring(FakeKms(), [MRK_EAST, SRK_EAST])
    with pytest.raises(mrkenv.LimitExceededError):
        mrkenv.encrypt(b"x", keyring, limits=mrkenv.Limits(max_encrypted_data_keys=1))


def test_record_limits_are_settable():
    item = {"pk": {"S": "1"}, "a": {"S": "x"}, "b": {"L": [{"L": [{"S": "deep"}]}]}}
    actions = {"pk": "SIGN_ONLY", "a": "ENCRYPT_AND_SIGN", "b": "ENCRYPT_AND_SIGN"}
    record = mrkenv.encrypt_record(item, KEYRING, actions, table_name="t", partition_key="pk")
    few = mrkenv.Limits(max_record_attributes=2)
    with pytest.raises(mrkenv.LimitExceededError, match="record attributes: 3 exceeds the limit of 2"):
        mrkenv.encrypt_record(item, KEYRING, actions, table_name="t", partition_key="pk", limits=few)
    with pytest.raises(mrkenv.LimitExceededError, match="record attributes: 3 exceeds the limit of 2"):
        mrkenv.decrypt_record(record, KEYRING, table_name="t", partition_key="pk", limits=few)
    with pytest.raises(mrkenv.LimitExceededError, match="record attributes: 3 exceeds the limit of 2"):
        mrkenv.rekey_record(record, KEYRING, table_name="t", partition_key="pk", limits=few)
    shallow = mrkenv.Limits(max_record_depth=1)
    with pytest.raises(mrkenv.LimitExceededError, match="record nesting depth: 2 exceeds the limit of 1"):
        mrkenv.encrypt_record(item, KEYRING, actions, table_name="t", partition_key="pk", limits=shallow)
    # Decrypting finds the nesting inside the encrypted value.
    with pytest.raises(mrkenv.MalformedMessageError, match='attribute "b": nested deeper than 1 levels'):
        mrkenv.decrypt_record(record, KEYRING, table_name="t", partition_key="pk", limits=shallow)
    assert mrkenv.decrypt_record(record, KEYRING, table_name="t", partition_key="pk",
                                 limits=mrkenv.Limits()) == item


# ------------------------------------------------------------ stubs

STUB_USAGE = '''
from typing import Dict, List
import boto3
from mypy_boto3_kms import KMSClient
import mrkenv

client: KMSClient = boto3.client("kms", region_name="us-east-1")
key_ids: tuple[str, ...] = ("arn:aws:kms:us-east-1:111122223333:key/mrk-1",)
keyring = mrkenv.KmsMrkKeyring(client, key_ids, grant_tokens=("t",))
discovery = mrkenv.KmsMrkDiscoveryKeyring(client)
discovery_in = mrkenv.KmsMrkDiscoveryKeyring(client, "us-east-1",
                                             discovery_filter=mrkenv.DiscoveryFilter("aws", ("111122223333",)))
message = mrkenv.encrypt(b"x", keyring, limits=mrkenv.Limits(max_encrypted_data_keys=4))
info = mrkenv.inspect(message)
suite: str = info["suite_name"]
frame: int = info["frame_length"]
first: mrkenv.EncryptedDataKeyInfo = info["encrypted_data_keys"][0]
provider: str = first["provider_id"]
arn = first.get("key_arn")
got: mrkenv.Decrypted = mrkenv.decrypt_with_header(message, discovery)
plaintext: bytes = got.plaintext
context: Dict[str, str] = got.encryption_context
keys: List[mrkenv.EncryptedDataKeyInfo] = got.encrypted_data_keys
header: mrkenv.HeaderInfo = got.header
'''

STUB_MISUSE = '''
import mrkenv
info = mrkenv.inspect(b"")
oops = info["suite_nme"]
'''


def test_stubs_accept_a_boto3_stubs_kms_client(tmp_path):
    (tmp_path / "usage.py").write_text(STUB_USAGE)
    (tmp_path / "misuse.py").write_text(STUB_MISUSE)
    cache = REPO / "target" / "mypy-cache"
    mypy = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), "--config-file", os.devnull]
    r = subprocess.run(mypy + ["usage.py"], capture_output=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    # Editors know the fields: a misspelled key is an error.
    r = subprocess.run(mypy + ["misuse.py"], capture_output=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 1 and '"suite_nme"' in r.stdout.decode(), r.stdout.decode()
