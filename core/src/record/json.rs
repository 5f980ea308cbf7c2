//! DynamoDB JSON: the `AttributeValue` JSON of DynamoDB's API
//! (`{"name": {"S": "Andy"}, "id": {"N": "12"}, "blob": {"B": "AQI="}}`),
//! read strictly and written compactly. `B` and `BS` elements are padded
//! standard base64, numbers are strings and are canonicalised on reading.
//! Set elements are written in their canonical order (that of the CBOR
//! encoding), so one item always gives one text.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use zeroize::Zeroize;

use crate::error::{Error, RecordError};

use super::base64;
use super::json_text;
use super::number::Number;
use super::value::{canonical_order, AttributeValue, Item};

/// Reads an item (a JSON object of attribute name -> AttributeValue JSON).
///
/// ```
/// use mrkenv::record::json::{item_from_dynamodb_json, item_to_dynamodb_json};
///
/// let item = item_from_dynamodb_json(r#"{"employeeId": {"S": "1234"}, "age": {"N": "042"}}"#)?;
/// assert_eq!(item_to_dynamodb_json(&item), r#"{"age":{"N":"42"},"employeeId":{"S":"1234"}}"#);
/// # Ok::<(), mrkenv::Error>(())
/// ```
///
/// The text is read without recursion, and values nested deeper than
/// DynamoDB allows ([`MAX_DEPTH`] levels of `L`/`M`) are refused as they are
/// reached, so hostile input cannot exhaust a small thread stack.
pub fn item_from_dynamodb_json(text: &str) -> Result<Item, Error> {
    // The item object, two JSON levels per `L`/`M` level, then a leaf's
    // object and a set's array.
    let value = json_text::parse(text, 2 * MAX_DEPTH + 3)
        .map_err(|e| RecordError::Json(format!("not valid JSON: {e}")))?;
    let item = item_from_json_value(&value);
    // The parsed tree holds copies of every value (plaintext, on encrypt).
    wipe_json(value);
    item
}

/// Zeroizes every string (keys included) of a JSON value as it drops it,
/// without recursion.
fn wipe_json(value: Value) {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::String(mut text) => text.zeroize(),
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => {
                for (mut key, item) in map {
                    key.zeroize();
                    stack.push(item);
                }
            }
            _ => {}
        }
    }
}

/// Appends the JSON text of `value` (a key, a scalar or a set: two levels
/// at most) to `out`, after making room for it with the old block wiped,
/// so the text (plaintext, on decrypt) is never left in freed memory.
fn write_json(out: &mut Vec<u8>, value: &Value) {
    fn bound(value: &Value) -> usize {
        match value {
            // Each byte escapes to at most 6 (`\u001f`), plus the quotes.
            Value::String(text) => 6 * text.len() + 2,
            Value::Array(items) => 2 + items.iter().map(|v| bound(v) + 1).sum::<usize>(),
            Value::Object(map) => {
                2 + map
                    .iter()
                    .map(|(k, v)| 6 * k.len() + 4 + bound(v))
                    .sum::<usize>()
            }
            _ => 32,
        }
    }
    crate::wipe::reserve(out, bound(value));
    serde_json::to_writer(&mut *out, value).expect("writing JSON to memory cannot fail");
}

/// The deepest nesting of `L` and `M` the JSON readers accept: 32, as
/// DynamoDB.
pub const MAX_DEPTH: usize = 32;

/// Reads an item from an already parsed JSON value (values nested at most
/// [`MAX_DEPTH`] levels, read without recursion).
pub fn item_from_json_value(value: &Value) -> Result<Item, Error> {
    let Value::Object(map) = value else {
        return Err(RecordError::Json("an item must be a JSON object".into()).into());
    };
    let mut item = Item::new();
    for (name, value) in map {
        let attribute =
            value_from_json(value).map_err(|(path, problem)| RecordError::InvalidValue {
                attribute: name.clone(),
                path,
                problem,
            })?;
        item.insert(name.clone(), attribute);
    }
    Ok(item)
}

