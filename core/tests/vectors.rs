//! The shared vectors in `tests/vectors/`: the committed files are exactly
//! what the generator writes, and each one decrypts (or fails) as it says.

#[path = "support/vector_gen.rs"]
mod vector_gen;

use std::collections::BTreeMap;
use std::path::PathBuf;

use mrkenv::keyring::{DecryptResponse, KmsMrkKeyring, RawAesKeyring};
use mrkenv::{
    decrypt, mrk_match, parse_header, DataKey, DecryptOptions, EncryptionContext, Error, Limits,
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

/// Decrypts a vector the way a binding would, with a scripted KMS for aws-kms.
fn decrypt_vector(v: &Value) -> Result<Vec<u8>, Error> {
    let message = hex_field(v, "ciphertext");
    let data_key = hex_field(v, "data_key");
    let keyring = v.get("decrypt_keyring").unwrap_or(&v["keyring"]);
    let options = DecryptOptions {
        limits: Limits::default(),
        required_context: context_field(v, "required_encryption_context"),
    };
    let header = parse_header(&message, &options.limits)?;
    mrkenv::check_required_context(&header.encryption_context, &options.required_context)?;
    let key = match keyring["type"].as_str().unwrap() {
        "raw-aes" => RawAesKeyring::new(
            keyring["key_namespace"].as_str().unwrap(),
            keyring["key_name"].as_str().unwrap(),
            &hex_field(keyring, "wrapping_key"),
        )?
        .unwrap_data_key(&header)?,
        "aws-kms" => {
            let ids: Vec<String> = serde_json::from_value(keyring["key_ids"].clone()).unwrap();
            let responses = keyring["kms_responses"].as_array().unwrap();
            let ring = KmsMrkKeyring::new(ids)?;
            let plan = ring.decrypt_requests(&header)?;
            let mut attempts = plan.skipped.clone();
            let mut found = None;
            for request in &plan.requests {
                // The scripted KMS of tests/vectors/README.md.
                let known = responses.iter().any(|r| {
                    hex_field(r, "ciphertext_blob") == request.ciphertext_blob
                        && mrk_match(&request.key_id, r["key_id"].as_str().unwrap()).unwrap()
                });
                if !known {
                    attempts.push(mrkenv::Attempt {
                        key_id: request.key_id.clone(),
                        reason: "scripted KMS: unknown ciphertext".into(),
                    });
                    continue;
                }
                match ring.accept_decrypt(
                    request,
                    DecryptResponse {
                        key_id: Some(&request.key_id),
                        plaintext: &data_key,
                    },
                ) {
                    Ok(key) => {
                        found = Some(key);
                        break;
                    }
                    Err(e) => attempts.push(mrkenv::Attempt {
                        key_id: request.key_id.clone(),
                        reason: e.to_string(),
                    }),
                }
            }
            found.ok_or_else(|| mrkenv::keyring::no_decryptable_key(attempts))?
        }
        other => panic!("unknown keyring type {other}"),
    };
    decrypt(&message, &key, &options)
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
