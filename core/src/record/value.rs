//! DynamoDB attribute values and their one canonical CBOR encoding.
//!
//! Every value is encoded as a CBOR array `[type code, content]` (the
//! "value encoding"); the content alone (the "content encoding") is what an
//! encrypted attribute encrypts. All of it is deterministic CBOR (RFC 8949
//! §4.2.1): shortest heads, definite lengths, map keys and set elements sorted
//! by their encoded bytes (for text and byte strings: shorter first, then
//! bytewise), no duplicates. Sets must not be empty or hold duplicates, as
//! DynamoDB refuses both. The table is in `docs/FORMAT.md`, part "Records".

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::format::cbor::{
    cbor_ordered, head_len, in_cbor_order, string_len, write_head, CborOrdered, Cursor, ReadError,
};
pub(crate) use crate::format::cbor::{write_bytes, write_text};

use zeroize::{Zeroize, Zeroizing};

use super::number::Number;

/// A DynamoDB item: attribute name -> value.
pub type Item = BTreeMap<String, AttributeValue>;

/// One DynamoDB `AttributeValue`.
///
/// Equality treats `SS`, `NS` and `BS` as sets: element order does not matter.
#[derive(Debug, Clone)]
pub enum AttributeValue {
    /// `S`: a string.
    S(String),
    /// `N`: a number, held in canonical form.
    N(Number),
    /// `B`: binary.
    B(Vec<u8>),
    /// `BOOL`.
    Bool(bool),
    /// `NULL` (always `true` in DynamoDB JSON).
    Null,
    /// `L`: a list of values.
    L(Vec<AttributeValue>),
    /// `M`: a map of name -> value.
    M(BTreeMap<String, AttributeValue>),
    /// `SS`: a non-empty set of strings without duplicates.
    Ss(Vec<String>),
    /// `NS`: a non-empty set of numbers without duplicates.
    Ns(Vec<Number>),
    /// `BS`: a non-empty set of binaries without duplicates.
    Bs(Vec<Vec<u8>>),
}

impl Zeroize for AttributeValue {
    /// Wipes every string and byte string the value holds, nested values and
    /// map keys included (an encrypted `M` hides its keys too), leaving empty
    /// containers. Recurses as deep as the value, as dropping it does.
    fn zeroize(&mut self) {
        match self {
            AttributeValue::S(text) => text.zeroize(),
            AttributeValue::N(number) => number.zeroize(),
            AttributeValue::B(bytes) => bytes.zeroize(),
            AttributeValue::Bool(value) => *value = false,
            AttributeValue::Null => {}
            AttributeValue::L(values) => values.zeroize(),
            AttributeValue::M(map) => zeroize_item(map),
            AttributeValue::Ss(set) => set.zeroize(),
            AttributeValue::Ns(set) => set.zeroize(),
            AttributeValue::Bs(set) => set.zeroize(),
        }
    }
}

/// Wipes an item before it is dropped: every attribute name and every string
/// and byte string of its values ([`AttributeValue::zeroize`]), leaving it
/// empty. For a decrypted item whose plaintext has been copied where it is
/// needed (the bindings do this after handing it to their host), so that no
/// freed block holds it.
pub fn zeroize_item(item: &mut Item) {
    for (mut name, mut value) in std::mem::take(item) {
        name.zeroize();
        value.zeroize();
    }
}

impl PartialEq for AttributeValue {
    fn eq(&self, other: &Self) -> bool {
        use AttributeValue as V;
        match (self, other) {
            (V::S(a), V::S(b)) => a == b,
            (V::N(a), V::N(b)) => a == b,
            (V::B(a), V::B(b)) => a == b,
            (V::Bool(a), V::Bool(b)) => a == b,
            (V::Null, V::Null) => true,
            (V::L(a), V::L(b)) => a == b,
            (V::M(a), V::M(b)) => a == b,
            (V::Ss(a), V::Ss(b)) => {
                canonical_order(a.iter().map(|s| s.as_bytes()))
                    == canonical_order(b.iter().map(|s| s.as_bytes()))
            }
            (V::Ns(a), V::Ns(b)) => {
                canonical_order(a.iter().map(|n| n.as_str().as_bytes()))
                    == canonical_order(b.iter().map(|n| n.as_str().as_bytes()))
            }
            (V::Bs(a), V::Bs(b)) => {
                canonical_order(a.iter().map(|b| b.as_slice()))
                    == canonical_order(b.iter().map(|b| b.as_slice()))
            }
            _ => false,
        }
    }
}

