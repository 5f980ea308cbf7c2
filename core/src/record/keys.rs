//! The record key schedule and AEAD uses: HKDF and AES-256-GCM, with info
//! labels distinct from messages so that a message key is never a record key.
//!
//! The suite picks the HKDF hash: suite 2 (written) HKDF-SHA256, suite 1
//! (still read) HKDF-SHA512. The schedule runs once per item, so its hash is
//! a good part of an item's cost: SHA-256 has instructions on current x86
//! and ARMv8 CPUs (which `sha2` detects at run time), SHA-512 mostly not.
//!
//! - `PRK = HKDF-Extract(salt = message id, IKM = data key)`;
//! - record key = `HKDF-Expand(PRK, "mrkenv v1 record key" || u16be(suite), 32)`;
//! - record commitment = `HKDF-Expand(PRK, "mrkenv v1 record commitment" || u16be(suite), 32)`;
//! - record tag: AES-256-GCM with the record key, IV = 12 zero bytes, empty
//!   plaintext, AAD = the tag input (see `docs/FORMAT.md`, Records);
//! - encrypted attribute number `i` (1-based, in deterministic CBOR order of
//!   the encrypted attribute names): IV = 4 zero bytes || `i` as 8 big-endian
//!   bytes, AAD = CBOR `[name, type code]`. No IV repeats under one record key.

use std::fmt;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use hkdf::{GenericHkdf, Hkdf, HmacImpl};
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::{DataKey, Suite, IV_LEN, KEY_LEN, MESSAGE_ID_LEN, TAG_LEN};
use crate::error::RecordError;
use crate::format::cbor::write_head;

use super::value::write_text;

/// HKDF info label (before the suite id) for the record key.
pub const RECORD_KEY_LABEL: &[u8] = b"mrkenv v1 record key";
/// HKDF info label (before the suite id) for the record key commitment.
pub const RECORD_COMMITMENT_LABEL: &[u8] = b"mrkenv v1 record commitment";

/// The keys derived for one record.
pub(crate) struct RecordKeys {
    cipher: Aes256Gcm,
    commitment: [u8; KEY_LEN],
}

impl Drop for RecordKeys {
    fn drop(&mut self) {
        self.commitment.zeroize();
    }
}

impl fmt::Debug for RecordKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecordKeys([REDACTED])")
    }
}

/// The AAD of an encrypted attribute: CBOR `[name, type code]`.
pub fn attribute_aad(name: &str, type_code: u8) -> Vec<u8> {
    let mut aad = Vec::with_capacity(name.len() + 12);
    write_head(&mut aad, 4, 2);
    write_text(&mut aad, name);
    write_head(&mut aad, 0, u64::from(type_code));
    aad
}

/// Runs `f` on [`attribute_aad`], built on the stack when the name is
/// shorter than 24 bytes (one-byte text head), as attribute names usually are.
fn with_attribute_aad<R>(name: &str, type_code: u8, f: impl FnOnce(&[u8]) -> R) -> R {
    const SHORT: usize = 24;
    if name.len() >= SHORT || type_code >= 24 {
        return f(&attribute_aad(name, type_code));
    }
    // 0x82 (array of 2), 0x60 | len (text), the name, the type code (uint).
    let mut aad = [0u8; SHORT + 3];
    aad[0] = 0x82;
    aad[1] = 0x60 | name.len() as u8;
    aad[2..2 + name.len()].copy_from_slice(name.as_bytes());
    aad[2 + name.len()] = type_code;
    f(&aad[..3 + name.len()])
}

/// The IV of encrypted attribute `index` (1-based).
pub fn attribute_iv(index: u64) -> [u8; IV_LEN] {
    let mut iv = [0u8; IV_LEN];
    iv[4..].copy_from_slice(&index.to_be_bytes());
    iv
}

/// The two expands of the schedule: the record key and the commitment, each
/// with its label followed by the suite id.
fn expand<H: HmacImpl>(
    hkdf: &GenericHkdf<H>,
    suite_id: &[u8; 2],
    key: &mut [u8; KEY_LEN],
    commitment: &mut [u8; KEY_LEN],
) {
    hkdf.expand_multi_info(&[RECORD_KEY_LABEL, suite_id], key)
        .expect("32 bytes is a valid HKDF output length");
    hkdf.expand_multi_info(&[RECORD_COMMITMENT_LABEL, suite_id], commitment)
        .expect("32 bytes is a valid HKDF output length");
}

