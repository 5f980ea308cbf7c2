//! Throughput of mrkenv against raw AES-256-GCM, in one run.
//!
//! - `small`: a 1 KiB message, encrypt and decrypt (one-shot API: key
//!   schedule, header, one frame);
//! - `large`: 64 MiB with the default 64 KiB frames, through the one-shot API
//!   (which allocates its output) and through the streaming API fed in 64 KiB
//!   pieces, writing into a reused buffer, and through the slice API
//!   (`encrypt_to_slice` / `decrypt_to_slice`) into a reused buffer, and in
//!   place (`encrypt_in_place` / `decrypt_in_place`);
//! - `raw-aes-gcm`: `Aes256Gcm` encrypting and decrypting the same 64 MiB in
//!   place in one call (the baseline the large numbers are compared with),
//!   and into a fresh `Vec` (`Aead::encrypt` / `decrypt`), which pays the
//!   same allocation and page faults as the one-shot API.
//!
//! Run with `cargo bench -p mrkenv --bench throughput` (or `make bench`).

use std::hint::black_box;
use std::time::Duration;

use aes_gcm::aead::{Aead, AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use mrkenv::keyring::RawAesKeyring;
use mrkenv::{
    decrypt, decrypt_in_place, decrypt_to_slice, encrypt, encrypt_in_place, encrypt_to_slice,
    parse_header, DataKey, DecryptOptions, Decryptor, EncryptOptions, EncryptionContext,
    EncryptionMaterials, Encryptor,
};

const SMALL: usize = 1024;
const LARGE: usize = 64 * 1024 * 1024;

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

fn materials() -> (EncryptionMaterials, DataKey) {
    let keyring = RawAesKeyring::new("bench", "key", &[0x33; 32]).unwrap();
    let mut context = EncryptionContext::new();
    context.insert("purpose".into(), "benchmark".into());
    let materials = keyring
        .encryption_materials(&context, &Default::default())
        .unwrap();
    let data_key = materials.data_key.clone();
    (materials, data_key)
}

fn small(c: &mut Criterion) {
    let (materials, data_key) = materials();
    let input = plaintext(SMALL);
    let options = EncryptOptions::default();
    let message = encrypt(materials.clone(), &input, &options).unwrap();
    let header = parse_header(&message, &Default::default()).unwrap();
    assert_eq!(header.frame_length, mrkenv::DEFAULT_FRAME_LENGTH);

    let mut group = c.benchmark_group("small-1KiB");
    group.throughput(Throughput::Bytes(SMALL as u64));
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group.bench_function("mrkenv-encrypt", |b| {
        b.iter(|| encrypt(materials.clone(), black_box(&input), &options).unwrap())
    });
    group.bench_function("mrkenv-decrypt", |b| {
        b.iter(|| decrypt(black_box(&message), &data_key, &DecryptOptions::default()).unwrap())
    });
    group.finish();
}

fn large(c: &mut Criterion) {
    let (materials, data_key) = materials();
    let input = plaintext(LARGE);
    let options = EncryptOptions::default();
    let message = encrypt(materials.clone(), &input, &options).unwrap();
    assert_eq!(
        decrypt(&message, &data_key, &DecryptOptions::default()).unwrap(),
        input
    );

    let mut group = c.benchmark_group("large-64MiB");
    group.throughput(Throughput::Bytes(LARGE as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));

    // Raw AES-256-GCM on the whole buffer in place: one nonce, one call.
    let cipher = Aes256Gcm::new_from_slice(&[0x44; 32]).unwrap();
    let nonce = Nonce::from([0x01; 12]);
    group.bench_function("raw-aes-gcm-encrypt", |b| {
        let mut buffer = input.clone();
        b.iter(|| {
            cipher
                .encrypt_inout_detached(&nonce, b"", buffer.as_mut_slice().into())
                .unwrap()
        })
    });
    let mut sealed = input.clone();
    let tag = cipher
        .encrypt_inout_detached(&nonce, b"", sealed.as_mut_slice().into())
        .unwrap();
    group.bench_function("raw-aes-gcm-decrypt", |b| {
        b.iter_batched_ref(
            || sealed.clone(),
            |buffer| {
                cipher
                    .decrypt_inout_detached(&nonce, b"", buffer.as_mut_slice().into(), &tag)
                    .unwrap()
            },
            BatchSize::PerIteration,
        )
    });

    // Raw AES-256-GCM returning a fresh Vec (`Aead::encrypt` / `decrypt`):
    // the baseline for the one-shot API, which also allocates its output.
    group.bench_function("raw-aes-gcm-encrypt-to-new-vec", |b| {
        b.iter(|| cipher.encrypt(&nonce, black_box(&input[..])).unwrap())
    });
    let sealed_with_tag = cipher.encrypt(&nonce, &input[..]).unwrap();
    group.bench_function("raw-aes-gcm-decrypt-to-new-vec", |b| {
        b.iter(|| {
            cipher
                .decrypt(&nonce, black_box(&sealed_with_tag[..]))
                .unwrap()
        })
    });

    // The one-shot API: a fresh output buffer for every message.
    group.bench_function("mrkenv-encrypt", |b| {
        b.iter(|| encrypt(materials.clone(), black_box(&input), &options).unwrap())
    });
    group.bench_function("mrkenv-decrypt", |b| {
        b.iter(|| decrypt(black_box(&message), &data_key, &DecryptOptions::default()).unwrap())
    });

    // The slice API into a reused, already-touched buffer: each frame is
    // encrypted (decrypted) straight from the input into the output, the
    // like-for-like comparison with raw AES-GCM in place.
    group.bench_function("mrkenv-encrypt-to-slice", |b| {
        let mut out = vec![0u8; message.len()];
        b.iter(|| {
            encrypt_to_slice(materials.clone(), black_box(&input), &options, &mut out).unwrap()
        })
    });
    group.bench_function("mrkenv-decrypt-to-slice", |b| {
        let mut out = vec![0u8; message.len()];
        b.iter(|| {
            decrypt_to_slice(
                black_box(&message),
                &data_key,
                &DecryptOptions::default(),
                &mut out,
            )
            .unwrap()
        })
    });

    // The in-place API: the plaintext buffer becomes the message (and back),
    // with no second buffer; the copy that refills it is not timed.
    group.bench_function("mrkenv-encrypt-in-place", |b| {
        b.iter_batched_ref(
            || {
                let mut buffer = Vec::with_capacity(message.len());
                buffer.extend_from_slice(&input);
                buffer
            },
            |work| encrypt_in_place(materials.clone(), work, &options).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("mrkenv-decrypt-in-place", |b| {
        b.iter_batched_ref(
            || message.clone(),
            |work| decrypt_in_place(work, &data_key, &DecryptOptions::default()).unwrap(),
            BatchSize::PerIteration,
        )
    });

    // The streaming API as a reader of a stream would use it: input in
    // 64 KiB pieces, output appended to a buffer that is reused (so no page
    // faults from a fresh allocation).
    const PIECE: usize = 64 * 1024;
    group.bench_function("mrkenv-encrypt-stream-64KiB-pieces", |b| {
        let mut out = Vec::with_capacity(message.len());
        b.iter(|| {
            out.clear();
            let mut encryptor = Encryptor::new(materials.clone(), &options).unwrap();
            for piece in black_box(&input).chunks(PIECE) {
                encryptor.update(piece, &mut out).unwrap();
            }
            encryptor.finish(&mut out).unwrap();
            out.len()
        })
    });
    group.bench_function("mrkenv-decrypt-stream-64KiB-pieces", |b| {
        let mut out = Vec::with_capacity(input.len());
        b.iter(|| {
            out.clear();
            let mut decryptor = Decryptor::new(DecryptOptions::default());
            for piece in black_box(&message).chunks(PIECE) {
                decryptor.update(piece, &mut out).unwrap();
                if decryptor.needs_data_key() {
                    decryptor.set_data_key(&data_key, &mut out).unwrap();
                }
            }
            decryptor.finish().unwrap();
            out.len()
        })
    });
    group.finish();
}

criterion_group!(benches, small, large);
criterion_main!(benches);
