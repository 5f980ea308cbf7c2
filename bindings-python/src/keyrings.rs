//! The Python keyring classes and the one KMS loop around the user's client.
//!
//! The core keyrings decide what to ask KMS and check every answer; this
//! module only calls the client (any object with boto3's `kms` method names and
//! keyword arguments) and hands the answers back. An exception raised by the
//! client becomes the `__cause__` of the mrkenv error that reports it.

use mrkenv::error::KeyringError;
use mrkenv::keyring::{
    self as core_keyring, DecryptResponse, EncryptResponse, GenerateDataKeyResponse,
};
use mrkenv::{
    Attempt, DataKey, EncryptionContext, EncryptionMaterials, Error, ErrorKind, Header, Limits,
};
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::errors::{new_exception, no_decryptable_key, IntoPyResult};

/// Strict multi-Region-aware KMS keyring.
#[pyclass(module = "mrkenv", name = "KmsMrkKeyring", frozen)]
pub struct KmsMrkKeyring {
    inner: core_keyring::KmsMrkKeyring,
    client: Py<PyAny>,
    grant_tokens: Option<Vec<String>>,
}

#[pymethods]
impl KmsMrkKeyring {
    #[new]
    #[pyo3(signature = (client, key_ids, *, grant_tokens=None))]
    fn new(
        py: Python<'_>,
        client: Bound<'_, PyAny>,
        key_ids: Vec<String>,
        grant_tokens: Option<Vec<String>>,
    ) -> PyResult<Self> {
        check_client(&client)?;
        let inner = core_keyring::KmsMrkKeyring::new(key_ids).py_err(py)?;
        Ok(KmsMrkKeyring {
            inner,
            client: client.unbind(),
            grant_tokens,
        })
    }

    /// The configured key ids, in order (the first generates the data key).
    #[getter]
    fn key_ids(&self) -> Vec<String> {
        self.inner.key_ids().to_vec()
    }

    /// The KMS client this keyring calls.
    #[getter]
    fn client(&self, py: Python<'_>) -> Py<PyAny> {
        self.client.clone_ref(py)
    }

    /// The grant tokens passed to every KMS call, if any.
    #[getter]
    fn grant_tokens(&self) -> Option<Vec<String>> {
        self.grant_tokens.clone()
    }

    fn __repr__(&self) -> String {
        format!("KmsMrkKeyring(key_ids={:?})", self.inner.key_ids())
    }
}

/// A filter on the partition and account of the keys a discovery keyring uses.
#[pyclass(module = "mrkenv", name = "DiscoveryFilter", frozen, get_all)]
#[derive(Clone)]
pub struct DiscoveryFilter {
    /// The AWS partition, e.g. `"aws"`.
    partition: String,
    /// The accounts whose keys may be used.
    account_ids: Vec<String>,
}

impl DiscoveryFilter {
    fn core(&self) -> core_keyring::DiscoveryFilter {
        core_keyring::DiscoveryFilter {
            partition: self.partition.clone(),
            account_ids: self.account_ids.clone(),
        }
    }
}

#[pymethods]
impl DiscoveryFilter {
    #[new]
    fn new(py: Python<'_>, partition: String, account_ids: Vec<String>) -> PyResult<Self> {
        let filter = DiscoveryFilter {
            partition,
            account_ids,
        };
        // The core checks the filter when a keyring is made; check it now so
        // that a bad filter fails where it is written.
        core_keyring::KmsMrkDiscoveryKeyring::new("us-east-1", Some(filter.core())).py_err(py)?;
        Ok(filter)
    }

