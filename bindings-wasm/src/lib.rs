//! WebAssembly exports of the mrkenv core, for the npm package `mrkenv`.
//!
//! These exports are the *internal* layer of the package: the public API
//! (`encrypt`, `decrypt`, the keyrings, the streams, `MrkenvError`) is written
//! in JavaScript in `js/api.js`, which validates every argument before it
//! reaches this module and adapts the core's KMS sessions to the user's
//! client (`await client.generateDataKey(...)` and so on). This module only
//! holds state and runs the core's steps:
//!
//! - [`Keyring`]: a core [`mrkenv::Keyring`], from which sessions are made;
//! - [`KmsSession`]: the core's sans-IO KMS conversation (encrypt or
//!   decrypt): which call to make next, the answers, the result;
//! - [`Materials`]: a data key and its encrypted copies, ready to seal;
//! - [`MessageEncryptor`] / [`MessageDecryptor`]: the incremental format;
//! - [`DataKeyBox`]: an unwrapped data key, kept inside wasm memory;
//! - [`RecordEncryptPlan`] / [`RecordDecryptPlan`]: records (DynamoDB
//!   items), whose KMS sessions the same [`Keyring`] makes (module `record`);
//! - [`HostSealer`] / [`HostOpener`]: messages whose frames the host's
//!   AES-GCM seals and opens (module `host_frames`);
//! - [`MessageRekey`]: re-keying a message, a decrypt session then a wrap
//!   session between the core's steps (module `rekey`);
//! - free functions for identifiers and `inspect`;
//! - [`default_limits`] and the `limits` argument of the readers (module
//!   `limits`);
//! - with the cargo feature `testing` only (test builds, never `make dist`):
//!   injected randomness for the shared vectors and a panic hook for the
//!   panic test (module `testing`).
//!
//! Every fallible export returns `Result<_, JsValue>`; the error value is a
//! plain object `{ code, message, attempts }` (`code` is the core's stable
//! [`mrkenv::ErrorKind::code`]) that the JavaScript layer turns into a
//! `MrkenvError`. No JavaScript value is ever converted with `unwrap`.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use mrkenv::keyring::{DiscoveryFilter, KmsMrkDiscoveryKeyring, KmsMrkKeyring, RawAesKeyring};
use mrkenv::session::{
    Conversation, DecryptSession, EncryptSession, KmsRequest, KmsResponse, Step,
};
use mrkenv::{
    Attempt, DataKey, DecryptOptions, Decryptor, EncryptOptions, EncryptionContext,
    EncryptionMaterials, Encryptor, Error, HeaderSummary, KmsArn,
};

mod host_frames;
mod limits;
mod record;
mod rekey;
#[cfg(feature = "testing")]
mod testing;

pub use host_frames::{HostOpener, HostSealer};
pub use limits::default_limits;
pub use record::{RecordDecryptPlan, RecordEncryptPlan};
pub use rekey::MessageRekey;

use limits::limits_from;

type JsResult<T> = Result<T, JsValue>;

/// Zeroes key bytes that the wasm-bindgen glue copied into wasm memory for a
/// `&mut [u8]` argument (the glue copies them back into the caller's array,
/// a throwaway copy, and frees the buffer without clearing it). A store
/// through `&mut` that the caller reads afterwards is never optimised away.
fn wipe(bytes: &mut [u8]) {
    bytes.fill(0);
}

