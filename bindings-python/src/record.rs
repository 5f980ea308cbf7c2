//! Records (DynamoDB items) for Python: boto3's low-level client item format
//! (`{"name": {"S": "Andy"}}`, `N` as `str`, `B` as bytes) to the core's
//! [`Item`] and back, and the two record functions.
//!
//! Every rule (actions, key attributes, reserved names, sets, numbers, the
//! format) is the core's; this module only converts. The KMS session runs in
//! the core ([`mrkenv::record::encrypt_record`], [`mrkenv::record::decrypt_record`])
//! over the binding's one KMS adapter ([`KeyringArg`]).
//!
//! A value of the wrong Python type raises `TypeError`; a value that breaks a
//! DynamoDB rule (unknown or several type keys, a bad number, an empty or
//! duplicate set) raises the core's `InvalidArgumentError`; both name the
//! attribute and the path inside it, e.g. `attribute "tags"[2]["k"]`.
//!
//! The item returned reuses the caller's immutable objects where it can
//! (each attribute name, and an unchanged `S`, `N` or `B` value), so that
//! writing it makes no new `str` or `bytes` for them; the options come from
//! [`crate::record_options`], which reuses the thread's last ones when the
//! arguments are the same.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use mrkenv::error::LimitError;
use mrkenv::record::{
    Action, AttributeValue, EncryptRecordOptions, Item, Number, HEADER_ATTRIBUTE, TAG_ATTRIBUTE,
};
use mrkenv::{Limits, RecordError};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyBytes, PyDict, PyFrozenSet, PyList, PyMapping, PySet, PyString, PyTuple,
};

use crate::context_arg;
use crate::errors::{guarded, to_py, IntoPyResult};
use crate::keyrings::{type_name, KeyringArg};
use crate::record_options::{keep_decrypt, keep_encrypt, DecryptArgs, EncryptArgs};

/// Encrypts one DynamoDB item attribute by attribute.
#[pyfunction]
#[pyo3(signature = (item, keyring, actions, *, table_name, partition_key, sort_key=None, default_action=None, encryption_context=None, limits=None))]
#[allow(clippy::too_many_arguments)]
pub fn encrypt_record<'py>(
    py: Python<'py>,
    item: &Bound<'py, PyAny>,
    keyring: &Bound<'py, PyAny>,
    actions: &Bound<'py, PyAny>,
    table_name: &Bound<'py, PyAny>,
    partition_key: &Bound<'py, PyAny>,
    sort_key: Option<&Bound<'py, PyAny>>,
    default_action: Option<&Bound<'py, PyAny>>,
    encryption_context: Option<&Bound<'py, PyAny>>,
    limits: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    guarded(py, || {
        let keyring = KeyringArg::from_py(keyring)?;
        let args = EncryptArgs {
            table_name,
            partition_key,
            sort_key,
            actions,
            default_action,
            encryption_context,
            limits,
        };
        let options = args.options(py)?;
        let result = (|| {
            let (item, objects) = item_from_py_kept(py, item, &options.limits)?;
            let encrypted = keyring.encrypt_record(py, item, &options)?;
            item_to_py_reusing(py, &encrypted, &objects)
        })();
        keep_encrypt(options);
        result
    })
}

/// Decrypts one DynamoDB item written by [`encrypt_record`].
#[pyfunction]
#[pyo3(
    signature = (item, keyring, *, table_name, partition_key, sort_key=None, encryption_context=None, allow_plaintext=None, limits=None),
    text_signature = "(item, keyring, *, table_name, partition_key, sort_key=None, encryption_context=None, allow_plaintext=False, limits=None)"
)]
#[allow(clippy::too_many_arguments)]
pub fn decrypt_record<'py>(
    py: Python<'py>,
    item: &Bound<'py, PyAny>,
    keyring: &Bound<'py, PyAny>,
    table_name: &Bound<'py, PyAny>,
    partition_key: &Bound<'py, PyAny>,
    sort_key: Option<&Bound<'py, PyAny>>,
    encryption_context: Option<&Bound<'py, PyAny>>,
    allow_plaintext: Option<&Bound<'py, PyAny>>,
    limits: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    guarded(py, || {
        let keyring = KeyringArg::from_py(keyring)?;
        let args = DecryptArgs {
            table_name,
            partition_key,
            sort_key,
            encryption_context,
            allow_plaintext,
            limits,
        };
        let options = args.options()?;
        let result = (|| {
            let (item, objects) = item_from_py_kept(py, item, &options.limits)?;
            let mut decrypted = keyring.decrypt_record(py, item, &options)?;
            let result = item_to_py_reusing(py, &decrypted, &objects);
            // The plaintext now lives in the Python objects only.
            mrkenv::record::zeroize_item(&mut decrypted);
            result
        })();
        keep_decrypt(options);
        result
    })
}