    fn __repr__(&self) -> String {
        format!(
            "DiscoveryFilter(partition={:?}, account_ids={:?})",
            self.partition, self.account_ids
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<DiscoveryFilter>() {
            Ok(other) => {
                let other = other.get();
                self.partition == other.partition && self.account_ids == other.account_ids
            }
            Err(_) => false,
        }
    }
}

/// Discovery multi-Region-aware KMS keyring (decrypt only).
#[pyclass(module = "mrkenv", name = "KmsMrkDiscoveryKeyring", frozen)]
pub struct KmsMrkDiscoveryKeyring {
    inner: core_keyring::KmsMrkDiscoveryKeyring,
    client: Py<PyAny>,
    filter: Option<Py<DiscoveryFilter>>,
    grant_tokens: Option<Vec<String>>,
}

#[pymethods]
impl KmsMrkDiscoveryKeyring {
    #[new]
    #[pyo3(signature = (client, region, *, discovery_filter=None, grant_tokens=None))]
    fn new(
        py: Python<'_>,
        client: Bound<'_, PyAny>,
        region: String,
        discovery_filter: Option<Bound<'_, DiscoveryFilter>>,
        grant_tokens: Option<Vec<String>>,
    ) -> PyResult<Self> {
        check_client(&client)?;
        let core_filter = discovery_filter.as_ref().map(|f| f.get().core());
        let inner = core_keyring::KmsMrkDiscoveryKeyring::new(region, core_filter).py_err(py)?;
        Ok(KmsMrkDiscoveryKeyring {
            inner,
            client: client.unbind(),
            filter: discovery_filter.map(Bound::unbind),
            grant_tokens,
        })
    }

    /// The Region whose KMS this keyring calls.
    #[getter]
    fn region(&self) -> String {
        self.inner.region().to_string()
    }

    /// The discovery filter, if any.
    #[getter]
    fn discovery_filter(&self, py: Python<'_>) -> Option<Py<DiscoveryFilter>> {
        self.filter.as_ref().map(|f| f.clone_ref(py))
    }

    /// The KMS client this keyring calls.
    #[getter]
    fn client(&self, py: Python<'_>) -> Py<PyAny> {
        self.client.clone_ref(py)
    }

    /// The grant tokens passed to every KMS call, if any.
    #[getter]
    fn grant_tokens(&self) -> Option<Vec<String>> {
        self.grant_tokens.clone()
    }

    fn __repr__(&self) -> String {
        match self.inner.filter() {
            Some(f) => format!(
                "KmsMrkDiscoveryKeyring(region={:?}, discovery_filter=DiscoveryFilter(partition={:?}, account_ids={:?}))",
                self.inner.region(),
                f.partition,
                f.account_ids
            ),
            None => format!("KmsMrkDiscoveryKeyring(region={:?})", self.inner.region()),
        }
    }
}

/// A keyring that wraps the data key locally with a 256-bit AES key.
#[pyclass(module = "mrkenv", name = "RawAesKeyring", frozen)]
pub struct RawAesKeyring {
    pub(crate) inner: core_keyring::RawAesKeyring,
}

#[pymethods]
impl RawAesKeyring {
    #[new]
    fn new(
        py: Python<'_>,
        key_namespace: String,
        key_name: String,
        wrapping_key: Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let key = crate::bytes_arg(&wrapping_key, "wrapping_key")?;
        let inner = core_keyring::RawAesKeyring::new(&key_namespace, &key_name, key.as_slice())
            .py_err(py)?;
        Ok(RawAesKeyring { inner })
    }

    /// The key namespace (the provider id in the message).
    #[getter]
    fn key_namespace(&self) -> String {
        self.inner.namespace().to_string()
    }

    /// The key name (the provider info in the message).
    #[getter]
    fn key_name(&self) -> String {
        self.inner.name().to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "RawAesKeyring(key_namespace={:?}, key_name={:?})",
            self.inner.namespace(),
            self.inner.name()
        )
    }
}

fn check_client(client: &Bound<'_, PyAny>) -> PyResult<()> {
    if client.is_none() || !client.hasattr("decrypt")? {
        return Err(PyTypeError::new_err(format!(
            "client must be a KMS client (e.g. boto3.client(\"kms\")), got {}",
            type_name(client)
        )));
    }
    Ok(())
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_string())
}

