//! WebAssembly exports of the mrkenv core, for the npm package `mrkenv`.
//!
//! These exports are the *internal* layer of the package: the public API
//! (`encrypt`, `decrypt`, the keyrings, the streams, `MrkenvError`) is written
//! in JavaScript in `js/api.js`, which validates every argument before it
//! reaches this module and runs the sans-IO KMS loop around the user's client
//! (`await client.generateDataKey(...)` and so on). This module only holds
//! state and runs the core's steps:
//!
//! - [`Keyring`]: a strict, discovery or raw AES keyring; it says which KMS
//!   calls to make and checks the answers;
//! - [`Materials`]: a data key and its encrypted copies, ready to seal;
//! - [`MessageEncryptor`] / [`MessageDecryptor`]: the incremental format;
//! - [`DataKeyBox`]: an unwrapped data key, kept inside wasm memory;
//! - free functions for identifiers and `inspect`.
//!
//! Every fallible export returns `Result<_, JsValue>`; the error value is a
//! plain object `{ code, message, attempts }` (`code` is the core's stable
//! [`mrkenv::ErrorKind::code`]) that the JavaScript layer turns into a
//! `MrkenvError`. No JavaScript value is ever converted with `unwrap`.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use mrkenv::keyring::{
    no_decryptable_key, DecryptRequest, DecryptResponse, DiscoveryFilter, EncryptRequest,
    EncryptResponse, GenerateDataKeyRequest, GenerateDataKeyResponse, KmsMrkDiscoveryKeyring,
    KmsMrkKeyring, RawAesKeyring,
};
use mrkenv::{
    Attempt, DataKey, DecryptOptions, Decryptor, EncryptOptions, EncryptionContext,
    EncryptionMaterials, Encryptor, Error, Header, HeaderSummary, KmsArn,
};

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

fn summary_value(summary: &HeaderSummary) -> JsValue {
    let object = Object::new();
    set(&object, "version", &summary.version.into());
    set(&object, "suite", &summary.suite.into());
    set(&object, "suiteName", &summary.suite_name.as_str().into());
    set(&object, "messageId", &summary.message_id.as_str().into());
    set(
        &object,
        "encryptionContext",
        &context_value(&summary.encryption_context),
    );
    set(&object, "frameLength", &summary.frame_length.into());
    let edks: Array = summary
        .encrypted_data_keys
        .iter()
        .map(|edk| {
            let entry = Object::new();
            set(&entry, "providerId", &edk.provider_id.as_str().into());
            set(&entry, "providerInfo", &edk.provider_info.as_str().into());
            if let Some(arn) = &edk.key_arn {
                set(&entry, "keyArn", &arn.as_str().into());
            }
            if let Some(region) = &edk.region {
                set(&entry, "region", &region.as_str().into());
            }
            if let Some(is_mrk) = edk.is_mrk {
                set(&entry, "isMrk", &is_mrk.into());
            }
            set(&entry, "ciphertextLen", &(edk.ciphertext_len as u32).into());
            JsValue::from(entry)
        })
        .collect();
    set(&object, "encryptedDataKeys", &edks);
    object.into()
}

fn data_key_from(bytes: &[u8], what: &str) -> JsResult<DataKey> {
    DataKey::from_slice(bytes).map_err(|_| {
        invalid_argument(&format!(
            "{what} must be 32 bytes, got {} bytes",
            bytes.len()
        ))
    })
}

enum Kind {
    Strict(KmsMrkKeyring),
    Discovery(KmsMrkDiscoveryKeyring),
    RawAes(RawAesKeyring),
}

/// A validated keyring configuration (strict MRK, discovery MRK or raw AES).
#[wasm_bindgen]
pub struct Keyring {
    kind: Kind,
}

fn missing_header() -> JsValue {
    invalid_argument("the message header has not been read yet")
}

impl Keyring {
    fn strict_ref(&self) -> JsResult<&KmsMrkKeyring> {
        match &self.kind {
            Kind::Strict(keyring) => Ok(keyring),
            _ => Err(invalid_argument("this keyring is not a KmsMrkKeyring")),
        }
    }

    fn decrypt_request(&self, header: &Header, edk_index: usize, key_id: String) -> DecryptRequest {
        DecryptRequest {
            key_id,
            ciphertext_blob: Vec::new(),
            encryption_context: header.encryption_context.clone(),
            edk_index,
        }
    }
}

