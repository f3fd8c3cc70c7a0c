//! Interaction logs in, one time-ordered sequence per user out.

mod jsonl;
mod online_retail;
mod recbole;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use tastebud::item::MAX_ID_BYTES;
use tastebud::sequence::{Engagement, Entered, Visits};
use tastebud::{EventKind, Item};

/// One visit of a user to an item of the catalog (an index into [`Dataset::items`]), by the
/// sequence rules the page's ranker follows ([`tastebud::sequence`]).
pub type Interaction = Engagement<u32>;

/// Where a data set came from, written into the model's manifest.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    /// Human name of the data set.
    pub name: String,
    /// Citation / source URL.
    pub source: String,
    /// Licence of the data.
    pub license: String,
    /// sha256 of the input file(s), hex.
    pub sha256: String,
}

/// A loaded data set: a catalog and one time-ordered sequence per user.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Short name (`online-retail`, `ml-100k`, or the file stem).
    pub name: String,
    /// The catalog; an [`Interaction::item`] indexes it.
    pub items: Vec<Item>,
    /// The users' external ids, parallel to `sequences`.
    pub users: Vec<String>,
    /// Per user, interactions in time order (ties keep file order); every sequence has at
    /// least [`MIN_EVENTS`] interactions.
    pub sequences: Vec<Vec<Interaction>>,
    /// Whether evaluation masks items already in the user's history (format default).
    pub mask_history: bool,
    /// Source and licence.
    pub provenance: Provenance,
    /// Rows or users left out, by reason, with counts.
    pub skipped: BTreeMap<String, usize>,
}

impl Dataset {
    /// A data set built in code (tests, examples): users named `u0`, `u1`, …, no provenance,
    /// nothing skipped, history not masked.
    pub fn in_memory(name: &str, items: Vec<Item>, sequences: Vec<Vec<Interaction>>) -> Self {
        Dataset {
            name: name.to_string(),
            items,
            users: (0..sequences.len()).map(|u| format!("u{u}")).collect(),
            sequences,
            mask_history: false,
            provenance: Provenance {
                name: String::new(),
                source: String::new(),
                license: String::new(),
                sha256: String::new(),
            },
            skipped: BTreeMap::new(),
        }
    }
}

/// Users with fewer interactions are dropped (leave-one-out needs a train, a validation and a
/// test item, and short users add noise).
pub const MIN_EVENTS: usize = 5;

/// The layouts [`load`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The UCI Online Retail CSV (gzip): purchases of a UK gift wholesaler, 2010–2011.
    OnlineRetail,
    /// A directory of RecBole atomic files (`<name>.inter`, optionally `<name>.item`), e.g.
    /// MovieLens 100K as fetched by `scripts/fetch-ml100k.sh`.
    Recbole,
    /// The generic JSON-lines schema for a shop's own logs (see the `jsonl` module's docs):
    /// an events file, or a directory with `events.jsonl[.gz]` and optionally
    /// `items.jsonl[.gz]`.
    Jsonl,
}

/// Why a data set could not be loaded. Rows that are merely malformed are not errors: they are
/// skipped and counted in [`Dataset::skipped`].
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file or directory could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// Reading failed part-way, e.g. a truncated or corrupt gzip stream.
    #[error("{}:{line}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The line being read.
        line: u64,
        /// What went wrong.
        source: io::Error,
    },
    /// A `.gz` file that is not gzip-compressed, or a format that requires gzip.
    #[error("{}: not a gzip file (it does not start with the gzip magic bytes 1f 8b)", path.display())]
    NotGzip {
        /// The file.
        path: PathBuf,
    },
    /// The file has no content at all.
    #[error("{}: the file is empty", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file's structure is wrong at a line: a missing column, a bad header.
    #[error("{}:{line}: {what}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        what: String,
    },
    /// The input as a whole is unusable: a directory without the expected files, or no user
    /// left after filtering.
    #[error("{}: {what}", path.display())]
    Unusable {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
}

/// For each skip reason, where the first such row was (`file:line`, or `user <id>`), so that a
/// report can point at an example.
pub type SkipExamples = BTreeMap<String, String>;

/// Loads a data set: per-user sequences in time order (stable, so ties keep file order), users
/// with fewer than [`MIN_EVENTS`] interactions dropped, skipped rows counted by reason.
pub fn load(format: Format, path: &Path) -> Result<Dataset, DataError> {
    load_with_examples(format, path).map(|(dataset, _)| dataset)
}

/// [`load`], also returning where the first row skipped for each reason is.
pub fn load_with_examples(
    format: Format,
    path: &Path,
) -> Result<(Dataset, SkipExamples), DataError> {
    match format {
        Format::OnlineRetail => online_retail::load(path),
        Format::Recbole => recbole::load(path),
        Format::Jsonl => jsonl::load(path),
    }
}

/// Skipped rows by reason, and where the first of each was.
#[derive(Debug, Default)]
struct Skips {
    counts: BTreeMap<String, usize>,
    first: SkipExamples,
}

