//! The streaming re-key: old message bytes in, new message bytes out, in
//! constant memory.

use crate::crypto::DataKey;
use crate::error::{Error, RekeyError};
use crate::format::frame::one_frame_while_waiting;
use crate::format::prelude::{read_prelude, truncated, PreludeRead};
use crate::format::{EncryptedDataKey, Header};
use crate::keyring::Keyring;
use crate::session::{DecryptSession, EncryptSession};

use super::frames::FrameWalker;
use super::plan::{RekeyPlan, VerifiedRekey};
use super::RekeyOptions;

#[derive(Debug)]
enum State {
    /// Reading the old prefix, header and header tag.
    Head,
    /// The old head is read: the data key is needed.
    NeedKey(Box<RekeyPlan>),
    /// The data key verified: the added encrypted data keys are needed.
    NeedAddedKeys(Box<VerifiedRekey>),
    /// The new head is written; frames pass through.
    Frames(FrameWalker),
    Failed,
}

/// Re-keys a message incrementally, like [`Decryptor`](crate::Decryptor)
/// reads one.
///
/// Feed the old message with [`update`](Self::update). Nothing is written
/// until the new head is known: once the old head is read,
/// [`needs_data_key`](Self::needs_data_key) turns true; run
/// [`decrypt_session`](Self::decrypt_session) and hand the data key to
/// [`set_data_key`](Self::set_data_key) (commitment and header tag are
/// verified there); then run [`wrap_session`](Self::wrap_session) and hand
/// its encrypted data keys to [`set_added_keys`](Self::set_added_keys),
/// which writes the new head and the bytes that arrived meanwhile. From
/// then on `update` copies the frames through unchanged. Call
/// [`finish`](Self::finish) at the end of input. Blocking hosts use
/// [`unlock`](Self::unlock) for the three middle steps.
///
/// **What is verified:** the old head as decrypt reads it (§7.1 steps 1–8),
/// the key commitment and the old header tag (steps 10–11), and the framing
/// of the body (frame heads in sequence, lengths, one final frame, nothing
/// after it). **What is not:** the frame tags, which would mean decrypting
/// every frame; a tampered frame passes through and fails when the re-keyed
/// message is decrypted, exactly as it would have in the old message.
///
/// **Memory:** the old head with the rest of the `update` call that
/// completed it, then at most one frame's bytes more while the keys are
/// fetched (more is refused with `LimitExceeded`: a host stops reading when
/// a key is needed); after that, at most one frame head (a few bytes).
///
/// After an error the rekeyer refuses further input; calls out of order are
/// refused without failing it.
#[derive(Debug)]
pub struct Rekeyer {
    options: RekeyOptions,
    state: State,
    buffer: Vec<u8>,
    /// Which piece of the old head is incomplete, while in `Head`.
    incomplete: &'static str,
    /// Bytes taken by `update` calls made while waiting for the keys.
    fed_while_waiting: usize,
}

impl Rekeyer {
    /// A rekeyer with these options.
    pub fn new(options: RekeyOptions) -> Rekeyer {
        Rekeyer {
            options,
            state: State::Head,
            buffer: Vec::new(),
            incomplete: "the header is incomplete",
            fed_while_waiting: 0,
        }
    }

