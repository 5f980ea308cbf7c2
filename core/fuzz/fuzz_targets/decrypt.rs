//! Fuzzes whole-message decryption with a fixed raw AES keyring and data key.
//!
//! Two kinds of input:
//!
//! - one that starts with `M` is taken as a message as it is (seed the corpus
//!   with real messages): the one-shot `decrypt`, the keyring path and a
//!   chunked `Decryptor` must not panic and must agree;
//! - any other input describes a message to build with the fixed keys (frame
//!   length, context, plaintext) and up to three byte flips and a truncation
//!   to apply to it. An untouched message must decrypt to its plaintext; a
//!   changed one must be rejected, and the `Decryptor` may release only a
//!   prefix of the plaintext, frame by frame.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mrkenv::keyring::RawAesKeyring;
use mrkenv::{
    decrypt, encrypt, parse_header, DataKey, DecryptOptions, Decryptor, EncryptOptions,
    EncryptionContext, Error,
};

const WRAPPING_KEY: [u8; 32] = [0x42; 32];
const DATA_KEY: [u8; 32] = [0x17; 32];
const MESSAGE_ID: [u8; 32] = [0x99; 32];
const WRAP_IV: [u8; 12] = [0x07; 12];
const FRAME_LENGTHS: [u32; 4] = [1024, 1025, 1100, 2048];

fn keyring() -> RawAesKeyring {
    RawAesKeyring::new("fuzz-ns", "fuzz-key", &WRAPPING_KEY).expect("valid keyring")
}

/// Feeds `message` to a `Decryptor` in chunks of 1..=`max_chunk` bytes,
/// setting the fixed data key when asked. Returns the outcome and what was
/// released.
fn stream(message: &[u8], max_chunk: usize, seed: usize) -> (Result<(), Error>, Vec<u8>) {
    let mut decryptor = Decryptor::new(DecryptOptions::default());
    let mut out = Vec::new();
    let mut at = 0;
    let mut i = seed;
    let result = (|| {
        while at < message.len() {
            i = i.wrapping_mul(31).wrapping_add(17);
            let n = (1 + i % max_chunk).min(message.len() - at);
            decryptor.update(&message[at..at + n], &mut out)?;
            at += n;
            if decryptor.needs_data_key() {
                decryptor.set_data_key(&DataKey::new(DATA_KEY), &mut out)?;
            }
        }
        decryptor.finish()
    })();
    (result, out)
}

/// The host's read path: header, keyring unwrap, one-shot decrypt.
fn open(message: &[u8]) -> Result<Vec<u8>, Error> {
    let header = parse_header(message, &Default::default())?;
    let data_key = keyring().unwrap_data_key(&header)?;
    decrypt(message, &data_key, &DecryptOptions::default())
}

fn check_raw(message: &[u8]) {
    let one_shot = decrypt(message, &DataKey::new(DATA_KEY), &DecryptOptions::default());
    let _ = open(message);
    let seed = message.len();
    let (streamed, out) = stream(message, 1 + seed % 700, seed);
    assert_eq!(
        one_shot.is_ok(),
        streamed.is_ok(),
        "decrypt and Decryptor disagree: {one_shot:?} / {streamed:?}"
    );
    let mut in_place = message.to_vec();
    let in_place_result = mrkenv::decrypt_in_place(
        &mut in_place,
        &DataKey::new(DATA_KEY),
        &DecryptOptions::default(),
    );
    assert_eq!(
        one_shot.is_ok(),
        in_place_result.is_ok(),
        "decrypt and decrypt_in_place disagree: {one_shot:?} / {in_place_result:?}"
    );
    if in_place_result.is_err() {
        assert!(
            in_place.is_empty(),
            "decrypt_in_place left bytes after an error"
        );
    }
    if let Ok(plaintext) = one_shot {
        assert_eq!(plaintext, out);
        assert_eq!(plaintext, in_place);
    }
}

/// A message to build with the fixed keys, and the damage to do to it.
struct Plan<'a> {
    frame_length: u32,
    flips: Vec<(usize, u8)>,
    cut: Option<usize>,
    context: EncryptionContext,
    max_chunk: usize,
    plaintext: &'a [u8],
}

/// Reads a [`Plan`] from fuzz input; `None` when the input is too short.
fn plan(data: &[u8]) -> Option<Plan<'_>> {
    let (head, rest) = data.split_at_checked(14)?;
    let frame_length = FRAME_LENGTHS[(head[0] & 3) as usize];
    let flips = (0..(head[1] % 4) as usize)
        .map(|i| {
            let p = &head[2 + 3 * i..5 + 3 * i];
            (u16::from_le_bytes([p[0], p[1]]) as usize, p[2])
        })
        .collect();
    let cut = (head[11] & 1 == 1).then(|| u16::from_le_bytes([head[12], head[13]]) as usize);
    let context_len = (rest.first().copied().unwrap_or(0) % 12) as usize;
    let (context_bytes, plaintext) = rest.split_at(context_len.min(rest.len()));
    let mut context = EncryptionContext::new();
    for (i, piece) in context_bytes.chunks(4).enumerate() {
        context.insert(format!("k{i}"), String::from_utf8_lossy(piece).into_owned());
    }
    Some(Plan {
        frame_length,
        flips,
        cut,
        context,
        max_chunk: 1 + (head[11] as usize >> 1) * 23,
        plaintext,
    })
}

fn check_built(data: &[u8]) {
    let Some(plan) = plan(data) else { return };
    let materials = keyring()
        .encryption_materials_with(
            &plan.context,
            &Default::default(),
            DataKey::new(DATA_KEY),
            WRAP_IV,
        )
        .expect("materials");
    let options = EncryptOptions {
        frame_length: plan.frame_length,
        message_id: Some(MESSAGE_ID),
        ..Default::default()
    };
    let original = encrypt(materials, plan.plaintext, &options).expect("encrypt");
    let mut message = original.clone();
    for &(position, xor) in &plan.flips {
        let at = position % message.len();
        message[at] ^= xor;
    }
    if let Some(cut) = plan.cut {
        message.truncate(cut % message.len());
    }
    let changed = message != original;

    let one_shot = decrypt(
        &message,
        &DataKey::new(DATA_KEY),
        &DecryptOptions::default(),
    );
    let keyring_path = open(&message);
    let (streamed, out) = stream(&message, plan.max_chunk, data.len());
    assert!(
        out.len() <= plan.plaintext.len() && out[..] == plan.plaintext[..out.len()],
        "the Decryptor released bytes that are not a prefix of the plaintext"
    );
    if changed {
        assert!(one_shot.is_err(), "a changed message decrypted");
        assert!(
            keyring_path.is_err(),
            "a changed message decrypted via the keyring"
        );
        assert!(streamed.is_err(), "a changed message streamed to the end");
        let frame = plan.frame_length as usize;
        assert!(
            out.len() % frame == 0 || out.len() == plan.plaintext.len(),
            "the Decryptor released part of a frame"
        );
    } else {
        assert_eq!(one_shot.expect("untouched message"), plan.plaintext);
        assert_eq!(keyring_path.expect("untouched message"), plan.plaintext);
        assert!(streamed.is_ok(), "{streamed:?}");
        assert_eq!(out, plan.plaintext);
    }
}

fuzz_target!(|data: &[u8]| {
    if data.first() == Some(&b'M') {
        check_raw(data);
    } else {
        check_built(data);
    }
});
