//! Fuzzes every place CBOR is decoded with hostile nesting, on a thread with
//! a 64 KiB stack: a deep item must be refused with an error, never overflow
//! the stack (which no panic handler catches).
//!
//! Input: a selector byte, then either raw CBOR bytes (selector bit 0x80
//! clear) or a nesting recipe (bit set: a byte to repeat, a count, a tail).
//! The CBOR is placed as the encryption context of an otherwise valid
//! message header, as field 6 of a record header, and as a record value's
//! content, and read by `parse_header`, `inspect`, the `Decryptor`, record
//! decrypt and value decoding, on one worker thread with a 64 KiB stack.

#![no_main]

use std::sync::{mpsc, Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use mrkenv::format::cbor::{write_bytes, write_head, MAJOR_BYTES, MAJOR_MAP, MAJOR_UNSIGNED};
use mrkenv::format::PREFIX;
use mrkenv::record::{AttributeValue, RecordHeader};
use mrkenv::{inspect, parse_header, DecryptOptions, Decryptor, Limits};

/// A header map with `field4` (raw CBOR) as field 4 and `field6` as field 6.
fn header_map(field4: &[u8], field6: &[u8]) -> Vec<u8> {
    let mut map = Vec::new();
    write_head(&mut map, MAJOR_MAP, 7);
    for (key, value) in [(1u64, 1u64), (2, 1)] {
        write_head(&mut map, MAJOR_UNSIGNED, key);
        write_head(&mut map, MAJOR_UNSIGNED, value);
    }
    write_head(&mut map, MAJOR_UNSIGNED, 3);
    write_bytes(&mut map, &[1; 32]);
    write_head(&mut map, MAJOR_UNSIGNED, 4);
    map.extend_from_slice(field4);
    write_head(&mut map, MAJOR_UNSIGNED, 5);
    // [["p", "i", h'01']]
    map.extend_from_slice(&[0x81, 0x83, 0x61, b'p', 0x61, b'i', 0x41, 0x01]);
    write_head(&mut map, MAJOR_UNSIGNED, 6);
    map.extend_from_slice(field6);
    write_head(&mut map, MAJOR_UNSIGNED, 7);
    write_bytes(&mut map, &[2; 32]);
    map
}

fn check(cbor: &[u8]) {
    // As a message's context.
    let mut message = PREFIX.to_vec();
    let map = header_map(cbor, &[0x19, 0x04, 0x00]);
    write_head(&mut message, MAJOR_BYTES, map.len() as u64);
    message.extend_from_slice(&map);
    write_bytes(&mut message, &[3; 16]);
    let _ = parse_header(&message, &Limits::default());
    let _ = inspect(&message);
    let mut decryptor = Decryptor::new(DecryptOptions::default());
    let mut out = Vec::new();
    let _ = decryptor.update(&message, &mut out);
    // As a record header's field 4 and field 6.
    let _ = RecordHeader::decode(
        &header_map(cbor, &[0xa1, 0x61, b'a', 0x01]),
        &Limits::default(),
    );
    let _ = RecordHeader::decode(&header_map(&[0xa0], cbor), &Limits::default());
    // As a record value's content, for the two container types and a value.
    for code in [6u8, 7, 1] {
        let _ = AttributeValue::decode_content(code, cbor, 32);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let cbor = if selector & 0x80 == 0 {
        rest.to_vec()
    } else {
        // Recipe: repeat `byte` `count * 4` times, then the tail.
        let [byte, count, tail @ ..] = rest else {
            return;
        };
        let mut cbor = vec![*byte; *count as usize * 4];
        cbor.extend_from_slice(tail);
        cbor
    };
    // One long-lived worker with a 64 KiB stack reads every input (a thread
    // per input would cost most of the time). A panic there aborts the
    // process (libfuzzer-sys's panic hook), so libFuzzer records it.
    let (to_worker, done) = WORKER.get_or_init(|| {
        let (to_worker, inputs) = mpsc::channel::<Vec<u8>>();
        let (finished, done) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                for cbor in inputs {
                    check(&cbor);
                    finished.send(()).expect("the fuzzer waits");
                }
            })
            .expect("spawn the worker");
        (to_worker, Mutex::new(done))
    });
    to_worker.send(cbor).expect("the worker runs");
    done.lock()
        .expect("one caller")
        .recv()
        .expect("the worker answers");
});

static WORKER: OnceLock<(mpsc::Sender<Vec<u8>>, Mutex<mpsc::Receiver<()>>)> = OnceLock::new();