fn set(object: &Object, key: &str, value: &JsValue) {
    // Setting a data property on a fresh plain object cannot fail; ignore the
    // Result rather than unwrap it.
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

fn attempts_value(attempts: &[Attempt]) -> Array {
    attempts
        .iter()
        .map(|attempt| {
            let entry = Object::new();
            set(&entry, "keyId", &attempt.key_id.as_str().into());
            set(&entry, "reason", &attempt.reason.as_str().into());
            JsValue::from(entry)
        })
        .collect()
}

/// The error value handed to JavaScript: `{ code, message, attempts }`.
fn error_value(error: &Error) -> JsValue {
    let object = Object::new();
    set(&object, "code", &error.kind().code().into());
    set(&object, "message", &error.to_string().into());
    set(&object, "attempts", &attempts_value(error.attempts()));
    object.into()
}

fn invalid_argument(message: &str) -> JsValue {
    error_value(&Error::InvalidArgument(message.to_string()))
}

trait IntoJs<T> {
    fn js(self) -> JsResult<T>;
}

impl<T> IntoJs<T> for Result<T, Error> {
    fn js(self) -> JsResult<T> {
        self.map_err(|e| error_value(&e))
    }
}

/// An encryption context from a flat `[key, value, key, value, ...]` list.
fn context_from(flat: Vec<String>) -> JsResult<EncryptionContext> {
    if flat.len() % 2 != 0 {
        return Err(invalid_argument(
            "encryption context list has an odd number of entries",
        ));
    }
    let mut context = EncryptionContext::new();
    let mut items = flat.into_iter();
    while let (Some(key), Some(value)) = (items.next(), items.next()) {
        context.insert(key, value);
    }
    Ok(context)
}

fn context_value(context: &EncryptionContext) -> Array {
    let flat = Array::new();
    for (key, value) in context {
        flat.push(&key.as_str().into());
        flat.push(&value.as_str().into());
    }
    flat
}

/// Appends `text` as a JSON string literal.
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `"name":` and `text` as JSON.
fn push_json_field(out: &mut String, name: &str, text: &str) {
    out.push('"');
    out.push_str(name);
    out.push_str("\":");
    push_json_string(out, text);
}

/// The header summary as JSON text, which js/api.js (`headerOf`) parses:
/// one string crosses the boundary instead of a dozen values (the header of
/// every decrypt). The encryption context is a flat list of strings, as
/// [`context_value`] gives it.
fn summary_value(summary: &HeaderSummary) -> JsValue {
    let mut out = String::with_capacity(256);
    out.push_str(&format!(
        "{{\"version\":{},\"suite\":{},",
        summary.version, summary.suite
    ));
    push_json_field(&mut out, "suiteName", &summary.suite_name);
    out.push(',');
    push_json_field(&mut out, "messageId", &summary.message_id);
    out.push_str(",\"encryptionContext\":[");
    for (i, (key, value)) in summary.encryption_context.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(&mut out, key);
        out.push(',');
        push_json_string(&mut out, value);
    }
    out.push_str(&format!(
        "],\"frameLength\":{},\"encryptedDataKeys\":[",
        summary.frame_length
    ));
    for (i, edk) in summary.encrypted_data_keys.iter().enumerate() {
        out.push_str(if i > 0 { ",{" } else { "{" });
        push_json_field(&mut out, "providerId", &edk.provider_id);
        out.push(',');
        push_json_field(&mut out, "providerInfo", &edk.provider_info);
        if let Some(arn) = &edk.key_arn {
            out.push(',');
            push_json_field(&mut out, "keyArn", arn);
        }
        if let Some(region) = &edk.region {
            out.push(',');
            push_json_field(&mut out, "region", region);
        }
        if let Some(is_mrk) = edk.is_mrk {
            out.push_str(if is_mrk {
                ",\"isMrk\":true"
            } else {
                ",\"isMrk\":false"
            });
        }
        out.push_str(&format!(",\"ciphertextLen\":{}}}", edk.ciphertext_len));
    }
    out.push_str("]}");
    JsValue::from_str(&out)
}

fn missing_header() -> JsValue {
    invalid_argument("the message header has not been read yet")
}

/// A validated keyring (strict MRK, discovery MRK or raw AES): a core
/// [`mrkenv::Keyring`], from which the KMS sessions are made.
#[wasm_bindgen]
pub struct Keyring {
    inner: mrkenv::Keyring,
}

