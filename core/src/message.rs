//! One-shot encrypt and decrypt for when the data key is at hand, reading
//! the header alone ([`parse_header`]), and a message read once for both
//! ([`ParsedMessage`]: the header for the keyring, then the decrypt).

use std::fmt;

use crate::context::EncryptionContext;
use crate::crypto::DataKey;
use crate::error::Error;
use crate::format::prelude::{read_prelude, truncated, PreludeRead};
use crate::format::Header;
use crate::keyring::EncryptionMaterials;
use crate::limits::Limits;
use zeroize::Zeroize;

use crate::stream::{DecryptOptions, EncryptOptions, Encryptor, Sink};
use crate::Decryptor;

/// Encrypts `plaintext` into one message.
pub fn encrypt(
    materials: EncryptionMaterials,
    plaintext: &[u8],
    options: &EncryptOptions,
) -> Result<Vec<u8>, Error> {
    let encryptor = Encryptor::new(materials, options)?;
    let mut out = vec![0u8; encryptor.message_len(plaintext.len())];
    let written = encryptor.seal_all_into(plaintext, &mut out)?;
    out.truncate(written);
    Ok(out)
}

/// Encrypts `plaintext` into a caller's buffer, which must hold at least
/// [`Encryptor::message_len`] bytes (or use [`message_len`]); returns the
/// message length. Each frame is encrypted straight into `out`, with no
/// intermediate copy, so a reused buffer gives the best throughput.
pub fn encrypt_to_slice(
    materials: EncryptionMaterials,
    plaintext: &[u8],
    options: &EncryptOptions,
    out: &mut [u8],
) -> Result<usize, Error> {
    Encryptor::new(materials, options)?.seal_all_into(plaintext, out)
}

/// Encrypts `plaintext` with an `encryptor` that has written nothing yet
/// into `out`, which must hold at least
/// [`Encryptor::message_len`] bytes; returns the message length. With
/// [`encrypt_to_slice`] the caller must size `out` before the encryptor
/// exists; this form lets a host ask the encryptor for the exact length,
/// allocate its result at that size, and fill it in place (one key
/// derivation, no copy). [`plaintext_len`] is the same for decrypt.
///
/// ```
/// use mrkenv::keyring::RawAesKeyring;
/// use mrkenv::message::{plaintext_len, seal_to_slice};
/// use mrkenv::{decrypt_to_slice, parse_header, DecryptOptions, EncryptOptions, Encryptor};
/// let keyring = RawAesKeyring::new("my-app", "key-1", &[42u8; 32])?;
/// let materials = keyring.encryption_materials(&Default::default(), &Default::default())?;
/// let options = EncryptOptions { frame_length: 1024, ..Default::default() };
/// let plaintext = vec![7u8; 3000];
/// let encryptor = Encryptor::new(materials, &options)?;
/// let mut message = vec![0u8; encryptor.message_len(plaintext.len())];
/// assert_eq!(seal_to_slice(encryptor, &plaintext, &mut message)?, message.len());
///
/// let len = plaintext_len(&message, &Default::default())?;
/// assert_eq!(len, plaintext.len());
/// let data_key = keyring.unwrap_data_key(&parse_header(&message, &Default::default())?)?;
/// let mut out = vec![0u8; len];
/// assert_eq!(decrypt_to_slice(&message, &data_key, &DecryptOptions::default(), &mut out)?, len);
/// assert_eq!(out, plaintext);
/// // Framing that does not add up is refused without a key.
/// assert!(plaintext_len(&message[..message.len() - 1], &Default::default()).is_err());
/// let mut longer = message.clone();
/// longer.push(0);
/// assert!(plaintext_len(&longer, &Default::default()).is_err());
/// # Ok::<(), mrkenv::Error>(())
/// ```
pub fn seal_to_slice(
    encryptor: Encryptor,
    plaintext: &[u8],
    out: &mut [u8],
) -> Result<usize, Error> {
    encryptor.seal_all_into(plaintext, out)
}

/// Encrypts the plaintext in `buffer` in place: on success `buffer` holds the
/// message. Needs no second buffer of the message's size, which makes it the
/// fastest way to seal a large plaintext already in memory. On error `buffer`
/// is left unchanged.
pub fn encrypt_in_place(
    materials: EncryptionMaterials,
    buffer: &mut Vec<u8>,
    options: &EncryptOptions,
) -> Result<(), Error> {
    Encryptor::new(materials, options)?.seal_all_in_place(buffer)
}

/// Decrypts the message in `buffer` in place: on success `buffer` holds the
/// plaintext. On any error the buffer is zeroed and emptied (it may have held
/// part of the plaintext), so nothing unauthenticated is left behind.
pub fn decrypt_in_place(
    buffer: &mut Vec<u8>,
    data_key: &DataKey,
    options: &DecryptOptions,
) -> Result<(), Error> {
    let mut decryptor = Decryptor::new(options.clone());
    let result = (|| {
        let used = decryptor.process(buffer, &mut Vec::new())?;
        if !decryptor.needs_data_key() {
            return Err(decryptor.prelude_incomplete());
        }
        // Nothing is buffered: `process` leaves the body in `buffer`.
        decryptor.set_data_key(data_key, &mut Vec::new())?;
        decryptor.open_in_place(buffer, used)
    })();
    match result {
        Ok(len) => {
            buffer[len..].zeroize();
            buffer.truncate(len);
            Ok(())
        }
        Err(e) => {
            buffer.zeroize();
            buffer.clear();
            Err(e)
        }
    }
}

