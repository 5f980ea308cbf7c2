"""Private testing hooks. Not part of the public API; never use them to
encrypt real data (a fixed message id, data key or IV breaks the security of
the format).

Only in a test build (cargo feature ``testing``): importing this module from
a release wheel raises ``ImportError``.

``encrypt_with`` (the hook every binding has under this name: C's
``mrkenv_testing_encrypt_with``) reproduces the shared test vectors byte for byte: the
message id is injected, and for a raw AES keyring also the data key and the IV
that wraps it. With a KMS keyring the data key is whatever the (scripted)
client's GenerateDataKey returns. ``encrypt_record_with`` does the same for
records (``tests/vectors/records``).
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple, Union

from . import _native
from ._native import KmsMrkDiscoveryKeyring, KmsMrkKeyring, RawAesKeyring

if not hasattr(_native, "_testing_encrypt_with"):
    raise ImportError(
        "mrkenv._testing needs a test build of mrkenv (cargo feature `testing`, as "
        "`make -C bindings-python test` builds it); release wheels do not contain the test hooks"
    )

_testing_encrypt_with = _native._testing_encrypt_with
_testing_encrypt_record_with = _native._testing_encrypt_record_with
_testing_panic = _native._testing_panic
_testing_record_options_reused = _native._testing_record_options_reused

_Keyring = Union[KmsMrkKeyring, KmsMrkDiscoveryKeyring, RawAesKeyring]


def encrypt_with(
    plaintext: bytes,
    keyring: _Keyring,
    *,
    message_id: bytes,
    encryption_context: Optional[Mapping[str, str]] = None,
    frame_length: int = 65536,
    data_key: Optional[bytes] = None,
    raw_aes_iv: Optional[bytes] = None,
) -> bytes:
    """Encrypt with injected randomness (testing only)."""
    if isinstance(keyring, RawAesKeyring) and (data_key is None or raw_aes_iv is None):
        raise ValueError("a raw AES keyring needs data_key and raw_aes_iv to be deterministic")
    return _testing_encrypt_with(
        plaintext,
        keyring,
        encryption_context=encryption_context,
        frame_length=frame_length,
        message_id=message_id,
        data_key=data_key,
        raw_aes_iv=raw_aes_iv,
    )


def encrypt_record_with(
    item: Mapping[str, Any],
    keyring: _Keyring,
    actions: Mapping[str, str],
    *,
    table_name: str,
    partition_key: str,
    message_id: bytes,
    sort_key: Optional[str] = None,
    default_action: Optional[str] = None,
    encryption_context: Optional[Mapping[str, str]] = None,
    data_key: Optional[bytes] = None,
    raw_aes_iv: Optional[bytes] = None,
) -> Dict[str, Dict[str, Any]]:
    """``encrypt_record`` with injected randomness (testing only)."""
    if isinstance(keyring, RawAesKeyring) and (data_key is None or raw_aes_iv is None):
        raise ValueError("a raw AES keyring needs data_key and raw_aes_iv to be deterministic")
    return _testing_encrypt_record_with(
        item,
        keyring,
        actions,
        table_name=table_name,
        partition_key=partition_key,
        sort_key=sort_key,
        default_action=default_action,
        encryption_context=encryption_context,
        message_id=message_id,
        data_key=data_key,
        raw_aes_iv=raw_aes_iv,
    )


def panic() -> None:
    """Panic inside the binding (testing only): raises ``mrkenv.InternalError``."""
    _testing_panic()


def record_options_reused() -> Tuple[int, int]:
    """How many ``encrypt_record`` and ``decrypt_record`` calls on this thread
    reused the options of the call before (testing only)."""
    return _testing_record_options_reused()