#[wasm_bindgen]
impl Keyring {
    /// A strict MRK keyring over `key_ids` (the first one generates).
    pub fn strict(key_ids: Vec<String>) -> JsResult<Keyring> {
        let inner = KmsMrkKeyring::new(key_ids).js()?.into();
        Ok(Keyring { inner })
    }

    /// A discovery keyring in `region`, with an optional filter.
    pub fn discovery(
        region: String,
        partition: Option<String>,
        account_ids: Option<Vec<String>>,
    ) -> JsResult<Keyring> {
        let filter = match (partition, account_ids) {
            (Some(partition), Some(account_ids)) => {
                Some(DiscoveryFilter::new(partition, account_ids).js()?)
            }
            (None, None) => None,
            _ => {
                return Err(invalid_argument(
                    "a discovery filter needs both a partition and account ids",
                ))
            }
        };
        let inner = KmsMrkDiscoveryKeyring::new(region, filter).js()?.into();
        Ok(Keyring { inner })
    }

    /// A raw AES keyring. `wrapping_key` is zeroed (give a copy): the glue's
    /// temporary copy in wasm memory must not outlive the call.
    #[wasm_bindgen(js_name = rawAes)]
    pub fn raw_aes(namespace: String, name: String, wrapping_key: &mut [u8]) -> JsResult<Keyring> {
        let keyring = RawAesKeyring::new(&namespace, &name, wrapping_key);
        wipe(wrapping_key);
        Ok(Keyring {
            inner: keyring.js()?.into(),
        })
    }

    /// The conversation that yields the encryption materials for `context`
    /// (checks the limits first; a discovery keyring fails here). `limits`
    /// as [`limits_from`] reads them (`None`: the defaults).
    #[wasm_bindgen(js_name = encryptSession)]
    pub fn encrypt_session(
        &self,
        context: Vec<String>,
        limits: Option<Vec<u32>>,
    ) -> JsResult<KmsSession> {
        let context = context_from(context)?;
        let session = self
            .inner
            .encrypt_session(&context, &limits_from(limits)?)
            .js()?;
        Ok(KmsSession::new(Conv::Encrypt(session)))
    }

    /// Fails when a KMS client for `client_region` cannot serve this keyring
    /// (the core's [`mrkenv::Keyring::check_client_region`]): a strict
    /// keyring's key ARN in another Region, a discovery keyring for another
    /// Region.
    #[wasm_bindgen(js_name = checkClientRegion)]
    pub fn check_client_region(&self, client_region: &str) -> JsResult<()> {
        self.inner.check_client_region(client_region).js()
    }

    /// The conversation that finds the data key of the decryptor's header.
    #[wasm_bindgen(js_name = decryptSession)]
    pub fn decrypt_session(&self, decryptor: &MessageDecryptor) -> JsResult<KmsSession> {
        let header = decryptor.inner.header().ok_or_else(missing_header)?;
        let session = self
            .inner
            .decrypt_session(&header.encrypted_data_keys, &header.encryption_context)
            .js()?;
        Ok(KmsSession::new(Conv::Decrypt(session)))
    }
}

enum Conv {
    Encrypt(EncryptSession),
    Decrypt(DecryptSession),
}

/// What a finished session yielded, until JavaScript takes it.
enum Outcome {
    Materials(EncryptionMaterials),
    DataKey(DataKey),
}

/// A core KMS session (encrypt or decrypt), stepped from JavaScript: `next()`
/// says which KMS call to make, `answer()` / `fail()` hand back what the
/// client returned or threw. The session keeps the request it yielded; the
/// answer is checked against that, never against anything JavaScript says.
#[wasm_bindgen]
pub struct KmsSession {
    conv: Conv,
    outcome: Option<Outcome>,
}

