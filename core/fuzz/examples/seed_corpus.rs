//! Writes seed inputs for both fuzz targets: real messages (a few frame
//! lengths, contexts and encrypted data keys), all sealed with the fixed keys
//! of the `decrypt` target so that the fuzzer starts past the key commitment.
//!
//! Run from `core/fuzz`: `cargo run --example seed_corpus` (writes
//! `corpus/parse_header/` and `corpus/decrypt/`, which are not committed).

use std::fs;
use std::path::Path;

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
    for dir in ["corpus/parse_header", "corpus/decrypt"] {
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
    println!("wrote {count} messages to corpus/parse_header and corpus/decrypt");
    Ok(())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    fs::write(dir.join(name), bytes)
}
