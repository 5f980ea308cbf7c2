//! The raw AES keyring: wraps the data key locally with a 256-bit key.
//!
//! Encrypted data key: provider id = key namespace, provider info = key name,
//! ciphertext = IV (12 random bytes) || AES-256-GCM(data key) (32 bytes) || tag
//! (16 bytes). The AAD is the deterministic CBOR encoding of the array
//! `["mrkenv raw-aes v1", namespace, name, encryption context map]`, so the
//! wrapped key is bound to this keyring's names and to the context.

use std::fmt;

use aes_gcm::{Aes256Gcm, KeyInit};
use zeroize::Zeroizing;

use crate::context::{check_context_limits, EncryptionContext};
use crate::crypto::{aes_gcm_open, aes_gcm_seal, fill_random, DataKey, IV_LEN, KEY_LEN, TAG_LEN};
use crate::error::{Attempt, Error, KeyringError};
use crate::format::cbor::{
    context_len, string_len, write_context, write_head, write_text, MAJOR_ARRAY,
};
use crate::format::{EncryptedDataKey, Header, AWS_KMS_PROVIDER_ID};
use crate::limits::Limits;

use super::{no_decryptable_key, EncryptionMaterials};

/// The label at the start of the raw AES wrapping AAD.
pub const RAW_AES_AAD_LABEL: &str = "mrkenv raw-aes v1";
/// Length of a raw AES encrypted data key's ciphertext.
pub const RAW_AES_EDK_LEN: usize = IV_LEN + KEY_LEN + TAG_LEN;

/// A keyring holding a 256-bit wrapping key, named by namespace and name.
///
/// ```
/// use mrkenv::keyring::RawAesKeyring;
/// use mrkenv::{encrypt, DecryptOptions, EncryptOptions};
///
/// let keyring = RawAesKeyring::new("my-app", "key-2026", &[7u8; 32]).unwrap();
/// let materials = keyring.encryption_materials(&Default::default(), &Default::default()).unwrap();
/// let message = encrypt(materials, b"hello", &EncryptOptions::default()).unwrap();
/// let header = mrkenv::parse_header(&message, &Default::default()).unwrap();
/// let data_key = keyring.unwrap_data_key(&header).unwrap();
/// let plaintext = mrkenv::decrypt(&message, &data_key, &DecryptOptions::default()).unwrap();
/// assert_eq!(plaintext, b"hello");
/// ```
#[derive(Clone)]
pub struct RawAesKeyring {
    namespace: String,
    name: String,
    /// The wrapping key's AES-256-GCM key schedule, made once, on the heap
    /// so that moves leave no copy (zeroized on drop by aes-gcm).
    wrapping_key: Box<Aes256Gcm>,
}

impl fmt::Debug for RawAesKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawAesKeyring")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .field("wrapping_key", &"[REDACTED]")
            .finish()
    }
}

impl RawAesKeyring {
    /// Checks the names (non-empty, no whitespace or control character; the
    /// namespace may not be `aws-kms`) and the key length (32 bytes).
    pub fn new(namespace: &str, name: &str, wrapping_key: &[u8]) -> Result<RawAesKeyring, Error> {
        if namespace.is_empty() {
            return Err(KeyringError::RawAes("key namespace is empty".into()).into());
        }
        if namespace == AWS_KMS_PROVIDER_ID {
            return Err(KeyringError::RawAes(format!(
                "key namespace {AWS_KMS_PROVIDER_ID:?} is reserved for KMS keys"
            ))
            .into());
        }
        if name.is_empty() {
            return Err(KeyringError::RawAes("key name is empty".into()).into());
        }
        crate::names::check_no_space("key namespace", namespace)
            .and_then(|()| crate::names::check_no_space("key name", name))
            .map_err(KeyringError::RawAes)?;
        // The key schedule is made straight from the caller's bytes: no
        // copy of the key is left behind.
        let wrapping_key = Aes256Gcm::new_from_slice(wrapping_key)
            .map(Box::new)
            .map_err(|_| {
                KeyringError::RawAes(format!(
                    "wrapping key must be {KEY_LEN} bytes, got {} bytes",
                    wrapping_key.len()
                ))
            })?;
        Ok(RawAesKeyring {
            namespace: namespace.to_string(),
            name: name.to_string(),
            wrapping_key,
        })
    }

