//! The byte format, version 1 (specified in `docs/FORMAT.md`).
//!
//! A message is a sequence of self-delimiting pieces:
//!
//! 1. the prefix: the ASCII bytes `MRKE` and the version byte `0x01`;
//! 2. the header: a CBOR byte string holding the deterministic CBOR encoding of
//!    the header map ([`header`]);
//! 3. the header tag: a CBOR byte string of 16 bytes;
//! 4. frames: each a CBOR array `[sequence, final, ciphertext || tag]`
//!    ([`frame`]); the last one has `final = true`.

pub mod cbor;
pub(crate) mod fields;
pub mod frame;
pub mod header;
pub(crate) mod prelude;
pub mod text_hint;

pub use frame::FrameHead;
pub use header::{EncryptedDataKey, Header};

/// The first four bytes of every message.
pub const MAGIC: [u8; 4] = *b"MRKE";
/// The format version this library writes and reads.
pub const VERSION: u8 = 1;
/// The prefix of a version 1 message.
pub const PREFIX: [u8; 5] = [b'M', b'R', b'K', b'E', VERSION];
/// The provider id of encrypted data keys wrapped by AWS KMS.
pub const AWS_KMS_PROVIDER_ID: &str = "aws-kms";