impl Eq for AttributeValue {}

/// Set elements in their canonical (encoding) order.
pub(crate) fn canonical_order<'a>(elements: impl Iterator<Item = &'a [u8]>) -> Vec<&'a [u8]> {
    in_cbor_order(elements.collect(), |element| element)
}

use crate::format::cbor::{
    MAJOR_ARRAY, MAJOR_BYTES, MAJOR_MAP, MAJOR_TEXT, MAJOR_UNSIGNED as MAJOR_UINT,
};

/// The type codes of the value encoding, in the order `S N B BOOL NULL L M SS NS BS`.
pub const TYPE_NAMES: [&str; 10] = ["S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"];

/// The type name for a type code (1..=10), if known.
pub fn type_name(code: u8) -> Option<&'static str> {
    TYPE_NAMES.get(usize::from(code).wrapping_sub(1)).copied()
}

/// Orders text or byte strings as deterministic CBOR orders their encodings:
/// shorter first, then bytewise.
pub fn cbor_order(a: &[u8], b: &[u8]) -> Ordering {
    crate::format::cbor::cbor_order(a, b)
}

impl AttributeValue {
    /// The type code (`S` = 1 … `BS` = 10).
    pub fn type_code(&self) -> u8 {
        match self {
            AttributeValue::S(_) => 1,
            AttributeValue::N(_) => 2,
            AttributeValue::B(_) => 3,
            AttributeValue::Bool(_) => 4,
            AttributeValue::Null => 5,
            AttributeValue::L(_) => 6,
            AttributeValue::M(_) => 7,
            AttributeValue::Ss(_) => 8,
            AttributeValue::Ns(_) => 9,
            AttributeValue::Bs(_) => 10,
        }
    }

