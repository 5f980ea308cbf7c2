//! `rekey`, `rekey_header`, `rekey_stream` and `rekey_record`: change which
//! keys can open a message without touching its body, or a record without
//! touching any attribute but its header and tag (`docs/FORMAT.md` part 15).
//!
//! The core does everything (the plan, the checks, both KMS sessions, the new
//! head or item); this module converts the arguments (a record's item as
//! [`crate::record`] does) and runs the core's blocking
//! forms over the binding's one KMS adapter ([`KeyringArg`]): the decrypting
//! keyring's client finds the data key, the `add` keyring's client wraps it.
//!
//! ```python
//! import mrkenv
//! old = mrkenv.RawAesKeyring("my-app", "key-2025", bytes(32))
//! new = mrkenv.RawAesKeyring("my-app", "key-2026", bytes(range(32)))
//! message = mrkenv.encrypt(b"secret", old)
//! rekeyed = mrkenv.rekey(message, old, add=new, remove=["key-2025"])
//! assert mrkenv.decrypt(rekeyed, new) == b"secret"
//! ```

use mrkenv::record::DecryptRecordOptions;
use mrkenv::rekey::{RekeyOptions, Rekeyer};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use crate::args::{bool_arg, opt_str_arg, str_arg, stream_arg};
use crate::errors::{guarded, IntoPyResult};
use crate::keyrings::{type_name, KeyringArg};
use crate::limits::limits_arg;
use crate::record::{item_from_py, item_to_py};
use crate::stream::{pump, read_chunk, write_all, DECRYPT_CHUNK};
use crate::{bytes_arg, context_arg};

/// The arguments every re-key function shares, converted: the decrypting
/// keyring, the `add` keyring and the core options.
fn rekey_args<'a>(
    keyring: &'a Bound<'_, PyAny>,
    add: Option<&'a Bound<'_, PyAny>>,
    remove: Option<&Bound<'_, PyAny>>,
    encryption_context: Option<&Bound<'_, PyAny>>,
    match_replicas: Option<&Bound<'_, PyAny>>,
    limits: Option<&Bound<'_, PyAny>>,
) -> PyResult<(KeyringArg<'a>, Option<KeyringArg<'a>>, RekeyOptions)> {
    let keyring = KeyringArg::from_py(keyring)?;
    let add = add.map(|a| KeyringArg::from_py_as(a, "add")).transpose()?;
    let options = RekeyOptions {
        add: add.as_ref().map(|a| a.core().clone()),
        remove: remove_arg(remove)?,
        match_replicas: bool_arg(match_replicas, "match_replicas")?,
        required_context: context_arg(encryption_context)?,
        limits: limits_arg(limits)?,
    };
    Ok((keyring, add, options))
}

/// The key identifiers to remove: any iterable of `str` (not a `str`
/// itself, whose characters would be taken as identifiers).
fn remove_arg(value: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(Vec::new());
    };
    let wrong = || {
        PyTypeError::new_err(format!(
            "remove must be a sequence of key identifiers (str), got {}",
            type_name(value)
        ))
    };
    if value.cast::<PyString>().is_ok() {
        return Err(PyTypeError::new_err(
            "remove must be a sequence of key identifiers, not one str (use remove=[key_id])",
        ));
    }
    let mut ids = Vec::new();
    for item in value.try_iter().map_err(|_| wrong())? {
        let item = item?;
        let id = item.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "remove must hold key identifiers (str), got {}",
                type_name(&item)
            ))
        })?;
        ids.push(id.extract::<String>()?);
    }
    Ok(ids)
}

/// Re-keys a whole message: a new head, the body byte for byte.
#[pyfunction]
#[pyo3(
    signature = (message, keyring, *, add=None, remove=None, encryption_context=None, match_replicas=None, limits=None),
    text_signature = "(message, keyring, *, add=None, remove=(), encryption_context=None, match_replicas=False, limits=None)"
)]
#[allow(clippy::too_many_arguments)]
pub fn rekey<'py>(
    py: Python<'py>,
    message: &Bound<'py, PyAny>,
    keyring: &Bound<'py, PyAny>,
    add: Option<&Bound<'py, PyAny>>,
    remove: Option<&Bound<'py, PyAny>>,
    encryption_context: Option<&Bound<'py, PyAny>>,
    match_replicas: Option<&Bound<'_, PyAny>>,
    limits: Option<&Bound<'_, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    guarded(py, || {
        let message = bytes_arg(message, "message")?;
        let (keyring, add, options) = rekey_args(
            keyring,
            add,
            remove,
            encryption_context,
            match_replicas,
            limits,
        )?;
        let rekeyed = keyring.rekey_message(py, message.as_slice(), add.as_ref(), &options)?;
        Ok(PyBytes::new(py, &rekeyed))
    })
}

