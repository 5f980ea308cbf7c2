//! Re-keying a large message costs about what reading its header costs
//! (header only) and about a copy (streaming, whole message).
//!
//! - `rekey-header`: [`rekey_header`] (read the head, unwrap and verify the
//!   data key, wrap it with a second raw AES key, write the new head)
//!   against [`parse_header`] of the same head;
//! - `rekey-large`: the [`Rekeyer`] fed 64 KiB pieces, writing each piece to
//!   a reused 64 KiB buffer (constant memory, as a file or socket copy
//!   would), against copying the same pieces; and [`rekey_message`] against
//!   `to_vec` of the message.
//!
//! The message is 1 GiB at the default 64 KiB frame length (set
//! `MRKENV_BENCH_REKEY_MIB` for another size; the header-only bench reads only
//! the head, whatever the size). Run with `cargo bench -p mrkenv --bench
//! rekey` (or `make bench-core`); it needs about 4 GiB of memory.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use mrkenv::keyring::{Keyring, RawAesKeyring};
use mrkenv::rekey::{rekey_header, rekey_message, RekeyOptions, RekeyPlan, Rekeyer};
use mrkenv::session::driver::NoKms;
use mrkenv::{encrypt, parse_header, EncryptOptions, EncryptionContext};

const PIECE: usize = 64 * 1024;

/// The message size: 1 GiB unless `MRKENV_BENCH_REKEY_MIB` says otherwise.
fn large_len() -> usize {
    let mib = std::env::var("MRKENV_BENCH_REKEY_MIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1024);
    mib * 1024 * 1024
}

fn setup() -> (Vec<u8>, Keyring, RekeyOptions) {
    let old = RawAesKeyring::new("bench", "old", &[0x33; 32]).unwrap();
    let new = RawAesKeyring::new("bench", "new", &[0x34; 32]).unwrap();
    let mut context = EncryptionContext::new();
    context.insert("purpose".into(), "benchmark".into());
    let materials = old
        .encryption_materials(&context, &Default::default())
        .unwrap();
    let plaintext: Vec<u8> = (0..large_len()).map(|i| (i * 7 + 3) as u8).collect();
    let message = encrypt(materials, &plaintext, &EncryptOptions::default()).unwrap();
    let options = RekeyOptions {
        add: Some(new.into()),
        ..Default::default()
    };
    (message, old.into(), options)
}

fn header(c: &mut Criterion) {
    let (message, keyring, options) = setup();
    let mut group = c.benchmark_group(format!("rekey-header-{}MiB", message.len() >> 20));
    let head_len = RekeyPlan::new(&message, &options).unwrap().body_offset();
    let head = &message[..head_len];
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group.bench_function("parse_header", |b| {
        b.iter(|| parse_header(black_box(head), &Default::default()).unwrap())
    });
    group.bench_function("rekey_header", |b| {
        b.iter(|| {
            rekey_header(black_box(head), &keyring, &mut NoKms, &mut NoKms, &options).unwrap()
        })
    });
    group.finish();
}

fn large(c: &mut Criterion) {
    let (message, keyring, options) = setup();
    let mut group = c.benchmark_group(format!("rekey-{}MiB", message.len() >> 20));
    group.throughput(Throughput::Bytes(message.len() as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    let mut out = Vec::with_capacity(2 * PIECE);
    group.bench_function("copy-pieces", |b| {
        b.iter(|| {
            for piece in message.chunks(PIECE) {
                out.clear();
                out.extend_from_slice(black_box(piece));
            }
        })
    });
    group.bench_function("rekeyer-pieces", |b| {
        b.iter(|| {
            let mut rekeyer = Rekeyer::new(options.clone());
            for piece in message.chunks(PIECE) {
                out.clear();
                rekeyer.update(black_box(piece), &mut out).unwrap();
                if rekeyer.needs_data_key() {
                    rekeyer
                        .unlock(&keyring, &mut NoKms, &mut NoKms, &mut out)
                        .unwrap();
                }
            }
            rekeyer.finish().unwrap();
        })
    });
    group.bench_function("to_vec", |b| b.iter(|| black_box(&message).to_vec()));
    group.bench_function("rekey_message", |b| {
        b.iter(|| {
            rekey_message(
                black_box(&message),
                &keyring,
                &mut NoKms,
                &mut NoKms,
                &options,
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, header, large);
criterion_main!(benches);