#[wasm_bindgen]
impl Keyring {
    /// A strict MRK keyring over `key_ids` (the first one generates).
    pub fn strict(key_ids: Vec<String>) -> JsResult<Keyring> {
        Ok(Keyring {
            kind: Kind::Strict(KmsMrkKeyring::new(key_ids).js()?),
        })
    }

    /// A discovery keyring in `region`, with an optional filter.
    pub fn discovery(
        region: String,
        partition: Option<String>,
        account_ids: Option<Vec<String>>,
    ) -> JsResult<Keyring> {
        let filter = match (partition, account_ids) {
            (Some(partition), Some(account_ids)) => Some(DiscoveryFilter {
                partition,
                account_ids,
            }),
            (None, None) => None,
            _ => {
                return Err(invalid_argument(
                    "a discovery filter needs both a partition and account ids",
                ))
            }
        };
        Ok(Keyring {
            kind: Kind::Discovery(KmsMrkDiscoveryKeyring::new(region, filter).js()?),
        })
    }

    /// A raw AES keyring. `wrapping_key` is zeroed (give a copy): the glue's
    /// temporary copy in wasm memory must not outlive the call.
    #[wasm_bindgen(js_name = rawAes)]
    pub fn raw_aes(namespace: String, name: String, wrapping_key: &mut [u8]) -> JsResult<Keyring> {
        let keyring = RawAesKeyring::new(&namespace, &name, wrapping_key);
        wipe(wrapping_key);
        Ok(Keyring {
            kind: Kind::RawAes(keyring.js()?),
        })
    }

    /// `"strict"`, `"discovery"` or `"raw-aes"`.
    pub fn kind(&self) -> String {
        match self.kind {
            Kind::Strict(_) => "strict",
            Kind::Discovery(_) => "discovery",
            Kind::RawAes(_) => "raw-aes",
        }
        .to_string()
    }

    /// The KeyId of the GenerateDataKey call (after checking the context and
    /// the limits). Fails for discovery keyrings.
    #[wasm_bindgen(js_name = generateDataKeyRequest)]
    pub fn generate_data_key_request(&self, context: Vec<String>) -> JsResult<String> {
        let context = context_from(context)?;
        let limits = Default::default();
        let request = match &self.kind {
            Kind::Strict(keyring) => keyring.generate_data_key_request(&context, &limits),
            Kind::Discovery(keyring) => keyring.generate_data_key_request(&context, &limits),
            Kind::RawAes(_) => return Err(invalid_argument("a raw AES keyring does not use KMS")),
        };
        Ok(request.js()?.key_id)
    }

    /// Checks the GenerateDataKey answer and starts the materials.
    /// `plaintext` (the data key) is zeroed (give a copy).
    #[wasm_bindgen(js_name = acceptGenerateDataKey)]
    pub fn accept_generate_data_key(
        &self,
        context: Vec<String>,
        response_key_id: Option<String>,
        plaintext: &mut [u8],
        ciphertext_blob: &[u8],
    ) -> JsResult<Materials> {
        let result = self.accept_generate_data_key_inner(
            context,
            response_key_id,
            plaintext,
            ciphertext_blob,
        );
        wipe(plaintext);
        result
    }

    /// The KeyIds of the Encrypt calls (every configured key after the first).
    #[wasm_bindgen(js_name = encryptKeyIds)]
    pub fn encrypt_key_ids(&self) -> Vec<String> {
        match &self.kind {
            Kind::Strict(keyring) => keyring.key_ids()[1..].to_vec(),
            _ => Vec::new(),
        }
    }
}

impl Keyring {
    fn accept_generate_data_key_inner(
        &self,
        context: Vec<String>,
        response_key_id: Option<String>,
        plaintext: &[u8],
        ciphertext_blob: &[u8],
    ) -> JsResult<Materials> {
        let keyring = self.strict_ref()?;
        let context = context_from(context)?;
        let request = GenerateDataKeyRequest {
            key_id: keyring.key_ids()[0].clone(),
            number_of_bytes: 32,
            encryption_context: context.clone(),
        };
        let (data_key, edk) = keyring
            .accept_generate_data_key(
                &request,
                GenerateDataKeyResponse {
                    key_id: response_key_id.as_deref(),
                    plaintext,
                    ciphertext_blob,
                },
            )
            .js()?;
        Ok(Materials {
            inner: EncryptionMaterials {
                data_key,
                encrypted_data_keys: vec![edk],
                encryption_context: context,
            },
        })
    }
}

