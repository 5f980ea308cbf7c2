//! Property tests for the message layer: round trips through the one-shot and
//! streaming APIs, and rejection of every tampered or truncated message.
//!
//! Materials come from a [`RawAesKeyring`], so every decrypt also exercises
//! `parse_header` and the keyring's unwrap. Case counts are tuned so the whole
//! file runs in well under 20 seconds in a debug build.

use mrkenv::keyring::RawAesKeyring;
use mrkenv::{
    decrypt, encrypt, parse_header, DataKey, DecryptOptions, Decryptor, EncryptOptions,
    EncryptionContext, Encryptor, Error, ErrorKind,
};
use proptest::prelude::*;
use proptest::sample::Index;

const WRAPPING_KEY: [u8; 32] = [0x5a; 32];

fn keyring() -> RawAesKeyring {
    RawAesKeyring::new("prop-ns", "prop-key", &WRAPPING_KEY).unwrap()
}

fn options(frame_length: u32) -> EncryptOptions {
    EncryptOptions {
        frame_length,
        ..EncryptOptions::default()
    }
}

/// Encrypts `plaintext` in one shot; returns the message and its data key.
fn seal(plaintext: &[u8], context: &EncryptionContext, frame_length: u32) -> (Vec<u8>, DataKey) {
    let materials = keyring()
        .encryption_materials(context, &Default::default())
        .unwrap();
    let data_key = materials.data_key.clone();
    let message = encrypt(materials, plaintext, &options(frame_length)).unwrap();
    (message, data_key)
}

/// The full one-shot read path: header, keyring unwrap, decrypt.
fn open(message: &[u8], options: &DecryptOptions) -> Result<Vec<u8>, Error> {
    let header = parse_header(message, &options.limits)?;
    let data_key = keyring().unwrap_data_key(&header)?;
    decrypt(message, &data_key, options)
}

/// Cuts `data` into pieces whose sizes cycle through `sizes` (each >= 1).
fn chunks<'a>(data: &'a [u8], sizes: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut at = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        if at >= data.len() {
            return None;
        }
        let n = sizes[i % sizes.len()].max(1).min(data.len() - at);
        i += 1;
        let piece = &data[at..at + n];
        at += n;
        Some(piece)
    })
}

/// The streaming read path, fed in chunks. Returns the outcome and whatever
/// plaintext the decryptor released, even after an error. `check_prefix`,
/// when given, must be a prefix-extension of every intermediate output.
fn stream_open(
    message: &[u8],
    sizes: &[usize],
    options: &DecryptOptions,
    check_prefix: Option<&[u8]>,
) -> (Result<(), Error>, Vec<u8>) {
    let mut decryptor = Decryptor::new(options.clone());
    let mut out = Vec::new();
    let result = (|| {
        for piece in chunks(message, sizes) {
            decryptor.update(piece, &mut out)?;
            if decryptor.needs_data_key() {
                let header = decryptor.header().expect("header is read").clone();
                let data_key = keyring().unwrap_data_key(&header)?;
                decryptor.set_data_key(&data_key, &mut out)?;
            }
            if let Some(plaintext) = check_prefix {
                assert!(out.len() <= plaintext.len());
                assert_eq!(&out[..], &plaintext[..out.len()]);
            }
        }
        decryptor.finish()
    })();
    (result, out)
}

/// The streaming write path, fed in chunks, with fixed materials and message id.
fn stream_seal(
    plaintext: &[u8],
    sizes: &[usize],
    materials: mrkenv::EncryptionMaterials,
    options: &EncryptOptions,
) -> Vec<u8> {
    let mut encryptor = Encryptor::new(materials, options).unwrap();
    let mut out = Vec::new();
    for piece in chunks(plaintext, sizes) {
        encryptor.update(piece, &mut out).unwrap();
    }
    encryptor.finish(&mut out).unwrap();
    out
}

fn context_strategy() -> impl Strategy<Value = EncryptionContext> {
    proptest::collection::btree_map("[a-zA-Z0-9:_./-]{1,12}", "\\PC{0,16}", 0..5)
}

fn frame_length_strategy() -> impl Strategy<Value = u32> {
    prop_oneof![Just(1024u32), Just(1025), Just(4096), 1024u32..=6000]
}

/// A frame length and a plaintext size at or around the frame boundaries.
fn frame_and_size() -> impl Strategy<Value = (u32, usize)> {
    frame_length_strategy().prop_flat_map(|frame| {
        let f = frame as usize;
        let size = prop_oneof![
            Just(0usize),
            Just(1),
            Just(f - 1),
            Just(f),
            Just(f + 1),
            Just(2 * f),
            Just(3 * f + 7),
            0..4 * f,
        ];
        (Just(frame), size)
    })
}

