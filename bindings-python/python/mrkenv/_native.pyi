"""Type stubs of the compiled extension ``mrkenv._native`` (re-exported by ``mrkenv``)."""

from typing import Any, Dict, List, Mapping, Optional, Protocol, Sequence, Tuple, Union, final

from ._types import EncryptedDataKeyInfo, HeaderInfo

# No ``__all__`` here or at run time: the public names are listed once, in
# ``mrkenv.__all__``.

__version__: str

_Bytes = Union[bytes, bytearray, memoryview]

class _Reader(Protocol):
    """A binary source: ``read(n)`` returns up to ``n`` bytes (``bytes``,
    ``bytearray`` or ``memoryview``), empty at the end."""

    def read(self, n: int, /) -> _Bytes: ...

class _Writer(Protocol):
    """A binary sink: ``write(b)`` takes bytes, returning the count it took
    (short writes are retried) or ``None``."""

    def write(self, b: bytes, /) -> Optional[int]: ...

class _KmsClient(Protocol):
    """What a KMS client must offer: boto3's ``kms`` client method names and
    keyword arguments, returning boto3-shaped dicts (a ``boto3-stubs``
    ``KMSClient`` fits). ``GrantTokens`` is passed only when the keyring has
    grant tokens. When the client has ``meta.region_name`` (boto3 clients
    do), keyrings check it against their keys' Region at construction."""

    def generate_data_key(self, *args: Any, **kwargs: Any) -> Mapping[str, Any]: ...
    def encrypt(self, *args: Any, **kwargs: Any) -> Mapping[str, Any]: ...
    def decrypt(self, *args: Any, **kwargs: Any) -> Mapping[str, Any]: ...