    /// The key namespace (the provider id of its encrypted data keys).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The key name (the provider info of its encrypted data keys).
    pub fn name(&self) -> &str {
        &self.name
    }

    fn aad(&self, context: &EncryptionContext) -> Vec<u8> {
        let mut aad = Vec::with_capacity(self.aad_len(context));
        self.write_aad(&mut aad, context);
        aad
    }

    /// The length of [`aad`](Self::aad).
    fn aad_len(&self, context: &EncryptionContext) -> usize {
        1 + string_len(RAW_AES_AAD_LABEL.len())
            + string_len(self.namespace.len())
            + string_len(self.name.len())
            + context_len(context)
    }

    /// Appends [`aad`](Self::aad) to `out`.
    fn write_aad(&self, out: &mut Vec<u8>, context: &EncryptionContext) {
        let start = out.len();
        write_head(out, MAJOR_ARRAY, 4);
        write_text(out, RAW_AES_AAD_LABEL);
        write_text(out, &self.namespace);
        write_text(out, &self.name);
        write_context(out, context);
        debug_assert_eq!(
            out.len() - start,
            self.aad_len(context),
            "the AAD length is computed exactly"
        );
    }

    /// A fresh random data key, wrapped with a random IV.
    pub fn encryption_materials(
        &self,
        encryption_context: &EncryptionContext,
        limits: &Limits,
    ) -> Result<EncryptionMaterials, Error> {
        // The data key and the IV from one call to the generator.
        let mut random = Zeroizing::new([0u8; KEY_LEN + IV_LEN]);
        fill_random(random.as_mut())?;
        let (data_key, iv) = random.split_at(KEY_LEN);
        let data_key = DataKey::from_slice(data_key)?;
        let iv = iv.try_into().expect("IV_LEN bytes");
        self.encryption_materials_with(encryption_context, limits, data_key, iv)
    }

    /// Like [`encryption_materials`](Self::encryption_materials) with a given
    /// data key and IV (for test vectors; never reuse an IV with one key).
    pub fn encryption_materials_with(
        &self,
        encryption_context: &EncryptionContext,
        limits: &Limits,
        data_key: DataKey,
        iv: [u8; IV_LEN],
    ) -> Result<EncryptionMaterials, Error> {
        check_context_limits(encryption_context, limits)?;
        let edk = self.wrap(&data_key, encryption_context, iv);
        Ok(EncryptionMaterials {
            data_key,
            encrypted_data_keys: vec![edk],
            encryption_context: encryption_context.clone(),
        })
    }

    /// Wraps a data key with the given IV.
    pub fn wrap(
        &self,
        data_key: &DataKey,
        encryption_context: &EncryptionContext,
        iv: [u8; IV_LEN],
    ) -> EncryptedDataKey {
        // One buffer: IV || data key, then the AAD where the tag goes (the
        // AAD is public; the key is encrypted in place, then the AAD is cut
        // off and the tag written over it).
        let aad_len = self.aad_len(encryption_context);
        let mut ciphertext = Vec::with_capacity(IV_LEN + KEY_LEN + aad_len.max(TAG_LEN));
        ciphertext.extend_from_slice(&iv);
        ciphertext.extend_from_slice(data_key.expose_secret());
        self.write_aad(&mut ciphertext, encryption_context);
        let (key, aad) = ciphertext.split_at_mut(IV_LEN + KEY_LEN);
        let tag = aes_gcm_seal(&self.wrapping_key, &iv, aad, &mut key[IV_LEN..]);
        ciphertext.truncate(IV_LEN + KEY_LEN);
        ciphertext.extend_from_slice(&tag);
        debug_assert_eq!(ciphertext.len(), RAW_AES_EDK_LEN);
        EncryptedDataKey {
            provider_id: self.namespace.clone(),
            provider_info: self.name.clone(),
            ciphertext,
        }
    }

