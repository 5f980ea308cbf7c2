//! The encrypt conversation: `GenerateDataKey` with the first key, then
//! `Encrypt` with every other key; any failure ends it.
//!
//! The same session wraps an existing data key (a re-key, see
//! [`crate::rekey`]): `Encrypt` with every key, no `GenerateDataKey`.

use crate::context::{check_context_limits, EncryptionContext};
use crate::crypto::{fill_random, DataKey, IV_LEN};
use crate::error::{Error, KeyringError};
use crate::format::EncryptedDataKey;
use crate::keyring::{
    EncryptResponse, EncryptionMaterials, GenerateDataKeyResponse, Keyring, KmsMrkKeyring,
};
use crate::limits::Limits;

use super::{KmsRequest, KmsResponse, Progress, Step};

/// The conversation that yields [`EncryptionMaterials`]: made by
/// [`Keyring::encrypt_session`], stepped with [`EncryptSession::next`] and
/// [`EncryptSession::answer`] (see the [module docs](super)).
#[derive(Debug)]
pub struct EncryptSession {
    progress: Progress<EncryptionMaterials>,
    /// The KMS keyring whose keys are still to be asked (`None` for raw AES).
    keyring: Option<KmsMrkKeyring>,
    encryption_context: EncryptionContext,
    data_key: Option<DataKey>,
    encrypted_data_keys: Vec<EncryptedDataKey>,
    /// Host errors end an encrypt: the attempt of the one that did, if any.
    cause_attempt: Option<usize>,
}

impl EncryptSession {
    pub(crate) fn new(
        keyring: &Keyring,
        encryption_context: &EncryptionContext,
        limits: &Limits,
    ) -> Result<EncryptSession, Error> {
        let (progress, keyring) = match keyring {
            Keyring::RawAes(k) => (
                Progress::Finished(Ok(k.encryption_materials(encryption_context, limits)?)),
                None,
            ),
            Keyring::KmsMrk(k) => {
                // Checks the context and key count against the limits first.
                let request = k.generate_data_key_request(encryption_context, limits)?;
                let waiting = Progress::Waiting {
                    attempt: 0,
                    request: KmsRequest::GenerateDataKey(request),
                };
                (waiting, Some(k.clone()))
            }
            Keyring::KmsMrkDiscovery(_) => return Err(KeyringError::DiscoveryCannotEncrypt.into()),
        };
        Ok(EncryptSession {
            progress,
            keyring,
            encryption_context: encryption_context.clone(),
            data_key: None,
            encrypted_data_keys: Vec::new(),
            cause_attempt: None,
        })
    }

    /// The session that wraps an existing `data_key` under every key of
    /// `keyring` (made by [`Keyring::wrap_session`]): KMS `Encrypt` with each
    /// key of a strict keyring in order, attempt `i` for key `i`; a raw AES
    /// keyring wraps locally with a random IV and is done at once. Checks the
    /// context and the keyring's key count against `limits` before any call.
    pub(crate) fn wrap(
        keyring: &Keyring,
        data_key: &DataKey,
        encryption_context: &EncryptionContext,
        limits: &Limits,
    ) -> Result<EncryptSession, Error> {
        check_context_limits(encryption_context, limits)?;
        let (progress, keyring) = match keyring {
            Keyring::RawAes(k) => {
                limits.check_encrypted_data_keys(1)?;
                let mut iv = [0u8; IV_LEN];
                fill_random(&mut iv)?;
                let materials =
                    k.encryption_materials_with(encryption_context, limits, data_key.clone(), iv)?;
                (Progress::Finished(Ok(materials)), None)
            }
            Keyring::KmsMrk(k) => {
                limits.check_encrypted_data_keys(k.key_ids().len())?;
                // `decide` asks key 0 first: no key has answered yet.
                (Progress::Running, Some(k.clone()))
            }
            Keyring::KmsMrkDiscovery(_) => return Err(KeyringError::DiscoveryCannotEncrypt.into()),
        };
        Ok(EncryptSession {
            progress,
            keyring,
            encryption_context: encryption_context.clone(),
            data_key: Some(data_key.clone()),
            encrypted_data_keys: Vec::new(),
            cause_attempt: None,
        })
    }

