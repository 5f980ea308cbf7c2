//! # mrkenv-c
//!
//! The C interface of mrkenv: `include/mrkenv.h` (generated from this crate by
//! cbindgen) plus `libmrkenv.a` and `libmrkenv.so`.
//!
//! Every exported function sits behind a panic boundary and checks its
//! pointers: a NULL where one is required returns
//! `MRKENV_STATUS_NULL_ARGUMENT`, never a crash. Failures set a per-thread
//! message readable with `mrkenv_last_error_message`. Output buffers and
//! output strings must be empty on entry (else
//! `MRKENV_STATUS_OUTPUT_NOT_EMPTY`, and they are left untouched); on
//! failure they stay empty, and output handles are set to NULL, never
//! half-written.
//!
//! Modules:
//!
//! - [`error`]: the status codes, the error mapping (once, by core error
//!   kind) and the last-error message;
//! - [`memory`]: `mrkenv_bytes`, the argument conversions and the checks
//!   that outputs are empty on entry;
//! - [`limits`]: `mrkenv_limits`, the core's limits settable from C;
//! - [`keyring`]: raw AES and KMS MRK keyrings, the KMS callback client and
//!   the encrypt/decrypt loops around it;
//! - [`message`]: one-shot encrypt, decrypt, inspect and MRK matching;
//! - [`record`]: DynamoDB items encrypted attribute by attribute, as
//!   DynamoDB JSON;
//! - [`rekey`]: re-keying a message (whole, or its head alone) without
//!   touching its body;
//! - [`stream`]: incremental encryptor and decryptor handles.
//!
//! Types are named without the `mrkenv_` prefix here (`keyring`, `status`);
//! cbindgen adds it (see `cbindgen.toml`).

#![allow(non_camel_case_types)]

pub mod error;
pub mod keyring;
pub mod limits;
pub mod memory;
pub mod message;
pub mod record;
pub mod rekey;
pub mod stream;

pub use error::status;
pub use keyring::{kms_client, kms_response};
pub use memory::{bytes, context_entry};
pub use record::{record_action, record_decrypt_options, record_encrypt_options};
pub use rekey::rekey_options;
