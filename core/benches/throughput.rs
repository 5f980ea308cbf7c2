//! Throughput of each message API next to raw AES-256-GCM doing the same
//! kind of work, in one run, at two sizes: 1 KiB (messages/s: key schedule,
//! header, one frame) and 64 MiB (MB/s, the default 64 KiB frames).
//!
//! | mrkenv API | raw `aes-gcm` baseline (same kind of work) |
//! |---|---|
//! | `encrypt` / `decrypt` (one-shot: a new `Vec`) | `Aead::encrypt` / `decrypt` (a new `Vec`) |
//! | `encrypt_to_slice` / `decrypt_to_slice` (a reused buffer) | `*_inout_detached` from the input into a reused buffer |
//! | `encrypt_in_place` / `decrypt_in_place` | `*_inout_detached` in place |
//! | `Encryptor` / `Decryptor` in 64 KiB pieces, appending to a reused `Vec` | `*_inout_detached` into a reused buffer |
//!
//! In-place decryption (both sides) refills its buffer from the message
//! before each call, outside the timing (criterion's batched iteration).
//!
//! Bench ids are `<size>/<api>-<direction>` and `<size>/raw-<kind>-<direction>`;
//! `bench/core_table.py` turns criterion's results into the table of
//! BENCHMARKS.md. Built with `--features parallel`, the 64 MiB group is named
//! `64MiB-parallel` (frames on all cores; the raw baseline stays one call on
//! one core).
//!
//! Run with `cargo bench -p mrkenv --bench throughput` (or `make bench-core`).

use std::hint::black_box;
use std::time::Duration;

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::{Aead, AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion, SamplingMode, Throughput,
};
use mrkenv::keyring::RawAesKeyring;
use mrkenv::{
    decrypt, decrypt_in_place, decrypt_to_slice, encrypt, encrypt_in_place, encrypt_to_slice,
    DataKey, DecryptOptions, Decryptor, EncryptOptions, EncryptionContext, EncryptionMaterials,
    Encryptor,
};

const PIECE: usize = 64 * 1024;

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

/// Batches for in-place decryption: many small inputs per batch, one large.
fn batch(len: usize) -> BatchSize {
    if len <= 64 * 1024 {
        BatchSize::SmallInput
    } else {
        BatchSize::PerIteration
    }
}

fn raw(group: &mut BenchmarkGroup<'_, WallTime>, input: &[u8]) {
    let cipher = Aes256Gcm::new_from_slice(&[0x44; 32]).unwrap();
    let nonce = Nonce::from([0x01; 12]);
    let len = input.len();

    // Into a new Vec (the one-shot APIs' kind of work).
    group.bench_function("raw-new-encrypt", |b| {
        b.iter(|| cipher.encrypt(&nonce, black_box(input)).unwrap())
    });
    let sealed = cipher.encrypt(&nonce, input).unwrap();
    group.bench_function("raw-new-decrypt", |b| {
        b.iter(|| cipher.decrypt(&nonce, black_box(&sealed[..])).unwrap())
    });

    // From the input into a reused buffer (the slice and stream APIs).
    let (ciphertext, tag) = sealed.split_at(len);
    let tag = aes_gcm::Tag::try_from(tag).unwrap();
    group.bench_function("raw-reused-encrypt", |b| {
        let mut out = vec![0u8; len];
        b.iter(|| {
            let buffer = InOutBuf::new(black_box(input), &mut out).unwrap();
            cipher.encrypt_inout_detached(&nonce, b"", buffer).unwrap()
        })
    });
    group.bench_function("raw-reused-decrypt", |b| {
        let mut out = vec![0u8; len];
        b.iter(|| {
            let buffer = InOutBuf::new(black_box(ciphertext), &mut out).unwrap();
            cipher
                .decrypt_inout_detached(&nonce, b"", buffer, &tag)
                .unwrap()
        })
    });

    // In place (the in-place APIs).
    group.bench_function("raw-in-place-encrypt", |b| {
        let mut buffer = input.to_vec();
        b.iter(|| {
            cipher
                .encrypt_inout_detached(&nonce, b"", buffer.as_mut_slice().into())
                .unwrap()
        })
    });
    group.bench_function("raw-in-place-decrypt", |b| {
        b.iter_batched_ref(
            || ciphertext.to_vec(),
            |buffer| {
                cipher
                    .decrypt_inout_detached(&nonce, b"", buffer.as_mut_slice().into(), &tag)
                    .unwrap()
            },
            batch(len),
        )
    });
}

