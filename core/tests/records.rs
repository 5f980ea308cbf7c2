//! Records: the vectors of `tests/vectors/records/` (up to date, each one
//! behaves as it says, positives re-encrypt byte for byte), every rule of the
//! record module, and property tests over random items.

#[path = "support/record_vector_gen.rs"]
mod record_vector_gen;

use std::collections::BTreeMap;
use std::path::PathBuf;

use mrkenv::keyring::RawAesKeyring;
use mrkenv::record::json::{item_from_dynamodb_json, item_from_json_value, item_to_json_value};
use mrkenv::record::{
    decrypt_plan, encrypt_plan, Action, AttributeValue, DecryptPlan, DecryptRecordOptions,
    EncryptRecordOptions, EncryptedRecord, Item, Number, RecordHeader, HEADER_ATTRIBUTE,
    TAG_ATTRIBUTE,
};
use mrkenv::{
    DataKey, EncryptionContext, Error, ErrorKind, Header, Limits, Suite, DEFAULT_FRAME_LENGTH,
};
use proptest::prelude::*;
use serde_json::Value;

// ---------------------------------------------------------------- helpers

/// The glue a host has today: a message `Header` carrying the record's EDKs
/// and context, so the raw AES keyring can unwrap the data key.
fn unwrap_header(record: &EncryptedRecord) -> Header {
    Header {
        suite: Suite::Aes256GcmHkdfSha512Committed,
        message_id: record.header().message_id,
        encryption_context: record.encryption_context().clone(),
        encrypted_data_keys: record.encrypted_data_keys().to_vec(),
        frame_length: DEFAULT_FRAME_LENGTH,
        commitment: record.header().commitment,
    }
}

fn keyring() -> RawAesKeyring {
    RawAesKeyring::new("ns", "key", &[7; 32]).unwrap()
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(text).unwrap())
}

fn seed_item() -> Item {
    [
        ("employeeId".to_string(), s("1234")),
        ("name".to_string(), s("Andy")),
    ]
    .into()
}

fn seed_options() -> EncryptRecordOptions {
    let mut options = EncryptRecordOptions::new("global-table-example", "employeeId");
    options
        .actions
        .insert("employeeId".into(), Action::SignOnly);
    options
        .actions
        .insert("name".into(), Action::EncryptAndSign);
    options
}

fn decrypt_options(encrypt: &EncryptRecordOptions) -> DecryptRecordOptions {
    let mut options = DecryptRecordOptions::new(&encrypt.table_name, &encrypt.partition_key);
    options.sort_key = encrypt.sort_key.clone();
    options.limits = encrypt.limits.clone();
    options
}

fn encrypt(item: Item, options: &EncryptRecordOptions) -> Result<Item, Error> {
    let plan = encrypt_plan(item, options)?;
    let materials = keyring().encryption_materials(plan.encryption_context(), &options.limits)?;
    plan.seal(materials)
}

fn decrypt(item: Item, options: &DecryptRecordOptions) -> Result<Item, Error> {
    match decrypt_plan(item, options)? {
        DecryptPlan::Plaintext(item) => Ok(item),
        DecryptPlan::Encrypted(record) => {
            let key = keyring().unwrap_data_key(&unwrap_header(&record))?;
            record.open(&key)
        }
    }
}

fn round_trip(item: Item, options: &EncryptRecordOptions) -> Result<Item, Error> {
    decrypt(encrypt(item, options)?, &decrypt_options(options))
}

// ---------------------------------------------------------------- vectors

fn records_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/records")
}

/// Every record vector file in `tests/vectors/records`, parsed.
fn record_vectors() -> Vec<Value> {
    std::fs::read_dir(records_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap())
        .collect()
}

fn hex_field(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(v[key].as_str().unwrap_or_else(|| panic!("missing {key}"))).unwrap()
}

fn context_field(v: &Value) -> EncryptionContext {
    serde_json::from_value(v.clone()).unwrap()
}

fn vector_keyring(k: &Value) -> RawAesKeyring {
    assert_eq!(k["type"], "raw-aes");
    RawAesKeyring::new(
        k["key_namespace"].as_str().unwrap(),
        k["key_name"].as_str().unwrap(),
        &hex_field(k, "wrapping_key"),
    )
    .unwrap()
}

/// Encrypts a vector's plaintext item with its configuration and injected
/// randomness, the way a binding would.
fn encrypt_vector(v: &Value) -> Result<Item, Error> {
    let item = item_from_json_value(&v["plaintext_item"])?;
    let mut options = EncryptRecordOptions::new(
        v["table_name"].as_str().unwrap(),
        v["partition_key"].as_str().unwrap(),
    );
    options.sort_key = v["sort_key"].as_str().map(str::to_string);
    for (name, action) in v["actions"].as_object().unwrap() {
        options
            .actions
            .insert(name.clone(), action.as_str().unwrap().parse()?);
    }
    options.default_action = v["default_action"].as_str().map(str::parse).transpose()?;
    options.encryption_context = context_field(&v["encryption_context"]);
    options.limits.max_encrypted_data_keys = 64;
    options.message_id = Some(hex_field(v, "message_id").try_into().unwrap());
    let plan = encrypt_plan(item, &options)?;
    let materials = vector_keyring(&v["keyring"]).encryption_materials_with(
        plan.encryption_context(),
        &options.limits,
        DataKey::from_slice(&hex_field(v, "data_key"))?,
        hex_field(v, "raw_aes_iv").try_into().unwrap(),
    )?;
    plan.seal(materials)
}

