//! Keyrings: raw AES, and the strict and discovery KMS multi-Region keyrings
//! over a client of C callbacks.
//!
//! The core owns the KMS conversation (`mrkenv::session`); this module is its
//! adapter for C: [`CallbackKms`] turns each request the core makes into a
//! call of the client's callback, which fills a library-owned
//! `mrkenv_kms_response` (so the library owns, and zeroes, the plaintext data
//! key). When decrypting, every failure (a callback's non-zero status, or a
//! response the core rejects) becomes one attempt; if none succeeds the error
//! is `NO_DECRYPTABLE_KEY` and its message lists every attempt.

use std::ffi::{c_char, c_int, c_void, CString};

use mrkenv::keyring::{
    DecryptRequest, DiscoveryFilter, EncryptRequest, GenerateDataKeyRequest, Keyring,
    KmsMrkDiscoveryKeyring, KmsMrkKeyring, RawAesKeyring,
};
use mrkenv::record::{self, DecryptRecordOptions, EncryptRecordOptions, Item};
use mrkenv::rekey::{self, RekeyOptions};
use mrkenv::session::{driver, HostError, Kms, KmsOutput, SessionError};
use mrkenv::{DataKey, EncryptionContext, EncryptionMaterials, Header, Limits};
use zeroize::Zeroizing;

use crate::error::{boundary, status, Failure, Result};
use crate::memory::{put, slice, string, strings, CContext};

/// Asks KMS for a new data key: GenerateDataKey(KeyId = `key_id`,
/// NumberOfBytes = `number_of_bytes`, EncryptionContext = `context`).
///
/// On success, set the response's KeyId (the full key ARN KMS answered),
/// plaintext and ciphertext blob with the `mrkenv_kms_response_set_*`
/// functions and return `MRKENV_STATUS_OK` (0). On failure return any
/// non-zero value (e.g. `MRKENV_STATUS_KMS_CALLBACK_FAILED`), optionally
/// after `mrkenv_kms_response_set_error`.
///
/// `key_id`, `context` (an array of `context_len` entries, NULL when empty)
/// and `response` are borrowed for the duration of the call only: do not keep
/// them. The library copies what the setters are given; wipe your own copy
/// of the plaintext key after setting it.
pub type kms_generate_data_key_fn = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        key_id: *const c_char,
        number_of_bytes: usize,
        context: *const crate::memory::context_entry,
        context_len: usize,
        response: *mut kms_response,
    ) -> c_int,
>;

/// Asks KMS to wrap the data key under another key: Encrypt(KeyId =
/// `key_id`, Plaintext = the `plaintext_len` bytes at `plaintext`,
/// EncryptionContext = `context`).
///
/// On success set the response's KeyId (the full key ARN) and ciphertext
/// blob and return 0; on failure return non-zero.
///
/// Every pointer argument is borrowed for the duration of the call only.
/// `plaintext` is the data key: do not copy it anywhere that outlives the call.
pub type kms_encrypt_fn = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        key_id: *const c_char,
        plaintext: *const u8,
        plaintext_len: usize,
        context: *const crate::memory::context_entry,
        context_len: usize,
        response: *mut kms_response,
    ) -> c_int,
>;

/// Asks KMS to unwrap a data key: Decrypt(KeyId = `key_id`, CiphertextBlob =
/// the `ciphertext_blob_len` bytes at `ciphertext_blob`, EncryptionContext =
/// `context`). Always pass `key_id` to KMS as the KeyId: for an MRK it is the
/// replica in your Region, which is the point of the MRK keyrings.
///
/// On success set the response's KeyId (the ARN KMS answered, which must be
/// `key_id`) and plaintext, and return 0; on failure return non-zero. A
/// failure is recorded as one attempt and the next encrypted data key is
/// tried.
///
/// Every pointer argument is borrowed for the duration of the call only.
pub type kms_decrypt_fn = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        key_id: *const c_char,
        ciphertext_blob: *const u8,
        ciphertext_blob_len: usize,
        context: *const crate::memory::context_entry,
        context_len: usize,
        response: *mut kms_response,
    ) -> c_int,
>;

