"""Records (DynamoDB items) from Python: every vector of tests/vectors/records
(decrypt, encrypt-side errors, byte-identical re-encryption with injected
randomness), the rules of issue 9 part 1, and the conversion of boto3's
client item format (every type in, every type out, clear errors naming the
attribute path)."""

from __future__ import annotations

import base64
import json
from typing import Any, Dict, List

import pytest

import mrkenv
from mrkenv._testing import encrypt_record_with, record_options_reused
from conftest import VECTORS

RECORD_VECTORS = sorted((VECTORS / "records").glob("*.json"))

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

KEYRING = mrkenv.RawAesKeyring("my-app", "key-1", bytes(range(32)))
TABLE = "global-table-example"
SEED = {"employeeId": {"S": "1234"}, "name": {"S": "Andy"}}
SEED_ACTIONS = {"employeeId": mrkenv.Action.SIGN_ONLY, "name": mrkenv.Action.ENCRYPT_AND_SIGN}


# ------------------------------------------------------------------ helpers

def from_dynamodb_json(value: Any) -> Any:
    """A vector's DynamoDB JSON (B and BS in base64) in boto3's client format."""
    if isinstance(value, dict) and len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "B":
            return {"B": base64.b64decode(inner, validate=True)}
        if tag == "BS":
            return {"BS": [base64.b64decode(b, validate=True) for b in inner]}
        if tag == "L":
            return {"L": [from_dynamodb_json(v) for v in inner]}
        if tag == "M":
            return {"M": item_from_json(inner)}
        return {tag: inner}
    raise AssertionError(f"not an AttributeValue: {value!r}")


def item_from_json(item: Dict[str, Any]) -> Dict[str, Any]:
    return {name: from_dynamodb_json(v) for name, v in item.items()}