#[wasm_bindgen]
impl Keyring {
    /// Checks an Encrypt answer and adds its encrypted data key.
    #[wasm_bindgen(js_name = acceptEncrypt)]
    pub fn accept_encrypt(
        &self,
        materials: &mut Materials,
        request_key_id: String,
        response_key_id: Option<String>,
        ciphertext_blob: &[u8],
    ) -> JsResult<()> {
        let keyring = self.strict_ref()?;
        let request = EncryptRequest {
            key_id: request_key_id,
            plaintext: materials.inner.data_key.clone(),
            encryption_context: materials.inner.encryption_context.clone(),
        };
        let edk = keyring
            .accept_encrypt(
                &request,
                EncryptResponse {
                    key_id: response_key_id.as_deref(),
                    ciphertext_blob,
                },
            )
            .js()?;
        materials.inner.encrypted_data_keys.push(edk);
        Ok(())
    }

    /// Raw AES materials: a random data key and IV, or (test vectors only)
    /// the given ones.
    #[wasm_bindgen(js_name = rawAesMaterials)]
    pub fn raw_aes_materials(
        &self,
        context: Vec<String>,
        data_key: Option<Vec<u8>>,
        iv: Option<Vec<u8>>,
    ) -> JsResult<Materials> {
        let Kind::RawAes(keyring) = &self.kind else {
            return Err(invalid_argument("this keyring is not a RawAesKeyring"));
        };
        let context = context_from(context)?;
        let limits = Default::default();
        let inner = match (data_key, iv) {
            (None, None) => keyring.encryption_materials(&context, &limits).js()?,
            (Some(data_key), Some(iv)) => {
                let data_key = data_key_from(&data_key, "data key")?;
                let iv: [u8; 12] = iv
                    .as_slice()
                    .try_into()
                    .map_err(|_| invalid_argument("raw AES IV must be 12 bytes"))?;
                keyring
                    .encryption_materials_with(&context, &limits, data_key, iv)
                    .js()?
            }
            _ => {
                return Err(invalid_argument(
                    "give both a data key and an IV, or neither",
                ))
            }
        };
        Ok(Materials { inner })
    }

    /// The ordered Decrypt calls for the decryptor's header:
    /// `{ requests: [{ keyId, ciphertextBlob, edkIndex }], skipped: [{ keyId, reason }] }`.
    #[wasm_bindgen(js_name = decryptPlan)]
    pub fn decrypt_plan(&self, decryptor: &MessageDecryptor) -> JsResult<JsValue> {
        let header = decryptor.inner.header().ok_or_else(missing_header)?;
        let plan = match &self.kind {
            Kind::Strict(keyring) => keyring.decrypt_requests(header),
            Kind::Discovery(keyring) => keyring.decrypt_requests(header),
            Kind::RawAes(_) => return Err(invalid_argument("a raw AES keyring does not use KMS")),
        }
        .js()?;
        let requests: Array = plan
            .requests
            .iter()
            .map(|request| {
                let entry = Object::new();
                set(&entry, "keyId", &request.key_id.as_str().into());
                set(
                    &entry,
                    "ciphertextBlob",
                    &Uint8Array::from(request.ciphertext_blob.as_slice()),
                );
                set(&entry, "edkIndex", &(request.edk_index as u32).into());
                JsValue::from(entry)
            })
            .collect();
        let object = Object::new();
        set(&object, "requests", &requests);
        set(&object, "skipped", &attempts_value(&plan.skipped));
        Ok(object.into())
    }

    /// Checks a Decrypt answer; the data key stays inside wasm memory.
    /// `plaintext` is zeroed (give a copy).
    #[wasm_bindgen(js_name = acceptDecrypt)]
    pub fn accept_decrypt(
        &self,
        decryptor: &MessageDecryptor,
        edk_index: u32,
        request_key_id: String,
        response_key_id: Option<String>,
        plaintext: &mut [u8],
    ) -> JsResult<DataKeyBox> {
        let result = self.accept_decrypt_inner(
            decryptor,
            edk_index,
            request_key_id,
            response_key_id,
            plaintext,
        );
        wipe(plaintext);
        result
    }
}

