//! Re-keying a message or a record: change which keys can open it without
//! touching its body (`docs/FORMAT.md` part 15) or its attributes.
//!
//! The frames' AAD binds the message id, sequence number, final flag and
//! length, not the header; so a new list of encrypted data keys needs only a
//! new header and header tag, and every frame stays byte for byte. A re-key
//! obtains the data key with one keyring exactly as decrypt does (the
//! commitment and the old header tag are verified before anything is
//! written), wraps it with the keys of another keyring ([`Keyring::wrap_session`]),
//! and writes a header with the same version, suite, message id, context,
//! frame length and commitment, the new list of encrypted data keys (the kept
//! ones first, in their order, then the added ones) and a new header tag.
//!
//! The operations, in [`RekeyOptions`]: **add** the keys of a keyring,
//! **remove** the encrypted data keys of given key ids (see [`edk_matches`]),
//! or **replace** (both). At least one encrypted data key must remain, the
//! EDK limit applies, and the encryption context cannot change (a required
//! context is only checked against the message's).
//!
//! Three forms, all over the same sans-IO steps:
//!
//! - header only: [`rekey_header`] takes the first bytes of a message (at
//!   least up to the end of its header tag) and returns the new head and the
//!   offset where the unchanged body starts in the old message;
//! - whole message in memory: [`rekey_message`];
//! - streaming, in constant memory: [`Rekeyer`];
//! - a record (DynamoDB item): [`rekey_record`], or the steps of
//!   [`RecordRekeyPlan`]; only its header attribute and tag change.
//!
//! The steps, for hosts that step the sessions themselves (JavaScript):
//!
//! 1. [`RekeyPlan::new`] reads the old head (prefix, header, header tag
//!    framing) and checks the options: what is kept, what is added, the
//!    limits. It exposes the header for the decrypt session
//!    ([`RekeyPlan::decrypt_session`]); with the whole message at hand,
//!    [`RekeyPlan::check_body`] checks the body's framing first.
//! 2. [`RekeyPlan::verify`] takes the data key, checks the commitment and the
//!    header tag, and gives a [`VerifiedRekey`], whose
//!    [`wrap_session`](VerifiedRekey::wrap_session) wraps the data key with
//!    the keys to add.
//! 3. [`VerifiedRekey::new_head`] takes the added encrypted data keys and
//!    writes the new head.
//!
//! ```
//! use mrkenv::keyring::{Keyring, RawAesKeyring};
//! use mrkenv::rekey::{rekey_message, RekeyOptions};
//! use mrkenv::session::driver::NoKms;
//! use mrkenv::{decrypt, encrypt, parse_header, EncryptOptions};
//!
//! let old = RawAesKeyring::new("my-app", "key-2025", &[1u8; 32])?;
//! let new = RawAesKeyring::new("my-app", "key-2026", &[2u8; 32])?;
//! let materials = old.encryption_materials(&Default::default(), &Default::default())?;
//! let message = encrypt(materials, b"secret", &EncryptOptions::default())?;
//!
//! // Replace key-2025 by key-2026.
//! let options = RekeyOptions {
//!     add: Some(Keyring::from(new.clone())),
//!     remove: vec!["key-2025".into()],
//!     ..Default::default()
//! };
//! let rekeyed = rekey_message(&message, &Keyring::from(old.clone()), &mut NoKms, &mut NoKms, &options)
//!     .map_err(|e| e.into_error())?;
//!
//! let header = parse_header(&rekeyed, &Default::default())?;
//! assert!(old.unwrap_data_key(&header).is_err());
//! let data_key = new.unwrap_data_key(&header)?;
//! assert_eq!(decrypt(&rekeyed, &data_key, &Default::default())?, b"secret");
//! # Ok::<(), mrkenv::Error>(())
//! ```

mod blocking;
mod frames;
mod plan;
mod record;
mod rekeyer;

pub use blocking::{rekey_header, rekey_message, rekey_record};
pub use plan::{RekeyPlan, VerifiedRekey};
pub use record::{RecordRekeyPlan, VerifiedRecordRekey};
pub use rekeyer::Rekeyer;

use crate::arn::{mrk_match, KmsArn};
use crate::context::EncryptionContext;
use crate::error::Error;
use crate::format::{EncryptedDataKey, AWS_KMS_PROVIDER_ID};
use crate::keyring::Keyring;
use crate::limits::Limits;

/// What a re-key changes, and what it checks.
#[derive(Debug, Clone, Default)]
pub struct RekeyOptions {
    /// Wrap the data key with every key of this keyring (a strict KMS
    /// keyring: KMS `Encrypt` per key; raw AES: locally). A discovery
    /// keyring cannot add keys.
    pub add: Option<Keyring>,
    /// Remove the encrypted data keys of these keys: KMS key ARNs, or raw
    /// AES key names (the provider info). Each must match at least one
    /// encrypted data key of the message (see [`edk_matches`]).
    pub remove: Vec<String>,
    /// Whether removing a multi-Region key ARN also removes the encrypted
    /// data keys of its replicas in other Regions (default: only the exact
    /// ARN).
    pub match_replicas: bool,
    /// Pairs the message's encryption context must hold (checked, never
    /// changed: a re-key keeps the context).
    pub required_context: EncryptionContext,
    /// Limits for reading the old header and writing the new one.
    pub limits: Limits,
}

/// Whether removing `key_id` removes `edk`, the rule of `docs/FORMAT.md`
/// §15.2:
///
/// - an `aws-kms` encrypted data key matches when its provider info (a key
///   ARN) equals `key_id`; with `match_replicas`, also when `key_id` is a
///   key ARN that is an MRK match for it (the same multi-Region key in
///   another Region);
/// - an encrypted data key of any other provider (raw AES) matches when its
///   provider info (the key name) equals `key_id`.
///
/// A `key_id` that starts with `arn:` must be a valid KMS ARN (else
/// `InvalidArn`); with `match_replicas`, an `aws-kms` provider info that is
/// not a valid key ARN is an error too, as in decrypt.
pub fn edk_matches(
    edk: &EncryptedDataKey,
    key_id: &str,
    match_replicas: bool,
) -> Result<bool, Error> {
    let is_arn = key_id.starts_with("arn:");
    if is_arn {
        KmsArn::parse(key_id)?;
    }
    if edk.provider_info == key_id {
        return Ok(true);
    }
    if edk.provider_id == AWS_KMS_PROVIDER_ID && match_replicas && is_arn {
        return mrk_match(key_id, &edk.provider_info);
    }
    Ok(false)
}
