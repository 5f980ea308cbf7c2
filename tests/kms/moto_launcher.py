#!/usr/bin/env python3
"""Local AWS KMS endpoint for mrkenv: moto's server with a multi-Region key fix.

For people (``make kms-local`` / ``make kms-local-stop`` run the second and last)::

    python3 tests/kms/moto_launcher.py --serve [--port N]       # foreground, Ctrl-C stops
    python3 tests/kms/moto_launcher.py --background [--port N] [--state-dir DIR]
    python3 tests/kms/moto_launcher.py --status [--state-dir DIR]   # exit 3: not running
    python3 tests/kms/moto_launcher.py --stop [--state-dir DIR]

``--serve`` and ``--background`` print shell lines to stdout (a ``#`` comment with
the endpoint, then ``export AWS_ENDPOINT_URL=http://127.0.0.1:<port>``, dummy
credentials ``testing``/``testing``, ``AWS_REGION``, and ``unset
AWS_SESSION_TOKEN AWS_PROFILE``), so ``eval "$(... --background)"`` configures a
shell.  ``--background`` starts a detached ``--serve`` child in its own session
(stdin /dev/null) whose pid file ``kms-local.pid``, endpoint file
``kms-local.endpoint`` and log ``kms-local.log`` live in the state dir (default
``<repo>/target/kms-local``), waits until it listens and returns; it reuses a
server that already runs there.  ``--port`` defaults to 0 (a free port).

Subprocess use (Python and Node tests), no arguments (or only ``--port``)::

    python3 tests/kms/moto_launcher.py

* applies the moto patch described below,
* starts moto's threaded WSGI server on 127.0.0.1, port chosen by the OS,
* prints exactly one line ``MOTO_ENDPOINT=http://127.0.0.1:<port>`` to stdout and
  flushes it (nothing else is ever written to stdout),
* runs until stdin reaches EOF (the parent closed the pipe or died) or SIGTERM /
  SIGINT / SIGHUP arrives, then stops the server and exits 0,
* on any start-up error writes ``moto_launcher: error: ...`` to stderr and exits 1
  (2 for bad command-line arguments).

In-process use (pytest fixtures)::

    from moto_launcher import start_moto
    endpoint_url, stop = start_moto()
    ...
    stop()

Python 3.11, stdlib + ``moto[server]==5.2.5`` only.

The moto patch
--------------
moto 5.2.5 (``moto/kms/utils.py``) serialises its fake ciphertext blob as
``struct.pack(">36s12s16s", key_id, iv, tag) + ciphertext``: the key id lives in a
fixed 36-byte field (``KEY_ID_LEN``).  moto's multi-Region key ids are ``"mrk-"`` +
a 36-character dashed UUID = 40 characters, so ``struct`` silently truncates them,
Decrypt then looks up the truncated id, does not find it and raises
AccessDeniedException for every MRK ciphertext.

The patch, applied to the ``moto.kms.utils`` module object at runtime (never to files
in site-packages), widens the field to 40 bytes:

* ``KEY_ID_LEN = 40``
* ``HEADER_LEN = KEY_ID_LEN + IV_LEN + TAG_LEN`` (= 68)
* ``CIPHERTEXT_HEADER_FORMAT = ">40s12s16s"``
* ``_serialize_ciphertext_blob`` is replaced by a version that refuses (instead of
  silently truncating) a key id that does not fit the field;
* ``_deserialize_ciphertext_blob`` is replaced by a version that strips the NUL
  padding ``struct`` adds to 36-character (plain UUID) key ids.

``encrypt``/``decrypt`` in that module look these globals up at call time, and
``moto.kms.models`` only imports ``encrypt``/``decrypt`` (not the constants or the
(de)serialisers), so rebinding the module attributes is sufficient.  Blobs made by
an unpatched moto are not readable by a patched one and vice versa; that does not
matter because each server process only ever sees its own blobs.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "start_moto",
    "apply_moto_patch",
    "LauncherError",
    "ENDPOINT_PREFIX",
    "EXPECTED_MOTO_VERSION",
]

ENDPOINT_PREFIX = "MOTO_ENDPOINT="
EXPECTED_MOTO_VERSION = "5.2.5"
DEFAULT_HOST = "127.0.0.1"

# Width of the key-id field after patching: "mrk-" + 36-char UUID.
PATCHED_KEY_ID_LEN = 40

# Set MRKENV_MOTO_LOG=1 to keep werkzeug's one-line-per-request access log (stderr).
LOG_ENV_VAR = "MRKENV_MOTO_LOG"

_patch_lock = threading.Lock()


class LauncherError(RuntimeError):
    """A start-up problem that should be reported as a one-line error."""


def apply_moto_patch() -> None:
    """Widen moto's ciphertext-blob key-id field so multi-Region key ids fit.

    Idempotent.  Raises LauncherError if moto.kms.utils does not look like the
    moto 5.2.5 module the patch was written against.
    """
    with _patch_lock:
        try:
            import moto.kms.utils as kms_utils
        except ImportError as exc:
            raise LauncherError(
                f"cannot import moto.kms ({exc}); install it with "
                f"pip install 'moto[server]=={EXPECTED_MOTO_VERSION}'"
            ) from exc

        if getattr(kms_utils, "_mrkenv_key_id_patch", False):
            return

        expected = {
            "KEY_ID_LEN": 36,
            "IV_LEN": 12,
            "TAG_LEN": 16,
            "HEADER_LEN": 64,
            "CIPHERTEXT_HEADER_FORMAT": ">36s12s16s",
        }
        actual = {name: getattr(kms_utils, name, None) for name in expected}
        missing_funcs = [
            name
            for name in ("_serialize_ciphertext_blob", "_deserialize_ciphertext_blob", "Ciphertext")
            if not hasattr(kms_utils, name)
        ]
        if actual != expected or missing_funcs:
            raise LauncherError(
                "moto.kms.utils does not have the layout this patch was written for "
                f"(moto {_moto_version()}, expected {EXPECTED_MOTO_VERSION}): "
                f"found {actual}, missing {missing_funcs}; "
                "re-check tests/kms/moto_launcher.py against the installed moto"
            )

        key_id_len = PATCHED_KEY_ID_LEN
        iv_len = kms_utils.IV_LEN
        tag_len = kms_utils.TAG_LEN
        header_format = f">{key_id_len}s{iv_len}s{tag_len}s"
        header_len = key_id_len + iv_len + tag_len
        assert struct.calcsize(header_format) == header_len
        ciphertext_cls = kms_utils.Ciphertext

        def _serialize_ciphertext_blob(ciphertext):  # type: ignore[no-untyped-def]
            key_id = ciphertext.key_id.encode("utf-8")
            if len(key_id) > key_id_len:
                # struct would silently truncate, which is the bug being fixed.
                raise ValueError(
                    f"key id {ciphertext.key_id!r} longer than {key_id_len} bytes"
                )
            header = struct.pack(header_format, key_id, ciphertext.iv, ciphertext.tag)
            return header + ciphertext.ciphertext

        def _deserialize_ciphertext_blob(ciphertext_blob):  # type: ignore[no-untyped-def]
            # Any exception here becomes InvalidCiphertextException in decrypt().
            header = ciphertext_blob[:header_len]
            body = ciphertext_blob[header_len:]
            key_id, iv, tag = struct.unpack(header_format, header)
            return ciphertext_cls(
                key_id=key_id.rstrip(b"\x00").decode("utf-8"),
                iv=iv,
                ciphertext=body,
                tag=tag,
            )

        _serialize_ciphertext_blob.__doc__ = (
            "mrkenv test patch: moto ciphertext header with a 40-byte key-id field."
        )
        _deserialize_ciphertext_blob.__doc__ = (
            "mrkenv test patch: reads the 40-byte key-id field, strips NUL padding."
        )

        kms_utils.KEY_ID_LEN = key_id_len
        kms_utils.HEADER_LEN = header_len
        kms_utils.CIPHERTEXT_HEADER_FORMAT = header_format
        kms_utils._serialize_ciphertext_blob = _serialize_ciphertext_blob
        kms_utils._deserialize_ciphertext_blob = _deserialize_ciphertext_blob
        kms_utils._mrkenv_key_id_patch = True


def _moto_version() -> str:
    try:
        import moto

        return str(getattr(moto, "__version__", "unknown"))
    except Exception:  # pragma: no cover - only used in messages
        return "not importable"


def _quiet_request_log() -> None:
    """Silence werkzeug's per-request INFO log unless MRKENV_MOTO_LOG=1.

    A parent that pipes our stderr and never reads it would otherwise eventually
    block the server once the pipe buffer fills.  Warnings/errors still go out.
    """
    if os.environ.get(LOG_ENV_VAR, "") not in ("", "0"):
        return
    logger = logging.getLogger("werkzeug")
    if logger.level in (logging.NOTSET, logging.DEBUG, logging.INFO):
        logger.setLevel(logging.WARNING)


def start_moto(host: str = DEFAULT_HOST, port: int = 0) -> tuple[str, Callable[[], None]]:
    """Patch moto and start its server in a background thread of this process.

    Returns ``(endpoint_url, stop)``; ``stop()`` shuts the server down, is
    idempotent and safe to call from any thread.  The port defaults to 0 (the OS
    picks a free one; the endpoint URL carries the real port).  Raises
    LauncherError (a RuntimeError) if moto is missing/unexpected or the socket
    cannot be bound.
    """
    apply_moto_patch()
    try:
        from werkzeug.serving import make_server

        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
    except ImportError as exc:
        raise LauncherError(
            f"cannot import moto's server ({exc}); install it with "
            f"pip install 'moto[server]=={EXPECTED_MOTO_VERSION}'"
        ) from exc

    _quiet_request_log()

    # Same construction as moto.server.ThreadedMotoServer, but the socket is bound
    # here, in the caller's thread, so bind errors surface as exceptions instead
    # of ThreadedMotoServer.start() waiting forever for a thread that died.
    app = DomainDispatcherApplication(create_backend_app)
    try:
        server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    except (OSError, SystemExit) as exc:
        # werkzeug prints the OS error itself and raises SystemExit(1): name it here too.
        reason = exc if isinstance(exc, OSError) else _bind_error(host, port)
        raise LauncherError(f"cannot listen on {host}:{port}: {reason}") from exc

    bound_host, bound_port = server.server_address[:2]
    endpoint_url = f"http://{bound_host}:{bound_port}"

    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},  # how quickly shutdown() is noticed
        name=f"moto-server-{bound_port}",
        daemon=True,
    )
    thread.start()

    stop_lock = threading.Lock()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        with stop_lock:
            if stopped:
                return
            stopped = True
            server.shutdown()  # waits for serve_forever() to return
            server.server_close()
            thread.join(timeout=10)

    return endpoint_url, stop


def _bind_error(host: str, port: int) -> str:
    """Why host:port cannot be listened on, found by trying (as werkzeug does)."""
    import socket

    try:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(1)
    except OSError as exc:
        return str(exc.strerror or exc).lower()
    return "the server could not bind it"


def _watch_stdin(stop_event: threading.Event) -> None:
    """Set stop_event once stdin reaches EOF (or cannot be read)."""
    try:
        fd = sys.stdin.fileno() if sys.stdin is not None else 0
        while os.read(fd, 65536):
            pass  # anything the parent writes is ignored
    except (OSError, ValueError):
        pass  # closed / invalid stdin counts as EOF
    stop_event.set()


# ---- the modes for people: --serve, --background, --status, --stop ----

# Where --background keeps its pid file, endpoint file and log, unless --state-dir.
DEFAULT_STATE_DIR = Path(__file__).resolve().parents[2] / "target" / "kms-local"
PID_FILE = "kms-local.pid"
ENDPOINT_FILE = "kms-local.endpoint"
LOG_FILE = "kms-local.log"
# Held (flock) while --background checks for a server and starts one, so two
# starts at the same moment give one server, not two.
LOCK_FILE = "kms-local.lock"
# Region printed for AWS_REGION: any Region works, one endpoint serves them all.
EXAMPLE_REGION = "us-east-1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
# Exit status of --status when no server runs (as LSB init scripts do).
EXIT_NOT_RUNNING = 3


def env_lines(endpoint_url: str) -> list[str]:
    """The shell lines that point an AWS SDK at endpoint_url with dummy credentials.

    Every line is valid POSIX shell, so ``eval "$(moto_launcher.py --background)"``
    sets them in the caller's shell.
    """
    return [
        f"# local KMS (moto {EXPECTED_MOTO_VERSION} with mrkenv's multi-Region key fix)"
        f" at {endpoint_url}; every Region is served here",
        f"export AWS_ENDPOINT_URL={endpoint_url}",
        "export AWS_ACCESS_KEY_ID=testing",
        "export AWS_SECRET_ACCESS_KEY=testing",
        f"export AWS_REGION={EXAMPLE_REGION}",
        f"export AWS_DEFAULT_REGION={EXAMPLE_REGION}",
        "unset AWS_SESSION_TOKEN AWS_PROFILE",
    ]


def _install_stop_signals(stop_event: threading.Event) -> None:
    def on_signal(signum: int, _frame: object) -> None:
        stop_event.set()

    for sig in (signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, on_signal)


def _start_or_report(port: int) -> tuple[str, Callable[[], None]] | None:
    """start_moto() on 127.0.0.1:port; None (after the one-line error) on failure."""
    try:
        return start_moto(DEFAULT_HOST, port)
    except LauncherError as exc:
        hint = ""
        if port and "in use" in str(exc).lower():
            hint = " (another local KMS? `make kms-local-stop` stops the background one)"
        print(f"moto_launcher: error: {exc}{hint}", file=sys.stderr, flush=True)
        return None
    except Exception as exc:  # unexpected: keep the traceback for debugging
        import traceback

        traceback.print_exc()
        print(f"moto_launcher: error: failed to start moto: {exc!r}", file=sys.stderr, flush=True)
        return None


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _serve(port: int, state_dir: Path | None, real_stdout: Any) -> int:
    """Foreground server: print the endpoint and env lines, run until a signal.

    With state_dir (the detached child of --background) it also writes the
    endpoint and pid files there once listening, and removes them on the way out.
    """
    stop_event = threading.Event()
    _install_stop_signals(stop_event)
    started = _start_or_report(port)
    if started is None:
        return 1
    endpoint_url, stop = started
    pid_path = endpoint_path = None
    try:
        if state_dir is not None:
            endpoint_path = state_dir / ENDPOINT_FILE
            pid_path = state_dir / PID_FILE
            _write_atomic(endpoint_path, endpoint_url + "\n")
            _write_atomic(pid_path, f"{os.getpid()}\n")  # written last: "ready"
            print(f"moto_launcher: pid {os.getpid()} serving {endpoint_url} since "
                  f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')}", file=sys.stderr, flush=True)
        try:
            real_stdout.write("\n".join(env_lines(endpoint_url)) + "\n")
            if state_dir is None:
                real_stdout.write("# Ctrl-C stops it\n")
            real_stdout.flush()
        except (OSError, ValueError):
            pass  # nobody reads stdout any more: keep serving
        while not stop_event.wait(0.1):
            pass
        print("moto_launcher: stopping", file=sys.stderr, flush=True)
    finally:
        stop()
        if pid_path is not None and _read_pid(pid_path) == os.getpid():
            for path in (pid_path, endpoint_path):
                try:
                    path.unlink()  # type: ignore[union-attr]
                except FileNotFoundError:
                    pass
    return 0


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


def _is_launcher_process(pid: int) -> bool:
    """Whether pid is alive, not a zombie, and (where /proc tells) this launcher.

    Guards --stop against a stale pid file whose pid the OS gave to another process.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process: not ours
    proc = Path("/proc") / str(pid)
    if proc.is_dir():
        try:
            stat = (proc / "stat").read_text()
            if stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X"):
                return False
            return b"moto_launcher" in (proc / "cmdline").read_bytes()
        except OSError:
            return False
    return True


