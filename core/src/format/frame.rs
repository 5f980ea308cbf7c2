//! Frames: `[sequence (unsigned), final (bool), ciphertext || tag (bytes)]`.
//!
//! Sequence numbers start at 1 and increase by one. A non-final frame carries
//! exactly `frame_length` plaintext bytes; the final frame carries
//! `0..frame_length` bytes (strictly fewer than a full frame), so a plaintext
//! whose length is a multiple of the frame length ends with an empty final
//! frame, and every plaintext has exactly one encoding.

use crate::crypto::TAG_LEN;
use crate::error::FormatError;

use super::cbor::{self, MAJOR_ARRAY, MAJOR_BYTES, MAJOR_UNSIGNED};

/// The parsed start of a frame, up to its ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHead {
    /// The frame's sequence number.
    pub sequence: u64,
    /// True for the last frame of the message.
    pub is_final: bool,
    /// Plaintext bytes in the frame (the ciphertext is this plus the tag).
    pub plaintext_len: usize,
    /// Bytes of CBOR before the ciphertext.
    pub head_len: usize,
}

impl FrameHead {
    /// Total encoded length of the frame.
    pub fn total_len(&self) -> usize {
        self.head_len + self.plaintext_len + TAG_LEN
    }
}

/// Appends the CBOR head of a frame (everything before its ciphertext).
pub fn write_frame_head(out: &mut Vec<u8>, sequence: u64, is_final: bool, plaintext_len: usize) {
    cbor::write_head(out, MAJOR_ARRAY, 3);
    cbor::write_head(out, MAJOR_UNSIGNED, sequence);
    out.push(if is_final { cbor::TRUE } else { cbor::FALSE });
    cbor::write_head(out, MAJOR_BYTES, (plaintext_len + TAG_LEN) as u64);
}

/// The bytes taken so far by a reader that waits for its keys after `fed`
/// bytes and is given `more`: at most one frame (frame `sequence` of
/// `frame_length`) in all, else `LimitExceeded` naming `what`. The
/// [`Decryptor`](crate::Decryptor) and the
/// [`Rekeyer`](crate::rekey::Rekeyer) keep no more than that while a host
/// fetches keys.
pub(crate) fn one_frame_while_waiting(
    what: &'static str,
    fed: usize,
    more: usize,
    sequence: u64,
    frame_length: u32,
) -> Result<usize, crate::Error> {
    let found = fed.saturating_add(more);
    crate::limits::Limits::check(
        what,
        frame_encoded_len(sequence, frame_length as usize),
        found,
    )?;
    Ok(found)
}

/// Length of the encoded frame for `plaintext_len` bytes.
pub fn frame_encoded_len(sequence: u64, plaintext_len: usize) -> usize {
    1 + cbor::head_len(sequence)
        + 1
        + cbor::head_len((plaintext_len + TAG_LEN) as u64)
        + plaintext_len
        + TAG_LEN
}

/// Reads a frame head from the start of `input`.
///
/// Returns `Ok(None)` when more bytes are needed. Checks, before any byte of
/// ciphertext is needed, that the sequence number is `expected_sequence` and
/// that the length fits the frame length (full for non-final frames, shorter
/// for the final frame).
pub fn read_frame_head(
    input: &[u8],
    expected_sequence: u64,
    frame_length: u32,
) -> Result<Option<FrameHead>, FormatError> {
    let location = format!("frame {expected_sequence}");
    let Some((items, mut at)) = cbor::read_head(input, MAJOR_ARRAY, &location)? else {
        return Ok(None);
    };
    if items != 3 {
        return Err(FormatError::invalid(
            location,
            format!("expected an array of 3 items, found {items}"),
        ));
    }
    let Some((sequence, used)) = cbor::read_head(&input[at..], MAJOR_UNSIGNED, &location)? else {
        return Ok(None);
    };
    at += used;
    if sequence != expected_sequence {
        return Err(FormatError::invalid(
            location,
            format!(
                "sequence number is {sequence}, expected {expected_sequence} (frames reordered, dropped or duplicated)"
            ),
        ));
    }
    let Some(&flag) = input.get(at) else {
        return Ok(None);
    };
    let is_final = match flag {
        cbor::TRUE => true,
        cbor::FALSE => false,
        _ => {
            return Err(FormatError::invalid(
                location,
                "final flag must be CBOR true or false",
            ))
        }
    };
    at += 1;
    let Some((body_len, used)) = cbor::read_head(&input[at..], MAJOR_BYTES, &location)? else {
        return Ok(None);
    };
    at += used;
    let frame_length = frame_length as u64;
    let plaintext_len = body_len.checked_sub(TAG_LEN as u64).ok_or_else(|| {
        FormatError::invalid(
            &location,
            format!("ciphertext of {body_len} bytes is shorter than the tag"),
        )
    })?;
    if !is_final && plaintext_len != frame_length {
        return Err(FormatError::invalid(
            location,
            format!("a non-final frame holds {frame_length} bytes, found {plaintext_len}"),
        ));
    }
    if is_final && plaintext_len >= frame_length {
        return Err(FormatError::invalid(
            location,
            format!("the final frame holds fewer than {frame_length} bytes, found {plaintext_len}"),
        ));
    }
    Ok(Some(FrameHead {
        sequence,
        is_final,
        plaintext_len: plaintext_len as usize,
        head_len: at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_heads_round_trip() {
        for (seq, fin, len) in [(1u64, false, 1024usize), (2, true, 0), (300, true, 1023)] {
            let mut out = Vec::new();
            write_frame_head(&mut out, seq, fin, len);
            let head = read_frame_head(&out, seq, 1024).unwrap().unwrap();
            assert_eq!(head.sequence, seq);
            assert_eq!(head.is_final, fin);
            assert_eq!(head.plaintext_len, len);
            assert_eq!(head.head_len, out.len());
            assert_eq!(head.total_len(), frame_encoded_len(seq, len));
            for cut in 0..out.len() {
                assert_eq!(read_frame_head(&out[..cut], seq, 1024).unwrap(), None);
            }
        }
    }

    #[test]
    fn frame_rules_are_enforced() {
        let mut out = Vec::new();
        write_frame_head(&mut out, 2, false, 1024);
        let err = read_frame_head(&out, 1, 1024).unwrap_err();
        assert_eq!(
            err.to_string(),
            "frame 1: sequence number is 2, expected 1 (frames reordered, dropped or duplicated)"
        );
        let mut out = Vec::new();
        write_frame_head(&mut out, 1, false, 1000);
        assert!(read_frame_head(&out, 1, 1024).is_err());
        let mut out = Vec::new();
        write_frame_head(&mut out, 1, true, 1024);
        assert!(read_frame_head(&out, 1, 1024).is_err());
    }
}
