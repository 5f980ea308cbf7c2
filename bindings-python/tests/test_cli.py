"""The `mrkenv` command against the local KMS, through files."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import stat
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
    r = run(["decrypt", "--discovery", "--account", ACCOUNT, "--region", WEST, "-i", str(sealed),
             "--endpoint-url", kms_endpoint], kms_endpoint)
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
    assert cli.main(["decrypt", "--discovery", "--account", ACCOUNT, "--region", EAST,
                     "--endpoint-url", kms_endpoint, "-i", str(out), "-o", str(tmp_path / "p.out")]) == 0
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


def _subcommands():
    import mrkenv.cli as cli

    parser = cli._parser()
    (commands,) = [a for a in parser._actions if a.dest == "command"]
    return sorted(commands.choices)


def test_help_describes_every_command_with_examples():
    names = _subcommands()
    assert set(names) >= {"encrypt", "decrypt", "rekey", "inspect"}
    top = run(["--help"], "")
    assert top.returncode == 0
    text = top.stdout.decode()
    for env in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS", "AWS_REGION", "AWS_PROFILE",
                "AWS_ACCESS_KEY_ID", "0600", "--force", "--progress"):
        assert env in text, env
    assert "examples:\n  mrkenv encrypt" in text
    for name in names:
        r = run([name, "--help"], "", module=True)
        assert r.returncode == 0, name
        text = r.stdout.decode()
        # usage, then a description paragraph of its own, then options, then examples
        usage, description = text.split("\n\n")[:2]
        assert usage.startswith(f"usage: mrkenv {name}")
        assert len(description.split()) >= 20, (name, description)
        examples = text[text.index("\nexamples:\n"):]
        assert f"  mrkenv {name} " in examples, (name, examples)


def test_discovery_without_account_warns(tmp_path, plaintext_file, kms_endpoint, mrk):
    east_arn, west_arn = mrk
    sealed = tmp_path / "data.mrke"
    r = run(["encrypt", "--key-id", east_arn, "-i", str(plaintext_file), "-o", str(sealed),
             "--endpoint-url", kms_endpoint], kms_endpoint)
    assert r.returncode == 0, r.stderr.decode()
    base = ["--region", WEST, "--endpoint-url", kms_endpoint]
    r = run(["decrypt", "--discovery", *base, "-i", str(sealed)], kms_endpoint)
    assert r.returncode == 0 and r.stdout == plaintext_file.read_bytes()
    (line,) = r.stderr.decode().splitlines()
    assert line.startswith("mrkenv: warning: --discovery without --account trusts a KMS key of any AWS account")
    r = run(["rekey", "--discovery", *base, "--add-key", west_arn, "-o", str(tmp_path / "r.mrke"), str(sealed)],
            kms_endpoint)
    assert r.returncode == 0, r.stderr.decode()
    (line,) = r.stderr.decode().splitlines()
    assert line.startswith("mrkenv: warning: --discovery without --account")
    # With an account filter (or strict): silent.
    for args in (["--discovery", "--account", ACCOUNT], ["--key-id", west_arn]):
        r = run(["decrypt", *args, *base, "-i", str(sealed)], kms_endpoint)
        assert r.returncode == 0 and r.stderr == b"", r.stderr.decode()


def _run_on_terminal(args, stdin: bytes = b""):
    """Runs the command with stdout on a pseudo-terminal; (status, stderr, what
    the terminal received)."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([str(MRKENV), *args], stdin=subprocess.PIPE, stdout=slave,
                                stderr=subprocess.PIPE, env=clean_env())
        os.close(slave)
        slave = -1
        proc.stdin.write(stdin)
        proc.stdin.close()
        seen = bytearray()
        while True:  # drain the terminal while the command runs
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the command closed its side
                    chunk = b""
                if not chunk and proc.poll() is not None:
                    break
                seen += chunk
            elif proc.poll() is not None:
                break
        err = proc.stderr.read()
        proc.wait(timeout=120)
        return proc.returncode, err.decode(), bytes(seen)
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)


