"""Hardening of the binding: key copies wiped before they are freed, test
hooks out of the release wheel, a panic as an exception, one keyring shared
by 8 threads."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from typing import Any, Dict, List

import pytest

import mrkenv
from conftest import BINDING, REPO, clean_env

ZEROIZE = BINDING / "tests" / "zeroize"
HOOKS = [
    b"_testing_encrypt_with",
    b"_testing_encrypt_record_with",
    b"_testing_panic",
    b"_testing_record_options_reused",
]


# ------------------------------------------------------------ key copies


@pytest.mark.parametrize("mode", ["all", "kms-malloc"])
def test_no_freed_block_holds_a_key(tmp_path, mode):
    # "all": free() is interposed (LD_PRELOAD) by a small C library built here; the
    # workload runs KMS (a fake client) and raw AES encrypt/decrypt/stream/
    # rekey with known keys, wrapping keys given as bytes, bytearray and
    # memoryview, and records whose encrypted attributes hold a known
    # plaintext. No block the process frees may still hold either key, nor
    # (in this mode) that record plaintext; the
    # control (a block freed with a third pattern) proves the scan sees frees.
    # "kms-malloc": with PYTHONMALLOC=malloc, so that Python objects are
    # scanned too (the `bytes` holding the data key that the binding hands to
    # the client's encrypt() among them), a KMS workload whose client wipes
    # its own bytearrays: every remaining copy is the binding's.
    gcc = shutil.which("gcc") or shutil.which("cc")
    assert gcc, "a C compiler (gcc) is needed to build the free() interposer"
    lib = tmp_path / "libfreescan.so"
    subprocess.run([gcc, "-O1", "-shared", "-fPIC", "-Wall", "-Werror", "-o", str(lib),
                    str(ZEROIZE / "freescan.c")], check=True)
    sys.path.insert(0, str(ZEROIZE))
    try:
        import workload
    finally:
        sys.path.remove(str(ZEROIZE))
    env = clean_env(LD_PRELOAD=str(lib), FREESCAN_KEYS=workload.patterns_hex())
    if mode == "kms-malloc":
        env["PYTHONMALLOC"] = "malloc"
    r = subprocess.run([sys.executable, str(ZEROIZE / "workload.py"), mode], capture_output=True, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stderr.decode()
    counts = json.loads(r.stdout.decode().strip().splitlines()[-1])
    assert counts["control"] == 1, counts
    assert counts["frees"] > 1000, counts
    assert counts["data_key"] == 0, f"a freed block held the data key: {counts}"
    assert counts["wrapping_key"] == 0, f"a freed block held the wrapping key: {counts}"
    if mode == "all":
        assert counts["record_plaintext"] == 0, f"a freed block held a record's plaintext: {counts}"


class KeptPlaintext:
    """A fake KMS client that records what its encrypt() was given."""

    def __init__(self) -> None:
        self.seen: List[Any] = []

    def generate_data_key(self, **kw: Any) -> Dict[str, Any]:
        return {"KeyId": kw["KeyId"], "Plaintext": bytes(range(32)), "CiphertextBlob": b"b1"}

    def encrypt(self, **kw: Any) -> Dict[str, Any]:
        self.seen.append(kw["Plaintext"])
        return {"KeyId": kw["KeyId"], "CiphertextBlob": b"b2"}

    decrypt = generate_data_key


def test_a_data_key_the_client_keeps_is_not_changed_under_it():
    # The binding wipes its `bytes` copy of the data key after encrypt() only
    # when the client kept no reference; a kept one keeps its value.
    client = KeptPlaintext()
    keyring = mrkenv.KmsMrkKeyring(client, [
        "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "arn:aws:kms:us-east-1:111122223333:key/0000aaaa-bb11-cc22-dd33-eeeeffff0000",
    ])
    mrkenv.encrypt(b"x", keyring)
    assert client.seen == [bytes(range(32))]


# ------------------------------------------------------------ release wheel


def release_wheel() -> Path:
    folder = Path(os.environ.get("MRKENV_RELEASE_WHEEL_DIR", REPO / "dist" / "python"))
    wheels = sorted(folder.glob("mrkenv-*.whl"))
    assert len(wheels) == 1, f"expected one release wheel in {folder} (make -C bindings-python dist): {wheels}"
    return wheels[0]


def extension_bytes(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if n.startswith("mrkenv/_native") and n.endswith(".so")]
        assert len(names) == 1, z.namelist()
        return z.read(names[0])


def test_release_wheel_has_no_test_hooks(tmp_path):
    so = extension_bytes(release_wheel())
    for hook in HOOKS:
        assert hook not in so, hook
    # The control: the test build (installed here) has them, so the grep works.
    installed = Path(mrkenv._native.__file__).read_bytes()
    for hook in HOOKS:
        assert hook in installed, hook
    # And at run time: the release extension lacks the attributes, and
    # mrkenv._testing refuses to import, saying why.
    with zipfile.ZipFile(release_wheel()) as z:
        z.extractall(tmp_path)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import mrkenv, mrkenv._native as n\n"
        "assert mrkenv.__file__.startswith(sys.argv[1]), mrkenv.__file__\n"
        "assert not [h for h in ('_testing_encrypt_with', '_testing_encrypt_record_with', '_testing_panic', '_testing_record_options_reused') if hasattr(n, h)]\n"
        "try:\n"
        "    import mrkenv._testing\n"
        "except ImportError as e:\n"
        "    print(e)\n"
        "else:\n"
        "    raise SystemExit('mrkenv._testing imported from a release wheel')\n"
    )
    r = subprocess.run([sys.executable, "-S", "-c", probe, str(tmp_path)], capture_output=True,
                       env=clean_env(), timeout=60)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert "needs a test build" in r.stdout.decode()


def test_release_wheel_is_abi3_for_cpython_3_10_and_later():
    # abi3-py310: pyo3 reads a str's UTF-8 in place (no temporary bytes per
    # string) and takes keyword calls by vectorcall; the wheel says so.
    wheel = release_wheel()
    assert "-cp310-abi3-" in wheel.name, wheel.name
    with zipfile.ZipFile(wheel) as z:
        [name] = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = z.read(name).decode()
    assert "Requires-Python: >=3.10\n" in metadata, metadata


# ------------------------------------------------------------ panics


def test_a_panic_is_an_internal_error():
    from mrkenv import _testing

    with pytest.raises(mrkenv.InternalError, match="internal error.*injected by _testing_panic") as info:
        _testing.panic()
    assert isinstance(info.value, mrkenv.MrkenvError)
    assert isinstance(info.value, Exception)
    # The binding keeps working after it.
    keyring = mrkenv.RawAesKeyring("ns", "k", bytes(32))
    assert mrkenv.decrypt(mrkenv.encrypt(b"after", keyring), keyring) == b"after"


# ------------------------------------------------------------ threads


class ThreadSafeFakeKms:
    """Wraps with a per-call tag so each message's key round-trips."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.keys: Dict[bytes, bytes] = {}
        self.calls = 0

    def generate_data_key(self, **kw: Any) -> Dict[str, Any]:
        key = os.urandom(32)
        with self.lock:
            self.calls += 1
            blob = b"blob-%d" % self.calls
            self.keys[blob] = key
        return {"KeyId": kw["KeyId"], "Plaintext": key, "CiphertextBlob": blob}

    def encrypt(self, **kw: Any) -> Dict[str, Any]:  # pragma: no cover - one key only
        raise AssertionError("one key: no Encrypt")

    def decrypt(self, **kw: Any) -> Dict[str, Any]:
        with self.lock:
            key = self.keys[kw["CiphertextBlob"]]
        return {"KeyId": kw["KeyId"], "Plaintext": key}


