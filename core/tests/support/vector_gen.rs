//! Builds the shared test vectors of `tests/vectors/` with fixed keys, IVs and
//! message ids. Used by `examples/generate_vectors.rs` (which writes them) and
//! by `tests/vectors.rs` (which checks the committed files are identical).

use std::collections::BTreeMap;

use mrkenv::keyring::{Keyring, KmsMrkKeyring, RawAesKeyring};
use mrkenv::rekey::{RekeyOptions, RekeyPlan};
use mrkenv::{
    encrypt, DataKey, EncryptOptions, EncryptedDataKey, EncryptionContext, EncryptionMaterials,
    Limits,
};
use serde_json::{json, Value};

/// A vector: its file name (without `.json`) and its JSON content.
pub struct Vector {
    pub name: String,
    pub json: Value,
}

const WRAPPING_KEY: [u8; 32] = [0x42; 32];
const WRONG_WRAPPING_KEY: [u8; 32] = [0x43; 32];
const NAMESPACE: &str = "mrkenv-vectors";
const KEY_NAME: &str = "raw-aes-key-1";
const MRK_EAST: &str =
    "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const SRK_EAST: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const SRK_WEST: &str =
    "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ADDED_WRAPPING_KEY: [u8; 32] = [0x44; 32];
const ADDED_KEY_NAME: &str = "raw-aes-key-2";
const ADDED_IV: [u8; 12] = [0x77; 12];
const MRK_WEST_OTHER: &str =
    "arn:aws:kms:us-west-2:111122223333:key/mrk-00000000000000000000000000000000";

fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Deterministic plaintext of `len` bytes.
fn plaintext(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(seed as u32) as u8)
        .collect()
}

struct Spec {
    name: &'static str,
    description: &'static str,
    kms: bool,
    kms_key_ids: Vec<&'static str>,
    context: EncryptionContext,
    plaintext: Vec<u8>,
    frame_length: u32,
    extra_edks: usize,
}

impl Spec {
    fn raw(name: &'static str, description: &'static str, len: usize, frame_length: u32) -> Spec {
        Spec {
            name,
            description,
            kms: false,
            kms_key_ids: vec![],
            context: ctx(&[("purpose", "test vectors"), ("tenant", "acme")]),
            plaintext: plaintext(len, name.len() as u8),
            frame_length,
            extra_edks: 0,
        }
    }
}

struct Built {
    spec: Spec,
    seed: u8,
    data_key: [u8; 32],
    message_id: [u8; 32],
    iv: [u8; 12],
    keyring: Value,
    ciphertext: Vec<u8>,
}

fn raw_keyring_json(key: &[u8; 32]) -> Value {
    json!({
        "type": "raw-aes",
        "key_namespace": NAMESPACE,
        "key_name": KEY_NAME,
        "wrapping_key": hex::encode(key),
    })
}

fn build(spec: Spec, seed: u8) -> Built {
    let data_key = [0xd0 ^ seed; 32];
    let message_id = [seed; 32];
    let iv = [0x10 + seed; 12];
    let limits = Limits {
        max_encrypted_data_keys: 64,
        ..Limits::default()
    };
    let (mut materials, keyring) = if spec.kms {
        let responses: Vec<Value> = spec
            .kms_key_ids
            .iter()
            .enumerate()
            .map(|(i, key_id)| {
                let blob: Vec<u8> =
                    format!("fake-kms-blob:{}:{}:{}", spec.name, i, key_id).into_bytes();
                json!({"key_id": key_id, "ciphertext_blob": hex::encode(blob)})
            })
            .collect();
        let edks = responses
            .iter()
            .map(|r| EncryptedDataKey {
                provider_id: "aws-kms".into(),
                provider_info: r["key_id"].as_str().unwrap().to_string(),
                ciphertext: hex::decode(r["ciphertext_blob"].as_str().unwrap()).unwrap(),
            })
            .collect();
        (
            EncryptionMaterials {
                data_key: DataKey::new(data_key),
                encrypted_data_keys: edks,
                encryption_context: spec.context.clone(),
            },
            json!({"type": "aws-kms", "key_ids": spec.kms_key_ids, "kms_responses": responses}),
        )
    } else {
        let keyring = RawAesKeyring::new(NAMESPACE, KEY_NAME, &WRAPPING_KEY).unwrap();
        let materials = keyring
            .encryption_materials_with(&spec.context, &limits, DataKey::new(data_key), iv)
            .unwrap();
        (materials, raw_keyring_json(&WRAPPING_KEY))
    };
    for i in 0..spec.extra_edks {
        materials.encrypted_data_keys.push(EncryptedDataKey {
            provider_id: "other-provider".into(),
            provider_info: format!("key-{i}"),
            ciphertext: vec![i as u8; 60],
        });
    }
    let options = EncryptOptions {
        frame_length: spec.frame_length,
        limits,
        message_id: Some(message_id),
    };
    let ciphertext = encrypt(materials, &spec.plaintext, &options).unwrap();
    Built {
        spec,
        seed,
        data_key,
        message_id,
        iv,
        keyring,
        ciphertext,
    }
}

