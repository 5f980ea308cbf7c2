//! Record encryption: a DynamoDB item encrypted attribute by attribute, with
//! an action per attribute (the DynamoDB Encryption Client model), the same
//! keyrings as messages, and the byte layout of `docs/FORMAT.md`, part
//! "Records".
//!
//! The core never calls KMS. Both directions have two steps:
//!
//! - encrypt: [`encrypt_plan`] checks the item and the configuration and
//!   computes the encryption context (before any KMS call); the host obtains
//!   [`EncryptionMaterials`](crate::EncryptionMaterials) for exactly that
//!   context; [`EncryptPlan::seal`] returns the encrypted item;
//! - decrypt: [`decrypt_plan`] checks the reserved attributes, reads the
//!   header and checks the table, key schema and required context; the host
//!   unwraps one of [`EncryptedRecord::encrypted_data_keys`] with
//!   [`EncryptedRecord::encryption_context`]; [`EncryptedRecord::open`]
//!   verifies the commitment and the tag, then decrypts.
//!
//! Hosts with a blocking KMS client use [`encrypt_record`] and
//! [`decrypt_record`], which run the KMS session between the two steps.
//!
//! ```
//! use mrkenv::keyring::RawAesKeyring;
//! use mrkenv::record::{self, Action, AttributeValue, DecryptPlan, DecryptRecordOptions, EncryptRecordOptions, Item};
//!
//! let keyring = RawAesKeyring::new("my-app", "key-1", &[42u8; 32])?;
//! let mut item = Item::new();
//! item.insert("employeeId".into(), AttributeValue::S("1234".into()));
//! item.insert("name".into(), AttributeValue::S("Andy".into()));
//! let mut options = EncryptRecordOptions::new("global-table-example", "employeeId");
//! options.actions.insert("employeeId".into(), Action::SignOnly);
//! options.actions.insert("name".into(), Action::EncryptAndSign);
//!
//! let plan = record::encrypt_plan(item.clone(), &options)?;
//! let materials = keyring.encryption_materials(plan.encryption_context(), &options.limits)?;
//! let data_key = materials.data_key.clone(); // a real host unwraps an EDK instead
//! let encrypted = plan.seal(materials)?;
//! assert!(matches!(encrypted["name"], AttributeValue::B(_)));
//!
//! let options = DecryptRecordOptions::new("global-table-example", "employeeId");
//! let DecryptPlan::Encrypted(record) = record::decrypt_plan(encrypted, &options)? else {
//!     unreachable!("the item is encrypted")
//! };
//! assert_eq!(record.open(&data_key)?, item);
//! # Ok::<(), mrkenv::Error>(())
//! ```

mod action;
mod base64;
mod blocking;
mod header;
pub mod json;
mod json_text;
mod keys;
mod number;
mod open;
mod options;
mod seal;
mod value;

pub use action::Action;
pub use blocking::{decrypt_record, encrypt_record};
pub use header::{RecordHeader, RECORD_VERSION};
pub use keys::{attribute_aad, attribute_iv, RECORD_COMMITMENT_LABEL, RECORD_KEY_LABEL};
pub use number::Number;
pub use open::{decrypt_plan, DecryptPlan, EncryptedRecord, VerifiedRecord};
pub use options::{context_text, DecryptRecordOptions, EncryptRecordOptions};
pub use seal::{encrypt_plan, tag_input, EncryptPlan};
pub use value::{cbor_order, type_name, zeroize_item, AttributeValue, Item, TYPE_NAMES};

/// Every attribute whose name starts with this belongs to mrkenv; an item to
/// encrypt may not hold one.
pub const RESERVED_ATTRIBUTE_PREFIX: &str = "aws_mrkenv_";
/// The reserved attribute holding the record header (`B`).
pub const HEADER_ATTRIBUTE: &str = "aws_mrkenv_header";
/// The reserved attribute holding the 16-byte record tag (`B`).
pub const TAG_ATTRIBUTE: &str = "aws_mrkenv_tag";

/// Every encryption context key starting with this is set by mrkenv; a
/// caller's context may not hold one.
pub const CONTEXT_PREFIX: &str = "aws-mrkenv:";
/// Context key: the table name.
pub const CONTEXT_TABLE: &str = "aws-mrkenv:table";
/// Context key: the partition key attribute name.
pub const CONTEXT_PARTITION_KEY: &str = "aws-mrkenv:partition-key";
/// Context key: the sort key attribute name (only when the table has one).
pub const CONTEXT_SORT_KEY: &str = "aws-mrkenv:sort-key";
/// Context key prefix, followed by an attribute name: the value of a key
/// attribute or of a `SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT` attribute
/// (see [`context_text`]).
pub const CONTEXT_ATTRIBUTE_PREFIX: &str = "aws-mrkenv:attr:";
