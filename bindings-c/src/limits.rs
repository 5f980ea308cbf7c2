//! `mrkenv_limits`: every limit of the core (`mrkenv::Limits`) settable
//! from C, in a struct that starts with its own size so that fields can be
//! added without breaking programs built against an older header.

use std::mem::{offset_of, size_of};

use mrkenv::Limits;

use crate::error::{boundary, Failure, IntoReturn, PanicOrDefault, Result};

/// The limits applied when reading messages and records (decrypt, the
/// stream decryptor, inspect, record decrypt and re-key: the
/// `*_with_limits` functions). Every limit is checked before the work it
/// guards; exceeding one fails with `MRKENV_STATUS_LIMIT_EXCEEDED`, naming
/// the limit, its value and what was found.
///
/// Start from `mrkenv_limits_default()` (which sets `struct_size`) and
/// lower what you need. A field that is 0 takes its default, so a
/// zero-initialised struct with `struct_size` set means "the defaults".
///
/// ```c
/// mrkenv_limits limits = mrkenv_limits_default();
/// limits.max_encrypted_data_keys = 2;
/// limits.max_frame_length = 1024 * 1024;
/// mrkenv_status st = mrkenv_decrypt_with_limits(keyring, ct, ct_len, NULL, 0, &limits, &out);
/// ```
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct limits {
    /// `sizeof(mrkenv_limits)` as the caller was compiled: fields that
    /// start at or beyond it are not read (they take their defaults), so a
    /// program built against an older, smaller struct keeps working.
    /// `mrkenv_limits_default()` sets it.
    pub struct_size: usize,
    /// Most encrypted data keys in one message (default 16), checked
    /// before any KMS call.
    pub max_encrypted_data_keys: usize,
    /// Most bytes of the encoded header (default 262144, 256 KiB); for a
    /// record, of its header attribute.
    pub max_header_bytes: usize,
    /// Most encryption context entries (default 128).
    pub max_context_entries: usize,
    /// Most bytes of all context keys and values together (default 65536,
    /// 64 KiB).
    pub max_context_bytes: usize,
    /// Largest frame length a reader accepts (default 16777216, 16 MiB, the
    /// format's maximum): at most this much plaintext is buffered per frame.
    pub max_frame_length: u32,
    /// Most attributes in one record, its two reserved attributes not
    /// counted (default 4096).
    pub max_record_attributes: usize,
    /// Deepest nesting of `L` and `M` values in a record (default 32, as
    /// DynamoDB).
    pub max_record_depth: usize,
}

/// The core's defaults, with `struct_size` set.
fn defaults() -> limits {
    let d = Limits::default();
    limits {
        struct_size: size_of::<limits>(),
        max_encrypted_data_keys: d.max_encrypted_data_keys,
        max_header_bytes: d.max_header_bytes,
        max_context_entries: d.max_context_entries,
        max_context_bytes: d.max_context_bytes,
        max_frame_length: d.max_frame_length,
        max_record_attributes: d.max_record_attributes,
        max_record_depth: d.max_record_depth,
    }
}

impl PanicOrDefault for limits {
    fn on_panic() -> Self {
        defaults()
    }
}

impl IntoReturn for limits {
    type Return = limits;
    fn into_return(self) -> limits {
        self
    }
}

/// Reads the field of type `T` at `offset` when the caller's struct (of
/// `size` bytes at `base`) holds it, and is not 0.
unsafe fn field<T: Copy + Default + PartialEq>(
    base: *const u8,
    size: usize,
    offset: usize,
) -> Option<T> {
    if offset + size_of::<T>() > size {
        return None;
    }
    // SAFETY: the caller's struct holds `size` readable bytes.
    let value = unsafe { base.add(offset).cast::<T>().read_unaligned() };
    (value != T::default()).then_some(value)
}

/// The core's limits from an optional `mrkenv_limits` (NULL: the defaults).
///
/// # Safety
///
/// `ptr` is NULL or points to at least `ptr->struct_size` readable bytes.
pub(crate) unsafe fn read(ptr: *const limits) -> Result<Limits> {
    let mut out = Limits::default();
    if ptr.is_null() {
        return Ok(out);
    }
    let base = ptr.cast::<u8>();
    // SAFETY: struct_size is the first field; the caller gives a struct.
    let size = unsafe { base.cast::<usize>().read_unaligned() };
    let first = offset_of!(limits, max_encrypted_data_keys) + size_of::<usize>();
    if size < first || size > size_of::<limits>() {
        return Err(Failure::invalid(format!(
            "limits->struct_size is {size}, expected sizeof(mrkenv_limits) = {} (initialise the struct \
             with mrkenv_limits_default(); a larger size means a newer mrkenv.h than this library)",
            size_of::<limits>()
        )));
    }
    macro_rules! take {
        ($field:ident) => {
            if let Some(v) = unsafe { field(base, size, offset_of!(limits, $field)) } {
                out.$field = v;
            }
        };
    }
    take!(max_encrypted_data_keys);
    take!(max_header_bytes);
    take!(max_context_entries);
    take!(max_context_bytes);
    take!(max_frame_length);
    take!(max_record_attributes);
    take!(max_record_depth);
    Ok(out)
}

/// The default limits (the core's), with `struct_size` set: the way to
/// initialise an `mrkenv_limits` before lowering some of its fields.
#[no_mangle]
pub extern "C" fn mrkenv_limits_default() -> limits {
    boundary(defaults)
}