def test_one_keyring_shared_by_8_threads():
    raw = mrkenv.RawAesKeyring("ns", "shared", os.urandom(32))
    kms = mrkenv.KmsMrkKeyring(ThreadSafeFakeKms(), [
        "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"])
    start = threading.Barrier(8)
    failures: List[str] = []
    done: List[int] = []

    def run(n: int) -> None:
        try:
            start.wait()
            for i in range(40):
                keyring = raw if (n + i) % 2 else kms
                plaintext = os.urandom(1 + (n * 7919 + i * 104729) % 200_000)
                context = {"thread": str(n), "i": str(i)}
                message = mrkenv.encrypt(plaintext, keyring, encryption_context=context, frame_length=4096)
                got = mrkenv.decrypt_with_header(message, keyring, encryption_context=context)
                if got.plaintext != plaintext or got.encryption_context != context:
                    failures.append(f"thread {n} message {i}: wrong result")
                out = io.BytesIO()
                mrkenv.decrypt_stream(io.BytesIO(message), out, keyring)
                if out.getvalue() != plaintext:
                    failures.append(f"thread {n} message {i}: wrong stream result")
            done.append(n)
        except BaseException as e:  # noqa: BLE001 - reported below
            failures.append(f"thread {n}: {e!r}")

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not failures, failures
    assert sorted(done) == list(range(8))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_never_repeats_its_parents_message_ids_or_keys():
    # Keys and message ids come from the kernel's generator in every process:
    # a generator state copied by fork() would give parent and child the same
    # data keys, ids and IVs (AES-GCM nonce reuse). Encrypt first so that any
    # per-process or per-thread state exists before the fork.
    keyring = mrkenv.RawAesKeyring("ns", "fork", os.urandom(32))
    item = {"employeeId": {"S": "1234"}, "name": {"S": "Andy"}}
    actions = {"employeeId": "SIGN_ONLY", "name": "ENCRYPT_AND_SIGN"}

    def draw() -> bytes:
        message = mrkenv.encrypt(b"same plaintext", keyring)
        record = mrkenv.encrypt_record(item, keyring, actions, table_name="t", partition_key="employeeId")
        return bytes.fromhex(mrkenv.inspect(message)["message_id"]) + record["name"]["B"]

    for _ in range(5):
        draw()
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: draw, report, leave without cleanup
            try:
                os.close(read_end)
                os.write(write_end, draw())
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            child = pipe.read()
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        parent = draw()
        assert child and len(child) == len(parent)
        assert child[:32] != parent[:32], "same message id in parent and child"
        assert child[32:] != parent[32:], "same record ciphertext in parent and child"
