//! Fuzzes the streaming `Decryptor` against the one-shot `decrypt` under
//! random chunk splits.
//!
//! Input: a 32-byte data key, 8 bytes that pick the chunk sizes, then the
//! message. The seed script writes the shared vectors in this shape, so the
//! fuzzer starts from real messages with their real data keys. Whatever the
//! split, the `Decryptor` must agree with `decrypt` (same success, same
//! error kind, same plaintext), release only whole frames before an error,
//! and never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mrkenv::error::FormatError;
use mrkenv::{decrypt, DataKey, DecryptOptions, Decryptor, Error};

fuzz_target!(|data: &[u8]| {
    let Some((key, rest)) = data.split_first_chunk::<32>() else {
        return;
    };
    let Some((splits, message)) = rest.split_first_chunk::<8>() else {
        return;
    };
    let data_key = DataKey::new(*key);
    let one_shot = decrypt(message, &data_key, &DecryptOptions::default());

    let mut decryptor = Decryptor::new(DecryptOptions::default());
    let mut out = Vec::new();
    let mut at = 0;
    let mut turn = 0usize;
    let streamed = (|| {
        while at < message.len() {
            // Chunk sizes cycle through the eight split bytes: 0 means one
            // byte, others a small or (with the top bit) a larger chunk.
            let pick = splits[turn % 8] as usize;
            turn += 1;
            let size = if pick & 0x80 != 0 {
                (pick & 0x7f) * 97 + 1
            } else {
                pick + 1
            };
            let n = size.min(message.len() - at);
            decryptor.update(&message[at..at + n], &mut out)?;
            at += n;
            if decryptor.needs_data_key() {
                decryptor.set_data_key(&data_key, &mut out)?;
            }
        }
        decryptor.finish()
    })();

    match (&one_shot, &streamed) {
        (Ok(plaintext), Ok(())) => assert_eq!(plaintext, &out, "different plaintexts"),
        (Err(a), Err(b)) => {
            // A truncated message may be reported as truncated by one reader
            // and malformed by the other only if they disagree on bytes; they
            // must not.
            assert_eq!(a.kind(), b.kind(), "different error kinds: {a} / {b}");
            // Only whole verified frames are released: full ones, plus the
            // (shorter) final frame when the error comes after it (bytes
            // after the final frame).
            let after_final = matches!(a, Error::Format(FormatError::TrailingBytes(_)));
            if let Some(header) = decryptor.header() {
                let frame = header.frame_length as usize;
                assert!(
                    out.len() % frame == 0 || after_final,
                    "part of a frame was released"
                );
            }
        }
        _ => panic!("decrypt and Decryptor disagree: {one_shot:?} / {streamed:?}"),
    }
});
