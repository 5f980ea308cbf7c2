//! The CBOR primitives of the format, in deterministic (shortest) form: heads
//! written and read one at a time for the streaming pieces (byte string heads,
//! frame heads), strings and the encryption context map written straight
//! into a buffer (the headers, the raw AES wrapping AAD, records), and a
//! `Cursor` that reads data items from a byte slice without building a
//! value tree, with an explicit nesting bound.

use std::collections::BTreeMap;
use std::fmt;

use crate::context::EncryptionContext;
use crate::error::FormatError;

/// CBOR major type 0: unsigned integer.
pub const MAJOR_UNSIGNED: u8 = 0;
/// CBOR major type 2: byte string.
pub const MAJOR_BYTES: u8 = 2;
/// CBOR major type 1: negative integer.
pub const MAJOR_NEGATIVE: u8 = 1;
/// CBOR major type 3: text string.
pub const MAJOR_TEXT: u8 = 3;
/// CBOR major type 4: array.
pub const MAJOR_ARRAY: u8 = 4;
/// CBOR major type 5: map.
pub const MAJOR_MAP: u8 = 5;
/// CBOR major type 6: tag.
pub const MAJOR_TAG: u8 = 6;
/// CBOR major type 7: simple values and floats.
pub const MAJOR_SIMPLE: u8 = 7;
/// CBOR `false`.
pub const FALSE: u8 = 0xf4;
/// CBOR `true`.
pub const TRUE: u8 = 0xf5;

/// Appends the shortest head for `major` with argument `value`.
pub fn write_head(out: &mut Vec<u8>, major: u8, value: u64) {
    let m = major << 5;
    if value < 24 {
        out.push(m | value as u8);
    } else if value <= u8::MAX as u64 {
        out.push(m | 24);
        out.push(value as u8);
    } else if value <= u16::MAX as u64 {
        out.push(m | 25);
        out.extend_from_slice(&(value as u16).to_be_bytes());
    } else if value <= u32::MAX as u64 {
        out.push(m | 26);
        out.extend_from_slice(&(value as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&value.to_be_bytes());
    }
}

/// Length of the shortest head for argument `value`.
pub fn head_len(value: u64) -> usize {
    match value {
        0..=23 => 1,
        24..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// Reads one head from the start of `input`.
///
/// Returns `Ok(None)` when `input` is too short to hold the whole head, and an
/// error (naming `location`) for an indefinite length, a reserved additional
/// info, the wrong major type or a non-shortest argument.
pub fn read_head(
    input: &[u8],
    expected_major: u8,
    location: &str,
) -> Result<Option<(u64, usize)>, FormatError> {
    let Some(&first) = input.first() else {
        return Ok(None);
    };
    let major = first >> 5;
    if major != expected_major {
        return Err(FormatError::invalid(
            location,
            format!(
                "expected {}, found CBOR major type {major}",
                major_name(expected_major)
            ),
        ));
    }
    let info = first & 0x1f;
    let (extra, minimum) = match info {
        0..=23 => return Ok(Some((info as u64, 1))),
        24 => (1usize, 24u64),
        25 => (2, 0x100),
        26 => (4, 0x1_0000),
        27 => (8, 0x1_0000_0000),
        31 => {
            return Err(FormatError::invalid(
                location,
                "indefinite length is not allowed",
            ))
        }
        _ => {
            return Err(FormatError::invalid(
                location,
                format!("reserved CBOR additional information {info}"),
            ))
        }
    };
    if input.len() < 1 + extra {
        return Ok(None);
    }
    let mut value = 0u64;
    for &byte in &input[1..1 + extra] {
        value = (value << 8) | byte as u64;
    }
    if value < minimum {
        return Err(FormatError::NotDeterministic(location.to_string()));
    }
    Ok(Some((value, 1 + extra)))
}

/// The context's entries in CBOR deterministic order of their keys (shorter
/// first, then bytewise).
pub(crate) fn sorted_context(context: &EncryptionContext) -> CborOrdered<'_, String> {
    cbor_ordered(context)
}

/// Most entries [`cbor_ordered`] orders on the stack; a larger map is sorted
/// in a vector.
const SMALL_MAP: usize = 16;

/// The entries of a map with text keys in deterministic CBOR order of the
/// keys (shorter first, then bytewise): what every encoder of such a map
/// walks. A map of up to [`SMALL_MAP`] entries (records and contexts
/// usually are) is ordered on the stack, without allocating.
pub(crate) fn cbor_ordered<V>(map: &BTreeMap<String, V>) -> CborOrdered<'_, V> {
    cbor_ordered_from_bytewise(map.iter())
}

/// [`cbor_ordered`] for entries given in bytewise order of their keys (as a
/// map, or a walk over one, yields them), keys unique.
pub(crate) fn cbor_ordered_from_bytewise<'a, V>(
    mut entries: impl Iterator<Item = (&'a String, &'a V)>,
) -> CborOrdered<'a, V> {
    let Some(first) = entries.next() else {
        return CborOrdered::Large(Vec::new().into_iter());
    };
    // Keys come in bytewise order, so a stable sort by length alone (an
    // insertion sort: a few entries) gives the CBOR order.
    let mut small = [first; SMALL_MAP];
    let mut len = 1;
    while let Some(entry) = entries.next() {
        if len == SMALL_MAP {
            let mut all = small.to_vec();
            all.push(entry);
            all.extend(entries);
            let sorted = in_cbor_order(all, |(key, _)| key.as_bytes());
            return CborOrdered::Large(sorted.into_iter());
        }
        let mut at = len;
        while at > 0 && small[at - 1].0.len() > entry.0.len() {
            small[at] = small[at - 1];
            at -= 1;
        }
        small[at] = entry;
        len += 1;
    }
    CborOrdered::Small {
        entries: small,
        next: 0,
        len,
    }
}

