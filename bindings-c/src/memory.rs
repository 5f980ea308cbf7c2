//! `mrkenv_bytes`, the library's own buffers, and the conversions of C
//! arguments (pointers, lengths, strings, encryption contexts) into Rust.

use std::ffi::{c_char, CStr, CString};

use mrkenv::EncryptionContext;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{boundary, status, Failure, Result};

/// A buffer allocated by mrkenv: `len` bytes at `data`.
///
/// Release it with `mrkenv_bytes_free` (never `free()`), which zeroes the
/// bytes first and sets the struct back to empty. An empty buffer has
/// `data == NULL` and `len == 0`.
///
/// An output `mrkenv_bytes` must be empty on entry: zero-initialise it
/// (`mrkenv_bytes out = {0};`) or free it with `mrkenv_bytes_free` before
/// reusing it. A non-empty one is refused with
/// `MRKENV_STATUS_OUTPUT_NOT_EMPTY` and left untouched (overwriting it would
/// leak, unzeroed, what it holds). On failure an output stays empty.
#[repr(C)]
#[derive(Debug)]
pub struct bytes {
    /// The bytes, or NULL when empty.
    pub data: *mut u8,
    /// How many bytes `data` holds.
    pub len: usize,
}

impl bytes {
    pub(crate) const EMPTY: bytes = bytes {
        data: std::ptr::null_mut(),
        len: 0,
    };
}

/// One encryption context pair: two NUL-terminated UTF-8 strings.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct context_entry {
    /// The key.
    pub key: *const c_char,
    /// The value.
    pub value: *const c_char,
}

/// Moves a vector into an `mrkenv_bytes` without leaving a copy behind: when
/// the vector has spare capacity its bytes are copied into an exact-size
/// allocation and the original is zeroed.
pub(crate) fn bytes_from_vec(vec: Vec<u8>) -> bytes {
    let mut vec = Zeroizing::new(vec);
    if vec.is_empty() {
        return bytes::EMPTY;
    }
    let boxed: Box<[u8]> = if vec.len() == vec.capacity() {
        std::mem::take(&mut *vec).into_boxed_slice()
    } else {
        Box::from(vec.as_slice())
    };
    let len = boxed.len();
    let data = Box::into_raw(boxed).cast::<u8>();
    bytes { data, len }
}

/// Checks an output buffer before anything else: not NULL, and empty
/// (`data == NULL`, `len == 0`) on entry. A buffer that still holds
/// something is refused with `MRKENV_STATUS_OUTPUT_NOT_EMPTY` and left as
/// it is: overwriting it would leak (and never zero) what it holds. Since
/// the buffer is empty on entry, a later failure leaves it empty.
pub(crate) unsafe fn check_out(out: *const bytes, what: &str) -> Result<()> {
    if out.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: non-NULL; the caller gives a readable mrkenv_bytes.
    let b = unsafe { &*out };
    if !b.data.is_null() || b.len != 0 {
        return Err(Failure::new(
            status::OutputNotEmpty,
            format!(
                "{what} is not empty on entry (data = {:p}, len = {}): an output mrkenv_bytes must be \
                 zero-initialised (mrkenv_bytes {what} = {{0}};) or released with mrkenv_bytes_free \
                 before it is used again; it was left untouched",
                b.data, b.len
            ),
        ));
    }
    Ok(())
}

/// Checks an output string pointer before anything else: `out` not NULL,
/// and `*out` NULL on entry (else `MRKENV_STATUS_OUTPUT_NOT_EMPTY`, leaving
/// it untouched, as [`check_out`]).
pub(crate) unsafe fn check_out_string(out: *const *mut c_char, what: &str) -> Result<()> {
    if out.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: non-NULL; the caller gives a readable pointer.
    let current = unsafe { *out };
    if !current.is_null() {
        return Err(Failure::new(
            status::OutputNotEmpty,
            format!(
                "*{what} is not NULL on entry ({current:p}): set it to NULL (char *{what} = NULL;) \
                 or release the previous string with mrkenv_string_free first; it was left untouched"
            ),
        ));
    }
    Ok(())
}

/// Zeroes and frees a buffer returned by mrkenv, then sets it to empty
/// (`data = NULL`, `len = 0`), so freeing twice is harmless. NULL, and a
/// buffer that is already empty, are fine.
///
/// # Safety
///
/// `bytes` must be NULL or point to an `mrkenv_bytes` that is empty or was
/// filled by mrkenv and not modified since.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_bytes_free(bytes: *mut bytes) {
    boundary(|| {
        if bytes.is_null() {
            return;
        }
        // SAFETY: checked non-NULL; the caller vouches for the contents.
        let b = unsafe { &mut *bytes };
        if !b.data.is_null() && b.len > 0 {
            // SAFETY: data/len came from `bytes_from_vec` (a boxed slice).
            let mut boxed =
                unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(b.data, b.len)) };
            boxed.zeroize();
            drop(boxed);
        }
        b.data = std::ptr::null_mut();
        b.len = 0;
    })
}

