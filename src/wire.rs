//! What a host hands over, read into core types: events, candidates, ranking options and profile
//! configurations as JSON, and candidates of plain shape packed (see [`packed_items`]). Parsing
//! lives here, once, in plain Rust, so the bindings only move bytes and the parsers can be
//! fuzzed natively. Every failure is a coded [`Error`]; nothing here panics on any input.
//!
//! JSON is what JavaScript's `JSON.stringify` writes, which turns NaN and Infinity into `null`:
//! so no number may be `null` here.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tastebud::wire;
//! let event = wire::event_from_json(br#"{"type":"view","item":{"id":"mug-1"}}"#, 1.7e12)?;
//! let items = wire::items_from_json(br#"[{"id":"mug-1","price":4.5},{"id":"bag-1"}]"#)?;
//! assert_eq!(items.len(), 2);
//! assert_eq!(wire::rank_options_from_json(br#"{"k":null}"#).unwrap_err().code(), "invalid_options");
//! # let _ = event;
//! # Ok(())
//! # }
//! ```

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::event::{Event, EventKind};
use crate::item::{Item, MAX_ID_BYTES, TEXT_FIELDS};
use crate::profile::ProfileConfig;
use crate::ranker::RankOptions;

/// Most candidates one call may rank or put in a catalog: a storefront ranks hundreds; a
/// hundred thousand is already a whole catalog, and more is a page's bug, refused before any
/// of it is copied.
pub const MAX_CANDIDATES: usize = 100_000;

/// Most bytes of text one call may hand over (candidates' JSON or packed text, an event's JSON),
/// checked before the text is copied into the module's memory, which never shrinks: a runaway
/// page must not grow it for good. 16 MiB is 160 bytes for each of [`MAX_CANDIDATES`]
/// candidates, and a thousand times what a thousand plain ones take.
pub const MAX_CALL_BYTES: usize = 16 << 20;

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

/// An optional number that, when present, is a number: `JSON.stringify` writes NaN and
/// Infinity as `null`.
fn not_null<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
    match Option::<f64>::deserialize(d)? {
        Some(x) => Ok(Some(x)),
        None => Err(serde::de::Error::custom(
            "numbers must be finite (NaN, Infinity and null are not)",
        )),
    }
}