/// The iterator of [`cbor_ordered`].
// The large variant is the point: it lives on the stack instead of the heap.
#[allow(clippy::large_enum_variant)]
pub(crate) enum CborOrdered<'a, V> {
    /// A small map, ordered on the stack: `entries[next..len]` are still to
    /// come.
    Small {
        /// The entries, the first `len` in CBOR order.
        entries: [(&'a String, &'a V); SMALL_MAP],
        /// The next position in `entries`.
        next: usize,
        /// How many entries the map holds.
        len: usize,
    },
    /// An empty or large map, ordered in a vector.
    Large(std::vec::IntoIter<(&'a String, &'a V)>),
}

impl<'a, V> Iterator for CborOrdered<'a, V> {
    type Item = (&'a String, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            CborOrdered::Small { entries, next, len } => {
                if *next == *len {
                    return None;
                }
                *next += 1;
                Some(entries[*next - 1])
            }
            CborOrdered::Large(sorted) => sorted.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = match self {
            CborOrdered::Small { next, len, .. } => len - next,
            CborOrdered::Large(sorted) => sorted.len(),
        };
        (left, Some(left))
    }
}

impl<V> ExactSizeIterator for CborOrdered<'_, V> {}

/// Orders text or byte strings as deterministic CBOR orders their
/// encodings: shorter first, then bytewise.
pub fn cbor_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// `items` in deterministic CBOR order of their `key`s (the order of equal
/// keys is unspecified).
///
/// Every caller sorts through the one non-generic [`sort_keys`], so the
/// program holds one copy of the sort (it is large, and the wasm build
/// pays for each copy).
pub(crate) fn in_cbor_order<'a, T: Copy>(items: Vec<T>, key: impl Fn(T) -> &'a [u8]) -> Vec<T> {
    let mut keys: Vec<(&[u8], usize)> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (key(*item), i))
        .collect();
    sort_keys(&mut keys);
    keys.into_iter().map(|(_, i)| items[i]).collect()
}

#[inline(never)]
fn sort_keys(keys: &mut [(&[u8], usize)]) {
    keys.sort_unstable_by(|a, b| cbor_order(a.0, b.0));
}

/// Length of a text or byte string's encoding.
pub fn string_len(len: usize) -> usize {
    head_len(len as u64) + len
}

