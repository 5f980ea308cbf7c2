"""What a careful user tries at the edges: exact public signatures (and the
stub agreeing with the runtime), odd ints, odd file objects, the ARN object,
the CLI's argument errors, and the wheel in a fresh virtualenv without boto3."""

from __future__ import annotations

import inspect
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, List

import pytest

import mrkenv
from conftest import REPO, clean_env

MRK_EAST = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
KEYRING = mrkenv.RawAesKeyring("my-app", "key-1", bytes(range(32)))

# The public API, name for name (other code outside the repository uses it).
SIGNATURES = {
    "encrypt": "(plaintext, keyring, *, encryption_context=None, frame_length=65536, limits=None)",
    "decrypt": "(ciphertext, keyring, *, encryption_context=None, limits=None)",
    "decrypt_with_header": "(ciphertext, keyring, *, encryption_context=None, limits=None)",
    "encrypt_stream": "(src, dst, keyring, *, encryption_context=None, frame_length=65536, limits=None)",
    "decrypt_stream": "(src, dst, keyring, *, encryption_context=None, limits=None)",
    "inspect": "(ciphertext, *, limits=None)",
    "rekey": "(message, keyring, *, add=None, remove=(), encryption_context=None, match_replicas=False, limits=None)",
    "rekey_header": "(head, keyring, *, add=None, remove=(), encryption_context=None, match_replicas=False, limits=None)",
    "rekey_stream": "(src, dst, keyring, *, add=None, remove=(), encryption_context=None, match_replicas=False, limits=None)",
    "parse_arn": "(s)",
    "is_mrk": "(identifier)",
    "mrk_match": "(a, b)",
    "KmsMrkKeyring": "(client, key_ids, *, grant_tokens=None)",
    "KmsMrkDiscoveryKeyring": "(client, region=None, *, discovery_filter=None, grant_tokens=None)",
    "DiscoveryFilter": "(partition, account_ids)",
    "RawAesKeyring": "(key_namespace, key_name, wrapping_key)",
    "Limits": ("(*, max_encrypted_data_keys=None, max_header_bytes=None, max_context_entries=None, "
               "max_context_bytes=None, max_frame_length=None, max_record_attributes=None, max_record_depth=None)"),
    "encrypt_record": ("(item, keyring, actions, *, table_name, partition_key, sort_key=None, "
                       "default_action=None, encryption_context=None, limits=None)"),
    "decrypt_record": ("(item, keyring, *, table_name, partition_key, sort_key=None, "
                       "encryption_context=None, allow_plaintext=False, limits=None)"),
    "rekey_record": ("(item, keyring, *, add=None, remove=(), table_name, partition_key, sort_key=None, "
                     "encryption_context=None, match_replicas=False, limits=None)"),
}


class NeverCalled:
    def generate_data_key(self, **kwargs: Any) -> Any:  # pragma: no cover - must not run
        raise AssertionError("KMS must not be called")

    encrypt = decrypt = generate_data_key


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_public_signatures(name):
    assert str(inspect.signature(getattr(mrkenv, name))) == SIGNATURES[name]


def test_stub_matches_runtime(tmp_path):
    # mypy's stubtest imports the installed package and compares every name,
    # signature and default of the stub (and of the .py modules) with it.
    r = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "mrkenv", "--mypy-config-file", os.devnull],
        capture_output=True, cwd=tmp_path, timeout=120,
    )
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()


def test_all_is_the_one_public_list():
    # mrkenv.__all__ is written once; the private modules keep no list, and
    # every public name of the extension and of the errors is in it.
    from mrkenv import _errors, _native, _record, _testing, _types

    for module in (_native, _errors, _record, _testing, _types):
        assert not hasattr(module, "__all__"), module.__name__
    public = {n for m in (_native, _errors, _record, _types) for n in vars(m)
              if not n.startswith("_") and getattr(vars(m)[n], "__module__", "").startswith("mrkenv")}
    assert public | {"__version__"} == set(mrkenv.__all__)
    assert len(mrkenv.__all__) == len(set(mrkenv.__all__))
    assert mrkenv.KeyringError.__module__ == "mrkenv"
    assert mrkenv.Action.__module__ == "mrkenv"


