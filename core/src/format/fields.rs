//! The one codec of the header fields that the message header (`docs/FORMAT.md`
//! §3.2) and the record header (§14.4.1) share: the map of seven integer
//! keys, version (1), suite (2), message id (3), encryption context (4),
//! encrypted data keys (5) and key commitment (7), each read with the checks
//! and limits of §7.1 step 6 in that order.
//!
//! A [`Schema`] says which header is read: its name in error messages, the
//! name of field 6 (the one field each header keeps to itself), its version
//! and how a [`Problem`] becomes that header's error.

use ciborium::value::{Integer, Value};

use crate::context::{check_context_limits, EncryptionContext};
use crate::crypto::{Suite, KEY_LEN, MESSAGE_ID_LEN};
use crate::error::Error;
use crate::limits::Limits;

use super::cbor::{context_value, encode_value};
use super::EncryptedDataKey;

/// What is wrong with a header, before its [`Schema`] turns it into an error.
#[derive(Debug)]
pub(crate) enum Problem {
    /// A location (the header, a field, an encrypted data key) and what is
    /// wrong there.
    Invalid(String, String),
    /// Field 1 is not the schema's version.
    UnsupportedVersion(u64),
    /// Field 2 is not a known suite.
    UnsupportedSuite(u64),
    /// The bytes are not the deterministic encoding of what they decode to.
    NotDeterministic,
}

/// One header's way of using the shared codec.
pub(crate) struct Schema {
    /// The header's name in error messages: `header` or `record header`.
    pub location: &'static str,
    /// The name of field 6.
    pub field6: &'static str,
    /// Where an encrypted data key's problem is reported, before its number.
    pub edk_location: &'static str,
    /// The version written in field 1.
    pub version: u8,
    /// How deeply CBOR items may nest when the bytes are read.
    pub max_depth: usize,
    /// Turns a problem into this header's error.
    pub error: fn(Problem) -> Error,
}

const FIELD_NAMES: [&str; 7] = [
    "version",
    "suite",
    "message id",
    "encryption context",
    "encrypted data keys",
    "",
    "key commitment",
];

/// Fields 1 to 5, decoded and checked.
pub(crate) struct Leading {
    /// Field 2.
    pub suite: Suite,
    /// Field 3.
    pub message_id: [u8; MESSAGE_ID_LEN],
    /// Field 4.
    pub encryption_context: EncryptionContext,
    /// Field 5.
    pub encrypted_data_keys: Vec<EncryptedDataKey>,
}

/// The fields of one header map, by key, each until it is taken.
pub(crate) struct Fields<'s> {
    schema: &'s Schema,
    slots: [Option<Value>; 7],
}

/// An unsigned integer value.
pub(crate) fn int(value: u64) -> Value {
    Value::Integer(Integer::from(value))
}

impl Schema {
    /// Names field `key`, e.g. `header field 5 (encrypted data keys)`.
    pub fn field(&self, key: usize) -> String {
        let name = if key == 6 {
            self.field6
        } else {
            FIELD_NAMES[key - 1]
        };
        format!("{} field {key} ({name})", self.location)
    }

    /// This header's error for `problem` at `location`.
    pub fn invalid(&self, location: impl Into<String>, problem: impl Into<String>) -> Error {
        (self.error)(Problem::Invalid(location.into(), problem.into()))
    }

    /// The deterministic encoding of a header map: the shared fields, and
    /// `field6` as this header's own.
    pub fn encode(
        &self,
        suite: Suite,
        message_id: &[u8; MESSAGE_ID_LEN],
        context: &EncryptionContext,
        edks: &[EncryptedDataKey],
        field6: Value,
        commitment: &[u8; KEY_LEN],
    ) -> Vec<u8> {
        let edks = edks
            .iter()
            .map(|edk| {
                Value::Array(vec![
                    Value::Text(edk.provider_id.clone()),
                    Value::Text(edk.provider_info.clone()),
                    Value::Bytes(edk.ciphertext.clone()),
                ])
            })
            .collect();
        encode_value(&Value::Map(vec![
            (int(1), int(self.version.into())),
            (int(2), int(suite.id().into())),
            (int(3), Value::Bytes(message_id.to_vec())),
            (int(4), context_value(context)),
            (int(5), Value::Array(edks)),
            (int(6), field6),
            (int(7), Value::Bytes(commitment.to_vec())),
        ]))
    }

