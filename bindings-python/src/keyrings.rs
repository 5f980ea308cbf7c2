//! The Python keyring classes and the KMS adapter over the user's client.
//!
//! Each class holds a core [`Keyring`] (and, for KMS keyrings, the client and
//! grant tokens). The whole KMS conversation (which calls, in which order,
//! what each answer must be, the final error) is the core's
//! [`mrkenv::session`]; this module only adapts: [`ClientKms`] turns a core
//! request into a call of the client (any object with boto3's `kms` method
//! names and keyword arguments) and the response back.

use mrkenv::keyring::{
    self as core_keyring, DecryptRequest, EncryptRequest, GenerateDataKeyRequest,
};
use mrkenv::record::{self as core_record, DecryptRecordOptions, EncryptRecordOptions, Item};
use mrkenv::rekey::{self as core_rekey, RekeyOptions, Rekeyer};
use mrkenv::session::{driver, HostError, Kms, KmsOutput};
use mrkenv::{DataKey, EncryptionContext, EncryptionMaterials, Header, Keyring, Limits};
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

pub(crate) use crate::args::type_name;
use crate::args::{opt_str_arg, opt_str_list_arg, str_arg, str_list_arg, wipe_if_unshared};
use crate::errors::{guarded, session_error, IntoPyResult};

/// A KMS keyring's client and the grant tokens passed to every call.
pub struct KmsClient {
    client: Py<PyAny>,
    grant_tokens: Option<Vec<String>>,
}

impl KmsClient {
    fn new(client: Bound<'_, PyAny>, grant_tokens: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        if client.is_none() || !client.hasattr("decrypt")? {
            return Err(PyTypeError::new_err(format!(
                "client must be a KMS client (e.g. boto3.client(\"kms\")), got {}",
                type_name(&client)
            )));
        }
        let grant_tokens = opt_str_list_arg(grant_tokens, "grant_tokens")?;
        Ok(KmsClient {
            client: client.unbind(),
            grant_tokens,
        })
    }

    /// The client's Region when it says (boto3: `client.meta.region_name`);
    /// `None` for a client that does not.
    fn region(&self, py: Python<'_>) -> Option<String> {
        let region = self
            .client
            .bind(py)
            .getattr("meta")
            .and_then(|meta| meta.getattr("region_name"))
            .ok()?;
        region
            .cast::<PyString>()
            .ok()
            .and_then(|s| s.extract::<String>().ok())
            .filter(|s| !s.is_empty())
    }
}

/// Strict multi-Region-aware KMS keyring.
#[pyclass(module = "mrkenv", name = "KmsMrkKeyring", frozen)]
pub struct KmsMrkKeyring {
    keyring: Keyring,
    kms: KmsClient,
}

impl KmsMrkKeyring {
    fn inner(&self) -> &core_keyring::KmsMrkKeyring {
        match &self.keyring {
            Keyring::KmsMrk(k) => k,
            _ => unreachable!("a KmsMrkKeyring holds a strict keyring"),
        }
    }
}

#[pymethods]
impl KmsMrkKeyring {
    #[new]
    #[pyo3(signature = (client, key_ids, *, grant_tokens=None))]
    fn new(
        py: Python<'_>,
        client: Bound<'_, PyAny>,
        key_ids: &Bound<'_, PyAny>,
        grant_tokens: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guarded(py, || {
            let key_ids = str_list_arg(key_ids, "key_ids")?;
            let kms = KmsClient::new(client, grant_tokens)?;
            let keyring: Keyring = core_keyring::KmsMrkKeyring::new(key_ids).py_err(py)?.into();
            // A client for another Region than a key ARN's fails here, with
            // the Regions named, not later as a KeyId mismatch.
            if let Some(region) = kms.region(py) {
                keyring.check_client_region(&region).py_err(py)?;
            }
            Ok(KmsMrkKeyring { keyring, kms })
        })
    }

    /// The configured key ids, in order (the first generates the data key).
    #[getter]
    fn key_ids(&self) -> Vec<String> {
        self.inner().key_ids().to_vec()
    }

    /// The KMS client this keyring calls.
    #[getter]
    fn client(&self, py: Python<'_>) -> Py<PyAny> {
        self.kms.client.clone_ref(py)
    }

    /// The grant tokens passed to every KMS call, if any.
    #[getter]
    fn grant_tokens(&self) -> Option<Vec<String>> {
        self.kms.grant_tokens.clone()
    }

    fn __repr__(&self) -> String {
        format!("KmsMrkKeyring(key_ids={:?})", self.inner().key_ids())
    }
}