/// The actions, default action and caller context of an encrypt.
pub(crate) fn configure(
    py: Python<'_>,
    options: &mut EncryptRecordOptions,
    actions: &Bound<'_, PyAny>,
    default_action: Option<&Bound<'_, PyAny>>,
    encryption_context: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    // A plain dict is read in place (nothing in the loop runs Python code);
    // any other mapping, a dict subclass included, through its `items()`.
    if let Ok(dict) = actions.cast_exact::<PyDict>() {
        for (name, action) in dict.iter() {
            action_entry(py, options, &name, &action)?;
        }
    } else {
        let items = actions.call_method0("items").map_err(|_| {
            PyTypeError::new_err(format!(
                "actions must be a mapping of attribute name to action, got {}",
                type_name(actions)
            ))
        })?;
        for entry in items.try_iter()? {
            let (name, action): (Bound<'_, PyAny>, Bound<'_, PyAny>) = entry?.extract()?;
            action_entry(py, options, &name, &action)?;
        }
    }
    options.default_action = match default_action {
        Some(a) if !a.is_none() => Some(action_arg(py, a, || "default_action".into())?),
        _ => None,
    };
    options.encryption_context = context_arg(encryption_context)?;
    Ok(())
}

/// One entry of `actions`: an attribute name (`str`) and its action.
fn action_entry(
    py: Python<'_>,
    options: &mut EncryptRecordOptions,
    name: &Bound<'_, PyAny>,
    action: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let name = text(name).ok_or_else(|| {
        PyTypeError::new_err(format!(
            "actions keys must be attribute names (str), got {}",
            type_name(name)
        ))
    })??;
    let action = action_arg(py, action, || format!("actions[{name:?}]"))?;
    options.actions.insert(name, action);
    Ok(())
}

/// An action from a `str` (an `mrkenv.Action` is one), parsed by the core.
/// `what` names the argument in an error (built only then).
fn action_arg(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
    what: impl FnOnce() -> String,
) -> PyResult<Action> {
    let name = text_ref(value).ok_or_else(|| {
        PyTypeError::new_err(format!(
            "{} must be an action name (str or mrkenv.Action), got {}",
            what(),
            type_name(value)
        ))
    })??;
    name.parse::<Action>().py_err(py)
}

/// `Some(text)` for a `str` (or a subclass), `None` for anything else. A
/// `str` that is not valid Unicode (a lone surrogate) is a `ValueError`.
fn text(value: &Bound<'_, PyAny>) -> Option<PyResult<String>> {
    text_ref(value).map(|r| r.map(str::to_owned))
}

/// [`text`] borrowed from the Python string (its UTF-8, which CPython keeps
/// with the object), for a value the core does not need to own.
pub(crate) fn text_ref<'a>(value: &'a Bound<'_, PyAny>) -> Option<PyResult<&'a str>> {
    let s = value.cast::<PyString>().ok()?;
    Some(
        s.to_str()
            .map_err(|_| PyValueError::new_err("a str holds a lone surrogate (not valid Unicode)")),
    )
}

// ------------------------------------------------------------ Python -> core

/// Why a value could not be read, and where below its attribute.
struct Bad {
    path: String,
    problem: Problem,
}

enum Problem {
    /// The wrong Python type: `TypeError`.
    Type(String),
    /// A DynamoDB rule is broken: the core's `InvalidValue` (`InvalidArgumentError`).
    Rule(String),
    /// `L`/`M` nested deeper than the limit: the core's `LimitExceeded`.
    TooDeep,
    /// Python raised while the value was read (a mapping's `items()`): as is.
    Raised(PyErr),
}

