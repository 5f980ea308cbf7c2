//! Identifier rules of DESIGN.md and the AWS Encryption SDK specification:
//! ARN parsing, raw identifiers, MRK detection, MRK matching, uniqueness and
//! Region rewriting.

use mrkenv::arn::{KeyIdentifier, ResourceType};
use mrkenv::error::ArnErrorReason;
use mrkenv::{check_unique_mrks, is_mrk, mrk_match, parse_arn, Error, ErrorKind, KmsArn};

const MRK_EAST: &str =
    "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const MRK_WEST: &str =
    "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const SRK_EAST: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const SRK_WEST: &str =
    "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ALIAS_EAST: &str = "arn:aws:kms:us-east-1:111122223333:alias/mrk-ExampleAlias";
const ALIAS_WEST: &str = "arn:aws:kms:us-west-2:111122223333:alias/mrk-ExampleAlias";

fn reason(input: &str) -> ArnErrorReason {
    match KmsArn::parse(input) {
        Err(e) => e.reason,
        Ok(arn) => panic!("{input} parsed as {arn:?}"),
    }
}

#[test]
fn parses_the_six_parts_of_a_key_arn() {
    let arn = parse_arn(MRK_EAST).unwrap();
    assert_eq!(arn.partition, "aws");
    assert_eq!(arn.service, "kms");
    assert_eq!(arn.region, "us-east-1");
    assert_eq!(arn.account, "111122223333");
    assert_eq!(arn.resource_type, ResourceType::Key);
    assert_eq!(arn.resource_id, "mrk-1234abcd12ab34cd56ef1234567890ab");
    assert_eq!(arn.to_string(), MRK_EAST);
}

#[test]
fn alias_arns_parse_and_extra_slashes_belong_to_the_id() {
    let arn = parse_arn("arn:aws-cn:kms:cn-north-1:111122223333:alias/team/app/key").unwrap();
    assert_eq!(arn.partition, "aws-cn");
    assert_eq!(arn.resource_type, ResourceType::Alias);
    assert_eq!(arn.resource_id, "team/app/key");
}

#[test]
fn each_broken_part_is_named() {
    use ArnErrorReason::*;
    assert_eq!(reason(""), Empty);
    assert_eq!(reason("arn:aws:kms:us-east-1:111122223333"), PartCount(5));
    assert_eq!(
        reason("arn:aws:kms:us-east-1:111122223333:key/a:b"),
        PartCount(7),
        "a ':' inside the resource makes the ARN invalid"
    );
    assert_eq!(
        reason("arx:aws:kms:us-east-1:111122223333:key/abc"),
        MissingArnPrefix
    );
    assert_eq!(
        reason("arn::kms:us-east-1:111122223333:key/abc"),
        EmptyPartition
    );
    assert_eq!(
        reason("arn:aws:sqs:us-east-1:111122223333:key/abc"),
        Service("sqs".into())
    );
    assert_eq!(reason("arn:aws:kms::111122223333:key/abc"), EmptyRegion);
    assert_eq!(reason("arn:aws:kms:us-east-1::key/abc"), EmptyAccount);
    assert_eq!(
        reason("arn:aws:kms:us-east-1:111122223333:key"),
        ResourceFormat("key".into())
    );
    assert_eq!(
        reason("arn:aws:kms:us-east-1:111122223333:grant/abc"),
        ResourceType("grant".into())
    );
    assert_eq!(
        reason("arn:aws:kms:us-east-1:111122223333:key/"),
        EmptyResourceId
    );
    assert_eq!(
        reason("arn:aws:kms:us-east-1:111122223333:alias/"),
        EmptyResourceId
    );
    assert_eq!(
        reason("arn:aws:kms:us-east-1:111122223333:key/ключ"),
        NotAscii
    );
    let long = format!(
        "arn:aws:kms:us-east-1:111122223333:key/{}",
        "a".repeat(2048)
    );
    assert_eq!(reason(&long), TooLong(long.len()));
}

#[test]
fn length_bounds_are_inclusive() {
    let prefix = "arn:aws:kms:us-east-1:111122223333:key/";
    let exactly = format!("{prefix}{}", "a".repeat(2048 - prefix.len()));
    assert_eq!(exactly.len(), 2048);
    assert!(KmsArn::parse(&exactly).is_ok());
}

#[test]
fn error_messages_say_what_and_where() {
    let err = parse_arn("arn:aws:s3:us-east-1:111122223333:key/abc").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArn);
    assert_eq!(
        err.to_string(),
        "invalid KMS key identifier \"arn:aws:s3:us-east-1:111122223333:key/abc\": service must be \"kms\", found \"s3\""
    );
    let err = KeyIdentifier::parse("key/1234").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid KMS key identifier \"key/1234\": \"key/<id>\" is only valid inside a full ARN; use the bare key id or the ARN"
    );
}

