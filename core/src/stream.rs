//! Incremental encryption and decryption, holding about one frame at a time.
//!
//! [`Encryptor`] takes plaintext in chunks of any size and appends message
//! bytes to a caller's buffer. [`Decryptor`] takes message bytes in chunks of
//! any size; it stops after the header so that the host can find the data key,
//! and then appends each frame's plaintext only after that frame's tag
//! verified. A stream that ends before its final frame is an error.

use std::convert::Infallible;

use zeroize::{Zeroize, Zeroizing};

use crate::context::EncryptionContext;
use crate::crypto::{
    fill_random, DataKey, InOutBuf, MessageKeys, Suite, KEY_LEN, MESSAGE_ID_LEN, TAG_LEN,
};
use crate::error::{Error, FormatError};
use crate::format::frame::{
    frame_encoded_len, one_frame_while_waiting, read_frame_head, write_frame_head,
};
use crate::format::prelude::{prelude_len, read_prelude, truncated, write_prelude, PreludeRead};
use crate::format::Header;
use crate::keyring::EncryptionMaterials;
use crate::limits::{check_frame_length, Limits, DEFAULT_FRAME_LENGTH};
use crate::parallel;

/// Options for writing a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptOptions {
    /// Plaintext bytes per frame, 1024..=16777216 (default 65536).
    pub frame_length: u32,
    /// Limits checked before writing.
    pub limits: Limits,
    /// A fixed message id, for test vectors only. `None` (the default) draws
    /// 32 random bytes, which is what every real message must do.
    pub message_id: Option<[u8; MESSAGE_ID_LEN]>,
}

impl Default for EncryptOptions {
    fn default() -> Self {
        EncryptOptions {
            frame_length: DEFAULT_FRAME_LENGTH,
            limits: Limits::default(),
            message_id: None,
        }
    }
}

/// Options for reading a message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DecryptOptions {
    /// Limits checked before reading.
    pub limits: Limits,
    /// Pairs that must be present, with equal values, in the message's context.
    pub required_context: EncryptionContext,
}

/// One frame to seal: its whole encoded slot in the output, and either the
/// plaintext to encrypt from or `None` when the plaintext already sits in the
/// slot's body.
struct SealJob<'a> {
    target: &'a mut [u8],
    sequence: u64,
    is_final: bool,
    len: usize,
    plaintext: Option<&'a [u8]>,
}

impl<'a> SealJob<'a> {
    /// A job encrypting `plaintext` into `target`.
    fn new(target: &'a mut [u8], sequence: u64, is_final: bool, plaintext: &'a [u8]) -> Self {
        let len = plaintext.len();
        let plaintext = Some(plaintext);
        SealJob {
            target,
            sequence,
            is_final,
            len,
            plaintext,
        }
    }

    /// A job encrypting the `len` bytes already in `target`'s body.
    fn in_place(target: &'a mut [u8], sequence: u64, is_final: bool, len: usize) -> Self {
        SealJob {
            target,
            sequence,
            is_final,
            len,
            plaintext: None,
        }
    }
}

/// Writes a message incrementally.
///
/// ```
/// use mrkenv::keyring::RawAesKeyring;
/// use mrkenv::{EncryptOptions, Encryptor};
///
/// let keyring = RawAesKeyring::new("ns", "name", &[1u8; 32]).unwrap();
/// let materials = keyring.encryption_materials(&Default::default(), &Default::default()).unwrap();
/// let mut encryptor = Encryptor::new(materials, &EncryptOptions::default()).unwrap();
/// let mut message = Vec::new();
/// encryptor.update(b"hello ", &mut message).unwrap();
/// encryptor.update(b"world", &mut message).unwrap();
/// encryptor.finish(&mut message).unwrap();
/// ```
#[derive(Debug)]
pub struct Encryptor {
    keys: MessageKeys,
    header: Header,
    prelude: Option<Vec<u8>>,
    pending: Zeroizing<Vec<u8>>,
    next_sequence: u64,
    finished: bool,
}

impl Encryptor {
    /// Checks the options and materials and derives the message keys.
    pub fn new(
        materials: EncryptionMaterials,
        options: &EncryptOptions,
    ) -> Result<Encryptor, Error> {
        let mut content_key = Zeroizing::new([0u8; KEY_LEN]);
        Self::new_keeping_content_key(materials, options, &mut content_key)
    }