impl Bad {
    fn at(problem: Problem) -> Self {
        Bad {
            path: String::new(),
            problem,
        }
    }

    fn within(mut self, step: String) -> Self {
        self.path.insert_str(0, &step);
        self
    }
}

impl From<PyErr> for Bad {
    fn from(e: PyErr) -> Self {
        Bad::at(Problem::Raised(e))
    }
}

/// [`text_ref`] inside a value: a lone surrogate is a rule error at its path.
fn text_in<'a>(value: &'a Bound<'_, PyAny>, what: &str) -> Option<Result<&'a str, Bad>> {
    text_ref(value).map(|r| {
        r.map_err(|_| rule_error(format!("{what} holds a lone surrogate (not valid Unicode)")))
    })
}

fn type_error(problem: String) -> Bad {
    Bad::at(Problem::Type(problem))
}

fn rule_error(problem: String) -> Bad {
    Bad::at(Problem::Rule(problem))
}

/// The (key, value) pairs of a mapping.
type Entries<'py> = Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>;

/// Calls `each` on every entry of `dict` in place, without copying the
/// entries out first. Reading a value can run Python code (another
/// mapping's `items()` inside it); if that code adds or removes entries of
/// `dict`, the read stops with Python's own `RuntimeError` (as a `for` loop
/// over the dict would), never a panic. (A change that keeps the size is
/// not seen; `PyDict_Next` stays memory-safe through it, and every entry
/// read is held by a strong reference.)
fn for_each_entry<'py, E: From<PyErr>>(
    dict: &Bound<'py, PyDict>,
    mut each: impl FnMut(Bound<'py, PyAny>, Bound<'py, PyAny>) -> Result<(), E>,
) -> Result<(), E> {
    let py = dict.py();
    let len = dict.len();
    let mut position: pyo3::ffi::Py_ssize_t = 0;
    loop {
        let mut key = std::ptr::null_mut();
        let mut value = std::ptr::null_mut();
        // SAFETY: a live dict, with the GIL held (`py`); `position` is ours.
        let found =
            unsafe { pyo3::ffi::PyDict_Next(dict.as_ptr(), &mut position, &mut key, &mut value) };
        if found == 0 {
            return Ok(());
        }
        // SAFETY: `PyDict_Next` succeeded: `key` and `value` are valid
        // borrowed references, made owned here before any Python code runs.
        let (key, value) = unsafe {
            (
                Bound::from_borrowed_ptr(py, key),
                Bound::from_borrowed_ptr(py, value),
            )
        };
        each(key, value)?;
        if dict.len() != len {
            return Err(PyRuntimeError::new_err("dictionary changed size during iteration").into());
        }
    }
}

/// The entries of a dict or other mapping; `None` when `value` is not one.
/// (An item and an `M` read a dict in place by [`for_each_entry`].)
fn mapping_entries<'py>(value: &Bound<'py, PyAny>) -> PyResult<Option<Entries<'py>>> {
    if let Ok(dict) = value.cast::<PyDict>() {
        return Ok(Some(dict.iter().collect()));
    }
    if value.cast::<PyMapping>().is_err() {
        return Ok(None);
    }
    let mut entries = Vec::new();
    for entry in value.call_method0("items")?.try_iter()? {
        entries.push(entry?.extract()?);
    }
    Ok(Some(entries))
}

/// Reads an item: a dict (or mapping) of attribute name -> AttributeValue dict.
pub fn item_from_py(py: Python<'_>, item: &Bound<'_, PyAny>, limits: &Limits) -> PyResult<Item> {
    item_from_py_kept(py, item, limits).map(|(item, _)| item)
}

/// The Python objects an item was read from, kept to be reused when the
/// item that comes back (encrypted or decrypted) is written:
/// [`item_to_py_reusing`]. Every one is immutable (an exact `str` or
/// `bytes`), so sharing it with the caller's input cannot be seen but by
/// `is`.
pub(crate) struct ItemObjects<'py> {
    attributes: Vec<Kept<'py>>,
}

