//! Re-keying a record: only the reserved header attribute and the tag
//! change; the data key is found and checked as decrypt does.

use mrkenv::keyring::{
    DecryptRequest, EncryptRequest, GenerateDataKeyRequest, Keyring, KmsMrkKeyring, RawAesKeyring,
};
use mrkenv::record::{
    self, Action, AttributeValue, DecryptRecordOptions, EncryptRecordOptions, Item, RecordHeader,
    HEADER_ATTRIBUTE, TAG_ATTRIBUTE,
};
use mrkenv::rekey::{rekey_record, RecordRekeyPlan, RekeyOptions};
use mrkenv::session::driver::{self, NoKms};
use mrkenv::session::{HostError, Kms, KmsOutput, SessionError};
use mrkenv::{EncryptionContext, Error, ErrorKind, Limits, Suite};

const TABLE: &str = "global-table-example";
const SRK_EAST: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const SRK_WEST: &str =
    "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn item() -> Item {
    let mut item = Item::new();
    item.insert("employeeId".into(), AttributeValue::S("1234".into()));
    item.insert("name".into(), AttributeValue::S("Andy".into()));
    item.insert("note".into(), AttributeValue::S("free".into()));
    item
}

fn encrypt_options() -> EncryptRecordOptions {
    let mut options = EncryptRecordOptions::new(TABLE, "employeeId");
    options
        .actions
        .insert("employeeId".into(), Action::SignOnly);
    options
        .actions
        .insert("name".into(), Action::EncryptAndSign);
    options.actions.insert("note".into(), Action::DoNothing);
    options
}

fn read_options() -> DecryptRecordOptions {
    DecryptRecordOptions::new(TABLE, "employeeId")
}

fn raw(name: &str, byte: u8) -> Keyring {
    RawAesKeyring::new("ns", name, &[byte; 32]).unwrap().into()
}

fn core_error<E: std::fmt::Debug>(e: SessionError<E>) -> Error {
    match e {
        SessionError::Failed { error, .. } => error,
        SessionError::Aborted(e) => panic!("aborted: {e:?}"),
    }
}

fn encrypted_under(keyring: &Keyring) -> Item {
    record::encrypt_record(item(), keyring, &mut NoKms, &encrypt_options()).unwrap()
}

fn decrypt(item: &Item, keyring: &Keyring) -> Result<Item, Error> {
    record::decrypt_record(item.clone(), keyring, &mut NoKms, &read_options()).map_err(core_error)
}

#[test]
fn only_the_header_and_tag_change_and_the_added_key_opens_the_record() {
    let (a, b) = (raw("a", 1), raw("b", 2));
    let stored = encrypted_under(&a);
    let options = RekeyOptions {
        add: Some(b.clone()),
        remove: vec!["a".into()],
        ..Default::default()
    };
    let rekeyed = rekey_record(
        stored.clone(),
        &a,
        &mut NoKms,
        &mut NoKms,
        &read_options(),
        &options,
    )
    .unwrap();
    for (name, value) in &stored {
        if name == HEADER_ATTRIBUTE || name == TAG_ATTRIBUTE {
            assert_ne!(&rekeyed[name], value, "{name} is rewritten");
        } else {
            assert_eq!(&rekeyed[name], value, "{name} stays byte for byte");
        }
    }
    assert_eq!(rekeyed.len(), stored.len());
    assert_eq!(decrypt(&rekeyed, &b).unwrap(), item());
    let err = decrypt(&rekeyed, &a).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoDecryptableKey);
    // The old copy still opens with the old key: re-keying is not revocation.
    assert_eq!(decrypt(&stored, &a).unwrap(), item());
}

/// The suite written in an item's record header.
fn suite_of(item: &Item) -> Suite {
    let AttributeValue::B(bytes) = &item[HEADER_ATTRIBUTE] else {
        panic!("no header")
    };
    RecordHeader::decode(bytes, &Limits::default())
        .unwrap()
        .suite
}