/// Appends a text string.
pub fn write_text(out: &mut Vec<u8>, text: &str) {
    write_head(out, MAJOR_TEXT, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// Appends a byte string.
pub fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_head(out, MAJOR_BYTES, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Length of the encryption context's encoding as a CBOR map.
pub(crate) fn context_len(context: &EncryptionContext) -> usize {
    head_len(context.len() as u64)
        + context
            .iter()
            .map(|(k, v)| string_len(k.len()) + string_len(v.len()))
            .sum::<usize>()
}

/// Appends the encryption context as a deterministic CBOR map of text to text.
pub(crate) fn write_context(out: &mut Vec<u8>, context: &EncryptionContext) {
    write_head(out, MAJOR_MAP, context.len() as u64);
    for (key, value) in sorted_context(context) {
        write_text(out, key);
        write_text(out, value);
    }
}

/// Why a [`Cursor`] could not read a data item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// The input ends inside the item.
    End,
    /// A head that is not well formed (reserved additional information, a
    /// stray break), at this byte.
    Syntax(usize),
    /// An indefinite length, at this byte: never deterministic.
    Indefinite(usize),
    /// A text string that is not UTF-8, at this byte.
    Utf8(usize),
    /// Arrays, maps and tags nested deeper than the bound.
    TooDeep,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::End => f.write_str("ends early"),
            ReadError::Syntax(at) => write!(f, "syntax error at byte {at}"),
            ReadError::Indefinite(at) => write!(f, "indefinite length at byte {at}"),
            ReadError::Utf8(at) => write!(f, "invalid UTF-8 at byte {at}"),
            ReadError::TooDeep => f.write_str("nested too deeply"),
        }
    }
}

/// One CBOR head: major type, additional information and argument (for
/// major type 7: the simple value or the float's bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    /// Major type, 0 to 7.
    pub major: u8,
    /// Additional information, 0 to 27.
    pub info: u8,
    /// The argument.
    pub arg: u64,
}

/// Reads CBOR data items from a byte slice, one head at a time, borrowing
/// strings from it. Heads need not be shortest (callers that need
/// deterministic input re-encode and compare); indefinite lengths are
/// refused.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor { bytes, at: 0 }
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        &self.bytes[self.at..]
    }

    /// The next byte, not consumed.
    pub fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Reads one head.
    pub fn head(&mut self) -> Result<Head, ReadError> {
        let start = self.at;
        let first = self.peek().ok_or(ReadError::End)?;
        let (major, info) = (first >> 5, first & 0x1f);
        let extra = match info {
            0..=23 => 0,
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            31 if (MAJOR_BYTES..=MAJOR_MAP).contains(&major) => {
                return Err(ReadError::Indefinite(start))
            }
            _ => return Err(ReadError::Syntax(start)),
        };
        let argument = self
            .bytes
            .get(start + 1..start + 1 + extra)
            .ok_or(ReadError::End)?;
        let arg = if extra == 0 {
            u64::from(info)
        } else {
            argument.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b))
        };
        self.at = start + 1 + extra;
        Ok(Head { major, info, arg })
    }

    /// Reads `len` bytes (the content of a string whose head was read).
    pub fn take(&mut self, len: u64) -> Result<&'a [u8], ReadError> {
        let end = usize::try_from(len)
            .ok()
            .and_then(|len| self.at.checked_add(len))
            .filter(|end| *end <= self.bytes.len())
            .ok_or(ReadError::End)?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    /// Reads `len` bytes of UTF-8 text.
    pub fn text(&mut self, len: u64) -> Result<&'a str, ReadError> {
        let start = self.at;
        let taken = self.take(len)?;
        std::str::from_utf8(taken).map_err(|e| ReadError::Utf8(start + e.valid_up_to()))
    }

    /// Reads over one whole data item, checking that it is well formed and
    /// that arrays, maps and tags nest at most `depth` deep; returns its bytes.
    ///
    /// Iterative: the stack it uses does not grow with the input's nesting
    /// (the open containers are counted in a fixed array, then in a vector,
    /// of at most `depth` entries), so hostile input cannot exhaust a small
    /// thread stack here.
    pub fn skip(&mut self, depth: usize) -> Result<&'a [u8], ReadError> {
        /// Enclosing containers counted without allocating (headers nest
        /// three deep).
        const INLINE: usize = 8;
        let start = self.at;
        // Items still to read in each enclosing container, innermost last:
        // the first `INLINE` in `inline`, any deeper in `deeper`.
        let mut inline = [0u64; INLINE];
        let mut deeper: Vec<u64> = Vec::new();
        let mut open = 0usize;
        // Items still to read at the current level.
        let mut left = 1u64;
        loop {
            if left == 0 {
                if open == 0 {
                    return Ok(&self.bytes[start..self.at]);
                }
                open -= 1;
                left = match inline.get(open) {
                    Some(outer) => *outer,
                    None => deeper.pop().expect("one entry per open container"),
                };
                continue;
            }
            left -= 1;
            let head = self.head()?;
            let children = match head.major {
                MAJOR_BYTES => {
                    self.take(head.arg)?;
                    continue;
                }
                MAJOR_TEXT => {
                    // Only checked here (the text is not needed): ASCII, the
                    // usual case, is checked a word at a time.
                    let at = self.at;
                    let text = self.take(head.arg)?;
                    if !text.is_ascii() {
                        std::str::from_utf8(text)
                            .map_err(|e| ReadError::Utf8(at + e.valid_up_to()))?;
                    }
                    continue;
                }
                MAJOR_ARRAY => head.arg,
                MAJOR_MAP => head.arg.checked_mul(2).ok_or(ReadError::End)?,
                MAJOR_TAG => 1,
                _ => continue,
            };
            if open >= depth {
                return Err(ReadError::TooDeep);
            }
            match inline.get_mut(open) {
                Some(slot) => *slot = left,
                None => deeper.push(left),
            }
            open += 1;
            left = children;
        }
    }
}

