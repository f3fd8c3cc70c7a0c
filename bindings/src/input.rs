//! What pages pass in, read into core types, and what goes back. Everything is checked here or
//! by the core before anything changes, and every failure is a coded [`Error`].
//!
//! Values cross as JSON: the engine's `JSON.stringify` and `JSON.parse` with serde_json read a
//! thousand candidates several times faster than a call into JavaScript per field, and one
//! serialisation path keeps the `.wasm` small. JSON writes NaN and Infinity as `null`, so no
//! number may be `null` (see [`not_null`]). Candidates of plain shape, the common case, cross
//! faster still, packed by the package's JavaScript ([`packed_items`]).

use js_sys::{JsString, Object, Reflect, Uint8Array, JSON};
use tastebud::item::MAX_ID_BYTES;
use tastebud::{wire, Event, Item, ProfileConfig, RankOptions};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{Error, Result};

#[wasm_bindgen]
extern "C" {
    /// The platform's `TextEncoder` (browsers, Node, Deno, workers all have it).
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, input: &JsString, dest: &Uint8Array) -> EncodedInto;

    /// What `encodeInto` did.
    type EncodedInto;
    #[wasm_bindgen(method, getter)]
    fn written(this: &EncodedInto) -> usize;
}

/// Reads an event; `now_ms` stands in for a missing `ts`.
pub fn event(value: JsValue, now_ms: f64) -> Result<Event> {
    let json =
        json_bytes(&value).map_err(|e| Error::event(format!("an event cannot be read: {e}")))?;
    Ok(wire::event_from_json(&json, now_ms)?)
}

/// The keys of an item, which `JSON.stringify` keeps while reading candidates: everything else
/// a page's product objects carry (images, links to parents, cycles) is left unread.
const ITEM_KEYS: [&str; 6] = ["id", "title", "category", "brand", "price", "tags"];

/// Reads the candidates of `rank`. Fields other than an item's own are ignored, so a page can
/// pass its product objects as they are.
pub fn items(value: JsValue) -> Result<Vec<Item>> {
    if !js_sys::Array::is_array(&value) {
        return Err(Error::item("candidates must be an array of items".into()));
    }
    let keys: js_sys::Array = ITEM_KEYS.iter().map(|&k| JsValue::from(k)).collect();
    let json = json_text(JSON::stringify_with_replacer(&value, &keys))
        .map_err(|e| Error::item(format!("candidates cannot be read: {e}")))?;
    Ok(wire::items_from_json(&json)?)
}

/// Packed candidates (see [`wire::packed_items`]).
pub fn packed_items(text: &JsString, prices: &[f64], tag_counts: &[u32]) -> Option<Vec<Item>> {
    let bytes = utf8(text);
    wire::packed_items(std::str::from_utf8(&bytes).ok()?, prices, tag_counts)
}

/// Reads ranking options; `undefined` means the defaults.
pub fn rank_options(value: JsValue) -> Result<RankOptions> {
    optional(
        value,
        "ranking options",
        Error::options,
        wire::rank_options_from_json,
    )
}

/// Reads a profile configuration; `undefined` means the defaults.
pub fn profile_config(value: JsValue) -> Result<ProfileConfig> {
    optional(
        value,
        "a profile configuration",
        Error::options,
        wire::profile_config_from_json,
    )
}

/// Reads an item id.
pub fn item_id(value: &JsValue) -> Result<String> {
    match value.as_string() {
        Some(id) if !id.trim().is_empty() && id.len() <= MAX_ID_BYTES => Ok(id),
        _ => Err(Error::item(format!(
            "an item id must be a non-empty string of at most {MAX_ID_BYTES} bytes"
        ))),
    }
}

/// Reads bytes from a `Uint8Array` or an `ArrayBuffer`; `what` names them in the error.
pub fn bytes(value: &JsValue, what: &str, error: fn(String) -> Error) -> Result<Vec<u8>> {
    if let Some(array) = value.dyn_ref::<Uint8Array>() {
        Ok(array.to_vec())
    } else if let Some(buffer) = value.dyn_ref::<js_sys::ArrayBuffer>() {
        Ok(Uint8Array::new(buffer).to_vec())
    } else {
        Err(error(format!(
            "{what} must be a Uint8Array or an ArrayBuffer"
        )))
    }
}

