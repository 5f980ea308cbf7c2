//! The encryption context: a map of text to text, bound into every message and
//! passed to every KMS call.

use std::collections::BTreeMap;

use crate::error::{ContextError, Error};
use crate::limits::Limits;

/// An encryption context. Ordered, so that its encoding is deterministic.
pub type EncryptionContext = BTreeMap<String, String>;

/// Fails unless the context is within the configured entry and size limits.
pub fn check_context_limits(context: &EncryptionContext, limits: &Limits) -> Result<(), Error> {
    Limits::check(
        "encryption context entries",
        limits.max_context_entries,
        context.len(),
    )?;
    let bytes: usize = context.iter().map(|(k, v)| k.len() + v.len()).sum();
    Limits::check("encryption context bytes", limits.max_context_bytes, bytes)
}

/// Fails unless every `required` pair is present in `context` with an equal
/// value. The error names the first key that is missing or different (never
/// the values, which may be sensitive).
pub fn check_required_context(
    context: &EncryptionContext,
    required: &EncryptionContext,
) -> Result<(), Error> {
    for (key, value) in required {
        match context.get(key) {
            None => return Err(ContextError::Missing(key.clone()).into()),
            Some(found) if found != value => {
                return Err(ContextError::Different(key.clone()).into())
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn required_context_must_be_present_and_equal() {
        let message = ctx(&[("tenant", "a"), ("purpose", "test")]);
        assert!(check_required_context(&message, &ctx(&[("tenant", "a")])).is_ok());
        assert!(check_required_context(&message, &ctx(&[])).is_ok());
        let err = check_required_context(&message, &ctx(&[("tenant", "b")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "encryption context key \"tenant\" has a different value in the message"
        );
        let err = check_required_context(&message, &ctx(&[("region", "x")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "required encryption context key \"region\" is not in the message"
        );
    }

    #[test]
    fn context_limits() {
        let limits = Limits {
            max_context_entries: 1,
            ..Limits::default()
        };
        let err = check_context_limits(&ctx(&[("a", "1"), ("b", "2")]), &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            "encryption context entries: 2 exceeds the limit of 1"
        );
    }
}