/// Re-keys the head of a message (its first bytes, at least up to the end of
/// its header tag): returns the new head and the offset of the body in the
/// old message.
#[pyfunction]
#[pyo3(
    signature = (head, keyring, *, add=None, remove=None, encryption_context=None, match_replicas=None, limits=None),
    text_signature = "(head, keyring, *, add=None, remove=(), encryption_context=None, match_replicas=False, limits=None)"
)]
#[allow(clippy::too_many_arguments)]
pub fn rekey_header<'py>(
    py: Python<'py>,
    head: &Bound<'py, PyAny>,
    keyring: &Bound<'py, PyAny>,
    add: Option<&Bound<'py, PyAny>>,
    remove: Option<&Bound<'py, PyAny>>,
    encryption_context: Option<&Bound<'py, PyAny>>,
    match_replicas: Option<&Bound<'_, PyAny>>,
    limits: Option<&Bound<'_, PyAny>>,
) -> PyResult<(Bound<'py, PyBytes>, usize)> {
    guarded(py, || {
        let head = bytes_arg(head, "head")?;
        let (keyring, add, options) = rekey_args(
            keyring,
            add,
            remove,
            encryption_context,
            match_replicas,
            limits,
        )?;
        let (new_head, body_offset) =
            keyring.rekey_header(py, head.as_slice(), add.as_ref(), &options)?;
        Ok((PyBytes::new(py, &new_head), body_offset))
    })
}

/// Re-keys one message read from `src` into `dst`: nothing is written until
/// the new head is known, then the frames are copied through unchanged.
#[pyfunction]
#[pyo3(
    signature = (src, dst, keyring, *, add=None, remove=None, encryption_context=None, match_replicas=None, limits=None),
    text_signature = "(src, dst, keyring, *, add=None, remove=(), encryption_context=None, match_replicas=False, limits=None)"
)]
#[allow(clippy::too_many_arguments)]
pub fn rekey_stream(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    dst: &Bound<'_, PyAny>,
    keyring: &Bound<'_, PyAny>,
    add: Option<&Bound<'_, PyAny>>,
    remove: Option<&Bound<'_, PyAny>>,
    encryption_context: Option<&Bound<'_, PyAny>>,
    match_replicas: Option<&Bound<'_, PyAny>>,
    limits: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    guarded(py, || {
        stream_arg(src, "src", "read")?;
        stream_arg(dst, "dst", "write")?;
        let (keyring, add, options) = rekey_args(
            keyring,
            add,
            remove,
            encryption_context,
            match_replicas,
            limits,
        )?;
        let mut rekeyer = Rekeyer::new(options);
        let mut out = Vec::new();
        // The old head (and the options' checks) come first; KMS is not called
        // and nothing is written until the whole old head is read.
        while !rekeyer.needs_data_key() {
            let bytes = read_chunk(src, DECRYPT_CHUNK)?;
            if bytes.as_slice().is_empty() {
                // The core reports the precise truncation.
                rekeyer.finish().py_err(py)?;
                return Err(PyValueError::new_err("the message ended in its header"));
            }
            rekeyer.update(bytes.as_slice(), &mut out).py_err(py)?;
        }
        keyring.unlock_rekeyer(py, &mut rekeyer, add.as_ref(), &mut out)?;
        write_all(py, dst, &out)?;
        pump(py, src, dst, |data, out| rekeyer.update(data, out))?;
        rekeyer.finish().py_err(py)
    })
}

/// Re-keys one DynamoDB item written by `encrypt_record` for this table and
/// key schema: a new `aws_mrkenv_header` and `aws_mrkenv_tag`, every other
/// attribute as given.
#[pyfunction]
#[pyo3(
    signature = (item, keyring, *, add=None, remove=None, table_name, partition_key, sort_key=None, encryption_context=None, match_replicas=None, limits=None),
    text_signature = "(item, keyring, *, add=None, remove=(), table_name, partition_key, sort_key=None, encryption_context=None, match_replicas=False, limits=None)"
)]
#[allow(clippy::too_many_arguments)]
pub fn rekey_record<'py>(
    py: Python<'py>,
    item: &Bound<'py, PyAny>,
    keyring: &Bound<'py, PyAny>,
    add: Option<&Bound<'py, PyAny>>,
    remove: Option<&Bound<'py, PyAny>>,
    table_name: &Bound<'py, PyAny>,
    partition_key: &Bound<'py, PyAny>,
    sort_key: Option<&Bound<'py, PyAny>>,
    encryption_context: Option<&Bound<'py, PyAny>>,
    match_replicas: Option<&Bound<'_, PyAny>>,
    limits: Option<&Bound<'_, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    guarded(py, || {
        // The required context goes to the rekey options (the core adds it to
        // the record's read), once.
        let (keyring, add, options) = rekey_args(
            keyring,
            add,
            remove,
            encryption_context,
            match_replicas,
            limits,
        )?;
        let mut record_options = DecryptRecordOptions::new(
            str_arg(table_name, "table_name")?,
            str_arg(partition_key, "partition_key")?,
        );
        record_options.sort_key = opt_str_arg(sort_key, "sort_key")?;
        record_options.limits = options.limits.clone();
        let item = item_from_py(py, item, &record_options.limits)?;
        let rekeyed = keyring.rekey_record(py, item, add.as_ref(), &record_options, &options)?;
        item_to_py(py, &rekeyed)
    })
}
