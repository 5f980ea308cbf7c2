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
}
