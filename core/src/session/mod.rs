//! The KMS conversation, written once: a sans-IO state machine that every
//! binding steps through, in the style of rustls's unbuffered connection.
//!
//! A session is made from a [`Keyring`](crate::keyring::Keyring)
//! ([`Keyring::encrypt_session`](crate::keyring::Keyring::encrypt_session),
//! [`Keyring::decrypt_session`](crate::keyring::Keyring::decrypt_session), and
//! for a re-key [`Keyring::wrap_session`](crate::keyring::Keyring::wrap_session),
//! an [`EncryptSession`] that wraps a data key it is given).
//! The host loops:
//!
//! 1. [`EncryptSession::next`] / [`DecryptSession::next`] returns a [`Step`]:
//!    [`Step::Call`] (call KMS with this request), [`Step::Done`] (here are
//!    the materials or the data key) or [`Step::Failed`] (this error);
//! 2. after a `Call`, the host performs the KMS call and hands back the
//!    response or its own error with `answer`; then back to 1.
//!
//! The session keeps the request it yielded, so a response is always checked
//! against the request the core made, never against anything the host says
//! it asked. Between `next` and `answer` the host may await (JavaScript does);
//! nothing is borrowed across that gap. Hosts that block use
//! [`driver`], which runs the loop over a small [`Kms`] trait.
//!
//! ## Attempts and the cause of a failure
//!
//! Every `Call` carries an attempt index: its position in the list of
//! [`Attempt`](crate::Attempt)s that a final
//! [`Error::NoDecryptableKey`] reports (keys
//! skipped without a call come first). A host that keeps its own error
//! objects (Python exceptions, JavaScript thrown values) keys them by that
//! index.
//!
//! **The cause rule**, the same in every binding: the top-level cause of a
//! failed session is the host error of the *last* call that the host
//! answered with an error ([`EncryptSession::cause_attempt`],
//! [`DecryptSession::cause_attempt`]). Responses the core rejected have no
//! host error and are never the cause; when no call failed in the host, a
//! failure has no cause.
//!
//! ```
//! use mrkenv::keyring::{Keyring, KmsMrkKeyring};
//! use mrkenv::session::{KmsRequest, KmsResponse, Step};
//!
//! let arn = "arn:aws:kms:us-west-2:111122223333:key/mrk-1";
//! let keyring = Keyring::from(KmsMrkKeyring::new([arn])?);
//! let mut session = keyring.encrypt_session(&Default::default(), &Default::default())?;
//! let materials = loop {
//!     match session.next() {
//!         Step::Call { request: KmsRequest::GenerateDataKey(r), .. } => {
//!             assert_eq!(r.number_of_bytes, 32);
//!             let response = KmsResponse {
//!                 key_id: Some(arn),
//!                 plaintext: &[1u8; 32],
//!                 ciphertext_blob: b"wrapped",
//!             };
//!             session.answer(Ok(response))?;
//!         }
//!         Step::Call { .. } => unreachable!("one key: no Encrypt call"),
//!         Step::Done(materials) => break materials,
//!         Step::Failed(e) => return Err(e),
//!     }
//! };
//! assert_eq!(materials.encrypted_data_keys[0].provider_info, arn);
//! # Ok::<(), mrkenv::Error>(())
//! ```

mod decrypt;
pub mod driver;
mod encrypt;

pub use decrypt::DecryptSession;
pub use driver::{drive, HostError, Kms, KmsOutput, SessionError};
pub use encrypt::EncryptSession;

use crate::context::EncryptionContext;
use crate::error::Error;
use crate::keyring::{DecryptRequest, EncryptRequest, GenerateDataKeyRequest};

/// One KMS call the host must make.
#[derive(Debug, Clone)]
pub enum KmsRequest {
    /// KMS `GenerateDataKey`.
    GenerateDataKey(GenerateDataKeyRequest),
    /// KMS `Encrypt` (wrap the data key under another key).
    Encrypt(EncryptRequest),
    /// KMS `Decrypt`.
    Decrypt(DecryptRequest),
}

impl KmsRequest {
    /// The KMS operation name: `GenerateDataKey`, `Encrypt` or `Decrypt`.
    pub fn operation(&self) -> &'static str {
        match self {
            KmsRequest::GenerateDataKey(_) => "GenerateDataKey",
            KmsRequest::Encrypt(_) => "Encrypt",
            KmsRequest::Decrypt(_) => "Decrypt",
        }
    }

    /// The `KeyId` to pass to KMS.
    pub fn key_id(&self) -> &str {
        match self {
            KmsRequest::GenerateDataKey(r) => &r.key_id,
            KmsRequest::Encrypt(r) => &r.key_id,
            KmsRequest::Decrypt(r) => &r.key_id,
        }
    }

    /// The `EncryptionContext` to pass to KMS.
    pub fn encryption_context(&self) -> &EncryptionContext {
        match self {
            KmsRequest::GenerateDataKey(r) => &r.encryption_context,
            KmsRequest::Encrypt(r) => &r.encryption_context,
            KmsRequest::Decrypt(r) => &r.encryption_context,
        }
    }
}