fn decrypt_vector(v: &Value) -> Result<Item, Error> {
    let d = &v["decrypt"];
    let item = item_from_json_value(&v["encrypted_item"])?;
    let mut options = DecryptRecordOptions::new(
        d["table_name"].as_str().unwrap(),
        d["partition_key"].as_str().unwrap(),
    );
    options.sort_key = d["sort_key"].as_str().map(str::to_string);
    options.required_context = context_field(&d["required_encryption_context"]);
    options.allow_plaintext = d["allow_plaintext"].as_bool().unwrap();
    match decrypt_plan(item, &options)? {
        DecryptPlan::Plaintext(item) => Ok(item),
        DecryptPlan::Encrypted(record) => {
            let key = vector_keyring(&d["keyring"]).unwrap_data_key(&unwrap_header(&record))?;
            assert_eq!(key.expose_secret().as_slice(), hex_field(v, "data_key"));
            record.open(&key)
        }
    }
}

#[test]
fn record_vectors_are_up_to_date() {
    let vectors = record_vector_gen::all();
    let mut stale = Vec::new();
    for vector in &vectors {
        let path = records_dir().join(format!("{}.json", vector.name));
        if std::fs::read_to_string(&path).unwrap_or_default()
            != record_vector_gen::file_text(vector)
        {
            stale.push(vector.name.clone());
        }
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(records_dir())
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
        "tests/vectors/records has files the generator does not write"
    );
    assert!(
        stale.is_empty(),
        "record vectors differ from the generator: {stale:?}; run `make vectors`"
    );
}

#[test]
fn every_record_vector_behaves_as_it_says() {
    let mut kinds = BTreeMap::new();
    let mut positives = 0;
    for v in record_vectors() {
        let name = v["name"].as_str().unwrap();
        let outcome = match v["operation"].as_str().unwrap() {
            "decrypt" => decrypt_vector(&v),
            "encrypt" => encrypt_vector(&v),
            other => panic!("{name}: unknown operation {other}"),
        };
        match v["result"].as_str().unwrap() {
            "ok" => {
                let item = outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(item_to_json_value(&item), v["decrypted_item"], "{name}");
                positives += 1;
            }
            "error" => {
                let err = outcome
                    .err()
                    .unwrap_or_else(|| panic!("{name}: should fail"));
                let kind = v["error_kind"].as_str().unwrap();
                assert_eq!(err.kind().code(), kind, "{name}: {err}");
                *kinds.entry(kind.to_string()).or_insert(0) += 1;
            }
            other => panic!("{name}: unknown result {other}"),
        }
        if v["reencrypt"].as_bool().unwrap() {
            let again = encrypt_vector(&v).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(item_to_json_value(&again), v["encrypted_item"], "{name}");
        }
    }
    assert!(positives >= 5);
    for kind in [
        "Authentication",
        "MalformedMessage",
        "ContextMismatch",
        "NoDecryptableKey",
        "LimitExceeded",
        "InvalidArgument",
    ] {
        assert!(
            kinds.contains_key(kind),
            "no negative record vector of kind {kind}"
        );
    }
}

