#!/usr/bin/env python3
"""`make demo`: mrkenv's multi-Region story end to end on a local KMS and
DynamoDB (moto's server, started here on 127.0.0.1 with a free port).

A record is encrypted in us-east-1 from Python (boto3) with the primary
multi-Region key, stored in the global table, copied to us-west-2, read there
from Node (@aws-sdk/client-dynamodb) and decrypted with the replica key in Node
(@aws-sdk/client-kms) and in C (bindings-c/build/kms_demo, the C KMS client);
tampered copies are refused; a file goes through the `mrkenv` CLI the same way.
Every KMS call is printed with the Region whose KMS answered it.

Run by `make demo` (which builds what it needs first) with the repository
venv's Python: `.venv/bin/python demo/run_demo.py [-v]`. Prints one numbered
step per line with its evidence (-v: the items, commands and JSON behind it);
exits 0, or 1 with the reason. The server is stopped and the temporary files
removed in every case.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import pathlib
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

ROOT = pathlib.Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "tests" / "kms" / "moto_launcher.py"
WEST_READER = ROOT / "demo" / "west_reader.mjs"
# The C program (built by make -C bindings-c examples); MRKENV_DEMO_KMS_DEMO: another build of it.
KMS_DEMO_NAME = "bindings-c/build/kms_demo"
KMS_DEMO = pathlib.Path(os.environ.get("MRKENV_DEMO_KMS_DEMO", ROOT / KMS_DEMO_NAME))
NODE = os.environ.get("NODE", "node")

EAST, WEST = "us-east-1", "us-west-2"
TABLE = "global-table-example"
PARTITION_KEY = "employeeId"
ANDY = {"employeeId": {"S": "1234"}, "name": {"S": "Andy"}}
BOB = {"employeeId": {"S": "5678"}, "name": {"S": "Bob"}}
NOTE = b"mrkenv demo: a note written in us-east-1, read in us-west-2\n"

# Dummy credentials for every client and child process: nothing reaches AWS.
DEMO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
}
DROPPED_ENV = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
               "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION")


class DemoError(Exception):
    """A step did not show what it should: the demo fails with this reason."""


class Output:
    """Numbered steps, their evidence, and the details shown with -v (held
    until the next step line, since a step is printed once it has worked)."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.number = 0
        self.current = "the start"
        self.details: List[str] = []

    def step(self, title: str) -> None:
        self.number += 1
        self.current = f"step {self.number}"
        print(f"{self.number:>2}. {title}", flush=True)
        self.flush()

    def show(self, line: str) -> None:
        self.flush()
        print(f"    {line}", flush=True)

    def detail(self, label: str, value: Any) -> None:
        if self.verbose:
            text = value if isinstance(value, str) else json.dumps(value, indent=2)
            self.details.append(f"      {label}:")
            self.details.extend(f"        {line}" for line in text.rstrip("\n").splitlines())

    def flush(self) -> None:
        for line in self.details:
            print(line, flush=True)
        self.details = []


def expect(condition: bool, reason: str) -> None:
    if not condition:
        raise DemoError(reason)


# ------------------------------------------------------------------ moto server


class Moto:
    """tests/kms/moto_launcher.py with its stdin piped: it stops when we close it
    (or when this process dies)."""

    def __init__(self, workdir: pathlib.Path) -> None:
        self.log_path = workdir / "moto.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, str(LAUNCHER)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        line: List[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=60)
        first = line[0] if line else ""
        if not first.startswith("MOTO_ENDPOINT="):
            self.stop()
            raise DemoError(f"the moto launcher did not start (exit status {self.proc.poll()}): "
                            + self.log_path.read_text(errors="replace").strip()[-2000:])
        self.endpoint = first.strip().split("=", 1)[1]

    def stop(self) -> None:
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# ------------------------------------------------------------------ clients


class LoggedKms:
    """A boto3 KMS client that records which Region's KMS answered each call,
    in the same form as the Node reader and the C program."""

    OPERATIONS = {"generate_data_key": "GenerateDataKey", "encrypt": "Encrypt", "decrypt": "Decrypt"}

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.lines: List[str] = []

    def _call(self, method: str, kwargs: Dict[str, Any]) -> Any:
        self.lines.append(f"kms: {self.OPERATIONS[method]} in {self.inner.meta.region_name} (KeyId {kwargs['KeyId']})")
        return getattr(self.inner, method)(**kwargs)

    def generate_data_key(self, **kwargs: Any) -> Any:
        return self._call("generate_data_key", kwargs)

    def encrypt(self, **kwargs: Any) -> Any:
        return self._call("encrypt", kwargs)

    def decrypt(self, **kwargs: Any) -> Any:
        return self._call("decrypt", kwargs)

    def take(self) -> List[str]:
        lines, self.lines = self.lines, []
        return lines


