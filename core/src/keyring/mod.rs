//! Sans-IO keyrings: they decide what to ask KMS (or do the wrapping locally,
//! for raw AES keys) and check the answers, but never perform I/O.
//!
//! [`Keyring`] is the one type hosts hold: any of the three keyrings. The
//! whole KMS conversation (which calls, in which order, what each answer must
//! be) is driven by the [`crate::session`] module, built from a `Keyring`;
//! bindings never step through the request/accept functions below
//! themselves. Those functions are the per-keyring rules the sessions use:
//!
//! - encrypt with a KMS keyring: `GenerateDataKey` with the first key
//!   ([`KmsMrkKeyring::generate_data_key_request`] /
//!   [`KmsMrkKeyring::accept_generate_data_key`]), then `Encrypt` with every
//!   other key ([`KmsMrkKeyring::encrypt_requests`] /
//!   [`KmsMrkKeyring::accept_encrypt`]);
//! - decrypt: a [`DecryptPlan`] of `Decrypt` requests in order, plus the keys
//!   skipped without a call; the first accepted answer wins.

mod discovery;
pub(crate) mod kms;
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
use crate::error::{Attempt, Error, KeyringError};
use crate::format::EncryptedDataKey;
use crate::limits::Limits;
use crate::session::{DecryptSession, EncryptSession};

/// Any keyring: what a host holds and hands to the sessions.
///
/// ```
/// use mrkenv::keyring::{Keyring, RawAesKeyring};
/// use mrkenv::session::Step;
///
/// let keyring = Keyring::from(RawAesKeyring::new("my-app", "key-1", &[7u8; 32])?);
/// assert!(keyring.can_encrypt());
/// let mut session = keyring.encrypt_session(&Default::default(), &Default::default())?;
/// // A raw AES keyring wraps locally: the session is done without a KMS call.
/// assert!(matches!(session.next(), Step::Done(_)));
/// # Ok::<(), mrkenv::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Keyring {
    /// Strict multi-Region-aware KMS keyring.
    KmsMrk(KmsMrkKeyring),
    /// Discovery multi-Region-aware KMS keyring (decrypt only).
    KmsMrkDiscovery(KmsMrkDiscoveryKeyring),
    /// Local AES-256-GCM wrapping key.
    RawAes(RawAesKeyring),
}

impl Keyring {
    /// Whether this keyring can encrypt (a discovery keyring cannot).
    pub fn can_encrypt(&self) -> bool {
        !matches!(self, Keyring::KmsMrkDiscovery(_))
    }

