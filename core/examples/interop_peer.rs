//! The Rust peer of the interop matrix (tests/interop/matrix.test.mjs).
//!
//! Reads one JSON request line on stdin and writes one answer line on
//! stdout, with the requests of tests/interop/py_peer.py:
//!
//!   {"op": "encrypt", "keyring": K, "plaintext": hex, "context": {...}, "frame_length": n}
//!   {"op": "decrypt", "keyring": K, "ciphertext": hex, "context": {...} | null}
//!   {"op": "encrypt_record" | "decrypt_record", "keyring": K, "item": DynamoDB JSON,
//!    "actions": {...}, "default_action": str, "table_name", "partition_key", "sort_key", "context"}
//!
//! The answer is `{"answer": {...}}` (`ciphertext`, `plaintext` or `item`, or
//! `error` and `message`). K is raw AES, `kms` or `kms-discovery` as for
//! py_peer. The core has no KMS client: each KMS call the core asks for is
//! written as a line `{"kms": op, "key_id", "context", "plaintext"?,
//! "ciphertext_blob"?}` (blobs in hex) and its result read back as a line
//! `{"key_id", "plaintext", "ciphertext_blob"}` or `{"error": message}`; the
//! test relays it to moto.
//!
//!     cargo run -p mrkenv --example interop_peer

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use mrkenv::keyring::{
    DecryptRequest, EncryptRequest, GenerateDataKeyRequest, KmsMrkDiscoveryKeyring, KmsMrkKeyring,
    RawAesKeyring,
};
use mrkenv::record::json::{item_from_json_value, item_to_json_value};
use mrkenv::record::{decrypt_record, encrypt_record, DecryptRecordOptions, EncryptRecordOptions};
use mrkenv::session::driver::{
    data_key, encryption_materials, HostError, Kms, KmsOutput, SessionError,
};
use mrkenv::{
    check_required_context, DecryptOptions, EncryptOptions, EncryptionContext, Keyring, Limits,
};
use serde_json::{json, Value};
use zeroize::Zeroizing;

/// KMS calls relayed over stdin/stdout to the test.
struct Relay<'a> {
    input: &'a mut dyn BufRead,
}

impl Relay<'_> {
    fn call(&mut self, request: Value) -> Result<KmsOutput, HostError<String>> {
        let failed = |message: String| HostError::Failed {
            error: message.clone(),
            message,
        };
        let mut out = std::io::stdout().lock();
        writeln!(out, "{request}")
            .and_then(|_| out.flush())
            .map_err(|e| failed(e.to_string()))?;
        let mut line = String::new();
        self.input
            .read_line(&mut line)
            .map_err(|e| failed(e.to_string()))?;
        let answer: Value = serde_json::from_str(&line).map_err(|e| failed(e.to_string()))?;
        if let Some(error) = answer.get("error").and_then(Value::as_str) {
            return Err(failed(error.to_string()));
        }
        let bytes =
            |name: &str| hex::decode(answer[name].as_str().unwrap_or("")).unwrap_or_default();
        Ok(KmsOutput {
            key_id: answer["key_id"].as_str().map(str::to_string),
            plaintext: Zeroizing::new(bytes("plaintext")),
            ciphertext_blob: bytes("ciphertext_blob"),
        })
    }
}

impl Kms for Relay<'_> {
    type Error = String;
    fn generate_data_key(
        &mut self,
        r: &GenerateDataKeyRequest,
    ) -> Result<KmsOutput, HostError<String>> {
        self.call(
            json!({"kms": "GenerateDataKey", "key_id": r.key_id, "context": r.encryption_context}),
        )
    }
    fn encrypt(&mut self, r: &EncryptRequest) -> Result<KmsOutput, HostError<String>> {
        self.call(
            json!({"kms": "Encrypt", "key_id": r.key_id, "context": r.encryption_context,
                         "plaintext": hex::encode(r.plaintext.expose_secret())}),
        )
    }
    fn decrypt(&mut self, r: &DecryptRequest) -> Result<KmsOutput, HostError<String>> {
        self.call(
            json!({"kms": "Decrypt", "key_id": r.key_id, "context": r.encryption_context,
                         "ciphertext_blob": hex::encode(&r.ciphertext_blob)}),
        )
    }
}

type Failure = Box<dyn std::error::Error>;