    /// The DynamoDB type name: `S`, `N`, `B`, `BOOL`, `NULL`, `L`, `M`, `SS`, `NS`, `BS`.
    pub fn type_name(&self) -> &'static str {
        TYPE_NAMES[usize::from(self.type_code()) - 1]
    }

    /// Nesting depth of `L` and `M`: 0 for a scalar or set, 1 for a list or
    /// map of scalars, and so on. Stops counting (returns `limit + 1`) past
    /// `limit`, so a hostile value cannot exhaust the stack here.
    pub fn depth(&self, limit: usize) -> usize {
        fn go(v: &AttributeValue, remaining: usize) -> usize {
            let children: Box<dyn Iterator<Item = &AttributeValue>> = match v {
                AttributeValue::L(items) => Box::new(items.iter()),
                AttributeValue::M(map) => Box::new(map.values()),
                _ => return 0,
            };
            if remaining == 0 {
                return 1;
            }
            1 + children.map(|c| go(c, remaining - 1)).max().unwrap_or(0)
        }
        go(self, limit)
    }

    /// Checks the rules DynamoDB enforces that the type does not: sets are
    /// non-empty and hold no duplicates, at any depth. The error is
    /// `(path below this value, problem)`; the path is empty at the top.
    pub fn check(&self) -> Result<(), (String, String)> {
        match self {
            AttributeValue::L(items) => {
                for (i, item) in items.iter().enumerate() {
                    item.check().map_err(|(p, e)| (format!("[{i}]{p}"), e))?;
                }
            }
            AttributeValue::M(map) => {
                for (key, item) in map {
                    item.check()
                        .map_err(|(p, e)| (format!("[{key:?}]{p}"), e))?;
                }
            }
            AttributeValue::Ss(set) => check_set(self, set.iter().map(|s| s.as_bytes()))?,
            AttributeValue::Ns(set) => check_set(self, set.iter().map(|n| n.as_str().as_bytes()))?,
            AttributeValue::Bs(set) => check_set(self, set.iter().map(|b| b.as_slice()))?,
            _ => {}
        }
        Ok(())
    }

    /// Appends the value encoding `[type code, content]`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        write_head(out, MAJOR_ARRAY, 2);
        write_head(out, MAJOR_UINT, u64::from(self.type_code()));
        self.encode_content_into(out);
    }

    /// The value encoding `[type code, content]`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }

    /// The content encoding alone (what an encrypted attribute encrypts).
    pub fn encode_content(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.content_len());
        self.encode_content_into(&mut out);
        out
    }

    /// Length of the value encoding (exact for a value that passes
    /// [`check`](Self::check); more when a set holds duplicates).
    pub fn encoded_len(&self) -> usize {
        // The array head and the type code are one byte each.
        2 + self.content_len()
    }

    /// Length of the content encoding (exact for a value that passes
    /// [`check`](Self::check); more when a set holds duplicates).
    pub fn content_len(&self) -> usize {
        fn set_len<'a>(elements: impl ExactSizeIterator<Item = &'a [u8]>) -> usize {
            head_len(elements.len() as u64) + elements.map(|e| string_len(e.len())).sum::<usize>()
        }
        match self {
            AttributeValue::S(s) => string_len(s.len()),
            AttributeValue::N(n) => string_len(n.as_str().len()),
            AttributeValue::B(b) => string_len(b.len()),
            AttributeValue::Bool(_) | AttributeValue::Null => 1,
            AttributeValue::L(items) => {
                head_len(items.len() as u64) + items.iter().map(Self::encoded_len).sum::<usize>()
            }
            AttributeValue::M(map) => {
                head_len(map.len() as u64)
                    + map
                        .iter()
                        .map(|(k, v)| string_len(k.len()) + v.encoded_len())
                        .sum::<usize>()
            }
            AttributeValue::Ss(set) => set_len(set.iter().map(|s| s.as_bytes())),
            AttributeValue::Ns(set) => set_len(set.iter().map(|n| n.as_str().as_bytes())),
            AttributeValue::Bs(set) => set_len(set.iter().map(|b| b.as_slice())),
        }
    }

    /// Appends the content encoding.
    pub fn encode_content_into(&self, out: &mut Vec<u8>) {
        match self {
            AttributeValue::S(s) => write_text(out, s),
            AttributeValue::N(n) => write_text(out, n.as_str()),
            AttributeValue::B(b) => write_bytes(out, b),
            AttributeValue::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
            AttributeValue::Null => out.push(0xf6),
            AttributeValue::L(items) => {
                write_head(out, MAJOR_ARRAY, items.len() as u64);
                for item in items {
                    item.encode_into(out);
                }
            }
            AttributeValue::M(map) => {
                write_head(out, MAJOR_MAP, map.len() as u64);
                // Sorted in a vector, not on the stack as `sorted_entries`
                // does: this recursion must stay light on small stacks.
                let sorted = in_cbor_order(map.iter().collect(), |(key, _)| key.as_bytes());
                for (key, item) in sorted {
                    write_text(out, key);
                    item.encode_into(out);
                }
            }
            AttributeValue::Ss(set) => {
                write_sorted(out, set.iter().map(|s| s.as_bytes()), MAJOR_TEXT)
            }
            AttributeValue::Ns(set) => {
                write_sorted(out, set.iter().map(|n| n.as_str().as_bytes()), MAJOR_TEXT)
            }
            AttributeValue::Bs(set) => {
                write_sorted(out, set.iter().map(|b| b.as_slice()), MAJOR_BYTES)
            }
        }
    }

    /// Decodes a content encoding of type `code`, strictly: well-formed,
    /// deterministic, nothing after it, sets valid, `L`/`M` nesting at most
    /// `max_depth` (checked while reading). The error is a short problem text.
    pub fn decode_content(code: u8, bytes: &[u8], max_depth: usize) -> Result<Self, String> {
        if type_name(code).is_none() {
            return Err(format!("unknown type code {code}"));
        }
        let mut cursor = Cursor::new(bytes);
        let decoded = read_content(&mut cursor, code, max_depth).map_err(|problem| {
            if problem == TOO_DEEP {
                format!("nested deeper than {max_depth} levels")
            } else {
                problem
            }
        })?;
        if !cursor.rest().is_empty() {
            return Err(format!("{} byte(s) after the value", cursor.rest().len()));
        }
        // Every other non-deterministic form (non-shortest heads, unsorted
        // keys or set elements, a number not in canonical form) re-encodes
        // differently. A value refused here is wiped: it may be plaintext.
        let refused = match decoded.check() {
            Err((path, problem)) => Some(format!("{path} {problem}")),
            Ok(()) if !decoded.content_is(bytes) => Some(NOT_DETERMINISTIC.to_string()),
            Ok(()) => None,
        };
        match refused {
            Some(problem) => {
                let mut decoded = decoded;
                decoded.zeroize();
                Err(problem)
            }
            None => Ok(decoded),
        }
    }

    /// [`decode_content`](Self::decode_content) of an `S` or `B` content
    /// held in `buffer[start..end]`, made from `buffer` itself (the content
    /// moved to its front, no new allocation): the decrypted buffer becomes
    /// the value. `None`, with `buffer` untouched, for any other type or
    /// unless the content is a deterministic string encoding of that type
    /// (and UTF-8 for `S`): [`decode_content`](Self::decode_content) then
    /// decodes or names the problem, as it always did. The bytes left in the
    /// buffer's spare capacity (the end of the content and whatever followed
    /// it) are zeroed.
    pub(crate) fn take_string_content(
        code: u8,
        buffer: &mut Vec<u8>,
        start: usize,
        end: usize,
    ) -> Option<AttributeValue> {
        let major = match code {
            1 => MAJOR_TEXT,
            3 => MAJOR_BYTES,
            _ => return None,
        };
        let content = buffer.get(start..end)?;
        let mut cursor = Cursor::new(content);
        let head = cursor.head().ok()?;
        let offset = content.len() - cursor.rest().len();
        let payload = cursor.rest();
        if !is_string_encoding(content, major, payload)
            || (major == MAJOR_TEXT && std::str::from_utf8(payload).is_err())
        {
            return None;
        }
        debug_assert_eq!(head.arg as usize, payload.len());
        buffer.truncate(end);
        buffer.drain(..start + offset);
        buffer.spare_capacity_mut().zeroize();
        let bytes = std::mem::take(buffer);
        Some(if major == MAJOR_TEXT {
            AttributeValue::S(String::from_utf8(bytes).expect("checked UTF-8 above"))
        } else {
            AttributeValue::B(bytes)
        })
    }

    /// Whether `bytes` are exactly this value's content encoding: compared
    /// in place for a string, number or binary, by re-encoding otherwise.
    fn content_is(&self, bytes: &[u8]) -> bool {
        let (major, payload) = match self {
            AttributeValue::S(s) => (MAJOR_TEXT, s.as_bytes()),
            AttributeValue::N(n) => (MAJOR_TEXT, n.as_str().as_bytes()),
            AttributeValue::B(b) => (MAJOR_BYTES, b.as_slice()),
            _ => {
                // Of the exact size (no growth leaves a copy behind), and
                // wiped: it is plaintext when the value was decrypted.
                let mut encoded = Zeroizing::new(Vec::with_capacity(self.content_len()));
                self.encode_content_into(&mut encoded);
                return encoded.as_slice() == bytes;
            }
        };
        is_string_encoding(bytes, major, payload)
    }
}

