//! The light check of a body that a re-key passes through: frame heads in
//! order (sequence, final flag, lengths), a final frame, nothing after it.
//! Frame tags are not verified (that needs decrypting every frame).

use crate::crypto::TAG_LEN;
use crate::error::{Error, FormatError};
use crate::format::frame::read_frame_head;

/// Walks the frames of a body given in pieces, holding at most one frame
/// head (a few bytes) between pieces.
#[derive(Debug)]
pub(crate) struct FrameWalker {
    frame_length: u32,
    next_sequence: u64,
    /// Bytes of the current frame's body still to come.
    remaining: usize,
    /// Whether the current frame is the final one.
    in_final: bool,
    /// The final frame has been passed whole.
    done: bool,
    /// The start of a frame head split across pieces.
    head: Vec<u8>,
}

impl FrameWalker {
    /// A walker for a message with this frame length.
    pub(crate) fn new(frame_length: u32) -> FrameWalker {
        FrameWalker {
            frame_length,
            next_sequence: 1,
            remaining: 0,
            in_final: false,
            done: false,
            head: Vec::new(),
        }
    }

    /// Checks the next piece of the body.
    pub(crate) fn walk(&mut self, mut input: &[u8]) -> Result<(), Error> {
        while !input.is_empty() {
            if self.done {
                return Err(FormatError::TrailingBytes(input.len()).into());
            }
            if self.remaining > 0 {
                let n = self.remaining.min(input.len());
                self.remaining -= n;
                input = &input[n..];
                self.done = self.remaining == 0 && self.in_final;
                continue;
            }
            if self.head.is_empty() {
                if let Some(head) = read_frame_head(input, self.next_sequence, self.frame_length)? {
                    self.start(head.plaintext_len + TAG_LEN, head.is_final);
                    input = &input[head.head_len..];
                    continue;
                }
            }
            // A head split across pieces (at most a few bytes): one byte at a time.
            self.head.push(input[0]);
            input = &input[1..];
            if let Some(head) = read_frame_head(&self.head, self.next_sequence, self.frame_length)?
            {
                self.head.clear();
                self.start(head.plaintext_len + TAG_LEN, head.is_final);
            }
        }
        Ok(())
    }

    fn start(&mut self, body_len: usize, is_final: bool) {
        self.remaining = body_len;
        self.in_final = is_final;
        self.next_sequence += 1;
    }

    /// Fails unless the final frame was passed whole.
    pub(crate) fn finish(&self) -> Result<(), Error> {
        if self.done {
            return Ok(());
        }
        // Inside a frame, it is the one whose head was read last.
        let frame = self.next_sequence - u64::from(self.remaining > 0);
        Err(FormatError::Truncated(format!(
            "the message ends before the final frame (frame {frame} is missing or incomplete)"
        ))
        .into())
    }
}
