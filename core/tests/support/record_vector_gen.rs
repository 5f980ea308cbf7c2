//! Builds the record vectors of `tests/vectors/records/` with fixed keys, IVs
//! and message ids. Used by `examples/generate_vectors.rs` (which writes them)
//! and by `tests/records.rs` (which checks the committed files are identical
//! and that each one behaves as it says).

use std::collections::BTreeMap;

use mrkenv::keyring::RawAesKeyring;
use mrkenv::record::json::{item_from_json_value, item_to_json_value};
use mrkenv::record::{
    encrypt_plan, Action, AttributeValue, EncryptRecordOptions, Item, RecordHeader,
    HEADER_ATTRIBUTE, TAG_ATTRIBUTE,
};
use mrkenv::{DataKey, EncryptedDataKey, EncryptionContext, Limits, Suite};
use serde_json::{json, Value};

/// A record vector: its file name (without `.json`) and its JSON content.
pub struct RecordVector {
    pub name: String,
    pub json: Value,
}

pub const WRAPPING_KEY: [u8; 32] = [0x42; 32];
const WRONG_WRAPPING_KEY: [u8; 32] = [0x43; 32];
pub const NAMESPACE: &str = "mrkenv-vectors";
pub const KEY_NAME: &str = "raw-aes-key-1";
pub const SEED_TABLE: &str = "global-table-example";

fn raw_keyring_json(key: &[u8; 32]) -> Value {
    json!({
        "type": "raw-aes",
        "key_namespace": NAMESPACE,
        "key_name": KEY_NAME,
        "wrapping_key": hex::encode(key),
    })
}

/// What a vector encrypts, and with which configuration.
#[derive(Clone)]
struct Spec {
    table_name: &'static str,
    partition_key: &'static str,
    sort_key: Option<&'static str>,
    actions: Vec<(&'static str, Action)>,
    default_action: Option<Action>,
    context: Vec<(&'static str, &'static str)>,
    item: Value,
    extra_edks: usize,
    /// The suite written: [`Suite::RECORD`] but for the suite-1 vectors.
    suite: Suite,
}

impl Spec {
    fn options(&self, seed: u8) -> EncryptRecordOptions {
        let mut options = EncryptRecordOptions::new(self.table_name, self.partition_key);
        options.sort_key = self.sort_key.map(str::to_string);
        options.actions = self
            .actions
            .iter()
            .map(|(n, a)| (n.to_string(), *a))
            .collect();
        options.default_action = self.default_action;
        options.encryption_context = self
            .context
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        options.limits = Limits {
            max_encrypted_data_keys: 64,
            ..Limits::default()
        };
        options.message_id = Some([seed; 32]);
        options.suite = self.suite;
        options
    }

