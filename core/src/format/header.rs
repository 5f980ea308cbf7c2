//! The header map: its fields, its deterministic CBOR encoding, and a strict
//! decoder.
//!
//! | key | field | CBOR type |
//! |---|---|---|
//! | 1 | version | unsigned, `1` |
//! | 2 | suite | unsigned, `1` (suite 2 is for records only and refused here) |
//! | 3 | message id | byte string, 32 bytes |
//! | 4 | encryption context | map, text -> text |
//! | 5 | encrypted data keys | array of 1..=N `[provider id (text), provider info (text), ciphertext (bytes)]` |
//! | 6 | frame length | unsigned, 1024..=16777216 |
//! | 7 | key commitment | byte string, 32 bytes |
//!
//! The decoder re-encodes what it read and rejects the input unless it is the
//! identical byte string: this rejects every non-deterministic encoding
//! (non-shortest integers, indefinite lengths, unsorted or duplicate map keys).

use crate::context::EncryptionContext;
use crate::crypto::{Suite, KEY_LEN, MESSAGE_ID_LEN};
use crate::error::{Error, FormatError};
use crate::limits::{check_frame_length, Limits};

use super::cbor::{head_len, write_head, MAJOR_UNSIGNED};
use super::fields::{Problem, Schema};
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

/// The message header's way of using the shared field codec.
const SCHEMA: Schema = Schema {
    location: "header",
    field6: "frame length",
    edk_location: "encrypted data key",
    version: VERSION,
    // Suite 1 only: suite 2 is a record suite, refused here as any unknown
    // suite is.
    accepts: Suite::is_message_suite,
    // The deepest legitimate item is an encrypted data key: the header map,
    // the array of keys, one key's array, then strings. Anything deeper is
    // refused while it is read.
    max_depth: 3,
    error,
};

/// A message header problem as a [`FormatError`].
fn error(problem: Problem) -> Error {
    match problem {
        Problem::Invalid(location, problem) => FormatError::invalid(location, problem),
        Problem::UnsupportedVersion(version) => FormatError::UnsupportedVersion(version),
        Problem::UnsupportedSuite(suite) => FormatError::UnsupportedSuite(suite),
        Problem::NotDeterministic => FormatError::NotDeterministic(SCHEMA.location.into()),
    }
    .into()
}

impl Header {
    /// The format version of this header (always 1).
    pub fn version(&self) -> u8 {
        VERSION
    }

    /// The deterministic CBOR encoding of the header map.
    pub fn encode(&self) -> Vec<u8> {
        SCHEMA.encode(
            self.suite,
            &self.message_id,
            &self.encryption_context,
            &self.encrypted_data_keys,
            head_len(self.frame_length.into()),
            |out| write_head(out, MAJOR_UNSIGNED, self.frame_length.into()),
            &self.commitment,
        )
    }

    /// Decodes header map bytes strictly, within `limits`, in the order of
    /// `docs/FORMAT.md` §7.1 step 6: size, well-formed CBOR of the header's
    /// types only, the seven fields present, each field in turn (with its
    /// limits), and last the deterministic encoding.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Header, Error> {
        // 6.1
        Limits::check("header bytes", limits.max_header_bytes, bytes.len())?;
        // 6.2
        check_types(bytes)?;
        // 6.2 (one CBOR map) and 6.3: known keys, no duplicate, all present,
        // before any field is read.
        let mut fields = SCHEMA.read(bytes)?;
        fields.require_all()?;
        // 6.4 to 6.8
        let leading = fields.leading(limits)?;
        // 6.9
        let frame_length = fields.uint(6)?;
        let frame_length = u32::try_from(frame_length)
            .ok()
            .filter(|f| check_frame_length(*f).is_ok())
            .ok_or_else(|| {
                SCHEMA.invalid(
                    SCHEMA.field(6),
                    format!("{frame_length} is outside 1024..=16777216"),
                )
            })?;
        Limits::check(
            "frame length",
            limits.max_frame_length as usize,
            frame_length as usize,
        )?;
        // 6.10
        let commitment = fields.commitment()?;
        let header = Header {
            suite: leading.suite,
            message_id: leading.message_id,
            encryption_context: leading.encryption_context,
            encrypted_data_keys: leading.encrypted_data_keys,
            frame_length,
            commitment,
        };
        // 6.11
        SCHEMA.check_deterministic(&header.encode(), bytes)?;
        Ok(header)
    }
}

