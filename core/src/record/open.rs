//! Decrypting a record, in two steps around the host's KMS call:
//! [`decrypt_plan`] (reserved attributes, header, table and context checks)
//! and [`EncryptedRecord::open`] (commitment, tag, then decryption).

use std::fmt;

use zeroize::Zeroizing;

use crate::context::{check_required_context, EncryptionContext};
use crate::crypto::{DataKey, TAG_LEN};
use crate::error::{Error, RecordError};
use crate::format::EncryptedDataKey;
use crate::limits::Limits;

use super::action::Action;
use super::header::RecordHeader;
use super::keys::RecordKeys;
use super::options::{context_text_is, key_roles};
use super::seal::{
    append_signed_map, check_item_limits, signed_map_len_bound, tag_input, tag_input_start_len,
    write_tag_input_start,
};
use super::value::{sorted_entries, type_name, zeroize_item, AttributeValue, Item};
use super::{
    DecryptRecordOptions, CONTEXT_ATTRIBUTE_PREFIX, CONTEXT_PARTITION_KEY, CONTEXT_SORT_KEY,
    CONTEXT_TABLE, HEADER_ATTRIBUTE, RESERVED_ATTRIBUTE_PREFIX, TAG_ATTRIBUTE,
};

/// What step (a) of decrypting found.
#[derive(Debug)]
pub enum DecryptPlan {
    /// The item has no reserved attribute and `allow_plaintext` is set: it is
    /// returned unchanged, and no key is needed.
    Plaintext(Item),
    /// An encrypted record: unwrap a data key, then [`EncryptedRecord::open`].
    Encrypted(Box<EncryptedRecord>),
}

/// An encrypted record whose framing, header and context were checked, but
/// which is not yet authenticated.
pub struct EncryptedRecord {
    item: Item,
    header: RecordHeader,
    /// The start of the tag input: the array head, then the header bytes
    /// (as a byte string) re-encoded by the header's determinism check; the
    /// map of signed attributes is appended when the tag is checked, in
    /// room reserved for it.
    tag_input: Vec<u8>,
    tag: [u8; TAG_LEN],
    limits: Limits,
}

impl fmt::Debug for EncryptedRecord {
    /// Shows the header, never attribute values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedRecord")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

fn take_reserved(item: &mut Item, name: &str) -> Result<Option<Vec<u8>>, Error> {
    match item.remove(name) {
        None => Ok(None),
        Some(AttributeValue::B(bytes)) => Ok(Some(bytes)),
        Some(other) => Err(RecordError::malformed(
            format!("attribute {name:?}"),
            format!("must be B, found {}", other.type_name()),
        )
        .into()),
    }
}

/// Step (a) of decrypting. In this order: the reserved attributes (none at
/// all: a plaintext item, returned only with `allow_plaintext`; else exactly
/// `aws_mrkenv_header` and `aws_mrkenv_tag`, both `B`, the tag 16 bytes),
/// the item limits (counted without the two reserved attributes), the header (strict CBOR, limits, reserved context
/// entries), the table name and key schema against `options`
/// (`ContextMismatch`), and the required context (`ContextMismatch`).
pub fn decrypt_plan(mut item: Item, options: &DecryptRecordOptions) -> Result<DecryptPlan, Error> {
    options.check()?;
    let mut reserved = item
        .keys()
        .filter(|name| name.starts_with(RESERVED_ATTRIBUTE_PREFIX))
        .peekable();
    if reserved.peek().is_none() {
        if options.allow_plaintext {
            return Ok(DecryptPlan::Plaintext(item));
        }
        return Err(RecordError::NotEncrypted.into());
    }
    if let Some(unknown) = reserved.find(|name| *name != HEADER_ATTRIBUTE && *name != TAG_ATTRIBUTE)
    {
        return Err(RecordError::malformed(
            format!("attribute {unknown:?}"),
            "unknown reserved attribute",
        )
        .into());
    }
    let header_bytes = take_reserved(&mut item, HEADER_ATTRIBUTE)?;
    let tag = take_reserved(&mut item, TAG_ATTRIBUTE)?;
    let (Some(header_bytes), Some(tag)) = (header_bytes, tag) else {
        return Err(RecordError::malformed(
            "record",
            format!("{HEADER_ATTRIBUTE:?} and {TAG_ATTRIBUTE:?} must both be present"),
        )
        .into());
    };
    let tag: [u8; TAG_LEN] = tag.as_slice().try_into().map_err(|_| {
        RecordError::malformed(
            format!("attribute {TAG_ATTRIBUTE:?}"),
            format!("must be {TAG_LEN} bytes, found {}", tag.len()),
        )
    })?;
    check_item_limits(&item, &options.limits)?;
    let mut tag_input = Vec::with_capacity(
        tag_input_start_len(header_bytes.len()) + header_bytes.len() + signed_map_len_bound(&item),
    );
    write_tag_input_start(&mut tag_input, header_bytes.len());
    let header = RecordHeader::decode_into(&header_bytes, &options.limits, &mut tag_input)?;
    drop(header_bytes);
    let context = &header.encryption_context;
    let found = |key: &str| context.get(key);
    for (what, expected, found) in [
        ("for table", Some(&options.table_name), found(CONTEXT_TABLE)),
        (
            "with partition key",
            Some(&options.partition_key),
            found(CONTEXT_PARTITION_KEY),
        ),
        (
            "with sort key",
            options.sort_key.as_ref(),
            found(CONTEXT_SORT_KEY),
        ),
    ] {
        if expected != found {
            return Err(RecordError::ConfigMismatch {
                what,
                expected: expected.cloned(),
                found: found.cloned(),
            }
            .into());
        }
    }
    check_required_context(context, &options.required_context)?;
    Ok(DecryptPlan::Encrypted(Box::new(EncryptedRecord {
        item,
        header,
        tag_input,
        tag,
        limits: options.limits.clone(),
    })))
}

impl EncryptedRecord {
    /// The parsed (not yet authenticated) header.
    pub fn header(&self) -> &RecordHeader {
        &self.header
    }