USAGE = '''
import io
from typing import Optional, Union
import mrkenv

class Reader:
    def read(self, n: int = -1) -> memoryview:
        return memoryview(b"")

class Writer:
    def write(self, b: bytes) -> None:
        pass

keyring = mrkenv.RawAesKeyring("ns", "name", bytearray(32))
message: bytes = mrkenv.encrypt(b"x", keyring, encryption_context={"a": "b"}, frame_length=4096)
plain: bytes = mrkenv.decrypt(bytearray(message), keyring, encryption_context={"a": "b"})
mrkenv.encrypt_stream(io.BytesIO(b"x"), io.BytesIO(), keyring)
mrkenv.encrypt_stream(Reader(), Writer(), keyring)
with open(__file__, "rb") as src, open(__file__ + ".out", "wb") as dst:
    mrkenv.decrypt_stream(src, dst, keyring)
summary = mrkenv.inspect(memoryview(message))
new_keyring = mrkenv.RawAesKeyring("ns", "other", bytes(32))
rekeyed: bytes = mrkenv.rekey(message, keyring, add=new_keyring, remove=["name"],
                              encryption_context={"a": "b"}, match_replicas=False)
head, body_offset = mrkenv.rekey_header(rekeyed[:4096], new_keyring, remove=("other",), add=keyring)
spliced: bytes = head + rekeyed[body_offset:]
mrkenv.rekey_stream(io.BytesIO(rekeyed), Writer(), new_keyring, add=keyring)
arn: mrkenv.KmsArn = mrkenv.parse_arn("arn:aws:kms:us-east-1:111122223333:alias/x")
region: str = arn.region
flag: bool = mrkenv.is_mrk("mrk-1") and mrkenv.mrk_match("mrk-1", "mrk-1") and arn.is_mrk
try:
    mrkenv.decrypt(message, keyring)
except mrkenv.NoDecryptableKeyError as exc:
    for attempt in exc.errors:
        key_id: str = attempt.key_id
        error: mrkenv.MrkenvError = attempt.error
item = {"employeeId": {"S": "1234"}, "name": {"S": "Andy"}, "photo": {"B": b"x"}}
actions = {"employeeId": mrkenv.Action.SIGN_ONLY, "name": "ENCRYPT_AND_SIGN"}
record = mrkenv.encrypt_record(item, keyring, actions, table_name="t", partition_key="employeeId",
                               default_action=mrkenv.Action.DO_NOTHING, encryption_context={"a": "b"})
back = mrkenv.decrypt_record(record, keyring, table_name="t", partition_key="employeeId",
                             encryption_context={"a": "b"}, allow_plaintext=False)
name: str = back["name"]["S"]
rekeyed_record = mrkenv.rekey_record(record, keyring, add=new_keyring, remove=["name"], table_name="t",
                                     partition_key="employeeId", sort_key=None, encryption_context={"a": "b"},
                                     match_replicas=False)
header: bytes = rekeyed_record["aws_mrkenv_header"]["B"]
'''


def test_stub_types_typical_use(tmp_path):
    (tmp_path / "usage.py").write_text(USAGE)
    cache = REPO / "target" / "mypy-cache"
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), "--config-file", os.devnull,
         "usage.py"],
        capture_output=True, cwd=tmp_path, timeout=120,
    )
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()


@pytest.mark.parametrize("bad", [2**70, -(2**70), 2**32, -1, 10**5000],
                         ids=["2**70", "-2**70", "2**32", "-1", "10**5000"])
def test_any_int_frame_length_is_an_invalid_argument(bad):
    kms = mrkenv.KmsMrkKeyring(NeverCalled(), [MRK_EAST])
    for keyring in (kms, KEYRING):
        with pytest.raises(mrkenv.InvalidArgumentError, match="frame length"):
            mrkenv.encrypt(b"x", keyring, frame_length=bad)
        with pytest.raises(mrkenv.InvalidArgumentError, match="frame length"):
            mrkenv.encrypt_stream(io.BytesIO(b"x"), io.BytesIO(), keyring, frame_length=bad)
    with pytest.raises(TypeError, match="frame_length must be an int"):
        mrkenv.encrypt(b"x", KEYRING, frame_length=4096.0)  # type: ignore[arg-type]


def test_kms_arn_is_the_core_value():
    for text in (MRK_EAST, "arn:aws-cn:kms:cn-north-1:111122223333:alias/a/b/c"):
        arn = mrkenv.parse_arn(text)
        assert str(arn) == text and repr(arn) == f'KmsArn("{text}")'
        assert arn == mrkenv.parse_arn(text) and hash(arn) == hash(mrkenv.parse_arn(text))
    arn = mrkenv.parse_arn("arn:aws-cn:kms:cn-north-1:111122223333:alias/a/b/c")
    assert (arn.partition, arn.service, arn.region, arn.account, arn.resource_type, arn.resource_id,
            arn.is_mrk) == ("aws-cn", "kms", "cn-north-1", "111122223333", "alias", "a/b/c", False)
    assert mrkenv.parse_arn(MRK_EAST).is_mrk
    assert mrkenv.parse_arn(MRK_EAST) != mrkenv.parse_arn(MRK_EAST.replace("us-east-1", "us-west-2"))
    with pytest.raises(AttributeError):
        arn.region = "x"  # type: ignore[misc]


class Chunks:
    """A file-like object with short reads of a chosen type."""

    def __init__(self, data: bytes, size: int, kind: Any) -> None:
        self.data, self.at, self.size, self.kind = data, 0, size, kind
        self.out: List[bytes] = []

    def read(self, n: int = -1) -> Any:
        chunk = self.data[self.at : self.at + min(n, self.size)]
        self.at += len(chunk)
        return self.kind(chunk)

    def write(self, b: bytes) -> None:  # returns None, as many file-likes do
        self.out.append(bytes(b))


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_stream_reads_returning_any_bytes_like(kind):
    data = os.urandom(50_000)
    enc = Chunks(data, 999, kind)
    mrkenv.encrypt_stream(enc, enc, KEYRING, frame_length=1024)
    message = b"".join(enc.out)
    assert mrkenv.decrypt(message, KEYRING) == data
    dec = Chunks(message, 333, kind)
    mrkenv.decrypt_stream(dec, dec, KEYRING)
    assert b"".join(dec.out) == data


