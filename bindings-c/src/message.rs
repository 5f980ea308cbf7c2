//! One-shot encrypt and decrypt, the header summary as JSON, and key
//! identifier checks.

use std::ffi::{c_char, CString};

use mrkenv::{DecryptOptions, EncryptOptions, EncryptionContext, Limits, ParsedMessage};

use crate::limits::{self as c_limits, limits};

use crate::error::{boundary, status, Failure, Result};
use crate::keyring::{keyring, keyring_ref, Injected};
use crate::memory::{
    bytes, bytes_from_vec, check_out, check_out_string, context, context_entry, put, slice, string,
};

/// Frame length 0 means the default (65536 bytes).
pub(crate) fn encrypt_options(frame_length: u32) -> EncryptOptions {
    let mut options = EncryptOptions::default();
    if frame_length != 0 {
        options.frame_length = frame_length;
    }
    options
}

#[allow(clippy::too_many_arguments)]
unsafe fn encrypt_impl(
    keyring: *const keyring,
    plaintext: *const u8,
    plaintext_len: usize,
    ctx: *const context_entry,
    ctx_len: usize,
    options: EncryptOptions,
    injected: Option<Injected>,
    out: *mut bytes,
) -> Result<()> {
    unsafe { check_out(out, "out") }?;
    let keyring = unsafe { keyring_ref(keyring) }?;
    let plaintext = unsafe { slice(plaintext, plaintext_len, "plaintext") }?;
    let context = unsafe { context(ctx, ctx_len, "context") }?;
    let materials = keyring.materials(&context, &options.limits, injected)?;
    let message = mrkenv::encrypt(materials, plaintext, &options)?;
    unsafe { put(out, bytes_from_vec(message)) };
    Ok(())
}

/// Encrypts `plaintext` into one message under `keyring`, binding the
/// `context_len` pairs of `context` (NULL when empty) into it. The frame
/// length is the default (65536 bytes). For a KMS keyring, the client's
/// `generate_data_key` (and `encrypt`, for more than one key) callbacks are
/// called before this returns.
///
/// On success `*out` holds the message (free it with `mrkenv_bytes_free`); on
/// failure it is empty.
///
/// ```c
/// mrkenv_context_entry context[] = {{"tenant", "acme"}};
/// mrkenv_bytes message = {0};
/// if (mrkenv_encrypt(keyring, (const uint8_t *)"hi", 2, context, 1, &message) == MRKENV_STATUS_OK) {
///     // ... store message.data, message.len ...
///     mrkenv_bytes_free(&message);
/// }
/// ```
///
/// # Safety
///
/// Pointers are NULL or valid for the given lengths; strings are
/// NUL-terminated; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_encrypt(
    keyring: *const keyring,
    plaintext: *const u8,
    plaintext_len: usize,
    context: *const context_entry,
    context_len: usize,
    out: *mut bytes,
) -> status {
    unsafe {
        mrkenv_encrypt_with_frame_length(
            keyring,
            plaintext,
            plaintext_len,
            context,
            context_len,
            0,
            out,
        )
    }
}

/// Like `mrkenv_encrypt`, with a frame length (plaintext bytes per frame,
/// 1024..=16777216; 0 for the default 65536).
///
/// # Safety
///
/// As for `mrkenv_encrypt`.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_encrypt_with_frame_length(
    keyring: *const keyring,
    plaintext: *const u8,
    plaintext_len: usize,
    context: *const context_entry,
    context_len: usize,
    frame_length: u32,
    out: *mut bytes,
) -> status {
    boundary(|| unsafe {
        encrypt_impl(
            keyring,
            plaintext,
            plaintext_len,
            context,
            context_len,
            encrypt_options(frame_length),
            None,
            out,
        )
    })
}