/// Any of the three keyrings, borrowed from a Python argument.
pub enum AnyKeyring<'a> {
    Strict(&'a KmsMrkKeyring),
    Discovery(&'a KmsMrkDiscoveryKeyring),
    RawAes(&'a RawAesKeyring),
}

impl<'a> AnyKeyring<'a> {
    pub fn from_py(keyring: &'a Bound<'_, PyAny>) -> PyResult<AnyKeyring<'a>> {
        if let Ok(k) = keyring.cast::<KmsMrkKeyring>() {
            return Ok(AnyKeyring::Strict(k.get()));
        }
        if let Ok(k) = keyring.cast::<KmsMrkDiscoveryKeyring>() {
            return Ok(AnyKeyring::Discovery(k.get()));
        }
        if let Ok(k) = keyring.cast::<RawAesKeyring>() {
            return Ok(AnyKeyring::RawAes(k.get()));
        }
        Err(PyTypeError::new_err(format!(
            "keyring must be a KmsMrkKeyring, KmsMrkDiscoveryKeyring or RawAesKeyring, got {}",
            type_name(keyring)
        )))
    }

    /// The encryption materials for one message: calls KMS for KMS keyrings.
    /// `injected` (data key, IV) is only for reproducing test vectors with a
    /// raw AES keyring.
    pub fn encryption_materials(
        &self,
        py: Python<'_>,
        context: &EncryptionContext,
        limits: &Limits,
        injected: Option<(DataKey, [u8; 12])>,
    ) -> PyResult<EncryptionMaterials> {
        match self {
            AnyKeyring::RawAes(k) => match injected {
                Some((data_key, iv)) => k
                    .inner
                    .encryption_materials_with(context, limits, data_key, iv)
                    .py_err(py),
                None => k.inner.encryption_materials(context, limits).py_err(py),
            },
            AnyKeyring::Discovery(k) => {
                // The core's "a discovery keyring cannot encrypt" error.
                let error = match k.inner.generate_data_key_request(context, limits) {
                    Err(e) => e,
                    Ok(_) => KeyringError::DiscoveryCannotEncrypt.into(),
                };
                Err(crate::errors::to_py(py, error))
            }
            AnyKeyring::Strict(k) => k.encryption_materials(py, context, limits),
        }
    }

    /// Finds the data key of a message from its header: calls KMS Decrypt
    /// for KMS keyrings, first success wins.
    pub fn data_key(&self, py: Python<'_>, header: &Header) -> PyResult<DataKey> {
        match self {
            AnyKeyring::RawAes(k) => k.inner.unwrap_data_key(header).py_err(py),
            AnyKeyring::Strict(k) => {
                let plan = k.inner.decrypt_requests(header).py_err(py)?;
                let call = |req: &core_keyring::DecryptRequest| {
                    kms_decrypt(py, &k.client, &k.grant_tokens, req, |r, resp| {
                        k.inner.accept_decrypt(r, resp)
                    })
                };
                decrypt_loop(py, plan, call)
            }
            AnyKeyring::Discovery(k) => {
                let plan = k.inner.decrypt_requests(header).py_err(py)?;
                let call = |req: &core_keyring::DecryptRequest| {
                    kms_decrypt(py, &k.client, &k.grant_tokens, req, |r, resp| {
                        k.inner.accept_decrypt(r, resp)
                    })
                };
                decrypt_loop(py, plan, call)
            }
        }
    }
}

impl KmsMrkKeyring {
    fn encryption_materials(
        &self,
        py: Python<'_>,
        context: &EncryptionContext,
        limits: &Limits,
    ) -> PyResult<EncryptionMaterials> {
        let client = self.client.bind(py);
        let request = self
            .inner
            .generate_data_key_request(context, limits)
            .py_err(py)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("KeyId", &request.key_id)?;
        kwargs.set_item("NumberOfBytes", request.number_of_bytes)?;
        kwargs.set_item("EncryptionContext", context_dict(py, context)?)?;
        self.add_grant_tokens(&kwargs)?;
        let response = call_client(
            py,
            client,
            "generate_data_key",
            "GenerateDataKey",
            &request.key_id,
            &kwargs,
        )?;
        let fields = ResponseFields::read(
            py,
            &response,
            "GenerateDataKey",
            &request.key_id,
            &["Plaintext", "CiphertextBlob"],
        )?;
        let (data_key, first_edk) = self
            .inner
            .accept_generate_data_key(
                &request,
                GenerateDataKeyResponse {
                    key_id: fields.key_id.as_deref(),
                    plaintext: &fields.blobs[0],
                    ciphertext_blob: &fields.blobs[1],
                },
            )
            .py_err(py)?;
        let mut encrypted_data_keys = vec![first_edk];
        for request in self.inner.encrypt_requests(&data_key, context) {
            let kwargs = PyDict::new(py);
            kwargs.set_item("KeyId", &request.key_id)?;
            kwargs.set_item(
                "Plaintext",
                PyBytes::new(py, request.plaintext.expose_secret()),
            )?;
            kwargs.set_item("EncryptionContext", context_dict(py, context)?)?;
            self.add_grant_tokens(&kwargs)?;
            let response = call_client(py, client, "encrypt", "Encrypt", &request.key_id, &kwargs)?;
            let fields = ResponseFields::read(
                py,
                &response,
                "Encrypt",
                &request.key_id,
                &["CiphertextBlob"],
            )?;
            let edk = self
                .inner
                .accept_encrypt(
                    &request,
                    EncryptResponse {
                        key_id: fields.key_id.as_deref(),
                        ciphertext_blob: &fields.blobs[0],
                    },
                )
                .py_err(py)?;
            encrypted_data_keys.push(edk);
        }
        Ok(EncryptionMaterials {
            data_key,
            encrypted_data_keys,
            encryption_context: context.clone(),
        })
    }

    fn add_grant_tokens(&self, kwargs: &Bound<'_, PyDict>) -> PyResult<()> {
        if let Some(tokens) = &self.grant_tokens {
            kwargs.set_item("GrantTokens", PyList::new(kwargs.py(), tokens)?)?;
        }
        Ok(())
    }
}

fn context_dict<'py>(py: Python<'py>, context: &EncryptionContext) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in context {
        dict.set_item(k, v)?;
    }
    Ok(dict)
}