/// A KMS client made of C callbacks. `user` is passed as the first argument
/// of every callback; mrkenv never dereferences it. A keyring copies this
/// struct, so `user` must stay valid as long as the keyring (and any
/// encryptor or decryptor made from it) is used. Callbacks may be NULL when
/// the keyring never needs them (a discovery keyring only decrypts; a strict
/// keyring with one key never calls `encrypt`): a NULL callback that is
/// needed fails with `MRKENV_STATUS_KEYRING`.
///
/// A callback must return normally: never throw a C++ exception or
/// `longjmp` out of it (that would skip the library's clean-up, including
/// the zeroing of key material). Report a failure with a non-zero return.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kms_client {
    /// Passed to every callback.
    pub user: *mut c_void,
    /// KMS GenerateDataKey.
    pub generate_data_key: kms_generate_data_key_fn,
    /// KMS Encrypt.
    pub encrypt: kms_encrypt_fn,
    /// KMS Decrypt.
    pub decrypt: kms_decrypt_fn,
}

/// The answer of a KMS callback, owned by mrkenv and filled by the callback
/// through the `mrkenv_kms_response_set_*` functions. It lives only for the
/// duration of the callback. The plaintext key it holds is zeroed when
/// mrkenv drops it.
#[derive(Default)]
pub struct kms_response {
    output: KmsOutput,
    error: Option<String>,
}

/// A keyring: raw AES, or a strict or discovery KMS multi-Region keyring.
/// Opaque; made by the `mrkenv_*_keyring_new` functions, freed with
/// `mrkenv_keyring_free`. A keyring is immutable and may be shared between
/// threads if its KMS callbacks and `user` allow it.
#[derive(Clone)]
pub struct keyring {
    inner: Keyring,
    /// The callbacks of a KMS keyring (`None` for raw AES).
    client: Option<kms_client>,
}

/// Returns a keyring borrowed from a C pointer.
pub(crate) unsafe fn keyring_ref<'a>(keyring: *const keyring) -> Result<&'a keyring> {
    if keyring.is_null() {
        return Err(Failure::null("keyring"));
    }
    // SAFETY: non-NULL, and the caller gives a keyring made by this library.
    Ok(unsafe { &*keyring })
}

unsafe fn new_keyring(
    inner: impl Into<Keyring>,
    client: Option<kms_client>,
    out: *mut *mut keyring,
) {
    let boxed = Box::new(keyring {
        inner: inner.into(),
        client,
    });
    unsafe { put(out, Box::into_raw(boxed)) };
}

unsafe fn clear_handle<T>(out: *mut *mut T) -> Result<()> {
    if out.is_null() {
        return Err(Failure::null("out"));
    }
    unsafe { put(out, std::ptr::null_mut()) };
    Ok(())
}

/// Makes a raw AES keyring: the data key is wrapped locally with AES-256-GCM
/// under `wrapping_key` (exactly 32 bytes), recorded in the message as
/// provider id `key_namespace` and provider info `key_name`.
///
/// The wrapping key is copied (and the copy zeroed when the keyring is
/// freed). Free the keyring with `mrkenv_keyring_free`.
///
/// ```c
/// mrkenv_keyring *keyring = NULL;
/// mrkenv_status st = mrkenv_raw_aes_keyring_new("my-app", "key-1", key, 32, &keyring);
/// ```
///
/// # Safety
///
/// Strings are NUL-terminated; `wrapping_key` points to `wrapping_key_len`
/// bytes; `out` points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_raw_aes_keyring_new(
    key_namespace: *const c_char,
    key_name: *const c_char,
    wrapping_key: *const u8,
    wrapping_key_len: usize,
    out: *mut *mut keyring,
) -> status {
    boundary(|| {
        unsafe { clear_handle(out) }?;
        let namespace = unsafe { string(key_namespace, "key_namespace") }?;
        let name = unsafe { string(key_name, "key_name") }?;
        if wrapping_key.is_null() {
            return Err(Failure::null("wrapping_key"));
        }
        let key = unsafe { slice(wrapping_key, wrapping_key_len, "wrapping_key") }?;
        let ring = RawAesKeyring::new(namespace, name, key)?;
        unsafe { new_keyring(ring, None, out) };
        Ok(())
    })
}

