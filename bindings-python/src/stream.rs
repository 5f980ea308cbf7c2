//! `encrypt_stream` / `decrypt_stream` on binary file objects, holding about
//! one frame in memory whatever the size of the data.
//!
//! Reads call `src.read(n)`, writes call `dst.write(b)` (repeated until every
//! byte is taken when `write` returns a short count). Crypto on each chunk runs
//! with the GIL released. `decrypt_stream` writes each frame's plaintext only
//! after that frame's tag verified, but a message that turns out truncated or
//! tampered later still leaves the earlier frames in `dst`: write to a
//! temporary file and rename it on success (as the CLI does) when that matters.

use mrkenv::{DecryptOptions, Decryptor, EncryptOptions, Encryptor};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt};

use crate::args::stream_arg;
use crate::errors::{guarded, IntoPyResult};
use crate::keyrings::KeyringArg;
use crate::limits::limits_arg;
use crate::{bytes_arg, context_arg, ByteArg, FrameLength};

/// How much `decrypt_stream` reads at a time.
pub(crate) const DECRYPT_CHUNK: usize = 64 * 1024;

/// Reads up to `n` bytes; an empty result means end of input. `read` may
/// return `bytes`, `bytearray` or `memoryview` (raw and custom streams do),
/// and fewer bytes than asked.
pub(crate) fn read_chunk<'py>(src: &Bound<'py, PyAny>, n: usize) -> PyResult<ByteArg<'py>> {
    let chunk = src.call_method1("read", (n,))?;
    if chunk.is_none() {
        return Err(PyValueError::new_err(
            "src.read() returned None (a non-blocking stream with no data ready is not supported)",
        ));
    }
    bytes_arg(&chunk, "src.read()").map_err(|_| {
        PyTypeError::new_err(format!(
            "src.read() must return bytes (open the file in binary mode), got {}",
            chunk
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })
}

/// Writes every byte of `data` to `dst`, calling `write` again after a short
/// write (a raw file's `write` returns the count it took).
pub(crate) fn write_all(py: Python<'_>, dst: &Bound<'_, PyAny>, data: &[u8]) -> PyResult<()> {
    let mut at = 0;
    while at < data.len() {
        let written = dst.call_method1("write", (PyBytes::new(py, &data[at..]),))?;
        let Ok(count) = written.cast::<PyInt>() else {
            // Many file-like objects return None from write(): all was taken.
            return Ok(());
        };
        let left = data.len() - at;
        match count.extract::<usize>() {
            Ok(0) => return Err(PyValueError::new_err("dst.write() accepted no bytes")),
            Ok(n) if n <= left => at += n,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "dst.write() returned {count} for {left} bytes"
                )))
            }
        }
    }
    Ok(())
}

/// Encrypts everything read from `src` into one message written to `dst`.
#[pyfunction]
#[pyo3(
    signature = (src, dst, keyring, *, encryption_context=None, frame_length=None, limits=None),
    text_signature = "(src, dst, keyring, *, encryption_context=None, frame_length=65536, limits=None)"
)]
#[allow(clippy::too_many_arguments)]
pub fn encrypt_stream(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    dst: &Bound<'_, PyAny>,
    keyring: &Bound<'_, PyAny>,
    encryption_context: Option<&Bound<'_, PyAny>>,
    frame_length: Option<&Bound<'_, PyAny>>,
    limits: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    guarded(py, || {
        stream_arg(src, "src", "read")?;
        stream_arg(dst, "dst", "write")?;
        let keyring = KeyringArg::from_py(keyring)?;
        let context = context_arg(encryption_context)?;
        let frame_length = FrameLength::arg(frame_length)?.check(py)?;
        let limits = limits_arg(limits)?;
        let materials = keyring.encryption_materials(py, &context, &limits, None)?;
        let options = EncryptOptions {
            frame_length,
            limits,
            message_id: None,
        };
        let mut encryptor = Encryptor::new(materials, &options).py_err(py)?;
        let frame = frame_length as usize;
        let mut out = Vec::with_capacity(frame + 4096);
        loop {
            let bytes = read_chunk(src, frame)?;
            let data = bytes.as_slice();
            if data.is_empty() {
                break;
            }
            py.detach(|| encryptor.update(data, &mut out)).py_err(py)?;
            write_all(py, dst, &out)?;
            out.clear();
        }
        encryptor.finish(&mut out).py_err(py)?;
        write_all(py, dst, &out)
    })
}

/// Decrypts one message read from `src`, writing the plaintext to `dst`.
#[pyfunction]
#[pyo3(signature = (src, dst, keyring, *, encryption_context=None, limits=None))]
pub fn decrypt_stream(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    dst: &Bound<'_, PyAny>,
    keyring: &Bound<'_, PyAny>,
    encryption_context: Option<&Bound<'_, PyAny>>,
    limits: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    guarded(py, || {
        stream_arg(src, "src", "read")?;
        stream_arg(dst, "dst", "write")?;
        let keyring = KeyringArg::from_py(keyring)?;
        let required_context = context_arg(encryption_context)?;
        let mut decryptor = Decryptor::new(DecryptOptions {
            limits: limits_arg(limits)?,
            required_context,
        });
        let mut out = Vec::new();
        // The header (and required-context check) come first; nothing is written
        // and KMS is not called until the whole header is read.
        while !decryptor.needs_data_key() {
            let bytes = read_chunk(src, DECRYPT_CHUNK)?;
            if bytes.as_slice().is_empty() {
                // The core reports the precise truncation.
                decryptor.finish().py_err(py)?;
                return Err(PyValueError::new_err("the message ended in its header"));
            }
            decryptor.update(bytes.as_slice(), &mut out).py_err(py)?;
        }
        let header = decryptor.header().cloned().ok_or_else(|| {
            PyRuntimeError::new_err("mrkenv: internal error: no header after reading the header")
        })?;
        let data_key = keyring.data_key(py, &header)?;
        // Also decrypts the frames that arrived with the header.
        py.detach(|| decryptor.set_data_key(&data_key, &mut out))
            .py_err(py)?;
        write_all(py, dst, &out)?;
        pump(py, src, dst, |data, out| decryptor.update(data, out))?;
        decryptor.finish().py_err(py)
    })
}

/// Reads the rest of `src` in chunks, runs `step` on each without the GIL
/// and writes what it produced to `dst` (about one chunk in memory).
pub(crate) fn pump<F>(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    dst: &Bound<'_, PyAny>,
    mut step: F,
) -> PyResult<()>
where
    F: FnMut(&[u8], &mut Vec<u8>) -> Result<(), mrkenv::Error> + Send,
{
    let mut out = Vec::new();
    loop {
        let bytes = read_chunk(src, DECRYPT_CHUNK)?;
        let data = bytes.as_slice();
        if data.is_empty() {
            return Ok(());
        }
        py.detach(|| step(data, &mut out)).py_err(py)?;
        write_all(py, dst, &out)?;
        out.clear();
    }
}
