//! What pages pass in, read into core types, and what goes back. Everything is checked here or
//! by the core before anything changes, and every failure is a coded [`Error`].
//!
//! Values cross as JSON: the engine's `JSON.stringify` and `JSON.parse` with serde_json read a
//! thousand candidates several times faster than a call into JavaScript per field, and one
//! serialisation path keeps the `.wasm` small. JSON writes NaN and Infinity as `null`, so no
//! number may be `null` (see [`not_null`]). Candidates of plain shape, the common case, cross
//! faster still, packed by the package's JavaScript ([`packed_items`]).

use js_sys::{JsString, Object, Reflect, Uint8Array, JSON};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tastebud::item::MAX_ID_BYTES;
use tastebud::{Event, EventKind, Item, ProfileConfig, RankOptions};
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

/// The latest time a JavaScript `Date` can hold, in epoch milliseconds.
const MAX_DATE_MS: f64 = 8.64e15;

/// An event as a page writes it: `{ type, item, ts?, ms? }` or `{ type: 'search', query, ts? }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventInput {
    #[serde(rename = "type")]
    kind: String,
    /// Read after the event, so that a malformed item is an `invalid_item`.
    item: Option<serde_json::Value>,
    query: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    ts: Option<f64>,
    #[serde(default, deserialize_with = "not_null")]
    ms: Option<f64>,
}

/// An optional number that, when present, is a finite number: `JSON.stringify` turns NaN and
/// Infinity into `null`.
fn not_null<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
    match Option::<f64>::deserialize(d)? {
        Some(x) => Ok(Some(x)),
        None => Err(serde::de::Error::custom(
            "ts and ms must be finite numbers (NaN, Infinity and null are not)",
        )),
    }
}

/// Reads an event; `now_ms` stands in for a missing `ts`.
pub fn event(value: JsValue, now_ms: f64) -> Result<Event> {
    let input: EventInput = from_js(&value, "an event", Error::event)?;
    let kind = EventKind::parse(&input.kind)?;
    let ts = input.ts.unwrap_or(now_ms);
    if !(ts.is_finite() && ts.abs() <= MAX_DATE_MS) {
        return Err(Error::event(format!(
            "ts must be a time in epoch milliseconds, got {ts}"
        )));
    }
    let ts_ms = ts.round() as i64;
    if input.ms.is_some() && kind != EventKind::Dwell {
        return Err(Error::event("ms is only for dwell events".into()));
    }
    match (kind, input.item, input.query) {
        (EventKind::Search, None, Some(query)) => Ok(Event::search(query, ts_ms)),
        (EventKind::Search, _, _) => Err(Error::event(
            "a search event carries a query string and no item".into(),
        )),
        (kind, Some(item), None) => {
            let item: Item = serde_json::from_value(item)
                .map_err(|e| Error::item(format!("expected an item: {e}")))?;
            let dwell_ms = match input.ms {
                None => 0,
                Some(ms) if ms.is_finite() && ms > 0.0 && ms <= f64::from(u32::MAX) => {
                    ms.round() as u32
                }
                Some(ms) => {
                    return Err(Error::event(format!(
                        "ms must be a duration in milliseconds > 0, got {ms}"
                    )))
                }
            };
            Ok(Event::Item {
                kind,
                item,
                ts_ms,
                dwell_ms,
            })
        }
        (kind, _, _) => Err(Error::event(format!(
            "a {} event carries an item ({{ id, title?, … }}) and no query",
            kind.name()
        ))),
    }
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
    serde_json::from_slice(&json).map_err(|_| {
        // Only on error: find the culprit, to say which item and what is wrong with it.
        let values: Vec<serde_json::Value> = serde_json::from_slice(&json).unwrap_or_default();
        let (at, e) = values
            .into_iter()
            .enumerate()
            .find_map(|(i, v)| serde_json::from_value::<Item>(v).err().map(|e| (i, e)))
            .map_or((0, String::from("not an array of items")), |(i, e)| {
                (i, e.to_string())
            });
        Error::item(format!("candidate {at}: {e}"))
    })
}

/// Candidates of plain shape as the package's JavaScript packs them for `rank` (`pack` in
/// `extend.js`), which spares both `JSON.stringify` and parsing JSON: `text` holds each item's
/// id, title, category, brand and then its tags, each followed by a NUL (an absent field is
/// empty); `prices` holds the prices (NaN when absent) and `tag_counts` how many tags each
/// has. `None` when `text` does not split into exactly those fields, as a NUL inside a field
/// makes it: the caller then reads the items through JSON.
pub fn packed_items(text: &JsString, prices: &[f64], tag_counts: &[u32]) -> Option<Vec<Item>> {
    let bytes = utf8(text);
    let text = std::str::from_utf8(&bytes).ok()?;
    let mut fields = text.split('\0');
    let mut next = || fields.next();
    let present = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let mut items = Vec::with_capacity(prices.len());
    for (&price, &tags) in prices.iter().zip(tag_counts) {
        items.push(Item {
            id: next()?.to_owned(),
            title: present(next()?),
            category: present(next()?),
            brand: present(next()?),
            // As in JSON, where a number is read as f64 and then narrowed.
            price: (!price.is_nan()).then_some(price as f32),
            tags: (0..tags)
                .map(|_| next().map(str::to_owned))
                .collect::<Option<_>>()?,
        });
    }
    // Every field ends with a NUL, so what follows the last one is empty, and nothing more.
    (prices.len() == tag_counts.len() && next() == Some("") && next().is_none()).then_some(items)
}

/// Reads ranking options; `undefined` means the defaults.
pub fn rank_options(value: JsValue) -> Result<RankOptions> {
    optional(value, "ranking options", Error::options)
}

/// Reads a profile configuration; `undefined` means the defaults.
pub fn profile_config(value: JsValue) -> Result<ProfileConfig> {
    optional(value, "a profile configuration", Error::options)
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

fn optional<T: DeserializeOwned + Default>(
    value: JsValue,
    what: &str,
    error: fn(String) -> Error,
) -> Result<T> {
    if value.is_undefined() || value.is_null() {
        Ok(T::default())
    } else {
        from_js(&value, what, error)
    }
}

fn from_js<T: DeserializeOwned>(
    value: &JsValue,
    what: &str,
    error: fn(String) -> Error,
) -> Result<T> {
    let json = json_bytes(value).map_err(|e| error(format!("{what} cannot be read: {e}")))?;
    serde_json::from_slice(&json).map_err(|e| error(format!("expected {what}: {e}")))
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