/// Whether `bytes` are exactly the deterministic encoding of a string of
/// type `major` holding `payload`: the shortest head (read by the one head
/// reader), then the payload.
fn is_string_encoding(bytes: &[u8], major: u8, payload: &[u8]) -> bool {
    let mut cursor = Cursor::new(bytes);
    let Ok(head) = cursor.head() else {
        return false;
    };
    let head_bytes = bytes.len() - cursor.rest().len();
    head.major == major
        && head_bytes == head_len(head.arg)
        && head.arg == payload.len() as u64
        && cursor.rest() == payload
}

const NOT_DETERMINISTIC: &str = "not deterministically encoded CBOR";
/// Stands for "nested deeper than {max_depth} levels" while reading.
const TOO_DEEP: &str = "nested too deeply";

/// A CBOR reading problem, in words.
fn read_problem(error: ReadError) -> String {
    match error {
        ReadError::End => "not valid CBOR (ends early)".to_string(),
        // An indefinite length is well formed, but never deterministic.
        ReadError::Indefinite(_) => NOT_DETERMINISTIC.to_string(),
        _ => "not valid CBOR".to_string(),
    }
}

/// What [`read_one`] read.
enum One {
    /// A whole value.
    Value(AttributeValue),
    /// The head of an `L` of `len` items (`capacity`: what to reserve).
    List { len: u64, capacity: usize },
    /// The head of an `M` of `len` entries.
    Map { len: u64 },
}

