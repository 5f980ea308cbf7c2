//! What a caller configures for a table: its name, key schema, the action of
//! each attribute and the extra encryption context; and the checks on that
//! configuration that run before anything else.

use std::collections::BTreeMap;

use crate::context::EncryptionContext;
use crate::crypto::{Suite, MESSAGE_ID_LEN};
use crate::error::{Error, RecordError};
use crate::limits::Limits;

use super::action::Action;
use super::base64;
use super::value::AttributeValue;
use super::{CONTEXT_PREFIX, RESERVED_ATTRIBUTE_PREFIX};

/// How to encrypt items of one table.
///
/// ```
/// use mrkenv::record::{Action, EncryptRecordOptions};
///
/// let mut options = EncryptRecordOptions::new("global-table-example", "employeeId");
/// options.actions.insert("employeeId".into(), Action::SignOnly);
/// options.actions.insert("name".into(), Action::EncryptAndSign);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptRecordOptions {
    /// The DynamoDB table name (bound into the encryption context).
    pub table_name: String,
    /// The partition key attribute name.
    pub partition_key: String,
    /// The sort key attribute name, if the table has one.
    pub sort_key: Option<String>,
    /// The action of each attribute, by name.
    pub actions: BTreeMap<String, Action>,
    /// The action of attributes missing from `actions`; `None` makes such an
    /// attribute an error.
    pub default_action: Option<Action>,
    /// The caller's own encryption context (keys may not start with `aws-mrkenv:`).
    pub encryption_context: EncryptionContext,
    /// Limits checked before the work.
    pub limits: Limits,
    /// A fixed message id, for test vectors only. `None` (the default) draws
    /// 32 random bytes, which is what every real record must do.
    pub message_id: Option<[u8; MESSAGE_ID_LEN]>,
    /// The suite to write: [`Suite::RECORD`] (suite 2, HKDF-SHA256), the
    /// default. Every [`Suite`] is a record suite; suite 1 (HKDF-SHA512) is
    /// for records that a reader of an earlier release, which reads suite 1
    /// only, must open, and for test vectors.
    pub suite: Suite,
}

impl EncryptRecordOptions {
    /// Options for a table with a partition key only, no actions yet, no
    /// default action, an empty caller context, default limits and suite 2.
    pub fn new(table_name: impl Into<String>, partition_key: impl Into<String>) -> Self {
        EncryptRecordOptions {
            table_name: table_name.into(),
            partition_key: partition_key.into(),
            sort_key: None,
            actions: BTreeMap::new(),
            default_action: None,
            encryption_context: EncryptionContext::new(),
            limits: Limits::default(),
            message_id: None,
            suite: Suite::RECORD,
        }
    }

    /// The action of `attribute`: its own, else the default.
    pub fn action_of(&self, attribute: &str) -> Result<Action, Error> {
        self.actions
            .get(attribute)
            .copied()
            .or(self.default_action)
            .ok_or_else(|| RecordError::MissingAction(attribute.to_string()).into())
    }

    /// Checks the configuration alone (no item): names, reserved names and
    /// context keys, and that key attributes are not given an action other
    /// than `SIGN_ONLY` or `SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT`.
    pub fn check(&self) -> Result<(), Error> {
        check_table(
            &self.table_name,
            &self.partition_key,
            self.sort_key.as_deref(),
        )?;
        for name in self.actions.keys() {
            check_attribute_name(name)?;
        }
        for key in self.encryption_context.keys() {
            if key.starts_with(CONTEXT_PREFIX) {
                return Err(RecordError::ReservedContextKey(key.clone()).into());
            }
        }
        for (role, key) in key_roles(&self.partition_key, self.sort_key.as_deref()) {
            if let Some(action) = self.actions.get(key).copied().or(self.default_action) {
                check_key_action(role, key, action)?;
            }
        }
        Ok(())
    }
}

/// How to decrypt items of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptRecordOptions {
    /// The DynamoDB table name; the record must have been written for it.
    pub table_name: String,
    /// The partition key attribute name; must match the record's.
    pub partition_key: String,
    /// The sort key attribute name; must match the record's (both absent, or equal).
    pub sort_key: Option<String>,
    /// Pairs that must be present, with equal values, in the record's context.
    pub required_context: EncryptionContext,
    /// Return an item without any reserved attribute unchanged instead of
    /// failing (for migrating a table item by item). Off by default.
    pub allow_plaintext: bool,
    /// Limits checked before the work.
    pub limits: Limits,
}

impl DecryptRecordOptions {
    /// Options for a table with a partition key only, nothing required, no
    /// plaintext items allowed, default limits.
    pub fn new(table_name: impl Into<String>, partition_key: impl Into<String>) -> Self {
        DecryptRecordOptions {
            table_name: table_name.into(),
            partition_key: partition_key.into(),
            sort_key: None,
            required_context: EncryptionContext::new(),
            allow_plaintext: false,
            limits: Limits::default(),
        }
    }

    /// Checks the table configuration.
    pub fn check(&self) -> Result<(), Error> {
        check_table(
            &self.table_name,
            &self.partition_key,
            self.sort_key.as_deref(),
        )
    }
}

pub(crate) fn key_roles<'a>(
    partition_key: &'a str,
    sort_key: Option<&'a str>,
) -> impl Iterator<Item = (&'static str, &'a str)> {
    std::iter::once(("partition key", partition_key)).chain(sort_key.map(|s| ("sort key", s)))
}

fn check_table(table_name: &str, partition_key: &str, sort_key: Option<&str>) -> Result<(), Error> {
    if table_name.is_empty() {
        return Err(RecordError::Config("table name is empty".into()).into());
    }
    for (role, key) in key_roles(partition_key, sort_key) {
        if key.is_empty() {
            return Err(RecordError::Config(format!("{role} name is empty")).into());
        }
        check_attribute_name(key)?;
    }
    if sort_key == Some(partition_key) {
        return Err(RecordError::Config(format!(
            "sort key {partition_key:?} is also the partition key"
        ))
        .into());
    }
    Ok(())
}

/// Fails for an empty or reserved attribute name.
pub(crate) fn check_attribute_name(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(RecordError::Config("an attribute name is empty".into()).into());
    }
    if name.starts_with(RESERVED_ATTRIBUTE_PREFIX) {
        return Err(RecordError::ReservedAttribute(name.to_string()).into());
    }
    Ok(())
}

pub(crate) fn check_key_action(role: &'static str, key: &str, action: Action) -> Result<(), Error> {
    match action {
        Action::SignOnly | Action::SignAndIncludeInEncryptionContext => Ok(()),
        Action::EncryptAndSign | Action::DoNothing => Err(RecordError::KeyAction {
            role,
            attribute: key.to_string(),
            action: action.as_str(),
        }
        .into()),
    }
}

/// Whether `expected` is [`context_text`] of `value`, without making the
/// text of an `S` or `N`.
pub(crate) fn context_text_is(value: &AttributeValue, expected: &str) -> bool {
    match value {
        AttributeValue::S(s) => s == expected,
        AttributeValue::N(n) => n.as_str() == expected,
        other => context_text(other).is_some_and(|text| text == expected),
    }
}

/// The text of a value in the encryption context: `S` as is, `N` in
/// canonical form, `B` in padded standard base64; `None` for other types.
pub fn context_text(value: &AttributeValue) -> Option<String> {
    match value {
        AttributeValue::S(s) => Some(s.clone()),
        AttributeValue::N(n) => Some(n.as_str().to_string()),
        AttributeValue::B(b) => Some(base64::encode(b)),
        _ => None,
    }
}