fn to_json(
    built: &Built,
    name: &str,
    description: &str,
    ciphertext: &[u8],
    outcome: Result<(), &str>,
    extra: &[(&str, Value)],
) -> Vector {
    let mut map = serde_json::Map::new();
    map.insert("name".into(), json!(name));
    map.insert("description".into(), json!(description));
    map.insert("keyring".into(), built.keyring.clone());
    map.insert("data_key".into(), json!(hex::encode(built.data_key)));
    if !built.spec.kms {
        map.insert("raw_aes_iv".into(), json!(hex::encode(built.iv)));
    }
    map.insert("message_id".into(), json!(hex::encode(built.message_id)));
    map.insert(
        "encryption_context".into(),
        json!(built.spec.context.clone()),
    );
    map.insert(
        "required_encryption_context".into(),
        json!(BTreeMap::<String, String>::new()),
    );
    map.insert("frame_length".into(), json!(built.spec.frame_length));
    map.insert(
        "plaintext".into(),
        json!(hex::encode(&built.spec.plaintext)),
    );
    map.insert("ciphertext".into(), json!(hex::encode(ciphertext)));
    match outcome {
        Ok(()) => {
            map.insert("result".into(), json!("ok"));
        }
        Err(kind) => {
            map.insert("result".into(), json!("error"));
            map.insert("error_kind".into(), json!(kind));
        }
    }
    map.insert(
        "reencrypt".into(),
        json!(outcome.is_ok() && built.spec.extra_edks == 0 && ciphertext == built.ciphertext),
    );
    for (key, value) in extra {
        map.insert(key.to_string(), value.clone());
    }
    let _ = built.seed;
    Vector {
        name: name.to_string(),
        json: Value::Object(map),
    }
}

fn positive(built: &Built) -> Vector {
    to_json(
        built,
        built.spec.name,
        built.spec.description,
        &built.ciphertext,
        Ok(()),
        &[],
    )
}

/// Offsets of the pieces of a message: (header start, header end, first frame start).
fn layout(message: &[u8]) -> (usize, usize, usize) {
    let (len, head) = mrkenv::format::cbor::read_head(&message[5..], 2, "header")
        .unwrap()
        .unwrap();
    let header_start = 5 + head;
    let header_end = header_start + len as usize;
    (header_start, header_end, header_end + 17)
}

/// `message` with its header bytes replaced by `header` (and the header's
/// byte string head fixed), everything after the header unchanged.
fn with_header(message: &[u8], header: &[u8]) -> Vec<u8> {
    let (_, header_end, _) = layout(message);
    let mut rebuilt = message[..5].to_vec();
    mrkenv::format::cbor::write_head(&mut rebuilt, 2, header.len() as u64);
    rebuilt.extend_from_slice(header);
    rebuilt.extend_from_slice(&message[header_end..]);
    rebuilt
}

/// The header bytes of `message` without field `key` (6, frame length 1024;
/// or 7, the key commitment, which ends the map): a map of 6 entries.
fn header_without_field(message: &[u8], key: u8) -> Vec<u8> {
    let (header_start, header_end, _) = layout(message);
    let header = &message[header_start..header_end];
    // Field 7 is the last 35 bytes, `07 58 20` and 32 bytes; field 6 the 4
    // bytes before, `06 19 04 00`.
    let field7 = header.len() - 35;
    assert_eq!(&header[field7..field7 + 3], &[0x07, 0x58, 0x20]);
    let field6 = field7 - 4;
    assert_eq!(&header[field6..field7], &[0x06, 0x19, 0x04, 0x00]);
    assert_eq!(header[0], 0xa7);
    let mut out = vec![0xa6];
    match key {
        6 => {
            out.extend_from_slice(&header[1..field6]);
            out.extend_from_slice(&header[field7..]);
        }
        7 => out.extend_from_slice(&header[1..field7]),
        _ => panic!("only fields 6 and 7"),
    }
    out
}