    /// The encrypted data keys to unwrap (one is enough).
    pub fn encrypted_data_keys(&self) -> &[EncryptedDataKey] {
        &self.header.encrypted_data_keys
    }

    /// The encryption context to pass to KMS with them.
    pub fn encryption_context(&self) -> &EncryptionContext {
        &self.header.encryption_context
    }

    /// Step (b) of decrypting, in this order: the key commitment (constant
    /// time), the presence of every signed attribute and the record tag
    /// (`Authentication`), the layout of each encrypted attribute and the
    /// context values of key and `SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT`
    /// attributes (`MalformedMessage`), then each decryption. Returns the item
    /// without the reserved attributes, every encrypted attribute restored.
    pub fn open(mut self, data_key: &DataKey) -> Result<Item, Error> {
        // The keys stay here, borrowed: neither moved out of a `Result` nor
        // with the record into a `VerifiedRecord` on the way.
        let keys = RecordKeys::derive(self.header.suite, data_key, &self.header.message_id);
        self.check(&keys)?;
        let mut item = self.item;
        match open_attributes(&mut item, &self.header, &keys, &self.limits) {
            Ok(()) => Ok(item),
            Err(e) => {
                // Some attributes may be decrypted already.
                zeroize_item(&mut item);
                Err(e)
            }
        }
    }

    /// The first part of [`open`](Self::open), and all that re-keying needs:
    /// the key commitment (constant time), then the presence of every signed
    /// attribute and the record tag (`Authentication`). Nothing is decrypted.
    pub fn verify(mut self, data_key: &DataKey) -> Result<VerifiedRecord, Error> {
        let keys = RecordKeys::derive(self.header.suite, data_key, &self.header.message_id);
        self.check(&keys)?;
        Ok(VerifiedRecord {
            item: self.item,
            header: self.header,
            keys,
            limits: self.limits,
        })
    }

    /// The checks of [`verify`](Self::verify), with the keys derived from
    /// the data key: the tag input is completed in place.
    fn check(&mut self, keys: &RecordKeys) -> Result<(), Error> {
        let header = &self.header;
        keys.check_commitment(&header.commitment)?;
        let input = &mut self.tag_input;
        append_signed_map(input, &self.item, &header.signed_attributes, |_, _| {})?;
        keys.check_tag(input, &self.tag)?;
        Ok(())
    }
}

/// An encrypted record whose commitment and tag verified under its data key
/// ([`EncryptedRecord::verify`]); its attributes are still encrypted.
pub struct VerifiedRecord {
    item: Item,
    header: RecordHeader,
    keys: RecordKeys,
    limits: Limits,
}

impl fmt::Debug for VerifiedRecord {
    /// Shows the header, never attribute values or keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedRecord")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl VerifiedRecord {
    /// The authenticated header.
    pub fn header(&self) -> &RecordHeader {
        &self.header
    }

