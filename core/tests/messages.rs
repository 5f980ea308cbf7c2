//! Message-level behaviour: inspect, header parsing of prefixes, limits,
//! streaming misuse, and the errors users will grep for.

use mrkenv::keyring::RawAesKeyring;
use mrkenv::{
    decrypt, encrypt, inspect, parse_header, DataKey, DecryptOptions, Decryptor, EncryptOptions,
    EncryptedDataKey, EncryptionContext, EncryptionMaterials, Encryptor, ErrorKind, Limits,
};

const MRK_EAST: &str =
    "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";

fn context() -> EncryptionContext {
    [("tenant".to_string(), "acme".to_string())].into()
}

fn materials() -> EncryptionMaterials {
    let mut m = RawAesKeyring::new("ns", "name", &[1; 32])
        .unwrap()
        .encryption_materials(&context(), &Limits::default())
        .unwrap();
    m.encrypted_data_keys.push(EncryptedDataKey {
        provider_id: "aws-kms".into(),
        provider_info: MRK_EAST.into(),
        ciphertext: vec![7; 10],
    });
    m
}

#[test]
fn inspect_reads_only_the_header_and_summarises_kms_keys() {
    let m = materials();
    let options = EncryptOptions {
        frame_length: 1024,
        ..Default::default()
    };
    let message = encrypt(m, &[0u8; 10_000], &options).unwrap();
    // Prefix (5), header head (3), header bytes, header tag (17).
    let header_len = {
        let header = parse_header(&message, &Limits::default()).unwrap();
        header.encode().len() + 8 + 17
    };
    // A prefix holding just the header and its tag is enough.
    let summary = inspect(&message[..header_len]).unwrap();
    // Without the header tag, it is truncated (the same reader as decrypt).
    let err = inspect(&message[..header_len - 17]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "message is truncated: the header tag is incomplete"
    );
    assert_eq!(summary.version, 1);
    assert_eq!(summary.suite, 1);
    assert_eq!(summary.frame_length, 1024);
    assert_eq!(summary.message_id.len(), 64);
    assert_eq!(summary.encryption_context, context());
    let raw = &summary.encrypted_data_keys[0];
    assert_eq!(
        (raw.provider_id.as_str(), raw.provider_info.as_str()),
        ("ns", "name")
    );
    assert_eq!(raw.key_arn, None);
    let kms = &summary.encrypted_data_keys[1];
    assert_eq!(kms.key_arn.as_deref(), Some(MRK_EAST));
    assert_eq!(kms.region.as_deref(), Some("us-east-1"));
    assert_eq!(kms.is_mrk, Some(true));
    // Too short a prefix says so.
    let err = inspect(&message[..20]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedMessage);
    assert_eq!(
        err.to_string(),
        "message is truncated: the header is incomplete"
    );
    let err = inspect(b"PK\x03\x04 a zip file").unwrap_err();
    assert_eq!(
        err.to_string(),
        "not an mrkenv message: missing the \"MRKE\" prefix"
    );
}