impl ItemObjects<'_> {
    /// No objects to reuse: every name and value is written anew.
    fn none() -> Self {
        ItemObjects {
            attributes: Vec::new(),
        }
    }
}

/// One attribute as read: its name (an exact `str`; other names are not
/// kept) and the value inside its AttributeValue dict (`"1234"` of
/// `{"S": "1234"}`), whatever its type (checked when reused).
struct Kept<'py> {
    name: Bound<'py, PyString>,
    inner: Bound<'py, PyAny>,
}

/// [`item_from_py`], also returning the Python objects read
/// ([`ItemObjects`]). Same checks, same errors, in the same order.
pub(crate) fn item_from_py_kept<'py>(
    py: Python<'py>,
    item: &Bound<'py, PyAny>,
    limits: &Limits,
) -> PyResult<(Item, ItemObjects<'py>)> {
    let mut out = Item::new();
    let mut kept = Vec::with_capacity(item.cast::<PyDict>().map_or(0, |dict| dict.len()));
    let mut attribute = |name: Bound<'py, PyAny>, value: Bound<'py, PyAny>| -> PyResult<()> {
        let text = text(&name).ok_or_else(|| {
            PyTypeError::new_err(format!(
                "item keys must be attribute names (str), got {}",
                type_name(&name)
            ))
        })??;
        let (parsed, inner) = tagged_from_py(&value, 0, limits.max_record_depth)
            .map_err(|bad| located_error(py, &text, bad, limits))?;
        out.insert(text, parsed);
        if let Ok(name) = name.cast_into_exact::<PyString>() {
            kept.push(Kept { name, inner });
        }
        Ok(())
    };
    if let Ok(dict) = item.cast::<PyDict>() {
        for_each_entry(dict, &mut attribute)?;
    } else {
        let entries = mapping_entries(item)?.ok_or_else(|| {
            PyTypeError::new_err(format!(
                "item must be a dict of attribute name -> AttributeValue (boto3's client format, e.g. {{\"name\": {{\"S\": \"Andy\"}}}}), got {}",
                type_name(item)
            ))
        })?;
        for (name, value) in entries {
            attribute(name, value)?;
        }
    }
    Ok((out, ItemObjects { attributes: kept }))
}

fn located_error(py: Python<'_>, attribute: &str, bad: Bad, limits: &Limits) -> PyErr {
    let Bad { path, problem } = bad;
    match problem {
        Problem::Type(problem) => {
            PyTypeError::new_err(format!("attribute {attribute:?}{path}: {problem}"))
        }
        Problem::Rule(problem) => to_py(
            py,
            RecordError::InvalidValue {
                attribute: attribute.to_string(),
                path,
                problem,
            }
            .into(),
        ),
        Problem::TooDeep => to_py(
            py,
            LimitError {
                what: "record nesting depth",
                limit: limits.max_record_depth as u64,
                found: limits.max_record_depth as u64 + 1,
            }
            .into(),
        ),
        Problem::Raised(e) => e,
    }
}

/// Reads one AttributeValue dict. `level` is the number of `L`/`M` values
/// around it; an `L` or `M` deeper than `max_depth` stops the reading, so a
/// hostile structure cannot exhaust the stack.
fn value_from_py(
    value: &Bound<'_, PyAny>,
    level: usize,
    max_depth: usize,
) -> Result<AttributeValue, Bad> {
    tagged_from_py(value, level, max_depth).map(|(parsed, _)| parsed)
}