    /// [`Encryptor::new`] that also writes the raw content key into
    /// `content_key` (one key schedule for a host that seals the frames
    /// itself: [`crate::host_frames::HostSealer`]); the caller wipes it.
    pub(crate) fn new_keeping_content_key(
        materials: EncryptionMaterials,
        options: &EncryptOptions,
        content_key: &mut [u8; KEY_LEN],
    ) -> Result<Encryptor, Error> {
        check_frame_length(options.frame_length)?;
        if materials.encrypted_data_keys.is_empty() {
            return Err(Error::invalid_argument(
                "encryption materials hold no encrypted data key",
            ));
        }
        for (i, edk) in materials.encrypted_data_keys.iter().enumerate() {
            if edk.provider_id.is_empty() || edk.ciphertext.is_empty() {
                return Err(Error::invalid_argument(format!(
                    "encrypted data key {}: provider id and ciphertext must not be empty",
                    i + 1
                )));
            }
        }
        options
            .limits
            .check_encrypted_data_keys(materials.encrypted_data_keys.len())?;
        crate::context::check_context_limits(&materials.encryption_context, &options.limits)?;
        let message_id = match options.message_id {
            Some(id) => id,
            None => {
                let mut id = [0u8; MESSAGE_ID_LEN];
                fill_random(&mut id)?;
                id
            }
        };
        let suite = Suite::Aes256GcmHkdfSha512Committed;
        let keys = MessageKeys::derive_into(suite, &materials.data_key, &message_id, content_key);
        let header = Header {
            suite,
            message_id,
            // Moved, not cloned: the materials are the encryptor's own.
            encryption_context: materials.encryption_context,
            encrypted_data_keys: materials.encrypted_data_keys,
            frame_length: options.frame_length,
            commitment: *keys.commitment(),
        };
        let header_bytes = header.encode();
        Limits::check(
            "header bytes",
            options.limits.max_header_bytes,
            header_bytes.len(),
        )?;
        let prelude = write_prelude(&header_bytes, &keys.header_tag(&header_bytes));
        Ok(Encryptor {
            keys,
            // Allocated on first use: a one-shot message never needs it, and
            // a zeroizing Vec wipes its whole capacity when dropped.
            pending: Zeroizing::new(Vec::new()),
            header,
            prelude: Some(prelude),
            next_sequence: 1,
            finished: false,
        })
    }

    /// The header this message will carry.
    pub fn header(&self) -> &Header {
        &self.header
    }

    fn write_prelude(&mut self, out: &mut Vec<u8>) {
        if let Some(prelude) = self.prelude.take() {
            out.extend_from_slice(&prelude);
        }
    }

    /// Appends the next frame for `plaintext` to `out`: the plaintext is
    /// copied into place once and encrypted there.
    fn seal(&mut self, out: &mut Vec<u8>, plaintext: &[u8], is_final: bool) {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let start = out.len();
        let total = frame_encoded_len(sequence, plaintext.len());
        out.reserve(total);
        out.resize(start + total - plaintext.len() - TAG_LEN, 0);
        out.extend_from_slice(plaintext);
        out.resize(start + total, 0);
        self.seal_frame_into(&mut out[start..], sequence, is_final, plaintext.len(), None);
    }

    /// Writes frame `sequence` into `frame`, which is exactly that frame's
    /// encoded length: its head, a body of `len` bytes, and its tag. With
    /// `plaintext`, the body is encrypted straight from it; without, the
    /// plaintext already sits where the body goes and is encrypted in place.
    fn seal_frame_into(
        &self,
        frame: &mut [u8],
        sequence: u64,
        is_final: bool,
        len: usize,
        plaintext: Option<&[u8]>,
    ) {
        let mut head = Vec::with_capacity(24);
        write_frame_head(&mut head, sequence, is_final, len);
        let (head_slot, rest) = frame.split_at_mut(head.len());
        let (body, tag_slot) = rest.split_at_mut(len);
        head_slot.copy_from_slice(&head);
        let buffer = match plaintext {
            Some(plaintext) => InOutBuf::new(plaintext, body).expect("equal lengths"),
            None => body.into(),
        };
        let tag = self
            .keys
            .seal_frame(&self.header.message_id, sequence, is_final, buffer);
        tag_slot.copy_from_slice(&tag);
    }

    /// The exact length of the message this encryptor writes for a plaintext
    /// of `plaintext_len` bytes (when nothing was written yet).
    pub fn message_len(&self, plaintext_len: usize) -> usize {
        let frame = self.header.frame_length as usize;
        let full = plaintext_len / frame;
        let prelude = self.prelude.as_ref().map_or(0, Vec::len);
        let mut total = prelude + frame_encoded_len(full as u64 + 1, plaintext_len % frame);
        for sequence in 1..=full as u64 {
            total += frame_encoded_len(sequence, frame);
        }
        total
    }

    /// Writes the whole message for `plaintext` into `out`, which must hold
    /// at least [`message_len`](Self::message_len) bytes; returns the length
    /// written. Each frame is encrypted straight from `plaintext` into `out`.
    pub(crate) fn seal_all_into(
        mut self,
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let needed = self.message_len(plaintext.len());
        if out.len() < needed {
            return Err(Error::invalid_argument(format!(
                "output buffer is {} bytes, the message needs {needed}",
                out.len()
            )));
        }
        // Only called on a fresh encryptor, which still holds its prelude.
        let prelude = self.prelude.take().expect("a fresh encryptor");
        out[..prelude.len()].copy_from_slice(&prelude);
        let frame = self.header.frame_length as usize;
        let mut jobs = Vec::with_capacity(plaintext.len() / frame + 1);
        let mut rest = &mut out[prelude.len()..needed];
        let mut chunks = plaintext.chunks_exact(frame);
        for chunk in chunks.by_ref() {
            let sequence = jobs.len() as u64 + 1;
            let (target, tail) = rest.split_at_mut(frame_encoded_len(sequence, frame));
            jobs.push(SealJob::new(target, sequence, false, chunk));
            rest = tail;
        }
        let sequence = jobs.len() as u64 + 1;
        jobs.push(SealJob::new(rest, sequence, true, chunks.remainder()));
        self.seal_jobs(&mut jobs, plaintext.len());
        self.finished = true;
        Ok(needed)
    }