impl RecordKeys {
    /// Runs the record key schedule of `suite`: HKDF-SHA256 for suite 2,
    /// HKDF-SHA512 for suite 1.
    pub(crate) fn derive(
        suite: Suite,
        data_key: &DataKey,
        message_id: &[u8; MESSAGE_ID_LEN],
    ) -> RecordKeys {
        let ikm = data_key.expose_secret();
        let suite_id = suite.id().to_be_bytes();
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        let mut commitment = [0u8; KEY_LEN];
        match suite {
            Suite::Aes256GcmHkdfSha256Committed => expand(
                &Hkdf::<Sha256>::new(Some(message_id), ikm),
                &suite_id,
                &mut key,
                &mut commitment,
            ),
            Suite::Aes256GcmHkdfSha512Committed => expand(
                &Hkdf::<Sha512>::new(Some(message_id), ikm),
                &suite_id,
                &mut key,
                &mut commitment,
            ),
        }
        let cipher = Aes256Gcm::new_from_slice(key.as_ref()).expect("the record key is 32 bytes");
        RecordKeys { cipher, commitment }
    }

    /// The key commitment written in the record header.
    pub(crate) fn commitment(&self) -> &[u8; KEY_LEN] {
        &self.commitment
    }

    /// Compares the commitment with the header's, in constant time.
    pub(crate) fn check_commitment(&self, found: &[u8; KEY_LEN]) -> Result<(), RecordError> {
        if bool::from(self.commitment.ct_eq(found)) {
            Ok(())
        } else {
            Err(RecordError::Commitment)
        }
    }

    /// The record tag over the tag input.
    pub(crate) fn tag(&self, input: &[u8]) -> [u8; TAG_LEN] {
        self.cipher
            .encrypt_inout_detached(&Nonce::from([0u8; IV_LEN]), input, (&mut [][..]).into())
            .expect("an empty plaintext is within AES-GCM limits")
            .into()
    }

    /// Checks the record tag (constant time inside AES-GCM).
    pub(crate) fn check_tag(&self, input: &[u8], tag: &[u8; TAG_LEN]) -> Result<(), RecordError> {
        self.cipher
            .decrypt_inout_detached(
                &Nonce::from([0u8; IV_LEN]),
                input,
                (&mut [][..]).into(),
                &Tag::from(*tag),
            )
            .map_err(|_| RecordError::Tag)
    }

    /// Encrypts one attribute's content in place and returns its tag.
    pub(crate) fn seal_attribute(
        &self,
        index: u64,
        name: &str,
        type_code: u8,
        buffer: &mut [u8],
    ) -> [u8; TAG_LEN] {
        with_attribute_aad(name, type_code, |aad| {
            self.cipher
                .encrypt_inout_detached(&Nonce::from(attribute_iv(index)), aad, buffer.into())
                .expect("an attribute is within AES-GCM limits")
                .into()
        })
    }

