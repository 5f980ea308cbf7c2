//! Hostile nesting on small stacks: every place the core decodes CBOR (the
//! message header's context, a record header, a record value) and the
//! DynamoDB JSON reader get input nested 1 to 300 levels deep, arrays and
//! maps, on threads with 64 KiB and 128 KiB stacks. Every depth must end in
//! a clean error of the documented kind (or, for a record value within
//! `max_record_depth`, in the value) — never a stack overflow, which kills
//! the process whatever catches panics.

use std::thread;

use mrkenv::format::cbor::{write_bytes, write_head, MAJOR_BYTES, MAJOR_MAP, MAJOR_UNSIGNED};
use mrkenv::format::PREFIX;
use mrkenv::keyring::RawAesKeyring;
use mrkenv::record::json::{item_from_dynamodb_json, item_to_dynamodb_json};
use mrkenv::record::{
    decrypt_plan, encrypt_plan, Action, AttributeValue, DecryptPlan, DecryptRecordOptions,
    EncryptRecordOptions, Item, RecordHeader, HEADER_ATTRIBUTE, TAG_ATTRIBUTE,
};
use mrkenv::rekey::{RekeyOptions, RekeyPlan};
use mrkenv::{
    decrypt, inspect, parse_header, DataKey, DecryptOptions, Decryptor, ErrorKind, Limits,
};

const DEPTHS: std::ops::RangeInclusive<usize> = 1..=300;
const STACKS: [usize; 2] = [64 * 1024, 128 * 1024];

/// Runs `check` on a fresh thread with a `stack`-byte stack and returns its
/// result; a stack overflow would abort the whole test process.
fn on_small_stack<T: Send + 'static>(
    stack: usize,
    check: impl FnOnce() -> T + Send + 'static,
) -> T {
    thread::Builder::new()
        .stack_size(stack)
        .spawn(check)
        .expect("spawn a thread")
        .join()
        .expect("the check panicked")
}

/// Nested arrays (`[[...[0]...]]`) or maps (`{"k": {"k": ... 0}}`),
/// `depth` containers deep.
fn nested(depth: usize, maps: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..depth {
        if maps {
            out.extend_from_slice(&[0xa1, 0x61, b'k']);
        } else {
            out.push(0x81);
        }
    }
    out.push(0x00);
    out
}

/// A header map whose field 4 (the context) is `field4` and field 6 is
/// `field6`; every other field is valid.
fn header_map(field4: &[u8], field6: &[u8]) -> Vec<u8> {
    let mut map = Vec::new();
    write_head(&mut map, MAJOR_MAP, 7);
    for (key, value) in [(1u64, 1u64), (2, 1)] {
        write_head(&mut map, MAJOR_UNSIGNED, key);
        write_head(&mut map, MAJOR_UNSIGNED, value);
    }
    write_head(&mut map, MAJOR_UNSIGNED, 3);
    write_bytes(&mut map, &[1; 32]);
    write_head(&mut map, MAJOR_UNSIGNED, 4);
    map.extend_from_slice(field4);
    write_head(&mut map, MAJOR_UNSIGNED, 5);
    map.extend_from_slice(&[0x81, 0x83, 0x61, b'p', 0x61, b'i', 0x41, 0x01]);
    write_head(&mut map, MAJOR_UNSIGNED, 6);
    map.extend_from_slice(field6);
    write_head(&mut map, MAJOR_UNSIGNED, 7);
    write_bytes(&mut map, &[2; 32]);
    map
}

/// A message (prefix, header, header tag, no frames) whose context field is
/// `context`.
fn message_with_context(context: &[u8]) -> Vec<u8> {
    let map = header_map(context, &[0x19, 0x04, 0x00]);
    let mut message = PREFIX.to_vec();
    write_head(&mut message, MAJOR_BYTES, map.len() as u64);
    message.extend_from_slice(&map);
    write_bytes(&mut message, &[3; 16]);
    message
}