    /// Reads `bytes` as one CBOR map with nothing after it, whose keys are
    /// the unsigned integers 1 to 7, each at most once (§7.1 step 6.2 for
    /// the CBOR, 6.3 for the keys). Missing keys are left to
    /// [`Fields::require_all`] or [`Fields::take`].
    pub fn read(&self, bytes: &[u8]) -> Result<Fields<'_>, Error> {
        let mut reader = bytes;
        let value: Value =
            ciborium::de::from_reader_with_recursion_limit(&mut reader, self.max_depth).map_err(
                |e| {
                    self.invalid(
                        self.location,
                        format!("not valid CBOR ({})", cbor_problem(&e)),
                    )
                },
            )?;
        if !reader.is_empty() {
            return Err(self.invalid(
                self.location,
                format!("{} byte(s) after the header map", reader.len()),
            ));
        }
        let Value::Map(entries) = value else {
            return Err(self.invalid(self.location, "expected a CBOR map"));
        };
        let mut slots: [Option<Value>; 7] = Default::default();
        for (key, value) in entries {
            let index = match &key {
                Value::Integer(i) => u64::try_from(*i).ok().filter(|k| (1..=7).contains(k)),
                _ => None,
            };
            let Some(index) = index else {
                return Err(self.invalid(
                    self.location,
                    format!("unknown field {}", describe_key(&key)),
                ));
            };
            let slot = &mut slots[index as usize - 1];
            if slot.is_some() {
                return Err(self.invalid(self.location, format!("duplicate field {index}")));
            }
            *slot = Some(value);
        }
        Ok(Fields {
            schema: self,
            slots,
        })
    }

    /// Fails unless `bytes` are exactly `encoded`, the encoding of what they
    /// decoded to (§7.1 step 6.11).
    pub fn check_deterministic(&self, encoded: &[u8], bytes: &[u8]) -> Result<(), Error> {
        if encoded == bytes {
            Ok(())
        } else {
            Err((self.error)(Problem::NotDeterministic))
        }
    }
}

