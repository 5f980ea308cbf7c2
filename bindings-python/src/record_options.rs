//! The options of `encrypt_record` and `decrypt_record` from their
//! arguments, reused from the thread's previous call when the arguments
//! are the same.
//!
//! A program encrypts item after item of one table with the same
//! arguments, and building the options anew (each name of `actions`
//! copied into a map, the table and key names copied) is work every call
//! repeats. Each thread keeps the options of its last call; the next call
//! compares its arguments with them in place (nothing copied, no Python
//! code run) and takes them when the arguments would build equal options.
//! Anything else (another value, a type the build refuses, a mapping that
//! is not a plain dict) is built as it always was, by the same readers, so
//! every error, its message and the order of the checks stay the same.
//!
//! The kept options hold no Python object: dropping them (a thread's end)
//! needs no GIL. A call that runs Python code while it holds its options
//! (a KMS client) and re-enters finds none kept and builds its own.

use std::cell::Cell;

use mrkenv::record::{Action, DecryptRecordOptions, EncryptRecordOptions};
use mrkenv::EncryptionContext;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString};

use crate::args::{bool_arg, context_arg, opt_str_arg, str_arg};
use crate::limits::{limits_arg, Limits};
use crate::record::{configure, text_ref};

thread_local! {
    /// The options of this thread's last `encrypt_record`.
    static LAST_ENCRYPT: Cell<Option<Box<EncryptRecordOptions>>> = const { Cell::new(None) };
    /// The options of this thread's last `decrypt_record`.
    static LAST_DECRYPT: Cell<Option<Box<DecryptRecordOptions>>> = const { Cell::new(None) };
    /// How many calls took the kept options (encrypt, decrypt): read by a
    /// test hook only.
    #[cfg(feature = "testing")]
    static REUSED: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// The option arguments of `encrypt_record`, as given.
pub(crate) struct EncryptArgs<'a, 'py> {
    pub table_name: &'a Bound<'py, PyAny>,
    pub partition_key: &'a Bound<'py, PyAny>,
    pub sort_key: Option<&'a Bound<'py, PyAny>>,
    pub actions: &'a Bound<'py, PyAny>,
    pub default_action: Option<&'a Bound<'py, PyAny>>,
    pub encryption_context: Option<&'a Bound<'py, PyAny>>,
    pub limits: Option<&'a Bound<'py, PyAny>>,
}

impl EncryptArgs<'_, '_> {
    /// The options these arguments make: the thread's last ones when they
    /// are equal, else built (and checked) from the arguments. Give them
    /// back with [`keep_encrypt`] after the call.
    pub(crate) fn options(&self, py: Python<'_>) -> PyResult<Box<EncryptRecordOptions>> {
        if let Some(last) = LAST_ENCRYPT.take() {
            if self.same_as(&last) {
                #[cfg(feature = "testing")]
                REUSED.set((REUSED.get().0 + 1, REUSED.get().1));
                return Ok(last);
            }
        }
        self.build(py).map(Box::new)
    }

    /// The options built from the arguments, every check in its order.
    fn build(&self, py: Python<'_>) -> PyResult<EncryptRecordOptions> {
        let mut options = EncryptRecordOptions::new(
            str_arg(self.table_name, "table_name")?,
            str_arg(self.partition_key, "partition_key")?,
        );
        options.sort_key = opt_str_arg(self.sort_key, "sort_key")?;
        options.limits = limits_arg(self.limits)?;
        configure(
            py,
            &mut options,
            self.actions,
            self.default_action,
            self.encryption_context,
        )?;
        Ok(options)
    }

    /// Whether [`Self::build`] would succeed and make options equal to
    /// `last` (the fields it sets; the others are never changed).
    fn same_as(&self, last: &EncryptRecordOptions) -> bool {
        same_str(self.table_name, &last.table_name)
            && same_str(self.partition_key, &last.partition_key)
            && same_opt_str(self.sort_key, last.sort_key.as_deref())
            && same_limits(self.limits, &last.limits)
            && same_actions(self.actions, last)
            && same_default_action(self.default_action, last.default_action)
            && same_context(self.encryption_context, &last.encryption_context)
    }
}

/// Keeps `options` (from [`EncryptArgs::options`]) for the thread's next
/// `encrypt_record`.
pub(crate) fn keep_encrypt(options: Box<EncryptRecordOptions>) {
    LAST_ENCRYPT.set(Some(options));
}

/// The option arguments of `decrypt_record`, as given.
pub(crate) struct DecryptArgs<'a, 'py> {
    pub table_name: &'a Bound<'py, PyAny>,
    pub partition_key: &'a Bound<'py, PyAny>,
    pub sort_key: Option<&'a Bound<'py, PyAny>>,
    pub encryption_context: Option<&'a Bound<'py, PyAny>>,
    pub allow_plaintext: Option<&'a Bound<'py, PyAny>>,
    pub limits: Option<&'a Bound<'py, PyAny>>,
}

impl DecryptArgs<'_, '_> {
    /// The options these arguments make: the thread's last ones when they
    /// are equal, else built (and checked) from the arguments. Give them
    /// back with [`keep_decrypt`] after the call.
    pub(crate) fn options(&self) -> PyResult<Box<DecryptRecordOptions>> {
        if let Some(last) = LAST_DECRYPT.take() {
            if self.same_as(&last) {
                #[cfg(feature = "testing")]
                REUSED.set((REUSED.get().0, REUSED.get().1 + 1));
                return Ok(last);
            }
        }
        self.build().map(Box::new)
    }

    /// The options built from the arguments, every check in its order.
    fn build(&self) -> PyResult<DecryptRecordOptions> {
        let mut options = DecryptRecordOptions::new(
            str_arg(self.table_name, "table_name")?,
            str_arg(self.partition_key, "partition_key")?,
        );
        options.sort_key = opt_str_arg(self.sort_key, "sort_key")?;
        options.limits = limits_arg(self.limits)?;
        options.required_context = context_arg(self.encryption_context)?;
        options.allow_plaintext = bool_arg(self.allow_plaintext, "allow_plaintext")?;
        Ok(options)
    }

    /// Whether [`Self::build`] would succeed and make options equal to `last`.
    fn same_as(&self, last: &DecryptRecordOptions) -> bool {
        same_str(self.table_name, &last.table_name)
            && same_str(self.partition_key, &last.partition_key)
            && same_opt_str(self.sort_key, last.sort_key.as_deref())
            && same_limits(self.limits, &last.limits)
            && same_context(self.encryption_context, &last.required_context)
            && match self.allow_plaintext {
                None => !last.allow_plaintext,
                Some(v) => v
                    .cast::<PyBool>()
                    .is_ok_and(|b| b.is_true() == last.allow_plaintext),
            }
    }
}

/// Keeps `options` (from [`DecryptArgs::options`]) for the thread's next
/// `decrypt_record`.
pub(crate) fn keep_decrypt(options: Box<DecryptRecordOptions>) {
    LAST_DECRYPT.set(Some(options));
}

/// How many calls on this thread took the kept options: (encrypt, decrypt).
#[cfg(feature = "testing")]
pub(crate) fn reused() -> (u64, u64) {
    REUSED.get()
}

/// `value` is a `str` (as [`str_arg`] takes it) holding `expected`.
fn same_str(value: &Bound<'_, PyAny>, expected: &str) -> bool {
    value
        .cast::<PyString>()
        .is_ok_and(|s| s.to_str().is_ok_and(|s| s == expected))
}

/// [`same_str`] for an optional argument (`None` is `None`, as [`opt_str_arg`]).
fn same_opt_str(value: Option<&Bound<'_, PyAny>>, expected: Option<&str>) -> bool {
    match (value.filter(|v| !v.is_none()), expected) {
        (None, None) => true,
        (Some(v), Some(e)) => same_str(v, e),
        _ => false,
    }
}

/// The limits [`limits_arg`] reads from `value` equal `expected`.
fn same_limits(value: Option<&Bound<'_, PyAny>>, expected: &mrkenv::Limits) -> bool {
    match value.filter(|v| !v.is_none()) {
        None => *expected == mrkenv::Limits::default(),
        Some(v) => v.cast::<Limits>().is_ok_and(|l| l.get().0 == *expected),
    }
}

/// An action name (`str` or `mrkenv.Action`) naming `expected`.
fn same_action(value: &Bound<'_, PyAny>, expected: Action) -> bool {
    matches!(text_ref(value), Some(Ok(name)) if name.parse::<Action>().is_ok_and(|a| a == expected))
}

/// The default action (`None` is none) equals `expected`.
fn same_default_action(value: Option<&Bound<'_, PyAny>>, expected: Option<Action>) -> bool {
    match (value.filter(|v| !v.is_none()), expected) {
        (None, None) => true,
        (Some(v), Some(e)) => same_action(v, e),
        _ => false,
    }
}

/// `actions` is a plain dict (read in place, as [`configure`] reads one)
/// whose entries are exactly `last.actions`: as many, each name a `str`
/// present there with an equal action. (A dict's names are distinct, so
/// equal counts make the maps equal.)
fn same_actions(actions: &Bound<'_, PyAny>, last: &EncryptRecordOptions) -> bool {
    let Ok(dict) = actions.cast_exact::<PyDict>() else {
        return false;
    };
    dict.len() == last.actions.len()
        && dict.iter().all(|(name, action)| {
            matches!(text_ref(&name), Some(Ok(name))
                if last.actions.get(name).is_some_and(|&a| same_action(&action, a)))
        })
}

/// The context [`context_arg`] reads from `value` equals `expected`: `None`
/// for an empty one, else a plain dict of `str` to `str` with exactly its
/// entries.
fn same_context(value: Option<&Bound<'_, PyAny>>, expected: &EncryptionContext) -> bool {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return expected.is_empty();
    };
    let Ok(dict) = value.cast_exact::<PyDict>() else {
        return false;
    };
    dict.len() == expected.len()
        && dict.iter().all(
            |(k, v)| match (k.cast::<PyString>(), v.cast::<PyString>()) {
                (Ok(k), Ok(v)) => match (k.to_str(), v.to_str()) {
                    (Ok(k), Ok(v)) => expected.get(k).is_some_and(|e| e == v),
                    _ => false,
                },
                _ => false,
            },
        )
}