fn apis(group: &mut BenchmarkGroup<'_, WallTime>, input: &[u8]) {
    let (materials, data_key) = materials();
    let options = EncryptOptions::default();
    let decrypt_options = DecryptOptions::default();
    let message = encrypt(materials.clone(), input, &options).unwrap();
    assert_eq!(
        decrypt(&message, &data_key, &decrypt_options).unwrap(),
        input
    );

    // One-shot: a new Vec for every message.
    group.bench_function("one-shot-encrypt", |b| {
        b.iter(|| encrypt(materials.clone(), black_box(input), &options).unwrap())
    });
    group.bench_function("one-shot-decrypt", |b| {
        b.iter(|| decrypt(black_box(&message), &data_key, &decrypt_options).unwrap())
    });

    // Slice: into a reused, already-touched buffer.
    group.bench_function("slice-encrypt", |b| {
        let mut out = vec![0u8; message.len()];
        b.iter(|| {
            encrypt_to_slice(materials.clone(), black_box(input), &options, &mut out).unwrap()
        })
    });
    group.bench_function("slice-decrypt", |b| {
        let mut out = vec![0u8; message.len()];
        b.iter(|| {
            decrypt_to_slice(black_box(&message), &data_key, &decrypt_options, &mut out).unwrap()
        })
    });

    // In place: the buffer becomes the message (and back); the refill is
    // not timed.
    group.bench_function("in-place-encrypt", |b| {
        b.iter_batched_ref(
            || {
                let mut buffer = Vec::with_capacity(message.len());
                buffer.extend_from_slice(input);
                buffer
            },
            |work| encrypt_in_place(materials.clone(), work, &options).unwrap(),
            batch(input.len()),
        )
    });
    group.bench_function("in-place-decrypt", |b| {
        b.iter_batched_ref(
            || message.clone(),
            |work| decrypt_in_place(work, &data_key, &decrypt_options).unwrap(),
            batch(input.len()),
        )
    });

    // Stream: input in 64 KiB pieces, output appended to a reused Vec.
    group.bench_function("stream-encrypt", |b| {
        let mut out = Vec::with_capacity(message.len());
        b.iter(|| {
            out.clear();
            let mut encryptor = Encryptor::new(materials.clone(), &options).unwrap();
            for piece in black_box(input).chunks(PIECE) {
                encryptor.update(piece, &mut out).unwrap();
            }
            encryptor.finish(&mut out).unwrap();
            out.len()
        })
    });
    group.bench_function("stream-decrypt", |b| {
        let mut out = Vec::with_capacity(input.len());
        b.iter(|| {
            out.clear();
            let mut decryptor = Decryptor::new(decrypt_options.clone());
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
}

fn small(c: &mut Criterion) {
    let input = plaintext(1024);
    let mut group = c.benchmark_group("1KiB");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_millis(1500));
    raw(&mut group, &input);
    apis(&mut group, &input);
    group.finish();
}

fn large(c: &mut Criterion) {
    let len = 64 * 1024 * 1024;
    let input = plaintext(len);
    let name = if cfg!(feature = "parallel") {
        "64MiB-parallel"
    } else {
        "64MiB"
    };
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(len as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    raw(&mut group, &input);
    apis(&mut group, &input);
    group.finish();
}

criterion_group!(benches, small, large);
criterion_main!(benches);