/// Makes a strict KMS multi-Region keyring over `client`.
///
/// Encrypting: the first of the `key_ids_len` identifiers generates the data
/// key (GenerateDataKey), every other one wraps it (Encrypt). Decrypting: an
/// encrypted data key is tried with each configured key it MRK-matches, and
/// KMS Decrypt is called with the configured identifier (your Region's
/// replica), never the message's. Related MRKs (the same MRK in two Regions)
/// cannot be configured together.
///
/// The identifiers are copied; `client` is copied (see `mrkenv_kms_client`
/// for the lifetime of `user`).
///
/// # Safety
///
/// `key_ids` points to `key_ids_len` NUL-terminated strings; `client` points
/// to a valid client; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_kms_mrk_keyring_new(
    key_ids: *const *const c_char,
    key_ids_len: usize,
    client: *const kms_client,
    out: *mut *mut keyring,
) -> status {
    boundary(|| {
        unsafe { clear_handle(out) }?;
        let ids = unsafe { strings(key_ids, key_ids_len, "key_ids") }?;
        if client.is_null() {
            return Err(Failure::null("client"));
        }
        let client = unsafe { *client };
        let ring = KmsMrkKeyring::new(ids)?;
        unsafe { new_keyring(ring, Some(client), out) };
        Ok(())
    })
}

/// Makes a discovery KMS multi-Region keyring in `region` over `client`. It
/// only decrypts: an MRK encrypted data key is decrypted with its Region
/// replaced by `region`; a single-Region key only when it is in `region`.
///
/// With `filter_partition` NULL there is no filter and
/// `filter_account_ids` must be empty. Otherwise only keys in that
/// partition and one of the `filter_account_ids_len` accounts are used.
///
/// # Safety
///
/// Strings are NUL-terminated; `filter_account_ids` points to
/// `filter_account_ids_len` strings; `client` points to a valid client; `out`
/// is writable.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_kms_mrk_discovery_keyring_new(
    region: *const c_char,
    filter_partition: *const c_char,
    filter_account_ids: *const *const c_char,
    filter_account_ids_len: usize,
    client: *const kms_client,
    out: *mut *mut keyring,
) -> status {
    boundary(|| {
        unsafe { clear_handle(out) }?;
        let region = unsafe { string(region, "region") }?;
        let accounts = unsafe {
            strings(
                filter_account_ids,
                filter_account_ids_len,
                "filter_account_ids",
            )
        }?;
        let filter = if filter_partition.is_null() {
            if !accounts.is_empty() {
                return Err(Failure::invalid(
                    "filter_account_ids given without filter_partition",
                ));
            }
            None
        } else {
            let partition = unsafe { string(filter_partition, "filter_partition") }?;
            Some(DiscoveryFilter::new(partition, accounts)?)
        };
        if client.is_null() {
            return Err(Failure::null("client"));
        }
        let client = unsafe { *client };
        let ring = KmsMrkDiscoveryKeyring::new(region, filter)?;
        unsafe { new_keyring(ring, Some(client), out) };
        Ok(())
    })
}

/// Frees a keyring (zeroing a raw AES wrapping key). NULL is fine.
///
/// # Safety
///
/// `keyring` must be NULL or a keyring from this library not freed yet, and
/// not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_keyring_free(keyring: *mut keyring) {
    boundary(|| {
        if !keyring.is_null() {
            // SAFETY: made by Box::into_raw in new_keyring.
            drop(unsafe { Box::from_raw(keyring) });
        }
    })
}

unsafe fn response_mut<'a>(response: *mut kms_response) -> Result<&'a mut kms_response> {
    if response.is_null() {
        return Err(Failure::null("response"));
    }
    // SAFETY: non-NULL; only ever handed out by this library during a callback.
    Ok(unsafe { &mut *response })
}

