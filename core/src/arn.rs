//! KMS key identifiers: ARN parsing, multi-Region key (MRK) detection,
//! MRK matching, the uniqueness rule for related MRKs, and Region rewriting.
//!
//! The rules follow the AWS Encryption SDK specification:
//!
//! - A KMS ARN has exactly six `:`-separated parts: `arn`, a non-empty
//!   partition, the service `kms`, a non-empty Region, a non-empty account and a
//!   resource `key/<id>` or `alias/<name>` split at the first `/` (further `/`
//!   belong to the id; a `:` in the resource is invalid). ASCII, 1..=2048 bytes.
//! - A raw identifier is `alias/<name>` or a bare key id; `key/<id>` alone is
//!   invalid.
//! - An MRK is a `key` ARN whose id starts with `mrk-`, or a raw id starting with
//!   `mrk-`; an alias is never an MRK.
//!
//! ```
//! use mrkenv::arn::{mrk_match, KmsArn};
//!
//! let east = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
//! let west = "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
//! assert!(mrk_match(east, west).unwrap());
//! let replica = KmsArn::parse(east).unwrap().with_region("us-west-2");
//! assert_eq!(replica.to_string(), west);
//! ```

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{ArnError, ArnErrorReason, Error, KeyringError};

/// The longest identifier accepted, in bytes.
pub const MAX_IDENTIFIER_LEN: usize = 2048;

/// The prefix of a multi-Region key id.
pub const MRK_PREFIX: &str = "mrk-";

/// The resource type of a KMS ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceType {
    /// `key/<id>`
    Key,
    /// `alias/<name>`
    Alias,
}

impl ResourceType {
    /// `"key"` or `"alias"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Key => "key",
            ResourceType::Alias => "alias",
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed KMS ARN.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KmsArn {
    /// e.g. `aws`, `aws-cn`.
    pub partition: String,
    /// Always `kms`.
    pub service: String,
    /// e.g. `us-east-1`.
    pub region: String,
    /// The account id.
    pub account: String,
    /// `key` or `alias`.
    pub resource_type: ResourceType,
    /// The key id or alias name (everything after the first `/`).
    pub resource_id: String,
}

fn check_common(input: &str) -> Result<(), ArnError> {
    if input.is_empty() {
        return Err(ArnError::new(input, ArnErrorReason::Empty));
    }
    if input.len() > MAX_IDENTIFIER_LEN {
        return Err(ArnError::new(input, ArnErrorReason::TooLong(input.len())));
    }
    if let Some(at) = crate::names::first_space_or_control(input) {
        return Err(ArnError::new(input, ArnErrorReason::SpaceOrControl(at)));
    }
    if !input.is_ascii() {
        return Err(ArnError::new(input, ArnErrorReason::NotAscii));
    }
    Ok(())
}

impl KmsArn {
    /// Parses a KMS ARN (key or alias).
    pub fn parse(input: &str) -> Result<KmsArn, ArnError> {
        check_common(input)?;
        let parts: Vec<&str> = input.split(':').collect();
        if parts.len() != 6 {
            return Err(ArnError::new(input, ArnErrorReason::PartCount(parts.len())));
        }
        if parts[0] != "arn" {
            return Err(ArnError::new(input, ArnErrorReason::MissingArnPrefix));
        }
        let err = |reason| ArnError::new(input, reason);
        if parts[1].is_empty() {
            return Err(err(ArnErrorReason::EmptyPartition));
        }
        if parts[2] != "kms" {
            return Err(err(ArnErrorReason::Service(parts[2].to_string())));
        }
        if parts[3].is_empty() {
            return Err(err(ArnErrorReason::EmptyRegion));
        }
        if parts[4].is_empty() {
            return Err(err(ArnErrorReason::EmptyAccount));
        }
        let resource = parts[5];
        let Some((kind, id)) = resource.split_once('/') else {
            return Err(err(ArnErrorReason::ResourceFormat(resource.to_string())));
        };
        let resource_type = match kind {
            "key" => ResourceType::Key,
            "alias" => ResourceType::Alias,
            other => return Err(err(ArnErrorReason::ResourceType(other.to_string()))),
        };
        if id.is_empty() {
            return Err(err(ArnErrorReason::EmptyResourceId));
        }
        Ok(KmsArn {
            partition: parts[1].to_string(),
            service: parts[2].to_string(),
            region: parts[3].to_string(),
            account: parts[4].to_string(),
            resource_type,
            resource_id: id.to_string(),
        })
    }

    /// Parses a KMS ARN and requires its resource type to be `key`.
    pub fn parse_key_arn(input: &str) -> Result<KmsArn, ArnError> {
        let arn = KmsArn::parse(input)?;
        if arn.resource_type != ResourceType::Key {
            return Err(ArnError::new(input, ArnErrorReason::AliasNotAllowed));
        }
        Ok(arn)
    }

