"""Records: mrkenv's Python wheel next to the DynamoDB Encryption Client for
Python (`dynamodb-encryption-sdk`), in the same process and run.

Workload: the seed's item plus two attributes, in boto3's low-level format:
`employeeId` (partition key, signed only), `name` and `email` (encrypted and
signed), `startYear` (signed only). mrkenv uses a raw AES keyring; the
DynamoDB Encryption Client its `WrappedCryptographicMaterialsProvider` with a
local AES-256 wrapping key and an HMAC-SHA256 signing key. Both generate a
new data key per item. Items/s for encrypt and for decrypt, median of
`--reps` interleaved repetitions of about `--seconds` each.

Prints a table and, with `--write FILE`, replaces the records section of
that Markdown file (between `<!-- records:begin -->` and
`<!-- records:end -->`, appended when missing).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from importlib import metadata
from pathlib import Path

import mrkenv

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from dynamodb_encryption_sdk.delegated_keys.jce import JceNameLocalDelegatedKey
from dynamodb_encryption_sdk.encrypted.item import (
    decrypt_dynamodb_item,
    encrypt_dynamodb_item,
)
from dynamodb_encryption_sdk.identifiers import CryptoAction, EncryptionKeyType, KeyEncodingType
from dynamodb_encryption_sdk.encrypted import CryptoConfig
from dynamodb_encryption_sdk.material_providers.wrapped import (
    WrappedCryptographicMaterialsProvider,
)
from dynamodb_encryption_sdk.structures import AttributeActions, EncryptionContext

TABLE = "global-table-example"
ITEM = {
    "employeeId": {"S": "1234"},
    "name": {"S": "Andy"},
    "email": {"S": "andy@example.com"},
    "startYear": {"N": "2019"},
}
ACTIONS = {
    "employeeId": "SIGN_ONLY",
    "name": "ENCRYPT_AND_SIGN",
    "email": "ENCRYPT_AND_SIGN",
    "startYear": "SIGN_ONLY",
}
GOAL = 20.0


def mrkenv_side():
    keyring = mrkenv.RawAesKeyring("bench", "key-1", os.urandom(32))

    def encrypt(item):
        return mrkenv.encrypt_record(
            item, keyring, ACTIONS, table_name=TABLE, partition_key="employeeId"
        )

    def decrypt(item):
        return mrkenv.decrypt_record(
            dict(item), keyring, table_name=TABLE, partition_key="employeeId"
        )

    return encrypt, decrypt


def ddb_side():
    wrapping = JceNameLocalDelegatedKey(
        os.urandom(32), "AES", EncryptionKeyType.SYMMETRIC, KeyEncodingType.RAW
    )
    signing = JceNameLocalDelegatedKey(
        os.urandom(32), "HmacSHA256", EncryptionKeyType.SYMMETRIC, KeyEncodingType.RAW
    )
    provider = WrappedCryptographicMaterialsProvider(
        signing_key=signing, wrapping_key=wrapping, unwrapping_key=wrapping
    )
    actions = AttributeActions(
        default_action=CryptoAction.ENCRYPT_AND_SIGN,
        attribute_actions={
            "employeeId": CryptoAction.SIGN_ONLY,
            "startYear": CryptoAction.SIGN_ONLY,
        },
    )
    context = EncryptionContext(
        table_name=TABLE, partition_key_name="employeeId", attributes=ITEM
    )
    config = CryptoConfig(
        materials_provider=provider, encryption_context=context, attribute_actions=actions
    )

    def encrypt(item):
        return encrypt_dynamodb_item(item, config)

    def decrypt(item):
        # It pops its reserved attributes from the item it is given.
        return decrypt_dynamodb_item(dict(item), config)

    return encrypt, decrypt


def rate(fn, arg, seconds):
    """Calls per second of fn(arg), over about `seconds`."""
    n, start = 0, time.perf_counter()
    deadline = start + seconds
    batch = 16
    while True:
        for _ in range(batch):
            fn(arg)
        n += batch
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


def measure(seconds, reps):
    sides = {"mrkenv": mrkenv_side(), "dynamodb-encryption-sdk": ddb_side()}
    # Check both sides round-trip before timing anything.
    for name, (enc, dec) in sides.items():
        if dec(enc(ITEM)) != ITEM:
            sys.exit(f"{name}: decrypt(encrypt(item)) != item")
    encrypted = {name: enc(ITEM) for name, (enc, _) in sides.items()}
    results = {name: {"encrypt": [], "decrypt": []} for name in sides}
    for _ in range(reps):  # interleaved: each repetition runs every side
        for name, (enc, dec) in sides.items():
            results[name]["encrypt"].append(rate(enc, ITEM, seconds))
            results[name]["decrypt"].append(rate(dec, encrypted[name], seconds))
    return {
        name: {op: statistics.median(v) for op, v in ops.items()}
        for name, ops in results.items()
    }


def report(medians, reps, seconds):
    ours, theirs = medians["mrkenv"], medians["dynamodb-encryption-sdk"]
    lines = [
        "## Records: mrkenv (Python) vs the DynamoDB Encryption Client for Python",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"mrkenv {metadata.version('mrkenv')}, dynamodb-encryption-sdk "
        f"{metadata.version('dynamodb-encryption-sdk')}, cryptography {metadata.version('cryptography')}.",
        "",
        "Method: the seed's item plus two attributes (employeeId signed only as the partition key, "
        "name and email encrypted and signed, startYear signed only), boto3's low-level format; "
        "mrkenv with a raw AES keyring, the DynamoDB Encryption Client with "
        "`WrappedCryptographicMaterialsProvider` (local AES-256 wrapping key, HMAC-SHA256 signing key); "
        f"a new data key per item on both sides; median of {reps} interleaved repetitions of "
        f"about {seconds} s each, `make bench` (`bench/records.py`).",
        "",
        "| operation | mrkenv items/s | dynamodb-encryption-sdk items/s | ratio | goal |",
        "|---|---:|---:|---:|---|",
    ]
    met, rows = True, []
    for op in ("encrypt", "decrypt"):
        ratio = ours[op] / theirs[op]
        ok = ratio >= GOAL
        met &= ok
        rows.append({
            "area": "Records vs dynamodb-encryption-sdk", "workload": f"{op} the item",
            "value": f"x{ratio:.1f} ({ours[op]:,.0f} vs {theirs[op]:,.0f} items/s)",
            "goal": f">= x{GOAL:.0f}", "met": ok,
        })
        lines.append(
            f"| {op} | {ours[op]:,.0f} | {theirs[op]:,.0f} | x{ratio:.1f} | "
            f"x{GOAL:.0f}: {'met' if ok else 'NOT met'} |"
        )
    lines.append("")
    return "\n".join(lines), rows, met


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    medians = measure(args.seconds, args.reps)
    text, rows, met = report(medians, args.reps, args.seconds)
    print(text)
    common.save_results("records", rows)
    if args.write:
        common.write_section(args.write, "records", text)
        print(f"wrote {args.write}")
    if not met:
        print(f"records: the x{GOAL:.0f} goal is not met", file=sys.stderr)


if __name__ == "__main__":
    main()
