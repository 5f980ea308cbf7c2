//! The shared vectors in `tests/vectors/`: the committed files are exactly
//! what the generator writes, and each one decrypts (or fails) as it says.

#[path = "support/vector_gen.rs"]
mod vector_gen;

use std::collections::BTreeMap;
use std::path::PathBuf;

use mrkenv::keyring::{
    DecryptRequest, EncryptRequest, GenerateDataKeyRequest, Keyring, KmsMrkKeyring, RawAesKeyring,
};
use mrkenv::session::{driver, HostError, Kms, KmsOutput, SessionError};
use mrkenv::{
    decrypt, decrypt_in_place, decrypt_to_slice, mrk_match, parse_header, DataKey, DecryptOptions,
    Decryptor, EncryptionContext, Error, Header, Limits,
};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn hex_field(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(v[key].as_str().unwrap_or_else(|| panic!("missing {key}"))).unwrap()
}

fn context_field(v: &Value, key: &str) -> EncryptionContext {
    serde_json::from_value(v[key].clone()).unwrap()
}

fn options_of(v: &Value) -> DecryptOptions {
    DecryptOptions {
        limits: Limits::default(),
        required_context: context_field(v, "required_encryption_context"),
    }
}

/// Decrypts a vector the way a binding would, with a scripted KMS for aws-kms.
fn decrypt_vector(v: &Value) -> Result<Vec<u8>, Error> {
    let message = hex_field(v, "ciphertext");
    let options = options_of(v);
    let header = parse_header(&message, &options.limits)?;
    mrkenv::check_required_context(&header.encryption_context, &options.required_context)?;
    let key = data_key_for(v, &header)?;
    decrypt(&message, &key, &options)
}

/// Decrypts a vector with the streaming [`Decryptor`], fed `chunk` bytes at
/// a time; the keyring runs when the decryptor asks for the data key.
fn stream_vector(v: &Value, chunk: usize) -> Result<Vec<u8>, Error> {
    let message = hex_field(v, "ciphertext");
    let mut decryptor = Decryptor::new(options_of(v));
    let mut out = Vec::new();
    for piece in message.chunks(chunk) {
        decryptor.update(piece, &mut out)?;
        if decryptor.needs_data_key() {
            let key = data_key_for(v, decryptor.header().expect("header is read"))?;
            decryptor.set_data_key(&key, &mut out)?;
        }
    }
    decryptor.finish()?;
    Ok(out)
}

/// The scripted KMS of tests/vectors/README.md: it knows the ciphertext blobs
/// of the vector's responses (for any Region of their key) and answers with
/// the vector's data key; it ignores the encryption context.
struct ScriptedKms<'a> {
    responses: &'a [Value],
    data_key: &'a [u8],
}

impl Kms for ScriptedKms<'_> {
    type Error = ();
    fn generate_data_key(
        &mut self,
        _: &GenerateDataKeyRequest,
    ) -> Result<KmsOutput, HostError<Self::Error>> {
        unreachable!("vectors only decrypt")
    }
    fn encrypt(&mut self, _: &EncryptRequest) -> Result<KmsOutput, HostError<Self::Error>> {
        unreachable!("vectors only decrypt")
    }
    fn decrypt(&mut self, request: &DecryptRequest) -> Result<KmsOutput, HostError<Self::Error>> {
        let known = self.responses.iter().any(|r| {
            hex_field(r, "ciphertext_blob") == request.ciphertext_blob
                && mrk_match(&request.key_id, r["key_id"].as_str().unwrap()).unwrap()
        });
        if !known {
            return Err(HostError::Failed {
                message: "scripted KMS: unknown ciphertext".into(),
                error: (),
            });
        }
        Ok(KmsOutput {
            key_id: Some(request.key_id.clone()),
            plaintext: self.data_key.to_vec().into(),
            ciphertext_blob: Vec::new(),
        })
    }
}

/// The data key of a vector's header, from its (decrypt) keyring.
fn data_key_for(v: &Value, header: &Header) -> Result<DataKey, Error> {
    let data_key = hex_field(v, "data_key");
    let keyring = v.get("decrypt_keyring").unwrap_or(&v["keyring"]);
    let key = match keyring["type"].as_str().unwrap() {
        "raw-aes" => RawAesKeyring::new(
            keyring["key_namespace"].as_str().unwrap(),
            keyring["key_name"].as_str().unwrap(),
            &hex_field(keyring, "wrapping_key"),
        )?
        .unwrap_data_key(header)?,
        "aws-kms" => {
            let ids: Vec<String> = serde_json::from_value(keyring["key_ids"].clone()).unwrap();
            let ring = Keyring::from(KmsMrkKeyring::new(ids)?);
            let mut kms = ScriptedKms {
                responses: keyring["kms_responses"].as_array().unwrap(),
                data_key: &data_key,
            };
            driver::data_key(
                &ring,
                &mut kms,
                &header.encrypted_data_keys,
                &header.encryption_context,
            )
            .map_err(|e| match e {
                SessionError::Failed { error, .. } => error,
                SessionError::Aborted(()) => unreachable!("the scripted KMS never aborts"),
            })?
        }
        other => panic!("unknown keyring type {other}"),
    };
    Ok(key)
}

/// The outcome as the vectors write it: "ok" or the error kind.
fn outcome(result: Result<Vec<u8>, Error>) -> String {
    match result {
        Ok(_) => "ok".to_string(),
        Err(e) => e.kind().code().to_string(),
    }
}