#[test]
fn a_record_keeps_its_suite_when_re_keyed() {
    let (a, b) = (raw("a", 1), raw("b", 2));
    let add_b = RekeyOptions {
        add: Some(b.clone()),
        ..Default::default()
    };
    // Suite 2, as written today; and suite 1, as written before.
    let mut old = encrypt_options();
    old.suite = Suite::Aes256GcmHkdfSha512Committed;
    let suite_1 = record::encrypt_record(item(), &a, &mut NoKms, &old).unwrap();
    for (stored, suite) in [
        (encrypted_under(&a), Suite::Aes256GcmHkdfSha256Committed),
        (suite_1, Suite::Aes256GcmHkdfSha512Committed),
    ] {
        assert_eq!(suite_of(&stored), suite);
        let rekeyed =
            rekey_record(stored, &a, &mut NoKms, &mut NoKms, &read_options(), &add_b).unwrap();
        assert_eq!(suite_of(&rekeyed), suite);
        assert_eq!(decrypt(&rekeyed, &b).unwrap(), item(), "{suite:?}");
    }
}

#[test]
fn the_steps_keep_the_order_and_the_rules_of_messages() {
    let (a, b) = (raw("a", 1), raw("b", 2));
    let stored = encrypted_under(&a);

    // Removing every key, or a key the record lacks: refused before any call.
    let none_left = RekeyOptions {
        remove: vec!["a".into()],
        ..Default::default()
    };
    let err = RecordRekeyPlan::new(stored.clone(), &read_options(), &none_left).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let missing = RekeyOptions {
        add: Some(b.clone()),
        remove: vec!["zzz".into()],
        ..Default::default()
    };
    let err = RecordRekeyPlan::new(stored.clone(), &read_options(), &missing).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);

    // A required context the record does not hold; another table.
    let context: EncryptionContext = [("tenant".to_string(), "acme".to_string())].into();
    let required = RekeyOptions {
        add: Some(b.clone()),
        required_context: context,
        ..Default::default()
    };
    let err = RecordRekeyPlan::new(stored.clone(), &read_options(), &required).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContextMismatch);
    let other_table = DecryptRecordOptions::new("other", "employeeId");
    let err =
        RecordRekeyPlan::new(stored.clone(), &other_table, &RekeyOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContextMismatch);

    // A plaintext item cannot be re-keyed, even with allow_plaintext.
    let mut lenient = read_options();
    lenient.allow_plaintext = true;
    let err = RecordRekeyPlan::new(item(), &lenient, &RekeyOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedMessage);
    assert!(err.to_string().contains("no keys to change"), "{err}");
    let err = RecordRekeyPlan::new(item(), &read_options(), &RekeyOptions::default()).unwrap_err();
    assert!(err.to_string().contains("no keys to change"), "{err}");

    // The wrong keyring finds no data key; nothing is produced.
    let plan =
        RecordRekeyPlan::new(stored.clone(), &read_options(), &RekeyOptions::default()).unwrap();
    let err = driver::drive(&mut plan.decrypt_session(&b).unwrap(), &mut NoKms).unwrap_err();
    assert_eq!(core_error(err).kind(), ErrorKind::NoDecryptableKey);

    // A tampered signed attribute cannot be re-keyed into a valid record.
    let mut tampered = stored.clone();
    tampered.insert("employeeId".into(), AttributeValue::S("9999".into()));
    let mut read = read_options();
    read.required_context = Default::default();
    let plan = RecordRekeyPlan::new(tampered, &read, &RekeyOptions::default()).unwrap();
    let key = driver::drive(&mut plan.decrypt_session(&a).unwrap(), &mut NoKms).unwrap();
    assert_eq!(
        plan.verify(key).unwrap_err().kind(),
        ErrorKind::Authentication
    );
    let mut tampered = stored;
    tampered.insert("name".into(), AttributeValue::B(vec![1; 40]));
    let plan = RecordRekeyPlan::new(tampered, &read, &RekeyOptions::default()).unwrap();
    let key = driver::drive(&mut plan.decrypt_session(&a).unwrap(), &mut NoKms).unwrap();
    assert_eq!(
        plan.verify(key).unwrap_err().kind(),
        ErrorKind::Authentication
    );
}

