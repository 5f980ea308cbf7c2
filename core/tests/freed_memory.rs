//! No plaintext in freed memory: a global allocator scans every block freed
//! while a decrypt or encrypt path runs for a marker that only the
//! plaintext holds. Growing an output `Vec` past its capacity frees the old
//! block as it is; the core reserves up front or wipes the old block first.
//!
//! One test function only: the allocator is global, and a second test
//! running at the same time would free blocks of its own.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use mrkenv::keyring::Keyring;
use mrkenv::keyring::RawAesKeyring;
use mrkenv::record::json::{item_from_dynamodb_json, item_to_dynamodb_json};
use mrkenv::record::{
    decrypt_record, encrypt_plan, encrypt_record, zeroize_item, Action, AttributeValue,
    DecryptRecordOptions, EncryptRecordOptions, Item,
};
use mrkenv::session::driver::NoKms;
use mrkenv::{
    decrypt, decrypt_in_place, encrypt, DataKey, DecryptOptions, Decryptor, EncryptOptions,
    Encryptor,
};

const MARKER: &[u8; 16] = b"PLAINTEXT-MARKER";

/// Counts freed blocks holding [`MARKER`] while [`SCANNING`] is set.
struct Scanner;

static SCANNING: AtomicBool = AtomicBool::new(false);
static FOUND: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Scanner {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if SCANNING.load(Ordering::SeqCst) && layout.size() >= MARKER.len() {
            // SAFETY: the block is still allocated and `layout.size()` long.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            if block.windows(MARKER.len()).any(|w| w == MARKER) {
                FOUND.fetch_add(1, Ordering::SeqCst);
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }
    // `realloc` is left to the default: alloc, copy, then `dealloc` of the
    // old block, which is scanned.
}

#[global_allocator]
static ALLOCATOR: Scanner = Scanner;

/// Runs `work` with scanning on; returns how many freed blocks held the
/// marker.
fn freed_with_marker(work: impl FnOnce()) -> usize {
    FOUND.store(0, Ordering::SeqCst);
    SCANNING.store(true, Ordering::SeqCst);
    work();
    SCANNING.store(false, Ordering::SeqCst);
    FOUND.load(Ordering::SeqCst)
}

fn keyring() -> RawAesKeyring {
    RawAesKeyring::new("ns", "name", &[1; 32]).unwrap()
}

fn options() -> EncryptOptions {
    EncryptOptions {
        frame_length: 1024,
        ..Default::default()
    }
}

