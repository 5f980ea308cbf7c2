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

mod args;
mod errors;
mod keyrings;
mod limits;
mod record;
mod record_options;
mod rekey;
mod stream;
#[cfg(feature = "testing")]
mod testing;

use mrkenv::{DataKey, DecryptOptions, EncryptOptions, Encryptor, ParsedMessage};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt};
use zeroize::Zeroizing;

pub(crate) use args::{bytes_arg, context_arg, ByteArg};
use errors::{guarded, IntoPyResult};
use keyrings::KeyringArg;
use limits::limits_arg;

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

impl FrameLength {
    /// The `frame_length` keyword: the default when not given, else any
    /// Python `int` (out of range is `InvalidArgumentError` later, never
    /// `OverflowError`).
    pub(crate) fn arg(value: Option<&Bound<'_, PyAny>>) -> PyResult<FrameLength> {
        let Some(obj) = value else {
            return Ok(FrameLength::DEFAULT);
        };
        let int = obj
            .cast::<PyInt>()
            .ok()
            .filter(|_| !obj.is_instance_of::<pyo3::types::PyBool>())
            .ok_or_else(|| {
                PyTypeError::new_err(format!(
                    "frame_length must be an int, got {}",
                    args::type_name(obj)
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
    signature = (plaintext, keyring, *, encryption_context=None, frame_length=None, limits=None),
    text_signature = "(plaintext, keyring, *, encryption_context=None, frame_length=65536, limits=None)"
)]
fn encrypt<'py>(
    py: Python<'py>,
    plaintext: &Bound<'py, PyAny>,
    keyring: &Bound<'py, PyAny>,
    encryption_context: Option<&Bound<'py, PyAny>>,
    frame_length: Option<&Bound<'py, PyAny>>,
    limits: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    guarded(py, || {
        let frame_length = FrameLength::arg(frame_length)?;
        encrypt_impl(
            py,
            plaintext,
            keyring,
            encryption_context,
            frame_length,
            limits,
            None,
        )
    })
}

/// What only the test-vector hooks inject: message id, data key, raw AES IV
/// (built only by the `testing` feature's hooks).
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) struct Injected {
    pub(crate) message_id: [u8; 32],
    pub(crate) raw_aes: Option<(DataKey, [u8; 12])>,
}

/// One message for `plaintext`, built at its final size: the encryptor
/// tells the exact length, the `bytes` result is allocated once at that
/// length and every frame is encrypted straight into it, with the GIL
/// released.
fn encrypt_impl<'py>(
    py: Python<'py>,
    plaintext: &Bound<'py, PyAny>,
    keyring: &Bound<'py, PyAny>,
    encryption_context: Option<&Bound<'py, PyAny>>,
    frame_length: FrameLength,
    limits: Option<&Bound<'py, PyAny>>,
    injected: Option<Injected>,
) -> PyResult<Bound<'py, PyBytes>> {
    let plaintext = bytes_arg(plaintext, "plaintext")?;
    let keyring = KeyringArg::from_py(keyring)?;
    let context = context_arg(encryption_context)?;
    let limits = limits_arg(limits)?;
    let frame_length = frame_length.check(py)?;
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
    let encryptor = Encryptor::new(materials, &options).py_err(py)?;
    let len = encryptor.message_len(data.len());
    PyBytes::new_with(py, len, |out| {
        let written = py
            .detach(|| mrkenv::message::seal_to_slice(encryptor, data, out))
            .py_err(py)?;
        check_len(py, written, len)
    })
}

/// The core wrote exactly the length it announced (else a bug: an error,
/// never a result with trailing zeros).
fn check_len(py: Python<'_>, written: usize, expected: usize) -> PyResult<()> {
    if written == expected {
        Ok(())
    } else {
        Err(errors::internal_error(
            py,
            format!("wrote {written} bytes where {expected} were announced"),
        ))
    }
}

/// The plaintext of a parsed message with its data key, decrypted with the
/// GIL released, into a result allocated once at its exact length (read
/// from the frame heads, without reading the header again). A message whose
/// framing cannot be read is decrypted into a buffer instead, which reports
/// the precise error.
fn decrypt_message<'py>(
    py: Python<'py>,
    parsed: &mut ParsedMessage<'_>,
    data_key: &DataKey,
) -> PyResult<Bound<'py, PyBytes>> {
    match parsed.plaintext_len().ok() {
        Some(len) => PyBytes::new_with(py, len, |out| {
            let written = py
                .detach(|| parsed.decrypt_to_slice(data_key, out))
                .py_err(py)?;
            check_len(py, written, len)
        }),
        None => {
            let plaintext = py
                .detach(|| parsed.decrypt(data_key).map(Zeroizing::new))
                .py_err(py)?;
            Ok(PyBytes::new(py, &plaintext))
        }
    }
}

/// Reads the header of `message` once (with the required context, in the
/// order of FORMAT.md §7.1), asks the keyring for the data key and decrypts:
/// the one path of `decrypt` and `decrypt_with_header`.
fn decrypt_impl<'py>(
    py: Python<'py>,
    ciphertext: &Bound<'py, PyAny>,
    keyring: &Bound<'py, PyAny>,
    encryption_context: Option<&Bound<'py, PyAny>>,
    limits: Option<&Bound<'py, PyAny>>,
) -> PyResult<(Bound<'py, PyBytes>, mrkenv::Header)> {
    let ciphertext = bytes_arg(ciphertext, "ciphertext")?;
    let keyring = KeyringArg::from_py(keyring)?;
    let options = DecryptOptions {
        limits: limits_arg(limits)?,
        required_context: context_arg(encryption_context)?,
    };
    // The required context is checked here, before the keyring asks KMS.
    let mut parsed = ParsedMessage::parse(ciphertext.as_slice(), &options).py_err(py)?;
    let data_key = keyring.data_key(py, parsed.header())?;
    let plaintext = decrypt_message(py, &mut parsed, &data_key)?;
    Ok((plaintext, parsed.into_header()))
}

