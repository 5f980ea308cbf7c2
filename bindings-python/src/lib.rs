//! `mrkenv._native`: the Python binding of the mrkenv core (pyo3, abi3).
//!
//! The Python package `mrkenv` re-exports everything public from here; the
//! rules (identifiers, MRK matching, the format, the crypto) all live in the
//! core. This crate converts arguments, calls the user's KMS client (see
//! [`keyrings`]), streams file objects ([`stream`]), re-keys
//! messages and records ([`rekey`]) and maps errors once
//! ([`errors`]). Bulk crypto runs with the GIL released.
//!
//! ```python
//! import mrkenv
//! keyring = mrkenv.RawAesKeyring("my-app", "key-1", bytes(32))
//! message = mrkenv.encrypt(b"secret", keyring, encryption_context={"tenant": "acme"})
//! assert mrkenv.decrypt(message, keyring) == b"secret"
//! ```

mod errors;
mod keyrings;
mod record;
mod rekey;
mod stream;

use mrkenv::{DataKey, DecryptOptions, EncryptOptions, EncryptionContext, Limits};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyInt, PyMemoryView, PyString};

use errors::IntoPyResult;
use keyrings::KeyringArg;

/// Bytes from a Python argument: `bytes` are borrowed, `bytearray` and
/// `memoryview` are copied (so that another thread cannot change them while
/// the GIL is released).
pub(crate) enum ByteArg<'py> {
    Borrowed(Bound<'py, PyBytes>),
    Owned(Vec<u8>),
}

impl ByteArg<'_> {
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            ByteArg::Borrowed(b) => b.as_bytes(),
            ByteArg::Owned(v) => v,
        }
    }

    pub(crate) fn into_vec(self) -> Vec<u8> {
        match self {
            ByteArg::Borrowed(b) => b.as_bytes().to_vec(),
            ByteArg::Owned(v) => v,
        }
    }
}

pub(crate) fn bytes_arg<'py>(value: &Bound<'py, PyAny>, what: &str) -> PyResult<ByteArg<'py>> {
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(ByteArg::Borrowed(b.clone()));
    }
    if let Ok(b) = value.cast::<PyByteArray>() {
        return Ok(ByteArg::Owned(b.to_vec()));
    }
    if value.cast::<PyMemoryView>().is_ok() {
        let copy = value.call_method0("tobytes")?;
        return Ok(ByteArg::Borrowed(copy.cast_into::<PyBytes>()?));
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be bytes, bytearray or memoryview, got {}",
        value
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default()
    )))
}

/// An encryption context from `None` or a mapping of str to str.
pub(crate) fn context_arg(value: Option<&Bound<'_, PyAny>>) -> PyResult<EncryptionContext> {
    let mut context = EncryptionContext::new();
    let Some(value) = value else {
        return Ok(context);
    };
    if value.is_none() {
        return Ok(context);
    }
    let items = value
        .call_method0("items")
        .map_err(|_| PyTypeError::new_err("encryption_context must be a mapping of str to str"))?;
    for item in items.try_iter()? {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
        if k.cast::<PyString>().is_err() || v.cast::<PyString>().is_err() {
            return Err(PyTypeError::new_err(
                "encryption_context keys and values must be str",
            ));
        }
        context.insert(k.extract()?, v.extract()?);
    }
    Ok(context)
}

/// A `frame_length` argument: any Python `int`, however large or negative
/// (out of range is `InvalidArgumentError`, never `OverflowError`). The range
/// is checked by [`FrameLength::check`], by the core, before any KMS call.
pub(crate) enum FrameLength {
    /// Fits in a `u32` (the core checks the range).
    Value(u32),
    /// Does not fit in a `u32`: the int as text, for the message.
    OutOfRange(String),
}

impl FrameLength {
    /// The default frame length of the public API.
    pub(crate) const DEFAULT: FrameLength = FrameLength::Value(65536);

    /// The frame length, checked against the core's range.
    pub(crate) fn check(&self, py: Python<'_>) -> PyResult<u32> {
        let value = match self {
            FrameLength::Value(v) => *v,
            FrameLength::OutOfRange(text) => {
                return Err(errors::to_py(
                    py,
                    mrkenv::Error::InvalidArgument(format!(
                        "frame length {text} is outside {}..={}",
                        mrkenv::MIN_FRAME_LENGTH,
                        mrkenv::MAX_FRAME_LENGTH
                    )),
                ))
            }
        };
        mrkenv::limits::check_frame_length(value).py_err(py)?;
        Ok(value)
    }
}

