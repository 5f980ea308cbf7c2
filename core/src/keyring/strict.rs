//! The strict multi-Region-aware KMS keyring: a fixed list of keys.

use crate::arn::{check_unique_mrks, mrk_match, KeyIdentifier};
use crate::context::{check_context_limits, EncryptionContext};
use crate::crypto::{DataKey, Suite};
use crate::error::{Error, KeyringError};
use crate::format::EncryptedDataKey;
use crate::limits::Limits;

use super::kms::{
    self, kms_edk, response_data_key, response_key_arn, DecryptPlan, DecryptRequest,
    DecryptResponse, EncryptRequest, EncryptResponse, GenerateDataKeyRequest,
    GenerateDataKeyResponse,
};

/// A KMS keyring configured with one or more keys; the first one generates the
/// data key, every other one wraps it.
///
/// On decrypt it considers only `aws-kms` encrypted data keys whose ARN is an
/// MRK match for a configured key, and calls KMS with the *configured* key id
/// (so a replica in the local Region is used).
///
/// ```
/// use mrkenv::keyring::KmsMrkKeyring;
///
/// let east = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
/// let west = "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
/// assert!(KmsMrkKeyring::new([east]).is_ok());
/// let err = KmsMrkKeyring::new([east, west]).unwrap_err();
/// assert!(err.to_string().contains(east) && err.to_string().contains(west));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsMrkKeyring {
    key_ids: Vec<String>,
}

impl KmsMrkKeyring {
    /// Validates the key ids (each a KMS ARN, alias or key id; related MRKs are
    /// refused, naming every related id). Never calls KMS.
    pub fn new<I, S>(key_ids: I) -> Result<KmsMrkKeyring, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let key_ids: Vec<String> = key_ids.into_iter().map(Into::into).collect();
        if key_ids.is_empty() {
            return Err(KeyringError::NoKeyIds.into());
        }
        for key_id in &key_ids {
            KeyIdentifier::parse(key_id)?;
        }
        check_unique_mrks(&key_ids)?;
        Ok(KmsMrkKeyring { key_ids })
    }

    /// The configured key ids, in order.
    pub fn key_ids(&self) -> &[String] {
        &self.key_ids
    }

    /// The `GenerateDataKey` call for the first key. Checks the context and
    /// the number of encrypted data keys against `limits` first.
    pub fn generate_data_key_request(
        &self,
        encryption_context: &EncryptionContext,
        limits: &Limits,
    ) -> Result<GenerateDataKeyRequest, Error> {
        check_context_limits(encryption_context, limits)?;
        limits.check_encrypted_data_keys(self.key_ids.len())?;
        Ok(GenerateDataKeyRequest {
            key_id: self.key_ids[0].clone(),
            number_of_bytes: Suite::Aes256GcmHkdfSha512Committed.data_key_len(),
            encryption_context: encryption_context.clone(),
        })
    }

    /// Checks the `GenerateDataKey` answer: a 32-byte plaintext, a key ARN as
    /// `KeyId` (it becomes the provider info) and a ciphertext blob.
    pub fn accept_generate_data_key(
        &self,
        request: &GenerateDataKeyRequest,
        response: GenerateDataKeyResponse<'_>,
    ) -> Result<(DataKey, EncryptedDataKey), Error> {
        const OP: &str = "GenerateDataKey";
        let arn = response_key_arn(OP, &request.key_id, response.key_id)?;
        let data_key = response_data_key(OP, &request.key_id, response.plaintext)?;
        let edk = kms_edk(OP, &request.key_id, arn, response.ciphertext_blob)?;
        Ok((data_key, edk))
    }

    /// The `Encrypt` calls for every key after the first.
    pub fn encrypt_requests(
        &self,
        data_key: &DataKey,
        encryption_context: &EncryptionContext,
    ) -> Vec<EncryptRequest> {
        (1..self.key_ids.len())
            .filter_map(|i| self.encrypt_request(i, data_key, encryption_context))
            .collect()
    }

    /// The `Encrypt` call for the configured key at `index` (0-based), or
    /// `None` past the last key.
    pub fn encrypt_request(
        &self,
        index: usize,
        data_key: &DataKey,
        encryption_context: &EncryptionContext,
    ) -> Option<EncryptRequest> {
        self.key_ids.get(index).map(|key_id| EncryptRequest {
            key_id: key_id.clone(),
            plaintext: data_key.clone(),
            encryption_context: encryption_context.clone(),
        })
    }

    /// Checks an `Encrypt` answer: a key ARN as `KeyId` and a ciphertext blob.
    pub fn accept_encrypt(
        &self,
        request: &EncryptRequest,
        response: EncryptResponse<'_>,
    ) -> Result<EncryptedDataKey, Error> {
        const OP: &str = "Encrypt";
        let arn = response_key_arn(OP, &request.key_id, response.key_id)?;
        kms_edk(OP, &request.key_id, arn, response.ciphertext_blob)
    }

    /// The ordered `Decrypt` calls for the encrypted data keys of a message's
    /// or a record's header: for each `aws-kms` key in header order, one call
    /// per configured key that is an MRK match for it, with `KeyId` = the
    /// configured key. An `aws-kms` key whose provider info is not a key ARN
    /// fails the whole decrypt.
    pub fn decrypt_plan(
        &self,
        encrypted_data_keys: &[EncryptedDataKey],
        encryption_context: &EncryptionContext,
    ) -> Result<DecryptPlan, Error> {
        kms::plan_decrypt(encrypted_data_keys, encryption_context, |edk, _| {
            let mut matched = Vec::new();
            for key_id in &self.key_ids {
                if mrk_match(key_id, &edk.provider_info)? {
                    matched.push(key_id.clone());
                }
            }
            if matched.is_empty() {
                return Ok(Err("not a configured key (no MRK match)".to_string()));
            }
            Ok(Ok(matched))
        })
    }

    /// Checks a `Decrypt` answer: `KeyId` equal to the one asked, 32 bytes.
    pub fn accept_decrypt(
        &self,
        request: &DecryptRequest,
        response: DecryptResponse<'_>,
    ) -> Result<DataKey, Error> {
        kms::accept_decrypt(request, response)
    }
}
