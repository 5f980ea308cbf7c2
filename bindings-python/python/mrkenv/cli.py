"""The ``mrkenv`` command (also ``python -m mrkenv``).

::

    mrkenv encrypt --key-id ARN [--key-id ARN ...] [--context k=v ...]
                   [--frame-length N] [-i IN] [-o OUT] [-f]
    mrkenv decrypt (--key-id ARN ... | --discovery [--account ID ...] [--partition P])
                   [--context k=v ...] [-i IN] [-o OUT]
    mrkenv rekey (--key-id ARN | --discovery [--account ID] [--partition P])
                 [--add-key ARN ...] [--remove-key ARN ...] [--match-replicas]
                 [--context k=v ...] [IN | -i IN] [-o OUT] [-f]
    mrkenv inspect [FILE]

(encrypt, decrypt and rekey also take ``--progress`` / ``--no-progress``.)

``encrypt`` and ``decrypt`` call AWS KMS through boto3 (``pip install
'mrkenv[cli]'``); ``--region`` and ``--endpoint-url`` are passed to boto3, and
credentials come from boto3's usual chain (environment, profile, ...). Without
``--region`` the Region of the first ``--key-id`` ARN is used, else boto3's
default. Input and output default to stdin and stdout. An output file is
written to a temporary file beside it and renamed only on success, so a failure
never leaves a partial file behind; stdout redirected to a file is truncated
back on failure.

``rekey`` changes which keys can open a message without touching its body:
the data key is found the way ``decrypt`` finds it (``--key-id`` or
``--discovery``), wrapped again by every ``--add-key`` (one KMS keyring, whose
client is in the Region of those ARNs), and the encrypted data keys of every
``--remove-key`` are dropped; the frames are copied through unchanged, in
constant memory. Its options take one value each and repeat
(``--add-key A --add-key B``), so the input file may come last.

What the command does around the data (also in ``mrkenv --help``):

- An output file (``-o``) gets mode 0600 (read and write for its owner only)
  whatever the umask, also when it replaces an existing file: decrypted
  plaintext is never readable by others by accident, and an encrypted message
  names its keys and context in clear. ``chmod`` it afterwards to share it.
- ``encrypt`` and ``rekey`` refuse to write the (binary) message to a terminal
  unless ``--force`` (as gpg does); ``decrypt`` writes the user's own data
  wherever it is sent.
- ``--discovery`` without ``--account`` warns on stderr: a key of any AWS
  account that the credentials may use is trusted.
- A progress line on stderr (bytes done and total, rate) for inputs of
  ``PROGRESS_MIN_BYTES`` or more when stderr is a terminal; ``--progress``
  always, ``--no-progress`` never.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import stat
import sys
import tempfile
import time
from typing import IO, Any, Dict, List, Optional, Sequence

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

from . import _native
from ._errors import MrkenvError

PROG = "mrkenv"
PROGRESS_MIN_BYTES = 16 * 1024 * 1024
# The mode of every output file (``-o``): read and write for its owner only,
# whatever the umask and also when it replaces an existing file. Decrypted
# plaintext must not become readable by others by accident, and a message
# names its keys and encryption context in clear.
OUTPUT_MODE = 0o600
INSPECT_READ_BYTES = 256 * 1024 + 64


class CliError(Exception):
    """A one-line error for the user; exit status 1."""


def _parse_context(pairs: Optional[Sequence[str]]) -> Dict[str, str]:
    context: Dict[str, str] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--context {pair!r}: expected KEY=VALUE")
        if key in context and context[key] != value:
            raise CliError(f"--context: key {key!r} given twice with different values")
        context[key] = value
    return context


def _kms_client(region: Optional[str], endpoint_url: Optional[str]) -> Any:
    try:
        import boto3  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        raise CliError(
            "the mrkenv command needs boto3 to call AWS KMS: pip install 'mrkenv[cli]'"
        ) from None
    try:
        client = boto3.client("kms", region_name=region, endpoint_url=endpoint_url)
    except Exception as exc:  # botocore's NoRegionError and friends
        raise CliError(f"cannot create the KMS client: {exc}") from exc
    if not client.meta.region_name:
        raise CliError("no AWS Region: pass --region or set AWS_REGION")
    return client


def _default_region(args: argparse.Namespace) -> Optional[str]:
    if args.region:
        return str(args.region)
    for key_id in args.key_id or ():
        if key_id.startswith("arn:"):
            try:
                return str(_native.parse_arn(key_id).region)
            except MrkenvError:
                return None  # the keyring reports the bad ARN
    return None


class _Progress:
    """A reader that draws a progress line on stderr: bytes done (and of how
    many, when the input's size is known) and the rate."""

    def __init__(self, src: IO[bytes], total: Optional[int], label: str) -> None:
        self.src = src
        self.total = total
        self.label = label
        self.done = 0
        self.started = time.monotonic()
        self.last = 0.0

    def read(self, n: int = -1) -> bytes:
        data = self.src.read(n)
        self.done += len(data)
        now = time.monotonic()
        if now - self.last >= 0.2 or not data:
            self.last = now
            self.draw()
        return data

    def draw(self) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = f"{self.done / 1048576 / elapsed:.1f} MiB/s"
        if self.total is None:
            line = f"\r{self.label} {self.done / 1048576:.1f} MiB {rate}"
        else:
            fraction = min(1.0, self.done / self.total) if self.total else 1.0
            width = 30
            filled = int(fraction * width)
            bar = "#" * filled + "-" * (width - filled)
            line = (f"\r{self.label} [{bar}] {fraction * 100:5.1f}% "
                    f"{self.done / 1048576:.1f}/{self.total / 1048576:.1f} MiB {rate}")
        sys.stderr.write(line)
        sys.stderr.flush()

    def close(self) -> None:
        self.draw()
        sys.stderr.write("\n")
        sys.stderr.flush()


def _input_size(src: IO[bytes]) -> Optional[int]:
    """The size of a regular-file input (also stdin redirected from a file),
    else None (a pipe or terminal)."""
    try:
        info = os.fstat(src.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _progress_for(src: IO[bytes], choice: Optional[bool], label: str) -> Optional[_Progress]:
    """The progress reader over ``src``, or None: ``--progress`` (True)
    always, ``--no-progress`` (False) never, by default (None) when stderr is
    a terminal and the input is a file of ``PROGRESS_MIN_BYTES`` or more."""
    if choice is False:
        return None
    size = _input_size(src)
    if choice is None:
        try:
            terminal = sys.stderr.isatty()
        except (AttributeError, ValueError):
            terminal = False
        if not terminal or size is None or size < PROGRESS_MIN_BYTES:
            return None
    return _Progress(src, size, label)


def _refuse_terminal_output(args: argparse.Namespace, what: str) -> None:
    """Refuses to write a binary message to stdout when it is a terminal,
    unless ``--force`` (checked before KMS is called)."""
    if args.output not in (None, "-") or args.force:
        return
    try:
        terminal = sys.stdout.isatty()
    except (AttributeError, ValueError):
        terminal = False
    if terminal:
        raise CliError(
            f"refusing to write {what} (binary data) to a terminal: give -o FILE, "
            "redirect stdout (> FILE or | ...), or add --force"
        )


def _open_input(path: Optional[str]) -> IO[bytes]:
    if path is None or path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise CliError(f"cannot open input {path}: {exc.strerror or exc}") from exc


def _work_to_stdout(reader: Any, work: Any) -> None:
    """Runs ``work(reader, stdout)``. When stdout is a regular file (``> out``),
    a failure truncates it back to where it started, so no partial output is
    left there either; a pipe or terminal has already seen what was written."""
    out = sys.stdout.buffer
    start: Optional[int] = None
    try:
        fd = out.fileno()
        info = os.fstat(fd)
        if fcntl is not None and stat.S_ISREG(info.st_mode):
            out.flush()
            appending = bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND)
            here = info.st_size if appending else os.lseek(fd, 0, os.SEEK_CUR)
            # Only when writing at the end: never cut bytes that were there.
            start = here if here == info.st_size else None
    except (OSError, ValueError, io.UnsupportedOperation):
        start = None
    try:
        work(reader, out)
        out.flush()
    except BaseException:
        if start is not None:
            try:
                out.flush()
            except OSError:
                pass
            os.ftruncate(out.fileno(), start)
        raise


def _run_stream(args: argparse.Namespace, label: str, work: Any) -> None:
    """Opens input and output and runs ``work(src, dst)``; the output file is
    renamed into place only on success."""
    src = _open_input(args.input)
    progress: Optional[_Progress] = None
    try:
        progress = _progress_for(src, args.progress, label)
        reader: Any = progress if progress is not None else src
        if args.output is None or args.output == "-":
            _work_to_stdout(reader, work)
            return
        target = os.path.abspath(args.output)
        if os.path.isdir(target):
            raise CliError(f"cannot write output {args.output}: it is a directory")
        directory = os.path.dirname(target)
        try:
            fd, tmp = tempfile.mkstemp(
                prefix=f".{os.path.basename(target)}.", suffix=".part", dir=directory
            )
        except OSError as exc:
            raise CliError(f"cannot write output {args.output}: {exc.strerror or exc}") from exc
        try:
            # Deliberately 0600 whatever the umask (mkstemp's mode, said
            # here so that it does not rest on mkstemp): see OUTPUT_MODE.
            os.fchmod(fd, OUTPUT_MODE)
            with os.fdopen(fd, "wb") as dst:
                work(reader, dst)
                dst.flush()
                os.fsync(dst.fileno())
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    finally:
        if progress is not None:
            progress.close()
        if src is not sys.stdin.buffer:
            src.close()


def _cmd_encrypt(args: argparse.Namespace) -> None:
    _refuse_terminal_output(args, "the encrypted message")
    context = _parse_context(args.context)
    client = _kms_client(_default_region(args), args.endpoint_url)
    keyring = _native.KmsMrkKeyring(client, list(args.key_id), grant_tokens=args.grant_token)

    def work(src: IO[bytes], dst: IO[bytes]) -> None:
        _native.encrypt_stream(
            src, dst, keyring, encryption_context=context, frame_length=args.frame_length
        )

    _run_stream(args, "encrypt", work)


def _decrypting_keyring(args: argparse.Namespace) -> Any:
    """The keyring that finds the data key: strict (``--key-id``) or
    discovery (``--discovery``, in the client's Region), as ``decrypt`` builds it."""
    if args.discovery and args.key_id:
        raise CliError("give either --key-id or --discovery, not both")
    if not args.discovery and not args.key_id:
        raise CliError("give --key-id ARN (strict) or --discovery")
    if (args.account or args.partition) and not args.discovery:
        raise CliError("--account and --partition go with --discovery")
    if args.partition and not args.account:
        raise CliError("--partition needs at least one --account")
    if args.discovery and not args.account:
        sys.stderr.write(
            f"{PROG}: warning: --discovery without --account trusts a KMS key of any "
            "AWS account that your credentials may use; add --account ID to trust only "
            "that account's keys\n"
        )
        sys.stderr.flush()
    client = _kms_client(_default_region(args), args.endpoint_url)
    if args.discovery:
        discovery_filter = None
        if args.account:
            discovery_filter = _native.DiscoveryFilter(args.partition or "aws", list(args.account))
        return _native.KmsMrkDiscoveryKeyring(
            client,
            client.meta.region_name,
            discovery_filter=discovery_filter,
            grant_tokens=args.grant_token,
        )
    return _native.KmsMrkKeyring(client, list(args.key_id), grant_tokens=args.grant_token)


def _cmd_decrypt(args: argparse.Namespace) -> None:
    context = _parse_context(args.context)
    keyring = _decrypting_keyring(args)

    def work(src: IO[bytes], dst: IO[bytes]) -> None:
        _native.decrypt_stream(src, dst, keyring, encryption_context=context)

    _run_stream(args, "decrypt", work)


def _rekey_add_region(add_keys: Sequence[str], default: str) -> str:
    """The Region of the KMS client for ``--add-key``: that of the ARNs (one
    Region: a keyring calls one client), else the decrypting client's."""
    regions = set()
    for key_id in add_keys:
        if key_id.startswith("arn:"):
            try:
                regions.add(str(_native.parse_arn(key_id).region))
            except MrkenvError:
                pass  # the keyring reports the bad ARN
    if len(regions) > 1:
        raise CliError(
            f"--add-key: the keys are in several Regions ({', '.join(sorted(regions))}); "
            "a keyring calls one Region's KMS: re-key once per Region"
        )
    return regions.pop() if regions else default


def _cmd_rekey(args: argparse.Namespace) -> None:
    if args.file is not None and args.input is not None:
        raise CliError("give the input file once: IN or -i IN")
    if args.file is not None:
        args.input = args.file
    if not args.add_key and not args.remove_key:
        raise CliError("nothing to do: give --add-key ARN and/or --remove-key ARN")
    _refuse_terminal_output(args, "the re-keyed message")
    context = _parse_context(args.context)
    keyring = _decrypting_keyring(args)
    add = None
    if args.add_key:
        region = _rekey_add_region(args.add_key, keyring.client.meta.region_name)
        client = keyring.client
        if region != client.meta.region_name:
            client = _kms_client(region, args.endpoint_url)
        add = _native.KmsMrkKeyring(client, list(args.add_key), grant_tokens=args.grant_token)
    remove = list(args.remove_key or ())

    def work(src: IO[bytes], dst: IO[bytes]) -> None:
        _native.rekey_stream(src, dst, keyring, add=add, remove=remove,
                             encryption_context=context, match_replicas=args.match_replicas)

    _run_stream(args, "rekey", work)


def _cmd_inspect(args: argparse.Namespace) -> None:
    src = _open_input(args.file)
    try:
        prefix = src.read(INSPECT_READ_BYTES)
    finally:
        if src is not sys.stdin.buffer:
            src.close()
    summary = _native.inspect(prefix)
    json.dump(summary, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")
    sys.stdout.flush()


TOP_DESCRIPTION = """\
Envelope encryption with AWS KMS multi-Region keys (mrkenv format): encrypt
in one Region, decrypt in another with the replica of the same key. KMS is
called through boto3 (pip install 'mrkenv[cli]')."""

TOP_EPILOG = """\
environment (read by boto3, as by the AWS CLI):
  AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_KMS
                        the KMS endpoint when --endpoint-url is not given,
                        e.g. a local KMS (http://127.0.0.1:PORT)
  AWS_REGION, AWS_DEFAULT_REGION
                        the Region when --region is not given and no --key-id
                        ARN names one
  AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
  AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE
                        credentials and configuration (boto3's usual chain)

output:
  -o FILE is written to a temporary file beside FILE and renamed into place
  only on success (nothing is left on failure). It gets mode 0600 (read and
  write for its owner only) whatever the umask, also when it replaces a
  file; chmod it to share it. Without -o the output goes to stdout; encrypt
  and rekey refuse to write to a terminal unless --force. A progress line
  is drawn on stderr for inputs of 16 MiB or more when stderr is a terminal
  (--progress: always, --no-progress: never).

exit status: 0 done, 1 error (one line on stderr), 2 usage, 130 interrupted

examples:
  mrkenv encrypt --key-id "$EAST_ARN" -i report.csv -o report.csv.mrke
  mrkenv inspect report.csv.mrke
  mrkenv decrypt --key-id "$WEST_ARN" -i report.csv.mrke -o report.csv
  AWS_ENDPOINT_URL=http://127.0.0.1:4566 mrkenv decrypt --discovery \\
      --account 111122223333 --region us-west-2 -i report.csv.mrke -o report.csv

mrkenv COMMAND --help describes each command."""

ENCRYPT_DESCRIPTION = """\
Encrypt IN (default stdin) to an mrkenv message in OUT (default stdout). A
fresh data key is generated by the first --key-id's KMS key and wrapped by
every other one; any of them (or, for a multi-Region key, any replica of it)
can decrypt. The encryption context is stored in clear and authenticated;
decrypt can require pairs of it. The KMS client is in --region, else the
Region of the first key ARN, else boto3's default (AWS_REGION)."""

ENCRYPT_EPILOG = """\
examples:
  # one multi-Region key, readable in us-east-1 and with its replicas
  mrkenv encrypt --key-id "$EAST_ARN" --context tenant=acme -i report.csv -o report.csv.mrke
  # two keys of one Region (each can decrypt), stdin to a pipe
  tar c data/ | mrkenv encrypt --key-id "$KEY1_ARN" "$KEY2_ARN" | aws s3 cp - s3://bucket/data.tar.mrke
  # against a local KMS
  AWS_ENDPOINT_URL=http://127.0.0.1:4566 mrkenv encrypt --key-id "$EAST_ARN" -i note.txt -o note.txt.mrke

The message is binary: it is not written to a terminal unless --force. OUT
gets mode 0600."""

DECRYPT_DESCRIPTION = """\
Decrypt an mrkenv message IN (default stdin) to OUT (default stdout). The data
key is opened either strictly with the --key-id key ARNs (a multi-Region key's
ARN also opens what its replicas in other Regions wrapped; KMS is called in
the ARN's Region) or with --discovery: any KMS key in the client's Region that
your credentials may use, limited by --account (recommended; without it a
warning is printed). Every frame is authenticated before it is written; on
failure OUT is not created (a file that stdout is redirected to is cut back)."""

DECRYPT_EPILOG = """\
examples:
  # strict, with the replica in us-west-2
  mrkenv decrypt --key-id "$WEST_ARN" --context tenant=acme -i report.csv.mrke -o report.csv
  # discovery in us-west-2, only keys of one account
  mrkenv decrypt --discovery --account 111122223333 --region us-west-2 -i report.csv.mrke > report.csv

The plaintext is written wherever it is sent, a terminal included. OUT gets
mode 0600."""

REKEY_DESCRIPTION = """\
Change which KMS keys can open a message without touching its body. The data
key is opened the way decrypt opens it (--key-id or --discovery), wrapped again
by every --add-key (keys of one Region), and the encrypted data keys of every
--remove-key are dropped; the encrypted frames are copied unchanged, in
constant memory. The encryption context never changes. Re-keying is not
revocation: old copies still open with their old keys."""

REKEY_EPILOG = """\
examples:
  # let the us-west-2 key open it too, then drop the us-east-1 key
  mrkenv rekey --key-id "$EAST_ARN" --add-key "$WEST_ARN" report.csv.mrke -o added.mrke
  mrkenv rekey --key-id "$WEST_ARN" --remove-key "$EAST_ARN" added.mrke -o report.csv.mrke
  # replace a multi-Region key, and its replicas' copies, by another key
  mrkenv rekey --key-id "$OLD_ARN" --add-key "$NEW_ARN" --remove-key "$OLD_ARN" --match-replicas \\
      in.mrke -o out.mrke

The message is binary: it is not written to a terminal unless --force. OUT
gets mode 0600."""

INSPECT_DESCRIPTION = """\
Print the header of an mrkenv message as JSON: version, suite, message id,
frame length, encryption context and, for each encrypted data key, the key
ARN, its Region and whether it is a multi-Region key. No key and no KMS call
are needed, and so nothing is authenticated yet (decrypt and rekey verify
the header with the data key). The header is read from the first 256 KiB of
FILE (default stdin)."""

INSPECT_EPILOG = """\
examples:
  mrkenv inspect report.csv.mrke
  # which Regions can open it
  mrkenv inspect report.csv.mrke | jq -r '.encrypted_data_keys[].region'
  aws s3 cp s3://bucket/data.tar.mrke - | mrkenv inspect"""


def _parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog=PROG, description=TOP_DESCRIPTION, epilog=TOP_EPILOG, formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_native.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    def kms_options(p: argparse.ArgumentParser, many: Dict[str, Any], binary_out: bool) -> None:
        p.add_argument("--region", help="AWS Region of the KMS client (default: from the first key ARN, "
                       "else boto3's: AWS_REGION)")
        p.add_argument("--endpoint-url", help="KMS endpoint URL, e.g. a local KMS "
                       "(default: boto3's: AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL)")
        p.add_argument("--grant-token", action="append", metavar="TOKEN", help="KMS grant token (repeatable)")
        p.add_argument("--context", **many, metavar="KEY=VALUE",
                       help="encryption context pair (repeatable)")
        p.add_argument("-i", "--input", metavar="IN", help="input file (default: stdin)")
        p.add_argument("-o", "--output", metavar="OUT",
                       help="output file, created with mode 0600 (default: stdout)")
        if binary_out:
            p.add_argument("-f", "--force", action="store_true",
                           help="write the message to stdout even when it is a terminal")
        progress = p.add_mutually_exclusive_group()
        progress.add_argument("--progress", dest="progress", action="store_const", const=True,
                              default=None, help="always draw a progress line on stderr "
                              "(default: for inputs of 16 MiB or more when stderr is a terminal)")
        progress.add_argument("--no-progress", dest="progress", action="store_const", const=False,
                              help="never draw a progress line")

    def command(name: str, help: str, description: str, epilog: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, description=description, epilog=epilog,
                                   formatter_class=raw)

    enc = command("encrypt", "encrypt with one or more KMS keys", ENCRYPT_DESCRIPTION, ENCRYPT_EPILOG)
    enc.add_argument("--key-id", action="extend", nargs="+", required=True, metavar="ARN",
                     help="KMS key id or ARN; the first generates the data key (repeatable)")
    enc.add_argument("--frame-length", type=int, default=65536, metavar="N",
                     help="plaintext bytes per frame (default 65536)")
    # Options that take one or more values (`--key-id A B`); rekey's take one
    # each (`--add-key A --add-key B`) so that its input file may come last.
    several: Dict[str, Any] = {"action": "extend", "nargs": "+"}
    kms_options(enc, several, binary_out=True)
    enc.set_defaults(func=_cmd_encrypt, force=False)

    dec = command("decrypt", "decrypt with KMS keys or KMS discovery", DECRYPT_DESCRIPTION, DECRYPT_EPILOG)
    dec.add_argument("--key-id", action="extend", nargs="+", metavar="ARN",
                     help="KMS key ARN to decrypt with (strict; repeatable)")
    dec.add_argument("--discovery", action="store_true",
                     help="use any KMS key in the client's Region (MRKs from any Region); "
                          "give --account too")
    dec.add_argument("--account", action="extend", nargs="+", metavar="ID",
                     help="with --discovery: only keys of these accounts")
    dec.add_argument("--partition", metavar="P", help="with --discovery --account: partition (default aws)")
    kms_options(dec, several, binary_out=False)
    dec.set_defaults(func=_cmd_decrypt, force=False)

    one: Dict[str, Any] = {"action": "append"}
    rek = command("rekey", "change which KMS keys can open a message (the body is copied unchanged)",
                  REKEY_DESCRIPTION, REKEY_EPILOG)
    rek.add_argument("file", nargs="?", metavar="IN", help="message file (default: -i, else stdin)")
    rek.add_argument("--key-id", **one, metavar="ARN",
                     help="KMS key ARN that opens the message now (strict; repeatable)")
    rek.add_argument("--discovery", action="store_true",
                     help="open it with any KMS key in the client's Region (MRKs from any Region); "
                          "give --account too")
    rek.add_argument("--account", **one, metavar="ID", help="with --discovery: only keys of this account (repeatable)")
    rek.add_argument("--partition", metavar="P", help="with --discovery --account: partition (default aws)")
    rek.add_argument("--add-key", **one, metavar="ARN",
                     help="wrap the data key with this KMS key too (repeatable; one Region)")
    rek.add_argument("--remove-key", **one, metavar="ARN",
                     help="drop the encrypted data key of this KMS key ARN (repeatable)")
    rek.add_argument("--match-replicas", action="store_true",
                     help="--remove-key of a multi-Region key also drops its replicas in other Regions")
    kms_options(rek, one, binary_out=True)
    rek.set_defaults(func=_cmd_rekey)

    ins = command("inspect", "print the header of a message as JSON (no key needed)",
                  INSPECT_DESCRIPTION, INSPECT_EPILOG)
    ins.add_argument("file", nargs="?", metavar="FILE", help="message file (default: stdin)")
    ins.set_defaults(func=_cmd_inspect)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the command; returns the exit status (0 ok, 1 error, 2 usage)."""
    args = _parser().parse_args(argv)
    try:
        args.func(args)
    except (CliError, MrkenvError) as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        return 1
    except (TypeError, ValueError, OSError) as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
