//! Re-keying a record (a DynamoDB item, `docs/FORMAT.md` part 14): only its
//! reserved header attribute and its tag are rewritten; every other
//! attribute stays byte for byte.
//!
//! The same steps as a message's: [`RecordRekeyPlan::new`] reads and checks
//! the record (as decrypt's step (a) does) and chooses the kept keys; the
//! decrypt session finds the data key; [`RecordRekeyPlan::verify`] checks the
//! commitment and the tag; the wrap session adds keys;
//! [`VerifiedRecordRekey::new_item`] writes the new header and tag.

use crate::crypto::DataKey;
use crate::error::{Error, RecordError};
use crate::format::EncryptedDataKey;
use crate::keyring::Keyring;
use crate::limits::Limits;
use crate::record::{self, DecryptRecordOptions, EncryptedRecord, Item, VerifiedRecord};
use crate::session::{DecryptSession, EncryptSession};

use super::plan::{kept_keys, wrap_session};
use super::RekeyOptions;

/// Step 1 of re-keying a record: the record read and checked, the keys to
/// keep chosen.
#[derive(Debug)]
pub struct RecordRekeyPlan {
    record: EncryptedRecord,
    kept: Vec<EncryptedDataKey>,
    add: Option<Keyring>,
    limits: Limits,
}

impl RecordRekeyPlan {
    /// Reads `item` as decrypting does with `record_options` (reserved
    /// attributes, header, table, key schema and required context; a
    /// plaintext item is refused, whatever `allow_plaintext` says), checks
    /// `options.required_context` too, and chooses the encrypted data keys to
    /// keep (`options.remove`, `options.add`, `options.match_replicas`, the
    /// limits of `record_options`). No KMS call has been made.
    pub fn new(
        item: Item,
        record_options: &DecryptRecordOptions,
        options: &RekeyOptions,
    ) -> Result<RecordRekeyPlan, Error> {
        let mut read = record_options.clone();
        read.allow_plaintext = false;
        read.required_context
            .extend(options.required_context.clone());
        let record = match record::decrypt_plan(item, &read) {
            Ok(record::DecryptPlan::Encrypted(record)) => *record,
            Ok(record::DecryptPlan::Plaintext(_))
            | Err(Error::Record(RecordError::NotEncrypted)) => {
                return Err(RecordError::NothingToRekey.into())
            }
            Err(e) => return Err(e),
        };
        let options = RekeyOptions {
            limits: read.limits.clone(),
            ..options.clone()
        };
        let kept = kept_keys(record.encrypted_data_keys(), &options)?;
        Ok(RecordRekeyPlan {
            record,
            kept,
            add: options.add,
            limits: read.limits,
        })
    }

    /// The encrypted data keys that stay, in their order.
    pub fn kept(&self) -> &[EncryptedDataKey] {
        &self.kept
    }

    /// The conversation that finds the data key with `keyring`.
    pub fn decrypt_session(&self, keyring: &Keyring) -> Result<DecryptSession, Error> {
        keyring.decrypt_session(
            self.record.encrypted_data_keys(),
            self.record.encryption_context(),
        )
    }

    /// Step 2: checks the commitment and the record tag with the data key.
    pub fn verify(self, data_key: DataKey) -> Result<VerifiedRecordRekey, Error> {
        let record = self.record.verify(&data_key)?;
        Ok(VerifiedRecordRekey {
            record,
            data_key,
            kept: self.kept,
            add: self.add,
            limits: self.limits,
        })
    }
}

/// Step 2 done: the record is authentic under its data key.
#[derive(Debug)]
pub struct VerifiedRecordRekey {
    record: VerifiedRecord,
    data_key: DataKey,
    kept: Vec<EncryptedDataKey>,
    add: Option<Keyring>,
    limits: Limits,
}

impl VerifiedRecordRekey {
    /// The conversation that wraps the data key with every key of the
    /// options' `add` keyring, under the record's context (done at once
    /// when nothing is added).
    pub fn wrap_session(&self) -> Result<EncryptSession, Error> {
        wrap_session(
            self.add.as_ref(),
            &self.data_key,
            &self.record.header().encryption_context,
            &self.limits,
        )
    }

    /// Step 3: the item with the kept encrypted data keys, then `added`, a
    /// new header attribute and a new tag; every other attribute unchanged.
    pub fn new_item(self, added: Vec<EncryptedDataKey>) -> Result<Item, Error> {
        let mut edks = self.kept;
        edks.extend(added);
        self.record.reseal(edks)
    }
}