    /// Seals every job's frame, on several threads when there is enough
    /// work (see [`parallel`]); the bytes are the same either way.
    fn seal_jobs(&self, jobs: &mut [SealJob<'_>], plaintext_len: usize) {
        let threads = parallel::threads_for(plaintext_len);
        parallel::run(jobs, threads, |job| {
            let len = job.len;
            self.seal_frame_into(job.target, job.sequence, job.is_final, len, job.plaintext);
            Ok::<(), Infallible>(())
        });
    }

    /// Turns the plaintext in `buffer` into the whole message, in place: the
    /// buffer grows to [`message_len`](Self::message_len) bytes and frames are
    /// moved into position from the last to the first, each encrypted where it
    /// lands, so no second buffer of the message's size is needed.
    pub(crate) fn seal_all_in_place(mut self, buffer: &mut Vec<u8>) -> Result<(), Error> {
        // Only called on a fresh encryptor, which still holds its prelude.
        let prelude = self.prelude.take().expect("a fresh encryptor");
        let frame = self.header.frame_length as usize;
        let plaintext_len = buffer.len();
        let full = plaintext_len / frame;
        let frame_len = |i: usize| {
            if i == full {
                plaintext_len % frame
            } else {
                frame
            }
        };
        // Where each frame starts in the message (frame i has sequence i + 1).
        let mut starts = Vec::with_capacity(full + 2);
        starts.push(prelude.len());
        for i in 0..=full {
            starts.push(starts[i] + frame_encoded_len(i as u64 + 1, frame_len(i)));
        }
        buffer.resize(starts[full + 1], 0);
        // Every frame moves right (headers and tags come before it), so going
        // from the last frame to the first never overwrites unread plaintext.
        let threads = parallel::threads_for(plaintext_len);
        for i in (0..=full).rev() {
            let (start, end, len) = (starts[i], starts[i + 1], frame_len(i));
            buffer.copy_within(i * frame..i * frame + len, end - TAG_LEN - len);
            if threads == 1 {
                // Sealed while the frame is still in cache.
                self.seal_frame_into(&mut buffer[start..end], i as u64 + 1, i == full, len, None);
            }
        }
        if threads > 1 {
            // Every frame is in place: seal them all, on several threads.
            let mut jobs = Vec::with_capacity(full + 1);
            let mut rest = &mut buffer[prelude.len()..];
            for i in 0..=full {
                let (target, tail) = rest.split_at_mut(starts[i + 1] - starts[i]);
                jobs.push(SealJob::in_place(
                    target,
                    i as u64 + 1,
                    i == full,
                    frame_len(i),
                ));
                rest = tail;
            }
            self.seal_jobs(&mut jobs, plaintext_len);
        }
        buffer[..prelude.len()].copy_from_slice(&prelude);
        self.finished = true;
        Ok(())
    }

    /// Encrypts what it can of `input` and appends message bytes to `out`.
    /// Holds back less than one frame of plaintext.
    pub fn update(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if self.finished {
            return Err(Error::invalid_argument("encryptor is already finished"));
        }
        self.write_prelude(out);
        let frame = self.header.frame_length as usize;
        if !self.pending.is_empty() {
            let take = (frame - self.pending.len()).min(input.len());
            self.pending.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.pending.len() == frame {
                let pending = std::mem::take(&mut *self.pending);
                self.seal(out, &pending, false);
                let mut pending = Zeroizing::new(pending);
                pending.clear();
                self.pending = pending;
            }
        }
        let whole = input.len() / frame;
        if whole > 1 && parallel::threads_for(whole * frame) > 1 {
            input = self.seal_whole_frames(input, whole, out);
        }
        while input.len() >= frame {
            let (chunk, rest) = input.split_at(frame);
            self.seal(out, chunk, false);
            input = rest;
        }
        if self.pending.capacity() == 0 && !input.is_empty() {
            // One frame's room at once, so the plaintext held back is never
            // left behind in a buffer that grew.
            self.pending.reserve_exact(frame);
        }
        self.pending.extend_from_slice(input);
        Ok(())
    }

    /// Appends `whole` full frames from the start of `input` to `out`, sealed
    /// on several threads, and returns the rest of `input`.
    fn seal_whole_frames<'i>(
        &mut self,
        input: &'i [u8],
        whole: usize,
        out: &mut Vec<u8>,
    ) -> &'i [u8] {
        let frame = self.header.frame_length as usize;
        let first = self.next_sequence;
        let lens: Vec<usize> = (0..whole as u64)
            .map(|i| frame_encoded_len(first + i, frame))
            .collect();
        let start = out.len();
        out.resize(start + lens.iter().sum::<usize>(), 0);
        let (now, rest) = input.split_at(whole * frame);
        let mut jobs = Vec::with_capacity(whole);
        let mut slots = &mut out[start..];
        for ((i, chunk), len) in now.chunks_exact(frame).enumerate().zip(&lens) {
            let (target, tail) = slots.split_at_mut(*len);
            jobs.push(SealJob::new(target, first + i as u64, false, chunk));
            slots = tail;
        }
        self.seal_jobs(&mut jobs, now.len());
        self.next_sequence += whole as u64;
        rest
    }

    /// Writes the final frame (empty when the plaintext filled whole frames).
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.finished {
            return Err(Error::invalid_argument("encryptor is already finished"));
        }
        self.write_prelude(out);
        let pending = std::mem::take(&mut *self.pending);
        let pending = Zeroizing::new(pending);
        self.seal(out, &pending, true);
        self.finished = true;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the prefix, the header and the header tag (one reader).
    Prelude,
    NeedKey,
    Frames,
    Done,
    Failed,
}

