//! The one reader of what comes before the frames: the prefix, the header and
//! the header tag, checked as one unit in the order of `docs/FORMAT.md` §7.1,
//! steps 1 to 8.
//!
//! [`parse_header`](crate::parse_header), [`inspect`](crate::inspect), the
//! one-shot, slice and in-place decrypts and the streaming
//! [`Decryptor`](crate::Decryptor) all read through [`read_prelude`], so they
//! report the same error for the same bytes. A header is handed out only once
//! the header tag's framing has been read and checked: no keyring (and so no
//! KMS call) can run for a message that is malformed anywhere up to and
//! including its header tag.

use std::ops::Range;

use crate::context::{check_required_context, EncryptionContext};
use crate::crypto::TAG_LEN;
use crate::error::{Error, FormatError};
use crate::limits::Limits;

use super::cbor::{self, MAJOR_BYTES};
use super::{Header, MAGIC, PREFIX, VERSION};

/// The prefix, header and header tag at the start of a message, checked.
/// Nothing in it is authenticated yet.
#[derive(Debug)]
pub(crate) struct Prelude {
    /// The decoded header.
    pub header: Header,
    /// Where the header bytes (the header tag's AAD) are in the input.
    pub header_bytes: Range<usize>,
    /// The header tag.
    pub tag: [u8; TAG_LEN],
    /// How many input bytes the prelude takes; the first frame starts here.
    pub len: usize,
}

/// What [`read_prelude`] found.
#[derive(Debug)]
pub(crate) enum PreludeRead {
    /// Every check possible on the bytes given passed; more bytes are needed.
    /// `missing` says which piece is incomplete, for a truncation error.
    Incomplete {
        /// `"the header is incomplete"` or `"the header tag is incomplete"`.
        missing: &'static str,
    },
    /// The whole prelude is there and well formed.
    Complete(Prelude),
}

const HEADER_INCOMPLETE: &str = "the header is incomplete";
const TAG_INCOMPLETE: &str = "the header tag is incomplete";

/// Reads the prelude at the start of `input` (which may hold less, or more,
/// than the prelude), in the order of FORMAT.md §7.1 steps 1–8, and fails at
/// the first check that fails on the bytes available. Step 7 checks
/// `required` (empty: nothing required).
pub(crate) fn read_prelude(
    input: &[u8],
    limits: &Limits,
    required: &EncryptionContext,
) -> Result<PreludeRead, Error> {
    let incomplete = |missing| Ok(PreludeRead::Incomplete { missing });
    // 1, 2: the prefix.
    let n = input.len().min(MAGIC.len());
    if input[..n] != MAGIC[..n] {
        return Err(match super::text_hint::looks_like_text(input) {
            Some(kind) => FormatError::EncodedAsText(kind),
            None => FormatError::BadMagic,
        }
        .into());
    }
    if input.len() < PREFIX.len() {
        return incomplete(HEADER_INCOMPLETE);
    }
    if input[4] != VERSION {
        return Err(FormatError::UnsupportedVersion(input[4] as u64).into());
    }
    let mut at = PREFIX.len();
    // 3: the header's byte string head.
    let Some((len, head)) = cbor::read_head(&input[at..], MAJOR_BYTES, "header")? else {
        return incomplete(HEADER_INCOMPLETE);
    };
    // 4: its length, before reading the content.
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    Limits::check("header bytes", limits.max_header_bytes, len)?;
    at += head;
    // 5: the content is there (`at <= input.len()`: compare without overflow).
    if input.len() - at < len {
        return incomplete(HEADER_INCOMPLETE);
    }
    let header_bytes = at..at + len;
    // 6: the header map.
    let header = Header::decode(&input[header_bytes.clone()], limits)?;
    // 7: the caller's required context.
    check_required_context(&header.encryption_context, required)?;
    at += len;
    // 8: the header tag, a byte string of exactly 16 bytes.
    let Some((tag_len, head)) = cbor::read_head(&input[at..], MAJOR_BYTES, "header tag")? else {
        return incomplete(TAG_INCOMPLETE);
    };
    if tag_len != TAG_LEN as u64 {
        return Err(FormatError::invalid(
            "header tag",
            format!("must be {TAG_LEN} bytes, found {tag_len}"),
        )
        .into());
    }
    at += head;
    let Some(tag) = input.get(at..at + TAG_LEN) else {
        return incomplete(TAG_INCOMPLETE);
    };
    let tag = tag.try_into().expect("16 bytes");
    Ok(PreludeRead::Complete(Prelude {
        header,
        header_bytes,
        tag,
        len: at + TAG_LEN,
    }))
}