/// Zeroes and frees a string returned by mrkenv (e.g. by
/// `mrkenv_inspect_json`, or a decrypted item from
/// `mrkenv_decrypt_record_json`). NULL is fine.
///
/// # Safety
///
/// `string` must be NULL or a string returned by mrkenv and not freed yet.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_string_free(string: *mut c_char) {
    boundary(|| {
        if !string.is_null() {
            // SAFETY: the string came from `CString::into_raw` in this library.
            let mut bytes = unsafe { CString::from_raw(string) }.into_bytes_with_nul();
            bytes.zeroize();
        }
    })
}

/// Borrows `len` bytes at `ptr`. `ptr` may be NULL only when `len` is 0.
pub(crate) unsafe fn slice<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::null(&format!("{what} (with length {len})")));
    }
    if len > isize::MAX as usize {
        return Err(Failure::invalid(format!(
            "{what}: length {len} is larger than any buffer can be"
        )));
    }
    // SAFETY: the caller promises `len` readable bytes at `ptr`.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows a NUL-terminated UTF-8 string.
pub(crate) unsafe fn string<'a>(ptr: *const c_char, what: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: the caller promises a NUL-terminated string.
    unsafe { CStr::from_ptr(ptr) }
        .to_str()
        .map_err(|_| Failure::invalid(format!("{what} is not valid UTF-8")))
}

/// Reads `len` strings at `ptr` (an array of `const char *`).
pub(crate) unsafe fn strings(
    ptr: *const *const c_char,
    len: usize,
    what: &str,
) -> Result<Vec<String>> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if ptr.is_null() {
        return Err(Failure::null(&format!("{what} (with length {len})")));
    }
    if len > isize::MAX as usize / std::mem::size_of::<*const c_char>() {
        return Err(Failure::invalid(format!(
            "{what}: length {len} is too large"
        )));
    }
    // SAFETY: the caller promises `len` pointers at `ptr`.
    let items = unsafe { std::slice::from_raw_parts(ptr, len) };
    items
        .iter()
        .enumerate()
        .map(|(i, p)| unsafe { string(*p, &format!("{what}[{i}]")) }.map(str::to_string))
        .collect()
}

/// Reads an encryption context. Duplicate keys are an error.
pub(crate) unsafe fn context(
    ptr: *const context_entry,
    len: usize,
    what: &str,
) -> Result<EncryptionContext> {
    let mut context = EncryptionContext::new();
    if len == 0 {
        return Ok(context);
    }
    if ptr.is_null() {
        return Err(Failure::null(&format!("{what} (with length {len})")));
    }
    if len > isize::MAX as usize / std::mem::size_of::<context_entry>() {
        return Err(Failure::invalid(format!(
            "{what}: length {len} is too large"
        )));
    }
    // SAFETY: the caller promises `len` entries at `ptr`.
    let entries = unsafe { std::slice::from_raw_parts(ptr, len) };
    for (i, entry) in entries.iter().enumerate() {
        let key = unsafe { string(entry.key, &format!("{what}[{i}].key")) }?;
        let value = unsafe { string(entry.value, &format!("{what}[{i}].value")) }?;
        if context.insert(key.to_string(), value.to_string()).is_some() {
            return Err(Failure::invalid(format!(
                "{what}: key {key:?} appears more than once"
            )));
        }
    }
    Ok(context)
}

/// An encryption context as C strings, kept alive while a callback runs.
pub(crate) struct CContext {
    _strings: Vec<CString>,
    entries: Vec<context_entry>,
}

impl CContext {
    pub(crate) fn new(context: &EncryptionContext) -> Result<CContext, String> {
        let mut strings = Vec::with_capacity(context.len() * 2);
        let mut entries = Vec::with_capacity(context.len());
        for (key, value) in context {
            let k = CString::new(key.as_str())
                .map_err(|_| format!("encryption context key {key:?} contains a NUL character and cannot be passed to C"))?;
            let v = CString::new(value.as_str()).map_err(|_| {
                format!("the value of encryption context key {key:?} contains a NUL character and cannot be passed to C")
            })?;
            entries.push(context_entry {
                key: k.as_ptr(),
                value: v.as_ptr(),
            });
            strings.push(k);
            strings.push(v);
        }
        Ok(CContext {
            _strings: strings,
            entries,
        })
    }

    pub(crate) fn as_ptr(&self) -> *const context_entry {
        if self.entries.is_empty() {
            std::ptr::null()
        } else {
            self.entries.as_ptr()
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Writes `value` through `out`, which must not be NULL (checked by callers).
pub(crate) unsafe fn put<T>(out: *mut T, value: T) {
    // SAFETY: callers checked `out` and the C caller gives a writable T.
    unsafe { out.write(value) }
}