/// A keyring error whose `__cause__` is `cause`.
fn keyring_error_from(py: Python<'_>, message: &str, cause: PyErr) -> PyResult<PyErr> {
    let err = PyErr::from_value(new_exception(py, ErrorKind::Keyring, message)?);
    err.set_cause(py, Some(cause));
    Ok(err)
}

fn describe(py: Python<'_>, err: &PyErr) -> String {
    let name = err
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".to_string());
    let text = err
        .value(py)
        .str()
        .map(|s| s.to_string())
        .unwrap_or_default();
    if text.is_empty() {
        name
    } else {
        format!("{name}: {text}")
    }
}

/// Calls `client.<method>(**kwargs)`. A client exception (an `Exception`)
/// becomes a `KeyringError` that names the operation and key and has the
/// client's exception as `__cause__`; a `BaseException` that is not an
/// `Exception` (KeyboardInterrupt, SystemExit) propagates unchanged.
fn call_client<'py>(
    py: Python<'py>,
    client: &Bound<'py, PyAny>,
    method: &str,
    operation: &str,
    key_id: &str,
    kwargs: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    match client.call_method(method, (), Some(kwargs)) {
        Ok(response) => Ok(response),
        Err(e) if e.is_instance_of::<PyException>(py) => {
            let message = format!("KMS {operation} for {key_id} failed: {}", describe(py, &e));
            Err(keyring_error_from(py, &message, e)?)
        }
        Err(e) => Err(e),
    }
}

/// The fields of a boto3-shaped response this binding reads.
struct ResponseFields {
    key_id: Option<String>,
    blobs: Vec<Vec<u8>>,
}

impl ResponseFields {
    /// Reads `KeyId` (optional text) and the named binary fields (missing ->
    /// empty, which the core then rejects with a precise message).
    fn read(
        py: Python<'_>,
        response: &Bound<'_, PyAny>,
        operation: &str,
        key_id: &str,
        names: &[&str],
    ) -> PyResult<ResponseFields> {
        let bad = |problem: String| -> PyErr {
            let message = format!("KMS {operation} response for {key_id}: {problem}");
            match new_exception(py, ErrorKind::Keyring, &message) {
                Ok(e) => PyErr::from_value(e),
                Err(e) => e,
            }
        };
        let get = |name: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
            match response.call_method1("get", (name,)) {
                Ok(v) if v.is_none() => Ok(None),
                Ok(v) => Ok(Some(v)),
                Err(_) => Err(bad(format!(
                    "the response is not a mapping (got {})",
                    type_name(response)
                ))),
            }
        };
        let key_id = match get("KeyId")? {
            None => None,
            Some(v) => Some(
                v.extract::<String>()
                    .map_err(|_| bad(format!("KeyId is not a str (got {})", type_name(&v))))?,
            ),
        };
        let mut blobs = Vec::with_capacity(names.len());
        for name in names {
            let blob = match get(name)? {
                None => Vec::new(),
                Some(v) => crate::bytes_arg(&v, name)
                    .map_err(|_| bad(format!("{name} is not bytes (got {})", type_name(&v))))?
                    .into_vec(),
            };
            blobs.push(blob);
        }
        Ok(ResponseFields { key_id, blobs })
    }
}

