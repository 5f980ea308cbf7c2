//! Records (DynamoDB items) for the npm package: the two steps of each
//! direction of the core's `record` module, with the KMS session between
//! them made by the same [`Keyring`] and stepped by the same JavaScript
//! adapter as messages (`converse` in `js/api.js`):
//!
//! - encrypt: [`RecordEncryptPlan`] (checks the item and options, computes
//!   the encryption context) -> `keyring.recordEncryptSession(plan)` ->
//!   [`RecordEncryptPlan::seal`];
//! - decrypt: [`RecordDecryptPlan`] (reserved attributes, header, table and
//!   context checks) -> `keyring.recordDecryptSession(plan)` (the record's
//!   encrypted data keys and context) -> [`RecordDecryptPlan::open`]; the data
//!   key stays in wasm memory ([`DataKeyBox`]).
//!
//! Items cross the boundary in the AWS SDK v3 `AttributeValue` shapes
//! (`{ S: "Andy" }`, `N` as a string, `B` as a `Uint8Array`, ...). They are
//! read with `Reflect` calls that catch (a getter or proxy that throws
//! becomes an error, never an unwind through wasm) and with the nesting
//! bounded while reading; nothing is unwrapped. A value of the wrong
//! JavaScript type is a `TypeError` naming the attribute path; a value that
//! breaks a DynamoDB rule (a bad number, an empty or duplicate set) is the
//! core's `InvalidArgument` error, with the same message as DynamoDB JSON.

