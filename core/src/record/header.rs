//! The record header: the `B` value of the reserved attribute
//! `aws_mrkenv_header`, a deterministic CBOR map with integer keys like the
//! message header, and its strict decoder.
//!
//! | key | field | CBOR type |
//! |---|---|---|
//! | 1 | version | uint, `1` |
//! | 2 | suite | uint, `1` |
//! | 3 | message id | bstr, 32 bytes |
//! | 4 | encryption context | map text -> text |
//! | 5 | encrypted data keys | array of 1..=N `[provider id, provider info, ciphertext]` |
//! | 6 | signed attributes | map attribute name (text) -> action code (uint 1..=3), non-empty |
//! | 7 | key commitment | bstr, 32 bytes |
//!
//! The decoder reads with a small nesting limit, then re-encodes what it read
//! and rejects the input unless it is the identical byte string.

use std::collections::BTreeMap;

use ciborium::value::{Integer, Value};

use crate::context::{check_context_limits, EncryptionContext};
use crate::crypto::{Suite, KEY_LEN, MESSAGE_ID_LEN};
use crate::error::{Error, RecordError};
use crate::format::cbor::{context_value, encode_value};
use crate::format::EncryptedDataKey;
use crate::limits::Limits;

use super::action::Action;
use super::value::sorted_entries;
use super::{
    CONTEXT_ATTRIBUTE_PREFIX, CONTEXT_PARTITION_KEY, CONTEXT_PREFIX, CONTEXT_SORT_KEY,
    CONTEXT_TABLE, RESERVED_ATTRIBUTE_PREFIX,
};

/// The record format version written in header field 1.
pub const RECORD_VERSION: u8 = 1;

/// A record header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordHeader {
    /// The algorithm suite.
    pub suite: Suite,
    /// 32 random bytes, unique per record version.
    pub message_id: [u8; MESSAGE_ID_LEN],
    /// The whole encryption context (reserved entries and the caller's).
    pub encryption_context: EncryptionContext,
    /// One or more encrypted data keys.
    pub encrypted_data_keys: Vec<EncryptedDataKey>,
    /// Every signed attribute and its action (never `DO_NOTHING`).
    pub signed_attributes: BTreeMap<String, Action>,
    /// The record key commitment.
    pub commitment: [u8; KEY_LEN],
}

const FIELD_NAMES: [&str; 7] = [
    "version",
    "suite",
    "message id",
    "encryption context",
    "encrypted data keys",
    "signed attributes",
    "key commitment",
];

fn field(key: usize) -> String {
    format!("record header field {key} ({})", FIELD_NAMES[key - 1])
}

fn int(value: u64) -> Value {
    Value::Integer(Integer::from(value))
}

fn malformed(location: impl Into<String>, problem: impl Into<String>) -> Error {
    RecordError::malformed(location, problem).into()
}

impl RecordHeader {
    /// The deterministic CBOR encoding of the header map.
    pub fn encode(&self) -> Vec<u8> {
        let edks = self
            .encrypted_data_keys
            .iter()
            .map(|edk| {
                Value::Array(vec![
                    Value::Text(edk.provider_id.clone()),
                    Value::Text(edk.provider_info.clone()),
                    Value::Bytes(edk.ciphertext.clone()),
                ])
            })
            .collect();
        let signed = sorted_entries(&self.signed_attributes)
            .into_iter()
            .map(|(name, action)| {
                let code = action.code().unwrap_or(0);
                (Value::Text(name.clone()), int(code.into()))
            })
            .collect();
        encode_value(&Value::Map(vec![
            (int(1), int(RECORD_VERSION.into())),
            (int(2), int(self.suite.id().into())),
            (int(3), Value::Bytes(self.message_id.to_vec())),
            (int(4), context_value(&self.encryption_context)),
            (int(5), Value::Array(edks)),
            (int(6), Value::Map(signed)),
            (int(7), Value::Bytes(self.commitment.to_vec())),
        ]))
    }

