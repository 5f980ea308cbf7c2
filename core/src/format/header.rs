//! The header map: its fields, its deterministic CBOR encoding, and a strict
//! decoder.
//!
//! | key | field | CBOR type |
//! |---|---|---|
//! | 1 | version | unsigned, `1` |
//! | 2 | suite | unsigned, `1` |
//! | 3 | message id | byte string, 32 bytes |
//! | 4 | encryption context | map, text -> text |
//! | 5 | encrypted data keys | array of 1..=N `[provider id (text), provider info (text), ciphertext (bytes)]` |
//! | 6 | frame length | unsigned, 1024..=16777216 |
//! | 7 | key commitment | byte string, 32 bytes |
//!
//! The decoder re-encodes what it read and rejects the input unless it is the
//! identical byte string: this rejects every non-deterministic encoding
//! (non-shortest integers, indefinite lengths, unsorted or duplicate map keys).

use ciborium::value::{Integer, Value};

use crate::context::{check_context_limits, EncryptionContext};
use crate::crypto::{Suite, KEY_LEN, MESSAGE_ID_LEN};
use crate::error::{Error, FormatError};
use crate::limits::{check_frame_length, Limits};

use super::cbor::{context_value, encode_value};
use super::VERSION;

/// One encrypted copy of the data key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EncryptedDataKey {
    /// Who can unwrap it: `aws-kms`, or a raw AES key namespace.
    pub provider_id: String,
    /// Which key: a KMS key ARN, or a raw AES key name.
    pub provider_info: String,
    /// The wrapped data key (a KMS ciphertext blob, or IV || ciphertext || tag).
    pub ciphertext: Vec<u8>,
}

/// A parsed (or to be written) message header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The algorithm suite.
    pub suite: Suite,
    /// 32 random bytes, unique per message.
    pub message_id: [u8; MESSAGE_ID_LEN],
    /// The encryption context bound into the message.
    pub encryption_context: EncryptionContext,
    /// One or more encrypted data keys.
    pub encrypted_data_keys: Vec<EncryptedDataKey>,
    /// Plaintext bytes per non-final frame.
    pub frame_length: u32,
    /// The key commitment.
    pub commitment: [u8; KEY_LEN],
}

const FIELD_NAMES: [&str; 7] = [
    "version",
    "suite",
    "message id",
    "encryption context",
    "encrypted data keys",
    "frame length",
    "key commitment",
];

fn field(key: usize) -> String {
    format!("header field {key} ({})", FIELD_NAMES[key - 1])
}

fn int(value: u64) -> Value {
    Value::Integer(Integer::from(value))
}

