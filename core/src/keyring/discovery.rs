//! The discovery multi-Region-aware KMS keyring: decrypt-only, any key the
//! caller may use, in one Region, optionally limited to a partition and
//! accounts.

use crate::arn::KmsArn;
use crate::context::EncryptionContext;
use crate::crypto::DataKey;
use crate::error::{Error, KeyringError};
use crate::format::EncryptedDataKey;
use crate::limits::Limits;

use super::kms::{self, DecryptPlan, DecryptRequest, DecryptResponse, GenerateDataKeyRequest};

/// Which keys a discovery keyring may use: one partition, listed accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryFilter {
    /// e.g. `aws`.
    pub partition: String,
    /// Account ids whose keys may be used (at least one).
    pub account_ids: Vec<String>,
}

impl DiscoveryFilter {
    /// Makes a filter, checking it on its own: a non-empty partition without
    /// `:`, whitespace or control characters, and at least one account id,
    /// each exactly 12 digits.
    ///
    /// ```
    /// use mrkenv::keyring::DiscoveryFilter;
    /// let filter = DiscoveryFilter::new("aws", ["111122223333"])?;
    /// assert_eq!(filter.account_ids, ["111122223333"]);
    /// assert!(DiscoveryFilter::new("aws", Vec::<String>::new()).is_err());
    /// # Ok::<(), mrkenv::Error>(())
    /// ```
    pub fn new<I, S>(partition: impl Into<String>, account_ids: I) -> Result<DiscoveryFilter, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let filter = DiscoveryFilter {
            partition: partition.into(),
            account_ids: account_ids.into_iter().map(Into::into).collect(),
        };
        filter.validate()?;
        Ok(filter)
    }

    /// The checks of [`DiscoveryFilter::new`], for a filter built from its
    /// public fields.
    pub fn validate(&self) -> Result<(), Error> {
        if self.partition.is_empty()
            || self.partition.contains(':')
            || crate::names::first_space_or_control(&self.partition).is_some()
        {
            return Err(KeyringError::Discovery(format!(
                "invalid discovery filter partition {:?}",
                self.partition
            ))
            .into());
        }
        if self.account_ids.is_empty() {
            return Err(KeyringError::Discovery(
                "discovery filter needs at least one account id".to_string(),
            )
            .into());
        }
        for account in &self.account_ids {
            crate::names::check_account_id(account).map_err(|problem| {
                KeyringError::Discovery(format!("invalid discovery filter account id: {problem}"))
            })?;
        }
        Ok(())
    }
}

/// A decrypt-only keyring for one Region.
///
/// An MRK encrypted data key is asked in this Region (its ARN with the Region
/// replaced); a single-Region key is asked only when it lives in this Region,
/// otherwise it is skipped without calling KMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsMrkDiscoveryKeyring {
    region: String,
    filter: Option<DiscoveryFilter>,
}

impl KmsMrkDiscoveryKeyring {
    /// Validates the Region (the shape of an AWS Region, e.g. `us-east-1`)
    /// and the filter. Never calls KMS.
    pub fn new(
        region: impl Into<String>,
        filter: Option<DiscoveryFilter>,
    ) -> Result<KmsMrkDiscoveryKeyring, Error> {
        let region = region.into();
        crate::names::check_region(&region)
            .map_err(|problem| KeyringError::Discovery(format!("invalid region: {problem}")))?;
        if let Some(filter) = &filter {
            filter.validate()?;
        }
        Ok(KmsMrkDiscoveryKeyring { region, filter })
    }

    /// The Region KMS is called in.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The discovery filter, if any.
    pub fn filter(&self) -> Option<&DiscoveryFilter> {
        self.filter.as_ref()
    }

    /// Always fails: a discovery keyring cannot encrypt.
    pub fn generate_data_key_request(
        &self,
        _encryption_context: &EncryptionContext,
        _limits: &Limits,
    ) -> Result<GenerateDataKeyRequest, Error> {
        Err(KeyringError::DiscoveryCannotEncrypt.into())
    }

    /// The ordered `Decrypt` calls for the encrypted data keys of a message's
    /// or a record's header (see the type's docs).
    pub fn decrypt_plan(
        &self,
        encrypted_data_keys: &[EncryptedDataKey],
        encryption_context: &EncryptionContext,
    ) -> Result<DecryptPlan, Error> {
        kms::plan_decrypt(encrypted_data_keys, encryption_context, |edk, arn| {
            Ok(self.choose(edk, arn).map(|key_id| vec![key_id]))
        })
    }

    /// The `KeyId` to ask for one `aws-kms` key, or why it is skipped.
    fn choose(&self, edk: &EncryptedDataKey, arn: &KmsArn) -> Result<String, String> {
        if let Some(filter) = &self.filter {
            if arn.partition != filter.partition {
                return Err(format!(
                    "partition {:?} is not the discovery filter's {:?}",
                    arn.partition, filter.partition
                ));
            }
            if !filter.account_ids.contains(&arn.account) {
                return Err(format!(
                    "account {} is not in the discovery filter",
                    arn.account
                ));
            }
        }
        if arn.is_mrk() {
            Ok(arn.with_region(&self.region).to_string())
        } else if arn.region == self.region {
            Ok(edk.provider_info.clone())
        } else {
            Err(format!(
                "single-Region key in {}, keyring is in {}",
                arn.region, self.region
            ))
        }
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