/// [`value_from_py`], also returning the value inside the AttributeValue
/// dict (its one entry's value), as read.
fn tagged_from_py<'py>(
    value: &Bound<'py, PyAny>,
    level: usize,
    max_depth: usize,
) -> Result<(AttributeValue, Bound<'py, PyAny>), Bad> {
    // The common case, a dict of one entry, without collecting the entries.
    let single = match value.cast::<PyDict>() {
        Ok(dict) if dict.len() == 1 => only_entry(dict),
        _ => None,
    };
    let (tag, inner) = match single {
        Some(entry) => entry,
        None => {
            let entries = mapping_entries(value)?.ok_or_else(|| {
                type_error(format!(
                    "an AttributeValue must be a dict like {{\"S\": \"...\"}}, got {}",
                    type_name(value)
                ))
            })?;
            let [entry]: [_; 1] = entries.try_into().map_err(|e: Vec<_>| {
                rule_error(format!(
                    "an AttributeValue must have exactly one type key, found {}",
                    e.len()
                ))
            })?;
            entry
        }
    };
    // A type key written as a literal in Python code is the interned str:
    // the common three are known by identity, without reading the text.
    let py = value.py();
    let tag: &str = if tag.is(intern!(py, "S")) {
        "S"
    } else if tag.is(intern!(py, "N")) {
        "N"
    } else if tag.is(intern!(py, "B")) {
        "B"
    } else {
        match text_in(&tag, "the type key") {
            Some(t) => t?,
            None => {
                return Err(type_error(format!(
                    "an AttributeValue's type key must be a str, got {}",
                    type_name(&tag)
                )))
            }
        }
    };
    let string = |v: &Bound<'_, PyAny>| -> Result<String, Bad> {
        match text_in(v, tag) {
            Some(t) => t.map(str::to_owned),
            None => Err(type_error(format!(
                "{tag} must be a str, got {}",
                type_name(v)
            ))),
        }
    };
    let number = |v: &Bound<'_, PyAny>| -> Result<Number, Bad> {
        let s = match text_in(v, tag) {
            Some(t) => t?,
            None => {
                return Err(type_error(format!(
                "{tag} must be a str holding a decimal number (as boto3's client sends it), got {}",
                type_name(v)
            )))
            }
        };
        Number::parse(s).map_err(|e| rule_error(format!("number {e}")))
    };
    let binary = |v: &Bound<'_, PyAny>| -> Result<Vec<u8>, Bad> {
        crate::bytes_arg(v, tag)
            .map(crate::ByteArg::into_vec)
            .map_err(|_| {
                type_error(format!(
                    "{tag} must be bytes, bytearray or memoryview, got {}",
                    type_name(v)
                ))
            })
    };
    let parsed = match tag {
        "S" => AttributeValue::S(string(&inner)?),
        "N" => AttributeValue::N(number(&inner)?),
        "B" => AttributeValue::B(binary(&inner)?),
        "BOOL" => match inner.cast::<PyBool>() {
            Ok(b) => AttributeValue::Bool(b.is_true()),
            Err(_) => {
                return Err(type_error(format!(
                    "BOOL must be True or False, got {}",
                    type_name(&inner)
                )))
            }
        },
        "NULL" => match inner.cast::<PyBool>() {
            Ok(b) if b.is_true() => AttributeValue::Null,
            Ok(_) => return Err(rule_error("NULL must be True".into())),
            Err(_) => {
                return Err(type_error(format!(
                    "NULL must be True, got {}",
                    type_name(&inner)
                )))
            }
        },
        "L" | "M" if level >= max_depth => return Err(Bad::at(Problem::TooDeep)),
        "L" => {
            let items = elements(&inner, tag, false)?;
            let mut list = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                list.push(
                    value_from_py(item, level + 1, max_depth)
                        .map_err(|b| b.within(format!("[{i}]")))?,
                );
            }
            AttributeValue::L(list)
        }
        "M" => {
            let mut map = BTreeMap::new();
            let mut entry = |key: Bound<'_, PyAny>, item: Bound<'_, PyAny>| -> Result<(), Bad> {
                let key = match text_in(&key, "an M key") {
                    Some(k) => k?.to_owned(),
                    None => {
                        return Err(type_error(format!(
                            "M keys must be str, got {}",
                            type_name(&key)
                        )))
                    }
                };
                let parsed = value_from_py(&item, level + 1, max_depth)
                    .map_err(|b| b.within(format!("[{key:?}]")))?;
                map.insert(key, parsed);
                Ok(())
            };
            if let Ok(dict) = inner.cast::<PyDict>() {
                for_each_entry(dict, entry)?;
            } else {
                let entries = mapping_entries(&inner)?.ok_or_else(|| {
                    type_error(format!("M must be a dict, got {}", type_name(&inner)))
                })?;
                for (key, item) in entries {
                    entry(key, item)?;
                }
            }
            AttributeValue::M(map)
        }
        "SS" => AttributeValue::Ss(collect(&elements(&inner, tag, true)?, string)?),
        "NS" => AttributeValue::Ns(collect(&elements(&inner, tag, true)?, number)?),
        "BS" => AttributeValue::Bs(collect(&elements(&inner, tag, true)?, binary)?),
        other => {
            return Err(rule_error(format!(
                "unknown AttributeValue type {other:?} (expected S, N, B, BOOL, NULL, L, M, SS, NS or BS)"
            )))
        }
    };
    if matches!(
        parsed,
        AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)
    ) {
        // Empty sets and duplicates (a set checks no deeper than itself).
        parsed.check().map_err(|(_, problem)| rule_error(problem))?;
    }
    Ok((parsed, inner))
}