def _running(state_dir: Path) -> tuple[int, str] | None:
    """(pid, endpoint) of the background server of state_dir, or None.

    Removes the pid and endpoint files when they name a process that is gone.
    """
    pid_path = state_dir / PID_FILE
    pid = _read_pid(pid_path)
    if pid is None:
        return None
    if not _is_launcher_process(pid):
        for name in (PID_FILE, ENDPOINT_FILE):
            try:
                (state_dir / name).unlink()
            except FileNotFoundError:
                pass
        print(f"moto_launcher: removed a stale pid file (pid {pid} is gone)", file=sys.stderr)
        return None
    try:
        endpoint_url = (state_dir / ENDPOINT_FILE).read_text().strip()
    except FileNotFoundError:
        endpoint_url = "(unknown endpoint)"
    return pid, endpoint_url


def _background(port: int, state_dir: Path, real_stdout: Any) -> int:
    """Start a detached --serve child that writes its state under state_dir.

    Another --background on the same state dir waits until this one has a
    running server (or failed), then reuses it.
    """
    import fcntl  # POSIX only, as --background is

    state_dir.mkdir(parents=True, exist_ok=True)
    with open(state_dir / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        return _background_locked(port, state_dir, real_stdout)


def _background_locked(port: int, state_dir: Path, real_stdout: Any) -> int:
    running = _running(state_dir)
    if running is not None:
        pid, endpoint_url = running
        if port and not endpoint_url.endswith(f":{port}"):
            print(
                f"moto_launcher: error: a local KMS already runs at {endpoint_url} (pid {pid}); "
                "stop it first (--stop, or make kms-local-stop)",
                file=sys.stderr,
            )
            return 1
        print(f"moto_launcher: already running (pid {pid})", file=sys.stderr)
        real_stdout.write("\n".join(env_lines(endpoint_url)) + "\n")
        real_stdout.flush()
        return 0

    log_path = state_dir / LOG_FILE
    with open(log_path, "ab") as log:
        child = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", "--port", str(port),
             "--state-dir", str(state_dir), "--detached"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # no Ctrl-C or hang-up from this terminal
            close_fds=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if _read_pid(state_dir / PID_FILE) == child.pid:
            endpoint_url = (state_dir / ENDPOINT_FILE).read_text().strip()
            print(
                f"moto_launcher: running in the background (pid {child.pid}, log {log_path}); "
                "stop it with --stop"
                + (f" --state-dir {state_dir}" if state_dir != DEFAULT_STATE_DIR else " (make kms-local-stop)"),
                file=sys.stderr,
            )
            real_stdout.write("\n".join(env_lines(endpoint_url)) + "\n")
            real_stdout.flush()
            return 0
        code = child.poll()
        if code is not None:
            tail = log_path.read_text(errors="replace").splitlines()[-10:]
            print("\n".join(tail), file=sys.stderr)
            print(f"moto_launcher: error: the background server exited with status {code} "
                  f"(log: {log_path})", file=sys.stderr)
            return 1
        time.sleep(0.05)
    child.terminate()
    print(f"moto_launcher: error: no endpoint after {START_TIMEOUT_S:.0f} s (log: {log_path})",
          file=sys.stderr)
    return 1


def _status(state_dir: Path, real_stdout: Any) -> int:
    running = _running(state_dir)
    if running is None:
        real_stdout.write(f"not running (state dir {state_dir})\n")
        return EXIT_NOT_RUNNING
    pid, endpoint_url = running
    real_stdout.write(f"running (pid {pid}) at {endpoint_url}\n")
    return 0


def _stop(state_dir: Path, real_stdout: Any) -> int:
    running = _running(state_dir)
    if running is None:
        real_stdout.write("not running\n")
        return 0
    pid, endpoint_url = running
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _is_launcher_process(pid):
        if time.monotonic() > deadline:
            print(f"moto_launcher: pid {pid} ignored SIGTERM for {STOP_TIMEOUT_S:.0f} s: SIGKILL",
                  file=sys.stderr)
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
            break
        time.sleep(0.05)
    for name in (PID_FILE, ENDPOINT_FILE):  # gone already unless it was killed
        try:
            (state_dir / name).unlink()
        except FileNotFoundError:
            pass
    real_stdout.write(f"stopped (pid {pid}, {endpoint_url})\n")
    return 0


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is not in 0..65535")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moto_launcher.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "A local AWS KMS on 127.0.0.1: moto's server with mrkenv's multi-Region key fix\n"
            "(stock moto 5.2.5 fails every Decrypt of a multi-Region key ciphertext with\n"
            "AccessDeniedException).\n\n"
            "Without a mode (for test suites): print MOTO_ENDPOINT=http://127.0.0.1:<port>,\n"
            "run until stdin reaches EOF or SIGTERM/SIGINT/SIGHUP."
        ),
        epilog=(
            "examples:\n"
            "  moto_launcher.py --serve --port 4566     # foreground, Ctrl-C stops it\n"
            '  eval "$(moto_launcher.py --background)"   # start, export AWS_ENDPOINT_URL etc.\n'
            "  moto_launcher.py --status\n"
            "  moto_launcher.py --stop"
        ),
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--serve", action="store_true",
                      help="run in the foreground until Ctrl-C or SIGTERM; stdin is not read")
    mode.add_argument("--background", action="store_true",
                      help="start a detached server (pid file and log in the state dir), "
                           "print its settings and return")
    mode.add_argument("--status", action="store_true",
                      help=f"say whether the background server runs (exit {EXIT_NOT_RUNNING} if not)")
    mode.add_argument("--stop", action="store_true",
                      help="stop the background server (exit 0 also when none runs)")
    parser.add_argument("--port", type=_port, default=None,
                        help="port on 127.0.0.1 (default 0: a free port chosen by the OS)")
    parser.add_argument("--state-dir", type=Path, default=None,
                        help=f"pid file, endpoint file and log of --background "
                             f"(default {DEFAULT_STATE_DIR})")
    parser.add_argument("--detached", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.port is not None and (args.status or args.stop):
        parser.error("--port goes with --serve, --background or no mode")
    if args.state_dir is not None and not (args.background or args.status or args.stop or args.detached):
        parser.error("--state-dir goes with --background, --status or --stop")
    if args.detached and not (args.serve and args.state_dir is not None):
        parser.error("--detached is internal to --background")
    port = args.port or 0
    state_dir = (args.state_dir or DEFAULT_STATE_DIR).resolve()

    # stdout carries only what this launcher prints.  Anything moto (or a
    # library) prints is sent to stderr instead.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr

    if args.serve:
        # Keep werkzeug's per-request log where someone reads it: a terminal,
        # or the log file of --background.  MRKENV_MOTO_LOG still decides.
        os.environ.setdefault(LOG_ENV_VAR, "1" if args.detached or sys.stderr.isatty() else "0")
        return _serve(port, state_dir if args.detached else None, real_stdout)
    if args.background:
        return _background(port, state_dir, real_stdout)
    if args.status:
        return _status(state_dir, real_stdout)
    if args.stop:
        return _stop(state_dir, real_stdout)
    return _stdin_mode(port, real_stdout)


def _stdin_mode(port: int, real_stdout: Any) -> int:
    """The test suites' interface: one MOTO_ENDPOINT= line, run until stdin EOF."""
    stop_event = threading.Event()
    _install_stop_signals(stop_event)
    started = _start_or_report(port)
    if started is None:
        return 1
    endpoint_url, stop = started

    try:
        try:
            real_stdout.write(f"{ENDPOINT_PREFIX}{endpoint_url}\n")
            real_stdout.flush()
        except (OSError, ValueError) as exc:
            print(f"moto_launcher: error: cannot write endpoint to stdout: {exc}", file=sys.stderr)
            return 1

        threading.Thread(target=_watch_stdin, args=(stop_event,), name="stdin-watch", daemon=True).start()

        # Short timed waits keep the main thread responsive to signals.
        while not stop_event.wait(0.1):
            pass
    finally:
        stop()
    return 0

if __name__ == "__main__":
    try:
        code = main()
    except KeyboardInterrupt:  # SIGINT before handlers were installed
        code = 0
    sys.stdout = sys.__stdout__
    sys.exit(code)
