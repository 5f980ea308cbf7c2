"""Streaming 1 GiB through mrkenv's Python `encrypt_stream` and
`decrypt_stream`: MB/s of each, and the peak RSS growth of the process
(goal: under 64 MiB, whatever the message size).

The plaintext comes from a reader that hands out one random 1 MiB block
again and again (no 1 GiB buffer anywhere); the message goes to a file
under target/bench (removed at the end), and decrypt reads it back and
writes the plaintext to a writer that only counts. The whole run is one
child process, so `ru_maxrss` is its own: growth = `ru_maxrss` at the end
minus `ru_maxrss` after the imports and the 1 MiB block.

Prints a table, leaves `target/bench/stream.json`, and with `--write FILE`
replaces the `stream` section of that Markdown file.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

MIB = 1024 * 1024
GOAL_GROWTH = 64 * MIB


class Source:
    """`read(n)` over `total` bytes made of one repeated block."""

    def __init__(self, total: int) -> None:
        self.block = os.urandom(MIB)
        self.left = total

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        n = min(n, len(self.block))
        self.left -= n
        return self.block if n == len(self.block) else self.block[:n]


class Counter:
    """A writer that keeps nothing."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, b) -> int:
        self.written += len(b)
        return len(b)


def child(gib: float, path: Path) -> None:
    import mrkenv

    total = int(gib * 1024 * MIB)
    keyring = mrkenv.RawAesKeyring("bench", "key-1", os.urandom(32))
    source = Source(total)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    with open(path, "wb") as dst:
        mrkenv.encrypt_stream(source, dst, keyring)
    encrypt_s = time.perf_counter() - start
    sink = Counter()
    start = time.perf_counter()
    with open(path, "rb") as src:
        mrkenv.decrypt_stream(src, sink, keyring)
    decrypt_s = time.perf_counter() - start
    if sink.written != total:
        sys.exit(f"decrypt_stream wrote {sink.written} bytes, expected {total}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(total, path.stat().st_size, encrypt_s, decrypt_s, peak - base)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--write", type=Path)
    parser.add_argument("--child", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.gib, args.child)
        return
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    path = common.RESULTS / "stream.msg"
    try:
        text = subprocess.run(
            [sys.executable, __file__, "--gib", str(args.gib), "--child", str(path)],
            check=True, capture_output=True, text=True,
        ).stdout
    finally:
        path.unlink(missing_ok=True)
    total, size, enc_s, dec_s, growth = text.split()
    total, size, growth = int(total), int(size), int(growth)
    enc_mbs, dec_mbs = total / float(enc_s) / 1e6, total / float(dec_s) / 1e6
    ok = growth < GOAL_GROWTH
    label = f"{total / (1024 * MIB):g} GiB"
    lines = [
        f"## Python: streaming {label}",
        "",
        f"Machine: {common.machine()}.",
        "",
        f"Method: `mrkenv.encrypt_stream` from a reader handing out one random 1 MiB block "
        f"{total // MIB} times into a file ({size:,} bytes of message), then `mrkenv.decrypt_stream` "
        "from that file into a writer that only counts; raw AES keyring, frame length 65536; "
        "one child process, peak RSS growth = `ru_maxrss` at the end minus after the imports. "
        "`make bench-python` (`bench/stream.py`).",
        "",
        "| workload | MB/s | peak RSS growth | goal |",
        "|---|---:|---:|---|",
        f"| encrypt_stream {label} | {enc_mbs:,.0f} | | |",
        f"| decrypt_stream {label} | {dec_mbs:,.0f} | | |",
        f"| both, one process | | {growth / MIB:.1f} MiB | < 64 MiB: {common.verdict(ok)} |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    common.save_results("stream", [
        {"area": "Python streaming", "workload": f"encrypt_stream {label}", "value": f"{enc_mbs:,.0f} MB/s"},
        {"area": "Python streaming", "workload": f"decrypt_stream {label}", "value": f"{dec_mbs:,.0f} MB/s"},
        {"area": "Python streaming", "workload": f"{label} peak RSS growth",
         "value": f"{growth / MIB:.1f} MiB", "goal": "< 64 MiB", "met": ok},
    ])
    if args.write:
        common.write_section(args.write, "stream", text)
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