/// Writes an item as compact DynamoDB JSON, attributes in name order.
///
/// Iterative: the `L` and `M` being written are kept in a vector, not on the
/// call stack (`serde_json`'s writer recurses per level and overflows a
/// small thread stack on a deep value in a debug build); the text is the
/// one `item_to_json_value(item).to_string()` gives. The values it writes
/// (plaintext, after a decrypt) are never left in freed memory: the output
/// grows with its old block wiped, and each value's temporary JSON is
/// wiped once written.
pub fn item_to_dynamodb_json(item: &Item) -> String {
    type Entries<'a> = Box<dyn Iterator<Item = (Option<&'a String>, &'a AttributeValue)> + 'a>;
    /// The items left to write in one object or array, its closing text,
    /// and whether none was written yet.
    struct Open<'a>(Entries<'a>, &'static str, bool);
    // Bytes, grown only through `write`/`write_json`, which wipe the old
    // block when it moves; UTF-8 throughout, as `serde_json` writes it.
    let mut out: Vec<u8> = Vec::new();
    let write = |out: &mut Vec<u8>, text: &str| {
        crate::wipe::reserve(out, text.len());
        out.extend_from_slice(text.as_bytes());
    };
    write(&mut out, "{");
    let mut open = vec![Open(
        Box::new(item.iter().map(|(k, v)| (Some(k), v))) as Entries<'_>,
        "}",
        true,
    )];
    while let Some(Open(entries, close, first)) = open.last_mut() {
        let Some((key, value)) = entries.next() else {
            write(&mut out, close);
            open.pop();
            continue;
        };
        if !std::mem::take(first) {
            write(&mut out, ",");
        }
        if let Some(key) = key {
            write_json(&mut out, &Value::String(key.clone()));
            write(&mut out, ":");
        }
        match value {
            AttributeValue::L(items) => {
                write(&mut out, r#"{"L":["#);
                open.push(Open(Box::new(items.iter().map(|v| (None, v))), "]}", true));
            }
            AttributeValue::M(map) => {
                write(&mut out, r#"{"M":{"#);
                open.push(Open(
                    Box::new(map.iter().map(|(k, v)| (Some(k), v))),
                    "}}",
                    true,
                ));
            }
            // A scalar or set: two JSON levels at most. Its JSON value
            // holds a copy of the plaintext: wiped once written.
            scalar => {
                let json = value_to_json(scalar);
                write_json(&mut out, &json);
                wipe_json(json);
            }
        }
    }
    String::from_utf8(out).expect("serde_json and the literals above write UTF-8")
}

/// Writes an item as a JSON value.
pub fn item_to_json_value(item: &Item) -> Value {
    Value::Object(
        item.iter()
            .map(|(name, value)| (name.clone(), value_to_json(value)))
            .collect(),
    )
}

/// Writes one AttributeValue as JSON, e.g. `{"S": "Andy"}`.
pub fn value_to_json(value: &AttributeValue) -> Value {
    let (tag, inner) = match value {
        AttributeValue::S(s) => ("S", Value::String(s.clone())),
        AttributeValue::N(n) => ("N", Value::String(n.as_str().to_string())),
        AttributeValue::B(b) => ("B", Value::String(base64::encode(b))),
        AttributeValue::Bool(b) => ("BOOL", Value::Bool(*b)),
        AttributeValue::Null => ("NULL", Value::Bool(true)),
        AttributeValue::L(items) => ("L", Value::Array(items.iter().map(value_to_json).collect())),
        AttributeValue::M(map) => (
            "M",
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), value_to_json(v)))
                    .collect(),
            ),
        ),
        AttributeValue::Ss(set) => ("SS", text_set(set.iter().map(|s| s.as_bytes()))),
        AttributeValue::Ns(set) => ("NS", text_set(set.iter().map(|n| n.as_str().as_bytes()))),
        AttributeValue::Bs(set) => (
            "BS",
            Value::Array(
                canonical_order(set.iter().map(|b| b.as_slice()))
                    .into_iter()
                    .map(|b| Value::String(base64::encode(b)))
                    .collect(),
            ),
        ),
    };
    let mut map = Map::new();
    map.insert(tag.to_string(), inner);
    Value::Object(map)
}

fn text_set<'a>(elements: impl Iterator<Item = &'a [u8]>) -> Value {
    Value::Array(
        canonical_order(elements)
            .into_iter()
            .map(|t| Value::String(String::from_utf8_lossy(t).into_owned()))
            .collect(),
    )
}