def normal(value: Any) -> Any:
    """An item with set elements sorted (DynamoDB sets are unordered)."""
    if isinstance(value, dict):
        return {k: (sorted(v) if k in ("SS", "NS", "BS") else normal(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [normal(v) for v in value]
    return value


def vector_keyring(spec: Dict[str, Any]) -> mrkenv.RawAesKeyring:
    assert spec["type"] == "raw-aes"
    return mrkenv.RawAesKeyring(spec["key_namespace"], spec["key_name"], bytes.fromhex(spec["wrapping_key"]))


def load(path: Any) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def encrypt_vector(v: Dict[str, Any]) -> Dict[str, Any]:
    return encrypt_record_with(
        item_from_json(v["plaintext_item"]),
        vector_keyring(v["keyring"]),
        v["actions"],
        table_name=v["table_name"],
        partition_key=v["partition_key"],
        sort_key=v["sort_key"],
        default_action=v["default_action"],
        encryption_context=v["encryption_context"],
        message_id=bytes.fromhex(v["message_id"]),
        data_key=bytes.fromhex(v["data_key"]),
        raw_aes_iv=bytes.fromhex(v["raw_aes_iv"]),
    )


def decrypt_vector(v: Dict[str, Any]) -> Dict[str, Any]:
    d = v["decrypt"]
    return mrkenv.decrypt_record(
        item_from_json(v["encrypted_item"]),
        vector_keyring(d["keyring"]),
        table_name=d["table_name"],
        partition_key=d["partition_key"],
        sort_key=d["sort_key"],
        encryption_context=d["required_encryption_context"],
        allow_plaintext=d["allow_plaintext"],
    )


def seed_encrypt(item: Any = None, **kwargs: Any) -> Dict[str, Any]:
    kwargs.setdefault("table_name", TABLE)
    kwargs.setdefault("partition_key", "employeeId")
    actions = kwargs.pop("actions", SEED_ACTIONS)
    return mrkenv.encrypt_record(SEED if item is None else item, KEYRING, actions, **kwargs)


def seed_decrypt(item: Dict[str, Any], **kwargs: Any) -> Dict[str, Any]:
    kwargs.setdefault("table_name", TABLE)
    kwargs.setdefault("partition_key", "employeeId")
    return mrkenv.decrypt_record(item, KEYRING, **kwargs)


# ------------------------------------------------------------------ vectors

def test_record_vectors_are_present():
    vectors = [load(p) for p in RECORD_VECTORS]
    assert sum(v["result"] == "ok" for v in vectors) >= 5
    assert {v["error_kind"] for v in vectors if v["result"] == "error"} >= {
        "Authentication", "MalformedMessage", "ContextMismatch", "NoDecryptableKey", "LimitExceeded",
        "InvalidArgument"}
    assert any(v["operation"] == "encrypt" for v in vectors)


@pytest.mark.parametrize("path", RECORD_VECTORS, ids=[p.stem for p in RECORD_VECTORS])
def test_record_vector(path):
    v = load(path)
    run = {"decrypt": decrypt_vector, "encrypt": encrypt_vector}[v["operation"]]
    if v["result"] == "ok":
        out = run(v)
        assert normal(out) == normal(item_from_json(v["decrypted_item"]))
    else:
        expected = ERROR_CLASSES[v["error_kind"]]
        with pytest.raises(mrkenv.MrkenvError) as info:
            run(v)
        assert type(info.value) is expected, f"{type(info.value).__name__}: {info.value}"
        assert info.value.code == v["error_kind"]
    if v["reencrypt"]:
        again = encrypt_vector(v)
        assert normal(again) == normal(item_from_json(v["encrypted_item"]))


def test_seed_vector_reencrypts_byte_for_byte():
    v = load(VECTORS / "records" / "ok-seed-item.json")
    again = encrypt_vector(v)
    assert again["aws_mrkenv_header"]["B"] == base64.b64decode(v["encrypted_item"]["aws_mrkenv_header"]["B"])
    assert again["aws_mrkenv_tag"]["B"] == base64.b64decode(v["encrypted_item"]["aws_mrkenv_tag"]["B"])
    assert again["name"]["B"] == base64.b64decode(v["encrypted_item"]["name"]["B"])


# ------------------------------------------------------------------ the rules

def test_seed_round_trip_and_shape():
    encrypted = seed_encrypt()
    assert set(encrypted) == {"employeeId", "name", "aws_mrkenv_header", "aws_mrkenv_tag"}
    assert encrypted["employeeId"] == {"S": "1234"}  # SIGN_ONLY: unchanged
    assert set(encrypted["name"]) == {"B"} and isinstance(encrypted["name"]["B"], bytes)
    assert b"Andy" not in encrypted["name"]["B"]
    assert seed_decrypt(encrypted) == SEED


def test_actions_as_strings_or_enum():
    assert mrkenv.Action.SIGN_ONLY == "SIGN_ONLY" and isinstance(mrkenv.Action.SIGN_ONLY, str)
    assert str(mrkenv.Action.ENCRYPT_AND_SIGN) == "ENCRYPT_AND_SIGN"
    assert [a.value for a in mrkenv.Action] == [
        "ENCRYPT_AND_SIGN", "SIGN_ONLY", "SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT", "DO_NOTHING"]
    encrypted = seed_encrypt(actions={"employeeId": "SIGN_ONLY", "name": "ENCRYPT_AND_SIGN"})
    assert seed_decrypt(encrypted) == SEED
    encrypted = seed_encrypt(actions={"employeeId": mrkenv.Action.SIGN_ONLY},
                             default_action=mrkenv.Action.ENCRYPT_AND_SIGN)
    assert seed_decrypt(encrypted) == SEED
    with pytest.raises(mrkenv.InvalidArgumentError, match="unknown attribute action \"encrypt_and_sign\""):
        seed_encrypt(actions={"employeeId": "SIGN_ONLY", "name": "encrypt_and_sign"})
    with pytest.raises(TypeError, match=r"actions\[\"name\"\] must be an action name"):
        seed_encrypt(actions={"employeeId": "SIGN_ONLY", "name": 1})
    with pytest.raises(TypeError, match="default_action must be an action name"):
        seed_encrypt(actions={}, default_action=1)
    with pytest.raises(TypeError, match="actions must be a mapping"):
        seed_encrypt(actions=["SIGN_ONLY"])


def test_reserved_attribute_is_refused():
    item = dict(SEED, aws_mrkenv_header={"B": b"x"})
    with pytest.raises(mrkenv.InvalidArgumentError, match="\"aws_mrkenv_header\" is reserved"):
        seed_encrypt(item, default_action="DO_NOTHING")
    with pytest.raises(mrkenv.InvalidArgumentError, match="\"aws-mrkenv:table\" is reserved"):
        seed_encrypt(encryption_context={"aws-mrkenv:table": "other"})


@pytest.mark.parametrize("action", ["ENCRYPT_AND_SIGN", "DO_NOTHING"])
def test_key_attribute_must_be_signed_in_the_clear(action):
    with pytest.raises(mrkenv.InvalidArgumentError,
                       match=f"partition key attribute \"employeeId\" cannot be {action}"):
        seed_encrypt(actions={"employeeId": action, "name": "ENCRYPT_AND_SIGN"})
    item = dict(SEED, version={"N": "1"})
    with pytest.raises(mrkenv.InvalidArgumentError, match=f"sort key attribute \"version\" cannot be {action}"):
        seed_encrypt(item, sort_key="version", actions=dict(SEED_ACTIONS, version=action))
    with pytest.raises(mrkenv.InvalidArgumentError, match="partition key attribute \"employeeId\""):
        seed_encrypt(actions={}, default_action=action)


def test_missing_action_without_default_is_refused():
    item = dict(SEED, title={"S": "Engineer"})
    with pytest.raises(mrkenv.InvalidArgumentError, match="attribute \"title\": no action configured"):
        seed_encrypt(item)
    encrypted = seed_encrypt(item, default_action="ENCRYPT_AND_SIGN")
    assert set(encrypted["title"]) == {"B"}
    assert seed_decrypt(encrypted) == item


def test_missing_key_attribute_is_refused():
    with pytest.raises(mrkenv.InvalidArgumentError, match="partition key attribute \"id\" is not in the item"):
        seed_encrypt(partition_key="id", default_action="SIGN_ONLY")


def test_do_nothing_may_change():
    item = dict(SEED, note={"S": "draft"})
    encrypted = seed_encrypt(item, actions=dict(SEED_ACTIONS, note="DO_NOTHING"))
    assert encrypted["note"] == {"S": "draft"}
    changed = dict(encrypted, note={"N": "2"}, added={"BOOL": True})
    assert seed_decrypt(changed) == dict(SEED, note={"N": "2"}, added={"BOOL": True})
    removed = {k: v for k, v in encrypted.items() if k != "note"}
    assert seed_decrypt(removed) == SEED


def test_tampering_is_refused():
    item = dict(SEED, title={"S": "Engineer"}, level={"N": "3"})
    actions = dict(SEED_ACTIONS, title="ENCRYPT_AND_SIGN", level="SIGN_ONLY")
    encrypted = seed_encrypt(item, actions=actions)
    other = seed_encrypt(dict(item, name={"S": "Bob"}), actions=actions)
    tampered = [
        dict(encrypted, employeeId={"S": "9999"}),             # changed signed key
        dict(encrypted, level={"N": "4"}),                     # changed SIGN_ONLY value
        dict(encrypted, name=encrypted["title"], title=encrypted["name"]),  # swapped ciphertexts
        dict(encrypted, name=other["name"]),                   # ciphertext from another item
        {k: v for k, v in encrypted.items() if k != "level"},  # removed signed attribute
        dict(encrypted, aws_mrkenv_tag={"B": bytes(16)}),      # changed tag
    ]
    name_bytes = bytearray(encrypted["name"]["B"])
    name_bytes[-1] ^= 1
    tampered.append(dict(encrypted, name={"B": bytes(name_bytes)}))  # flipped ciphertext bit
    for t in tampered:
        with pytest.raises(mrkenv.AuthenticationError):
            seed_decrypt(t)
    header = bytearray(encrypted["aws_mrkenv_header"]["B"])
    header[-1] ^= 1
    with pytest.raises((mrkenv.AuthenticationError, mrkenv.MalformedMessageError)):
        seed_decrypt(dict(encrypted, aws_mrkenv_header={"B": bytes(header)}))
    assert seed_decrypt(encrypted) == item


def test_table_and_context_are_checked():
    encrypted = seed_encrypt(encryption_context={"purpose": "test"})
    assert seed_decrypt(encrypted, encryption_context={"purpose": "test"}) == SEED
    with pytest.raises(mrkenv.ContextMismatchError):
        seed_decrypt(encrypted, encryption_context={"purpose": "other"})
    with pytest.raises(mrkenv.ContextMismatchError, match="for table"):
        seed_decrypt(encrypted, table_name="other-table")
    with pytest.raises(mrkenv.ContextMismatchError):
        seed_decrypt(encrypted, partition_key="name")
    with pytest.raises(mrkenv.ContextMismatchError):
        seed_decrypt(encrypted, sort_key="name")
    with pytest.raises(mrkenv.NoDecryptableKeyError):
        mrkenv.decrypt_record(encrypted, mrkenv.RawAesKeyring("my-app", "key-1", bytes(32)),
                              table_name=TABLE, partition_key="employeeId")


def test_allow_plaintext_migration():
    with pytest.raises(mrkenv.MalformedMessageError, match="allow plaintext items"):
        seed_decrypt(SEED)
    assert seed_decrypt(SEED, allow_plaintext=True) == SEED
    encrypted = seed_encrypt()
    assert seed_decrypt(encrypted, allow_plaintext=True) == SEED  # encrypted items still verified
    with pytest.raises(mrkenv.AuthenticationError):
        seed_decrypt(dict(encrypted, employeeId={"S": "1"}), allow_plaintext=True)
    # Only one of the two reserved attributes: not a plaintext item.
    half = {k: v for k, v in encrypted.items() if k != "aws_mrkenv_tag"}
    with pytest.raises(mrkenv.MrkenvError):
        seed_decrypt(half, allow_plaintext=True)


def test_sign_and_include_in_encryption_context_reaches_kms():
    calls: List[Dict[str, Any]] = []

    class Kms:
        def generate_data_key(self, **kwargs: Any) -> Dict[str, Any]:
            calls.append(kwargs)
            return {"KeyId": kwargs["KeyId"], "Plaintext": bytes(32), "CiphertextBlob": b"blob"}

        def decrypt(self, **kwargs: Any) -> Dict[str, Any]:
            calls.append(kwargs)
            return {"KeyId": kwargs["KeyId"], "Plaintext": bytes(32)}

        encrypt = decrypt

    arn = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
    keyring = mrkenv.KmsMrkKeyring(Kms(), [arn])
    item = dict(SEED, tenant={"S": "acme"})
    encrypted = mrkenv.encrypt_record(item, keyring, dict(SEED_ACTIONS, tenant="SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT"),
                                      table_name=TABLE, partition_key="employeeId",
                                      encryption_context={"purpose": "test"})
    assert calls[0]["EncryptionContext"] == {
        "aws-mrkenv:table": TABLE,
        "aws-mrkenv:partition-key": "employeeId",
        "aws-mrkenv:attr:employeeId": "1234",
        "aws-mrkenv:attr:tenant": "acme",
        "purpose": "test",
    }
    out = mrkenv.decrypt_record(encrypted, keyring, table_name=TABLE, partition_key="employeeId",
                                encryption_context={"aws-mrkenv:attr:tenant": "acme"})
    assert out == item
    assert calls[1]["EncryptionContext"] == calls[0]["EncryptionContext"]


def test_discovery_keyring_cannot_encrypt_records():
    class NeverCalled:
        def decrypt(self, **kwargs: Any) -> Any:  # pragma: no cover - must not run
            raise AssertionError("KMS must not be called")

        encrypt = generate_data_key = decrypt

    with pytest.raises(mrkenv.KeyringError, match="cannot encrypt"):
        mrkenv.encrypt_record(
            SEED, mrkenv.KmsMrkDiscoveryKeyring(NeverCalled(), "us-west-2"), SEED_ACTIONS,
            table_name=TABLE, partition_key="employeeId")


def test_bad_configuration_fails_before_kms():
    class NeverCalled:
        def decrypt(self, **kwargs: Any) -> Any:  # pragma: no cover - must not run
            raise AssertionError("KMS must not be called")

        encrypt = generate_data_key = decrypt

    arn = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
    keyring = mrkenv.KmsMrkKeyring(NeverCalled(), [arn])
    with pytest.raises(mrkenv.InvalidArgumentError):
        mrkenv.encrypt_record(dict(SEED, x={"S": "y"}), keyring, SEED_ACTIONS, table_name=TABLE,
                              partition_key="employeeId")
    with pytest.raises(mrkenv.ContextMismatchError):
        mrkenv.decrypt_record(seed_encrypt(), keyring, table_name="other", partition_key="employeeId")


# ------------------------------------------------------------------ conversion

EVERY_TYPE = {
    "employeeId": {"S": "1234"},
    "s": {"S": "grüße"},
    "n": {"N": "-1.50"},
    "b": {"B": b"\x00\x01\xff"},
    "t": {"BOOL": True},
    "f": {"BOOL": False},
    "z": {"NULL": True},
    "l": {"L": [{"S": "x"}, {"N": "1"}, {"L": []}, {"M": {"k": {"NULL": True}}}]},
    "m": {"M": {"aaa": {"BOOL": False}, "bb": {"SS": ["b", "a"]}, "c": {"M": {}}}},
    "ss": {"SS": ["zeta", "alpha"]},
    "ns": {"NS": ["10", "9", "1E+2"]},
    "bs": {"BS": [b"\x01", b"\x00\x00"]},
}


@pytest.mark.parametrize("action", ["ENCRYPT_AND_SIGN", "SIGN_ONLY", "DO_NOTHING"])
def test_every_type_round_trips(action):
    encrypted = seed_encrypt(EVERY_TYPE, actions={"employeeId": "SIGN_ONLY"}, default_action=action)
    out = seed_decrypt(encrypted)
    expected = dict(EVERY_TYPE, n={"N": "-1.5"}, ns={"NS": ["10", "9", "100"]})  # canonical numbers
    assert normal(out) == normal(expected)
    assert isinstance(out["b"]["B"], bytes) and out["t"]["BOOL"] is True and out["z"]["NULL"] is True


def test_bytes_like_tuples_and_sets_are_accepted():
    item = {
        "employeeId": {"B": bytearray(b"\x01\x02")},
        "mv": {"B": memoryview(b"abc")},
        "tl": {"L": ({"S": "x"},)},
        "ss": {"SS": {"a", "b"}},
        "bs": {"BS": frozenset({b"a", b"b"})},
    }
    encrypted = seed_encrypt(item, actions={"employeeId": "SIGN_ONLY"}, default_action="ENCRYPT_AND_SIGN")
    assert encrypted["employeeId"] == {"B": b"\x01\x02"}
    out = seed_decrypt(encrypted)
    assert normal(out) == normal({
        "employeeId": {"B": b"\x01\x02"}, "mv": {"B": b"abc"}, "tl": {"L": [{"S": "x"}]},
        "ss": {"SS": ["a", "b"]}, "bs": {"BS": [b"a", b"b"]},
    })


@pytest.mark.parametrize("item, error, message", [
    ([("a", {"S": "x"})], TypeError, "item must be a dict"),
    ({1: {"S": "x"}}, TypeError, "item keys must be attribute names"),
    ({"a": "x"}, TypeError, "attribute \"a\": an AttributeValue must be a dict"),
    ({"a": {"S": 1}}, TypeError, "attribute \"a\": S must be a str, got int"),
    ({"a": {"N": 1}}, TypeError, "attribute \"a\": N must be a str"),
    ({"a": {"B": "text"}}, TypeError, "attribute \"a\": B must be bytes"),
    ({"a": {"BOOL": 1}}, TypeError, "attribute \"a\": BOOL must be True or False"),
    ({"a": {"NULL": None}}, TypeError, "attribute \"a\": NULL must be True"),
    ({"a": {"L": "x"}}, TypeError, "attribute \"a\": L must be a list"),
    ({"a": {"M": []}}, TypeError, "attribute \"a\": M must be a dict"),
    ({"a": {"SS": "x"}}, TypeError, "attribute \"a\": SS must be a list"),
    ({"a": {"L": [{"M": {"k": {"BS": [1]}}}]}}, TypeError, r"attribute \"a\"\[0\]\[\"k\"\]: BS must be bytes"),
    ({"a": {"M": {1: {"S": "x"}}}}, TypeError, "attribute \"a\": M keys must be str"),
    ({"a": {}}, mrkenv.InvalidArgumentError, "attribute \"a\": an AttributeValue must have exactly one type key, found 0"),
    ({"a": {"S": "x", "N": "1"}}, mrkenv.InvalidArgumentError, "exactly one type key, found 2"),
    ({"a": {"X": 1}}, mrkenv.InvalidArgumentError, "attribute \"a\": unknown AttributeValue type \"X\""),
    ({"a": {"L": [{"M": {"k": {"Q": 1}}}]}}, mrkenv.InvalidArgumentError,
     r"attribute \"a\"\[0\]\[\"k\"\]: unknown AttributeValue type \"Q\""),
    ({"a": {"NULL": False}}, mrkenv.InvalidArgumentError, "attribute \"a\": NULL must be True"),
    ({"a": {"N": "1e200"}}, mrkenv.InvalidArgumentError, "attribute \"a\": number is out of range"),
    ({"a": {"N": "abc"}}, mrkenv.InvalidArgumentError, "attribute \"a\": number"),
    ({"a": {"SS": []}}, mrkenv.InvalidArgumentError, "attribute \"a\": SS set is empty"),
    ({"a": {"NS": ["1", "1.0"]}}, mrkenv.InvalidArgumentError, "attribute \"a\": NS set holds duplicates"),
    ({"a": {"L": [{"BS": []}]}}, mrkenv.InvalidArgumentError, r"attribute \"a\"\[0\]: BS set is empty"),
    ({"a": {"S": "\ud800"}}, mrkenv.InvalidArgumentError, "attribute \"a\": S holds a lone surrogate"),
])
def test_malformed_items_name_the_attribute(item, error, message):
    for run in (
        lambda: mrkenv.encrypt_record(item, KEYRING, {}, table_name="t", partition_key="a",
                                      default_action="SIGN_ONLY"),
        lambda: mrkenv.decrypt_record(item, KEYRING, table_name="t", partition_key="a", allow_plaintext=True),
    ):
        with pytest.raises(error, match=message):
            run()


def test_deep_nesting_is_a_limit_not_a_crash():
    deep: Dict[str, Any] = {"L": []}
    inner = deep
    for _ in range(100_000):
        child: Dict[str, Any] = {"L": []}
        inner["L"].append(child)
        inner = child
    with pytest.raises(mrkenv.LimitExceededError, match="record nesting depth"):
        seed_encrypt(dict(SEED, deep=deep), default_action="ENCRYPT_AND_SIGN")
    # 32 levels (DynamoDB's limit) are fine.
    ok: Dict[str, Any] = {"S": "leaf"}
    for _ in range(32):
        ok = {"L": [ok]}
    item = dict(SEED, deep=ok)
    assert seed_decrypt(seed_encrypt(item, default_action="ENCRYPT_AND_SIGN")) == item
    with pytest.raises(mrkenv.LimitExceededError):
        seed_encrypt(dict(SEED, deep={"M": {"k": ok}}), default_action="ENCRYPT_AND_SIGN")


def test_other_mappings_are_accepted():
    from types import MappingProxyType

    item = MappingProxyType({"employeeId": MappingProxyType({"S": "1234"}), "name": {"S": "Andy"}})
    assert seed_decrypt(seed_encrypt(item)) == SEED


def test_actions_and_context_of_other_mappings_are_read_through_items():
    # A plain dict is read in place; any other mapping, a dict subclass
    # included, through its items() (what it says, not what it stores).
    from types import MappingProxyType

    class ItemsSay(dict):
        def __init__(self, say: Dict[str, Any]) -> None:
            super().__init__()  # stores nothing
            self.say = say

        def items(self):  # type: ignore[override]
            return self.say.items()

    for actions in (MappingProxyType(SEED_ACTIONS), ItemsSay(SEED_ACTIONS)):
        for context in (MappingProxyType({"purpose": "test"}), ItemsSay({"purpose": "test"})):
            encrypted = seed_encrypt(actions=actions, encryption_context=context)
            assert seed_decrypt(encrypted, encryption_context={"purpose": "test"}) == SEED
            assert seed_decrypt(encrypted, encryption_context=context) == SEED
            with pytest.raises(mrkenv.ContextMismatchError):
                seed_decrypt(encrypted, encryption_context={"purpose": "other"})


def test_a_dict_changed_while_it_is_read_is_a_runtime_error():
    # The item (and an M) is read in place, not copied first: a mapping inside
    # it whose items() adds to it stops the read with Python's RuntimeError
    # (as a for loop over the dict would), not a crash or an internal error.
    from collections.abc import Mapping

    class Adds(Mapping):  # an AttributeValue {"S": "x"} whose items() adds to `victim`
        def __init__(self, victim: Dict[str, Any]) -> None:
            self.victim = victim

        def __getitem__(self, key: str) -> str:
            return {"S": "x"}[key]

        def __iter__(self):  # type: ignore[override]
            return iter(["S"])

        def __len__(self) -> int:
            return 1

        def items(self):  # type: ignore[override]
            self.victim["added"] = {"S": "y"}
            return [("S", "x")]

    def item_adding_to_itself() -> Dict[str, Any]:
        item: Dict[str, Any] = dict(SEED)
        item["z"] = Adds(item)
        return item

    def m_adding_to_itself() -> Dict[str, Any]:
        m: Dict[str, Any] = {}
        m["k"] = Adds(m)
        return dict(SEED, z={"M": m})

    for make in (item_adding_to_itself, m_adding_to_itself):
        with pytest.raises(RuntimeError, match="dictionary changed size during iteration"):
            seed_encrypt(make(), default_action="SIGN_ONLY")
        with pytest.raises(RuntimeError, match="dictionary changed size during iteration"):
            seed_decrypt(make(), allow_plaintext=True)
    # A mapping whose items() changes nothing is read as before.
    class Quiet(Adds):
        def items(self):  # type: ignore[override]
            return [("S", "x")]

    item = dict(SEED, z=Quiet({}))
    assert seed_decrypt(seed_encrypt(item, default_action="SIGN_ONLY")) == dict(SEED, z={"S": "x"})


def test_results_reuse_the_inputs_immutable_objects():
    # Names and unchanged S/N/B values come back as the caller's own str and
    # bytes objects; the AttributeValue dicts are always new.
    blob = bytes(range(40))
    item = {
        "employeeId": {"S": "1234"},
        "name": {"S": "Andy"},
        "year": {"N": "2019"},
        "blob": {"B": blob},
        "buf": {"B": bytearray(b"xyz")},
        "nums": {"NS": ["1", "2"]},
    }
    actions = dict(SEED_ACTIONS, year="SIGN_ONLY", blob="SIGN_ONLY", buf="SIGN_ONLY", nums="SIGN_ONLY")
    encrypted = seed_encrypt(item, actions=actions)
    names = {name: name for name in item}
    for name in item:
        got = next(k for k in encrypted if k == name)
        assert got is names[name]
        assert encrypted[name] is not item[name]
    assert encrypted["employeeId"]["S"] is item["employeeId"]["S"]
    assert encrypted["year"]["N"] is item["year"]["N"]
    assert encrypted["blob"]["B"] is blob
    # A bytearray (mutable) is never shared: the result holds new bytes.
    assert type(encrypted["buf"]["B"]) is bytes and encrypted["buf"]["B"] == b"xyz"
    assert isinstance(encrypted["name"]["B"], bytes)  # encrypted: a new value
    decrypted = seed_decrypt(encrypted)
    assert decrypted == dict(item, buf={"B": b"xyz"})
    for name in item:
        assert next(k for k in decrypted if k == name) is names[name]
    assert decrypted["employeeId"]["S"] is item["employeeId"]["S"]
    assert decrypted["blob"]["B"] is blob
    assert decrypted["name"]["S"] == "Andy"


def test_results_never_reuse_subclasses_or_different_values():
    class Name(str):
        pass

    class Text(str):
        pass

    item = {Name("employeeId"): {"S": Text("1234")}, "name": {"S": "Andy"}, "n": {"N": "2019.0"}}
    encrypted = seed_encrypt(item, actions=dict(SEED_ACTIONS, n="SIGN_ONLY"))
    # Exact str in the result, never the caller's subclass objects.
    assert {type(k) for k in encrypted} == {str}
    assert type(encrypted["employeeId"]["S"]) is str and encrypted["employeeId"]["S"] == "1234"
    decrypted = seed_decrypt(encrypted)
    assert {type(k) for k in decrypted} == {str}
    assert type(decrypted["employeeId"]["S"]) is str
    # A number comes back canonical: a different str, so a new object.
    assert encrypted["n"] == {"N": "2019"} and decrypted["n"] == {"N": "2019"}
    assert decrypted["name"] == {"S": "Andy"}


def reuses(call: Any) -> Any:
    """(call's result or exception, (encrypt, decrypt) calls that reused the
    options kept from the call before)."""
    before = record_options_reused()
    try:
        result = call()
    except Exception as e:  # noqa: BLE001 - returned for the caller to check
        result = e
    after = record_options_reused()
    return result, (after[0] - before[0], after[1] - before[1])


def test_encrypt_options_are_reused_only_for_equal_arguments():
    actions = dict(SEED_ACTIONS)
    item = dict(SEED, year={"N": "2019"})
    seed_encrypt(item, actions=actions, default_action="SIGN_ONLY")
    encrypted, hit = reuses(lambda: seed_encrypt(item, actions=actions, default_action="SIGN_ONLY"))
    assert hit == (1, 0) and seed_decrypt(encrypted) == item
    # A str subclass equal to the table name builds equal options: reused.
    class Text(str):
        pass

    _, hit = reuses(lambda: seed_encrypt(item, actions=actions, default_action="SIGN_ONLY",
                                         table_name=Text(TABLE)))
    assert hit == (1, 0)
    # The same dict changed in place: built anew, and the change applies.
    actions["name"] = "SIGN_ONLY"
    encrypted, hit = reuses(lambda: seed_encrypt(item, actions=actions, default_action="SIGN_ONLY"))
    assert hit == (0, 0) and encrypted["name"] == {"S": "Andy"}
    # Each other argument, changed, is built anew and applies.
    encrypted, hit = reuses(lambda: seed_encrypt(item, actions=actions, default_action="ENCRYPT_AND_SIGN"))
    assert hit == (0, 0) and "B" in encrypted["year"]
    encrypted, hit = reuses(lambda: seed_encrypt(item, actions=actions, default_action="ENCRYPT_AND_SIGN",
                                                 table_name="other"))
    assert hit == (0, 0)
    with pytest.raises(mrkenv.ContextMismatchError):
        seed_decrypt(encrypted)
    assert seed_decrypt(encrypted, table_name="other") == item
    for context in ({"a": "1"}, {"a": "2"}, {"b": "2"}):
        encrypted, hit = reuses(lambda: seed_encrypt(item, actions=actions, default_action="ENCRYPT_AND_SIGN",
                                                     encryption_context=context))
        assert hit == (0, 0)
        assert seed_decrypt(encrypted, encryption_context=context) == item
    encrypted, hit = reuses(lambda: seed_encrypt(item, actions=actions, default_action="ENCRYPT_AND_SIGN",
                                                 sort_key="name"))
    assert hit == (0, 0)
    assert seed_decrypt(encrypted, sort_key="name") == item
    error, hit = reuses(lambda: seed_encrypt(item, actions=actions, default_action="ENCRYPT_AND_SIGN",
                                             sort_key="name", limits=mrkenv.Limits(max_record_attributes=2)))
    assert hit == (0, 0) and isinstance(error, mrkenv.LimitExceededError)
    _, hit = reuses(lambda: seed_encrypt(item, actions=actions, default_action="ENCRYPT_AND_SIGN",
                                         sort_key="name", limits=mrkenv.Limits(max_record_attributes=2)))
    assert hit == (1, 0)  # kept although the item failed: the options were good
    # Default limits given explicitly equal no limits.
    seed_encrypt(item, actions=actions, default_action="ENCRYPT_AND_SIGN")
    _, hit = reuses(lambda: seed_encrypt(item, actions=actions, default_action="ENCRYPT_AND_SIGN",
                                         limits=mrkenv.Limits()))
    assert hit == (1, 0)
    # One fewer action: built anew; the attribute it named now takes the default.
    del actions["name"]
    encrypted, hit = reuses(lambda: seed_encrypt(item, actions=actions, default_action="ENCRYPT_AND_SIGN"))
    assert hit == (0, 0) and "B" in encrypted["name"]


def test_encrypt_errors_are_the_same_after_a_reusable_call():
    seed_encrypt()
    wrong = [
        (dict(actions={"employeeId": 5, "name": "ENCRYPT_AND_SIGN"}), TypeError,
         'actions\\["employeeId"\\] must be an action name'),
        (dict(actions={"employeeId": "SIGN", "name": "ENCRYPT_AND_SIGN"}), mrkenv.InvalidArgumentError, None),
        (dict(table_name=b"t"), TypeError, "table_name must be a str, got bytes"),
        (dict(partition_key=None), TypeError, "partition_key must be a str, got NoneType"),
        (dict(sort_key=1), TypeError, "sort_key must be a str, got int"),
        (dict(default_action=1), TypeError, "default_action must be an action name"),
        (dict(encryption_context={"a": 1}), TypeError, "encryption_context keys and values must be str"),
        (dict(limits={}), TypeError, "limits must be an mrkenv.Limits, got dict"),
        (dict(actions=[("employeeId", "SIGN_ONLY")]), TypeError, "actions must be a mapping"),
        (dict(encryption_context={"aws-mrkenv:x": "1"}), mrkenv.InvalidArgumentError, None),
    ]
    for kwargs, error, message in wrong:
        seed_encrypt()
        with pytest.raises(error, match=message):
            seed_encrypt(**kwargs)
    # A dict subclass is read through items() every time, never reused.
    class Actions(dict):  # type: ignore[type-arg]
        pass

    seed_encrypt(actions=Actions(SEED_ACTIONS))
    _, hit = reuses(lambda: seed_encrypt(actions=Actions(SEED_ACTIONS)))
    assert hit == (0, 0)


def test_decrypt_options_are_reused_only_for_equal_arguments():
    encrypted = seed_encrypt(encryption_context={"a": "1"})
    seed_decrypt(encrypted)
    result, hit = reuses(lambda: seed_decrypt(encrypted))
    assert hit == (0, 1) and result == SEED
    result, hit = reuses(lambda: seed_decrypt(encrypted, encryption_context={"a": "1"}))
    assert hit == (0, 0) and result == SEED
    result, hit = reuses(lambda: seed_decrypt(encrypted, encryption_context={"a": "2"}))
    assert hit == (0, 0) and isinstance(result, mrkenv.ContextMismatchError)
    result, hit = reuses(lambda: seed_decrypt(encrypted, encryption_context={"a": "2"}))
    assert hit == (0, 1) and isinstance(result, mrkenv.ContextMismatchError)
    result, hit = reuses(lambda: seed_decrypt(SEED, allow_plaintext=True))
    assert hit == (0, 0) and result == SEED
    result, hit = reuses(lambda: seed_decrypt(SEED, allow_plaintext=True))
    assert hit == (0, 1) and result == SEED
    result, hit = reuses(lambda: seed_decrypt(SEED))
    assert hit == (0, 0) and isinstance(result, mrkenv.MalformedMessageError)
    result, hit = reuses(lambda: seed_decrypt(SEED, allow_plaintext=False))
    assert hit == (0, 1) and isinstance(result, mrkenv.MalformedMessageError)
    result, hit = reuses(lambda: seed_decrypt(SEED, allow_plaintext=0))
    assert hit == (0, 0) and isinstance(result, TypeError)
    assert str(result) == "allow_plaintext must be a bool, got int"
    for kwargs in (dict(table_name="other"), dict(partition_key="name"), dict(sort_key="name")):
        seed_decrypt(encrypted)
        result, hit = reuses(lambda: seed_decrypt(encrypted, **kwargs))
        assert hit == (0, 0) and isinstance(result, mrkenv.ContextMismatchError), kwargs
    seed_decrypt(encrypted)
    result, hit = reuses(lambda: seed_decrypt(encrypted, limits=mrkenv.Limits(max_record_attributes=1)))
    assert hit == (0, 0) and isinstance(result, mrkenv.LimitExceededError)


def test_options_are_kept_per_thread_and_reentry_builds_its_own():
    import threading

    seen: List[Any] = []

    def other() -> None:
        seen.append(reuses(lambda: seed_encrypt())[1])

    seed_encrypt()
    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen == [(0, 0)]  # a new thread keeps nothing yet
    assert reuses(lambda: seed_encrypt())[1] == (1, 0)

    # A KMS client that encrypts a record itself while the outer call holds
    # its options: the inner call builds its own, both results are right.
    inner: List[Dict[str, Any]] = []

    class Kms:
        def generate_data_key(self, **kwargs: Any) -> Dict[str, Any]:
            inner.append(seed_encrypt())
            return {"KeyId": kwargs["KeyId"], "Plaintext": bytes(32), "CiphertextBlob": b"blob"}

        def decrypt(self, **kwargs: Any) -> Dict[str, Any]:
            return {"KeyId": kwargs["KeyId"], "Plaintext": bytes(32)}

    arn = "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
    keyring = mrkenv.KmsMrkKeyring(Kms(), [arn])
    def encrypt_outer() -> Dict[str, Any]:
        return mrkenv.encrypt_record(SEED, keyring, SEED_ACTIONS, table_name="outer",
                                     partition_key="employeeId")

    outer = encrypt_outer()
    assert seed_decrypt(inner[0]) == SEED
    assert mrkenv.decrypt_record(outer, keyring, table_name="outer", partition_key="employeeId") == SEED
    # The outer call's options were kept last.
    _, hit = reuses(encrypt_outer)
    assert hit == (1, 0) and len(inner) == 2


def test_type_keys_are_read_whatever_str_object_holds_them():
    # "S", "N" and "B" written as literals are known by identity; any other
    # str holding them (a subclass, one built at run time) reads the same.
    class Key(str):
        pass

    def built(text: str) -> str:
        return "".join(list(text) + [""])

    item = {
        "employeeId": {"S": "1234"},
        "name": {Key("S"): "Andy"},
        "n": {Key("N"): "12"},
        "b": {Key("B"): b"x"},
        "ss": {built("SS"): ["a"]},
        "flag": {built("BOOL"): True},
    }
    expected = {
        "employeeId": {"S": "1234"},
        "name": {"S": "Andy"},
        "n": {"N": "12"},
        "b": {"B": b"x"},
        "ss": {"SS": ["a"]},
        "flag": {"BOOL": True},
    }
    assert seed_decrypt(seed_encrypt(item, default_action="SIGN_ONLY")) == expected
    with pytest.raises(mrkenv.InvalidArgumentError, match='unknown AttributeValue type "X"'):
        seed_encrypt(dict(SEED, z={Key("X"): "1"}), default_action="SIGN_ONLY")