/// An `L` or `M` being read, with the number of items still to read.
enum Open {
    List {
        items: Vec<AttributeValue>,
        left: u64,
    },
    Map {
        map: BTreeMap<String, AttributeValue>,
        left: u64,
        key: String,
    },
}

impl Open {
    fn left(&self) -> u64 {
        match self {
            Open::List { left, .. } | Open::Map { left, .. } => *left,
        }
    }

    /// Adds the item just read.
    fn push(&mut self, value: AttributeValue) -> Result<(), String> {
        match self {
            Open::List { items, left } => {
                items.push(value);
                *left -= 1;
            }
            Open::Map { map, left, key } => {
                if map.insert(std::mem::take(key), value).is_some() {
                    return Err("an M value has a duplicate key".to_string());
                }
                *left -= 1;
            }
        }
        Ok(())
    }

    fn finish(self) -> AttributeValue {
        match self {
            Open::List { items, .. } => AttributeValue::L(items),
            Open::Map { map, .. } => AttributeValue::M(map),
        }
    }
}

/// Reads the content of a value of type `code`, allowing `max_depth` levels
/// of `L`/`M` (this one included).
///
/// Iterative: the `L` and `M` being read are kept in a vector of at most
/// `max_depth` entries, not on the call stack, so a deep value cannot
/// exhaust a small thread stack (a debug build spends kilobytes per level
/// of a recursive reader).
fn read_content(
    cursor: &mut Cursor<'_>,
    code: u8,
    max_depth: usize,
) -> Result<AttributeValue, String> {
    let mut open: Vec<Open> = Vec::new();
    let mut code = code;
    loop {
        let mut done = match read_one(cursor, code)? {
            One::Value(value) => Some(value),
            One::List { .. } | One::Map { .. } if open.len() >= max_depth => {
                return Err(TOO_DEEP.to_string());
            }
            One::List { len, capacity } => {
                open.push(Open::List {
                    items: Vec::with_capacity(capacity),
                    left: len,
                });
                None
            }
            One::Map { len } => {
                open.push(Open::Map {
                    map: BTreeMap::new(),
                    left: len,
                    key: String::new(),
                });
                None
            }
        };
        // Hand the value up, closing every container it completes.
        loop {
            let Some(top) = open.last_mut() else {
                return Ok(done.expect("a value was read or a container closed"));
            };
            if let Some(value) = done.take() {
                top.push(value)?;
            }
            if top.left() > 0 {
                break;
            }
            done = open.pop().map(Open::finish);
        }
        // The next item of the innermost open container: its key (in an
        // `M`), then its `[type, content]` head.
        let top = open.last_mut().expect("an open container");
        if let Open::Map { key, .. } = top {
            let head = cursor.head().map_err(read_problem)?;
            if head.major != MAJOR_TEXT {
                return Err("an M key must be text".to_string());
            }
            *key = cursor.text(head.arg).map_err(read_problem)?.to_string();
        }
        code = read_value_head(cursor)?;
    }
}

/// Reads the `[type code, ` part of a value encoding `[type code, content]`.
fn read_value_head(cursor: &mut Cursor<'_>) -> Result<u8, String> {
    let not_value = || "a value must be a [type, content] array".to_string();
    let head = cursor.head().map_err(read_problem)?;
    if head.major != MAJOR_ARRAY || head.arg != 2 {
        return Err(not_value());
    }
    let head = cursor.head().map_err(read_problem)?;
    u8::try_from(head.arg)
        .ok()
        .filter(|c| head.major == MAJOR_UINT && type_name(*c).is_some())
        .ok_or_else(|| "unknown type code in a value".to_string())
}

