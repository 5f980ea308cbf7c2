//! Records: a DynamoDB item encrypted attribute by attribute, taken and
//! returned as DynamoDB JSON (the `AttributeValue` JSON of DynamoDB's API),
//! with option structs for the table configuration.
//!
//! The work is the core's (`mrkenv::record`, docs/FORMAT.md part 14); the KMS
//! conversation runs through the keyring's callbacks, exactly as for
//! messages. Returned JSON is a NUL-terminated string that the caller frees
//! with `mrkenv_string_free` (which zeroes it first: a decrypted item holds
//! plaintext).

use std::collections::BTreeMap;
use std::ffi::{c_char, CString};

use mrkenv::record::json::{item_from_dynamodb_json, item_to_dynamodb_json};
use mrkenv::record::{Action, DecryptRecordOptions, EncryptRecordOptions, Item};
use zeroize::Zeroizing;

use crate::error::{boundary, status, Failure, Result};
use crate::keyring::{keyring, keyring_ref, Injected};
use crate::limits::{self as c_limits, limits};
use crate::memory::{check_out_string, context, context_entry, put, string};

/// One attribute's action: `attribute` is the attribute name, `action` one
/// of `"ENCRYPT_AND_SIGN"`, `"SIGN_ONLY"`,
/// `"SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT"` or `"DO_NOTHING"` (exactly, case
/// included). Both are NUL-terminated UTF-8 strings, borrowed for the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct record_action {
    /// The attribute name.
    pub attribute: *const c_char,
    /// The action name.
    pub action: *const c_char,
}

/// How to encrypt items of one table (`mrkenv_encrypt_record_json`). Every
/// pointer is borrowed for the call only; strings are NUL-terminated UTF-8.
///
/// Every attribute of the item needs an action, from `actions` or else
/// `default_action`. The partition and sort key attributes must be
/// `SIGN_ONLY` or `SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct record_encrypt_options {
    /// The DynamoDB table name (bound into the encryption context). Required.
    pub table_name: *const c_char,
    /// The partition key attribute name. Required.
    pub partition_key: *const c_char,
    /// The sort key attribute name, or NULL when the table has none.
    pub sort_key: *const c_char,
    /// `actions_len` actions (NULL when `actions_len` is 0); an attribute may
    /// appear only once.
    pub actions: *const record_action,
    /// How many entries `actions` holds.
    pub actions_len: usize,
    /// The action of attributes missing from `actions`, or NULL for none (an
    /// attribute without an action is then an error).
    pub default_action: *const c_char,
    /// The caller's own encryption context: `encryption_context_len` pairs
    /// (NULL when empty); keys may not start with `aws-mrkenv:`.
    pub encryption_context: *const context_entry,
    /// How many pairs `encryption_context` holds.
    pub encryption_context_len: usize,
}

/// How to decrypt items of one table (`mrkenv_decrypt_record_json`). Every
/// pointer is borrowed for the call only; strings are NUL-terminated UTF-8.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct record_decrypt_options {
    /// The DynamoDB table name the record must have been written for. Required.
    pub table_name: *const c_char,
    /// The partition key attribute name; must match the record's. Required.
    pub partition_key: *const c_char,
    /// The sort key attribute name, or NULL for none; must match the record's.
    pub sort_key: *const c_char,
    /// Pairs that must be in the record's encryption context with equal
    /// values: `required_context_len` entries (NULL when empty). Checked
    /// before any KMS call.
    pub required_context: *const context_entry,
    /// How many pairs `required_context` holds.
    pub required_context_len: usize,
    /// When true, an item without mrkenv's reserved attributes (written
    /// before encryption was turned on) is returned unchanged instead of
    /// failing with `MRKENV_STATUS_MALFORMED_MESSAGE`. Off (false) normally:
    /// set it only while migrating a table.
    pub allow_plaintext: bool,
}

/// Borrows the options struct.
unsafe fn options_ref<'a, T>(options: *const T) -> Result<&'a T> {
    if options.is_null() {
        return Err(Failure::null("options"));
    }
    // SAFETY: non-NULL; the caller gives a valid struct.
    Ok(unsafe { &*options })
}

