//! The KMS requests and responses that keyrings hand to the host, and the
//! checks common to every KMS keyring.

use std::fmt;

use crate::arn::KmsArn;
use crate::context::EncryptionContext;
use crate::crypto::{DataKey, KEY_LEN};
use crate::error::{Attempt, Error, KeyringError};
use crate::format::{EncryptedDataKey, AWS_KMS_PROVIDER_ID};

/// Ask KMS `GenerateDataKey(KeyId, NumberOfBytes, EncryptionContext)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateDataKeyRequest {
    /// The key to generate under, as configured.
    pub key_id: String,
    /// Always 32.
    pub number_of_bytes: usize,
    /// The encryption context.
    pub encryption_context: EncryptionContext,
}

/// What KMS answered to `GenerateDataKey`.
pub struct GenerateDataKeyResponse<'a> {
    /// The response `KeyId` (a full key ARN), if KMS sent one.
    pub key_id: Option<&'a str>,
    /// The response `Plaintext`.
    pub plaintext: &'a [u8],
    /// The response `CiphertextBlob`.
    pub ciphertext_blob: &'a [u8],
}

/// Ask KMS `Encrypt(KeyId, Plaintext, EncryptionContext)`.
#[derive(Clone)]
pub struct EncryptRequest {
    /// The key to wrap under, as configured.
    pub key_id: String,
    /// The data key to wrap.
    pub plaintext: DataKey,
    /// The encryption context.
    pub encryption_context: EncryptionContext,
}

impl fmt::Debug for EncryptRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptRequest")
            .field("key_id", &self.key_id)
            .field("plaintext", &self.plaintext)
            .field("encryption_context", &self.encryption_context)
            .finish()
    }
}

/// What KMS answered to `Encrypt`.
pub struct EncryptResponse<'a> {
    /// The response `KeyId` (a full key ARN), if KMS sent one.
    pub key_id: Option<&'a str>,
    /// The response `CiphertextBlob`.
    pub ciphertext_blob: &'a [u8],
}

/// Ask KMS `Decrypt(KeyId, CiphertextBlob, EncryptionContext)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptRequest {
    /// The key id to pass as `KeyId` (the configured key, or the EDK's ARN in
    /// the keyring's Region for discovery).
    pub key_id: String,
    /// The encrypted data key's ciphertext.
    pub ciphertext_blob: Vec<u8>,
    /// The message's encryption context.
    pub encryption_context: EncryptionContext,
    /// 1-based position of the encrypted data key in the header.
    pub edk_index: usize,
}

/// What KMS answered to `Decrypt`.
pub struct DecryptResponse<'a> {
    /// The response `KeyId`, if KMS sent one.
    pub key_id: Option<&'a str>,
    /// The response `Plaintext`.
    pub plaintext: &'a [u8],
}

/// The ordered KMS calls to try for one message, and the keys that were
/// skipped without a call (with why).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DecryptPlan {
    /// Try in order; the first success wins.
    pub requests: Vec<DecryptRequest>,
    /// Encrypted data keys this keyring did not try, as attempts for the
    /// final error.
    pub skipped: Vec<Attempt>,
}

fn bad_response(operation: &'static str, key_id: &str, problem: impl Into<String>) -> Error {
    KeyringError::BadKmsResponse {
        operation,
        key_id: key_id.to_string(),
        problem: problem.into(),
    }
    .into()
}

/// Checks that a response's `KeyId` is present and a valid key ARN; returns it.
pub(crate) fn response_key_arn(
    operation: &'static str,
    asked: &str,
    key_id: Option<&str>,
) -> Result<String, Error> {
    let key_id = key_id.ok_or_else(|| bad_response(operation, asked, "response has no KeyId"))?;
    KmsArn::parse_key_arn(key_id).map_err(|e| {
        bad_response(
            operation,
            asked,
            format!("response KeyId is not a key ARN ({})", e.reason),
        )
    })?;
    Ok(key_id.to_string())
}

