//! Fuzzes the KMS identifier parsers: `KmsArn::parse`, `parse_key_arn`,
//! `KeyIdentifier::parse`, `is_mrk`, `mrk_match` and `check_unique_mrks`.
//!
//! Besides "never panics": an ARN that parses prints back as its input, an
//! identifier matches itself, `mrk_match` is symmetric, and a key ARN is an
//! MRK exactly when its id starts with `mrk-`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mrkenv::arn::{KeyIdentifier, KmsArn};
use mrkenv::{check_unique_mrks, is_mrk, mrk_match};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Up to three identifiers, one per line.
    let ids: Vec<&str> = text.splitn(3, '\n').collect();
    for id in &ids {
        if let Ok(arn) = KmsArn::parse(id) {
            assert_eq!(arn.to_string(), *id, "an ARN prints back differently");
            assert_eq!(
                arn.is_mrk(),
                arn.resource_type == mrkenv::arn::ResourceType::Key
                    && arn.resource_id.starts_with("mrk-")
            );
            let moved = arn.with_region("eu-west-1");
            assert_eq!(moved.region, "eu-west-1");
        }
        let _ = KmsArn::parse_key_arn(id);
        let parsed = KeyIdentifier::parse(id);
        let mrk = is_mrk(id);
        assert_eq!(parsed.is_ok(), mrk.is_ok(), "is_mrk and parse disagree");
        if let Ok(parsed) = &parsed {
            assert_eq!(parsed.is_mrk(), mrk.unwrap());
            assert_eq!(
                mrk_match(id, id).ok(),
                Some(true),
                "{id:?} does not match itself"
            );
        }
    }
    if let [a, b, ..] = ids[..] {
        let ab = mrk_match(a, b).ok();
        let ba = mrk_match(b, a).ok();
        assert_eq!(ab, ba, "mrk_match is not symmetric");
    }
    let _ = check_unique_mrks(&ids);
});
