//! Configurable limits, with safe defaults, checked before the work they guard.

use crate::error::{Error, LimitError};

/// The smallest frame length the format allows (1 KiB).
pub const MIN_FRAME_LENGTH: u32 = 1024;
/// The largest frame length the format allows (16 MiB).
pub const MAX_FRAME_LENGTH: u32 = 16 * 1024 * 1024;
/// The default frame length (64 KiB).
pub const DEFAULT_FRAME_LENGTH: u32 = 64 * 1024;

/// Limits applied when writing and reading messages.
///
/// Every limit is checked before the work it guards: the number of encrypted
/// data keys before any KMS call, the header size before the header is read,
/// the frame length before a frame is buffered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most encrypted data keys in one message (default 16).
    pub max_encrypted_data_keys: usize,
    /// Most bytes of the encoded header (default 256 KiB).
    pub max_header_bytes: usize,
    /// Most encryption context entries (default 128).
    pub max_context_entries: usize,
    /// Most bytes of all context keys and values together (default 64 KiB).
    pub max_context_bytes: usize,
    /// Largest frame length a reader accepts (default 16 MiB, the format's maximum).
    pub max_frame_length: u32,
    /// Most attributes in one record, its two reserved attributes not counted (default 4096).
    pub max_record_attributes: usize,
    /// Deepest nesting of `L` and `M` values in a record (default 32, as DynamoDB).
    pub max_record_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_encrypted_data_keys: 16,
            max_header_bytes: 256 * 1024,
            max_context_entries: 128,
            max_context_bytes: 64 * 1024,
            max_frame_length: MAX_FRAME_LENGTH,
            max_record_attributes: 4096,
            max_record_depth: 32,
        }
    }
}

impl Limits {
    pub(crate) fn check(what: &'static str, limit: usize, found: usize) -> Result<(), Error> {
        if found > limit {
            Err(LimitError {
                what,
                limit: limit as u64,
                found: found as u64,
            }
            .into())
        } else {
            Ok(())
        }
    }

    /// Fails unless the number of encrypted data keys is within the limit.
    pub fn check_encrypted_data_keys(&self, count: usize) -> Result<(), Error> {
        Self::check("encrypted data keys", self.max_encrypted_data_keys, count)
    }
}

/// Fails unless `frame_length` is within the format's range of 1 KiB..=16 MiB.
pub fn check_frame_length(frame_length: u32) -> Result<(), Error> {
    if (MIN_FRAME_LENGTH..=MAX_FRAME_LENGTH).contains(&frame_length) {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "frame length {frame_length} is outside {MIN_FRAME_LENGTH}..={MAX_FRAME_LENGTH}"
        )))
    }
}
