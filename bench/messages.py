"""Messages: mrkenv's Python wheel next to the AWS Encryption SDK for Python
(`aws-encryption-sdk`), in the same run.

Both sides: a raw AES-256 wrapping key (mrkenv `RawAesKeyring`, the peer's
`RawMasterKey` with AES-256-GCM wrapping), a new data key per message, frame
length 65536; the peer on its committing suite without signatures
(`AES_256_GCM_HKDF_SHA512_COMMIT_KEY`, `REQUIRE_ENCRYPT_REQUIRE_DECRYPT`).

- 1 KiB messages/s and 64 MiB MB/s, encrypt and decrypt, and the round trip
  (encrypt + decrypt of one message: 1 / (1/e + 1/d)); median of `--reps`
  interleaved repetitions; the goals are on the round trip.
- Peak RSS of a 64 MiB one-shot encrypt and decrypt, each side and each
  operation in its own child process: `ru_maxrss` at the end minus
  `ru_maxrss` after the imports and before the input exists, next to the
  goal input + output + 16 MiB.

Prints a table, leaves `target/bench/messages.json` for the summary, and
with `--write FILE` replaces the `messages` section of that Markdown file.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

KIB, MIB = 1024, 1024 * 1024
FRAME = 65536
GOAL_SMALL, GOAL_LARGE = 20.0, 5.0
RSS_SLACK = 16 * MIB
SIDES = ("mrkenv", "aws-encryption-sdk")
# One fixed wrapping key, so a child process can open what the parent sealed.
WRAPPING_KEY = bytes(range(32))


def mrkenv_side():
    import mrkenv

    keyring = mrkenv.RawAesKeyring("bench", "key-1", WRAPPING_KEY)

    def encrypt(data):
        return mrkenv.encrypt(data, keyring, frame_length=FRAME)

    def decrypt(message):
        return mrkenv.decrypt(message, keyring)

    return encrypt, decrypt


def peer_side():
    import aws_encryption_sdk
    from aws_encryption_sdk import CommitmentPolicy
    from aws_encryption_sdk.identifiers import (
        AlgorithmSuite,
        EncryptionKeyType,
        WrappingAlgorithm,
    )
    from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
    from aws_encryption_sdk.key_providers.raw import RawMasterKey

    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    )
    key = RawMasterKey(
        provider_id="bench",
        key_id=b"key-1",
        wrapping_key=WrappingKey(
            wrapping_algorithm=WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
            wrapping_key=WRAPPING_KEY,
            wrapping_key_type=EncryptionKeyType.SYMMETRIC,
        ),
    )
    suite = AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY

    def encrypt(data):
        message, _ = client.encrypt(
            source=data, key_provider=key, algorithm=suite, frame_length=FRAME
        )
        return message

    def decrypt(message):
        plaintext, _ = client.decrypt(source=message, key_provider=key)
        return plaintext

    return encrypt, decrypt


def side(name):
    return mrkenv_side() if name == "mrkenv" else peer_side()


def measure(seconds, reps):
    sides = {name: side(name) for name in SIDES}
    small, large = os.urandom(KIB), os.urandom(64 * MIB)
    messages = {}
    for name, (enc, dec) in sides.items():
        for data in (small, large):
            if dec(enc(data)) != data:
                sys.exit(f"{name}: decrypt(encrypt(data)) != data")
        messages[name] = (enc(small), enc(large))
    runs = {name: {k: [] for k in ("small-e", "small-d", "large-e", "large-d")} for name in SIDES}
    for _ in range(reps):  # interleaved: each repetition runs every side
        for name, (enc, dec) in sides.items():
            small_msg, large_msg = messages[name]
            r = runs[name]
            r["small-e"].append(common.rate(lambda: enc(small), seconds))
            r["small-d"].append(common.rate(lambda: dec(small_msg), seconds))
            r["large-e"].append(64 / common.timed(lambda: enc(large), seconds) * MIB / 1e6)
            r["large-d"].append(64 / common.timed(lambda: dec(large_msg), seconds) * MIB / 1e6)
    out = {}
    for name, r in runs.items():
        med = {k: statistics.median(v) for k, v in r.items()}
        # The round trip of each repetition, then the median of those.
        med["small-rt"] = statistics.median(
            common.round_trip(e, d) for e, d in zip(r["small-e"], r["small-d"])
        )
        med["large-rt"] = statistics.median(
            common.round_trip(e, d) for e, d in zip(r["large-e"], r["large-d"])
        )
        med["runs"] = r
        out[name] = med
    return out


def rss_child(name, op, path):
    """In a child process: peak RSS growth of one 64 MiB one-shot call."""
    enc, dec = side(name)
    enc(b"warm-up")  # load what the first call loads, outside the input's peak
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if op == "encrypt":
        data = os.urandom(64 * MIB)
        result = enc(data)
    else:
        data = Path(path).read_bytes()
        result = dec(data)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if op == "encrypt":
        Path(path).write_bytes(result)  # for the decrypt child, after the peak is read
    print(peak - base, len(data), len(result))


def measure_rss():
    """Run first, while this process is small: `ru_maxrss` carries over
    into a child (through fork and exec), so the parent's peak must stay
    below a child's own starting point. The encrypt child leaves its
    message for the decrypt child."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in SIDES:
            path = Path(tmp) / f"{name}.msg"
            for op in ("encrypt", "decrypt"):
                text = subprocess.run(
                    [sys.executable, __file__, "--rss-child", name, op, str(path)],
                    check=True, capture_output=True, text=True,
                ).stdout
                growth, inp, outp = (int(x) for x in text.split())
                out[(name, op)] = (growth, inp, outp)
    return out


