//! The record key schedule and AEAD uses: suite 1's HKDF-SHA512 and
//! AES-256-GCM, with info labels distinct from messages so that a message key
//! is never a record key.
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
use hkdf::Hkdf;
use sha2::Sha512;
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

impl RecordKeys {
    /// Runs the record key schedule.
    pub(crate) fn derive(
        suite: Suite,
        data_key: &DataKey,
        message_id: &[u8; MESSAGE_ID_LEN],
    ) -> RecordKeys {
        let hkdf = Hkdf::<Sha512>::new(Some(message_id), data_key.expose_secret());
        let suite_id = suite.id().to_be_bytes();
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        let mut commitment = [0u8; KEY_LEN];
        hkdf.expand_multi_info(&[RECORD_KEY_LABEL, &suite_id], key.as_mut())
            .expect("32 bytes is a valid HKDF-SHA512 output length");
        hkdf.expand_multi_info(&[RECORD_COMMITMENT_LABEL, &suite_id], &mut commitment)
            .expect("32 bytes is a valid HKDF-SHA512 output length");
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

    const SUITE: Suite = Suite::Aes256GcmHkdfSha512Committed;

    #[test]
    fn record_keys_differ_from_message_keys() {
        let key = DataKey::new([5; 32]);
        let record = RecordKeys::derive(SUITE, &key, &[6; 32]);
        let message = crate::crypto::MessageKeys::derive(SUITE, &key, &[6; 32]);
        assert_ne!(record.commitment(), message.commitment());
        // The same tag input gives different tags under the two keys.
        assert_ne!(record.tag(b"x"), message.header_tag(b"x"));
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
        let keys = RecordKeys::derive(SUITE, &DataKey::new([1; 32]), &[2; 32]);
        let good = *keys.commitment();
        assert!(keys.check_commitment(&good).is_ok());
        let mut bad = good;
        bad[31] ^= 1;
        assert_eq!(keys.check_commitment(&bad), Err(RecordError::Commitment));
    }
}