#[test]
fn a_deep_message_context_is_malformed_on_small_stacks() {
    for stack in STACKS {
        on_small_stack(stack, move || {
            for maps in [false, true] {
                for depth in DEPTHS {
                    let message = message_with_context(&nested(depth, maps));
                    let what = format!("depth {depth}, maps {maps}, stack {stack}");
                    let kind = parse_header(&message, &Limits::default())
                        .unwrap_err()
                        .kind();
                    assert_eq!(kind, ErrorKind::MalformedMessage, "parse_header, {what}");
                    let kind = inspect(&message).unwrap_err().kind();
                    assert_eq!(kind, ErrorKind::MalformedMessage, "inspect, {what}");
                    let kind =
                        decrypt(&message, &DataKey::new([0; 32]), &DecryptOptions::default())
                            .unwrap_err()
                            .kind();
                    assert_eq!(kind, ErrorKind::MalformedMessage, "decrypt, {what}");
                    let mut decryptor = Decryptor::new(DecryptOptions::default());
                    let kind = decryptor
                        .update(&message, &mut Vec::new())
                        .unwrap_err()
                        .kind();
                    assert_eq!(kind, ErrorKind::MalformedMessage, "Decryptor, {what}");
                    let kind = RekeyPlan::new(&message, &RekeyOptions::default())
                        .unwrap_err()
                        .kind();
                    assert_eq!(kind, ErrorKind::MalformedMessage, "rekey, {what}");
                }
            }
        });
    }
}

#[test]
fn a_deep_record_header_field_is_malformed_on_small_stacks() {
    for stack in STACKS {
        on_small_stack(stack, move || {
            for maps in [false, true] {
                for depth in DEPTHS {
                    let what = format!("depth {depth}, maps {maps}, stack {stack}");
                    let deep = nested(depth, maps);
                    let signed = [0xa1, 0x61, b'a', 0x01];
                    for header in [header_map(&deep, &signed), header_map(&[0xa0], &deep)] {
                        let err = RecordHeader::decode(&header, &Limits::default()).unwrap_err();
                        assert_eq!(err.kind(), ErrorKind::MalformedMessage, "{what}: {err}");
                        // The whole path: an item carrying that header.
                        let mut item = Item::new();
                        item.insert("pk".into(), AttributeValue::S("1".into()));
                        item.insert(HEADER_ATTRIBUTE.into(), AttributeValue::B(header));
                        item.insert(TAG_ATTRIBUTE.into(), AttributeValue::B(vec![0; 16]));
                        let options = DecryptRecordOptions::new("t", "pk");
                        let err = decrypt_plan(item, &options).unwrap_err();
                        assert_eq!(err.kind(), ErrorKind::MalformedMessage, "{what}: {err}");
                    }
                }
            }
        });
    }
}

/// A value of `L` (or `M`) nested `depth` deep around a number.
fn deep_value(depth: usize, maps: bool) -> AttributeValue {
    let mut value = AttributeValue::N(mrkenv::record::Number::parse("1").unwrap());
    for _ in 0..depth {
        value = if maps {
            AttributeValue::M([("k".to_string(), value)].into())
        } else {
            AttributeValue::L(vec![value])
        };
    }
    value
}

#[test]
fn a_deep_record_value_is_refused_past_the_depth_limit_on_small_stacks() {
    let max = Limits::default().max_record_depth;
    for maps in [false, true] {
        // Encoded on this (large) stack, decoded on small ones.
        let encodings: Vec<(usize, Vec<u8>)> = DEPTHS
            .map(|depth| (depth, deep_value(depth, maps).encode_content()))
            .collect();
        let code = if maps { 7 } else { 6 };
        for stack in STACKS {
            let encodings = encodings.clone();
            on_small_stack(stack, move || {
                for (depth, bytes) in encodings {
                    let decoded = AttributeValue::decode_content(code, &bytes, max);
                    if depth <= max {
                        let value = decoded.unwrap_or_else(|e| panic!("depth {depth}: {e}"));
                        assert_eq!(value.depth(max), depth);
                    } else {
                        let err = decoded.unwrap_err();
                        assert!(err.contains("nested deeper than"), "depth {depth}: {err}");
                    }
                }
            });
        }
    }
}