/// The one entry of a dict of length 1 (`None` if it has none after all).
fn only_entry<'py>(dict: &Bound<'py, PyDict>) -> Option<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let mut position: pyo3::ffi::Py_ssize_t = 0;
    let mut key = std::ptr::null_mut();
    let mut value = std::ptr::null_mut();
    // SAFETY: a live dict, with the GIL held; on success `key` and `value`
    // are valid borrowed references, made owned at once.
    unsafe {
        if pyo3::ffi::PyDict_Next(dict.as_ptr(), &mut position, &mut key, &mut value) == 0 {
            return None;
        }
        Some((
            Bound::from_borrowed_ptr(dict.py(), key),
            Bound::from_borrowed_ptr(dict.py(), value),
        ))
    }
}

/// The elements of a list (or tuple; for sets also a set or frozenset).
fn elements<'py>(
    value: &Bound<'py, PyAny>,
    tag: &str,
    set: bool,
) -> Result<Vec<Bound<'py, PyAny>>, Bad> {
    let ok = value.cast::<PyList>().is_ok()
        || value.cast::<PyTuple>().is_ok()
        || (set && (value.cast::<PySet>().is_ok() || value.cast::<PyFrozenSet>().is_ok()));
    if !ok {
        return Err(type_error(format!(
            "{tag} must be a list, got {}",
            type_name(value)
        )));
    }
    let mut out = Vec::new();
    for element in value.try_iter()? {
        out.push(element?);
    }
    Ok(out)
}

fn collect<T>(
    items: &[Bound<'_, PyAny>],
    read: impl Fn(&Bound<'_, PyAny>) -> Result<T, Bad>,
) -> Result<Vec<T>, Bad> {
    items.iter().map(read).collect()
}

// ------------------------------------------------------------ core -> Python

/// Writes an item in boto3's client format.
pub fn item_to_py<'py>(py: Python<'py>, item: &Item) -> PyResult<Bound<'py, PyDict>> {
    item_to_py_reusing(py, item, &ItemObjects::none())
}

/// [`item_to_py`], reusing the Python objects the input item was read
/// from ([`item_from_py_kept`]): an attribute's name is its input `str`
/// object (its hash already computed), and an `S`, `N` or `B` value equal
/// to its input (an attribute signed only, or decrypted back to it) is the
/// input's `str` or `bytes` object. The AttributeValue dicts are always
/// new: a caller may change them.
pub(crate) fn item_to_py_reusing<'py>(
    py: Python<'py>,
    item: &Item,
    objects: &ItemObjects<'py>,
) -> PyResult<Bound<'py, PyDict>> {
    // The kept names in the item's order (bytewise, as a BTreeMap of
    // String orders them), walked alongside it.
    let mut names = Vec::with_capacity(objects.attributes.len());
    names.extend(
        objects
            .attributes
            .iter()
            .filter_map(|kept| kept.name.to_str().ok().map(|name| (name, kept))),
    );
    names.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut next = 0;
    let out = PyDict::new(py);
    for (name, value) in item {
        let mut found = None;
        while let Some(&(kept_name, kept)) = names.get(next) {
            match kept_name.cmp(name.as_str()) {
                Ordering::Less => next += 1,
                Ordering::Equal => {
                    next += 1;
                    found = Some(kept);
                    break;
                }
                Ordering::Greater => break,
            }
        }
        match found {
            Some(kept) => {
                let value = match reusable(&kept.inner, value) {
                    Some((tag, inner)) => tagged_to_py(py, tag, inner)?,
                    None => value_to_py(py, value)?,
                };
                out.set_item(&kept.name, value)?;
            }
            None => {
                let value = value_to_py(py, value)?;
                match name.as_str() {
                    HEADER_ATTRIBUTE => out.set_item(intern!(py, HEADER_ATTRIBUTE), value)?,
                    TAG_ATTRIBUTE => out.set_item(intern!(py, TAG_ATTRIBUTE), value)?,
                    _ => out.set_item(name, value)?,
                }
            }
        }
    }
    Ok(out)
}

