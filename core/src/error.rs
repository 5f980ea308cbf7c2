//! The one error type of the core, nested by layer.
//!
//! [`Error`] is what every public function returns. Its variants follow the
//! layers of the design: identifiers ([`ArnError`]), the byte format
//! ([`FormatError`]), authentication ([`AuthenticationError`]), keyrings
//! ([`KeyringError`]), configured limits ([`LimitError`]), the encryption
//! context ([`ContextError`]), records ([`RecordError`]), re-keying
//! ([`RekeyError`]) and bad arguments. Bindings map an error to their
//! own types through [`Error::kind`], whose names are stable.
//!
//! Messages are short, lowercase, and say what was wrong and where. They never
//! contain key material.

use std::fmt;

/// A stable, coarse classification of an [`Error`], shared by every binding.
///
/// The names returned by [`ErrorKind::code`] are part of the public contract:
/// JavaScript exposes them as `MrkenvError.code`, Python chooses its exception
/// class by them, and C maps them to status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A KMS key identifier or ARN is malformed.
    InvalidArn,
    /// The message bytes are not a well-formed mrkenv message.
    MalformedMessage,
    /// A key commitment, header tag or frame tag did not verify.
    Authentication,
    /// No encrypted data key could be decrypted.
    NoDecryptableKey,
    /// A keyring is misconfigured, a KMS response was not acceptable, or no
    /// key material could be drawn (the system random generator failed).
    Keyring,
    /// A configured limit was exceeded.
    LimitExceeded,
    /// A required encryption context pair is missing or different.
    ContextMismatch,
    /// An argument is out of range or the wrong size.
    InvalidArgument,
}

impl ErrorKind {
    /// The stable name of this kind, as used by the bindings and the test vectors.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidArn => "InvalidArn",
            ErrorKind::MalformedMessage => "MalformedMessage",
            ErrorKind::Authentication => "Authentication",
            ErrorKind::NoDecryptableKey => "NoDecryptableKey",
            ErrorKind::Keyring => "Keyring",
            ErrorKind::LimitExceeded => "LimitExceeded",
            ErrorKind::ContextMismatch => "ContextMismatch",
            ErrorKind::InvalidArgument => "InvalidArgument",
        }
    }

    /// Every kind, in a fixed order (useful for tables in bindings and tests).
    pub const ALL: [ErrorKind; 8] = [
        ErrorKind::InvalidArn,
        ErrorKind::MalformedMessage,
        ErrorKind::Authentication,
        ErrorKind::NoDecryptableKey,
        ErrorKind::Keyring,
        ErrorKind::LimitExceeded,
        ErrorKind::ContextMismatch,
        ErrorKind::InvalidArgument,
    ];
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Every error the core can return.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A key identifier is malformed.
    #[error(transparent)]
    Arn(#[from] ArnError),
    /// The message is not well formed.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// Something failed to authenticate.
    #[error(transparent)]
    Authentication(#[from] AuthenticationError),
    /// A keyring is misconfigured or a KMS response was rejected.
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    /// No encrypted data key could be decrypted; every attempt is listed,
    /// then the configured identifiers that can never match on decrypt.
    #[error("{}", no_decryptable_key_message(.attempts, .not_key_arns))]
    NoDecryptableKey {
        /// One entry per key that was tried or skipped, in order.
        attempts: Vec<Attempt>,
        /// The keyring's configured identifiers that are not key ARNs
        /// (aliases, bare key ids, alias ARNs): they work on encrypt, but
        /// decrypt matches an encrypted data key's key ARN only, so they
        /// never match. Empty when every identifier is a key ARN.
        not_key_arns: Vec<String>,
    },
    /// A configured limit was exceeded.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// The encryption context does not satisfy what was required.
    #[error(transparent)]
    Context(#[from] ContextError),
    /// A record (a DynamoDB item) is misconfigured, malformed or does not verify.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A re-key was asked for something it cannot do.
    #[error(transparent)]
    Rekey(#[from] RekeyError),
    /// An argument is invalid.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl Error {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Arn(_) => ErrorKind::InvalidArn,
            Error::Format(_) => ErrorKind::MalformedMessage,
            Error::Authentication(_) => ErrorKind::Authentication,
            Error::Keyring(_) => ErrorKind::Keyring,
            Error::NoDecryptableKey { .. } => ErrorKind::NoDecryptableKey,
            Error::Limit(_) => ErrorKind::LimitExceeded,
            Error::Context(_) => ErrorKind::ContextMismatch,
            Error::Record(e) => e.kind(),
            Error::Rekey(_) => ErrorKind::InvalidArgument,
            Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
        }
    }

    /// The attempts of a [`Error::NoDecryptableKey`], empty for other errors.
    pub fn attempts(&self) -> &[Attempt] {
        match self {
            Error::NoDecryptableKey { attempts, .. } => attempts,
            _ => &[],
        }
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Error::InvalidArgument(message.into())
    }
}

fn no_decryptable_key_message(attempts: &[Attempt], not_key_arns: &[String]) -> String {
    let mut message = if attempts.is_empty() {
        "no encrypted data key could be decrypted: no key was eligible for this keyring".to_string()
    } else {
        let mut message = format!(
            "no encrypted data key could be decrypted ({} attempt{})",
            attempts.len(),
            if attempts.len() == 1 { "" } else { "s" }
        );
        for attempt in attempts {
            message.push_str("; ");
            message.push_str(&attempt.to_string());
        }
        message
    };
    if !not_key_arns.is_empty() {
        message.push_str(&format!(
            ". Decrypt matches key ARNs only, and the keyring is configured with {} that \
             {} not a key ARN: {} (they work on encrypt; to decrypt, configure the key ARN, \
             arn:<partition>:kms:<region>:<account>:key/<key id>)",
            if not_key_arns.len() == 1 {
                "an identifier"
            } else {
                "identifiers"
            },
            if not_key_arns.len() == 1 { "is" } else { "are" },
            not_key_arns.join(", ")
        ));
    }
    message
}

/// One try at decrypting an encrypted data key, and why it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The key identifier that was asked (or would have been), e.g. a KMS ARN
    /// or `namespace/name` for a raw AES key.
    pub key_id: String,
    /// Why this attempt failed, in words.
    pub reason: String,
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key_id, self.reason)
    }
}

