//! Messages whose frames the host's AES-GCM seals and opens (`node:crypto`
//! in Node, WebCrypto in browsers; `js/host_aes.js`), planned by the core's
//! [`mrkenv::host_frames`]: the bulk data stays in JavaScript buffers and
//! never passes through wasm memory.
//!
//! - encrypt: [`HostSealer`] (from the same [`Materials`] as the wasm path)
//!   writes the prelude and hands out the content key once, then the plan of
//!   each frame;
//! - decrypt: [`HostOpener::read`] reads the prelude from the message's first
//!   bytes, `keyring.hostDecryptSession(opener)` finds the data key, and
//!   [`HostOpener::set_data_key`] checks the commitment and the header tag
//!   before the content key is handed out; then each frame's head is read
//!   from a few bytes the host passes.
//!
//! A frame plan crosses as one packed `Uint8Array` (see [`pack`]) so that a
//! frame costs one call and one small copy.

use js_sys::{Object, Uint8Array};
use wasm_bindgen::prelude::*;

use mrkenv::host_frames::{self, FramePlan, OpenerRead};
use mrkenv::{DecryptOptions, HeaderSummary};

use crate::{
    context_from, encrypt_options, error_value, set, summary_value, Conv, DataKeyBox, IntoJs,
    JsResult, Keyring, KmsSession, Materials,
};

/// Bytes of a packed plan before the frame head: head length (1), final
/// flag (1), plaintext length (4, LE), sequence (8, LE), IV (12), AAD (49).
pub const PLAN_FIXED_LEN: usize = 1 + 1 + 4 + 8 + 12 + host_frames::FRAME_AAD_LEN;

/// A frame plan as bytes: the fixed part of [`PLAN_FIXED_LEN`] bytes, then
/// the frame's CBOR head (`js/host_aes.js` reads it back).
fn pack(plan: &FramePlan) -> Vec<u8> {
    let mut out = Vec::with_capacity(PLAN_FIXED_LEN + plan.head.len());
    out.push(plan.head.len() as u8);
    out.push(u8::from(plan.is_final));
    out.extend_from_slice(&(plan.plaintext_len as u32).to_le_bytes());
    out.extend_from_slice(&plan.sequence.to_le_bytes());
    out.extend_from_slice(&plan.iv);
    out.extend_from_slice(&plan.aad);
    out.extend_from_slice(&plan.head);
    out
}

/// The content key, copied straight from the core's storage into a new
/// JavaScript array (no temporary copy in wasm memory); the core's copy, on
/// the heap, is wiped when the `ContentKey` drops here. The caller imports it into the
/// host's key object and zeroes the array.
fn key_array(key: Option<host_frames::ContentKey>) -> JsResult<Uint8Array> {
    key.map(|key| Uint8Array::from(&key.expose_secret()[..]))
        .ok_or_else(|| crate::invalid_argument("the content key was already taken"))
}

/// Writes a message whose frames the host seals.
#[wasm_bindgen]
pub struct HostSealer {
    inner: host_frames::HostSealer,
}

#[wasm_bindgen]
impl HostSealer {
    /// Checks the options and materials, writes the prelude and derives the
    /// content key. `message_id` is for test vectors only.
    #[wasm_bindgen(constructor)]
    pub fn new(
        materials: &Materials,
        frame_length: u32,
        message_id: Option<Vec<u8>>,
    ) -> JsResult<HostSealer> {
        let options = encrypt_options(frame_length, message_id)?;
        Ok(HostSealer {
            inner: host_frames::HostSealer::new(materials.inner.clone(), &options).js()?,
        })
    }

    /// The prefix, header and header tag.
    pub fn prelude(&self) -> Vec<u8> {
        self.inner.prelude().to_vec()
    }

    /// The exact message length for a plaintext of `plaintext_len` bytes.
    #[wasm_bindgen(js_name = messageLen)]
    pub fn message_len(&self, plaintext_len: usize) -> usize {
        self.inner.message_len(plaintext_len)
    }

    /// The content key, once (the core's copy is wiped).
    #[wasm_bindgen(js_name = takeContentKey)]
    pub fn take_content_key(&mut self) -> JsResult<Uint8Array> {
        key_array(self.inner.take_content_key())
    }

