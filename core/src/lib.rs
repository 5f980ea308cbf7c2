//! # mrkenv
//!
//! A portable envelope-encryption format that understands AWS KMS multi-Region
//! keys. This crate is the sans-IO core: it never calls KMS. Keyrings tell the
//! host what to ask KMS and check the answers; the message functions seal and
//! open the CBOR envelope (see `docs/FORMAT.md`).
//!
//! Modules mirror the design:
//!
//! - [`arn`]: KMS identifiers, MRK detection and matching, uniqueness;
//! - [`format`](mod@format): the byte format (prefix, CBOR header, frames);
//! - [`crypto`]: the key schedule, commitment and AEAD;
//! - [`keyring`]: strict and discovery MRK keyrings and the raw AES keyring;
//! - [`session`]: the KMS conversation as a sans-IO state machine, and a
//!   blocking driver over a small [`session::Kms`] trait;
//! - [`stream`]: incremental [`Encryptor`] and [`Decryptor`];
//! - [`record`]: DynamoDB items encrypted attribute by attribute;
//! - [`rekey`]: change which keys open a message, header only, frames untouched;
//! - [`message`]: one-shot [`encrypt`] / [`decrypt`], [`parse_header`];
//! - [`names`]: the shapes of Regions, account ids and identifiers;
//! - [`inspect`](mod@inspect): a key-free [`HeaderSummary`] of a header;
//! - [`error`]: the one [`Error`] enum and its stable [`ErrorKind`].
//!
//! ```
//! use mrkenv::keyring::RawAesKeyring;
//! use mrkenv::{decrypt, encrypt, parse_header, DecryptOptions, EncryptOptions, EncryptionContext};
//!
//! let keyring = RawAesKeyring::new("my-app", "key-1", &[42u8; 32])?;
//! let mut context = EncryptionContext::new();
//! context.insert("tenant".into(), "acme".into());
//! let materials = keyring.encryption_materials(&context, &Default::default())?;
//! let message = encrypt(materials, b"secret", &EncryptOptions::default())?;
//!
//! let header = parse_header(&message, &Default::default())?;
//! let data_key = keyring.unwrap_data_key(&header)?;
//! let options = DecryptOptions { required_context: context, ..Default::default() };
//! assert_eq!(decrypt(&message, &data_key, &options)?, b"secret");
//! # Ok::<(), mrkenv::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod arn;
pub mod context;
pub mod crypto;
pub mod error;
pub mod format;
pub mod host_frames;
pub mod inspect;
pub mod keyring;
pub mod limits;
pub mod message;
pub mod names;
mod parallel;
pub mod record;
pub mod rekey;
pub mod session;
pub mod stream;
mod wipe;

pub use arn::{check_unique_mrks, is_mrk, mrk_match, parse_arn, KeyIdentifier, KmsArn};
pub use context::{check_required_context, EncryptionContext};
pub use crypto::{DataKey, Suite};
pub use error::{Attempt, Error, ErrorKind, RecordError, RekeyError, Result};
pub use format::{EncryptedDataKey, Header};
pub use inspect::{inspect, inspect_with_limits, EdkSummary, HeaderSummary};
pub use keyring::{EncryptionMaterials, Keyring};
pub use limits::{Limits, DEFAULT_FRAME_LENGTH, MAX_FRAME_LENGTH, MIN_FRAME_LENGTH};
pub use message::{
    decrypt, decrypt_in_place, decrypt_to_slice, encrypt, encrypt_in_place, encrypt_to_slice,
    message_len, parse_header, parse_header_with, ParsedMessage,
};
pub use stream::{DecryptOptions, Decryptor, EncryptOptions, Encryptor};
