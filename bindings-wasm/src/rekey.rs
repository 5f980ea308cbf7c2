//! Re-keying a message or a record for the npm package (`docs/FORMAT.md`
//! part 15): the core's sans-IO steps (`mrkenv::rekey`), with the two KMS
//! sessions between them made here and stepped by the same JavaScript
//! adapter as every other conversation (`converse` in `js/api.js`):
//!
//! 1. [`MessageRekey::plan`] / [`MessageRekey::plan_adding`]: reads the old
//!    head, checks the options (what is removed, what is left, the limits,
//!    the required context) and, for a whole message, the body's framing,
//!    all before any KMS call; for a record, [`RecordRekey::new`] reads the
//!    item as decrypting does (reserved attributes, table, key schema,
//!    context) and checks the same options;
//! 2. `keyring.rekeyDecryptSession(rekey)` (`recordRekeyDecryptSession`):
//!    finds the data key with the keyring that opens it, exactly as decrypt
//!    does; `verify` checks it against the commitment and the old header tag
//!    (a record's tag over its signed attributes);
//! 3. `wrapSession`: wraps the data key with every key of the `add` keyring
//!    (done at once when nothing is added or the keyring is raw AES);
//!    [`MessageRekey::new_head`] writes the new head,
//!    [`RecordRekey::new_item`] the new header attribute and tag.
//!
//! The data key goes from the decrypt session to the plan inside wasm memory
//! ([`DataKeyBox`]); JavaScript only sees it as the `Plaintext` of a KMS
//! `Encrypt` request, as when it encrypts.

use wasm_bindgen::prelude::*;

use mrkenv::crypto::DataKey;
use mrkenv::record::DecryptRecordOptions;
use mrkenv::rekey::{RecordRekeyPlan, RekeyOptions, RekeyPlan, VerifiedRecordRekey, VerifiedRekey};
use mrkenv::session::EncryptSession;
use mrkenv::Error;

use crate::limits::limits_from;
use crate::record::{item_from_js, item_to_js};
use crate::{
    context_from, invalid_argument, Conv, DataKeyBox, IntoJs, JsResult, Keyring, KmsSession,
    Materials,
};

/// Where a re-key (of a message or a record) stands; each step moves it on
/// once, so a caller cannot skip the verification or reuse a spent re-key.
enum Step<P, V> {
    /// The old header is read; the data key is needed.
    Plan(Box<P>),
    /// The data key verified; the added encrypted data keys are needed.
    Verified(Box<V>),
    /// A step failed or the result was written.
    Spent,
}

impl<P, V> Step<P, V> {
    fn plan(&self) -> JsResult<&P> {
        match self {
            Step::Plan(plan) => Ok(plan),
            _ => Err(invalid_argument("the re-key does not need a data key now")),
        }
    }

    /// Step 2; a key that does not verify spends the re-key.
    fn verify(
        &mut self,
        data_key: &DataKeyBox,
        verify: impl FnOnce(P, DataKey) -> Result<V, Error>,
    ) -> JsResult<()> {
        self.plan()?;
        let Step::Plan(plan) = std::mem::replace(self, Step::Spent) else {
            return Err(spent());
        };
        *self = Step::Verified(Box::new(verify(*plan, data_key.key.clone()).js()?));
        Ok(())
    }

    fn wrap_session(
        &self,
        wrap: impl FnOnce(&V) -> Result<EncryptSession, Error>,
    ) -> JsResult<KmsSession> {
        match self {
            Step::Verified(verified) => Ok(KmsSession::new(Conv::Encrypt(wrap(verified).js()?))),
            Step::Plan(_) => Err(invalid_argument("the data key has not been verified yet")),
            Step::Spent => Err(spent()),
        }
    }

    /// Step 3 takes the verified re-key and spends it.
    fn take_verified(&mut self) -> JsResult<V> {
        match std::mem::replace(self, Step::Spent) {
            Step::Verified(verified) => Ok(*verified),
            _ => Err(invalid_argument("the data key has not been verified yet")),
        }
    }
}