/// Reads the content of a value of type `code`: a whole scalar or set, or
/// the head of an `L` or `M`, whose items the caller reads.
fn read_one(cursor: &mut Cursor<'_>, code: u8) -> Result<One, String> {
    let name = type_name(code).unwrap_or("?");
    let wrong = || format!("content of a {name} value has the wrong CBOR type");
    let first = cursor.peek().ok_or_else(|| read_problem(ReadError::End))?;
    let head = cursor.head().map_err(read_problem)?;
    // A container holds at most one item per remaining byte.
    let capacity = usize::try_from(head.arg)
        .unwrap_or(usize::MAX)
        .min(cursor.rest().len());
    let number = |text: &str| Number::parse(text).map_err(|e| format!("number {e}"));
    Ok(One::Value(match (code, head.major) {
        (1, MAJOR_TEXT) => AttributeValue::S(cursor.text(head.arg).map_err(read_problem)?.into()),
        (2, MAJOR_TEXT) => AttributeValue::N(number(cursor.text(head.arg).map_err(read_problem)?)?),
        (3, MAJOR_BYTES) => AttributeValue::B(cursor.take(head.arg).map_err(read_problem)?.into()),
        (4, _) if first == 0xf4 || first == 0xf5 => AttributeValue::Bool(first == 0xf5),
        (5, _) if first == 0xf6 => AttributeValue::Null,
        (6, MAJOR_ARRAY) => {
            return Ok(One::List {
                len: head.arg,
                capacity,
            })
        }
        (7, MAJOR_MAP) => return Ok(One::Map { len: head.arg }),
        (8..=10, MAJOR_ARRAY) => {
            let element = |cursor: &mut Cursor<'_>, major: u8| {
                let head = cursor.head().map_err(read_problem)?;
                if head.major == major {
                    Ok(head.arg)
                } else {
                    Err(wrong())
                }
            };
            match code {
                8 => {
                    let mut set = Vec::with_capacity(capacity);
                    for _ in 0..head.arg {
                        let len = element(cursor, MAJOR_TEXT)?;
                        set.push(cursor.text(len).map_err(read_problem)?.to_string());
                    }
                    AttributeValue::Ss(set)
                }
                9 => {
                    let mut set = Vec::with_capacity(capacity);
                    for _ in 0..head.arg {
                        let len = element(cursor, MAJOR_TEXT)?;
                        set.push(number(cursor.text(len).map_err(read_problem)?)?);
                    }
                    AttributeValue::Ns(set)
                }
                _ => {
                    let mut set = Vec::with_capacity(capacity);
                    for _ in 0..head.arg {
                        let len = element(cursor, MAJOR_BYTES)?;
                        set.push(cursor.take(len).map_err(read_problem)?.to_vec());
                    }
                    AttributeValue::Bs(set)
                }
            }
        }
        _ => return Err(wrong()),
    }))
}

fn check_set<'a>(
    value: &AttributeValue,
    elements: impl Iterator<Item = &'a [u8]>,
) -> Result<(), (String, String)> {
    let sorted = canonical_order(elements);
    if sorted.is_empty() {
        return Err((
            String::new(),
            format!(
                "{} set is empty (DynamoDB refuses empty sets)",
                value.type_name()
            ),
        ));
    }
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err((
            String::new(),
            format!(
                "{} set holds duplicates (DynamoDB refuses them)",
                value.type_name()
            ),
        ));
    }
    Ok(())
}

/// Map entries in deterministic CBOR order of their text keys (without
/// allocating for a small map).
pub(crate) fn sorted_entries<V>(map: &BTreeMap<String, V>) -> CborOrdered<'_, V> {
    cbor_ordered(map)
}

