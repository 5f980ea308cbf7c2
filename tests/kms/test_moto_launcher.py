"""Tests of tests/kms/moto_launcher.py as a command (run by `make test-kms`).

Each test starts the launcher as a subprocess on 127.0.0.1 (a free port) and
stops it at the end, also on failure (the `procs` fixture):

* --serve: prints the endpoint and the shell lines, serves a multi-Region key
  and its replica through boto3 configured from those lines, stops on SIGTERM;
* --background / --status / --stop: pid file in a temporary state dir, a second
  --background reuses the server, the port is free again after --stop;
* stale pid files, a busy port and bad arguments;
* the test suites' interface (no arguments: MOTO_ENDPOINT= line, stdin EOF).
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

HERE = Path(__file__).resolve().parent
LAUNCHER = HERE / "moto_launcher.py"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
EAST, WEST = "us-east-1", "us-west-2"
CONTEXT = {"purpose": "kms-local-test"}
EXPORT_RE = re.compile(r"^export (\w+)=(\S+)$")

# Dummy credentials only: nothing here may reach real AWS.
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
for _name in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
              "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS"):
    os.environ.pop(_name, None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:port now (as the launcher binds)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen(1)
        except OSError:
            return False
    return True


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
        except OSError:
            return False
    return True


def wait_gone(pid: int, timeout: float = STOP_TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


class Procs:
    """Launcher processes and pids to stop at teardown, whatever happened."""

    def __init__(self) -> None:
        self.popens: List[subprocess.Popen[str]] = []
        self.pids: List[int] = []

    def spawn(self, *args: str, **kwargs: Any) -> "subprocess.Popen[str]":
        proc = subprocess.Popen([sys.executable, str(LAUNCHER), *args], text=True, **kwargs)
        self.popens.append(proc)
        return proc

    def cleanup(self) -> None:
        for pid in self.pids:
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
        for proc in self.popens:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=STOP_TIMEOUT_S)
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()


@pytest.fixture
def procs() -> Iterator[Procs]:
    tracked = Procs()
    try:
        yield tracked
    finally:
        tracked.cleanup()


def run(*args: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, str(LAUNCHER), *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=START_TIMEOUT_S + STOP_TIMEOUT_S)


def read_lines_until(proc: "subprocess.Popen[str]", pattern: str, timeout: float = START_TIMEOUT_S) -> List[str]:
    """stdout lines up to and including the first one that starts with pattern."""
    lines: "queue.Queue[str | None]" = queue.Queue()

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
            if line.startswith(pattern):
                return
        lines.put(None)

    threading.Thread(target=reader, daemon=True).start()
    seen: List[str] = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no {pattern!r} line within {timeout} s; got {seen}") from None
        if line is None:
            raise AssertionError(f"stdout closed before {pattern!r} (exit {proc.poll()}); got {seen}")
        seen.append(line)
        if line.startswith(pattern):
            return seen


def exports(lines: List[str]) -> Dict[str, str]:
    return {m.group(1): m.group(2) for m in map(EXPORT_RE.match, lines) if m}


def kms(region: str, endpoint_url: str | None = None) -> Any:
    import boto3

    return boto3.client("kms", region_name=region, endpoint_url=endpoint_url)


def mrk_round_trip(endpoint_url: str | None) -> None:
    """MRK in us-east-1, replica in us-west-2: encrypt in the east, decrypt in both."""
    east, west = kms(EAST, endpoint_url), kms(WEST, endpoint_url)
    key = east.create_key(MultiRegion=True, Description="kms-local test")["KeyMetadata"]
    assert key["KeyId"].startswith("mrk-") and len(key["KeyId"]) == 40, key["KeyId"]
    replica = east.replicate_key(KeyId=key["KeyId"], ReplicaRegion=WEST)["ReplicaKeyMetadata"]
    assert replica["Arn"] == key["Arn"].replace(f":{EAST}:", f":{WEST}:")
    blob = east.encrypt(KeyId=key["Arn"], Plaintext=b"hello", EncryptionContext=CONTEXT)["CiphertextBlob"]
    # Stock moto 5.2.5 fails both with AccessDeniedException (the key id is cut to 36 bytes).
    west_answer = west.decrypt(CiphertextBlob=blob, KeyId=replica["Arn"], EncryptionContext=CONTEXT)
    assert west_answer["Plaintext"] == b"hello"
    assert west_answer["KeyId"] == replica["Arn"]
    east_answer = east.decrypt(CiphertextBlob=blob, KeyId=key["Arn"], EncryptionContext=CONTEXT)
    assert east_answer["Plaintext"] == b"hello"


def test_serve_prints_settings_serves_mrk_and_stops_on_sigterm(
    procs: Procs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    with open(tmp_path / "stderr", "w") as stderr:
        # stdin on /dev/null: --serve does not stop at stdin EOF (the test mode does).
        proc = procs.spawn("--serve", "--port", str(port), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=stderr)
    lines = read_lines_until(proc, "unset ")
    endpoint_url = f"http://127.0.0.1:{port}"
    assert lines[0].startswith("# local KMS") and endpoint_url in lines[0], lines
    assert exports(lines) == {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": EAST,
        "AWS_DEFAULT_REGION": EAST,
    }, lines
    assert lines[-1] == "unset AWS_SESSION_TOKEN AWS_PROFILE"

    mrk_round_trip(endpoint_url)  # boto3 endpoint_url=
    for name, value in exports(lines).items():  # boto3 configured only by the printed lines
        monkeypatch.setenv(name, value)
    mrk_round_trip(None)

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=STOP_TIMEOUT_S) == 0, (tmp_path / "stderr").read_text()
    assert port_is_free(port)


def test_background_status_stop_round_trip(procs: Procs, tmp_path: Path) -> None:
    state = tmp_path / "state"
    port = free_port()
    started = run("--background", "--port", str(port), "--state-dir", str(state))
    pid_file = state / "kms-local.pid"
    if pid_file.exists():
        procs.pids.append(int(pid_file.read_text()))
    assert started.returncode == 0, started.stderr
    endpoint_url = f"http://127.0.0.1:{port}"
    assert exports(started.stdout.splitlines())["AWS_ENDPOINT_URL"] == endpoint_url, started.stdout
    pid = int(pid_file.read_text())
    assert pid_alive(pid)
    assert (state / "kms-local.endpoint").read_text().strip() == endpoint_url
    assert (state / "kms-local.log").exists()

    status = run("--status", "--state-dir", str(state))
    assert status.returncode == 0, status
    assert status.stdout.strip() == f"running (pid {pid}) at {endpoint_url}"
    mrk_round_trip(endpoint_url)

    again = run("--background", "--state-dir", str(state))  # reuses the running one
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stderr
    assert exports(again.stdout.splitlines())["AWS_ENDPOINT_URL"] == endpoint_url
    assert int(pid_file.read_text()) == pid

    other_port = run("--background", "--port", str(free_port()), "--state-dir", str(state))
    assert other_port.returncode == 1 and "already runs at" in other_port.stderr, other_port

    stopped = run("--stop", "--state-dir", str(state))
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.strip() == f"stopped (pid {pid}, {endpoint_url})"
    assert wait_gone(pid)
    assert not pid_file.exists() and not (state / "kms-local.endpoint").exists()
    assert port_is_free(port)

    after = run("--status", "--state-dir", str(state))
    assert after.returncode == 3 and after.stdout.startswith("not running"), after
    twice = run("--stop", "--state-dir", str(state))
    assert twice.returncode == 0 and twice.stdout.strip() == "not running", twice


def test_two_background_starts_at_once_give_one_server(procs: Procs, tmp_path: Path) -> None:
    state = tmp_path / "state"
    starts = [
        procs.spawn("--background", "--state-dir", str(state),
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = [proc.communicate(timeout=START_TIMEOUT_S + 10) for proc in starts]
    pid_file = state / "kms-local.pid"
    if pid_file.exists():
        procs.pids.append(int(pid_file.read_text()))
    for proc, (out, err) in zip(starts, results):
        assert proc.returncode == 0, err
    endpoints = {exports(out.splitlines())["AWS_ENDPOINT_URL"] for out, _ in results}
    assert len(endpoints) == 1, results
    # One of the two started the server, the other found it running.
    assert sum("already running" in err for _, err in results) == 1, results
    pid = int(pid_file.read_text())
    def command_line(p: str) -> str:
        try:
            return Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # gone meanwhile
            return ""

    servers = [
        int(p) for p in os.listdir("/proc")
        if p.isdigit() and str(state) in command_line(p) and "--detached" in command_line(p)
        and pid_alive(int(p))
    ]
    assert servers == [pid], servers
    stopped = run("--stop", "--state-dir", str(state))
    assert stopped.returncode == 0, stopped.stderr
    assert wait_gone(pid)


def test_stale_pid_file_is_not_trusted(tmp_path: Path) -> None:
    # A pid that is gone, then a live process that is not the launcher.
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / "kms-local.pid").write_text(f"{dead.pid}\n")
    status = run("--status", "--state-dir", str(tmp_path))
    assert status.returncode == 3 and "stale pid file" in status.stderr, status
    assert not (tmp_path / "kms-local.pid").exists()

    other = subprocess.Popen(["sleep", "60"])
    try:
        (tmp_path / "kms-local.pid").write_text(f"{other.pid}\n")
        stopped = run("--stop", "--state-dir", str(tmp_path))
        assert stopped.returncode == 0 and stopped.stdout.strip() == "not running", stopped
        assert other.poll() is None, "--stop signalled a process that is not the launcher"
    finally:
        other.kill()
        other.wait()


def test_background_on_busy_port_fails_clearly(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run("--background", "--port", str(port), "--state-dir", str(tmp_path))
    assert result.returncode == 1, result
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr, result.stderr
    assert "make kms-local-stop" in result.stderr, result.stderr
    assert not (tmp_path / "kms-local.pid").exists()
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (["--stop", "--port", "4566"], "--port goes with"),
        (["--state-dir", "/tmp"], "--state-dir goes with"),
        (["--serve", "--background"], "not allowed with"),
        (["--port", "70000"], "not in 0..65535"),
        (["--port", "x"], "not a port number"),
    ],
)
def test_bad_arguments_exit_2(args: List[str], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2 and message in result.stderr, result


def test_no_argument_mode_for_test_suites_is_unchanged(procs: Procs) -> None:
    proc = procs.spawn(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    (line,) = read_lines_until(proc, "MOTO_ENDPOINT=")
    match = re.fullmatch(r"MOTO_ENDPOINT=(http://127\.0\.0\.1:(\d+))", line)
    assert match, line
    mrk_round_trip(match.group(1))
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.close()  # stdin EOF stops it
    assert proc.wait(timeout=STOP_TIMEOUT_S) == 0
    assert proc.stdout.read() == ""  # exactly one line on stdout
    assert port_is_free(int(match.group(2)))


def test_stdin_mode_exits_at_once_on_dev_null() -> None:
    result = subprocess.run([sys.executable, str(LAUNCHER)], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=START_TIMEOUT_S)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"MOTO_ENDPOINT=http://127\.0\.0\.1:\d+\n", result.stdout), result.stdout


def make_env(**extra: str) -> Dict[str, str]:
    """A user's shell: no make variables inherited from an outer make."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update(extra)
    return env


