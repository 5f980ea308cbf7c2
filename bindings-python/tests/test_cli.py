"""The `mrkenv` command against the local KMS, through files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from conftest import ACCOUNT, EAST, WEST, clean_env

MRKENV = Path(sys.executable).parent / "mrkenv"  # the console script in the venv


def run(args: List[str], endpoint: str, module: bool = False, **kw):
    cmd = [sys.executable, "-m", "mrkenv", *args] if module else [str(MRKENV), *args]
    return subprocess.run(cmd, capture_output=True, env=clean_env(), timeout=120, **kw)


@pytest.fixture
def plaintext_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(os.urandom(300_000))
    return path


def test_round_trip_through_files(tmp_path, plaintext_file, kms_endpoint, mrk):
    east_arn, west_arn = mrk
    sealed = tmp_path / "data.mrke"
    r = run(["encrypt", "--key-id", east_arn, "--context", "tenant=acme", "purpose=cli",
             "--frame-length", "4096", "-i", str(plaintext_file), "-o", str(sealed),
             "--endpoint-url", kms_endpoint], kms_endpoint)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == b"" and sealed.stat().st_size > 300_000

    r = run(["inspect", str(sealed)], kms_endpoint)
    assert r.returncode == 0, r.stderr.decode()
    summary = json.loads(r.stdout)
    assert summary["encryption_context"] == {"tenant": "acme", "purpose": "cli"}
    assert summary["frame_length"] == 4096
    (edk,) = summary["encrypted_data_keys"]
    assert (edk["key_arn"], edk["region"], edk["is_mrk"]) == (east_arn, EAST, True)

    strict = tmp_path / "strict.out"
    r = run(["decrypt", "--key-id", west_arn, "--context", "tenant=acme", "-i", str(sealed),
             "-o", str(strict), "--endpoint-url", kms_endpoint], kms_endpoint, module=True)
    assert r.returncode == 0, r.stderr.decode()
    assert strict.read_bytes() == plaintext_file.read_bytes()

    for extra in ([], ["--account", ACCOUNT], ["--account", ACCOUNT, "--partition", "aws"]):
        r = run(["decrypt", "--discovery", *extra, "--region", WEST, "--endpoint-url", kms_endpoint,
                 "-i", str(sealed)], kms_endpoint)
        assert r.returncode == 0, r.stderr.decode()
        assert r.stdout == plaintext_file.read_bytes()


def test_stdin_stdout_and_inspect_stdin(plaintext_file, kms_endpoint, mrk):
    east_arn, _ = mrk
    data = plaintext_file.read_bytes()
    r = run(["encrypt", "--key-id", east_arn, "--endpoint-url", kms_endpoint], kms_endpoint, input=data)
    assert r.returncode == 0, r.stderr.decode()
    sealed = r.stdout
    r = run(["inspect"], kms_endpoint, input=sealed[:2000])
    assert r.returncode == 0 and json.loads(r.stdout)["encrypted_data_keys"][0]["key_arn"] == east_arn
    r = run(["decrypt", "--discovery", "--region", EAST, "--endpoint-url", kms_endpoint], kms_endpoint,
            input=sealed)
    assert r.returncode == 0 and r.stdout == data


def test_failure_leaves_no_output_file(tmp_path, plaintext_file, kms_endpoint, mrk):
    east_arn, west_arn = mrk
    sealed = tmp_path / "data.mrke"
    r = run(["encrypt", "--key-id", east_arn, "--frame-length", "1024", "-i", str(plaintext_file),
             "-o", str(sealed), "--endpoint-url", kms_endpoint], kms_endpoint)
    assert r.returncode == 0, r.stderr.decode()
    before = set(os.listdir(tmp_path))

    out = tmp_path / "out.bin"
    # Wrong required context: refused before KMS is called.
    r = run(["decrypt", "--key-id", west_arn, "--context", "tenant=other", "-i", str(sealed),
             "-o", str(out), "--endpoint-url", kms_endpoint], kms_endpoint)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert err.startswith("mrkenv: error: ") and err.count("\n") == 1 and "tenant" in err
    assert not out.exists()

    # Tampered last frame: earlier frames were written to the temporary file,
    # which must be gone, and no output appears.
    tampered = tmp_path / "tampered.mrke"
    blob = bytearray(sealed.read_bytes())
    blob[-5] ^= 0x01
    tampered.write_bytes(bytes(blob))
    r = run(["decrypt", "--discovery", "--region", WEST, "-i", str(tampered), "-o", str(out),
             "--endpoint-url", kms_endpoint], kms_endpoint)
    assert r.returncode == 1 and "authentication tag" in r.stderr.decode(), r.stderr.decode()
    assert not out.exists()

    # Truncated: same; and an existing output file is left untouched.
    out.write_bytes(b"keep me")
    truncated = tmp_path / "truncated.mrke"
    truncated.write_bytes(sealed.read_bytes()[: sealed.stat().st_size // 2])
    r = run(["decrypt", "--discovery", "--region", WEST, "-i", str(truncated), "-o", str(out),
             "--endpoint-url", kms_endpoint], kms_endpoint)
    assert r.returncode == 1 and "truncated" in r.stderr.decode()
    assert out.read_bytes() == b"keep me"
    out.unlink()
    assert set(os.listdir(tmp_path)) == before | {"tampered.mrke", "truncated.mrke"}


def test_errors_are_one_line(tmp_path, plaintext_file, kms_endpoint, mrk, single_region_key):
    east_arn, _ = mrk
    sealed = tmp_path / "srk.mrke"
    r = run(["encrypt", "--key-id", single_region_key, "-i", str(plaintext_file), "-o", str(sealed),
             "--endpoint-url", kms_endpoint], kms_endpoint)
    assert r.returncode == 0, r.stderr.decode()
    r = run(["decrypt", "--discovery", "--region", WEST, "-i", str(sealed), "--endpoint-url", kms_endpoint],
            kms_endpoint)
    assert r.returncode == 1 and r.stdout == b""
    assert r.stderr.decode().startswith("mrkenv: error: no encrypted data key could be decrypted")
    cases = [
        (["encrypt", "--key-id", "key/bad", "--endpoint-url", kms_endpoint, "--region", EAST], "invalid KMS key"),
        (["encrypt", "--key-id", east_arn, "--context", "novalue", "--endpoint-url", kms_endpoint], "KEY=VALUE"),
        (["decrypt", "--region", EAST, "--endpoint-url", kms_endpoint], "--key-id"),
        (["decrypt", "--key-id", east_arn, "-i", str(tmp_path / "missing")], "cannot open input"),
        (["inspect", str(plaintext_file)], "MRKE"),
        (["encrypt", "--key-id", east_arn, "--frame-length", "10", "--endpoint-url", kms_endpoint], "frame length"),
    ]
    for args, needle in cases:
        r = run(args, kms_endpoint, input=b"")
        assert r.returncode == 1, (args, r.stderr.decode())
        err = r.stderr.decode()
        assert err.startswith("mrkenv: error: ") and err.count("\n") == 1 and needle in err, (args, err)
    r = run(["encrypt"], kms_endpoint)
    assert r.returncode == 2  # usage


def test_missing_boto3_says_how_to_install(kms_endpoint):
    code = ("import sys; sys.modules['boto3'] = None; from mrkenv.cli import main; "
            "sys.exit(main(['encrypt', '--key-id', 'arn:aws:kms:us-east-1:1:key/x']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, env=clean_env(), input=b"", timeout=60)
    assert r.returncode == 1
    assert "pip install 'mrkenv[cli]'" in r.stderr.decode()


def test_progress_bar_on_a_terminal(tmp_path, plaintext_file, kms_endpoint, mrk, monkeypatch):
    import io

    import mrkenv.cli as cli

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    east_arn, _ = mrk
    stderr = Terminal()
    monkeypatch.setattr(cli, "PROGRESS_MIN_BYTES", 1)
    monkeypatch.setattr(sys, "stderr", stderr)
    out = tmp_path / "p.mrke"
    status = cli.main(["encrypt", "--key-id", east_arn, "--endpoint-url", kms_endpoint,
                       "-i", str(plaintext_file), "-o", str(out)])
    assert status == 0, stderr.getvalue()
    text = stderr.getvalue()
    assert text.startswith("\rencrypt [") and "100.0%" in text and text.endswith("\n")
    # Not a terminal: no progress output at all.
    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    assert cli.main(["decrypt", "--discovery", "--region", EAST, "--endpoint-url", kms_endpoint,
                     "-i", str(out), "-o", str(tmp_path / "p.out")]) == 0
    assert quiet.getvalue() == ""
    assert (tmp_path / "p.out").read_bytes() == plaintext_file.read_bytes()


def test_failure_truncates_stdout_redirected_to_a_file(tmp_path, plaintext_file, kms_endpoint, mrk):
    east_arn, _ = mrk
    sealed = tmp_path / "data.mrke"
    r = run(["encrypt", "--key-id", east_arn, "--frame-length", "1024", "-i", str(plaintext_file),
             "-o", str(sealed), "--endpoint-url", kms_endpoint], kms_endpoint)
    assert r.returncode == 0, r.stderr.decode()
    blob = bytearray(sealed.read_bytes())
    blob[-5] ^= 0x01  # the last frame: every earlier frame decrypts and is written first
    sealed.write_bytes(bytes(blob))
    out = tmp_path / "out.bin"
    decrypt = [str(MRKENV), "decrypt", "--discovery", "--region", WEST, "-i", str(sealed),
               "--endpoint-url", kms_endpoint]
    # `> out`: nothing is left.
    with open(out, "wb") as stdout:
        r = subprocess.run(decrypt, stdout=stdout, stderr=subprocess.PIPE, env=clean_env(), timeout=120)
    assert r.returncode == 1 and b"authentication tag" in r.stderr, r.stderr
    assert out.read_bytes() == b""
    # `>> out`: what was there before stays, nothing is added.
    out.write_bytes(b"earlier line\n")
    with open(out, "ab") as stdout:
        r = subprocess.run(decrypt, stdout=stdout, stderr=subprocess.PIPE, env=clean_env(), timeout=120)
    assert r.returncode == 1
    assert out.read_bytes() == b"earlier line\n"


@pytest.fixture(scope="module")
def cli_regional_keys(east, west):
    """(us-east-1, us-west-2) single-Region keys for the rekey command."""
    return (east.create_key(Description="mrkenv cli rekey east")["KeyMetadata"]["Arn"],
            west.create_key(Description="mrkenv cli rekey west")["KeyMetadata"]["Arn"])


def test_rekey_add_west_then_remove_east(tmp_path, plaintext_file, kms_endpoint, cli_regional_keys):
    east_key, west_key = cli_regional_keys
    sealed, added, rekeyed = tmp_path / "a.mrke", tmp_path / "b.mrke", tmp_path / "c.mrke"
    r = run(["encrypt", "--key-id", east_key, "--context", "tenant=acme", "--frame-length", "4096",
             "-i", str(plaintext_file), "-o", str(sealed), "--endpoint-url", kms_endpoint], kms_endpoint)
    assert r.returncode == 0, r.stderr.decode()
    # The input file last; the added key's client is in the key's Region.
    r = run(["rekey", "--key-id", east_key, "--add-key", west_key, "--context", "tenant=acme",
             "--endpoint-url", kms_endpoint, "-o", str(added), str(sealed)], kms_endpoint)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == b"" and r.stderr == b""
    r = run(["rekey", "--key-id", west_key, "--remove-key", east_key, "--endpoint-url", kms_endpoint,
             str(added), "-o", str(rekeyed)], kms_endpoint, module=True)
    assert r.returncode == 0, r.stderr.decode()
    summary = json.loads(run(["inspect", str(rekeyed)], kms_endpoint).stdout)
    assert [(e["key_arn"], e["region"]) for e in summary["encrypted_data_keys"]] == [(west_key, WEST)]
    assert summary["encryption_context"] == {"tenant": "acme"}
    # Same size, same tail: only the head changed (one EDK for one EDK).
    old, new = sealed.read_bytes(), rekeyed.read_bytes()
    assert old[-200_000:] == new[-200_000:]
    # Decrypts in us-west-2 (strict and discovery), no longer with the east key alone.
    for args in (["--key-id", west_key], ["--discovery", "--region", WEST]):
        r = run(["decrypt", *args, "--endpoint-url", kms_endpoint, "-i", str(rekeyed)], kms_endpoint)
        assert r.returncode == 0, r.stderr.decode()
        assert r.stdout == plaintext_file.read_bytes()
    r = run(["decrypt", "--key-id", east_key, "--endpoint-url", kms_endpoint, "-i", str(rekeyed)], kms_endpoint)
    assert r.returncode == 1 and r.stdout == b""
    assert r.stderr.decode().startswith("mrkenv: error: no encrypted data key could be decrypted")
    # stdin to stdout, discovery in us-west-2, removing by replacing.
    r = run(["rekey", "--discovery", "--region", WEST, "--add-key", east_key, "--remove-key", west_key,
             "--endpoint-url", kms_endpoint], kms_endpoint, input=new)
    assert r.returncode == 0, r.stderr.decode()
    r = run(["decrypt", "--key-id", east_key, "--endpoint-url", kms_endpoint], kms_endpoint, input=r.stdout)
    assert r.returncode == 0 and r.stdout == plaintext_file.read_bytes()


def test_rekey_failures_write_nothing(tmp_path, plaintext_file, kms_endpoint, cli_regional_keys):
    east_key, west_key = cli_regional_keys
    sealed = tmp_path / "a.mrke"
    r = run(["encrypt", "--key-id", east_key, "--context", "tenant=acme", "--frame-length", "1024",
             "-i", str(plaintext_file), "-o", str(sealed), "--endpoint-url", kms_endpoint], kms_endpoint)
    assert r.returncode == 0, r.stderr.decode()
    truncated = tmp_path / "t.mrke"
    truncated.write_bytes(sealed.read_bytes()[:-100])
    out = tmp_path / "out.mrke"
    before = set(os.listdir(tmp_path))
    base = ["rekey", "--endpoint-url", kms_endpoint, "-o", str(out)]
    cases = [
        # Wrong keyring: the west key has no EDK in the message.
        (["--key-id", west_key, "--add-key", west_key, str(sealed)], "no encrypted data key could be decrypted"),
        # Removing every key.
        (["--key-id", east_key, "--remove-key", east_key, str(sealed)], "would leave no encrypted data key"),
        (["--key-id", east_key, "--remove-key", west_key, str(sealed)], "cannot remove"),
        (["--key-id", east_key, "--add-key", west_key, "--context", "tenant=other", str(sealed)], "tenant"),
        # The new head is written before the truncation shows: the temporary file goes.
        (["--key-id", east_key, "--add-key", west_key, str(truncated)], "truncated"),
        (["--key-id", east_key, str(sealed)], "nothing to do"),
        (["--key-id", east_key, "--discovery", "--add-key", west_key, str(sealed)], "not both"),
        (["--key-id", east_key, "--add-key", west_key, "--add-key", east_key, str(sealed)], "several Regions"),
        (["--key-id", east_key, "--add-key", west_key, "-i", str(sealed), str(sealed)], "input file once"),
    ]
    for args, needle in cases:
        out.write_bytes(b"keep me")
        r = run([*base, *args], kms_endpoint)
        err = r.stderr.decode()
        assert r.returncode == 1, (args, err)
        assert err.startswith("mrkenv: error: ") and err.count("\n") == 1 and needle in err, (args, err)
        assert out.read_bytes() == b"keep me", args
    out.unlink()
    assert set(os.listdir(tmp_path)) == before
