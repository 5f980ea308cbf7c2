"""The exception hierarchy of mrkenv.

Every error raised by the library is a :class:`MrkenvError`. The subclass is
chosen by the kind of the core error (its stable ``code``), never by the
function that raised it.

An exception raised by your KMS client is never swallowed. The ``__cause__``
of a failed encrypt or decrypt follows one rule, the same in every mrkenv
binding: it is the exception of the *last* KMS call that failed in the client
(traceback kept). A response the client returned but mrkenv rejected (another
``KeyId``, a data key of the wrong length) is never the cause; when no call
failed in the client, ``__cause__`` is ``None``. A response that cannot be read
(not a mapping, ``KeyId`` not a ``str``, a blob not bytes) is a failed call
whose exception is a ``TypeError``. A ``BaseException`` that is not an
``Exception`` (``KeyboardInterrupt``, ``SystemExit``) propagates unchanged.
"""

from __future__ import annotations

from typing import List, NamedTuple, Optional, Sequence


class MrkenvError(Exception):
    """Base class of every mrkenv error.

    ``code`` is the stable name of the error kind, the same in every binding
    (``"InvalidArn"``, ``"MalformedMessage"``, ...).
    """

    code: str = "Mrkenv"


class InvalidArnError(MrkenvError):
    """A KMS key identifier or ARN is malformed."""

    code = "InvalidArn"


class MalformedMessageError(MrkenvError):
    """The bytes are not a well-formed mrkenv message (bad prefix, truncated,
    not deterministic CBOR, unknown field, trailing bytes, ...)."""

    code = "MalformedMessage"


class AuthenticationError(MrkenvError):
    """A key commitment, header tag or frame tag did not verify."""

    code = "Authentication"


class KeyringError(MrkenvError):
    """A keyring is misconfigured, or a KMS answer was not acceptable, or a
    KMS call of an encrypt failed in the client (then the client's exception
    is the ``__cause__``; a rejected answer has none)."""

    code = "Keyring"


class LimitExceededError(MrkenvError):
    """A configured limit (encrypted data keys, header size, context size) was
    exceeded; raised before the work."""

    code = "LimitExceeded"


class ContextMismatchError(MrkenvError):
    """A required encryption context pair is missing from the message or has
    a different value there."""

    code = "ContextMismatch"


class InvalidArgumentError(MrkenvError, ValueError):
    """An argument is out of range or the wrong size (also a ``ValueError``)."""

    code = "InvalidArgument"


class InternalError(MrkenvError):
    """A bug in mrkenv (a Rust panic caught at the binding's boundary); never
    caused by the arguments. Please report it."""

    code = "Internal"


class DecryptAttempt(NamedTuple):
    """One encrypted data key that was tried (or skipped) and why it failed."""

    key_id: str
    """The key id that was asked of KMS (or would have been)."""
    error: MrkenvError
    """Why it failed. When the KMS call failed in the client, the client's
    exception is ``error.__cause__`` (else it is ``None``)."""


class NoDecryptableKeyError(MrkenvError):
    """No encrypted data key of the message could be decrypted.

    ``errors`` lists every attempt in order (skipped keys first, then the KMS
    calls that failed), each a :class:`DecryptAttempt` of the key id and the
    error. An exception raised by the KMS client is the ``__cause__`` of its
    attempt's error. The ``__cause__`` of this exception is the client's
    exception of the last call that failed in the client, so the traceback
    shows it; an answer mrkenv rejected is never the cause, and without a
    failure in the client ``__cause__`` is ``None``.
    """

    code = "NoDecryptableKey"

    def __init__(self, message: str, errors: Optional[Sequence[DecryptAttempt]] = None) -> None:
        super().__init__(message)
        self.errors: List[DecryptAttempt] = list(errors or ())