use js_sys::{Array, JsString, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use mrkenv::error::LimitError;
use mrkenv::record::{
    self, Action, AttributeValue, DecryptPlan, DecryptRecordOptions, EncryptPlan,
    EncryptRecordOptions, Item, Number,
};
use mrkenv::{Error, Limits, RecordError};

use crate::limits::limits_from;
use crate::{
    context_from, context_value, error_value, invalid_argument, message_id_from, set, Conv,
    DataKeyBox, IntoJs, JsResult, Keyring, KmsSession, Materials,
};

#[wasm_bindgen]
extern "C" {
    /// `Object.entries`, catching what a getter or proxy throws.
    #[wasm_bindgen(js_namespace = Object, js_name = entries, catch)]
    fn object_entries(object: &JsValue) -> Result<Array, JsValue>;
}

// ------------------------------------------------------------ JS -> core

/// What is wrong with a value, and where below the attribute (`[0]["k"]`),
/// built up on the way out so that success costs no path strings.
struct Bad {
    path: String,
    problem: Problem,
}

enum Problem {
    /// The wrong JavaScript type or shape: a `TypeError`.
    Type(String),
    /// A DynamoDB rule: the core's `InvalidArgument`.
    Value(String),
    /// Nested deeper than the limit.
    Depth,
}

impl Bad {
    fn type_error(message: impl Into<String>) -> Bad {
        Bad {
            path: String::new(),
            problem: Problem::Type(message.into()),
        }
    }

    fn value(message: impl Into<String>) -> Bad {
        Bad {
            path: String::new(),
            problem: Problem::Value(message.into()),
        }
    }

    fn under(mut self, segment: impl std::fmt::Display) -> Bad {
        self.path = format!("{segment}{}", self.path);
        self
    }

    /// The error thrown to JavaScript for attribute `name`.
    fn into_js(self, name: &str, limits: &Limits) -> JsValue {
        match self.problem {
            Problem::Type(message) => {
                type_error(&format!("item attribute {name:?}{}: {message}", self.path))
            }
            Problem::Value(problem) => error_value(&Error::from(RecordError::InvalidValue {
                attribute: name.to_string(),
                path: self.path,
                problem,
            })),
            Problem::Depth => error_value(&Error::from(LimitError {
                what: "record nesting depth",
                limit: limits.max_record_depth as u64,
                found: limits.max_record_depth as u64 + 1,
            })),
        }
    }
}

fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

fn type_of(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else if Array::is_array(value) {
        "an array".into()
    } else if value.is_instance_of::<Uint8Array>() {
        "a Uint8Array".into()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}

/// A plain object: its prototype is null or a realm's `Object.prototype`
/// (whose own prototype is null). Arrays, Maps, class instances are not.
fn is_plain_object(value: &JsValue) -> bool {
    if !value.is_object() || Array::is_array(value) {
        return false;
    }
    match Reflect::get_prototype_of(value) {
        Ok(proto) if proto.is_null() => true,
        Ok(proto) => matches!(Reflect::get_prototype_of(&proto), Ok(p) if p.is_null()),
        Err(_) => false,
    }
}

/// A JS string as Rust text; a lone surrogate (which would silently become
/// U+FFFD) is refused. Only strings holding U+FFFD take the slow check.
fn text(value: &JsValue, what: &str) -> Result<String, Bad> {
    let Some(text) = value.as_string() else {
        return Err(Bad::type_error(format!(
            "{what} must be a string, got {}",
            type_of(value)
        )));
    };
    if text.contains('\u{FFFD}') && !value.unchecked_ref::<JsString>().is_valid_utf16() {
        return Err(Bad::type_error(format!(
            "{what} is not well-formed Unicode (it holds a lone surrogate)"
        )));
    }
    Ok(text)
}

fn number(value: &JsValue, what: &str) -> Result<Number, Bad> {
    let text = text(value, what)?;
    Number::parse(&text).map_err(|e| Bad::value(format!("number {e}")))
}

fn bytes(value: &JsValue, what: &str) -> Result<Vec<u8>, Bad> {
    match value.dyn_ref::<Uint8Array>() {
        Some(array) => Ok(array.to_vec()),
        None => Err(Bad::type_error(format!(
            "{what} must be a Uint8Array, got {}",
            type_of(value)
        ))),
    }
}

/// The own enumerable `[key, value]` pairs of a plain object.
fn entries(value: &JsValue, what: &str) -> Result<Vec<(String, JsValue)>, Bad> {
    if !is_plain_object(value) {
        return Err(Bad::type_error(format!(
            "{what} must be a plain object, got {}",
            type_of(value)
        )));
    }
    let pairs = object_entries(value)
        .map_err(|_| Bad::type_error(format!("{what} could not be read (a getter threw)")))?;
    let mut out = Vec::with_capacity(pairs.length() as usize);
    for pair in pairs.iter() {
        let pair: Array = pair.unchecked_into();
        let key = text(&pair.get(0), "an attribute name")?;
        out.push((key, pair.get(1)));
    }
    Ok(out)
}

/// The elements of an array (read with `Reflect`, so a proxy cannot unwind).
fn elements(value: &JsValue, what: &str) -> Result<Vec<JsValue>, Bad> {
    let unreadable = || Bad::type_error(format!("{what} could not be read"));
    if !Array::is_array(value) {
        return Err(Bad::type_error(format!(
            "{what} must be an array, got {}",
            type_of(value)
        )));
    }
    let length = Reflect::get(value, &JsValue::from_str("length"))
        .ok()
        .and_then(|l| l.as_f64())
        .filter(|l| l.fract() == 0.0 && *l >= 0.0 && *l <= f64::from(u32::MAX))
        .ok_or_else(unreadable)? as u32;
    (0..length)
        .map(|i| Reflect::get_u32(value, i).map_err(|_| unreadable()))
        .collect()
}

fn each<T>(
    items: Vec<JsValue>,
    mut convert: impl FnMut(&JsValue) -> Result<T, Bad>,
) -> Result<Vec<T>, Bad> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| convert(item).map_err(|b| b.under(format!("[{i}]"))))
        .collect()
}

