//! Records per second: encrypting and decrypting one DynamoDB item with a
//! raw AES keyring (no KMS), through the blocking API the Python and C
//! bindings use.
//!
//! The item is `bench/records.py`'s: `employeeId` (the partition key,
//! `SIGN_ONLY`), `name` and `email` (`ENCRYPT_AND_SIGN`) and `startYear`
//! (`SIGN_ONLY`). Each encrypt makes a new message id,
//! data key and wrapping IV; each decrypt unwraps the data key, runs the key
//! schedule and checks the tag. Criterion reports the time per item; items/s
//! is its inverse (the throughput line).
//!
//! Run with `cargo bench -p mrkenv --bench records` (or `make bench-core`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mrkenv::keyring::{Keyring, RawAesKeyring};
use mrkenv::record::{
    self, Action, AttributeValue, DecryptRecordOptions, EncryptRecordOptions, Item, Number,
};
use mrkenv::session::driver::NoKms;

const TABLE: &str = "global-table-example";

fn item() -> Item {
    let mut item = Item::new();
    let mut put = |name: &str, value| item.insert(name.to_string(), value);
    put("employeeId", AttributeValue::S("1234".into()));
    put("name", AttributeValue::S("Andy".into()));
    put("email", AttributeValue::S("andy@example.com".into()));
    put(
        "startYear",
        AttributeValue::N(Number::parse("2019").unwrap()),
    );
    item
}

fn records(c: &mut Criterion) {
    let keyring: Keyring = RawAesKeyring::new("bench", "key", &[0x33; 32])
        .unwrap()
        .into();
    let mut encrypt = EncryptRecordOptions::new(TABLE, "employeeId");
    for (name, action) in [
        ("employeeId", Action::SignOnly),
        ("name", Action::EncryptAndSign),
        ("email", Action::EncryptAndSign),
        ("startYear", Action::SignOnly),
    ] {
        encrypt.actions.insert(name.into(), action);
    }
    let decrypt = DecryptRecordOptions::new(TABLE, "employeeId");
    let plain = item();
    let encrypted = record::encrypt_record(plain.clone(), &keyring, &mut NoKms, &encrypt).unwrap();
    assert_eq!(
        record::decrypt_record(encrypted.clone(), &keyring, &mut NoKms, &decrypt).unwrap(),
        plain
    );

    let mut group = c.benchmark_group("records");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    // The item is moved into each call, so each iteration gets its own copy,
    // made outside the measurement.
    group.bench_function("encrypt", |b| {
        b.iter_batched(
            || plain.clone(),
            |item| black_box(record::encrypt_record(item, &keyring, &mut NoKms, &encrypt).unwrap()),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("decrypt", |b| {
        b.iter_batched(
            || encrypted.clone(),
            |item| black_box(record::decrypt_record(item, &keyring, &mut NoKms, &decrypt).unwrap()),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, records);
criterion_main!(benches);