impl Header {
    /// The format version of this header (always 1).
    pub fn version(&self) -> u8 {
        VERSION
    }

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
        let map = Value::Map(vec![
            (int(1), int(VERSION as u64)),
            (int(2), int(self.suite.id() as u64)),
            (int(3), Value::Bytes(self.message_id.to_vec())),
            (int(4), context_value(&self.encryption_context)),
            (int(5), Value::Array(edks)),
            (int(6), int(self.frame_length as u64)),
            (int(7), Value::Bytes(self.commitment.to_vec())),
        ]);
        encode_value(&map)
    }

    /// Decodes header map bytes strictly, within `limits`.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Header, Error> {
        Limits::check("header bytes", limits.max_header_bytes, bytes.len())?;
        let mut reader = bytes;
        let value: Value = ciborium::from_reader(&mut reader).map_err(|e| {
            FormatError::invalid("header", format!("not valid CBOR ({})", cbor_problem(&e)))
        })?;
        if !reader.is_empty() {
            return Err(FormatError::invalid(
                "header",
                format!("{} byte(s) after the header map", reader.len()),
            )
            .into());
        }
        let Value::Map(entries) = value else {
            return Err(FormatError::invalid("header", "expected a CBOR map").into());
        };
        let mut fields: [Option<Value>; 7] = Default::default();
        for (key, value) in entries {
            let index = match &key {
                Value::Integer(i) => u64::try_from(*i).ok().filter(|k| (1..=7).contains(k)),
                _ => None,
            };
            let Some(index) = index else {
                return Err(
                    FormatError::invalid("header", format!("unknown field {key:?}")).into(),
                );
            };
            let slot = &mut fields[index as usize - 1];
            if slot.is_some() {
                return Err(
                    FormatError::invalid("header", format!("duplicate field {index}")).into(),
                );
            }
            *slot = Some(value);
        }
        let mut take = |key: usize| {
            fields[key - 1]
                .take()
                .ok_or_else(|| FormatError::invalid("header", format!("missing {}", field(key))))
        };
        let version = as_uint(take(1)?, 1)?;
        if version != VERSION as u64 {
            return Err(FormatError::UnsupportedVersion(version).into());
        }
        let suite_id = as_uint(take(2)?, 2)?;
        let suite = Suite::from_id(suite_id).ok_or(FormatError::UnsupportedSuite(suite_id))?;
        let message_id = as_array32(take(3)?, 3)?;
        let encryption_context = as_context(take(4)?, limits)?;
        let encrypted_data_keys = as_edks(take(5)?, limits)?;
        let frame_length = as_uint(take(6)?, 6)?;
        let frame_length = u32::try_from(frame_length)
            .ok()
            .filter(|f| check_frame_length(*f).is_ok())
            .ok_or_else(|| {
                FormatError::invalid(
                    field(6),
                    format!("{frame_length} is outside 1024..=16777216"),
                )
            })?;
        Limits::check(
            "frame length",
            limits.max_frame_length as usize,
            frame_length as usize,
        )?;
        let commitment = as_array32(take(7)?, 7)?;
        let header = Header {
            suite,
            message_id,
            encryption_context,
            encrypted_data_keys,
            frame_length,
            commitment,
        };
        if header.encode() != bytes {
            return Err(FormatError::NotDeterministic("header".into()).into());
        }
        Ok(header)
    }
}

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

fn as_uint(value: Value, key: usize) -> Result<u64, FormatError> {
    match value {
        Value::Integer(i) => u64::try_from(i)
            .map_err(|_| FormatError::invalid(field(key), "must be an unsigned integer")),
        _ => Err(FormatError::invalid(
            field(key),
            "must be an unsigned integer",
        )),
    }
}

fn as_array32(value: Value, key: usize) -> Result<[u8; 32], FormatError> {
    match value {
        Value::Bytes(bytes) => bytes.as_slice().try_into().map_err(|_| {
            FormatError::invalid(
                field(key),
                format!("must be 32 bytes, found {}", bytes.len()),
            )
        }),
        _ => Err(FormatError::invalid(field(key), "must be a byte string")),
    }
}

fn as_context(value: Value, limits: &Limits) -> Result<EncryptionContext, Error> {
    let Value::Map(entries) = value else {
        return Err(FormatError::invalid(field(4), "must be a map of text to text").into());
    };
    Limits::check(
        "encryption context entries",
        limits.max_context_entries,
        entries.len(),
    )?;
    let mut context = EncryptionContext::new();
    for (key, value) in entries {
        let (Value::Text(key), Value::Text(value)) = (key, value) else {
            return Err(FormatError::invalid(field(4), "must be a map of text to text").into());
        };
        if context.insert(key.clone(), value).is_some() {
            return Err(FormatError::invalid(field(4), format!("duplicate key {key:?}")).into());
        }
    }
    check_context_limits(&context, limits)?;
    Ok(context)
}

fn as_edks(value: Value, limits: &Limits) -> Result<Vec<EncryptedDataKey>, Error> {
    let Value::Array(items) = value else {
        return Err(FormatError::invalid(field(5), "must be an array").into());
    };
    if items.is_empty() {
        return Err(FormatError::invalid(field(5), "must hold at least one key").into());
    }
    limits.check_encrypted_data_keys(items.len())?;
    let mut edks = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let location = format!("encrypted data key {}", i + 1);
        let Value::Array(parts) = item else {
            return Err(FormatError::invalid(location, "must be an array of 3 items").into());
        };
        let Ok::<[Value; 3], _>([provider_id, provider_info, ciphertext]) = parts.try_into() else {
            return Err(FormatError::invalid(location, "must be an array of 3 items").into());
        };
        let (Value::Text(provider_id), Value::Text(provider_info), Value::Bytes(ciphertext)) =
            (provider_id, provider_info, ciphertext)
        else {
            return Err(FormatError::invalid(
                location,
                "must be [provider id (text), provider info (text), ciphertext (bytes)]",
            )
            .into());
        };
        if provider_id.is_empty() {
            return Err(FormatError::invalid(location, "provider id is empty").into());
        }
        if ciphertext.is_empty() {
            return Err(FormatError::invalid(location, "ciphertext is empty").into());
        }
        edks.push(EncryptedDataKey {
            provider_id,
            provider_info,
            ciphertext,
        });
    }
    Ok(edks)
}