    /// Decodes header bytes strictly, within `limits`, and checks that the
    /// reserved context entries agree with the signed attributes.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<RecordHeader, Error> {
        Limits::check("record header bytes", limits.max_header_bytes, bytes.len())?;
        let mut reader = bytes;
        // The deepest legitimate item is an EDK: map -> array -> array -> leaf.
        let value: Value = ciborium::de::from_reader_with_recursion_limit(&mut reader, 6).map_err(
            |e| match e {
                ciborium::de::Error::RecursionLimitExceeded => {
                    malformed("record header", "nested too deeply")
                }
                _ => malformed("record header", "not valid CBOR"),
            },
        )?;
        if !reader.is_empty() {
            return Err(malformed(
                "record header",
                format!("{} byte(s) after the header map", reader.len()),
            ));
        }
        let Value::Map(entries) = value else {
            return Err(malformed("record header", "expected a CBOR map"));
        };
        let mut fields: [Option<Value>; 7] = Default::default();
        for (key, value) in entries {
            let index = match &key {
                Value::Integer(i) => u64::try_from(*i).ok().filter(|k| (1..=7).contains(k)),
                _ => None,
            };
            let Some(index) = index else {
                return Err(malformed("record header", "unknown field"));
            };
            let slot = &mut fields[index as usize - 1];
            if slot.is_some() {
                return Err(malformed(
                    "record header",
                    format!("duplicate field {index}"),
                ));
            }
            *slot = Some(value);
        }
        let mut take = |key: usize| {
            fields[key - 1]
                .take()
                .ok_or_else(|| malformed("record header", format!("missing {}", field(key))))
        };
        let version = as_uint(take(1)?, 1)?;
        if version != u64::from(RECORD_VERSION) {
            return Err(malformed(
                field(1),
                format!("unsupported record version {version} (this library reads version 1)"),
            ));
        }
        let suite_id = as_uint(take(2)?, 2)?;
        let suite = Suite::from_id(suite_id).ok_or_else(|| {
            malformed(
                field(2),
                format!("unsupported algorithm suite {suite_id} (this library knows suite 1)"),
            )
        })?;
        let message_id = as_array32(take(3)?, 3)?;
        let encryption_context = as_context(take(4)?, limits)?;
        let encrypted_data_keys = as_edks(take(5)?, limits)?;
        let signed_attributes = as_signed(take(6)?, limits)?;
        let commitment = as_array32(take(7)?, 7)?;
        let header = RecordHeader {
            suite,
            message_id,
            encryption_context,
            encrypted_data_keys,
            signed_attributes,
            commitment,
        };
        if header.encode() != bytes {
            return Err(malformed(
                "record header",
                "not deterministically encoded CBOR",
            ));
        }
        header.check_reserved_context()?;
        Ok(header)
    }

    /// The reserved context entries must be exactly: table, partition key
    /// name, optional sort key name, and one `aws-mrkenv:attr:<name>` for each
    /// key attribute and each `SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT`
    /// attribute; key attributes must be signed without encryption.
    fn check_reserved_context(&self) -> Result<(), Error> {
        let location = field(4);
        let context = &self.encryption_context;
        if !context.contains_key(CONTEXT_TABLE) {
            return Err(malformed(&location, format!("no {CONTEXT_TABLE:?} entry")));
        }
        let mut expected_attrs: Vec<&str> = Vec::new();
        let pk = context.get(CONTEXT_PARTITION_KEY);
        let Some(pk) = pk else {
            return Err(malformed(
                &location,
                format!("no {CONTEXT_PARTITION_KEY:?} entry"),
            ));
        };
        let keys = [Some(pk), context.get(CONTEXT_SORT_KEY)];
        for key in keys.into_iter().flatten() {
            match self.signed_attributes.get(key) {
                Some(Action::SignOnly | Action::SignAndIncludeInEncryptionContext) => {}
                _ => {
                    return Err(malformed(
                        field(6),
                        format!("key attribute {key:?} is not listed as SIGN_ONLY or SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT"),
                    ))
                }
            }
            expected_attrs.push(key);
        }
        for (name, action) in &self.signed_attributes {
            if *action == Action::SignAndIncludeInEncryptionContext {
                expected_attrs.push(name);
            }
        }
        for name in &expected_attrs {
            if !context.contains_key(&format!("{CONTEXT_ATTRIBUTE_PREFIX}{name}")) {
                return Err(malformed(
                    &location,
                    format!("no context entry for attribute {name:?}"),
                ));
            }
        }
        let reserved = context
            .keys()
            .filter(|k| k.starts_with(CONTEXT_PREFIX))
            .count();
        let names = 2 + usize::from(context.contains_key(CONTEXT_SORT_KEY));
        expected_attrs.sort_unstable();
        expected_attrs.dedup();
        if reserved != names + expected_attrs.len() {
            return Err(malformed(&location, "unexpected reserved context entry"));
        }
        Ok(())
    }
}