impl Fields<'_> {
    /// Fails with the first missing field, if any (§7.1 step 6.3).
    pub fn require_all(&self) -> Result<(), Error> {
        match self.slots.iter().position(Option::is_none) {
            Some(missing) => Err(self.missing(missing + 1)),
            None => Ok(()),
        }
    }

    /// Field `key`'s value, or an error if the map has no such field.
    pub fn take(&mut self, key: usize) -> Result<Value, Error> {
        self.slots[key - 1].take().ok_or_else(|| self.missing(key))
    }

    /// Fields 1 to 5 in order (§7.1 steps 6.4 to 6.8): the version, a known
    /// suite, a 32-byte message id, the encryption context and the encrypted
    /// data keys, each within `limits`.
    pub fn leading(&mut self, limits: &Limits) -> Result<Leading, Error> {
        let schema = self.schema;
        let version = self.uint(1)?;
        if version != u64::from(schema.version) {
            return Err((schema.error)(Problem::UnsupportedVersion(version)));
        }
        let suite_id = self.uint(2)?;
        let suite = Suite::from_id(suite_id)
            .ok_or_else(|| (schema.error)(Problem::UnsupportedSuite(suite_id)))?;
        let message_id = self.array32(3)?;
        let encryption_context = self.context(limits)?;
        let encrypted_data_keys = self.edks(limits)?;
        Ok(Leading {
            suite,
            message_id,
            encryption_context,
            encrypted_data_keys,
        })
    }

    /// Field 7, the 32-byte key commitment (§7.1 step 6.10).
    pub fn commitment(&mut self) -> Result<[u8; KEY_LEN], Error> {
        self.array32(7)
    }

    /// Field `key` as an unsigned integer.
    pub fn uint(&mut self, key: usize) -> Result<u64, Error> {
        let value = self.take(key)?;
        if let Value::Integer(i) = value {
            if let Ok(v) = u64::try_from(i) {
                return Ok(v);
            }
        }
        Err(self.schema.invalid(
            self.schema.field(key),
            format!("must be an unsigned integer, found {}", type_name(&value)),
        ))
    }

    fn missing(&self, key: usize) -> Error {
        let schema = self.schema;
        schema.invalid(schema.location, format!("missing {}", schema.field(key)))
    }

    fn array32(&mut self, key: usize) -> Result<[u8; 32], Error> {
        let schema = self.schema;
        match self.take(key)? {
            Value::Bytes(bytes) => bytes.as_slice().try_into().map_err(|_| {
                schema.invalid(
                    schema.field(key),
                    format!("must be 32 bytes, found {}", bytes.len()),
                )
            }),
            other => Err(schema.invalid(
                schema.field(key),
                format!("must be a byte string, found {}", type_name(&other)),
            )),
        }
    }

    fn context(&mut self, limits: &Limits) -> Result<EncryptionContext, Error> {
        let schema = self.schema;
        let not_text = || schema.invalid(schema.field(4), "must be a map of text to text");
        let Value::Map(entries) = self.take(4)? else {
            return Err(not_text());
        };
        Limits::check(
            "encryption context entries",
            limits.max_context_entries,
            entries.len(),
        )?;
        let mut context = EncryptionContext::new();
        for (key, value) in entries {
            let (Value::Text(key), Value::Text(value)) = (key, value) else {
                return Err(not_text());
            };
            if context.insert(key.clone(), value).is_some() {
                return Err(schema.invalid(schema.field(4), format!("duplicate key {key:?}")));
            }
        }
        check_context_limits(&context, limits)?;
        Ok(context)
    }

    fn edks(&mut self, limits: &Limits) -> Result<Vec<EncryptedDataKey>, Error> {
        let schema = self.schema;
        let Value::Array(items) = self.take(5)? else {
            return Err(schema.invalid(schema.field(5), "must be an array"));
        };
        if items.is_empty() {
            return Err(schema.invalid(schema.field(5), "must hold at least one key"));
        }
        // The limit comes before the list is built.
        limits.check_encrypted_data_keys(items.len())?;
        let mut edks = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let location = format!("{} {}", schema.edk_location, i + 1);
            let Value::Array(parts) = item else {
                return Err(schema.invalid(location, "must be an array of 3 items"));
            };
            let Ok::<[Value; 3], _>([provider_id, provider_info, ciphertext]) = parts.try_into()
            else {
                return Err(schema.invalid(location, "must be an array of 3 items"));
            };
            let (Value::Text(provider_id), Value::Text(provider_info), Value::Bytes(ciphertext)) =
                (provider_id, provider_info, ciphertext)
            else {
                return Err(schema.invalid(
                    location,
                    "must be [provider id (text), provider info (text), ciphertext (bytes)]",
                ));
            };
            if provider_id.is_empty() {
                return Err(schema.invalid(location, "provider id is empty"));
            }
            if ciphertext.is_empty() {
                return Err(schema.invalid(location, "ciphertext is empty"));
            }
            edks.push(EncryptedDataKey {
                provider_id,
                provider_info,
                ciphertext,
            });
        }
        Ok(edks)
    }
}

/// A map key of the header, for an error message: a number as a number, a
/// text as quoted text (cut when long), anything else by its type.
fn describe_key(key: &Value) -> String {
    match key {
        Value::Integer(i) => i128::from(*i).to_string(),
        Value::Text(text) if text.chars().count() > 40 => {
            format!("{:?}...", text.chars().take(40).collect::<String>())
        }
        Value::Text(text) => format!("{text:?}"),
        other => type_name(other).to_string(),
    }
}

/// The CBOR type of a value, in words.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Integer(i) if i128::from(*i) < 0 => "a negative integer",
        Value::Integer(_) => "an unsigned integer",
        Value::Bytes(_) => "a byte string",
        Value::Text(_) => "a text string",
        Value::Array(_) => "an array",
        Value::Map(_) => "a map",
        Value::Tag(..) => "a tag",
        Value::Float(_) => "a float",
        Value::Bool(_) | Value::Null => "a simple value",
        _ => "another CBOR type",
    }
}

/// Why `ciborium` could not read the bytes, in words.
fn cbor_problem<T: std::fmt::Debug>(error: &ciborium::de::Error<T>) -> String {
    match error {
        ciborium::de::Error::Io(_) => "ends early".to_string(),
        ciborium::de::Error::Syntax(offset) => format!("syntax error at byte {offset}"),
        ciborium::de::Error::Semantic(offset, message) => match offset {
            Some(offset) => format!("{message} at byte {offset}"),
            None => message.clone(),
        },
        ciborium::de::Error::RecursionLimitExceeded => "nested too deeply".to_string(),
    }
}