#[cfg(test)]
mod tests {
    use super::super::cbor::sorted_context;
    use super::*;

    fn sample() -> Header {
        let mut context = EncryptionContext::new();
        context.insert("tenant".into(), "acme".into());
        context.insert("a".into(), "1".into());
        context.insert("bb".into(), "2".into());
        Header {
            suite: Suite::Aes256GcmHkdfSha512Committed,
            message_id: [7; 32],
            encryption_context: context,
            encrypted_data_keys: vec![EncryptedDataKey {
                provider_id: "aws-kms".into(),
                provider_info: "arn:aws:kms:us-east-1:111122223333:key/mrk-1".into(),
                ciphertext: vec![1, 2, 3],
            }],
            frame_length: 4096,
            commitment: [9; 32],
        }
    }

    #[test]
    fn header_round_trips() {
        let header = sample();
        let bytes = header.encode();
        assert_eq!(Header::decode(&bytes, &Limits::default()).unwrap(), header);
        // map(7), key 1, value 1 (version), key 2, value 1 (suite)
        assert_eq!(&bytes[..5], &[0xa7, 0x01, 0x01, 0x02, 0x01]);
    }

    #[test]
    fn context_keys_are_sorted_length_first() {
        let header = sample();
        let keys: Vec<&String> = sorted_context(&header.encryption_context)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["a", "bb", "tenant"]);
    }

    #[test]
    fn non_deterministic_encoding_is_rejected() {
        let bytes = sample().encode();
        // Re-encode the frame length (4096 = 0x19 0x10 0x00) as a 4-byte integer.
        let needle = [0x06, 0x19, 0x10, 0x00];
        let at = bytes.windows(4).position(|w| w == needle).unwrap();
        let mut longer = bytes[..at].to_vec();
        longer.extend_from_slice(&[0x06, 0x1a, 0x00, 0x00, 0x10, 0x00]);
        longer.extend_from_slice(&bytes[at + 4..]);
        let err = Header::decode(&longer, &Limits::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "header: not deterministically encoded CBOR"
        );
    }

    #[test]
    fn unknown_fields_versions_and_suites_are_rejected() {
        let mut bytes = sample().encode();
        bytes[2] = 0x02; // version 2
        let err = Header::decode(&bytes, &Limits::default()).unwrap_err();
        assert_eq!(err, Error::Format(FormatError::UnsupportedVersion(2)));
        let mut bytes = sample().encode();
        bytes[4] = 0x05; // suite 5
        let err = Header::decode(&bytes, &Limits::default()).unwrap_err();
        assert_eq!(err, Error::Format(FormatError::UnsupportedSuite(5)));
        let mut bytes = sample().encode();
        bytes[0] = 0xa8; // one more entry
        bytes.extend_from_slice(&[0x08, 0x00]); // field 8 = 0
        let err = Header::decode(&bytes, &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn trailing_bytes_in_header_are_rejected() {
        let mut bytes = sample().encode();
        bytes.push(0);
        let err = Header::decode(&bytes, &Limits::default()).unwrap_err();
        assert_eq!(err.to_string(), "header: 1 byte(s) after the header map");
    }

    #[test]
    fn limits_are_enforced() {
        let mut header = sample();
        header.encrypted_data_keys = vec![header.encrypted_data_keys[0].clone(); 3];
        let bytes = header.encode();
        let limits = Limits {
            max_encrypted_data_keys: 2,
            ..Limits::default()
        };
        let err = Header::decode(&bytes, &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            "encrypted data keys: 3 exceeds the limit of 2"
        );
        let limits = Limits {
            max_header_bytes: 10,
            ..Limits::default()
        };
        assert_eq!(
            Header::decode(&bytes, &limits).unwrap_err().kind(),
            crate::ErrorKind::LimitExceeded
        );
    }
}
