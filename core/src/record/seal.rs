//! Encrypting a record, in two steps around the host's KMS call:
//! [`encrypt_plan`] (check everything, compute the encryption context) and
//! [`EncryptPlan::seal`] (with the materials, produce the encrypted item).

use std::collections::BTreeMap;
use std::fmt;

use crate::context::{check_context_limits, EncryptionContext};
use crate::crypto::{fill_random, DataKey, Suite, MESSAGE_ID_LEN, TAG_LEN};
use crate::error::{Error, LimitError, RecordError};
use crate::format::cbor::{
    cbor_ordered_from_bytewise, head_len, string_len, write_head, write_text, MAJOR_ARRAY,
    MAJOR_BYTES, MAJOR_MAP,
};
use crate::format::EncryptedDataKey;
use crate::keyring::EncryptionMaterials;
use crate::limits::Limits;
use zeroize::Zeroize;

use super::action::Action;
use super::header::RecordHeader;
use super::keys::RecordKeys;
use super::options::{check_attribute_name, check_key_action, context_text, key_roles};
use super::value::{sorted_entries, zeroize_item, AttributeValue, Item};
use super::{
    EncryptRecordOptions, CONTEXT_ATTRIBUTE_PREFIX, CONTEXT_PARTITION_KEY, CONTEXT_SORT_KEY,
    CONTEXT_TABLE, HEADER_ATTRIBUTE, TAG_ATTRIBUTE,
};

/// A checked item, ready to be sealed once the host has materials for
/// [`encryption_context`](Self::encryption_context).
pub struct EncryptPlan {
    item: Item,
    actions: BTreeMap<String, Action>,
    context: EncryptionContext,
    limits: Limits,
    message_id: Option<[u8; MESSAGE_ID_LEN]>,
    suite: Suite,
}

impl fmt::Debug for EncryptPlan {
    /// Shows attribute names and actions, never values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptPlan")
            .field("actions", &self.actions)
            .field("encryption_context", &self.context)
            .finish_non_exhaustive()
    }
}

impl Drop for EncryptPlan {
    /// A plan dropped without being sealed (an error, a failed KMS call
    /// between plan and seal) wipes the plaintext item it holds.
    fn drop(&mut self) {
        zeroize_item(&mut self.item);
    }
}

/// Fails unless the item's attribute count and nesting depth are within `limits`.
pub(crate) fn check_item_limits(item: &Item, limits: &Limits) -> Result<(), Error> {
    Limits::check(
        "record attributes",
        limits.max_record_attributes,
        item.len(),
    )?;
    for value in item.values() {
        let depth = value.depth(limits.max_record_depth);
        if depth > limits.max_record_depth {
            return Err(LimitError {
                what: "record nesting depth",
                limit: limits.max_record_depth as u64,
                found: depth as u64,
            }
            .into());
        }
    }
    Ok(())
}

/// Step (a) of encrypting: checks the configuration and the item, resolves
/// every attribute's action and computes the encryption context. Nothing
/// here needs a key, so bad input never reaches KMS.
///
/// Errors (all before any work with keys): a bad configuration, a reserved
/// or empty attribute name, an attribute without an action, a key attribute
/// that is missing, not `S`/`N`/`B`, or `ENCRYPT_AND_SIGN`/`DO_NOTHING`, an
/// empty or duplicate set, a limit exceeded.
pub fn encrypt_plan(item: Item, options: &EncryptRecordOptions) -> Result<EncryptPlan, Error> {
    // The item is in the plan from the start, so that an error wipes it.
    let mut plan = EncryptPlan {
        item,
        actions: BTreeMap::new(),
        context: EncryptionContext::new(),
        limits: options.limits.clone(),
        message_id: options.message_id,
        suite: options.suite,
    };
    let (actions, context) = actions_and_context(&plan.item, options)?;
    plan.actions = actions;
    plan.context = context;
    Ok(plan)
}

