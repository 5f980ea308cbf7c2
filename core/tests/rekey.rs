//! Re-keying messages: the three forms agree, frames stay byte for byte, and
//! every refusal happens before anything is written.

use mrkenv::keyring::{
    DecryptRequest, EncryptRequest, GenerateDataKeyRequest, Keyring, KmsMrkDiscoveryKeyring,
    KmsMrkKeyring, RawAesKeyring,
};
use mrkenv::rekey::{rekey_header, rekey_message, RekeyOptions, RekeyPlan, Rekeyer};
use mrkenv::session::driver::NoKms;
use mrkenv::session::{drive, HostError, Kms, KmsOutput, SessionError};
use mrkenv::{
    decrypt, encrypt, parse_header, DataKey, EncryptOptions, EncryptedDataKey, EncryptionContext,
    EncryptionMaterials, Error, ErrorKind, Limits,
};

const SRK_EAST: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const SRK_WEST: &str =
    "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const MRK_EAST: &str =
    "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const MRK_WEST: &str =
    "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";

const DATA_KEY: [u8; 32] = [0x5a; 32];

fn context() -> EncryptionContext {
    [
        ("purpose".to_string(), "rekey tests".to_string()),
        ("tenant".to_string(), "acme".to_string()),
    ]
    .into()
}