#[test]
fn raw_identifiers() {
    assert_eq!(
        KeyIdentifier::parse("alias/my-alias").unwrap(),
        KeyIdentifier::RawAlias("my-alias".into())
    );
    assert_eq!(
        KeyIdentifier::parse("mrk-1234abcd12ab34cd56ef1234567890ab").unwrap(),
        KeyIdentifier::RawKeyId("mrk-1234abcd12ab34cd56ef1234567890ab".into())
    );
    assert_eq!(
        KeyIdentifier::parse("1234abcd-12ab-34cd-56ef-1234567890ab").unwrap(),
        KeyIdentifier::RawKeyId("1234abcd-12ab-34cd-56ef-1234567890ab".into())
    );
    assert_eq!(
        KeyIdentifier::parse("key/1234").unwrap_err().reason,
        ArnErrorReason::RawKeyResource
    );
    assert_eq!(
        KeyIdentifier::parse("alias/").unwrap_err().reason,
        ArnErrorReason::EmptyResourceId
    );
    assert_eq!(
        KeyIdentifier::parse("").unwrap_err().reason,
        ArnErrorReason::Empty
    );
    assert_eq!(
        KeyIdentifier::parse("kms:thing").unwrap_err().reason,
        ArnErrorReason::ColonInRawIdentifier
    );
    // FORMAT.md §9.1: any other raw string without `:` is a bare key id,
    // `/` included; only `alias/` and `key/` prefixes have a meaning.
    for raw in ["foo/bar", "Alias/x", "keys/1", "mrk-a/b"] {
        assert_eq!(
            KeyIdentifier::parse(raw).unwrap(),
            KeyIdentifier::RawKeyId(raw.into()),
            "{raw}"
        );
    }
    assert!(is_mrk("mrk-a/b").unwrap());
    assert_eq!(
        KeyIdentifier::parse("alias/team/app").unwrap(),
        KeyIdentifier::RawAlias("team/app".into())
    );
    assert!(matches!(
        KeyIdentifier::parse("arn:aws:kms:us-east-1:1:key/")
            .unwrap_err()
            .reason,
        ArnErrorReason::EmptyResourceId
    ));
}

#[test]
fn mrk_detection() {
    assert!(is_mrk(MRK_EAST).unwrap());
    assert!(!is_mrk(SRK_EAST).unwrap());
    assert!(!is_mrk(ALIAS_EAST).unwrap(), "an alias is never an MRK");
    assert!(!is_mrk("alias/mrk-looks-like-one").unwrap());
    assert!(is_mrk("mrk-1234abcd12ab34cd56ef1234567890ab").unwrap());
    assert!(!is_mrk("1234abcd-12ab-34cd-56ef-1234567890ab").unwrap());
    assert_eq!(
        is_mrk("key/mrk-1").unwrap_err().kind(),
        ErrorKind::InvalidArn
    );
}

#[test]
fn mrk_match_rules() {
    // Identical identifiers always match, MRK or not.
    assert!(mrk_match(SRK_EAST, SRK_EAST).unwrap());
    assert!(mrk_match(ALIAS_EAST, ALIAS_EAST).unwrap());
    assert!(mrk_match("alias/x", "alias/x").unwrap());
    // Same MRK in two Regions.
    assert!(mrk_match(MRK_EAST, MRK_WEST).unwrap());
    assert!(mrk_match(MRK_WEST, MRK_EAST).unwrap());
    // Single-Region keys in two Regions do not match.
    assert!(!mrk_match(SRK_EAST, SRK_WEST).unwrap());
    // Aliases never match across Regions, even with an mrk- name.
    assert!(!mrk_match(ALIAS_EAST, ALIAS_WEST).unwrap());
    // Any other part differing.
    for other in [
        "arn:aws-cn:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "arn:aws:kms:us-west-2:444455556666:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "arn:aws:kms:us-west-2:111122223333:key/mrk-ffffffffffffffffffffffffffffffff",
    ] {
        assert!(!mrk_match(MRK_EAST, other).unwrap(), "{other}");
    }
    // A raw mrk- id only matches itself.
    assert!(!mrk_match(MRK_EAST, "mrk-1234abcd12ab34cd56ef1234567890ab").unwrap());
    // Malformed input is an error, not false.
    let err = mrk_match(MRK_EAST, "arn:aws:kms:us-west-2:111122223333").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArn);
    assert!(mrk_match("", MRK_EAST).is_err());
}

#[test]
fn region_rewrite() {
    let arn = parse_arn(MRK_EAST).unwrap().with_region("eu-west-1");
    assert_eq!(
        arn.to_string(),
        "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
    );
}

#[test]
fn related_mrks_are_refused_naming_every_one() {
    assert!(check_unique_mrks(&[MRK_EAST, SRK_EAST, SRK_WEST, ALIAS_EAST, ALIAS_WEST]).is_ok());
    let raw = "mrk-1234abcd12ab34cd56ef1234567890ab";
    let other = "arn:aws:kms:us-east-1:111122223333:key/mrk-00000000000000000000000000000000";
    let other_west = "arn:aws:kms:us-west-2:111122223333:key/mrk-00000000000000000000000000000000";
    let err =
        check_unique_mrks(&[MRK_EAST, other, SRK_EAST, MRK_WEST, raw, other_west]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Keyring);
    let message = err.to_string();
    for id in [MRK_EAST, MRK_WEST, raw, other, other_west] {
        assert!(message.contains(id), "{message} lacks {id}");
    }
    assert!(!message.contains(SRK_EAST));
    assert!(matches!(
        check_unique_mrks(&["arn:aws:kms:x"]).unwrap_err(),
        Error::Arn(_)
    ));
}