/// Reads an event from its JSON; `now_ms` stands in for a missing `ts`.
pub fn event_from_json(json: &[u8], now_ms: f64) -> Result<Event> {
    within_call_bytes(json, "an event", Error::InvalidEvent)?;
    let input: EventInput = parse(json, "an event", Error::InvalidEvent)?;
    let kind = EventKind::parse(&input.kind)?;
    let ts = input.ts.unwrap_or(now_ms);
    if !(ts.is_finite() && ts.abs() <= MAX_DATE_MS) {
        return Err(Error::InvalidEvent(format!(
            "ts must be a time in epoch milliseconds, got {ts}"
        )));
    }
    let ts_ms = ts.round() as i64;
    if input.ms.is_some() && kind != EventKind::Dwell {
        return Err(Error::InvalidEvent("ms is only for dwell events".into()));
    }
    match (kind, input.item, input.query) {
        (EventKind::Search, None, Some(query)) => Ok(Event::search(query, ts_ms)),
        (EventKind::Search, _, _) => Err(Error::InvalidEvent(
            "a search event carries a query string and no item".into(),
        )),
        (kind, Some(item), None) => {
            let item: Item = serde_json::from_value(item)
                .map_err(|e| Error::InvalidItem(format!("expected an item: {e}")))?;
            let dwell_ms = match input.ms {
                None => 0,
                Some(ms) if ms.is_finite() && ms > 0.0 && ms <= f64::from(u32::MAX) => {
                    ms.round() as u32
                }
                Some(ms) => {
                    return Err(Error::InvalidEvent(format!(
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
        (kind, _, _) => Err(Error::InvalidEvent(format!(
            "a {} event carries an item ({{ id, title?, … }}) and no query",
            kind.name()
        ))),
    }
}

/// Reads candidates from a JSON array of items. Fields other than an item's own are ignored,
/// so a page can pass its product objects as they are.
pub fn items_from_json(json: &[u8]) -> Result<Vec<Item>> {
    within_call_bytes(json, "candidates", Error::InvalidItem)?;
    let items: Vec<Item> = serde_json::from_slice(json).map_err(|_| {
        // Only on error: find the culprit, to say which item and what is wrong with it.
        let values: Vec<serde_json::Value> = serde_json::from_slice(json).unwrap_or_default();
        let (at, e) = values
            .into_iter()
            .enumerate()
            .find_map(|(i, v)| serde_json::from_value::<Item>(v).err().map(|e| (i, e)))
            .map_or((0, String::from("not an array of items")), |(i, e)| {
                (i, e.to_string())
            });
        Error::InvalidItem(format!("candidate {at}: {e}"))
    })?;
    within_candidates(items.len())?;
    Ok(items)
}

/// Candidates of plain shape as the package's JavaScript packs them (`pack` in `extend.js`),
/// which spares both `JSON.stringify` and parsing JSON: `text` holds each item's text fields
/// ([`Item::texts`]) and then its tags, each followed by a NUL (an absent field is empty);
/// `prices` holds the prices (NaN when absent) and `tag_counts` how many tags each has. `None`
/// when `text` does not split into exactly those fields, as a NUL inside a field makes it, or
/// when there are more than [`MAX_CANDIDATES`]: the caller then reads the items through JSON,
/// which says what is wrong.
pub fn packed_items(text: &str, prices: &[f64], tag_counts: &[u32]) -> Option<Vec<Item>> {
    if prices.len() != tag_counts.len()
        || prices.len() > MAX_CANDIDATES
        || text.len() > MAX_CALL_BYTES
    {
        return None;
    }
    let mut fields = text.split('\0');
    let mut next = || fields.next();
    let present = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let mut items = Vec::with_capacity(prices.len());
    for (&price, &tags) in prices.iter().zip(tag_counts) {
        let mut texts: [Option<String>; TEXT_FIELDS] = Default::default();
        for text in &mut texts {
            *text = present(next()?);
        }
        // An empty id is read as absent, and refused when the item is checked.
        items.push(Item::from_fields(
            texts,
            // As in JSON, where a number is read as f64 and then narrowed.
            (!price.is_nan()).then_some(price as f32),
            (0..tags)
                .map(|_| next().map(str::to_owned))
                .collect::<Option<_>>()?,
        ));
    }
    // Every field ends with a NUL, so what follows the last one is empty, and nothing more.
    (next() == Some("") && next().is_none()).then_some(items)
}

/// Reads ranking options, an object. `k`, when present, must be a positive integer: `null` is
/// refused, as `JSON.stringify` writes `k: Infinity` or `NaN` so, and it would otherwise mean
/// "no limit".
pub fn rank_options_from_json(json: &[u8]) -> Result<RankOptions> {
    let value = object(json, "ranking options")?;
    if value
        .get("k")
        .is_some_and(|k| !k.is_u64() || k.as_u64() == Some(0))
    {
        return Err(Error::InvalidOptions(format!(
            "k must be a positive integer (NaN, Infinity and null are not), got {}",
            value["k"]
        )));
    }
    RankOptions::deserialize(value)
        .map_err(|e| Error::InvalidOptions(format!("expected ranking options: {e}")))
}

/// Reads a profile configuration, an object.
pub fn profile_config_from_json(json: &[u8]) -> Result<ProfileConfig> {
    ProfileConfig::deserialize(object(json, "a profile configuration")?)
        .map_err(|e| Error::InvalidOptions(format!("expected a profile configuration: {e}")))
}

/// Options as a JSON object: serde would also read a struct from an array (`[3]` as `k: 3`).
fn object(json: &[u8], what: &str) -> Result<serde_json::Value> {
    let value: serde_json::Value = parse(json, what, Error::InvalidOptions)?;
    if !value.is_object() {
        return Err(Error::InvalidOptions(format!("{what} must be an object")));
    }
    Ok(value)
}

/// Checks an item id as `explain` and `forget` take it.
pub fn item_id(id: &str) -> Result<&str> {
    if id.trim().is_empty() || id.len() > MAX_ID_BYTES {
        return Err(Error::InvalidItem(format!(
            "an item id must be a non-empty string of at most {MAX_ID_BYTES} bytes"
        )));
    }
    Ok(id)
}

/// Refuses more than [`MAX_CANDIDATES`] candidates.
fn within_candidates(count: usize) -> Result<()> {
    if count > MAX_CANDIDATES {
        return Err(Error::InvalidItem(format!(
            "{count} candidates in one call; the limit is {MAX_CANDIDATES}"
        )));
    }
    Ok(())
}

/// Refuses text over [`MAX_CALL_BYTES`] (a host checks before copying; this is for hosts that
/// already hold the bytes).
fn within_call_bytes(json: &[u8], what: &str, error: fn(String) -> Error) -> Result<()> {
    if json.len() > MAX_CALL_BYTES {
        return Err(error(format!(
            "{what} of {} bytes; the limit is {MAX_CALL_BYTES} per call",
            json.len()
        )));
    }
    Ok(())
}

fn parse<T: DeserializeOwned>(json: &[u8], what: &str, error: fn(String) -> Error) -> Result<T> {
    serde_json::from_slice(json).map_err(|e| error(format!("expected {what}: {e}")))
}