fn session_error(e: SessionError<String>) -> Failure {
    match e {
        SessionError::Failed { error, .. } => error.into(),
        SessionError::Aborted(message) => message.into(),
    }
}

fn keyring(spec: &Value) -> Result<Keyring, Failure> {
    let text = |name: &str| spec[name].as_str().unwrap_or_default().to_string();
    Ok(match spec["type"].as_str() {
        Some("raw-aes") => Keyring::RawAes(RawAesKeyring::new(
            &text("key_namespace"),
            &text("key_name"),
            &hex::decode(text("wrapping_key"))?,
        )?),
        Some("kms") => {
            let ids: Vec<String> = serde_json::from_value(spec["key_ids"].clone())?;
            Keyring::KmsMrk(KmsMrkKeyring::new(ids)?)
        }
        Some("kms-discovery") => {
            Keyring::KmsMrkDiscovery(KmsMrkDiscoveryKeyring::new(text("region"), None)?)
        }
        other => return Err(format!("unknown keyring type {other:?}").into()),
    })
}

fn context(value: &Value) -> Result<EncryptionContext, Failure> {
    Ok(if value.is_null() {
        BTreeMap::new()
    } else {
        serde_json::from_value(value.clone())?
    })
}

fn run(request: &Value, kms: &mut Relay) -> Result<Value, Failure> {
    let keyring = keyring(&request["keyring"])?;
    let ctx = context(&request["context"])?;
    let limits = Limits::default();
    let text = |name: &str| request[name].as_str().map(str::to_string);
    match request["op"].as_str() {
        Some("encrypt") => {
            let plaintext = hex::decode(text("plaintext").unwrap_or_default())?;
            let materials =
                encryption_materials(&keyring, kms, &ctx, &limits).map_err(session_error)?;
            let mut options = EncryptOptions::default();
            if let Some(n) = request["frame_length"].as_u64() {
                options.frame_length = n as u32;
            }
            let message = mrkenv::encrypt(materials, &plaintext, &options)?;
            Ok(json!({"ciphertext": hex::encode(message)}))
        }
        Some("decrypt") => {
            let message = hex::decode(text("ciphertext").unwrap_or_default())?;
            let header = mrkenv::parse_header(&message, &limits)?;
            check_required_context(&header.encryption_context, &ctx)?;
            let key = data_key(
                &keyring,
                kms,
                &header.encrypted_data_keys,
                &header.encryption_context,
            )
            .map_err(session_error)?;
            let options = DecryptOptions {
                limits,
                required_context: ctx,
            };
            let plaintext = mrkenv::decrypt(&message, &key, &options)?;
            Ok(json!({"plaintext": hex::encode(plaintext)}))
        }
        Some("encrypt_record") => {
            let item = item_from_json_value(&request["item"])?;
            let mut options = EncryptRecordOptions::new(
                text("table_name").unwrap_or_default(),
                text("partition_key").unwrap_or_default(),
            );
            options.sort_key = text("sort_key");
            options.encryption_context = ctx;
            let actions: BTreeMap<String, String> =
                serde_json::from_value(request["actions"].clone())?;
            for (name, action) in actions {
                options.actions.insert(name, action.parse()?);
            }
            if let Some(default) = text("default_action") {
                options.default_action = Some(default.parse()?);
            }
            let out = encrypt_record(item, &keyring, kms, &options).map_err(session_error)?;
            Ok(json!({"item": item_to_json_value(&out)}))
        }
        Some("decrypt_record") => {
            let item = item_from_json_value(&request["item"])?;
            let mut options = DecryptRecordOptions::new(
                text("table_name").unwrap_or_default(),
                text("partition_key").unwrap_or_default(),
            );
            options.sort_key = text("sort_key");
            options.required_context = ctx;
            let out = decrypt_record(item, &keyring, kms, &options).map_err(session_error)?;
            Ok(json!({"item": item_to_json_value(&out)}))
        }
        other => Err(format!("unknown op {other:?}").into()),
    }
}

fn main() -> Result<(), Failure> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut line = String::new();
    input.read_line(&mut line)?;
    let request: Value = serde_json::from_str(&line)?;
    let answer = match run(&request, &mut Relay { input: &mut input }) {
        Ok(answer) => answer,
        Err(e) => json!({"error": "Error", "message": e.to_string()}),
    };
    println!("{}", json!({ "answer": answer }));
    Ok(())
}