    /// Re-keying: the record with `encrypted_data_keys` as its list of
    /// encrypted data keys, a new header and a new tag; every other
    /// attribute byte for byte. The rest of the header (version, suite,
    /// message id, context, signed attributes, commitment) is kept. Checks
    /// the count (at least one, within the limit) and the header size.
    pub fn reseal(self, encrypted_data_keys: Vec<EncryptedDataKey>) -> Result<Item, Error> {
        if encrypted_data_keys.is_empty() {
            return Err(Error::invalid_argument(
                "a record needs at least one encrypted data key",
            ));
        }
        self.limits
            .check_encrypted_data_keys(encrypted_data_keys.len())?;
        let header = RecordHeader {
            encrypted_data_keys,
            ..self.header
        };
        let header_bytes = header.encode();
        Limits::check(
            "record header bytes",
            self.limits.max_header_bytes,
            header_bytes.len(),
        )?;
        let input = tag_input(&header_bytes, &self.item, &header.signed_attributes)?;
        let tag = self.keys.tag(&input);
        let mut item = self.item;
        item.insert(HEADER_ATTRIBUTE.into(), AttributeValue::B(header_bytes));
        item.insert(TAG_ATTRIBUTE.into(), AttributeValue::B(tag.to_vec()));
        Ok(item)
    }
}

/// The rest of [`EncryptedRecord::open`], once the record verified under
/// `keys`: checks and decrypts.
fn open_attributes(
    item: &mut Item,
    header: &RecordHeader,
    keys: &RecordKeys,
    limits: &Limits,
) -> Result<(), Error> {
    let context = &header.encryption_context;
    let pk = &context[CONTEXT_PARTITION_KEY];
    let key_names = key_roles(pk, context.get(CONTEXT_SORT_KEY).map(String::as_str));
    let in_context = key_names.map(|(_, name)| name).chain(
        header
            .signed_attributes
            .iter()
            .filter(|(_, a)| **a == Action::SignAndIncludeInEncryptionContext)
            .map(|(n, _)| n.as_str()),
    );
    let mut key = String::with_capacity(64);
    for name in in_context {
        key.clear();
        key.push_str(CONTEXT_ATTRIBUTE_PREFIX);
        key.push_str(name);
        let expected = &context[&key];
        if !context_text_is(&item[name], expected) {
            return Err(RecordError::malformed(
                format!("attribute {name:?}"),
                "value differs from the encryption context",
            )
            .into());
        }
    }

    let mut index = 0u64;
    for (name, action) in sorted_entries(&header.signed_attributes) {
        if *action != Action::EncryptAndSign {
            continue;
        }
        index += 1;
        let location = || format!("attribute {name:?}");
        let value = item.get_mut(name).expect("the tag checked it is present");
        let AttributeValue::B(stored) = value else {
            return Err(RecordError::malformed(
                location(),
                format!(
                    "an encrypted attribute must be B, found {}",
                    value.type_name()
                ),
            )
            .into());
        };
        if stored.len() < 2 + TAG_LEN {
            return Err(RecordError::malformed(
                location(),
                format!("encrypted value is {} bytes, too short", stored.len()),
            )
            .into());
        }
        let type_code = stored[0];
        if type_name(type_code).is_none() {
            return Err(RecordError::malformed(
                location(),
                format!("unknown type code {type_code}"),
            )
            .into());
        }
        let body = stored.len() - TAG_LEN;
        let tag: [u8; TAG_LEN] = stored[body..].try_into().expect("16 bytes");
        // Decrypted in place (nothing is written when the tag fails).
        let mut plain = std::mem::take(stored);
        keys.open_attribute(index, name, type_code, &mut plain[1..body], &tag)?;
        // A string or binary (the usual encrypted attribute) becomes its
        // value in the very buffer it was decrypted in; anything else, or a
        // content that is not right, goes through `decode_content`, and the
        // plaintext is zeroized once decoded.
        if let Some(decoded) = AttributeValue::take_string_content(type_code, &mut plain, 1, body) {
            *value = decoded;
            continue;
        }
        let plain = Zeroizing::new(plain);
        let decoded =
            AttributeValue::decode_content(type_code, &plain[1..body], limits.max_record_depth)
                .map_err(|problem| RecordError::malformed(location(), problem))?;
        *value = decoded;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::RawAesKeyring;
    use crate::record::{encrypt_record, EncryptRecordOptions};
    use crate::session::driver::NoKms;

    fn encrypted(long_value: bool) -> (Item, DecryptRecordOptions) {
        let keyring = RawAesKeyring::new("ns", "key", &[3; 32]).unwrap().into();
        let mut item = Item::new();
        item.insert("pk".into(), AttributeValue::S("1".into()));
        let secret = if long_value {
            "s".repeat(5000)
        } else {
            "s".into()
        };
        item.insert("secret".into(), AttributeValue::S(secret));
        item.insert("plain".into(), AttributeValue::S("not signed".into()));
        item.insert("signed".into(), AttributeValue::S("2".into()));
        let mut options = EncryptRecordOptions::new("t", "pk");
        for (name, action) in [
            ("pk", Action::SignOnly),
            ("secret", Action::EncryptAndSign),
            ("plain", Action::DoNothing),
            ("signed", Action::SignOnly),
        ] {
            options.actions.insert(name.into(), action);
        }
        let item = encrypt_record(item, &keyring, &mut NoKms, &options).unwrap();
        (item, DecryptRecordOptions::new("t", "pk"))
    }

    fn plan(item: Item, options: &DecryptRecordOptions) -> Box<EncryptedRecord> {
        match decrypt_plan(item, options).unwrap() {
            DecryptPlan::Encrypted(record) => record,
            DecryptPlan::Plaintext(_) => unreachable!("the item is encrypted"),
        }
    }

    #[test]
    fn the_tag_input_built_around_the_reencoded_header_is_tag_input() {
        for long_value in [false, true] {
            let (item, options) = encrypted(long_value);
            let AttributeValue::B(header_bytes) = &item[HEADER_ATTRIBUTE] else {
                unreachable!()
            };
            let header_bytes = header_bytes.clone();
            let mut record = plan(item, &options);
            // The start, and the header as it came (the very bytes).
            let start = tag_input_start_len(header_bytes.len());
            assert_eq!(record.tag_input.len(), start + header_bytes.len());
            assert_eq!(record.tag_input[start..], header_bytes[..]);
            // Room for the map was reserved: completing it moves nothing.
            let before = record.tag_input.as_ptr();
            let mut input = std::mem::take(&mut record.tag_input);
            append_signed_map(
                &mut input,
                &record.item,
                &record.header.signed_attributes,
                |_, _| {},
            )
            .unwrap();
            assert_eq!(input.as_ptr(), before, "long value: {long_value}");
            let expected = tag_input(
                &header_bytes,
                &record.item,
                &record.header.signed_attributes,
            )
            .unwrap();
            assert_eq!(input, expected);
            assert_eq!(expected.len(), expected.capacity(), "sized exactly");
        }
    }

    /// `{pk: "1" (signed), secret: "s" (encrypted)}` sealed through a plan
    /// with a raw AES keyring: the sealed item and its data key.
    fn sealed_pk_and_secret() -> (Item, DataKey) {
        let keyring = RawAesKeyring::new("ns", "key", &[3; 32]).unwrap();
        let mut item = Item::new();
        item.insert("pk".into(), AttributeValue::S("1".into()));
        item.insert("secret".into(), AttributeValue::S("s".into()));
        let mut options = crate::record::EncryptRecordOptions::new("t", "pk");
        options.actions.insert("pk".into(), Action::SignOnly);
        options
            .actions
            .insert("secret".into(), Action::EncryptAndSign);
        let plan = crate::record::encrypt_plan(item, &options).unwrap();
        let materials = keyring
            .encryption_materials(plan.encryption_context(), &options.limits)
            .unwrap();
        let data_key = materials.data_key.clone();
        (plan.seal(materials).unwrap(), data_key)
    }

    /// An encrypted record whose `secret` attribute (type code `code`)
    /// encrypts `content`, authentic: sealed and tagged with the record's
    /// own keys.
    fn authentic_with_content(code: u8, content: &[u8]) -> (Item, DecryptRecordOptions, DataKey) {
        let (mut item, data_key) = sealed_pk_and_secret();
        let Some(AttributeValue::B(header_bytes)) = item.remove(HEADER_ATTRIBUTE) else {
            unreachable!()
        };
        item.remove(TAG_ATTRIBUTE);
        let header = RecordHeader::decode(&header_bytes, &Limits::default()).unwrap();
        let keys = RecordKeys::derive(header.suite, &data_key, &header.message_id);
        let mut stored = vec![code];
        stored.extend_from_slice(content);
        let tag = keys.seal_attribute(1, "secret", code, &mut stored[1..]);
        stored.extend_from_slice(&tag);
        item.insert("secret".into(), AttributeValue::B(stored));
        let input = tag_input(&header_bytes, &item, &header.signed_attributes).unwrap();
        item.insert(
            TAG_ATTRIBUTE.into(),
            AttributeValue::B(keys.tag(&input).to_vec()),
        );
        item.insert(HEADER_ATTRIBUTE.into(), AttributeValue::B(header_bytes));
        (item, DecryptRecordOptions::new("t", "pk"), data_key)
    }

    #[test]
    fn the_sealed_header_and_tag_are_the_header_encoding_and_its_tag_input_tag() {
        let (mut sealed, data_key) = sealed_pk_and_secret();
        let Some(AttributeValue::B(header_bytes)) = sealed.remove(HEADER_ATTRIBUTE) else {
            unreachable!()
        };
        let Some(AttributeValue::B(tag)) = sealed.remove(TAG_ATTRIBUTE) else {
            unreachable!()
        };
        let header = RecordHeader::decode(&header_bytes, &Limits::default()).unwrap();
        assert_eq!(header.encode(), header_bytes, "the header alone");
        let keys = RecordKeys::derive(header.suite, &data_key, &header.message_id);
        let input = tag_input(&header_bytes, &sealed, &header.signed_attributes).unwrap();
        assert_eq!(keys.tag(&input).to_vec(), tag);
    }

    #[test]
    fn encrypted_strings_take_the_fast_path_and_the_rest_decode_content() {
        // A string, a binary (taken in place) and a number, a list (decoded).
        for value in [
            AttributeValue::S("caf\u{e9}".into()),
            AttributeValue::B(vec![1; 300]),
            AttributeValue::N(crate::record::Number::parse("12.5").unwrap()),
            AttributeValue::L(vec![AttributeValue::S("a".into()), AttributeValue::Null]),
        ] {
            let content = value.encode_content();
            let (item, options, data_key) = authentic_with_content(value.type_code(), &content);
            let opened = plan(item, &options).open(&data_key).unwrap();
            assert_eq!(opened["secret"], value);
        }
        // Contents that authenticate but are not right: `decode_content`'s
        // words, as before the fast path.
        for (code, content, problem) in [
            (1, &b"\x78\x01s"[..], "not deterministically encoded CBOR"),
            (
                3,
                &b"\x61s"[..],
                "content of a B value has the wrong CBOR type",
            ),
            (1, &b"\x61s\x00"[..], "1 byte(s) after the value"),
        ] {
            let (item, options, data_key) = authentic_with_content(code, content);
            let err = plan(item, &options).open(&data_key).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::MalformedMessage, "{err}");
            let expected = RecordError::malformed(
                "attribute \"secret\"",
                AttributeValue::decode_content(code, content, 32).unwrap_err(),
            );
            assert_eq!(err.to_string(), Error::from(expected).to_string());
            assert!(err.to_string().contains(problem), "{err}");
        }
    }

    #[test]
    fn a_missing_signed_attribute_is_still_reported_after_the_commitment() {
        let (mut item, options) = encrypted(false);
        item.remove("signed");
        let record = plan(item, &options);
        // A wrong data key: the commitment fails first.
        let err = record.verify(&DataKey::new([0; 32])).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Authentication, "{err}");
        assert!(err.to_string().contains("commitment"), "{err}");
    }
}