/// One AttributeValue; `depth` is the number of `L`/`M` around it.
fn value_from_js(value: &JsValue, depth: usize, limits: &Limits) -> Result<AttributeValue, Bad> {
    // A key whose value is `undefined` is absent (the SDK's union types
    // allow `{ S: "x", N: undefined }`).
    let present: Vec<(String, JsValue)> = entries(value, "an AttributeValue")?
        .into_iter()
        .filter(|(_, v)| !v.is_undefined())
        .collect();
    let Ok::<[(String, JsValue); 1], _>([(tag, inner)]) = present.try_into() else {
        return Err(Bad::type_error(
            "an AttributeValue must have exactly one type key, like { S: \"Andy\" }",
        ));
    };
    let nested = || {
        if depth + 1 > limits.max_record_depth {
            Err(Bad {
                path: String::new(),
                problem: Problem::Depth,
            })
        } else {
            Ok(depth + 1)
        }
    };
    Ok(match tag.as_str() {
        "S" => AttributeValue::S(text(&inner, "S")?),
        "N" => AttributeValue::N(number(&inner, "N")?),
        "B" => AttributeValue::B(bytes(&inner, "B")?),
        "BOOL" => AttributeValue::Bool(inner.as_bool().ok_or_else(|| {
            Bad::type_error(format!("BOOL must be a boolean, got {}", type_of(&inner)))
        })?),
        "NULL" => match inner.as_bool() {
            Some(true) => AttributeValue::Null,
            _ => return Err(Bad::type_error("NULL must be true")),
        },
        "L" => {
            let depth = nested()?;
            AttributeValue::L(each(elements(&inner, "L")?, |v| {
                value_from_js(v, depth, limits)
            })?)
        }
        "M" => {
            let depth = nested()?;
            let mut map = std::collections::BTreeMap::new();
            for (key, item) in entries(&inner, "M")? {
                let parsed =
                    value_from_js(&item, depth, limits).map_err(|b| b.under(format!("[{key:?}]")))?;
                map.insert(key, parsed);
            }
            AttributeValue::M(map)
        }
        "SS" => AttributeValue::Ss(each(elements(&inner, "SS")?, |v| text(v, "an SS element"))?),
        "NS" => AttributeValue::Ns(each(elements(&inner, "NS")?, |v| number(v, "an NS element"))?),
        "BS" => AttributeValue::Bs(each(elements(&inner, "BS")?, |v| bytes(v, "a BS element"))?),
        other => {
            return Err(Bad::type_error(format!(
                "unknown AttributeValue type {other:?} (expected S, N, B, BOOL, NULL, L, M, SS, NS or BS)"
            )))
        }
    })
}

/// An item (a plain object of attribute name -> AttributeValue).
pub(crate) fn item_from_js(value: &JsValue, limits: &Limits) -> JsResult<Item> {
    let attributes = entries(value, "item").map_err(|bad| match bad.problem {
        Problem::Type(message) => type_error(&message),
        _ => type_error("item must be a plain object"),
    })?;
    let mut item = Item::new();
    for (name, value) in attributes {
        let parsed = value_from_js(&value, 0, limits)
            .and_then(|v| {
                v.check().map_err(|(path, problem)| Bad {
                    path,
                    problem: Problem::Value(problem),
                })?;
                Ok(v)
            })
            .map_err(|bad| bad.into_js(&name, limits))?;
        item.insert(name, parsed);
    }
    Ok(item)
}

// ------------------------------------------------------------ core -> JS

/// A plain object with these own data properties (`Object.fromEntries`, so
/// an attribute named `__proto__` is a property, not the prototype).
fn object_of(entries: impl Iterator<Item = (String, JsValue)>) -> JsResult<JsValue> {
    let pairs = Array::new();
    for (key, value) in entries {
        let pair = Array::new();
        pair.push(&JsValue::from(key));
        pair.push(&value);
        pairs.push(&pair);
    }
    Ok(Object::from_entries(&pairs)?.into())
}