def test_encrypt_stream_of_nothing():
    dst = io.BytesIO()
    mrkenv.encrypt_stream(io.BytesIO(b""), dst, KEYRING)
    assert mrkenv.decrypt(dst.getvalue(), KEYRING) == b""
    assert mrkenv.inspect(dst.getvalue())["frame_length"] == 65536
    out = io.BytesIO()
    mrkenv.decrypt_stream(io.BytesIO(dst.getvalue()), out, KEYRING)
    assert out.getvalue() == b""
    with pytest.raises(mrkenv.MalformedMessageError, match="truncated"):
        mrkenv.decrypt_stream(io.BytesIO(b""), io.BytesIO(), KEYRING)


@pytest.mark.parametrize("count", [-1, 10**30, 10**6])
def test_stream_write_returning_a_bad_count(count):
    class Liar:
        def write(self, b: bytes) -> int:
            return count

    with pytest.raises(ValueError, match=r"dst\.write\(\) returned"):
        mrkenv.encrypt_stream(io.BytesIO(b"abc"), Liar(), KEYRING)


def test_stream_read_returning_text_or_none():
    class Text:
        def read(self, n: int) -> str:
            return "abc"

    class Nothing:
        def read(self, n: int) -> None:
            return None

    with pytest.raises(TypeError, match="binary mode"):
        mrkenv.encrypt_stream(Text(), io.BytesIO(), KEYRING)
    with pytest.raises(ValueError, match="None"):
        mrkenv.encrypt_stream(Nothing(), io.BytesIO(), KEYRING)


def _cli(args: List[str], **kw: Any) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "mrkenv", *args]
    return subprocess.run(cmd, capture_output=True, env=clean_env(), timeout=60, **kw)


def test_cli_argument_errors_are_one_line(tmp_path):
    # No KMS is reached in either case: the endpoint is a closed port.
    base = ["encrypt", "--key-id", MRK_EAST, "--endpoint-url", "http://127.0.0.1:9"]
    cases = [
        (base + ["--frame-length", str(2**70)], "frame length"),
        (base + ["-o", str(tmp_path)], "is a directory"),
    ]
    for args, needle in cases:
        r = _cli(args, input=b"data")
        err = r.stderr.decode()
        assert r.returncode == 1, err
        assert err.startswith("mrkenv: error: ") and err.count("\n") == 1 and needle in err, err
    assert os.listdir(tmp_path) == []
    r = _cli(["--help"])
    assert r.returncode == 0 and b"encrypt" in r.stdout and b"decrypt" in r.stdout and b"inspect" in r.stdout
    r = _cli([])
    assert r.returncode == 2 and b"usage:" in r.stderr


def _wheel() -> Path:
    wheels = sorted((REPO / "dist" / "python").glob("mrkenv-*.whl"))
    assert wheels, "no wheel in dist/python: run `make -C bindings-python dist` first"
    return wheels[-1]


FRESH_CHECK = r"""
import sys, mrkenv
assert "boto3" not in sys.modules
import importlib.util
assert importlib.util.find_spec("boto3") is None, "boto3 must not be installed here"
keyring = mrkenv.RawAesKeyring("ns", "name", bytes(32))
assert mrkenv.decrypt(mrkenv.encrypt(b"ok", keyring), keyring) == b"ok"
import mrkenv.cli
assert "boto3" not in sys.modules
print("fresh ok")
"""


def test_wheel_in_a_fresh_venv_without_boto3(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    r = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--disable-pip-version-check", "--no-index", "--no-deps", str(_wheel())],
        capture_output=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr.decode()
    env = clean_env()
    env.pop("PYTHONPATH", None)
    r = subprocess.run([str(python), "-c", FRESH_CHECK], capture_output=True, env=env, cwd=tmp_path, timeout=60)
    assert r.returncode == 0 and r.stdout == b"fresh ok\n", r.stderr.decode()
    # The console script and `python -m mrkenv`: help works, KMS commands say
    # how to get boto3, in one line, exit status 1.
    for cmd in ([str(venv / "bin" / "mrkenv")], [str(python), "-m", "mrkenv"]):
        r = subprocess.run([*cmd, "--help"], capture_output=True, env=env, cwd=tmp_path, timeout=60)
        assert r.returncode == 0 and b"usage: mrkenv" in r.stdout, r.stderr.decode()
        r = subprocess.run([*cmd, "encrypt", "--key-id", MRK_EAST], capture_output=True, env=env,
                           cwd=tmp_path, input=b"x", timeout=60)
        err = r.stderr.decode()
        assert r.returncode == 1 and err == "mrkenv: error: the mrkenv command needs boto3 to call AWS KMS: " \
            "pip install 'mrkenv[cli]'\n", err