def test_make_kms_local_targets(procs: Procs, tmp_path: Path) -> None:
    repo = HERE.parents[1]
    state = tmp_path / "state"
    port = free_port()
    env = make_env(KMS_STATE_DIR=str(state), KMS_PORT=str(port))
    try:
        started = subprocess.run(["make", "-s", "-C", str(repo), "kms-local"], env=env, capture_output=True,
                                 text=True, stdin=subprocess.DEVNULL, timeout=600)
        if (state / "kms-local.pid").exists():
            procs.pids.append(int((state / "kms-local.pid").read_text()))
        assert started.returncode == 0, started.stderr
        # stdout is only the shell lines, so `eval "$(make -s kms-local)"` works.
        lines = started.stdout.splitlines()
        assert lines[0].startswith("# local KMS") and lines[-1].startswith("unset "), started.stdout
        assert all(line.startswith(("#", "export ", "unset ")) for line in lines), started.stdout
        assert exports(lines)["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{port}"

        status = subprocess.run(["make", "-s", "-C", str(repo), "kms-local-status"], env=env,
                                capture_output=True, text=True, timeout=60)
        assert status.returncode == 0 and status.stdout.startswith("running (pid "), status
        stopped = subprocess.run(["make", "-s", "-C", str(repo), "kms-local-stop"], env=env,
                                 capture_output=True, text=True, timeout=60)
        assert stopped.returncode == 0 and stopped.stdout.startswith("stopped (pid "), stopped
        status = subprocess.run(["make", "-s", "-C", str(repo), "kms-local-status"], env=env,
                                capture_output=True, text=True, timeout=60)
        assert status.returncode == 0 and status.stdout.startswith("not running"), status
        assert port_is_free(port)
    finally:
        run("--stop", "--state-dir", str(state))
