//! The algorithm suites, and suite 1's message key schedule, key commitment,
//! header tag and frame AEAD.
//!
//! Messages use suite 1 only. Records (`crate::record`) write suite 2, the
//! same construction on HKDF-SHA256, and read suites 1 and 2; their key
//! schedule is in `record::keys`.
//!
//! - HKDF-SHA512 with IKM = the 32-byte data key and salt = the 32-byte message
//!   id derives a 32-byte content key (info [`CONTENT_KEY_LABEL`] followed by the
//!   suite id as two big-endian bytes) and a 32-byte key commitment (info
//!   [`COMMITMENT_LABEL`] followed by the suite id).
//! - The commitment is compared in constant time before anything is decrypted.
//! - The header tag is AES-256-GCM with the content key over an empty plaintext,
//!   AAD = the exact header bytes, IV = 12 zero bytes.
//! - Frame `n` (n >= 1) uses IV = 4 zero bytes || n as 8 big-endian bytes, so no
//!   frame IV equals the header IV or another frame's IV, and AAD = message id ||
//!   n (8 bytes BE) || final flag (1 byte) || plaintext length (8 bytes BE).

use std::fmt;

pub(crate) use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use hkdf::Hkdf;
use sha2::Sha512;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{AuthenticationError, Error, KeyringError};

/// Length of a data key, derived key and commitment, in bytes.
pub const KEY_LEN: usize = 32;
/// Length of a message id, in bytes.
pub const MESSAGE_ID_LEN: usize = 32;
/// Length of an AES-GCM tag, in bytes.
pub const TAG_LEN: usize = 16;
/// Length of an AES-GCM IV, in bytes.
pub const IV_LEN: usize = 12;
/// HKDF info label (before the suite id) for the content key.
pub const CONTENT_KEY_LABEL: &[u8] = b"mrkenv v1 content key";
/// HKDF info label (before the suite id) for the key commitment.
pub const COMMITMENT_LABEL: &[u8] = b"mrkenv v1 key commitment";

/// The algorithm suites of the format (`docs/FORMAT.md` §5, §14.7).
///
/// A message names suite 1, always. A record is written with suite 2 and
/// read with suite 1 or 2. [`Suite::from_id`] knows both ids; which of them
/// a header may name is the header's rule ([`Suite::is_message_suite`],
/// [`Suite::is_record_suite`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Suite {
    /// Suite 1: AES-256-GCM, HKDF-SHA512 key derivation, key commitment.
    /// The one message suite; records written before suite 2 use it too.
    Aes256GcmHkdfSha512Committed,
    /// Suite 2: AES-256-GCM, HKDF-SHA256 key derivation, key commitment.
    /// Records only: the suite record writers write.
    Aes256GcmHkdfSha256Committed,
}

impl Suite {
    /// The suite every message is written and read with (suite 1).
    pub const MESSAGE: Suite = Suite::Aes256GcmHkdfSha512Committed;

    /// The suite records are written with (suite 2).
    pub const RECORD: Suite = Suite::Aes256GcmHkdfSha256Committed;

    /// The suite id written in the header.
    pub fn id(self) -> u16 {
        match self {
            Suite::Aes256GcmHkdfSha512Committed => 1,
            Suite::Aes256GcmHkdfSha256Committed => 2,
        }
    }

    /// The suite with this id, if known (whether a given header may name it
    /// is checked apart: [`Suite::is_message_suite`], [`Suite::is_record_suite`]).
    pub fn from_id(id: u64) -> Option<Suite> {
        match id {
            1 => Some(Suite::Aes256GcmHkdfSha512Committed),
            2 => Some(Suite::Aes256GcmHkdfSha256Committed),
            _ => None,
        }
    }

    /// Whether a message header may name this suite: suite 1 only.
    pub fn is_message_suite(self) -> bool {
        self == Suite::MESSAGE
    }

    /// Whether a record header may name this suite: suites 1 and 2.
    pub fn is_record_suite(self) -> bool {
        match self {
            Suite::Aes256GcmHkdfSha512Committed | Suite::Aes256GcmHkdfSha256Committed => true,
        }
    }

    /// The length of this suite's data key in bytes: KMS `GenerateDataKey`'s
    /// `NumberOfBytes`.
    pub fn data_key_len(self) -> usize {
        match self {
            Suite::Aes256GcmHkdfSha512Committed | Suite::Aes256GcmHkdfSha256Committed => KEY_LEN,
        }
    }

