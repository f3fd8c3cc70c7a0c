//! The profile's storage formats: checksummed bytes for the page to persist
//! ([`Profile::to_bytes`]) and readable JSON to show the shopper ([`Profile::to_json`]).
//!
//! Bytes: the magic `TBPF`, the format version as a little-endian u16, a postcard payload, and
//! a little-endian CRC-32 of everything before it. Changing any type written into the payload
//! (including [`ProfileConfig`] and [`KindCounts`]) changes the format and needs a new version.
//! Version 2 added the forgotten items; version 1 profiles (stored by earlier releases) are
//! still read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Entry, KindCounts, Profile, ProfileConfig, Recent};
use crate::error::{Error, Result};
use crate::event::{is_stored_query, EventKind, MAX_QUERY_BYTES};
use crate::item::{Item, MAX_ID_BYTES, MAX_LABEL_BYTES, MAX_TAGS, MAX_TITLE_BYTES};

const MAGIC: [u8; 4] = *b"TBPF";
/// Version of the binary format this build writes, and the newest it reads.
pub const FORMAT_VERSION: u16 = 2;
/// The oldest version this build reads.
const OLDEST_VERSION: u16 = 1;
const HEADER_BYTES: usize = MAGIC.len() + 2;
const CRC_BYTES: usize = 4;

/// The payload. Items are written field by field because `Item`'s serde attributes skip
/// absent fields, which a non-self-describing format cannot read back.
#[derive(Serialize, Deserialize)]
struct Wire {
    config: ProfileConfig,
    recent: Vec<WireEvent>,
    items: Vec<WireEntry>,
    queries: Vec<String>,
    forgotten: Vec<u64>,
}

/// The payload of format version 1: no forgotten items.
#[derive(Deserialize)]
struct WireV1 {
    config: ProfileConfig,
    recent: Vec<WireEvent>,
    items: Vec<WireEntry>,
    queries: Vec<String>,
}

impl From<WireV1> for Wire {
    fn from(w: WireV1) -> Self {
        Wire {
            config: w.config,
            recent: w.recent,
            items: w.items,
            queries: w.queries,
            forgotten: Vec::new(),
        }
    }
}

#[derive(Serialize, Deserialize)]
enum WireEvent {
    /// `kind` is the stable [`EventKind`] discriminant.
    Item {
        kind: u8,
        id: String,
        ts_ms: i64,
        dwell_ms: u32,
    },
    Search {
        query: String,
        ts_ms: i64,
    },
}

#[derive(Serialize, Deserialize)]
struct WireEntry {
    id: String,
    title: Option<String>,
    category: Option<String>,
    brand: Option<String>,
    price: Option<f32>,
    tags: Vec<String>,
    score: f32,
    first_seen_ms: i64,
    last_seen_ms: i64,
    counts: KindCounts,
}

/// Bytes of the longest postcard varint encoding an integer of this many bits.
const fn varint_max(bits: usize) -> usize {
    bits.div_ceil(7)
}

/// Bytes of the postcard varint encoding `n`.
const fn varint_len(n: usize) -> usize {
    let mut len = 1;
    let mut n = n >> 7;
    while n > 0 {
        len += 1;
        n >>= 7;
    }
    len
}

/// Bytes of a postcard string of at most `max` bytes.
const fn str_max(max: usize) -> usize {
    varint_len(max) + max
}

impl ProfileConfig {
    /// The most bytes [`Profile::to_bytes`] can produce under this configuration, whatever was
    /// recorded: every capacity full, every text at its bound, every number at its longest.
    pub fn max_bytes(&self) -> usize {
        let (u32_max, i64_max) = (varint_max(32), varint_max(64));
        let config = 4 * u32_max + 4 + 7 * 4;
        // Variant tag, kind byte, id, time, dwell.
        let item_event = 1 + 1 + str_max(MAX_ID_BYTES) + i64_max + u32_max;
        let search_event = 1 + str_max(MAX_QUERY_BYTES) + i64_max;
        let item = str_max(MAX_ID_BYTES)
            + 1
            + str_max(MAX_TITLE_BYTES)
            + 2 * (1 + str_max(MAX_LABEL_BYTES))
            + 1
            + 4
            + varint_len(MAX_TAGS)
            + MAX_TAGS * str_max(MAX_LABEL_BYTES);
        let entry = item + 4 + 2 * i64_max + EventKind::COUNT * u32_max;
        let (events, items, queries) = (
            self.recent_events as usize,
            self.max_items as usize,
            self.recent_queries as usize,
        );
        HEADER_BYTES
            + config
            + varint_len(events)
            + events * item_event.max(search_event)
            + varint_len(items)
            + items * entry
            + varint_len(queries)
            + queries * str_max(MAX_QUERY_BYTES)
            + varint_len(items)
            + items * varint_max(64)
            + CRC_BYTES
    }
}