fn value_to_js(value: &AttributeValue) -> JsResult<JsValue> {
    let strings = |items: &mut dyn Iterator<Item = &str>| -> JsValue {
        items.map(JsValue::from_str).collect::<Array>().into()
    };
    let (tag, inner): (&str, JsValue) = match value {
        AttributeValue::S(s) => ("S", s.as_str().into()),
        AttributeValue::N(n) => ("N", n.as_str().into()),
        AttributeValue::B(b) => ("B", Uint8Array::from(b.as_slice()).into()),
        AttributeValue::Bool(b) => ("BOOL", (*b).into()),
        AttributeValue::Null => ("NULL", true.into()),
        AttributeValue::L(items) => (
            "L",
            items
                .iter()
                .map(value_to_js)
                .collect::<JsResult<Array>>()?
                .into(),
        ),
        AttributeValue::M(map) => (
            "M",
            object_of(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), value_to_js(v)?)))
                    .collect::<JsResult<Vec<_>>>()?
                    .into_iter(),
            )?,
        ),
        AttributeValue::Ss(set) => ("SS", strings(&mut set.iter().map(String::as_str))),
        AttributeValue::Ns(set) => ("NS", strings(&mut set.iter().map(Number::as_str))),
        AttributeValue::Bs(set) => (
            "BS",
            set.iter()
                .map(|b| JsValue::from(Uint8Array::from(b.as_slice())))
                .collect::<Array>()
                .into(),
        ),
    };
    let object = Object::new();
    set(&object, tag, &inner);
    Ok(object.into())
}

pub(crate) fn item_to_js(item: &Item) -> JsResult<JsValue> {
    object_of(
        item.iter()
            .map(|(name, value)| Ok((name.clone(), value_to_js(value)?)))
            .collect::<JsResult<Vec<_>>>()?
            .into_iter(),
    )
}

// ------------------------------------------------------------ the plans

/// `[name, action, name, action, ...]` -> actions (the core parses the names).
fn actions_from(flat: Vec<String>) -> JsResult<std::collections::BTreeMap<String, Action>> {
    if flat.len() % 2 != 0 {
        return Err(invalid_argument("action list has an odd number of entries"));
    }
    let mut actions = std::collections::BTreeMap::new();
    let mut items = flat.into_iter();
    while let (Some(name), Some(action)) = (items.next(), items.next()) {
        actions.insert(name, action.parse::<Action>().js()?);
    }
    Ok(actions)
}

/// Step (a) of encrypting a record: the checked item and its encryption
/// context, until [`seal`](Self::seal) (once).
#[wasm_bindgen]
pub struct RecordEncryptPlan {
    inner: Option<EncryptPlan>,
    limits: Limits,
}

fn sealed() -> JsValue {
    invalid_argument("the record was already sealed")
}

#[wasm_bindgen]
impl RecordEncryptPlan {
    /// Checks the options, reads and checks `item`, resolves the actions and
    /// computes the encryption context. `actions` and `context` are flat
    /// `[key, value, ...]` lists; `message_id` is for test vectors only
    /// (test builds); `limits` as `limits_from` reads them.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        item: &JsValue,
        table_name: String,
        partition_key: String,
        sort_key: Option<String>,
        actions: Vec<String>,
        default_action: Option<String>,
        context: Vec<String>,
        message_id: Option<Vec<u8>>,
        limits: Option<Vec<u32>>,
    ) -> JsResult<RecordEncryptPlan> {
        let mut options = EncryptRecordOptions::new(table_name, partition_key);
        options.sort_key = sort_key;
        options.actions = actions_from(actions)?;
        options.default_action = default_action
            .map(|a| a.parse::<Action>())
            .transpose()
            .js()?;
        options.encryption_context = context_from(context)?;
        options.message_id = message_id_from(message_id)?;
        options.limits = limits_from(limits)?;
        let item = item_from_js(item, &options.limits)?;
        Ok(RecordEncryptPlan {
            inner: Some(record::encrypt_plan(item, &options).js()?),
            limits: options.limits,
        })
    }

    pub(crate) fn plan(&self) -> JsResult<&EncryptPlan> {
        self.inner.as_ref().ok_or_else(sealed)
    }

    /// The record's encryption context (flat list): what KMS is asked with.
    #[wasm_bindgen(js_name = encryptionContext)]
    pub fn encryption_context(&self) -> JsResult<Array> {
        Ok(context_value(self.plan()?.encryption_context()))
    }

    /// Step (b): encrypts with materials obtained for the record's context
    /// and returns the item to store.
    pub fn seal(&mut self, materials: &Materials) -> JsResult<JsValue> {
        let plan = self.inner.take().ok_or_else(sealed)?;
        item_to_js(&plan.seal(materials.inner.clone()).js()?)
    }
}

