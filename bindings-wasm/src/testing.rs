//! Test hooks, compiled only with the cargo feature `testing` (the test
//! build of `make test`; `make dist` leaves the feature off, and a test
//! checks the package's wasm has none of these exports).
//!
//! - injected data key and raw AES IV, to reproduce the shared vectors byte
//!   for byte (used twice with the same key and message id they would repeat
//!   the keystream: never in a release artifact);
//! - a deliberate panic, to test that a trap of the wasm instance becomes a
//!   `MrkenvError` and the module works again afterwards.

use mrkenv::{DataKey, EncryptionContext};
use wasm_bindgen::prelude::*;

use crate::record::RecordEncryptPlan;
use crate::{context_from, invalid_argument, IntoJs, JsResult, Keyring, Materials};

fn data_key_from(bytes: &[u8], what: &str) -> JsResult<DataKey> {
    DataKey::from_slice(bytes).map_err(|_| {
        invalid_argument(&format!(
            "{what} must be 32 bytes, got {} bytes",
            bytes.len()
        ))
    })
}

impl Keyring {
    /// Materials for `context` with an injected data key and raw AES IV.
    fn injected_materials(
        &self,
        context: &EncryptionContext,
        data_key: &[u8],
        iv: &[u8],
    ) -> JsResult<Materials> {
        let data_key = data_key_from(data_key, "data key")?;
        let iv: [u8; 12] = iv
            .try_into()
            .map_err(|_| invalid_argument("raw AES IV must be 12 bytes"))?;
        let inner = self
            .inner
            .encryption_materials_with(context, &Default::default(), data_key, iv)
            .js()?;
        Ok(Materials { inner })
    }
}

#[wasm_bindgen]
impl Keyring {
    /// Test vectors only: materials with a fixed data key and raw AES IV
    /// (only a raw AES keyring takes them; the core says so otherwise).
    #[wasm_bindgen(js_name = encryptionMaterialsWith)]
    pub fn encryption_materials_with(
        &self,
        context: Vec<String>,
        data_key: &[u8],
        iv: &[u8],
    ) -> JsResult<Materials> {
        self.injected_materials(&context_from(context)?, data_key, iv)
    }

    /// Test vectors only: a record's materials with a fixed data key and raw
    /// AES IV (raw AES keyrings only).
    #[wasm_bindgen(js_name = recordMaterialsWith)]
    pub fn record_materials_with(
        &self,
        plan: &RecordEncryptPlan,
        data_key: &[u8],
        iv: &[u8],
    ) -> JsResult<Materials> {
        self.injected_materials(plan.plan()?.encryption_context(), data_key, iv)
    }
}

/// Panics, to test the panic boundary (the wasm is built with
/// `panic=abort`: the instance traps with `unreachable`).
#[wasm_bindgen(js_name = panicForTesting)]
pub fn panic_for_testing() {
    panic!("injected panic (test build)");
}
