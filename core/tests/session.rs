//! The KMS conversation: the sans-IO sessions (`next` / `answer`) and the
//! blocking driver over the `Kms` trait, with a scripted KMS.

use std::collections::VecDeque;

use mrkenv::keyring::{
    DecryptRequest, DiscoveryFilter, EncryptRequest, GenerateDataKeyRequest, Keyring,
    KmsMrkDiscoveryKeyring, KmsMrkKeyring, RawAesKeyring,
};
use mrkenv::session::{
    drive, driver, HostError, Kms, KmsOutput, KmsRequest, KmsResponse, SessionError, Step,
};
use mrkenv::{EncryptedDataKey, EncryptionContext, Error, ErrorKind, Limits};
use zeroize::Zeroizing;

const MRK_EAST: &str =
    "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const MRK_WEST: &str =
    "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const SRK_EAST: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const SRK_WEST: &str =
    "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn context() -> EncryptionContext {
    [("tenant".to_string(), "acme".to_string())].into()
}

fn kms_edk(arn: &str, blob: u8) -> EncryptedDataKey {
    EncryptedDataKey {
        provider_id: "aws-kms".into(),
        provider_info: arn.into(),
        ciphertext: vec![blob; 8],
    }
}

fn strict(ids: &[&str]) -> Keyring {
    KmsMrkKeyring::new(ids.iter().copied()).unwrap().into()
}

fn ok(key_id: &str, plaintext: &[u8], blob: &[u8]) -> KmsOutput {
    KmsOutput {
        key_id: Some(key_id.to_string()),
        plaintext: Zeroizing::new(plaintext.to_vec()),
        ciphertext_blob: blob.to_vec(),
    }
}

/// A KMS that answers from a script and records every call it got.
#[derive(Default)]
struct ScriptedKms {
    answers: VecDeque<Result<KmsOutput, HostError<String>>>,
    calls: Vec<(&'static str, String, EncryptionContext)>,
}

impl ScriptedKms {
    fn new(answers: Vec<Result<KmsOutput, HostError<String>>>) -> Self {
        ScriptedKms {
            answers: answers.into(),
            calls: Vec::new(),
        }
    }