/// Sets the KeyId of a KMS response (the key ARN that KMS answered with).
///
/// # Safety
///
/// `response` is the one passed to the running callback; `key_id` is a
/// NUL-terminated string (copied).
#[no_mangle]
pub unsafe extern "C" fn mrkenv_kms_response_set_key_id(
    response: *mut kms_response,
    key_id: *const c_char,
) -> status {
    boundary(|| {
        let response = unsafe { response_mut(response) }?;
        let key_id = unsafe { string(key_id, "key_id") }?;
        response.output.key_id = Some(key_id.to_string());
        Ok(())
    })
}

/// Sets the plaintext data key of a GenerateDataKey or Decrypt response. The
/// bytes are copied into memory the library zeroes when done; wipe your own
/// copy.
///
/// # Safety
///
/// `response` is the one passed to the running callback; `plaintext` points
/// to `plaintext_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_kms_response_set_plaintext(
    response: *mut kms_response,
    plaintext: *const u8,
    plaintext_len: usize,
) -> status {
    boundary(|| {
        let response = unsafe { response_mut(response) }?;
        let bytes = unsafe { slice(plaintext, plaintext_len, "plaintext") }?;
        // Assigning drops (and so zeroes) any previous plaintext.
        response.output.plaintext = Zeroizing::new(bytes.to_vec());
        Ok(())
    })
}

/// Sets the ciphertext blob of a GenerateDataKey or Encrypt response (copied).
///
/// # Safety
///
/// `response` is the one passed to the running callback; `blob` points to
/// `blob_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_kms_response_set_ciphertext_blob(
    response: *mut kms_response,
    blob: *const u8,
    blob_len: usize,
) -> status {
    boundary(|| {
        let response = unsafe { response_mut(response) }?;
        response.output.ciphertext_blob = unsafe { slice(blob, blob_len, "blob") }?.to_vec();
        Ok(())
    })
}

/// Sets a message that explains why the callback failed (copied). It is
/// included in the attempt's reason or the error message when the callback
/// returns non-zero. It must not contain secrets.
///
/// # Safety
///
/// `response` is the one passed to the running callback; `message` is a
/// NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn mrkenv_kms_response_set_error(
    response: *mut kms_response,
    message: *const c_char,
) -> status {
    boundary(|| {
        let response = unsafe { response_mut(response) }?;
        let message = unsafe { string(message, "message") }?;
        response.error = Some(message.to_string());
        Ok(())
    })
}

/// The client's callbacks as the core's [`Kms`]: one call each, the
/// response filled by the callback through the `mrkenv_kms_response_set_*`
/// functions. A NULL callback that is needed aborts the conversation.
struct CallbackKms<'a>(&'a kms_client);

impl CallbackKms<'_> {
    /// Calls one callback with a fresh response and hands back what it set.
    fn call(
        key_id: &str,
        context: &EncryptionContext,
        invoke: impl FnOnce(*const c_char, &CContext, *mut kms_response) -> c_int,
    ) -> std::result::Result<KmsOutput, HostError<Failure>> {
        let failed = |message: String| HostError::Failed {
            error: Failure::new(status::KmsCallbackFailed, message.clone()),
            message,
        };
        let key = CString::new(key_id)
            .map_err(|_| failed(format!("key id {key_id:?} contains a NUL character")))?;
        let ctx = CContext::new(context).map_err(failed)?;
        let mut response = kms_response::default();
        let code = invoke(key.as_ptr(), &ctx, &mut response);
        if code != 0 {
            return Err(failed(callback_failed(code, &response)));
        }
        Ok(response.output)
    }
}

/// Why a callback did not answer, in words: its code, named when it is an
/// mrkenv status (`203 (KmsCallbackFailed)`), else said to be the
/// callback's own code (never "Unknown"), then the message it set.
fn callback_failed(code: c_int, response: &kms_response) -> String {
    let mut message = match status::ALL.iter().find(|s| **s as c_int == code) {
        Some(known) => format!(
            "callback returned status {code} ({})",
            known.name().to_string_lossy()
        ),
        None => format!("callback returned status {code} (the callback's own failure code)"),
    };
    match &response.error {
        Some(error) => {
            message.push_str(": ");
            message.push_str(error);
        }
        None => message.push_str(", without a message (mrkenv_kms_response_set_error gives one)"),
    }
    message
}

