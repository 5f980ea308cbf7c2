//! Re-keying a message for the npm package (`docs/FORMAT.md` part 15): the
//! core's sans-IO steps (`mrkenv::rekey`), with the two KMS sessions between
//! them made here and stepped by the same JavaScript adapter as every other
//! conversation (`converse` in `js/api.js`):
//!
//! 1. [`MessageRekey::plan`] / [`MessageRekey::plan_adding`]: reads the old
//!    head, checks the options (what is removed, what is left, the limits,
//!    the required context) and, for a whole message, the body's framing,
//!    all before any KMS call;
//! 2. `keyring.rekeyDecryptSession(rekey)`: finds the data key with the
//!    keyring that opens the message, exactly as decrypt does;
//!    [`MessageRekey::verify`] checks it against the commitment and the old
//!    header tag;
//! 3. [`MessageRekey::wrap_session`]: wraps the data key with every key of
//!    the `add` keyring (done at once when nothing is added or the keyring is
//!    raw AES); [`MessageRekey::new_head`] writes the new head.
//!
//! The data key goes from the decrypt session to the plan inside wasm memory
//! ([`DataKeyBox`]); JavaScript only sees it as the `Plaintext` of a KMS
//! `Encrypt` request, as when it encrypts.

use wasm_bindgen::prelude::*;

use mrkenv::rekey::{RekeyOptions, RekeyPlan, VerifiedRekey};

use crate::{
    context_from, invalid_argument, Conv, DataKeyBox, IntoJs, JsResult, Keyring, KmsSession,
    Materials,
};

enum Step {
    /// The old head is read; the data key is needed.
    Plan(Box<RekeyPlan>),
    /// The data key verified; the added encrypted data keys are needed.
    Verified(Box<VerifiedRekey>),
    /// A step failed or the new head was written.
    Spent,
}

/// A re-key of one message, stepped from JavaScript.
#[wasm_bindgen]
pub struct MessageRekey {
    step: Step,
    body_offset: usize,
}

fn spent() -> JsValue {
    invalid_argument("the re-key already failed or finished; start again")
}

impl MessageRekey {
    fn new(
        head: &[u8],
        add: Option<&Keyring>,
        remove: Vec<String>,
        match_replicas: bool,
        required_context: Vec<String>,
        whole_message: bool,
    ) -> JsResult<MessageRekey> {
        let options = RekeyOptions {
            add: add.map(|keyring| keyring.inner.clone()),
            remove,
            match_replicas,
            required_context: context_from(required_context)?,
            ..Default::default()
        };
        let plan = RekeyPlan::new(head, &options).js()?;
        let body_offset = plan.body_offset();
        if whole_message {
            plan.check_body(&head[body_offset..]).js()?;
        }
        Ok(MessageRekey {
            step: Step::Plan(Box::new(plan)),
            body_offset,
        })
    }
}

#[wasm_bindgen]
impl MessageRekey {
    /// Step 1 with nothing to add. `head` is the whole message when
    /// `whole_message` (its body's framing is checked too), else its first
    /// bytes, at least up to the end of the header tag (more is ignored).
    pub fn plan(
        head: &[u8],
        remove: Vec<String>,
        match_replicas: bool,
        required_context: Vec<String>,
        whole_message: bool,
    ) -> JsResult<MessageRekey> {
        MessageRekey::new(
            head,
            None,
            remove,
            match_replicas,
            required_context,
            whole_message,
        )
    }

    /// Step 1, adding the keys of `add` (a discovery keyring is refused).
    #[wasm_bindgen(js_name = planAdding)]
    pub fn plan_adding(
        add: &Keyring,
        head: &[u8],
        remove: Vec<String>,
        match_replicas: bool,
        required_context: Vec<String>,
        whole_message: bool,
    ) -> JsResult<MessageRekey> {
        MessageRekey::new(
            head,
            Some(add),
            remove,
            match_replicas,
            required_context,
            whole_message,
        )
    }

    /// Where the body starts in the old message.
    #[wasm_bindgen(js_name = bodyOffset)]
    pub fn body_offset(&self) -> usize {
        self.body_offset
    }

    /// Step 2: checks the data key against the commitment and the old header
    /// tag. A key that does not verify spends the re-key.
    pub fn verify(&mut self, data_key: &DataKeyBox) -> JsResult<()> {
        let Step::Plan(_) = self.step else {
            return Err(invalid_argument("the re-key does not need a data key now"));
        };
        let Step::Plan(plan) = std::mem::replace(&mut self.step, Step::Spent) else {
            return Err(spent());
        };
        self.step = Step::Verified(Box::new(plan.verify(data_key.key.clone()).js()?));
        Ok(())
    }

    /// The conversation that wraps the verified data key with the keys to
    /// add (an encrypt session: its materials hold the added keys).
    #[wasm_bindgen(js_name = wrapSession)]
    pub fn wrap_session(&self) -> JsResult<KmsSession> {
        match &self.step {
            Step::Verified(verified) => Ok(KmsSession::new(Conv::Encrypt(
                verified.wrap_session().js()?,
            ))),
            Step::Plan(_) => Err(invalid_argument("the data key has not been verified yet")),
            Step::Spent => Err(spent()),
        }
    }

    /// Step 3: the new head (prefix, header, header tag) with the kept
    /// encrypted data keys and those of `added` (the wrap session's
    /// materials). Spends the re-key.
    #[wasm_bindgen(js_name = newHead)]
    pub fn new_head(&mut self, added: &Materials) -> JsResult<Vec<u8>> {
        let Step::Verified(verified) = std::mem::replace(&mut self.step, Step::Spent) else {
            return Err(invalid_argument("the data key has not been verified yet"));
        };
        verified
            .new_head(added.inner.encrypted_data_keys.clone())
            .js()
    }
}

#[wasm_bindgen]
impl Keyring {
    /// The conversation that finds the data key of the re-keyed message's
    /// old header, as decrypt does.
    #[wasm_bindgen(js_name = rekeyDecryptSession)]
    pub fn rekey_decrypt_session(&self, rekey: &MessageRekey) -> JsResult<KmsSession> {
        let Step::Plan(plan) = &rekey.step else {
            return Err(invalid_argument("the re-key does not need a data key now"));
        };
        Ok(KmsSession::new(Conv::Decrypt(
            plan.decrypt_session(&self.inner).js()?,
        )))
    }
}