fn raw(name: &str, byte: u8) -> RawAesKeyring {
    RawAesKeyring::new("ns", name, &[byte; 32]).unwrap()
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

fn kms_edk(arn: &str) -> EncryptedDataKey {
    EncryptedDataKey {
        provider_id: "aws-kms".into(),
        provider_info: arn.into(),
        ciphertext: format!("blob:{arn}").into_bytes(),
    }
}

/// A message of `len` bytes at frame length 1024 under the raw AES key
/// `a`, then `kms_keys` (fake KMS blobs the [`FakeKms`] opens).
fn message(len: usize, kms_keys: &[&str]) -> Vec<u8> {
    let mut materials = raw("a", 1)
        .encryption_materials_with(
            &context(),
            &Limits::default(),
            DataKey::new(DATA_KEY),
            [9; 12],
        )
        .unwrap();
    materials
        .encrypted_data_keys
        .extend(kms_keys.iter().map(|k| kms_edk(k)));
    kms_message(materials, len)
}

fn kms_message(materials: EncryptionMaterials, len: usize) -> Vec<u8> {
    let options = EncryptOptions {
        frame_length: 1024,
        message_id: Some([3; 32]),
        ..Default::default()
    };
    encrypt(materials, &plaintext(len), &options).unwrap()
}

/// A message under KMS keys only.
fn kms_only(len: usize, keys: &[&str]) -> Vec<u8> {
    kms_message(
        EncryptionMaterials {
            data_key: DataKey::new(DATA_KEY),
            encrypted_data_keys: keys.iter().map(|k| kms_edk(k)).collect(),
            encryption_context: context(),
        },
        len,
    )
}

/// A KMS that opens `blob:<arn>` when asked with exactly `<arn>`, wraps with
/// `wrapped:<arn>`, and records every call.
#[derive(Default)]
struct FakeKms {
    calls: Vec<(&'static str, String)>,
}

impl Kms for FakeKms {
    type Error = String;
    fn generate_data_key(
        &mut self,
        _: &GenerateDataKeyRequest,
    ) -> Result<KmsOutput, HostError<String>> {
        panic!("a re-key never generates a data key")
    }
    fn encrypt(&mut self, r: &EncryptRequest) -> Result<KmsOutput, HostError<String>> {
        self.calls.push(("Encrypt", r.key_id.clone()));
        assert_eq!(r.plaintext.expose_secret(), &DATA_KEY);
        assert_eq!(r.encryption_context, context());
        Ok(KmsOutput {
            key_id: Some(r.key_id.clone()),
            ciphertext_blob: format!("wrapped:{}", r.key_id).into_bytes(),
            ..Default::default()
        })
    }
    fn decrypt(&mut self, r: &DecryptRequest) -> Result<KmsOutput, HostError<String>> {
        self.calls.push(("Decrypt", r.key_id.clone()));
        let known = [
            format!("blob:{}", r.key_id),
            format!("wrapped:{}", r.key_id),
        ];
        if !known.iter().any(|b| b.as_bytes() == r.ciphertext_blob) {
            return Err(HostError::Failed {
                message: "AccessDenied".into(),
                error: "AccessDenied".into(),
            });
        }
        Ok(KmsOutput {
            key_id: Some(r.key_id.clone()),
            plaintext: DATA_KEY.to_vec().into(),
            ..Default::default()
        })
    }
}

/// A KMS that must not be called.
struct Untouched;

impl Kms for Untouched {
    type Error = String;
    fn generate_data_key(
        &mut self,
        _: &GenerateDataKeyRequest,
    ) -> Result<KmsOutput, HostError<String>> {
        panic!("KMS called")
    }
    fn encrypt(&mut self, _: &EncryptRequest) -> Result<KmsOutput, HostError<String>> {
        panic!("KMS called")
    }
    fn decrypt(&mut self, _: &DecryptRequest) -> Result<KmsOutput, HostError<String>> {
        panic!("KMS called")
    }
}

fn core_error<E: std::fmt::Debug>(e: SessionError<E>) -> Error {
    match e {
        SessionError::Failed { error, .. } => error,
        SessionError::Aborted(e) => panic!("aborted: {e:?}"),
    }
}

fn add(keyring: impl Into<Keyring>) -> RekeyOptions {
    RekeyOptions {
        add: Some(keyring.into()),
        ..Default::default()
    }
}

fn body_offset(message: &[u8]) -> usize {
    RekeyPlan::new(message, &RekeyOptions::default())
        .unwrap()
        .body_offset()
}

/// Re-keys with a [`Rekeyer`] fed `chunk` bytes at a time, stopping to
/// unlock when the old head is read.
fn stream(
    message: &[u8],
    keyring: &Keyring,
    options: &RekeyOptions,
    chunk: usize,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let mut rekeyer = Rekeyer::new(options.clone());
    for piece in message.chunks(chunk) {
        rekeyer.update(piece, out)?;
        if rekeyer.needs_data_key() {
            rekeyer
                .unlock(
                    keyring,
                    &mut FakeKms::default(),
                    &mut FakeKms::default(),
                    out,
                )
                .map_err(core_error)?;
        }
    }
    rekeyer.finish()
}

fn decrypts_with(message: &[u8], keyring: &RawAesKeyring) -> Result<Vec<u8>, Error> {
    let header = parse_header(message, &Limits::default())?;
    let key = keyring.unwrap_data_key(&header)?;
    decrypt(message, &key, &Default::default())
}

#[test]
fn frames_stay_byte_identical_and_the_added_key_opens_the_message() {
    let old = message(5000, &[]);
    let rekeyed = rekey_message(
        &old,
        &raw("a", 1).into(),
        &mut NoKms,
        &mut NoKms,
        &add(raw("b", 2)),
    )
    .unwrap();
    let new_offset = body_offset(&rekeyed);
    assert_eq!(&rekeyed[new_offset..], &old[body_offset(&old)..]);
    assert_eq!(
        decrypts_with(&rekeyed, &raw("b", 2)).unwrap(),
        plaintext(5000)
    );
    assert_eq!(
        decrypts_with(&rekeyed, &raw("a", 1)).unwrap(),
        plaintext(5000)
    );
    // Same version, suite, message id, context, frame length, commitment;
    // the kept key first, then the added one.
    let (before, after) = (
        parse_header(&old, &Limits::default()).unwrap(),
        parse_header(&rekeyed, &Limits::default()).unwrap(),
    );
    assert_eq!(after.message_id, before.message_id);
    assert_eq!(after.encryption_context, before.encryption_context);
    assert_eq!(after.frame_length, before.frame_length);
    assert_eq!(after.commitment, before.commitment);
    assert_eq!(after.suite, before.suite);
    assert_eq!(after.encrypted_data_keys[0], before.encrypted_data_keys[0]);
    assert_eq!(after.encrypted_data_keys[1].provider_info, "b");
}

#[test]
fn header_only_spliced_equals_whole_message_equals_streaming() {
    let old = message(5000, &[SRK_EAST]);
    let keyring = Keyring::from(KmsMrkKeyring::new([SRK_EAST]).unwrap());
    let options = RekeyOptions {
        add: Some(KmsMrkKeyring::new([SRK_WEST]).unwrap().into()),
        remove: vec![SRK_EAST.into()],
        ..Default::default()
    };
    let whole = rekey_message(
        &old,
        &keyring,
        &mut FakeKms::default(),
        &mut FakeKms::default(),
        &options,
    )
    .unwrap();
    // Header only, from exactly the bytes up to the end of the header tag.
    let offset = body_offset(&old);
    let (head, body_offset) = rekey_header(
        &old[..offset],
        &keyring,
        &mut FakeKms::default(),
        &mut FakeKms::default(),
        &options,
    )
    .unwrap();
    assert_eq!(body_offset, offset);
    let mut spliced = head;
    spliced.extend_from_slice(&old[body_offset..]);
    assert_eq!(spliced, whole);
    for chunk in [1, 7, 100, 1000, usize::MAX] {
        let mut out = Vec::new();
        stream(&old, &keyring, &options, chunk, &mut out).unwrap();
        assert_eq!(out, whole, "streaming by {chunk}");
    }
    // Sans-IO steps by hand give the same bytes.
    let plan = RekeyPlan::new(&old, &options).unwrap();
    let data_key = drive(
        &mut plan.decrypt_session(&keyring).unwrap(),
        &mut FakeKms::default(),
    )
    .unwrap();
    let verified = plan.verify(data_key).unwrap();
    let materials = drive(
        &mut verified.wrap_session().unwrap(),
        &mut FakeKms::default(),
    )
    .unwrap();
    let head = verified.new_head(materials.encrypted_data_keys).unwrap();
    assert_eq!(&whole[..head.len()], &head[..]);
}

#[test]
fn the_issue_scenario_add_west_then_remove_east() {
    // Encrypted in us-east-1 under a single-Region key; a us-west-2
    // single-Region key is added, then the us-east-1 key removed.
    let old = kms_only(3000, &[SRK_EAST]);
    let east = Keyring::from(KmsMrkKeyring::new([SRK_EAST]).unwrap());
    let west = Keyring::from(KmsMrkKeyring::new([SRK_WEST]).unwrap());
    let mut kms = FakeKms::default();
    let mut add_kms = FakeKms::default();
    let added = rekey_message(&old, &east, &mut kms, &mut add_kms, &add(west.clone())).unwrap();
    assert_eq!(kms.calls, [("Decrypt", SRK_EAST.to_string())]);
    assert_eq!(add_kms.calls, [("Encrypt", SRK_WEST.to_string())]);
    let removal = RekeyOptions {
        remove: vec![SRK_EAST.into()],
        ..Default::default()
    };
    let mut kms = FakeKms::default();
    let rekeyed = rekey_message(&added, &west, &mut kms, &mut Untouched, &removal).unwrap();
    assert_eq!(kms.calls, [("Decrypt", SRK_WEST.to_string())]);
    let header = parse_header(&rekeyed, &Limits::default()).unwrap();
    let infos: Vec<_> = header
        .encrypted_data_keys
        .iter()
        .map(|e| e.provider_info.as_str())
        .collect();
    assert_eq!(infos, [SRK_WEST]);
    // It decrypts in us-west-2 and no longer with the removed key alone.
    let key = mrkenv::session::driver::data_key(
        &west,
        &mut FakeKms::default(),
        &header.encrypted_data_keys,
        &header.encryption_context,
    )
    .unwrap();
    assert_eq!(
        decrypt(&rekeyed, &key, &Default::default()).unwrap(),
        plaintext(3000)
    );
    let err = mrkenv::session::driver::data_key(
        &east,
        &mut Untouched,
        &header.encrypted_data_keys,
        &header.encryption_context,
    )
    .map_err(core_error)
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoDecryptableKey);
    assert_eq!(&rekeyed[body_offset(&rekeyed)..], &old[body_offset(&old)..]);
}

#[test]
fn add_raw_aes_and_remove_kms_and_the_removed_key_alone_no_longer_opens() {
    let old = kms_only(2000, &[SRK_EAST, MRK_EAST]);
    let keyring = Keyring::from(KmsMrkKeyring::new([SRK_EAST]).unwrap());
    let options = RekeyOptions {
        add: Some(raw("b", 2).into()),
        remove: vec![SRK_EAST.into(), MRK_EAST.into()],
        ..Default::default()
    };
    let rekeyed = rekey_message(
        &old,
        &keyring,
        &mut FakeKms::default(),
        &mut Untouched,
        &options,
    )
    .unwrap();
    assert_eq!(
        decrypts_with(&rekeyed, &raw("b", 2)).unwrap(),
        plaintext(2000)
    );
    let header = parse_header(&rekeyed, &Limits::default()).unwrap();
    assert_eq!(header.encrypted_data_keys.len(), 1);
    let err = mrkenv::session::driver::data_key(
        &keyring,
        &mut Untouched,
        &header.encrypted_data_keys,
        &header.encryption_context,
    )
    .map_err(core_error)
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoDecryptableKey);
}