/// Spans of the frames of a message, in order.
fn frames(message: &[u8], frame_length: u32) -> Vec<(usize, usize)> {
    let (_, _, mut at) = layout(message);
    let mut spans = Vec::new();
    let mut seq = 1;
    while at < message.len() {
        let head = mrkenv::format::frame::read_frame_head(&message[at..], seq, frame_length)
            .unwrap()
            .unwrap();
        spans.push((at, at + head.total_len()));
        at += head.total_len();
        seq += 1;
    }
    spans
}

/// Every vector, in a fixed order.
pub fn all() -> Vec<Vector> {
    let mut out = Vec::new();
    let mut seed = 0u8;
    let mut next = |spec: Spec| {
        seed += 1;
        build(spec, seed)
    };

    let one_frame = next(Spec::raw(
        "ok-one-frame",
        "raw AES keyring, 100 bytes in one final frame of a 1024-byte frame length",
        100,
        1024,
    ));
    out.push(positive(&one_frame));
    let many = next(Spec::raw(
        "ok-many-frames",
        "raw AES keyring, 5000 bytes: four full 1024-byte frames and a final frame of 904",
        5000,
        1024,
    ));
    out.push(positive(&many));
    out.push(positive(&next(Spec::raw(
        "ok-empty-plaintext",
        "raw AES keyring, empty plaintext: a single empty final frame",
        0,
        1024,
    ))));
    let exact = next(Spec::raw(
        "ok-exact-multiple",
        "raw AES keyring, 2048 bytes at frame length 1024: two full frames and an empty final frame",
        2048,
        1024,
    ));
    out.push(positive(&exact));
    out.push(positive(&next(Spec::raw(
        "ok-default-frame-length",
        "raw AES keyring, 3000 bytes with the default 65536-byte frame length",
        3000,
        65536,
    ))));
    let mut large_context = Spec::raw(
        "ok-large-context",
        "raw AES keyring, a context of 100 entries with long and non-ASCII values",
        300,
        1024,
    );
    large_context.context = (0..100)
        .map(|i| {
            (
                format!("key-{i:03}-{}", "k".repeat(i % 7)),
                format!("valeur-{i}-ü-{}", "v".repeat(i * 3)),
            )
        })
        .collect();
    out.push(positive(&next(large_context)));
    let kms_single = next(Spec {
        name: "ok-aws-kms-mrk",
        description: "aws-kms keyring with one multi-Region key (us-east-1); the data key is given",
        kms: true,
        kms_key_ids: vec![MRK_EAST],
        context: ctx(&[("purpose", "test vectors")]),
        plaintext: plaintext(1500, 7),
        frame_length: 1024,
        extra_edks: 0,
    });
    out.push(positive(&kms_single));
    let several = next(Spec {
        name: "ok-aws-kms-several-edks",
        description:
            "aws-kms keyring with three keys (MRK, single-Region key, another MRK): three EDKs",
        kms: true,
        kms_key_ids: vec![MRK_EAST, SRK_EAST, MRK_WEST_OTHER],
        context: ctx(&[("purpose", "test vectors"), ("table", "orders")]),
        plaintext: plaintext(2500, 9),
        frame_length: 1024,
        extra_edks: 0,
    });
    out.push(positive(&several));

    // Negative vectors.
    let mut bytes = one_frame.ciphertext.clone();
    let (header_start, header_end, _) = layout(&bytes);
    // The message id is the 32 bytes after `03 58 20` in the header.
    let at = header_start
        + bytes[header_start..header_end]
            .windows(3)
            .position(|w| w == [0x03, 0x58, 0x20])
            .unwrap()
        + 3;
    bytes[at] ^= 0x01;
    out.push(to_json(
        &one_frame,
        "err-tampered-header-message-id",
        "one bit of the message id flipped: the key commitment no longer matches",
        &bytes,
        Err("Authentication"),
        &[],
    ));

    let mut bytes = kms_single.ciphertext.clone();
    let (header_start, header_end, _) = layout(&bytes);
    let needle = b"test vectors";
    let at = header_start
        + bytes[header_start..header_end]
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap();
    bytes[at] = b'b';
    out.push(to_json(
        &kms_single,
        "err-tampered-header-context",
        "one character of a context value changed (aws-kms): the header tag does not verify",
        &bytes,
        Err("Authentication"),
        &[],
    ));

    let mut bytes = many.ciphertext.clone();
    let spans = frames(&bytes, 1024);
    bytes[spans[1].0 + 100] ^= 0x80;
    out.push(to_json(
        &many,
        "err-tampered-frame",
        "one bit of frame 2's ciphertext flipped",
        &bytes,
        Err("Authentication"),
        &[],
    ));

    let bytes = many.ciphertext[..spans.last().unwrap().0].to_vec();
    out.push(to_json(
        &many,
        "err-missing-final-frame",
        "the final frame removed: the message ends after frame 4",
        &bytes,
        Err("MalformedMessage"),
        &[],
    ));

    let mut bytes = many.ciphertext[..spans[0].0].to_vec();
    bytes.extend_from_slice(&many.ciphertext[spans[1].0..spans[1].1]);
    bytes.extend_from_slice(&many.ciphertext[spans[0].0..spans[0].1]);
    bytes.extend_from_slice(&many.ciphertext[spans[2].0..]);
    out.push(to_json(
        &many,
        "err-reordered-frames",
        "frames 1 and 2 swapped",
        &bytes,
        Err("MalformedMessage"),
        &[],
    ));

    let mut bytes = exact.ciphertext.clone();
    bytes.extend_from_slice(&[0x00]);
    out.push(to_json(
        &exact,
        "err-trailing-bytes",
        "one byte after the final frame",
        &bytes,
        Err("MalformedMessage"),
        &[],
    ));

    let bytes = &exact.ciphertext[..exact.ciphertext.len() - 5];
    out.push(to_json(
        &exact,
        "err-truncated",
        "the last 5 bytes cut off (inside the final frame's tag)",
        bytes,
        Err("MalformedMessage"),
        &[],
    ));

    out.push(to_json(
        &one_frame,
        "err-wrong-key",
        "decrypted with a raw AES keyring of the same names but another wrapping key",
        &one_frame.ciphertext,
        Err("NoDecryptableKey"),
        &[("decrypt_keyring", raw_keyring_json(&WRONG_WRAPPING_KEY))],
    ));

    out.push(to_json(
        &one_frame,
        "err-wrong-required-context",
        "decrypt requires purpose = other, the message has purpose = test vectors",
        &one_frame.ciphertext,
        Err("ContextMismatch"),
        &[("required_encryption_context", json!({"purpose": "other"}))],
    ));

    let mut too_many = Spec::raw(
        "err-too-many-edks",
        "17 encrypted data keys, one more than the default limit of 16",
        10,
        1024,
    );
    too_many.extra_edks = 16;
    let too_many = next(too_many);
    out.push(to_json(
        &too_many,
        "err-too-many-edks",
        "17 encrypted data keys, one more than the default limit of 16",
        &too_many.ciphertext,
        Err("LimitExceeded"),
        &[],
    ));

    // Frame length 1024 is `06 19 04 00` in the header; write it as a
    // 4-byte integer `06 1a 00 00 04 00` and fix the header's length.
    let bytes = &one_frame.ciphertext;
    let (header_start, header_end, _) = layout(bytes);
    let header = &bytes[header_start..header_end];
    let at = header
        .windows(4)
        .position(|w| w == [0x06, 0x19, 0x04, 0x00])
        .unwrap();
    let mut longer = header[..at].to_vec();
    longer.extend_from_slice(&[0x06, 0x1a, 0x00, 0x00, 0x04, 0x00]);
    longer.extend_from_slice(&header[at + 4..]);
    out.push(to_json(
        &one_frame,
        "err-non-deterministic-cbor",
        "the header's frame length written as a 4-byte integer instead of the shortest form",
        &with_header(bytes, &longer),
        Err("MalformedMessage"),
        &[],
    ));

    // The frame length's value replaced by arrays nested 50,000 deep
    // (`81` each, 50 KB, within the 256 KiB header limit) around it: a
    // decoder that recursed over hostile nesting would run out of stack;
    // FORMAT.md §2.4 and §7.1 step 6.2 stop at the fourth level.
    let mut deep = header[..at + 1].to_vec();
    deep.extend(std::iter::repeat_n(0x81, 50_000));
    deep.extend_from_slice(&[0x19, 0x04, 0x00]);
    deep.extend_from_slice(&header[at + 4..]);
    out.push(to_json(
        &one_frame,
        "err-header-nested-too-deeply",
        "the header's frame length wrapped in arrays nested 50,000 deep: MalformedMessage at \
         the fourth level, without recursing (a small stack must not overflow)",
        &with_header(bytes, &deep),
        Err("MalformedMessage"),
        &[],
    ));

    let mut bytes = one_frame.ciphertext.clone();
    bytes[4] = 2;
    out.push(to_json(
        &one_frame,
        "err-unknown-version",
        "the prefix's version byte set to 2",
        &bytes,
        Err("MalformedMessage"),
        &[],
    ));

    let mut bytes = one_frame.ciphertext.clone();
    let (header_start, _, _) = layout(&bytes);
    // The header map starts `a7 01 01 02 01`: field 2 (suite) = 1.
    assert_eq!(&bytes[header_start..header_start + 5], &[0xa7, 1, 1, 2, 1]);
    bytes[header_start + 4] = 9;
    out.push(to_json(
        &one_frame,
        "err-unknown-suite",
        "the header's suite set to 9",
        &bytes,
        Err("MalformedMessage"),
        &[],
    ));

    // Suite 2 is a record suite: a message header naming it is refused as
    // an unknown suite is.
    bytes[header_start + 4] = 2;
    out.push(to_json(
        &one_frame,
        "err-record-suite",
        "the header's suite set to 2, the record suite (FORMAT.md §14.5): messages know suite 1 only",
        &bytes,
        Err("MalformedMessage"),
        &[],
    ));

    // The order of FORMAT.md §7.1: everything up to and including the header
    // tag's framing is checked before a keyring runs. The wrong wrapping key
    // makes a keyring that ran first fail with NoDecryptableKey instead.
    let (_, header_end, frames_start) = layout(&one_frame.ciphertext);
    out.push(to_json(
        &one_frame,
        "err-truncated-after-header",
        "the message cut right after its header (no header tag), decrypted with the wrong \
         wrapping key: MalformedMessage (truncated) before any keyring or KMS call",
        &one_frame.ciphertext[..header_end],
        Err("MalformedMessage"),
        &[("decrypt_keyring", raw_keyring_json(&WRONG_WRAPPING_KEY))],
    ));

    let mut bytes = one_frame.ciphertext[..header_end].to_vec();
    assert_eq!(one_frame.ciphertext[header_end], 0x50);
    bytes.push(0x51); // a byte string of 17 bytes: the tag and one more byte
    bytes.extend_from_slice(&one_frame.ciphertext[header_end + 1..frames_start]);
    bytes.push(0x00);
    bytes.extend_from_slice(&one_frame.ciphertext[frames_start..]);
    out.push(to_json(
        &one_frame,
        "err-header-tag-17-bytes",
        "the header tag is a 17-byte string (one byte added), decrypted with the wrong \
         wrapping key: MalformedMessage before any keyring or KMS call",
        &bytes,
        Err("MalformedMessage"),
        &[("decrypt_keyring", raw_keyring_json(&WRONG_WRAPPING_KEY))],
    ));

    // A missing field is found (§7.1 6.3) before any limit is checked (6.8).
    for (key, name) in [(7, "key commitment"), (6, "frame length")] {
        let header = header_without_field(&too_many.ciphertext, key);
        out.push(to_json(
            &too_many,
            &format!("err-missing-field-{key}-too-many-edks"),
            &format!(
                "header field {key} ({name}) removed from a header with 17 encrypted data keys \
                 (over the default limit of 16): MalformedMessage (missing field), not LimitExceeded"
            ),
            &with_header(&too_many.ciphertext, &header),
            Err("MalformedMessage"),
            &[],
        ));
    }

    out.extend(rekeyed_vectors(&many, &several, &kms_single));
    out
}

