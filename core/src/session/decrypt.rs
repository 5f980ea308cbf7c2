//! The decrypt conversation: try each planned `Decrypt` in order, the first
//! accepted answer wins, and every failure is kept as an attempt.

use std::collections::VecDeque;

use crate::context::EncryptionContext;
use crate::crypto::DataKey;
use crate::error::{Attempt, Error};
use crate::format::EncryptedDataKey;
use crate::keyring::{self, DecryptRequest, DecryptResponse, Keyring};

use super::{KmsRequest, KmsResponse, Progress, Step};

/// The conversation that finds a data key: made by
/// [`Keyring::decrypt_session`], stepped with [`DecryptSession::next`] and
/// [`DecryptSession::answer`] (see the [module docs](super)).
#[derive(Debug)]
pub struct DecryptSession {
    progress: Progress<DataKey>,
    /// Planned calls not yet made, in order.
    remaining: VecDeque<DecryptRequest>,
    /// Skipped keys first, then one entry per failed call.
    attempts: Vec<Attempt>,
    cause_attempt: Option<usize>,
    /// The keyring's identifiers that are not key ARNs, for the error.
    not_key_arns: Vec<String>,
}

impl DecryptSession {
    pub(crate) fn new(
        keyring: &Keyring,
        encrypted_data_keys: &[EncryptedDataKey],
        encryption_context: &EncryptionContext,
    ) -> Result<DecryptSession, Error> {
        let mut session = DecryptSession {
            progress: Progress::Running,
            remaining: VecDeque::new(),
            attempts: Vec::new(),
            cause_attempt: None,
            not_key_arns: keyring.not_key_arns(),
        };
        if let Keyring::RawAes(k) = keyring {
            // Unwrapped locally: the session is over before it starts.
            session.progress =
                Progress::Finished(k.unwrap(encrypted_data_keys, encryption_context));
        } else {
            let plan = keyring.decrypt_plan(encrypted_data_keys, encryption_context)?;
            session.attempts = plan.skipped;
            session.remaining = plan.requests.into();
        }
        Ok(session)
    }

    /// What to do next: a `Decrypt` call to make, the data key, or the error
    /// (a [`Error::NoDecryptableKey`] listing every attempt). Calling it again
    /// before `answer` returns the same call.
    // Not an Iterator: each step borrows the session until it is answered.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Step<'_, DataKey> {
        if matches!(self.progress, Progress::Running) {
            self.progress = match self.remaining.pop_front() {
                Some(request) => Progress::Waiting {
                    attempt: self.attempts.len(),
                    request: KmsRequest::Decrypt(request),
                },
                None => Progress::Finished(Err(Error::NoDecryptableKey {
                    attempts: std::mem::take(&mut self.attempts),
                    not_key_arns: std::mem::take(&mut self.not_key_arns),
                })),
            };
        }
        self.progress
            .step()
            .expect("next() never leaves the session running")
    }

    /// Hands over the answer to the call [`DecryptSession::next`] returned:
    /// the KMS response, or the host's error (a description, without
    /// secrets). A response the core accepts ends the session with the data
    /// key; anything else becomes an attempt and the next key is tried.
    ///
    /// Fails only when no call is waiting for an answer.
    pub fn answer(&mut self, answer: Result<KmsResponse<'_>, String>) -> Result<(), Error> {
        let (attempt, request) = self.progress.take_waiting()?;
        let KmsRequest::Decrypt(request) = request else {
            unreachable!("a decrypt session only makes Decrypt calls")
        };
        let reason = match answer {
            Err(message) => {
                self.cause_attempt = Some(attempt);
                format!("KMS Decrypt failed: {message}")
            }
            Ok(response) => {
                let response = DecryptResponse {
                    key_id: response.key_id,
                    plaintext: response.plaintext,
                };
                match keyring::kms::accept_decrypt(&request, response) {
                    Ok(data_key) => {
                        self.progress = Progress::Finished(Ok(data_key));
                        return Ok(());
                    }
                    Err(e) => e.to_string(),
                }
            }
        };
        self.attempts.push(Attempt {
            key_id: request.key_id,
            reason,
        });
        Ok(())
    }

    /// The attempt whose host error is the cause of this session's failure
    /// (see the cause rule in the [module docs](super)).
    pub fn cause_attempt(&self) -> Option<usize> {
        self.cause_attempt
    }
}
