//! The record header: the `B` value of the reserved attribute
//! `aws_mrkenv_header`, a deterministic CBOR map with integer keys like the
//! message header, and its strict decoder.
//!
//! | key | field | CBOR type |
//! |---|---|---|
//! | 1 | version | uint, `1` |
//! | 2 | suite | uint, `2` (written; `1` is also read) |
//! | 3 | message id | bstr, 32 bytes |
//! | 4 | encryption context | map text -> text |
//! | 5 | encrypted data keys | array of 1..=N `[provider id, provider info, ciphertext]` |
//! | 6 | signed attributes | map attribute name (text) -> action code (uint 1..=3), non-empty |
//! | 7 | key commitment | bstr, 32 bytes |
//!
//! The decoder reads with a small nesting limit, then re-encodes what it read
//! and rejects the input unless it is the identical byte string.

use std::collections::BTreeMap;

use crate::context::EncryptionContext;
use crate::crypto::{Suite, KEY_LEN, MESSAGE_ID_LEN};
use crate::error::{Error, RecordError};
use crate::format::cbor::{
    head_len, string_len, write_head, write_text, Cursor, MAJOR_MAP, MAJOR_NEGATIVE, MAJOR_UNSIGNED,
};
use crate::format::fields::{head_of, text_of, Problem, Schema};
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

/// The record header's way of using the shared field codec.
const SCHEMA: Schema = Schema {
    location: "record header",
    field6: "signed attributes",
    edk_location: "record header: encrypted data key",
    version: RECORD_VERSION,
    // Suite 2 (written) and suite 1 (records written before suite 2).
    accepts: Suite::is_record_suite,
    // The deepest legitimate item is an EDK: map -> array -> array -> leaf
    // (three containers).
    max_depth: 3,
    error,
};

/// A record header problem as a malformed record.
fn error(problem: Problem) -> Error {
    let (location, problem) = match problem {
        Problem::Invalid(location, problem) => (location, problem),
        Problem::UnsupportedVersion(version) => (
            field(1),
            format!("unsupported record version {version} (this library reads version 1)"),
        ),
        Problem::UnsupportedSuite(suite) => (
            field(2),
            format!(
                "unsupported algorithm suite {suite} (this library reads record suites 1 and 2)"
            ),
        ),
        Problem::NotDeterministic => (
            SCHEMA.location.to_string(),
            "not deterministically encoded CBOR".to_string(),
        ),
    };
    malformed(location, problem)
}

fn field(key: usize) -> String {
    SCHEMA.field(key)
}

fn malformed(location: impl Into<String>, problem: impl Into<String>) -> Error {
    RecordError::malformed(location, problem).into()
}

impl RecordHeader {
    /// The deterministic CBOR encoding of the header map.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    /// The length of [`encode`](Self::encode)'s output.
    pub(crate) fn encoded_len(&self) -> usize {
        SCHEMA.encoded_len(
            self.suite,
            &self.encryption_context,
            &self.encrypted_data_keys,
            self.signed_len(),
        )
    }

    /// The length of field 6's value.
    fn signed_len(&self) -> usize {
        let signed = &self.signed_attributes;
        head_len(signed.len() as u64)
            + signed
                .iter()
                .map(|(name, action)| string_len(name.len()) + head_len(action_code(action)))
                .sum::<usize>()
    }