impl FromPyObject<'_, '_> for FrameLength {
    type Error = PyErr;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> PyResult<Self> {
        let int = obj.cast::<PyInt>().map_err(|_| {
            PyTypeError::new_err(format!(
                "frame_length must be an int, got {}",
                obj.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })?;
        Ok(match int.extract::<u32>() {
            Ok(v) => FrameLength::Value(v),
            Err(_) => {
                // str() of a very large int can itself fail (digit limit).
                let text = int.str().map(|s| s.to_string());
                let text = match text {
                    Ok(t) if t.len() <= 40 => t,
                    _ => "(a very large int)".to_string(),
                };
                FrameLength::OutOfRange(text)
            }
        })
    }
}

/// Encrypts `plaintext` into one message.
#[pyfunction]
#[pyo3(
    signature = (plaintext, keyring, *, encryption_context=None, frame_length=FrameLength::DEFAULT),
    text_signature = "(plaintext, keyring, *, encryption_context=None, frame_length=65536)"
)]
fn encrypt<'py>(
    py: Python<'py>,
    plaintext: &Bound<'py, PyAny>,
    keyring: &Bound<'py, PyAny>,
    encryption_context: Option<&Bound<'py, PyAny>>,
    frame_length: FrameLength,
) -> PyResult<Bound<'py, PyBytes>> {
    encrypt_impl(
        py,
        plaintext,
        keyring,
        encryption_context,
        frame_length,
        None,
    )
}

/// What only the test-vector hooks inject: message id, data key, raw AES IV.
pub(crate) struct Injected {
    pub(crate) message_id: [u8; 32],
    pub(crate) raw_aes: Option<(DataKey, [u8; 12])>,
}

impl Injected {
    /// Reads the hooks' arguments: a 32-byte message id, and a data key with
    /// a 12-byte IV (both or neither).
    pub(crate) fn from_py(
        py: Python<'_>,
        message_id: &Bound<'_, PyAny>,
        data_key: Option<&Bound<'_, PyAny>>,
        raw_aes_iv: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Injected> {
        let message_id: [u8; 32] = bytes_arg(message_id, "message_id")?
            .as_slice()
            .try_into()
            .map_err(|_| PyValueError::new_err("message_id must be 32 bytes"))?;
        let raw_aes = match (data_key, raw_aes_iv) {
            (Some(k), Some(iv)) => {
                let key = DataKey::from_slice(bytes_arg(k, "data_key")?.as_slice()).py_err(py)?;
                let iv: [u8; 12] = bytes_arg(iv, "raw_aes_iv")?
                    .as_slice()
                    .try_into()
                    .map_err(|_| PyValueError::new_err("raw_aes_iv must be 12 bytes"))?;
                Some((key, iv))
            }
            _ => None,
        };
        Ok(Injected {
            message_id,
            raw_aes,
        })
    }
}

fn encrypt_impl<'py>(
    py: Python<'py>,
    plaintext: &Bound<'py, PyAny>,
    keyring: &Bound<'py, PyAny>,
    encryption_context: Option<&Bound<'py, PyAny>>,
    frame_length: FrameLength,
    injected: Option<Injected>,
) -> PyResult<Bound<'py, PyBytes>> {
    let plaintext = bytes_arg(plaintext, "plaintext")?;
    let keyring = KeyringArg::from_py(keyring)?;
    let context = context_arg(encryption_context)?;
    let frame_length = frame_length.check(py)?;
    let limits = Limits::default();
    let (message_id, raw_aes) = match injected {
        Some(i) => (Some(i.message_id), i.raw_aes),
        None => (None, None),
    };
    let materials = keyring.encryption_materials(py, &context, &limits, raw_aes)?;
    let options = EncryptOptions {
        frame_length,
        limits,
        message_id,
    };
    let data = plaintext.as_slice();
    let message = py
        .detach(|| mrkenv::encrypt(materials, data, &options))
        .py_err(py)?;
    Ok(PyBytes::new(py, &message))
}

/// Decrypts one message.
#[pyfunction]
#[pyo3(signature = (ciphertext, keyring, *, encryption_context=None))]
fn decrypt<'py>(
    py: Python<'py>,
    ciphertext: &Bound<'py, PyAny>,
    keyring: &Bound<'py, PyAny>,
    encryption_context: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let ciphertext = bytes_arg(ciphertext, "ciphertext")?;
    let keyring = KeyringArg::from_py(keyring)?;
    let required_context = context_arg(encryption_context)?;
    let limits = Limits::default();
    let message = ciphertext.as_slice();
    let header = mrkenv::parse_header(message, &limits).py_err(py)?;
    // Check the required context before asking KMS for anything.
    mrkenv::check_required_context(&header.encryption_context, &required_context).py_err(py)?;
    let data_key = keyring.data_key(py, &header)?;
    let options = DecryptOptions {
        limits,
        required_context,
    };
    let plaintext = py
        .detach(|| mrkenv::decrypt(message, &data_key, &options))
        .py_err(py)?;
    Ok(PyBytes::new(py, &plaintext))
}

/// A summary of the header (no key needed; a prefix of a message is enough).
#[pyfunction]
fn inspect<'py>(py: Python<'py>, ciphertext: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let ciphertext = bytes_arg(ciphertext, "ciphertext")?;
    let summary = mrkenv::inspect(ciphertext.as_slice()).py_err(py)?;
    let json = serde_json::to_string(&summary)
        .map_err(|e| PyValueError::new_err(format!("cannot serialise the summary: {e}")))?;
    py.import("json")?.call_method1("loads", (json,))
}

