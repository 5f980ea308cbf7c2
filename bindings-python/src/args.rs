//! Python arguments to Rust values, with errors a user can act on.
//!
//! Every public function and constructor converts its arguments here rather
//! than through pyo3's automatic extraction, so that a wrong type is a
//! `TypeError` that names the parameter and the type it expects
//! (`key_ids must be a sequence of str, got str`), never a pyo3 internal
//! (`Can't extract str to Vec`). Bytes that this module copies (a
//! `bytearray` or `memoryview`, which another thread could change while the
//! GIL is released) are held in [`Zeroizing`] buffers, wiped when dropped:
//! they may be key material.

use mrkenv::format::text_hint::string_encoding;
use mrkenv::EncryptionContext;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyMemoryView, PyString};
use zeroize::{Zeroize, Zeroizing};

/// The Python type name of `value`, for messages.
pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_string())
}

/// Bytes from a Python argument: `bytes` are borrowed, `bytearray` and
/// `memoryview` are copied into a buffer wiped on drop.
pub(crate) enum ByteArg<'py> {
    /// A `bytes` object, read in place (immutable, so safe without the GIL).
    Borrowed(Bound<'py, PyBytes>),
    /// A copy of a mutable buffer, zeroed when dropped.
    Owned(Zeroizing<Vec<u8>>),
}

impl ByteArg<'_> {
    /// The bytes.
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            ByteArg::Borrowed(b) => b.as_bytes(),
            ByteArg::Owned(v) => v,
        }
    }

    /// The bytes as a plain `Vec` (for data that is not secret).
    pub(crate) fn into_vec(self) -> Vec<u8> {
        self.as_slice().to_vec()
    }

    /// The bytes as a buffer that is wiped when dropped (a copy of `bytes`,
    /// or the copy already made).
    pub(crate) fn into_secret(self) -> Zeroizing<Vec<u8>> {
        match self {
            ByteArg::Borrowed(b) => Zeroizing::new(b.as_bytes().to_vec()),
            ByteArg::Owned(v) => v,
        }
    }
}

/// Zeroes a `bytes` object the binding made (a copy of key material handed
/// to a KMS client, a temporary) when nothing else holds it: then this is
/// the last reference and the object is freed right after, so no Python
/// code can see the change. A `bytes` someone else kept is left as it is.
pub(crate) fn wipe_if_unshared(data: &Bound<'_, PyBytes>) {
    let len = data.as_bytes().len();
    // SAFETY: reading the reference count of a live object.
    let refcnt = unsafe { pyo3::ffi::Py_REFCNT(data.as_ptr()) };
    if refcnt != 1 || len < 2 {
        return;
    }
    // SAFETY: a `bytes` object of at least 2 bytes is never a shared
    // singleton, and with a reference count of 1 only `data` refers to it.
    unsafe {
        let ptr = pyo3::ffi::PyBytes_AsString(data.as_ptr()).cast::<u8>();
        if !ptr.is_null() {
            std::slice::from_raw_parts_mut(ptr, len).zeroize();
        }
    }
}

/// What a `str` given for bytes looks like (the core's
/// [`string_encoding`]), as a hint for the message.
fn text_hint(text: &str) -> &'static str {
    match string_encoding(text) {
        Some("hex") => "; this looks like hex text: decode it to bytes first (bytes.fromhex(text))",
        Some(_) => {
            "; this looks like base64 text: decode it to bytes first (base64.b64decode(text))"
        }
        None => "; encode text first (text.encode())",
    }
}

/// Bytes from `bytes`, `bytearray` or `memoryview`. `what` names the
/// parameter in the `TypeError` for anything else; a `str` gets a hint (it
/// looks like base64 or hex, or should be encoded).
pub(crate) fn bytes_arg<'py>(value: &Bound<'py, PyAny>, what: &str) -> PyResult<ByteArg<'py>> {
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(ByteArg::Borrowed(b.clone()));
    }
    if let Ok(b) = value.cast::<PyByteArray>() {
        return Ok(ByteArg::Owned(Zeroizing::new(b.to_vec())));
    }
    if value.cast::<PyMemoryView>().is_ok() {
        // The buffer protocol is not in the abi3 API before 3.11: take the
        // bytes through `tobytes()`, copy them into a wiped buffer, and wipe
        // that temporary `bytes` (only this function holds it).
        let temporary = value.call_method0("tobytes")?.cast_into::<PyBytes>()?;
        let copy = Zeroizing::new(temporary.as_bytes().to_vec());
        wipe_if_unshared(&temporary);
        return Ok(ByteArg::Owned(copy));
    }
    let hint = match value.cast::<PyString>() {
        Ok(s) => text_hint(&s.to_string_lossy()),
        Err(_) => "",
    };
    Err(PyTypeError::new_err(format!(
        "{what} must be bytes, bytearray or memoryview, got {}{hint}",
        type_name(value)
    )))
}