    /// True when this is a `key` ARN whose id starts with `mrk-`.
    pub fn is_mrk(&self) -> bool {
        self.resource_type == ResourceType::Key && self.resource_id.starts_with(MRK_PREFIX)
    }

    /// The same ARN in another Region.
    pub fn with_region(&self, region: &str) -> KmsArn {
        KmsArn {
            region: region.to_string(),
            ..self.clone()
        }
    }

    /// True when every part but the Region is equal.
    fn equal_but_region(&self, other: &KmsArn) -> bool {
        self.partition == other.partition
            && self.service == other.service
            && self.account == other.account
            && self.resource_type == other.resource_type
            && self.resource_id == other.resource_id
    }
}

impl fmt::Display for KmsArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}/{}",
            self.partition,
            self.service,
            self.region,
            self.account,
            self.resource_type,
            self.resource_id
        )
    }
}

/// Any identifier KMS accepts as a `KeyId`: an ARN, a raw alias or a raw key id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyIdentifier {
    /// A full ARN.
    Arn(KmsArn),
    /// `alias/<name>`; holds the name.
    RawAlias(String),
    /// A bare key id, e.g. `1234abcd-...` or `mrk-...`.
    RawKeyId(String),
}

impl KeyIdentifier {
    /// Parses an ARN (starting with `arn:`), `alias/<name>` or a bare key id.
    pub fn parse(input: &str) -> Result<KeyIdentifier, ArnError> {
        check_common(input)?;
        if input.starts_with("arn:") {
            return KmsArn::parse(input).map(KeyIdentifier::Arn);
        }
        if input.contains(':') {
            return Err(ArnError::new(input, ArnErrorReason::ColonInRawIdentifier));
        }
        if let Some(name) = input.strip_prefix("alias/") {
            if name.is_empty() {
                return Err(ArnError::new(input, ArnErrorReason::EmptyResourceId));
            }
            return Ok(KeyIdentifier::RawAlias(name.to_string()));
        }
        if input.starts_with("key/") {
            return Err(ArnError::new(input, ArnErrorReason::RawKeyResource));
        }
        Ok(KeyIdentifier::RawKeyId(input.to_string()))
    }

    /// True for an MRK ARN or a raw `mrk-` key id; never for an alias.
    pub fn is_mrk(&self) -> bool {
        match self {
            KeyIdentifier::Arn(arn) => arn.is_mrk(),
            KeyIdentifier::RawAlias(_) => false,
            KeyIdentifier::RawKeyId(id) => id.starts_with(MRK_PREFIX),
        }
    }

    /// The MRK id (`mrk-...`) when this identifies a multi-Region key.
    fn mrk_id(&self) -> Option<&str> {
        match self {
            KeyIdentifier::Arn(arn) if arn.is_mrk() => Some(&arn.resource_id),
            KeyIdentifier::RawKeyId(id) if id.starts_with(MRK_PREFIX) => Some(id),
            _ => None,
        }
    }
}

/// Parses a KMS ARN (see [`KmsArn::parse`]).
pub fn parse_arn(input: &str) -> Result<KmsArn, Error> {
    Ok(KmsArn::parse(input)?)
}

/// True when `identifier` names a multi-Region key. Malformed input is an error.
pub fn is_mrk(identifier: &str) -> Result<bool, Error> {
    Ok(KeyIdentifier::parse(identifier)?.is_mrk())
}

/// The MRK match of the AWS Encryption SDK specification.
///
/// Identical strings match. Otherwise, when either is not a multi-Region key
/// the result is `false`; when both are MRK ARNs they match when every part but
/// the Region is equal. A raw `mrk-` id only matches itself (there is no
/// partition or account to compare). Malformed input is an error.
pub fn mrk_match(a: &str, b: &str) -> Result<bool, Error> {
    let left = KeyIdentifier::parse(a)?;
    let right = KeyIdentifier::parse(b)?;
    if a == b {
        return Ok(true);
    }
    if !left.is_mrk() || !right.is_mrk() {
        return Ok(false);
    }
    Ok(match (&left, &right) {
        (KeyIdentifier::Arn(l), KeyIdentifier::Arn(r)) => l.equal_but_region(r),
        _ => false,
    })
}

/// Fails when two or more configured identifiers name the same multi-Region
/// key (the same `mrk-` id, in any Region, as an ARN or a raw id). The error
/// names every related identifier, not only the first pair.
pub fn check_unique_mrks<S: AsRef<str>>(identifiers: &[S]) -> Result<(), Error> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for identifier in identifiers {
        let identifier = identifier.as_ref();
        let parsed = KeyIdentifier::parse(identifier)?;
        if let Some(id) = parsed.mrk_id() {
            groups
                .entry(id.to_string())
                .or_default()
                .push(identifier.to_string());
        }
    }
    let related: Vec<String> = groups
        .into_values()
        .filter(|group| group.len() > 1)
        .flatten()
        .collect();
    if related.is_empty() {
        Ok(())
    } else {
        Err(KeyringError::RelatedMrks(related).into())
    }
}
