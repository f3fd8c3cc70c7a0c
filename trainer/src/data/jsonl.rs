//! Loader for the generic JSON-lines schema, in which a shop exports its own logs.
//!
//! The data is either one events file (`*.jsonl`, or `*.jsonl.gz` compressed with gzip) or a
//! directory holding `events.jsonl[.gz]` and, optionally, `items.jsonl[.gz]`. Each line is one
//! JSON object; blank lines are ignored, and so are fields not listed here.
//!
//! **`events.jsonl`** — what shoppers did, one event per line, in any order:
//!
//! ```json
//! {"user": "u1", "type": "view", "item": "sku-1", "ts": 1700000000000}
//! {"user": "u1", "type": "dwell", "item": "sku-1", "ts": 1700000004000, "ms": 3500}
//! {"user": "u1", "type": "search", "query": "oak side table", "ts": 1700000009000}
//! {"user": "u1", "type": "add_to_cart", "item": "sku-7", "ts": 1700000020000}
//! ```
//!
//! - `user` (string or integer, required): a stable pseudonymous id of the shopper.
//! - `type` (required): `view`, `click`, `add_to_cart`, `purchase`, `dwell`, `impression` or
//!   `search`.
//! - `item` (string or integer, at most 128 bytes): the item's id; required except for `search`.
//! - `ts` (integer, required): when, in milliseconds since the Unix epoch (UTC).
//! - `query` (string): what was searched, for `search`; `ms` (integer): how long the page was
//!   open, for `dwell`.
//!
//! Each user's events are ordered by `ts` (ties keep the file order) and read as the page's
//! ranker reads a shopper's (`tastebud::sequence`): `search` and `impression` lines are
//! counted and skipped, a run of events on one item is one visit with its strongest kind (a
//! view, a dwell and a basket add in a row are one basket add), and users left with fewer
//! than 5 visits are dropped. Malformed lines are skipped and counted, and the first
//! of each kind is reported as `file:line`.
//!
//! **`items.jsonl`** — the catalog, one item per line (optional):
//!
//! ```json
//! {"id": "sku-1", "title": "Oak side table", "category": "home/furniture/tables", "brand": "Nordwood", "price": 129.0, "tags": ["oak", "scandinavian"]}
//! ```
//!
//! - `id` (string or integer, required): the id used in events.
//! - `title`, `category` (a path, most general first, separated by `/` or `>`), `brand`
//!   (strings), `price` (number ≥ 0), `tags` (list of strings): all optional; each one makes
//!   the vectors of items with few or no events better. Over-long text is cut (titles to 256
//!   bytes, labels to 64, at most 8 tags).
//!
//! Every catalog item gets a vector, even without events; items that appear only in events are
//! known by their id alone. History is not masked in evaluation (shoppers do come back to
//! items).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use tastebud::{EventKind, Item};

use super::{
    check_item_id, sha256_of, DataError, Dataset, Provenance, SequenceBuilder, SkipExamples, Skips,
    TextFile,
};