/// An optional string: NULL is `None`.
unsafe fn optional(ptr: *const c_char, what: &str) -> Result<Option<String>> {
    if ptr.is_null() {
        return Ok(None);
    }
    Ok(Some(unsafe { string(ptr, what) }?.to_string()))
}

/// An action name, with where it came from in the message.
fn action(name: &str, what: &str) -> Result<Action> {
    name.parse::<Action>().map_err(|e| {
        let mut failure = Failure::from(e);
        failure.message = format!("{what}: {}", failure.message);
        failure
    })
}

/// Reads the actions array.
unsafe fn actions(
    ptr: *const record_action,
    len: usize,
    what: &str,
) -> Result<BTreeMap<String, Action>> {
    let mut actions = BTreeMap::new();
    if len == 0 {
        return Ok(actions);
    }
    if ptr.is_null() {
        return Err(Failure::null(&format!("{what} (with length {len})")));
    }
    if len > isize::MAX as usize / std::mem::size_of::<record_action>() {
        return Err(Failure::invalid(format!(
            "{what}: length {len} is too large"
        )));
    }
    // SAFETY: the caller promises `len` entries at `ptr`.
    let entries = unsafe { std::slice::from_raw_parts(ptr, len) };
    for (i, entry) in entries.iter().enumerate() {
        let attribute = unsafe { string(entry.attribute, &format!("{what}[{i}].attribute")) }?;
        let name = unsafe { string(entry.action, &format!("{what}[{i}].action")) }?;
        let parsed = action(name, &format!("{what}[{i}] (attribute {attribute:?})"))?;
        if actions.insert(attribute.to_string(), parsed).is_some() {
            return Err(Failure::invalid(format!(
                "{what}: attribute {attribute:?} appears more than once"
            )));
        }
    }
    Ok(actions)
}

unsafe fn encrypt_options(options: *const record_encrypt_options) -> Result<EncryptRecordOptions> {
    let o = unsafe { options_ref(options) }?;
    let mut options = EncryptRecordOptions::new(
        unsafe { string(o.table_name, "options.table_name") }?,
        unsafe { string(o.partition_key, "options.partition_key") }?,
    );
    options.sort_key = unsafe { optional(o.sort_key, "options.sort_key") }?;
    options.actions = unsafe { actions(o.actions, o.actions_len, "options.actions") }?;
    options.default_action = unsafe { optional(o.default_action, "options.default_action") }?
        .map(|name| action(&name, "options.default_action"))
        .transpose()?;
    options.encryption_context = unsafe {
        context(
            o.encryption_context,
            o.encryption_context_len,
            "options.encryption_context",
        )
    }?;
    Ok(options)
}

unsafe fn decrypt_options(options: *const record_decrypt_options) -> Result<DecryptRecordOptions> {
    let o = unsafe { options_ref(options) }?;
    let mut options = DecryptRecordOptions::new(
        unsafe { string(o.table_name, "options.table_name") }?,
        unsafe { string(o.partition_key, "options.partition_key") }?,
    );
    options.sort_key = unsafe { optional(o.sort_key, "options.sort_key") }?;
    options.required_context = unsafe {
        context(
            o.required_context,
            o.required_context_len,
            "options.required_context",
        )
    }?;
    options.allow_plaintext = o.allow_plaintext;
    Ok(options)
}

/// Reads the input item; the message says it was `item_json`.
unsafe fn item(item_json: *const c_char) -> Result<Item> {
    let text = unsafe { string(item_json, "item_json") }?;
    item_from_dynamodb_json(text).map_err(|e| {
        let mut failure = Failure::from(e);
        failure.message = format!("item_json: {}", failure.message);
        failure
    })
}

/// Writes an item as a NUL-terminated JSON string through `out_json`,
/// leaving no unzeroed copy of the text behind.
unsafe fn put_item(out_json: *mut *mut c_char, item: &Item) -> Result<()> {
    let text = Zeroizing::new(item_to_dynamodb_json(item));
    let mut bytes = Vec::with_capacity(text.len() + 1);
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(0);
    // serde_json escapes U+0000 as \u0000: the text has no NUL byte.
    let json = CString::from_vec_with_nul(bytes)
        .map_err(|_| Failure::invalid("record JSON contains a NUL byte"))?;
    unsafe { put(out_json, json.into_raw()) };
    Ok(())
}