/// The options of `Personalizer.create`, each still a JavaScript value.
#[derive(Default)]
pub struct CreateOptions {
    pub model: JsValue,
    pub profile: JsValue,
    pub config: JsValue,
}

impl CreateOptions {
    pub fn read(value: Option<JsValue>) -> Result<Self> {
        let Some(value) = value.filter(|v| !v.is_null() && !v.is_undefined()) else {
            return Ok(CreateOptions::default());
        };
        let Some(object) = value.dyn_ref::<Object>() else {
            return Err(Error::options("create options must be an object".into()));
        };
        known_keys(
            &value,
            &["model", "profile", "config"],
            "option",
            Error::options,
        )?;
        let get = |name: &str| {
            Reflect::get(object, &name.into())
                .map_err(|_| Error::options(format!("option {name} cannot be read")))
        };
        Ok(CreateOptions {
            model: get("model")?,
            profile: get("profile")?,
            config: get("config")?,
        })
    }
}

/// Refuses keys outside `known`, for options read one by one rather than through serde (whose
/// `deny_unknown_fields` catches a misspelt field).
fn known_keys(
    value: &JsValue,
    known: &[&str],
    what: &str,
    error: fn(String) -> Error,
) -> Result<()> {
    let Some(object) = value.dyn_ref::<Object>() else {
        return Ok(());
    };
    for key in Object::keys(object) {
        let key = key.as_string().unwrap_or_default();
        if !known.contains(&key.as_str()) {
            return Err(error(format!(
                "unknown {what} {key:?}; expected one of {}",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

fn optional<T: Default>(
    value: JsValue,
    what: &str,
    error: fn(String) -> Error,
    parse: fn(&[u8]) -> tastebud::Result<T>,
) -> Result<T> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    let json = json_bytes(&value).map_err(|e| error(format!("{what} cannot be read: {e}")))?;
    Ok(parse(&json)?)
}

/// `value` as UTF-8 JSON, through the engine's `JSON.stringify`.
fn json_bytes(value: &JsValue) -> std::result::Result<Vec<u8>, String> {
    json_text(JSON::stringify(value))
}

/// What `JSON.stringify` returned, as UTF-8.
fn json_text(json: std::result::Result<JsString, JsValue>) -> std::result::Result<Vec<u8>, String> {
    let json = json.map_err(|e| describe(&e))?;
    // `undefined`, functions and symbols have no JSON.
    if !json.is_string() {
        return Err("it is not a JSON value".into());
    }
    Ok(utf8(&json))
}

/// `text` as UTF-8, by `TextEncoder.encodeInto` straight into this module's memory:
/// wasm-bindgen's own string passing loops over the characters in JavaScript, and `encode`
/// would leave a copy of every candidate list for the garbage collector.
fn utf8(text: &JsString) -> Vec<u8> {
    let encoder = TextEncoder::new();
    // UTF-8 takes at most three bytes per UTF-16 unit.
    let mut bytes = Vec::<u8>::with_capacity(text.length() as usize * 3);
    // SAFETY: the view covers exactly the vector's allocation, and nothing allocates (so the
    // memory cannot grow and detach it) until `encodeInto` has returned; `set_len` then keeps
    // only the bytes it wrote.
    unsafe {
        let view = Uint8Array::view_mut_raw(bytes.as_mut_ptr(), bytes.capacity());
        let written = encoder.encode_into(text, &view).written();
        bytes.set_len(written.min(bytes.capacity()));
    }
    bytes
}

/// A result back to JavaScript: plain objects, arrays, strings and numbers, through JSON for
/// the same reasons as the input.
pub fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue> {
    let json = serde_json::to_string(value)
        .map_err(|e| Error(tastebud::Error::Internal(e.to_string())))?;
    JSON::parse(&json).map_err(|e| Error(tastebud::Error::Internal(describe(&e))))
}

/// A thrown JavaScript value as text.
pub fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}