/// One KMS Decrypt call and the core's check of its answer. `Ok(Ok(key))` on
/// success, `Ok(Err((reason, error)))` for a failed attempt.
fn kms_decrypt<'py, F>(
    py: Python<'py>,
    client: &Py<PyAny>,
    grant_tokens: &Option<Vec<String>>,
    request: &core_keyring::DecryptRequest,
    accept: F,
) -> PyResult<Result<DataKey, (String, PyErr)>>
where
    F: FnOnce(&core_keyring::DecryptRequest, DecryptResponse<'_>) -> Result<DataKey, Error>,
{
    let kwargs = PyDict::new(py);
    kwargs.set_item("KeyId", &request.key_id)?;
    kwargs.set_item("CiphertextBlob", PyBytes::new(py, &request.ciphertext_blob))?;
    kwargs.set_item(
        "EncryptionContext",
        context_dict(py, &request.encryption_context)?,
    )?;
    if let Some(tokens) = grant_tokens {
        kwargs.set_item("GrantTokens", PyList::new(py, tokens)?)?;
    }
    let client = client.bind(py);
    let response = match client.call_method("decrypt", (), Some(&kwargs)) {
        Ok(r) => r,
        Err(e) if e.is_instance_of::<PyException>(py) => {
            let reason = format!("KMS Decrypt failed: {}", describe(py, &e));
            let message = format!("{}: {reason}", request.key_id);
            return Ok(Err((reason, keyring_error_from(py, &message, e)?)));
        }
        Err(e) => return Err(e),
    };
    let fields =
        match ResponseFields::read(py, &response, "Decrypt", &request.key_id, &["Plaintext"]) {
            Ok(f) => f,
            Err(e) => {
                let reason = e.value(py).str().map(|s| s.to_string()).unwrap_or_default();
                return Ok(Err((reason, e)));
            }
        };
    let result = accept(
        request,
        DecryptResponse {
            key_id: fields.key_id.as_deref(),
            plaintext: &fields.blobs[0],
        },
    );
    Ok(result.map_err(|e| (e.to_string(), crate::errors::to_py(py, e))))
}

/// Tries each request in order; the first success wins. Otherwise raises
/// `NoDecryptableKeyError` listing the skipped keys and every failure.
fn decrypt_loop<'py, F>(
    py: Python<'py>,
    plan: core_keyring::DecryptPlan,
    mut call: F,
) -> PyResult<DataKey>
where
    F: FnMut(&core_keyring::DecryptRequest) -> PyResult<Result<DataKey, (String, PyErr)>>,
{
    let mut core_attempts: Vec<Attempt> = Vec::new();
    let mut py_attempts: Vec<(String, Bound<'py, PyAny>)> = Vec::new();
    for skipped in plan.skipped {
        let error = new_exception(py, ErrorKind::Keyring, &skipped.to_string())?;
        py_attempts.push((skipped.key_id.clone(), error));
        core_attempts.push(skipped);
    }
    let mut last_failure: Option<Bound<'py, PyAny>> = None;
    for request in &plan.requests {
        match call(request)? {
            Ok(data_key) => return Ok(data_key),
            Err((reason, error)) => {
                let value = error.into_value(py).into_bound(py).into_any();
                core_attempts.push(Attempt {
                    key_id: request.key_id.clone(),
                    reason,
                });
                py_attempts.push((request.key_id.clone(), value.clone()));
                last_failure = Some(value);
            }
        }
    }
    let message = core_keyring::no_decryptable_key(core_attempts).to_string();
    let err = PyErr::from_value(no_decryptable_key(py, &message, py_attempts)?);
    if let Some(cause) = last_failure {
        err.set_cause(py, Some(PyErr::from_value(cause)));
    }
    Err(err)
}
