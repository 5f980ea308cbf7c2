//! The re-key for hosts that block: the two sessions driven over the
//! [`Kms`] trait, one client for the keyring that decrypts and one for the
//! keyring that adds (they may be two adapters of the same client).

use crate::keyring::Keyring;
use crate::session::{drive, Kms, SessionError};

use super::plan::RekeyPlan;
use super::record::RecordRekeyPlan;
use super::rekeyer::Rekeyer;
use super::RekeyOptions;
use crate::record::{DecryptRecordOptions, Item};

/// Re-keys a whole message in memory: the new head, then the old body byte
/// for byte. The body's framing is checked (not its frame tags) before any
/// KMS call. `keyring` finds the data key through `kms`; the options' `add`
/// keyring wraps it through `add_kms` (never called when nothing is added
/// or the keyring is raw AES).
pub fn rekey_message<K, A>(
    message: &[u8],
    keyring: &Keyring,
    kms: &mut K,
    add_kms: &mut A,
    options: &RekeyOptions,
) -> Result<Vec<u8>, SessionError<K::Error>>
where
    K: Kms,
    A: Kms<Error = K::Error>,
{
    let plan = RekeyPlan::new(message, options)?;
    let body = &message[plan.body_offset()..];
    plan.check_body(body)?;
    let head = unlock(plan, keyring, kms, add_kms)?;
    let mut out = Vec::with_capacity(head.len() + body.len());
    out.extend_from_slice(&head);
    out.extend_from_slice(body);
    Ok(out)
}

/// Re-keys the head of a message: `head` holds its first bytes, at least up
/// to the end of its header tag (more is ignored). Returns the new head and
/// the offset where the unchanged body starts in the old message: the new
/// message is the new head followed by the old message from that offset.
/// The body is not read, so it is not checked at all.
pub fn rekey_header<K, A>(
    head: &[u8],
    keyring: &Keyring,
    kms: &mut K,
    add_kms: &mut A,
    options: &RekeyOptions,
) -> Result<(Vec<u8>, usize), SessionError<K::Error>>
where
    K: Kms,
    A: Kms<Error = K::Error>,
{
    let plan = RekeyPlan::new(head, options)?;
    let body_offset = plan.body_offset();
    Ok((unlock(plan, keyring, kms, add_kms)?, body_offset))
}

/// Re-keys a record: reads it as decrypting does with `record_options`
/// (table, key schema, required context, limits), finds the data key with
/// `keyring` through `kms`, checks the commitment and the tag, wraps the
/// data key with the options' `add` keyring through `add_kms`, and returns
/// the item with a new header attribute and tag; every other attribute is
/// unchanged.
pub fn rekey_record<K, A>(
    item: Item,
    keyring: &Keyring,
    kms: &mut K,
    add_kms: &mut A,
    record_options: &DecryptRecordOptions,
    options: &RekeyOptions,
) -> Result<Item, SessionError<K::Error>>
where
    K: Kms,
    A: Kms<Error = K::Error>,
{
    let plan = RecordRekeyPlan::new(item, record_options, options)?;
    let data_key = drive(&mut plan.decrypt_session(keyring)?, kms)?;
    let verified = plan.verify(data_key)?;
    let materials = drive(&mut verified.wrap_session()?, add_kms)?;
    Ok(verified.new_item(materials.encrypted_data_keys)?)
}

/// Steps 2 and 3 of a plan: the data key, verified; the added keys; the new head.
fn unlock<K, A>(
    plan: RekeyPlan,
    keyring: &Keyring,
    kms: &mut K,
    add_kms: &mut A,
) -> Result<Vec<u8>, SessionError<K::Error>>
where
    K: Kms,
    A: Kms<Error = K::Error>,
{
    let data_key = drive(&mut plan.decrypt_session(keyring)?, kms)?;
    let verified = plan.verify(data_key)?;
    let materials = drive(&mut verified.wrap_session()?, add_kms)?;
    Ok(verified.new_head(materials.encrypted_data_keys)?)
}

impl Rekeyer {
    /// The blocking middle of a stream re-key: when the old head is read,
    /// finds and verifies the data key with `keyring` through `kms`, wraps it
    /// with the options' `add` keyring through `add_kms`, and writes the new
    /// head (and the bytes that arrived meanwhile) to `out`.
    pub fn unlock<K, A>(
        &mut self,
        keyring: &Keyring,
        kms: &mut K,
        add_kms: &mut A,
        out: &mut Vec<u8>,
    ) -> Result<(), SessionError<K::Error>>
    where
        K: Kms,
        A: Kms<Error = K::Error>,
    {
        let data_key = drive(&mut self.decrypt_session(keyring)?, kms)?;
        self.set_data_key(data_key)?;
        let materials = drive(&mut self.wrap_session()?, add_kms)?;
        self.set_added_keys(materials.encrypted_data_keys, out)?;
        Ok(())
    }
}