def as_wire_json(item: Dict[str, Any]) -> Dict[str, Any]:
    """A boto3 item as DynamoDB JSON (B in base64), as Node and C exchange it."""
    def value(v: Any) -> Any:
        if isinstance(v, (bytes, bytearray)):
            return base64.b64encode(bytes(v)).decode()
        if isinstance(v, dict):
            return {k: value(x) for k, x in v.items()}
        if isinstance(v, list):
            return [value(x) for x in v]
        return v
    return value(item)


def plain(item: Dict[str, Any]) -> str:
    """{employeeId: "1234", name: "Andy"} from a DynamoDB item of S values."""
    return "{" + ", ".join(f'{k}: "{v["S"]}"' if "S" in v else f"{k}: {list(v)[0]}" for k, v in item.items()) + "}"


def run(argv: Sequence[str], *, stdin: Optional[bytes] = None, check: bool = True,
        out: Output, label: str) -> subprocess.CompletedProcess[bytes]:
    out.detail(f"{label} command", " ".join(shlex.quote(str(a)) for a in argv))
    proc = subprocess.run([str(a) for a in argv], input=stdin, capture_output=True, timeout=120)
    if check and proc.returncode != 0:
        raise DemoError(f"{label} exited with status {proc.returncode}: "
                        + proc.stderr.decode(errors="replace").strip()[-2000:])
    return proc


# ------------------------------------------------------------------ the story


