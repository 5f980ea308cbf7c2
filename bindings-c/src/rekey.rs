//! Re-keying messages: change which keys can open a message without
//! touching its body (`docs/FORMAT.md` part 15), whole (`mrkenv_rekey`) or
//! from its head alone (`mrkenv_rekey_header`).
//!
//! The work is the core's (`mrkenv::rekey`); the KMS conversations run
//! through the keyrings' callbacks, exactly as for decrypt and encrypt: the
//! keyring that finds the data key through its own client, the `add`
//! keyring that wraps it again through its own (so the two may be clients
//! of different Regions).

use std::ffi::c_char;

use mrkenv::rekey::RekeyOptions;

use crate::error::{boundary, status, Failure, Result};
use crate::keyring::{keyring, keyring_ref};
use crate::limits::{self as c_limits, limits};
use crate::memory::{
    bytes, bytes_from_vec, check_out, context, context_entry, put, slice, strings,
};

/// What a re-key changes (`mrkenv_rekey`, `mrkenv_rekey_header`). Every
/// pointer is borrowed for the call only; strings are NUL-terminated UTF-8.
/// Zero-initialise it (`mrkenv_rekey_options options = {0};`) and set what
/// you need: add the keys of a keyring, remove the encrypted data keys of
/// some keys, or both (replace).
///
/// At least one encrypted data key must remain, the new count must be
/// within the EDK limit, and the encryption context never changes. Every
/// check on the options happens before any KMS call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rekey_options {
    /// Wrap the data key with every key of this keyring (a strict KMS
    /// keyring: KMS Encrypt per key through its own client's `encrypt`
    /// callback; raw AES: locally), or NULL to add nothing. A discovery
    /// keyring cannot add (`MRKENV_STATUS_KEYRING`).
    pub add: *const keyring,
    /// Remove the encrypted data keys of these `remove_len` keys (NULL when
    /// `remove_len` is 0): KMS key ARNs (exactly as recorded in the message)
    /// or raw AES key names (the `key_name` of
    /// `mrkenv_raw_aes_keyring_new`). Each must match at least one encrypted
    /// data key of the message (else `MRKENV_STATUS_INVALID_ARGUMENT`).
    pub remove: *const *const c_char,
    /// How many identifiers `remove` holds.
    pub remove_len: usize,
    /// Pairs that must be in the message's encryption context with equal
    /// values: `required_context_len` entries (NULL when empty). Checked
    /// before any KMS call (`MRKENV_STATUS_CONTEXT_MISMATCH`); the context
    /// itself is kept as it is.
    pub required_context: *const context_entry,
    /// How many pairs `required_context` holds.
    pub required_context_len: usize,
    /// Whether removing a multi-Region key ARN also removes the encrypted
    /// data keys of its replicas in other Regions (false: only the exact
    /// ARN).
    pub match_replicas: bool,
}

/// The add keyring (NULL is none) and the core's options.
unsafe fn read_options<'a>(
    options: *const rekey_options,
) -> Result<(Option<&'a keyring>, RekeyOptions)> {
    if options.is_null() {
        return Err(Failure::null("options"));
    }
    // SAFETY: non-NULL; the caller gives a valid struct.
    let options = unsafe { &*options };
    let add = if options.add.is_null() {
        None
    } else {
        Some(unsafe { keyring_ref(options.add) }?)
    };
    let remove = unsafe { strings(options.remove, options.remove_len, "options.remove") }?;
    let required_context = unsafe {
        context(
            options.required_context,
            options.required_context_len,
            "options.required_context",
        )
    }?;
    Ok((
        add,
        RekeyOptions {
            remove,
            match_replicas: options.match_replicas,
            required_context,
            ..Default::default()
        },
    ))
}

/// Re-keys a whole message in memory: the data key is found with `keyring`
/// exactly as `mrkenv_decrypt` finds it (commitment and header tag
/// verified), wrapped again by the keys of `options->add`, and a new header
/// written with the same version, suite, message id, encryption context,
/// frame length and commitment, the kept encrypted data keys (in their
/// order) followed by the added ones, and a new header tag. The body is
/// copied byte for byte (its framing is checked before any KMS call, its
/// frame tags are not).
///
/// On success `*out` holds the new message (free it with
/// `mrkenv_bytes_free`); on failure it is empty. Re-keying is not
/// revocation: old copies still open with the old keys.
///
/// ```c
/// // Replace key-2025 by the keys of `next`.
/// const char *remove[] = {"key-2025"};
/// mrkenv_rekey_options options = {0};
/// options.add = next;
/// options.remove = remove;
/// options.remove_len = 1;
/// mrkenv_bytes rekeyed = {0};
/// if (mrkenv_rekey(current, message, message_len, &options, &rekeyed) == MRKENV_STATUS_OK) {
///     // ... store rekeyed.data, rekeyed.len ...
///     mrkenv_bytes_free(&rekeyed);
/// }
/// ```
///
/// # Safety
///
/// `keyring` is a keyring from this library; `message` points to
/// `message_len` bytes; `options` points to a valid `mrkenv_rekey_options`;
/// `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_rekey(
    keyring: *const keyring,
    message: *const u8,
    message_len: usize,
    options: *const rekey_options,
    out: *mut bytes,
) -> status {
    // SAFETY: the same pointers, with no limits (the defaults).
    unsafe {
        mrkenv_rekey_with_limits(
            keyring,
            message,
            message_len,
            options,
            std::ptr::null(),
            out,
        )
    }
}

