//! The encrypt conversation: `GenerateDataKey` with the first key, then
//! `Encrypt` with every other key; any failure ends it.

use crate::context::EncryptionContext;
use crate::crypto::DataKey;
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
        let data_key = self.data_key.as_ref().expect("GenerateDataKey comes first");
        // Attempt i asks key i: GenerateDataKey was key 0.
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