@final
class KmsArn:
    """The parts of a KMS ARN; ``str(arn)`` gives the ARN back."""

    @property
    def partition(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def account(self) -> str: ...
    @property
    def resource_type(self) -> str:
        """``"key"`` or ``"alias"``."""
    @property
    def resource_id(self) -> str: ...
    @property
    def is_mrk(self) -> bool:
        """True for a ``key`` ARN whose id starts with ``mrk-``."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class KmsMrkKeyring:
    """Strict multi-Region-aware KMS keyring.

    The first key generates the data key (GenerateDataKey), every other key
    wraps it (Encrypt). On decrypt, an encrypted data key is used when it is an
    MRK match of a configured key, and KMS Decrypt is called with the
    configured ARN (the local replica). Related MRKs (the same MRK in two
    Regions) cannot be configured together: ``KeyringError`` naming each.
    Decrypt matches key ARNs only: a keyring configured with an alias or a
    bare key id can encrypt but finds no key to decrypt with. A client whose
    Region (``client.meta.region_name``) is not a key ARN's Region is an
    ``InvalidArgumentError`` naming both. Constructing a keyring never calls
    KMS.
    """

    def __new__(
        cls,
        client: _KmsClient,
        key_ids: Sequence[str],
        *,
        grant_tokens: Optional[Sequence[str]] = None,
    ) -> "KmsMrkKeyring": ...
    @property
    def key_ids(self) -> List[str]: ...
    @property
    def client(self) -> _KmsClient: ...
    @property
    def grant_tokens(self) -> Optional[List[str]]: ...

@final
class DiscoveryFilter:
    """Restricts a discovery keyring to keys of one partition and some accounts."""

    def __new__(cls, partition: str, account_ids: Sequence[str]) -> "DiscoveryFilter": ...
    @property
    def partition(self) -> str: ...
    @property
    def account_ids(self) -> List[str]: ...

@final
class KmsMrkDiscoveryKeyring:
    """Discovery multi-Region-aware KMS keyring (decrypt only).

    Uses any ``aws-kms`` encrypted data key that passes the filter: an MRK with
    its Region replaced by ``region``, a single-Region key only when it is in
    ``region`` (others are skipped, KMS is not called). Encrypting with it
    raises ``KeyringError``. ``region`` defaults to the client's
    (``client.meta.region_name``); a ``region`` that differs from the
    client's is an ``InvalidArgumentError``.
    """

    def __new__(
        cls,
        client: _KmsClient,
        region: Optional[str] = None,
        *,
        discovery_filter: Optional[DiscoveryFilter] = None,
        grant_tokens: Optional[Sequence[str]] = None,
    ) -> "KmsMrkDiscoveryKeyring": ...
    @property
    def region(self) -> str: ...
    @property
    def discovery_filter(self) -> Optional[DiscoveryFilter]: ...
    @property
    def client(self) -> _KmsClient: ...
    @property
    def grant_tokens(self) -> Optional[List[str]]: ...

@final
class RawAesKeyring:
    """Wraps the data key locally with a 32-byte AES-256 key (no KMS)."""

    def __new__(cls, key_namespace: str, key_name: str, wrapping_key: _Bytes) -> "RawAesKeyring": ...
    @property
    def key_namespace(self) -> str: ...
    @property
    def key_name(self) -> str: ...

_Keyring = Union[KmsMrkKeyring, KmsMrkDiscoveryKeyring, RawAesKeyring]

@final
class Limits:
    """Limits checked before the work they guard; pass as ``limits=`` to any
    function that reads or writes a message or a record. Every keyword
    defaults to the core's default (shown). Exceeding one raises
    ``LimitExceededError``."""

    def __new__(
        cls,
        *,
        max_encrypted_data_keys: Optional[int] = None,
        max_header_bytes: Optional[int] = None,
        max_context_entries: Optional[int] = None,
        max_context_bytes: Optional[int] = None,
        max_frame_length: Optional[int] = None,
        max_record_attributes: Optional[int] = None,
        max_record_depth: Optional[int] = None,
    ) -> "Limits": ...
    @property
    def max_encrypted_data_keys(self) -> int:
        """Most encrypted data keys in one message (default 16)."""
    @property
    def max_header_bytes(self) -> int:
        """Most bytes of the encoded header (default 262144, 256 KiB)."""
    @property
    def max_context_entries(self) -> int:
        """Most encryption context entries (default 128)."""
    @property
    def max_context_bytes(self) -> int:
        """Most bytes of all context keys and values together (default 65536)."""
    @property
    def max_frame_length(self) -> int:
        """Largest frame length a reader accepts (default 16777216, 16 MiB;
        1024..=16 MiB)."""
    @property
    def max_record_attributes(self) -> int:
        """Most attributes in one record, the reserved two not counted (default 4096)."""
    @property
    def max_record_depth(self) -> int:
        """Deepest nesting of ``L`` and ``M`` values in a record (default 32)."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class Decrypted:
    """What :func:`decrypt_with_header` returns: the plaintext and the
    (verified) header it came with."""

    @property
    def plaintext(self) -> bytes: ...
    @property
    def header(self) -> HeaderInfo:
        """The header summary, as :func:`inspect` returns it."""
    @property
    def encryption_context(self) -> Dict[str, str]:
        """The encryption context bound into the message."""
    @property
    def encrypted_data_keys(self) -> List[EncryptedDataKeyInfo]:
        """The encrypted data keys of the message."""

def encrypt(
    plaintext: _Bytes,
    keyring: _Keyring,
    *,
    encryption_context: Optional[Mapping[str, str]] = None,
    frame_length: int = 65536,
    limits: Optional[Limits] = None,
) -> bytes:
    """Encrypt ``plaintext`` into one message. The context is bound into the
    message and passed to every KMS call. ``frame_length`` is 1024..=16 MiB."""

def decrypt(
    ciphertext: _Bytes,
    keyring: _Keyring,
    *,
    encryption_context: Optional[Mapping[str, str]] = None,
    limits: Optional[Limits] = None,
) -> bytes:
    """Decrypt one message. When ``encryption_context`` is given, every pair must
    be present and equal in the message (else ``ContextMismatchError``, raised
    before KMS is called)."""

def decrypt_with_header(
    ciphertext: _Bytes,
    keyring: _Keyring,
    *,
    encryption_context: Optional[Mapping[str, str]] = None,
    limits: Optional[Limits] = None,
) -> Decrypted:
    """:func:`decrypt`, also returning the header the plaintext was verified
    with (its encryption context and encrypted data keys) in the same call."""

def encrypt_stream(
    src: _Reader,
    dst: _Writer,
    keyring: _Keyring,
    *,
    encryption_context: Optional[Mapping[str, str]] = None,
    frame_length: int = 65536,
    limits: Optional[Limits] = None,
) -> None:
    """Encrypt everything read from ``src`` (``src.read(n)``) into one message
    written to ``dst`` (``dst.write(b)``), holding about one frame in memory."""

def decrypt_stream(
    src: _Reader,
    dst: _Writer,
    keyring: _Keyring,
    *,
    encryption_context: Optional[Mapping[str, str]] = None,
    limits: Optional[Limits] = None,
) -> None:
    """Decrypt one message read from ``src`` into ``dst``, frame by frame; each
    frame is written only after its tag verified. On an error, frames already
    written stay in ``dst``: write to a temporary file and rename on success."""

def inspect(ciphertext: _Bytes, *, limits: Optional[Limits] = None) -> HeaderInfo:
    """Summarise the header without any key: ``version``, ``suite``,
    ``suite_name``, ``message_id`` (hex), ``encryption_context``,
    ``frame_length``, ``encrypted_data_keys`` (``provider_id``,
    ``provider_info``, ``ciphertext_len``, and for ``aws-kms`` keys
    ``key_arn``, ``region``, ``is_mrk``). A prefix holding the header is enough."""

# A keyring that can add keys in a re-key (a discovery keyring cannot).
_AddKeyring = Union[KmsMrkKeyring, RawAesKeyring]

def rekey(
    message: _Bytes,
    keyring: _Keyring,
    *,
    add: Optional[_AddKeyring] = None,
    remove: Sequence[str] = (),
    encryption_context: Optional[Mapping[str, str]] = None,
    match_replicas: bool = False,
    limits: Optional[Limits] = None,
) -> bytes:
    """Change which keys can open ``message`` without touching its body: the
    data key is found with ``keyring`` exactly as decrypt does (commitment and
    header tag verified), wrapped again by every key of ``add`` (KMS
    ``Encrypt``, or locally for raw AES), and a new header is written with the
    encrypted data keys of ``remove`` dropped (KMS key ARNs, or raw AES key
    names; with ``match_replicas`` an MRK ARN also removes its replicas'). The
    frames are copied byte for byte. At least one encrypted data key must
    remain and each key to remove must be in the message
    (``InvalidArgumentError``); ``encryption_context`` pairs must be in the
    message (``ContextMismatchError``); the context never changes. Not
    revocation: old copies still open with the old keys."""

def rekey_header(
    head: _Bytes,
    keyring: _Keyring,
    *,
    add: Optional[_AddKeyring] = None,
    remove: Sequence[str] = (),
    encryption_context: Optional[Mapping[str, str]] = None,
    match_replicas: bool = False,
    limits: Optional[Limits] = None,
) -> Tuple[bytes, int]:
    """Re-key from the first bytes of a message only (at least up to the end
    of its header tag; more is ignored): returns ``(new_head, body_offset)``.
    The re-keyed message is ``new_head + old_message[body_offset:]``; the body
    is not read, so it is not checked. Same options and checks as
    :func:`rekey`."""

def rekey_stream(
    src: _Reader,
    dst: _Writer,
    keyring: _Keyring,
    *,
    add: Optional[_AddKeyring] = None,
    remove: Sequence[str] = (),
    encryption_context: Optional[Mapping[str, str]] = None,
    match_replicas: bool = False,
    limits: Optional[Limits] = None,
) -> None:
    """Re-key one message read from ``src`` into ``dst`` in constant memory.
    Nothing is written until the data key verified and the new head is
    written; then the frames are copied through unchanged (their framing is
    checked, not their tags). A failure after that (a truncated body) leaves
    the new head and earlier frames in ``dst``: write to a temporary file and
    rename on success. Same options and checks as :func:`rekey`."""

# A DynamoDB item in boto3's low-level client format:
# ``{"name": {"S": "Andy"}, "age": {"N": "42"}, "photo": {"B": b"..."}}``.
_Item = Dict[str, Dict[str, Any]]

def encrypt_record(
    item: Mapping[str, Any],
    keyring: _Keyring,
    actions: Mapping[str, str],
    *,
    table_name: str,
    partition_key: str,
    sort_key: Optional[str] = None,
    default_action: Optional[str] = None,
    encryption_context: Optional[Mapping[str, str]] = None,
    limits: Optional[Limits] = None,
) -> _Item:
    """Encrypt a DynamoDB item attribute by attribute, ready for ``put_item``.

    ``actions`` maps attribute names to ``"ENCRYPT_AND_SIGN"``,
    ``"SIGN_ONLY"``, ``"SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT"`` or
    ``"DO_NOTHING"`` (or :class:`mrkenv.Action`); an attribute without one
    takes ``default_action``, and without that is an ``InvalidArgumentError``.
    Key attributes must be ``SIGN_ONLY`` or
    ``SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT``. Each ``ENCRYPT_AND_SIGN`` value
    becomes a ``B``; the attributes ``aws_mrkenv_header`` and
    ``aws_mrkenv_tag`` are added. The encryption context (the table, the key
    attributes, your ``encryption_context``) is passed to KMS."""

def decrypt_record(
    item: Mapping[str, Any],
    keyring: _Keyring,
    *,
    table_name: str,
    partition_key: str,
    sort_key: Optional[str] = None,
    encryption_context: Optional[Mapping[str, str]] = None,
    allow_plaintext: bool = False,
    limits: Optional[Limits] = None,
) -> _Item:
    """Verify and decrypt a DynamoDB item (as ``get_item`` returns it) written
    by :func:`encrypt_record` for this table and key schema. Every pair of
    ``encryption_context`` must be in the record's context. With
    ``allow_plaintext``, an item without mrkenv's attributes (written before
    encryption was turned on) is returned unchanged."""

def rekey_record(
    item: Mapping[str, Any],
    keyring: _Keyring,
    *,
    add: Optional[_AddKeyring] = None,
    remove: Sequence[str] = (),
    table_name: str,
    partition_key: str,
    sort_key: Optional[str] = None,
    encryption_context: Optional[Mapping[str, str]] = None,
    match_replicas: bool = False,
    limits: Optional[Limits] = None,
) -> _Item:
    """Re-key a DynamoDB item written by :func:`encrypt_record` for this
    table and key schema, ready for ``put_item``: the record is read and
    verified as :func:`decrypt_record` does (commitment and tag, with the data
    key found by ``keyring``; nothing is decrypted), and only
    ``aws_mrkenv_header`` and ``aws_mrkenv_tag`` are rewritten; every other
    attribute is returned as given. ``add``, ``remove``,
    ``encryption_context`` and ``match_replicas`` as for :func:`rekey`. An
    item without mrkenv's attributes is a ``MalformedMessageError``."""

def parse_arn(s: str) -> KmsArn:
    """Parse a KMS ARN; ``InvalidArnError`` when malformed."""

def is_mrk(identifier: str) -> bool:
    """True when ``identifier`` (ARN, raw key id or alias) names a multi-Region
    key; ``InvalidArnError`` when malformed."""

def mrk_match(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` name the same key, ignoring the Region of
    multi-Region keys; ``InvalidArnError`` when either is malformed."""

def _testing_encrypt_with(
    plaintext: _Bytes,
    keyring: _Keyring,
    *,
    encryption_context: Optional[Mapping[str, str]],
    frame_length: int,
    message_id: _Bytes,
    data_key: Optional[_Bytes] = None,
    raw_aes_iv: Optional[_Bytes] = None,
) -> bytes: ...

def _testing_panic() -> None: ...

def _testing_record_options_reused() -> Tuple[int, int]: ...

def _testing_encrypt_record_with(
    item: Mapping[str, Any],
    keyring: _Keyring,
    actions: Mapping[str, str],
    *,
    table_name: str,
    partition_key: str,
    sort_key: Optional[str],
    default_action: Optional[str],
    encryption_context: Optional[Mapping[str, str]],
    message_id: _Bytes,
    data_key: Optional[_Bytes] = None,
    raw_aes_iv: Optional[_Bytes] = None,
) -> _Item: ...