/// What KMS answered, read from any operation's response. A field the
/// operation does not return, or that the response lacks, is left empty
/// (`None` / `&[]`); the core then says precisely what was missing.
#[derive(Clone, Copy, Default)]
pub struct KmsResponse<'a> {
    /// The response `KeyId` (a full key ARN).
    pub key_id: Option<&'a str>,
    /// The response `Plaintext` (`GenerateDataKey`, `Decrypt`).
    pub plaintext: &'a [u8],
    /// The response `CiphertextBlob` (`GenerateDataKey`, `Encrypt`).
    pub ciphertext_blob: &'a [u8],
}

impl std::fmt::Debug for KmsResponse<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KmsResponse")
            .field("key_id", &self.key_id)
            .field("plaintext", &"[REDACTED]")
            .field("ciphertext_blob_len", &self.ciphertext_blob.len())
            .finish()
    }
}

/// What to do next in a session.
#[derive(Debug)]
pub enum Step<'s, T> {
    /// Call KMS with `request`, then pass the response (or the host's error)
    /// to the session's `answer`.
    Call {
        /// The index of this call among the attempts a failure reports.
        attempt: usize,
        /// The call to make.
        request: &'s KmsRequest,
    },
    /// The conversation succeeded.
    Done(T),
    /// The conversation failed; the session is over.
    Failed(Error),
}

/// What every session offers a host: the steps of the loop. Implemented by
/// [`EncryptSession`] and [`DecryptSession`]; [`driver::drive`] runs any of
/// them.
pub trait Conversation {
    /// What a successful session yields.
    type Output;
    /// What to do next (see [`Step`]).
    fn next(&mut self) -> Step<'_, Self::Output>;
    /// The answer to the call `next` returned: the KMS response or the
    /// host's error. Fails only when no call is waiting for an answer.
    fn answer(&mut self, answer: Result<KmsResponse<'_>, String>) -> Result<(), Error>;
    /// The attempt whose host error is the cause of a failure (the cause rule).
    fn cause_attempt(&self) -> Option<usize>;
}

macro_rules! conversation {
    ($session:ty, $output:ty) => {
        impl Conversation for $session {
            type Output = $output;
            fn next(&mut self) -> Step<'_, $output> {
                <$session>::next(self)
            }
            fn answer(&mut self, answer: Result<KmsResponse<'_>, String>) -> Result<(), Error> {
                <$session>::answer(self, answer)
            }
            fn cause_attempt(&self) -> Option<usize> {
                <$session>::cause_attempt(self)
            }
        }
    };
}

conversation!(EncryptSession, crate::keyring::EncryptionMaterials);
conversation!(DecryptSession, crate::crypto::DataKey);

/// A session's progress, shared by the encrypt and decrypt sessions.
#[derive(Debug)]
enum Progress<T> {
    /// Waiting for the host to `answer` this request.
    Waiting { attempt: usize, request: KmsRequest },
    /// Ready to work out the next step.
    Running,
    /// Finished; `next` hands this out once.
    Finished(Result<T, Error>),
    /// The outcome was handed out.
    Over,
}

impl<T> Progress<T> {
    /// The step for a session in this state, or `None` when the session must
    /// decide (it is running).
    fn step(&mut self) -> Option<Step<'_, T>> {
        if let Progress::Finished(_) = self {
            return match std::mem::replace(self, Progress::Over) {
                Progress::Finished(Ok(value)) => Some(Step::Done(value)),
                Progress::Finished(Err(error)) => Some(Step::Failed(error)),
                _ => unreachable!("matched Finished above"),
            };
        }
        match self {
            Progress::Waiting { attempt, request } => Some(Step::Call {
                attempt: *attempt,
                request,
            }),
            Progress::Over => Some(Step::Failed(Error::invalid_argument(
                "the KMS session is over: its result was already returned",
            ))),
            Progress::Running | Progress::Finished(_) => None,
        }
    }

    /// Takes the request waiting for an answer, or says why there is none.
    fn take_waiting(&mut self) -> Result<(usize, KmsRequest), Error> {
        match std::mem::replace(self, Progress::Running) {
            Progress::Waiting { attempt, request } => Ok((attempt, request)),
            other => {
                *self = other;
                Err(Error::invalid_argument(
                    "answer() without a pending KMS call: call next() and answer the Call it returns",
                ))
            }
        }
    }
}