/// The plain-object form of a step: `{ call: {...} }`, `{ done: true }` or
/// `{ failed: { code, message, attempts } }`; a `Done` output is kept.
fn step_value<C: Conversation>(
    conv: &mut C,
    outcome: impl FnOnce(C::Output) -> Outcome,
) -> (JsValue, Option<Outcome>) {
    let object = Object::new();
    let kept = match conv.next() {
        Step::Call { attempt, request } => {
            set(&object, "call", &call_value(attempt, request));
            None
        }
        Step::Done(output) => {
            set(&object, "done", &true.into());
            Some(outcome(output))
        }
        Step::Failed(error) => {
            set(&object, "failed", &error_value(&error));
            None
        }
    };
    (object.into(), kept)
}

/// `{ attempt, operation, keyId, encryptionContext, numberOfBytes?,
/// plaintext?, ciphertextBlob? }`. `plaintext` (Encrypt) is the data key,
/// copied straight from its storage into a new JS array that the caller
/// zeroes after the call.
fn call_value(attempt: usize, request: &KmsRequest) -> JsValue {
    let object = Object::new();
    set(&object, "attempt", &(attempt as u32).into());
    set(&object, "operation", &request.operation().into());
    set(&object, "keyId", &request.key_id().into());
    set(
        &object,
        "encryptionContext",
        &context_value(request.encryption_context()),
    );
    match request {
        KmsRequest::GenerateDataKey(r) => {
            set(&object, "numberOfBytes", &(r.number_of_bytes as u32).into());
        }
        KmsRequest::Encrypt(r) => {
            let plaintext = Uint8Array::from(&r.plaintext.expose_secret()[..]);
            set(&object, "plaintext", &plaintext);
        }
        KmsRequest::Decrypt(r) => {
            let blob = Uint8Array::from(r.ciphertext_blob.as_slice());
            set(&object, "ciphertextBlob", &blob);
        }
    }
    object.into()
}

impl KmsSession {
    fn new(conv: Conv) -> KmsSession {
        KmsSession {
            conv,
            outcome: None,
        }
    }

    fn answer_with(&mut self, answer: Result<KmsResponse<'_>, String>) -> JsResult<()> {
        match &mut self.conv {
            Conv::Encrypt(s) => s.answer(answer),
            Conv::Decrypt(s) => s.answer(answer),
        }
        .js()
    }
}

#[wasm_bindgen]
impl KmsSession {
    /// The next step (see [`step_value`]).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> JsValue {
        let (value, outcome) = match &mut self.conv {
            Conv::Encrypt(s) => step_value(s, Outcome::Materials),
            Conv::Decrypt(s) => step_value(s, Outcome::DataKey),
        };
        if outcome.is_some() {
            self.outcome = outcome;
        }
        value
    }

    /// The client's response to the pending call (a missing field is passed
    /// empty: the core says what is missing). `plaintext` is zeroed, and the
    /// glue copies the zeros back into the caller's array.
    pub fn answer(
        &mut self,
        key_id: Option<String>,
        plaintext: &mut [u8],
        ciphertext_blob: &[u8],
    ) -> JsResult<()> {
        let response = KmsResponse {
            key_id: key_id.as_deref(),
            plaintext,
            ciphertext_blob,
        };
        let result = self.answer_with(Ok(response));
        wipe(plaintext);
        result
    }

    /// The pending call failed in the client (it threw): `message` describes it.
    pub fn fail(&mut self, message: String) -> JsResult<()> {
        self.answer_with(Err(message))
    }

    /// The attempt whose thrown value is the cause of the failure (the core's
    /// cause rule: the last call that threw), if any.
    #[wasm_bindgen(js_name = causeAttempt)]
    pub fn cause_attempt(&self) -> Option<u32> {
        match &self.conv {
            Conv::Encrypt(s) => s.cause_attempt(),
            Conv::Decrypt(s) => s.cause_attempt(),
        }
        .map(|attempt| attempt as u32)
    }

    /// The materials of a finished encrypt session (once).
    pub fn materials(&mut self) -> JsResult<Materials> {
        match self.outcome.take() {
            Some(Outcome::Materials(inner)) => Ok(Materials { inner }),
            _ => Err(invalid_argument("the session has no encryption materials")),
        }
    }

    /// The data key of a finished decrypt session (once).
    #[wasm_bindgen(js_name = dataKey)]
    pub fn data_key(&mut self) -> JsResult<DataKeyBox> {
        match self.outcome.take() {
            Some(Outcome::DataKey(key)) => Ok(DataKeyBox { key }),
            _ => Err(invalid_argument("the session has no data key")),
        }
    }
}

