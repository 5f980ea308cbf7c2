//! `Keyring::check_client_region`: the up-front check bindings make when the
//! KMS client's Region is known.

use mrkenv::keyring::{
    DiscoveryFilter, Keyring, KmsMrkDiscoveryKeyring, KmsMrkKeyring, RawAesKeyring,
};
use mrkenv::ErrorKind;

const EAST: &str = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";

#[test]
fn strict_keyring_names_both_regions_and_the_replica() {
    let keyring = Keyring::from(KmsMrkKeyring::new([EAST]).unwrap());
    keyring.check_client_region("us-east-1").unwrap();
    let err = keyring.check_client_region("us-west-2").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let text = err.to_string();
    assert!(
        text.contains("the KMS client is for us-west-2 but the key"),
        "{text}"
    );
    assert!(text.contains("is in us-east-1"), "{text}");
    assert!(
        text.contains(&EAST.replace("us-east-1", "us-west-2")),
        "{text}"
    );
}

#[test]
fn aliases_and_bare_ids_name_no_region() {
    let keyring = Keyring::from(
        KmsMrkKeyring::new(["alias/app", "mrk-1234abcd12ab34cd56ef1234567890ab"]).unwrap(),
    );
    keyring.check_client_region("eu-west-1").unwrap();
}

#[test]
fn discovery_keyring_region_must_be_the_clients() {
    let filter = DiscoveryFilter::new("aws", ["111122223333"]).unwrap();
    let keyring = Keyring::from(KmsMrkDiscoveryKeyring::new("us-west-2", Some(filter)).unwrap());
    keyring.check_client_region("us-west-2").unwrap();
    let text = keyring
        .check_client_region("us-east-1")
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("the KMS client is for us-east-1 but the discovery keyring is for us-west-2"),
        "{text}"
    );
}

#[test]
fn raw_aes_needs_no_client() {
    let keyring = Keyring::from(RawAesKeyring::new("ns", "name", &[1u8; 32]).unwrap());
    keyring.check_client_region("anything").unwrap();
}