/// The raw AES keyring that re-keyed vectors add.
fn added_raw_keyring() -> RawAesKeyring {
    RawAesKeyring::new(NAMESPACE, ADDED_KEY_NAME, &ADDED_WRAPPING_KEY).unwrap()
}

/// `built`'s message re-keyed with the sans-IO steps: `remove` removed,
/// `added` appended: what the wrap session of `add` would give, wrapped here
/// with a fixed IV or a fake KMS blob. Asserts that every frame is
/// byte-identical to the source's.
fn rekeyed(built: &Built, remove: &[&str], add: Keyring, added: Vec<EncryptedDataKey>) -> Vec<u8> {
    let options = RekeyOptions {
        add: Some(add),
        remove: remove.iter().map(|r| r.to_string()).collect(),
        ..Default::default()
    };
    let plan = RekeyPlan::new(&built.ciphertext, &options).unwrap();
    let offset = plan.body_offset();
    let verified = plan.verify(DataKey::new(built.data_key)).unwrap();
    let mut message = verified.new_head(added).unwrap();
    message.extend_from_slice(&built.ciphertext[offset..]);
    let frame_length = built.spec.frame_length;
    let old: Vec<&[u8]> = frames(&built.ciphertext, frame_length)
        .into_iter()
        .map(|(a, b)| &built.ciphertext[a..b])
        .collect();
    let new: Vec<&[u8]> = frames(&message, frame_length)
        .into_iter()
        .map(|(a, b)| &message[a..b])
        .collect();
    assert_eq!(old, new, "{}: re-keyed frames differ", built.spec.name);
    message
}