def test_ciphertext_is_not_written_to_a_terminal_unless_forced(tmp_path, kms_endpoint, mrk):
    east_arn, _ = mrk
    data = b"a short note\n"
    enc = ["encrypt", "--key-id", east_arn, "--endpoint-url", kms_endpoint]
    status, err, seen = _run_on_terminal(enc, data)
    assert status == 1 and seen == b""
    assert err == ("mrkenv: error: refusing to write the encrypted message (binary data) to a terminal: "
                   "give -o FILE, redirect stdout (> FILE or | ...), or add --force\n")
    # Refused before any KMS call: no endpoint, no credentials needed.
    status, err, _ = _run_on_terminal(["encrypt", "--key-id", east_arn, "--endpoint-url", "http://127.0.0.1:9"], data)
    assert status == 1 and "refusing to write the encrypted message" in err
    for force in ("--force", "-f"):
        status, err, seen = _run_on_terminal([*enc, force], data)
        assert status == 0 and err == "", err
        assert seen.startswith(b"MRKE\x01")  # the terminal got the message
    # -o, or a pipe, is not a terminal: no --force needed.
    sealed = tmp_path / "n.mrke"
    status, err, seen = _run_on_terminal([*enc, "-o", str(sealed)], data)
    assert status == 0 and seen == b"" and sealed.stat().st_size > len(data)
    r = run(enc, kms_endpoint, input=data)
    assert r.returncode == 0 and r.stdout.startswith(b"MRKE\x01")
    # rekey too; decrypt writes the user's own data to the terminal.
    rek = ["rekey", "--key-id", east_arn, "--remove-key", east_arn, "--endpoint-url", kms_endpoint, str(sealed)]
    status, err, seen = _run_on_terminal(rek)
    assert status == 1 and seen == b"" and "refusing to write the re-keyed message" in err
    status, err, seen = _run_on_terminal(["decrypt", "--key-id", east_arn, "--endpoint-url", kms_endpoint,
                                          "-i", str(sealed)])
    assert status == 0 and err == "" and seen.replace(b"\r\n", b"\n") == data


class _Pipe(io.StringIO):
    """A stderr that is not a terminal."""

    def isatty(self) -> bool:
        return False


def test_progress_flags(tmp_path, plaintext_file, kms_endpoint, mrk, monkeypatch):
    import mrkenv.cli as cli

    east_arn, _ = mrk
    out = tmp_path / "p.mrke"
    enc = ["encrypt", "--key-id", east_arn, "--endpoint-url", kms_endpoint, "-i", str(plaintext_file),
           "-o", str(out)]
    # Not a terminal, large input: nothing by default, a progress line with --progress.
    monkeypatch.setattr(cli, "PROGRESS_MIN_BYTES", 1)
    quiet = _Pipe()
    monkeypatch.setattr(sys, "stderr", quiet)
    assert cli.main(enc) == 0 and quiet.getvalue() == ""
    shown = _Pipe()
    monkeypatch.setattr(sys, "stderr", shown)
    assert cli.main([*enc, "--progress"]) == 0
    text = shown.getvalue()
    size_mib = f"{plaintext_file.stat().st_size / 1048576:.1f}"
    assert text.startswith("\rencrypt [") and "100.0%" in text and text.endswith("\n"), text
    assert f"{size_mib}/{size_mib} MiB" in text and " MiB/s" in text
    # A terminal: shown by default, not with --no-progress.
    class Terminal(_Pipe):
        def isatty(self) -> bool:
            return True
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert cli.main(["decrypt", "--key-id", east_arn, "--endpoint-url", kms_endpoint, "-i", str(out),
                     "-o", str(tmp_path / "p.out"), "--no-progress"]) == 0
    assert term.getvalue() == ""
    # Below the threshold on a terminal: nothing.
    monkeypatch.setattr(cli, "PROGRESS_MIN_BYTES", plaintext_file.stat().st_size + 1)
    assert cli.main(enc) == 0 and term.getvalue() == ""
    # stdin from a pipe with --progress: bytes and rate, no total.
    monkeypatch.setattr(sys, "stderr", shown := _Pipe())
    r_fd, w_fd = os.pipe()
    os.write(w_fd, b"x" * 1000)
    os.close(w_fd)
    with open(r_fd, "rb") as piped:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(piped))
        assert cli.main(["encrypt", "--key-id", east_arn, "--endpoint-url", kms_endpoint,
                         "-o", str(tmp_path / "s.mrke"), "--progress"]) == 0
    assert shown.getvalue().startswith("\rencrypt 0.0 MiB ") and " MiB/s" in shown.getvalue()
    assert "[" not in shown.getvalue()
    # --progress and --no-progress together: a usage error.
    r = run([*enc, "--progress", "--no-progress"], kms_endpoint)
    assert r.returncode == 2 and b"not allowed with argument" in r.stderr