    fn answer(
        &mut self,
        operation: &'static str,
        key_id: &str,
        context: &EncryptionContext,
    ) -> Result<KmsOutput, HostError<String>> {
        self.calls
            .push((operation, key_id.to_string(), context.clone()));
        self.answers.pop_front().expect("no more scripted answers")
    }
}

impl Kms for ScriptedKms {
    type Error = String;
    fn generate_data_key(
        &mut self,
        r: &GenerateDataKeyRequest,
    ) -> Result<KmsOutput, HostError<String>> {
        assert_eq!(r.number_of_bytes, 32, "NumberOfBytes comes from the suite");
        self.answer("GenerateDataKey", &r.key_id, &r.encryption_context)
    }
    fn encrypt(&mut self, r: &EncryptRequest) -> Result<KmsOutput, HostError<String>> {
        self.answer("Encrypt", &r.key_id, &r.encryption_context)
    }
    fn decrypt(&mut self, r: &DecryptRequest) -> Result<KmsOutput, HostError<String>> {
        self.answer("Decrypt", &r.key_id, &r.encryption_context)
    }
}

fn failed(message: &str) -> Result<KmsOutput, HostError<String>> {
    Err(HostError::Failed {
        message: message.to_string(),
        error: format!("host error: {message}"),
    })
}

#[test]
fn encrypt_session_generates_then_wraps_with_every_other_key() {
    let keyring = strict(&[MRK_EAST, SRK_EAST]);
    let mut session = keyring
        .encrypt_session(&context(), &Limits::default())
        .unwrap();
    match session.next() {
        Step::Call {
            attempt: 0,
            request: KmsRequest::GenerateDataKey(r),
        } => {
            assert_eq!(r.key_id, MRK_EAST);
            assert_eq!(r.number_of_bytes, 32);
            assert_eq!(r.encryption_context, context());
        }
        other => panic!("expected GenerateDataKey, got {other:?}"),
    }
    // Asking again before answering repeats the same call.
    assert!(matches!(
        session.next(),
        Step::Call { attempt: 0, request } if request.operation() == "GenerateDataKey"
    ));
    session
        .answer(Ok(KmsResponse {
            key_id: Some(MRK_EAST),
            plaintext: &[9; 32],
            ciphertext_blob: b"blob-1",
        }))
        .unwrap();
    match session.next() {
        Step::Call {
            attempt: 1,
            request: KmsRequest::Encrypt(r),
        } => {
            assert_eq!(r.key_id, SRK_EAST);
            assert_eq!(r.plaintext.expose_secret(), &[9; 32]);
        }
        other => panic!("expected Encrypt, got {other:?}"),
    }
    session
        .answer(Ok(KmsResponse {
            key_id: Some(SRK_EAST),
            ciphertext_blob: b"blob-2",
            ..Default::default()
        }))
        .unwrap();
    let Step::Done(materials) = session.next() else {
        panic!("expected the materials")
    };
    assert_eq!(materials.data_key.expose_secret(), &[9; 32]);
    let infos: Vec<_> = materials
        .encrypted_data_keys
        .iter()
        .map(|e| (e.provider_info.as_str(), e.ciphertext.as_slice()))
        .collect();
    assert_eq!(
        infos,
        [(MRK_EAST, &b"blob-1"[..]), (SRK_EAST, &b"blob-2"[..])]
    );
    assert_eq!(materials.encryption_context, context());
    // The result is handed out once.
    match session.next() {
        Step::Failed(e) => assert_eq!(e.kind(), ErrorKind::InvalidArgument),
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[test]
fn answer_without_a_pending_call_is_refused() {
    let keyring = strict(&[MRK_EAST]);
    let mut session = keyring
        .encrypt_session(&context(), &Limits::default())
        .unwrap();
    let _ = session.next();
    session.answer(Err("boom".into())).unwrap();
    let err = session.answer(Err("again".into())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(
        err.to_string().contains("without a pending KMS call"),
        "{err}"
    );
}

#[test]
fn encrypt_host_error_ends_the_session_and_is_the_cause() {
    let keyring = strict(&[MRK_EAST, SRK_EAST]);
    let mut kms = ScriptedKms::new(vec![
        Ok(ok(MRK_EAST, &[1; 32], b"blob")),
        failed("AccessDeniedException: no"),
    ]);
    let err = driver::encryption_materials(&keyring, &mut kms, &context(), &Limits::default())
        .unwrap_err();
    let SessionError::Failed {
        error,
        host_errors,
        cause,
    } = &err
    else {
        panic!("expected Failed")
    };
    assert_eq!(error.kind(), ErrorKind::Keyring);
    assert_eq!(
        error.to_string(),
        format!("KMS Encrypt for {SRK_EAST} failed: AccessDeniedException: no")
    );
    assert_eq!(host_errors.len(), 1);
    assert_eq!(*cause, Some(1));
    assert_eq!(
        err.cause().map(String::as_str),
        Some("host error: AccessDeniedException: no")
    );
}

#[test]
fn encrypt_rejected_response_fails_without_a_cause() {
    let keyring = strict(&[MRK_EAST]);
    let mut kms = ScriptedKms::new(vec![Ok(ok(MRK_EAST, &[1; 16], b"blob"))]);
    let err = driver::encryption_materials(&keyring, &mut kms, &context(), &Limits::default())
        .unwrap_err();
    let SessionError::Failed { error, cause, .. } = &err else {
        panic!("expected Failed")
    };
    assert_eq!(error.kind(), ErrorKind::Keyring);
    assert!(
        error.to_string().contains("16 bytes, expected 32"),
        "{error}"
    );
    assert_eq!(*cause, None);
    assert!(err.cause().is_none());
}

#[test]
fn encrypt_checks_limits_before_any_call() {
    let keyring = strict(&[MRK_EAST, SRK_EAST]);
    let limits = Limits {
        max_encrypted_data_keys: 1,
        ..Limits::default()
    };
    let err = keyring.encrypt_session(&context(), &limits).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
}

#[test]
fn discovery_keyring_cannot_encrypt() {
    let keyring: Keyring = KmsMrkDiscoveryKeyring::new("us-west-2", None)
        .unwrap()
        .into();
    assert!(!keyring.can_encrypt());
    assert!(keyring.uses_kms());
    let err = keyring
        .encrypt_session(&context(), &Limits::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Keyring);
    assert!(err.to_string().contains("cannot encrypt"), "{err}");
    let err = keyring
        .encryption_materials_with(
            &context(),
            &Limits::default(),
            mrkenv::DataKey::from_slice(&[0; 32]).unwrap(),
            [0; 12],
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Keyring);
}

#[test]
fn decrypt_tries_in_order_keeps_every_attempt_and_the_last_host_error_is_the_cause() {
    // Strict keyring configured in us-west-2: the us-east-1 MRK EDK is asked
    // with the configured replica; the single-Region east key is skipped.
    let keyring = strict(&[MRK_WEST, SRK_WEST]);
    let edks = [
        kms_edk(SRK_EAST, 1),
        kms_edk(MRK_EAST, 2),
        kms_edk(SRK_WEST, 3),
        kms_edk(MRK_WEST, 4),
    ];
    let mut kms = ScriptedKms::new(vec![
        failed("throttled"),
        Ok(ok(MRK_EAST, &[5; 32], b"")), // wrong KeyId: rejected by the core
        failed("AccessDenied"),
    ]);
    let err = driver::data_key(&keyring, &mut kms, &edks, &context()).unwrap_err();
    let calls: Vec<_> = kms
        .calls
        .iter()
        .map(|(op, k, _)| (*op, k.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("Decrypt", MRK_WEST),
            ("Decrypt", SRK_WEST),
            ("Decrypt", MRK_WEST)
        ]
    );
    assert!(kms.calls.iter().all(|(_, _, c)| *c == context()));
    let SessionError::Failed {
        error,
        host_errors,
        cause,
    } = &err
    else {
        panic!("expected Failed")
    };
    assert_eq!(error.kind(), ErrorKind::NoDecryptableKey);
    let attempts = error.attempts();
    assert_eq!(attempts.len(), 4);
    assert_eq!(attempts[0].key_id, SRK_EAST);
    assert!(attempts[0].reason.starts_with("skipped"));
    assert_eq!(attempts[1].reason, "KMS Decrypt failed: throttled");
    assert!(attempts[2].reason.contains("is not the key that was asked"));
    assert_eq!(attempts[3].reason, "KMS Decrypt failed: AccessDenied");
    let indices: Vec<usize> = host_errors.iter().map(|(i, _)| *i).collect();
    assert_eq!(indices, [1, 3]);
    assert_eq!(*cause, Some(3));
    assert_eq!(
        err.cause().map(String::as_str),
        Some("host error: AccessDenied")
    );
}

#[test]
fn decrypt_first_accepted_answer_wins() {
    let keyring = strict(&[MRK_WEST]);
    let edks = [kms_edk(MRK_EAST, 1), kms_edk(MRK_EAST, 2)];
    let mut session = keyring.decrypt_session(&edks, &context()).unwrap();
    let Step::Call {
        attempt: 0,
        request: KmsRequest::Decrypt(r),
    } = session.next()
    else {
        panic!("expected Decrypt")
    };
    // The configured replica is asked, never the EDK's ARN.
    assert_eq!(r.key_id, MRK_WEST);
    assert_eq!(r.ciphertext_blob, vec![1; 8]);
    assert_eq!(r.edk_index, 1);
    session
        .answer(Ok(KmsResponse {
            key_id: Some(MRK_WEST),
            plaintext: &[7; 32],
            ..Default::default()
        }))
        .unwrap();
    let Step::Done(key) = session.next() else {
        panic!("expected the data key")
    };
    assert_eq!(key.expose_secret(), &[7; 32]);
}

#[test]
fn decrypt_with_nothing_to_try_fails_with_the_skips() {
    let keyring = strict(&[MRK_WEST]);
    let mut session = keyring
        .decrypt_session(&[kms_edk(SRK_EAST, 1)], &context())
        .unwrap();
    let Step::Failed(err) = session.next() else {
        panic!("expected Failed")
    };
    assert_eq!(err.kind(), ErrorKind::NoDecryptableKey);
    assert_eq!(err.attempts().len(), 1);
    assert_eq!(session.cause_attempt(), None);
}

#[test]
fn decrypt_with_an_alias_or_bare_key_id_names_them_and_says_arns_only() {
    let alias = "alias/my-app";
    let bare = "mrk-1234abcd12ab34cd56ef1234567890ab";
    let alias_arn = "arn:aws:kms:us-east-1:111122223333:alias/my-app";
    let keyring = strict(&[alias, bare, alias_arn]);
    // A message written with the alias carries the key ARN KMS answered.
    let mut session = keyring
        .decrypt_session(&[kms_edk(MRK_EAST, 1)], &context())
        .unwrap();
    let Step::Failed(err) = session.next() else {
        panic!("expected Failed")
    };
    assert_eq!(err.kind(), ErrorKind::NoDecryptableKey);
    // The attempts are still listed, one per encrypted data key.
    assert_eq!(err.attempts().len(), 1);
    let message = err.to_string();
    assert!(message.contains(MRK_EAST), "{message}");
    assert!(
        message.contains("Decrypt matches key ARNs only"),
        "{message}"
    );
    assert!(
        message.contains(&format!("{alias}, {bare}, {alias_arn}")),
        "{message}"
    );
    let Error::NoDecryptableKey { not_key_arns, .. } = err.clone() else {
        panic!("{err:?}")
    };
    assert_eq!(not_key_arns, [alias, bare, alias_arn]);

    // Key ARNs only: no such note.
    let mut session = strict(&[MRK_WEST])
        .decrypt_session(&[kms_edk(SRK_EAST, 1)], &context())
        .unwrap();
    let Step::Failed(err) = session.next() else {
        panic!("expected Failed")
    };
    assert!(!err.to_string().contains("ARNs only"), "{err}");
}

#[test]
fn decrypt_session_refuses_bad_provider_info_before_any_call() {
    let keyring = strict(&[MRK_WEST]);
    let edks = [kms_edk(MRK_EAST, 1), kms_edk("alias/nope", 2)];
    let err = keyring.decrypt_session(&edks, &context()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Keyring);
    assert!(err.to_string().contains("encrypted data key 2"), "{err}");
}

#[test]
fn discovery_session_asks_the_keyring_region() {
    let filter = DiscoveryFilter::new("aws", ["111122223333"]).unwrap();
    let keyring: Keyring = KmsMrkDiscoveryKeyring::new("us-west-2", Some(filter))
        .unwrap()
        .into();
    let mut kms = ScriptedKms::new(vec![Ok(ok(MRK_WEST, &[3; 32], b""))]);
    let key = driver::data_key(&keyring, &mut kms, &[kms_edk(MRK_EAST, 1)], &context()).unwrap();
    assert_eq!(key.expose_secret(), &[3; 32]);
    assert_eq!(kms.calls[0].1, MRK_WEST);
}

#[test]
fn abort_stops_the_conversation_at_once() {
    let keyring = strict(&[MRK_WEST]);
    let edks = [kms_edk(MRK_EAST, 1), kms_edk(MRK_EAST, 2)];
    let mut kms = ScriptedKms::new(vec![Err(HostError::Abort("interrupted".to_string()))]);
    let err = driver::data_key(&keyring, &mut kms, &edks, &context()).unwrap_err();
    assert!(matches!(&err, SessionError::Aborted(e) if e == "interrupted"));
    assert_eq!(kms.calls.len(), 1);
}

#[test]
fn raw_aes_sessions_need_no_kms() {
    let keyring: Keyring = RawAesKeyring::new("ns", "name", &[4; 32]).unwrap().into();
    assert!(keyring.can_encrypt());
    assert!(!keyring.uses_kms());
    let materials =
        driver::encryption_materials(&keyring, &mut driver::NoKms, &context(), &Limits::default())
            .unwrap();
    let mut session = keyring
        .decrypt_session(&materials.encrypted_data_keys, &context())
        .unwrap();
    let key = drive(&mut session, &mut driver::NoKms).unwrap();
    assert_eq!(key.expose_secret(), materials.data_key.expose_secret());
    // The wrong context: the raw AES unwrap fails with every attempt listed.
    let other: EncryptionContext = [("tenant".to_string(), "evil".to_string())].into();
    let err = driver::data_key(
        &keyring,
        &mut driver::NoKms,
        &materials.encrypted_data_keys,
        &other,
    )
    .unwrap_err();
    let SessionError::Failed { error, .. } = err else {
        panic!("expected Failed")
    };
    assert_eq!(error.kind(), ErrorKind::NoDecryptableKey);
    assert!(keyring
        .decrypt_plan(&materials.encrypted_data_keys, &context())
        .unwrap()
        .requests
        .is_empty());
}

#[test]
fn no_kms_aborts_with_a_clear_error() {
    let keyring = strict(&[MRK_WEST]);
    let err = driver::data_key(
        &keyring,
        &mut driver::NoKms,
        &[kms_edk(MRK_EAST, 1)],
        &context(),
    )
    .unwrap_err();
    let SessionError::Aborted(e) = err else {
        panic!("expected Aborted")
    };
    assert!(e.to_string().contains("no KMS client"), "{e}");
}

#[test]
fn discovery_filter_validates_on_its_own() {
    let ok = DiscoveryFilter::new("aws", ["111122223333"]).unwrap();
    assert_eq!(ok.partition, "aws");
    for (partition, accounts, needle) in [
        ("", vec!["111122223333"], "partition"),
        ("aws:x", vec!["111122223333"], "partition"),
        ("aws", vec![], "at least one account"),
        ("aws", vec![""], "account id"),
        ("aws", vec!["1:2"], "account id"),
    ] {
        let err: Error = DiscoveryFilter::new(partition, accounts).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Keyring);
        assert!(err.to_string().contains(needle), "{err}");
    }
}

#[test]
fn records_use_the_same_session_across_regions() {
    use mrkenv::record::{
        self, Action, AttributeValue, DecryptRecordOptions, EncryptRecordOptions, Item,
    };
    let mut item = Item::new();
    item.insert("employeeId".into(), AttributeValue::S("1234".into()));
    item.insert("name".into(), AttributeValue::S("Andy".into()));
    let mut options = EncryptRecordOptions::new("global-table-example", "employeeId");
    options
        .actions
        .insert("employeeId".into(), Action::SignOnly);
    options
        .actions
        .insert("name".into(), Action::EncryptAndSign);

    let mut east = ScriptedKms::new(vec![Ok(ok(MRK_EAST, &[8; 32], b"wrapped"))]);
    let encrypted =
        record::encrypt_record(item.clone(), &strict(&[MRK_EAST]), &mut east, &options).unwrap();
    assert_eq!(encrypted["employeeId"], item["employeeId"]);
    assert_ne!(encrypted["name"], item["name"]);
    let (op, key, context) = &east.calls[0];
    assert_eq!((*op, key.as_str()), ("GenerateDataKey", MRK_EAST));
    assert_eq!(context["aws-mrkenv:table"], "global-table-example");

    // In us-west-2, the replica is asked, with the record's context.
    let mut west = ScriptedKms::new(vec![Ok(ok(MRK_WEST, &[8; 32], b""))]);
    let options = DecryptRecordOptions::new("global-table-example", "employeeId");
    let decrypted =
        record::decrypt_record(encrypted.clone(), &strict(&[MRK_WEST]), &mut west, &options)
            .unwrap();
    assert_eq!(decrypted, item);
    assert_eq!(west.calls[0].1, MRK_WEST);
    assert_eq!(west.calls[0].2, *context);

    // A client failure is kept as the cause, as for messages.
    let mut failing = ScriptedKms::new(vec![failed("AccessDenied")]);
    let err = record::decrypt_record(encrypted, &strict(&[MRK_WEST]), &mut failing, &options)
        .unwrap_err();
    assert_eq!(
        err.cause().map(String::as_str),
        Some("host error: AccessDenied")
    );
}

#[test]
fn wrap_session_encrypts_an_existing_key_with_every_key_and_never_generates() {
    let keyring = strict(&[SRK_WEST, MRK_WEST]);
    let data_key = mrkenv::DataKey::new([5; 32]);
    let mut kms = ScriptedKms::new(vec![
        Ok(ok(SRK_WEST, &[], b"wrapped-1")),
        Ok(ok(MRK_WEST, &[], b"wrapped-2")),
    ]);
    let materials = driver::wrap_data_key(
        &keyring,
        &mut kms,
        &data_key,
        &context(),
        &Limits::default(),
    )
    .unwrap();
    let ops: Vec<_> = kms
        .calls
        .iter()
        .map(|(op, id, _)| (*op, id.as_str()))
        .collect();
    assert_eq!(ops, [("Encrypt", SRK_WEST), ("Encrypt", MRK_WEST)]);
    assert!(kms.calls.iter().all(|(_, _, c)| *c == context()));
    assert_eq!(materials.data_key.expose_secret(), &[5; 32]);
    let infos: Vec<_> = materials
        .encrypted_data_keys
        .iter()
        .map(|e| (e.provider_info.as_str(), e.ciphertext.as_slice()))
        .collect();
    assert_eq!(
        infos,
        [(SRK_WEST, &b"wrapped-1"[..]), (MRK_WEST, &b"wrapped-2"[..])]
    );
}

#[test]
fn wrap_session_steps_attempts_and_keeps_the_cause_rule() {
    let keyring = strict(&[SRK_WEST, MRK_WEST]);
    let data_key = mrkenv::DataKey::new([5; 32]);
    let mut session = keyring
        .wrap_session(&data_key, &context(), &Limits::default())
        .unwrap();
    match session.next() {
        Step::Call {
            attempt: 0,
            request: KmsRequest::Encrypt(r),
        } => {
            assert_eq!(r.key_id, SRK_WEST);
            assert_eq!(r.plaintext.expose_secret(), &[5; 32]);
        }
        other => panic!("expected Encrypt, got {other:?}"),
    }
    session
        .answer(Ok(KmsResponse {
            key_id: Some(SRK_WEST),
            ciphertext_blob: b"w1",
            ..Default::default()
        }))
        .unwrap();
    assert!(matches!(
        session.next(),
        Step::Call { attempt: 1, request } if request.key_id() == MRK_WEST
    ));
    session.answer(Err("AccessDenied".into())).unwrap();
    match session.next() {
        Step::Failed(e) => {
            assert_eq!(e.kind(), ErrorKind::Keyring);
            assert!(e.to_string().contains("KMS Encrypt for"), "{e}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    assert_eq!(session.cause_attempt(), Some(1));
}

#[test]
fn wrap_session_raw_aes_is_local_discovery_cannot_and_limits_come_first() {
    let data_key = mrkenv::DataKey::new([5; 32]);
    let raw = Keyring::from(RawAesKeyring::new("ns", "k2", &[3; 32]).unwrap());
    let mut session = raw
        .wrap_session(&data_key, &context(), &Limits::default())
        .unwrap();
    let Step::Done(materials) = session.next() else {
        panic!("raw AES wraps without a call")
    };
    assert_eq!(materials.encrypted_data_keys.len(), 1);
    assert_eq!(materials.encrypted_data_keys[0].provider_info, "k2");
    let Keyring::RawAes(ring) = &raw else {
        unreachable!()
    };
    let unwrapped = ring
        .unwrap(&materials.encrypted_data_keys, &context())
        .unwrap();
    assert_eq!(unwrapped.expose_secret(), &[5; 32]);

    let discovery = Keyring::from(KmsMrkDiscoveryKeyring::new("us-west-2", None).unwrap());
    let err = discovery
        .wrap_session(&data_key, &context(), &Limits::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Keyring);

    let limits = Limits {
        max_encrypted_data_keys: 1,
        ..Limits::default()
    };
    let err = strict(&[SRK_WEST, MRK_WEST])
        .wrap_session(&data_key, &context(), &limits)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
}