/// Like `mrkenv_rekey`, reading the message within `limits` (NULL for the
/// defaults; see `mrkenv_limits`): a header over a limit, or a new
/// encrypted data key count over `max_encrypted_data_keys`, fails with
/// `MRKENV_STATUS_LIMIT_EXCEEDED` before any KMS call.
///
/// # Safety
///
/// As for `mrkenv_rekey`; `limits` is NULL or points to an `mrkenv_limits`
/// of `limits->struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_rekey_with_limits(
    keyring: *const keyring,
    message: *const u8,
    message_len: usize,
    options: *const rekey_options,
    limits: *const limits,
    out: *mut bytes,
) -> status {
    boundary(|| unsafe { rekey_impl(keyring, message, message_len, options, limits, out) })
}

unsafe fn rekey_impl(
    keyring: *const keyring,
    message: *const u8,
    message_len: usize,
    options: *const rekey_options,
    limits: *const limits,
    out: *mut bytes,
) -> Result<()> {
    unsafe { check_out(out, "out") }?;
    let keyring = unsafe { keyring_ref(keyring) }?;
    if message.is_null() {
        return Err(Failure::null("message"));
    }
    let message = unsafe { slice(message, message_len, "message") }?;
    let (add, mut options) = unsafe { read_options(options) }?;
    options.limits = unsafe { c_limits::read(limits) }?;
    let rekeyed = keyring.rekey_message(message, add, options)?;
    unsafe { put(out, bytes_from_vec(rekeyed)) };
    Ok(())
}

/// Re-keys the head of a message without its body, as `mrkenv_rekey` does:
/// `head` holds the message's first `head_len` bytes, at least up to the end
/// of its header tag (more is ignored; fewer is
/// `MRKENV_STATUS_MALFORMED_MESSAGE`). On success `*new_head` holds the new
/// head (free it with `mrkenv_bytes_free`) and `*body_offset` the offset
/// where the unchanged body starts in the old message: the re-keyed message
/// is `new_head` followed by the old message from `body_offset` on,
/// byte-identical to what `mrkenv_rekey` returns. The body is not read, so
/// it is not checked at all. On failure `*new_head` is empty and
/// `*body_offset` is 0.
///
/// ```c
/// mrkenv_bytes new_head = {0};
/// size_t body_offset = 0;
/// if (mrkenv_rekey_header(keyring, first_bytes, first_len, &options, &new_head, &body_offset)
///         == MRKENV_STATUS_OK) {
///     // write new_head, then copy the old object from body_offset on
///     mrkenv_bytes_free(&new_head);
/// }
/// ```
///
/// # Safety
///
/// `keyring` is a keyring from this library; `head` points to `head_len`
/// bytes; `options` points to a valid `mrkenv_rekey_options`; `new_head`
/// and `body_offset` are writable.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_rekey_header(
    keyring: *const keyring,
    head: *const u8,
    head_len: usize,
    options: *const rekey_options,
    new_head: *mut bytes,
    body_offset: *mut usize,
) -> status {
    // SAFETY: the same pointers, with no limits (the defaults).
    unsafe {
        mrkenv_rekey_header_with_limits(
            keyring,
            head,
            head_len,
            options,
            std::ptr::null(),
            new_head,
            body_offset,
        )
    }
}

/// Like `mrkenv_rekey_header`, reading the head within `limits` (NULL for
/// the defaults; see `mrkenv_limits` and `mrkenv_rekey_with_limits`).
///
/// # Safety
///
/// As for `mrkenv_rekey_header`; `limits` is NULL or points to an
/// `mrkenv_limits` of `limits->struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_rekey_header_with_limits(
    keyring: *const keyring,
    head: *const u8,
    head_len: usize,
    options: *const rekey_options,
    limits: *const limits,
    new_head: *mut bytes,
    body_offset: *mut usize,
) -> status {
    boundary(|| unsafe {
        rekey_header_impl(
            keyring,
            head,
            head_len,
            options,
            limits,
            new_head,
            body_offset,
        )
    })
}

unsafe fn rekey_header_impl(
    keyring: *const keyring,
    head: *const u8,
    head_len: usize,
    options: *const rekey_options,
    limits: *const limits,
    new_head: *mut bytes,
    body_offset: *mut usize,
) -> Result<()> {
    unsafe { check_out(new_head, "new_head") }?;
    if body_offset.is_null() {
        return Err(Failure::null("body_offset"));
    }
    unsafe { put(body_offset, 0) };
    let keyring = unsafe { keyring_ref(keyring) }?;
    if head.is_null() {
        return Err(Failure::null("head"));
    }
    let head = unsafe { slice(head, head_len, "head") }?;
    let (add, mut options) = unsafe { read_options(options) }?;
    options.limits = unsafe { c_limits::read(limits) }?;
    let (rekeyed, offset) = keyring.rekey_header(head, add, options)?;
    unsafe {
        put(new_head, bytes_from_vec(rekeyed));
        put(body_offset, offset);
    }
    Ok(())
}