/// The type key and the input object for `value` when `inner` (the object
/// an attribute was read from) is an exact `str` (`S`, `N`) or `bytes`
/// (`B`) equal to it; `None` otherwise (a new object is made).
fn reusable<'py>(
    inner: &Bound<'py, PyAny>,
    value: &AttributeValue,
) -> Option<(&'static str, Bound<'py, PyAny>)> {
    let same = match value {
        AttributeValue::S(s) => same_text(inner, s),
        AttributeValue::N(n) => same_text(inner, n.as_str()),
        AttributeValue::B(b) => inner
            .cast_exact::<PyBytes>()
            .is_ok_and(|kept| kept.as_bytes() == b.as_slice()),
        _ => false,
    };
    let tag = match value {
        AttributeValue::S(_) => "S",
        AttributeValue::N(_) => "N",
        _ => "B",
    };
    same.then(|| (tag, inner.clone()))
}

/// Whether `inner` is an exact `str` holding `text`.
fn same_text(inner: &Bound<'_, PyAny>, text: &str) -> bool {
    inner
        .cast_exact::<PyString>()
        .is_ok_and(|kept| kept.to_str().is_ok_and(|kept| kept == text))
}

/// An AttributeValue dict of one entry: `{tag: inner}`, `tag` interned.
fn tagged_to_py<'py>(
    py: Python<'py>,
    tag: &'static str,
    inner: Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let key = match tag {
        "S" => intern!(py, "S"),
        "N" => intern!(py, "N"),
        _ => intern!(py, "B"),
    };
    let out = PyDict::new(py);
    out.set_item(key, inner)?;
    Ok(out)
}

fn value_to_py<'py>(py: Python<'py>, value: &AttributeValue) -> PyResult<Bound<'py, PyDict>> {
    // The type keys are interned: one str object each, not one per value.
    let (key, inner): (&Bound<'py, PyString>, Bound<'py, PyAny>) = match value {
        AttributeValue::S(s) => (intern!(py, "S"), PyString::new(py, s).into_any()),
        AttributeValue::N(n) => (intern!(py, "N"), PyString::new(py, n.as_str()).into_any()),
        AttributeValue::B(b) => (intern!(py, "B"), PyBytes::new(py, b).into_any()),
        AttributeValue::Bool(b) => (
            intern!(py, "BOOL"),
            PyBool::new(py, *b).to_owned().into_any(),
        ),
        AttributeValue::Null => (
            intern!(py, "NULL"),
            PyBool::new(py, true).to_owned().into_any(),
        ),
        AttributeValue::L(items) => (
            intern!(py, "L"),
            PyList::new(
                py,
                items
                    .iter()
                    .map(|v| value_to_py(py, v))
                    .collect::<PyResult<Vec<_>>>()?,
            )?
            .into_any(),
        ),
        AttributeValue::M(map) => (intern!(py, "M"), item_to_py(py, map)?.into_any()),
        AttributeValue::Ss(set) => (intern!(py, "SS"), PyList::new(py, set)?.into_any()),
        AttributeValue::Ns(set) => (
            intern!(py, "NS"),
            PyList::new(py, set.iter().map(Number::as_str))?.into_any(),
        ),
        AttributeValue::Bs(set) => (
            intern!(py, "BS"),
            PyList::new(py, set.iter().map(|b| PyBytes::new(py, b)))?.into_any(),
        ),
    };
    let out = PyDict::new(py);
    out.set_item(key, inner)?;
    Ok(out)
}
