//! Fuzzes record decryption from DynamoDB JSON text with a raw AES keyring,
//! the path a binding takes for an item read from a table.
//!
//! Input: a first line `table partition-key [sort-key]`, then the item as
//! DynamoDB JSON. The keyring is the one of the shared record vectors
//! (`mrkenv-vectors` / `raw-aes-key-1`, wrapping key 0x42 * 32), so the
//! seeds (written from `tests/vectors/records`) decrypt. Every step must
//! return an error or a value, never panic; a decrypted item prints as
//! DynamoDB JSON that reads back to the same item.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mrkenv::keyring::RawAesKeyring;
use mrkenv::record::json::{item_from_dynamodb_json, item_to_dynamodb_json};
use mrkenv::record::{decrypt_plan, DecryptPlan, DecryptRecordOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some((first, json)) = text.split_once('\n') else {
        return;
    };
    let mut names = first.split(' ');
    let (Some(table), Some(partition)) = (names.next(), names.next()) else {
        return;
    };
    let mut options = DecryptRecordOptions::new(table, partition);
    options.sort_key = names.next().map(str::to_string);
    options.allow_plaintext = json.len() % 2 == 0;
    let Ok(item) = item_from_dynamodb_json(json) else {
        return;
    };
    let keyring =
        RawAesKeyring::new("mrkenv-vectors", "raw-aes-key-1", &[0x42; 32]).expect("keyring");
    let opened = match decrypt_plan(item, &options) {
        Ok(DecryptPlan::Plaintext(item)) => item,
        Ok(DecryptPlan::Encrypted(record)) => {
            let Ok(data_key) =
                keyring.unwrap(record.encrypted_data_keys(), record.encryption_context())
            else {
                return;
            };
            match record.open(&data_key) {
                Ok(item) => item,
                Err(_) => return,
            }
        }
        Err(_) => return,
    };
    let printed = item_to_dynamodb_json(&opened);
    let again = item_from_dynamodb_json(&printed).expect("a decrypted item reads back");
    assert_eq!(again, opened);
});