def test_output_files_are_mode_0600(tmp_path, plaintext_file, kms_endpoint, mrk):
    east_arn, west_arn = mrk
    sealed, opened = tmp_path / "m.mrke", tmp_path / "m.out"
    opened.write_bytes(b"an older file, readable by all")
    opened.chmod(0o644)
    loose = lambda: os.umask(0)  # noqa: E731 - umask 000: the mode must not come from the umask
    r = run(["encrypt", "--key-id", east_arn, "--endpoint-url", kms_endpoint, "-i", str(plaintext_file),
             "-o", str(sealed)], kms_endpoint, preexec_fn=loose)
    assert r.returncode == 0, r.stderr.decode()
    assert stat.S_IMODE(sealed.stat().st_mode) == 0o600
    r = run(["decrypt", "--key-id", west_arn, "--endpoint-url", kms_endpoint, "-i", str(sealed),
             "-o", str(opened)], kms_endpoint, preexec_fn=loose)
    assert r.returncode == 0, r.stderr.decode()
    assert opened.read_bytes() == plaintext_file.read_bytes()
    assert stat.S_IMODE(opened.stat().st_mode) == 0o600  # replaced, not widened to the old 0644
    rekeyed = tmp_path / "r.mrke"
    r = run(["rekey", "--key-id", east_arn, "--add-key", west_arn, "--endpoint-url", kms_endpoint,
             str(sealed), "-o", str(rekeyed)], kms_endpoint, preexec_fn=loose)
    assert r.returncode == 0, r.stderr.decode()
    assert stat.S_IMODE(rekeyed.stat().st_mode) == 0o600


def test_endpoint_from_aws_endpoint_url(tmp_path, plaintext_file, kms_endpoint, mrk):
    east_arn, west_arn = mrk
    sealed = tmp_path / "e.mrke"
    env = clean_env(AWS_ENDPOINT_URL=kms_endpoint)
    r = subprocess.run([str(MRKENV), "encrypt", "--key-id", east_arn, "-i", str(plaintext_file),
                        "-o", str(sealed)], capture_output=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    r = subprocess.run([str(MRKENV), "decrypt", "--key-id", west_arn, "-i", str(sealed)],
                       capture_output=True, env=env, timeout=120)
    assert r.returncode == 0 and r.stdout == plaintext_file.read_bytes(), r.stderr.decode()


def _example_commands(text: str):
    """The `mrkenv ...` commands of a help text or shell block, continuation
    lines joined, cut at a pipe or redirection."""
    import shlex

    text = text.replace("\\\n", " ")
    for line in text.splitlines():
        for part in line.split("|"):
            words = shlex.split(part, comments=True)
            if "mrkenv" in words:
                words = words[words.index("mrkenv") + 1:]
                yield words[:words.index(">")] if ">" in words else words


def test_examples_in_help_and_readme_parse():
    import re

    import mrkenv.cli as cli

    epilogs = [cli.TOP_EPILOG, cli.ENCRYPT_EPILOG, cli.DECRYPT_EPILOG, cli.REKEY_EPILOG, cli.INSPECT_EPILOG]
    # The examples section of each epilog: from "examples:" to the next blank line.
    texts = [(e + "\n\n").split("examples:\n", 1)[1].split("\n\n", 1)[0] for e in epilogs]
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    texts += re.findall(r"```sh\n(.*?)```", readme, re.S)
    seen = set()
    for text in texts:
        for words in _example_commands(text):
            args = cli._parser().parse_args(words)  # exits (fails the test) on a usage error
            seen.add(args.command)
    assert seen == set(_subcommands())