#[test]
fn remove_matches_the_exact_arn_unless_replicas_are_asked_for() {
    let old = message(100, &[MRK_EAST, MRK_WEST, SRK_EAST]);
    let infos = |options: &RekeyOptions| -> Result<Vec<String>, Error> {
        let rekeyed = rekey_message(&old, &raw("a", 1).into(), &mut NoKms, &mut NoKms, options)
            .map_err(SessionError::into_error)?;
        Ok(parse_header(&rekeyed, &Limits::default())?
            .encrypted_data_keys
            .into_iter()
            .map(|e| e.provider_info)
            .collect())
    };
    let exact = RekeyOptions {
        remove: vec![MRK_EAST.into()],
        ..Default::default()
    };
    assert_eq!(infos(&exact).unwrap(), ["a", MRK_WEST, SRK_EAST]);
    let replicas = RekeyOptions {
        match_replicas: true,
        ..exact.clone()
    };
    assert_eq!(infos(&replicas).unwrap(), ["a", SRK_EAST]);
    // A single-Region key has no replicas: its twin in another Region is
    // another key.
    let srk = RekeyOptions {
        remove: vec![SRK_WEST.into()],
        match_replicas: true,
        ..Default::default()
    };
    let err = infos(&srk).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        err.to_string(),
        format!("cannot remove {SRK_WEST:?}: no encrypted data key of the message is for this key")
    );
    // A raw AES key is removed by its name.
    let by_name = RekeyOptions {
        remove: vec!["a".into()],
        ..Default::default()
    };
    let rekeyed =
        rekey_message(&old, &raw("a", 1).into(), &mut NoKms, &mut NoKms, &by_name).unwrap();
    assert!(decrypts_with(&rekeyed, &raw("a", 1)).is_err());
    // A malformed ARN is an error, not "no match".
    let bad = RekeyOptions {
        remove: vec!["arn:aws:kms:us-east-1".into()],
        ..Default::default()
    };
    assert_eq!(infos(&bad).unwrap_err().kind(), ErrorKind::InvalidArn);
}

