//! Core errors to Python exceptions, chosen by [`mrkenv::ErrorKind`] once, here.
//!
//! The exception classes live in `mrkenv/_errors.py` so that they have normal
//! Python constructors and docstrings; this module looks them up by name.

use mrkenv::{Error, ErrorKind};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyList;

const ERRORS_MODULE: &str = "mrkenv._errors";

/// The Python class name for a core error kind.
pub fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidArn => "InvalidArnError",
        ErrorKind::MalformedMessage => "MalformedMessageError",
        ErrorKind::Authentication => "AuthenticationError",
        ErrorKind::NoDecryptableKey => "NoDecryptableKeyError",
        ErrorKind::Keyring => "KeyringError",
        ErrorKind::LimitExceeded => "LimitExceededError",
        ErrorKind::ContextMismatch => "ContextMismatchError",
        ErrorKind::InvalidArgument => "InvalidArgumentError",
    }
}

fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import(ERRORS_MODULE)?.getattr(name)
}

/// A new exception instance of the class for `kind`, with `message`.
pub fn new_exception<'py>(
    py: Python<'py>,
    kind: ErrorKind,
    message: &str,
) -> PyResult<Bound<'py, PyAny>> {
    class(py, class_name(kind))?.call1((message,))
}

/// A `NoDecryptableKeyError` with its message and list of attempts.
pub fn no_decryptable_key<'py>(
    py: Python<'py>,
    message: &str,
    attempts: Vec<(String, Bound<'py, PyAny>)>,
) -> PyResult<Bound<'py, PyAny>> {
    let attempt_class = class(py, "DecryptAttempt")?;
    let list = PyList::empty(py);
    for (key_id, error) in attempts {
        list.append(attempt_class.call1((key_id, error))?)?;
    }
    class(py, "NoDecryptableKeyError")?.call1((message, list))
}

/// Converts a core error into the matching Python exception.
pub fn to_py(py: Python<'_>, error: Error) -> PyErr {
    let made = match error.kind() {
        ErrorKind::NoDecryptableKey => {
            let attempts = error
                .attempts()
                .iter()
                .map(|a| {
                    let e = new_exception(py, ErrorKind::Keyring, &a.to_string())?;
                    Ok((a.key_id.clone(), e))
                })
                .collect::<PyResult<Vec<_>>>();
            attempts.and_then(|a| no_decryptable_key(py, &error.to_string(), a))
        }
        kind => new_exception(py, kind, &error.to_string()),
    };
    match made {
        Ok(instance) => PyErr::from_value(instance),
        Err(e) => {
            let err = PyRuntimeError::new_err(format!(
                "mrkenv: cannot build the exception for {error} (is the mrkenv package intact?)"
            ));
            err.set_cause(py, Some(e));
            err
        }
    }
}

/// Shorthand: `result.map_err(|e| to_py(py, e))`.
pub trait IntoPyResult<T> {
    /// Maps a core error to the Python exception for its kind.
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, e))
    }
}
