//! What happens to each attribute of a record: the four actions, their names
//! and the codes written in the record header.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, RecordError};

/// The action for one attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Encrypt the value and cover the ciphertext by the record tag.
    EncryptAndSign,
    /// Keep the value in the clear and cover it by the record tag.
    SignOnly,
    /// Like [`Action::SignOnly`], and also put the value in the encryption
    /// context, so it reaches KMS (and keyrings, and key policies).
    SignAndIncludeInEncryptionContext,
    /// Keep the value in the clear, unauthenticated: it may change freely.
    DoNothing,
}

impl Action {
    /// Every action, in a fixed order.
    pub const ALL: [Action; 4] = [
        Action::EncryptAndSign,
        Action::SignOnly,
        Action::SignAndIncludeInEncryptionContext,
        Action::DoNothing,
    ];

    /// The stable name: `ENCRYPT_AND_SIGN`, `SIGN_ONLY`,
    /// `SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT` or `DO_NOTHING`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::EncryptAndSign => "ENCRYPT_AND_SIGN",
            Action::SignOnly => "SIGN_ONLY",
            Action::SignAndIncludeInEncryptionContext => "SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT",
            Action::DoNothing => "DO_NOTHING",
        }
    }

    /// Whether the record tag covers the attribute (every action but `DO_NOTHING`).
    pub fn is_signed(self) -> bool {
        self != Action::DoNothing
    }

    /// The code written in the record header (field 6); `None` for
    /// `DO_NOTHING`, which is never written.
    pub fn code(self) -> Option<u8> {
        match self {
            Action::EncryptAndSign => Some(1),
            Action::SignOnly => Some(2),
            Action::SignAndIncludeInEncryptionContext => Some(3),
            Action::DoNothing => None,
        }
    }

    /// The signed action with header code `code` (1, 2 or 3).
    pub fn from_code(code: u64) -> Option<Action> {
        match code {
            1 => Some(Action::EncryptAndSign),
            2 => Some(Action::SignOnly),
            3 => Some(Action::SignAndIncludeInEncryptionContext),
            _ => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = Error;

    /// Parses one of the four names exactly (case-sensitive).
    fn from_str(s: &str) -> Result<Action, Error> {
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| RecordError::UnknownAction(s.chars().take(100).collect()).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_round_trip() {
        for action in Action::ALL {
            assert_eq!(action.as_str().parse::<Action>().unwrap(), action);
            assert_eq!(action.to_string(), action.as_str());
            if let Some(code) = action.code() {
                assert_eq!(Action::from_code(code.into()), Some(action));
            }
        }
        assert_eq!(Action::DoNothing.code(), None);
        assert_eq!(Action::from_code(0), None);
        assert_eq!(Action::from_code(4), None);
    }

    #[test]
    fn unknown_names_are_refused() {
        let err = "encrypt_and_sign".parse::<Action>().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
        assert_eq!(
            err.to_string(),
            "unknown attribute action \"encrypt_and_sign\" (expected ENCRYPT_AND_SIGN, SIGN_ONLY, SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT or DO_NOTHING)"
        );
    }
}