#[test]
fn one_shot_and_streaming_decrypt_agree_on_every_vector() {
    for vector in vector_gen::all() {
        let v = &vector.json;
        let expected = v["error_kind"].as_str().unwrap_or("ok");
        let one_shot = outcome(decrypt_vector(v));
        assert_eq!(one_shot, expected, "{}: one-shot", vector.name);
        // The binding order with the required context in its §7.1 place.
        let message = hex_field(v, "ciphertext");
        let options = options_of(v);
        let checked = mrkenv::parse_header_with(&message, &options)
            .and_then(|header| data_key_for(v, &header))
            .and_then(|key| decrypt(&message, &key, &options));
        assert_eq!(
            outcome(checked),
            expected,
            "{}: parse_header_with",
            vector.name
        );
        for chunk in [1, 7, 100, usize::MAX] {
            let streamed = outcome(stream_vector(v, chunk));
            assert_eq!(streamed, expected, "{}: streaming by {chunk}", vector.name);
        }
        // With the vector's own data key, the slice and in-place paths agree
        // with the one-shot decrypt given that key.
        let key = DataKey::from_slice(&hex_field(v, "data_key")).unwrap();
        let whole = outcome(decrypt(&message, &key, &options));
        let mut out = vec![0u8; message.len()];
        let slice = outcome(decrypt_to_slice(&message, &key, &options, &mut out).map(|_| vec![]));
        let mut buffer = message.clone();
        let in_place = outcome(decrypt_in_place(&mut buffer, &key, &options).map(|()| vec![]));
        assert_eq!(slice, whole, "{}: decrypt_to_slice", vector.name);
        assert_eq!(in_place, whole, "{}: decrypt_in_place", vector.name);
    }
}

#[test]
fn no_keyring_runs_for_a_message_malformed_up_to_its_header_tag() {
    for name in ["err-truncated-after-header", "err-header-tag-17-bytes"] {
        let vector = vector_gen::all()
            .into_iter()
            .find(|v| v.name == name)
            .unwrap();
        let message = hex_field(&vector.json, "ciphertext");
        let err = parse_header(&message, &Limits::default()).unwrap_err();
        assert_eq!(err.kind().code(), "MalformedMessage", "{name}: {err}");
        let mut decryptor = Decryptor::new(DecryptOptions::default());
        let fed = decryptor.update(&message, &mut Vec::new());
        assert!(!decryptor.needs_data_key(), "{name}");
        assert!(decryptor.header().is_none(), "{name}: header handed out");
        let err = fed.and_then(|()| decryptor.finish()).unwrap_err();
        assert_eq!(err.kind().code(), "MalformedMessage", "{name}: {err}");
    }
}

#[test]
fn vectors_are_up_to_date() {
    let dir = vectors_dir();
    let vectors = vector_gen::all();
    let mut stale = Vec::new();
    for vector in &vectors {
        let path = dir.join(format!("{}.json", vector.name));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != vector_gen::file_text(vector) {
            stale.push(vector.name.clone());
        }
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".json").map(str::to_string)
        })
        .collect();
    on_disk.sort();
    let mut expected: Vec<String> = vectors.iter().map(|v| v.name.clone()).collect();
    expected.sort();
    assert_eq!(
        on_disk, expected,
        "tests/vectors has files the generator does not write"
    );
    assert!(
        stale.is_empty(),
        "vectors differ from the generator: {stale:?}; run `make vectors` after a deliberate format change"
    );
}

#[test]
fn every_vector_decrypts_as_expected() {
    let vectors = vector_gen::all();
    assert!(vectors.len() >= 20, "expected the full vector set");
    let mut kinds = BTreeMap::new();
    for vector in &vectors {
        let v = &vector.json;
        let outcome = decrypt_vector(v);
        match v["result"].as_str().unwrap() {
            "ok" => {
                let plaintext = outcome.unwrap_or_else(|e| panic!("{}: {e}", vector.name));
                assert_eq!(plaintext, hex_field(v, "plaintext"), "{}", vector.name);
            }
            "error" => {
                let err = match outcome {
                    Ok(_) => panic!("{}: decrypted but should fail", vector.name),
                    Err(e) => e,
                };
                let expected = v["error_kind"].as_str().unwrap();
                assert_eq!(err.kind().code(), expected, "{}: {err}", vector.name);
                *kinds.entry(expected.to_string()).or_insert(0) += 1;
            }
            other => panic!("unknown result {other}"),
        }
    }
    for kind in [
        "Authentication",
        "MalformedMessage",
        "NoDecryptableKey",
        "ContextMismatch",
        "LimitExceeded",
    ] {
        assert!(
            kinds.contains_key(kind),
            "no negative vector of kind {kind}"
        );
    }
}

#[test]
fn positive_vectors_reencrypt_byte_for_byte() {
    for vector in vector_gen::all() {
        let v = &vector.json;
        if !v["reencrypt"].as_bool().unwrap() {
            continue;
        }
        let keyring = &v["keyring"];
        if keyring["type"] != "raw-aes" {
            continue; // aws-kms materials are rebuilt by the generator itself
        }
        let ring = RawAesKeyring::new(
            keyring["key_namespace"].as_str().unwrap(),
            keyring["key_name"].as_str().unwrap(),
            &hex_field(keyring, "wrapping_key"),
        )
        .unwrap();
        let materials = ring
            .encryption_materials_with(
                &context_field(v, "encryption_context"),
                &Limits::default(),
                DataKey::from_slice(&hex_field(v, "data_key")).unwrap(),
                hex_field(v, "raw_aes_iv").try_into().unwrap(),
            )
            .unwrap();
        let options = mrkenv::EncryptOptions {
            frame_length: v["frame_length"].as_u64().unwrap() as u32,
            limits: Limits::default(),
            message_id: Some(hex_field(v, "message_id").try_into().unwrap()),
        };
        let message = mrkenv::encrypt(materials, &hex_field(v, "plaintext"), &options).unwrap();
        assert_eq!(message, hex_field(v, "ciphertext"), "{}", vector.name);
    }
}
