//! Keyring rules of DESIGN.md: what the strict, discovery and raw AES keyrings
//! ask KMS, which answers they accept, and the error a failed decrypt carries.

use mrkenv::keyring::{
    DecryptResponse, DiscoveryFilter, EncryptResponse, GenerateDataKeyResponse,
    KmsMrkDiscoveryKeyring, KmsMrkKeyring, RawAesKeyring,
};
use mrkenv::{
    decrypt, encrypt, parse_header, DataKey, DecryptOptions, EncryptOptions, EncryptedDataKey,
    EncryptionContext, EncryptionMaterials, ErrorKind, Header, Limits, Suite,
};

const MRK_EAST: &str =
    "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const MRK_WEST: &str =
    "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const SRK_EAST: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const SRK_WEST: &str =
    "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const OTHER_ACCOUNT_MRK: &str =
    "arn:aws:kms:us-east-1:444455556666:key/mrk-1234abcd12ab34cd56ef1234567890ab";

fn context() -> EncryptionContext {
    [("purpose".to_string(), "test".to_string())].into()
}

fn kms_edk(arn: &str, blob: u8) -> EncryptedDataKey {
    EncryptedDataKey {
        provider_id: "aws-kms".into(),
        provider_info: arn.into(),
        ciphertext: vec![blob; 8],
    }
}

fn header_with(edks: Vec<EncryptedDataKey>) -> Header {
    Header {
        suite: Suite::Aes256GcmHkdfSha512Committed,
        message_id: [1; 32],
        encryption_context: context(),
        encrypted_data_keys: edks,
        frame_length: 4096,
        commitment: [0; 32],
    }
}

#[test]
fn strict_encrypt_asks_generate_then_encrypt_with_context() {
    let keyring = KmsMrkKeyring::new([MRK_EAST, SRK_EAST]).unwrap();
    let request = keyring
        .generate_data_key_request(&context(), &Limits::default())
        .unwrap();
    assert_eq!(request.key_id, MRK_EAST);
    assert_eq!(request.number_of_bytes, 32);
    assert_eq!(request.encryption_context, context());
    let (data_key, edk) = keyring
        .accept_generate_data_key(
            &request,
            GenerateDataKeyResponse {
                key_id: Some(MRK_EAST),
                plaintext: &[5; 32],
                ciphertext_blob: b"blob-1",
            },
        )
        .unwrap();
    assert_eq!(
        edk,
        EncryptedDataKey {
            provider_id: "aws-kms".into(),
            provider_info: MRK_EAST.into(),
            ciphertext: b"blob-1".to_vec(),
        }
    );
    let requests = keyring.encrypt_requests(&data_key, &context());
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].key_id, SRK_EAST);
    assert_eq!(requests[0].plaintext.expose_secret(), &[5; 32]);
    assert_eq!(requests[0].encryption_context, context());
    let edk = keyring
        .accept_encrypt(
            &requests[0],
            EncryptResponse {
                key_id: Some(SRK_EAST),
                ciphertext_blob: b"blob-2",
            },
        )
        .unwrap();
    assert_eq!(edk.provider_info, SRK_EAST);
}

#[test]
fn strict_encrypt_rejects_bad_responses() {
    let keyring = KmsMrkKeyring::new(["alias/app"]).unwrap();
    let request = keyring
        .generate_data_key_request(&context(), &Limits::default())
        .unwrap();
    let accept = |key_id, plaintext: &[u8], blob: &[u8]| {
        keyring
            .accept_generate_data_key(
                &request,
                GenerateDataKeyResponse {
                    key_id,
                    plaintext,
                    ciphertext_blob: blob,
                },
            )
            .unwrap_err()
    };
    let err = accept(Some(MRK_EAST), &[1; 16], b"b");
    assert_eq!(err.kind(), ErrorKind::Keyring);
    assert_eq!(
        err.to_string(),
        "KMS GenerateDataKey response for alias/app: plaintext data key is 16 bytes, expected 32"
    );
    let err = accept(Some("alias/app"), &[1; 32], b"b");
    assert!(
        err.to_string().contains("response KeyId is not a key ARN"),
        "{err}"
    );
    let err = accept(None, &[1; 32], b"b");
    assert!(err.to_string().contains("response has no KeyId"), "{err}");
    let err = accept(Some(MRK_EAST), &[1; 32], b"");
    assert!(err.to_string().contains("CiphertextBlob is empty"), "{err}");
    assert!(!err.to_string().contains("[1, 1"), "no key bytes in errors");
}

#[test]
fn strict_keyring_checks_limits_before_any_call() {
    let ids: Vec<String> = (0..3)
        .map(|i| format!("arn:aws:kms:us-east-1:111122223333:key/key-{i}"))
        .collect();
    let keyring = KmsMrkKeyring::new(ids).unwrap();
    let limits = Limits {
        max_encrypted_data_keys: 2,
        ..Limits::default()
    };
    let err = keyring
        .generate_data_key_request(&context(), &limits)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
}