/// A filter on the partition and account of the keys a discovery keyring uses.
#[pyclass(module = "mrkenv", name = "DiscoveryFilter", frozen)]
pub struct DiscoveryFilter(core_keyring::DiscoveryFilter);

#[pymethods]
impl DiscoveryFilter {
    #[new]
    fn new(
        py: Python<'_>,
        partition: &Bound<'_, PyAny>,
        account_ids: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        guarded(py, || {
            let partition = str_arg(partition, "partition")?;
            let account_ids = str_list_arg(account_ids, "account_ids")?;
            // Checked here, so that a bad filter fails where it is written.
            let filter = core_keyring::DiscoveryFilter::new(partition, account_ids).py_err(py)?;
            Ok(DiscoveryFilter(filter))
        })
    }

    /// The AWS partition, e.g. `"aws"`.
    #[getter]
    fn partition(&self) -> String {
        self.0.partition.clone()
    }

    /// The accounts whose keys may be used.
    #[getter]
    fn account_ids(&self) -> Vec<String> {
        self.0.account_ids.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "DiscoveryFilter(partition={:?}, account_ids={:?})",
            self.0.partition, self.0.account_ids
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<DiscoveryFilter>() {
            Ok(other) => self.0 == other.get().0,
            Err(_) => false,
        }
    }
}

/// Discovery multi-Region-aware KMS keyring (decrypt only).
#[pyclass(module = "mrkenv", name = "KmsMrkDiscoveryKeyring", frozen)]
pub struct KmsMrkDiscoveryKeyring {
    keyring: Keyring,
    kms: KmsClient,
    /// The Python filter object given, returned as is by the getter.
    filter: Option<Py<DiscoveryFilter>>,
}

impl KmsMrkDiscoveryKeyring {
    fn inner(&self) -> &core_keyring::KmsMrkDiscoveryKeyring {
        match &self.keyring {
            Keyring::KmsMrkDiscovery(k) => k,
            _ => unreachable!("a KmsMrkDiscoveryKeyring holds a discovery keyring"),
        }
    }
}

#[pymethods]
impl KmsMrkDiscoveryKeyring {
    #[new]
    #[pyo3(signature = (client, region=None, *, discovery_filter=None, grant_tokens=None))]
    fn new(
        py: Python<'_>,
        client: Bound<'_, PyAny>,
        region: Option<&Bound<'_, PyAny>>,
        discovery_filter: Option<&Bound<'_, PyAny>>,
        grant_tokens: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guarded(py, || {
            let region = opt_str_arg(region, "region")?;
            let discovery_filter = match discovery_filter.filter(|f| !f.is_none()) {
                None => None,
                Some(f) => Some(f.cast::<DiscoveryFilter>().cloned().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "discovery_filter must be an mrkenv.DiscoveryFilter, got {}",
                        type_name(f)
                    ))
                })?),
            };
            let kms = KmsClient::new(client, grant_tokens)?;
            let client_region = kms.region(py);
            // The Region defaults to the client's; a given one must match it.
            let region = match (region, &client_region) {
                (Some(region), _) => region,
                (None, Some(client_region)) => client_region.clone(),
                (None, None) => {
                    return Err(PyTypeError::new_err(
                        "region is required: the client does not say its Region (no client.meta.region_name)",
                    ))
                }
            };
            let core_filter = discovery_filter.as_ref().map(|f| f.get().0.clone());
            let keyring: Keyring = core_keyring::KmsMrkDiscoveryKeyring::new(region, core_filter)
                .py_err(py)?
                .into();
            if let Some(client_region) = &client_region {
                keyring.check_client_region(client_region).py_err(py)?;
            }
            Ok(KmsMrkDiscoveryKeyring {
                keyring,
                kms,
                filter: discovery_filter.map(Bound::unbind),
            })
        })
    }

    /// The Region whose KMS this keyring calls.
    #[getter]
    fn region(&self) -> String {
        self.inner().region().to_string()
    }

    /// The discovery filter, if any.
    #[getter]
    fn discovery_filter(&self, py: Python<'_>) -> Option<Py<DiscoveryFilter>> {
        self.filter.as_ref().map(|f| f.clone_ref(py))
    }

    /// The KMS client this keyring calls.
    #[getter]
    fn client(&self, py: Python<'_>) -> Py<PyAny> {
        self.kms.client.clone_ref(py)
    }

    /// The grant tokens passed to every KMS call, if any.
    #[getter]
    fn grant_tokens(&self) -> Option<Vec<String>> {
        self.kms.grant_tokens.clone()
    }

    fn __repr__(&self) -> String {
        let region = self.inner().region();
        match self.inner().filter() {
            Some(f) => format!(
                "KmsMrkDiscoveryKeyring(region={region:?}, discovery_filter=DiscoveryFilter(partition={:?}, account_ids={:?}))",
                f.partition, f.account_ids
            ),
            None => format!("KmsMrkDiscoveryKeyring(region={region:?})"),
        }
    }
}