    /// Decrypts one attribute's content in place; nothing is written on failure.
    pub(crate) fn open_attribute(
        &self,
        index: u64,
        name: &str,
        type_code: u8,
        buffer: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), RecordError> {
        with_attribute_aad(name, type_code, |aad| {
            self.cipher.decrypt_inout_detached(
                &Nonce::from(attribute_iv(index)),
                aad,
                buffer.into(),
                &Tag::from(*tag),
            )
        })
        .map_err(|_| RecordError::AttributeTag(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUITE: Suite = Suite::RECORD;

    #[test]
    fn record_keys_differ_from_message_keys() {
        let key = DataKey::new([5; 32]);
        let message = crate::crypto::MessageKeys::derive(Suite::MESSAGE, &key, &[6; 32]);
        for suite in SUITES {
            let record = RecordKeys::derive(suite, &key, &[6; 32]);
            assert_ne!(record.commitment(), message.commitment());
            // The same tag input gives different tags under the two keys.
            assert_ne!(record.tag(b"x"), message.header_tag(b"x"));
        }
    }

    #[test]
    fn attribute_binding() {
        let keys = RecordKeys::derive(SUITE, &DataKey::new([1; 32]), &[2; 32]);
        let mut buf = b"secret".to_vec();
        let tag = keys.seal_attribute(1, "name", 1, &mut buf);
        let sealed = buf.clone();
        assert!(keys.open_attribute(2, "name", 1, &mut buf, &tag).is_err());
        assert!(keys.open_attribute(1, "nome", 1, &mut buf, &tag).is_err());
        assert!(keys.open_attribute(1, "name", 3, &mut buf, &tag).is_err());
        assert_eq!(buf, sealed);
        keys.open_attribute(1, "name", 1, &mut buf, &tag).unwrap();
        assert_eq!(buf, b"secret");
        assert_eq!(attribute_iv(1), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(hex::encode(attribute_aad("name", 1)), "82646e616d6501");
    }

    const SUITES: [Suite; 2] = [
        Suite::Aes256GcmHkdfSha256Committed,
        Suite::Aes256GcmHkdfSha512Committed,
    ];

    #[test]
    fn stack_aad_is_the_attribute_aad() {
        for name in [
            "a",
            "name",
            &"n".repeat(23),
            &"n".repeat(24),
            &"n".repeat(300),
        ] {
            for type_code in [1, 10, 23, 24, 200] {
                with_attribute_aad(name, type_code, |aad| {
                    assert_eq!(aad, attribute_aad(name, type_code), "{name} {type_code}")
                });
            }
        }
    }

    #[test]
    fn commitment_is_checked() {
        for suite in SUITES {
            let keys = RecordKeys::derive(suite, &DataKey::new([1; 32]), &[2; 32]);
            let good = *keys.commitment();
            assert!(keys.check_commitment(&good).is_ok(), "{suite:?}");
            let mut bad = good;
            bad[31] ^= 1;
            assert_eq!(keys.check_commitment(&bad), Err(RecordError::Commitment));
        }
        // A record whose header names the other suite fails the check: the
        // suite is bound into the commitment.
        let two = RecordKeys::derive(SUITES[0], &DataKey::new([1; 32]), &[2; 32]);
        let one = RecordKeys::derive(SUITES[1], &DataKey::new([1; 32]), &[2; 32]);
        assert_eq!(
            one.check_commitment(two.commitment()),
            Err(RecordError::Commitment)
        );
        assert_eq!(
            two.check_commitment(one.commitment()),
            Err(RecordError::Commitment)
        );
    }

    /// The record key and commitment computed apart from `RecordKeys`: the
    /// `hkdf` crate called directly with the suite's hash and info strings.
    fn independent<H: HmacImpl>(hkdf: GenericHkdf<H>, suite: u16) -> ([u8; 32], [u8; 32]) {
        let (mut key, mut commitment) = ([0u8; 32], [0u8; 32]);
        let mut info = b"mrkenv v1 record key".to_vec();
        info.extend_from_slice(&suite.to_be_bytes());
        hkdf.expand(&info, &mut key).unwrap();
        let mut info = b"mrkenv v1 record commitment".to_vec();
        info.extend_from_slice(&suite.to_be_bytes());
        hkdf.expand(&info, &mut commitment).unwrap();
        (key, commitment)
    }

    /// Checks `suite`'s schedule on data key 01.. and message id 02.. against
    /// the independent computation and against fixed hex (computed with
    /// Python's `hmac` module, RFC 5869 by hand).
    fn known_answer(
        suite: Suite,
        expected: (&[u8; 32], &[u8; 32]),
        key_hex: &str,
        commitment_hex: &str,
    ) {
        let keys = RecordKeys::derive(suite, &DataKey::new([1; 32]), &[2; 32]);
        assert_eq!(hex::encode(expected.0), key_hex, "{suite:?} record key");
        assert_eq!(
            hex::encode(expected.1),
            commitment_hex,
            "{suite:?} commitment"
        );
        assert_eq!(keys.commitment(), expected.1, "{suite:?} commitment");
        // The record key, seen through the tag it makes.
        let cipher = Aes256Gcm::new_from_slice(expected.0).unwrap();
        let tag: [u8; TAG_LEN] = cipher
            .encrypt_inout_detached(
                &Nonce::from([0u8; IV_LEN]),
                b"tag input",
                (&mut [][..]).into(),
            )
            .unwrap()
            .into();
        assert_eq!(keys.tag(b"tag input"), tag, "{suite:?} record key");
    }

    #[test]
    fn suite_2_key_schedule_is_hkdf_sha256() {
        let (key, commitment) = independent(Hkdf::<Sha256>::new(Some(&[2; 32]), &[1; 32]), 2);
        known_answer(
            Suite::Aes256GcmHkdfSha256Committed,
            (&key, &commitment),
            "225123e6f13d4417dd81df0da1cba1a1cd70f257ec036c37d5c3cdf2321741f5",
            "db392ee6bb5e70e8bec10096180ba5c061ce07ca22000f96b7da791be5bbf7c4",
        );
    }

    #[test]
    fn suite_1_key_schedule_is_still_hkdf_sha512() {
        let (key, commitment) = independent(Hkdf::<Sha512>::new(Some(&[2; 32]), &[1; 32]), 1);
        known_answer(
            Suite::Aes256GcmHkdfSha512Committed,
            (&key, &commitment),
            "98b53114d61eedbfb9fb7a76daaa2b7b0e503f686c24339da6f5c2c15db3b04a",
            "96372649620cc59d84675afac0dad0955a4668f5b9c4ece7deec5348e0d57c4a",
        );
    }

    #[test]
    fn info_labels_are_the_specified_bytes() {
        // FORMAT.md §14.5 gives the info strings of suite 2 in hex.
        let info = |label: &[u8]| {
            let mut info = label.to_vec();
            info.extend_from_slice(&Suite::Aes256GcmHkdfSha256Committed.id().to_be_bytes());
            hex::encode(info)
        };
        assert_eq!(
            info(RECORD_KEY_LABEL),
            "6d726b656e76207631207265636f7264206b65790002"
        );
        assert_eq!(
            info(RECORD_COMMITMENT_LABEL),
            "6d726b656e76207631207265636f726420636f6d6d69746d656e740002"
        );
    }
}