#[test]
fn strict_keyring_construction_rules() {
    assert_eq!(
        KmsMrkKeyring::new(Vec::<String>::new()).unwrap_err().kind(),
        ErrorKind::Keyring
    );
    assert_eq!(
        KmsMrkKeyring::new(["key/abc"]).unwrap_err().kind(),
        ErrorKind::InvalidArn
    );
    let err = KmsMrkKeyring::new([MRK_EAST, SRK_EAST, MRK_WEST]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Keyring);
    assert!(err.to_string().contains(MRK_EAST) && err.to_string().contains(MRK_WEST));
}

#[test]
fn strict_decrypt_uses_the_configured_replica() {
    let keyring = KmsMrkKeyring::new([MRK_WEST]).unwrap();
    let header = header_with(vec![
        EncryptedDataKey {
            provider_id: "raw".into(),
            provider_info: "name".into(),
            ciphertext: vec![1],
        },
        kms_edk(SRK_EAST, 2),
        kms_edk(MRK_EAST, 3),
        kms_edk(OTHER_ACCOUNT_MRK, 4),
    ]);
    let plan = keyring
        .decrypt_plan(&header.encrypted_data_keys, &header.encryption_context)
        .unwrap();
    assert_eq!(plan.requests.len(), 1);
    let request = &plan.requests[0];
    assert_eq!(
        request.key_id, MRK_WEST,
        "KMS is called with the configured key"
    );
    assert_eq!(request.ciphertext_blob, vec![3; 8]);
    assert_eq!(request.encryption_context, context());
    assert_eq!(request.edk_index, 3);
    assert_eq!(plan.skipped.len(), 3);
    assert!(plan.skipped[0].reason.contains("not \"aws-kms\""));
    assert_eq!(plan.skipped[1].key_id, SRK_EAST);

    // The response KeyId must be the configured ARN, and the key 32 bytes.
    let ok = keyring.accept_decrypt(
        request,
        DecryptResponse {
            key_id: Some(MRK_WEST),
            plaintext: &[9; 32],
        },
    );
    assert_eq!(ok.unwrap().expose_secret(), &[9; 32]);
    let err = keyring
        .accept_decrypt(
            request,
            DecryptResponse {
                key_id: Some(MRK_EAST),
                plaintext: &[9; 32],
            },
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("is not the key that was asked"),
        "{err}"
    );
    let err = keyring
        .accept_decrypt(
            request,
            DecryptResponse {
                key_id: Some(MRK_WEST),
                plaintext: &[9; 31],
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("31 bytes"), "{err}");
}

#[test]
fn strict_decrypt_fails_on_bad_provider_info() {
    let keyring = KmsMrkKeyring::new([MRK_WEST]).unwrap();
    for info in ["not-an-arn", "arn:aws:kms:us-east-1:111122223333:alias/a"] {
        let header = header_with(vec![kms_edk(MRK_EAST, 1), kms_edk(info, 2)]);
        let err = keyring
            .decrypt_plan(&header.encrypted_data_keys, &header.encryption_context)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Keyring);
        assert!(
            err.to_string()
                .starts_with("encrypted data key 2: provider info"),
            "{err}"
        );
    }
}

#[test]
fn discovery_rewrites_mrk_regions_and_skips_foreign_single_region_keys() {
    let keyring = KmsMrkDiscoveryKeyring::new("us-west-2", None).unwrap();
    let header = header_with(vec![
        kms_edk(SRK_EAST, 1),
        kms_edk(MRK_EAST, 2),
        kms_edk(SRK_WEST, 3),
    ]);
    let plan = keyring
        .decrypt_plan(&header.encrypted_data_keys, &header.encryption_context)
        .unwrap();
    let asked: Vec<&str> = plan.requests.iter().map(|r| r.key_id.as_str()).collect();
    assert_eq!(asked, [MRK_WEST, SRK_WEST]);
    assert_eq!(plan.skipped.len(), 1);
    assert_eq!(plan.skipped[0].key_id, SRK_EAST);
    assert!(plan.skipped[0]
        .reason
        .contains("single-Region key in us-east-1"));
    // The answer must name the requested (rewritten) key.
    let err = keyring
        .accept_decrypt(
            &plan.requests[0],
            DecryptResponse {
                key_id: Some(MRK_EAST),
                plaintext: &[1; 32],
            },
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Keyring);
}