    fn config_json(&self) -> serde_json::Map<String, Value> {
        let mut map = serde_json::Map::new();
        map.insert("table_name".into(), json!(self.table_name));
        map.insert("partition_key".into(), json!(self.partition_key));
        map.insert("sort_key".into(), json!(self.sort_key));
        let actions: BTreeMap<&str, &str> =
            self.actions.iter().map(|(n, a)| (*n, a.as_str())).collect();
        map.insert("actions".into(), json!(actions));
        map.insert(
            "default_action".into(),
            json!(self.default_action.map(|a| a.as_str())),
        );
        let context: BTreeMap<&str, &str> = self.context.iter().copied().collect();
        map.insert("encryption_context".into(), json!(context));
        map
    }
}

/// An encrypted spec, with everything a vector needs.
struct Built {
    spec: Spec,
    seed: u8,
    data_key: [u8; 32],
    iv: [u8; 12],
    record_context: EncryptionContext,
    encrypted: Item,
}

/// Encrypts the way a host with the raw AES keyring does, with fixed randomness.
pub fn encrypt_with(
    item: Item,
    options: &EncryptRecordOptions,
    data_key: [u8; 32],
    iv: [u8; 12],
    extra_edks: usize,
) -> Result<(EncryptionContext, Item), mrkenv::Error> {
    let plan = encrypt_plan(item, options)?;
    let keyring = RawAesKeyring::new(NAMESPACE, KEY_NAME, &WRAPPING_KEY)?;
    let mut materials = keyring.encryption_materials_with(
        plan.encryption_context(),
        &options.limits,
        DataKey::new(data_key),
        iv,
    )?;
    for i in 0..extra_edks {
        materials.encrypted_data_keys.push(EncryptedDataKey {
            provider_id: "other-provider".into(),
            provider_info: format!("key-{i}"),
            ciphertext: vec![i as u8; 60],
        });
    }
    let context = plan.encryption_context().clone();
    Ok((context, plan.seal(materials)?))
}

fn build(spec: Spec, seed: u8) -> Built {
    let data_key = [0xa0 ^ seed; 32];
    let iv = [0x10 + seed; 12];
    let item = item_from_json_value(&spec.item).unwrap();
    let (record_context, encrypted) =
        encrypt_with(item, &spec.options(seed), data_key, iv, spec.extra_edks).unwrap();
    Built {
        spec,
        seed,
        data_key,
        iv,
        record_context,
        encrypted,
    }
}

/// How a vector decrypts: the table configuration (by default the one used
/// to encrypt), required context, allow_plaintext, keyring.
#[derive(Default)]
struct Decrypt {
    table_name: Option<&'static str>,
    partition_key: Option<&'static str>,
    required: Vec<(&'static str, &'static str)>,
    allow_plaintext: bool,
    keyring: Option<Value>,
}

fn vector(
    built: &Built,
    name: &str,
    description: &str,
    encrypted: &Item,
    outcome: Result<&Item, &str>,
    decrypt: Decrypt,
) -> RecordVector {
    let spec = &built.spec;
    let mut map = spec.config_json();
    map.insert("name".into(), json!(name));
    map.insert("description".into(), json!(description));
    map.insert("operation".into(), json!("decrypt"));
    map.insert("keyring".into(), raw_keyring_json(&WRAPPING_KEY));
    map.insert("data_key".into(), json!(hex::encode(built.data_key)));
    map.insert("raw_aes_iv".into(), json!(hex::encode(built.iv)));
    map.insert("message_id".into(), json!(hex::encode([built.seed; 32])));
    map.insert("suite".into(), json!(spec.suite.id()));
    map.insert("plaintext_item".into(), spec.item.clone());
    map.insert(
        "record_encryption_context".into(),
        json!(built.record_context),
    );
    map.insert("encrypted_item".into(), item_to_json_value(encrypted));
    let required: BTreeMap<&str, &str> = decrypt.required.iter().copied().collect();
    map.insert(
        "decrypt".into(),
        json!({
            "table_name": decrypt.table_name.unwrap_or(spec.table_name),
            "partition_key": decrypt.partition_key.unwrap_or(spec.partition_key),
            "sort_key": spec.sort_key,
            "required_encryption_context": required,
            "allow_plaintext": decrypt.allow_plaintext,
            "keyring": decrypt.keyring.unwrap_or_else(|| raw_keyring_json(&WRAPPING_KEY)),
        }),
    );
    // Writers write suite 2 only (no binding lets a caller choose): a record
    // of another suite is for decrypting.
    let reencrypt = outcome.is_ok()
        && spec.suite == Suite::RECORD
        && spec.extra_edks == 0
        && encrypted == &built.encrypted
        && !decrypt.allow_plaintext;
    match outcome {
        Ok(decrypted) => {
            map.insert("result".into(), json!("ok"));
            map.insert("decrypted_item".into(), item_to_json_value(decrypted));
        }
        Err(kind) => {
            map.insert("result".into(), json!("error"));
            map.insert("error_kind".into(), json!(kind));
        }
    }
    map.insert("reencrypt".into(), json!(reencrypt));
    RecordVector {
        name: name.to_string(),
        json: Value::Object(map),
    }
}

/// An encrypt-side error vector: encrypting `plaintext_item` with the
/// configuration must fail with `error_kind`.
fn encrypt_error(name: &str, description: &str, spec: &Spec, seed: u8, kind: &str) -> RecordVector {
    let mut map = spec.config_json();
    map.insert("name".into(), json!(name));
    map.insert("description".into(), json!(description));
    map.insert("operation".into(), json!("encrypt"));
    map.insert("keyring".into(), raw_keyring_json(&WRAPPING_KEY));
    map.insert("data_key".into(), json!(hex::encode([0xa0 ^ seed; 32])));
    map.insert("raw_aes_iv".into(), json!(hex::encode([0x10 + seed; 12])));
    map.insert("message_id".into(), json!(hex::encode([seed; 32])));
    map.insert("plaintext_item".into(), spec.item.clone());
    map.insert("result".into(), json!("error"));
    map.insert("error_kind".into(), json!(kind));
    map.insert("reencrypt".into(), json!(false));
    RecordVector {
        name: name.to_string(),
        json: Value::Object(map),
    }
}

/// The seed's item: employee id signed (partition key), name encrypted.
fn seed_spec() -> Spec {
    Spec {
        table_name: SEED_TABLE,
        partition_key: "employeeId",
        sort_key: None,
        actions: vec![
            ("employeeId", Action::SignOnly),
            ("name", Action::EncryptAndSign),
        ],
        default_action: None,
        context: vec![],
        item: json!({"employeeId": {"S": "1234"}, "name": {"S": "Andy"}}),
        extra_edks: 0,
        suite: Suite::RECORD,
    }
}

fn every_type_spec() -> Spec {
    Spec {
        table_name: "orders",
        partition_key: "tenant",
        sort_key: Some("orderId"),
        actions: vec![
            ("tenant", Action::SignAndIncludeInEncryptionContext),
            ("orderId", Action::SignOnly),
            ("region", Action::SignAndIncludeInEncryptionContext),
            ("status", Action::SignOnly),
            ("note", Action::DoNothing),
        ],
        default_action: Some(Action::EncryptAndSign),
        context: vec![("purpose", "record vectors")],
        item: json!({
            "tenant": {"S": "acme"},
            "orderId": {"N": "00042.50"},
            "region": {"B": "dXMtZWFzdC0x"},
            "status": {"S": "shipped"},
            "note": {"S": "not signed"},
            "s": {"S": "grüße"},
            "n": {"N": "-1E-3"},
            "b": {"B": "AAECAwQ="},
            "t": {"BOOL": true},
            "f": {"BOOL": false},
            "z": {"NULL": true},
            "l": {"L": [{"S": "x"}, {"N": "1"}, {"L": []}, {"M": {"k": {"NULL": true}}}]},
            "m": {"M": {"bb": {"SS": ["b", "a"]}, "c": {"M": {}}, "aaa": {"BOOL": false}}},
            "ss": {"SS": ["zeta", "alpha", "mu"]},
            "ns": {"NS": ["10", "9", "-1.5", "1E+2"]},
            "bs": {"BS": ["AQ==", "AAA=", "/w=="]},
            "empty": {"S": ""}
        }),
        extra_edks: 0,
        suite: Suite::RECORD,
    }
}

/// Every record vector, in a fixed order.
pub fn all() -> Vec<RecordVector> {
    let mut out = Vec::new();
    let mut seed = 0x30u8;
    let mut next = |spec: Spec| {
        seed += 1;
        build(spec, seed)
    };
    let plain = |b: &Built| item_from_json_value(&b.spec.item).unwrap();

    let seed_item = next(seed_spec());
    out.push(vector(
        &seed_item,
        "ok-seed-item",
        "the seed's item on global-table-example: employeeId SIGN_ONLY (partition key), name ENCRYPT_AND_SIGN",
        &seed_item.encrypted,
        Ok(&plain(&seed_item)),
        Decrypt::default(),
    ));

    let every = next(every_type_spec());
    out.push(vector(
        &every,
        "ok-every-type",
        "partition key S (SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT), sort key N (SIGN_ONLY), a B attribute in the context, a DO_NOTHING attribute, and every type (nested L and M, sets, empty S) ENCRYPT_AND_SIGN by default; a caller context",
        &every.encrypted,
        Ok(&plain(&every)),
        Decrypt::default(),
    ));

    let mut binary_key = seed_spec();
    binary_key.partition_key = "pk";
    binary_key.actions = vec![("pk", Action::SignOnly)];
    binary_key.default_action = Some(Action::EncryptAndSign);
    binary_key.item =
        json!({"pk": {"B": "3q2+7w=="}, "secret": {"NS": ["3.14"]}, "more": {"BS": ["AA=="]}});
    let binary_key = next(binary_key);
    out.push(vector(
        &binary_key,
        "ok-binary-partition-key",
        "a B partition key (its context value is base64); the other attributes ENCRYPT_AND_SIGN by default",
        &binary_key.encrypted,
        Ok(&plain(&binary_key)),
        Decrypt::default(),
    ));

    let mut do_nothing = seed_spec();
    do_nothing.actions.push(("lastSeen", Action::DoNothing));
    do_nothing.item = json!({"employeeId": {"S": "1234"}, "name": {"S": "Andy"}, "lastSeen": {"N": "1700000000"}});
    let do_nothing = next(do_nothing);
    let mut changed = do_nothing.encrypted.clone();
    changed.insert("lastSeen".into(), AttributeValue::S("changed".into()));
    changed.insert("addedLater".into(), AttributeValue::Bool(true));
    let mut expected = plain(&do_nothing);
    expected.insert("lastSeen".into(), AttributeValue::S("changed".into()));
    expected.insert("addedLater".into(), AttributeValue::Bool(true));
    out.push(vector(
        &do_nothing,
        "ok-do-nothing-changed",
        "a DO_NOTHING attribute changed (N to S) and an unsigned attribute added after encryption: both pass through unchanged",
        &changed,
        Ok(&expected),
        Decrypt::default(),
    ));

    out.push(vector(
        &seed_item,
        "ok-plaintext-allowed",
        "an item without reserved attributes, decrypted with allow_plaintext: returned unchanged",
        &plain(&seed_item),
        Ok(&plain(&seed_item)),
        Decrypt {
            allow_plaintext: true,
            ..Decrypt::default()
        },
    ));

    // Decrypt-side errors.
    let auth = Err("Authentication");
    let mut item = seed_item.encrypted.clone();
    item.insert("employeeId".into(), AttributeValue::S("1235".into()));
    out.push(vector(
        &seed_item,
        "err-tampered-signed-attribute",
        "the SIGN_ONLY partition key changed from 1234 to 1235",
        &item,
        auth,
        Decrypt::default(),
    ));

    let mut item = seed_item.encrypted.clone();
    if let Some(AttributeValue::B(b)) = item.get_mut("name") {
        b[3] ^= 0x01;
    }
    out.push(vector(
        &seed_item,
        "err-tampered-ciphertext",
        "one bit of the encrypted name flipped",
        &item,
        auth,
        Decrypt::default(),
    ));

    let mut item = every.encrypted.clone();
    let s = item["s"].clone();
    let n = item["n"].clone();
    item.insert("s".into(), n);
    item.insert("n".into(), s);
    out.push(vector(
        &every,
        "err-swapped-ciphertexts",
        "the encrypted values of attributes s and n swapped",
        &item,
        auth,
        Decrypt::default(),
    ));

    let mut other_spec = seed_spec();
    other_spec.item = json!({"employeeId": {"S": "5678"}, "name": {"S": "Andy"}});
    let other = next(other_spec);
    let mut item = seed_item.encrypted.clone();
    item.insert("name".into(), other.encrypted["name"].clone());
    out.push(vector(&seed_item, "err-ciphertext-from-other-item", "the encrypted name replaced by the encrypted name of another item (employeeId 5678) of the same table", &item, auth, Decrypt::default()));

    let mut item = seed_item.encrypted.clone();
    item.remove("name");
    out.push(vector(
        &seed_item,
        "err-removed-signed-attribute",
        "the encrypted (signed) attribute name removed",
        &item,
        auth,
        Decrypt::default(),
    ));

    let rewrite_header = |item: &mut Item, f: &dyn Fn(&mut RecordHeader)| {
        let AttributeValue::B(bytes) = &item[HEADER_ATTRIBUTE] else {
            unreachable!()
        };
        let mut header = RecordHeader::decode(bytes, &Limits::default()).unwrap();
        f(&mut header);
        item.insert(HEADER_ATTRIBUTE.into(), AttributeValue::B(header.encode()));
    };
    let mut item = seed_item.encrypted.clone();
    item.insert("title".into(), AttributeValue::S("Engineer".into()));
    rewrite_header(&mut item, &|h| {
        h.signed_attributes.insert("title".into(), Action::SignOnly);
    });
    out.push(vector(
        &seed_item,
        "err-added-signed-attribute",
        "an attribute title added and listed as SIGN_ONLY in the header",
        &item,
        auth,
        Decrypt::default(),
    ));

    let mut item = seed_item.encrypted.clone();
    rewrite_header(&mut item, &|h| {
        h.signed_attributes.insert("name".into(), Action::SignOnly);
    });
    out.push(vector(
        &seed_item,
        "err-changed-action",
        "the header lists name as SIGN_ONLY instead of ENCRYPT_AND_SIGN",
        &item,
        auth,
        Decrypt::default(),
    ));

    let mut item = every.encrypted.clone();
    rewrite_header(&mut item, &|h| {
        h.encryption_context
            .insert("purpose".into(), "other".into());
    });
    out.push(vector(&every, "err-changed-header-context", "the caller's context value in the header changed (and the header re-encoded): the raw AES keyring cannot unwrap the data key (the context is its AAD; KMS would refuse too)", &item, Err("NoDecryptableKey"), Decrypt::default()));

    let mut item = seed_item.encrypted.clone();
    rewrite_header(&mut item, &|h| h.message_id[0] ^= 1);
    out.push(vector(
        &seed_item,
        "err-changed-header-message-id",
        "one bit of the header's message id flipped: the key commitment does not match",
        &item,
        auth,
        Decrypt::default(),
    ));

    let mismatch = Err("ContextMismatch");
    out.push(vector(
        &seed_item,
        "err-wrong-table",
        "decrypted for table other-table; written for global-table-example",
        &seed_item.encrypted,
        mismatch,
        Decrypt {
            table_name: Some("other-table"),
            ..Decrypt::default()
        },
    ));
    out.push(vector(
        &seed_item,
        "err-wrong-partition-key",
        "decrypted with partition key id; written with employeeId",
        &seed_item.encrypted,
        mismatch,
        Decrypt {
            partition_key: Some("id"),
            ..Decrypt::default()
        },
    ));
    out.push(vector(
        &every,
        "err-wrong-required-context",
        "decrypt requires purpose = other; the record has purpose = record vectors",
        &every.encrypted,
        mismatch,
        Decrypt {
            required: vec![("purpose", "other")],
            ..Decrypt::default()
        },
    ));

    let malformed = Err("MalformedMessage");
    out.push(vector(
        &seed_item,
        "err-not-encrypted",
        "an item without reserved attributes, allow_plaintext not set",
        &plain(&seed_item),
        malformed,
        Decrypt::default(),
    ));

    let mut item = seed_item.encrypted.clone();
    if let Some(AttributeValue::B(b)) = item.get_mut(HEADER_ATTRIBUTE) {
        b.truncate(b.len() - 1);
    }
    out.push(vector(
        &seed_item,
        "err-malformed-header",
        "the header's last byte cut off",
        &item,
        malformed,
        Decrypt::default(),
    ));

    let mut item = seed_item.encrypted.clone();
    item.remove(TAG_ATTRIBUTE);
    out.push(vector(
        &seed_item,
        "err-missing-tag",
        "aws_mrkenv_tag removed, aws_mrkenv_header kept",
        &item,
        malformed,
        Decrypt::default(),
    ));

    let mut item = seed_item.encrypted.clone();
    item.insert("aws_mrkenv_extra".into(), AttributeValue::Null);
    out.push(vector(
        &seed_item,
        "err-unknown-reserved-attribute",
        "an attribute aws_mrkenv_extra added",
        &item,
        malformed,
        Decrypt::default(),
    ));

    out.push(vector(
        &seed_item,
        "err-wrong-key",
        "decrypted with a raw AES keyring of the same names but another wrapping key",
        &seed_item.encrypted,
        Err("NoDecryptableKey"),
        Decrypt {
            keyring: Some(raw_keyring_json(&WRONG_WRAPPING_KEY)),
            ..Decrypt::default()
        },
    ));

    let mut too_many = seed_spec();
    too_many.extra_edks = 16;
    let too_many = next(too_many);
    out.push(vector(
        &too_many,
        "err-too-many-edks",
        "17 encrypted data keys, one more than the default limit of 16",
        &too_many.encrypted,
        Err("LimitExceeded"),
        Decrypt::default(),
    ));

    // Suites: records written with suite 1 (before suite 2) still decrypt;
    // a suite this library does not know is refused; the suite is bound
    // into the key commitment.
    // Each with the seed of its suite-2 twin: the very item that vector held
    // before suite 2.
    for (mut spec, seed, name, description) in [
        (
            every_type_spec(),
            every.seed,
            "ok-suite-1",
            "the every-type item written with suite 1 (HKDF-SHA512), byte for byte ok-every-type as it was before suite 2: still decrypts (decrypt-only: writers write suite 2)",
        ),
        (
            seed_spec(),
            seed_item.seed,
            "ok-suite-1-seed-item",
            "the seed's item written with suite 1 (HKDF-SHA512), byte for byte ok-seed-item as it was before suite 2: still decrypts (decrypt-only)",
        ),
    ] {
        spec.suite = Suite::Aes256GcmHkdfSha512Committed;
        let built = build(spec, seed);
        out.push(vector(
            &built,
            name,
            description,
            &built.encrypted,
            Ok(&plain(&built)),
            Decrypt::default(),
        ));
    }

    let mut item = seed_item.encrypted.clone();
    if let Some(AttributeValue::B(b)) = item.get_mut(HEADER_ATTRIBUTE) {
        // The header map starts `a7 01 01 02 02`: field 2 (suite) = 2.
        assert_eq!(&b[..5], &[0xa7, 1, 1, 2, 2]);
        b[4] = 3;
    }
    out.push(vector(
        &seed_item,
        "err-unknown-suite",
        "the record header's suite set to 3: records are suite 1 or 2",
        &item,
        malformed,
        Decrypt::default(),
    ));

    let mut item = seed_item.encrypted.clone();
    rewrite_header(&mut item, &|h| {
        h.suite = Suite::Aes256GcmHkdfSha512Committed;
    });
    out.push(vector(
        &seed_item,
        "err-suite-changed",
        "the record header's suite changed from 2 to 1 (and re-encoded): the suite-1 key commitment does not match",
        &item,
        auth,
        Decrypt::default(),
    ));

    // Encrypt-side errors.
    let invalid = "InvalidArgument";
    let mut spec = seed_spec();
    spec.actions[0].1 = Action::EncryptAndSign;
    out.push(encrypt_error(
        "err-encrypt-key-encrypt-and-sign",
        "the partition key employeeId configured as ENCRYPT_AND_SIGN",
        &spec,
        0x50,
        invalid,
    ));
    let mut spec = seed_spec();
    spec.item = json!({"employeeId": {"S": "1234"}, "name": {"S": "Andy"}, "aws_mrkenv_header": {"B": "AA=="}});
    spec.default_action = Some(Action::DoNothing);
    out.push(encrypt_error(
        "err-encrypt-reserved-attribute",
        "the input item already holds aws_mrkenv_header",
        &spec,
        0x51,
        invalid,
    ));
    let mut spec = seed_spec();
    spec.item =
        json!({"employeeId": {"S": "1234"}, "name": {"S": "Andy"}, "title": {"S": "Engineer"}});
    out.push(encrypt_error(
        "err-encrypt-missing-action",
        "attribute title has no action and there is no default action",
        &spec,
        0x52,
        invalid,
    ));
    let mut spec = seed_spec();
    spec.item = json!({"employeeId": {"S": "1234"}, "name": {"SS": []}});
    out.push(encrypt_error(
        "err-encrypt-empty-set",
        "name is an empty SS set, which DynamoDB refuses",
        &spec,
        0x53,
        invalid,
    ));
    let mut spec = seed_spec();
    spec.context = vec![("aws-mrkenv:table", "other")];
    out.push(encrypt_error(
        "err-encrypt-reserved-context-key",
        "the caller's context uses the reserved key aws-mrkenv:table",
        &spec,
        0x54,
        invalid,
    ));
    let mut spec = seed_spec();
    spec.item = json!({"name": {"S": "Andy"}});
    out.push(encrypt_error(
        "err-encrypt-missing-partition-key",
        "the item has no employeeId",
        &spec,
        0x55,
        invalid,
    ));
    out
}

/// The text of a vector file: pretty JSON and a final newline.
pub fn file_text(vector: &RecordVector) -> String {
    let mut text = serde_json::to_string_pretty(&vector.json).unwrap();
    text.push('\n');
    text
}
