//! An iterative reader of JSON text into a [`serde_json::Value`], with a
//! nesting bound.
//!
//! `serde_json::from_str` recurses once per array or object level and, in a
//! debug build, spends about two kilobytes of stack per level: thirty levels
//! of hostile input overflow a 64 KiB thread stack, which kills the process
//! whatever catches panics. This reader keeps the open arrays and objects in
//! a vector instead, refuses nesting deeper than its bound as soon as it
//! reaches it, and leaves the leaves (strings with their escapes, numbers)
//! to `serde_json`, which reads them without recursion. What it accepts and
//! builds is what `serde_json::from_str::<Value>` accepts and builds (a
//! repeated object key keeps its last value, as there).

use serde_json::{Map, Value};

/// An array or object being read.
enum Open {
    Array(Vec<Value>),
    /// The object so far, and the key whose value is being read.
    Object(Map<String, Value>, String),
}

/// Reads `text` as one JSON value, with arrays and objects nested at most
/// `max_depth` deep. The error is a short problem text with a byte offset.
pub(crate) fn parse(text: &str, max_depth: usize) -> Result<Value, String> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
    };
    let mut open: Vec<Open> = Vec::new();
    loop {
        // A value: a leaf, an empty container, or the start of a container.
        reader.skip_space();
        let mut value = match reader.bytes.get(reader.at) {
            Some(&c @ (b'[' | b'{')) => {
                if open.len() >= max_depth {
                    return Err(format!(
                        "nested deeper than {max_depth} levels (at byte {})",
                        reader.at
                    ));
                }
                reader.at += 1;
                reader.skip_space();
                let close = if c == b'[' { b']' } else { b'}' };
                if reader.bytes.get(reader.at) == Some(&close) {
                    reader.at += 1;
                    if c == b'[' {
                        Value::Array(Vec::new())
                    } else {
                        Value::Object(Map::new())
                    }
                } else {
                    if c == b'[' {
                        open.push(Open::Array(Vec::new()));
                    } else {
                        let key = reader.key()?;
                        open.push(Open::Object(Map::new(), key));
                    }
                    continue;
                }
            }
            _ => reader.leaf()?,
        };
        // Hand the value to the container it is in, closing each container
        // it completes; stop at a comma (another value follows).
        loop {
            let Some(top) = open.last_mut() else {
                reader.skip_space();
                if reader.at != reader.bytes.len() {
                    return Err(reader.unexpected("after the value"));
                }
                return Ok(value);
            };
            reader.skip_space();
            let next = reader.bytes.get(reader.at).copied();
            match top {
                Open::Array(items) => {
                    items.push(value);
                    match next {
                        Some(b',') => {
                            reader.at += 1;
                            break;
                        }
                        Some(b']') => reader.at += 1,
                        _ => return Err(reader.unexpected("in an array")),
                    }
                }
                Open::Object(map, key) => {
                    map.insert(std::mem::take(key), value);
                    match next {
                        Some(b',') => {
                            reader.at += 1;
                            *key = reader.key()?;
                            break;
                        }
                        Some(b'}') => reader.at += 1,
                        _ => return Err(reader.unexpected("in an object")),
                    }
                }
            }
            value = match open.pop() {
                Some(Open::Array(items)) => Value::Array(items),
                Some(Open::Object(map, _)) => Value::Object(map),
                None => unreachable!("a container is open"),
            };
        }
    }
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn unexpected(&self, place: &str) -> String {
        match self.text[self.at..].chars().next() {
            Some(c) => format!("unexpected {c:?} {place} at byte {}", self.at),
            None => format!("the text ends {place}"),
        }
    }

    /// An object key and its colon.
    fn key(&mut self) -> Result<String, String> {
        self.skip_space();
        if self.bytes.get(self.at) != Some(&b'"') {
            return Err(self.unexpected("where an object key was expected"));
        }
        let Value::String(key) = self.leaf()? else {
            unreachable!("a quoted leaf is a string")
        };
        self.skip_space();
        if self.bytes.get(self.at) != Some(&b':') {
            return Err(self.unexpected("after an object key"));
        }
        self.at += 1;
        Ok(key)
    }

    /// A string, number, `true`, `false` or `null`, read by `serde_json`
    /// from the slice that holds it.
    fn leaf(&mut self) -> Result<Value, String> {
        let start = self.at;
        let end = match self.bytes.get(start) {
            Some(b'"') => {
                let mut i = start + 1;
                loop {
                    match self.bytes.get(i) {
                        Some(b'"') => break i + 1,
                        Some(b'\\') => i += 2,
                        Some(_) => i += 1,
                        None => return Err("the text ends inside a string".to_string()),
                    }
                }
            }
            Some(b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => {
                let mut i = start;
                while let Some(b'-' | b'+' | b'.' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z') =
                    self.bytes.get(i)
                {
                    i += 1;
                }
                i
            }
            _ => return Err(self.unexpected("where a value was expected")),
        };
        // Both ends are ASCII bytes, so char boundaries.
        let value = serde_json::from_str::<Value>(&self.text[start..end])
            .map_err(|e| format!("{e} (in the value at byte {start})"))?;
        self.at = end;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_serde_json_reads() {
        for text in [
            r#"{"a": [1, -2.5e3, "x\"y\\u00e9", true, false, null, {}, []], "b": {"c": {}}}"#,
            "  [ ]  ",
            r#""\ud83d\ude00""#,
            "0",
            r#"{"k": 1, "k": 2}"#,
            "[[[[]]], [{}]]",
        ] {
            let expected: Value = serde_json::from_str(text).unwrap();
            assert_eq!(parse(text, 8).unwrap(), expected, "{text}");
        }
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        for text in [
            "",
            "[",
            "[1,]",
            "[1 2]",
            r#"{"a" 1}"#,
            r#"{"a": 1,}"#,
            r#"{1: 2}"#,
            "tru",
            "01",
            r#""unterminated"#,
            "\"tab\there\"",
            "[1] x",
            "{}}",
        ] {
            assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
            assert!(parse(text, 8).is_err(), "{text}");
        }
    }

    #[test]
    fn bounds_nesting_without_recursion() {
        assert!(parse("[[1]]", 2).is_ok());
        let err = parse("[[[1]]]", 2).unwrap_err();
        assert_eq!(err, "nested deeper than 2 levels (at byte 2)");
        let deep = "[".repeat(1_000_000);
        assert!(parse(&deep, 64)
            .unwrap_err()
            .contains("nested deeper than 64"));
    }
}