    /// A session that is over before it starts, with these materials.
    pub(crate) fn finished(materials: EncryptionMaterials) -> EncryptSession {
        EncryptSession {
            encryption_context: materials.encryption_context.clone(),
            progress: Progress::Finished(Ok(materials)),
            keyring: None,
            data_key: None,
            encrypted_data_keys: Vec::new(),
            cause_attempt: None,
        }
    }

    /// What to do next: a KMS call to make, the materials, or the error.
    /// Calling it again before `answer` returns the same call.
    // Not an Iterator: each step borrows the session until it is answered.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Step<'_, EncryptionMaterials> {
        if matches!(self.progress, Progress::Running) {
            self.progress = self.decide();
        }
        self.progress
            .step()
            .expect("decide() never leaves the session running")
    }

    /// After an accepted answer: `Encrypt` with the next key, or done.
    fn decide(&mut self) -> Progress<EncryptionMaterials> {
        let keyring = self
            .keyring
            .as_ref()
            .expect("raw AES sessions start finished");
        let data_key = self
            .data_key
            .as_ref()
            .expect("GenerateDataKey comes first, or the key was given");
        // Attempt i asks key i: GenerateDataKey (or a wrapping Encrypt) was key 0.
        let attempt = self.encrypted_data_keys.len();
        match keyring.encrypt_request(attempt, data_key, &self.encryption_context) {
            Some(request) => Progress::Waiting {
                attempt,
                request: KmsRequest::Encrypt(request),
            },
            None => Progress::Finished(Ok(EncryptionMaterials {
                data_key: self.data_key.take().expect("checked above"),
                encrypted_data_keys: std::mem::take(&mut self.encrypted_data_keys),
                encryption_context: self.encryption_context.clone(),
            })),
        }
    }

    /// Hands over the answer to the call [`EncryptSession::next`] returned:
    /// the KMS response, or the host's error (a description, without
    /// secrets). An error of the host, or a response the core rejects, ends
    /// the session: the next step is [`Step::Failed`].
    ///
    /// Fails only when no call is waiting for an answer.
    pub fn answer(&mut self, answer: Result<KmsResponse<'_>, String>) -> Result<(), Error> {
        let (attempt, request) = self.progress.take_waiting()?;
        let keyring = self.keyring.as_ref().expect("only KMS sessions make calls");
        let outcome = match (&request, answer) {
            (request, Err(message)) => {
                self.cause_attempt = Some(attempt);
                Err(KeyringError::KmsCallFailed {
                    operation: request.operation(),
                    key_id: request.key_id().to_string(),
                    message,
                }
                .into())
            }
            (KmsRequest::GenerateDataKey(r), Ok(response)) => keyring
                .accept_generate_data_key(
                    r,
                    GenerateDataKeyResponse {
                        key_id: response.key_id,
                        plaintext: response.plaintext,
                        ciphertext_blob: response.ciphertext_blob,
                    },
                )
                .map(|(data_key, edk)| {
                    self.data_key = Some(data_key);
                    self.encrypted_data_keys.push(edk);
                }),
            (KmsRequest::Encrypt(r), Ok(response)) => keyring
                .accept_encrypt(
                    r,
                    EncryptResponse {
                        key_id: response.key_id,
                        ciphertext_blob: response.ciphertext_blob,
                    },
                )
                .map(|edk| self.encrypted_data_keys.push(edk)),
            (KmsRequest::Decrypt(_), Ok(_)) => unreachable!("an encrypt session never decrypts"),
        };
        if let Err(error) = outcome {
            self.data_key = None;
            self.progress = Progress::Finished(Err(error));
        }
        Ok(())
    }

    /// The attempt whose host error is the cause of this session's failure
    /// (see the cause rule in the [module docs](super)).
    pub fn cause_attempt(&self) -> Option<usize> {
        self.cause_attempt
    }
}
