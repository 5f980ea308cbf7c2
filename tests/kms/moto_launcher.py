#!/usr/bin/env python3
"""Local AWS KMS endpoint for mrkenv tests: moto's server with a multi-Region key fix.

Subprocess use (Python and Node tests)::

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
import sys
import threading
from collections.abc import Callable

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
        raise LauncherError(f"cannot listen on {host}:{port}: {exc}") from exc

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


def _watch_stdin(stop_event: threading.Event) -> None:
    """Set stop_event once stdin reaches EOF (or cannot be read)."""
    try:
        fd = sys.stdin.fileno() if sys.stdin is not None else 0
        while os.read(fd, 65536):
            pass  # anything the parent writes is ignored
    except (OSError, ValueError):
        pass  # closed / invalid stdin counts as EOF
    stop_event.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="moto_launcher.py",
        description=(
            "Start a patched moto server on 127.0.0.1 (free port), print "
            "MOTO_ENDPOINT=http://127.0.0.1:<port>, run until stdin EOF or SIGTERM/SIGINT."
        ),
    )
    parser.parse_args(argv)

    # stdout carries exactly one line.  Anything moto (or a library) prints is
    # sent to stderr instead.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr

    stop_event = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop_event.set()

    for sig in (signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, on_signal)

    try:
        endpoint_url, stop = start_moto(DEFAULT_HOST, 0)
    except LauncherError as exc:
        print(f"moto_launcher: error: {exc}", file=sys.stderr, flush=True)
        return 1
    except Exception as exc:  # unexpected: keep the traceback for debugging
        import traceback

        traceback.print_exc()
        print(f"moto_launcher: error: failed to start moto: {exc!r}", file=sys.stderr, flush=True)
        return 1

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
