"""Shared pieces of the `make bench` scripts: timing, medians, the
machine line, the JSON results each script leaves for `bench/summary.py`,
and replacing one marked section of BENCHMARKS.md.

Every comparison is a ratio from the same run on the same machine (absolute
numbers on a shared 2-core machine are noise); each number is the median of
interleaved repetitions, so a slow moment hits both sides alike.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Callable, Dict, List

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "target" / "bench"


def rate(fn: Callable[[], object], seconds: float, batch: int = 16) -> float:
    """Calls per second of fn(), over about `seconds` (at least one batch)."""
    n, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(batch):
            fn()
        n += batch
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


def timed(fn: Callable[[], object], seconds: float, at_least: int = 2) -> float:
    """Seconds per call of a slow fn(): at least `at_least` calls, and as
    many as fit in about `seconds`; the median call."""
    times: List[float] = []
    deadline = time.perf_counter() + seconds
    while len(times) < at_least or time.perf_counter() < deadline:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def round_trip(encrypt_rate: float, decrypt_rate: float) -> float:
    """Encrypt + decrypt of the same item per second: 1 / (1/e + 1/d)."""
    return 1.0 / (1.0 / encrypt_rate + 1.0 / decrypt_rate)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    return (
        f"{platform.machine()}, {cpu_model()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def save_results(name: str, rows: List[Dict[str, object]]) -> Path:
    """Leaves rows for the summary table: dicts with `area`, `workload`,
    `value` (text), and optionally `goal` (text) and `met` (bool)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(rows, indent=1))
    return path


def write_section(path: Path, name: str, text: str) -> None:
    """Replaces the part of `path` between `<!-- name:begin -->` and
    `<!-- name:end -->` with `text` (appended when the markers are missing)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{text.rstrip()}\n{end}\n"
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        new = head + block + ("\n" + tail if tail else "")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    path.write_text(new)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"