/// A malformed KMS key identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid KMS key identifier {input:?}: {reason}")]
pub struct ArnError {
    /// The identifier as given (cut to 100 characters for long input).
    pub input: String,
    /// Which part is wrong.
    pub reason: ArnErrorReason,
}

impl ArnError {
    pub(crate) fn new(input: &str, reason: ArnErrorReason) -> Self {
        let input = if input.chars().count() > 100 {
            let cut: String = input.chars().take(100).collect();
            format!("{cut}...")
        } else {
            input.to_string()
        };
        ArnError { input, reason }
    }
}

/// Which rule a malformed identifier broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnErrorReason {
    /// The identifier is empty.
    #[error("identifier is empty")]
    Empty,
    /// Longer than 2048 bytes.
    #[error("identifier is longer than 2048 bytes ({0} bytes)")]
    TooLong(usize),
    /// Contains a non-ASCII character.
    #[error("identifier contains a non-ASCII character")]
    NotAscii,
    /// Contains whitespace or a control character, at this byte.
    #[error(
        "identifier contains whitespace or a control character at byte {0} \
         (a key id, alias or ARN never does)"
    )]
    SpaceOrControl(usize),
    /// An ARN must have exactly six `:`-separated parts.
    #[error("an ARN has 6 ':'-separated parts, found {0}")]
    PartCount(usize),
    /// The first part is not `arn`.
    #[error("an ARN must start with \"arn:\"")]
    MissingArnPrefix,
    /// The partition part is empty.
    #[error("partition is empty")]
    EmptyPartition,
    /// The service part is not `kms`.
    #[error("service must be \"kms\", found {0:?}")]
    Service(String),
    /// The region part is empty.
    #[error("region is empty")]
    EmptyRegion,
    /// The account part is empty.
    #[error("account is empty")]
    EmptyAccount,
    /// The resource has no `/`.
    #[error("resource {0:?} must be \"key/<id>\" or \"alias/<name>\"")]
    ResourceFormat(String),
    /// The resource type is neither `key` nor `alias`.
    #[error("resource type must be \"key\" or \"alias\", found {0:?}")]
    ResourceType(String),
    /// The resource id is empty.
    #[error("resource id is empty")]
    EmptyResourceId,
    /// A raw `key/<id>` is not a valid identifier.
    #[error("\"key/<id>\" is only valid inside a full ARN; use the bare key id or the ARN")]
    RawKeyResource,
    /// A raw identifier contains `:`.
    #[error("a raw key id or alias cannot contain ':' (an ARN must start with \"arn:\")")]
    ColonInRawIdentifier,
    /// A key ARN was required but an alias was given.
    #[error("an alias ARN is not allowed here; a key ARN (resource \"key/<id>\") is required")]
    AliasNotAllowed,
}