/// Reads a message incrementally.
///
/// Feed bytes with [`update`](Self::update). When
/// [`needs_data_key`](Self::needs_data_key) turns true, the prefix, the
/// header and the header tag's framing have been read and checked (in the
/// order of `docs/FORMAT.md` §7.1, through the same reader as
/// [`parse_header`](crate::parse_header)), and the header is available from
/// [`header`](Self::header): find the data key and call
/// [`set_data_key`](Self::set_data_key), which goes on by itself with the
/// bytes that arrived meanwhile and appends their plaintext to its output.
/// Call [`finish`](Self::finish) at the
/// end of input. After any error the decryptor refuses further input (only
/// a [`set_data_key`](Self::set_data_key) call at the wrong time is refused
/// without failing it).
///
/// ```
/// use mrkenv::keyring::RawAesKeyring;
/// use mrkenv::{encrypt, Decryptor, EncryptOptions};
///
/// let keyring = RawAesKeyring::new("ns", "name", &[1u8; 32]).unwrap();
/// let materials = keyring.encryption_materials(&Default::default(), &Default::default()).unwrap();
/// let message = encrypt(materials, b"hello", &EncryptOptions::default()).unwrap();
///
/// let mut decryptor = Decryptor::new(Default::default());
/// let mut plaintext = Vec::new();
/// decryptor.update(&message, &mut plaintext).unwrap(); // stops for the key
/// let data_key = keyring.unwrap_data_key(decryptor.header().unwrap()).unwrap();
/// decryptor.set_data_key(&data_key, &mut plaintext).unwrap(); // decrypts what was buffered
/// decryptor.finish().unwrap();
/// assert_eq!(plaintext, b"hello");
/// ```
#[derive(Debug)]
pub struct Decryptor {
    options: DecryptOptions,
    buffer: Vec<u8>,
    state: State,
    /// Which piece of the prelude is incomplete, while in `Prelude`.
    incomplete: &'static str,
    header: Option<Header>,
    header_bytes: Vec<u8>,
    header_tag: [u8; TAG_LEN],
    keys: Option<MessageKeys>,
    next_sequence: u64,
    /// Bytes taken by `update` calls made while waiting for the data key.
    fed_while_waiting: usize,
}

impl Decryptor {
    /// A decryptor with the given limits and required context.
    pub fn new(options: DecryptOptions) -> Decryptor {
        Decryptor {
            options,
            buffer: Vec::new(),
            state: State::Prelude,
            incomplete: "the header is incomplete",
            header: None,
            header_bytes: Vec::new(),
            header_tag: [0; TAG_LEN],
            keys: None,
            next_sequence: 1,
            fed_while_waiting: 0,
        }
    }

    /// The header, once it and the header tag's framing have been read
    /// (`None` before, so no keyring can run on a message whose header tag
    /// is missing or malformed). Not authenticated until the data key is set.
    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// Takes the header out (for [`ParsedMessage::into_header`](crate::message::ParsedMessage::into_header)).
    pub(crate) fn take_header(&mut self) -> Option<Header> {
        self.header.take()
    }

    /// True when the header and the header tag are read and the data key is
    /// needed to go on.
    pub fn needs_data_key(&self) -> bool {
        self.state == State::NeedKey
    }