#[test]
fn a_huge_declared_header_length_is_an_error_not_a_panic() {
    let mut message = b"MRKE\x01".to_vec();
    message.extend_from_slice(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    let limits = Limits {
        max_header_bytes: usize::MAX,
        ..Limits::default()
    };
    let err = parse_header(&message, &limits).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedMessage);
    let mut decryptor = Decryptor::new(DecryptOptions {
        limits,
        ..Default::default()
    });
    decryptor.update(&message, &mut Vec::new()).unwrap();
    assert_eq!(
        decryptor.finish().unwrap_err().kind(),
        ErrorKind::MalformedMessage
    );
    // With default limits the declared size is refused before reading on.
    let err = parse_header(&message, &Limits::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
}

#[test]
fn encryptor_rejects_unwritable_materials_and_bad_frame_lengths() {
    let mut m = materials();
    m.encrypted_data_keys[1].ciphertext.clear();
    let err = Encryptor::new(m, &EncryptOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let mut m = materials();
    m.encrypted_data_keys.clear();
    assert!(Encryptor::new(m, &EncryptOptions::default()).is_err());
    for frame_length in [0, 1023, 16 * 1024 * 1024 + 1] {
        let options = EncryptOptions {
            frame_length,
            ..Default::default()
        };
        let err = Encryptor::new(materials(), &options).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{frame_length}");
    }
    let options = EncryptOptions {
        frame_length: 1024,
        ..Default::default()
    };
    let mut encryptor = Encryptor::new(materials(), &options).unwrap();
    let mut out = Vec::new();
    encryptor.finish(&mut out).unwrap();
    assert!(encryptor.update(b"late", &mut out).is_err());
    assert!(encryptor.finish(&mut out).is_err());
}

#[test]
fn decryptor_stops_for_the_key_and_checks_required_context_first() {
    let m = materials();
    let data_key = m.data_key.clone();
    let message = encrypt(m, b"streamed", &EncryptOptions::default()).unwrap();

    let mut wrong = Decryptor::new(DecryptOptions {
        required_context: [("tenant".to_string(), "other".to_string())].into(),
        ..Default::default()
    });
    let err = wrong.update(&message, &mut Vec::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContextMismatch);
    assert!(
        wrong.update(b"", &mut Vec::new()).is_err(),
        "a failed decryptor stays failed"
    );

    let mut decryptor = Decryptor::new(DecryptOptions::default());
    let mut out = Vec::new();
    assert!(
        decryptor.set_data_key(&data_key, &mut out).is_err(),
        "no header yet"
    );
    for byte in &message {
        decryptor
            .update(std::slice::from_ref(byte), &mut out)
            .unwrap();
        if decryptor.needs_data_key() {
            break;
        }
    }
    assert!(decryptor.needs_data_key());
    assert_eq!(decryptor.header().unwrap().encryption_context, context());
    assert!(decryptor
        .set_data_key(&DataKey::new([0; 32]), &mut out)
        .is_err());
}

#[test]
fn decryptor_streams_in_any_chunking_and_requires_the_final_frame() {
    let m = materials();
    let data_key = m.data_key.clone();
    let plaintext: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
    let options = EncryptOptions {
        frame_length: 1024,
        ..Default::default()
    };
    let message = encrypt(m, &plaintext, &options).unwrap();
    for chunk in [1, 7, 1024, 1041, message.len()] {
        let mut decryptor = Decryptor::new(DecryptOptions::default());
        let mut out = Vec::new();
        for piece in message.chunks(chunk) {
            decryptor.update(piece, &mut out).unwrap();
            if decryptor.needs_data_key() {
                decryptor.set_data_key(&data_key, &mut out).unwrap();
            }
        }
        decryptor.finish().unwrap();
        assert!(decryptor.is_done());
        assert_eq!(out, plaintext, "chunk {chunk}");
    }
    let short = &message[..message.len() - 40];
    let mut decryptor = Decryptor::new(DecryptOptions::default());
    let mut out = Vec::new();
    decryptor.update(short, &mut out).unwrap();
    decryptor.set_data_key(&data_key, &mut out).unwrap();
    let err = decryptor.finish().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedMessage);
    assert!(
        err.to_string().contains("ends before the final frame"),
        "{err}"
    );
    assert_eq!(
        out.len(),
        4096,
        "only the four verified full frames came out"
    );
    assert_eq!(
        decrypt(short, &data_key, &DecryptOptions::default())
            .unwrap_err()
            .kind(),
        ErrorKind::MalformedMessage
    );
}

#[test]
fn error_kind_codes_are_stable() {
    let codes: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(
        codes,
        [
            "InvalidArn",
            "MalformedMessage",
            "Authentication",
            "NoDecryptableKey",
            "Keyring",
            "LimitExceeded",
            "ContextMismatch",
            "InvalidArgument"
        ]
    );
}

#[test]
fn slice_apis_write_the_same_bytes_and_clean_up_on_failure() {
    let m = materials();
    let data_key = m.data_key.clone();
    for len in [0usize, 1, 1023, 1024, 1025, 5000] {
        let plaintext: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let options = EncryptOptions {
            frame_length: 1024,
            message_id: Some([5; 32]),
            ..Default::default()
        };
        let expected = encrypt(m.clone(), &plaintext, &options).unwrap();
        let needed = mrkenv::message_len(&m, len, &options).unwrap();
        assert_eq!(needed, expected.len(), "message_len for {len}");
        let mut out = vec![0xee; needed + 3];
        let written = mrkenv::encrypt_to_slice(m.clone(), &plaintext, &options, &mut out).unwrap();
        assert_eq!(&out[..written], &expected[..], "{len}");
        let err = mrkenv::encrypt_to_slice(m.clone(), &plaintext, &options, &mut out[..needed - 1])
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);

        let mut back = vec![0u8; expected.len()];
        let n =
            mrkenv::decrypt_to_slice(&expected, &data_key, &DecryptOptions::default(), &mut back)
                .unwrap();
        assert_eq!(&back[..n], &plaintext[..]);
    }
    // A tampered last frame: the verified frames written before are zeroed.
    let plaintext = vec![0x5a; 3000];
    let options = EncryptOptions {
        frame_length: 1024,
        ..Default::default()
    };
    let mut message = encrypt(m.clone(), &plaintext, &options).unwrap();
    let last = message.len() - 5;
    message[last] ^= 1;
    let mut out = vec![0u8; message.len()];
    let err = mrkenv::decrypt_to_slice(&message, &data_key, &DecryptOptions::default(), &mut out)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(out.iter().all(|&b| b == 0), "no plaintext left behind");
    // Too small an output buffer is an argument error, also cleaned up.
    let message = encrypt(m, &plaintext, &options).unwrap();
    let mut out = vec![0u8; 2000];
    let err = mrkenv::decrypt_to_slice(&message, &data_key, &DecryptOptions::default(), &mut out)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(out.iter().all(|&b| b == 0));
}