#[test]
fn removing_every_key_is_refused_before_any_kms_call() {
    let old = kms_only(100, &[SRK_EAST]);
    let keyring = Keyring::from(KmsMrkKeyring::new([SRK_EAST]).unwrap());
    let options = RekeyOptions {
        remove: vec![SRK_EAST.into()],
        ..Default::default()
    };
    let err = rekey_message(&old, &keyring, &mut Untouched, &mut Untouched, &options)
        .map_err(core_error)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        err.to_string(),
        "re-key would leave no encrypted data key: add a key or remove fewer"
    );
    let mut out = Vec::new();
    let mut rekeyer = Rekeyer::new(options);
    assert!(rekeyer.update(&old, &mut out).is_err());
    assert!(out.is_empty());
}

#[test]
fn the_edk_limit_applies_before_any_kms_call() {
    let old = message(100, &[SRK_EAST]);
    let options = RekeyOptions {
        add: Some(KmsMrkKeyring::new([SRK_WEST]).unwrap().into()),
        limits: Limits {
            max_encrypted_data_keys: 2,
            ..Limits::default()
        },
        ..Default::default()
    };
    let err = rekey_message(
        &old,
        &raw("a", 1).into(),
        &mut Untouched,
        &mut Untouched,
        &options,
    )
    .map_err(core_error)
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    assert_eq!(
        err.to_string(),
        "encrypted data keys: 3 exceeds the limit of 2"
    );
}