    /// True when the final frame has been read and verified.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Checks the data key against the key commitment (in constant time) and
    /// the header tag, before any frame is decrypted; then goes on by itself
    /// with the bytes that arrived while the key was missing, appending the
    /// plaintext of every complete frame among them to `out`, exactly as
    /// [`update`](Self::update) would. No `update` call is needed after it.
    ///
    /// Any error fails the decryptor: a key that does not verify, or a bad
    /// frame among the buffered bytes (after the verified frames before it
    /// were appended, as `update` does). Calling this when no key is wanted
    /// (before the header tag is read, or a second time) is refused with
    /// `InvalidArgument` and changes nothing.
    pub fn set_data_key(&mut self, data_key: &DataKey, out: &mut Vec<u8>) -> Result<(), Error> {
        self.guard()?;
        if self.state != State::NeedKey {
            return Err(Error::invalid_argument(
                "the decryptor does not need a data key now (read the header first)",
            ));
        }
        let result = self.set_data_key_inner(data_key, out);
        if result.is_err() {
            self.fail();
        }
        result
    }

    fn set_data_key_inner(&mut self, data_key: &DataKey, out: &mut Vec<u8>) -> Result<(), Error> {
        let header = self.header.as_ref().expect("header is read in NeedKey");
        let keys = MessageKeys::derive(header.suite, data_key, &header.message_id);
        keys.check_commitment(&header.commitment)?;
        keys.check_header_tag(&self.header_bytes, &self.header_tag)?;
        self.keys = Some(keys);
        self.state = State::Frames;
        if self.buffer.is_empty() {
            return Ok(());
        }
        // Reserved up front so that growing `out` leaves no copy of
        // plaintext behind (the plaintext is never longer than the buffer).
        crate::wipe::reserve(out, self.buffer.len());
        let buffer = std::mem::take(&mut self.buffer);
        let used = self.process(&buffer, out)?;
        self.buffer = buffer[used..].to_vec();
        Ok(())
    }

    /// Marks the decryptor failed: every later call is refused.
    fn fail(&mut self) {
        self.state = State::Failed;
    }