    /// Unwraps the first encrypted data key of this keyring that opens; when
    /// none does, the error lists every attempt.
    pub fn unwrap_data_key(&self, header: &Header) -> Result<DataKey, Error> {
        self.unwrap(&header.encrypted_data_keys, &header.encryption_context)
    }

    /// [`Self::unwrap_data_key`] for any encrypted data keys and context (a
    /// message's header or a record's).
    pub fn unwrap(
        &self,
        encrypted_data_keys: &[EncryptedDataKey],
        encryption_context: &EncryptionContext,
    ) -> Result<DataKey, Error> {
        let aad = self.aad(encryption_context);
        let mut attempts = Vec::new();
        for edk in encrypted_data_keys {
            let key_id = || format!("{}/{}", edk.provider_id, edk.provider_info);
            if edk.provider_id != self.namespace || edk.provider_info != self.name {
                attempts.push(Attempt {
                    key_id: key_id(),
                    reason: format!(
                        "skipped: not this keyring's key ({}/{})",
                        self.namespace, self.name
                    ),
                });
                continue;
            }
            if edk.ciphertext.len() != RAW_AES_EDK_LEN {
                attempts.push(Attempt {
                    key_id: key_id(),
                    reason: format!(
                        "wrapped key is {} bytes, expected {RAW_AES_EDK_LEN}",
                        edk.ciphertext.len()
                    ),
                });
                continue;
            }
            let iv: [u8; IV_LEN] = edk.ciphertext[..IV_LEN].try_into().expect("length checked");
            let tag: [u8; TAG_LEN] = edk.ciphertext[IV_LEN + KEY_LEN..]
                .try_into()
                .expect("length checked");
            let mut key = Zeroizing::new([0u8; KEY_LEN]);
            key.copy_from_slice(&edk.ciphertext[IV_LEN..IV_LEN + KEY_LEN]);
            if aes_gcm_open(&self.wrapping_key, &iv, &aad, key.as_mut(), &tag) {
                return DataKey::from_slice(key.as_ref());
            }
            attempts.push(Attempt {
                key_id: key_id(),
                reason:
                    "wrapped key does not authenticate (wrong wrapping key or encryption context)"
                        .to_string(),
            });
        }
        Err(no_decryptable_key(attempts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wrapped key computed the plain way: the AAD in a buffer of its
    /// own, the data key copied and encrypted apart.
    fn wrapped_apart(
        keyring: &RawAesKeyring,
        context: &EncryptionContext,
        iv: [u8; IV_LEN],
    ) -> Vec<u8> {
        let mut key = [0x5a; KEY_LEN];
        let tag = aes_gcm_seal(&keyring.wrapping_key, &iv, &keyring.aad(context), &mut key);
        [&iv[..], &key, &tag].concat()
    }

    #[test]
    fn wrap_writes_the_aad_in_the_ciphertext_buffer_and_gives_the_same_bytes() {
        let keyring = RawAesKeyring::new("ns", "a-key-name", &[9; 32]).unwrap();
        let mut contexts = vec![EncryptionContext::new()];
        let mut context = EncryptionContext::new();
        context.insert("a".into(), "b".into());
        contexts.push(context.clone());
        for i in 0..40 {
            context.insert(format!("key {i}"), "v".repeat(i * 7));
        }
        contexts.push(context);
        for context in contexts {
            let iv = [0x17; IV_LEN];
            let edk = keyring.wrap(&DataKey::new([0x5a; KEY_LEN]), &context, iv);
            assert_eq!(edk.ciphertext, wrapped_apart(&keyring, &context, iv));
            assert_eq!(edk.ciphertext.len(), RAW_AES_EDK_LEN);
            let key = keyring.unwrap(&[edk], &context).unwrap();
            assert_eq!(key.expose_secret(), &[0x5a; KEY_LEN]);
        }
    }
}
