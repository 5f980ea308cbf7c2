"""Re-keying (issue 14): messages (rekey, rekey_header, rekey_stream) and
records (rekey_record).

A scripted KMS client (deterministic wrapping) shows the three forms agree
byte for byte and what the errors are; moto runs the issue's scenario with
real boto3 clients (for records, with DynamoDB too)."""

from __future__ import annotations

import io
import uuid
from typing import Any, Dict, List, Optional, Tuple

import pytest
from botocore.exceptions import ClientError

import mrkenv
from conftest import EAST, GLOBAL_TABLE, WEST, CountingClient

ACCOUNT = "111122223333"
MRK_EAST = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/mrk-1234abcd12ab34cd56ef1234567890ab"
MRK_WEST = MRK_EAST.replace("us-east-1", "us-west-2")
SRK_EAST = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SRK_WEST = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/9876abcd-12ab-34cd-56ef-1234567890ab"
DATA_KEY = bytes(range(32))
CONTEXT = {"tenant": "acme", "purpose": "rekey-test"}
DATA = bytes(range(256)) * 40  # 10 KiB: ten frames of 1 KiB


class ClientFailure(Exception):
    """What the scripted client raises."""


class ScriptedKms:
    """A KMS that wraps deterministically (blob = b"blob:" + key id), so a
    re-key through it gives the same bytes every time; ``fail`` names the
    methods that raise ``ClientFailure``."""

    def __init__(self, fail: Tuple[str, ...] = ()) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.fail = fail

    def _record(self, op: str, kw: Dict[str, Any]) -> None:
        self.calls.append({"op": op, **kw})
        if op in self.fail:
            raise ClientFailure(f"{op} refused for {kw['KeyId']}")

    def generate_data_key(self, **kw: Any) -> Dict[str, Any]:
        self._record("generate_data_key", kw)
        return {"KeyId": kw["KeyId"], "Plaintext": DATA_KEY, "CiphertextBlob": b"blob:" + kw["KeyId"].encode()}

    def encrypt(self, **kw: Any) -> Dict[str, Any]:
        self._record("encrypt", kw)
        return {"KeyId": kw["KeyId"], "CiphertextBlob": b"blob:" + kw["KeyId"].encode()}

    def decrypt(self, **kw: Any) -> Dict[str, Any]:
        self._record("decrypt", kw)
        return {"KeyId": kw["KeyId"], "Plaintext": DATA_KEY}


class NeverCalled:
    def generate_data_key(self, **kwargs: Any) -> Any:  # pragma: no cover - must not run
        raise AssertionError("KMS must not be called")

    encrypt = decrypt = generate_data_key


