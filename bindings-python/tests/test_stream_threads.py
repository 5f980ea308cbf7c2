"""Streaming with bounded memory, odd-sized reads and writes, and the GIL
released during bulk crypto (threads make progress and scale)."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time

import pytest

import mrkenv

KEYRING = mrkenv.RawAesKeyring("my-app", "key-1", bytes(range(32)))

# Runs in a fresh interpreter so that ru_maxrss (a peak) measures this work only.
MEMORY_SCRIPT = r"""
import hashlib, resource, sys, mrkenv

TOTAL = int(sys.argv[1])
keyring = mrkenv.RawAesKeyring("my-app", "key-1", bytes(range(32)))

class Generated:
    # A file object that produces TOTAL bytes without holding them.
    def __init__(self):
        self.left = TOTAL
        self.block = bytes(range(256)) * 4096          # 1 MiB
        self.digest = hashlib.sha256()
    def read(self, n=-1):
        n = self.left if n is None or n < 0 else min(n, self.left)
        if n <= 0:
            return b""
        out = self.block[:n] if n <= len(self.block) else self.block * (n // len(self.block)) + self.block[: n % len(self.block)]
        self.left -= n
        self.digest.update(out)
        return out

class Spool:
    # Keeps the ciphertext on disk and reads it back.
    def __init__(self, f):
        self.f = f
        self.size = 0
    def write(self, b):
        self.size += len(b)
        return self.f.write(b)

class Hasher:
    def __init__(self):
        self.digest = hashlib.sha256()
        self.size = 0
    def write(self, b):
        self.size += len(b)
        self.digest.update(b)
        return len(b)

import tempfile
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
start = rss()
src = Generated()
with tempfile.TemporaryFile() as f:
    spool = Spool(f)
    mrkenv.encrypt_stream(src, spool, keyring, encryption_context={"k": "v"})
    f.seek(0)
    sink = Hasher()
    mrkenv.decrypt_stream(f, sink, keyring, encryption_context={"k": "v"})
assert sink.size == TOTAL and sink.digest.digest() == src.digest.digest()
assert spool.size > TOTAL
print(rss() - start)
"""


def test_streaming_memory_is_bounded(tmp_path):
    # The figure: 1 GiB must stream in well under 64 MiB of RSS growth
    # (measured: about 2 MiB, 7 s for both directions on a 2-core machine).
    total = 1024 * 1024 * 1024
    started = time.monotonic()
    r = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(total)], capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr.decode()
    growth = int(r.stdout.decode().strip())
    elapsed = time.monotonic() - started
    print(f"streamed 1 GiB each way in {elapsed:.1f}s, peak RSS growth {growth / 1048576:.1f} MiB")
    assert growth < 16 * 1024 * 1024, f"peak RSS grew by {growth / 1048576:.1f} MiB"


class Trickle:
    """A raw-ish file object: short reads and short writes."""

    def __init__(self, data: bytes = b"", read_max: int = 777, write_max: int = 1000) -> None:
        self.data, self.at, self.read_max, self.write_max = data, 0, read_max, write_max
        self.out = bytearray()

    def read(self, n: int = -1) -> bytes:
        n = min(n, self.read_max)
        chunk = self.data[self.at : self.at + n]
        self.at += len(chunk)
        return chunk

    def write(self, b: bytes) -> int:
        n = min(len(b), self.write_max)
        self.out += b[:n]
        return n


def test_short_reads_and_writes():
    data = bytes(i % 253 for i in range(100_000))
    enc = Trickle(data)
    mrkenv.encrypt_stream(enc, enc, KEYRING, frame_length=1024)
    assert mrkenv.decrypt(bytes(enc.out), KEYRING) == data
    dec = Trickle(bytes(enc.out), read_max=333, write_max=500)
    mrkenv.decrypt_stream(dec, dec, KEYRING)
    assert bytes(dec.out) == data
    # Same bytes as a one-shot message with the same frame length would have.
    assert len(enc.out) == len(mrkenv.encrypt(data, KEYRING, frame_length=1024))


def test_stream_errors():
    message = mrkenv.encrypt(bytes(10_000), KEYRING, frame_length=1024)
    with pytest.raises(mrkenv.MalformedMessageError, match="truncated"):
        mrkenv.decrypt_stream(io.BytesIO(message[:-10]), io.BytesIO(), KEYRING)
    with pytest.raises(mrkenv.MalformedMessageError, match="truncated|header"):
        mrkenv.decrypt_stream(io.BytesIO(message[:30]), io.BytesIO(), KEYRING)
    with pytest.raises(mrkenv.MalformedMessageError, match="trailing"):
        mrkenv.decrypt_stream(io.BytesIO(message + b"x"), io.BytesIO(), KEYRING)
    with pytest.raises(TypeError, match="binary"):
        mrkenv.encrypt_stream(io.StringIO("text"), io.BytesIO(), KEYRING)
    with pytest.raises(TypeError, match=r"src must be an open binary file \(with a read\(\) method\), got object"):
        mrkenv.encrypt_stream(object(), io.BytesIO(), KEYRING)

    class Boom(io.BytesIO):
        def read(self, n: int = -1) -> bytes:
            raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        mrkenv.encrypt_stream(Boom(), io.BytesIO(), KEYRING)


def test_gil_is_released_during_bulk_crypto():
    data = bytes(48 * 1024 * 1024)
    counter = [0]
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            counter[0] += 1

    thread = threading.Thread(target=spin)
    thread.start()
    try:
        time.sleep(0.05)
        before = counter[0]
        message = mrkenv.encrypt(data, KEYRING)
        during_encrypt = counter[0] - before
        before = counter[0]
        plaintext = mrkenv.decrypt(message, KEYRING)
        during_decrypt = counter[0] - before
    finally:
        stop.set()
        thread.join()
    assert plaintext == data
    # With the GIL held for the whole call the other thread could not run at all.
    assert during_encrypt > 1000 and during_decrypt > 1000, (during_encrypt, during_decrypt)


def test_threads_encrypt_concurrently():
    data = [bytes([i]) * (2 * 1024 * 1024 + i) for i in range(8)]
    results = [b""] * len(data)
    errors = []

    def work(i: int) -> None:
        try:
            for _ in range(3):
                message = mrkenv.encrypt(data[i], KEYRING, encryption_context={"i": str(i)})
                results[i] = mrkenv.decrypt(message, KEYRING, encryption_context={"i": str(i)})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(data))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == data