#[test]
fn in_place_apis_match_the_one_shot_bytes() {
    let m = materials();
    let data_key = m.data_key.clone();
    for frame_length in [1024u32, 1025, 4096] {
        let f = frame_length as usize;
        for len in [0usize, 1, f - 1, f, f + 1, 3 * f, 20 * f + 17] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 13 % 251) as u8).collect();
            let options = EncryptOptions {
                frame_length,
                message_id: Some([9; 32]),
                ..Default::default()
            };
            let expected = encrypt(m.clone(), &plaintext, &options).unwrap();
            let mut buffer = plaintext.clone();
            mrkenv::encrypt_in_place(m.clone(), &mut buffer, &options).unwrap();
            assert_eq!(buffer, expected, "encrypt_in_place {frame_length}/{len}");
            mrkenv::decrypt_in_place(&mut buffer, &data_key, &DecryptOptions::default()).unwrap();
            assert_eq!(buffer, plaintext, "decrypt_in_place {frame_length}/{len}");
        }
    }
}

#[test]
fn decrypt_in_place_empties_the_buffer_on_any_failure() {
    let m = materials();
    let data_key = m.data_key.clone();
    let options = EncryptOptions {
        frame_length: 1024,
        ..Default::default()
    };
    let message = encrypt(m, &vec![0x77; 5000], &options).unwrap();
    let cases: Vec<(&str, Vec<u8>, ErrorKind)> = vec![
        (
            "tampered last frame",
            {
                let mut b = message.clone();
                let at = b.len() - 3;
                b[at] ^= 1;
                b
            },
            ErrorKind::Authentication,
        ),
        (
            "missing end",
            message[..message.len() - 30].to_vec(),
            ErrorKind::MalformedMessage,
        ),
        (
            "trailing byte",
            [&message[..], &[0]].concat(),
            ErrorKind::MalformedMessage,
        ),
        (
            "header only",
            message[..200].to_vec(),
            ErrorKind::MalformedMessage,
        ),
    ];
    for (name, mut buffer, kind) in cases {
        let err = mrkenv::decrypt_in_place(&mut buffer, &data_key, &DecryptOptions::default())
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{name}: {err}");
        assert!(buffer.is_empty(), "{name}: buffer not emptied");
    }
    let mut buffer = message.clone();
    let err = mrkenv::decrypt_in_place(
        &mut buffer,
        &DataKey::new([0; 32]),
        &DecryptOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
}

#[test]
fn set_data_key_goes_on_with_what_was_buffered() {
    let m = materials();
    let data_key = m.data_key.clone();
    let plaintext: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
    let options = EncryptOptions {
        frame_length: 1024,
        ..Default::default()
    };
    let message = encrypt(m, &plaintext, &options).unwrap();

    // The whole message arrives before the key: set_data_key reads it all
    // and hands out its plaintext at once, with no update after it.
    let mut decryptor = Decryptor::new(DecryptOptions::default());
    let mut out = Vec::new();
    decryptor.update(&message, &mut out).unwrap();
    assert!(decryptor.needs_data_key() && out.is_empty());
    decryptor.set_data_key(&data_key, &mut out).unwrap();
    assert!(decryptor.is_done(), "every buffered frame was read");
    assert!(!decryptor.needs_data_key());
    assert_eq!(out, plaintext);
    decryptor.finish().unwrap();

    // Part of the body buffered: its complete frames come out, the rest
    // waits for the next update.
    let mut decryptor = Decryptor::new(DecryptOptions::default());
    let mut out = Vec::new();
    decryptor.update(&message[..1500], &mut out).unwrap();
    decryptor.set_data_key(&data_key, &mut out).unwrap();
    assert_eq!(out, plaintext[..1024]);
    // A second key is refused and changes nothing.
    let err = decryptor.set_data_key(&data_key, &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    decryptor.update(&message[1500..], &mut out).unwrap();
    decryptor.finish().unwrap();
    assert_eq!(out, plaintext);
}

#[test]
fn a_failed_set_data_key_leaves_the_decryptor_failed() {
    let m = materials();
    let data_key = m.data_key.clone();
    let options = EncryptOptions {
        frame_length: 1024,
        ..Default::default()
    };
    let message = encrypt(m, &[5u8; 2500], &options).unwrap();

    // Wrong key: the commitment does not match.
    let mut decryptor = Decryptor::new(DecryptOptions::default());
    let mut out = Vec::new();
    decryptor.update(&message, &mut out).unwrap();
    let err = decryptor
        .set_data_key(&DataKey::new([0; 32]), &mut out)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(!decryptor.needs_data_key());
    let again = decryptor.set_data_key(&data_key, &mut out).unwrap_err();
    assert!(again.to_string().contains("already failed"), "{again}");
    assert!(decryptor.update(&[], &mut out).is_err());
    assert!(decryptor.finish().is_err());
    assert!(out.is_empty());

    // A tampered buffered frame: the verified frame before it comes out
    // first, then the error, and the decryptor stays failed.
    // Frames 1 and 2 are 6 + 1024 + 16 bytes, frame 3 is 6 + 452 + 16.
    let frame_2 = message.len() - (6 + 452 + 16) - (6 + 1024 + 16);
    let mut tampered = message.clone();
    tampered[frame_2 + 100] ^= 1;
    let mut decryptor = Decryptor::new(DecryptOptions::default());
    let mut out = Vec::new();
    decryptor.update(&tampered, &mut out).unwrap();
    let err = decryptor.set_data_key(&data_key, &mut out).unwrap_err();
    assert_eq!(
        err.to_string(),
        "frame 2: authentication tag does not verify"
    );
    assert_eq!(out, [5u8; 1024]);
    assert!(decryptor.update(&[], &mut out).is_err());
    assert!(decryptor.finish().is_err());
}

/// The prelude's length: what `parse_header` needs of `message`.
fn prelude_len(message: &[u8]) -> usize {
    (1..=message.len())
        .find(|n| parse_header(&message[..*n], &Limits::default()).is_ok())
        .expect("the message has a header")
}

#[test]
fn a_decryptor_waiting_for_its_key_takes_at_most_one_more_frame() {
    let m = materials();
    let data_key = m.data_key.clone();
    let options = EncryptOptions {
        frame_length: 1024,
        ..Default::default()
    };
    let plaintext = vec![5u8; 10 * 1024];
    let message = encrypt(m, &plaintext, &options).unwrap();
    let header_end = prelude_len(&message);
    // One frame's bytes: 1024 + tag + head.
    let frame = 1024 + 16 + 6;

    // The header, then one frame while the key is missing: accepted.
    let mut decryptor = Decryptor::new(DecryptOptions::default());
    let mut out = Vec::new();
    decryptor.update(&message[..header_end], &mut out).unwrap();
    assert!(decryptor.needs_data_key());
    decryptor
        .update(&message[header_end..header_end + 600], &mut out)
        .unwrap();
    decryptor
        .update(&message[header_end + 600..header_end + frame], &mut out)
        .unwrap();
    // One byte more is refused with a clear error, and the decryptor fails.
    let err = decryptor
        .update(
            &message[header_end + frame..header_end + frame + 1],
            &mut out,
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    assert_eq!(
        err.to_string(),
        format!(
            "bytes given while waiting for the data key (one frame): {} exceeds the limit of {}",
            frame + 1,
            frame
        )
    );
    assert!(decryptor.set_data_key(&data_key, &mut out).is_err());

    // Setting the key in time, the rest streams without bound.
    let mut decryptor = Decryptor::new(DecryptOptions::default());
    let mut out = Vec::new();
    decryptor.update(&message[..header_end], &mut out).unwrap();
    decryptor
        .update(&message[header_end..header_end + frame], &mut out)
        .unwrap();
    decryptor.set_data_key(&data_key, &mut out).unwrap();
    decryptor
        .update(&message[header_end + frame..], &mut out)
        .unwrap();
    decryptor.finish().unwrap();
    assert_eq!(out, plaintext);

    // The bytes that come in the same call as the header are kept whatever
    // their length (the documented one-call use).
    let mut decryptor = Decryptor::new(DecryptOptions::default());
    let mut out = Vec::new();
    decryptor.update(&message, &mut out).unwrap();
    decryptor.set_data_key(&data_key, &mut out).unwrap();
    decryptor.finish().unwrap();
    assert_eq!(out, plaintext);
}

/// Found by the `stream_chunks` fuzz target (its assertion was wrong, not
/// the core): bytes after the final frame fail the stream only after the
/// final frame, shorter than the frame length, was verified and released.
#[test]
fn trailing_bytes_fail_after_the_whole_plaintext_was_released() {
    let m = materials();
    let data_key = m.data_key.clone();
    let options = EncryptOptions {
        frame_length: 1024,
        ..Default::default()
    };
    let plaintext = vec![9u8; 1024 + 476];
    let mut message = encrypt(m, &plaintext, &options).unwrap();
    message.extend_from_slice(&[0xd7; 3]);
    let one_shot = decrypt(&message, &data_key, &DecryptOptions::default()).unwrap_err();
    let mut decryptor = Decryptor::new(DecryptOptions::default());
    let mut out = Vec::new();
    let mut result = Ok(());
    for chunk in message.chunks(301) {
        result = decryptor.update(chunk, &mut out);
        if result.is_err() {
            break;
        }
        if decryptor.needs_data_key() {
            decryptor.set_data_key(&data_key, &mut out).unwrap();
        }
    }
    let streamed = result.unwrap_err();
    assert_eq!(streamed.kind(), one_shot.kind());
    assert_eq!(
        streamed.to_string(),
        "3 trailing byte(s) after the final frame"
    );
    assert_eq!(out, plaintext);
}

/// `ParsedMessage`: the header read once for the keyring, then the decrypt;
/// the same results and errors as `parse_header_with` and `decrypt`.
mod parsed_message {
    use super::*;
    use mrkenv::message::{plaintext_len, ParsedMessage};
    use mrkenv::parse_header_with;

    fn keyring() -> RawAesKeyring {
        RawAesKeyring::new("ns", "name", &[1; 32]).unwrap()
    }

    fn message(len: usize, frame_length: u32) -> Vec<u8> {
        let plaintext: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let options = EncryptOptions {
            frame_length,
            ..Default::default()
        };
        encrypt(materials(), &plaintext, &options).unwrap()
    }

    #[test]
    fn it_reads_the_header_once_and_decrypts_like_decrypt() {
        let options = DecryptOptions::default();
        for len in [0, 1, 1023, 1024, 1025, 5000] {
            let message = message(len, 1024);
            let mut parsed = ParsedMessage::parse(&message, &options).unwrap();
            assert_eq!(
                parsed.header(),
                &parse_header_with(&message, &options).unwrap()
            );
            assert_eq!(parsed.plaintext_len().unwrap(), len);
            assert_eq!(plaintext_len(&message, &options.limits).unwrap(), len);
            let data_key = keyring().unwrap_data_key(parsed.header()).unwrap();
            let plaintext = parsed.decrypt(&data_key).unwrap();
            assert_eq!(plaintext, decrypt(&message, &data_key, &options).unwrap());
            assert_eq!(plaintext.len(), len);
            // The header stays readable after the decrypt.
            assert_eq!(
                parsed.into_header(),
                parse_header(&message, &Limits::default()).unwrap()
            );
        }
    }

    #[test]
    fn it_decrypts_once_and_a_wrong_key_fails_it() {
        let message = message(3000, 1024);
        let options = DecryptOptions::default();
        let mut parsed = ParsedMessage::parse(&message, &options).unwrap();
        let data_key = keyring().unwrap_data_key(parsed.header()).unwrap();
        let mut out = vec![0u8; message.len()];
        assert_eq!(parsed.decrypt_to_slice(&data_key, &mut out).unwrap(), 3000);
        let again = parsed.decrypt(&data_key).unwrap_err();
        assert_eq!(again.kind(), ErrorKind::InvalidArgument, "{again}");
        assert!(again.to_string().contains("already decrypted"), "{again}");

        let mut parsed = ParsedMessage::parse(&message, &options).unwrap();
        let wrong = DataKey::from_slice(&[9; 32]).unwrap();
        let err = parsed.decrypt(&wrong).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Authentication, "{err}");
        let after = parsed.decrypt(&data_key).unwrap_err();
        assert_eq!(after.kind(), ErrorKind::InvalidArgument, "{after}");

        // A frame that fails part-way spends it too.
        let mut bad = message.clone();
        let last = bad.len() - 20;
        bad[last] ^= 1;
        let mut parsed = ParsedMessage::parse(&bad, &options).unwrap();
        assert_eq!(
            parsed.decrypt(&data_key).unwrap_err().kind(),
            ErrorKind::Authentication
        );
        let after = parsed.decrypt(&data_key).unwrap_err();
        assert!(after.to_string().contains("already decrypted"), "{after}");
    }

    #[test]
    fn a_bad_frame_zeroes_what_was_written_and_errors_match_decrypt() {
        let message = message(5000, 1024);
        let options = DecryptOptions::default();
        let data_key = keyring()
            .unwrap_data_key(&parse_header(&message, &Limits::default()).unwrap())
            .unwrap();
        let mut bad = message.clone();
        let last = bad.len() - 20;
        bad[last] ^= 1; // in the final frame: earlier frames were written
        let mut out = vec![0u8; bad.len()];
        let err = ParsedMessage::parse(&bad, &options)
            .unwrap()
            .decrypt_to_slice(&data_key, &mut out)
            .unwrap_err();
        assert!(out.iter().all(|&b| b == 0), "plaintext left in the buffer");
        assert_eq!(
            err.to_string(),
            decrypt(&bad, &data_key, &options).unwrap_err().to_string()
        );
    }

    #[test]
    fn parse_errors_are_parse_header_withs_in_the_same_order() {
        let message = message(100, 1024);
        let required: EncryptionContext = [("tenant".to_string(), "other".to_string())].into();
        let options = DecryptOptions {
            required_context: required,
            ..Default::default()
        };
        // Prefixes of every part of the prelude, with and without a required
        // context the header does not match (step 7, before the header tag).
        for cut in [0, 3, 5, 10, 60, message.len() - 200] {
            let prefix = &message[..cut.min(message.len())];
            for options in [&options, &DecryptOptions::default()] {
                let parsed = ParsedMessage::parse(prefix, options).map(|p| p.into_header());
                let expected = parse_header_with(prefix, options);
                match (parsed, expected) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b),
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "cut {cut}"),
                    (a, b) => panic!("cut {cut}: {a:?} vs {b:?}"),
                }
            }
        }
    }
}
