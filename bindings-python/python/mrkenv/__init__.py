"""mrkenv: portable envelope encryption that understands AWS KMS multi-Region keys.

Encrypt in one AWS Region and decrypt in another with the boto3 KMS clients you
already have::

    import boto3, mrkenv

    east = boto3.client("kms", region_name="us-east-1")
    west = boto3.client("kms", region_name="us-west-2")
    message = mrkenv.encrypt(b"secret", mrkenv.KmsMrkKeyring(east, [east_mrk_arn]),
                             encryption_context={"tenant": "acme"})
    keyring = mrkenv.KmsMrkDiscoveryKeyring(west)  # the client's Region
    assert mrkenv.decrypt(message, keyring) == b"secret"

All the rules (identifiers, multi-Region key matching, the format, the crypto)
live in the Rust core; this package calls your KMS client and maps errors.
"""

from . import _errors, _record, _types
from ._errors import (
    AuthenticationError,
    ContextMismatchError,
    DecryptAttempt,
    InvalidArgumentError,
    InternalError,
    InvalidArnError,
    KeyringError,
    LimitExceededError,
    MalformedMessageError,
    MrkenvError,
    NoDecryptableKeyError,
)
from ._native import (
    Decrypted,
    DiscoveryFilter,
    KmsArn,
    KmsMrkDiscoveryKeyring,
    KmsMrkKeyring,
    Limits,
    RawAesKeyring,
    __version__,
    decrypt,
    decrypt_with_header,
    decrypt_record,
    decrypt_stream,
    encrypt,
    encrypt_record,
    encrypt_stream,
    inspect,
    is_mrk,
    mrk_match,
    parse_arn,
    rekey,
    rekey_header,
    rekey_record,
    rekey_stream,
)
from ._record import Action
from ._types import EncryptedDataKeyInfo, HeaderInfo

# The public names, listed here only (the private modules keep no list).
__all__ = [
    "__version__",
    "encrypt",
    "decrypt",
    "decrypt_with_header",
    "Decrypted",
    "Limits",
    "encrypt_stream",
    "decrypt_stream",
    "inspect",
    "HeaderInfo",
    "EncryptedDataKeyInfo",
    "rekey",
    "rekey_header",
    "rekey_stream",
    "encrypt_record",
    "decrypt_record",
    "rekey_record",
    "Action",
    "parse_arn",
    "is_mrk",
    "mrk_match",
    "KmsArn",
    "KmsMrkKeyring",
    "KmsMrkDiscoveryKeyring",
    "DiscoveryFilter",
    "RawAesKeyring",
    "MrkenvError",
    "InvalidArnError",
    "MalformedMessageError",
    "AuthenticationError",
    "NoDecryptableKeyError",
    "KeyringError",
    "LimitExceededError",
    "ContextMismatchError",
    "InvalidArgumentError",
    "InternalError",
    "DecryptAttempt",
]

# Show the public names (``mrkenv.KeyringError``) in tracebacks and reprs.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", None) in (_errors.__name__, _record.__name__, _types.__name__):
        _obj.__module__ = __name__
del _name, _obj