/// Reads one AttributeValue JSON object. The error is `(path, problem)`.
///
/// Iterative: the `L` and `M` being read are kept in a vector, not on the
/// call stack, and nesting deeper than [`MAX_DEPTH`] is refused.
pub fn value_from_json(value: &Value) -> Result<AttributeValue, (String, String)> {
    let mut open: Vec<OpenJson<'_>> = Vec::new();
    let mut current = value;
    loop {
        let path = |open: &[OpenJson<'_>]| open.iter().map(OpenJson::segment).collect::<String>();
        let mut done = match one_from_json(current).map_err(|e| (path(&open), e))? {
            OneJson::Value(value) => Some(value),
            OneJson::List(_) | OneJson::Map(_) if open.len() >= MAX_DEPTH => {
                return Err((
                    path(&open),
                    format!("nested deeper than {MAX_DEPTH} levels (DynamoDB's limit)"),
                ));
            }
            OneJson::List(items) => {
                open.push(OpenJson::List {
                    items: Vec::with_capacity(items.len()),
                    rest: items.iter().enumerate(),
                    at: 0,
                });
                None
            }
            OneJson::Map(entries) => {
                open.push(OpenJson::Map {
                    map: BTreeMap::new(),
                    rest: entries.iter(),
                    key: None,
                });
                None
            }
        };
        // Hand the value up, closing every container it completes, until
        // one has a next item to read.
        loop {
            let Some(top) = open.last_mut() else {
                return Ok(done.expect("a value was read or a container closed"));
            };
            if let Some(value) = done.take() {
                top.push(value);
            }
            if let Some(next) = top.next() {
                current = next;
                break;
            }
            done = open.pop().map(OpenJson::finish);
        }
    }
}

/// What [`one_from_json`] read.
enum OneJson<'v> {
    /// A whole value.
    Value(AttributeValue),
    /// An `L`'s items, to read.
    List(&'v Vec<Value>),
    /// An `M`'s entries, to read.
    Map(&'v Map<String, Value>),
}

/// An `L` or `M` being read from JSON.
enum OpenJson<'v> {
    List {
        items: Vec<AttributeValue>,
        rest: std::iter::Enumerate<std::slice::Iter<'v, Value>>,
        /// The index of the item being read.
        at: usize,
    },
    Map {
        map: BTreeMap<String, AttributeValue>,
        rest: serde_json::map::Iter<'v>,
        /// The key of the entry being read.
        key: Option<&'v String>,
    },
}

impl<'v> OpenJson<'v> {
    /// The path segment of the item being read: `[3]` or `["name"]`.
    fn segment(&self) -> String {
        match self {
            OpenJson::List { at, .. } => format!("[{at}]"),
            OpenJson::Map { key, .. } => format!("[{:?}]", key.map_or("", |k| k.as_str())),
        }
    }

    fn push(&mut self, value: AttributeValue) {
        match self {
            OpenJson::List { items, .. } => items.push(value),
            OpenJson::Map { map, key, .. } => {
                map.insert(key.map(String::clone).unwrap_or_default(), value);
            }
        }
    }

    /// The next item to read, if any.
    fn next(&mut self) -> Option<&'v Value> {
        match self {
            OpenJson::List { rest, at, .. } => rest.next().map(|(i, item)| {
                *at = i;
                item
            }),
            OpenJson::Map { rest, key, .. } => rest.next().map(|(k, item)| {
                *key = Some(k);
                item
            }),
        }
    }

    fn finish(self) -> AttributeValue {
        match self {
            OpenJson::List { items, .. } => AttributeValue::L(items),
            OpenJson::Map { map, .. } => AttributeValue::M(map),
        }
    }
}