    /// The configured identifiers that are not key ARNs (aliases, bare key
    /// ids, alias ARNs): a strict keyring encrypts with them, but decrypt
    /// matches encrypted data keys by key ARN only, so they never match.
    /// Empty for the other keyrings.
    pub fn not_key_arns(&self) -> Vec<String> {
        match self {
            Keyring::KmsMrk(k) => k
                .key_ids()
                .iter()
                .filter(|id| crate::arn::KmsArn::parse_key_arn(id).is_err())
                .cloned()
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether this keyring calls KMS (and so needs a KMS client).
    pub fn uses_kms(&self) -> bool {
        matches!(self, Keyring::KmsMrk(_) | Keyring::KmsMrkDiscovery(_))
    }

    /// The conversation that yields the [`EncryptionMaterials`] for one
    /// message or record under `encryption_context`. Checks the context and
    /// key count against `limits` before any KMS call; a discovery keyring
    /// fails here.
    pub fn encrypt_session(
        &self,
        encryption_context: &EncryptionContext,
        limits: &Limits,
    ) -> Result<EncryptSession, Error> {
        EncryptSession::new(self, encryption_context, limits)
    }

    /// The conversation that wraps an existing `data_key` under every key of
    /// this keyring, for a re-key ([`crate::rekey`]): KMS `Encrypt` with each
    /// key of a strict keyring in order (never `GenerateDataKey`), local
    /// wrapping for raw AES. Its materials hold `data_key` and one encrypted
    /// data key per key. Checks the context and key count against `limits`
    /// before any KMS call; a discovery keyring fails here.
    ///
    /// ```
    /// use mrkenv::keyring::{Keyring, KmsMrkKeyring};
    /// use mrkenv::session::{KmsRequest, Step};
    /// use mrkenv::DataKey;
    ///
    /// let arn = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    /// let keyring = Keyring::from(KmsMrkKeyring::new([arn])?);
    /// let data_key = DataKey::new([1; 32]);
    /// let mut session = keyring.wrap_session(&data_key, &Default::default(), &Default::default())?;
    /// match session.next() {
    ///     Step::Call { request: KmsRequest::Encrypt(r), .. } => assert_eq!(r.key_id, arn),
    ///     other => panic!("expected an Encrypt call, got {other:?}"),
    /// }
    /// # Ok::<(), mrkenv::Error>(())
    /// ```
    pub fn wrap_session(
        &self,
        data_key: &DataKey,
        encryption_context: &EncryptionContext,
        limits: &Limits,
    ) -> Result<EncryptSession, Error> {
        EncryptSession::wrap(self, data_key, encryption_context, limits)
    }

    /// The conversation that finds the data key among `encrypted_data_keys`
    /// (a message's header or a record's). Fails before any KMS call when an
    /// `aws-kms` key's provider info is not a key ARN.
    pub fn decrypt_session(
        &self,
        encrypted_data_keys: &[EncryptedDataKey],
        encryption_context: &EncryptionContext,
    ) -> Result<DecryptSession, Error> {
        DecryptSession::new(self, encrypted_data_keys, encryption_context)
    }

    /// The `Decrypt` requests a KMS keyring would make, in order, and the
    /// keys it would skip (a raw AES keyring makes no requests: an empty plan).
    pub fn decrypt_plan(
        &self,
        encrypted_data_keys: &[EncryptedDataKey],
        encryption_context: &EncryptionContext,
    ) -> Result<DecryptPlan, Error> {
        match self {
            Keyring::KmsMrk(k) => k.decrypt_plan(encrypted_data_keys, encryption_context),
            Keyring::KmsMrkDiscovery(k) => k.decrypt_plan(encrypted_data_keys, encryption_context),
            Keyring::RawAes(_) => Ok(DecryptPlan::default()),
        }
    }

    /// Fails, before any KMS call, when the host's KMS client (whose Region
    /// is `client_region`) cannot be the one this keyring's calls need: a
    /// strict keyring's key ARN in another Region ("the KMS client is for
    /// us-west-2 but the key ... is in us-east-1"), or a discovery keyring
    /// for another Region. Aliases and bare key ids name no Region and pass;
    /// a raw AES keyring needs no client and always passes. Bindings call
    /// this where the client's Region is known, so the user reads the real
    /// cause instead of a KeyId mismatch after the call.
    ///
    /// ```
    /// use mrkenv::keyring::{Keyring, KmsMrkKeyring};
    ///
    /// let east = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
    /// let keyring = Keyring::from(KmsMrkKeyring::new([east])?);
    /// assert!(keyring.check_client_region("us-east-1").is_ok());
    /// let err = keyring.check_client_region("us-west-2").unwrap_err();
    /// assert!(err.to_string().contains("the KMS client is for us-west-2 but the key"));
    /// # Ok::<(), mrkenv::Error>(())
    /// ```
    pub fn check_client_region(&self, client_region: &str) -> Result<(), Error> {
        match self {
            Keyring::KmsMrk(k) => {
                for key_id in k.key_ids() {
                    if let Ok(crate::arn::KeyIdentifier::Arn(arn)) =
                        crate::arn::KeyIdentifier::parse(key_id)
                    {
                        if arn.region != client_region {
                            let hint = if arn.is_mrk() {
                                format!(
                                    "; to use the multi-Region key's replica in {client_region}, configure {}",
                                    arn.with_region(client_region)
                                )
                            } else {
                                String::new()
                            };
                            return Err(Error::invalid_argument(format!(
                                "the KMS client is for {client_region} but the key {key_id} is in {}: give a client for {}{hint}",
                                arn.region, arn.region
                            )));
                        }
                    }
                }
                Ok(())
            }
            Keyring::KmsMrkDiscovery(k) if k.region() != client_region => {
                Err(Error::invalid_argument(format!(
                    "the KMS client is for {client_region} but the discovery keyring is for {}: give a client for {} or leave the Region out to take the client's",
                    k.region(),
                    k.region()
                )))
            }
            Keyring::KmsMrkDiscovery(_) | Keyring::RawAes(_) => Ok(()),
        }
    }

    /// Encryption materials with a fixed data key and wrapping IV, to
    /// reproduce test vectors byte for byte. Only a raw AES keyring can: a
    /// KMS keyring's data key comes from KMS.
    pub fn encryption_materials_with(
        &self,
        encryption_context: &EncryptionContext,
        limits: &Limits,
        data_key: DataKey,
        raw_aes_iv: [u8; crate::crypto::IV_LEN],
    ) -> Result<EncryptionMaterials, Error> {
        match self {
            Keyring::RawAes(k) => {
                k.encryption_materials_with(encryption_context, limits, data_key, raw_aes_iv)
            }
            Keyring::KmsMrkDiscovery(_) => Err(KeyringError::DiscoveryCannotEncrypt.into()),
            Keyring::KmsMrk(_) => Err(Error::invalid_argument(
                "a KMS keyring takes its data key from KMS GenerateDataKey; only a raw AES keyring takes a fixed one",
            )),
        }
    }
}

impl From<KmsMrkKeyring> for Keyring {
    fn from(keyring: KmsMrkKeyring) -> Self {
        Keyring::KmsMrk(keyring)
    }
}

impl From<KmsMrkDiscoveryKeyring> for Keyring {
    fn from(keyring: KmsMrkDiscoveryKeyring) -> Self {
        Keyring::KmsMrkDiscovery(keyring)
    }
}

impl From<RawAesKeyring> for Keyring {
    fn from(keyring: RawAesKeyring) -> Self {
        Keyring::RawAes(keyring)
    }
}

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
    Error::NoDecryptableKey {
        attempts,
        not_key_arns: Vec::new(),
    }
}