/// A re-key of one message, stepped from JavaScript.
#[wasm_bindgen]
pub struct MessageRekey {
    step: Step<RekeyPlan, VerifiedRekey>,
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
        limits: Option<Vec<u32>>,
    ) -> JsResult<MessageRekey> {
        let options = RekeyOptions {
            add: add.map(|keyring| keyring.inner.clone()),
            remove,
            match_replicas,
            required_context: context_from(required_context)?,
            limits: limits_from(limits)?,
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
        limits: Option<Vec<u32>>,
    ) -> JsResult<MessageRekey> {
        MessageRekey::new(
            head,
            None,
            remove,
            match_replicas,
            required_context,
            whole_message,
            limits,
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
        limits: Option<Vec<u32>>,
    ) -> JsResult<MessageRekey> {
        MessageRekey::new(
            head,
            Some(add),
            remove,
            match_replicas,
            required_context,
            whole_message,
            limits,
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
        self.step.verify(data_key, RekeyPlan::verify)
    }

    /// The conversation that wraps the verified data key with the keys to
    /// add (an encrypt session: its materials hold the added keys).
    #[wasm_bindgen(js_name = wrapSession)]
    pub fn wrap_session(&self) -> JsResult<KmsSession> {
        self.step.wrap_session(VerifiedRekey::wrap_session)
    }

    /// Step 3: the new head (prefix, header, header tag) with the kept
    /// encrypted data keys and those of `added` (the wrap session's
    /// materials). Spends the re-key.
    #[wasm_bindgen(js_name = newHead)]
    pub fn new_head(&mut self, added: &Materials) -> JsResult<Vec<u8>> {
        self.step
            .take_verified()?
            .new_head(added.inner.encrypted_data_keys.clone())
            .js()
    }
}

/// A re-key of one record (a DynamoDB item), stepped from JavaScript: only
/// its header attribute and tag change.
#[wasm_bindgen]
pub struct RecordRekey {
    step: Step<RecordRekeyPlan, VerifiedRecordRekey>,
}

impl RecordRekey {
    #[allow(clippy::too_many_arguments)]
    fn new(
        item: &JsValue,
        table_name: String,
        partition_key: String,
        sort_key: Option<String>,
        add: Option<&Keyring>,
        remove: Vec<String>,
        match_replicas: bool,
        required_context: Vec<String>,
        limits: Option<Vec<u32>>,
    ) -> JsResult<RecordRekey> {
        let limits = limits_from(limits)?;
        let mut record_options = DecryptRecordOptions::new(table_name, partition_key);
        record_options.sort_key = sort_key;
        record_options.required_context = context_from(required_context)?;
        record_options.limits = limits.clone();
        let options = RekeyOptions {
            add: add.map(|keyring| keyring.inner.clone()),
            remove,
            match_replicas,
            limits,
            ..Default::default()
        };
        let item = item_from_js(item, &record_options.limits)?;
        let plan = RecordRekeyPlan::new(item, &record_options, &options).js()?;
        Ok(RecordRekey {
            step: Step::Plan(Box::new(plan)),
        })
    }
}

#[wasm_bindgen]
impl RecordRekey {
    /// Step 1 with nothing to add: reads `item` (AWS SDK v3
    /// `AttributeValue` shapes) as decrypting does for the table and key
    /// schema (a plaintext item is refused), checks `required_context` (a
    /// flat `[key, value, ...]` list) and what is removed and left, all
    /// before any KMS call.
    #[allow(clippy::too_many_arguments)]
    pub fn plan(
        item: &JsValue,
        table_name: String,
        partition_key: String,
        sort_key: Option<String>,
        remove: Vec<String>,
        match_replicas: bool,
        required_context: Vec<String>,
        limits: Option<Vec<u32>>,
    ) -> JsResult<RecordRekey> {
        RecordRekey::new(
            item,
            table_name,
            partition_key,
            sort_key,
            None,
            remove,
            match_replicas,
            required_context,
            limits,
        )
    }

    /// Step 1, adding the keys of `add` (a discovery keyring is refused).
    #[wasm_bindgen(js_name = planAdding)]
    #[allow(clippy::too_many_arguments)]
    pub fn plan_adding(
        add: &Keyring,
        item: &JsValue,
        table_name: String,
        partition_key: String,
        sort_key: Option<String>,
        remove: Vec<String>,
        match_replicas: bool,
        required_context: Vec<String>,
        limits: Option<Vec<u32>>,
    ) -> JsResult<RecordRekey> {
        RecordRekey::new(
            item,
            table_name,
            partition_key,
            sort_key,
            Some(add),
            remove,
            match_replicas,
            required_context,
            limits,
        )
    }

    /// Step 2: checks the data key against the commitment and the record
    /// tag. A key that does not verify spends the re-key.
    pub fn verify(&mut self, data_key: &DataKeyBox) -> JsResult<()> {
        self.step.verify(data_key, RecordRekeyPlan::verify)
    }

    /// The conversation that wraps the verified data key with the keys to
    /// add, under the record's context.
    #[wasm_bindgen(js_name = wrapSession)]
    pub fn wrap_session(&self) -> JsResult<KmsSession> {
        self.step.wrap_session(VerifiedRecordRekey::wrap_session)
    }

    /// Step 3: the item with the kept encrypted data keys and those of
    /// `added`, a new header attribute and tag, every other attribute
    /// unchanged. Spends the re-key.
    #[wasm_bindgen(js_name = newItem)]
    pub fn new_item(&mut self, added: &Materials) -> JsResult<JsValue> {
        let item = self
            .step
            .take_verified()?
            .new_item(added.inner.encrypted_data_keys.clone())
            .js()?;
        item_to_js(&item)
    }
}

#[wasm_bindgen]
impl Keyring {
    /// The conversation that finds the data key of the re-keyed message's
    /// old header, as decrypt does.
    #[wasm_bindgen(js_name = rekeyDecryptSession)]
    pub fn rekey_decrypt_session(&self, rekey: &MessageRekey) -> JsResult<KmsSession> {
        let session = rekey.step.plan()?.decrypt_session(&self.inner).js()?;
        Ok(KmsSession::new(Conv::Decrypt(session)))
    }

    /// The conversation that finds the data key of the re-keyed record, as
    /// decrypting it does.
    #[wasm_bindgen(js_name = recordRekeyDecryptSession)]
    pub fn record_rekey_decrypt_session(&self, rekey: &RecordRekey) -> JsResult<KmsSession> {
        let session = rekey.step.plan()?.decrypt_session(&self.inner).js()?;
        Ok(KmsSession::new(Conv::Decrypt(session)))
    }
}
