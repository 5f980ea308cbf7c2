//! The one codec of the header fields that the message header (`docs/FORMAT.md`
//! §3.2) and the record header (§14.4.1) share: the map of seven integer
//! keys, version (1), suite (2), message id (3), encryption context (4),
//! encrypted data keys (5) and key commitment (7), each read with the checks
//! and limits of §7.1 step 6 in that order.
//!
//! A [`Schema`] says which header is read: its name in error messages, the
//! name of field 6 (the one field each header keeps to itself), its version
//! and how a [`Problem`] becomes that header's error.

use crate::context::{check_context_limits, EncryptionContext};
use crate::crypto::{Suite, KEY_LEN, MESSAGE_ID_LEN};
use crate::error::Error;
use crate::limits::Limits;

use super::cbor::{
    context_len, head_len, item_type_name, string_len, write_bytes, write_context, write_head,
    write_text, Cursor, Head, ReadError, MAJOR_ARRAY, MAJOR_BYTES, MAJOR_MAP, MAJOR_NEGATIVE,
    MAJOR_TEXT, MAJOR_UNSIGNED,
};
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
    /// Whether field 2 may name this (known) suite; any other suite is
    /// [`Problem::UnsupportedSuite`], as an unknown id is.
    pub accepts: fn(Suite) -> bool,
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

/// The fields of one header map, by key, each as the bytes of its value
/// (a well-formed data item) until it is taken.
pub(crate) struct Fields<'s, 'a> {
    schema: &'s Schema,
    slots: [Option<&'a [u8]>; 7],
}

/// The value of one field: a cursor over its bytes, and its first byte.
struct FieldValue<'a> {
    cursor: Cursor<'a>,
    first: u8,
}

impl<'a> FieldValue<'a> {
    fn new(bytes: &'a [u8]) -> FieldValue<'a> {
        FieldValue {
            cursor: Cursor::new(bytes),
            first: bytes.first().copied().unwrap_or(0xff),
        }
    }

    /// The CBOR type of the value, in words.
    fn type_name(&self) -> &'static str {
        item_type_name(self.first)
    }
}

/// Reads the next head if it has major type `major`; the item was checked
/// well formed when the map was read, so any other outcome is `None`.
pub(crate) fn head_of(cursor: &mut Cursor<'_>, major: u8) -> Option<Head> {
    if cursor.peek()? >> 5 != major {
        return None;
    }
    cursor.head().ok()
}

/// Reads the next item if it is a text string.
pub(crate) fn text_of<'a>(cursor: &mut Cursor<'a>) -> Option<&'a str> {
    let head = head_of(cursor, MAJOR_TEXT)?;
    cursor.text(head.arg).ok()
}

