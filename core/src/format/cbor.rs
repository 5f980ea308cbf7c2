//! The CBOR primitives of the format, in deterministic (shortest) form: heads
//! written and read one at a time for the streaming pieces (byte string heads,
//! frame heads), and the deterministic encoding of `ciborium` values shared by
//! the header and the raw AES wrapping AAD (the encryption context map).

use ciborium::value::Value;

use crate::context::EncryptionContext;
use crate::error::FormatError;

/// CBOR major type 0: unsigned integer.
pub const MAJOR_UNSIGNED: u8 = 0;
/// CBOR major type 2: byte string.
pub const MAJOR_BYTES: u8 = 2;
/// CBOR major type 4: array.
pub const MAJOR_ARRAY: u8 = 4;
/// CBOR `false`.
pub const FALSE: u8 = 0xf4;
/// CBOR `true`.
pub const TRUE: u8 = 0xf5;

/// Appends the shortest head for `major` with argument `value`.
pub fn write_head(out: &mut Vec<u8>, major: u8, value: u64) {
    let m = major << 5;
    if value < 24 {
        out.push(m | value as u8);
    } else if value <= u8::MAX as u64 {
        out.push(m | 24);
        out.push(value as u8);
    } else if value <= u16::MAX as u64 {
        out.push(m | 25);
        out.extend_from_slice(&(value as u16).to_be_bytes());
    } else if value <= u32::MAX as u64 {
        out.push(m | 26);
        out.extend_from_slice(&(value as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&value.to_be_bytes());
    }
}

/// Length of the shortest head for argument `value`.
pub fn head_len(value: u64) -> usize {
    match value {
        0..=23 => 1,
        24..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// Reads one head from the start of `input`.
///
/// Returns `Ok(None)` when `input` is too short to hold the whole head, and an
/// error (naming `location`) for an indefinite length, a reserved additional
/// info, the wrong major type or a non-shortest argument.
pub fn read_head(
    input: &[u8],
    expected_major: u8,
    location: &str,
) -> Result<Option<(u64, usize)>, FormatError> {
    let Some(&first) = input.first() else {
        return Ok(None);
    };
    let major = first >> 5;
    if major != expected_major {
        return Err(FormatError::invalid(
            location,
            format!(
                "expected {}, found CBOR major type {major}",
                major_name(expected_major)
            ),
        ));
    }
    let info = first & 0x1f;
    let (extra, minimum) = match info {
        0..=23 => return Ok(Some((info as u64, 1))),
        24 => (1usize, 24u64),
        25 => (2, 0x100),
        26 => (4, 0x1_0000),
        27 => (8, 0x1_0000_0000),
        31 => {
            return Err(FormatError::invalid(
                location,
                "indefinite length is not allowed",
            ))
        }
        _ => {
            return Err(FormatError::invalid(
                location,
                format!("reserved CBOR additional information {info}"),
            ))
        }
    };
    if input.len() < 1 + extra {
        return Ok(None);
    }
    let mut value = 0u64;
    for &byte in &input[1..1 + extra] {
        value = (value << 8) | byte as u64;
    }
    if value < minimum {
        return Err(FormatError::NotDeterministic(location.to_string()));
    }
    Ok(Some((value, 1 + extra)))
}

/// Sorts text keys in CBOR deterministic order (shorter first, then bytewise).
pub(crate) fn sorted_context(context: &EncryptionContext) -> Vec<(&String, &String)> {
    let mut pairs: Vec<(&String, &String)> = context.iter().collect();
    pairs.sort_by(|(a, _), (b, _)| (a.len(), a.as_bytes()).cmp(&(b.len(), b.as_bytes())));
    pairs
}

/// The encryption context as a deterministic CBOR map value.
pub(crate) fn context_value(context: &EncryptionContext) -> Value {
    Value::Map(
        sorted_context(context)
            .into_iter()
            .map(|(k, v)| (Value::Text(k.clone()), Value::Text(v.clone())))
            .collect(),
    )
}

/// Encodes a CBOR value (deterministic when the value was built in order).
pub(crate) fn encode_value(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("writing CBOR to a Vec cannot fail");
    out
}

fn major_name(major: u8) -> &'static str {
    match major {
        MAJOR_UNSIGNED => "an unsigned integer",
        MAJOR_BYTES => "a byte string",
        MAJOR_ARRAY => "an array",
        _ => "another CBOR type",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_round_trip_in_shortest_form() {
        for value in [
            0u64,
            23,
            24,
            255,
            256,
            65535,
            65536,
            u32::MAX as u64,
            u32::MAX as u64 + 1,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            write_head(&mut out, MAJOR_BYTES, value);
            assert_eq!(out.len(), head_len(value));
            assert_eq!(
                read_head(&out, MAJOR_BYTES, "t").unwrap(),
                Some((value, out.len()))
            );
            assert_eq!(
                read_head(&out[..out.len() - 1], MAJOR_BYTES, "t").unwrap(),
                None
            );
        }
    }

    #[test]
    fn non_shortest_and_indefinite_heads_are_rejected() {
        assert_eq!(
            read_head(&[0x58, 0x05], MAJOR_BYTES, "header").unwrap_err(),
            FormatError::NotDeterministic("header".into())
        );
        assert!(read_head(&[0x5f], MAJOR_BYTES, "header").is_err());
        assert!(read_head(&[0x5c], MAJOR_BYTES, "header").is_err());
        let err = read_head(&[0x80], MAJOR_BYTES, "header").unwrap_err();
        assert_eq!(
            err.to_string(),
            "header: expected a byte string, found CBOR major type 4"
        );
    }
}