/// The checks of [`encrypt_plan`], in its order, and what it plans: every
/// attribute's action and the encryption context.
fn actions_and_context(
    item: &Item,
    options: &EncryptRecordOptions,
) -> Result<(BTreeMap<String, Action>, EncryptionContext), Error> {
    options.check()?;
    check_item_limits(item, &options.limits)?;
    let mut actions = BTreeMap::new();
    for (name, value) in item {
        check_attribute_name(name)?;
        value
            .check()
            .map_err(|(path, problem)| RecordError::InvalidValue {
                attribute: name.clone(),
                path,
                problem,
            })?;
        actions.insert(name.clone(), options.action_of(name)?);
    }
    let mut context = options.encryption_context.clone();
    context.insert(CONTEXT_TABLE.into(), options.table_name.clone());
    context.insert(CONTEXT_PARTITION_KEY.into(), options.partition_key.clone());
    if let Some(sort_key) = &options.sort_key {
        context.insert(CONTEXT_SORT_KEY.into(), sort_key.clone());
    }
    for (role, key) in key_roles(&options.partition_key, options.sort_key.as_deref()) {
        let Some(value) = item.get(key) else {
            return Err(RecordError::MissingKey {
                role,
                attribute: key.to_string(),
            }
            .into());
        };
        check_key_action(role, key, actions[key])?;
        let why = if role == "partition key" {
            "the partition key"
        } else {
            "the sort key"
        };
        insert_context_value(&mut context, key, value, why)?;
    }
    for (name, action) in &actions {
        if *action == Action::SignAndIncludeInEncryptionContext {
            insert_context_value(
                &mut context,
                name,
                &item[name],
                "SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT",
            )?;
        }
    }
    check_context_limits(&context, &options.limits)?;
    Ok((actions, context))
}

fn insert_context_value(
    context: &mut EncryptionContext,
    name: &str,
    value: &AttributeValue,
    why: &'static str,
) -> Result<(), Error> {
    let text = context_text(value).ok_or_else(|| RecordError::ContextValueType {
        attribute: name.to_string(),
        why,
        found: value.type_name(),
    })?;
    // Not `format!`: its machinery costs more than the copy.
    let mut key = String::with_capacity(CONTEXT_ATTRIBUTE_PREFIX.len() + name.len());
    key.push_str(CONTEXT_ATTRIBUTE_PREFIX);
    key.push_str(name);
    context.insert(key, text);
    Ok(())
}

/// The exact bytes the record tag authenticates: the deterministic CBOR
/// array `[header bytes (bstr), {name: value encoding}]`, the map holding
/// every attribute of `signed` as it is stored in `item` (an encrypted
/// attribute as its `B` value), in deterministic key order.
pub fn tag_input(
    header_bytes: &[u8],
    item: &Item,
    signed: &BTreeMap<String, Action>,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    append_signed_map(&mut out, item, signed, |out, map_len| {
        // One allocation, of the exact size.
        out.reserve_exact(tag_input_start_len(header_bytes.len()) + header_bytes.len() + map_len);
        write_tag_input_start(out, header_bytes.len());
        out.extend_from_slice(header_bytes);
    })?;
    Ok(out)
}

/// The length of the tag input's start (the array head and the header's
/// byte string head) before a header of `header_len` bytes.
pub(crate) fn tag_input_start_len(header_len: usize) -> usize {
    1 + head_len(header_len as u64)
}

/// Writes the tag input's start before a header of `header_len` bytes: the
/// header itself comes next, then [`append_signed_map`].
pub(crate) fn write_tag_input_start(out: &mut Vec<u8>, header_len: usize) {
    write_head(out, MAJOR_ARRAY, 2);
    write_head(out, MAJOR_BYTES, header_len as u64);
}

/// An upper bound of the length of the tag input's map for any signed
/// attributes of `item` (the map of all of them), to size a buffer before
/// the signed attributes are known.
pub(crate) fn signed_map_len_bound(item: &Item) -> usize {
    head_len(item.len() as u64)
        + item
            .iter()
            .map(|(name, value)| string_len(name.len()) + value.encoded_len())
            .sum::<usize>()
}

/// Appends the tag input's map (every attribute of `signed` with its value
/// in `item`, in CBOR order) to `out`, after `before(out, map length)`
/// (which may write the start of the tag input and reserve room); fails
/// without calling `before` when a signed attribute is missing, naming the
/// first one missing in CBOR order.
pub(crate) fn append_signed_map(
    out: &mut Vec<u8>,
    item: &Item,
    signed: &BTreeMap<String, Action>,
    before: impl FnOnce(&mut Vec<u8>, usize),
) -> Result<(), Error> {
    // Each signed attribute with its value, found by walking the item
    // alongside (both maps hold their names in bytewise order), then put in
    // CBOR order (without allocating for a small record).
    let mut len = head_len(signed.len() as u64);
    let mut complete = true;
    let mut values = item.iter();
    let found = signed.keys().map_while(|name| {
        let entry = values.find(|(key, _)| *key == name);
        match entry {
            Some((_, value)) => len += string_len(name.len()) + value.encoded_len(),
            None => complete = false,
        }
        entry
    });
    let entries = cbor_ordered_from_bytewise(found);
    if !complete {
        // The error names the first one missing in CBOR order.
        let missing = sorted_entries(signed)
            .map(|(name, _)| name)
            .find(|name| !item.contains_key(*name))
            .expect("a signed attribute is missing");
        return Err(RecordError::MissingSignedAttribute(missing.clone()).into());
    }
    before(out, len);
    out.reserve_exact(len);
    write_head(out, MAJOR_MAP, signed.len() as u64);
    for (name, value) in entries {
        write_text(out, name);
        value.encode_into(out);
    }
    Ok(())
}