    /// Consumes old message bytes; appends new message bytes to `out` once
    /// the new head is written.
    pub fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let result = self.update_inner(input, out);
        if result.is_err() && !matches!(result, Err(Error::Rekey(RekeyError::Order(_)))) {
            self.state = State::Failed;
        }
        result
    }

    fn update_inner(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        match &mut self.state {
            State::Head => {
                self.buffer.extend_from_slice(input);
                let limits = &self.options.limits;
                match read_prelude(&self.buffer, limits, &self.options.required_context)? {
                    PreludeRead::Incomplete { missing } => self.incomplete = missing,
                    PreludeRead::Complete(prelude) => {
                        let len = prelude.len;
                        let plan = RekeyPlan::from_prelude(prelude, &self.buffer, &self.options)?;
                        self.buffer.drain(..len);
                        self.state = State::NeedKey(Box::new(plan));
                    }
                }
            }
            State::NeedKey(plan) => {
                let frame_length = plan.header().frame_length;
                self.wait_for_keys(frame_length, input)?;
            }
            State::NeedAddedKeys(verified) => {
                let frame_length = verified.header().frame_length;
                self.wait_for_keys(frame_length, input)?;
            }
            State::Frames(walker) => {
                walker.walk(input)?;
                out.extend_from_slice(input);
            }
            State::Failed => return Err(failed()),
        }
        Ok(())
    }

    /// Keeps bytes given while the keys are fetched: one frame's worth in
    /// all (the first frame's encoded length), never more.
    fn wait_for_keys(&mut self, frame_length: u32, input: &[u8]) -> Result<(), Error> {
        self.fed_while_waiting = one_frame_while_waiting(
            "bytes given while waiting for the keys (one frame)",
            self.fed_while_waiting,
            input.len(),
            1,
            frame_length,
        )?;
        self.buffer.extend_from_slice(input);
        Ok(())
    }

    /// The old header, once it and its header tag's framing are read.
    pub fn header(&self) -> Option<&Header> {
        match &self.state {
            State::NeedKey(plan) => Some(plan.header()),
            State::NeedAddedKeys(verified) => Some(verified.header()),
            _ => None,
        }
    }

    /// True when the old head is read and the data key is needed.
    pub fn needs_data_key(&self) -> bool {
        matches!(self.state, State::NeedKey(_))
    }

    /// True when the data key verified and the added keys are needed.
    pub fn needs_added_keys(&self) -> bool {
        matches!(self.state, State::NeedAddedKeys(_))
    }

    /// True when the final frame has passed through.
    pub fn is_done(&self) -> bool {
        matches!(&self.state, State::Frames(walker) if walker.finish().is_ok())
    }

    /// Where the body starts in the old message (once its head is read).
    pub fn body_offset(&self) -> Option<usize> {
        match &self.state {
            State::NeedKey(plan) => Some(plan.body_offset()),
            State::NeedAddedKeys(verified) => Some(verified.body_offset()),
            _ => None,
        }
    }

    /// The conversation that finds the data key with `keyring`, as decrypt
    /// does. Only when [`needs_data_key`](Self::needs_data_key).
    pub fn decrypt_session(&self, keyring: &Keyring) -> Result<DecryptSession, Error> {
        match &self.state {
            State::NeedKey(plan) => plan.decrypt_session(keyring),
            _ => Err(RekeyError::Order(
                "the data key is not needed now (read the old header first)",
            )
            .into()),
        }
    }

    /// Verifies the data key against the commitment and the old header tag.
    /// A key that does not verify fails the rekeyer (nothing was written).
    pub fn set_data_key(&mut self, data_key: DataKey) -> Result<(), Error> {
        let State::NeedKey(_) = self.state else {
            return Err(RekeyError::Order(
                "the data key is not needed now (read the old header first)",
            )
            .into());
        };
        let State::NeedKey(plan) = std::mem::replace(&mut self.state, State::Failed) else {
            unreachable!("matched above")
        };
        self.state = State::NeedAddedKeys(Box::new(plan.verify(data_key)?));
        Ok(())
    }

    /// The conversation that wraps the data key with the keys to add (done
    /// at once when there are none). Only when
    /// [`needs_added_keys`](Self::needs_added_keys).
    pub fn wrap_session(&self) -> Result<EncryptSession, Error> {
        match &self.state {
            State::NeedAddedKeys(verified) => verified.wrap_session(),
            _ => Err(RekeyError::Order(
                "the added keys are not needed now (set the data key first)",
            )
            .into()),
        }
    }

    /// Writes the new head with `added` (the wrap session's encrypted data
    /// keys) to `out`, then the bytes that arrived meanwhile, checked as
    /// frames.
    pub fn set_added_keys(
        &mut self,
        added: Vec<EncryptedDataKey>,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let State::NeedAddedKeys(verified) = &self.state else {
            return Err(RekeyError::Order(
                "the added keys are not needed now (set the data key first)",
            )
            .into());
        };
        let result = (|| {
            let head = verified.new_head(added)?;
            let mut walker = FrameWalker::new(verified.header().frame_length);
            walker.walk(&self.buffer)?;
            Ok((head, walker))
        })();
        match result {
            Ok((head, walker)) => {
                out.extend_from_slice(&head);
                out.append(&mut self.buffer);
                self.buffer = Vec::new();
                self.state = State::Frames(walker);
                Ok(())
            }
            Err(e) => {
                self.state = State::Failed;
                Err(e)
            }
        }
    }

    /// Ends the input: fails unless the final frame passed through whole.
    pub fn finish(&mut self) -> Result<(), Error> {
        let result = match &self.state {
            State::Frames(walker) => walker.finish(),
            State::Head => Err(truncated(self.incomplete)),
            State::NeedKey(_) | State::NeedAddedKeys(_) => {
                return Err(RekeyError::Order("finish before the new head was written").into())
            }
            State::Failed => Err(failed()),
        };
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }
}

fn failed() -> Error {
    Error::invalid_argument("the rekeyer already failed; start again with a new one")
}