/// Re-keyed messages: ordinary messages (a reader needs nothing new), made
/// from vectors above (FORMAT.md part 15).
fn rekeyed_vectors(many: &Built, several: &Built, kms_single: &Built) -> Vec<Vector> {
    let mut out = Vec::new();
    let added_json = json!({
        "type": "raw-aes",
        "key_namespace": NAMESPACE,
        "key_name": ADDED_KEY_NAME,
        "wrapping_key": hex::encode(ADDED_WRAPPING_KEY),
    });
    let raw_added = |built: &Built| {
        added_raw_keyring().wrap(&DataKey::new(built.data_key), &built.spec.context, ADDED_IV)
    };

    let message = rekeyed(many, &[], added_raw_keyring().into(), vec![raw_added(many)]);
    out.push(to_json(
        many,
        "ok-rekeyed-raw-aes-added",
        "ok-many-frames re-keyed: a second raw AES key (raw-aes-key-2) added, decrypted with \
         it; new header and header tag, frames byte-identical to ok-many-frames",
        &message,
        Ok(()),
        &[
            ("keyring", added_json.clone()),
            ("raw_aes_iv", json!(hex::encode(ADDED_IV))),
        ],
    ));

    let name = "ok-rekeyed-aws-kms-replaced";
    let blob = format!("fake-kms-blob:{name}:0:{SRK_WEST}").into_bytes();
    let west = EncryptedDataKey {
        provider_id: "aws-kms".into(),
        provider_info: SRK_WEST.into(),
        ciphertext: blob.clone(),
    };
    let replaced = rekeyed(
        several,
        &[SRK_EAST],
        KmsMrkKeyring::new([SRK_WEST]).unwrap().into(),
        vec![west],
    );
    let west_keyring = json!({
        "type": "aws-kms",
        "key_ids": [SRK_WEST],
        "kms_responses": [{"key_id": SRK_WEST, "ciphertext_blob": hex::encode(&blob)}],
    });
    out.push(to_json(
        several,
        name,
        "ok-aws-kms-several-edks re-keyed: the us-east-1 single-Region key removed, a us-west-2 \
         single-Region key added (EDKs: MRK east, other MRK, SRK west), decrypted in us-west-2; \
         frames byte-identical",
        &replaced,
        Ok(()),
        &[("keyring", west_keyring.clone())],
    ));
    out.push(to_json(
        several,
        "err-rekeyed-removed-key",
        "ok-rekeyed-aws-kms-replaced decrypted with the removed us-east-1 key alone: its \
         encrypted data key is gone (NoDecryptableKey, no KMS call)",
        &replaced,
        Err("NoDecryptableKey"),
        &[
            ("keyring", west_keyring),
            (
                "decrypt_keyring",
                json!({
                    "type": "aws-kms",
                    "key_ids": [SRK_EAST],
                    "kms_responses": [several.keyring["kms_responses"][1].clone()],
                }),
            ),
        ],
    ));

    let message = rekeyed(
        kms_single,
        &[MRK_EAST],
        added_raw_keyring().into(),
        vec![raw_added(kms_single)],
    );
    out.push(to_json(
        kms_single,
        "ok-rekeyed-kms-replaced-by-raw-aes",
        "ok-aws-kms-mrk re-keyed: its only KMS key removed and a raw AES key added, decrypted \
         with the raw AES key; frames byte-identical",
        &message,
        Ok(()),
        &[
            ("keyring", added_json),
            ("raw_aes_iv", json!(hex::encode(ADDED_IV))),
        ],
    ));
    out
}

/// The text of a vector file: pretty JSON and a final newline.
pub fn file_text(vector: &Vector) -> String {
    let mut text = serde_json::to_string_pretty(&vector.json).unwrap();
    text.push('\n');
    text
}