#[test]
fn seed_vector_has_the_seed_item() {
    let text = std::fs::read_to_string(records_dir().join("ok-seed-item.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["table_name"], "global-table-example");
    assert_eq!(
        item_from_json_value(&v["plaintext_item"]).unwrap(),
        seed_item()
    );
    assert_eq!(v["actions"]["employeeId"], "SIGN_ONLY");
    assert_eq!(v["actions"]["name"], "ENCRYPT_AND_SIGN");
}

/// The suite a vector's encrypted item names in its header.
fn header_suite(v: &Value) -> Option<u16> {
    let item = item_from_json_value(&v["encrypted_item"]).ok()?;
    let AttributeValue::B(bytes) = item.get(HEADER_ATTRIBUTE)? else {
        return None;
    };
    let header = RecordHeader::decode(bytes, &Limits::default()).ok()?;
    Some(header.suite.id())
}

#[test]
fn record_vectors_cover_both_suites() {
    let mut suite_1_positives = 0;
    for v in record_vectors() {
        let name = v["name"].as_str().unwrap();
        if v["operation"] != "decrypt" {
            continue;
        }
        let suite = v["suite"].as_u64().unwrap();
        // Writers write suite 2: only a suite-2 vector may be re-encrypted.
        if v["reencrypt"].as_bool().unwrap() {
            assert_eq!(suite, 2, "{name}");
        }
        if v["result"] == "ok" && !v["decrypt"]["allow_plaintext"].as_bool().unwrap() {
            assert_eq!(header_suite(&v), Some(suite as u16), "{name}");
            if suite == 1 {
                assert!(!v["reencrypt"].as_bool().unwrap(), "{name}");
                suite_1_positives += 1;
            }
        }
    }
    assert!(suite_1_positives >= 1, "no positive suite-1 record vector");
    let unknown: Value = serde_json::from_str(
        &std::fs::read_to_string(records_dir().join("err-unknown-suite.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(unknown["error_kind"], "MalformedMessage");
    let err = decrypt_vector(&unknown).unwrap_err();
    assert_eq!(
        err.to_string(),
        "record header field 2 (suite): unsupported algorithm suite 3 (this library reads record suites 1 and 2)"
    );
}

/// FORMAT.md §14.12, the worked example, is the vector `ok-seed-item` (suite
/// 2): its header, tag and encrypted `name` as the code wrote them, and its
/// PRK, record key and commitment as HKDF-SHA256 (the `hkdf` crate, called
/// directly) gives them.
#[test]
fn format_md_worked_example_is_the_seed_vector() {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/FORMAT.md"),
    )
    .unwrap();
    let start = doc.find("### 14.12 Worked example").unwrap();
    let end = start + doc[start..].find("\n## ").unwrap();
    let section = &doc[start..end];
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(records_dir().join("ok-seed-item.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(v["suite"], 2);
    let item = item_from_json_value(&v["encrypted_item"]).unwrap();
    let b = |name: &str| match &item[name] {
        AttributeValue::B(bytes) => bytes.clone(),
        other => panic!("{name}: {other:?}"),
    };
    let header = b(HEADER_ATTRIBUTE);
    let one_piece = section
        .split("In one piece:")
        .nth(1)
        .and_then(|rest| rest.split("```").nth(1))
        .unwrap()
        .trim();
    assert_eq!(one_piece, hex::encode(&header));
    assert!(section.contains("2: suite 2"));
    let tag = hex::encode(b(TAG_ATTRIBUTE));
    assert!(section.contains(&format!("`aws_mrkenv_tag` | `B` `{tag}`")));
    let name = b("name");
    let (ciphertext, name_tag) = name[1..].split_at(name.len() - 17);
    assert!(section.contains(&format!(
        "`B` `01` `{}` `{}`",
        hex::encode(ciphertext),
        hex::encode(name_tag)
    )));
    let row = |label: &str| {
        let line = section
            .lines()
            .find(|l| l.starts_with(&format!("| {label}")))
            .unwrap_or_else(|| panic!("no row {label}"));
        line.rsplit('`').nth(1).unwrap().to_string()
    };
    let (prk, hkdf) = hkdf::Hkdf::<sha2::Sha256>::extract(
        Some(&hex_field(&v, "message_id")),
        &hex_field(&v, "data_key"),
    );
    assert_eq!(row("PRK = HMAC-SHA256"), hex::encode(prk));
    let mut key = [0u8; 32];
    hkdf.expand(b"mrkenv v1 record key\x00\x02", &mut key)
        .unwrap();
    assert_eq!(row("record key"), hex::encode(key));
    let mut commitment = [0u8; 32];
    hkdf.expand(b"mrkenv v1 record commitment\x00\x02", &mut commitment)
        .unwrap();
    assert_eq!(row("record commitment"), hex::encode(commitment));
    assert_eq!(&header[header.len() - 32..], commitment);
}

#[test]
fn records_are_written_with_suite_2_and_suite_1_still_decrypts() {
    let suite_of = |item: &Item| {
        let AttributeValue::B(bytes) = &item[HEADER_ATTRIBUTE] else {
            panic!("no header")
        };
        RecordHeader::decode(bytes, &Limits::default())
            .unwrap()
            .suite
    };
    let options = seed_options();
    assert_eq!(options.suite, Suite::Aes256GcmHkdfSha256Committed);
    let written = encrypt(seed_item(), &options).unwrap();
    assert_eq!(suite_of(&written), Suite::Aes256GcmHkdfSha256Committed);
    assert_eq!(
        decrypt(written, &decrypt_options(&options)).unwrap(),
        seed_item()
    );
    // A record written with suite 1 (as every record was before suite 2).
    let mut old = seed_options();
    old.suite = Suite::Aes256GcmHkdfSha512Committed;
    let written = encrypt(seed_item(), &old).unwrap();
    assert_eq!(suite_of(&written), Suite::Aes256GcmHkdfSha512Committed);
    assert_eq!(
        decrypt(written.clone(), &decrypt_options(&options)).unwrap(),
        seed_item()
    );
    // The suite is bound into the commitment: relabelling a suite-1 record
    // as suite 2 fails authentication, not the parser.
    let mut relabelled = written;
    if let Some(AttributeValue::B(bytes)) = relabelled.get_mut(HEADER_ATTRIBUTE) {
        assert_eq!(&bytes[..5], &[0xa7, 1, 1, 2, 1]);
        bytes[4] = 2;
    }
    let err = decrypt(relabelled, &decrypt_options(&options)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication, "{err}");
}

// ---------------------------------------------------------------- encrypt rules

#[test]
fn seed_item_round_trips_and_keeps_its_shape() {
    let options = seed_options();
    let encrypted = encrypt(seed_item(), &options).unwrap();
    let names: Vec<&str> = encrypted.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [HEADER_ATTRIBUTE, TAG_ATTRIBUTE, "employeeId", "name"]
    );
    assert_eq!(encrypted["employeeId"], s("1234"));
    let AttributeValue::B(stored) = &encrypted["name"] else {
        panic!("name is not B")
    };
    // type code S, content `64 416e6479` encrypted (5 bytes), 16-byte tag.
    assert_eq!((stored[0], stored.len()), (1, 1 + 5 + 16));
    let AttributeValue::B(tag) = &encrypted[TAG_ATTRIBUTE] else {
        panic!("tag is not B")
    };
    assert_eq!(tag.len(), 16);
    assert_eq!(
        decrypt(encrypted, &decrypt_options(&options)).unwrap(),
        seed_item()
    );
}

#[test]
fn encryption_context_holds_table_keys_and_included_values() {
    let mut options = EncryptRecordOptions::new("orders", "tenant");
    options.sort_key = Some("id".into());
    options.default_action = Some(Action::EncryptAndSign);
    options.actions.insert("tenant".into(), Action::SignOnly);
    options.actions.insert("id".into(), Action::SignOnly);
    options
        .actions
        .insert("blob".into(), Action::SignAndIncludeInEncryptionContext);
    options
        .encryption_context
        .insert("purpose".into(), "test".into());
    let item: Item = [
        ("tenant".to_string(), s("acme")),
        ("id".to_string(), n("007.0")),
        ("blob".to_string(), AttributeValue::B(vec![0xde, 0xad])),
        ("secret".to_string(), s("x")),
    ]
    .into();
    let plan = encrypt_plan(item.clone(), &options).unwrap();
    let expected: EncryptionContext = [
        ("aws-mrkenv:table", "orders"),
        ("aws-mrkenv:partition-key", "tenant"),
        ("aws-mrkenv:sort-key", "id"),
        ("aws-mrkenv:attr:tenant", "acme"),
        ("aws-mrkenv:attr:id", "7"),
        ("aws-mrkenv:attr:blob", "3q0="),
        ("purpose", "test"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(plan.encryption_context(), &expected);
    assert_eq!(plan.actions()["secret"], Action::EncryptAndSign);
    assert_eq!(round_trip(item, &options).unwrap()["id"], n("7"));
}

fn err_of(item: Item, options: &EncryptRecordOptions) -> Error {
    encrypt_plan(item, options).unwrap_err()
}

#[test]
fn every_attribute_needs_an_action_unless_a_default_is_given() {
    let mut item = seed_item();
    item.insert("title".into(), s("Engineer"));
    let err = err_of(item.clone(), &seed_options());
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        err.to_string(),
        "attribute \"title\": no action configured and no default action"
    );
    let mut options = seed_options();
    options.default_action = Some(Action::DoNothing);
    let encrypted = encrypt(item, &options).unwrap();
    assert_eq!(encrypted["title"], s("Engineer"));
}

#[test]
fn key_attributes_cannot_be_encrypted_or_unsigned() {
    let mut options = seed_options();
    options
        .actions
        .insert("employeeId".into(), Action::EncryptAndSign);
    let err = err_of(seed_item(), &options);
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        err.to_string(),
        "partition key attribute \"employeeId\" cannot be ENCRYPT_AND_SIGN (key attributes must be SIGN_ONLY or SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT)"
    );
    options
        .actions
        .insert("employeeId".into(), Action::DoNothing);
    assert!(err_of(seed_item(), &options)
        .to_string()
        .contains("cannot be DO_NOTHING"));
    // A default action that would encrypt the sort key.
    let mut options = seed_options();
    options.sort_key = Some("since".into());
    options.default_action = Some(Action::EncryptAndSign);
    let mut item = seed_item();
    item.insert("since".into(), n("2020"));
    assert_eq!(
        err_of(item, &options).to_string(),
        "sort key attribute \"since\" cannot be ENCRYPT_AND_SIGN (key attributes must be SIGN_ONLY or SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT)"
    );
}

#[test]
fn key_attributes_must_be_present_and_scalar() {
    let mut item = seed_item();
    item.remove("employeeId");
    assert_eq!(
        err_of(item, &seed_options()).to_string(),
        "partition key attribute \"employeeId\" is not in the item"
    );
    let mut item = seed_item();
    item.insert("employeeId".into(), AttributeValue::Bool(true));
    assert_eq!(
        err_of(item, &seed_options()).to_string(),
        "attribute \"employeeId\" is the partition key and must be S, N or B, found BOOL"
    );
    let mut options = seed_options();
    options
        .actions
        .insert("name".into(), Action::SignAndIncludeInEncryptionContext);
    let mut item = seed_item();
    item.insert("name".into(), AttributeValue::L(vec![]));
    assert_eq!(
        err_of(item, &options).to_string(),
        "attribute \"name\" is SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT and must be S, N or B, found L"
    );
}

#[test]
fn reserved_names_are_refused_at_encrypt() {
    for reserved in [HEADER_ATTRIBUTE, TAG_ATTRIBUTE, "aws_mrkenv_other"] {
        let mut item = seed_item();
        item.insert(reserved.into(), AttributeValue::B(vec![0]));
        let mut options = seed_options();
        options.default_action = Some(Action::DoNothing);
        let err = err_of(item, &options);
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            err.to_string(),
            format!("attribute {reserved:?} is reserved: names starting with \"aws_mrkenv_\" belong to mrkenv")
        );
    }
    let mut options = seed_options();
    options
        .encryption_context
        .insert("aws-mrkenv:table".into(), "x".into());
    assert_eq!(
        err_of(seed_item(), &options).to_string(),
        "encryption context key \"aws-mrkenv:table\" is reserved: keys starting with \"aws-mrkenv:\" are set by mrkenv"
    );
    let mut options = seed_options();
    options.sort_key = Some("employeeId".into());
    assert_eq!(
        err_of(seed_item(), &options).to_string(),
        "invalid record configuration: sort key \"employeeId\" is also the partition key"
    );
    let options = EncryptRecordOptions::new("", "pk");
    assert_eq!(
        err_of(seed_item(), &options).to_string(),
        "invalid record configuration: table name is empty"
    );
}

#[test]
fn empty_and_duplicate_sets_are_refused() {
    let mut options = seed_options();
    options.default_action = Some(Action::DoNothing);
    for (value, problem) in [
        (
            AttributeValue::Ss(vec![]),
            "SS set is empty (DynamoDB refuses empty sets)",
        ),
        (
            AttributeValue::Ns(vec![]),
            "NS set is empty (DynamoDB refuses empty sets)",
        ),
        (
            AttributeValue::Bs(vec![]),
            "BS set is empty (DynamoDB refuses empty sets)",
        ),
        (
            AttributeValue::Ss(vec!["a".into(), "a".into()]),
            "SS set holds duplicates (DynamoDB refuses them)",
        ),
    ] {
        let mut item = seed_item();
        item.insert(
            "tags".into(),
            AttributeValue::M([("inner".to_string(), AttributeValue::L(vec![value]))].into()),
        );
        let err = err_of(item, &options);
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            err.to_string(),
            format!("attribute \"tags\"[\"inner\"][0]: {problem}")
        );
    }
}

#[test]
fn limits_are_checked_before_the_work() {
    let mut options = seed_options();
    options.limits.max_record_attributes = 1;
    let err = err_of(seed_item(), &options);
    assert_eq!(
        err.to_string(),
        "record attributes: 2 exceeds the limit of 1"
    );
    let mut options = seed_options();
    options.limits.max_record_depth = 2;
    let mut item = seed_item();
    item.insert(
        "name".into(),
        AttributeValue::L(vec![AttributeValue::L(vec![AttributeValue::L(vec![])])]),
    );
    let err = err_of(item, &options);
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    assert_eq!(
        err.to_string(),
        "record nesting depth: 3 exceeds the limit of 2"
    );
}

#[test]
fn materials_must_carry_the_records_context() {
    let plan = encrypt_plan(seed_item(), &seed_options()).unwrap();
    let materials = keyring()
        .encryption_materials(&EncryptionContext::new(), &Limits::default())
        .unwrap();
    let err = plan.seal(materials).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn randomness_and_iv_separation() {
    // Equal values in two encrypted attributes give different ciphertexts,
    // and two encryptions of one item differ (random message id).
    let mut options = seed_options();
    options
        .actions
        .insert("alias".into(), Action::EncryptAndSign);
    let mut item = seed_item();
    item.insert("alias".into(), s("Andy"));
    let a = encrypt(item.clone(), &options).unwrap();
    let b = encrypt(item, &options).unwrap();
    assert_ne!(a["alias"], a["name"]);
    assert_ne!(a["name"], b["name"]);
    assert_ne!(a[HEADER_ATTRIBUTE], b[HEADER_ATTRIBUTE]);
}

#[test]
fn debug_output_shows_no_values() {
    let mut item = seed_item();
    item.insert("name".into(), s("TOP-SECRET-VALUE"));
    let plan = encrypt_plan(item, &seed_options()).unwrap();
    assert!(!format!("{plan:?}").contains("TOP-SECRET-VALUE"));
    let materials = keyring()
        .encryption_materials(plan.encryption_context(), &Limits::default())
        .unwrap();
    let mut encrypted = plan.seal(materials).unwrap();
    encrypted.insert("other".into(), s("ALSO-SECRET"));
    let DecryptPlan::Encrypted(record) =
        decrypt_plan(encrypted, &decrypt_options(&seed_options())).unwrap()
    else {
        panic!("encrypted")
    };
    assert!(!format!("{record:?}").contains("ALSO-SECRET"));
}

#[test]
fn tag_input_names_the_first_missing_attribute_in_cbor_order() {
    // Signed: "a", "bb", "c"; the item lacks "bb" and "c". Bytewise, "bb"
    // comes first; in CBOR order (shorter first), "c" does.
    let signed = BTreeMap::from([
        ("a".to_string(), Action::SignOnly),
        ("bb".to_string(), Action::SignOnly),
        ("c".to_string(), Action::SignOnly),
    ]);
    let mut item = Item::new();
    item.insert("a".into(), s("1"));
    item.insert("zz".into(), s("2"));
    let err = mrkenv::record::tag_input(b"h", &item, &signed).unwrap_err();
    assert_eq!(
        err.to_string(),
        "signed attribute \"c\" is missing from the item"
    );
    // With all three present: [h'68', {"a": .., "c": .., "bb": ..}], the
    // unsigned "zz" left out.
    item.insert("bb".into(), s("3"));
    item.insert("c".into(), s("4"));
    let input = mrkenv::record::tag_input(b"h", &item, &signed).unwrap();
    assert_eq!(
        hex::encode(input),
        "824168a3616182016131616382016134626262820161 33".replace(' ', "")
    );
}

// ---------------------------------------------------------------- decrypt rules

fn encrypted_seed() -> Item {
    encrypt(seed_item(), &seed_options()).unwrap()
}

fn decrypt_err(item: Item) -> Error {
    decrypt(item, &decrypt_options(&seed_options())).unwrap_err()
}

#[test]
fn signed_attribute_changes_are_authentication_errors() {
    let mut item = encrypted_seed();
    item.insert("employeeId".into(), s("9999"));
    let err = decrypt_err(item);
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert_eq!(
        err.to_string(),
        "record tag does not verify: the header or a signed attribute was changed"
    );
    let mut item = encrypted_seed();
    item.remove("name");
    assert_eq!(
        decrypt_err(item).to_string(),
        "signed attribute \"name\" is missing from the item"
    );
    // The same value with another type.
    let mut item = encrypted_seed();
    item.insert("employeeId".into(), n("1234"));
    assert_eq!(decrypt_err(item).kind(), ErrorKind::Authentication);
}

#[test]
fn ciphertexts_cannot_move_between_items_or_attributes() {
    let mut options = seed_options();
    options
        .actions
        .insert("alias".into(), Action::EncryptAndSign);
    let mut item = seed_item();
    item.insert("alias".into(), s("A"));
    let a = encrypt(item.clone(), &options).unwrap();
    let mut swapped = a.clone();
    swapped.insert("alias".into(), a["name"].clone());
    swapped.insert("name".into(), a["alias"].clone());
    assert_eq!(
        decrypt(swapped, &decrypt_options(&options))
            .unwrap_err()
            .kind(),
        ErrorKind::Authentication
    );
    let b = encrypt(item, &options).unwrap();
    let mut moved = a.clone();
    moved.insert("name".into(), b["name"].clone());
    assert_eq!(
        decrypt(moved, &decrypt_options(&options))
            .unwrap_err()
            .kind(),
        ErrorKind::Authentication
    );
}

#[test]
fn header_changes_are_detected() {
    let header_of = |item: &Item| match &item[HEADER_ATTRIBUTE] {
        AttributeValue::B(b) => RecordHeader::decode(b, &Limits::default()).unwrap(),
        _ => panic!("header is B"),
    };
    let with_header = |item: &Item, header: RecordHeader| {
        let mut item = item.clone();
        item.insert(HEADER_ATTRIBUTE.into(), AttributeValue::B(header.encode()));
        item
    };
    let item = encrypted_seed();
    // Changed action: the tag fails.
    let mut header = header_of(&item);
    header
        .signed_attributes
        .insert("name".into(), Action::SignOnly);
    assert_eq!(
        decrypt_err(with_header(&item, header)).to_string(),
        "record tag does not verify: the header or a signed attribute was changed"
    );
    // Changed message id: the commitment fails first.
    let mut header = header_of(&item);
    header.message_id[5] ^= 1;
    assert_eq!(
        decrypt_err(with_header(&item, header)).to_string(),
        "record key commitment does not match: wrong data key or tampered header"
    );
    // A key attribute not listed as signed: malformed before any key is used.
    let mut header = header_of(&item);
    header.signed_attributes.remove("employeeId");
    let err = decrypt_err(with_header(&item, header));
    assert_eq!(err.kind(), ErrorKind::MalformedMessage);
    assert!(
        err.to_string()
            .starts_with("record header field 6 (signed attributes): key attribute \"employeeId\""),
        "{err}"
    );
    // A wrong data key fails the commitment.
    let DecryptPlan::Encrypted(record) =
        decrypt_plan(item, &decrypt_options(&seed_options())).unwrap()
    else {
        panic!("encrypted")
    };
    let err = record.open(&DataKey::new([0; 32])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
}

#[test]
fn do_nothing_attributes_change_freely() {
    let mut options = seed_options();
    options.actions.insert("views".into(), Action::DoNothing);
    let mut item = seed_item();
    item.insert("views".into(), n("1"));
    let mut encrypted = encrypt(item, &options).unwrap();
    encrypted.insert("views".into(), n("2"));
    encrypted.insert("brandNew".into(), AttributeValue::Null);
    let decrypted = decrypt(encrypted, &decrypt_options(&options)).unwrap();
    assert_eq!(decrypted["views"], n("2"));
    assert_eq!(decrypted["brandNew"], AttributeValue::Null);
    assert_eq!(decrypted["name"], s("Andy"));
}

#[test]
fn table_and_key_schema_must_match() {
    let item = encrypted_seed();
    let mut options = decrypt_options(&seed_options());
    options.table_name = "other".into();
    let err = decrypt(item.clone(), &options).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContextMismatch);
    assert_eq!(
        err.to_string(),
        "record was written for table \"global-table-example\", not \"other\""
    );
    let mut options = decrypt_options(&seed_options());
    options.sort_key = Some("since".into());
    assert_eq!(
        decrypt(item.clone(), &options).unwrap_err().to_string(),
        "record was written with sort key (none), not \"since\""
    );
    let mut options = decrypt_options(&seed_options());
    options
        .required_context
        .insert("aws-mrkenv:attr:employeeId".into(), "1234".into());
    assert!(decrypt(item.clone(), &options).is_ok());
    options
        .required_context
        .insert("tenant".into(), "acme".into());
    assert_eq!(
        decrypt(item, &options).unwrap_err().kind(),
        ErrorKind::ContextMismatch
    );
}

#[test]
fn reserved_attribute_framing() {
    let options = decrypt_options(&seed_options());
    let err = decrypt(seed_item(), &options).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedMessage);
    assert_eq!(
        err.to_string(),
        "item is not an encrypted record: it has no \"aws_mrkenv_header\" or \"aws_mrkenv_tag\" attribute (to read items written before encryption was turned on, allow plaintext items when decrypting)"
    );
    let mut allow = options.clone();
    allow.allow_plaintext = true;
    assert_eq!(decrypt(seed_item(), &allow).unwrap(), seed_item());
    // allow_plaintext does not weaken checks on encrypted items.
    let mut item = encrypted_seed();
    item.remove(TAG_ATTRIBUTE);
    assert_eq!(
        decrypt(item, &allow).unwrap_err().kind(),
        ErrorKind::MalformedMessage
    );
    let mut item = encrypted_seed();
    item.insert(TAG_ATTRIBUTE.into(), s("x"));
    assert_eq!(
        decrypt(item, &options).unwrap_err().to_string(),
        "attribute \"aws_mrkenv_tag\": must be B, found S"
    );
    let mut item = encrypted_seed();
    item.insert(TAG_ATTRIBUTE.into(), AttributeValue::B(vec![0; 15]));
    assert_eq!(
        decrypt(item, &options).unwrap_err().to_string(),
        "attribute \"aws_mrkenv_tag\": must be 16 bytes, found 15"
    );
    let mut item = encrypted_seed();
    item.insert(HEADER_ATTRIBUTE.into(), AttributeValue::B(vec![0xa0]));
    assert_eq!(
        decrypt(item, &options).unwrap_err().kind(),
        ErrorKind::MalformedMessage
    );
}

#[test]
fn decrypt_limits() {
    let item = encrypted_seed();
    let mut options = decrypt_options(&seed_options());
    options.limits.max_header_bytes = 10;
    assert_eq!(
        decrypt(item.clone(), &options).unwrap_err().kind(),
        ErrorKind::LimitExceeded
    );
    let mut options = decrypt_options(&seed_options());
    options.limits.max_record_attributes = 1;
    assert_eq!(
        decrypt(item, &options).unwrap_err().to_string(),
        "record attributes: 2 exceeds the limit of 1"
    );
}

#[test]
fn dynamodb_json_round_trip_of_an_encrypted_item() {
    let encrypted = encrypted_seed();
    let text = mrkenv::record::json::item_to_dynamodb_json(&encrypted);
    let back = item_from_dynamodb_json(&text).unwrap();
    assert_eq!(back, encrypted);
    assert_eq!(
        decrypt(back, &decrypt_options(&seed_options())).unwrap(),
        seed_item()
    );
}

// ---------------------------------------------------------------- properties

fn number() -> impl Strategy<Value = Number> {
    (any::<i64>(), -20i32..20).prop_map(|(m, e)| Number::parse(&format!("{m}e{e}")).unwrap())
}

fn value() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        ".{0,12}".prop_map(AttributeValue::S),
        number().prop_map(AttributeValue::N),
        proptest::collection::vec(any::<u8>(), 0..12).prop_map(AttributeValue::B),
        any::<bool>().prop_map(AttributeValue::Bool),
        Just(AttributeValue::Null),
        proptest::collection::btree_set(".{0,6}", 1..4)
            .prop_map(|s| AttributeValue::Ss(s.into_iter().collect())),
        proptest::collection::btree_set(number(), 1..4)
            .prop_map(|s| AttributeValue::Ns(s.into_iter().collect())),
        proptest::collection::btree_set(proptest::collection::vec(any::<u8>(), 0..4), 1..4)
            .prop_map(|s| AttributeValue::Bs(s.into_iter().collect())),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(AttributeValue::L),
            proptest::collection::btree_map(".{0,5}", inner, 0..4).prop_map(AttributeValue::M),
        ]
    })
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::EncryptAndSign),
        Just(Action::SignOnly),
        Just(Action::DoNothing),
    ]
}

