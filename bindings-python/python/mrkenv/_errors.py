"""The exception hierarchy of mrkenv.

Every error raised by the library is a :class:`MrkenvError`. The subclass is
chosen by the kind of the core error (its stable ``code``), never by the
function that raised it. An exception raised by your KMS client is kept as the
``__cause__`` of the mrkenv error that reports it; it is never swallowed.
"""

from __future__ import annotations

from typing import List, NamedTuple, Optional, Sequence

__all__ = [
    "MrkenvError",
    "InvalidArnError",
    "MalformedMessageError",
    "AuthenticationError",
    "NoDecryptableKeyError",
    "KeyringError",
    "LimitExceededError",
    "ContextMismatchError",
    "InvalidArgumentError",
    "DecryptAttempt",
]


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
    """A keyring is misconfigured, or a KMS answer was not acceptable, or the
    KMS client raised (the client's exception is the ``__cause__``)."""

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


class DecryptAttempt(NamedTuple):
    """One encrypted data key that was tried (or skipped) and why it failed."""

    key_id: str
    """The key id that was asked of KMS (or would have been)."""
    error: MrkenvError
    """Why it failed. When the KMS client raised, that exception is
    ``error.__cause__``."""


class NoDecryptableKeyError(MrkenvError):
    """No encrypted data key of the message could be decrypted.

    ``errors`` lists every attempt in order (skipped keys first, then the KMS
    calls that failed), each a :class:`DecryptAttempt` of the key id and the
    error. An exception raised by the KMS client is the ``__cause__`` of its
    attempt's error, and the last failed call's error is the ``__cause__`` of
    this exception, so tracebacks show the whole chain.
    """

    code = "NoDecryptableKey"

    def __init__(self, message: str, errors: Optional[Sequence[DecryptAttempt]] = None) -> None:
        super().__init__(message)
        self.errors: List[DecryptAttempt] = list(errors or ())