/// The whole prelude's length when the input is long enough to tell (the
/// prefix and the header's head are there), else the prefix length or
/// `None`. Lets a streaming reader gather exactly the bytes it lacks.
pub(crate) fn prelude_len(input: &[u8]) -> Option<usize> {
    if input.len() < PREFIX.len() {
        return Some(PREFIX.len());
    }
    let (len, head) = cbor::read_head(&input[PREFIX.len()..], MAJOR_BYTES, "header")
        .ok()
        .flatten()?;
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    Some(
        (PREFIX.len() + head)
            .saturating_add(len)
            .saturating_add(1 + TAG_LEN),
    )
}

/// The prelude for `header_bytes` and its header `tag`: the prefix, the
/// header byte string and the header tag byte string (§6 step 6).
pub(crate) fn write_prelude(header_bytes: &[u8], tag: &[u8; TAG_LEN]) -> Vec<u8> {
    let mut prelude = Vec::with_capacity(PREFIX.len() + 9 + header_bytes.len() + 1 + TAG_LEN);
    prelude.extend_from_slice(&PREFIX);
    cbor::write_head(&mut prelude, MAJOR_BYTES, header_bytes.len() as u64);
    prelude.extend_from_slice(header_bytes);
    cbor::write_head(&mut prelude, MAJOR_BYTES, TAG_LEN as u64);
    prelude.extend_from_slice(tag);
    prelude
}

/// The truncation error for a prelude that [`read_prelude`] found incomplete.
pub(crate) fn truncated(missing: &str) -> Error {
    FormatError::Truncated(missing.to_string()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Suite;
    use crate::format::EncryptedDataKey;

    fn message() -> Vec<u8> {
        let header = Header {
            suite: Suite::Aes256GcmHkdfSha512Committed,
            message_id: [7; 32],
            encryption_context: [("a".to_string(), "b".to_string())].into(),
            encrypted_data_keys: vec![EncryptedDataKey {
                provider_id: "ns".into(),
                provider_info: "name".into(),
                ciphertext: vec![1; 60],
            }],
            frame_length: 1024,
            commitment: [9; 32],
        };
        let bytes = header.encode();
        let mut out = PREFIX.to_vec();
        cbor::write_head(&mut out, MAJOR_BYTES, bytes.len() as u64);
        out.extend_from_slice(&bytes);
        out.push(0x50);
        out.extend_from_slice(&[0xaa; 16]);
        out
    }

    fn read(input: &[u8]) -> Result<PreludeRead, Error> {
        read_prelude(input, &Limits::default(), &EncryptionContext::new())
    }

    #[test]
    fn every_prefix_of_a_prelude_is_incomplete_and_says_which_piece() {
        let message = message();
        let header_end = message.len() - 17;
        for cut in 0..message.len() {
            let Ok(PreludeRead::Incomplete { missing }) = read(&message[..cut]) else {
                panic!("cut at {cut} is not incomplete");
            };
            let expected = if cut < header_end {
                HEADER_INCOMPLETE
            } else {
                TAG_INCOMPLETE
            };
            assert_eq!(missing, expected, "cut at {cut}");
            if let Some(len) = prelude_len(&message[..cut]) {
                assert!(len > cut, "cut at {cut}");
            }
        }
        let Ok(PreludeRead::Complete(prelude)) = read(&message) else {
            panic!("complete");
        };
        assert_eq!(prelude.len, message.len());
        assert_eq!(prelude_len(&message), Some(message.len()));
        assert_eq!(prelude.tag, [0xaa; 16]);
        assert_eq!(prelude.header_bytes.end, header_end);
    }

    #[test]
    fn the_tag_framing_is_checked_on_its_head() {
        let mut message = message();
        let at = message.len() - 17;
        message[at] = 0x51; // a 17-byte tag
        let err = read(&message[..at + 1]).unwrap_err();
        assert_eq!(err.to_string(), "header tag: must be 16 bytes, found 17");
        message[at] = 0x80; // an array
        let err = read(&message[..at + 1]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "header tag: expected a byte string, found CBOR major type 4"
        );
    }

    #[test]
    fn the_required_context_comes_before_the_tag() {
        let message = message();
        let required = [("a".to_string(), "c".to_string())].into();
        let cut = &message[..message.len() - 17];
        let err = read_prelude(cut, &Limits::default(), &required).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::ContextMismatch);
    }
}