impl Profile {
    /// The profile as compact, checksummed bytes, at most [`ProfileConfig::max_bytes`] long;
    /// [`Profile::from_bytes`] reads them back exactly.
    pub fn to_bytes(&self) -> Vec<u8> {
        let wire = Wire {
            config: self.config.clone(),
            recent: self.recent.iter().map(wire_event).collect(),
            items: self.items.values().map(wire_entry).collect(),
            queries: self.queries.iter().cloned().collect(),
            forgotten: self.forgotten.iter().copied().collect(),
        };
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        // Postcard fails only on sequences of unknown length or custom errors; `Wire` has neither.
        let mut out = postcard::to_extend(&wire, out).expect("a profile always encodes");
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Reads bytes written by [`Profile::to_bytes`]. Anything else (truncated, damaged, not a
    /// profile, a newer format) is an [`Error::CorruptProfile`] saying which.
    pub fn from_bytes(bytes: &[u8]) -> Result<Profile> {
        let corrupt = |msg: String| Error::CorruptProfile(msg);
        let truncated = || {
            corrupt(format!(
                "truncated: {} bytes, a profile has at least {}",
                bytes.len(),
                HEADER_BYTES + CRC_BYTES
            ))
        };
        let magic_len = bytes.len().min(MAGIC.len());
        if bytes[..magic_len] != MAGIC[..magic_len] {
            return Err(corrupt(
                "not a tastebud profile (it does not start with TBPF)".into(),
            ));
        }
        let Some((header, rest)) = bytes.split_first_chunk::<HEADER_BYTES>() else {
            return Err(truncated());
        };
        let version = u16::from_le_bytes([header[4], header[5]]);
        if version > FORMAT_VERSION {
            return Err(corrupt(format!(
                "format version {version} is newer than this build reads ({FORMAT_VERSION}); \
                 update tastebud"
            )));
        }
        if version < OLDEST_VERSION {
            return Err(corrupt(format!("unknown format version {version}")));
        }
        let Some((payload, crc)) = rest.split_last_chunk::<CRC_BYTES>() else {
            return Err(truncated());
        };
        if crc32fast::hash(&bytes[..bytes.len() - CRC_BYTES]) != u32::from_le_bytes(*crc) {
            return Err(corrupt(
                "checksum mismatch: the bytes are truncated or damaged".into(),
            ));
        }
        // Postcard checks every length against the bytes left before allocating for it.
        let decoded = if version == 1 {
            postcard::take_from_bytes::<WireV1>(payload).map(|(w, rest)| (w.into(), rest))
        } else {
            postcard::take_from_bytes::<Wire>(payload)
        };
        let (wire, trailing) =
            decoded.map_err(|e| corrupt(format!("payload does not decode: {e}")))?;
        if !trailing.is_empty() {
            return Err(corrupt(format!(
                "{} unexpected bytes after the payload",
                trailing.len()
            )));
        }
        from_wire(wire).map_err(|msg| corrupt(format!("inconsistent contents: {msg}")))
    }

    /// What the profile stores, as indented JSON with readable names, for showing the shopper.
    /// Affinities are as stored: as of each item's `last_seen_ms`.
    pub fn to_json(&self) -> String {
        let json = JsonProfile {
            format_version: FORMAT_VERSION,
            config: &self.config,
            recent_events: self.recent.iter().map(json_event).collect(),
            items: self.items.values().map(json_item).collect(),
            recent_queries: self.queries.iter().map(String::as_str).collect(),
            forgotten_items: self.forgotten.len(),
        };
        // Only string-keyed structs, strings and numbers: serde_json cannot fail on them.
        serde_json::to_string_pretty(&json).expect("a profile always converts to JSON")
    }
}

fn wire_event(event: &Recent) -> WireEvent {
    match event {
        Recent::Item {
            kind,
            id,
            ts_ms,
            dwell_ms,
        } => WireEvent::Item {
            kind: *kind as u8,
            id: id.clone(),
            ts_ms: *ts_ms,
            dwell_ms: *dwell_ms,
        },
        Recent::Search { query, ts_ms } => WireEvent::Search {
            query: query.clone(),
            ts_ms: *ts_ms,
        },
    }
}

fn wire_entry(entry: &Entry) -> WireEntry {
    let item = entry.item.clone();
    WireEntry {
        id: item.id,
        title: item.title,
        category: item.category,
        brand: item.brand,
        price: item.price,
        tags: item.tags,
        score: entry.score,
        first_seen_ms: entry.first_seen_ms,
        last_seen_ms: entry.last_seen_ms,
        counts: entry.counts,
    }
}

/// Rebuilds a profile, checking every invariant `record` keeps, so that whatever bytes carry a
/// valid checksum, the profile stays within its bounds and its accessors stay exact.
fn from_wire(wire: Wire) -> std::result::Result<Profile, String> {
    let config = wire
        .config
        .validated()
        .map_err(|e| format!("stored configuration: {e}"))?;
    for (what, len, cap) in [
        ("recent events", wire.recent.len(), config.recent_events),
        ("items", wire.items.len(), config.max_items),
        ("queries", wire.queries.len(), config.recent_queries),
        ("forgotten items", wire.forgotten.len(), config.max_items),
    ] {
        if len > cap as usize {
            return Err(format!("{len} {what}, more than the capacity {cap}"));
        }
    }

    let mut items = BTreeMap::new();
    for w in wire.items {
        let item = Item {
            id: w.id,
            title: w.title,
            category: w.category,
            brand: w.brand,
            price: w.price,
            tags: w.tags,
        };
        if !matches!(item.clone().validated(), Ok(ref checked) if *checked == item) {
            return Err(format!("item {:?} is not a valid item", item.id));
        }
        if !w.score.is_finite() || w.first_seen_ms > w.last_seen_ms {
            return Err(format!(
                "item {:?} has an invalid affinity or times",
                item.id
            ));
        }
        if items
            .last_key_value()
            .is_some_and(|(last, _): (&String, _)| *last >= item.id)
        {
            return Err(format!("item {:?} is out of order or repeated", item.id));
        }
        let entry = Entry {
            score: w.score,
            first_seen_ms: w.first_seen_ms,
            last_seen_ms: w.last_seen_ms,
            counts: w.counts,
            item,
        };
        items.insert(entry.item.id.clone(), entry);
    }

    let mut recent = std::collections::VecDeque::with_capacity(wire.recent.len());
    for w in wire.recent {
        let event = match w {
            WireEvent::Item {
                kind,
                id,
                ts_ms,
                dwell_ms,
            } => {
                let kind = EventKind::from_code(kind)
                    .filter(|k| *k != EventKind::Search)
                    .ok_or_else(|| format!("unknown item event kind {kind}"))?;
                if kind == EventKind::Dwell && dwell_ms == 0 {
                    return Err("a dwell event without duration".into());
                }
                if !items.contains_key(&id) {
                    return Err(format!("an event on {id:?}, which is not remembered"));
                }
                Recent::Item {
                    kind,
                    id,
                    ts_ms,
                    dwell_ms,
                }
            }
            WireEvent::Search { query, ts_ms } => {
                check_query(&query)?;
                Recent::Search { query, ts_ms }
            }
        };
        if recent
            .back()
            .is_some_and(|last: &Recent| last.ts_ms() > event.ts_ms())
        {
            return Err("recent events out of time order".into());
        }
        recent.push_back(event);
    }

    for query in &wire.queries {
        check_query(query)?;
    }
    let mut distinct = std::collections::HashSet::new();
    if !wire.forgotten.iter().all(|k| distinct.insert(k)) {
        return Err("a forgotten item is listed twice".into());
    }
    Ok(Profile {
        config,
        recent,
        items,
        queries: wire.queries.into(),
        forgotten: wire.forgotten.into(),
    })
}

fn check_query(query: &str) -> std::result::Result<(), String> {
    if !is_stored_query(query) {
        return Err(format!("invalid query {query:?}"));
    }
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonProfile<'a> {
    format_version: u16,
    config: &'a ProfileConfig,
    recent_events: Vec<JsonEvent<'a>>,
    items: Vec<JsonItem<'a>>,
    recent_queries: Vec<&'a str>,
    /// How many forgotten items are kept out (only their ids' hashes are stored).
    forgotten_items: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonEvent<'a> {
    kind: EventKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query: Option<&'a str>,
    ts_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    dwell_ms: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonItem<'a> {
    item: &'a Item,
    affinity: f32,
    first_seen_ms: i64,
    last_seen_ms: i64,
    counts: KindCounts,
}

fn json_event(event: &Recent) -> JsonEvent<'_> {
    match event {
        Recent::Item {
            kind,
            id,
            ts_ms,
            dwell_ms,
        } => JsonEvent {
            kind: *kind,
            item_id: Some(id),
            query: None,
            ts_ms: *ts_ms,
            dwell_ms: (*dwell_ms > 0).then_some(*dwell_ms),
        },
        Recent::Search { query, ts_ms } => JsonEvent {
            kind: EventKind::Search,
            item_id: None,
            query: Some(query),
            ts_ms: *ts_ms,
            dwell_ms: None,
        },
    }
}

fn json_item(entry: &Entry) -> JsonItem<'_> {
    JsonItem {
        item: &entry.item,
        affinity: entry.score,
        first_seen_ms: entry.first_seen_ms,
        last_seen_ms: entry.last_seen_ms,
        counts: entry.counts,
    }
}