unsafe fn encrypt_impl(
    keyring: *const keyring,
    item_json: *const c_char,
    options: EncryptRecordOptions,
    injected: Option<Injected>,
    out_json: *mut *mut c_char,
) -> Result<()> {
    let keyring = unsafe { keyring_ref(keyring) }?;
    let item = unsafe { item(item_json) }?;
    let encrypted = keyring.encrypt_record(item, &options, injected)?;
    unsafe { put_item(out_json, &encrypted) }
}

/// Encrypts one DynamoDB item under `keyring`, attribute by attribute as
/// `options` says, and returns the item to store.
///
/// `item_json` is the item in DynamoDB JSON, the `AttributeValue` JSON of
/// DynamoDB's API: `{"employeeId":{"S":"1234"},"name":{"S":"Andy"}}`, with
/// `N` as a string and `B`/`BS` elements in padded standard base64. The
/// result is DynamoDB JSON too: `SIGN_ONLY`,
/// `SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT` and `DO_NOTHING` attributes are
/// unchanged, each `ENCRYPT_AND_SIGN` attribute becomes a `B` value, and the
/// reserved attributes `aws_mrkenv_header` and `aws_mrkenv_tag` are added. It
/// is compact, with attributes in name order and sets in canonical order.
///
/// `*out_json` must be NULL on entry (else `MRKENV_STATUS_OUTPUT_NOT_EMPTY`,
/// leaving it untouched). On success it is a NUL-terminated string to free
/// with `mrkenv_string_free`; on failure it stays NULL. For a KMS keyring the
/// client's `generate_data_key` (and `encrypt`, for more than one key)
/// callbacks are called, with the record's encryption context (the table
/// name, key names and values, `SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT`
/// values and the caller's pairs), before this returns. Malformed JSON, an
/// unknown type or action, a missing action, a key attribute that is
/// `ENCRYPT_AND_SIGN`, or an attribute named `aws_mrkenv_*` is
/// `MRKENV_STATUS_INVALID_ARGUMENT` with a message naming what and where.
///
/// ```c
/// mrkenv_record_action actions[] = {{"employeeId", "SIGN_ONLY"}, {"name", "ENCRYPT_AND_SIGN"}};
/// mrkenv_record_encrypt_options options = {
///     .table_name = "global-table-example", .partition_key = "employeeId",
///     .actions = actions, .actions_len = 2,
/// };
/// char *encrypted = NULL;
/// if (mrkenv_encrypt_record_json(keyring, "{\"employeeId\":{\"S\":\"1234\"},\"name\":{\"S\":\"Andy\"}}",
///                                &options, &encrypted) == MRKENV_STATUS_OK) {
///     // ... PutItem with encrypted ...
///     mrkenv_string_free(encrypted);
/// }
/// ```
///
/// # Safety
///
/// `item_json` is a NUL-terminated string; `options` points to a valid
/// struct whose pointers are NULL or valid for their lengths; `out_json` is
/// writable.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_encrypt_record_json(
    keyring: *const keyring,
    item_json: *const c_char,
    options: *const record_encrypt_options,
    out_json: *mut *mut c_char,
) -> status {
    boundary(|| unsafe {
        check_out_string(out_json, "out_json")?;
        let options = encrypt_options(options)?;
        encrypt_impl(keyring, item_json, options, None, out_json)
    })
}

/// FOR TEST VECTORS ONLY, never for real data: `mrkenv_encrypt_record_json`
/// with a fixed `message_id` (32 bytes) and, for a raw AES keyring, a fixed
/// `data_key` (32 bytes) and `raw_aes_iv` (12 bytes), so that a published
/// record vector can be reproduced byte for byte. Reusing a message id or
/// data key across records defeats the format's guarantees. For a KMS
/// keyring `data_key` and `raw_aes_iv` must be NULL: the data key comes from
/// the client's `generate_data_key` callback.
///
/// # Safety
///
/// As for `mrkenv_encrypt_record_json`; `message_id` points to 32 bytes,
/// `data_key` to 32 bytes or NULL, `raw_aes_iv` to 12 bytes or NULL.
#[cfg(feature = "testing")]
#[no_mangle]
pub unsafe extern "C" fn mrkenv_testing_encrypt_record_json_with(
    keyring: *const keyring,
    item_json: *const c_char,
    options: *const record_encrypt_options,
    message_id: *const u8,
    data_key: *const u8,
    raw_aes_iv: *const u8,
    out_json: *mut *mut c_char,
) -> status {
    boundary(|| unsafe {
        check_out_string(out_json, "out_json")?;
        let mut options = encrypt_options(options)?;
        let (message_id, injected) = Injected::from_c(message_id, data_key, raw_aes_iv)?;
        options.message_id = Some(message_id);
        encrypt_impl(keyring, item_json, options, injected, out_json)
    })
}

