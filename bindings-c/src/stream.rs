//! Incremental encryptor and decryptor handles, holding about one frame at a
//! time.
//!
//! Each `update` returns the bytes it produced in a fresh `mrkenv_bytes`
//! (possibly empty). The decryptor finds the data key by itself (through the
//! keyring, and so the KMS callbacks) as soon as the header has arrived, and
//! only returns plaintext of frames whose tag verified.

use mrkenv::{DecryptOptions, Decryptor, Encryptor};

use crate::error::{boundary, status, Failure, Result};
use crate::keyring::{keyring, keyring_ref};
use crate::limits::{self as c_limits, limits};
use crate::memory::{bytes, bytes_from_vec, check_out, context, context_entry, put, slice};
use crate::message::encrypt_options;

/// An incremental encryptor. Opaque; made by `mrkenv_encryptor_new`, freed
/// with `mrkenv_encryptor_free`. Not for use by two threads at once.
pub struct encryptor {
    inner: Encryptor,
}

/// An incremental decryptor. Opaque; made by `mrkenv_decryptor_new`, freed
/// with `mrkenv_decryptor_free`. Not for use by two threads at once.
pub struct decryptor {
    inner: Decryptor,
    keyring: keyring,
    failed: bool,
    /// Bytes given to `update` so far, and plaintext bytes returned: their
    /// difference bounds the plaintext still to come from buffered bytes
    /// (each message byte yields at most one plaintext byte).
    fed: usize,
    produced: usize,
}

unsafe fn handle<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T> {
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: non-NULL, made by this library, used by one thread at a time.
    Ok(unsafe { &mut *ptr })
}

/// Starts a message under `keyring` with the `context_len` pairs of
/// `context` and `frame_length` plaintext bytes per frame (0 for the default
/// 65536). For a KMS keyring the data key is obtained here, through the
/// client's callbacks. The encryptor holds at most one frame of plaintext.
///
/// ```c
/// mrkenv_encryptor *enc = NULL;
/// mrkenv_bytes chunk = {0};
/// mrkenv_encryptor_new(keyring, NULL, 0, 0, &enc);
/// while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
///     mrkenv_encryptor_update(enc, buf, n, &chunk);
///     fwrite(chunk.data, 1, chunk.len, out);
///     mrkenv_bytes_free(&chunk);
/// }
/// mrkenv_encryptor_finish(enc, &chunk);   // write it, free it
/// mrkenv_encryptor_free(enc);
/// ```
///
/// # Safety
///
/// `context` points to `context_len` entries (NULL when empty); `out` is
/// writable.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_encryptor_new(
    keyring: *const keyring,
    context: *const context_entry,
    context_len: usize,
    frame_length: u32,
    out: *mut *mut encryptor,
) -> status {
    boundary(|| unsafe {
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        put(out, std::ptr::null_mut());
        let keyring = keyring_ref(keyring)?;
        let context = crate::memory::context(context, context_len, "context")?;
        let options = encrypt_options(frame_length);
        // Check the frame length before any KMS call.
        mrkenv::limits::check_frame_length(options.frame_length)?;
        let materials = keyring.materials(&context, &options.limits, None)?;
        let inner = Encryptor::new(materials, &options)?;
        put(out, Box::into_raw(Box::new(encryptor { inner })));
        Ok(())
    })
}

/// Encrypts `input_len` bytes of `input` and sets `*out` to the message bytes
/// produced so far (the header first, then every complete frame; possibly
/// empty). Free `*out` with `mrkenv_bytes_free`.
///
/// # Safety
///
/// `encryptor` is a live encryptor; `input` points to `input_len` bytes;
/// `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_encryptor_update(
    encryptor: *mut encryptor,
    input: *const u8,
    input_len: usize,
    out: *mut bytes,
) -> status {
    boundary(|| unsafe {
        check_out(out, "out")?;
        let enc = handle(encryptor, "encryptor")?;
        let input = slice(input, input_len, "input")?;
        let mut produced = Vec::with_capacity(input.len() + 1024);
        enc.inner.update(input, &mut produced)?;
        put(out, bytes_from_vec(produced));
        Ok(())
    })
}

/// Ends the message: sets `*out` to the remaining bytes (the final frame).
/// The encryptor accepts no more input afterwards; free it.
///
/// # Safety
///
/// `encryptor` is a live encryptor; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_encryptor_finish(
    encryptor: *mut encryptor,
    out: *mut bytes,
) -> status {
    boundary(|| unsafe {
        check_out(out, "out")?;
        let enc = handle(encryptor, "encryptor")?;
        let mut produced = Vec::new();
        enc.inner.finish(&mut produced)?;
        put(out, bytes_from_vec(produced));
        Ok(())
    })
}

/// Frees an encryptor (zeroing its keys and pending plaintext). NULL is fine.
///
/// # Safety
///
/// `encryptor` is NULL or an encryptor from this library not freed yet.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_encryptor_free(encryptor: *mut encryptor) {
    boundary(|| {
        if !encryptor.is_null() {
            // SAFETY: made by Box::into_raw in mrkenv_encryptor_new.
            drop(unsafe { Box::from_raw(encryptor) });
        }
    })
}

/// Starts reading a message with `keyring` (copied into the decryptor), and
/// with the `required_len` pairs of `required` (NULL when empty) that the
/// message's encryption context must contain.
///
/// # Safety
///
/// `required` points to `required_len` entries; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_decryptor_new(
    keyring: *const keyring,
    required: *const context_entry,
    required_len: usize,
    out: *mut *mut decryptor,
) -> status {
    boundary(|| unsafe { decryptor_new(keyring, required, required_len, std::ptr::null(), out) })
}