    /// A short human name of the suite.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Aes256GcmHkdfSha512Committed => "AES-256-GCM/HKDF-SHA512/committed",
            Suite::Aes256GcmHkdfSha256Committed => "AES-256-GCM/HKDF-SHA256/committed",
        }
    }
}

/// A 32-byte plaintext data key. Zeroized on drop; `Debug` never shows it.
///
/// The bytes live on the heap, so moving a `DataKey` moves a pointer and
/// leaves no copy of the key behind on the stack.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct DataKey(Box<[u8; KEY_LEN]>);

impl DataKey {
    /// Wraps 32 bytes as a data key.
    pub fn new(bytes: [u8; KEY_LEN]) -> DataKey {
        DataKey(Box::new(bytes))
    }

    /// Copies a data key from a slice, which must be exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<DataKey, Error> {
        if bytes.len() != KEY_LEN {
            return Err(Error::invalid_argument(format!(
                "a data key is {KEY_LEN} bytes, got {} bytes",
                bytes.len()
            )));
        }
        let mut key = DataKey(Box::new([0u8; KEY_LEN]));
        key.0.copy_from_slice(bytes);
        Ok(key)
    }

    /// A fresh random data key from the operating system's generator.
    pub fn generate() -> Result<DataKey, Error> {
        let mut key = DataKey(Box::new([0u8; KEY_LEN]));
        fill_random(key.0.as_mut())?;
        Ok(key)
    }

    /// The key bytes. Handle with care: do not log or keep copies.
    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey([REDACTED])")
    }
}

/// Fills `dest` from the operating system's random generator (through the
/// vDSO where Linux has one: `mrkenv_random`). A failure is a
/// [`KeyringError::Random`] (kind `Keyring`), never `InvalidArgument`.
pub fn fill_random(dest: &mut [u8]) -> Result<(), Error> {
    mrkenv_random::fill(dest).map_err(random_failed)
}

fn random_failed(error: getrandom::Error) -> Error {
    KeyringError::Random(error.to_string()).into()
}

/// The keys derived for one message: the content cipher and the commitment.
pub(crate) struct MessageKeys {
    cipher: Aes256Gcm,
    commitment: [u8; KEY_LEN],
}

impl Drop for MessageKeys {
    fn drop(&mut self) {
        self.commitment.zeroize();
    }
}

impl fmt::Debug for MessageKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MessageKeys([REDACTED])")
    }
}

impl MessageKeys {
    /// Runs the suite's key schedule.
    pub(crate) fn derive(
        suite: Suite,
        data_key: &DataKey,
        message_id: &[u8; MESSAGE_ID_LEN],
    ) -> MessageKeys {
        let mut content_key = Zeroizing::new([0u8; KEY_LEN]);
        Self::derive_into(suite, data_key, message_id, &mut content_key)
    }

    /// Runs the suite's key schedule once and also writes the raw content
    /// key into `content_key` (for a host that runs the frames' AES-GCM
    /// itself: [`crate::host_frames`]); the caller wipes it.
    pub(crate) fn derive_into(
        suite: Suite,
        data_key: &DataKey,
        message_id: &[u8; MESSAGE_ID_LEN],
        content_key: &mut [u8; KEY_LEN],
    ) -> MessageKeys {
        // Message headers name suite 1 only (the reader refuses any other).
        debug_assert!(
            suite.is_message_suite(),
            "a message key schedule for {suite:?}"
        );
        let hkdf = Hkdf::<Sha512>::new(Some(message_id), data_key.expose_secret());
        let suite_id = suite.id().to_be_bytes();
        let mut commitment = [0u8; KEY_LEN];
        hkdf.expand_multi_info(&[CONTENT_KEY_LABEL, &suite_id], content_key)
            .expect("32 bytes is a valid HKDF-SHA512 output length");
        hkdf.expand_multi_info(&[COMMITMENT_LABEL, &suite_id], &mut commitment)
            .expect("32 bytes is a valid HKDF-SHA512 output length");
        let cipher = Aes256Gcm::new_from_slice(content_key).expect("the content key is 32 bytes");
        MessageKeys { cipher, commitment }
    }