/// A `str` argument. A `str` holding a lone surrogate is a `ValueError`.
pub(crate) fn str_arg(value: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    let s = value.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!("{what} must be a str, got {}", type_name(value)))
    })?;
    s.extract::<String>().map_err(|_| {
        PyValueError::new_err(format!("{what} holds a lone surrogate (not valid Unicode)"))
    })
}

/// An optional `str` argument (`None` is `None`).
pub(crate) fn opt_str_arg(
    value: Option<&Bound<'_, PyAny>>,
    what: &str,
) -> PyResult<Option<String>> {
    match value {
        Some(v) if !v.is_none() => str_arg(v, what).map(Some),
        _ => Ok(None),
    }
}

/// A sequence of `str` (any iterable but a `str` itself, whose characters
/// would otherwise be taken one by one).
pub(crate) fn str_list_arg(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<String>> {
    let wrong = || {
        PyTypeError::new_err(format!(
            "{what} must be a sequence of str, got {}",
            type_name(value)
        ))
    };
    if value.cast::<PyString>().is_ok() || value.cast::<PyBytes>().is_ok() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a sequence of str, got {} (use [value] for one)",
            type_name(value)
        )));
    }
    let mut out = Vec::new();
    for (i, item) in value.try_iter().map_err(|_| wrong())?.enumerate() {
        out.push(str_arg(&item?, &format!("{what}[{i}]"))?);
    }
    Ok(out)
}

/// An optional sequence of `str` (`None` is `None`).
pub(crate) fn opt_str_list_arg(
    value: Option<&Bound<'_, PyAny>>,
    what: &str,
) -> PyResult<Option<Vec<String>>> {
    match value {
        Some(v) if !v.is_none() => str_list_arg(v, what).map(Some),
        _ => Ok(None),
    }
}

/// A `bool` argument (only `True` or `False`: an int is refused, so that a
/// misplaced positional value is not taken for a flag).
pub(crate) fn bool_arg(value: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<bool> {
    match value {
        None => Ok(false),
        Some(v) => v.cast::<PyBool>().map(|b| b.is_true()).map_err(|_| {
            PyTypeError::new_err(format!("{what} must be a bool, got {}", type_name(v)))
        }),
    }
}

/// An encryption context from `None` or a mapping of str to str.
pub(crate) fn context_arg(value: Option<&Bound<'_, PyAny>>) -> PyResult<EncryptionContext> {
    let mut context = EncryptionContext::new();
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(context);
    };
    // A plain dict is read in place (nothing in the loop runs Python code);
    // any other mapping, a dict subclass included, through its `items()`.
    if let Ok(dict) = value.cast_exact::<PyDict>() {
        for (k, v) in dict.iter() {
            context_entry(&mut context, &k, &v)?;
        }
        return Ok(context);
    }
    let items = value.call_method0("items").map_err(|_| {
        PyTypeError::new_err(format!(
            "encryption_context must be a mapping of str to str, got {}",
            type_name(value)
        ))
    })?;
    for item in items.try_iter()? {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
        context_entry(&mut context, &k, &v)?;
    }
    Ok(context)
}

/// One entry of an encryption context: both `str`.
fn context_entry(
    context: &mut EncryptionContext,
    k: &Bound<'_, PyAny>,
    v: &Bound<'_, PyAny>,
) -> PyResult<()> {
    if k.cast::<PyString>().is_err() || v.cast::<PyString>().is_err() {
        return Err(PyTypeError::new_err(format!(
            "encryption_context keys and values must be str, got {} -> {}",
            type_name(k),
            type_name(v)
        )));
    }
    let key = str_arg(k, "encryption_context key")?;
    let value = str_arg(v, "encryption_context value")?;
    context.insert(key, value);
    Ok(())
}

/// Refuses a path (`str`, `bytes` or `os.PathLike`) or anything without the
/// method a stream needs (`read` for a source, `write` for a destination),
/// saying to pass an open binary file.
pub(crate) fn stream_arg(value: &Bound<'_, PyAny>, what: &str, method: &str) -> PyResult<()> {
    let mode = if method == "read" { "rb" } else { "wb" };
    let is_path = value.cast::<PyString>().is_ok()
        || value.cast::<PyBytes>().is_ok()
        || value.hasattr("__fspath__").unwrap_or(false);
    if is_path {
        return Err(PyTypeError::new_err(format!(
            "{what} must be an open binary file, got a path ({}): pass open(path, \"{mode}\")",
            type_name(value)
        )));
    }
    if !value.hasattr(method).unwrap_or(false) {
        return Err(PyTypeError::new_err(format!(
            "{what} must be an open binary file (with a {method}() method), got {}",
            type_name(value)
        )));
    }
    Ok(())
}