impl Keyring {
    fn accept_decrypt_inner(
        &self,
        decryptor: &MessageDecryptor,
        edk_index: u32,
        request_key_id: String,
        response_key_id: Option<String>,
        plaintext: &[u8],
    ) -> JsResult<DataKeyBox> {
        let header = decryptor.inner.header().ok_or_else(missing_header)?;
        let request = self.decrypt_request(header, edk_index as usize, request_key_id);
        let response = DecryptResponse {
            key_id: response_key_id.as_deref(),
            plaintext,
        };
        let key = match &self.kind {
            Kind::Strict(keyring) => keyring.accept_decrypt(&request, response),
            Kind::Discovery(keyring) => keyring.accept_decrypt(&request, response),
            Kind::RawAes(_) => return Err(invalid_argument("a raw AES keyring does not use KMS")),
        }
        .js()?;
        Ok(DataKeyBox { key })
    }
}

#[wasm_bindgen]
impl Keyring {
    /// Unwraps the data key of the decryptor's header with a raw AES keyring.
    #[wasm_bindgen(js_name = unwrapRawAes)]
    pub fn unwrap_raw_aes(&self, decryptor: &MessageDecryptor) -> JsResult<DataKeyBox> {
        let Kind::RawAes(keyring) = &self.kind else {
            return Err(invalid_argument("this keyring is not a RawAesKeyring"));
        };
        let header = decryptor.inner.header().ok_or_else(missing_header)?;
        let key = keyring.unwrap_data_key(header).js()?;
        Ok(DataKeyBox { key })
    }
}

/// The error value of a decrypt where no encrypted data key could be
/// decrypted, from parallel lists of key ids and reasons (skipped first, then
/// failed attempts): the core writes the message.
#[wasm_bindgen(js_name = noDecryptableKey)]
pub fn no_decryptable_key_error(key_ids: Vec<String>, reasons: Vec<String>) -> JsValue {
    let attempts = key_ids
        .into_iter()
        .zip(reasons)
        .map(|(key_id, reason)| Attempt { key_id, reason })
        .collect();
    error_value(&no_decryptable_key(attempts))
}

/// A data key with its encrypted copies and the encryption context.
#[wasm_bindgen]
pub struct Materials {
    inner: EncryptionMaterials,
}

#[wasm_bindgen]
impl Materials {
    /// A copy of the plaintext data key, for the KMS Encrypt calls of the
    /// other keys of a strict keyring (the caller zeroes it afterwards).
    /// Copied straight from the key's own storage into a JS array: no
    /// temporary copy is left in wasm memory.
    #[wasm_bindgen(js_name = dataKey)]
    pub fn data_key(&self) -> Uint8Array {
        Uint8Array::from(&self.inner.data_key.expose_secret()[..])
    }
}

/// A data key inside wasm memory (zeroized when freed).
#[wasm_bindgen]
pub struct DataKeyBox {
    key: DataKey,
}

fn encrypt_options(frame_length: u32, message_id: Option<Vec<u8>>) -> JsResult<EncryptOptions> {
    let message_id = match message_id {
        None => None,
        Some(id) => Some(
            id.as_slice()
                .try_into()
                .map_err(|_| invalid_argument("message id must be 32 bytes"))?,
        ),
    };
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
    /// A decryptor that requires the given context pairs (flat list).
    #[wasm_bindgen(constructor)]
    pub fn new(required_context: Vec<String>) -> JsResult<MessageDecryptor> {
        Ok(MessageDecryptor {
            inner: Decryptor::new(DecryptOptions {
                required_context: context_from(required_context)?,
                ..Default::default()
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

    /// Checks the data key against the commitment and the header tag.
    #[wasm_bindgen(js_name = setDataKey)]
    pub fn set_data_key(&mut self, data_key: &DataKeyBox) -> JsResult<()> {
        self.inner.set_data_key(&data_key.key).js()
    }

    /// Ends the input; fails unless the final frame was read.
    pub fn finish(&mut self) -> JsResult<()> {
        self.inner.finish().js()
    }
}

/// The key-free header summary of a message (or a prefix of one).
#[wasm_bindgen]
pub fn inspect(message: &[u8]) -> JsResult<JsValue> {
    Ok(summary_value(&mrkenv::inspect(message).js()?))
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