#[test]
fn discovery_filter_limits_partition_and_accounts() {
    let filter = DiscoveryFilter {
        partition: "aws".into(),
        account_ids: vec!["111122223333".into()],
    };
    let keyring = KmsMrkDiscoveryKeyring::new("us-west-2", Some(filter)).unwrap();
    let cn = "arn:aws-cn:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
    let header = header_with(vec![
        kms_edk(OTHER_ACCOUNT_MRK, 1),
        kms_edk(cn, 2),
        kms_edk(MRK_EAST, 3),
    ]);
    let plan = keyring
        .decrypt_plan(&header.encrypted_data_keys, &header.encryption_context)
        .unwrap();
    assert_eq!(plan.requests.len(), 1);
    assert_eq!(plan.requests[0].key_id, MRK_WEST);
    assert!(plan.skipped[0].reason.contains("account 444455556666"));
    assert!(plan.skipped[1].reason.contains("partition \"aws-cn\""));
}

#[test]
fn discovery_configuration_and_encrypt_are_refused() {
    let keyring = KmsMrkDiscoveryKeyring::new("us-west-2", None).unwrap();
    let err = keyring
        .generate_data_key_request(&context(), &Limits::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Keyring);
    assert_eq!(
        err.to_string(),
        "a discovery keyring cannot encrypt; use a KmsMrkKeyring with key ids"
    );
    assert!(KmsMrkDiscoveryKeyring::new("", None).is_err());
    let empty = DiscoveryFilter {
        partition: "aws".into(),
        account_ids: vec![],
    };
    assert!(KmsMrkDiscoveryKeyring::new("us-west-2", Some(empty)).is_err());
}

#[test]
fn raw_aes_round_trip_and_binding_to_context_and_names() {
    let keyring = RawAesKeyring::new("ns", "name", &[3; 32]).unwrap();
    let materials = keyring
        .encryption_materials(&context(), &Limits::default())
        .unwrap();
    let message = encrypt(materials, b"data", &EncryptOptions::default()).unwrap();
    let header = parse_header(&message, &Limits::default()).unwrap();
    let key = keyring.unwrap_data_key(&header).unwrap();
    assert_eq!(
        decrypt(&message, &key, &DecryptOptions::default()).unwrap(),
        b"data"
    );
    // Wrong wrapping key, wrong name, tampered context: every attempt reported.
    for other in [
        RawAesKeyring::new("ns", "name", &[4; 32]).unwrap(),
        RawAesKeyring::new("ns", "other", &[3; 32]).unwrap(),
    ] {
        let err = other.unwrap_data_key(&header).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NoDecryptableKey);
        assert_eq!(err.attempts().len(), 1);
        assert_eq!(err.attempts()[0].key_id, "ns/name");
    }
    let mut tampered = header.clone();
    tampered
        .encryption_context
        .insert("purpose".into(), "other".into());
    let err = keyring.unwrap_data_key(&tampered).unwrap_err();
    assert!(err.to_string().contains("does not authenticate"), "{err}");
}

#[test]
fn raw_aes_configuration_errors() {
    assert!(RawAesKeyring::new("aws-kms", "n", &[0; 32]).is_err());
    assert!(RawAesKeyring::new("", "n", &[0; 32]).is_err());
    assert!(RawAesKeyring::new("ns", "", &[0; 32]).is_err());
    let err = RawAesKeyring::new("ns", "n", &[0; 16]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "raw AES keyring: wrapping key must be 32 bytes, got 16 bytes"
    );
    let debug = format!("{:?}", RawAesKeyring::new("ns", "n", &[0xab; 32]).unwrap());
    assert!(
        debug.contains("REDACTED") && !debug.contains("171"),
        "{debug}"
    );
}

#[test]
fn no_decryptable_key_lists_every_attempt() {
    let err = mrkenv::keyring::no_decryptable_key(vec![
        mrkenv::Attempt {
            key_id: MRK_WEST.into(),
            reason: "AccessDenied".into(),
        },
        mrkenv::Attempt {
            key_id: SRK_EAST.into(),
            reason: "skipped: single-Region key in us-east-1, keyring is in us-west-2".into(),
        },
    ]);
    assert_eq!(err.kind(), ErrorKind::NoDecryptableKey);
    let message = err.to_string();
    assert!(message.starts_with("no encrypted data key could be decrypted (2 attempts)"));
    assert!(message.contains(&format!("{MRK_WEST}: AccessDenied")));
    assert!(message.contains(SRK_EAST));
}

#[test]
fn kms_materials_seal_a_message_that_opens_with_the_same_data_key() {
    let data_key = DataKey::new([8; 32]);
    let materials = EncryptionMaterials {
        data_key: data_key.clone(),
        encrypted_data_keys: vec![kms_edk(MRK_EAST, 1)],
        encryption_context: context(),
    };
    let message = encrypt(materials, b"hello", &EncryptOptions::default()).unwrap();
    let options = DecryptOptions {
        required_context: context(),
        ..Default::default()
    };
    assert_eq!(decrypt(&message, &data_key, &options).unwrap(), b"hello");
    let err = decrypt(&message, &DataKey::new([9; 32]), &options).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert_eq!(
        err.to_string(),
        "key commitment does not match: wrong data key or tampered header"
    );
}