    /// The packed plan of the next frame (see [`pack`]).
    #[wasm_bindgen(js_name = nextFrame)]
    pub fn next_frame(&mut self, plaintext_len: usize, is_final: bool) -> JsResult<Vec<u8>> {
        Ok(pack(&self.inner.next_frame(plaintext_len, is_final).js()?))
    }
}

/// Reads a message whose frames the host opens.
#[wasm_bindgen]
pub struct HostOpener {
    inner: host_frames::HostOpener,
}

#[wasm_bindgen]
impl HostOpener {
    /// Reads the prelude at the start of `prefix` with the required context
    /// (flat list). Returns the opener, or `{ needed, missing }` when more
    /// bytes are needed (`needed`: the prelude's whole length when known,
    /// else 0; `missing`: the incomplete piece, for a truncation error).
    /// `limits` as [`crate::limits`] reads them (`None`: the defaults).
    pub fn read(
        prefix: &[u8],
        required_context: Vec<String>,
        limits: Option<Vec<u32>>,
    ) -> JsResult<JsValue> {
        let options = DecryptOptions {
            required_context: context_from(required_context)?,
            limits: crate::limits::limits_from(limits)?,
        };
        match host_frames::HostOpener::read(prefix, &options).js()? {
            OpenerRead::Complete(inner) => Ok(HostOpener { inner }.into()),
            OpenerRead::Incomplete { needed, missing } => {
                let object = Object::new();
                set(&object, "needed", &(needed.unwrap_or(0) as f64).into());
                set(&object, "missing", &missing.into());
                Ok(object.into())
            }
        }
    }

    /// The header summary (encryption context as a flat list).
    pub fn header(&self) -> JsValue {
        summary_value(&HeaderSummary::from_header(self.inner.header()))
    }

    /// Where the first frame starts.
    #[wasm_bindgen(js_name = bodyOffset)]
    pub fn body_offset(&self) -> usize {
        self.inner.body_offset()
    }

    /// Checks the data key against the commitment and the header tag.
    #[wasm_bindgen(js_name = setDataKey)]
    pub fn set_data_key(&mut self, data_key: &DataKeyBox) -> JsResult<()> {
        self.inner.set_data_key(&data_key.key).js()
    }

    /// The content key, once, after `setDataKey` (the core's copy is wiped).
    #[wasm_bindgen(js_name = takeContentKey)]
    pub fn take_content_key(&mut self) -> JsResult<Uint8Array> {
        key_array(self.inner.take_content_key())
    }

    /// Reads the next frame's head from `head` (its first bytes); `available`
    /// bytes of the message are at hand from the frame's start, and the
    /// message ends there when `at_end`. Returns the packed plan, or
    /// `undefined` when more bytes are needed.
    #[wasm_bindgen(js_name = nextFrame)]
    pub fn next_frame(
        &mut self,
        head: &[u8],
        available: f64,
        at_end: bool,
    ) -> JsResult<Option<Vec<u8>>> {
        let available = if available >= usize::MAX as f64 {
            usize::MAX
        } else {
            available as usize
        };
        Ok(self
            .inner
            .next_frame(head, available, at_end)
            .js()?
            .map(|plan| pack(&plan)))
    }

    /// Ends the message with `trailing` bytes after the last frame.
    pub fn finish(&mut self, trailing: f64) -> JsResult<()> {
        self.inner
            .finish(trailing.min(usize::MAX as f64) as usize)
            .js()
    }

    /// True once the final frame's head was read.
    #[wasm_bindgen(js_name = isDone)]
    pub fn is_done(&self) -> bool {
        self.inner.is_done()
    }

    /// The error value of frame `sequence` whose tag did not verify on the
    /// host (the core's own error for it).
    #[wasm_bindgen(js_name = tagFailed)]
    pub fn tag_failed(sequence: f64) -> JsValue {
        error_value(&host_frames::frame_tag_error(sequence as u64))
    }
}

#[wasm_bindgen]
impl Keyring {
    /// The conversation that finds the data key of the opener's header.
    #[wasm_bindgen(js_name = hostDecryptSession)]
    pub fn host_decrypt_session(&self, opener: &HostOpener) -> JsResult<KmsSession> {
        let header = opener.inner.header();
        let session = self
            .inner
            .decrypt_session(&header.encrypted_data_keys, &header.encryption_context)
            .js()?;
        Ok(KmsSession::new(Conv::Decrypt(session)))
    }
}