class Chunks(io.RawIOBase):
    """A source that returns at most ``size`` bytes per read and records, for
    each write to a paired sink, how much had been read by then."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data = data
        self.size = size
        self.pos = 0
        self.largest_read = 0

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        self.largest_read = max(self.largest_read, n)
        piece = self.data[self.pos : self.pos + min(n, self.size)]
        self.pos += len(piece)
        return piece


class Sink:
    def __init__(self, src: Optional[Chunks] = None) -> None:
        self.parts: List[bytes] = []
        self.read_at_write: List[int] = []
        self.src = src

    def write(self, b: bytes) -> int:
        self.parts.append(bytes(b))
        if self.src is not None:
            self.read_at_write.append(self.src.pos)
        return len(b)

    def value(self) -> bytes:
        return b"".join(self.parts)


def kms_message(*key_ids: str) -> bytes:
    keyring = mrkenv.KmsMrkKeyring(ScriptedKms(), list(key_ids))
    return mrkenv.encrypt(DATA, keyring, encryption_context=CONTEXT, frame_length=1024)


def raw(name: str, byte: int) -> mrkenv.RawAesKeyring:
    return mrkenv.RawAesKeyring("my-app", name, bytes([byte]) * 32)


def body(message: bytes, keyring: Any) -> bytes:
    """The body of ``message``: a header-only re-key that changes nothing
    gives the body offset."""
    _, offset = mrkenv.rekey_header(message, keyring)
    return message[offset:]


def edks(message: bytes) -> List[Tuple[str, str]]:
    return [(e["provider_id"], e["provider_info"]) for e in mrkenv.inspect(message)["encrypted_data_keys"]]


def all_forms(message: bytes, keyring: Any, **options: Any) -> Tuple[bytes, bytes, bytes, bytes]:
    """(rekey, rekey_header spliced onto the old body, rekey_stream from a
    BytesIO, rekey_stream fed 100 bytes a read)."""
    whole = mrkenv.rekey(message, keyring, **options)
    _, offset = mrkenv.rekey_header(message, keyring, **options)
    # Header only, from exactly the bytes up to the end of the header tag.
    head, body_offset = mrkenv.rekey_header(message[:offset], keyring, **options)
    assert body_offset == offset
    dst = io.BytesIO()
    mrkenv.rekey_stream(io.BytesIO(message), dst, keyring, **options)
    sink = Sink()
    mrkenv.rekey_stream(Chunks(message, 100), sink, keyring, **options)
    return whole, head + message[body_offset:], dst.getvalue(), sink.value()


# ------------------------------------------------------------------ the forms agree


def test_frames_stay_byte_identical_and_the_added_key_opens_the_message():
    old_keyring, new_keyring = raw("key-2025", 1), raw("key-2026", 2)
    message = mrkenv.encrypt(DATA, old_keyring, encryption_context=CONTEXT, frame_length=1024)
    rekeyed = mrkenv.rekey(message, old_keyring, add=new_keyring, remove=["key-2025"])
    assert body(rekeyed, new_keyring) == body(message, old_keyring)
    assert len(body(message, old_keyring)) > 10 * 1024  # every frame is in it
    before, after = mrkenv.inspect(message), mrkenv.inspect(rekeyed)
    for field in ("message_id", "encryption_context", "frame_length", "suite", "version"):
        assert after[field] == before[field], field
    assert edks(rekeyed) == [("my-app", "key-2026")]
    assert mrkenv.decrypt(rekeyed, new_keyring, encryption_context=CONTEXT) == DATA
    with pytest.raises(mrkenv.NoDecryptableKeyError):
        mrkenv.decrypt(rekeyed, old_keyring)
    # Adding only: both keys open it; the old one's EDK comes first.
    both = mrkenv.rekey(message, old_keyring, add=new_keyring)
    assert edks(both) == [("my-app", "key-2025"), ("my-app", "key-2026")]
    assert mrkenv.decrypt(both, old_keyring) == mrkenv.decrypt(both, new_keyring) == DATA


def test_header_only_spliced_equals_whole_message_equals_streaming():
    message = kms_message(SRK_EAST)
    keyring = mrkenv.KmsMrkKeyring(ScriptedKms(), [SRK_EAST])
    add = mrkenv.KmsMrkKeyring(ScriptedKms(), [SRK_WEST])
    whole, spliced, streamed, chunked = all_forms(message, keyring, add=add, remove=[SRK_EAST])
    assert spliced == whole and streamed == whole and chunked == whole
    assert edks(whole) == [("aws-kms", SRK_WEST)]
    assert whole.endswith(body(message, keyring))
    west = mrkenv.KmsMrkKeyring(ScriptedKms(), [SRK_WEST])
    assert mrkenv.decrypt(whole, west) == DATA
    # Removing only needs no KMS call but the decrypt, and is as deterministic.
    two = kms_message(SRK_EAST, SRK_WEST)
    forms = all_forms(two, keyring, remove=[SRK_WEST])
    assert len(set(forms)) == 1 and edks(forms[0]) == [("aws-kms", SRK_EAST)]


def test_rekey_stream_writes_as_it_reads_in_constant_memory():
    keyring, add = raw("a", 1), raw("b", 2)
    message = mrkenv.encrypt(bytes(3 * 1024 * 1024), keyring, frame_length=4096)
    src = Chunks(message, 1 << 20)
    sink = Sink(src)
    mrkenv.rekey_stream(src, sink, keyring, add=add)
    out = sink.value()
    assert mrkenv.decrypt(out, add) == bytes(3 * 1024 * 1024)
    assert body(out, add) == body(message, keyring)
    # Reads of bounded size, and output written before the input was all read.
    assert src.largest_read <= 64 * 1024
    assert len(sink.parts) > 10 and sink.read_at_write[0] < len(message) // 10
    assert max(len(p) for p in sink.parts) <= 64 * 1024 + 4096


def test_raw_aes_added_and_kms_removed_with_a_fake_client():
    message = kms_message(SRK_EAST)
    client = ScriptedKms()
    new = raw("key-2026", 7)
    rekeyed = mrkenv.rekey(message, mrkenv.KmsMrkKeyring(client, [SRK_EAST]), add=new, remove=[SRK_EAST])
    # One Decrypt, with the context; the raw AES key wraps locally.
    assert [c["op"] for c in client.calls] == ["decrypt"]
    assert client.calls[0]["KeyId"] == SRK_EAST and client.calls[0]["EncryptionContext"] == CONTEXT
    assert edks(rekeyed) == [("my-app", "key-2026")]
    assert mrkenv.decrypt(rekeyed, new) == DATA
    assert body(rekeyed, new) == body(message, mrkenv.KmsMrkKeyring(ScriptedKms(), [SRK_EAST]))
    # The removed key alone no longer opens it, and KMS is not even asked.
    removed = ScriptedKms()
    with pytest.raises(mrkenv.NoDecryptableKeyError):
        mrkenv.decrypt(rekeyed, mrkenv.KmsMrkKeyring(removed, [SRK_EAST]))
    assert removed.calls == []
    # And back: a raw AES key removed by its key name, a KMS key added.
    back = mrkenv.rekey(rekeyed, new, add=mrkenv.KmsMrkKeyring(ScriptedKms(), [SRK_WEST]),
                        remove=["key-2026"])
    assert edks(back) == [("aws-kms", SRK_WEST)]


def test_removing_a_replica_needs_match_replicas():
    message = kms_message(MRK_EAST, SRK_EAST)
    keyring = mrkenv.KmsMrkKeyring(ScriptedKms(), [SRK_EAST])
    with pytest.raises(mrkenv.InvalidArgumentError, match="cannot remove"):
        mrkenv.rekey(message, keyring, remove=[MRK_WEST])
    rekeyed = mrkenv.rekey(message, keyring, remove=[MRK_WEST], match_replicas=True)
    assert edks(rekeyed) == [("aws-kms", SRK_EAST)]
    assert mrkenv.rekey(message, keyring, remove=[MRK_EAST]) == rekeyed


# ------------------------------------------------------------------ errors, nothing written


def test_wrong_keyring_fails_and_writes_nothing():
    message = mrkenv.encrypt(DATA, raw("a", 1))
    wrong = raw("b", 2)
    with pytest.raises(mrkenv.NoDecryptableKeyError):
        mrkenv.rekey(message, wrong, add=raw("c", 3))
    with pytest.raises(mrkenv.NoDecryptableKeyError):
        mrkenv.rekey_header(message, wrong, add=raw("c", 3))
    sink = Sink()
    with pytest.raises(mrkenv.NoDecryptableKeyError):
        mrkenv.rekey_stream(io.BytesIO(message), sink, wrong, add=raw("c", 3))
    assert sink.parts == []
    # A KMS keyring whose key is not in the message: KMS is not called.
    with pytest.raises(mrkenv.NoDecryptableKeyError):
        mrkenv.rekey(kms_message(SRK_EAST), mrkenv.KmsMrkKeyring(NeverCalled(), [SRK_WEST]))


def test_bad_options_are_refused_before_kms_is_called():
    message = kms_message(SRK_EAST)
    keyring = mrkenv.KmsMrkKeyring(NeverCalled(), [SRK_EAST])
    cases: List[Tuple[Dict[str, Any], Any, str]] = [
        ({"remove": [SRK_EAST]}, mrkenv.InvalidArgumentError, "no encrypted data key"),
        ({"remove": [SRK_WEST]}, mrkenv.InvalidArgumentError, "cannot remove"),
        ({"remove": ["arn:aws:kms:us-east-1:1:key"]}, mrkenv.InvalidArnError, "(?i)arn"),
        ({"add": mrkenv.KmsMrkDiscoveryKeyring(NeverCalled(), WEST)}, mrkenv.KeyringError, "discovery"),
        ({"add": raw("x", 1), "encryption_context": {"tenant": "other"}}, mrkenv.ContextMismatchError, "tenant"),
        ({"add": raw("x", 1), "encryption_context": {"missing": "x"}}, mrkenv.ContextMismatchError, "missing"),
    ]
    for options, error, needle in cases:
        with pytest.raises(error, match=needle):
            mrkenv.rekey(message, keyring, **options)
        with pytest.raises(error, match=needle):
            mrkenv.rekey_header(message, keyring, **options)
        sink = Sink()
        with pytest.raises(error, match=needle):
            mrkenv.rekey_stream(io.BytesIO(message), sink, keyring, **options)
        assert sink.parts == [], options
    # "Removing every key" is an InvalidArgumentError, which is a ValueError.
    with pytest.raises(ValueError):
        mrkenv.rekey(message, keyring, remove=(SRK_EAST,))
    # A required context that holds passes.
    rekeyed = mrkenv.rekey(message, mrkenv.KmsMrkKeyring(ScriptedKms(), [SRK_EAST]), add=raw("x", 1),
                           encryption_context={"tenant": "acme"})
    assert mrkenv.inspect(rekeyed)["encryption_context"] == CONTEXT


def test_argument_types():
    message = mrkenv.encrypt(DATA, raw("a", 1))
    with pytest.raises(TypeError, match="not one str"):
        mrkenv.rekey(message, raw("a", 1), remove="a")
    with pytest.raises(TypeError, match="key identifiers"):
        mrkenv.rekey(message, raw("a", 1), remove=[1])
    with pytest.raises(TypeError, match="add must be a KmsMrkKeyring"):
        mrkenv.rekey(message, raw("a", 1), add="b")
    with pytest.raises(TypeError, match="message must be bytes"):
        mrkenv.rekey("text", raw("a", 1))
    # bytearray, memoryview, a list or a tuple or a generator of ids.
    for form in (bytearray(message), memoryview(message)):
        for remove in (["a"], ("a",), (k for k in ["a"])):
            out = mrkenv.rekey(form, raw("a", 1), add=raw("b", 2), remove=remove)
            assert edks(out) == [("my-app", "b")]


def test_truncated_or_tampered_messages():
    keyring = raw("a", 1)
    message = mrkenv.encrypt(DATA, keyring, encryption_context=CONTEXT, frame_length=1024)
    _, offset = mrkenv.rekey_header(message, keyring)
    # Header only needs the head, and says what is missing when it is short.
    with pytest.raises(mrkenv.MalformedMessageError, match="truncated"):
        mrkenv.rekey_header(message[: offset - 1], keyring, add=raw("b", 2))
    with pytest.raises(mrkenv.MalformedMessageError, match="truncated"):
        mrkenv.rekey_stream(io.BytesIO(message[: offset - 1]), Sink(), keyring, add=raw("b", 2))
    # The whole form checks the body's framing; the stream form too, at the
    # end (the new head was written by then: the CLI writes to a temporary file).
    with pytest.raises(mrkenv.MalformedMessageError):
        mrkenv.rekey(message[:-10], keyring, add=raw("b", 2))
    with pytest.raises(mrkenv.MalformedMessageError):
        mrkenv.rekey_stream(io.BytesIO(message[:-10]), Sink(), keyring, add=raw("b", 2))


def test_a_tampered_header_cannot_be_rekeyed():
    keyring = mrkenv.KmsMrkKeyring(ScriptedKms(), [SRK_EAST])  # the scripted KMS ignores the context
    message = kms_message(SRK_EAST)
    _, offset = mrkenv.rekey_header(message, keyring)
    message_id = bytes.fromhex(mrkenv.inspect(message)["message_id"])
    tampered = []
    for at in (message.index(b"acme"), message.index(message_id), offset - 1):
        blob = bytearray(message)
        blob[at] ^= 0x01
        tampered.append(bytes(blob))
    for blob in tampered:
        for add in (raw("b", 2), mrkenv.KmsMrkKeyring(NeverCalled(), [SRK_WEST])):
            with pytest.raises(mrkenv.AuthenticationError):
                mrkenv.rekey(blob, keyring, add=add)
            with pytest.raises(mrkenv.AuthenticationError):
                mrkenv.rekey_header(blob, keyring, add=add)
            sink = Sink()
            with pytest.raises(mrkenv.AuthenticationError):
                mrkenv.rekey_stream(io.BytesIO(blob), sink, keyring, add=add)
            assert sink.parts == []


# ------------------------------------------------------------------ the cause rule


def test_the_client_exception_is_the_cause():
    message = kms_message(SRK_EAST)
    failing = mrkenv.KmsMrkKeyring(ScriptedKms(fail=("decrypt",)), [SRK_EAST])
    with pytest.raises(mrkenv.NoDecryptableKeyError) as info:
        mrkenv.rekey(message, failing, add=raw("b", 2))
    assert isinstance(info.value.__cause__, ClientFailure)
    (attempt,) = info.value.errors
    assert isinstance(attempt.error.__cause__, ClientFailure)

    keyring = mrkenv.KmsMrkKeyring(ScriptedKms(), [SRK_EAST])
    add = mrkenv.KmsMrkKeyring(ScriptedKms(fail=("encrypt",)), [SRK_WEST])
    for form in ("rekey", "rekey_header", "rekey_stream"):
        sink = Sink()
        with pytest.raises(mrkenv.KeyringError) as err:
            if form == "rekey_stream":
                mrkenv.rekey_stream(io.BytesIO(message), sink, keyring, add=add)
            else:
                getattr(mrkenv, form)(message, keyring, add=add)
        assert isinstance(err.value.__cause__, ClientFailure), form
        assert SRK_WEST in str(err.value.__cause__)
        assert sink.parts == []
    # A rejected answer is never the cause.
    class WrongKeyId(ScriptedKms):
        def encrypt(self, **kw: Any) -> Dict[str, Any]:
            return {"KeyId": "alias/other", "CiphertextBlob": b"x"}

    with pytest.raises(mrkenv.KeyringError) as err:
        mrkenv.rekey(message, keyring, add=mrkenv.KmsMrkKeyring(WrongKeyId(), [SRK_WEST]))
    assert err.value.__cause__ is None


def test_keyboard_interrupt_propagates_unchanged():
    class Interrupting(ScriptedKms):
        def decrypt(self, **kw: Any) -> Dict[str, Any]:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        mrkenv.rekey(kms_message(SRK_EAST), mrkenv.KmsMrkKeyring(Interrupting(), [SRK_EAST]), add=raw("b", 2))


# ------------------------------------------------------------------ moto: the issue's scenario


@pytest.fixture(scope="module")
def regional_keys(east: Any, west: Any) -> Tuple[str, str]:
    """(us-east-1, us-west-2) single-Region keys."""
    east_key = east.create_key(Description="mrkenv rekey east")["KeyMetadata"]["Arn"]
    west_key = west.create_key(Description="mrkenv rekey west")["KeyMetadata"]["Arn"]
    return str(east_key), str(west_key)


def test_issue_scenario_add_a_west_key_then_remove_the_east_key(east, west, regional_keys):
    east_key, west_key = regional_keys
    message = mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(east, [east_key]), encryption_context=CONTEXT,
                             frame_length=1024)
    east_keyring = mrkenv.KmsMrkKeyring(east, [east_key])
    west_keyring = mrkenv.KmsMrkKeyring(west, [west_key])

    # 1. Add the us-west-2 key: Decrypt in us-east-1, Encrypt in us-west-2.
    east_calls, west_calls = CountingClient(east), CountingClient(west)
    added = mrkenv.rekey(message, mrkenv.KmsMrkKeyring(east_calls, [east_key]),
                         add=mrkenv.KmsMrkKeyring(west_calls, [west_key]), encryption_context=CONTEXT)
    assert [(m, k["KeyId"]) for m, k in east_calls.calls] == [("decrypt", east_key)]
    assert [(m, k["KeyId"]) for m, k in west_calls.calls] == [("encrypt", west_key)]
    assert west_calls.calls[0][1]["EncryptionContext"] == CONTEXT
    assert [e["key_arn"] for e in mrkenv.inspect(added)["encrypted_data_keys"]] == [east_key, west_key]

    # 2. Remove the us-east-1 key, in us-west-2: no call to us-east-1 at all.
    west_calls = CountingClient(west)
    rekeyed = mrkenv.rekey(added, mrkenv.KmsMrkKeyring(west_calls, [west_key]), remove=[east_key])
    assert [(m, k["KeyId"]) for m, k in west_calls.calls] == [("decrypt", west_key)]
    summary = mrkenv.inspect(rekeyed)
    assert [(e["key_arn"], e["region"]) for e in summary["encrypted_data_keys"]] == [(west_key, WEST)]
    assert summary["message_id"] == mrkenv.inspect(message)["message_id"]

    # It decrypts in us-west-2, strict and discovery, and no longer with the removed key alone.
    assert mrkenv.decrypt(rekeyed, west_keyring, encryption_context=CONTEXT) == DATA
    assert mrkenv.decrypt(rekeyed, mrkenv.KmsMrkDiscoveryKeyring(west, WEST)) == DATA
    with pytest.raises(mrkenv.NoDecryptableKeyError):
        mrkenv.decrypt(rekeyed, east_keyring)
    with pytest.raises(mrkenv.NoDecryptableKeyError):
        mrkenv.rekey(rekeyed, east_keyring, add=west_keyring)
    # Frames byte-identical to the original's.
    assert body(rekeyed, west_keyring) == body(added, east_keyring) == body(message, east_keyring)

    # The other forms, with real clients: header only spliced, and streaming.
    head, offset = mrkenv.rekey_header(added[:4096], west_keyring, remove=[east_key])
    spliced = head + added[offset:]
    dst = io.BytesIO()
    mrkenv.rekey_stream(io.BytesIO(added), dst, west_keyring, remove=[east_key])
    # Removing only: the same bytes every time.
    assert spliced == rekeyed == dst.getvalue()


def test_moto_client_error_is_the_cause(east, west, regional_keys):
    east_key, _ = regional_keys
    message = mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(east, [east_key]))
    missing = f"arn:aws:kms:{WEST}:{mrkenv.parse_arn(east_key).account}:key/{uuid.uuid4()}"
    sink = Sink()
    with pytest.raises(mrkenv.KeyringError) as info:
        mrkenv.rekey_stream(io.BytesIO(message), sink, mrkenv.KmsMrkKeyring(east, [east_key]),
                            add=mrkenv.KmsMrkKeyring(west, [missing]))
    assert isinstance(info.value.__cause__, ClientError)
    assert sink.parts == []
    # The decrypting keyring's call fails in moto (a key moto does not have).
    ghost = f"arn:aws:kms:{EAST}:{mrkenv.parse_arn(east_key).account}:key/{uuid.uuid4()}"
    message = mrkenv.encrypt(DATA, mrkenv.KmsMrkKeyring(ScriptedKms(), [ghost]))
    with pytest.raises(mrkenv.NoDecryptableKeyError) as nd:
        mrkenv.rekey(message, mrkenv.KmsMrkKeyring(east, [ghost]), add=raw("b", 2))
    assert isinstance(nd.value.__cause__, ClientError)
    (attempt,) = nd.value.errors
    assert attempt.error.__cause__ is nd.value.__cause__


# ------------------------------------------------------------------ records

TABLE = "rekey-table"
RESERVED = ("aws_mrkenv_header", "aws_mrkenv_tag")
RECORD = {
    "tenant": {"S": "acme"},
    "id": {"N": "42"},
    "name": {"S": "Andy"},
    "photo": {"B": b"\x00\x01"},
    "tags": {"SS": ["a", "b"]},
    "scores": {"L": [{"N": "1.5"}, {"NULL": True}, {"M": {"k": {"BOOL": True}}}]},
    "region": {"S": "us-east-1"},
    "note": {"S": "unsigned"},
}
RECORD_ACTIONS = {
    "tenant": mrkenv.Action.SIGN_ONLY,
    "id": mrkenv.Action.SIGN_ONLY,
    "name": mrkenv.Action.ENCRYPT_AND_SIGN,
    "photo": mrkenv.Action.ENCRYPT_AND_SIGN,
    "tags": mrkenv.Action.SIGN_ONLY,
    "scores": mrkenv.Action.ENCRYPT_AND_SIGN,
    "region": mrkenv.Action.SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT,
    "note": mrkenv.Action.DO_NOTHING,
}
SCHEMA = {"table_name": TABLE, "partition_key": "tenant", "sort_key": "id"}


def encrypted_record(keyring: Any) -> Dict[str, Any]:
    return mrkenv.encrypt_record(RECORD, keyring, RECORD_ACTIONS, encryption_context={"app": "hr"}, **SCHEMA)


def unreserved(item: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in item.items() if k not in RESERVED}


def test_record_only_the_header_and_tag_change_and_the_added_key_opens_it():
    old_keyring, new_keyring = raw("key-2025", 1), raw("key-2026", 2)
    item = encrypted_record(old_keyring)
    rekeyed = mrkenv.rekey_record(item, old_keyring, add=new_keyring, remove=["key-2025"], **SCHEMA)
    assert set(rekeyed) == set(item)
    assert unreserved(rekeyed) == unreserved(item)  # encrypted attributes included, byte for byte
    for name in RESERVED:
        assert set(rekeyed[name]) == {"B"} and rekeyed[name] != item[name]
    assert b"key-2026" in rekeyed["aws_mrkenv_header"]["B"]
    assert b"key-2025" not in rekeyed["aws_mrkenv_header"]["B"]
    assert mrkenv.decrypt_record(rekeyed, new_keyring, encryption_context={"app": "hr"}, **SCHEMA) == RECORD
    with pytest.raises(mrkenv.NoDecryptableKeyError):
        mrkenv.decrypt_record(rekeyed, old_keyring, **SCHEMA)
    # Adding only: both keys open it. The unsigned attribute may have changed meanwhile.
    changed = dict(item, note={"S": "edited"})
    both = mrkenv.rekey_record(changed, old_keyring, add=new_keyring, **SCHEMA)
    assert both["note"] == {"S": "edited"} and unreserved(both) == unreserved(changed)
    for keyring in (old_keyring, new_keyring):
        assert mrkenv.decrypt_record(both, keyring, **SCHEMA) == dict(RECORD, note={"S": "edited"})


def test_record_rekey_through_kms_uses_the_record_context():
    item = encrypted_record(mrkenv.KmsMrkKeyring(ScriptedKms(), [SRK_EAST]))
    client, add_client = ScriptedKms(), ScriptedKms()
    rekeyed = mrkenv.rekey_record(item, mrkenv.KmsMrkKeyring(client, [SRK_EAST]),
                                  add=mrkenv.KmsMrkKeyring(add_client, [SRK_WEST]), remove=[SRK_EAST],
                                  encryption_context={"app": "hr"}, **SCHEMA)
    assert [(c["op"], c["KeyId"]) for c in client.calls] == [("decrypt", SRK_EAST)]
    assert [(c["op"], c["KeyId"]) for c in add_client.calls] == [("encrypt", SRK_WEST)]
    context = client.calls[0]["EncryptionContext"]
    assert add_client.calls[0]["EncryptionContext"] == context
    assert context["aws-mrkenv:table"] == TABLE and context["app"] == "hr"
    assert context["aws-mrkenv:attr:region"] == "us-east-1"
    assert unreserved(rekeyed) == unreserved(item)
    west = mrkenv.KmsMrkKeyring(ScriptedKms(), [SRK_WEST])
    assert mrkenv.decrypt_record(rekeyed, west, **SCHEMA) == RECORD
    removed = ScriptedKms()
    with pytest.raises(mrkenv.NoDecryptableKeyError):
        mrkenv.decrypt_record(rekeyed, mrkenv.KmsMrkKeyring(removed, [SRK_EAST]), **SCHEMA)
    assert removed.calls == []


def test_record_bad_options_and_items_are_refused_before_kms_is_called():
    item = encrypted_record(mrkenv.KmsMrkKeyring(ScriptedKms(), [SRK_EAST]))
    keyring = mrkenv.KmsMrkKeyring(NeverCalled(), [SRK_EAST])
    cases: List[Tuple[Any, Dict[str, Any], Any, str]] = [
        (item, {"remove": [SRK_EAST]}, mrkenv.InvalidArgumentError, "no encrypted data key"),
        (item, {"remove": [SRK_WEST]}, mrkenv.InvalidArgumentError, "cannot remove"),
        (item, {"add": mrkenv.KmsMrkDiscoveryKeyring(NeverCalled(), WEST)}, mrkenv.KeyringError, "discovery"),
        (item, {"table_name": "another-table"}, mrkenv.ContextMismatchError, "table"),
        (item, {"sort_key": None}, mrkenv.ContextMismatchError, "sort key"),
        (item, {"encryption_context": {"app": "payroll"}}, mrkenv.ContextMismatchError, "app"),
        (RECORD, {"add": raw("x", 1)}, mrkenv.MalformedMessageError, "not an encrypted record"),
        (unreserved(item), {"add": raw("x", 1)}, mrkenv.MalformedMessageError, "not an encrypted record"),
    ]
    for given, options, error, needle in cases:
        with pytest.raises(error, match=needle):
            mrkenv.rekey_record(given, keyring, **{**SCHEMA, **options})
    # "Removing every key" is an InvalidArgumentError, which is a ValueError.
    with pytest.raises(ValueError):
        mrkenv.rekey_record(item, keyring, remove=(SRK_EAST,), **SCHEMA)


def test_record_tampered_signed_attributes_cannot_be_rekeyed():
    keyring = mrkenv.KmsMrkKeyring(ScriptedKms(), [SRK_EAST])
    item = encrypted_record(keyring)
    other = mrkenv.encrypt_record(dict(RECORD, name={"S": "Bob"}), keyring, RECORD_ACTIONS,
                                  encryption_context={"app": "hr"}, **SCHEMA)
    header = bytearray(item["aws_mrkenv_header"]["B"])
    header[header.index(b"\x62hr") + 2] ^= 0x01  # the context value "hr"
    tampered = [
        dict(item, tags={"SS": ["a", "c"]}),  # a signed value changed
        dict(item, name=other["name"]),  # a ciphertext from another record
        {k: v for k, v in item.items() if k != "photo"},  # a signed attribute removed
        dict(item, aws_mrkenv_tag={"B": bytes(16)}),
        dict(item, aws_mrkenv_header={"B": bytes(header)}),
    ]
    for blob in tampered:
        for add in (raw("b", 2), mrkenv.KmsMrkKeyring(NeverCalled(), [SRK_WEST])):
            with pytest.raises(mrkenv.AuthenticationError):
                mrkenv.rekey_record(blob, keyring, add=add, **SCHEMA)


def test_record_argument_types_and_the_client_exception_is_the_cause():
    item = encrypted_record(raw("a", 1))
    with pytest.raises(TypeError, match="not one str"):
        mrkenv.rekey_record(item, raw("a", 1), remove="a", **SCHEMA)
    with pytest.raises(TypeError, match="item must be a dict"):
        mrkenv.rekey_record([item], raw("a", 1), **SCHEMA)
    with pytest.raises(TypeError, match="add must be a KmsMrkKeyring"):
        mrkenv.rekey_record(item, raw("a", 1), add="b", **SCHEMA)
    with pytest.raises(TypeError):
        mrkenv.rekey_record(item, raw("a", 1), partition_key="tenant")  # type: ignore[call-arg]
    add = mrkenv.KmsMrkKeyring(ScriptedKms(fail=("encrypt",)), [SRK_WEST])
    with pytest.raises(mrkenv.KeyringError) as err:
        mrkenv.rekey_record(item, raw("a", 1), add=add, **SCHEMA)
    assert isinstance(err.value.__cause__, ClientFailure)


def test_record_issue_scenario_in_dynamodb(east, west, regional_keys, global_table):
    """A record written in us-east-1 under a single-Region key, re-keyed to add
    a us-west-2 single-Region key, then the east key removed in us-west-2: it
    decrypts there, and no longer with the east key."""
    east_key, west_key = regional_keys
    east_ddb, west_ddb = global_table
    schema = {"table_name": GLOBAL_TABLE, "partition_key": "employeeId"}
    plain = {"employeeId": {"S": "rekey-1"}, "name": {"S": "Andy"}, "dept": {"S": "R&D"}}
    actions = {"employeeId": "SIGN_ONLY", "name": "ENCRYPT_AND_SIGN", "dept": "SIGN_ONLY"}
    key = {"employeeId": {"S": "rekey-1"}}

    def get(client: Any) -> Dict[str, Any]:
        item: Dict[str, Any] = client.get_item(TableName=GLOBAL_TABLE, Key=key)["Item"]
        return item

    east_keyring = mrkenv.KmsMrkKeyring(east, [east_key])
    west_keyring = mrkenv.KmsMrkKeyring(west, [west_key])
    east_ddb.put_item(TableName=GLOBAL_TABLE, Item=mrkenv.encrypt_record(plain, east_keyring, actions, **schema))
    original = get(east_ddb)

    # 1. In us-east-1, add the us-west-2 key: Decrypt in us-east-1, Encrypt in us-west-2.
    east_calls, west_calls = CountingClient(east), CountingClient(west)
    added = mrkenv.rekey_record(original, mrkenv.KmsMrkKeyring(east_calls, [east_key]),
                                add=mrkenv.KmsMrkKeyring(west_calls, [west_key]), **schema)
    assert [(m, k["KeyId"]) for m, k in east_calls.calls] == [("decrypt", east_key)]
    assert [(m, k["KeyId"]) for m, k in west_calls.calls] == [("encrypt", west_key)]
    east_ddb.put_item(TableName=GLOBAL_TABLE, Item=added)
    # moto does not replicate global tables: this copy stands in for DynamoDB's replication.
    west_ddb.put_item(TableName=GLOBAL_TABLE, Item=get(east_ddb))

    # 2. In us-west-2, remove the us-east-1 key: no call to us-east-1 at all.
    west_calls = CountingClient(west)
    rekeyed = mrkenv.rekey_record(get(west_ddb), mrkenv.KmsMrkKeyring(west_calls, [west_key]),
                                  remove=[east_key], **schema)
    assert [(m, k["KeyId"]) for m, k in west_calls.calls] == [("decrypt", west_key)]
    west_ddb.put_item(TableName=GLOBAL_TABLE, Item=rekeyed)
    stored = get(west_ddb)
    assert unreserved(stored) == unreserved(original)
    header = stored["aws_mrkenv_header"]["B"]
    assert west_key.encode() in header and east_key.encode() not in header

    assert mrkenv.decrypt_record(stored, west_keyring, **schema) == plain
    assert mrkenv.decrypt_record(stored, mrkenv.KmsMrkDiscoveryKeyring(west, WEST), **schema) == plain
    with pytest.raises(mrkenv.NoDecryptableKeyError):
        mrkenv.decrypt_record(stored, east_keyring, **schema)