fn plaintext_of(size: usize, seed: u8) -> Vec<u8> {
    (0..size)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(
        prop_oneof![1usize..=16, 17usize..=2000, 2000usize..=9000],
        1..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// One-shot encrypt then decrypt returns the plaintext, with the context
    /// required in full.
    #[test]
    fn one_shot_round_trip(
        (frame, size) in frame_and_size(),
        seed in any::<u8>(),
        context in context_strategy(),
    ) {
        let plaintext = plaintext_of(size, seed);
        let (message, _) = seal(&plaintext, &context, frame);
        let header = parse_header(&message, &Default::default()).unwrap();
        prop_assert_eq!(header.frame_length, frame);
        prop_assert_eq!(&header.encryption_context, &context);
        let opts = DecryptOptions { required_context: context, ..Default::default() };
        prop_assert_eq!(open(&message, &opts).unwrap(), plaintext);
    }

    /// The streaming encryptor, fed in random chunks, writes exactly the bytes
    /// of the one-shot encrypt (same materials and message id), and the
    /// streaming decryptor, fed in other random chunks, returns the plaintext,
    /// never releasing more than a prefix of it.
    #[test]
    fn streaming_round_trip(
        (frame, size) in frame_and_size(),
        seed in any::<u8>(),
        context in context_strategy(),
        message_id in any::<[u8; 32]>(),
        write_sizes in chunk_sizes(),
        read_sizes in chunk_sizes(),
    ) {
        let plaintext = plaintext_of(size, seed);
        let materials = keyring().encryption_materials(&context, &Default::default()).unwrap();
        let opts = EncryptOptions {
            frame_length: frame,
            message_id: Some(message_id),
            ..Default::default()
        };
        let one_shot = encrypt(materials.clone(), &plaintext, &opts).unwrap();
        let streamed = stream_seal(&plaintext, &write_sizes, materials, &opts);
        prop_assert_eq!(&streamed, &one_shot);

        let dopts = DecryptOptions { required_context: context, ..Default::default() };
        let (result, out) = stream_open(&streamed, &read_sizes, &dopts, Some(&plaintext));
        prop_assert!(result.is_ok(), "{:?}", result);
        prop_assert_eq!(out, plaintext);
    }

}

proptest! {
    // Small messages are cheap: more cases.
    #![proptest_config(ProptestConfig::with_cases(160))]

    /// Any single modified byte of a small message is rejected, by the full
    /// read path and by `decrypt` with the right data key.
    #[test]
    fn any_modified_byte_is_rejected(
        size in 0usize..64,
        seed in any::<u8>(),
        context in context_strategy(),
        position in any::<Index>(),
        delta in 1u8..=255,
    ) {
        let plaintext = plaintext_of(size, seed);
        let (mut message, data_key) = seal(&plaintext, &context, 1024);
        let at = position.index(message.len());
        message[at] ^= delta;
        prop_assert!(
            open(&message, &DecryptOptions::default()).is_err(),
            "byte {} ^ {:#x} accepted", at, delta
        );
        prop_assert!(decrypt(&message, &data_key, &DecryptOptions::default()).is_err());
        let (result, out) = stream_open(&message, &[7, 100], &DecryptOptions::default(), None);
        prop_assert!(result.is_err());
        prop_assert!(out.is_empty(), "a one-frame message released plaintext after tampering");
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A message cut anywhere (one byte short included) is rejected.
    #[test]
    fn any_truncation_is_rejected(
        (frame, size) in frame_and_size(),
        context in context_strategy(),
        cut in any::<Index>(),
        read_sizes in chunk_sizes(),
    ) {
        let plaintext = plaintext_of(size, 3);
        let (message, data_key) = seal(&plaintext, &context, frame);
        let cut = cut.index(message.len());
        let short = &message[..cut];
        prop_assert!(open(short, &DecryptOptions::default()).is_err());
        prop_assert!(decrypt(short, &data_key, &DecryptOptions::default()).is_err());
        let (result, out) =
            stream_open(short, &read_sizes, &DecryptOptions::default(), Some(&plaintext));
        prop_assert!(result.is_err());
        // `stream_open` checked that only a prefix of the plaintext came out.
        prop_assert!(out.len() <= plaintext.len());
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    /// A required context pair that is missing or different fails with
    /// ContextMismatch, before any key is needed; a required subset passes.
    #[test]
    fn wrong_required_context_fails(
        context in context_strategy(),
        extra_key in "[a-z]{1,8}",
        value in "[a-z]{0,8}",
        pick in any::<Index>(),
    ) {
        let (message, data_key) = seal(b"context-bound", &context, 1024);
        // A key that the message lacks.
        let missing_key = format!("missing-{extra_key}");
        let required: EncryptionContext = [(missing_key, value.clone())].into_iter().collect();
        let opts = DecryptOptions { required_context: required, ..Default::default() };
        let err = decrypt(&message, &data_key, &opts).unwrap_err();
        prop_assert_eq!(err.kind(), ErrorKind::ContextMismatch);
        let (result, out) = stream_open(&message, &[13], &opts, None);
        prop_assert_eq!(result.unwrap_err().kind(), ErrorKind::ContextMismatch);
        prop_assert!(out.is_empty());

        if !context.is_empty() {
            // A key that the message has, with another value.
            let (key, found) = context.iter().nth(pick.index(context.len())).unwrap();
            let other = format!("{found}x");
            let required: EncryptionContext = [(key.clone(), other)].into_iter().collect();
            let opts = DecryptOptions { required_context: required, ..Default::default() };
            let err = decrypt(&message, &data_key, &opts).unwrap_err();
            prop_assert_eq!(err.kind(), ErrorKind::ContextMismatch);
            // The same key with its own value passes.
            let required: EncryptionContext = [(key.clone(), found.clone())].into_iter().collect();
            let opts = DecryptOptions { required_context: required, ..Default::default() };
            prop_assert_eq!(decrypt(&message, &data_key, &opts).unwrap(), b"context-bound");
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// After a tampered frame k, the decryptor has released exactly the
    /// plaintext of frames 1..k and nothing more, whatever the chunking.
    #[test]
    fn only_authenticated_frames_are_released(
        frame in prop_oneof![Just(1024u32), Just(1025), 1024u32..=3000],
        full_frames in 1usize..5,
        tail in 0usize..1024,
        victim in any::<Index>(),
        position in any::<Index>(),
        delta in 1u8..=255,
        read_sizes in chunk_sizes(),
    ) {
        let f = frame as usize;
        let plaintext = plaintext_of(full_frames * f + tail, 9);
        let materials = keyring()
            .encryption_materials(&Default::default(), &Default::default())
            .unwrap();
        // Write frame by frame to learn where each frame starts and ends.
        let mut encryptor = Encryptor::new(materials, &options(frame)).unwrap();
        let mut message = Vec::new();
        encryptor.update(&[], &mut message).unwrap();
        let mut bounds = vec![message.len()];
        for piece in plaintext.chunks(f) {
            encryptor.update(piece, &mut message).unwrap();
            if piece.len() == f {
                bounds.push(message.len());
            }
        }
        encryptor.finish(&mut message).unwrap();
        bounds.push(message.len());
        let frames = bounds.len() - 1;
        prop_assert_eq!(frames, plaintext.len() / f + 1);

        // Frame k (1-based) spans bounds[k-1]..bounds[k].
        let k = victim.index(frames) + 1;
        let (start, end) = (bounds[k - 1], bounds[k]);
        let at = start + position.index(end - start);
        message[at] ^= delta;

        let (result, out) =
            stream_open(&message, &read_sizes, &DecryptOptions::default(), Some(&plaintext));
        prop_assert!(result.is_err(), "tampered frame {} accepted", k);
        prop_assert_eq!(out.len(), (k - 1) * f, "frame {} tampered at byte {}", k, at);
        prop_assert_eq!(&out[..], &plaintext[..(k - 1) * f]);
        prop_assert!(open(&message, &DecryptOptions::default()).is_err());
    }
}

/// Every byte position of small messages (one frame, and three frames of
/// 1024), each flipped in three ways, is rejected.
#[test]
fn every_byte_position_is_checked() {
    let mut context = EncryptionContext::new();
    context.insert("tenant".into(), "acme".into());
    context.insert("purpose".into(), "property test".into());
    for size in [0usize, 1, 40, 2 * 1024 + 5] {
        let plaintext = plaintext_of(size, 1);
        let (message, data_key) = seal(&plaintext, &context, 1024);
        for at in 0..message.len() {
            for delta in [0x01u8, 0x80, 0xff] {
                let mut tampered = message.clone();
                tampered[at] ^= delta;
                assert!(
                    decrypt(&tampered, &data_key, &DecryptOptions::default()).is_err(),
                    "size {size}: byte {at} ^ {delta:#x} accepted"
                );
                if size < 1024 {
                    assert!(open(&tampered, &DecryptOptions::default()).is_err());
                }
            }
        }
    }
}

/// Every truncation of a small message, and of a three-frame one, is rejected.
#[test]
fn every_truncation_is_checked() {
    for size in [0usize, 5, 2 * 1024] {
        let plaintext = plaintext_of(size, 2);
        let (message, data_key) = seal(&plaintext, &Default::default(), 1024);
        for cut in 0..message.len() {
            assert!(
                decrypt(&message[..cut], &data_key, &DecryptOptions::default()).is_err(),
                "size {size}: cut at {cut} accepted"
            );
        }
        assert_eq!(
            decrypt(&message, &data_key, &DecryptOptions::default()).unwrap(),
            plaintext
        );
    }
}

/// A data key from another message fails the commitment check; a keyring
/// with another wrapping key finds no decryptable key.
#[test]
fn wrong_keys_fail() {
    let (message, _) = seal(b"abc", &Default::default(), 1024);
    let (_, other_key) = seal(b"abc", &Default::default(), 1024);
    let err = decrypt(&message, &other_key, &DecryptOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    let header = parse_header(&message, &Default::default()).unwrap();
    let stranger = RawAesKeyring::new("prop-ns", "prop-key", &[0x11; 32]).unwrap();
    let err = stranger.unwrap_data_key(&header).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoDecryptableKey);
}