/// Like `mrkenv_decryptor_new`, within `limits` (NULL for the defaults; see
/// `mrkenv_limits`): a header, encrypted data key count or frame length
/// over a limit fails `mrkenv_decryptor_update` with
/// `MRKENV_STATUS_LIMIT_EXCEEDED` before the work it guards (a frame longer
/// than `max_frame_length` is refused before it is buffered).
///
/// # Safety
///
/// As for `mrkenv_decryptor_new`; `limits` is NULL or points to an
/// `mrkenv_limits` of `limits->struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_decryptor_new_with_limits(
    keyring: *const keyring,
    required: *const context_entry,
    required_len: usize,
    limits: *const limits,
    out: *mut *mut decryptor,
) -> status {
    boundary(|| unsafe { decryptor_new(keyring, required, required_len, limits, out) })
}

unsafe fn decryptor_new(
    keyring: *const keyring,
    required: *const context_entry,
    required_len: usize,
    limits: *const limits,
    out: *mut *mut decryptor,
) -> Result<()> {
    if out.is_null() {
        return Err(Failure::null("out"));
    }
    unsafe { put(out, std::ptr::null_mut()) };
    let keyring = unsafe { keyring_ref(keyring) }?.clone();
    let required = unsafe { context(required, required_len, "required") }?;
    let limits = unsafe { c_limits::read(limits) }?;
    let inner = Decryptor::new(DecryptOptions {
        limits,
        required_context: required,
    });
    let boxed = Box::new(decryptor {
        inner,
        keyring,
        failed: false,
        fed: 0,
        produced: 0,
    });
    unsafe { put(out, Box::into_raw(boxed)) };
    Ok(())
}

fn decryptor_update(dec: &mut decryptor, input: &[u8], produced: &mut Vec<u8>) -> Result<()> {
    dec.inner.update(input, produced)?;
    if dec.inner.needs_data_key() {
        let header = dec.inner.header().expect("the header is read");
        let data_key = dec.keyring.data_key(header)?;
        // Also decrypts the frames that arrived with the header.
        dec.inner.set_data_key(&data_key, produced)?;
    }
    Ok(())
}

/// Reads `input_len` more bytes of the message and sets `*out` to the
/// plaintext of every frame completed and verified so far (possibly empty).
/// When the header is complete, the data key is found through the keyring
/// (calling the KMS `decrypt` callback) before going on. After a failure the
/// decryptor refuses further input. Free `*out` with `mrkenv_bytes_free`.
///
/// Plaintext is released frame by frame, before the end of the message is
/// authenticated: only act on it once `mrkenv_decryptor_finish` succeeded.
///
/// # Safety
///
/// `decryptor` is a live decryptor; `input` points to `input_len` bytes;
/// `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_decryptor_update(
    decryptor: *mut decryptor,
    input: *const u8,
    input_len: usize,
    out: *mut bytes,
) -> status {
    boundary(|| unsafe {
        check_out(out, "out")?;
        let dec = handle(decryptor, "decryptor")?;
        if dec.failed {
            return Err(Failure::invalid(
                "the decryptor already failed; start again with a new one",
            ));
        }
        let input = slice(input, input_len, "input")?;
        // The plaintext of one call is never longer than the input plus the
        // plaintext still held in buffered bytes: at most what was fed and
        // not yet returned, and less than one frame once the header is
        // known. Reserving that much up front means the vector never grows,
        // so no reallocation leaves a copy of plaintext behind in freed
        // memory (frames go up to 16 MiB).
        let mut buffered = dec.fed.saturating_sub(dec.produced);
        if let Some(header) = dec.inner.header() {
            buffered = buffered.min(header.frame_length as usize);
        }
        let bound = input.len().saturating_add(buffered);
        let mut produced = zeroize::Zeroizing::new(Vec::with_capacity(bound));
        dec.fed = dec.fed.saturating_add(input.len());
        let result = decryptor_update(dec, input, &mut produced);
        if let Err(failure) = result {
            dec.failed = true;
            return Err(failure);
        }
        dec.produced = dec.produced.saturating_add(produced.len());
        put(out, bytes_from_vec(std::mem::take(&mut *produced)));
        Ok(())
    })
}

/// Ends the input: succeeds only when the final frame was read and verified
/// and nothing follows it. A message cut short fails with
/// `MRKENV_STATUS_MALFORMED_MESSAGE`.
///
/// # Safety
///
/// `decryptor` is a live decryptor.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_decryptor_finish(decryptor: *mut decryptor) -> status {
    boundary(|| unsafe {
        let dec = handle(decryptor, "decryptor")?;
        if dec.failed {
            return Err(Failure::invalid(
                "the decryptor already failed; start again with a new one",
            ));
        }
        if let Err(e) = dec.inner.finish() {
            dec.failed = true;
            return Err(e.into());
        }
        Ok(())
    })
}

/// Frees a decryptor. NULL is fine.
///
/// # Safety
///
/// `decryptor` is NULL or a decryptor from this library not freed yet.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_decryptor_free(decryptor: *mut decryptor) {
    boundary(|| {
        if !decryptor.is_null() {
            // SAFETY: made by Box::into_raw in mrkenv_decryptor_new.
            drop(unsafe { Box::from_raw(decryptor) });
        }
    })
}