    /// Consumes `input`, appending verified plaintext to `out`.
    pub fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.guard()?;
        let result = self.update_inner(input, out);
        if result.is_err() {
            self.fail();
        }
        result
    }

    /// Completes a piece left over from an earlier call by topping the
    /// buffer up with just the bytes it lacks, then reads the rest of `input`
    /// in place, so each byte is copied at most once, and only when a piece
    /// straddles two calls.
    fn update_inner(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if self.state == State::NeedKey {
            return self.wait_for_key(input);
        }
        while !self.buffer.is_empty() {
            if self.state == State::NeedKey {
                self.buffer.extend_from_slice(input);
                return Ok(());
            }
            let need = match self.piece_len(&self.buffer) {
                Some(total) => total.saturating_sub(self.buffer.len()).max(1),
                None => 32,
            };
            let take = need.min(input.len());
            self.buffer.extend_from_slice(&input[..take]);
            input = &input[take..];
            let buffer = std::mem::take(&mut self.buffer);
            let result = self.process(&buffer, out);
            self.buffer = buffer;
            let used = result?;
            self.buffer.drain(..used);
            if input.is_empty() {
                // Nothing more to add: what is left waits for the next call.
                return Ok(());
            }
        }
        let used = self.process(input, out)?;
        self.buffer.extend_from_slice(&input[used..]);
        Ok(())
    }

    /// Buffers `input`, given while the data key is missing: at most one
    /// frame (of this message's frame length) in all such calls, so a host
    /// that keeps feeding without setting the key cannot make the decryptor
    /// hold the whole stream. (The bytes that came in the same call as the
    /// end of the header are kept whatever their length: they were given
    /// before the header could be read.)
    fn wait_for_key(&mut self, input: &[u8]) -> Result<(), Error> {
        let frame_length = self.header.as_ref().map_or(0, |h| h.frame_length);
        self.fed_while_waiting = one_frame_while_waiting(
            "bytes given while waiting for the data key (one frame)",
            self.fed_while_waiting,
            input.len(),
            self.next_sequence,
            frame_length,
        )?;
        self.buffer.extend_from_slice(input);
        Ok(())
    }

    /// The encoded length of the piece starting at `data`, when its head is
    /// complete enough to tell.
    fn piece_len(&self, data: &[u8]) -> Option<usize> {
        match self.state {
            State::Prelude => prelude_len(data),
            State::Frames => {
                let header = self.header.as_ref()?;
                read_frame_head(data, self.next_sequence, header.frame_length)
                    .ok()
                    .flatten()
                    .map(|frame| frame.total_len())
            }
            State::NeedKey | State::Done | State::Failed => None,
        }
    }

    /// Decrypts the frames of a whole message held in `buffer`, starting at
    /// `at` (just after the header tag), in place: each frame is verified,
    /// decrypted where it is, and moved left to follow the plaintext before
    /// it. Returns the plaintext length; the plaintext is `buffer[..len]`.
    /// On error, the plaintext written so far is zeroed.
    pub(crate) fn open_in_place(
        &mut self,
        buffer: &mut [u8],
        mut at: usize,
    ) -> Result<usize, Error> {
        if self.state != State::Frames {
            return Err(Error::invalid_argument("the data key must be set first"));
        }
        let threads = parallel::threads_for(buffer.len().saturating_sub(at));
        if threads > 1 {
            return self.open_in_place_parallel(buffer, at, threads);
        }
        let mut written = 0;
        let result = (|| {
            let header = self.header.as_ref().expect("header is read");
            let keys = self.keys.as_ref().expect("keys are set in Frames");
            loop {
                let rest = &buffer[at..];
                let frame = read_frame_head(rest, self.next_sequence, header.frame_length)?
                    .filter(|frame| frame.total_len() <= rest.len())
                    .ok_or_else(|| {
                        FormatError::Truncated(format!(
                            "the message ends before the final frame (frame {} is missing or incomplete)",
                            self.next_sequence
                        ))
                    })?;
                let body = at + frame.head_len;
                let len = frame.plaintext_len;
                let tag: [u8; TAG_LEN] = buffer[body + len..body + len + TAG_LEN]
                    .try_into()
                    .expect("16 bytes");
                keys.open_frame(
                    &header.message_id,
                    frame.sequence,
                    frame.is_final,
                    (&mut buffer[body..body + len]).into(),
                    &tag,
                )?;
                buffer.copy_within(body..body + len, written);
                written += len;
                at += frame.total_len();
                self.next_sequence += 1;
                if frame.is_final {
                    if at < buffer.len() {
                        return Err(FormatError::TrailingBytes(buffer.len() - at).into());
                    }
                    return Ok(());
                }
            }
        })();
        match result {
            Ok(()) => {
                self.state = State::Done;
                Ok(written)
            }
            Err(e) => {
                buffer[..written].zeroize();
                self.fail();
                Err(e)
            }
        }
    }

    /// Reads the heads of the complete frames at the start of `data`, from
    /// frame `next_sequence` on, without decrypting anything. Returns the
    /// frames, the bytes they take, and the error the one-frame-at-a-time
    /// path would meet right after them: a malformed head, bytes after the
    /// final frame, or (with `room`: the bytes left in an output slice, and
    /// its length) an output too small for the next frame.
    fn scan_frames(
        &self,
        data: &[u8],
        room: Option<(usize, usize)>,
    ) -> (Vec<FrameRef>, usize, Option<Error>) {
        let header = self.header.as_ref().expect("header is read in Frames");
        let mut frames: Vec<FrameRef> = Vec::new();
        let (mut at, mut needed) = (0, 0);
        loop {
            let rest = &data[at..];
            let sequence = self.next_sequence + frames.len() as u64;
            let frame = match read_frame_head(rest, sequence, header.frame_length) {
                Err(e) => return (frames, at, Some(e.into())),
                Ok(Some(frame)) if frame.total_len() <= rest.len() => frame,
                Ok(_) => return (frames, at, None),
            };
            if let Some((room, out_len)) = room {
                if needed + frame.plaintext_len > room {
                    let message = format!(
                        "output buffer of {out_len} bytes is too small for frame {sequence}"
                    );
                    return (frames, at, Some(Error::invalid_argument(message)));
                }
            }
            needed += frame.plaintext_len;
            frames.push(FrameRef {
                body: at + frame.head_len,
                len: frame.plaintext_len,
                sequence,
                is_final: frame.is_final,
            });
            at += frame.total_len();
            if frame.is_final {
                let trailing =
                    (at < data.len()).then(|| FormatError::TrailingBytes(data.len() - at).into());
                return (frames, at, trailing);
            }
        }
    }

    /// Verifies and decrypts the complete frames at the start of `data`
    /// into `sink` on several threads; returns the bytes used. The sink ends
    /// as the one-frame-at-a-time path leaves it: the plaintext of every
    /// frame before the first failing one, nothing after it (what another
    /// thread decrypted past a failure is zeroed), and the same error.
    fn open_frames_parallel(&mut self, data: &[u8], sink: &mut Sink<'_>) -> Result<usize, Error> {
        let room = match sink {
            Sink::Vec(_) => None,
            Sink::Slice { out, written } => Some((out.len() - *written, out.len())),
        };
        let (frames, used, after) = self.scan_frames(data, room);
        let total: usize = frames.iter().map(|frame| frame.len).sum();
        let header = self.header.as_ref().expect("header is read in Frames");
        let keys = self.keys.as_ref().expect("keys are set in Frames");
        let failure = {
            let mut slots = match sink {
                Sink::Vec(out) => {
                    let start = out.len();
                    out.resize(start + total, 0);
                    &mut out[start..]
                }
                Sink::Slice { out, written } => &mut out[*written..*written + total],
            };
            let mut jobs = Vec::with_capacity(frames.len());
            for frame in &frames {
                let (target, tail) = slots.split_at_mut(frame.len);
                jobs.push((frame, target));
                slots = tail;
            }
            parallel::run(
                &mut jobs,
                parallel::threads_for(total),
                |(frame, target)| {
                    let (ciphertext, tag) = frame.body_and_tag(data);
                    let buffer = InOutBuf::new(ciphertext, target).expect("equal lengths");
                    let (id, seq, fin) = (&header.message_id, frame.sequence, frame.is_final);
                    keys.open_frame(id, seq, fin, buffer, &tag)
                },
            )
        };
        let opened = failure.as_ref().map_or(frames.len(), |(i, _)| *i);
        let verified: usize = frames[..opened].iter().map(|frame| frame.len).sum();
        match sink {
            Sink::Vec(out) => {
                let keep = out.len() - total + verified;
                out[keep..].zeroize();
                out.truncate(keep);
            }
            Sink::Slice { out, written } => {
                out[*written + verified..*written + total].zeroize();
                *written += verified;
            }
        }
        self.next_sequence += opened as u64;
        if let Some((_, e)) = failure {
            return Err(e);
        }
        if frames.last().is_some_and(|frame| frame.is_final) {
            self.state = State::Done;
        }
        match after {
            Some(e) => Err(e),
            None => Ok(used),
        }
    }

    /// [`open_in_place`](Self::open_in_place) on several threads: every
    /// frame is verified and decrypted where it is, then, once all have
    /// verified, moved left into place; same result and same errors.
    fn open_in_place_parallel(
        &mut self,
        buffer: &mut [u8],
        at: usize,
        threads: usize,
    ) -> Result<usize, Error> {
        let (frames, used, after) = self.scan_frames(&buffer[at..], None);
        let header = self.header.as_ref().expect("header is read in Frames");
        let keys = self.keys.as_ref().expect("keys are set in Frames");
        let failure = {
            let mut jobs = Vec::with_capacity(frames.len());
            let mut rest = &mut buffer[at..at + used];
            let mut consumed = 0;
            for frame in &frames {
                let (_, from_body) = rest.split_at_mut(frame.body - consumed);
                let (body, tail) = from_body.split_at_mut(frame.len + TAG_LEN);
                consumed = frame.body + frame.len + TAG_LEN;
                jobs.push((frame, body));
                rest = tail;
            }
            parallel::run(&mut jobs, threads, |(frame, body)| {
                let (body, tag) = body.split_at_mut(frame.len);
                let tag: [u8; TAG_LEN] = (&*tag).try_into().expect("16 bytes");
                let (id, seq, fin) = (&header.message_id, frame.sequence, frame.is_final);
                keys.open_frame(id, seq, fin, body.into(), &tag)
            })
        };
        let opened = failure.as_ref().map_or(frames.len(), |(i, _)| *i);
        self.next_sequence += opened as u64;
        let ended = frames.last().is_some_and(|frame| frame.is_final);
        let error = match (failure, after) {
            (Some((_, e)), _) | (None, Some(e)) => Some(e),
            (None, None) if !ended => Some(
                FormatError::Truncated(format!(
                    "the message ends before the final frame (frame {} is missing or incomplete)",
                    self.next_sequence
                ))
                .into(),
            ),
            (None, None) => None,
        };
        if let Some(e) = error {
            // Frames after a failing one may have been decrypted too.
            buffer[..at + used].zeroize();
            self.fail();
            return Err(e);
        }
        let mut written = 0;
        for frame in &frames {
            let body = at + frame.body;
            buffer.copy_within(body..body + frame.len, written);
            written += frame.len;
        }
        self.state = State::Done;
        Ok(written)
    }

    /// Ends the input: fails unless the final frame was read.
    pub fn finish(&mut self) -> Result<(), Error> {
        self.guard()?;
        let result = match self.state {
            State::Done if self.buffer.is_empty() => Ok(()),
            State::Done => Err(FormatError::TrailingBytes(self.buffer.len()).into()),
            State::Prelude => Err(self.prelude_incomplete()),
            State::NeedKey => Err(Error::invalid_argument(
                "finish called before the data key was set",
            )),
            State::Frames => Err(FormatError::Truncated(format!(
                "the message ends before the final frame (frame {} is missing or incomplete)",
                self.next_sequence
            ))
            .into()),
            State::Failed => unreachable!("guarded above"),
        };
        if result.is_err() {
            self.fail();
        }
        result
    }

    /// The truncation error for input that ended inside the prelude.
    pub(crate) fn prelude_incomplete(&self) -> Error {
        truncated(self.incomplete)
    }

    fn guard(&self) -> Result<(), Error> {
        if self.state == State::Failed {
            Err(Error::invalid_argument(
                "the decryptor already failed; start again with a new one",
            ))
        } else {
            Ok(())
        }
    }

    /// Processes as much of `data` as possible, appending plaintext to `out`;
    /// returns how many bytes were used.
    pub(crate) fn process(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<usize, Error> {
        self.process_to(data, &mut Sink::Vec(out))
    }

    /// Like [`process`](Self::process), writing plaintext to any [`Sink`].
    pub(crate) fn process_to(&mut self, data: &[u8], sink: &mut Sink<'_>) -> Result<usize, Error> {
        let mut at = 0;
        loop {
            let rest = &data[at..];
            match self.state {
                State::Prelude => {
                    let limits = &self.options.limits;
                    let required = &self.options.required_context;
                    match read_prelude(rest, limits, required)? {
                        PreludeRead::Incomplete { missing } => {
                            self.incomplete = missing;
                            return Ok(at);
                        }
                        PreludeRead::Complete(prelude) => {
                            self.header_bytes = rest[prelude.header_bytes].to_vec();
                            self.header_tag = prelude.tag;
                            self.header = Some(prelude.header);
                            at += prelude.len;
                            self.state = State::NeedKey;
                        }
                    }
                }
                State::NeedKey => return Ok(at),
                State::Frames if parallel::threads_for(rest.len()) > 1 => {
                    match self.open_frames_parallel(rest, sink)? {
                        // The next frame is incomplete: wait for more input.
                        0 => return Ok(at),
                        used => at += used,
                    }
                }
                State::Frames => {
                    let header = self.header.as_ref().expect("header is read");
                    let Some(frame) =
                        read_frame_head(rest, self.next_sequence, header.frame_length)?
                    else {
                        return Ok(at);
                    };
                    if rest.len() < frame.total_len() {
                        return Ok(at);
                    }
                    let body = &rest[frame.head_len..frame.total_len()];
                    let (ciphertext, tag) = body.split_at(frame.plaintext_len);
                    let tag: [u8; TAG_LEN] = tag.try_into().expect("16 bytes");
                    let keys = self.keys.as_ref().expect("keys are set in Frames");
                    let (id, seq, fin) = (&header.message_id, frame.sequence, frame.is_final);
                    match sink {
                        Sink::Vec(out) => {
                            let start = out.len();
                            // `out` may already hold plaintext: growing it
                            // must not leave a copy in freed memory.
                            crate::wipe::reserve(out, ciphertext.len());
                            out.extend_from_slice(ciphertext);
                            if let Err(e) =
                                keys.open_frame(id, seq, fin, (&mut out[start..]).into(), &tag)
                            {
                                out.truncate(start);
                                return Err(e);
                            }
                        }
                        Sink::Slice { out, written } => {
                            let end = *written + ciphertext.len();
                            if end > out.len() {
                                return Err(Error::invalid_argument(format!(
                                    "output buffer of {} bytes is too small for frame {seq}",
                                    out.len()
                                )));
                            }
                            let target = &mut out[*written..end];
                            let buffer = InOutBuf::new(ciphertext, target).expect("equal lengths");
                            keys.open_frame(id, seq, fin, buffer, &tag)?;
                            *written = end;
                        }
                    }
                    at += frame.total_len();
                    self.next_sequence += 1;
                    if frame.is_final {
                        self.state = State::Done;
                    }
                }
                State::Done => {
                    if rest.is_empty() {
                        return Ok(at);
                    }
                    return Err(FormatError::TrailingBytes(rest.len()).into());
                }
                State::Failed => unreachable!("guarded in update"),
            }
        }
    }
}