/// The message bytes are not a well-formed mrkenv message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The message does not start with the mrkenv magic bytes.
    #[error("not an mrkenv message: missing the \"MRKE\" prefix")]
    BadMagic,
    /// The message does not start with the magic bytes, and its first bytes
    /// look like text: base64 (`"base64"`) or hex (`"hex"`) that was not
    /// decoded to bytes.
    #[error(
        "not an mrkenv message: missing the \"MRKE\" prefix; this looks like {0} text; \
         decode it to bytes first"
    )]
    EncodedAsText(&'static str),
    /// The prefix or header names a version this library does not know.
    #[error("unsupported message version {0} (this library reads version 1)")]
    UnsupportedVersion(u64),
    /// The header names a suite this library does not know.
    #[error("unsupported algorithm suite {0} (this library knows suite 1)")]
    UnsupportedSuite(u64),
    /// The message ended before a piece was complete.
    #[error("message is truncated: {0}")]
    Truncated(String),
    /// A piece is not valid CBOR of the expected shape.
    #[error("{location}: {problem}")]
    Invalid {
        /// Where: "header", "header field 5 (encrypted data keys)", "frame 3", ...
        location: String,
        /// What was wrong.
        problem: String,
    },
    /// A piece decodes, but its bytes are not the deterministic encoding.
    #[error("{0}: not deterministically encoded CBOR")]
    NotDeterministic(String),
    /// Bytes follow the final frame.
    #[error("{0} trailing byte(s) after the final frame")]
    TrailingBytes(usize),
}

impl FormatError {
    pub(crate) fn invalid(location: impl Into<String>, problem: impl Into<String>) -> Self {
        FormatError::Invalid {
            location: location.into(),
            problem: problem.into(),
        }
    }
}

/// Something in the message failed to authenticate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthenticationError {
    /// The data key does not match the message's key commitment.
    #[error("key commitment does not match: wrong data key or tampered header")]
    Commitment,
    /// The header tag did not verify.
    #[error("header authentication tag does not verify")]
    HeaderTag,
    /// A frame tag did not verify.
    #[error("frame {0}: authentication tag does not verify")]
    FrameTag(u64),
}