#[test]
fn the_context_cannot_change_and_a_required_context_is_checked() {
    let old = message(100, &[]);
    let mut options = add(raw("b", 2));
    options.required_context = [("tenant".to_string(), "other".to_string())].into();
    let err = rekey_message(&old, &raw("a", 1).into(), &mut NoKms, &mut NoKms, &options)
        .map_err(SessionError::into_error)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContextMismatch);
    options.required_context = [("tenant".to_string(), "acme".to_string())].into();
    let rekeyed =
        rekey_message(&old, &raw("a", 1).into(), &mut NoKms, &mut NoKms, &options).unwrap();
    let header = parse_header(&rekeyed, &Limits::default()).unwrap();
    assert_eq!(header.encryption_context, context());
}

#[test]
fn wrong_keyring_fails_and_writes_nothing() {
    let old = message(3000, &[]);
    let options = add(raw("b", 2));
    let err = rekey_message(&old, &raw("a", 7).into(), &mut NoKms, &mut NoKms, &options)
        .map_err(SessionError::into_error)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoDecryptableKey);
    let mut out = Vec::new();
    let err = stream(&old, &raw("a", 7).into(), &options, 100, &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoDecryptableKey);
    assert!(out.is_empty(), "nothing is written before the new head");
}

#[test]
fn a_tampered_header_cannot_be_rekeyed() {
    let old = message(3000, &[]);
    let at = old
        .windows(b"acme".len())
        .position(|w| w == b"acme")
        .unwrap();
    let mut tampered = old.clone();
    tampered[at] = b'b'; // "bcme": the raw AES wrapping no longer opens either
    let err = rekey_message(
        &tampered,
        &raw("a", 1).into(),
        &mut NoKms,
        &mut NoKms,
        &add(raw("b", 2)),
    )
    .map_err(SessionError::into_error)
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoDecryptableKey);
    // With the data key itself (a KMS keyring ignores the context here), the
    // header tag catches the change before anything is written.
    let old = kms_only(3000, &[SRK_EAST]);
    let at = old
        .windows(b"acme".len())
        .position(|w| w == b"acme")
        .unwrap();
    let mut tampered = old.clone();
    tampered[at] = b'b';
    let keyring = Keyring::from(KmsMrkKeyring::new([SRK_EAST]).unwrap());
    let err = rekey_message(
        &tampered,
        &keyring,
        &mut FakeKms::default(),
        &mut Untouched,
        &add(raw("b", 2)),
    )
    .map_err(core_error)
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    let mut out = Vec::new();
    let err = stream(&tampered, &keyring, &add(raw("b", 2)), 64, &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(out.is_empty());
    // A changed message id fails the commitment.
    let plan = RekeyPlan::new(&old, &RekeyOptions::default()).unwrap();
    let err = plan.verify(DataKey::new([1; 32])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
}

#[test]
fn a_discovery_keyring_cannot_add() {
    let old = message(100, &[]);
    let options = add(KmsMrkDiscoveryKeyring::new("us-west-2", None).unwrap());
    let err = RekeyPlan::new(&old, &options).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Keyring);
}