fn missing<T>(callback: Option<T>, name: &str) -> std::result::Result<T, HostError<Failure>> {
    callback.ok_or_else(|| {
        HostError::Abort(Failure::new(
            status::Keyring,
            format!("the KMS client has no {name} callback (it is NULL)"),
        ))
    })
}

impl Kms for CallbackKms<'_> {
    type Error = Failure;

    fn generate_data_key(
        &mut self,
        r: &GenerateDataKeyRequest,
    ) -> std::result::Result<KmsOutput, HostError<Failure>> {
        let f = missing(self.0.generate_data_key, "generate_data_key")?;
        Self::call(&r.key_id, &r.encryption_context, |key, ctx, resp| unsafe {
            f(
                self.0.user,
                key,
                r.number_of_bytes,
                ctx.as_ptr(),
                ctx.len(),
                resp,
            )
        })
    }

    fn encrypt(
        &mut self,
        r: &EncryptRequest,
    ) -> std::result::Result<KmsOutput, HostError<Failure>> {
        let f = missing(self.0.encrypt, "encrypt")?;
        let pt = r.plaintext.expose_secret();
        Self::call(&r.key_id, &r.encryption_context, |key, ctx, resp| unsafe {
            f(
                self.0.user,
                key,
                pt.as_ptr(),
                pt.len(),
                ctx.as_ptr(),
                ctx.len(),
                resp,
            )
        })
    }

    fn decrypt(
        &mut self,
        r: &DecryptRequest,
    ) -> std::result::Result<KmsOutput, HostError<Failure>> {
        let f = missing(self.0.decrypt, "decrypt")?;
        let blob = &r.ciphertext_blob;
        Self::call(&r.key_id, &r.encryption_context, |key, ctx, resp| unsafe {
            f(
                self.0.user,
                key,
                blob.as_ptr(),
                blob.len(),
                ctx.as_ptr(),
                ctx.len(),
                resp,
            )
        })
    }
}

/// A failed conversation as a C failure: the core's error and message, with
/// the status of the callback that caused it when one did (an encrypt that
/// a callback ended); a decrypt's failure stays `NO_DECRYPTABLE_KEY`.
fn session_failure(error: SessionError<Failure>) -> Failure {
    let status = match (&error, error.cause()) {
        (SessionError::Failed { error, .. }, Some(cause))
            if error.kind() != mrkenv::ErrorKind::NoDecryptableKey =>
        {
            Some(cause.status)
        }
        _ => None,
    };
    match error {
        SessionError::Aborted(failure) => failure,
        SessionError::Failed { error, .. } => {
            let mut failure = Failure::from(error);
            if let Some(status) = status {
                failure.status = status;
            }
            failure
        }
    }
}

/// For test vectors only: a fixed data key and IV for a raw AES keyring.
/// Only the `testing` feature's hooks make one; without it every
/// `Option<Injected>` is `None`.
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) struct Injected {
    pub(crate) data_key: DataKey,
    pub(crate) raw_aes_iv: [u8; 12],
}

impl Injected {
    /// The test hooks' arguments: a 32-byte message id (required), and a
    /// 32-byte data key and 12-byte IV for a raw AES keyring, given together
    /// or both NULL.
    ///
    /// # Safety
    ///
    /// Each pointer is NULL or points to as many bytes as said above.
    #[cfg(feature = "testing")]
    pub(crate) unsafe fn from_c(
        message_id: *const u8,
        data_key: *const u8,
        raw_aes_iv: *const u8,
    ) -> Result<([u8; 32], Option<Injected>)> {
        if message_id.is_null() {
            return Err(Failure::null("message_id"));
        }
        let mut id = [0u8; 32];
        id.copy_from_slice(unsafe { slice(message_id, 32, "message_id") }?);
        let injected = match (data_key.is_null(), raw_aes_iv.is_null()) {
            (true, true) => None,
            (false, false) => {
                let mut iv = [0u8; 12];
                iv.copy_from_slice(unsafe { slice(raw_aes_iv, 12, "raw_aes_iv") }?);
                let key = unsafe { slice(data_key, 32, "data_key") }?;
                Some(Injected {
                    data_key: DataKey::from_slice(key)?,
                    raw_aes_iv: iv,
                })
            }
            _ => {
                return Err(Failure::invalid(
                    "data_key and raw_aes_iv are given together or not at all",
                ))
            }
        };
        Ok((id, injected))
    }
}