/// A keyring is misconfigured, a KMS response is not acceptable, or key
/// material could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    /// A keyring was configured with no key.
    #[error("keyring needs at least one key id")]
    NoKeyIds,
    /// Related multi-Region keys were configured together.
    #[error("related multi-Region keys cannot be configured in one keyring: {}", .0.join(", "))]
    RelatedMrks(Vec<String>),
    /// A discovery keyring was asked to encrypt.
    #[error("a discovery keyring cannot encrypt; use a KmsMrkKeyring with key ids")]
    DiscoveryCannotEncrypt,
    /// A discovery filter or Region is invalid.
    #[error("invalid discovery configuration: {0}")]
    Discovery(String),
    /// An encrypted data key with provider id `aws-kms` has provider info that is
    /// not a KMS key ARN.
    #[error("encrypted data key {index}: provider info {info:?} is not a KMS key ARN ({reason})")]
    BadProviderInfo {
        /// 1-based position of the encrypted data key in the header.
        index: usize,
        /// The provider info as found (not secret).
        info: String,
        /// Why it is not a key ARN.
        reason: String,
    },
    /// The host's KMS call failed (the client raised or returned an error)
    /// during an encrypt or re-key, which cannot go on without it.
    #[error("KMS {operation} for {key_id} failed: {message}")]
    KmsCallFailed {
        /// `GenerateDataKey` or `Encrypt`.
        operation: &'static str,
        /// The key id that was asked.
        key_id: String,
        /// The host's description of the failure.
        message: String,
    },
    /// A KMS response was not acceptable.
    #[error("KMS {operation} response for {key_id}: {problem}")]
    BadKmsResponse {
        /// `GenerateDataKey`, `Encrypt` or `Decrypt`.
        operation: &'static str,
        /// The key id that was asked.
        key_id: String,
        /// What was wrong with the response.
        problem: String,
    },
    /// A raw AES keyring is misconfigured.
    #[error("raw AES keyring: {0}")]
    RawAes(String),
    /// The operating system's random generator failed, so no data key, IV
    /// or message id could be drawn. Not the caller's mistake (so not
    /// `InvalidArgument`): like a KMS that cannot give a data key, the source
    /// of key material failed, and the kind is [`ErrorKind::Keyring`].
    #[error("the system random generator failed: {0}")]
    Random(String),
}

/// A configured limit was exceeded. The check happens before the work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {found} exceeds the limit of {limit}")]
pub struct LimitError {
    /// Which limit, e.g. "encrypted data keys".
    pub what: &'static str,
    /// The configured limit.
    pub limit: u64,
    /// What was found or asked for.
    pub found: u64,
}

/// The encryption context does not satisfy a requirement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// A required key is absent from the message's context.
    #[error("required encryption context key {0:?} is not in the message")]
    Missing(String),
    /// A required key has a different value in the message.
    #[error("encryption context key {0:?} has a different value in the message")]
    Different(String),
}