/// A data key with its encrypted copies and the encryption context.
#[wasm_bindgen]
pub struct Materials {
    inner: EncryptionMaterials,
}

/// A data key inside wasm memory (zeroized when freed).
#[wasm_bindgen]
pub struct DataKeyBox {
    key: DataKey,
}

/// An injected message id (test vectors only): refused unless the module
/// was built with the cargo feature `testing` (never in `make dist`).
pub(crate) fn message_id_from(message_id: Option<Vec<u8>>) -> JsResult<Option<[u8; 32]>> {
    match message_id {
        None => Ok(None),
        Some(_) if !cfg!(feature = "testing") => Err(invalid_argument(
            "a fixed message id is a test hook, only in test builds of this module",
        )),
        Some(id) => {
            Ok(Some(id.as_slice().try_into().map_err(|_| {
                invalid_argument("message id must be 32 bytes")
            })?))
        }
    }
}

fn encrypt_options(frame_length: u32, message_id: Option<Vec<u8>>) -> JsResult<EncryptOptions> {
    let message_id = message_id_from(message_id)?;
    Ok(EncryptOptions {
        frame_length,
        message_id,
        ..Default::default()
    })
}

/// Encrypts a whole plaintext in one call. `message_id` is for test vectors only.
#[wasm_bindgen(js_name = encryptMessage)]
pub fn encrypt_message(
    materials: &Materials,
    plaintext: &[u8],
    frame_length: u32,
    message_id: Option<Vec<u8>>,
) -> JsResult<Vec<u8>> {
    let options = encrypt_options(frame_length, message_id)?;
    mrkenv::encrypt(materials.inner.clone(), plaintext, &options).js()
}

/// The incremental encryptor.
#[wasm_bindgen]
pub struct MessageEncryptor {
    inner: Encryptor,
}

#[wasm_bindgen]
impl MessageEncryptor {
    /// Checks the frame length and derives the message keys.
    #[wasm_bindgen(constructor)]
    pub fn new(
        materials: &Materials,
        frame_length: u32,
        message_id: Option<Vec<u8>>,
    ) -> JsResult<MessageEncryptor> {
        let options = encrypt_options(frame_length, message_id)?;
        Ok(MessageEncryptor {
            inner: Encryptor::new(materials.inner.clone(), &options).js()?,
        })
    }

    /// Encrypts what it can; returns the message bytes written.
    pub fn update(&mut self, chunk: &[u8]) -> JsResult<Vec<u8>> {
        let mut out = Vec::new();
        self.inner.update(chunk, &mut out).js()?;
        Ok(out)
    }

    /// Writes the final frame; returns the last message bytes.
    pub fn finish(&mut self) -> JsResult<Vec<u8>> {
        let mut out = Vec::new();
        self.inner.finish(&mut out).js()?;
        Ok(out)
    }
}

/// The incremental decryptor.
#[wasm_bindgen]
pub struct MessageDecryptor {
    inner: Decryptor,
}

#[wasm_bindgen]
impl MessageDecryptor {
    /// A decryptor that requires the given context pairs (flat list),
    /// under `limits` as [`limits_from`] reads them (`None`: the defaults).
    #[wasm_bindgen(constructor)]
    pub fn new(
        required_context: Vec<String>,
        limits: Option<Vec<u32>>,
    ) -> JsResult<MessageDecryptor> {
        Ok(MessageDecryptor {
            inner: Decryptor::new(DecryptOptions {
                required_context: context_from(required_context)?,
                limits: limits_from(limits)?,
            }),
        })
    }