#[test]
fn streaming_checks_the_framing_and_header_only_needs_only_the_head() {
    let old = message(5000, &[]);
    let keyring: Keyring = raw("a", 1).into();
    let options = add(raw("b", 2));
    // Truncated inside the body: the stream fails at the end.
    let mut out = Vec::new();
    let err = stream(&old[..old.len() - 5], &keyring, &options, 333, &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedMessage);
    // Trailing bytes.
    let mut longer = old.clone();
    longer.push(0);
    let err = stream(&longer, &keyring, &options, 333, &mut Vec::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedMessage);
    let err = rekey_message(&longer, &keyring, &mut NoKms, &mut NoKms, &options)
        .map_err(SessionError::into_error)
        .unwrap_err();
    assert_eq!(err.to_string(), "1 trailing byte(s) after the final frame");
    // The header only: one byte short of the header tag is truncated.
    let offset = body_offset(&old);
    let err = rekey_header(
        &old[..offset - 1],
        &keyring,
        &mut NoKms,
        &mut NoKms,
        &options,
    )
    .map_err(SessionError::into_error)
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedMessage);
    // Steps out of order are refused without failing the rekeyer.
    let mut rekeyer = Rekeyer::new(options.clone());
    assert_eq!(
        rekeyer
            .set_data_key(DataKey::new(DATA_KEY))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArgument
    );
    rekeyer.update(&old[..offset], &mut out).unwrap();
    assert!(rekeyer.needs_data_key());
    assert_eq!(rekeyer.body_offset(), Some(offset));
    assert!(rekeyer.wrap_session().is_err());
    rekeyer.set_data_key(DataKey::new(DATA_KEY)).unwrap();
    assert!(rekeyer.needs_added_keys());
}

#[test]
fn a_rekeyer_waiting_for_its_keys_takes_at_most_one_more_frame() {
    let old = message(10 * 1024, &[]);
    let offset = body_offset(&old);
    // One frame's bytes at frame length 1024: 1024 + tag + frame head.
    let frame = 1024 + 16 + 6;
    let keyring: Keyring = raw("a", 1).into();
    let options = add(raw("b", 2));

    // While the data key is needed, then while the added keys are: one
    // frame in all is accepted, and kept for the new message.
    let mut rekeyer = Rekeyer::new(options.clone());
    let mut out = Vec::new();
    rekeyer.update(&old[..offset], &mut out).unwrap();
    assert!(rekeyer.needs_data_key());
    rekeyer
        .update(&old[offset..offset + 600], &mut out)
        .unwrap();
    rekeyer.set_data_key(DataKey::new(DATA_KEY)).unwrap();
    rekeyer
        .update(&old[offset + 600..offset + frame], &mut out)
        .unwrap();
    assert!(out.is_empty());
    // One byte more is refused with a clear error and fails the rekeyer.
    let err = rekeyer
        .update(&old[offset + frame..offset + frame + 1], &mut out)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    assert_eq!(
        err.to_string(),
        format!(
            "bytes given while waiting for the keys (one frame): {} exceeds the limit of {}",
            frame + 1,
            frame
        )
    );
    assert!(rekeyer.wrap_session().is_err());
    assert!(out.is_empty());

    // Within the bound, the stream completes and the buffered frame is kept.
    let mut rekeyer = Rekeyer::new(options.clone());
    let mut out = Vec::new();
    rekeyer.update(&old[..offset], &mut out).unwrap();
    rekeyer
        .update(&old[offset..offset + frame], &mut out)
        .unwrap();
    rekeyer
        .unlock(
            &keyring,
            &mut FakeKms::default(),
            &mut FakeKms::default(),
            &mut out,
        )
        .map_err(core_error)
        .unwrap();
    rekeyer.update(&old[offset + frame..], &mut out).unwrap();
    rekeyer.finish().unwrap();
    assert_eq!(
        decrypts_with(&out, &raw("b", 2)).unwrap(),
        plaintext(10 * 1024)
    );
}

#[test]
fn a_plan_checks_the_framing_of_a_body_for_sans_io_hosts() {
    let old = message(5000, &[]);
    let plan = RekeyPlan::new(&old, &add(raw("b", 2))).unwrap();
    let body = &old[plan.body_offset()..];
    plan.check_body(body).unwrap();
    let err = plan.check_body(&body[..body.len() - 1]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedMessage);
    let mut longer = body.to_vec();
    longer.push(0);
    let err = plan.check_body(&longer).unwrap_err();
    assert_eq!(err.to_string(), "1 trailing byte(s) after the final frame");
}