    /// [`encode`](Self::encode) appended to `out`.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.reserve_exact(self.encoded_len());
        self.write_into(out);
    }

    /// [`encode_into`](Self::encode_into) without computing the length
    /// first: for a caller that reserved [`encoded_len`](Self::encoded_len)
    /// bytes already, or that expects a known length (the header's own
    /// bytes, when checking that they are deterministic).
    pub(crate) fn write_into(&self, out: &mut Vec<u8>) {
        let signed = &self.signed_attributes;
        SCHEMA.write_into(
            out,
            self.suite,
            &self.message_id,
            &self.encryption_context,
            &self.encrypted_data_keys,
            |out| {
                write_head(out, MAJOR_MAP, signed.len() as u64);
                for (name, action) in sorted_entries(signed) {
                    write_text(out, name);
                    write_head(out, MAJOR_UNSIGNED, action_code(action));
                }
            },
            &self.commitment,
        )
    }

    /// Decodes header bytes strictly, within `limits`, and checks that the
    /// reserved context entries agree with the signed attributes. A missing
    /// field is reported when its turn comes.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<RecordHeader, Error> {
        RecordHeader::decode_into(bytes, limits, &mut Vec::new())
    }

    /// [`decode`](Self::decode), whose determinism check re-encodes the
    /// header at the end of `out` (left there, equal to `bytes`, when the
    /// header decodes): a record's tag input is built around it, with no
    /// copy of the header.
    pub(crate) fn decode_into(
        bytes: &[u8],
        limits: &Limits,
        out: &mut Vec<u8>,
    ) -> Result<RecordHeader, Error> {
        Limits::check("record header bytes", limits.max_header_bytes, bytes.len())?;
        // A header map starts with a map head: text here is an encoded
        // header that was not decoded.
        if bytes.first().is_none_or(|b| b >> 5 != MAJOR_MAP) {
            if let Some(hint) = crate::format::text_hint::hint(bytes) {
                return Err(malformed(SCHEMA.location, hint));
            }
        }
        let mut fields = SCHEMA.read(bytes)?;
        let leading = fields.leading(limits)?;
        let signed_attributes = as_signed(fields.take(6)?, limits)?;
        let commitment = fields.commitment()?;
        let header = RecordHeader {
            suite: leading.suite,
            message_id: leading.message_id,
            encryption_context: leading.encryption_context,
            encrypted_data_keys: leading.encrypted_data_keys,
            signed_attributes,
            commitment,
        };
        // Room for `bytes.len()` is enough unless the bytes are not
        // deterministic (then `out` grows, and the check fails).
        let start = out.len();
        header.write_into(out);
        SCHEMA.check_deterministic(&out[start..], bytes)?;
        header.check_reserved_context()?;
        Ok(header)
    }

    /// The reserved context entries must be exactly: table, partition key
    /// name, optional sort key name, and one `aws-mrkenv:attr:<name>` for each
    /// key attribute and each `SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT`
    /// attribute; key attributes must be signed without encryption.
    fn check_reserved_context(&self) -> Result<(), Error> {
        let location = || field(4);
        let context = &self.encryption_context;
        if !context.contains_key(CONTEXT_TABLE) {
            return Err(malformed(location(), format!("no {CONTEXT_TABLE:?} entry")));
        }
        let pk = context.get(CONTEXT_PARTITION_KEY);
        let Some(pk) = pk else {
            return Err(malformed(
                location(),
                format!("no {CONTEXT_PARTITION_KEY:?} entry"),
            ));
        };
        let sk = context.get(CONTEXT_SORT_KEY).filter(|sk| *sk != pk);
        // The key attributes listed as SIGN_ONLY: the others are
        // SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT, met again below.
        let mut sign_only_keys: [Option<&str>; 2] = [None, None];
        for (slot, key) in sign_only_keys.iter_mut().zip([Some(pk), sk]) {
            let Some(key) = key else { continue };
            match self.signed_attributes.get(key) {
                Some(Action::SignOnly) => *slot = Some(key),
                Some(Action::SignAndIncludeInEncryptionContext) => {}
                _ => {
                    return Err(malformed(
                        field(6),
                        format!("key attribute {key:?} is not listed as SIGN_ONLY or SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT"),
                    ))
                }
            }
        }
        // The attributes that need an `aws-mrkenv:attr:` entry, each once.
        let expected_attrs = sign_only_keys.into_iter().flatten().chain(
            self.signed_attributes
                .iter()
                .filter(|(_, action)| **action == Action::SignAndIncludeInEncryptionContext)
                .map(|(name, _)| name.as_str()),
        );
        let mut expected = 0;
        let mut key = String::with_capacity(64);
        for name in expected_attrs {
            expected += 1;
            key.clear();
            key.push_str(CONTEXT_ATTRIBUTE_PREFIX);
            key.push_str(name);
            if !context.contains_key(&key) {
                return Err(malformed(
                    location(),
                    format!("no context entry for attribute {name:?}"),
                ));
            }
        }
        let reserved = context
            .keys()
            .filter(|k| k.starts_with(CONTEXT_PREFIX))
            .count();
        let names = 2 + usize::from(context.contains_key(CONTEXT_SORT_KEY));
        if reserved != names + expected {
            return Err(malformed(location(), "unexpected reserved context entry"));
        }
        Ok(())
    }
}

/// An action's code in field 6 (a signed attribute's action has one).
fn action_code(action: &Action) -> u64 {
    u64::from(action.code().unwrap_or(0))
}