/// §7.1 step 6.2: the header is built of unsigned integers, byte and text
/// strings, arrays and maps only. Fails at the first negative integer, tag,
/// float or simple value (`false`, `true`, `null`, ...), wherever it is.
/// Heads that are not well formed are left to the CBOR decoder, and
/// non-shortest or indefinite lengths to the determinism check (6.11).
fn check_types(bytes: &[u8]) -> Result<(), FormatError> {
    // Items still to read in each open container; `None` = indefinite length.
    let mut open: Vec<Option<u64>> = vec![Some(1)];
    let mut at = 0;
    while let Some(top) = open.last_mut() {
        match top {
            Some(0) => {
                open.pop();
                continue;
            }
            Some(n) => *n -= 1,
            None if bytes.get(at) == Some(&0xff) => {
                open.pop();
                at += 1;
                continue;
            }
            None => {}
        }
        let Some(&first) = bytes.get(at) else {
            return Ok(());
        };
        let (major, info) = (first >> 5, first & 0x1f);
        let unexpected = match major {
            1 => Some("a negative integer"),
            6 => Some("a tag"),
            7 if (25..=27).contains(&info) => Some("a float"),
            7 => Some("a simple value"),
            _ => None,
        };
        if let Some(what) = unexpected {
            return Err(FormatError::invalid(
                "header",
                format!("{what} at byte {at} is not allowed"),
            ));
        }
        let extra = match info {
            0..=23 => 0,
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            31 if major != 0 => {
                at += 1;
                open.push(None);
                continue;
            }
            _ => return Ok(()),
        };
        let Some(argument) = bytes.get(at + 1..at + 1 + extra) else {
            return Ok(());
        };
        let argument = if extra == 0 {
            info as u64
        } else {
            argument.iter().fold(0u64, |v, b| (v << 8) | *b as u64)
        };
        at += 1 + extra;
        match major {
            2 | 3 => match usize::try_from(argument)
                .ok()
                .and_then(|n| at.checked_add(n))
            {
                Some(end) if end <= bytes.len() => at = end,
                _ => return Ok(()),
            },
            4 => open.push(Some(argument)),
            5 => open.push(Some(argument.saturating_mul(2))),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use ciborium::value::Value;

    use super::super::cbor::sorted_context;
    use super::*;

    fn int(value: u64) -> Value {
        Value::Integer(value.into())
    }

    fn encode_value(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(value, &mut out).unwrap();
        out
    }

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
        // Suite 2 exists, for records only: a message header naming it is
        // refused exactly as an unknown suite is.
        let mut bytes = sample().encode();
        bytes[4] = 0x02; // suite 2
        let err = Header::decode(&bytes, &Limits::default()).unwrap_err();
        assert_eq!(err, Error::Format(FormatError::UnsupportedSuite(2)));
        assert_eq!(err.kind(), crate::ErrorKind::MalformedMessage);
        assert_eq!(
            err.to_string(),
            "unsupported algorithm suite 2 (this library knows suite 1)"
        );
        let mut bytes = sample().encode();
        bytes[0] = 0xa8; // one more entry
        bytes.extend_from_slice(&[0x08, 0x00]); // field 8 = 0
        let err = Header::decode(&bytes, &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    /// The header map of `sample()` without field `key`, with `edks` keys.
    fn without_field(key: u8, edks: usize) -> Vec<u8> {
        let mut header = sample();
        header.encrypted_data_keys = vec![header.encrypted_data_keys[0].clone(); edks];
        let value: Value = ciborium::from_reader(&header.encode()[..]).unwrap();
        let Value::Map(mut entries) = value else {
            unreachable!()
        };
        entries.retain(|(k, _)| *k != int(key as u64));
        encode_value(&Value::Map(entries))
    }

    #[test]
    fn missing_fields_are_reported_before_any_limit() {
        let limits = Limits::default();
        for key in [6, 7] {
            // 17 encrypted data keys: over the limit of 16, but a field is missing.
            let err = Header::decode(&without_field(key, 17), &limits).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::MalformedMessage, "{err}");
            let name = ["frame length", "key commitment"][key as usize - 6];
            assert_eq!(
                err.to_string(),
                format!("header: missing header field {key} ({name})")
            );
        }
        let err = Header::decode(&without_field(7, 1), &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            "header: missing header field 7 (key commitment)"
        );
    }

    #[test]
    fn error_messages_name_values_in_words() {
        let replace = |at: usize, with: &[u8]| {
            let bytes = sample().encode();
            let mut out = bytes[..at].to_vec();
            out.extend_from_slice(with);
            out.extend_from_slice(&bytes[at + 1..]);
            Header::decode(&out, &Limits::default())
                .unwrap_err()
                .to_string()
        };
        let mut bytes = sample().encode();
        bytes[0] = 0xa8;
        bytes.extend_from_slice(&[0x08, 0x00]);
        let err = Header::decode(&bytes, &Limits::default()).unwrap_err();
        assert_eq!(err.to_string(), "header: unknown field 8");
        let mut bytes = sample().encode();
        bytes[0] = 0xa8;
        bytes.extend_from_slice(&[0x61, b'x', 0x00]);
        let err = Header::decode(&bytes, &Limits::default()).unwrap_err();
        assert_eq!(err.to_string(), "header: unknown field \"x\"");
        // Field 1's value (byte 2) as a negative integer, a tag, a float, `null`.
        assert_eq!(
            replace(2, &[0x20]),
            "header: a negative integer at byte 2 is not allowed"
        );
        assert_eq!(
            replace(2, &[0xc1, 0x01]),
            "header: a tag at byte 2 is not allowed"
        );
        assert_eq!(
            replace(2, &[0xf9, 0x3c, 0x00]),
            "header: a float at byte 2 is not allowed"
        );
        assert_eq!(
            replace(2, &[0xf6]),
            "header: a simple value at byte 2 is not allowed"
        );
        // A bignum tag that a CBOR library would turn into the integer 1.
        assert_eq!(
            replace(2, &[0xc2, 0x41, 0x01]),
            "header: a tag at byte 2 is not allowed"
        );
        // Field 3's value (message id, at byte 6) as an unsigned integer.
        let bytes = sample().encode();
        let mut out = bytes[..6].to_vec();
        out.push(0x00);
        out.extend_from_slice(&bytes[6 + 2 + 32..]);
        let err = Header::decode(&out, &Limits::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "header field 3 (message id): must be a byte string, found an unsigned integer"
        );
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
