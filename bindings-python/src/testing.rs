//! Test hooks, compiled only with the cargo feature `testing` (the wheel
//! `make -C bindings-python test` installs), never into a release wheel
//! (`make dist`): a deterministic encrypt (fixed message id, data key and IV)
//! used twice with the same key and id repeats the keystream, so it must not
//! ship. `mrkenv._testing` wraps these; in a release build it raises
//! `ImportError`.

use mrkenv::record::{self as core_record, EncryptRecordOptions};
use mrkenv::DataKey;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::errors::{guarded, IntoPyResult};
use crate::keyrings::KeyringArg;
use crate::record::{configure, item_from_py, item_to_py};
use crate::{bytes_arg, FrameLength, Injected};

impl Injected {
    /// Reads the hooks' arguments: a 32-byte message id, and a data key with
    /// a 12-byte IV (both or neither).
    fn from_py(
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
    frame_length: &Bound<'py, PyAny>,
    message_id: &Bound<'py, PyAny>,
    data_key: Option<&Bound<'py, PyAny>>,
    raw_aes_iv: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let injected = Injected::from_py(py, message_id, data_key, raw_aes_iv)?;
    let frame_length = FrameLength::arg(Some(frame_length))?;
    crate::encrypt_impl(
        py,
        plaintext,
        keyring,
        encryption_context,
        frame_length,
        None,
        Some(injected),
    )
}

/// Testing only: [`encrypt_record`] with an injected message id (and, for a
/// raw AES keyring, data key and IV) to reproduce the record vectors.
#[pyfunction]
#[pyo3(signature = (item, keyring, actions, *, table_name, partition_key, sort_key, default_action, encryption_context, message_id, data_key=None, raw_aes_iv=None))]
#[allow(clippy::too_many_arguments)]
fn _testing_encrypt_record_with<'py>(
    py: Python<'py>,
    item: &Bound<'py, PyAny>,
    keyring: &Bound<'py, PyAny>,
    actions: &Bound<'py, PyAny>,
    table_name: String,
    partition_key: String,
    sort_key: Option<String>,
    default_action: Option<&Bound<'py, PyAny>>,
    encryption_context: Option<&Bound<'py, PyAny>>,
    message_id: &Bound<'py, PyAny>,
    data_key: Option<&Bound<'py, PyAny>>,
    raw_aes_iv: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let injected = Injected::from_py(py, message_id, data_key, raw_aes_iv)?;
    let keyring = KeyringArg::from_py(keyring)?;
    let mut options = EncryptRecordOptions::new(table_name, partition_key);
    options.sort_key = sort_key;
    options.message_id = Some(injected.message_id);
    configure(
        py,
        &mut options,
        actions,
        default_action,
        encryption_context,
    )?;
    let item = item_from_py(py, item, &options.limits)?;
    let plan = core_record::encrypt_plan(item, &options).py_err(py)?;
    let materials = keyring.encryption_materials(
        py,
        plan.encryption_context(),
        &options.limits,
        injected.raw_aes,
    )?;
    let encrypted = plan.seal(materials).py_err(py)?;
    item_to_py(py, &encrypted)
}

/// Testing only: panics inside the binding (with the GIL released, as bulk
/// work runs), to prove a panic becomes an `mrkenv.InternalError`.
#[pyfunction]
fn _testing_panic(py: Python<'_>) -> PyResult<()> {
    guarded(py, || {
        py.detach(|| -> () { panic!("injected by _testing_panic") });
        Ok(())
    })
}

/// Testing only: how many `encrypt_record` and `decrypt_record` calls on
/// this thread took the options kept from the previous call (see
/// `record_options`), to prove the reuse happens and when it does not.
#[pyfunction]
fn _testing_record_options_reused() -> (u64, u64) {
    crate::record_options::reused()
}

/// Adds the hooks to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_testing_encrypt_with, m)?)?;
    m.add_function(wrap_pyfunction!(_testing_encrypt_record_with, m)?)?;
    m.add_function(wrap_pyfunction!(_testing_panic, m)?)?;
    m.add_function(wrap_pyfunction!(_testing_record_options_reused, m)?)?;
    Ok(())
}
