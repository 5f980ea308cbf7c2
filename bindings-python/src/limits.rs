//! `mrkenv.Limits`: the core's limits ([`mrkenv::Limits`]), settable by
//! keyword and passed as `limits=` to every function that reads or writes a
//! message or a record.
//!
//! ```python
//! import mrkenv
//! strict = mrkenv.Limits(max_frame_length=1 << 20, max_encrypted_data_keys=4)
//! plaintext = mrkenv.decrypt(message, keyring, limits=strict)
//! ```

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyInt;

use crate::args::type_name;

/// Limits checked before the work they guard; every keyword defaults to the
/// core's default.
#[pyclass(module = "mrkenv", name = "Limits", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct Limits(pub(crate) mrkenv::Limits);

/// A non-negative int keyword, or the default when not given.
fn count(value: Option<&Bound<'_, PyAny>>, what: &str, default: usize) -> PyResult<usize> {
    let Some(value) = value else {
        return Ok(default);
    };
    let wrong = || {
        PyTypeError::new_err(format!(
            "{what} must be a non-negative int, got {}",
            type_name(value)
        ))
    };
    let int = value.cast::<PyInt>().map_err(|_| wrong())?;
    if value.is_instance_of::<pyo3::types::PyBool>() {
        return Err(wrong());
    }
    int.extract::<usize>().map_err(|_| {
        crate::errors::to_py(
            value.py(),
            mrkenv::Error::InvalidArgument(format!("{what} must be between 0 and {}", usize::MAX)),
        )
    })
}

#[pymethods]
impl Limits {
    #[new]
    #[pyo3(signature = (*, max_encrypted_data_keys=None, max_header_bytes=None, max_context_entries=None, max_context_bytes=None, max_frame_length=None, max_record_attributes=None, max_record_depth=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        max_encrypted_data_keys: Option<&Bound<'_, PyAny>>,
        max_header_bytes: Option<&Bound<'_, PyAny>>,
        max_context_entries: Option<&Bound<'_, PyAny>>,
        max_context_bytes: Option<&Bound<'_, PyAny>>,
        max_frame_length: Option<&Bound<'_, PyAny>>,
        max_record_attributes: Option<&Bound<'_, PyAny>>,
        max_record_depth: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let d = mrkenv::Limits::default();
        let frame = count(
            max_frame_length,
            "max_frame_length",
            d.max_frame_length as usize,
        )?;
        let max_frame_length = u32::try_from(frame)
            .ok()
            .filter(|f| (mrkenv::MIN_FRAME_LENGTH..=mrkenv::MAX_FRAME_LENGTH).contains(f))
            .ok_or_else(|| {
                crate::errors::to_py(
                    py,
                    mrkenv::Error::InvalidArgument(format!(
                        "max_frame_length {frame} is outside {}..={}",
                        mrkenv::MIN_FRAME_LENGTH,
                        mrkenv::MAX_FRAME_LENGTH
                    )),
                )
            })?;
        Ok(Limits(mrkenv::Limits {
            max_encrypted_data_keys: count(
                max_encrypted_data_keys,
                "max_encrypted_data_keys",
                d.max_encrypted_data_keys,
            )?,
            max_header_bytes: count(max_header_bytes, "max_header_bytes", d.max_header_bytes)?,
            max_context_entries: count(
                max_context_entries,
                "max_context_entries",
                d.max_context_entries,
            )?,
            max_context_bytes: count(max_context_bytes, "max_context_bytes", d.max_context_bytes)?,
            max_frame_length,
            max_record_attributes: count(
                max_record_attributes,
                "max_record_attributes",
                d.max_record_attributes,
            )?,
            max_record_depth: count(max_record_depth, "max_record_depth", d.max_record_depth)?,
        }))
    }

    /// Most encrypted data keys in one message (default 16).
    #[getter]
    fn max_encrypted_data_keys(&self) -> usize {
        self.0.max_encrypted_data_keys
    }

    /// Most bytes of the encoded header (default 256 KiB).
    #[getter]
    fn max_header_bytes(&self) -> usize {
        self.0.max_header_bytes
    }

    /// Most encryption context entries (default 128).
    #[getter]
    fn max_context_entries(&self) -> usize {
        self.0.max_context_entries
    }

    /// Most bytes of all context keys and values together (default 64 KiB).
    #[getter]
    fn max_context_bytes(&self) -> usize {
        self.0.max_context_bytes
    }

    /// Largest frame length a reader accepts (default 16 MiB).
    #[getter]
    fn max_frame_length(&self) -> u32 {
        self.0.max_frame_length
    }

    /// Most attributes in one record, the reserved two not counted (default 4096).
    #[getter]
    fn max_record_attributes(&self) -> usize {
        self.0.max_record_attributes
    }

    /// Deepest nesting of `L` and `M` values in a record (default 32).
    #[getter]
    fn max_record_depth(&self) -> usize {
        self.0.max_record_depth
    }

    fn __repr__(&self) -> String {
        let l = &self.0;
        format!(
            "Limits(max_encrypted_data_keys={}, max_header_bytes={}, max_context_entries={}, max_context_bytes={}, max_frame_length={}, max_record_attributes={}, max_record_depth={})",
            l.max_encrypted_data_keys,
            l.max_header_bytes,
            l.max_context_entries,
            l.max_context_bytes,
            l.max_frame_length,
            l.max_record_attributes,
            l.max_record_depth
        )
    }
}

/// The `limits=` keyword: `None` for the defaults, or a `Limits`.
pub(crate) fn limits_arg(value: Option<&Bound<'_, PyAny>>) -> PyResult<mrkenv::Limits> {
    match value {
        Some(v) if !v.is_none() => v.cast::<Limits>().map(|l| l.get().0.clone()).map_err(|_| {
            PyTypeError::new_err(format!(
                "limits must be an mrkenv.Limits, got {}",
                type_name(v)
            ))
        }),
        _ => Ok(mrkenv::Limits::default()),
    }
}
