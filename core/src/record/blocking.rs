//! Records with a blocking KMS client: the two steps of each direction with
//! the session driver between them, for hosts that implement
//! [`Kms`](crate::session::Kms) (Python, C).

use zeroize::Zeroizing;

use crate::crypto::{fill_random, DataKey, IV_LEN, KEY_LEN, MESSAGE_ID_LEN};
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
    let mut plan = encrypt_plan(item, options)?;
    match keyring {
        // A raw AES keyring's session is one local call: made here with the
        // message id, the data key and the wrapping IV from one call to the
        // generator. The data key is wrapped under the plan's own context
        // (whose limits `encrypt_plan` checked), so the materials need no
        // copy of the context, nor the check that it is the plan's.
        Keyring::RawAes(raw) if !plan.has_message_id() => {
            let mut random = Zeroizing::new([0u8; MESSAGE_ID_LEN + KEY_LEN + IV_LEN]);
            fill_random(random.as_mut())?;
            let (message_id, rest) = random.split_at(MESSAGE_ID_LEN);
            let (data_key, iv) = rest.split_at(KEY_LEN);
            plan.set_message_id(message_id.try_into().expect("MESSAGE_ID_LEN bytes"));
            let data_key = DataKey::from_slice(data_key)?;
            let iv = iv.try_into().expect("IV_LEN bytes");
            let edk = raw.wrap(&data_key, plan.encryption_context(), iv);
            Ok(plan.seal_with(&data_key, vec![edk])?)
        }
        _ => {
            let materials = driver::encryption_materials(
                keyring,
                kms,
                plan.encryption_context(),
                &options.limits,
            )?;
            Ok(plan.seal(materials)?)
        }
    }
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