/// A keyring that wraps the data key locally with a 256-bit AES key.
#[pyclass(module = "mrkenv", name = "RawAesKeyring", frozen)]
pub struct RawAesKeyring {
    keyring: Keyring,
}

impl RawAesKeyring {
    fn inner(&self) -> &core_keyring::RawAesKeyring {
        match &self.keyring {
            Keyring::RawAes(k) => k,
            _ => unreachable!("a RawAesKeyring holds a raw AES keyring"),
        }
    }
}

#[pymethods]
impl RawAesKeyring {
    #[new]
    fn new(
        py: Python<'_>,
        key_namespace: &Bound<'_, PyAny>,
        key_name: &Bound<'_, PyAny>,
        wrapping_key: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        guarded(py, || {
            let key_namespace = str_arg(key_namespace, "key_namespace")?;
            let key_name = str_arg(key_name, "key_name")?;
            // A bytearray or memoryview is copied into a buffer wiped on drop.
            let key = crate::bytes_arg(wrapping_key, "wrapping_key")?;
            let keyring =
                core_keyring::RawAesKeyring::new(&key_namespace, &key_name, key.as_slice())
                    .py_err(py)?;
            Ok(RawAesKeyring {
                keyring: keyring.into(),
            })
        })
    }

    /// The key namespace (the provider id in the message).
    #[getter]
    fn key_namespace(&self) -> String {
        self.inner().namespace().to_string()
    }

    /// The key name (the provider info in the message).
    #[getter]
    fn key_name(&self) -> String {
        self.inner().name().to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "RawAesKeyring(key_namespace={:?}, key_name={:?})",
            self.inner().namespace(),
            self.inner().name()
        )
    }
}

/// A keyring argument: the core keyring a Python keyring holds, and its KMS
/// client if it has one.
pub struct KeyringArg<'a> {
    keyring: &'a Keyring,
    kms: Option<&'a KmsClient>,
}