pub(super) fn load(path: &Path) -> Result<(Dataset, SkipExamples), DataError> {
    let (name, events_path, items_path) = find_files(path)?;
    let mut skips = Skips::default();
    let mut builder = SequenceBuilder::default();

    // Catalog first, so its items keep their file order and stay even without events.
    let mut meta: Vec<Item> = Vec::new();
    if let Some(items_path) = &items_path {
        TextFile::open(items_path, false)?.for_each_line(&mut skips, |skips, line, text| {
            if text.trim().is_empty() {
                return Ok(());
            }
            let item = match parse_item(text) {
                Ok(item) => item,
                Err(reason) => {
                    skips.row(reason, items_path, line);
                    return Ok(());
                }
            };
            if builder.has_item(&item.id) {
                skips.row("duplicate catalog item", items_path, line);
            } else {
                builder.item(&item.id);
                meta.push(item);
            }
            Ok(())
        })?;
    }
    let pinned = meta.len();

    TextFile::open(&events_path, false)?.for_each_line(&mut skips, |skips, line, text| {
        if text.trim().is_empty() {
            return Ok(());
        }
        match parse_event(text) {
            Ok(e) => {
                let item = builder.item(&e.item);
                builder.push(&e.user, item, e.kind, e.ts_ms, line);
            }
            Err(reason) => skips.row(reason, &events_path, line),
        }
        Ok(())
    })?;

    let seqs = builder.finish(pinned, &events_path, &mut skips);
    seqs.require_users(&events_path)?;
    let items = seqs
        .kept_items
        .iter()
        .map(|&old| {
            let old = old as usize;
            meta.get(old)
                .cloned()
                .unwrap_or_else(|| Item::new(seqs.item_ids[old].clone()))
        })
        .collect();

    let mut files = vec![events_path.as_path()];
    files.extend(items_path.as_deref());
    let provenance = Provenance {
        name: name.clone(),
        source: format!("{} (the data owner's logs)", path.display()),
        license: "the data owner's terms".into(),
        sha256: sha256_of(&files)?,
    };
    let dataset = Dataset {
        name,
        items,
        users: seqs.users,
        sequences: seqs.sequences,
        mask_history: false,
        provenance,
        skipped: skips.counts,
    };
    Ok((dataset, skips.first))
}

/// The data set's name, its events file and its catalog file if any.
fn find_files(path: &Path) -> Result<(String, PathBuf, Option<PathBuf>), DataError> {
    if !path.is_dir() {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let stem = file_name.trim_end_matches(".gz").trim_end_matches(".jsonl");
        return Ok((stem.to_owned(), path.to_owned(), None));
    }
    let pick = |stem: &str| -> Result<Option<PathBuf>, DataError> {
        let plain = path.join(format!("{stem}.jsonl"));
        let gz = path.join(format!("{stem}.jsonl.gz"));
        match (plain.is_file(), gz.is_file()) {
            (true, true) => Err(DataError::Unusable {
                path: path.to_owned(),
                what: format!("both {stem}.jsonl and {stem}.jsonl.gz are here; keep one"),
            }),
            (true, false) => Ok(Some(plain)),
            (false, true) => Ok(Some(gz)),
            (false, false) => Ok(None),
        }
    };
    let events = pick("events")?.ok_or_else(|| DataError::Unusable {
        path: path.to_owned(),
        what: "no events.jsonl or events.jsonl.gz in this directory".into(),
    })?;
    let name = path
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "jsonl".into());
    Ok((name, events, pick("items")?))
}

/// An event that becomes an interaction.
struct Event {
    user: String,
    item: String,
    kind: EventKind,
    ts_ms: i64,
}

#[derive(Deserialize)]
struct EventLine {
    user: Option<Id>,
    #[serde(rename = "type")]
    kind: Option<String>,
    item: Option<Id>,
    ts: Option<serde_json::Value>,
}

/// The interaction a line records, or why it is skipped.
fn parse_event(text: &str) -> Result<Event, &'static str> {
    let line: EventLine = serde_json::from_str(text).map_err(|_| "malformed JSON")?;
    let kind = line.kind.ok_or("missing type")?;
    let kind = EventKind::parse(&kind).map_err(|_| "unknown event type")?;
    match kind {
        EventKind::Search => return Err("search (not an item event)"),
        EventKind::Impression => return Err("impression (not a positive interaction)"),
        _ => {}
    }
    let user = line
        .user
        .map(|u| u.0)
        .filter(|u| !u.trim().is_empty())
        .ok_or("missing user")?;
    let item = line.item.ok_or("missing item id")?.0;
    check_item_id(&item)?;
    let ts_ms = match line.ts {
        None | Some(serde_json::Value::Null) => return Err("missing ts"),
        Some(serde_json::Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.abs() < 9e15)
                    .map(|f| f.round() as i64)
            })
            .ok_or("malformed ts")?,
        Some(_) => return Err("malformed ts"),
    };
    Ok(Event {
        user,
        item,
        kind,
        ts_ms,
    })
}

