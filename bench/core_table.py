"""The core's table for BENCHMARKS.md, from criterion's results of
`core/benches/throughput.rs` (and `records.rs`, `rekey.rs`) in
target/criterion: each message API next to raw `aes-gcm` doing the same
kind of work, at 1 KiB (messages/s) and 64 MiB (MB/s), as a share of the
raw baseline (goal: at least 85%).

Criterion's median estimate of each bench is used. Leaves
`target/bench/core.json` for the summary, and with `--write FILE` replaces
the `core` section of that Markdown file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

CRITERION = common.ROOT / "target" / "criterion"
GOAL = 0.85
MIB = 1024 * 1024
# API -> the raw aes-gcm baseline doing the same kind of work.
APIS = [
    ("one-shot", "`encrypt` / `decrypt` (new Vec)", "raw-new"),
    ("slice", "`*_to_slice` (reused buffer)", "raw-reused"),
    ("in-place", "`*_in_place`", "raw-in-place"),
    ("stream", "`Encryptor` / `Decryptor`, 64 KiB pieces (reused Vec)", "raw-reused"),
]
RAW = {
    "raw-new": "`Aead::encrypt` / `decrypt` into a new Vec",
    "raw-reused": "`*_inout_detached` into a reused buffer",
    "raw-in-place": "`*_inout_detached` in place",
}


def median_ns(group: str, bench: str):
    path = CRITERION / group / bench / "new" / "estimates.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["median"]["point_estimate"]


def per_second(group, bench, size):
    ns = median_ns(group, bench)
    if ns is None:
        return None
    return (size / MIB * MIB / 1e6 if size > 1024 else 1) / (ns * 1e-9)


def versions() -> str:
    """rustc and the crates doing the work, from Cargo.lock."""
    import re
    import subprocess

    try:
        rustc = subprocess.run(["rustc", "-V"], capture_output=True, text=True).stdout.strip()
    except OSError:
        rustc = "rustc (unknown)"
    lock = (common.ROOT / "Cargo.lock").read_text()
    found = []
    for crate in ("aes-gcm", "aes", "sha2", "hkdf"):
        m = re.search(rf'name = "{crate}"\nversion = "([^"]+)"', lock)
        if m:
            found.append(f"{crate} {m.group(1)}")
    return ", ".join([rustc] + found)


def fmt(v):
    return "n/a" if v is None else f"{v:,.0f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()

    sizes = [("1KiB", 1024, "msgs/s"), ("64MiB", 64 * MIB, "MB/s")]
    lines = [
        "## Core: each API next to raw aes-gcm",
        "",
        f"Machine: {common.machine()}; {versions()}.",
        "",
        "Method: `cargo bench -p mrkenv --bench throughput` (criterion, median), one thread "
        "unless said; raw AES key, one 64 KiB-framed message per call; each API next to raw "
        "`aes-gcm` (`Aes256Gcm`, one call, one nonce) doing the same kind of work in the same "
        "run; in-place decryption refills its buffer outside the timing on both sides. "
        "The share is mrkenv / raw (goal: at least 85%). The parallel column is the same "
        "64 MiB API built with `--features parallel` (frames on all cores), against the "
        "same one-call raw baseline.",
        "",
        "| API | op | 1 KiB msgs/s | raw | share | 64 MiB MB/s | raw | share | 64 MiB parallel MB/s | share |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = []
    worst = {"1KiB": None, "64MiB": None}
    for api, label, raw in APIS:
        for op in ("encrypt", "decrypt"):
            cells = [label, op]
            for group, size, _unit in sizes:
                ours = per_second(group, f"{api}-{op}", size)
                base = per_second(group, f"{raw}-{op}", size)
                share = None if ours is None or base is None else ours / base
                cells += [fmt(ours), fmt(base), "n/a" if share is None else f"{share:.0%}"]
                if share is not None:
                    w = worst[group]
                    if w is None or share < w[0]:
                        worst[group] = (share, f"{api} {op}")
            par = per_second("64MiB-parallel", f"{api}-{op}", 64 * MIB)
            base = per_second("64MiB-parallel", f"{raw}-{op}", 64 * MIB)
            cells += [fmt(par), "n/a" if par is None or base is None else f"{par / base:.0%}"]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Raw baselines: " + "; ".join(f"`{k}` = {v}" for k, v in RAW.items()) + ".", ""]
    for group, label in (("1KiB", "1 KiB"), ("64MiB", "64 MiB")):
        w = worst[group]
        if w is None:
            continue
        ok = w[0] >= GOAL
        lines.append(
            f"- {label}: lowest share {w[0]:.0%} ({w[1]}): goal 85% {common.verdict(ok)}."
        )
        rows.append({
            "area": "Core vs raw aes-gcm", "workload": f"{label}, every API (1 thread)",
            "value": f"lowest {w[0]:.0%} ({w[1]})", "goal": ">= 85%", "met": ok,
        })
    best_par = [
        (per_second("64MiB-parallel", f"{api}-{op}", 64 * MIB), f"{api} {op}")
        for api, _, _ in APIS for op in ("encrypt", "decrypt")
    ]
    best_par = [b for b in best_par if b[0] is not None]
    if best_par:
        low = min(best_par)
        rows.append({
            "area": "Core, parallel feature", "workload": "64 MiB, every API",
            "value": f"lowest {low[0]:,.0f} MB/s ({low[1]})",
        })

    extra = []
    for group, bench, what in (
        ("records", "encrypt", "records: encrypt one item (raw AES keyring)"),
        ("records", "decrypt", "records: decrypt one item"),
    ):
        ns = median_ns(group, bench)
        if ns is not None:
            extra.append(f"| {what} | {ns / 1000:.2f} µs | {1e9 / ns:,.0f} items/s |")
    if extra:
        lines += ["", "| bench | median | rate |", "|---|---:|---:|"] + extra
    rekey = sorted(CRITERION.glob("rekey-*"))
    if rekey:
        lines += ["", "| re-key bench | median |", "|---|---:|"]
        for group in rekey:
            for bench in sorted(p.name for p in group.iterdir() if (p / "new").exists()):
                ns = median_ns(group.name, bench)
                shown = f"{ns / 1e6:.2f} ms" if ns > 1e5 else f"{ns / 1000:.2f} µs"
                lines.append(f"| {group.name}/{bench} | {shown} |")
    lines.append("")
    text = "\n".join(lines)
    print(text)
    common.save_results("core", rows)
    if args.write:
        common.write_section(args.write, "core", text)
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