impl<'a> KeyringArg<'a> {
    /// The `keyring` argument.
    pub fn from_py(keyring: &'a Bound<'_, PyAny>) -> PyResult<KeyringArg<'a>> {
        Self::from_py_as(keyring, "keyring")
    }

    /// A keyring argument named `what` in the error for anything else.
    pub fn from_py_as(keyring: &'a Bound<'_, PyAny>, what: &str) -> PyResult<KeyringArg<'a>> {
        if let Ok(k) = keyring.cast::<KmsMrkKeyring>() {
            let k = k.get();
            return Ok(KeyringArg {
                keyring: &k.keyring,
                kms: Some(&k.kms),
            });
        }
        if let Ok(k) = keyring.cast::<KmsMrkDiscoveryKeyring>() {
            let k = k.get();
            return Ok(KeyringArg {
                keyring: &k.keyring,
                kms: Some(&k.kms),
            });
        }
        if let Ok(k) = keyring.cast::<RawAesKeyring>() {
            let k = k.get();
            return Ok(KeyringArg {
                keyring: &k.keyring,
                kms: None,
            });
        }
        Err(PyTypeError::new_err(format!(
            "{what} must be a KmsMrkKeyring, KmsMrkDiscoveryKeyring or RawAesKeyring, got {}",
            type_name(keyring)
        )))
    }

    /// The encryption materials for one message (calls KMS for a KMS
    /// keyring). `injected` (data key, IV) is only for reproducing test
    /// vectors with a raw AES keyring.
    pub fn encryption_materials(
        &self,
        py: Python<'_>,
        context: &EncryptionContext,
        limits: &Limits,
        injected: Option<(DataKey, [u8; 12])>,
    ) -> PyResult<EncryptionMaterials> {
        match injected {
            Some((data_key, iv)) => self
                .keyring
                .encryption_materials_with(context, limits, data_key, iv)
                .py_err(py),
            None => {
                let mut kms = ClientKms { py, kms: self.kms };
                driver::encryption_materials(self.keyring, &mut kms, context, limits)
                    .map_err(|e| session_error(py, e))
            }
        }
    }

    /// The data key of a message, from its header (calls KMS Decrypt for a
    /// KMS keyring, first success wins).
    pub fn data_key(&self, py: Python<'_>, header: &Header) -> PyResult<DataKey> {
        let mut kms = ClientKms { py, kms: self.kms };
        let edks = &header.encrypted_data_keys;
        driver::data_key(self.keyring, &mut kms, edks, &header.encryption_context)
            .map_err(|e| session_error(py, e))
    }

    /// Encrypts a record: the core's [`core_record::encrypt_record`], its KMS
    /// session over this keyring's client.
    pub fn encrypt_record(
        &self,
        py: Python<'_>,
        item: Item,
        options: &EncryptRecordOptions,
    ) -> PyResult<Item> {
        let mut kms = ClientKms { py, kms: self.kms };
        core_record::encrypt_record(item, self.keyring, &mut kms, options)
            .map_err(|e| session_error(py, e))
    }

    /// Decrypts a record: the core's [`core_record::decrypt_record`], its KMS
    /// session over this keyring's client.
    pub fn decrypt_record(
        &self,
        py: Python<'_>,
        item: Item,
        options: &DecryptRecordOptions,
    ) -> PyResult<Item> {
        let mut kms = ClientKms { py, kms: self.kms };
        core_record::decrypt_record(item, self.keyring, &mut kms, options)
            .map_err(|e| session_error(py, e))
    }
    /// The core keyring (cloned into [`RekeyOptions::add`]).
    pub fn core(&self) -> &Keyring {
        self.keyring
    }

    /// The two adapters of a re-key: this keyring's client finds the data
    /// key, `add`'s client wraps it (none for raw AES or nothing added).
    fn rekey_kms<'s, 'py>(
        &'s self,
        py: Python<'py>,
        add: Option<&KeyringArg<'s>>,
    ) -> (ClientKms<'s, 'py>, ClientKms<'s, 'py>) {
        (
            ClientKms { py, kms: self.kms },
            ClientKms {
                py,
                kms: add.and_then(|a| a.kms),
            },
        )
    }

    /// Re-keys a whole message: the core's [`core_rekey::rekey_message`],
    /// its sessions over this keyring's client and `add`'s (the keyring of
    /// `options.add`).
    pub fn rekey_message(
        &self,
        py: Python<'_>,
        message: &[u8],
        add: Option<&KeyringArg<'_>>,
        options: &RekeyOptions,
    ) -> PyResult<Vec<u8>> {
        let (mut kms, mut add_kms) = self.rekey_kms(py, add);
        core_rekey::rekey_message(message, self.keyring, &mut kms, &mut add_kms, options)
            .map_err(|e| session_error(py, e))
    }

    /// Re-keys the head of a message: the core's [`core_rekey::rekey_header`].
    pub fn rekey_header(
        &self,
        py: Python<'_>,
        head: &[u8],
        add: Option<&KeyringArg<'_>>,
        options: &RekeyOptions,
    ) -> PyResult<(Vec<u8>, usize)> {
        let (mut kms, mut add_kms) = self.rekey_kms(py, add);
        core_rekey::rekey_header(head, self.keyring, &mut kms, &mut add_kms, options)
            .map_err(|e| session_error(py, e))
    }

    /// Re-keys a record: the core's [`core_rekey::rekey_record`], over the
    /// same two adapters as a message's.
    pub fn rekey_record(
        &self,
        py: Python<'_>,
        item: Item,
        add: Option<&KeyringArg<'_>>,
        record_options: &DecryptRecordOptions,
        options: &RekeyOptions,
    ) -> PyResult<Item> {
        let (mut kms, mut add_kms) = self.rekey_kms(py, add);
        core_rekey::rekey_record(
            item,
            self.keyring,
            &mut kms,
            &mut add_kms,
            record_options,
            options,
        )
        .map_err(|e| session_error(py, e))
    }

    /// The middle of a stream re-key: [`Rekeyer::unlock`] over the same two
    /// adapters; appends the new head (and what arrived meanwhile) to `out`.
    pub fn unlock_rekeyer(
        &self,
        py: Python<'_>,
        rekeyer: &mut Rekeyer,
        add: Option<&KeyringArg<'_>>,
        out: &mut Vec<u8>,
    ) -> PyResult<()> {
        let (mut kms, mut add_kms) = self.rekey_kms(py, add);
        rekeyer
            .unlock(self.keyring, &mut kms, &mut add_kms, out)
            .map_err(|e| session_error(py, e))
    }
}