/// The length of the message [`encrypt`] would write for these materials,
/// options and plaintext length.
pub fn message_len(
    materials: &EncryptionMaterials,
    plaintext_len: usize,
    options: &EncryptOptions,
) -> Result<usize, Error> {
    Ok(Encryptor::new(materials.clone(), options)?.message_len(plaintext_len))
}

/// Decrypts a whole message into a caller's buffer and returns the plaintext
/// length. A buffer of `message.len()` bytes is always large enough. On any
/// error, whatever was written to `out` is zeroed before returning.
pub fn decrypt_to_slice(
    message: &[u8],
    data_key: &DataKey,
    options: &DecryptOptions,
    out: &mut [u8],
) -> Result<usize, Error> {
    ParsedMessage::parse(message, options)?.decrypt_to_slice(data_key, out)
}

/// Decrypts a whole message with its data key. Nothing is returned unless
/// the commitment, the header tag and every frame verified and the final
/// frame was present.
pub fn decrypt(
    message: &[u8],
    data_key: &DataKey,
    options: &DecryptOptions,
) -> Result<Vec<u8>, Error> {
    ParsedMessage::parse(message, options)?.decrypt(data_key)
}

/// A whole message whose prelude (prefix, header, header tag) has been read
/// and checked once: [`header`](Self::header) is what a keyring needs to
/// find the data key, and [`decrypt_to_slice`](Self::decrypt_to_slice) or
/// [`decrypt`](Self::decrypt) then open the frames without reading the
/// header again. This is [`parse_header_with`] and [`decrypt_to_slice`] in
/// one, with the same checks in the same order and the same errors.
///
/// Nothing in the header is authenticated until a decrypt succeeds. A
/// parsed message is decrypted once: after a decrypt, whether it succeeded
/// or failed (a wrong data key fails it), another is refused with
/// `InvalidArgument`.
///
/// ```
/// use mrkenv::keyring::RawAesKeyring;
/// use mrkenv::message::ParsedMessage;
/// use mrkenv::{encrypt, DecryptOptions, EncryptOptions};
///
/// let keyring = RawAesKeyring::new("ns", "name", &[1u8; 32]).unwrap();
/// let materials = keyring.encryption_materials(&Default::default(), &Default::default()).unwrap();
/// let message = encrypt(materials, b"hello", &EncryptOptions::default()).unwrap();
///
/// let mut parsed = ParsedMessage::parse(&message, &DecryptOptions::default()).unwrap();
/// let data_key = keyring.unwrap_data_key(parsed.header()).unwrap();
/// assert_eq!(parsed.decrypt(&data_key).unwrap(), b"hello");
/// ```
pub struct ParsedMessage<'a> {
    message: &'a [u8],
    /// Where the first frame starts in `message`.
    body: usize,
    /// Waiting for the data key, the prelude read.
    decryptor: Decryptor,
    /// A decrypt was tried (whatever its outcome).
    spent: bool,
}

impl fmt::Debug for ParsedMessage<'_> {
    /// The header and the message length; no message bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedMessage")
            .field("header", &self.decryptor.header())
            .field("message_len", &self.message.len())
            .finish_non_exhaustive()
    }
}

