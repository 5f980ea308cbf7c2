//! A key-free summary of a message header ([`inspect`]), for display and
//! tooling: the header is read by the same reader as every decrypt path
//! ([`parse_header`]), and nothing in it is authenticated.

use serde::Serialize;

use crate::arn::KmsArn;
use crate::context::EncryptionContext;
use crate::error::Error;
use crate::format::{Header, AWS_KMS_PROVIDER_ID};
use crate::limits::Limits;
use crate::message::parse_header;

/// A key-free summary of a header, for display and tooling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeaderSummary {
    /// Format version (1).
    pub version: u8,
    /// Suite id (1).
    pub suite: u16,
    /// Suite name.
    pub suite_name: String,
    /// Message id, lowercase hex.
    pub message_id: String,
    /// The encryption context.
    pub encryption_context: EncryptionContext,
    /// Plaintext bytes per frame.
    pub frame_length: u32,
    /// One entry per encrypted data key, in header order.
    pub encrypted_data_keys: Vec<EdkSummary>,
}

/// A summary of one encrypted data key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdkSummary {
    /// `aws-kms` or a raw AES namespace.
    pub provider_id: String,
    /// A key ARN or a raw AES key name.
    pub provider_info: String,
    /// For `aws-kms` keys whose info is a valid key ARN: the ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_arn: Option<String>,
    /// For `aws-kms` keys: the Region of the ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// For `aws-kms` keys: whether it is a multi-Region key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_mrk: Option<bool>,
    /// Length of the wrapped key, in bytes.
    pub ciphertext_len: usize,
}

impl HeaderSummary {
    /// Summarises a parsed header.
    pub fn from_header(header: &Header) -> HeaderSummary {
        HeaderSummary {
            version: header.version(),
            suite: header.suite.id(),
            suite_name: header.suite.name().to_string(),
            message_id: hex::encode(header.message_id),
            encryption_context: header.encryption_context.clone(),
            frame_length: header.frame_length,
            encrypted_data_keys: header
                .encrypted_data_keys
                .iter()
                .map(|edk| {
                    let arn = (edk.provider_id == AWS_KMS_PROVIDER_ID)
                        .then(|| KmsArn::parse_key_arn(&edk.provider_info).ok())
                        .flatten();
                    EdkSummary {
                        provider_id: edk.provider_id.clone(),
                        provider_info: edk.provider_info.clone(),
                        key_arn: arn.as_ref().map(|a| a.to_string()),
                        region: arn.as_ref().map(|a| a.region.clone()),
                        is_mrk: arn.as_ref().map(|a| a.is_mrk()),
                        ciphertext_len: edk.ciphertext.len(),
                    }
                })
                .collect(),
        }
    }
}

/// Summarises the header of `message` (or of a prefix of it), with no key.
pub fn inspect(message: &[u8]) -> Result<HeaderSummary, Error> {
    inspect_with_limits(message, &Limits::default())
}

/// [`inspect`] with explicit limits.
pub fn inspect_with_limits(message: &[u8], limits: &Limits) -> Result<HeaderSummary, Error> {
    Ok(HeaderSummary::from_header(&parse_header(message, limits)?))
}
