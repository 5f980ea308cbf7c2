//! The synchronous driver: runs a session to its end over a host's blocking
//! KMS client, given as three methods of the [`Kms`] trait.
//!
//! Python (boto3) and C (callbacks) implement [`Kms`] as a few-line adapter:
//! turn the request into a client call, and the response into a
//! [`KmsOutput`]. The loop, the checks and the final error are the
//! session's.

use zeroize::Zeroizing;

use crate::context::EncryptionContext;
use crate::crypto::DataKey;
use crate::error::Error;
use crate::format::EncryptedDataKey;
use crate::keyring::{
    DecryptRequest, EncryptRequest, EncryptionMaterials, GenerateDataKeyRequest, Keyring,
};
use crate::limits::Limits;

use super::{Conversation, KmsRequest, KmsResponse, Step};

/// What a host's KMS client returned, owned. Fields the operation does not
/// return stay empty. The plaintext is zeroized on drop.
#[derive(Default)]
pub struct KmsOutput {
    /// The response `KeyId`.
    pub key_id: Option<String>,
    /// The response `Plaintext` (`GenerateDataKey`, `Decrypt`).
    pub plaintext: Zeroizing<Vec<u8>>,
    /// The response `CiphertextBlob` (`GenerateDataKey`, `Encrypt`).
    pub ciphertext_blob: Vec<u8>,
}

impl std::fmt::Debug for KmsOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.response().fmt(f)
    }
}

impl KmsOutput {
    /// The borrowed form a session's `answer` takes.
    pub fn response(&self) -> KmsResponse<'_> {
        KmsResponse {
            key_id: self.key_id.as_deref(),
            plaintext: &self.plaintext,
            ciphertext_blob: &self.ciphertext_blob,
        }
    }
}

/// How a host's KMS call failed.
#[derive(Debug)]
pub enum HostError<E> {
    /// The call failed (the client raised, returned an error status, or
    /// answered something unreadable). It is recorded as an attempt with
    /// `message` as its reason, and `error` is kept by attempt index.
    Failed {
        /// Why, in words, without secrets.
        message: String,
        /// The host's own error value.
        error: E,
    },
    /// Stop the whole conversation now and return this error unchanged (e.g.
    /// Python's `KeyboardInterrupt`, or a client that lacks the callback the
    /// call needs).
    Abort(E),
}

/// A blocking KMS client, as a host adapts it. Each method makes one call
/// with exactly the request's fields (`KeyId`, blobs, `EncryptionContext`,
/// `NumberOfBytes`) plus whatever the host adds (grant tokens).
pub trait Kms {
    /// The host's error value (a Python exception, a C status).
    type Error;
    /// KMS `GenerateDataKey`.
    fn generate_data_key(
        &mut self,
        request: &GenerateDataKeyRequest,
    ) -> Result<KmsOutput, HostError<Self::Error>>;
    /// KMS `Encrypt`.
    fn encrypt(&mut self, request: &EncryptRequest) -> Result<KmsOutput, HostError<Self::Error>>;
    /// KMS `Decrypt`.
    fn decrypt(&mut self, request: &DecryptRequest) -> Result<KmsOutput, HostError<Self::Error>>;
}

/// Why a driven session failed.
#[derive(Debug)]
pub enum SessionError<E> {
    /// The session ended with `error`. `host_errors` holds the host's error
    /// of every call that failed in the host, by attempt index; `cause` is
    /// the attempt whose host error is the top-level cause (the cause rule
    /// of the [session docs](super)).
    Failed {
        /// The core's error (its message lists every attempt).
        error: Error,
        /// `(attempt index, host error)` in call order.
        host_errors: Vec<(usize, E)>,
        /// The attempt index of the cause, if any.
        cause: Option<usize>,
    },
    /// The host aborted with this error.
    Aborted(E),
}

impl<E> SessionError<E> {
    /// The host error that is the top-level cause, if any.
    pub fn cause(&self) -> Option<&E> {
        match self {
            SessionError::Failed {
                host_errors, cause, ..
            } => cause.and_then(|c| host_errors.iter().find(|(i, _)| *i == c).map(|(_, e)| e)),
            SessionError::Aborted(e) => Some(e),
        }
    }
}