/// Decrypts one message.
#[pyfunction]
#[pyo3(signature = (ciphertext, keyring, *, encryption_context=None, limits=None))]
fn decrypt<'py>(
    py: Python<'py>,
    ciphertext: &Bound<'py, PyAny>,
    keyring: &Bound<'py, PyAny>,
    encryption_context: Option<&Bound<'py, PyAny>>,
    limits: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    guarded(py, || {
        decrypt_impl(py, ciphertext, keyring, encryption_context, limits).map(|(p, _)| p)
    })
}

/// The result of `decrypt_with_header`: the plaintext and the header it
/// was verified with.
#[pyclass(module = "mrkenv", name = "Decrypted", frozen)]
struct Decrypted {
    plaintext: Py<PyBytes>,
    header: Py<PyAny>,
}

#[pymethods]
impl Decrypted {
    /// The plaintext.
    #[getter]
    fn plaintext(&self, py: Python<'_>) -> Py<PyBytes> {
        self.plaintext.clone_ref(py)
    }

    /// The header summary, as `inspect()` returns it.
    #[getter]
    fn header(&self, py: Python<'_>) -> Py<PyAny> {
        self.header.clone_ref(py)
    }

    /// The encryption context bound into the message.
    #[getter]
    fn encryption_context<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.header.bind(py).get_item("encryption_context")
    }

    /// The encrypted data keys of the message (as in `inspect()`).
    #[getter]
    fn encrypted_data_keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.header.bind(py).get_item("encrypted_data_keys")
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Decrypted(plaintext=<{} bytes>, encryption_context={})",
            self.plaintext.bind(py).as_bytes().len(),
            self.header
                .bind(py)
                .get_item("encryption_context")
                .and_then(|c| c.repr())
                .map(|r| r.to_string())
                .unwrap_or_default()
        )
    }
}

/// The header summary as Python values (the `inspect()` dict).
fn summary_to_py<'py>(
    py: Python<'py>,
    summary: &mrkenv::HeaderSummary,
) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_string(summary)
        .map_err(|e| PyValueError::new_err(format!("cannot serialise the summary: {e}")))?;
    py.import("json")?.call_method1("loads", (json,))
}

/// Decrypts one message and returns its plaintext with its header.
#[pyfunction]
#[pyo3(signature = (ciphertext, keyring, *, encryption_context=None, limits=None))]
fn decrypt_with_header<'py>(
    py: Python<'py>,
    ciphertext: &Bound<'py, PyAny>,
    keyring: &Bound<'py, PyAny>,
    encryption_context: Option<&Bound<'py, PyAny>>,
    limits: Option<&Bound<'py, PyAny>>,
) -> PyResult<Decrypted> {
    guarded(py, || {
        let (plaintext, header) =
            decrypt_impl(py, ciphertext, keyring, encryption_context, limits)?;
        let summary = mrkenv::HeaderSummary::from_header(&header);
        Ok(Decrypted {
            plaintext: plaintext.unbind(),
            header: summary_to_py(py, &summary)?.unbind(),
        })
    })
}

/// A summary of the header (no key needed; a prefix of a message is enough).
#[pyfunction]
#[pyo3(signature = (ciphertext, *, limits=None))]
fn inspect<'py>(
    py: Python<'py>,
    ciphertext: &Bound<'py, PyAny>,
    limits: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    guarded(py, || {
        let ciphertext = bytes_arg(ciphertext, "ciphertext")?;
        let limits = limits_arg(limits)?;
        let summary = mrkenv::inspect_with_limits(ciphertext.as_slice(), &limits).py_err(py)?;
        summary_to_py(py, &summary)
    })
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
fn parse_arn(py: Python<'_>, s: &Bound<'_, PyAny>) -> PyResult<KmsArn> {
    guarded(py, || {
        let s = args::str_arg(s, "s")?;
        mrkenv::parse_arn(&s).map(KmsArn).py_err(py)
    })
}

/// True when `identifier` names a multi-Region key.
#[pyfunction]
fn is_mrk(py: Python<'_>, identifier: &Bound<'_, PyAny>) -> PyResult<bool> {
    guarded(py, || {
        let identifier = args::str_arg(identifier, "identifier")?;
        mrkenv::is_mrk(&identifier).py_err(py)
    })
}

/// The MRK match of the AWS Encryption SDK specification.
#[pyfunction]
fn mrk_match(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<bool> {
    guarded(py, || {
        let a = args::str_arg(a, "a")?;
        let b = args::str_arg(b, "b")?;
        mrkenv::mrk_match(&a, &b).py_err(py)
    })
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
    m.add_function(wrap_pyfunction!(decrypt_with_header, m)?)?;
    m.add_class::<Decrypted>()?;
    m.add_class::<limits::Limits>()?;
    // The test hooks exist only in a build with the `testing` feature
    // (`make -C bindings-python test`), never in a release wheel.
    #[cfg(feature = "testing")]
    testing::register(m)?;
    // pyo3 lists every name added above in `__all__`; the package's public
    // names are listed once, in `mrkenv.__all__` (python/mrkenv/__init__.py).
    m.delattr("__all__")?;
    Ok(())
}