fn write_sorted<'a>(out: &mut Vec<u8>, elements: impl Iterator<Item = &'a [u8]>, major: u8) {
    let mut sorted = canonical_order(elements);
    sorted.dedup();
    write_head(out, MAJOR_ARRAY, sorted.len() as u64);
    for element in sorted {
        write_head(out, major, element.len() as u64);
        out.extend_from_slice(element);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    /// `content` behind a one-byte prefix and before a 16-byte suffix, as a
    /// decrypted attribute holds it.
    fn framed(content: &[u8]) -> Vec<u8> {
        let mut buffer = vec![0xee];
        buffer.extend_from_slice(content);
        buffer.extend_from_slice(&[0xdd; 16]);
        buffer
    }

    #[test]
    fn strings_and_binaries_are_taken_in_place_as_decode_content_decodes_them() {
        for len in [0, 1, 23, 24, 255, 256, 65535, 65536] {
            for value in [
                AttributeValue::S("\u{e9}".repeat(len / 2) + &"x".repeat(len % 2)),
                AttributeValue::B(vec![7; len]),
            ] {
                let content = value.encode_content();
                let mut buffer = framed(&content);
                let end = buffer.len() - 16;
                let pointer = buffer.as_ptr();
                let taken =
                    AttributeValue::take_string_content(value.type_code(), &mut buffer, 1, end)
                        .expect("a deterministic string");
                let decoded = AttributeValue::decode_content(value.type_code(), &content, 4);
                assert_eq!(Ok(&taken), decoded.as_ref());
                assert_eq!(taken, value);
                assert!(buffer.is_empty());
                // The value lives in the decrypted buffer: no new allocation.
                let bytes = match &taken {
                    AttributeValue::S(s) => s.as_ptr(),
                    AttributeValue::B(b) => b.as_ptr(),
                    _ => unreachable!(),
                };
                assert_eq!(bytes, pointer);
            }
        }
    }

    #[test]
    fn anything_else_is_left_to_decode_content() {
        let cases: [(u8, &[u8]); 8] = [
            (1, b"\x78\x01a"),    // a non-shortest head
            (1, b"\x62\xff\xfe"), // not UTF-8
            (1, b"\x61a\x00"),    // a byte after the value
            (1, b"\x62a"),        // ends early
            (1, b"\x41a"),        // a byte string for S
            (3, b"\x61a"),        // a text string for B
            (2, b"\x611"),        // N: not taken here
            (4, b"\xf5"),         // BOOL: not taken here
        ];
        for (code, content) in cases {
            let mut buffer = framed(content);
            let before = buffer.clone();
            let end = buffer.len() - 16;
            assert_eq!(
                AttributeValue::take_string_content(code, &mut buffer, 1, end),
                None,
                "{content:?}"
            );
            assert_eq!(buffer, before, "untouched");
        }
        // The ones `decode_content` refuses, it refuses with its own words.
        assert_eq!(
            AttributeValue::decode_content(1, b"\x78\x01a", 4).unwrap_err(),
            NOT_DETERMINISTIC
        );
        // N and BOOL still decode, by `decode_content`.
        assert_eq!(
            AttributeValue::decode_content(2, b"\x611", 4),
            Ok(AttributeValue::N(n("1")))
        );
    }

    #[test]
    fn scalar_encodings() {
        assert_eq!(
            hex::encode(AttributeValue::S("Andy".into()).encode()),
            "820164416e6479"
        );
        assert_eq!(
            hex::encode(AttributeValue::N(n("01.50")).encode()),
            "820263312e35"
        );
        assert_eq!(
            hex::encode(AttributeValue::B(vec![1, 2]).encode()),
            "8203420102"
        );
        assert_eq!(hex::encode(AttributeValue::Bool(true).encode()), "8204f5");
        assert_eq!(hex::encode(AttributeValue::Null.encode()), "8205f6");
    }

    #[test]
    fn maps_and_sets_are_sorted_length_first() {
        let mut map = BTreeMap::new();
        map.insert("bb".to_string(), AttributeValue::Null);
        map.insert("c".to_string(), AttributeValue::Null);
        // "c" (shorter) comes before "bb".
        assert_eq!(
            hex::encode(AttributeValue::M(map).encode()),
            "8207a261638205f6626262 8205f6".replace(' ', "")
        );
        let set = AttributeValue::Ss(vec!["bb".into(), "c".into(), "a".into()]);
        assert_eq!(hex::encode(set.encode()), "82088361616163626262");
        let ns = AttributeValue::Ns(vec![n("10"), n("9"), n("-1")]);
        assert_eq!(hex::encode(ns.encode()), "8209836139622d31623130");
    }

    #[test]
    fn empty_and_duplicate_sets_are_refused() {
        let err = AttributeValue::Ss(vec![]).check().unwrap_err();
        assert_eq!(err.1, "SS set is empty (DynamoDB refuses empty sets)");
        assert!(AttributeValue::Ns(vec![]).check().is_err());
        assert!(AttributeValue::Bs(vec![]).check().is_err());
        let err = AttributeValue::Ns(vec![n("1.0"), n("1")])
            .check()
            .unwrap_err();
        assert_eq!(err.1, "NS set holds duplicates (DynamoDB refuses them)");
        let nested = AttributeValue::L(vec![
            AttributeValue::Null,
            AttributeValue::M([("k".to_string(), AttributeValue::Bs(vec![]))].into()),
        ]);
        assert_eq!(nested.check().unwrap_err().0, "[1][\"k\"]");
    }

    #[test]
    fn content_round_trips_and_is_strict() {
        let value = AttributeValue::M(
            [
                (
                    "list".to_string(),
                    AttributeValue::L(vec![AttributeValue::N(n("-3.25"))]),
                ),
                (
                    "bs".to_string(),
                    AttributeValue::Bs(vec![vec![2], vec![1, 1]]),
                ),
            ]
            .into(),
        );
        let content = value.encode_content();
        assert_eq!(value.content_len(), content.len());
        assert_eq!(value.encoded_len(), value.encode().len());
        assert_eq!(
            AttributeValue::decode_content(7, &content, 32).unwrap(),
            value
        );
        // Trailing bytes, wrong type, unknown type, unsorted keys.
        let mut longer = content.clone();
        longer.push(0);
        assert!(AttributeValue::decode_content(7, &longer, 32).is_err());
        assert!(AttributeValue::decode_content(6, &content, 32).is_err());
        assert!(AttributeValue::decode_content(11, &content, 32).is_err());
        // {"b": NULL, "a": NULL} is not in order.
        let unsorted = hex::decode("a261628205f661618205f6").unwrap();
        assert_eq!(
            AttributeValue::decode_content(7, &unsorted, 32).unwrap_err(),
            "not deterministically encoded CBOR"
        );
        // A number that is not in canonical form.
        let text_number = hex::decode("6430312e35").unwrap(); // "01.5"
        assert_eq!(
            AttributeValue::decode_content(2, &text_number, 32).unwrap_err(),
            "not deterministically encoded CBOR"
        );
    }

    #[test]
    fn strings_decode_only_from_their_shortest_form() {
        // Lengths on each side of every head size.
        for len in [0, 1, 23, 24, 255, 256, 65_535, 65_536] {
            for value in [
                AttributeValue::S("a".repeat(len)),
                AttributeValue::B(vec![7; len]),
            ] {
                let code = value.type_code();
                let content = value.encode_content();
                assert!(value.content_is(&content), "{len}");
                assert_eq!(
                    AttributeValue::decode_content(code, &content, 32).unwrap(),
                    value
                );
                // The same string behind a one-byte-longer (non-shortest) head.
                let head = head_len(len as u64);
                let mut longer = Vec::new();
                let wider = if head == 1 {
                    24
                } else {
                    25 + (head as u8 - 2).min(2)
                };
                longer.push(content[0] & 0xe0 | wider);
                let size = match wider {
                    24 => 1,
                    25 => 2,
                    26 => 4,
                    _ => 8,
                };
                longer.extend_from_slice(&(len as u64).to_be_bytes()[8 - size..]);
                longer.extend_from_slice(&content[head..]);
                assert_eq!(
                    AttributeValue::decode_content(code, &longer, 32).unwrap_err(),
                    NOT_DETERMINISTIC,
                    "{len}"
                );
            }
        }
        // A number is compared with its canonical text, not only its length.
        assert!(AttributeValue::N(n("100")).content_is(&hex::decode("63313030").unwrap()));
        assert!(!AttributeValue::N(n("100")).content_is(&hex::decode("63316532").unwrap()));
    }

    #[test]
    fn decoding_bounds_nesting() {
        fn nested(levels: usize) -> AttributeValue {
            let mut v = AttributeValue::Null;
            for _ in 0..levels {
                v = AttributeValue::L(vec![v]);
            }
            v
        }
        let ok = nested(32);
        assert_eq!(ok.depth(32), 32);
        assert_eq!(
            AttributeValue::decode_content(6, &ok.encode_content(), 32).unwrap(),
            ok
        );
        let deep = nested(33);
        assert_eq!(deep.depth(32), 33);
        assert!(
            AttributeValue::decode_content(6, &deep.encode_content(), 32)
                .unwrap_err()
                .contains("nested deeper")
        );
        // 100 000 nested arrays: refused without exhausting the stack.
        let hostile = vec![0x81u8; 100_000];
        assert!(AttributeValue::decode_content(6, &hostile, 32).is_err());
    }
}