fn as_uint(value: Value, key: usize) -> Result<u64, Error> {
    match value {
        Value::Integer(i) => u64::try_from(i).ok(),
        _ => None,
    }
    .ok_or_else(|| malformed(field(key), "must be an unsigned integer"))
}

fn as_array32(value: Value, key: usize) -> Result<[u8; 32], Error> {
    match value {
        Value::Bytes(bytes) => bytes.as_slice().try_into().map_err(|_| {
            malformed(
                field(key),
                format!("must be 32 bytes, found {}", bytes.len()),
            )
        }),
        _ => Err(malformed(field(key), "must be a byte string")),
    }
}

fn as_context(value: Value, limits: &Limits) -> Result<EncryptionContext, Error> {
    let Value::Map(entries) = value else {
        return Err(malformed(field(4), "must be a map of text to text"));
    };
    Limits::check(
        "encryption context entries",
        limits.max_context_entries,
        entries.len(),
    )?;
    let mut context = EncryptionContext::new();
    for (key, value) in entries {
        let (Value::Text(key), Value::Text(value)) = (key, value) else {
            return Err(malformed(field(4), "must be a map of text to text"));
        };
        if context.insert(key, value).is_some() {
            return Err(malformed(field(4), "duplicate key"));
        }
    }
    check_context_limits(&context, limits)?;
    Ok(context)
}

fn as_edks(value: Value, limits: &Limits) -> Result<Vec<EncryptedDataKey>, Error> {
    let Value::Array(items) = value else {
        return Err(malformed(field(5), "must be an array"));
    };
    if items.is_empty() {
        return Err(malformed(field(5), "must hold at least one key"));
    }
    limits.check_encrypted_data_keys(items.len())?;
    let mut edks = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let location = format!("record header: encrypted data key {}", i + 1);
        let shape = "must be [provider id (text), provider info (text), ciphertext (bytes)]";
        let Value::Array(parts) = item else {
            return Err(malformed(location, shape));
        };
        let Ok::<[Value; 3], _>(
            [Value::Text(provider_id), Value::Text(provider_info), Value::Bytes(ciphertext)],
        ) = parts.try_into()
        else {
            return Err(malformed(location, shape));
        };
        if provider_id.is_empty() {
            return Err(malformed(location, "provider id is empty"));
        }
        if ciphertext.is_empty() {
            return Err(malformed(location, "ciphertext is empty"));
        }
        edks.push(EncryptedDataKey {
            provider_id,
            provider_info,
            ciphertext,
        });
    }
    Ok(edks)
}

fn as_signed(value: Value, limits: &Limits) -> Result<BTreeMap<String, Action>, Error> {
    let Value::Map(entries) = value else {
        return Err(malformed(field(6), "must be a map of text to action codes"));
    };
    if entries.is_empty() {
        return Err(malformed(field(6), "must list at least one attribute"));
    }
    Limits::check(
        "record attributes",
        limits.max_record_attributes,
        entries.len(),
    )?;
    let mut signed = BTreeMap::new();
    for (name, code) in entries {
        let (Value::Text(name), Value::Integer(code)) = (name, code) else {
            return Err(malformed(field(6), "must be a map of text to action codes"));
        };
        let action = u64::try_from(code)
            .ok()
            .and_then(Action::from_code)
            .ok_or_else(|| {
                malformed(field(6), format!("attribute {name:?}: unknown action code"))
            })?;
        if name.is_empty() || name.starts_with(RESERVED_ATTRIBUTE_PREFIX) {
            return Err(malformed(
                field(6),
                format!("attribute name {name:?} is empty or reserved"),
            ));
        }
        if signed.insert(name, action).is_some() {
            return Err(malformed(field(6), "duplicate attribute"));
        }
    }
    Ok(signed)
}