impl<'a> ParsedMessage<'a> {
    /// Reads and checks the prelude of the whole `message` in the order of
    /// `docs/FORMAT.md` §7.1 steps 1–8, with the limits and the required
    /// context (step 7) of `options`. A message cut before the end of its
    /// header tag is truncated.
    pub fn parse(message: &'a [u8], options: &DecryptOptions) -> Result<ParsedMessage<'a>, Error> {
        let mut decryptor = Decryptor::new(options.clone());
        let body = decryptor.process(message, &mut Vec::new())?;
        if !decryptor.needs_data_key() {
            return Err(decryptor.prelude_incomplete());
        }
        Ok(ParsedMessage {
            message,
            body,
            decryptor,
            spent: false,
        })
    }

    /// The header, as read (authenticated only once a decrypt succeeds).
    pub fn header(&self) -> &Header {
        self.decryptor.header().expect("the prelude is read")
    }

    /// The header, dropping the rest.
    pub fn into_header(mut self) -> Header {
        self.decryptor.take_header().expect("the prelude is read")
    }

    /// The exact plaintext length, read from the frame heads without any key
    /// (nothing is authenticated): [`plaintext_len`] without reading the
    /// header again.
    pub fn plaintext_len(&self) -> Result<usize, Error> {
        frames_plaintext_len(self.message, self.body, self.header().frame_length)
    }

    /// Decrypts the message into `out` and returns the plaintext length. A
    /// buffer of the message's length is always large enough. Nothing is
    /// returned unless the commitment, the header tag and every frame
    /// verified and the final frame was present; on any error, whatever was
    /// written to `out` is zeroed before returning.
    pub fn decrypt_to_slice(&mut self, data_key: &DataKey, out: &mut [u8]) -> Result<usize, Error> {
        let mut sink = Sink::Slice { out, written: 0 };
        let result = self.decrypt_into_sink(data_key, &mut sink);
        let Sink::Slice { out, written } = sink else {
            unreachable!("built as a slice sink above")
        };
        match result {
            Ok(()) => Ok(written),
            Err(e) => {
                out[..written].zeroize();
                Err(e)
            }
        }
    }

    /// [`decrypt_to_slice`](Self::decrypt_to_slice) into a new vector.
    pub fn decrypt(&mut self, data_key: &DataKey) -> Result<Vec<u8>, Error> {
        // The plaintext is shorter than the message; the zeroed buffer costs
        // no more than reserving, and frames are decrypted straight into it.
        let mut out = vec![0u8; self.message.len()];
        let written = self.decrypt_to_slice(data_key, &mut out)?;
        out.truncate(written);
        Ok(out)
    }

    fn decrypt_into_sink(&mut self, data_key: &DataKey, sink: &mut Sink<'_>) -> Result<(), Error> {
        if std::mem::replace(&mut self.spent, true) {
            return Err(Error::invalid_argument(
                "this parsed message was already decrypted (or its decrypt failed); parse it again",
            ));
        }
        // Nothing is buffered: the body is still in `message`.
        self.decryptor.set_data_key(data_key, &mut Vec::new())?;
        // Bytes after the final frame fail in `process_to`; a message that
        // ends before its final frame fails in `finish`.
        self.decryptor
            .process_to(&self.message[self.body..], sink)?;
        self.decryptor.finish()
    }
}

/// Reads the header at the start of `message` (which may be only a prefix of
/// the message: the frames are not needed, but the header tag is). Does not
/// authenticate it.
///
/// This is the reader of every decrypt path (`docs/FORMAT.md` §7.1 steps
/// 1–8): it fails for a message that is malformed anywhere up to and
/// including its header tag's framing (a message cut right after its header
/// is truncated), so a keyring never runs, and KMS is never called, for such
/// a message. The caller's required context (step 7) is not checked here;
/// [`parse_header_with`] checks it in its place.
pub fn parse_header(message: &[u8], limits: &Limits) -> Result<Header, Error> {
    read_header(message, limits, &EncryptionContext::new())
}

/// [`parse_header`] with the limits and the required context of `options`,
/// checked in the order of `docs/FORMAT.md` §7.1 (the context before the
/// header tag), as [`decrypt`] and the [`Decryptor`] check them.
pub fn parse_header_with(message: &[u8], options: &DecryptOptions) -> Result<Header, Error> {
    read_header(message, &options.limits, &options.required_context)
}

fn read_header(
    message: &[u8],
    limits: &Limits,
    required: &EncryptionContext,
) -> Result<Header, Error> {
    match read_prelude(message, limits, required)? {
        PreludeRead::Complete(prelude) => Ok(prelude.header),
        PreludeRead::Incomplete { missing } => Err(truncated(missing)),
    }
}

/// The exact plaintext length of the whole `message`, read from its header
/// and frame heads without any key (nothing is authenticated), so that a
/// host can allocate the result once at its final size and
/// [`decrypt_to_slice`] into it. Fails for a message malformed in its header
/// or framing, or truncated, or followed by extra bytes (the decrypt would
/// fail too, with the same or a more precise error).
pub fn plaintext_len(message: &[u8], limits: &Limits) -> Result<usize, Error> {
    let prelude = match read_prelude(message, limits, &EncryptionContext::new())? {
        PreludeRead::Complete(prelude) => prelude,
        PreludeRead::Incomplete { missing } => return Err(truncated(missing)),
    };
    frames_plaintext_len(message, prelude.len, prelude.header.frame_length)
}

/// The plaintext length of the frames of `message` from `at` (the end of its
/// prelude) to its end, read from the frame heads.
fn frames_plaintext_len(message: &[u8], mut at: usize, frame_length: u32) -> Result<usize, Error> {
    let mut total = 0usize;
    let mut sequence = 1u64;
    loop {
        let rest = message.get(at..).unwrap_or_default();
        let head = crate::format::frame::read_frame_head(rest, sequence, frame_length)?
            .ok_or_else(|| truncated("a frame is incomplete"))?;
        at = at.saturating_add(head.total_len());
        if at > message.len() {
            return Err(truncated("a frame is incomplete"));
        }
        total += head.plaintext_len;
        if head.is_final {
            if at != message.len() {
                return Err(crate::error::FormatError::invalid(
                    "message",
                    "bytes follow the final frame",
                )
                .into());
            }
            return Ok(total);
        }
        sequence += 1;
    }
}