    /// The key commitment written in the header.
    pub(crate) fn commitment(&self) -> &[u8; KEY_LEN] {
        &self.commitment
    }

    /// Compares the commitment with the one found in a header, in constant time.
    pub(crate) fn check_commitment(&self, found: &[u8; KEY_LEN]) -> Result<(), Error> {
        if bool::from(self.commitment.ct_eq(found)) {
            Ok(())
        } else {
            Err(AuthenticationError::Commitment.into())
        }
    }

    /// The header tag over the exact header bytes.
    pub(crate) fn header_tag(&self, header_bytes: &[u8]) -> [u8; TAG_LEN] {
        let nonce = Nonce::from([0u8; IV_LEN]);
        let tag = self
            .cipher
            .encrypt_inout_detached(&nonce, header_bytes, (&mut [][..]).into())
            .expect("an empty plaintext is within AES-GCM limits");
        tag.into()
    }

    /// Checks a header tag.
    pub(crate) fn check_header_tag(&self, header_bytes: &[u8], tag: &[u8]) -> Result<(), Error> {
        let nonce = Nonce::from([0u8; IV_LEN]);
        let tag = Tag::try_from(tag).map_err(|_| AuthenticationError::HeaderTag)?;
        self.cipher
            .decrypt_inout_detached(&nonce, header_bytes, (&mut [][..]).into(), &tag)
            .map_err(|_| AuthenticationError::HeaderTag.into())
    }

    /// Encrypts one frame and returns its tag. `buffer` is either one slice
    /// encrypted in place (`slice.into()`) or a plaintext and an output of
    /// equal length (`InOutBuf::new(plaintext, out)`), with no copy between.
    pub(crate) fn seal_frame(
        &self,
        message_id: &[u8; MESSAGE_ID_LEN],
        sequence: u64,
        is_final: bool,
        buffer: InOutBuf<'_, '_, u8>,
    ) -> [u8; TAG_LEN] {
        let aad = frame_aad(message_id, sequence, is_final, buffer.len() as u64);
        self.cipher
            .encrypt_inout_detached(&frame_iv(sequence), &aad, buffer)
            .expect("a frame is within AES-GCM limits")
            .into()
    }

    /// Verifies one frame's tag, then decrypts it (in place or into a
    /// separate output, as for [`seal_frame`](Self::seal_frame)). On failure
    /// nothing is written: no unauthenticated plaintext is released.
    pub(crate) fn open_frame(
        &self,
        message_id: &[u8; MESSAGE_ID_LEN],
        sequence: u64,
        is_final: bool,
        buffer: InOutBuf<'_, '_, u8>,
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        let aad = frame_aad(message_id, sequence, is_final, buffer.len() as u64);
        self.cipher
            .decrypt_inout_detached(&frame_iv(sequence), &aad, buffer, &Tag::from(*tag))
            .map_err(|_| AuthenticationError::FrameTag(sequence).into())
    }
}

/// The IV of frame `sequence`: 4 zero bytes, then the sequence number as 8
/// big-endian bytes.
pub fn frame_iv(sequence: u64) -> Nonce<aes_gcm::aead::consts::U12> {
    let mut iv = [0u8; IV_LEN];
    iv[4..].copy_from_slice(&sequence.to_be_bytes());
    Nonce::from(iv)
}

/// The AAD of a frame: message id, sequence number, final flag, plaintext length.
pub fn frame_aad(
    message_id: &[u8; MESSAGE_ID_LEN],
    sequence: u64,
    is_final: bool,
    length: u64,
) -> [u8; MESSAGE_ID_LEN + 17] {
    let mut aad = [0u8; MESSAGE_ID_LEN + 17];
    aad[..MESSAGE_ID_LEN].copy_from_slice(message_id);
    aad[MESSAGE_ID_LEN..MESSAGE_ID_LEN + 8].copy_from_slice(&sequence.to_be_bytes());
    aad[MESSAGE_ID_LEN + 8] = u8::from(is_final);
    aad[MESSAGE_ID_LEN + 9..].copy_from_slice(&length.to_be_bytes());
    aad
}