impl SessionError<Error> {
    /// The core error, for hosts whose own error type is the core's (such
    /// as [`NoKms`]): the session's error, or the one the host aborted with.
    pub fn into_error(self) -> Error {
        match self {
            SessionError::Failed { error, .. } => error,
            SessionError::Aborted(error) => error,
        }
    }
}

impl<E> From<Error> for SessionError<E> {
    fn from(error: Error) -> Self {
        SessionError::Failed {
            error,
            host_errors: Vec::new(),
            cause: None,
        }
    }
}

fn call<K: Kms>(kms: &mut K, request: &KmsRequest) -> Result<KmsOutput, HostError<K::Error>> {
    match request {
        KmsRequest::GenerateDataKey(r) => kms.generate_data_key(r),
        KmsRequest::Encrypt(r) => kms.encrypt(r),
        KmsRequest::Decrypt(r) => kms.decrypt(r),
    }
}

/// Runs a session to its end: `next`, call `kms`, `answer`, until done.
pub fn drive<C: Conversation, K: Kms>(
    session: &mut C,
    kms: &mut K,
) -> Result<C::Output, SessionError<K::Error>> {
    let mut host_errors = Vec::new();
    loop {
        let output = match session.next() {
            Step::Done(value) => return Ok(value),
            Step::Failed(error) => {
                return Err(SessionError::Failed {
                    error,
                    host_errors,
                    cause: session.cause_attempt(),
                })
            }
            Step::Call { attempt, request } => match call(kms, request) {
                Ok(output) => Ok(output),
                Err(HostError::Abort(e)) => return Err(SessionError::Aborted(e)),
                Err(HostError::Failed { message, error }) => {
                    host_errors.push((attempt, error));
                    Err(message)
                }
            },
        };
        let answered = match output {
            Ok(output) => session.answer(Ok(output.response())),
            Err(message) => session.answer(Err(message)),
        };
        answered.expect("a Call is always waiting for its answer here");
    }
}

/// The encryption materials for `encryption_context` under `keyring`,
/// calling `kms` as the session asks.
pub fn encryption_materials<K: Kms>(
    keyring: &Keyring,
    kms: &mut K,
    encryption_context: &EncryptionContext,
    limits: &Limits,
) -> Result<EncryptionMaterials, SessionError<K::Error>> {
    let mut session = keyring.encrypt_session(encryption_context, limits)?;
    drive(&mut session, kms)
}

/// The encryption materials for an existing `data_key` wrapped under every
/// key of `keyring` (a re-key: `Encrypt` calls only), calling `kms` as the
/// session asks.
pub fn wrap_data_key<K: Kms>(
    keyring: &Keyring,
    kms: &mut K,
    data_key: &DataKey,
    encryption_context: &EncryptionContext,
    limits: &Limits,
) -> Result<EncryptionMaterials, SessionError<K::Error>> {
    let mut session = keyring.wrap_session(data_key, encryption_context, limits)?;
    drive(&mut session, kms)
}

/// The data key among `encrypted_data_keys` (a message's header or a
/// record's) under `keyring`, calling `kms` as the session asks.
pub fn data_key<K: Kms>(
    keyring: &Keyring,
    kms: &mut K,
    encrypted_data_keys: &[EncryptedDataKey],
    encryption_context: &EncryptionContext,
) -> Result<DataKey, SessionError<K::Error>> {
    let mut session = keyring.decrypt_session(encrypted_data_keys, encryption_context)?;
    drive(&mut session, kms)
}

/// A [`Kms`] for keyrings that never call KMS (raw AES): every call aborts.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoKms;

impl Kms for NoKms {
    type Error = Error;
    fn generate_data_key(
        &mut self,
        request: &GenerateDataKeyRequest,
    ) -> Result<KmsOutput, HostError<Error>> {
        Err(no_kms(&request.key_id))
    }
    fn encrypt(&mut self, request: &EncryptRequest) -> Result<KmsOutput, HostError<Error>> {
        Err(no_kms(&request.key_id))
    }
    fn decrypt(&mut self, request: &DecryptRequest) -> Result<KmsOutput, HostError<Error>> {
        Err(no_kms(&request.key_id))
    }
}

fn no_kms(key_id: &str) -> HostError<Error> {
    HostError::Abort(Error::invalid_argument(format!(
        "no KMS client was given, but the keyring asks KMS about {key_id}"
    )))
}