def demo(out: Output, endpoint: str, workdir: pathlib.Path) -> None:
    import boto3  # the venv's: installed by make -C bindings-python venv
    import mrkenv

    def client(service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint)

    east_kms, west_kms = client("kms", EAST), client("kms", WEST)
    east_db, west_db = client("dynamodb", EAST), client("dynamodb", WEST)

    out.step(f"multi-Region key: primary in {EAST}, replica in {WEST} (same mrk- id, other Region)")
    primary = east_kms.create_key(MultiRegion=True, Description="mrkenv demo")["KeyMetadata"]
    replica = east_kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion=WEST)["ReplicaKeyMetadata"]
    east_arn, west_arn = primary["Arn"], replica["Arn"]
    expect(primary["KeyId"].startswith("mrk-") and replica["KeyId"] == primary["KeyId"],
           f"the replica's key id {replica['KeyId']} is not the primary's {primary['KeyId']}")
    expect(east_arn.replace(f":{EAST}:", f":{WEST}:") == west_arn,
           f"the ARNs differ by more than the Region: {east_arn} {west_arn}")
    out.show(east_arn)
    out.show(west_arn)

    for db in (east_db, west_db):
        db.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": PARTITION_KEY, "AttributeType": "S"}])
    statuses = {db.describe_table(TableName=TABLE)["Table"]["TableStatus"] for db in (east_db, west_db)}
    expect(statuses == {"ACTIVE"}, f"the tables are {statuses}")
    out.step(f"table {TABLE} (partition key {PARTITION_KEY} S): ACTIVE in {EAST} and {WEST}")

    # The record: (1) encrypt in us-east-1 with the primary key, from Python.
    out.step(f"Python encrypts {plain(ANDY)} in {EAST} with the primary key (encrypt_record)")
    logged_east = LoggedKms(east_kms)
    actions = {"employeeId": mrkenv.Action.SIGN_ONLY, "name": mrkenv.Action.ENCRYPT_AND_SIGN}
    table = {"table_name": TABLE, "partition_key": PARTITION_KEY}
    encrypted = mrkenv.encrypt_record(ANDY, mrkenv.KmsMrkKeyring(logged_east, [east_arn]), actions, **table)
    out.detail("encrypted item", as_wire_json(encrypted))
    for line in logged_east.take():
        out.show(line)
    expect(encrypted["employeeId"] == ANDY["employeeId"], "the partition key was not kept in the clear")
    expect(set(encrypted["name"]) == {"B"} and b"Andy" not in encrypted["name"]["B"], "the name is not encrypted")
    out.show("employeeId SIGN_ONLY -> S \"1234\"; name ENCRYPT_AND_SIGN -> B "
             f"({len(encrypted['name']['B'])} bytes); + {', '.join(sorted(set(encrypted) - set(ANDY)))}")

    # (2) put it; (3) copy it to us-west-2.
    east_db.put_item(TableName=TABLE, Item=encrypted)
    stored = east_db.get_item(TableName=TABLE, Key={PARTITION_KEY: {"S": "1234"}})["Item"]
    expect(stored == encrypted, "the item read back from us-east-1 is not the one put")
    out.step(f"Python puts it in {EAST} (put_item; get_item returns it unchanged)")
    west_db.put_item(TableName=TABLE, Item=stored)
    out.step(f"copied to {WEST}: stands in for global-table replication (moto has none)")

    def west_reader(ids: List[str]) -> List[Dict[str, Any]]:
        request = {"endpoint": endpoint, "region": WEST, "keyArn": west_arn, "table": TABLE,
                   "partitionKey": PARTITION_KEY, "ids": ids}
        proc = run([NODE, WEST_READER], stdin=json.dumps(request).encode(), out=out, label="node west_reader.mjs")
        results: List[Dict[str, Any]] = json.loads(proc.stdout)["results"]
        return results

    # (4) get it in us-west-2 and (5) decrypt it with the replica key, from Node.
    (andy_west,) = west_reader(["1234"])
    west_item = andy_west["stored"]
    expect(west_item == as_wire_json(stored), "the item Node read in us-west-2 is not the one stored in us-east-1")
    out.detail("item Node got in us-west-2 (DynamoDB JSON)", west_item)
    out.step(f"Node gets it in {WEST} (GetItem): the bytes put in {EAST}, name still B "
             f"({len(base64.b64decode(west_item['name']['B']))} bytes)")

    out.step(f"Node decrypts it in {WEST} with the replica key (decryptRecord + KmsMrkKeyring)")
    for line in andy_west["kms"]:
        out.show(line)
    expect("error" not in andy_west, f"Node could not decrypt: {andy_west.get('error')}")
    expect(andy_west["decrypted"] == ANDY, f"Node decrypted {andy_west['decrypted']}, not {ANDY}")
    expect(andy_west["kms"] == [f"kms: Decrypt in {WEST} (KeyId {west_arn})"],
           f"Node's KMS calls were not one Decrypt with the replica key in {WEST}: {andy_west['kms']}")
    out.show(f"-> {plain(andy_west['decrypted'])}")

    item_path = workdir / "item.json"
    item_path.write_text(json.dumps(west_item))
    c_argv = [KMS_DEMO, "decrypt-record", "--region", WEST, "--key-id", west_arn, "--endpoint", endpoint,
              "--table", TABLE, "--partition-key", PARTITION_KEY]

    def kms_demo(item: Dict[str, Any]) -> subprocess.CompletedProcess[bytes]:
        return run(c_argv, stdin=json.dumps(item).encode(), check=False, out=out, label="kms_demo")

    out.step(f"C decrypts it in {WEST} with the replica key (callback API + C KMS client: "
             f"{KMS_DEMO_NAME})")
    expect(KMS_DEMO.exists(), f"{KMS_DEMO} is missing: run make -C bindings-c examples")
    proc = kms_demo(west_item)
    for line in proc.stderr.decode(errors="replace").splitlines():
        out.show(line)
    expect(proc.returncode == 0, f"kms_demo exited with status {proc.returncode}")
    decrypted = json.loads(proc.stdout)
    out.detail("kms_demo stdout", decrypted)
    expect(decrypted == ANDY, f"C decrypted {decrypted}, not {ANDY}")
    kms_lines = [l for l in proc.stderr.decode().splitlines() if l.startswith("kms: ")]
    expect(kms_lines == [f"kms: Decrypt in {WEST} (KeyId {west_arn})"],
           f"C's KMS calls were not one Decrypt with the replica key in {WEST}: {kms_lines}")
    out.show(f"-> {plain(decrypted)}")

    # Tampering: in us-west-2, where a reader only sees what replication delivered.
    out.step(f"tampered copies in {WEST} are refused")
    bob = mrkenv.encrypt_record(BOB, mrkenv.KmsMrkKeyring(east_kms, [east_arn]), actions, **table)
    swapped = dict(stored, name=bob["name"])            # Bob's name ciphertext in Andy's item
    moved = dict(stored, employeeId={"S": "9999"})      # Andy's item under another employee id
    west_db.put_item(TableName=TABLE, Item=swapped)
    west_db.put_item(TableName=TABLE, Item=moved)
    cases = {"1234": "Bob's name ciphertext swapped into Andy's item",
             "9999": "employeeId changed from 1234 to 9999"}
    for result in west_reader(list(cases)):
        expect("error" in result, f"Node decrypted the tampered item {result['id']}: {result.get('decrypted')}")
        err = result["error"]
        expect(err["code"] == "Authentication", f"Node refused tampered item {result['id']} with {err}")
        out.show(f"{cases[result['id']]}:")
        out.show(f"  Node: {err['name']} [{err['code']}]: {err['message']}")
        proc = kms_demo(result["stored"])
        errors = [l for l in proc.stderr.decode(errors="replace").splitlines() if l.startswith("kms_demo: ")]
        expect(proc.returncode == 1 and len(errors) == 1,
               f"C did not refuse tampered item {result['id']}: status {proc.returncode}, "
               f"{proc.stderr.decode(errors='replace').strip()}")
        out.show(f"  C:    {errors[0]}")
    try:
        mrkenv.decrypt_record(moved, mrkenv.KmsMrkKeyring(west_kms, [west_arn]), **table)
        raise DemoError("Python decrypted the item moved to employeeId 9999")
    except mrkenv.AuthenticationError as exc:
        out.detail("Python decrypt_record of the moved item", f"{type(exc).__name__}: {exc}")
        out.flush()

    # A message through the CLI.
    mrkenv_cli = [sys.executable, str(ROOT / "demo" / "mrkenv_logged.py")]  # python -m mrkenv, KMS calls logged
    note, sealed, opened = workdir / "note.txt", workdir / "note.txt.mrk", workdir / "note.out"
    note.write_bytes(NOTE)
    proc = run(mrkenv_cli + ["encrypt", "--key-id", east_arn, "--endpoint-url", endpoint, "--context", "purpose=demo",
                             "-i", note, "-o", sealed], out=out, label="mrkenv encrypt")
    message = sealed.read_bytes()
    expect(NOTE not in message, "the message holds the plaintext")
    out.step(f"mrkenv encrypt in {EAST} with the primary key: {len(NOTE)} bytes -> {len(message)} bytes")
    out.show("$ mrkenv encrypt --key-id <primary ARN> --context purpose=demo -i note.txt -o note.txt.mrk")
    kms_lines = proc.stderr.decode().splitlines()
    expect(kms_lines == [f"kms: GenerateDataKey in {EAST} (KeyId {east_arn})"], f"the CLI's KMS calls: {kms_lines}")
    for line in kms_lines:
        out.show(line)

    out.step("mrkenv inspect note.txt.mrk: which keys, which Regions can open it (no key needed)")
    summary = json.loads(run(mrkenv_cli + ["inspect", sealed], out=out, label="mrkenv inspect").stdout)
    out.detail("mrkenv inspect note.txt.mrk", summary)
    keys = summary["encrypted_data_keys"]
    expect([k["provider_info"] for k in keys] == [east_arn], f"the message's keys are not the primary: {keys}")
    context = ", ".join(f"{k}={v}" for k, v in summary["encryption_context"].items())
    out.show(f"context {context}; {len(keys)} encrypted data key: "
             + "; ".join(f"{k['provider_id']} {k['provider_info']}" for k in keys))
    config = east_kms.describe_key(KeyId=east_arn)["KeyMetadata"]["MultiRegionConfiguration"]
    regions = [config["PrimaryKey"]["Region"]] + [r["Region"] for r in config["ReplicaKeys"]]
    expect(WEST in regions, f"DescribeKey does not list a replica in {WEST}: {config}")
    out.show(f"an MRK key: opens in the Regions of its replicas, {' and '.join(regions)} (DescribeKey)")

    proc = run(mrkenv_cli + ["decrypt", "--key-id", west_arn, "--endpoint-url", endpoint, "--context", "purpose=demo",
                             "-i", sealed, "-o", opened], out=out, label="mrkenv decrypt")
    expect(opened.read_bytes() == NOTE, "mrkenv decrypt did not give back the note")
    out.step(f"mrkenv decrypt in {WEST} with the replica key: the note is back")
    out.show("$ mrkenv decrypt --key-id <replica ARN> --context purpose=demo -i note.txt.mrk -o note.out")
    kms_lines = proc.stderr.decode().splitlines()
    expect(kms_lines == [f"kms: Decrypt in {WEST} (KeyId {west_arn})"], f"the CLI's KMS calls: {kms_lines}")
    for line in kms_lines:
        out.show(line)
    out.detail("note.out", NOTE.decode())


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="show the items, commands and JSON")
    args = parser.parse_args(argv)
    out = Output(args.verbose)
    for name in DROPPED_ENV:
        os.environ.pop(name, None)
    os.environ.update(DEMO_ENV)
    started = time.monotonic()
    moto: Optional[Moto] = None
    try:
        with tempfile.TemporaryDirectory(prefix="mrkenv-demo-") as tmp:
            try:
                moto = Moto(pathlib.Path(tmp))
                print(f"mrkenv demo: local KMS + DynamoDB (moto) at {moto.endpoint}", flush=True)
                demo(out, moto.endpoint, pathlib.Path(tmp))
            finally:
                out.flush()
                if moto:
                    moto.stop()
    except DemoError as exc:
        print(f"make demo: FAILED after {out.current}: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # an SDK or mrkenv error: the reason, then the traceback with -v
        print(f"make demo: FAILED after {out.current}: {type(exc).__name__}: {exc}", file=sys.stderr)
        if args.verbose:
            raise
        return 1
    out.flush()
    print(f"mrkenv demo: all {out.number} steps passed in {time.monotonic() - started:.1f} s; server stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