/// FOR TEST VECTORS ONLY, never for real data: encrypts with a fixed
/// `message_id` (32 bytes) and, for a raw AES keyring, a fixed `data_key` (32
/// bytes) and `raw_aes_iv` (12 bytes), so that a published vector can be
/// reproduced byte for byte. Reusing a message id or data key across
/// messages defeats the format's guarantees. For a KMS keyring `data_key`
/// and `raw_aes_iv` must be NULL: the data key comes from the client's
/// `generate_data_key` callback.
///
/// # Safety
///
/// As for `mrkenv_encrypt`; `message_id` points to 32 bytes, `data_key` to
/// 32 bytes or NULL, `raw_aes_iv` to 12 bytes or NULL.
#[cfg(feature = "testing")]
#[no_mangle]
pub unsafe extern "C" fn mrkenv_testing_encrypt_with(
    keyring: *const keyring,
    plaintext: *const u8,
    plaintext_len: usize,
    context: *const context_entry,
    context_len: usize,
    frame_length: u32,
    message_id: *const u8,
    data_key: *const u8,
    raw_aes_iv: *const u8,
    out: *mut bytes,
) -> status {
    boundary(|| unsafe {
        check_out(out, "out")?;
        let mut options = encrypt_options(frame_length);
        let (message_id, injected) = Injected::from_c(message_id, data_key, raw_aes_iv)?;
        options.message_id = Some(message_id);
        encrypt_impl(
            keyring,
            plaintext,
            plaintext_len,
            context,
            context_len,
            options,
            injected,
            out,
        )
    })
}

unsafe fn decrypt_impl(
    keyring: *const keyring,
    ciphertext: *const u8,
    ciphertext_len: usize,
    required: EncryptionContext,
    limits: Limits,
    out: *mut bytes,
) -> Result<()> {
    let keyring = unsafe { keyring_ref(keyring) }?;
    let message = unsafe { slice(ciphertext, ciphertext_len, "ciphertext") }?;
    let options = DecryptOptions {
        limits,
        required_context: required,
    };
    // The header is read once; the required context is checked with it,
    // before any KMS call: a message with the wrong context is not worth one.
    let mut parsed = ParsedMessage::parse(message, &options)?;
    let data_key = keyring.data_key(parsed.header())?;
    let plaintext = parsed.decrypt(&data_key)?;
    unsafe { put(out, bytes_from_vec(plaintext)) };
    Ok(())
}

/// Decrypts one whole message with `keyring`. Nothing is returned unless the
/// key commitment, the header and every frame verified and the final frame
/// was present. For a KMS keyring the client's `decrypt` callback is called
/// for each eligible encrypted data key in order until one succeeds.
///
/// On success `*out` holds the plaintext (free it with `mrkenv_bytes_free`,
/// which zeroes it); on failure it is empty.
///
/// # Safety
///
/// `ciphertext` points to `ciphertext_len` bytes; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_decrypt(
    keyring: *const keyring,
    ciphertext: *const u8,
    ciphertext_len: usize,
    out: *mut bytes,
) -> status {
    boundary(|| unsafe {
        check_out(out, "out")?;
        decrypt_impl(
            keyring,
            ciphertext,
            ciphertext_len,
            Default::default(),
            Limits::default(),
            out,
        )
    })
}

/// Like `mrkenv_decrypt`, and also fails with
/// `MRKENV_STATUS_CONTEXT_MISMATCH` unless every one of the `required_len`
/// pairs of `required` is in the message's encryption context with an equal
/// value. The check happens before any KMS call.
///
/// # Safety
///
/// As for `mrkenv_decrypt`; `required` points to `required_len` entries (NULL
/// when empty).
#[no_mangle]
pub unsafe extern "C" fn mrkenv_decrypt_with_required_context(
    keyring: *const keyring,
    ciphertext: *const u8,
    ciphertext_len: usize,
    required: *const context_entry,
    required_len: usize,
    out: *mut bytes,
) -> status {
    boundary(|| unsafe {
        check_out(out, "out")?;
        let required = context(required, required_len, "required")?;
        decrypt_impl(
            keyring,
            ciphertext,
            ciphertext_len,
            required,
            Limits::default(),
            out,
        )
    })
}

/// Like `mrkenv_decrypt_with_required_context` (`required` may be NULL with
/// `required_len` 0), within `limits` (NULL for the defaults; see
/// `mrkenv_limits`): a message over a limit fails with
/// `MRKENV_STATUS_LIMIT_EXCEEDED` before the work the limit guards (the
/// encrypted data key count before any KMS call).
///
/// # Safety
///
/// As for `mrkenv_decrypt_with_required_context`; `limits` is NULL or points
/// to an `mrkenv_limits` of `limits->struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_decrypt_with_limits(
    keyring: *const keyring,
    ciphertext: *const u8,
    ciphertext_len: usize,
    required: *const context_entry,
    required_len: usize,
    limits: *const limits,
    out: *mut bytes,
) -> status {
    boundary(|| unsafe {
        check_out(out, "out")?;
        let required = context(required, required_len, "required")?;
        let limits = c_limits::read(limits)?;
        decrypt_impl(keyring, ciphertext, ciphertext_len, required, limits, out)
    })
}