def mb(n):
    return f"{n / MIB:.1f} MiB"


def report(m, rss, reps, seconds):
    ours, theirs = m["mrkenv"], m["aws-encryption-sdk"]
    versions = (
        f"mrkenv {metadata.version('mrkenv')}, aws-encryption-sdk "
        f"{metadata.version('aws-encryption-sdk')}, cryptography {metadata.version('cryptography')}"
    )
    lines = [
        "## Python: mrkenv vs the AWS Encryption SDK for Python",
        "",
        f"Machine: {common.machine()}; {versions}.",
        "",
        "Method: raw AES-256 wrapping key on both sides (mrkenv `RawAesKeyring`, the peer's "
        "`RawMasterKey`), a new data key per message, frame length 65536; the peer on "
        "`AES_256_GCM_HKDF_SHA512_COMMIT_KEY` with `REQUIRE_ENCRYPT_REQUIRE_DECRYPT` (committing, "
        f"no signatures); median of {reps} interleaved repetitions of about {seconds} s per "
        "operation; round trip = encrypt + decrypt of one message, 1 / (1/e + 1/d). "
        "`make bench-python` (`bench/messages.py`).",
        "",
        "| workload | mrkenv | aws-encryption-sdk | ratio | goal |",
        "|---|---:|---:|---:|---|",
    ]
    rows, met = [], True
    for key, label, unit, goal in (
        ("small-e", "1 KiB encrypt", "msgs/s", None),
        ("small-d", "1 KiB decrypt", "msgs/s", None),
        ("small-rt", "1 KiB encrypt + decrypt", "msgs/s", GOAL_SMALL),
        ("large-e", "64 MiB encrypt", "MB/s", None),
        ("large-d", "64 MiB decrypt", "MB/s", None),
        ("large-rt", "64 MiB encrypt + decrypt", "MB/s", GOAL_LARGE),
    ):
        ratio = ours[key] / theirs[key]
        goal_text = ""
        if goal is not None:
            ok = ratio >= goal
            met &= ok
            goal_text = f"x{goal:.0f}: {common.verdict(ok)}"
            rows.append({
                "area": "Python vs aws-encryption-sdk", "workload": label,
                "value": f"x{ratio:.1f} ({ours[key]:,.0f} vs {theirs[key]:,.0f} {unit})",
                "goal": f">= x{goal:.0f}", "met": ok,
            })
        lines.append(
            f"| {label} ({unit}) | {ours[key]:,.0f} | {theirs[key]:,.0f} | x{ratio:.2f} | {goal_text} |"
        )
    spread = [
        f"x{o / t:.1f}" for o, t in zip(
            [common.round_trip(e, d) for e, d in zip(ours['runs']['small-e'], ours['runs']['small-d'])],
            [common.round_trip(e, d) for e, d in zip(theirs['runs']['small-e'], theirs['runs']['small-d'])],
        )
    ]
    lines += ["", f"1 KiB round-trip ratio of each repetition: {', '.join(spread)}.", ""]
    lines += [
        "Peak RSS of one 64 MiB one-shot call, each in its own child process "
        "(`ru_maxrss` at the end minus `ru_maxrss` after the imports, before the input exists):",
        "",
        "| side | operation | peak RSS growth | input + output + 16 MiB | goal |",
        "|---|---|---:|---:|---|",
    ]
    for (name, op), (growth, inp, outp) in rss.items():
        limit = inp + outp + RSS_SLACK
        ok = growth <= limit
        goal_text = ""
        if name == "mrkenv":
            met &= ok
            goal_text = common.verdict(ok)
            rows.append({
                "area": "Python peak RSS", "workload": f"64 MiB one-shot {op}",
                "value": mb(growth), "goal": f"<= {mb(limit)}", "met": ok,
            })
        lines.append(f"| {name} | {op} | {mb(growth)} | {mb(limit)} | {goal_text} |")
    lines.append("")
    return "\n".join(lines), rows, met


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--write", type=Path)
    parser.add_argument("--rss-child", nargs=3, metavar=("SIDE", "OP", "PATH"))
    args = parser.parse_args()
    if args.rss_child:
        rss_child(*args.rss_child)
        return
    rss = measure_rss()
    m = measure(args.seconds, args.reps)
    text, rows, met = report(m, rss, args.reps, args.seconds)
    print(text)
    common.save_results("messages", rows)
    if args.write:
        common.write_section(args.write, "messages", text)
        print(f"wrote {args.write}")
    if not met:
        print("messages: a goal is not met", file=sys.stderr)


if __name__ == "__main__":
    main()