/// A complete frame found by [`Decryptor::scan_frames`]: where its body
/// starts in the scanned bytes, its plaintext length and its head's fields.
struct FrameRef {
    body: usize,
    len: usize,
    sequence: u64,
    is_final: bool,
}

impl FrameRef {
    /// The frame's ciphertext and tag in the scanned bytes.
    fn body_and_tag<'d>(&self, data: &'d [u8]) -> (&'d [u8], [u8; TAG_LEN]) {
        let (ciphertext, rest) = data[self.body..].split_at(self.len);
        (ciphertext, rest[..TAG_LEN].try_into().expect("16 bytes"))
    }
}

/// Where a [`Decryptor`] writes verified plaintext.
pub(crate) enum Sink<'a> {
    /// Appended to a vector.
    Vec(&'a mut Vec<u8>),
    /// Written into a caller's slice, `written` bytes so far.
    Slice {
        /// The caller's buffer.
        out: &'a mut [u8],
        /// How much of it holds plaintext.
        written: usize,
    },
}

#[cfg(test)]
mod bulk_tests {
    use super::*;
    use crate::keyring::RawAesKeyring;

    fn encryptor(frame_length: u32) -> Encryptor {
        let keyring = RawAesKeyring::new("ns", "name", &[5; 32]).unwrap();
        let materials = keyring
            .encryption_materials(&Default::default(), &Default::default())
            .unwrap();
        let options = EncryptOptions {
            frame_length,
            ..Default::default()
        };
        Encryptor::new(materials, &options).unwrap()
    }

    #[test]
    fn the_held_back_plaintext_buffer_is_allocated_once_on_first_use() {
        // A one-shot message never holds plaintext back: no 64 KiB buffer
        // to allocate and wipe per message.
        let mut encryptor = encryptor(4096);
        assert_eq!(encryptor.pending.capacity(), 0);
        let mut out = Vec::new();
        encryptor.update(&[1; 10], &mut out).unwrap();
        assert_eq!(encryptor.pending.capacity(), 4096);
        let before = encryptor.pending.as_ptr();
        encryptor.update(&[2; 4000], &mut out).unwrap();
        encryptor.update(&[3; 5000], &mut out).unwrap();
        assert_eq!(encryptor.pending.as_ptr(), before, "never regrown");
        encryptor.finish(&mut out).unwrap();
    }
}
