//! Frames sealed and opened by the host's own AES-GCM, planned by the core.
//!
//! A host with a fast AES-GCM of its own (Node's `node:crypto`, the
//! browser's WebCrypto) can do the bulk AES-GCM of a message while the core
//! keeps every rule: [`HostSealer`] and [`HostOpener`] derive the keys, write
//! and check the prelude (prefix, header, header tag, key commitment), and
//! give the host, frame by frame, a [`FramePlan`]: the frame's CBOR head, its
//! IV and its AAD (`docs/FORMAT.md`, frames). The host only runs AES-256-GCM
//! with the content key on the plaintext or ciphertext slices, with exactly
//! that IV and AAD, so the bulk data never has to pass through the core.
//!
//! On decrypt the core reads each frame's head (sequence number, final flag,
//! length) from the few bytes the host gives it, says where the ciphertext
//! and the tag are, and checks the order of frames, the final frame and the
//! trailing bytes. The host must release no plaintext of a frame before its
//! tag verified; a tag that fails is reported with [`frame_tag_error`], the
//! same error the core's own decrypt gives.
//!
//! The content key leaves the core once, through
//! [`HostSealer::take_content_key`] / [`HostOpener::take_content_key`]: the
//! core's copy is wiped when it is taken.

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::crypto::{frame_aad, frame_iv, DataKey, MessageKeys, IV_LEN, KEY_LEN, MESSAGE_ID_LEN};
use crate::error::{AuthenticationError, Error, FormatError};
use crate::format::frame::{frame_encoded_len, read_frame_head, write_frame_head};
use crate::format::prelude::{prelude_len, read_prelude, PreludeRead};
use crate::format::Header;
use crate::keyring::EncryptionMaterials;
use crate::stream::{DecryptOptions, EncryptOptions, Encryptor};

/// The content key (AES-256) handed to the host. The bytes live on the
/// heap, so moving a `ContentKey` moves a pointer and leaves no copy of the
/// key behind; they are zeroed on drop, and `Debug` never shows them.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct ContentKey(Box<[u8; KEY_LEN]>);

impl ContentKey {
    /// The key bytes. Handle with care: import them into the host's key
    /// object and wipe any copy.
    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContentKey([REDACTED])")
    }
}

/// Length of a frame's AAD: message id, sequence, final flag, length.
pub const FRAME_AAD_LEN: usize = MESSAGE_ID_LEN + 17;

/// The most bytes a frame head can take (array head, sequence, flag, body
/// head). A host gives [`HostOpener::next_frame`] at least this many bytes
/// of the frame when it has them.
pub const MAX_FRAME_HEAD_LEN: usize = 1 + 9 + 1 + 9;

/// What the host needs to seal or open one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramePlan {
    /// The frame's sequence number (1 for the first frame).
    pub sequence: u64,
    /// True for the final frame.
    pub is_final: bool,
    /// Plaintext bytes in the frame; the ciphertext has the same length and
    /// is followed by the 16-byte tag.
    pub plaintext_len: usize,
    /// The frame's CBOR head: the bytes before its ciphertext.
    pub head: Vec<u8>,
    /// The AES-GCM IV of the frame.
    pub iv: [u8; IV_LEN],
    /// The AES-GCM additional data of the frame.
    pub aad: [u8; FRAME_AAD_LEN],
}

impl FramePlan {
    fn new(message_id: &[u8; MESSAGE_ID_LEN], sequence: u64, is_final: bool, len: usize) -> Self {
        let mut head = Vec::with_capacity(MAX_FRAME_HEAD_LEN);
        write_frame_head(&mut head, sequence, is_final, len);
        let mut iv = [0u8; IV_LEN];
        iv.copy_from_slice(frame_iv(sequence).as_slice());
        FramePlan {
            sequence,
            is_final,
            plaintext_len: len,
            head,
            iv,
            aad: frame_aad(message_id, sequence, is_final, len as u64),
        }
    }

    /// The whole encoded frame's length: head, ciphertext and tag.
    pub fn encoded_len(&self) -> usize {
        frame_encoded_len(self.sequence, self.plaintext_len)
    }
}

/// The error of a frame whose tag the host found not to verify: the same
/// error the core's own decrypt gives for it.
pub fn frame_tag_error(sequence: u64) -> Error {
    AuthenticationError::FrameTag(sequence).into()
}

