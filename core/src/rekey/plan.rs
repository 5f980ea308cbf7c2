//! The sans-IO steps of a re-key: read the old head and check the options
//! ([`RekeyPlan`]), verify the data key ([`VerifiedRekey`]), write the new
//! head.

use std::fmt;

use crate::context::EncryptionContext;
use crate::crypto::{DataKey, MessageKeys, TAG_LEN};
use crate::error::{Error, KeyringError, RekeyError};
use crate::format::prelude::{read_prelude, truncated, write_prelude, Prelude, PreludeRead};
use crate::format::{EncryptedDataKey, Header};
use crate::keyring::{EncryptionMaterials, Keyring};
use crate::limits::Limits;
use crate::session::{DecryptSession, EncryptSession};

use super::frames::FrameWalker;
use super::{edk_matches, RekeyOptions};

/// Step 1 of a re-key: the old head, read and checked, and what the new
/// header will keep. Nothing in it is authenticated yet.
#[derive(Debug)]
pub struct RekeyPlan {
    header: Header,
    header_bytes: Vec<u8>,
    tag: [u8; TAG_LEN],
    body_offset: usize,
    kept: Vec<EncryptedDataKey>,
    add: Option<Keyring>,
    limits: Limits,
}

impl RekeyPlan {
    /// Reads the head at the start of `head` (the prefix, the header and the
    /// header tag, in the order of `docs/FORMAT.md` §7.1 steps 1–8, with the
    /// options' limits and required context; bytes after the header tag are
    /// ignored) and checks the options before any KMS call: a discovery
    /// keyring cannot add, every key to remove must match an encrypted data
    /// key, at least one must remain, and the new count must be within the
    /// EDK limit.
    pub fn new(head: &[u8], options: &RekeyOptions) -> Result<RekeyPlan, Error> {
        match read_prelude(head, &options.limits, &options.required_context)? {
            PreludeRead::Complete(prelude) => RekeyPlan::from_prelude(prelude, head, options),
            PreludeRead::Incomplete { missing } => Err(truncated(missing)),
        }
    }

    /// The plan for a prelude read from `input`.
    pub(crate) fn from_prelude(
        prelude: Prelude,
        input: &[u8],
        options: &RekeyOptions,
    ) -> Result<RekeyPlan, Error> {
        let kept = kept_keys(&prelude.header.encrypted_data_keys, options)?;
        Ok(RekeyPlan {
            header_bytes: input[prelude.header_bytes].to_vec(),
            header: prelude.header,
            tag: prelude.tag,
            body_offset: prelude.len,
            kept,
            add: options.add.clone(),
            limits: options.limits.clone(),
        })
    }

    /// The old header (not authenticated yet): its encrypted data keys and
    /// context are what the decrypt session needs.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Where the body (the first frame) starts in the old message.
    pub fn body_offset(&self) -> usize {
        self.body_offset
    }

    /// Checks the framing of `body`, the old message from
    /// [`body_offset`](Self::body_offset) to its end, as the whole-message
    /// re-key does before any KMS call: frame heads in sequence, lengths,
    /// one final frame, nothing after it. Frame tags are not verified.
    pub fn check_body(&self, body: &[u8]) -> Result<(), Error> {
        let mut walker = FrameWalker::new(self.header.frame_length);
        walker.walk(body)?;
        walker.finish()
    }

    /// The encrypted data keys the new header keeps, in their order.
    pub fn kept(&self) -> &[EncryptedDataKey] {
        &self.kept
    }

    /// The conversation that finds the data key with `keyring`, exactly as
    /// decrypt does ([`Keyring::decrypt_session`] over the old header).
    pub fn decrypt_session(&self, keyring: &Keyring) -> Result<DecryptSession, Error> {
        keyring.decrypt_session(
            &self.header.encrypted_data_keys,
            &self.header.encryption_context,
        )
    }

    /// Step 2: checks `data_key` against the key commitment (in constant
    /// time), then the old header tag, as decrypt does (§7.1 steps 10–11),
    /// before anything is written. A tampered header fails here with
    /// `Authentication`.
    pub fn verify(self, data_key: DataKey) -> Result<VerifiedRekey, Error> {
        let keys = MessageKeys::derive(self.header.suite, &data_key, &self.header.message_id);
        keys.check_commitment(&self.header.commitment)?;
        keys.check_header_tag(&self.header_bytes, &self.tag)?;
        Ok(VerifiedRekey {
            plan: self,
            data_key,
            keys,
        })
    }
}

/// Step 2 done: the data key opened the old header, which verified. Wrap
/// the data key with the keys to add, then write the new head.
pub struct VerifiedRekey {
    plan: RekeyPlan,
    data_key: DataKey,
    keys: MessageKeys,
}

impl fmt::Debug for VerifiedRekey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedRekey")
            .field("plan", &self.plan)
            .field("data_key", &self.data_key)
            .finish()
    }
}

