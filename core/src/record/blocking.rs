//! Records with a blocking KMS client: the two steps of each direction with
//! the session driver between them, for hosts that implement
//! [`Kms`](crate::session::Kms) (Python, C).

use crate::keyring::Keyring;
use crate::session::{driver, Kms, SessionError};

use super::{
    decrypt_plan, encrypt_plan, DecryptPlan, DecryptRecordOptions, EncryptRecordOptions, Item,
};

/// Encrypts `item` under `keyring`: checks the item and options, asks `kms`
/// for the materials for the record's encryption context, then seals.
pub fn encrypt_record<K: Kms>(
    item: Item,
    keyring: &Keyring,
    kms: &mut K,
    options: &EncryptRecordOptions,
) -> Result<Item, SessionError<K::Error>> {
    let plan = encrypt_plan(item, options)?;
    let materials =
        driver::encryption_materials(keyring, kms, plan.encryption_context(), &options.limits)?;
    Ok(plan.seal(materials)?)
}

/// Decrypts `item` under `keyring`: reads and checks the record header, asks
/// `kms` for the data key, then verifies and decrypts. An item without
/// reserved attributes comes back unchanged only when
/// `options.allow_plaintext` is set.
pub fn decrypt_record<K: Kms>(
    item: Item,
    keyring: &Keyring,
    kms: &mut K,
    options: &DecryptRecordOptions,
) -> Result<Item, SessionError<K::Error>> {
    match decrypt_plan(item, options)? {
        DecryptPlan::Plaintext(item) => Ok(item),
        DecryptPlan::Encrypted(record) => {
            let data_key = driver::data_key(
                keyring,
                kms,
                record.encrypted_data_keys(),
                record.encryption_context(),
            )?;
            Ok(record.open(&data_key)?)
        }
    }
}