/// The CBOR type of the item starting with byte `first`, in words.
pub(crate) fn item_type_name(first: u8) -> &'static str {
    match (first >> 5, first & 0x1f) {
        (MAJOR_UNSIGNED, _) => "an unsigned integer",
        (MAJOR_NEGATIVE, _) => "a negative integer",
        (MAJOR_BYTES, _) => "a byte string",
        (MAJOR_TEXT, _) => "a text string",
        (MAJOR_ARRAY, _) => "an array",
        (MAJOR_MAP, _) => "a map",
        (MAJOR_TAG, _) => "a tag",
        (_, 25..=27) => "a float",
        _ => "a simple value",
    }
}

fn major_name(major: u8) -> &'static str {
    match major {
        MAJOR_UNSIGNED => "an unsigned integer",
        MAJOR_BYTES => "a byte string",
        MAJOR_ARRAY => "an array",
        _ => "another CBOR type",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_are_ordered_like_a_sort_at_every_size() {
        // 0 to 40 entries (the stack path and the vector path), keys of
        // mixed lengths whose bytewise order is not their CBOR order.
        for size in 0..=40 {
            let map: BTreeMap<String, usize> = (0..size)
                .map(|i| ("z".repeat(i % 5 + 1) + &"a".repeat(i / 5), i))
                .collect();
            let expected = in_cbor_order(map.iter().collect(), |(key, _)| key.as_bytes());
            let ordered = cbor_ordered(&map);
            assert_eq!(ordered.len(), map.len());
            assert_eq!(ordered.collect::<Vec<_>>(), expected, "{size} entries");
        }
    }

    #[test]
    fn heads_round_trip_in_shortest_form() {
        for value in [
            0u64,
            23,
            24,
            255,
            256,
            65535,
            65536,
            u32::MAX as u64,
            u32::MAX as u64 + 1,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            write_head(&mut out, MAJOR_BYTES, value);
            assert_eq!(out.len(), head_len(value));
            assert_eq!(
                read_head(&out, MAJOR_BYTES, "t").unwrap(),
                Some((value, out.len()))
            );
            assert_eq!(
                read_head(&out[..out.len() - 1], MAJOR_BYTES, "t").unwrap(),
                None
            );
        }
    }

    #[test]
    fn non_shortest_and_indefinite_heads_are_rejected() {
        assert_eq!(
            read_head(&[0x58, 0x05], MAJOR_BYTES, "header").unwrap_err(),
            FormatError::NotDeterministic("header".into())
        );
        assert!(read_head(&[0x5f], MAJOR_BYTES, "header").is_err());
        assert!(read_head(&[0x5c], MAJOR_BYTES, "header").is_err());
        let err = read_head(&[0x80], MAJOR_BYTES, "header").unwrap_err();
        assert_eq!(
            err.to_string(),
            "header: expected a byte string, found CBOR major type 4"
        );
    }

    #[test]
    fn the_cursor_checks_items_and_bounds_nesting() {
        // [[1]]: two levels.
        let nested = [0x81, 0x81, 0x01];
        assert_eq!(Cursor::new(&nested).skip(2), Ok(&nested[..]));
        assert_eq!(Cursor::new(&nested).skip(1), Err(ReadError::TooDeep));
        // 100 000 nested arrays: refused without exhausting the stack.
        let hostile = vec![0x81u8; 100_000];
        assert_eq!(Cursor::new(&hostile).skip(64), Err(ReadError::TooDeep));
        // Empty containers still count as a level; siblings do not add up.
        assert_eq!(Cursor::new(&[0x80]).skip(0), Err(ReadError::TooDeep));
        let siblings = [0x83, 0x81, 0x00, 0x80, 0xa1, 0x00, 0x00];
        assert_eq!(Cursor::new(&siblings).skip(2), Ok(&siblings[..]));
        assert_eq!(Cursor::new(&siblings).skip(1), Err(ReadError::TooDeep));
        // A tag counts as a level.
        assert_eq!(
            Cursor::new(&[0xc1, 0x81, 0x00]).skip(1),
            Err(ReadError::TooDeep)
        );
        assert_eq!(
            Cursor::new(&[0xc1, 0x81, 0x00]).skip(2),
            Ok(&[0xc1, 0x81, 0x00][..])
        );
        assert_eq!(
            Cursor::new(&[0x9f, 0xff]).skip(4),
            Err(ReadError::Indefinite(0))
        );
        assert_eq!(Cursor::new(&[0x82, 0x01]).skip(4), Err(ReadError::End));
        assert_eq!(
            Cursor::new(&[0x62, 0xff, 0xfe]).skip(4),
            Err(ReadError::Utf8(1))
        );
        assert_eq!(Cursor::new(&[0x1c]).skip(4), Err(ReadError::Syntax(0)));
        assert_eq!(Cursor::new(&[0xff]).skip(4), Err(ReadError::Syntax(0)));
        // A huge declared length is an error, not an allocation.
        let huge = [0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(Cursor::new(&huge).skip(4), Err(ReadError::End));
    }

    #[test]
    fn skip_checks_text_as_text_does_ascii_or_not() {
        // [text, ""], the text after the array head and its own head:
        // ASCII (checked word-wise), valid non-ASCII, invalid at
        // several places, short and long.
        let texts: [Vec<u8>; 7] = [
            b"plain ascii text, longer than a word".to_vec(),
            "caf\u{e9} \u{1f600}".as_bytes().to_vec(),
            vec![b'a', 0xff],
            [
                b"long ascii prefix ".as_slice(),
                &[0xc3, 0x28],
                b" and more",
            ]
            .concat(),
            vec![0xe2, 0x82],
            vec![0x80],
            Vec::new(),
        ];
        for text in texts {
            let mut item = vec![0x82];
            write_head(&mut item, MAJOR_TEXT, text.len() as u64);
            item.extend_from_slice(&text);
            item.push(0x60);
            let start = item.len() - text.len() - 1;
            let expected = Cursor::new(&text).text(text.len() as u64);
            let skipped = Cursor::new(&item).skip(4);
            match expected {
                Ok(_) => assert_eq!(skipped, Ok(&item[..]), "{text:?}"),
                Err(ReadError::Utf8(at)) => {
                    let at = at + start;
                    assert_eq!(skipped, Err(ReadError::Utf8(at)), "{text:?}");
                }
                Err(other) => unreachable!("{other:?}"),
            }
        }
    }

    #[test]
    fn the_cursor_resumes_each_container_at_any_depth() {
        // [[[...[0, 0]..., 0], 0], 0] twelve deep (past the counts kept
        // without allocating), then a byte after the item: each container's
        // second item is read after its first closes.
        for depth in [1, 7, 8, 9, 12, 20] {
            let mut item = vec![0x00];
            for _ in 0..depth {
                item.insert(0, 0x82);
                item.push(0x00);
            }
            let mut input = item.clone();
            input.push(0x07);
            let mut cursor = Cursor::new(&input);
            assert_eq!(cursor.skip(depth), Ok(&item[..]), "depth {depth}");
            assert_eq!(cursor.rest(), [0x07]);
            assert_eq!(Cursor::new(&input).skip(depth - 1), Err(ReadError::TooDeep));
        }
    }

    #[test]
    fn context_is_written_in_deterministic_order() {
        let mut context = EncryptionContext::new();
        context.insert("bb".into(), "2".into());
        context.insert("c".into(), "1".into());
        let mut out = Vec::new();
        write_context(&mut out, &context);
        assert_eq!(out.len(), context_len(&context));
        assert_eq!(hex::encode(out), "a26163613162626261 32".replace(' ', ""));
    }
}