impl VerifiedRekey {
    /// The verified data key (what the wrap session wraps).
    pub fn data_key(&self) -> &DataKey {
        &self.data_key
    }

    /// The message's encryption context, unchanged by the re-key.
    pub fn encryption_context(&self) -> &EncryptionContext {
        &self.plan.header.encryption_context
    }

    /// The limits the new header is written within.
    pub fn limits(&self) -> &Limits {
        &self.plan.limits
    }

    /// The old header, now authenticated.
    pub fn header(&self) -> &Header {
        &self.plan.header
    }

    /// Where the body starts in the old message.
    pub fn body_offset(&self) -> usize {
        self.plan.body_offset
    }

    /// The conversation that wraps the data key with every key of the
    /// options' `add` keyring ([`Keyring::wrap_session`], under the
    /// message's context). With nothing to add, the session is done at once
    /// with no encrypted data key, so a host always runs one session.
    pub fn wrap_session(&self) -> Result<EncryptSession, Error> {
        wrap_session(
            self.plan.add.as_ref(),
            &self.data_key,
            self.encryption_context(),
            &self.plan.limits,
        )
    }

    /// Step 3: the new head (prefix, header, header tag) with the kept
    /// encrypted data keys, then `added` (the wrap session's), and a header
    /// tag computed with the data key. Everything else in the header is the
    /// old one's. Checks the count (at least one, within the limit), that
    /// each added key has a provider id and a ciphertext, and the header size.
    pub fn new_head(&self, added: Vec<EncryptedDataKey>) -> Result<Vec<u8>, Error> {
        for (i, edk) in added.iter().enumerate() {
            if edk.provider_id.is_empty() || edk.ciphertext.is_empty() {
                return Err(Error::invalid_argument(format!(
                    "added encrypted data key {}: provider id and ciphertext must not be empty",
                    i + 1
                )));
            }
        }
        let mut edks = self.plan.kept.clone();
        edks.extend(added);
        check_count(edks.len(), &self.plan.limits)?;
        let header = Header {
            encrypted_data_keys: edks,
            ..self.plan.header.clone()
        };
        let header_bytes = header.encode();
        Limits::check(
            "header bytes",
            self.plan.limits.max_header_bytes,
            header_bytes.len(),
        )?;
        Ok(write_prelude(
            &header_bytes,
            &self.keys.header_tag(&header_bytes),
        ))
    }
}

/// The encrypted data keys a re-key keeps (in their order): every key of
/// `edks` that no identifier of `options.remove` matches. Each identifier must
/// match at least one; with the keys the `add` keyring will add, at least one
/// key must remain, within the limit. Checked before any KMS call.
pub(crate) fn kept_keys(
    edks: &[EncryptedDataKey],
    options: &RekeyOptions,
) -> Result<Vec<EncryptedDataKey>, Error> {
    let adding = match &options.add {
        None => 0,
        Some(Keyring::KmsMrk(k)) => k.key_ids().len(),
        Some(Keyring::RawAes(_)) => 1,
        Some(Keyring::KmsMrkDiscovery(_)) => {
            return Err(KeyringError::DiscoveryCannotEncrypt.into())
        }
    };
    let mut removed = vec![false; edks.len()];
    for key_id in &options.remove {
        let mut found = false;
        for (edk, removed) in edks.iter().zip(removed.iter_mut()) {
            if edk_matches(edk, key_id, options.match_replicas)? {
                *removed = true;
                found = true;
            }
        }
        if !found {
            return Err(RekeyError::NotInMessage(key_id.clone()).into());
        }
    }
    let kept: Vec<EncryptedDataKey> = edks
        .iter()
        .zip(&removed)
        .filter(|(_, removed)| !**removed)
        .map(|(edk, _)| edk.clone())
        .collect();
    check_count(kept.len() + adding, &options.limits)?;
    Ok(kept)
}

/// The conversation that wraps `data_key` with every key of `add` (none:
/// a session done at once with no encrypted data key, so a host always runs
/// one session).
pub(crate) fn wrap_session(
    add: Option<&Keyring>,
    data_key: &DataKey,
    encryption_context: &EncryptionContext,
    limits: &Limits,
) -> Result<EncryptSession, Error> {
    match add {
        Some(keyring) => keyring.wrap_session(data_key, encryption_context, limits),
        None => Ok(EncryptSession::finished(EncryptionMaterials {
            data_key: data_key.clone(),
            encrypted_data_keys: Vec::new(),
            encryption_context: encryption_context.clone(),
        })),
    }
}

/// At least one encrypted data key, and within the limit.
fn check_count(count: usize, limits: &Limits) -> Result<(), Error> {
    if count == 0 {
        return Err(RekeyError::NoKeyLeft.into());
    }
    limits.check_encrypted_data_keys(count)
}
