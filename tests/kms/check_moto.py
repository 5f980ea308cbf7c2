#!/usr/bin/env python3
"""Self-check for tests/kms/moto_launcher.py (run: python3 tests/kms/check_moto.py).

Spawns the launcher exactly as other tests do (stdin/stdout pipes, first stdout
line = MOTO_ENDPOINT=...), exercises the multi-Region key flow mrkenv relies on
with boto3, reports (without asserting) a few cross-Region Decrypt cases, checks
both shutdown paths (SIGTERM and stdin EOF) and the in-process start_moto().

Prints "moto check: N passed, M failed"; exit status is non-zero on any failure.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LAUNCHER = HERE / "moto_launcher.py"
ENDPOINT_RE = re.compile(r"^MOTO_ENDPOINT=(http://127\.0\.0\.1:(\d{1,5}))$")
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0

PRIMARY_REGION = "us-east-1"
REPLICA_REGION = "us-west-2"
OTHER_REGION = "eu-west-1"  # no replica there
CONTEXT = {"purpose": "mrkenv-check", "tenant": "t-1"}

# Dummy credentials only; never talk to real AWS from here.
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
for _var in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
    os.environ.pop(_var, None)

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

passed = 0
failed = 0
notes: list[str] = []


def check(name: str, fn: Callable[[], Any]) -> Any:
    """Run one check; count it; never raise."""
    global passed, failed
    try:
        result = fn()
    except Exception as exc:  # noqa: BLE001 - report everything
        failed += 1
        print(f"FAIL {name}: {exc!r}")
        if os.environ.get("CHECK_MOTO_TRACEBACK"):
            traceback.print_exc()
        return None
    passed += 1
    print(f"ok   {name}")
    return result


def expect(cond: bool, message: str) -> None:
    if not cond:
        raise AssertionError(message)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code"))


def expect_client_error(fn: Callable[[], Any], codes: tuple[str, ...]) -> str:
    try:
        fn()
    except ClientError as exc:
        code = error_code(exc)
        expect(code in codes, f"expected one of {codes}, got {code}: {exc}")
        return code
    raise AssertionError(f"expected a ClientError in {codes}, but the call succeeded")


def outcome(fn: Callable[[], dict[str, Any]], want_plaintext: bytes) -> str:
    """Describe what a Decrypt call did (for report-only cases)."""
    try:
        resp = fn()
    except ClientError as exc:
        msg = exc.response.get("Error", {}).get("Message", "")
        return f"error {error_code(exc)}" + (f" ({msg})" if msg else "")
    same = "plaintext OK" if resp["Plaintext"] == want_plaintext else "PLAINTEXT DIFFERS"
    return f"success, {same}, response KeyId={resp['KeyId']}"


class Launcher:
    """The launcher as a child process, spawned the way the tests spawn it."""

    def __init__(self) -> None:
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, str(LAUNCHER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,  # inherit: launcher errors show up in our output
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                lines.put(line)
            lines.put("")  # EOF marker

        self._lines = lines
        threading.Thread(target=pump, daemon=True).start()
        try:
            first = lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            self.kill()
            raise AssertionError(f"no endpoint line within {START_TIMEOUT_S}s") from None
        self.start_seconds = time.monotonic() - t0
        m = ENDPOINT_RE.match(first.rstrip("\n"))
        if not m or not first.endswith("\n"):
            self.kill()
            raise AssertionError(
                f"bad first stdout line {first!r} (launcher exit code {self.proc.poll()})"
            )
        self.endpoint = m.group(1)
        self.port = int(m.group(2))
        expect(0 < self.port < 65536, f"bad port {self.port}")

    def extra_stdout(self) -> str:
        """Everything printed after the first line (call after the process ended)."""
        out = []
        while True:
            try:
                line = self._lines.get(timeout=5)
            except queue.Empty:
                break
            if line == "":
                break
            out.append(line)
        return "".join(out)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def client(endpoint: str, region: str) -> Any:
    return boto3.client(
        "kms",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        ),
    )


def replace_region(arn: str, region: str) -> str:
    parts = arn.split(":")
    parts[3] = region
    return ":".join(parts)


def kms_checks(endpoint: str) -> None:
    east = client(endpoint, PRIMARY_REGION)
    west = client(endpoint, REPLICA_REGION)
    other = client(endpoint, OTHER_REGION)
    s: dict[str, Any] = {}

    def create_mrk() -> None:
        md = east.create_key(
            KeySpec="SYMMETRIC_DEFAULT",
            KeyUsage="ENCRYPT_DECRYPT",
            MultiRegion=True,
            Description="mrkenv check MRK",
        )["KeyMetadata"]
        key_id = md["KeyId"]
        expect(key_id.startswith("mrk-"), f"MRK id {key_id!r} lacks mrk- prefix")
        expect(len(key_id) > 36, f"MRK id {key_id!r} is not longer than moto's old 36-byte field")
        expect(md["MultiRegion"] is True, "MultiRegion is not true")
        expect(md["Arn"] == f"arn:aws:kms:{PRIMARY_REGION}:123456789012:key/{key_id}", md["Arn"])
        s["mrk_id"], s["east_arn"] = key_id, md["Arn"]

    check("CreateKey(MultiRegion=True) in us-east-1 -> mrk- id", create_mrk)

    def replicate() -> None:
        resp = east.replicate_key(KeyId=s["mrk_id"], ReplicaRegion=REPLICA_REGION)
        md = resp["ReplicaKeyMetadata"]
        expect(md["KeyId"] == s["mrk_id"], f"replica id {md['KeyId']} != {s['mrk_id']}")
        want = replace_region(s["east_arn"], REPLICA_REGION)
        expect(md["Arn"] == want, f"replica ARN {md['Arn']} != {want}")
        described = west.describe_key(KeyId=s["mrk_id"])["KeyMetadata"]
        expect(described["Arn"] == want, f"DescribeKey in us-west-2 gave {described['Arn']}")
        s["west_arn"] = want

    check("ReplicateKey to us-west-2: same key id, ARN differs only in Region", replicate)

    def gdk() -> None:
        resp = east.generate_data_key(
            KeyId=s["east_arn"], NumberOfBytes=32, EncryptionContext=CONTEXT
        )
        expect(len(resp["Plaintext"]) == 32, f"data key is {len(resp['Plaintext'])} bytes")
        expect(resp["KeyId"] == s["east_arn"], f"GenerateDataKey KeyId {resp['KeyId']}")
        s["dk"], s["blob"] = resp["Plaintext"], resp["CiphertextBlob"]

    check("GenerateDataKey(NumberOfBytes=32, EncryptionContext) in us-east-1", gdk)

    def blob_has_full_id() -> None:
        # Pins the launcher patch: 40-byte key-id field at the start of moto's blob.
        head = s["blob"][:40]
        expect(head == s["mrk_id"].encode(), f"blob header {head!r} is not the full MRK id")

    check("patched moto blob carries the full 40-char MRK id", blob_has_full_id)

    def decrypt_in_replica() -> None:
        resp = west.decrypt(
            CiphertextBlob=s["blob"], KeyId=s["west_arn"], EncryptionContext=CONTEXT
        )
        expect(resp["Plaintext"] == s["dk"], "plaintext differs")
        expect(resp["KeyId"] == s["west_arn"], f"response KeyId {resp['KeyId']} != {s['west_arn']}")

    check("Decrypt in us-west-2 with KeyId=replica ARN -> plaintext, KeyId=us-west-2 ARN",
          decrypt_in_replica)

    def decrypt_in_primary() -> None:
        resp = east.decrypt(
            CiphertextBlob=s["blob"], KeyId=s["east_arn"], EncryptionContext=CONTEXT
        )
        expect(resp["Plaintext"] == s["dk"], "plaintext differs")
        expect(resp["KeyId"] == s["east_arn"], f"response KeyId {resp['KeyId']}")

    check("Decrypt in us-east-1 with KeyId=primary ARN -> KeyId=us-east-1 ARN", decrypt_in_primary)

    def decrypt_no_key_id() -> None:
        resp = west.decrypt(CiphertextBlob=s["blob"], EncryptionContext=CONTEXT)
        expect(resp["Plaintext"] == s["dk"], "plaintext differs")
        expect(resp["KeyId"] == s["west_arn"], f"response KeyId {resp['KeyId']}")

    check("Decrypt in us-west-2 without KeyId -> KeyId=us-west-2 ARN", decrypt_no_key_id)

    def mrk_wrong_context() -> None:
        for ctx in ({"purpose": "mrkenv-check", "tenant": "t-2"}, {}):
            expect_client_error(
                lambda: west.decrypt(CiphertextBlob=s["blob"], KeyId=s["west_arn"], EncryptionContext=ctx),
                ("InvalidCiphertextException",),
            )

    check("Decrypt of MRK blob with wrong / missing EncryptionContext fails", mrk_wrong_context)

    def tampered_blob() -> None:
        bad = bytearray(s["blob"])
        bad[-1] ^= 0x01
        expect_client_error(
            lambda: west.decrypt(CiphertextBlob=bytes(bad), KeyId=s["west_arn"], EncryptionContext=CONTEXT),
            ("InvalidCiphertextException",),
        )

    check("Decrypt of tampered MRK blob fails", tampered_blob)

    def create_plain() -> None:
        md = east.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
        expect(len(md["KeyId"]) == 36 and not md["KeyId"].startswith("mrk-"), md["KeyId"])
        # moto echoes the request's MultiRegion (None when omitted -> key absent).
        expect(not md.get("MultiRegion"), f"MultiRegion is {md.get('MultiRegion')!r}")
        if "MultiRegion" not in md:
            notes.append("CreateKey without MultiRegion: moto returns MultiRegion=null (boto3 omits it)")
        s["plain_id"], s["plain_arn"] = md["KeyId"], md["Arn"]

    check("CreateKey (single-Region) in us-east-1 -> 36-char UUID id", create_plain)

    def plain_roundtrip() -> None:
        pt = b"single-region secret \x00\xff"
        enc = east.encrypt(KeyId=s["plain_id"], Plaintext=pt, EncryptionContext=CONTEXT)
        expect(enc["KeyId"] == s["plain_arn"], f"Encrypt KeyId {enc['KeyId']}")
        s["plain_blob"], s["plain_pt"] = enc["CiphertextBlob"], pt
        for kwargs in ({}, {"KeyId": s["plain_arn"]}, {"KeyId": s["plain_id"]}):
            dec = east.decrypt(CiphertextBlob=enc["CiphertextBlob"], EncryptionContext=CONTEXT, **kwargs)
            expect(dec["Plaintext"] == pt, f"plaintext differs ({kwargs})")
            expect(dec["KeyId"] == s["plain_arn"], f"Decrypt KeyId {dec['KeyId']} ({kwargs})")

    check("Encrypt/Decrypt with single-Region key (NUL-padded 36-char id) round-trips", plain_roundtrip)

    def plain_wrong_context() -> None:
        expect_client_error(
            lambda: east.decrypt(CiphertextBlob=s["plain_blob"], EncryptionContext={"purpose": "other"}),
            ("InvalidCiphertextException",),
        )

    check("Decrypt of single-Region blob with wrong EncryptionContext fails", plain_wrong_context)

    def wrong_key_id() -> None:
        code = expect_client_error(
            lambda: east.decrypt(CiphertextBlob=s["blob"], KeyId=s["plain_arn"], EncryptionContext=CONTEXT),
            ("IncorrectKeyException", "AccessDeniedException"),
        )
        notes.append(f"Decrypt with KeyId of a different key: moto raises {code} (real KMS: IncorrectKeyException)")

    check("Decrypt of MRK blob with KeyId=another key fails", wrong_key_id)

    def plain_not_in_other_region() -> None:
        expect_client_error(
            lambda: west.decrypt(CiphertextBlob=s["plain_blob"], EncryptionContext=CONTEXT),
            ("AccessDeniedException", "NotFoundException"),
        )

    check("single-Region blob cannot be decrypted in us-west-2", plain_not_in_other_region)

    def mrk_not_in_unreplicated_region() -> None:
        expect_client_error(
            lambda: other.decrypt(CiphertextBlob=s["blob"], EncryptionContext=CONTEXT),
            ("AccessDeniedException", "NotFoundException"),
        )

    check("MRK blob cannot be decrypted in eu-west-1 (no replica there)", mrk_not_in_unreplicated_region)

    # ---- report only: KeyId whose ARN names a Region other than the client's ----
    if "blob" in s and "west_arn" in s:
        other_arn = replace_region(s["east_arn"], OTHER_REGION)
        cases = [
            ("us-west-2 client, KeyId = us-east-1 primary ARN (MRK blob)",
             lambda: west.decrypt(CiphertextBlob=s["blob"], KeyId=s["east_arn"], EncryptionContext=CONTEXT)),
            ("us-east-1 client, KeyId = us-west-2 replica ARN (MRK blob)",
             lambda: east.decrypt(CiphertextBlob=s["blob"], KeyId=s["west_arn"], EncryptionContext=CONTEXT)),
            ("us-west-2 client, KeyId = eu-west-1 ARN of the MRK, no replica there (MRK blob)",
             lambda: west.decrypt(CiphertextBlob=s["blob"], KeyId=other_arn, EncryptionContext=CONTEXT)),
            ("eu-west-1 client, KeyId = us-east-1 primary ARN (MRK blob)",
             lambda: other.decrypt(CiphertextBlob=s["blob"], KeyId=s["east_arn"], EncryptionContext=CONTEXT)),
        ]
        for label, fn in cases:
            notes.append(f"{label}: {outcome(fn, s['dk'])}")
    if "plain_blob" in s:
        notes.append(
            "us-west-2 client, KeyId = us-east-1 ARN of single-Region key (its blob): "
            + outcome(
                lambda: west.decrypt(
                    CiphertextBlob=s["plain_blob"], KeyId=s["plain_arn"], EncryptionContext=CONTEXT
                ),
                s["plain_pt"],
            )
        )
    if "mrk_id" in s:
        try:
            east_type = east.describe_key(KeyId=s["mrk_id"])["KeyMetadata"]["MultiRegionConfiguration"][
                "MultiRegionKeyType"
            ]
            notes.append(
                f"DescribeKey(primary, us-east-1) after DescribeKey(replica) reports MultiRegionKeyType={east_type}"
            )
        except Exception as exc:  # noqa: BLE001
            notes.append(f"DescribeKey(primary) failed: {exc!r}")


def stop_by(launcher: Launcher, how: str) -> None:
    t0 = time.monotonic()
    if how == "SIGTERM":
        launcher.proc.send_signal(signal.SIGTERM)
    elif how == "SIGINT":
        launcher.proc.send_signal(signal.SIGINT)
    else:
        assert launcher.proc.stdin is not None
        launcher.proc.stdin.close()
    try:
        rc = launcher.proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        launcher.kill()
        raise AssertionError(f"launcher still running {STOP_TIMEOUT_S}s after {how}") from None
    elapsed = time.monotonic() - t0
    expect(rc == 0, f"launcher exited with {rc} after {how}")
    extra = launcher.extra_stdout()
    expect(extra == "", f"launcher wrote more to stdout: {extra!r}")
    notes.append(f"stop by {how}: exit 0 after {elapsed:.2f}s")


def port_closed(port: int) -> None:
    import socket

    with socket.socket() as sock:
        sock.settimeout(2)
        expect(sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still accepts connections")


def in_process_check() -> None:
    sys.path.insert(0, str(HERE))
    from moto_launcher import start_moto

    t0 = time.monotonic()
    endpoint, stop = start_moto()
    notes.append(f"in-process start_moto(): {time.monotonic() - t0:.2f}s (moto already imported)")
    try:
        expect(ENDPOINT_RE.match(f"MOTO_ENDPOINT={endpoint}") is not None, endpoint)
        east = client(endpoint, PRIMARY_REGION)
        west = client(endpoint, REPLICA_REGION)
        key_id = east.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
        arn = east.replicate_key(KeyId=key_id, ReplicaRegion=REPLICA_REGION)["ReplicaKeyMetadata"]["Arn"]
        blob = east.encrypt(KeyId=key_id, Plaintext=b"in-process")["CiphertextBlob"]
        resp = west.decrypt(CiphertextBlob=blob, KeyId=arn)
        expect(resp["Plaintext"] == b"in-process" and resp["KeyId"] == arn, repr(resp))
    finally:
        stop()
        stop()  # idempotent
    port = int(endpoint.rsplit(":", 1)[1])
    port_closed(port)


def main() -> int:
    expect(LAUNCHER.is_file(), f"{LAUNCHER} missing")

    launcher: Launcher | None = check("launcher prints MOTO_ENDPOINT=http://127.0.0.1:<port>", Launcher)
    if launcher is not None:
        notes.append(f"launcher start (spawn -> endpoint line): {launcher.start_seconds:.2f}s")
        try:
            kms_checks(launcher.endpoint)
            check("launcher exits 0 on SIGTERM, nothing else on stdout", lambda: stop_by(launcher, "SIGTERM"))
            check("port closed after SIGTERM", lambda: port_closed(launcher.port))
        finally:
            launcher.kill()

    second: Launcher | None = check("second launcher starts", Launcher)
    if second is not None:
        notes.append(f"second launcher start: {second.start_seconds:.2f}s")
        try:
            check("launcher exits 0 on stdin EOF", lambda: stop_by(second, "stdin EOF"))
            check("port closed after stdin EOF", lambda: port_closed(second.port))
        finally:
            second.kill()

    third: Launcher | None = check("third launcher starts", Launcher)
    if third is not None:
        try:
            check("launcher exits 0 on SIGINT", lambda: stop_by(third, "SIGINT"))
        finally:
            third.kill()

    check("in-process start_moto() works and stop() closes the port", in_process_check)

    print()
    for note in notes:
        print(f"note: {note}")
    print(f"moto check: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