/// Step (a) of decrypting a record: a plaintext item (only with
/// `allow_plaintext`) or an encrypted record whose header and context were
/// checked, until [`open`](Self::open) or
/// [`plaintext_item`](Self::plaintext_item) (once).
#[wasm_bindgen]
pub struct RecordDecryptPlan {
    inner: Option<DecryptPlan>,
}

fn used() -> JsValue {
    invalid_argument("the record decrypt plan was already used")
}

#[wasm_bindgen]
impl RecordDecryptPlan {
    /// Reads `item` and runs the core's checks before any key is needed.
    /// `required_context` is a flat `[key, value, ...]` list; `limits` as
    /// `limits_from` reads them.
    #[wasm_bindgen(constructor)]
    pub fn new(
        item: &JsValue,
        table_name: String,
        partition_key: String,
        sort_key: Option<String>,
        required_context: Vec<String>,
        allow_plaintext: bool,
        limits: Option<Vec<u32>>,
    ) -> JsResult<RecordDecryptPlan> {
        let mut options = DecryptRecordOptions::new(table_name, partition_key);
        options.sort_key = sort_key;
        options.required_context = context_from(required_context)?;
        options.allow_plaintext = allow_plaintext;
        options.limits = limits_from(limits)?;
        let item = item_from_js(item, &options.limits)?;
        Ok(RecordDecryptPlan {
            inner: Some(record::decrypt_plan(item, &options).js()?),
        })
    }

    /// True for an item without reserved attributes (allowed plaintext):
    /// no key is needed, take it with `plaintextItem()`.
    #[wasm_bindgen(js_name = isPlaintext)]
    pub fn is_plaintext(&self) -> bool {
        matches!(self.inner, Some(DecryptPlan::Plaintext(_)))
    }

    /// The allowed plaintext item, unchanged (once).
    #[wasm_bindgen(js_name = plaintextItem)]
    pub fn plaintext_item(&mut self) -> JsResult<JsValue> {
        match self.inner.take() {
            Some(DecryptPlan::Plaintext(item)) => item_to_js(&item),
            _ => Err(used()),
        }
    }

    /// Step (b): verifies the commitment and the tag with the data key, then
    /// decrypts; returns the item without the reserved attributes.
    pub fn open(&mut self, data_key: &DataKeyBox) -> JsResult<JsValue> {
        match self.inner.take() {
            Some(DecryptPlan::Encrypted(record)) => {
                let mut item = record.open(&data_key.key).js()?;
                let converted = item_to_js(&item);
                // The plaintext now lives in the JavaScript objects only.
                record::zeroize_item(&mut item);
                converted
            }
            _ => Err(used()),
        }
    }
}

#[wasm_bindgen]
impl Keyring {
    /// The conversation that yields the materials for a record, for exactly
    /// its encryption context, under the plan's limits.
    #[wasm_bindgen(js_name = recordEncryptSession)]
    pub fn record_encrypt_session(&self, plan: &RecordEncryptPlan) -> JsResult<KmsSession> {
        let session = self
            .inner
            .encrypt_session(plan.plan()?.encryption_context(), &plan.limits)
            .js()?;
        Ok(KmsSession::new(Conv::Encrypt(session)))
    }

    /// The conversation that finds the data key among the record's encrypted
    /// data keys, with the record's encryption context.
    #[wasm_bindgen(js_name = recordDecryptSession)]
    pub fn record_decrypt_session(&self, plan: &RecordDecryptPlan) -> JsResult<KmsSession> {
        let Some(DecryptPlan::Encrypted(record)) = &plan.inner else {
            return Err(invalid_argument(
                "the record is not encrypted or was already opened",
            ));
        };
        let session = self
            .inner
            .decrypt_session(record.encrypted_data_keys(), record.encryption_context())
            .js()?;
        Ok(KmsSession::new(Conv::Decrypt(session)))
    }
}