/// Reads the next item if it is a byte string.
pub(crate) fn bytes_of<'a>(cursor: &mut Cursor<'a>) -> Option<&'a [u8]> {
    let head = head_of(cursor, MAJOR_BYTES)?;
    cursor.take(head.arg).ok()
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
    /// field 6 as this header's own, `field6_len` bytes written by `field6`.
    #[allow(clippy::too_many_arguments)]
    pub fn encode(
        &self,
        suite: Suite,
        message_id: &[u8; MESSAGE_ID_LEN],
        context: &EncryptionContext,
        edks: &[EncryptedDataKey],
        field6_len: usize,
        field6: impl FnOnce(&mut Vec<u8>),
        commitment: &[u8; KEY_LEN],
    ) -> Vec<u8> {
        let len = self.encoded_len(suite, context, edks, field6_len);
        let mut out = Vec::with_capacity(len);
        self.write_into(
            &mut out, suite, message_id, context, edks, field6, commitment,
        );
        debug_assert_eq!(out.len(), len, "the header length is computed exactly");
        out
    }

    /// The length of [`encode`](Self::encode)'s output.
    pub fn encoded_len(
        &self,
        suite: Suite,
        context: &EncryptionContext,
        edks: &[EncryptedDataKey],
        field6_len: usize,
    ) -> usize {
        let edks_len = head_len(edks.len() as u64)
            + edks
                .iter()
                .map(|edk| {
                    1 + string_len(edk.provider_id.len())
                        + string_len(edk.provider_info.len())
                        + string_len(edk.ciphertext.len())
                })
                .sum::<usize>();
        // The map head, seven one-byte keys, then the values.
        8 + head_len(self.version.into())
            + head_len(suite.id().into())
            + string_len(MESSAGE_ID_LEN)
            + context_len(context)
            + edks_len
            + field6_len
            + string_len(KEY_LEN)
    }

    /// [`encode`](Self::encode) appended to `out`, without computing the
    /// length first: for a caller that reserved the room already (a record's
    /// tag input holds its header, encoded there) or does not mind `out`
    /// growing as it is written.
    #[allow(clippy::too_many_arguments)]
    pub fn write_into(
        &self,
        out: &mut Vec<u8>,
        suite: Suite,
        message_id: &[u8; MESSAGE_ID_LEN],
        context: &EncryptionContext,
        edks: &[EncryptedDataKey],
        field6: impl FnOnce(&mut Vec<u8>),
        commitment: &[u8; KEY_LEN],
    ) {
        write_head(out, MAJOR_MAP, 7);
        write_head(out, MAJOR_UNSIGNED, 1);
        write_head(out, MAJOR_UNSIGNED, self.version.into());
        write_head(out, MAJOR_UNSIGNED, 2);
        write_head(out, MAJOR_UNSIGNED, suite.id().into());
        write_head(out, MAJOR_UNSIGNED, 3);
        write_bytes(out, message_id);
        write_head(out, MAJOR_UNSIGNED, 4);
        write_context(out, context);
        write_head(out, MAJOR_UNSIGNED, 5);
        write_head(out, MAJOR_ARRAY, edks.len() as u64);
        for edk in edks {
            write_head(out, MAJOR_ARRAY, 3);
            write_text(out, &edk.provider_id);
            write_text(out, &edk.provider_info);
            write_bytes(out, &edk.ciphertext);
        }
        write_head(out, MAJOR_UNSIGNED, 6);
        field6(out);
        write_head(out, MAJOR_UNSIGNED, 7);
        write_bytes(out, commitment);
    }

    /// Reads `bytes` as one CBOR map with nothing after it, whose keys are
    /// the unsigned integers 1 to 7, each at most once (§7.1 step 6.2 for
    /// the CBOR, 6.3 for the keys). Missing keys are left to
    /// [`Fields::require_all`] or [`Fields::take`].
    pub fn read<'a>(&self, bytes: &'a [u8]) -> Result<Fields<'_, 'a>, Error> {
        let not_cbor = |e: ReadError| match e {
            ReadError::Indefinite(_) => (self.error)(Problem::NotDeterministic),
            e => self.invalid(self.location, format!("not valid CBOR ({e})")),
        };
        // One pass: each value is checked well formed and within the
        // nesting bound as it is passed over.
        let mut cursor = Cursor::new(bytes);
        let map = match cursor.peek() {
            Some(first) if first >> 5 == MAJOR_MAP => cursor.head().map_err(not_cbor)?,
            Some(_) => return Err(self.invalid(self.location, "expected a CBOR map")),
            None => return Err(not_cbor(ReadError::End)),
        };
        // The map itself is one level.
        let depth = self.max_depth.saturating_sub(1);
        let mut slots: [Option<&[u8]>; 7] = Default::default();
        for _ in 0..map.arg {
            let key = cursor.clone();
            let index = head_of(&mut cursor, MAJOR_UNSIGNED)
                .map(|head| head.arg)
                .filter(|k| (1..=7).contains(k));
            let Some(index) = index else {
                // Malformed CBOR is reported as such, not as an unknown key.
                cursor.skip(depth).map_err(not_cbor)?;
                return Err(self.invalid(
                    self.location,
                    format!("unknown field {}", describe_key(key)),
                ));
            };
            let value = cursor.skip(depth).map_err(not_cbor)?;
            let slot = &mut slots[index as usize - 1];
            if slot.is_some() {
                return Err(self.invalid(self.location, format!("duplicate field {index}")));
            }
            *slot = Some(value);
        }
        if !cursor.rest().is_empty() {
            return Err(self.invalid(
                self.location,
                format!("{} byte(s) after the header map", cursor.rest().len()),
            ));
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

impl<'a> Fields<'_, 'a> {
    /// Fails with the first missing field, if any (§7.1 step 6.3).
    pub fn require_all(&self) -> Result<(), Error> {
        match self.slots.iter().position(Option::is_none) {
            Some(missing) => Err(self.missing(missing + 1)),
            None => Ok(()),
        }
    }

    /// The bytes of field `key`'s value, or an error if the map has no such
    /// field.
    pub fn take(&mut self, key: usize) -> Result<&'a [u8], Error> {
        self.slots[key - 1].take().ok_or_else(|| self.missing(key))
    }

    /// Fields 1 to 5 in order (§7.1 steps 6.4 to 6.8): the version, a suite
    /// the schema accepts, a 32-byte message id, the encryption context and
    /// the encrypted data keys, each within `limits`.
    pub fn leading(&mut self, limits: &Limits) -> Result<Leading, Error> {
        let schema = self.schema;
        let version = self.uint(1)?;
        if version != u64::from(schema.version) {
            return Err((schema.error)(Problem::UnsupportedVersion(version)));
        }
        let suite_id = self.uint(2)?;
        let suite = Suite::from_id(suite_id)
            .filter(|suite| (schema.accepts)(*suite))
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
        let mut value = FieldValue::new(self.take(key)?);
        match head_of(&mut value.cursor, MAJOR_UNSIGNED) {
            Some(head) => Ok(head.arg),
            None => Err(self.schema.invalid(
                self.schema.field(key),
                format!("must be an unsigned integer, found {}", value.type_name()),
            )),
        }
    }

    fn missing(&self, key: usize) -> Error {
        let schema = self.schema;
        schema.invalid(schema.location, format!("missing {}", schema.field(key)))
    }

    fn array32(&mut self, key: usize) -> Result<[u8; 32], Error> {
        let schema = self.schema;
        let mut value = FieldValue::new(self.take(key)?);
        match bytes_of(&mut value.cursor) {
            Some(bytes) => bytes.try_into().map_err(|_| {
                schema.invalid(
                    schema.field(key),
                    format!("must be 32 bytes, found {}", bytes.len()),
                )
            }),
            None => Err(schema.invalid(
                schema.field(key),
                format!("must be a byte string, found {}", value.type_name()),
            )),
        }
    }

    fn context(&mut self, limits: &Limits) -> Result<EncryptionContext, Error> {
        let schema = self.schema;
        let not_text = || schema.invalid(schema.field(4), "must be a map of text to text");
        let mut cursor = Cursor::new(self.take(4)?);
        let Some(map) = head_of(&mut cursor, MAJOR_MAP) else {
            return Err(not_text());
        };
        Limits::check(
            "encryption context entries",
            limits.max_context_entries,
            usize::try_from(map.arg).unwrap_or(usize::MAX),
        )?;
        let mut context = EncryptionContext::new();
        for _ in 0..map.arg {
            let (Some(key), Some(value)) = (text_of(&mut cursor), text_of(&mut cursor)) else {
                return Err(not_text());
            };
            if context.insert(key.to_string(), value.to_string()).is_some() {
                return Err(schema.invalid(schema.field(4), format!("duplicate key {key:?}")));
            }
        }
        check_context_limits(&context, limits)?;
        Ok(context)
    }

    fn edks(&mut self, limits: &Limits) -> Result<Vec<EncryptedDataKey>, Error> {
        let schema = self.schema;
        let mut cursor = Cursor::new(self.take(5)?);
        let Some(array) = head_of(&mut cursor, MAJOR_ARRAY) else {
            return Err(schema.invalid(schema.field(5), "must be an array"));
        };
        if array.arg == 0 {
            return Err(schema.invalid(schema.field(5), "must hold at least one key"));
        }
        // The limit comes before the list is built.
        limits.check_encrypted_data_keys(usize::try_from(array.arg).unwrap_or(usize::MAX))?;
        let mut edks = Vec::with_capacity(array.arg as usize);
        for i in 0..array.arg {
            let invalid = |problem: &str| {
                schema.invalid(format!("{} {}", schema.edk_location, i + 1), problem)
            };
            if head_of(&mut cursor, MAJOR_ARRAY).map(|head| head.arg) != Some(3) {
                return Err(invalid("must be an array of 3 items"));
            }
            let (Some(provider_id), Some(provider_info), Some(ciphertext)) = (
                text_of(&mut cursor),
                text_of(&mut cursor),
                bytes_of(&mut cursor),
            ) else {
                return Err(invalid(
                    "must be [provider id (text), provider info (text), ciphertext (bytes)]",
                ));
            };
            if provider_id.is_empty() {
                return Err(invalid("provider id is empty"));
            }
            if ciphertext.is_empty() {
                return Err(invalid("ciphertext is empty"));
            }
            edks.push(EncryptedDataKey {
                provider_id: provider_id.to_string(),
                provider_info: provider_info.to_string(),
                ciphertext: ciphertext.to_vec(),
            });
        }
        Ok(edks)
    }
}

/// A map key of the header, for an error message: a number as a number, a
/// text as quoted text (cut when long), anything else by its type.
fn describe_key(mut key: Cursor<'_>) -> String {
    let first = key.peek().unwrap_or(0xff);
    let head = key.head();
    match (first >> 5, head) {
        (MAJOR_UNSIGNED, Ok(head)) => head.arg.to_string(),
        (MAJOR_NEGATIVE, Ok(head)) => (-1 - i128::from(head.arg)).to_string(),
        (MAJOR_TEXT, Ok(head)) => match key.text(head.arg) {
            Ok(text) if text.chars().count() > 40 => {
                format!("{:?}...", text.chars().take(40).collect::<String>())
            }
            Ok(text) => format!("{text:?}"),
            Err(_) => item_type_name(first).to_string(),
        },
        _ => item_type_name(first).to_string(),
    }
}
