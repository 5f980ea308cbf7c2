//! The frames-on-many-threads paths give the same bytes, the same errors and
//! release the same plaintext as one thread, for every API, on messages of
//! many sizes around the frame boundaries.

use super::tests::with_threads;
use crate::keyring::{EncryptionMaterials, RawAesKeyring};
use crate::{
    decrypt, decrypt_in_place, decrypt_to_slice, encrypt, encrypt_in_place, encrypt_to_slice,
    DataKey, DecryptOptions, Decryptor, EncryptOptions, Encryptor, Error,
};

const FRAME: usize = 1024;
const THREADS: [usize; 3] = [2, 3, 4];

fn setup() -> (EncryptionMaterials, DataKey, EncryptOptions) {
    let keyring = RawAesKeyring::new("ns", "name", &[5; 32]).unwrap();
    let materials = keyring
        .encryption_materials(&Default::default(), &Default::default())
        .unwrap();
    let data_key = materials.data_key.clone();
    let options = EncryptOptions {
        frame_length: FRAME as u32,
        message_id: Some([9; 32]),
        ..Default::default()
    };
    (materials, data_key, options)
}

fn sizes() -> Vec<usize> {
    let mut sizes = vec![0, 1];
    for frames in [1, 2, 3, 5, 8, 17] {
        let edge = frames * FRAME;
        sizes.extend([edge - 1, edge, edge + 1]);
    }
    sizes
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + 7) as u8).collect()
}

/// Every way of writing a message, as bytes.
fn every_encryption(
    materials: &EncryptionMaterials,
    options: &EncryptOptions,
    pt: &[u8],
) -> Vec<Vec<u8>> {
    let one_shot = encrypt(materials.clone(), pt, options).unwrap();
    let mut slice = vec![0u8; one_shot.len() + 7];
    let n = encrypt_to_slice(materials.clone(), pt, options, &mut slice).unwrap();
    slice.truncate(n);
    let mut in_place = pt.to_vec();
    encrypt_in_place(materials.clone(), &mut in_place, options).unwrap();
    let mut streams = Vec::new();
    for piece in [1000, 3 * FRAME + 5, pt.len().max(1)] {
        let mut encryptor = Encryptor::new(materials.clone(), options).unwrap();
        let mut out = Vec::new();
        for chunk in pt.chunks(piece) {
            encryptor.update(chunk, &mut out).unwrap();
        }
        encryptor.finish(&mut out).unwrap();
        streams.push(out);
    }
    let mut all = vec![one_shot, slice, in_place];
    all.extend(streams);
    all
}

/// Every way of reading a message: the result (or error text) and what was
/// released to the caller.
fn every_decryption(message: &[u8], key: &DataKey) -> Vec<(Result<(), String>, Vec<u8>)> {
    let options = DecryptOptions::default();
    let text = |r: Result<(), Error>| r.map_err(|e| e.to_string());
    let mut all = Vec::new();
    let one_shot = decrypt(message, key, &options);
    all.push((
        text(one_shot.as_ref().map(|_| ()).map_err(Clone::clone)),
        one_shot.unwrap_or_default(),
    ));
    let mut out = vec![0u8; message.len()];
    let result = decrypt_to_slice(message, key, &options, &mut out);
    all.push((text(result.map(|_| ())), out));
    let mut buffer = message.to_vec();
    let result = decrypt_in_place(&mut buffer, key, &options);
    all.push((text(result), buffer));
    for piece in [message.len().max(1), 5 * FRAME + 3] {
        let mut decryptor = Decryptor::new(options.clone());
        let mut out = Vec::new();
        let result = (|| {
            for chunk in message.chunks(piece) {
                decryptor.update(chunk, &mut out)?;
                if decryptor.needs_data_key() {
                    decryptor.set_data_key(key, &mut out)?;
                }
            }
            decryptor.finish()
        })();
        all.push((text(result), out));
    }
    all
}