/// A random item with a partition key `pk` (S) and 1..6 other attributes.
fn item_and_options() -> impl Strategy<Value = (Item, EncryptRecordOptions)> {
    (
        ".{0,8}",
        proptest::collection::btree_map("[a-z]{1,6}", (value(), action()), 1..6),
    )
        .prop_map(|(pk, attributes)| {
            let mut options = EncryptRecordOptions::new("table", "pk");
            options.actions.insert("pk".into(), Action::SignOnly);
            options.message_id = Some([9; 32]);
            let mut item: Item = [("pk".to_string(), AttributeValue::S(pk))].into();
            for (name, (value, action)) in attributes {
                if name == "pk" {
                    continue;
                }
                options.actions.insert(name.clone(), action);
                item.insert(name, value);
            }
            (item, options)
        })
}

/// Values with sets whose elements are canonical numbers are generated
/// through `Number`, so sets never hold duplicates after canonicalisation.
fn sealed(item: &Item, options: &EncryptRecordOptions) -> (Item, DataKey) {
    let plan = encrypt_plan(item.clone(), options).unwrap();
    let materials = keyring()
        .encryption_materials(plan.encryption_context(), &options.limits)
        .unwrap();
    let key = materials.data_key.clone();
    (plan.seal(materials).unwrap(), key)
}

