//! The core's [`Limits`] from JavaScript: a fixed-order list of numbers that
//! `js/api.js` builds from the `limits` option (it validates the names and
//! the values), and the defaults the other way.

use mrkenv::Limits;
use wasm_bindgen::prelude::*;

use crate::{invalid_argument, JsResult};

/// The number of limits, in the order of `LIMIT_NAMES` in `js/api.js`:
/// `maxEncryptedDataKeys`, `maxHeaderBytes`, `maxContextEntries`,
/// `maxContextBytes`, `maxFrameLength`, `maxRecordAttributes`,
/// `maxRecordDepth`.
const COUNT: usize = 7;

/// The limits from a list of [`COUNT`] values in the documented order, where
/// 0 keeps the default; `None` is every default.
pub(crate) fn limits_from(values: Option<Vec<u32>>) -> JsResult<Limits> {
    let mut limits = Limits::default();
    let Some(values) = values else {
        return Ok(limits);
    };
    if values.len() != COUNT {
        return Err(invalid_argument(&format!(
            "limits list has {} entries, expected {COUNT}",
            values.len()
        )));
    }
    let size = |value: u32, default: usize| match value {
        0 => default,
        value => value as usize,
    };
    limits.max_encrypted_data_keys = size(values[0], limits.max_encrypted_data_keys);
    limits.max_header_bytes = size(values[1], limits.max_header_bytes);
    limits.max_context_entries = size(values[2], limits.max_context_entries);
    limits.max_context_bytes = size(values[3], limits.max_context_bytes);
    if values[4] != 0 {
        limits.max_frame_length = values[4];
    }
    limits.max_record_attributes = size(values[5], limits.max_record_attributes);
    limits.max_record_depth = size(values[6], limits.max_record_depth);
    Ok(limits)
}

/// The core's default limits, in the order of [`limits_from`].
#[wasm_bindgen(js_name = defaultLimits)]
pub fn default_limits() -> Vec<u32> {
    let limits = Limits::default();
    let clamp = |value: usize| u32::try_from(value).unwrap_or(u32::MAX);
    vec![
        clamp(limits.max_encrypted_data_keys),
        clamp(limits.max_header_bytes),
        clamp(limits.max_context_entries),
        clamp(limits.max_context_bytes),
        limits.max_frame_length,
        clamp(limits.max_record_attributes),
        clamp(limits.max_record_depth),
    ]
}