impl Skips {
    /// Counts one skip; `at` (called only for a reason's first skip) says where it was.
    fn add(&mut self, reason: &str, at: impl FnOnce() -> String) {
        if let Some(n) = self.counts.get_mut(reason) {
            *n += 1;
        } else {
            self.counts.insert(reason.to_owned(), 1);
            self.first.insert(reason.to_owned(), at());
        }
    }

    /// Counts a skipped row at `path:line`.
    fn row(&mut self, reason: &str, path: &Path, line: u64) {
        self.add(reason, || format!("{}:{line}", path.display()));
    }
}

/// Why an item id cannot be used, if it cannot.
fn check_item_id(id: &str) -> Result<(), &'static str> {
    if id.trim().is_empty() {
        Err("missing item id")
    } else if id.len() > MAX_ID_BYTES {
        Err("item id too long")
    } else {
        Ok(())
    }
}

/// Collects interactions in file order and turns them into the sequences of a [`Dataset`].
#[derive(Debug, Default)]
struct SequenceBuilder {
    user_index: HashMap<String, u32>,
    user_ids: Vec<String>,
    item_index: HashMap<String, u32>,
    item_ids: Vec<String>,
    /// Per user, the events in file order.
    events: Vec<Vec<Pending>>,
}

/// An event and the line it came from.
#[derive(Debug)]
struct Pending {
    line: u64,
    event: Interaction,
}

/// Sequences with a compact catalog: only items that occur (or were pinned) keep an index.
#[derive(Debug)]
struct Sequences {
    users: Vec<String>,
    sequences: Vec<Vec<Interaction>>,
    /// For each kept item, in its new index order, its builder index (for metadata lookups).
    kept_items: Vec<u32>,
    /// Every interned item id, by builder index.
    item_ids: Vec<String>,
}

impl SequenceBuilder {
    /// The index of item `id`, interning it on first sight (so indices follow first
    /// appearance, which makes tie-breaking in evaluation reproducible).
    fn item(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.item_index.get(id) {
            return i;
        }
        let i = self.item_ids.len() as u32;
        self.item_index.insert(id.to_owned(), i);
        self.item_ids.push(id.to_owned());
        i
    }

    /// Whether item `id` has been interned.
    fn has_item(&self, id: &str) -> bool {
        self.item_index.contains_key(id)
    }

    /// Records that `user` did `kind` to the interned item `item` at `ts_ms` (epoch ms), as
    /// read from line `line`.
    fn push(&mut self, user: &str, item: u32, kind: EventKind, ts_ms: i64, line: u64) {
        let u = match self.user_index.get(user) {
            Some(&u) => u,
            None => {
                let u = self.user_ids.len() as u32;
                self.user_index.insert(user.to_owned(), u);
                self.user_ids.push(user.to_owned());
                self.events.push(Vec::new());
                u
            }
        };
        let event = Interaction { item, kind, ts_ms };
        self.events[u as usize].push(Pending { line, event });
    }

    /// Sorts each user's events by time (stably) and folds them into visits (impressions
    /// left out, a run of events on one item one visit), drops users with fewer than
    /// [`MIN_EVENTS`] visits and renumbers the items that remain, keeping their relative
    /// order. The first `pinned` items (a catalog file's) stay even without events. `source`
    /// is the file the events came from (for skip examples).
    fn finish(self, pinned: usize, source: &Path, skips: &mut Skips) -> Sequences {
        let mut users = Vec::new();
        let mut sequences = Vec::new();
        let mut used = vec![false; self.item_ids.len()];
        used.iter_mut().take(pinned).for_each(|u| *u = true);
        for (user, mut events) in self.user_ids.into_iter().zip(self.events) {
            events.sort_by_key(|p| p.event.ts_ms);
            let mut visits = Visits::default();
            for p in events {
                match visits.push(p.event) {
                    Entered::Visit => {}
                    Entered::SameVisit => skips.row("consecutive repeat", source, p.line),
                    Entered::Left => skips.row("impression", source, p.line),
                }
            }
            let seq = visits.into_vec();
            if seq.len() < MIN_EVENTS {
                skips.add(&format!("user with < {MIN_EVENTS} events"), || {
                    format!("user {user}")
                });
                continue;
            }
            for e in &seq {
                used[e.item as usize] = true;
            }
            users.push(user);
            sequences.push(seq);
        }
        let mut new_index = vec![u32::MAX; used.len()];
        let mut kept_items = Vec::new();
        for (old, _) in used.iter().enumerate().filter(|(_, &u)| u) {
            new_index[old] = kept_items.len() as u32;
            kept_items.push(old as u32);
        }
        for e in sequences.iter_mut().flatten() {
            e.item = new_index[e.item as usize];
        }
        Sequences {
            users,
            sequences,
            kept_items,
            item_ids: self.item_ids,
        }
    }
}

impl Sequences {
    /// Fails if no user is left, since nothing could be trained or evaluated.
    fn require_users(&self, path: &Path) -> Result<(), DataError> {
        if self.users.is_empty() {
            return Err(DataError::Unusable {
                path: path.to_owned(),
                what: format!("no user has at least {MIN_EVENTS} usable interactions"),
            });
        }
        Ok(())
    }
}