impl EncryptPlan {
    /// The encryption context the host must obtain materials for: the
    /// caller's context, the table name, the key names, and the values of the
    /// key and `SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT` attributes.
    pub fn encryption_context(&self) -> &EncryptionContext {
        &self.context
    }

    /// Whether the message id is already chosen (by the options).
    pub(crate) fn has_message_id(&self) -> bool {
        self.message_id.is_some()
    }

    /// Chooses the message id (instead of a fresh random one at sealing).
    pub(crate) fn set_message_id(&mut self, message_id: [u8; MESSAGE_ID_LEN]) {
        self.message_id = Some(message_id);
    }

    /// The resolved action of every attribute of the item.
    pub fn actions(&self) -> &BTreeMap<String, Action> {
        &self.actions
    }

    /// Step (b) of encrypting: with materials obtained for
    /// [`encryption_context`](Self::encryption_context), encrypts every
    /// `ENCRYPT_AND_SIGN` attribute, writes the header and the tag, and
    /// returns the item to store.
    pub fn seal(self, materials: EncryptionMaterials) -> Result<Item, Error> {
        if materials.encryption_context != self.context {
            return Err(RecordError::MaterialsContext.into());
        }
        self.seal_with(&materials.data_key, materials.encrypted_data_keys)
    }

    /// [`seal`](Self::seal) with materials known to be made for
    /// [`encryption_context`](Self::encryption_context) (the raw AES path of
    /// [`encrypt_record`](super::encrypt_record), which wraps the data key
    /// under this very context): the same checks after the context's.
    pub(crate) fn seal_with(
        mut self,
        data_key: &DataKey,
        encrypted_data_keys: Vec<EncryptedDataKey>,
    ) -> Result<Item, Error> {
        if encrypted_data_keys.is_empty() {
            return Err(Error::invalid_argument(
                "the encryption materials hold no encrypted data key",
            ));
        }
        self.limits
            .check_encrypted_data_keys(encrypted_data_keys.len())?;
        let message_id = match self.message_id {
            Some(id) => id,
            None => {
                let mut id = [0u8; MESSAGE_ID_LEN];
                fill_random(&mut id)?;
                id
            }
        };
        let suite = self.suite;
        let keys = RecordKeys::derive(suite, data_key, &message_id);
        // Taken out: what `Drop` would wipe is from here on this function's.
        let mut item = std::mem::take(&mut self.item);
        let mut index = 0u64;
        for (name, action) in sorted_entries(&self.actions) {
            if *action != Action::EncryptAndSign {
                continue;
            }
            index += 1;
            let value = item.get_mut(name).expect("every action has its attribute");
            let type_code = value.type_code();
            // type code || content encrypted in place || tag, in a buffer of
            // its final size (no copy of the plaintext is left behind).
            let mut stored = Vec::with_capacity(1 + value.content_len() + TAG_LEN);
            stored.push(type_code);
            value.encode_content_into(&mut stored);
            let tag = keys.seal_attribute(index, name, type_code, &mut stored[1..]);
            stored.extend_from_slice(&tag);
            // The plaintext value is wiped before it is freed.
            std::mem::replace(value, AttributeValue::B(stored)).zeroize();
        }
        // In place: collecting into a new map would sort again.
        let mut signed = std::mem::take(&mut self.actions);
        signed.retain(|_, action| action.is_signed());
        let header = RecordHeader {
            suite,
            message_id,
            encryption_context: std::mem::take(&mut self.context),
            encrypted_data_keys,
            signed_attributes: signed,
            commitment: *keys.commitment(),
        };
        let header_len = header.encoded_len();
        Limits::check(
            "record header bytes",
            self.limits.max_header_bytes,
            header_len,
        )?;
        // The header is encoded once, inside the tag input (one buffer of
        // the exact size); once the tag is made, that buffer becomes the
        // header attribute (the header moved to its front).
        let start = tag_input_start_len(header_len);
        let mut buffer = Vec::new();
        append_signed_map(
            &mut buffer,
            &item,
            &header.signed_attributes,
            |out, map_len| {
                out.reserve_exact(start + header_len + map_len);
                write_tag_input_start(out, header_len);
                header.write_into(out);
                debug_assert_eq!(out.len(), start + header_len, "the header's length");
            },
        )?;
        let tag = keys.tag(&buffer);
        buffer.truncate(start + header_len);
        buffer.drain(..start);
        let header_bytes = buffer;
        item.insert(HEADER_ATTRIBUTE.into(), AttributeValue::B(header_bytes));
        item.insert(TAG_ATTRIBUTE.into(), AttributeValue::B(tag.to_vec()));
        Ok(item)
    }
}