#[test]
fn no_decrypt_or_encrypt_path_leaves_plaintext_in_freed_memory() {
    let plaintext: Vec<u8> = MARKER
        .iter()
        .copied()
        .cycle()
        .take(64 * 1024 + 100)
        .collect();
    let keyring = keyring();
    let materials = keyring
        .encryption_materials(&Default::default(), &Default::default())
        .unwrap();
    let data_key: DataKey = materials.data_key.clone();
    let message = encrypt(materials.clone(), &plaintext, &options()).unwrap();

    // The streaming decryptor, fed in small chunks, into an output vector
    // that starts empty and grows frame by frame.
    let mut out = Vec::new();
    let found = freed_with_marker(|| {
        let mut decryptor = Decryptor::new(DecryptOptions::default());
        for chunk in message.chunks(700) {
            decryptor.update(chunk, &mut out).unwrap();
            if decryptor.needs_data_key() {
                decryptor.set_data_key(&data_key, &mut out).unwrap();
            }
        }
        decryptor.finish().unwrap();
    });
    assert_eq!(out, plaintext);
    assert_eq!(found, 0, "the streaming decryptor freed plaintext unwiped");

    // The whole message first, then the key: the buffered frames are
    // decrypted into an output that already holds plaintext.
    let mut out = plaintext[..5000].to_vec();
    out.shrink_to_fit();
    let found = freed_with_marker(|| {
        let mut decryptor = Decryptor::new(DecryptOptions::default());
        decryptor.update(&message, &mut out).unwrap();
        decryptor.set_data_key(&data_key, &mut out).unwrap();
        decryptor.finish().unwrap();
    });
    assert_eq!(out[5000..], plaintext[..]);
    assert_eq!(found, 0, "set_data_key freed plaintext unwiped");

    // One-shot and in-place decrypt.
    let found = freed_with_marker(|| {
        let opened = decrypt(&message, &data_key, &DecryptOptions::default()).unwrap();
        assert_eq!(opened.len(), plaintext.len());
        std::mem::forget(opened);
        let mut buffer = message.clone();
        decrypt_in_place(&mut buffer, &data_key, &DecryptOptions::default()).unwrap();
        std::mem::forget(buffer);
    });
    assert_eq!(found, 0, "a one-shot decrypt freed plaintext unwiped");

    // The streaming encryptor, fed in chunks that straddle frames: the
    // plaintext it holds back never moves.
    let found = freed_with_marker(|| {
        let mut encryptor = Encryptor::new(materials.clone(), &options()).unwrap();
        let mut sealed = Vec::new();
        for chunk in plaintext.chunks(300) {
            encryptor.update(chunk, &mut sealed).unwrap();
        }
        encryptor.finish(&mut sealed).unwrap();
        let sealed_one_shot = encrypt(materials.clone(), &plaintext, &options()).unwrap();
        assert_eq!(sealed.len(), sealed_one_shot.len());
    });
    assert_eq!(found, 0, "an encrypt path freed plaintext unwiped");

    // DynamoDB JSON both ways: the text written for a decrypted item, and
    // the parsed tree of an item read for encryption.
    let secret = String::from_utf8(plaintext[..5000].to_vec()).unwrap();
    let mut item = Item::new();
    item.insert("s".into(), AttributeValue::S(secret.clone()));
    item.insert(
        "l".into(),
        AttributeValue::L(vec![
            AttributeValue::S(secret.clone()),
            AttributeValue::Ss(vec![secret.clone(), "x".into()]),
        ]),
    );
    let mut text = String::new();
    let found = freed_with_marker(|| text = item_to_dynamodb_json(&item));
    assert!(text.contains(&secret));
    assert_eq!(found, 0, "writing DynamoDB JSON freed plaintext unwiped");
    let mut read = Item::new();
    let found = freed_with_marker(|| read = item_from_dynamodb_json(&text).unwrap());
    assert_eq!(read, item);
    assert_eq!(found, 0, "reading DynamoDB JSON freed plaintext unwiped");

    // Records: encrypting an item (every type that carries bytes, nested),
    // decrypting it, and the decrypted item wiped by its holder.
    let keyring: Keyring = keyring.into();
    let mut options = EncryptRecordOptions::new("table", "pk");
    options.default_action = Some(Action::EncryptAndSign);
    options.actions.insert("pk".into(), Action::SignOnly);
    let mut item = item.clone();
    item.insert("pk".into(), AttributeValue::S("key".into()));
    item.insert("b".into(), AttributeValue::B(secret.clone().into_bytes()));
    item.insert(
        "m".into(),
        AttributeValue::M(
            [(
                "inner".to_string(),
                AttributeValue::Bs(vec![secret.clone().into_bytes()]),
            )]
            .into(),
        ),
    );
    let mut encrypted = Item::new();
    let input = item.clone();
    let found = freed_with_marker(|| {
        encrypted = encrypt_record(input, &keyring, &mut NoKms, &options).unwrap();
    });
    assert_eq!(found, 0, "a record encrypt freed plaintext unwiped");
    let decrypt_options = DecryptRecordOptions::new("table", "pk");
    let mut opened = Item::new();
    let input = encrypted.clone();
    let found = freed_with_marker(|| {
        opened = decrypt_record(input, &keyring, &mut NoKms, &decrypt_options).unwrap();
    });
    assert_eq!(opened, item);
    assert_eq!(found, 0, "a record decrypt freed plaintext unwiped");
    let found = freed_with_marker(|| {
        zeroize_item(&mut opened);
        drop(opened);
    });
    assert_eq!(found, 0, "a wiped decrypted item freed plaintext");
    // A plan dropped without being sealed (as when the KMS call between
    // plan and seal fails), and a plan refused, wipe the item they took.
    let input = item.clone();
    let found = freed_with_marker(|| drop(encrypt_plan(input, &options).unwrap()));
    assert_eq!(found, 0, "an unsealed plan freed plaintext unwiped");
    let mut no_default = options.clone();
    no_default.default_action = None;
    let input = item.clone();
    let found = freed_with_marker(|| assert!(encrypt_plan(input, &no_default).is_err()));
    assert_eq!(found, 0, "a refused plan freed plaintext unwiped");
    // The control: an item dropped without wiping is seen by the scanner.
    let found = freed_with_marker(|| drop(item));
    assert!(found > 0, "the scanner saw no plaintext in an unwiped item");
}
