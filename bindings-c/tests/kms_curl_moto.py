"""kms_demo (examples/kms_curl.c, the libcurl KMS client) against moto.

    python kms_curl_moto.py path/to/kms_demo

Starts tests/kms/moto_launcher.py (127.0.0.1, a free port; stopped at the end,
and with this process anyway since it exits when its stdin closes), makes keys
with boto3, and runs kms_demo: a record encrypted under a multi-Region key in
us-east-1 and decrypted with its replica in us-west-2, the same for a message,
KMS and connection errors, and a re-key that moves a message from a
single-Region key in us-east-1 to one in us-west-2 (issue 14), and --discovery
(a discovery keyring filtered to an account). Then the README's "Local KMS"
shell block as written (make kms-local, its eval, kms_demo, make
kms-local-stop) with the launcher's state in a temporary directory. Prints one
line per check and exits non-zero if any failed.
"""

import os
import pathlib
import re
import subprocess
import sys
import tempfile
import threading

import boto3

ROOT = pathlib.Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "tests" / "kms" / "moto_launcher.py"
TABLE = "global-table-example"
ITEM = '{"employeeId":{"S":"1234"},"name":{"S":"Andy"}}'

failures = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))
    if not ok:
        failures.append(name)


def start_moto():
    proc = subprocess.Popen([sys.executable, str(LAUNCHER)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    line = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(60)
    if not line or not line[0].startswith("MOTO_ENDPOINT="):
        proc.kill()
        raise SystemExit(f"moto launcher did not start (exit status {proc.poll()}, got {line!r})")
    return proc, line[0].strip().split("=", 1)[1]


def main():
    demo = sys.argv[1]
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    proc, endpoint = start_moto()
    try:
        run(demo, endpoint)
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    readme_local_kms(demo)
    print(f"kms_curl_moto: {len(failures)} failed" if failures else "kms_curl_moto: all checks passed")
    sys.exit(1 if failures else 0)


def kms(region, endpoint):
    return boto3.client("kms", region_name=region, endpoint_url=endpoint)


def demo_run(demo, *args, stdin=b"", env=None):
    return subprocess.run([demo, *args], input=stdin, capture_output=True, env=env, timeout=60)


def kms_lines(stderr):
    return [l for l in stderr.decode().splitlines() if l.startswith("kms: ")]


def run(demo, endpoint):
    east, west = kms("us-east-1", endpoint), kms("us-west-2", endpoint)
    primary = east.create_key(MultiRegion=True)["KeyMetadata"]
    east_arn = primary["Arn"]
    west_arn = east.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2")["ReplicaKeyMetadata"]["Arn"]
    ep = ["--endpoint", endpoint]
    record = ["--table", TABLE, "--partition-key", "employeeId"]

    # A record: encrypted in us-east-1, decrypted with the replica in us-west-2.
    enc = demo_run(demo, "encrypt-record", "--region", "us-east-1", "--key-id", east_arn, *ep, *record,
                   stdin=ITEM.encode())
    check("encrypt-record in us-east-1", enc.returncode == 0 and b'"aws_mrkenv_header"' in enc.stdout
          and b"Andy" not in enc.stdout, enc.stderr)
    check("encrypt-record logs GenerateDataKey in us-east-1",
          kms_lines(enc.stderr) == [f"kms: GenerateDataKey in us-east-1 (KeyId {east_arn})"], enc.stderr)
    stored = enc.stdout
    dec = demo_run(demo, "decrypt-record", "--region", "us-west-2", "--key-id", west_arn, *ep, *record,
                   stdin=stored)
    check("decrypt-record in us-west-2 gives the item", dec.returncode == 0
          and dec.stdout.decode().strip() == ITEM, (dec.stdout, dec.stderr))
    check("decrypt-record logs Decrypt in us-west-2",
          kms_lines(dec.stderr) == [f"kms: Decrypt in us-west-2 (KeyId {west_arn})"], dec.stderr)

    # The endpoint from AWS_ENDPOINT_URL, with a session token (sent as
    # X-Amz-Security-Token, signed; moto accepts any).
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_SESSION_TOKEN="testing-token")
    dec = demo_run(demo, "decrypt-record", "--region", "us-west-2", "--key-id", west_arn, *record,
                   stdin=stored, env=env)
    check("AWS_ENDPOINT_URL and AWS_SESSION_TOKEN", dec.returncode == 0
          and dec.stdout.decode().strip() == ITEM, dec.stderr)

    # A KMS error: no replica in eu-west-1.
    eu_arn = west_arn.replace(":us-west-2:", ":eu-west-1:")
    bad = demo_run(demo, "decrypt-record", "--region", "eu-west-1", "--key-id", eu_arn, *ep, *record,
                   stdin=stored)
    err = bad.stderr.decode()
    check("a KMS error fails with its type and message", bad.returncode == 1 and bad.stdout == b""
          and "kms_demo: NoDecryptableKey: " in err and "KMS Decrypt in eu-west-1: NotFoundException: " in err
          and "does not exist (HTTP 400)" in err, err)

    # A tampered record never gets to a plaintext.
    tampered = stored.replace(b'"1234"', b'"1235"')
    bad = demo_run(demo, "decrypt-record", "--region", "us-west-2", "--key-id", west_arn, *ep, *record,
                   stdin=tampered)
    check("a changed employeeId is refused", bad.returncode == 1 and bad.stdout == b""
          and "kms_demo: Authentication: " in bad.stderr.decode(), bad.stderr)

    # Nobody listening: curl's error.
    bad = demo_run(demo, "decrypt-record", "--region", "us-west-2", "--key-id", west_arn,
                   "--endpoint", "http://127.0.0.1:1/", *record, stdin=stored)
    err = bad.stderr.decode()
    check("a connection failure fails with curl's error", bad.returncode == 1
          and "KMS Decrypt in us-west-2: Couldn't connect to server" in err, err)

    # A message under the MRK: encrypted in us-east-1, decrypted in us-west-2.
    plaintext = os.urandom(100_000)
    enc = demo_run(demo, "encrypt", "--region", "us-east-1", "--key-id", east_arn, *ep, stdin=plaintext)
    dec = demo_run(demo, "decrypt", "--region", "us-west-2", "--key-id", west_arn, *ep, stdin=enc.stdout)
    check("a message: encrypt in us-east-1, decrypt in us-west-2", enc.returncode == 0
          and dec.returncode == 0 and dec.stdout == plaintext, (enc.stderr, dec.stderr))
    check("decrypt logs Decrypt in us-west-2",
          kms_lines(dec.stderr) == [f"kms: Decrypt in us-west-2 (KeyId {west_arn})"], dec.stderr)

    # The same message through a discovery keyring in us-west-2, filtered to
    # the key's account: the MRK is asked for through its us-west-2 replica.
    account = east_arn.split(":")[4]
    dec = demo_run(demo, "decrypt", "--region", "us-west-2", "--discovery", account, *ep, stdin=enc.stdout)
    check("--discovery ACCOUNT decrypts in us-west-2", dec.returncode == 0 and dec.stdout == plaintext, dec.stderr)
    check("--discovery asks for the us-west-2 replica",
          kms_lines(dec.stderr) == [f"kms: Decrypt in us-west-2 (KeyId {west_arn})"], dec.stderr)
    other = demo_run(demo, "decrypt", "--region", "us-west-2", "--discovery", "999999999999", *ep, stdin=enc.stdout)
    check("--discovery with another account finds no key (and calls no KMS)", other.returncode == 1
          and "kms_demo: NoDecryptableKey: " in other.stderr.decode() and kms_lines(other.stderr) == [],
          other.stderr)
    bad = demo_run(demo, "encrypt", "--region", "us-west-2", "--discovery", account, *ep, stdin=b"x")
    check("--discovery cannot encrypt (usage)", bad.returncode == 2 and b"only decrypts" in bad.stderr, bad.stderr)

    # Issue 14: a message under a single-Region key in us-east-1 gets a key in
    # us-west-2 and loses the us-east-1 one; it opens in us-west-2 only.
    single_east = east.create_key()["KeyMetadata"]["Arn"]
    single_west = west.create_key()["KeyMetadata"]["Arn"]
    enc = demo_run(demo, "encrypt", "--region", "us-east-1", "--key-id", single_east, *ep, stdin=plaintext)
    rekey = demo_run(demo, "rekey", "--region", "us-east-1", "--key-id", single_east, *ep,
                     "--add-region", "us-west-2", "--add-key-id", single_west, "--remove", single_east,
                     stdin=enc.stdout)
    check("rekey: Decrypt in us-east-1, Encrypt in us-west-2", rekey.returncode == 0
          and kms_lines(rekey.stderr) == [f"kms: Decrypt in us-east-1 (KeyId {single_east})",
                                          f"kms: Encrypt in us-west-2 (KeyId {single_west})"], rekey.stderr)
    dec = demo_run(demo, "decrypt", "--region", "us-west-2", "--key-id", single_west, *ep, stdin=rekey.stdout)
    check("the re-keyed message opens in us-west-2", dec.returncode == 0 and dec.stdout == plaintext, dec.stderr)
    old = demo_run(demo, "decrypt", "--region", "us-east-1", "--key-id", single_east, *ep, stdin=rekey.stdout)
    check("and no longer with the us-east-1 key", old.returncode == 1
          and "kms_demo: NoDecryptableKey: " in old.stderr.decode() and kms_lines(old.stderr) == [], old.stderr)


def readme_local_kms(demo):
    """The README's Local KMS block runs as written from the repository root.

    Only the kms_demo path (this build's), the output file (a temporary one)
    and the launcher's state dir (KMS_STATE_DIR, temporary) differ; the
    credentials and endpoint come from the block's own `eval`.
    """
    readme = (ROOT / "bindings-c" / "README.md").read_text()
    section = readme.split("\n## Local KMS\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    with tempfile.TemporaryDirectory() as tmp:
        state = pathlib.Path(tmp) / "kms-local"
        script = (block.replace("bindings-c/build/kms_demo", demo)
                  .replace("hello.mrk", str(pathlib.Path(tmp) / "hello.mrk")))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_") and k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        env["KMS_STATE_DIR"] = str(state)
        try:
            r = subprocess.run(["sh", "-e", "-c", script], cwd=ROOT, env=env, capture_output=True,
                               stdin=subprocess.DEVNULL, timeout=600)
            check("README Local KMS block: kms_demo through make kms-local",
                  r.returncode == 0 and r.stdout.startswith(b"hello\n")
                  and len(kms_lines(r.stderr)) == 2, r.stdout + r.stderr)
            check("README Local KMS block: make kms-local-stop stopped it",
                  not (state / "kms-local.pid").exists(), sorted(p.name for p in state.iterdir()))
        finally:
            subprocess.run([sys.executable, str(LAUNCHER), "--stop", "--state-dir", str(state)],
                           capture_output=True, timeout=60)


if __name__ == "__main__":
    main()