/// Summarises the header of a message (or of a prefix holding the whole
/// header) without any key, as a NUL-terminated JSON object with the fields
/// `version`, `suite`, `suite_name`, `message_id` (hex),
/// `encryption_context`, `frame_length` and `encrypted_data_keys` (each with
/// `provider_id`, `provider_info`, `ciphertext_len`, and for KMS keys
/// `key_arn`, `region`, `is_mrk`): the same fields as Python's `inspect`.
/// The header is not authenticated.
///
/// `*out_json` must be NULL on entry (else
/// `MRKENV_STATUS_OUTPUT_NOT_EMPTY`). On success it is a string to free with
/// `mrkenv_string_free`; on failure it stays NULL.
///
/// # Safety
///
/// `message` points to `message_len` bytes; `out_json` is writable.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_inspect_json(
    message: *const u8,
    message_len: usize,
    out_json: *mut *mut c_char,
) -> status {
    boundary(|| unsafe { inspect_impl(message, message_len, std::ptr::null(), out_json) })
}

/// Like `mrkenv_inspect_json`, within `limits` (NULL for the defaults; see
/// `mrkenv_limits`): a header over a limit is `MRKENV_STATUS_LIMIT_EXCEEDED`.
///
/// # Safety
///
/// As for `mrkenv_inspect_json`; `limits` is NULL or points to an
/// `mrkenv_limits` of `limits->struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_inspect_json_with_limits(
    message: *const u8,
    message_len: usize,
    limits: *const limits,
    out_json: *mut *mut c_char,
) -> status {
    boundary(|| unsafe { inspect_impl(message, message_len, limits, out_json) })
}

unsafe fn inspect_impl(
    message: *const u8,
    message_len: usize,
    limits: *const limits,
    out_json: *mut *mut c_char,
) -> Result<()> {
    unsafe { check_out_string(out_json, "out_json") }?;
    let message = unsafe { slice(message, message_len, "message") }?;
    let limits = unsafe { c_limits::read(limits) }?;
    let summary = mrkenv::inspect_with_limits(message, &limits)?;
    let json = serde_json::to_string(&summary)
        .map_err(|e| Failure::invalid(format!("cannot serialise the header summary: {e}")))?;
    // serde_json escapes U+0000 as \u0000: the text has no NUL byte.
    let json =
        CString::new(json).map_err(|_| Failure::invalid("header summary contains a NUL byte"))?;
    unsafe { put(out_json, json.into_raw()) };
    Ok(())
}

/// Sets `*out` to whether two KMS key identifiers name the same key for
/// multi-Region purposes: identical strings, or two MRKs that differ only in
/// Region. A malformed identifier is an error (`MRKENV_STATUS_INVALID_ARN`),
/// not `false`.
///
/// ```c
/// bool same = false;
/// mrkenv_mrk_match("arn:aws:kms:us-east-1:111122223333:key/mrk-1",
///                  "arn:aws:kms:eu-west-1:111122223333:key/mrk-1", &same); // same == true
/// ```
///
/// # Safety
///
/// `a` and `b` are NUL-terminated strings; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_mrk_match(
    a: *const c_char,
    b: *const c_char,
    out: *mut bool,
) -> status {
    boundary(|| unsafe {
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        put(out, false);
        let a = string(a, "a")?;
        let b = string(b, "b")?;
        put(out, mrkenv::mrk_match(a, b)?);
        Ok(())
    })
}

/// Sets `*out` to whether a KMS key identifier is a multi-Region key (a key
/// ARN or raw id whose id starts with `mrk-`; an alias never is). A
/// malformed identifier is `MRKENV_STATUS_INVALID_ARN`.
///
/// # Safety
///
/// `key_id` is a NUL-terminated string; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_is_mrk(key_id: *const c_char, out: *mut bool) -> status {
    boundary(|| unsafe {
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        put(out, false);
        let key_id = string(key_id, "key_id")?;
        put(out, mrkenv::is_mrk(key_id)?);
        Ok(())
    })
}

/// The library version, e.g. `"0.1.0"` (static: do not free).
#[no_mangle]
pub extern "C" fn mrkenv_version() -> *const c_char {
    // Cannot panic, but every export sits behind the boundary all the same.
    const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    boundary(|| VERSION.as_ptr().cast::<c_char>())
}