/// Writes a message whose frames the host seals.
///
/// The prelude (prefix, header, header tag) is written by the core, with
/// every check of [`Encryptor::new`]. Then [`next_frame`](Self::next_frame)
/// gives the plan of each frame in order: non-final frames hold exactly the
/// frame length, the final frame fewer bytes (possibly none).
pub struct HostSealer {
    header: Header,
    prelude: Vec<u8>,
    content_key: Option<ContentKey>,
    next_sequence: u64,
    finished: bool,
}

impl std::fmt::Debug for HostSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostSealer")
            .field("message_id", &self.header.message_id)
            .field("next_sequence", &self.next_sequence)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl HostSealer {
    /// Checks the materials and options as [`Encryptor::new`] does, writes
    /// the prelude and derives the content key.
    pub fn new(materials: EncryptionMaterials, options: &EncryptOptions) -> Result<Self, Error> {
        // One key schedule: the encryptor's, which also gives the content key.
        let mut content_key = ContentKey(Box::new([0u8; KEY_LEN]));
        let mut encryptor =
            Encryptor::new_keeping_content_key(materials, options, &mut content_key.0)?;
        let mut prelude = Vec::new();
        // With no plaintext, `update` writes the prelude and nothing else.
        encryptor.update(&[], &mut prelude)?;
        let header = encryptor.header().clone();
        Ok(HostSealer {
            header,
            prelude,
            content_key: Some(content_key),
            next_sequence: 1,
            finished: false,
        })
    }

    /// The header of the message.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The prefix, header and header tag: the first bytes of the message.
    pub fn prelude(&self) -> &[u8] {
        &self.prelude
    }

    /// The content key (AES-256), once: the core's copy is wiped. `None`
    /// when it was taken already.
    pub fn take_content_key(&mut self) -> Option<ContentKey> {
        self.content_key.take()
    }

    /// The exact message length for a plaintext of `plaintext_len` bytes.
    pub fn message_len(&self, plaintext_len: usize) -> usize {
        let frame = self.header.frame_length as usize;
        let full = plaintext_len / frame;
        let mut total =
            self.prelude.len() + frame_encoded_len(full as u64 + 1, plaintext_len % frame);
        for sequence in 1..=full as u64 {
            total += frame_encoded_len(sequence, frame);
        }
        total
    }

    /// The plan of the next frame, holding `plaintext_len` bytes. A
    /// non-final frame must hold exactly the frame length, the final frame
    /// fewer bytes; nothing follows the final frame.
    pub fn next_frame(&mut self, plaintext_len: usize, is_final: bool) -> Result<FramePlan, Error> {
        if self.finished {
            return Err(Error::invalid_argument(
                "the final frame was already planned",
            ));
        }
        let frame = self.header.frame_length as usize;
        if !is_final && plaintext_len != frame {
            return Err(Error::invalid_argument(format!(
                "a non-final frame holds {frame} bytes, not {plaintext_len}"
            )));
        }
        if is_final && plaintext_len >= frame {
            return Err(Error::invalid_argument(format!(
                "the final frame holds fewer than {frame} bytes, not {plaintext_len}"
            )));
        }
        let plan = FramePlan::new(
            &self.header.message_id,
            self.next_sequence,
            is_final,
            plaintext_len,
        );
        self.next_sequence += 1;
        self.finished = is_final;
        Ok(plan)
    }

    /// True once the final frame was planned.
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

/// What [`HostOpener::read`] found at the start of a message.
#[derive(Debug)]
pub enum OpenerRead {
    /// The prelude is read and well formed (not authenticated yet).
    Complete(HostOpener),
    /// More bytes are needed: at least `needed` in all (when known), and
    /// `missing` names the incomplete piece for a truncation error.
    Incomplete {
        /// The whole prelude's length, when the bytes given tell it.
        needed: Option<usize>,
        /// `"the header is incomplete"` or `"the header tag is incomplete"`.
        missing: &'static str,
    },
}

/// Reads a message whose frames the host opens.
///
/// [`read`](Self::read) reads the prelude through the core's one reader
/// (the checks of `docs/FORMAT.md` §7.1, as every decrypt does);
/// [`set_data_key`](Self::set_data_key) checks the key commitment and the
/// header tag; then [`next_frame`](Self::next_frame) reads each frame's head
/// and checks its sequence number and length, and [`finish`](Self::finish)
/// checks that the final frame came and nothing follows it. After any error
/// the opener refuses further calls.
pub struct HostOpener {
    header: Header,
    header_bytes: Vec<u8>,
    header_tag: [u8; crate::crypto::TAG_LEN],
    body_offset: usize,
    content_key: Option<ContentKey>,
    keyed: bool,
    next_sequence: u64,
    done: bool,
    failed: bool,
}

impl std::fmt::Debug for HostOpener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostOpener")
            .field("message_id", &self.header.message_id)
            .field("next_sequence", &self.next_sequence)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl HostOpener {
    /// Reads the prelude at the start of `prefix` (the message, or its
    /// first bytes) with the limits and required context of `options`.
    pub fn read(prefix: &[u8], options: &DecryptOptions) -> Result<OpenerRead, Error> {
        match read_prelude(prefix, &options.limits, &options.required_context)? {
            PreludeRead::Incomplete { missing } => Ok(OpenerRead::Incomplete {
                needed: prelude_len(prefix),
                missing,
            }),
            PreludeRead::Complete(prelude) => Ok(OpenerRead::Complete(HostOpener {
                header_bytes: prefix[prelude.header_bytes].to_vec(),
                header: prelude.header,
                header_tag: prelude.tag,
                body_offset: prelude.len,
                content_key: None,
                keyed: false,
                next_sequence: 1,
                done: false,
                failed: false,
            })),
        }
    }

    /// The header (authenticated only after [`set_data_key`](Self::set_data_key)).
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Where the first frame starts in the message.
    pub fn body_offset(&self) -> usize {
        self.body_offset
    }

    /// Checks the data key against the key commitment (in constant time)
    /// and the header tag, and derives the content key. Fails the opener
    /// when either does not verify.
    pub fn set_data_key(&mut self, data_key: &DataKey) -> Result<(), Error> {
        self.guard()?;
        if self.keyed {
            return Err(Error::invalid_argument("the data key is already set"));
        }
        let result = (|| {
            let header = &self.header;
            // One key schedule gives the commitment, the header tag's
            // cipher and the content key; the key is kept only if both verify.
            let mut content_key = ContentKey(Box::new([0u8; KEY_LEN]));
            let keys = MessageKeys::derive_into(
                header.suite,
                data_key,
                &header.message_id,
                &mut content_key.0,
            );
            keys.check_commitment(&header.commitment)?;
            keys.check_header_tag(&self.header_bytes, &self.header_tag)?;
            Ok(content_key)
        })();
        match result {
            Ok(key) => {
                self.content_key = Some(key);
                self.keyed = true;
                Ok(())
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// The content key (AES-256), once, after [`set_data_key`](Self::set_data_key):
    /// the core's copy is wiped.
    pub fn take_content_key(&mut self) -> Option<ContentKey> {
        self.content_key.take()
    }

    /// Reads the head of the next frame. `head` holds the frame's first
    /// bytes (at least [`MAX_FRAME_HEAD_LEN`] of them when that many are
    /// available), `available` how many bytes of the message are at hand
    /// from the frame's start, and `at_end` whether the message ends there.
    ///
    /// Returns the frame's plan once the whole frame is at hand; `None`
    /// when more bytes are needed (never when `at_end`: then the message is
    /// truncated). The host opens the frame at `head.len()` of the plan
    /// from the frame's start, ciphertext then tag.
    pub fn next_frame(
        &mut self,
        head: &[u8],
        available: usize,
        at_end: bool,
    ) -> Result<Option<FramePlan>, Error> {
        self.guard()?;
        if !self.keyed {
            return Err(Error::invalid_argument("the data key must be set first"));
        }
        if self.done {
            return Err(self.fail(FormatError::TrailingBytes(available).into()));
        }
        let result = read_frame_head(head, self.next_sequence, self.header.frame_length);
        let frame = match result {
            Err(e) => return Err(self.fail(e.into())),
            Ok(frame) => frame.filter(|frame| frame.total_len() <= available),
        };
        let Some(frame) = frame else {
            if at_end {
                return Err(self.fail(self.truncated()));
            }
            return Ok(None);
        };
        let plan = FramePlan::new(
            &self.header.message_id,
            frame.sequence,
            frame.is_final,
            frame.plaintext_len,
        );
        debug_assert_eq!(plan.head.len(), frame.head_len);
        self.next_sequence += 1;
        self.done = frame.is_final;
        Ok(Some(plan))
    }

    /// Ends the message, `trailing` bytes after the last frame read: fails
    /// unless the final frame was read and nothing follows it.
    pub fn finish(&mut self, trailing: usize) -> Result<(), Error> {
        self.guard()?;
        if !self.done {
            return Err(self.fail(self.truncated()));
        }
        if trailing > 0 {
            return Err(self.fail(FormatError::TrailingBytes(trailing).into()));
        }
        Ok(())
    }

    /// True once the final frame's head was read.
    pub fn is_done(&self) -> bool {
        self.done
    }

    fn truncated(&self) -> Error {
        FormatError::Truncated(format!(
            "the message ends before the final frame (frame {} is missing or incomplete)",
            self.next_sequence
        ))
        .into()
    }

    fn fail(&mut self, error: Error) -> Error {
        self.failed = true;
        self.content_key = None;
        error
    }

    fn guard(&self) -> Result<(), Error> {
        if self.failed {
            Err(Error::invalid_argument(
                "the opener already failed; start again with a new one",
            ))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::TAG_LEN;
    use crate::keyring::RawAesKeyring;
    use crate::{decrypt, encrypt, EncryptionContext};
    use aes_gcm::aead::{AeadInOut, KeyInit};
    use aes_gcm::{Aes256Gcm, Nonce, Tag};

    const FRAME: u32 = 1024;

    fn keyring() -> RawAesKeyring {
        RawAesKeyring::new("ns", "name", &[7u8; 32]).unwrap()
    }

    fn materials(keyring: &RawAesKeyring) -> EncryptionMaterials {
        let mut context = EncryptionContext::new();
        context.insert("tenant".into(), "acme".into());
        keyring
            .encryption_materials_with(
                &context,
                &Default::default(),
                DataKey::new([9u8; 32]),
                [3u8; 12],
            )
            .unwrap()
    }

    fn options() -> EncryptOptions {
        EncryptOptions {
            frame_length: FRAME,
            message_id: Some([5u8; 32]),
            ..Default::default()
        }
    }

    /// Seals the whole plaintext through a `HostSealer` plan, with the
    /// `aes-gcm` crate as the "host".
    fn host_encrypt(materials: EncryptionMaterials, plaintext: &[u8]) -> Vec<u8> {
        let mut sealer = HostSealer::new(materials, &options()).unwrap();
        let key = sealer.take_content_key().unwrap();
        assert!(sealer.take_content_key().is_none(), "the key leaves once");
        let cipher = Aes256Gcm::new_from_slice(key.expose_secret()).unwrap();
        let mut out = sealer.prelude().to_vec();
        let frame = FRAME as usize;
        let mut chunks = plaintext.chunks_exact(frame);
        let seal = |sealer: &mut HostSealer, chunk: &[u8], is_final: bool, out: &mut Vec<u8>| {
            let plan = sealer.next_frame(chunk.len(), is_final).unwrap();
            out.extend_from_slice(&plan.head);
            let start = out.len();
            out.extend_from_slice(chunk);
            let tag = cipher
                .encrypt_inout_detached(
                    &Nonce::from(plan.iv),
                    &plan.aad,
                    (&mut out[start..]).into(),
                )
                .unwrap();
            out.extend_from_slice(&tag);
        };
        for chunk in chunks.by_ref() {
            seal(&mut sealer, chunk, false, &mut out);
        }
        seal(&mut sealer, chunks.remainder(), true, &mut out);
        assert!(sealer.is_finished());
        out
    }

    /// Opens a whole message through a `HostOpener`, with `aes-gcm` as the
    /// host; plaintext is released only when every frame verified.
    fn host_decrypt(message: &[u8], data_key: &DataKey) -> Result<Vec<u8>, Error> {
        let options = DecryptOptions::default();
        let mut opener = match HostOpener::read(message, &options)? {
            OpenerRead::Complete(opener) => opener,
            OpenerRead::Incomplete { missing, .. } => {
                return Err(FormatError::Truncated(missing.into()).into())
            }
        };
        opener.set_data_key(data_key)?;
        let key = opener.take_content_key().unwrap();
        let cipher = Aes256Gcm::new_from_slice(key.expose_secret()).unwrap();
        let mut at = opener.body_offset();
        let mut out = Vec::new();
        while !opener.is_done() {
            let rest = &message[at..];
            let head = &rest[..rest.len().min(MAX_FRAME_HEAD_LEN)];
            let plan = opener.next_frame(head, rest.len(), true)?.unwrap();
            let body = &rest[plan.head.len()..plan.encoded_len()];
            let (ciphertext, tag) = body.split_at(plan.plaintext_len);
            let start = out.len();
            out.extend_from_slice(ciphertext);
            let tag = Tag::try_from(tag).unwrap();
            cipher
                .decrypt_inout_detached(
                    &Nonce::from(plan.iv),
                    &plan.aad,
                    (&mut out[start..]).into(),
                    &tag,
                )
                .map_err(|_| frame_tag_error(plan.sequence))?;
            at += plan.encoded_len();
        }
        opener.finish(message.len() - at)?;
        Ok(out)
    }

    #[test]
    fn a_host_sealed_message_is_byte_for_byte_the_cores() {
        let keyring = keyring();
        for len in [0usize, 1, 1023, 1024, 1025, 4096, 5000] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 31) as u8).collect();
            let core = encrypt(materials(&keyring), &plaintext, &options()).unwrap();
            let host = host_encrypt(materials(&keyring), &plaintext);
            assert_eq!(host, core, "plaintext of {len} bytes");
            let sealer = HostSealer::new(materials(&keyring), &options()).unwrap();
            assert_eq!(sealer.message_len(len), core.len());
            let data_key = DataKey::new([9u8; 32]);
            assert_eq!(host_decrypt(&core, &data_key).unwrap(), plaintext);
            assert_eq!(
                decrypt(&host, &data_key, &Default::default()).unwrap(),
                plaintext
            );
        }
    }

    #[test]
    fn the_sealer_refuses_frames_out_of_shape() {
        let keyring = keyring();
        let mut sealer = HostSealer::new(materials(&keyring), &options()).unwrap();
        assert_eq!(
            sealer.next_frame(1000, false).unwrap_err().to_string(),
            "invalid argument: a non-final frame holds 1024 bytes, not 1000"
        );
        assert_eq!(
            sealer.next_frame(1024, true).unwrap_err().to_string(),
            "invalid argument: the final frame holds fewer than 1024 bytes, not 1024"
        );
        assert_eq!(sealer.next_frame(1024, false).unwrap().sequence, 1);
        let last = sealer.next_frame(3, true).unwrap();
        assert_eq!((last.sequence, last.is_final), (2, true));
        assert_eq!(last.iv, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        assert_eq!(
            sealer.next_frame(0, true).unwrap_err().to_string(),
            "invalid argument: the final frame was already planned"
        );
    }

    fn message(len: usize) -> Vec<u8> {
        encrypt(materials(&keyring()), &vec![0x42; len], &options()).unwrap()
    }

    /// The byte ranges of the frames of a message.
    fn frames(message: &[u8]) -> (usize, Vec<std::ops::Range<usize>>) {
        let mut opener = match HostOpener::read(message, &Default::default()).unwrap() {
            OpenerRead::Complete(opener) => opener,
            OpenerRead::Incomplete { .. } => panic!("complete message"),
        };
        opener.set_data_key(&DataKey::new([9u8; 32])).unwrap();
        let body = opener.body_offset();
        let mut at = body;
        let mut ranges = Vec::new();
        while !opener.is_done() {
            let plan = opener
                .next_frame(&message[at..], message.len() - at, true)
                .unwrap()
                .unwrap();
            ranges.push(at..at + plan.encoded_len());
            at += plan.encoded_len();
        }
        (body, ranges)
    }

    #[test]
    fn tampered_reordered_and_truncated_frames_are_refused() {
        let key = DataKey::new([9u8; 32]);
        let original = message(2500); // frames of 1024, 1024, 452 bytes
        let (body, ranges) = frames(&original);
        assert_eq!(ranges.len(), 3);

        // A flipped ciphertext bit: the tag fails, nothing is returned.
        let mut tampered = original.clone();
        tampered[ranges[1].start + 10] ^= 1;
        assert_eq!(
            host_decrypt(&tampered, &key).unwrap_err().to_string(),
            "frame 2: authentication tag does not verify"
        );

        // Frames 1 and 2 swapped: the sequence number says so.
        let mut swapped = original[..body].to_vec();
        swapped.extend_from_slice(&original[ranges[1].clone()]);
        swapped.extend_from_slice(&original[ranges[0].clone()]);
        swapped.extend_from_slice(&original[ranges[2].clone()]);
        assert_eq!(
            host_decrypt(&swapped, &key).unwrap_err().to_string(),
            "frame 1: sequence number is 2, expected 1 (frames reordered, dropped or duplicated)"
        );

        // Cut before the final frame, and inside it.
        for cut in [ranges[2].start, ranges[2].end - 1] {
            assert_eq!(
                host_decrypt(&original[..cut], &key).unwrap_err().to_string(),
                "message is truncated: the message ends before the final frame (frame 3 is missing or incomplete)"
            );
        }

        // A byte after the final frame.
        let mut trailing = original.clone();
        trailing.push(0);
        assert_eq!(
            host_decrypt(&trailing, &key).unwrap_err().to_string(),
            "1 trailing byte(s) after the final frame"
        );

        // A wrong data key fails the commitment before any frame.
        assert_eq!(
            host_decrypt(&original, &DataKey::new([8u8; 32]))
                .unwrap_err()
                .to_string(),
            "key commitment does not match: wrong data key or tampered header"
        );

        // The core's own decrypt gives the same errors.
        for bad in [&tampered, &swapped, &trailing] {
            assert_eq!(
                decrypt(bad, &key, &Default::default())
                    .unwrap_err()
                    .to_string(),
                host_decrypt(bad, &key).unwrap_err().to_string()
            );
        }
    }

    #[test]
    fn the_opener_reads_the_prelude_from_a_prefix_and_waits_for_frames() {
        let original = message(100);
        let options = DecryptOptions::default();
        let OpenerRead::Incomplete { needed, missing } =
            HostOpener::read(&original[..10], &options).unwrap()
        else {
            panic!("a 10-byte prefix is incomplete");
        };
        assert_eq!(missing, "the header is incomplete");
        let needed = needed.unwrap();
        let OpenerRead::Complete(mut opener) =
            HostOpener::read(&original[..needed], &options).unwrap()
        else {
            panic!("the prelude length the core gave is enough");
        };
        assert_eq!(opener.body_offset(), needed);
        // Before the key, no frame is read.
        assert_eq!(
            opener
                .next_frame(&original[needed..], 1, false)
                .unwrap_err()
                .to_string(),
            "invalid argument: the data key must be set first"
        );
        opener.set_data_key(&DataKey::new([9u8; 32])).unwrap();
        assert!(opener.take_content_key().is_some());
        assert!(opener.take_content_key().is_none(), "the key leaves once");
        // A frame not all there yet, in a stream: wait for more.
        let rest = &original[needed..];
        assert_eq!(opener.next_frame(&rest[..3], 3, false).unwrap(), None);
        let plan = opener.next_frame(rest, rest.len(), false).unwrap().unwrap();
        assert_eq!(
            (plan.sequence, plan.is_final, plan.plaintext_len),
            (1, true, 100)
        );
        assert_eq!(plan.encoded_len(), rest.len());
        assert_eq!(
            &rest[plan.encoded_len() - TAG_LEN..],
            &original[original.len() - TAG_LEN..]
        );
        opener.finish(0).unwrap();
        // A tampered header fails the header tag.
        let mut bad = original.clone();
        bad[needed - TAG_LEN] ^= 1;
        let OpenerRead::Complete(mut opener) = HostOpener::read(&bad, &options).unwrap() else {
            panic!("complete");
        };
        assert_eq!(
            opener
                .set_data_key(&DataKey::new([9u8; 32]))
                .unwrap_err()
                .to_string(),
            "header authentication tag does not verify"
        );
        assert!(opener.take_content_key().is_none());
        assert!(opener.finish(0).is_err(), "a failed opener refuses calls");
    }
}