/// Decrypts one DynamoDB item read from `options->table_name` with
/// `keyring` and returns the plaintext item, in DynamoDB JSON (see
/// `mrkenv_encrypt_record_json`) without the reserved attributes.
///
/// The table, key schema and required context are checked first, then KMS is
/// asked for the data key (the client's `decrypt` callback, for each
/// eligible encrypted data key until one succeeds), then the key commitment
/// and the record tag are verified before anything is decrypted. A changed,
/// added or removed signed attribute, or a ciphertext moved between
/// attributes or items, is `MRKENV_STATUS_AUTHENTICATION`; a record written
/// for another table or key schema, or missing a required pair, is
/// `MRKENV_STATUS_CONTEXT_MISMATCH`; an item that is not an encrypted record
/// is `MRKENV_STATUS_MALFORMED_MESSAGE` unless `options->allow_plaintext`.
///
/// `*out_json` must be NULL on entry (else `MRKENV_STATUS_OUTPUT_NOT_EMPTY`,
/// leaving it untouched). On success it is a NUL-terminated string to free
/// with `mrkenv_string_free` (which zeroes it); on failure it stays NULL.
///
/// ```c
/// mrkenv_record_decrypt_options options = {
///     .table_name = "global-table-example", .partition_key = "employeeId",
/// };
/// char *item = NULL;
/// if (mrkenv_decrypt_record_json(keyring, encrypted, &options, &item) == MRKENV_STATUS_OK) {
///     // item: {"employeeId":{"S":"1234"},"name":{"S":"Andy"}}
///     mrkenv_string_free(item);
/// }
/// ```
///
/// # Safety
///
/// As for `mrkenv_encrypt_record_json`.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_decrypt_record_json(
    keyring: *const keyring,
    item_json: *const c_char,
    options: *const record_decrypt_options,
    out_json: *mut *mut c_char,
) -> status {
    boundary(|| unsafe { decrypt_impl(keyring, item_json, options, std::ptr::null(), out_json) })
}

/// Like `mrkenv_decrypt_record_json`, within `limits` (NULL for the
/// defaults; see `mrkenv_limits`): a record whose header, encrypted data
/// keys, context, attribute count or nesting is over a limit fails with
/// `MRKENV_STATUS_LIMIT_EXCEEDED` before the work the limit guards.
///
/// # Safety
///
/// As for `mrkenv_decrypt_record_json`; `limits` is NULL or points to an
/// `mrkenv_limits` of `limits->struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_decrypt_record_json_with_limits(
    keyring: *const keyring,
    item_json: *const c_char,
    options: *const record_decrypt_options,
    limits: *const limits,
    out_json: *mut *mut c_char,
) -> status {
    boundary(|| unsafe { decrypt_impl(keyring, item_json, options, limits, out_json) })
}

unsafe fn decrypt_impl(
    keyring: *const keyring,
    item_json: *const c_char,
    options: *const record_decrypt_options,
    limits: *const limits,
    out_json: *mut *mut c_char,
) -> Result<()> {
    unsafe { check_out_string(out_json, "out_json") }?;
    let mut options = unsafe { decrypt_options(options) }?;
    options.limits = unsafe { c_limits::read(limits) }?;
    let keyring = unsafe { keyring_ref(keyring) }?;
    let item = unsafe { item(item_json) }?;
    let mut decrypted = keyring.decrypt_record(item, &options)?;
    let written = unsafe { put_item(out_json, &decrypted) };
    // The plaintext now lives in the caller's JSON string only.
    mrkenv::record::zeroize_item(&mut decrypted);
    written
}
