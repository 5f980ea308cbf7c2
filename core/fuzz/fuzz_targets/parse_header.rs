//! Fuzzes the header reader on arbitrary bytes: `parse_header`, `inspect`
//! (and its JSON form) and the streaming `Decryptor` up to the data key.
//!
//! Besides "never panics", it checks that the readers agree with each other,
//! that a header that parses re-encodes to exactly the bytes it came from
//! (the decoder accepts only the deterministic encoding), and that tighter
//! limits never accept what the default limits reject.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mrkenv::format::cbor::{write_head, MAJOR_BYTES};
use mrkenv::format::PREFIX;
use mrkenv::{inspect, parse_header, DecryptOptions, Decryptor, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let parsed = parse_header(data, &limits);

    let summary = inspect(data);
    assert_eq!(
        parsed.is_ok(),
        summary.is_ok(),
        "parse_header and inspect disagree"
    );
    if let Ok(summary) = &summary {
        let json = serde_json::to_string(summary).expect("a summary serializes");
        assert!(json.starts_with('{'));
    }

    if let Ok(header) = &parsed {
        let encoded = header.encode();
        let mut expected = PREFIX.to_vec();
        write_head(&mut expected, MAJOR_BYTES, encoded.len() as u64);
        expected.extend_from_slice(&encoded);
        assert!(
            data.starts_with(&expected),
            "an accepted header does not re-encode to its own bytes"
        );
    }

    let tight = Limits {
        max_encrypted_data_keys: 2,
        max_header_bytes: 400,
        max_context_entries: 2,
        max_context_bytes: 48,
        max_frame_length: 4096,
        ..Limits::default()
    };
    if let Ok(header) = parse_header(data, &tight) {
        assert_eq!(
            parsed.as_ref().ok(),
            Some(&header),
            "tight limits accepted more"
        );
        assert!(header.encrypted_data_keys.len() <= 2);
        assert!(header.encryption_context.len() <= 2);
        assert!(header.frame_length <= 4096);
    }

    // The streaming reader, fed in two pieces, sees the same header and
    // releases nothing without a key.
    let split = data.len() / 3;
    let mut decryptor = Decryptor::new(DecryptOptions::default());
    let mut out = Vec::new();
    // Once it waits for the key it takes at most one more frame, so the
    // second piece goes in only while the header is still incomplete.
    let fed = decryptor.update(&data[..split], &mut out).and_then(|()| {
        if decryptor.needs_data_key() {
            Ok(())
        } else {
            decryptor.update(&data[split..], &mut out)
        }
    });
    assert!(
        out.is_empty(),
        "plaintext released before a data key was set"
    );
    if let Some(header) = decryptor.header() {
        assert_eq!(
            parsed.as_ref().ok(),
            Some(header),
            "Decryptor and parse_header disagree"
        );
    }
    // One header reader: the decryptor wants a key exactly when
    // parse_header accepts, and fails with the same kind otherwise.
    assert_eq!(
        decryptor.needs_data_key(),
        parsed.is_ok(),
        "Decryptor and parse_header disagree on the header tag"
    );
    if let (Err(streamed), Err(parsed)) = (fed, &parsed) {
        assert_eq!(streamed.kind(), parsed.kind(), "different error kinds");
    }
});