/// AES-256-GCM with a caller-chosen key and IV, for the raw AES keyring.
pub(crate) fn aes_gcm_seal(
    cipher: &Aes256Gcm,
    iv: &[u8; IV_LEN],
    aad: &[u8],
    buffer: &mut [u8],
) -> [u8; TAG_LEN] {
    cipher
        .encrypt_inout_detached(&Nonce::from(*iv), aad, buffer.into())
        .expect("a data key is within AES-GCM limits")
        .into()
}

/// Opens [`aes_gcm_seal`]'s output in place; `false` when the tag fails.
pub(crate) fn aes_gcm_open(
    cipher: &Aes256Gcm,
    iv: &[u8; IV_LEN],
    aad: &[u8],
    buffer: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> bool {
    cipher
        .decrypt_inout_detached(&Nonce::from(*iv), aad, buffer.into(), &Tag::from(*tag))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_key_debug_is_redacted() {
        let key = DataKey::new([0x41; 32]);
        let shown = format!("{key:?}");
        assert_eq!(shown, "DataKey([REDACTED])");
        assert!(!shown.contains("41"));
    }

    #[test]
    fn a_random_generator_failure_is_not_the_callers_invalid_argument() {
        let err = random_failed(getrandom::Error::UNSUPPORTED);
        assert_eq!(err.kind(), crate::ErrorKind::Keyring);
        assert!(
            err.to_string()
                .starts_with("the system random generator failed: "),
            "{err}"
        );
    }

    #[test]
    fn suite_ids_names_and_roles() {
        let one = Suite::Aes256GcmHkdfSha512Committed;
        let two = Suite::Aes256GcmHkdfSha256Committed;
        assert_eq!((one.id(), two.id()), (1, 2));
        assert_eq!(Suite::from_id(1), Some(one));
        assert_eq!(Suite::from_id(2), Some(two));
        assert_eq!(Suite::from_id(0), None);
        assert_eq!(Suite::from_id(3), None);
        assert_eq!(two.name(), "AES-256-GCM/HKDF-SHA256/committed");
        assert_eq!(two.data_key_len(), 32);
        assert_eq!((Suite::MESSAGE, Suite::RECORD), (one, two));
        assert!(one.is_message_suite() && !two.is_message_suite());
        assert!(one.is_record_suite() && two.is_record_suite());
    }

    #[test]
    fn data_key_length_is_checked() {
        let err = DataKey::from_slice(&[0; 31]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid argument: a data key is 32 bytes, got 31 bytes"
        );
    }

    #[test]
    fn content_key_and_commitment_differ_and_depend_on_inputs() {
        let key = DataKey::new([7; 32]);
        let a = MessageKeys::derive(Suite::Aes256GcmHkdfSha512Committed, &key, &[1; 32]);
        let b = MessageKeys::derive(Suite::Aes256GcmHkdfSha512Committed, &key, &[2; 32]);
        assert_ne!(a.commitment(), b.commitment());
        assert!(a.check_commitment(b.commitment()).is_err());
        assert!(a.check_commitment(&a.commitment().clone()).is_ok());
    }

    #[test]
    fn frame_ivs_never_repeat_the_header_iv() {
        assert_eq!(
            frame_iv(1).as_slice(),
            &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
        );
        assert_ne!(frame_iv(1), frame_iv(2));
        assert_ne!(frame_iv(1).as_slice(), &[0u8; 12]);
    }

    #[test]
    fn frame_round_trip_and_aad_binding() {
        let keys = MessageKeys::derive(
            Suite::Aes256GcmHkdfSha512Committed,
            &DataKey::new([9; 32]),
            &[3; 32],
        );
        let mut buf = b"hello frame".to_vec();
        let tag = keys.seal_frame(&[3; 32], 1, true, buf.as_mut_slice().into());
        let sealed = buf.clone();
        // Wrong sequence, final flag or message id fails, and leaves ciphertext.
        assert!(keys
            .open_frame(&[3; 32], 2, true, buf.as_mut_slice().into(), &tag)
            .is_err());
        assert_eq!(buf, sealed);
        assert!(keys
            .open_frame(&[3; 32], 1, false, buf.as_mut_slice().into(), &tag)
            .is_err());
        assert!(keys
            .open_frame(&[4; 32], 1, true, buf.as_mut_slice().into(), &tag)
            .is_err());
        keys.open_frame(&[3; 32], 1, true, buf.as_mut_slice().into(), &tag)
            .unwrap();
        assert_eq!(buf, b"hello frame");
    }
}