/// A record (a DynamoDB item) is misconfigured, malformed or does not
/// verify. Each variant maps to an existing [`ErrorKind`] (see
/// [`RecordError::kind`]). Attribute names, table names and key names appear
/// in messages; attribute values never do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// An action name is not one of the four.
    #[error("unknown attribute action {0:?} (expected ENCRYPT_AND_SIGN, SIGN_ONLY, SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT or DO_NOTHING)")]
    UnknownAction(String),
    /// An attribute has no action and there is no default action.
    #[error("attribute {0:?}: no action configured and no default action")]
    MissingAction(String),
    /// A key attribute was configured with an action other than `SIGN_ONLY`
    /// or `SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT`.
    #[error("{role} attribute {attribute:?} cannot be {action} (key attributes must be SIGN_ONLY or SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT)")]
    KeyAction {
        /// `partition key` or `sort key`.
        role: &'static str,
        /// The attribute name.
        attribute: String,
        /// The refused action's name.
        action: &'static str,
    },
    /// A key attribute is not in the item to encrypt.
    #[error("{role} attribute {attribute:?} is not in the item")]
    MissingKey {
        /// `partition key` or `sort key`.
        role: &'static str,
        /// The attribute name.
        attribute: String,
    },
    /// A key or `SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT` attribute is not `S`, `N` or `B`.
    #[error("attribute {attribute:?} is {why} and must be S, N or B, found {found}")]
    ContextValueType {
        /// The attribute name.
        attribute: String,
        /// `the partition key`, `the sort key` or `SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT`.
        why: &'static str,
        /// The type found.
        found: &'static str,
    },
    /// An attribute name is reserved for the record's own attributes.
    #[error("attribute {0:?} is reserved: names starting with \"aws_mrkenv_\" belong to mrkenv")]
    ReservedAttribute(String),
    /// A caller's encryption context key is reserved.
    #[error("encryption context key {0:?} is reserved: keys starting with \"aws-mrkenv:\" are set by mrkenv")]
    ReservedContextKey(String),
    /// The table configuration is invalid.
    #[error("invalid record configuration: {0}")]
    Config(String),
    /// A value breaks a DynamoDB rule (empty or duplicate set, bad number, ...).
    #[error("attribute {attribute:?}{path}: {problem}")]
    InvalidValue {
        /// The attribute name.
        attribute: String,
        /// Where inside it, e.g. `[2]["k"]`; empty at the top.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// DynamoDB JSON could not be read.
    #[error("DynamoDB JSON: {0}")]
    Json(String),
    /// The encryption materials do not carry the record's encryption context.
    #[error(
        "the encryption materials were obtained for another encryption context than the record's"
    )]
    MaterialsContext,
    /// An item without the reserved attributes, and plaintext items are not allowed.
    #[error("item is not an encrypted record: it has no \"aws_mrkenv_header\" or \"aws_mrkenv_tag\" attribute (to read items written before encryption was turned on, allow plaintext items when decrypting)")]
    NotEncrypted,
    /// A plaintext item was given to re-key.
    #[error("item is not an encrypted record: it has no \"aws_mrkenv_header\" or \"aws_mrkenv_tag\" attribute, so there are no keys to change")]
    NothingToRekey,
    /// The stored record is not well formed.
    #[error("{location}: {problem}")]
    Malformed {
        /// Where: "record header field 6 (signed attributes)", "attribute \"name\"", ...
        location: String,
        /// What was wrong.
        problem: String,
    },
    /// The data key does not match the record's key commitment.
    #[error("record key commitment does not match: wrong data key or tampered header")]
    Commitment,
    /// The record tag does not verify.
    #[error("record tag does not verify: the header or a signed attribute was changed")]
    Tag,
    /// A signed attribute listed in the header is not in the item.
    #[error("signed attribute {0:?} is missing from the item")]
    MissingSignedAttribute(String),
    /// An encrypted attribute does not decrypt.
    #[error("attribute {0:?}: ciphertext does not verify")]
    AttributeTag(String),
    /// The record was written for another table or key schema.
    #[error("record was written {what} {}, not {}", show_name(.found), show_name(.expected))]
    ConfigMismatch {
        /// `for table`, `with partition key` or `with sort key`.
        what: &'static str,
        /// What the caller configured.
        expected: Option<String>,
        /// What the record's encryption context holds.
        found: Option<String>,
    },
}

fn show_name(name: &Option<String>) -> String {
    match name {
        Some(name) => format!("{name:?}"),
        None => "(none)".to_string(),
    }
}

impl RecordError {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            RecordError::UnknownAction(_)
            | RecordError::MissingAction(_)
            | RecordError::KeyAction { .. }
            | RecordError::MissingKey { .. }
            | RecordError::ContextValueType { .. }
            | RecordError::ReservedAttribute(_)
            | RecordError::ReservedContextKey(_)
            | RecordError::Config(_)
            | RecordError::InvalidValue { .. }
            | RecordError::Json(_)
            | RecordError::MaterialsContext => ErrorKind::InvalidArgument,
            RecordError::NotEncrypted
            | RecordError::NothingToRekey
            | RecordError::Malformed { .. } => ErrorKind::MalformedMessage,
            RecordError::Commitment
            | RecordError::Tag
            | RecordError::MissingSignedAttribute(_)
            | RecordError::AttributeTag(_) => ErrorKind::Authentication,
            RecordError::ConfigMismatch { .. } => ErrorKind::ContextMismatch,
        }
    }

    pub(crate) fn malformed(location: impl Into<String>, problem: impl Into<String>) -> Self {
        RecordError::Malformed {
            location: location.into(),
            problem: problem.into(),
        }
    }
}

/// A re-key was asked for something it cannot do (kind
/// [`ErrorKind::InvalidArgument`]). Checked before any KMS call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RekeyError {
    /// The new header would hold no encrypted data key.
    #[error("re-key would leave no encrypted data key: add a key or remove fewer")]
    NoKeyLeft,
    /// A key to remove has no encrypted data key in the message.
    #[error("cannot remove {0:?}: no encrypted data key of the message is for this key")]
    NotInMessage(String),
    /// The re-key steps were called out of order.
    #[error("re-key: {0}")]
    Order(&'static str),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