#[test]
fn every_api_writes_the_same_bytes_on_many_threads() {
    let (materials, key, options) = setup();
    for len in sizes() {
        let pt = plaintext(len);
        let one = with_threads(1, || every_encryption(&materials, &options, &pt));
        assert!(
            one.iter().all(|m| *m == one[0]),
            "len {len}: the APIs differ on one thread"
        );
        for threads in THREADS {
            let many = with_threads(threads, || every_encryption(&materials, &options, &pt));
            assert_eq!(many, one, "len {len}, {threads} threads");
        }
        for threads in [1].into_iter().chain(THREADS) {
            let read = with_threads(threads, || every_decryption(&one[0], &key));
            for (i, (result, out)) in read.iter().enumerate() {
                assert_eq!(result, &Ok(()), "len {len}, {threads} threads, reader {i}");
                assert_eq!(
                    &out[..len],
                    &pt[..],
                    "len {len}, {threads} threads, reader {i}"
                );
            }
        }
    }
}

#[test]
fn bad_messages_fail_alike_and_release_only_verified_frames() {
    let (materials, key, options) = setup();
    let pt = plaintext(9 * FRAME + 100);
    let message = encrypt(materials, &pt, &options).unwrap();
    // Frames 1..=9 are full (head 6 bytes: array, sequence, flag, length
    // 0x59 + 2 bytes), the final frame 10 holds 100 bytes (head 5 bytes).
    let full = FRAME + 16 + 6;
    let prelude = message.len() - (9 * full + (100 + 16 + 5));
    let body_of = |n: usize| prelude + (n - 1) * full + 6;
    assert_eq!(message[body_of(4) - 6..body_of(4) - 3], [0x83, 4, 0xf4]);
    let mut two_bad = message.clone();
    two_bad[body_of(3) + 10] ^= 1;
    two_bad[body_of(7) + 10] ^= 1;
    let mut bad_head = message.clone();
    bad_head[body_of(6) - 5] = 0x09; // frame 6's sequence number
    let mut bad_tag_then_head = bad_head.clone();
    bad_tag_then_head[body_of(2)] ^= 0x80;
    let mut trailing = message.clone();
    trailing.extend_from_slice(b"xyz");
    let cases = [
        ("two bad frames", two_bad),
        ("bad head", bad_head),
        ("bad tag before a bad head", bad_tag_then_head),
        ("truncated", message[..body_of(5) + 40].to_vec()),
        ("trailing bytes", trailing),
    ];
    let expected = [
        "frame 3: authentication tag does not verify",
        "frame 6: sequence number is 9",
        "frame 2: authentication tag does not verify",
        "the message ends before the final frame (frame 5",
        "3 trailing byte(s) after the final frame",
    ];
    for ((name, bad), expected) in cases.into_iter().zip(expected) {
        let one = with_threads(1, || every_decryption(&bad, &key));
        for (result, _) in &one {
            let error = result.clone().unwrap_err();
            assert!(error.contains(expected), "{name}: {error}");
        }
        for threads in THREADS {
            let many = with_threads(threads, || every_decryption(&bad, &key));
            assert_eq!(many, one, "{name}, {threads} threads");
        }
    }
    // The streaming reader kept exactly the frames before the bad one.
    let mut two_bad = message.clone();
    two_bad[body_of(3) + 10] ^= 1;
    let read = with_threads(4, || every_decryption(&two_bad, &key));
    assert_eq!(read[3].1, pt[..2 * FRAME]);
    assert!(
        read[1].1.iter().all(|&b| b == 0),
        "decrypt_to_slice zeroes what it wrote"
    );
    assert!(read[2].1.is_empty(), "decrypt_in_place empties the buffer");
}

#[test]
fn a_too_small_output_slice_fails_alike() {
    let (materials, key, options) = setup();
    let message = encrypt(materials, &plaintext(6 * FRAME), &options).unwrap();
    let attempt = || {
        let mut out = vec![0u8; 4 * FRAME + 10];
        let result = decrypt_to_slice(&message, &key, &DecryptOptions::default(), &mut out);
        (result.map_err(|e| e.to_string()), out)
    };
    let one = with_threads(1, attempt);
    assert_eq!(
        one.0,
        Err("invalid argument: output buffer of 4106 bytes is too small for frame 5".into())
    );
    for threads in THREADS {
        assert_eq!(with_threads(threads, attempt), one);
    }
}