/// The callbacks of a raw AES keyring: none (it never calls KMS).
const NO_CLIENT: kms_client = kms_client {
    user: std::ptr::null_mut(),
    generate_data_key: None,
    encrypt: None,
    decrypt: None,
};

impl keyring {
    /// The callbacks (none for a raw AES keyring, which never calls them).
    fn client(&self) -> kms_client {
        self.client.unwrap_or(NO_CLIENT)
    }

    /// The materials to encrypt one message under this keyring.
    pub(crate) fn materials(
        &self,
        context: &EncryptionContext,
        limits: &Limits,
        injected: Option<Injected>,
    ) -> Result<EncryptionMaterials> {
        match injected {
            None => {
                let mut kms = CallbackKms(&self.client());
                driver::encryption_materials(&self.inner, &mut kms, context, limits)
                    .map_err(session_failure)
            }
            Some(Injected {
                data_key,
                raw_aes_iv,
            }) => Ok(self
                .inner
                .encryption_materials_with(context, limits, data_key, raw_aes_iv)?),
        }
    }

    /// Finds the data key of a message whose header has been read.
    pub(crate) fn data_key(&self, header: &Header) -> Result<DataKey> {
        driver::data_key(
            &self.inner,
            &mut CallbackKms(&self.client()),
            &header.encrypted_data_keys,
            &header.encryption_context,
        )
        .map_err(session_failure)
    }

    /// Encrypts one record (a DynamoDB item) under this keyring: the core's
    /// blocking `encrypt_record` over this keyring's callbacks, or, with
    /// injected randomness (test vectors), the plan sealed with fixed
    /// materials.
    pub(crate) fn encrypt_record(
        &self,
        item: Item,
        options: &EncryptRecordOptions,
        injected: Option<Injected>,
    ) -> Result<Item> {
        match injected {
            None => {
                record::encrypt_record(item, &self.inner, &mut CallbackKms(&self.client()), options)
                    .map_err(session_failure)
            }
            Some(injected) => {
                let plan = record::encrypt_plan(item, options)?;
                let materials =
                    self.materials(plan.encryption_context(), &options.limits, Some(injected))?;
                Ok(plan.seal(materials)?)
            }
        }
    }

    /// Decrypts one record with this keyring: the core's blocking
    /// `decrypt_record` over this keyring's callbacks.
    pub(crate) fn decrypt_record(
        &self,
        item: Item,
        options: &DecryptRecordOptions,
    ) -> Result<Item> {
        record::decrypt_record(item, &self.inner, &mut CallbackKms(&self.client()), options)
            .map_err(session_failure)
    }

    /// Re-keys a whole message: this keyring finds the data key through its
    /// callbacks, `add` (if any) wraps it through its own. `options.add` is
    /// set from `add`.
    pub(crate) fn rekey_message(
        &self,
        message: &[u8],
        add: Option<&keyring>,
        mut options: RekeyOptions,
    ) -> Result<Vec<u8>> {
        options.add = add.map(|k| k.inner.clone());
        let add_client = add.map_or(NO_CLIENT, keyring::client);
        rekey::rekey_message(
            message,
            &self.inner,
            &mut CallbackKms(&self.client()),
            &mut CallbackKms(&add_client),
            &options,
        )
        .map_err(session_failure)
    }

    /// Re-keys the head of a message (as [`keyring::rekey_message`]):
    /// the new head and the offset of the body in the old message.
    pub(crate) fn rekey_header(
        &self,
        head: &[u8],
        add: Option<&keyring>,
        mut options: RekeyOptions,
    ) -> Result<(Vec<u8>, usize)> {
        options.add = add.map(|k| k.inner.clone());
        let add_client = add.map_or(NO_CLIENT, keyring::client);
        rekey::rekey_header(
            head,
            &self.inner,
            &mut CallbackKms(&self.client()),
            &mut CallbackKms(&add_client),
            &options,
        )
        .map_err(session_failure)
    }
}