/// The KMS adapter: a core request as a call of the boto3-shaped client
/// (`KeyId`, the request's own fields, `EncryptionContext`, `GrantTokens`
/// when the keyring has them), and `KeyId`, `Plaintext`, `CiphertextBlob`
/// read back. A client exception (an `Exception`) is a failed call, kept as
/// its attempt's host error; a `BaseException` that is not an `Exception`
/// (KeyboardInterrupt, SystemExit) aborts and propagates unchanged.
struct ClientKms<'a, 'py> {
    py: Python<'py>,
    kms: Option<&'a KmsClient>,
}

type Answer = Result<KmsOutput, HostError<PyErr>>;

impl Kms for ClientKms<'_, '_> {
    type Error = PyErr;

    fn generate_data_key(&mut self, r: &GenerateDataKeyRequest) -> Answer {
        let field = |kw: &Bound<'_, PyDict>| kw.set_item("NumberOfBytes", r.number_of_bytes);
        self.call("generate_data_key", &r.key_id, &r.encryption_context, field)
    }

    fn encrypt(&mut self, r: &EncryptRequest) -> Answer {
        let plaintext = PyBytes::new(self.py, r.plaintext.expose_secret());
        let field = |kw: &Bound<'_, PyDict>| kw.set_item("Plaintext", &plaintext);
        let answer = self.call("encrypt", &r.key_id, &r.encryption_context, field);
        wipe_if_unshared(&plaintext);
        answer
    }

    fn decrypt(&mut self, r: &DecryptRequest) -> Answer {
        let blob = PyBytes::new(self.py, &r.ciphertext_blob);
        let field = |kw: &Bound<'_, PyDict>| kw.set_item("CiphertextBlob", blob);
        self.call("decrypt", &r.key_id, &r.encryption_context, field)
    }
}

impl ClientKms<'_, '_> {
    fn call(
        &self,
        method: &str,
        key_id: &str,
        context: &EncryptionContext,
        field: impl FnOnce(&Bound<'_, PyDict>) -> PyResult<()>,
    ) -> Answer {
        let py = self.py;
        let kms = self.kms.ok_or_else(|| {
            HostError::Abort(PyTypeError::new_err("this keyring has no KMS client"))
        })?;
        let kwargs = PyDict::new(py);
        let filled = (|| {
            kwargs.set_item("KeyId", key_id)?;
            field(&kwargs)?;
            kwargs.set_item("EncryptionContext", context)?;
            match &kms.grant_tokens {
                Some(tokens) => kwargs.set_item("GrantTokens", tokens),
                None => Ok(()),
            }
        })();
        filled.map_err(HostError::Abort)?;
        let response = match kms.client.bind(py).call_method(method, (), Some(&kwargs)) {
            Ok(response) => response,
            Err(e) if e.is_instance_of::<PyException>(py) => {
                return Err(HostError::Failed {
                    message: describe(py, &e),
                    error: e,
                })
            }
            Err(e) => return Err(HostError::Abort(e)),
        };
        read_response(&response).map_err(|problem| HostError::Failed {
            error: PyTypeError::new_err(format!("KMS client {method}() for {key_id}: {problem}")),
            message: problem,
        })
    }
}

/// `KeyId`, `Plaintext` and `CiphertextBlob` of a response mapping; a
/// missing field is left empty (the core says precisely what was missing).
fn read_response(response: &Bound<'_, PyAny>) -> Result<KmsOutput, String> {
    let get = |name: &str| match response.call_method1("get", (name,)) {
        Ok(value) => Ok(Some(value).filter(|v| !v.is_none())),
        Err(_) => Err(format!(
            "the response is not a mapping (got {})",
            type_name(response)
        )),
    };
    // Copies go straight into buffers wiped on drop (the plaintext is a
    // data key).
    let blob = |name: &str| match get(name)? {
        None => Ok(zeroize::Zeroizing::new(Vec::new())),
        Some(v) => crate::bytes_arg(&v, name)
            .map(crate::ByteArg::into_secret)
            .map_err(|_| format!("{name} is not bytes (got {})", type_name(&v))),
    };
    let key_id = match get("KeyId")? {
        None => None,
        Some(v) => Some(
            v.extract::<String>()
                .map_err(|_| format!("KeyId is not a str (got {})", type_name(&v)))?,
        ),
    };
    Ok(KmsOutput {
        key_id,
        plaintext: blob("Plaintext")?,
        ciphertext_blob: blob("CiphertextBlob")?.to_vec(),
    })
}

/// `"ClientError: An error occurred (...)"`: the exception's type and text.
fn describe(py: Python<'_>, err: &PyErr) -> String {
    let name = err
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".to_string());
    match err.value(py).str().map(|s| s.to_string()) {
        Ok(text) if !text.is_empty() => format!("{name}: {text}"),
        _ => name,
    }
}