/// The parts of a KMS ARN: holds the core's parsed value, so `str()` is the
/// core's own formatting of the ARN.
#[pyclass(module = "mrkenv", name = "KmsArn", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
struct KmsArn(mrkenv::KmsArn);

#[pymethods]
impl KmsArn {
    /// The AWS partition, e.g. `"aws"`.
    #[getter]
    fn partition(&self) -> &str {
        &self.0.partition
    }

    /// The service, always `"kms"`.
    #[getter]
    fn service(&self) -> &str {
        &self.0.service
    }

    /// The Region, e.g. `"us-east-1"`.
    #[getter]
    fn region(&self) -> &str {
        &self.0.region
    }

    /// The account id.
    #[getter]
    fn account(&self) -> &str {
        &self.0.account
    }

    /// `"key"` or `"alias"`.
    #[getter]
    fn resource_type(&self) -> &'static str {
        self.0.resource_type.as_str()
    }

    /// The key id or alias name.
    #[getter]
    fn resource_id(&self) -> &str {
        &self.0.resource_id
    }

    /// True for a `key` ARN whose id starts with `mrk-`.
    #[getter]
    fn is_mrk(&self) -> bool {
        self.0.is_mrk()
    }

    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __repr__(&self) -> String {
        format!("KmsArn({:?})", self.0.to_string())
    }
}

/// Parses a KMS ARN.
#[pyfunction]
fn parse_arn(py: Python<'_>, s: &str) -> PyResult<KmsArn> {
    mrkenv::parse_arn(s).map(KmsArn).py_err(py)
}

/// True when `identifier` names a multi-Region key.
#[pyfunction]
fn is_mrk(py: Python<'_>, identifier: &str) -> PyResult<bool> {
    mrkenv::is_mrk(identifier).py_err(py)
}

/// The MRK match of the AWS Encryption SDK specification.
#[pyfunction]
fn mrk_match(py: Python<'_>, a: &str, b: &str) -> PyResult<bool> {
    mrkenv::mrk_match(a, b).py_err(py)
}

/// Testing only: encrypts with an injected message id (and, for a raw AES
/// keyring, data key and IV) to reproduce test vectors byte for byte.
#[pyfunction]
#[pyo3(signature = (plaintext, keyring, *, encryption_context, frame_length, message_id, data_key=None, raw_aes_iv=None))]
#[allow(clippy::too_many_arguments)]
fn _testing_encrypt_with<'py>(
    py: Python<'py>,
    plaintext: &Bound<'py, PyAny>,
    keyring: &Bound<'py, PyAny>,
    encryption_context: Option<&Bound<'py, PyAny>>,
    frame_length: FrameLength,
    message_id: &Bound<'py, PyAny>,
    data_key: Option<&Bound<'py, PyAny>>,
    raw_aes_iv: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let injected = Injected::from_py(py, message_id, data_key, raw_aes_iv)?;
    encrypt_impl(
        py,
        plaintext,
        keyring,
        encryption_context,
        frame_length,
        Some(injected),
    )
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<KmsArn>()?;
    m.add_class::<keyrings::KmsMrkKeyring>()?;
    m.add_class::<keyrings::KmsMrkDiscoveryKeyring>()?;
    m.add_class::<keyrings::DiscoveryFilter>()?;
    m.add_class::<keyrings::RawAesKeyring>()?;
    m.add_function(wrap_pyfunction!(encrypt, m)?)?;
    m.add_function(wrap_pyfunction!(decrypt, m)?)?;
    m.add_function(wrap_pyfunction!(stream::encrypt_stream, m)?)?;
    m.add_function(wrap_pyfunction!(stream::decrypt_stream, m)?)?;
    m.add_function(wrap_pyfunction!(rekey::rekey, m)?)?;
    m.add_function(wrap_pyfunction!(rekey::rekey_header, m)?)?;
    m.add_function(wrap_pyfunction!(rekey::rekey_stream, m)?)?;
    m.add_function(wrap_pyfunction!(rekey::rekey_record, m)?)?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    m.add_function(wrap_pyfunction!(parse_arn, m)?)?;
    m.add_function(wrap_pyfunction!(is_mrk, m)?)?;
    m.add_function(wrap_pyfunction!(mrk_match, m)?)?;
    m.add_function(wrap_pyfunction!(record::encrypt_record, m)?)?;
    m.add_function(wrap_pyfunction!(record::decrypt_record, m)?)?;
    m.add_function(wrap_pyfunction!(_testing_encrypt_with, m)?)?;
    m.add_function(wrap_pyfunction!(record::_testing_encrypt_record_with, m)?)?;
    // pyo3 lists every name added above in `__all__`; the package's public
    // names are listed once, in `mrkenv.__all__` (python/mrkenv/__init__.py).
    m.delattr("__all__")?;
    Ok(())
}