#[derive(Deserialize)]
struct ItemLine {
    id: Option<Id>,
    title: Option<String>,
    category: Option<String>,
    brand: Option<String>,
    price: Option<f32>,
    #[serde(default)]
    tags: Vec<String>,
}

/// The catalog item a line describes, or why it is skipped.
fn parse_item(text: &str) -> Result<Item, &'static str> {
    let line: ItemLine = serde_json::from_str(text).map_err(|_| "malformed item line")?;
    let id = line.id.ok_or("catalog item without id")?.0;
    check_item_id(&id)?;
    let item = Item {
        id,
        title: line.title,
        category: line.category,
        brand: line.brand,
        price: line.price,
        tags: line.tags,
    };
    item.validated().map_err(|_| "invalid catalog item")
}

/// A user or item id, written as a string or an integer.
struct Id(String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("tastebud-jsonl-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_directory_with_events_and_items_loads_in_time_order() {
        let dir = temp_dir("dir");
        std::fs::write(
            dir.join("items.jsonl"),
            concat!(
                r#"{"id": "sku-1", "title": "Oak table", "category": "home/furniture", "price": 129.0, "tags": ["oak"]}"#, "\n",
                r#"{"id": "sku-9", "title": "Never seen"}"#, "\n",
                r#"{"id": "sku-bad", "price": -1}"#, "\n",
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("events.jsonl"),
            concat!(
                r#"{"user": "u1", "type": "view", "item": "sku-1", "ts": 5000}"#,
                "\n",
                r#"{"user": "u1", "type": "search", "query": "lamp", "ts": 5500}"#,
                "\n",
                r#"{"user": 7, "type": "purchase", "item": 42, "ts": 1000}"#,
                "\n",
                "\n",
                r#"{"user": "u1", "type": "click", "item": "sku-2", "ts": 1000}"#,
                "\n",
                r#"{"user": "u1", "type": "dwell", "item": "sku-2", "ts": 2000, "ms": 3000}"#,
                "\n",
                r#"{"user": "u1", "type": "add_to_cart", "item": "sku-1", "ts": 7000}"#,
                "\n",
                r#"{"user": "u1", "type": "wishlist", "item": "sku-1", "ts": 7000}"#,
                "\n",
                r#"{"user": "u1", "type": "purchase", "item": "sku-1", "ts": 7000"#,
                "\n",
                r#"{"user": "u1", "type": "purchase", "item": "sku-1", "ts": 9000}"#,
                "\n",
                r#"{"user": "u1", "type": "view", "item": "sku-2", "ts": 6000}"#,
                "\n",
                r#"{"user": "u1", "type": "click", "item": "sku-2", "ts": 8500}"#,
                "\n",
            ),
        )
        .unwrap();
        let (ds, first) = load(&dir).unwrap();
        let events = dir.join("events.jsonl").display().to_string();
        assert_eq!(ds.users, ["u1"]);
        let seq: Vec<(&str, EventKind, i64)> = ds.sequences[0]
            .iter()
            .map(|e| (ds.items[e.item as usize].id.as_str(), e.kind, e.ts_ms))
            .collect();
        use EventKind::*;
        assert_eq!(
            seq,
            [
                ("sku-2", Click, 1000),
                ("sku-1", View, 5000),
                ("sku-2", View, 6000),
                ("sku-1", AddToCart, 7000),
                ("sku-2", Click, 8500),
                ("sku-1", Purchase, 9000),
            ]
        );
        // The dwell right after the click on sku-2 is the same visit.
        assert_eq!(ds.skipped["consecutive repeat"], 1);
        assert_eq!(first["consecutive repeat"], format!("{events}:6"));
        // Catalog items come first and stay without events; item 42 (user 7's only) goes.
        let ids: Vec<&str> = ds.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["sku-1", "sku-9", "sku-2"]);
        assert_eq!(ds.items[0].category.as_deref(), Some("home/furniture"));
        assert_eq!(ds.skipped["search (not an item event)"], 1);
        assert_eq!(first["search (not an item event)"], format!("{events}:2"));
        assert_eq!(first["unknown event type"], format!("{events}:8"));
        assert_eq!(first["malformed JSON"], format!("{events}:9"));
        assert_eq!(ds.skipped["invalid catalog item"], 1);
        assert_eq!(ds.skipped["user with < 5 events"], 1);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_page_and_the_trainer_read_one_shoppers_events_as_the_same_steps() {
        use tastebud::{sequence, Event, Profile};
        use EventKind::*;
        let t = 1_700_000_000_000;
        // Runs on one item (with an impression and a search inside), returns, gaps from under
        // a second to days.
        let events = [
            (View, "sku-1", t),
            (Dwell, "sku-1", t + 4_500),
            (Impression, "sku-2", t + 5_000),
            (Search, "", t + 6_000),
            (AddToCart, "sku-1", t + 9_999),
            (Click, "sku-2", t + 70_000),
            (View, "sku-3", t + 4_000_000),
            (Purchase, "sku-1", t + 90_000_000),
            (View, "sku-3", t + 90_000_400),
            (Click, "sku-3", t + 90_000_900),
            (View, "sku-2", t + 400_000_000),
        ];
        let dir = temp_dir("same-steps");
        let lines: String = events
            .iter()
            .map(|&(kind, item, ts)| match kind {
                Search => {
                    format!(r#"{{"user": "u", "type": "search", "query": "lamp", "ts": {ts}}}"#)
                }
                _ => format!(
                    r#"{{"user": "u", "type": "{}", "item": "{item}", "ts": {ts}, "ms": 4000}}"#,
                    kind.name()
                ),
            })
            .map(|line| line + "\n")
            .collect();
        std::fs::write(dir.join("events.jsonl"), lines).unwrap();
        let (ds, _) = load(&dir).unwrap();
        std::fs::remove_dir_all(dir).unwrap();

        let mut profile = Profile::default();
        for &(kind, item, ts_ms) in &events {
            let event = match kind {
                Search => Event::search("lamp", ts_ms),
                _ => Event::Item {
                    kind,
                    item: Item::new(item),
                    ts_ms,
                    dwell_ms: 4_000,
                },
            };
            profile.record(event).unwrap();
        }

        let page = profile.visits();
        let trainer = &ds.sequences[0];
        let page_visits: Vec<(&str, EventKind, i64)> = page
            .iter()
            .map(|v| (v.item.id.as_str(), v.kind, v.ts_ms))
            .collect();
        let trainer_visits: Vec<(&str, EventKind, i64)> = trainer
            .iter()
            .map(|v| (ds.items[v.item as usize].id.as_str(), v.kind, v.ts_ms))
            .collect();
        assert_eq!(page_visits, trainer_visits);
        assert_eq!(sequence::steps(&page), sequence::steps(trainer));
        assert_eq!(page.len(), 6, "runs fold into visits: {page:?}");
    }

    #[test]
    fn a_truncated_gzip_events_file_names_the_file() {
        use std::io::Write;
        let dir = temp_dir("truncated");
        let path = dir.join("events.jsonl.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for i in 0..2000 {
            writeln!(
                gz,
                r#"{{"user": "u{}", "type": "view", "item": "i{i}", "ts": {i}}}"#,
                i % 7
            )
            .unwrap();
        }
        let bytes = gz.finish().unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let err = load(&path).unwrap_err();
        assert!(matches!(err, DataError::Read { .. }), "{err}");
        assert!(
            err.to_string().starts_with(&format!("{}:", path.display())),
            "{err}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
