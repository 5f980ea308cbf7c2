//! Recognises binary input that arrived as text: a message (or record
//! header) that was base64- or hex-encoded and not decoded, the most common
//! first-contact mistake. Used only once the bytes have already failed the
//! format's first check, to add a hint to the error.

/// How many leading bytes are looked at.
const WINDOW: usize = 64;
/// Fewer bytes than this are too few to tell.
const MIN_LEN: usize = 4;

/// `Some("hex")` or `Some("base64")` when the first bytes of `input` are all
/// characters of that text encoding (line breaks and spaces allowed), else
/// `None`. Hex is checked first: every hex text is also base64 text.
pub fn looks_like_text(input: &[u8]) -> Option<&'static str> {
    let window = &input[..input.len().min(WINDOW)];
    let significant = window.iter().filter(|b| !b.is_ascii_whitespace()).count();
    if significant < MIN_LEN {
        return None;
    }
    let all =
        |allowed: fn(&u8) -> bool| window.iter().all(|b| b.is_ascii_whitespace() || allowed(b));
    if all(u8::is_ascii_hexdigit) {
        Some("hex")
    } else if all(|b| b.is_ascii_alphanumeric() || b"+/=-_".contains(b)) {
        Some("base64")
    } else {
        None
    }
}

/// `Some("hex")` or `Some("base64")` when the whole of `text` (a string a
/// host was given where bytes belong; surrounding whitespace ignored) is one
/// token of that encoding: at least 8 characters, hex in whole bytes,
/// base64 (standard or URL-safe) with at most two `=` at the end. Stricter
/// than [`looks_like_text`], which looks at a window of bytes that failed
/// the format: a sentence such as `hello world` is not taken for base64.
/// The bindings word their own hint around it (how to decode in that
/// language).
pub fn string_encoding(text: &str) -> Option<&'static str> {
    let token = text.trim().as_bytes();
    if token.len() < 8 {
        return None;
    }
    let body = token
        .strip_suffix(b"==")
        .or_else(|| token.strip_suffix(b"="))
        .unwrap_or(token);
    if token.len() % 2 == 0 && token.iter().all(u8::is_ascii_hexdigit) {
        Some("hex")
    } else if !body.is_empty()
        && body
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+/-_".contains(b))
    {
        Some("base64")
    } else {
        None
    }
}

/// The hint for an error message: `this looks like base64 text; decode it
/// to bytes first`, when [`looks_like_text`] recognises the input.
pub fn hint(input: &[u8]) -> Option<String> {
    looks_like_text(input)
        .map(|kind| format!("this looks like {kind} text; decode it to bytes first"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_base64_and_hex_only() {
        assert_eq!(looks_like_text(b"TVJLRQFY0KcBAQIBA1gg"), Some("base64"));
        assert_eq!(looks_like_text(b"TVJLRQ==\n"), Some("base64"));
        assert_eq!(looks_like_text(b"4d524b450158d0a7"), Some("hex"));
        assert_eq!(looks_like_text(b"4D52 4B45\n0158"), Some("hex"));
        assert_eq!(looks_like_text(b"abc"), None);
        assert_eq!(looks_like_text(b"hello, world"), None);
        assert_eq!(looks_like_text(&[0x00, 0xff, 0x10, 0x20]), None);
        assert_eq!(looks_like_text(b"{\"a\": 1}"), None);
    }

    #[test]
    fn a_string_is_one_encoded_token_or_none() {
        assert_eq!(string_encoding("AYAAFJwWq9zPBCkYr2VB7k9u"), Some("base64"));
        assert_eq!(string_encoding(" TVJLRQFY0KcBAQ== \n"), Some("base64"));
        assert_eq!(string_encoding("0180a1b2c3d4e5f6"), Some("hex"));
        assert_eq!(string_encoding("0180a1b2c3d4e5f"), Some("base64"));
        assert_eq!(string_encoding("hello world"), None);
        assert_eq!(string_encoding("hello, world"), None);
        assert_eq!(string_encoding("abc"), None);
        assert_eq!(string_encoding("TVJL=RQ=="), None);
        assert_eq!(string_encoding("========"), None);
    }
}