/// A text file being read, gzip-compressed or not.
struct TextFile {
    path: PathBuf,
    reader: Box<dyn BufRead>,
}

impl TextFile {
    /// Opens `path`, decompressing it when it starts with the gzip magic bytes. A name ending
    /// in `.gz` (or `require_gzip`) that is not gzip, and an empty file, are errors.
    fn open(path: &Path, require_gzip: bool) -> Result<Self, DataError> {
        let io_err = |source| DataError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = BufReader::new(File::open(path).map_err(io_err)?);
        let head = file.fill_buf().map_err(io_err)?;
        if head.is_empty() {
            return Err(DataError::Empty {
                path: path.to_owned(),
            });
        }
        let is_gzip = head.starts_with(&[0x1f, 0x8b]);
        let named_gz = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
        let reader: Box<dyn BufRead> = if is_gzip {
            Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(file)))
        } else if named_gz || require_gzip {
            return Err(DataError::NotGzip {
                path: path.to_owned(),
            });
        } else {
            Box::new(file)
        };
        let mut text = TextFile {
            path: path.to_owned(),
            reader,
        };
        let decoded = text.reader.fill_buf().map_err(|source| DataError::Read {
            path: path.to_owned(),
            line: 1,
            source,
        })?;
        if decoded.is_empty() {
            return Err(DataError::Empty {
                path: path.to_owned(),
            });
        }
        Ok(text)
    }

    /// Calls `f(skips, line_number, line)` for every line (1-based, without the line end).
    /// Lines that are not UTF-8 are skipped and counted.
    fn for_each_line(
        mut self,
        skips: &mut Skips,
        mut f: impl FnMut(&mut Skips, u64, &str) -> Result<(), DataError>,
    ) -> Result<(), DataError> {
        let mut buf = Vec::new();
        let mut line = 0u64;
        loop {
            buf.clear();
            line += 1;
            let n = self
                .reader
                .read_until(b'\n', &mut buf)
                .map_err(|source| DataError::Read {
                    path: self.path.clone(),
                    line,
                    source,
                })?;
            if n == 0 {
                return Ok(());
            }
            while buf.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
                buf.pop();
            }
            match std::str::from_utf8(&buf) {
                Ok(text) => f(skips, line, text)?,
                Err(_) => skips.row("invalid UTF-8", &self.path, line),
            }
        }
    }
}

/// The sha256 of one file as hex; of several, the sha256 of their `sha256sum` listing (`<hex>
/// <name>` lines, names without directory), so `sha256sum a b | sha256sum` reproduces it.
fn sha256_of(paths: &[&Path]) -> Result<String, DataError> {
    let mut listing = String::new();
    let mut single = String::new();
    for path in paths {
        let io_err = |source| DataError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path).map_err(io_err)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf).map_err(io_err)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        single = hex(&hasher.finalize());
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        listing.push_str(&format!("{single}  {name}\n"));
    }
    if paths.len() == 1 {
        Ok(single)
    } else {
        Ok(hex(&Sha256::digest(listing.as_bytes())))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_match_known_epoch_seconds() {
        // `date -u -d '2010-12-01 08:26:00' +%s` = 1291191960
        assert_eq!(
            days_from_civil(2010, 12, 1) * 86_400 + 8 * 3600 + 26 * 60,
            1_291_191_960
        );
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn builder_sorts_stably_collapses_repeats_and_drops_short_users() {
        let mut b = SequenceBuilder::default();
        let ids: Vec<u32> = ["a", "b", "c", "d", "e", "f"]
            .iter()
            .map(|id| b.item(id))
            .collect();
        // u1: out of time order, with a tie (c before d in the file) and a repeat of b.
        for (item, ts) in [
            (1, 50),
            (0, 10),
            (2, 30),
            (3, 30),
            (1, 60),
            (1, 70),
            (4, 80),
        ] {
            b.push("u1", ids[item], EventKind::Purchase, ts, ts as u64);
        }
        for item in [5, 5, 5] {
            b.push("u2", ids[item], EventKind::Purchase, 0, 1);
        }
        let mut skips = Skips::default();
        let s = b.finish(0, Path::new("f"), &mut skips);
        assert_eq!(s.users, ["u1"]);
        // f (only u2's) is dropped from the catalog; the rest keep their order.
        assert_eq!(s.kept_items, [0, 1, 2, 3, 4]);
        let order: Vec<u32> = s.sequences[0].iter().map(|e| e.item).collect();
        assert_eq!(order, [0, 2, 3, 1, 4]);
        assert_eq!(skips.counts["consecutive repeat"], 2 + 2);
        // The first repeat seen: u1's b at 60 ms (here the "line" is the timestamp).
        assert_eq!(skips.first["consecutive repeat"], "f:60");
        assert_eq!(skips.counts["user with < 5 events"], 1);
        assert_eq!(skips.first["user with < 5 events"], "user u2");
    }
}
