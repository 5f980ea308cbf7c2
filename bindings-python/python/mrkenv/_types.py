"""Typed shapes of the dicts mrkenv returns (for editors and type checkers).

``inspect()`` returns a :class:`HeaderInfo`; each of its
``encrypted_data_keys`` is an :class:`EncryptedDataKeyInfo`. At run time they
are plain ``dict`` objects.
"""

from __future__ import annotations

from typing import Dict, List, TypedDict  # the package needs CPython 3.10+


class _EncryptedDataKeyInfoRequired(TypedDict):
    provider_id: str
    """``"aws-kms"`` or a raw AES key namespace."""
    provider_info: str
    """A key ARN or a raw AES key name."""
    ciphertext_len: int
    """Length of the wrapped data key, in bytes."""


class EncryptedDataKeyInfo(_EncryptedDataKeyInfoRequired, total=False):
    """One encrypted data key of a header. ``key_arn``, ``region`` and
    ``is_mrk`` are present for ``aws-kms`` keys only."""

    key_arn: str
    """The key ARN (``aws-kms`` keys whose info is a valid key ARN)."""
    region: str
    """The Region of the key ARN."""
    is_mrk: bool
    """Whether the key is a multi-Region key."""


class HeaderInfo(TypedDict):
    """A key-free summary of a message header, as ``inspect()`` returns it."""

    version: int
    """Format version (1)."""
    suite: int
    """Suite id (1)."""
    suite_name: str
    """Suite name."""
    message_id: str
    """Message id, lowercase hex."""
    encryption_context: Dict[str, str]
    """The encryption context bound into the message."""
    frame_length: int
    """Plaintext bytes per frame."""
    encrypted_data_keys: List[EncryptedDataKeyInfo]
    """One entry per encrypted data key, in header order."""