fn as_signed(value: &[u8], limits: &Limits) -> Result<BTreeMap<String, Action>, Error> {
    let not_actions = || malformed(field(6), "must be a map of text to action codes");
    let mut cursor = Cursor::new(value);
    let Some(map) = head_of(&mut cursor, MAJOR_MAP) else {
        return Err(not_actions());
    };
    if map.arg == 0 {
        return Err(malformed(field(6), "must list at least one attribute"));
    }
    Limits::check(
        "record attributes",
        limits.max_record_attributes,
        usize::try_from(map.arg).unwrap_or(usize::MAX),
    )?;
    let mut signed = BTreeMap::new();
    for _ in 0..map.arg {
        let Some(name) = text_of(&mut cursor) else {
            return Err(not_actions());
        };
        let first = cursor.peek().unwrap_or(0xff);
        let code = match (first >> 5, cursor.head()) {
            (MAJOR_UNSIGNED, Ok(head)) => Some(head.arg),
            // A negative integer is an integer, but no action code.
            (MAJOR_NEGATIVE, Ok(_)) => None,
            _ => return Err(not_actions()),
        };
        let action = code.and_then(Action::from_code).ok_or_else(|| {
            malformed(field(6), format!("attribute {name:?}: unknown action code"))
        })?;
        if name.is_empty() || name.starts_with(RESERVED_ATTRIBUTE_PREFIX) {
            return Err(malformed(
                field(6),
                format!("attribute name {name:?} is empty or reserved"),
            ));
        }
        if signed.insert(name.to_string(), action).is_some() {
            return Err(malformed(field(6), "duplicate attribute"));
        }
    }
    Ok(signed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ciborium::value::Value;

    fn sample(edks: usize) -> RecordHeader {
        let mut context = EncryptionContext::new();
        context.insert(CONTEXT_TABLE.into(), "t".into());
        context.insert(CONTEXT_PARTITION_KEY.into(), "pk".into());
        context.insert(format!("{CONTEXT_ATTRIBUTE_PREFIX}pk"), "1".into());
        let edk = EncryptedDataKey {
            provider_id: "aws-kms".into(),
            provider_info: "arn:aws:kms:us-east-1:111122223333:key/mrk-1".into(),
            ciphertext: vec![1, 2, 3],
        };
        RecordHeader {
            suite: Suite::Aes256GcmHkdfSha512Committed,
            message_id: [7; 32],
            encryption_context: context,
            encrypted_data_keys: vec![edk; edks],
            signed_attributes: BTreeMap::from([("pk".to_string(), Action::SignOnly)]),
            commitment: [9; 32],
        }
    }

    fn decode(bytes: &[u8]) -> Result<RecordHeader, Error> {
        RecordHeader::decode(bytes, &Limits::default())
    }

    #[test]
    fn record_header_round_trips() {
        let header = sample(1);
        assert_eq!(decode(&header.encode()).unwrap(), header);
    }

    #[test]
    fn encoded_len_encode_into_and_write_into_agree_with_encode() {
        for edks in [1, 3, 16] {
            let mut header = sample(edks);
            for i in 1..30 {
                header
                    .signed_attributes
                    .insert("a".repeat(i * 10), Action::SignOnly);
            }
            let encoded = header.encode();
            assert_eq!(header.encoded_len(), encoded.len());
            let mut out = vec![0x82, 0x59];
            header.encode_into(&mut out);
            assert_eq!(out[..2], [0x82, 0x59]);
            assert_eq!(out[2..], encoded[..]);
            let mut out = Vec::with_capacity(header.encoded_len());
            header.write_into(&mut out);
            assert_eq!(out, encoded);
            assert_eq!(out.capacity(), encoded.len(), "no growth");
            // Decoding into a buffer leaves the header's very bytes there.
            let mut out = vec![1, 2, 3];
            let decoded = RecordHeader::decode_into(&encoded, &Limits::default(), &mut out);
            assert_eq!(decoded.unwrap(), header);
            assert_eq!(out[3..], encoded[..]);
        }
    }

    #[test]
    fn shared_fields_are_worded_like_the_message_header() {
        let mut bytes = sample(1).encode();
        bytes[0] = 0xa8; // one more entry
        bytes.extend_from_slice(&[0x08, 0x00]); // field 8 = 0
        let err = decode(&bytes).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::MalformedMessage);
        assert_eq!(err.to_string(), "record header: unknown field 8");
        // Field 3's value (message id, at byte 6) as an unsigned integer.
        let bytes = sample(1).encode();
        let mut out = bytes[..6].to_vec();
        out.push(0x00);
        out.extend_from_slice(&bytes[6 + 2 + 32..]);
        assert_eq!(
            decode(&out).unwrap_err().to_string(),
            "record header field 3 (message id): must be a byte string, found an unsigned integer"
        );
    }

    #[test]
    fn record_suites_1_and_2_are_read_and_3_is_refused() {
        for suite in [
            Suite::Aes256GcmHkdfSha256Committed,
            Suite::Aes256GcmHkdfSha512Committed,
        ] {
            let mut header = sample(1);
            header.suite = suite;
            let bytes = header.encode();
            // map(7), key 1, value 1 (version), key 2, value = the suite id
            assert_eq!(bytes[4], suite.id() as u8);
            assert_eq!(decode(&bytes).unwrap(), header);
        }
        let mut bytes = sample(1).encode();
        bytes[4] = 0x03;
        let err = decode(&bytes).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::MalformedMessage);
        assert_eq!(
            err.to_string(),
            "record header field 2 (suite): unsupported algorithm suite 3 (this library reads record suites 1 and 2)"
        );
    }

    #[test]
    fn a_missing_field_is_reported_when_its_turn_comes() {
        // 17 encrypted data keys (over the limit of 16) and no field 7: the
        // limit on field 5 is met first.
        let value: Value = ciborium::from_reader(&sample(17).encode()[..]).unwrap();
        let Value::Map(mut entries) = value else {
            unreachable!()
        };
        entries.retain(|(k, _)| *k != Value::Integer(7.into()));
        let mut bytes = Vec::new();
        ciborium::into_writer(&Value::Map(entries), &mut bytes).unwrap();
        let err = decode(&bytes).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::LimitExceeded, "{err}");
    }
}
