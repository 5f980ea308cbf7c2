//! Writes seed inputs for every fuzz target into `corpus/<target>/` (not
//! committed):
//!
//! - `parse_header`, `decrypt`: real messages (a few frame lengths, contexts
//!   and encrypted data keys), all sealed with the fixed keys of the
//!   `decrypt` target so that the fuzzer starts past the key commitment, and
//!   every message of the shared vectors (`tests/vectors`);
//! - `stream_chunks`: each shared vector as data key, split bytes, message;
//! - `record_decrypt`: each record vector (`tests/vectors/records`) as its
//!   first line `table partition-key [sort-key]` and its encrypted item;
//! - `arn`: the KMS identifiers found in the vectors, and a few shapes;
//! - `cbor_nesting`: valid contexts and values, and nesting recipes.
//!
//! Run from `core/fuzz`: `cargo run --example seed_corpus` (`make fuzz`
//! does).

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use mrkenv::keyring::RawAesKeyring;
use mrkenv::{encrypt, DataKey, EncryptOptions, EncryptionContext};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The same constants as fuzz_targets/decrypt.rs.
    let keyring = RawAesKeyring::new("fuzz-ns", "fuzz-key", &[0x42; 32])?;
    let other = RawAesKeyring::new("other-ns", "other-key", &[0x43; 32])?;
    let contexts: Vec<EncryptionContext> = vec![
        EncryptionContext::new(),
        [("tenant".to_string(), "acme".to_string())].into(),
        [
            ("a".to_string(), "1".to_string()),
            ("purpose".to_string(), "fuzz seed é".to_string()),
        ]
        .into(),
    ];
    let mut count = 0;
    for dir in TARGETS.iter().map(|t| format!("corpus/{t}")) {
        fs::create_dir_all(dir)?;
    }
    for (c, context) in contexts.iter().enumerate() {
        for frame_length in [1024u32, 1025, 2048] {
            for size in [0usize, 1, 100, 1024, 2100] {
                for two_keys in [false, true] {
                    let mut materials = keyring.encryption_materials_with(
                        context,
                        &Default::default(),
                        DataKey::new([0x17; 32]),
                        [0x07; 12],
                    )?;
                    if two_keys {
                        let edk = other.wrap(&materials.data_key, context, [0x08; 12]);
                        materials.encrypted_data_keys.push(edk);
                    }
                    let options = EncryptOptions {
                        frame_length,
                        message_id: Some([0x99; 32]),
                        ..Default::default()
                    };
                    let plaintext: Vec<u8> = (0..size).map(|i| i as u8).collect();
                    let message = encrypt(materials, &plaintext, &options)?;
                    let name = format!("seed-c{c}-f{frame_length}-s{size}-k{}", 1 + two_keys as u8);
                    write(Path::new("corpus/decrypt"), &name, &message)?;
                    write(Path::new("corpus/parse_header"), &name, &message)?;
                    count += 1;
                }
            }
        }
    }
    println!("wrote {count} built messages to corpus/parse_header and corpus/decrypt");
    let vectors = vector_seeds()?;
    println!("wrote {vectors} seeds from the shared vectors");
    Ok(())
}

const TARGETS: [&str; 6] = [
    "parse_header",
    "decrypt",
    "stream_chunks",
    "arn",
    "record_decrypt",
    "cbor_nesting",
];

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

fn read_json(path: &Path) -> Result<Value, Box<dyn std::error::Error>> {
    Ok(serde_json::from_str(&fs::read_to_string(path)?)?)
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .filter_map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
        .collect()
}

fn json_files(dir: &Path) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    Ok(files)
}

/// Seeds from the shared vectors for every target; returns how many.
fn vector_seeds() -> Result<usize, Box<dyn std::error::Error>> {
    let mut count = 0;
    let mut identifiers = Vec::new();
    for path in json_files(&vectors_dir())? {
        let v = read_json(&path)?;
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let Some(message) = v["ciphertext"].as_str().map(unhex) else {
            continue;
        };
        write(Path::new("corpus/parse_header"), &name, &message)?;
        write(Path::new("corpus/decrypt"), &name, &message)?;
        if let Some(key) = v["data_key"].as_str().map(unhex) {
            for (i, splits) in [[0u8; 8], [0x80, 3, 0x85, 0, 17, 0x90, 1, 64]]
                .iter()
                .enumerate()
            {
                let mut seed = key.clone();
                seed.resize(32, 0);
                seed.extend_from_slice(splits);
                seed.extend_from_slice(&message);
                write(
                    Path::new("corpus/stream_chunks"),
                    &format!("{name}-{i}"),
                    &seed,
                )?;
            }
        }
        collect_identifiers(&v, &mut identifiers);
        count += 1;
    }
    for path in json_files(&vectors_dir().join("records"))? {
        let v = read_json(&path)?;
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let options = if v["decrypt"].is_object() {
            &v["decrypt"]
        } else {
            &v
        };
        let (Some(table), Some(partition), Some(item)) = (
            options["table_name"].as_str(),
            options["partition_key"].as_str(),
            v["encrypted_item"].as_object(),
        ) else {
            continue;
        };
        let mut seed = format!("{table} {partition}");
        if let Some(sort) = options["sort_key"].as_str() {
            seed = format!("{seed} {sort}");
        }
        seed = format!("{seed}\n{}", serde_json::to_string(item)?);
        write(Path::new("corpus/record_decrypt"), &name, seed.as_bytes())?;
        collect_identifiers(&v, &mut identifiers);
        count += 1;
    }
    identifiers.extend(
        [
            "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd",
            "arn:aws-cn:kms:cn-north-1:111122223333:alias/my-key",
            "alias/my-key",
            "mrk-1234abcd",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
        ]
        .map(String::from),
    );
    identifiers.sort();
    identifiers.dedup();
    for (i, pair) in identifiers.windows(2).enumerate() {
        let seed = format!("{}\n{}", pair[0], pair[1]);
        write(Path::new("corpus/arn"), &format!("id-{i}"), seed.as_bytes())?;
        count += 1;
    }
    // CBOR: a context, a list value, a map value, and nesting recipes
    // (selector 0x80: repeat a byte `count * 4` times).
    let cbor_seeds: [&[u8]; 6] = [
        &[0x00, 0xa1, 0x61, b'a', 0x61, b'b'],
        &[0x00, 0x82, 0x82, 0x01, 0x61, b'x', 0x82, 0x05, 0xf5],
        &[0x00, 0xa1, 0x61, b'k', 0x82, 0x01, 0x61, b'v'],
        &[0x80, 0x81, 0x40, 0x00],
        &[0x80, 0xa1, 0x20, 0x00],
        &[0x80, 0x82, 0x40, 0x01, 0x00],
    ];
    for (i, seed) in cbor_seeds.iter().enumerate() {
        write(Path::new("corpus/cbor_nesting"), &format!("seed-{i}"), seed)?;
        count += 1;
    }
    Ok(count)
}

/// Every string in `v` that looks like a KMS identifier.
fn collect_identifiers(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s)
            if s.starts_with("arn:") || s.starts_with("alias/") || s.starts_with("mrk-") =>
        {
            out.push(s.clone())
        }
        Value::Array(items) => items.iter().for_each(|i| collect_identifiers(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_identifiers(i, out)),
        _ => {}
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    fs::write(dir.join(name), bytes)
}