    /// Consumes message bytes; returns verified plaintext.
    pub fn update(&mut self, chunk: &[u8]) -> JsResult<Vec<u8>> {
        let mut out = Vec::new();
        self.inner.update(chunk, &mut out).js()?;
        Ok(out)
    }

    /// True when the header is read and a data key is needed.
    #[wasm_bindgen(js_name = needsDataKey)]
    pub fn needs_data_key(&self) -> bool {
        self.inner.needs_data_key()
    }

    /// The header summary (encryption context as a flat list), once read.
    pub fn header(&self) -> JsResult<JsValue> {
        let header = self.inner.header().ok_or_else(missing_header)?;
        Ok(summary_value(&HeaderSummary::from_header(header)))
    }

    /// Checks the data key against the commitment and the header tag, then
    /// decrypts what was buffered meanwhile: returns that plaintext.
    #[wasm_bindgen(js_name = setDataKey)]
    pub fn set_data_key(&mut self, data_key: &DataKeyBox) -> JsResult<Vec<u8>> {
        let mut out = Vec::new();
        self.inner.set_data_key(&data_key.key, &mut out).js()?;
        Ok(out)
    }

    /// Ends the input; fails unless the final frame was read.
    pub fn finish(&mut self) -> JsResult<()> {
        self.inner.finish().js()
    }
}

/// The key-free header summary of a message (or a prefix of one), read
/// under `limits` as [`limits_from`] reads them (`None`: the defaults).
#[wasm_bindgen]
pub fn inspect(message: &[u8], limits: Option<Vec<u32>>) -> JsResult<JsValue> {
    let limits = limits_from(limits)?;
    Ok(summary_value(
        &mrkenv::inspect_with_limits(message, &limits).js()?,
    ))
}

/// Checks a discovery filter on its own (for a discovery keyring whose
/// Region comes from the client later: its filter is still checked at
/// construction).
#[wasm_bindgen(js_name = checkDiscoveryFilter)]
pub fn check_discovery_filter(partition: String, account_ids: Vec<String>) -> JsResult<()> {
    DiscoveryFilter::new(partition, account_ids)
        .js()
        .map(|_| ())
}

/// A parsed KMS ARN as a plain object.
#[wasm_bindgen(js_name = parseArn)]
pub fn parse_arn(input: &str) -> JsResult<JsValue> {
    let arn: KmsArn = mrkenv::parse_arn(input).js()?;
    let object = Object::new();
    set(&object, "partition", &arn.partition.as_str().into());
    set(&object, "service", &arn.service.as_str().into());
    set(&object, "region", &arn.region.as_str().into());
    set(&object, "account", &arn.account.as_str().into());
    set(&object, "resourceType", &arn.resource_type.as_str().into());
    set(&object, "resourceId", &arn.resource_id.as_str().into());
    set(&object, "isMrk", &arn.is_mrk().into());
    Ok(object.into())
}

/// `"hex"` or `"base64"` when a string given where bytes belong is one token
/// of that encoding (the core's `string_encoding`), for the TypeError's hint.
#[wasm_bindgen(js_name = stringEncoding)]
pub fn string_encoding(text: &str) -> Option<String> {
    mrkenv::format::text_hint::string_encoding(text).map(str::to_owned)
}

/// True when the identifier names a multi-Region key.
#[wasm_bindgen(js_name = isMrk)]
pub fn is_mrk(identifier: &str) -> JsResult<bool> {
    mrkenv::is_mrk(identifier).js()
}

/// The MRK match of the AWS Encryption SDK specification.
#[wasm_bindgen(js_name = mrkMatch)]
pub fn mrk_match(a: &str, b: &str) -> JsResult<bool> {
    mrkenv::mrk_match(a, b).js()
}
