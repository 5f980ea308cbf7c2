//! First-contact mistakes get errors that point at the real cause: base64
//! or hex text given where message bytes are expected, and keyrings built
//! with account ids, Regions or identifiers that cannot be right.

use mrkenv::keyring::{DiscoveryFilter, KmsMrkDiscoveryKeyring, KmsMrkKeyring, RawAesKeyring};
use mrkenv::record::{decrypt_plan, AttributeValue, DecryptRecordOptions, Item};
use mrkenv::record::{HEADER_ATTRIBUTE, TAG_ATTRIBUTE};
use mrkenv::rekey::{RekeyOptions, RekeyPlan};
use mrkenv::{
    decrypt, encrypt, inspect, parse_header, DataKey, DecryptOptions, Decryptor, EncryptOptions,
    ErrorKind, Limits,
};

fn message() -> Vec<u8> {
    let keyring = RawAesKeyring::new("ns", "name", &[1; 32]).unwrap();
    let materials = keyring
        .encryption_materials(&Default::default(), &Default::default())
        .unwrap();
    encrypt(materials, b"secret", &EncryptOptions::default()).unwrap()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_or_hex_text_for_a_message_gets_a_hint_on_every_read_path() {
    let message = message();
    for (text, kind) in [
        (base64(&message), "base64"),
        (hex::encode(&message), "hex"),
        (format!("{}\n", hex::encode_upper(&message)), "hex"),
    ] {
        let hint = format!("this looks like {kind} text; decode it to bytes first");
        let text = text.as_bytes();
        let errors = [
            parse_header(text, &Limits::default()).unwrap_err(),
            inspect(text).unwrap_err(),
            decrypt(text, &DataKey::new([0; 32]), &DecryptOptions::default()).unwrap_err(),
            Decryptor::new(DecryptOptions::default())
                .update(text, &mut Vec::new())
                .unwrap_err(),
            RekeyPlan::new(text, &RekeyOptions::default()).unwrap_err(),
        ];
        for err in errors {
            assert_eq!(err.kind(), ErrorKind::MalformedMessage);
            assert!(err.to_string().contains(&hint), "{err}");
            assert!(
                err.to_string().contains("missing the \"MRKE\" prefix"),
                "{err}"
            );
        }
    }
    // Other bytes without the prefix: no hint.
    for bytes in [
        &b"\x00\x01\x02\x03\x04\x05"[..],
        b"hello, world",
        b"{\"a\": 1}",
    ] {
        let err = parse_header(bytes, &Limits::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not an mrkenv message: missing the \"MRKE\" prefix"
        );
    }
    // A message with a valid prefix that is damaged later: no hint either.
    let mut damaged = message.clone();
    damaged.truncate(8);
    let err = parse_header(&damaged, &Limits::default()).unwrap_err();
    assert!(!err.to_string().contains("looks like"), "{err}");
}

#[test]
fn a_record_header_given_as_base64_text_gets_a_hint() {
    let header_text = base64(&[0xa7, 0x01, 0x01, 0x02, 0x01, 0x03, 0x58, 0x20]);
    let mut item = Item::new();
    item.insert("pk".into(), AttributeValue::S("1".into()));
    item.insert(
        HEADER_ATTRIBUTE.into(),
        AttributeValue::B(header_text.into_bytes()),
    );
    item.insert(TAG_ATTRIBUTE.into(), AttributeValue::B(vec![0; 16]));
    let err = decrypt_plan(item, &DecryptRecordOptions::new("t", "pk")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedMessage);
    assert!(
        err.to_string()
            .contains("this looks like base64 text; decode it to bytes first"),
        "{err}"
    );
}

#[test]
fn discovery_account_ids_must_be_twelve_digits() {
    assert!(DiscoveryFilter::new("aws", ["111122223333"]).is_ok());
    for bad in [
        "",
        "1111-2222-3333",
        "11112222333",
        "1111222233334",
        "111122223333 ",
    ] {
        let err = DiscoveryFilter::new("aws", [bad]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Keyring);
        let message = err.to_string();
        assert!(message.contains("account id"), "{message}");
        assert!(message.contains("exactly 12 digits"), "{message}");
        assert!(message.contains(&format!("{bad:?}")), "{message}");
    }
    let filter = DiscoveryFilter {
        partition: "aws".into(),
        account_ids: vec!["12345".into()],
    };
    assert!(KmsMrkDiscoveryKeyring::new("us-east-1", Some(filter)).is_err());
    assert!(DiscoveryFilter::new("aws ", ["111122223333"]).is_err());
}

#[test]
fn discovery_regions_must_look_like_regions() {
    for region in ["us-east-1", "us-gov-west-1", "cn-north-1", "eu-central-2"] {
        assert!(
            KmsMrkDiscoveryKeyring::new(region, None).is_ok(),
            "{region}"
        );
    }
    for bad in [
        "",
        "us-east-1 ",
        "US-EAST-1",
        "useast1",
        "us-east",
        "N. Virginia",
        "us_east_1",
    ] {
        let err = KmsMrkDiscoveryKeyring::new(bad, None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Keyring);
        let message = err.to_string();
        assert!(message.contains("invalid region"), "{message}");
        assert!(message.contains("us-east-1"), "{message}");
    }
}

#[test]
fn identifiers_with_whitespace_or_control_characters_are_refused() {
    let arn = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
    for bad in [
        format!("{arn}\n"),
        format!(" {arn}"),
        "alias/my key".to_string(),
        "1234abcd\t".to_string(),
        "mrk-12\u{0}34".to_string(),
    ] {
        let err = KmsMrkKeyring::new([bad.clone()]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArn, "{bad:?}");
        let message = err.to_string();
        assert!(message.contains("invalid KMS key identifier"), "{message}");
        assert!(
            message.contains("whitespace or a control character"),
            "{message}"
        );
    }
    assert!(KmsMrkKeyring::new([arn]).is_ok());
    for (namespace, name, parameter) in [
        ("my app", "key-1", "key namespace"),
        ("my-app", "key 1", "key name"),
        ("my-app", "key-1\r\n", "key name"),
        ("my-app\u{7f}", "key-1", "key namespace"),
    ] {
        let err = RawAesKeyring::new(namespace, name, &[7; 32]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Keyring);
        let message = err.to_string();
        assert!(message.contains(parameter), "{message}");
        assert!(
            message.contains("whitespace or a control character"),
            "{message}"
        );
    }
    assert!(RawAesKeyring::new("my-app", "key-1", &[7; 32]).is_ok());
}