/// Checks a plaintext data key's length and copies it.
pub(crate) fn response_data_key(
    operation: &'static str,
    asked: &str,
    plaintext: &[u8],
) -> Result<DataKey, Error> {
    if plaintext.len() != KEY_LEN {
        return Err(bad_response(
            operation,
            asked,
            format!(
                "plaintext data key is {} bytes, expected {KEY_LEN}",
                plaintext.len()
            ),
        ));
    }
    DataKey::from_slice(plaintext)
}

/// Checks a ciphertext blob is non-empty and builds the encrypted data key.
pub(crate) fn kms_edk(
    operation: &'static str,
    asked: &str,
    key_arn: String,
    blob: &[u8],
) -> Result<EncryptedDataKey, Error> {
    if blob.is_empty() {
        return Err(bad_response(
            operation,
            asked,
            "response CiphertextBlob is empty",
        ));
    }
    Ok(EncryptedDataKey {
        provider_id: AWS_KMS_PROVIDER_ID.to_string(),
        provider_info: key_arn,
        ciphertext: blob.to_vec(),
    })
}

/// The checks on a `Decrypt` response common to strict and discovery keyrings:
/// the response KeyId must equal the requested one, the plaintext 32 bytes.
pub(crate) fn accept_decrypt(
    request: &DecryptRequest,
    response: DecryptResponse<'_>,
) -> Result<DataKey, Error> {
    let asked = request.key_id.as_str();
    match response.key_id {
        None => return Err(bad_response("Decrypt", asked, "response has no KeyId")),
        Some(found) if found != asked => {
            return Err(bad_response(
                "Decrypt",
                asked,
                format!("response KeyId {found:?} is not the key that was asked"),
            ))
        }
        Some(_) => {}
    }
    response_data_key("Decrypt", asked, response.plaintext)
}

/// Parses the provider info of an `aws-kms` encrypted data key as a key ARN;
/// anything else fails the whole decrypt.
fn edk_key_arn(index: usize, edk: &EncryptedDataKey) -> Result<KmsArn, Error> {
    KmsArn::parse_key_arn(&edk.provider_info).map_err(|e| {
        KeyringError::BadProviderInfo {
            index,
            info: edk.provider_info.clone(),
            reason: e.reason.to_string(),
        }
        .into()
    })
}

/// Builds a decrypt plan, the part common to the KMS keyrings: every
/// `aws-kms` encrypted data key, in order, is handed with its parsed ARN to
/// `choose`, which returns the `KeyId`s to ask (`Ok`) or why the key is
/// skipped (`Err`); keys of other providers are skipped; a provider info that
/// is not a key ARN fails the whole plan.
pub(crate) fn plan_decrypt(
    encrypted_data_keys: &[EncryptedDataKey],
    encryption_context: &EncryptionContext,
    mut choose: impl FnMut(&EncryptedDataKey, &KmsArn) -> Result<Result<Vec<String>, String>, Error>,
) -> Result<DecryptPlan, Error> {
    let mut plan = DecryptPlan::default();
    for (i, edk) in encrypted_data_keys.iter().enumerate() {
        let index = i + 1;
        if edk.provider_id != AWS_KMS_PROVIDER_ID {
            plan.skipped.push(skipped_other_provider(edk));
            continue;
        }
        let arn = edk_key_arn(index, edk)?;
        match choose(edk, &arn)? {
            Ok(key_ids) => plan
                .requests
                .extend(key_ids.into_iter().map(|key_id| DecryptRequest {
                    key_id,
                    ciphertext_blob: edk.ciphertext.clone(),
                    encryption_context: encryption_context.clone(),
                    edk_index: index,
                })),
            Err(reason) => plan.skipped.push(Attempt {
                key_id: edk.provider_info.clone(),
                reason: format!("skipped: {reason}"),
            }),
        }
    }
    Ok(plan)
}

/// A skipped attempt for an encrypted data key of another provider.
fn skipped_other_provider(edk: &EncryptedDataKey) -> Attempt {
    Attempt {
        key_id: format!("{}/{}", edk.provider_id, edk.provider_info),
        reason: format!(
            "skipped: provider id {:?} is not {AWS_KMS_PROVIDER_ID:?}",
            edk.provider_id
        ),
    }
}