/// A KMS that opens `blob:<arn>` when asked with `<arn>` and wraps with
/// `blob:<arn>`.
#[derive(Default)]
struct FakeKms {
    calls: Vec<(&'static str, String)>,
}

impl Kms for FakeKms {
    type Error = String;
    fn generate_data_key(
        &mut self,
        r: &GenerateDataKeyRequest,
    ) -> Result<KmsOutput, HostError<String>> {
        self.calls.push(("GenerateDataKey", r.key_id.clone()));
        Ok(KmsOutput {
            key_id: Some(r.key_id.clone()),
            plaintext: vec![7; 32].into(),
            ciphertext_blob: format!("blob:{}", r.key_id).into_bytes(),
        })
    }
    fn encrypt(&mut self, r: &EncryptRequest) -> Result<KmsOutput, HostError<String>> {
        self.calls.push(("Encrypt", r.key_id.clone()));
        assert_eq!(r.encryption_context["aws-mrkenv:table"], TABLE);
        Ok(KmsOutput {
            key_id: Some(r.key_id.clone()),
            ciphertext_blob: format!("blob:{}", r.key_id).into_bytes(),
            ..Default::default()
        })
    }
    fn decrypt(&mut self, r: &DecryptRequest) -> Result<KmsOutput, HostError<String>> {
        self.calls.push(("Decrypt", r.key_id.clone()));
        if r.ciphertext_blob != format!("blob:{}", r.key_id).into_bytes() {
            return Err(HostError::Failed {
                message: "AccessDenied".into(),
                error: "AccessDenied".into(),
            });
        }
        Ok(KmsOutput {
            key_id: Some(r.key_id.clone()),
            plaintext: vec![7; 32].into(),
            ..Default::default()
        })
    }
}

#[test]
fn the_issue_scenario_for_a_record_add_west_then_remove_east() {
    let east: Keyring = KmsMrkKeyring::new([SRK_EAST]).unwrap().into();
    let west: Keyring = KmsMrkKeyring::new([SRK_WEST]).unwrap().into();
    let mut kms = FakeKms::default();
    let stored = record::encrypt_record(item(), &east, &mut kms, &encrypt_options()).unwrap();

    let added = RekeyOptions {
        add: Some(west.clone()),
        ..Default::default()
    };
    let (mut east_kms, mut west_kms) = (FakeKms::default(), FakeKms::default());
    let both = rekey_record(
        stored,
        &east,
        &mut east_kms,
        &mut west_kms,
        &read_options(),
        &added,
    )
    .unwrap();
    assert_eq!(east_kms.calls, [("Decrypt", SRK_EAST.to_string())]);
    assert_eq!(west_kms.calls, [("Encrypt", SRK_WEST.to_string())]);

    let removed = RekeyOptions {
        remove: vec![SRK_EAST.into()],
        ..Default::default()
    };
    let west_only = rekey_record(
        both,
        &west,
        &mut FakeKms::default(),
        &mut FakeKms::default(),
        &read_options(),
        &removed,
    )
    .unwrap();
    let opened = record::decrypt_record(
        west_only.clone(),
        &west,
        &mut FakeKms::default(),
        &read_options(),
    )
    .unwrap();
    assert_eq!(opened, item());
    let err = record::decrypt_record(west_only, &east, &mut FakeKms::default(), &read_options())
        .unwrap_err();
    assert_eq!(core_error(err).kind(), ErrorKind::NoDecryptableKey);
}
