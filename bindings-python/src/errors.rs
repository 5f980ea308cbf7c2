//! Core errors to Python exceptions, chosen by [`mrkenv::ErrorKind`] once, here.
//!
//! The exception classes live in `mrkenv/_errors.py` so that they have normal
//! Python constructors and docstrings; this module looks them up by name.

use mrkenv::session::SessionError;
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

/// Converts a core error into the matching Python exception.
pub fn to_py(py: Python<'_>, error: Error) -> PyErr {
    exception(py, error, &[])
}

/// Converts a driven KMS session's failure, once for encrypt and decrypt.
/// An abort re-raises the host's exception unchanged. Otherwise the exception
/// for the core error's kind is raised with, as `__cause__`, the host error
/// the cause rule picks ([`SessionError::cause`]: the exception of the last
/// call the client failed; a response the core rejected is never the cause).
/// Each `NoDecryptableKeyError` attempt keeps its own client exception.
pub fn session_error(py: Python<'_>, failure: SessionError<PyErr>) -> PyErr {
    let cause = failure.cause().map(|e| e.clone_ref(py));
    match failure {
        SessionError::Aborted(e) => e,
        SessionError::Failed {
            error, host_errors, ..
        } => {
            let err = exception(py, error, &host_errors);
            if cause.is_some() {
                err.set_cause(py, cause);
            }
            err
        }
    }
}

/// The exception for `error`; a `NoDecryptableKeyError` lists every attempt
/// as a `DecryptAttempt` whose error's `__cause__` is the host error of that
/// attempt (by attempt index), if any.
fn exception(py: Python<'_>, error: Error, host_errors: &[(usize, PyErr)]) -> PyErr {
    let made = match error.kind() {
        ErrorKind::NoDecryptableKey => no_decryptable_key(py, &error, host_errors),
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

fn no_decryptable_key<'py>(
    py: Python<'py>,
    error: &Error,
    host_errors: &[(usize, PyErr)],
) -> PyResult<Bound<'py, PyAny>> {
    let attempt_class = class(py, "DecryptAttempt")?;
    let list = PyList::empty(py);
    for (index, attempt) in error.attempts().iter().enumerate() {
        let e = new_exception(py, ErrorKind::Keyring, &attempt.to_string())?;
        if let Some((_, host)) = host_errors.iter().find(|(i, _)| *i == index) {
            PyErr::from_value(e.clone()).set_cause(py, Some(host.clone_ref(py)));
        }
        list.append(attempt_class.call1((&attempt.key_id, e))?)?;
    }
    class(py, "NoDecryptableKeyError")?.call1((error.to_string(), list))
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

/// An `mrkenv.InternalError` (a bug in mrkenv, never the caller's fault).
pub fn internal_error(py: Python<'_>, detail: impl std::fmt::Display) -> PyErr {
    let message = format!("mrkenv: internal error (a bug: please report it): {detail}");
    match class(py, "InternalError").and_then(|cls| cls.call1((message.as_str(),))) {
        Ok(instance) => PyErr::from_value(instance),
        Err(_) => PyRuntimeError::new_err(message),
    }
}

/// The panic boundary of every public function: runs `body`, and turns a
/// panic in it (with or without the GIL) into an `mrkenv.InternalError`
/// instead of pyo3's `PanicException` (a `BaseException` that `except
/// Exception` does not catch).
pub fn guarded<T>(py: Python<'_>, body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            Err(internal_error(py, detail))
        }
    }
}