#[test]
fn a_deep_encrypted_record_value_decrypts_or_is_malformed_on_small_stacks() {
    let keyring = RawAesKeyring::new("ns", "key", &[7; 32]).unwrap();
    let max = Limits::default().max_record_depth;
    for maps in [false, true] {
        let mut sealed = Vec::new();
        for depth in DEPTHS {
            let mut item = Item::new();
            item.insert("pk".into(), AttributeValue::S("1".into()));
            item.insert("deep".into(), deep_value(depth, maps));
            let mut options = EncryptRecordOptions::new("t", "pk");
            options.actions.insert("pk".into(), Action::SignOnly);
            options
                .actions
                .insert("deep".into(), Action::EncryptAndSign);
            // The writer may go deeper than a reader accepts.
            options.limits.max_record_depth = 400;
            let plan = encrypt_plan(item, &options).unwrap();
            let materials = keyring
                .encryption_materials(plan.encryption_context(), &options.limits)
                .unwrap();
            sealed.push((depth, plan.seal(materials).unwrap()));
        }
        for stack in STACKS {
            let sealed = sealed.clone();
            let keyring = keyring.clone();
            on_small_stack(stack, move || {
                for (depth, item) in sealed {
                    let options = DecryptRecordOptions::new("t", "pk");
                    let DecryptPlan::Encrypted(record) = decrypt_plan(item, &options).unwrap()
                    else {
                        panic!("encrypted")
                    };
                    let key = keyring
                        .unwrap(record.encrypted_data_keys(), record.encryption_context())
                        .unwrap();
                    let opened = record.open(&key);
                    if depth <= max {
                        assert!(opened.is_ok(), "depth {depth}: {opened:?}");
                    } else {
                        let err = opened.unwrap_err();
                        assert_eq!(err.kind(), ErrorKind::MalformedMessage, "depth {depth}");
                    }
                }
            });
        }
    }
}

/// `{"a": {"L": [{"L": [ ... {"N": "1"} ... ]}]}}` (or `M`), and a
/// plain-JSON nest of the same depth in place of an attribute value.
fn deep_json(depth: usize, maps: bool, dynamodb: bool) -> String {
    let (open, close) = match (dynamodb, maps) {
        (true, false) => (r#"{"L": ["#, "]}"),
        (true, true) => (r#"{"M": {"k": "#, "}}"),
        (false, false) => ("[", "]"),
        (false, true) => (r#"{"k": "#, "}"),
    };
    format!(
        r#"{{"a": {}{{"N": "1"}}{}}}"#,
        open.repeat(depth),
        close.repeat(depth)
    )
}

#[test]
fn deep_dynamodb_json_is_refused_past_the_depth_limit_on_small_stacks() {
    let max = Limits::default().max_record_depth;
    for stack in STACKS {
        on_small_stack(stack, move || {
            for maps in [false, true] {
                for dynamodb in [true, false] {
                    for depth in DEPTHS {
                        let text = deep_json(depth, maps, dynamodb);
                        let read = item_from_dynamodb_json(&text);
                        let what = format!("depth {depth}, maps {maps}, dynamodb {dynamodb}");
                        if dynamodb && depth <= max {
                            let item = read.unwrap_or_else(|e| panic!("{what}: {e}"));
                            // And back to text, as a binding returns it.
                            let again = item_from_dynamodb_json(&item_to_dynamodb_json(&item));
                            assert_eq!(again.unwrap(), item, "{what}");
                        } else {
                            assert!(read.is_err(), "{what}");
                        }
                    }
                }
            }
        });
    }
}