fn open_with(item: Item, options: &EncryptRecordOptions, key: &DataKey) -> Result<Item, Error> {
    match decrypt_plan(item, &decrypt_options(options))? {
        DecryptPlan::Plaintext(_) => panic!("not plaintext"),
        DecryptPlan::Encrypted(record) => record.open(key),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_items_round_trip((item, options) in item_and_options()) {
        let (encrypted, key) = sealed(&item, &options);
        prop_assert_eq!(open_with(encrypted.clone(), &options, &key).unwrap(), item.clone());
        // Through DynamoDB JSON as well.
        let text = mrkenv::record::json::item_to_dynamodb_json(&encrypted);
        let back = item_from_dynamodb_json(&text).unwrap();
        prop_assert_eq!(open_with(back, &options, &key).unwrap(), item);
    }

    #[test]
    fn any_changed_byte_of_the_header_or_a_ciphertext_is_rejected(
        (item, options) in item_and_options(),
        pick in any::<prop::sample::Index>(),
        position in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let (encrypted, key) = sealed(&item, &options);
        let mut targets: Vec<String> = options
            .actions
            .iter()
            .filter(|(_, a)| **a == Action::EncryptAndSign)
            .map(|(n, _)| n.clone())
            .collect();
        targets.push(HEADER_ATTRIBUTE.to_string());
        targets.push(TAG_ATTRIBUTE.to_string());
        let target = pick.get(&targets).clone();
        let mut tampered = encrypted.clone();
        let Some(AttributeValue::B(bytes)) = tampered.get_mut(&target) else {
            panic!("{target} is B");
        };
        let at = position.index(bytes.len());
        bytes[at] ^= 1 << bit;
        prop_assert!(open_with(tampered, &options, &key).is_err());
    }

    #[test]
    fn any_changed_signed_value_is_rejected(
        (item, options) in item_and_options(),
        pick in any::<prop::sample::Index>(),
        replacement in value(),
    ) {
        let (encrypted, key) = sealed(&item, &options);
        let signed: Vec<&String> = options
            .actions
            .iter()
            .filter(|(_, a)| a.is_signed())
            .map(|(n, _)| n)
            .collect();
        let name = pick.get(&signed);
        prop_assume!(encrypted[*name] != replacement);
        let mut tampered = encrypted.clone();
        tampered.insert((*name).clone(), replacement);
        let err = open_with(tampered, &options, &key).unwrap_err();
        prop_assert_eq!(err.kind(), ErrorKind::Authentication);
    }

    #[test]
    fn an_empty_set_anywhere_is_refused(
        (item, options) in item_and_options(),
        wrap in proptest::collection::vec(any::<bool>(), 0..5),
        kind in 0u8..3,
    ) {
        let mut value = match kind {
            0 => AttributeValue::Ss(vec![]),
            1 => AttributeValue::Ns(vec![]),
            _ => AttributeValue::Bs(vec![]),
        };
        for as_list in wrap {
            value = if as_list {
                AttributeValue::L(vec![AttributeValue::Null, value])
            } else {
                AttributeValue::M([("k".to_string(), value)].into())
            };
        }
        let mut item = item;
        let mut options = options;
        item.insert("zzz".into(), value);
        options.actions.insert("zzz".into(), Action::DoNothing);
        let err = encrypt_plan(item, &options).unwrap_err();
        prop_assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        prop_assert!(err.to_string().contains("set is empty"));
    }
}