/// Reads one AttributeValue JSON object: a whole scalar or set, or the
/// items of an `L` or `M`, which the caller reads.
fn one_from_json<'v>(value: &'v Value) -> Result<OneJson<'v>, String> {
    let top = |problem: String| problem;
    let Value::Object(map) = value else {
        return Err(top(
            "an AttributeValue must be an object like {\"S\": \"...\"}".into(),
        ));
    };
    let mut entries = map.iter();
    let (Some((tag, inner)), None) = (entries.next(), entries.next()) else {
        return Err(top(format!(
            "an AttributeValue must have exactly one type key, found {}",
            map.len()
        )));
    };
    // Read from the JSON value in place: no temporary copy of a value
    // (which may be plaintext) is made and freed unwiped.
    let text = |v: &'v Value| -> Result<&'v str, String> {
        v.as_str().ok_or_else(|| format!("{tag} must be a string"))
    };
    let string = |v: &'v Value| -> Result<String, String> { text(v).map(str::to_string) };
    let number = |v: &'v Value| -> Result<Number, String> {
        Number::parse(text(v)?).map_err(|e| format!("number {e}"))
    };
    let binary = |v: &'v Value| -> Result<Vec<u8>, String> {
        base64::decode(text(v)?).map_err(|e| format!("{tag} value {e}"))
    };
    let array = |v: &'v Value| -> Result<&'v Vec<Value>, String> {
        v.as_array()
            .ok_or_else(|| format!("{tag} must be an array"))
    };
    let parsed = match tag.as_str() {
        "S" => AttributeValue::S(string(inner).map_err(top)?),
        "N" => AttributeValue::N(number(inner).map_err(top)?),
        "B" => AttributeValue::B(binary(inner).map_err(top)?),
        "BOOL" => AttributeValue::Bool(
            inner
                .as_bool()
                .ok_or_else(|| top("BOOL must be true or false".into()))?,
        ),
        "NULL" => match inner {
            Value::Bool(true) => AttributeValue::Null,
            _ => return Err(top("NULL must be true".into())),
        },
        "L" => {
            let items = inner
                .as_array()
                .ok_or_else(|| top("L must be an array".into()))?;
            return Ok(OneJson::List(items));
        }
        "M" => {
            let entries = inner
                .as_object()
                .ok_or_else(|| top("M must be an object".into()))?;
            return Ok(OneJson::Map(entries));
        }
        "SS" => AttributeValue::Ss(
            array(inner)
                .map_err(top)?
                .iter()
                .map(string)
                .collect::<Result<_, _>>()
                .map_err(top)?,
        ),
        "NS" => AttributeValue::Ns(
            array(inner)
                .map_err(top)?
                .iter()
                .map(number)
                .collect::<Result<_, _>>()
                .map_err(top)?,
        ),
        "BS" => AttributeValue::Bs(
            array(inner)
                .map_err(top)?
                .iter()
                .map(binary)
                .collect::<Result<_, _>>()
                .map_err(top)?,
        ),
        other => return Err(top(format!("unknown AttributeValue type {other:?}"))),
    };
    parsed.check().map_err(|(_, e)| e)?;
    Ok(OneJson::Value(parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips() {
        let text = r#"{"b":{"B":"AQI="},"bool":{"BOOL":false},"bs":{"BS":["AA==","AQ=="]},"l":{"L":[{"N":"1.5"},{"NULL":true}]},"m":{"M":{"k":{"SS":["x","y"]}}},"n":{"N":"-7"},"ns":{"NS":["1","2"]},"s":{"S":"Andy"}}"#;
        let item = item_from_dynamodb_json(text).unwrap();
        assert_eq!(item.len(), 8);
        assert_eq!(item["b"], AttributeValue::B(vec![1, 2]));
        assert_eq!(item_to_dynamodb_json(&item), text);
    }

    #[test]
    fn the_iterative_writer_writes_what_serde_json_writes() {
        let text = r#"{"":{"M":{}},"a\"b\u00e9\n":{"M":{"z":{"L":[]},"\u0001":{"L":[{"L":[{"S":"\t"}]},{"M":{"k":{"NS":["2","10"]}}}]}}},"e":{"L":[]}}"#;
        let item = item_from_dynamodb_json(text).unwrap();
        assert_eq!(
            item_to_dynamodb_json(&item),
            item_to_json_value(&item).to_string()
        );
        assert_eq!(item_to_dynamodb_json(&Item::new()), "{}");
    }

    #[test]
    fn numbers_are_canonicalised() {
        let item = item_from_dynamodb_json(r#"{"n": {"N": "01.50"}}"#).unwrap();
        assert_eq!(item_to_dynamodb_json(&item), r#"{"n":{"N":"1.5"}}"#);
    }

    #[test]
    fn bad_json_is_refused_with_a_clear_error() {
        for (text, message) in [
            ("[]", "DynamoDB JSON: an item must be a JSON object"),
            (r#"{"a": {"S": 1}}"#, "attribute \"a\": S must be a string"),
            (
                r#"{"a": {"S": "x", "N": "1"}}"#,
                "attribute \"a\": an AttributeValue must have exactly one type key, found 2",
            ),
            (
                r#"{"a": {"NULL": false}}"#,
                "attribute \"a\": NULL must be true",
            ),
            (
                r#"{"a": {"X": 1}}"#,
                "attribute \"a\": unknown AttributeValue type \"X\"",
            ),
            (
                r#"{"a": {"N": "1e200"}}"#,
                "attribute \"a\": number is out of range (magnitude above 9.99…E+125)",
            ),
            (
                r#"{"a": {"B": "AQI"}}"#,
                "attribute \"a\": B value is not base64 (length is not a multiple of 4)",
            ),
            (
                r#"{"a": {"SS": []}}"#,
                "attribute \"a\": SS set is empty (DynamoDB refuses empty sets)",
            ),
            (
                r#"{"a": {"NS": ["1", "1.0"]}}"#,
                "attribute \"a\": NS set holds duplicates (DynamoDB refuses them)",
            ),
            (
                r#"{"a": {"L": [{"M": {"k": {"BS": []}}}]}}"#,
                "attribute \"a\"[0][\"k\"]: BS set is empty (DynamoDB refuses empty sets)",
            ),
        ] {
            let err = item_from_dynamodb_json(text).unwrap_err();
            assert_eq!(err.to_string(), message, "{text}");
            assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
        }
        assert!(item_from_dynamodb_json("{").is_err());
    }
}
