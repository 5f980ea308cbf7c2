//! Sans-IO keyrings: they decide what to ask KMS (or do the wrapping locally,
//! for raw AES keys) and check the answers, but never perform I/O.
//!
//! Encrypt with a KMS keyring:
//!
//! 1. [`KmsMrkKeyring::generate_data_key_request`] -> the host calls KMS
//!    `GenerateDataKey` -> [`KmsMrkKeyring::accept_generate_data_key`] gives the
//!    data key and the first encrypted data key;
//! 2. [`KmsMrkKeyring::encrypt_requests`] -> the host calls KMS `Encrypt` for
//!    each -> [`KmsMrkKeyring::accept_encrypt`];
//! 3. the data key, encrypted data keys and context become
//!    [`EncryptionMaterials`] for [`crate::encrypt`] or [`crate::Encryptor`].
//!
//! Decrypt: parse the header, ask the keyring for a [`DecryptPlan`], call KMS
//! `Decrypt` for each request in order until [`accept_decrypt`] returns a data
//! key, and collect every failure as an [`Attempt`]; when none succeeds, report
//! [`no_decryptable_key`].
//!
//! [`accept_decrypt`]: KmsMrkKeyring::accept_decrypt

mod discovery;
mod kms;
mod raw_aes;
mod strict;

pub use discovery::{DiscoveryFilter, KmsMrkDiscoveryKeyring};
pub use kms::{
    DecryptPlan, DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse,
    GenerateDataKeyRequest, GenerateDataKeyResponse,
};
pub use raw_aes::RawAesKeyring;
pub use strict::KmsMrkKeyring;

use std::fmt;

use crate::context::EncryptionContext;
use crate::crypto::DataKey;
use crate::error::{Attempt, Error};
use crate::format::EncryptedDataKey;

/// What a message is sealed with: the data key, its encrypted copies and the
/// encryption context.
#[derive(Clone)]
pub struct EncryptionMaterials {
    /// The plaintext data key.
    pub data_key: DataKey,
    /// One or more encrypted copies of it.
    pub encrypted_data_keys: Vec<EncryptedDataKey>,
    /// The context bound into the message and passed to every KMS call.
    pub encryption_context: EncryptionContext,
}

impl fmt::Debug for EncryptionMaterials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionMaterials")
            .field("data_key", &self.data_key)
            .field("encrypted_data_keys", &self.encrypted_data_keys)
            .field("encryption_context", &self.encryption_context)
            .finish()
    }
}

/// The error for a decrypt where no attempt succeeded.
pub fn no_decryptable_key(attempts: Vec<Attempt>) -> Error {
    Error::NoDecryptableKey { attempts }
}
