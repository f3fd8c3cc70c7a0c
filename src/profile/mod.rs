//! The shopper's profile: the on-device memory of what one shopper did, bounded whatever the
//! number of events, from which the ranker reads recent events, item affinities and interests.
//!
//! A [`Profile`] keeps three bounded stores, and everything else is derived from them:
//!
//! - a ring of the most recent events ([`ProfileConfig::recent_events`]), ordered by time —
//!   impressions excepted: they only count in the item table, so a page full of products
//!   does not push out what the shopper acted on;
//! - a table of remembered items ([`ProfileConfig::max_items`]), each with its decayed affinity
//!   (the sum of its events' [`EventWeights`], halved every [`ProfileConfig::half_life_days`]),
//!   its first and last time seen, its counts per event kind and the item itself;
//! - the last distinct search queries ([`ProfileConfig::recent_queries`]).
//!
//! Interests ([`Profile::interests`]) and the [`Summary`] are computed from these on demand, so
//! [`Profile::forget`] removing an item from the ring and the table removes its every trace.
//!
//! # Forgetting sticks
//!
//! A forgotten item stays out: impressions, views and dwells on it are ignored (`record`
//! returns `false`) until the shopper acts on it again with a click, an add to cart or a
//! purchase, which is a new, deliberate signal. To know which items to keep out, the profile
//! keeps a 64-bit hash of each forgotten id (not the id), at most
//! [`ProfileConfig::max_items`] of them, oldest dropped first; [`Profile::clear`] drops them too.
//!
//! # Size
//!
//! Item text is bounded by [`crate::item`] ([`MAX_ID_BYTES`](crate::item::MAX_ID_BYTES),
//! [`MAX_TITLE_BYTES`](crate::item::MAX_TITLE_BYTES), [`MAX_LABEL_BYTES`](crate::item::MAX_LABEL_BYTES),
//! [`MAX_TAGS`](crate::item::MAX_TAGS)) and queries by
//! [`MAX_QUERY_BYTES`](crate::event::MAX_QUERY_BYTES), so the serialized profile
//! ([`Profile::to_bytes`]) never exceeds [`ProfileConfig::max_bytes`]. With the default
//! capacities (100 events, 200 items, 10 queries) that worst case, where every item has a
//! 128-byte id, a 256-byte title, 64-byte category and brand and eight 64-byte tags, every
//! event is a 256-byte search and 200 items were forgotten, is **252,748 bytes**; memory use
//! is of the same order. A real profile is far smaller: with catalog-like items (12-byte ids, 45-byte titles, a category,
//! a brand, two tags) a full profile (100 events, 200 items) is about 29 KB.

mod format;
mod interests;
mod summary;

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::event::{Event, EventKind};
use crate::item::Item;
use crate::sequence::{self, Engagement};

pub use format::FORMAT_VERSION;
pub use interests::{facets, first_facet_of, Facet, FacetKind, Interest};
pub use summary::{Activity, Intent, InterestShare, PriceBand, Summary};

/// Largest allowed [`ProfileConfig::recent_events`].
pub const MAX_RECENT_EVENTS: u32 = 1_000;
/// Largest allowed [`ProfileConfig::max_items`].
pub const MAX_ITEMS: u32 = 1_000;
/// Largest allowed [`ProfileConfig::recent_queries`].
pub const MAX_RECENT_QUERIES: u32 = 100;
/// Largest allowed [`ProfileConfig::max_interests`].
pub const MAX_INTERESTS: u32 = 1_000;
/// Largest allowed magnitude of an event weight and of [`EventWeights::dwell_cap`].
pub const MAX_WEIGHT: f32 = 1_000.0;

const MS_PER_DAY: f64 = 86_400_000.0;

/// How a profile remembers: its capacities, how fast interest fades and what each event is worth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfileConfig {
    /// Most recent events kept, searches included; older ones are dropped. 1 to
    /// [`MAX_RECENT_EVENTS`], default 100.
    pub recent_events: u32,
    /// Most items remembered with their affinity. When full, the item with the smallest
    /// decayed |affinity| that is not in the recent events is forgotten. At least
    /// `recent_events` (every recent event's item stays remembered) and at most [`MAX_ITEMS`];
    /// default 200.
    pub max_items: u32,
    /// Most distinct search queries kept, 0 to [`MAX_RECENT_QUERIES`]; default 10.
    pub recent_queries: u32,
    /// Most interests returned by [`Profile::interests`], 1 to [`MAX_INTERESTS`]; default 64.
    pub max_interests: u32,
    /// Days after which an event counts half as much; finite and > 0, default 30.
    pub half_life_days: f32,
    /// What each kind of event adds to an item's affinity.
    pub weights: EventWeights,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        ProfileConfig {
            recent_events: 100,
            max_items: 200,
            recent_queries: 10,
            max_interests: 64,
            half_life_days: 30.0,
            weights: EventWeights::default(),
        }
    }
}

impl ProfileConfig {
    /// Checks that every field is in its documented range.
    pub fn validated(self) -> Result<Self> {
        let bad = |msg: String| Err(Error::InvalidOptions(msg));
        if !(1..=MAX_RECENT_EVENTS).contains(&self.recent_events) {
            return bad(format!(
                "recentEvents must be 1 to {MAX_RECENT_EVENTS}, got {}",
                self.recent_events
            ));
        }
        if self.max_items < self.recent_events || self.max_items > MAX_ITEMS {
            return bad(format!(
                "maxItems must be at least recentEvents ({}) and at most {MAX_ITEMS}, got {}",
                self.recent_events, self.max_items
            ));
        }
        if self.recent_queries > MAX_RECENT_QUERIES {
            return bad(format!(
                "recentQueries must be at most {MAX_RECENT_QUERIES}, got {}",
                self.recent_queries
            ));
        }
        if !(1..=MAX_INTERESTS).contains(&self.max_interests) {
            return bad(format!(
                "maxInterests must be 1 to {MAX_INTERESTS}, got {}",
                self.max_interests
            ));
        }
        if !(self.half_life_days.is_finite() && self.half_life_days > 0.0) {
            return bad(format!(
                "halfLifeDays must be a finite number > 0, got {}",
                self.half_life_days
            ));
        }
        let w = &self.weights;
        for (name, value) in [
            ("impression", w.impression),
            ("view", w.view),
            ("click", w.click),
            ("dwell", w.dwell),
            ("add_to_cart", w.add_to_cart),
            ("purchase", w.purchase),
        ] {
            if !(value.is_finite() && value.abs() <= MAX_WEIGHT) {
                return bad(format!(
                    "weights.{name} must be finite, between -{MAX_WEIGHT} and {MAX_WEIGHT}, got {value}"
                ));
            }
        }
        if !(w.dwell_cap.is_finite() && (0.0..=MAX_WEIGHT).contains(&w.dwell_cap)) {
            return bad(format!(
                "weights.dwellCap must be between 0 and {MAX_WEIGHT}, got {}",
                w.dwell_cap
            ));
        }
        Ok(self)
    }

    fn half_life_ms(&self) -> f64 {
        f64::from(self.half_life_days) * MS_PER_DAY
    }
}

/// The stay that [`EventWeights::dwell`] is the weight of: longer stays count more.
pub const DWELL_UNIT_MS: u32 = 10_000;

/// What one event adds to the affinity of its item. Positive weights are evidence of interest;
/// a negative one is evidence against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventWeights {
    /// The item was shown and, unless another event follows, passed over; default −0.1.
    pub impression: f32,
    /// The product page was opened; default 1.
    pub view: f32,
    /// The item was clicked in a list; default 1.5.
    pub click: f32,
    /// A 10-second stay on the product page; default 1. Longer stays count more, on a log
    /// scale: the weight is multiplied by log2(1 + seconds / 10), i.e. ×2 at 30 s and ×3 at
    /// 70 s, up to [`EventWeights::dwell_cap`].
    pub dwell: f32,
    /// Largest multiplier of [`EventWeights::dwell`], so a tab left open does not count as
    /// a purchase; default 3.
    #[serde(rename = "dwellCap")]
    pub dwell_cap: f32,
    /// The item was put in the cart; default 3.
    pub add_to_cart: f32,
    /// The item was bought; default 5.
    pub purchase: f32,
}

impl Default for EventWeights {
    fn default() -> Self {
        EventWeights {
            impression: -0.1,
            view: 1.0,
            click: 1.5,
            dwell: 1.0,
            dwell_cap: 3.0,
            add_to_cart: 3.0,
            purchase: 5.0,
        }
    }
}

impl EventWeights {
    /// What an event of `kind` adds to its item's affinity; `dwell_ms` matters for
    /// [`EventKind::Dwell`] only. Searches concern no item and weigh 0.
    pub fn weight(&self, kind: EventKind, dwell_ms: u32) -> f32 {
        match kind {
            EventKind::Impression => self.impression,
            EventKind::View => self.view,
            EventKind::Click => self.click,
            EventKind::AddToCart => self.add_to_cart,
            EventKind::Purchase => self.purchase,
            EventKind::Dwell => {
                let factor = (1.0 + f64::from(dwell_ms) / f64::from(DWELL_UNIT_MS)).log2();
                self.dwell * (factor as f32).min(self.dwell_cap)
            }
            EventKind::Search => 0.0,
        }
    }
}

/// How many events of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCounts {
    /// Impressions.
    pub impression: u32,
    /// Product page views.
    pub view: u32,
    /// Clicks.
    pub click: u32,
    /// Additions to the cart.
    pub add_to_cart: u32,
    /// Purchases.
    pub purchase: u32,
    /// Dwells.
    pub dwell: u32,
    /// Searches.
    pub search: u32,
}

impl KindCounts {
    /// The count for `kind`.
    pub fn get(&self, kind: EventKind) -> u32 {
        match kind {
            EventKind::Impression => self.impression,
            EventKind::View => self.view,
            EventKind::Click => self.click,
            EventKind::AddToCart => self.add_to_cart,
            EventKind::Purchase => self.purchase,
            EventKind::Dwell => self.dwell,
            EventKind::Search => self.search,
        }
    }

    /// Events that show interest in an item: everything but impressions and searches.
    pub fn engaged(&self) -> u32 {
        [
            self.view,
            self.click,
            self.add_to_cart,
            self.purchase,
            self.dwell,
        ]
        .into_iter()
        .fold(0, u32::saturating_add)
    }

    fn add(&mut self, kind: EventKind) {
        let slot = match kind {
            EventKind::Impression => &mut self.impression,
            EventKind::View => &mut self.view,
            EventKind::Click => &mut self.click,
            EventKind::AddToCart => &mut self.add_to_cart,
            EventKind::Purchase => &mut self.purchase,
            EventKind::Dwell => &mut self.dwell,
            EventKind::Search => &mut self.search,
        };
        *slot = slot.saturating_add(1);
    }
}

/// One of the recent item events, with the item as remembered.
#[derive(Debug, Clone, PartialEq)]
pub struct RecentItemEvent<'a> {
    /// What was done (never [`EventKind::Search`]).
    pub kind: EventKind,
    /// The item, with the latest details the page gave.
    pub item: &'a Item,
    /// When, in epoch milliseconds.
    pub ts_ms: i64,
    /// How long the page stayed open, for [`EventKind::Dwell`]; otherwise as recorded (0).
    pub dwell_ms: u32,
}

/// An item in the long-term memory.
#[derive(Debug, Clone, PartialEq)]
pub struct RememberedItem<'a> {
    /// The item, with the latest details the page gave.
    pub item: &'a Item,
    /// Sum of its events' weights, each halved per half-life between the event and `now_ms`.
    pub affinity: f32,
    /// Its events per kind.
    pub counts: KindCounts,
    /// Time of its earliest event, epoch milliseconds.
    pub first_seen_ms: i64,
    /// Time of its latest event, epoch milliseconds.
    pub last_seen_ms: i64,
}

/// An event in the ring: items by id, so that an item's details are stored once, in the table.
#[derive(Debug, Clone, PartialEq)]
enum Recent {
    Item {
        kind: EventKind,
        id: String,
        ts_ms: i64,
        dwell_ms: u32,
    },
    Search {
        query: String,
        ts_ms: i64,
    },
}

impl Recent {
    fn ts_ms(&self) -> i64 {
        match self {
            Recent::Item { ts_ms, .. } | Recent::Search { ts_ms, .. } => *ts_ms,
        }
    }

    fn kind(&self) -> EventKind {
        match self {
            Recent::Item { kind, .. } => *kind,
            Recent::Search { .. } => EventKind::Search,
        }
    }

    fn item_id(&self) -> Option<&str> {
        match self {
            Recent::Item { id, .. } => Some(id),
            Recent::Search { .. } => None,
        }
    }
}

/// An item of the table. `score` is the affinity as of `last_seen_ms`: decaying it from there
/// to any later time gives the affinity then, and an out-of-order event is added already decayed.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    item: Item,
    score: f32,
    first_seen_ms: i64,
    last_seen_ms: i64,
    counts: KindCounts,
}

impl Entry {
    fn affinity_at(&self, now_ms: i64, half_life_ms: f64) -> f64 {
        f64::from(self.score) * decay(now_ms.saturating_sub(self.last_seen_ms), half_life_ms)
    }

    fn remembered(&self, now_ms: i64, half_life_ms: f64) -> RememberedItem<'_> {
        RememberedItem {
            item: &self.item,
            affinity: self.affinity_at(now_ms, half_life_ms) as f32,
            counts: self.counts,
            first_seen_ms: self.first_seen_ms,
            last_seen_ms: self.last_seen_ms,
        }
    }
}

/// The factor by which evidence `age_ms` old is discounted; evidence from the future (clock
/// skew) is not inflated.
fn decay(age_ms: i64, half_life_ms: f64) -> f64 {
    if age_ms <= 0 {
        1.0
    } else {
        (-(age_ms as f64) / half_life_ms).exp2()
    }
}

/// The on-device memory of one shopper. See the [module docs](self) for what it keeps and its
/// size bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    config: ProfileConfig,
    /// Sorted by time, oldest first.
    recent: VecDeque<Recent>,
    items: BTreeMap<String, Entry>,
    /// Distinct (ignoring case), in the order recorded, oldest first.
    queries: VecDeque<String>,
    /// Hashes ([`forgotten_key`]) of the ids forgotten and not acted on since, oldest first,
    /// distinct, at most `max_items`.
    forgotten: VecDeque<u64>,
}

/// What the profile keeps of a forgotten id: a hash, so that the item stays out without the
/// profile naming it.
fn forgotten_key(id: &str) -> u64 {
    xxhash_rust::xxh64::xxh64(id.as_bytes(), 0xf0_4607)
}

impl Default for Profile {
    fn default() -> Self {
        Profile::with_valid_config(ProfileConfig::default())
    }
}

impl Profile {
    /// An empty profile; fails with [`Error::InvalidOptions`] if `config` is out of range.
    pub fn new(config: ProfileConfig) -> Result<Self> {
        Ok(Profile::with_valid_config(config.validated()?))
    }

    fn with_valid_config(config: ProfileConfig) -> Self {
        Profile {
            config,
            recent: VecDeque::new(),
            items: BTreeMap::new(),
            queries: VecDeque::new(),
            forgotten: VecDeque::new(),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &ProfileConfig {
        &self.config
    }

    /// Replaces the configuration, dropping what no longer fits the new capacities (the oldest
    /// events and queries, the weakest items). New weights apply to events recorded from now
    /// on; a new half-life applies to all decay computed from now on.
    pub fn set_config(&mut self, config: ProfileConfig) -> Result<()> {
        self.config = config.validated()?;
        self.trim_recent();
        self.trim_queries();
        self.trim_forgotten();
        while self.items.len() > self.config.max_items as usize && self.evict_weakest() {}
        Ok(())
    }

    /// Records what the shopper did and returns whether it was kept. The event is checked with
    /// [`Event::validated`]; if it is invalid, the error is returned and the profile is left
    /// exactly as it was. A valid event is not kept (`Ok(false)`, nothing changes) when it is
    /// an impression, view or dwell on a forgotten item (see the [module docs](self)), or an
    /// impression when every remembered item is one of the recent events and none can make
    /// room.
    pub fn record(&mut self, event: Event) -> Result<bool> {
        match event.validated()? {
            Event::Search { query, ts_ms } => {
                self.remember_query(&query);
                self.push_recent(Recent::Search { query, ts_ms });
            }
            Event::Item {
                kind,
                item,
                ts_ms,
                dwell_ms,
            } => {
                let key = forgotten_key(&item.id);
                if let Some(at) = self.forgotten.iter().position(|&k| k == key) {
                    if !kind.is_deliberate() {
                        return Ok(false);
                    }
                    self.forgotten.remove(at);
                }
                let known = self.items.contains_key(&item.id);
                if kind == EventKind::Impression {
                    // Impressions only count in the item table: a page shows dozens at a time,
                    // and in the ring they would push out the engaged events the user encoder
                    // reads.
                    if !known
                        && self.items.len() >= self.config.max_items as usize
                        && !self.evict_weakest()
                    {
                        return Ok(false);
                    }
                } else {
                    self.push_recent(Recent::Item {
                        kind,
                        id: item.id.clone(),
                        ts_ms,
                        dwell_ms,
                    });
                    // The events just pushed out of the ring may have freed an item to evict;
                    // the new event's own item is in the ring, so another one goes.
                    if !known && self.items.len() >= self.config.max_items as usize {
                        self.evict_weakest();
                    }
                }
                self.remember_item(kind, item, ts_ms, dwell_ms);
            }
        }
        Ok(true)
    }

    /// Inserts in time order (events may arrive late) and drops the oldest beyond capacity.
    fn push_recent(&mut self, event: Recent) {
        let ts = event.ts_ms();
        let at = self
            .recent
            .iter()
            .rposition(|e| e.ts_ms() <= ts)
            .map_or(0, |i| i + 1);
        self.recent.insert(at, event);
        self.trim_recent();
    }

    fn trim_recent(&mut self) {
        let cap = self.config.recent_events as usize;
        if self.recent.len() > cap {
            self.recent.drain(..self.recent.len() - cap);
        }
    }

    fn remember_query(&mut self, query: &str) {
        let lower = query.to_lowercase();
        self.queries.retain(|q| q.to_lowercase() != lower);
        self.queries.push_back(query.to_owned());
        self.trim_queries();
    }

    fn trim_queries(&mut self) {
        let cap = self.config.recent_queries as usize;
        if self.queries.len() > cap {
            self.queries.drain(..self.queries.len() - cap);
        }
    }

    fn trim_forgotten(&mut self) {
        let cap = self.config.max_items as usize;
        if self.forgotten.len() > cap {
            self.forgotten.drain(..self.forgotten.len() - cap);
        }
    }

    /// Adds `item` to the table (room was made by the caller) or updates its entry.
    fn remember_item(&mut self, kind: EventKind, item: Item, ts_ms: i64, dwell_ms: u32) {
        let weight = f64::from(self.config.weights.weight(kind, dwell_ms));
        let half_life_ms = self.config.half_life_ms();
        if let Some(entry) = self.items.get_mut(&item.id) {
            let newer = ts_ms >= entry.last_seen_ms;
            let score = f64::from(entry.score);
            entry.score = if newer {
                (score * decay(ts_ms.saturating_sub(entry.last_seen_ms), half_life_ms) + weight)
                    as f32
            } else {
                (score + weight * decay(entry.last_seen_ms.saturating_sub(ts_ms), half_life_ms))
                    as f32
            };
            entry.first_seen_ms = entry.first_seen_ms.min(ts_ms);
            entry.last_seen_ms = entry.last_seen_ms.max(ts_ms);
            entry.counts.add(kind);
            merge_details(&mut entry.item, item, newer);
            return;
        }
        let mut counts = KindCounts::default();
        counts.add(kind);
        let entry = Entry {
            score: weight as f32,
            first_seen_ms: ts_ms,
            last_seen_ms: ts_ms,
            counts,
            item,
        };
        self.items.insert(entry.item.id.clone(), entry);
    }

    /// Forgets the item with the smallest decayed |affinity| among those not in the recent
    /// events (whose items must stay resolvable); ties go to the least recently seen. Returns
    /// whether one was forgotten.
    fn evict_weakest(&mut self) -> bool {
        let half_life_ms = self.config.half_life_ms();
        // Decaying every affinity to one moment (the newest time seen, say) multiplies them all
        // by one factor, so their order is that of log2|score| + last_seen / half-life, whatever
        // the moment; out-of-order events cannot upset it.
        let mut candidates: Vec<(f64, i64, &String)> = self
            .items
            .iter()
            .map(|(id, e)| {
                let strength =
                    f64::from(e.score).abs().log2() + e.last_seen_ms as f64 / half_life_ms;
                (strength, e.last_seen_ms, id)
            })
            .collect();
        let weaker = |a: &(f64, i64, &String), b: &(f64, i64, &String)| {
            a.0.total_cmp(&b.0)
                .then(a.1.cmp(&b.1))
                .then_with(|| a.2.cmp(b.2))
        };
        let in_recent = |id: &str| self.recent.iter().any(|e| e.item_id() == Some(id));
        // Usually the weakest item is an old one, no longer among the recent events, and one
        // pass finds it; otherwise take the weakest of the others.
        let weakest = match candidates.iter().min_by(|a, b| weaker(a, b)) {
            Some(&(_, _, id)) if !in_recent(id) => Some(id.clone()),
            _ => {
                candidates.sort_unstable_by(weaker);
                candidates
                    .into_iter()
                    .find(|(_, _, id)| !in_recent(id))
                    .map(|(_, _, id)| id.clone())
            }
        };
        match weakest {
            Some(id) => self.items.remove(&id).is_some(),
            None => false,
        }
    }

    /// Removes every trace of the item: its recent events, its affinity and so its part in the
    /// interests and the summary; and keeps it out until the shopper acts on it again (see the
    /// [module docs](self)). Returns whether the profile held anything about it.
    pub fn forget(&mut self, item_id: &str) -> bool {
        let before = self.recent.len();
        self.recent.retain(|e| e.item_id() != Some(item_id));
        let removed_events = self.recent.len() != before;
        let key = forgotten_key(item_id);
        self.forgotten.retain(|&k| k != key);
        self.forgotten.push_back(key);
        self.trim_forgotten();
        self.items.remove(item_id).is_some() || removed_events
    }

    /// Forgets everything, the list of forgotten items included; the configuration stays.
    pub fn clear(&mut self) {
        self.recent.clear();
        self.items.clear();
        self.queries.clear();
        self.forgotten.clear();
    }

    /// How many forgotten items are kept out (see the [module docs](self)).
    pub fn forgotten_len(&self) -> usize {
        self.forgotten.len()
    }

    /// Number of recent events stored (searches included).
    pub fn len(&self) -> usize {
        self.recent.len()
    }

    /// Whether the profile holds nothing at all.
    pub fn is_empty(&self) -> bool {
        self.recent.is_empty()
            && self.items.is_empty()
            && self.queries.is_empty()
            && self.forgotten.is_empty()
    }

    /// The recent events on items, oldest first (newest last).
    pub fn recent_item_events(&self) -> impl Iterator<Item = RecentItemEvent<'_>> + '_ {
        self.recent.iter().filter_map(|e| match e {
            Recent::Item {
                kind,
                id,
                ts_ms,
                dwell_ms,
            } => self.items.get(id).map(|entry| RecentItemEvent {
                kind: *kind,
                item: &entry.item,
                ts_ms: *ts_ms,
                dwell_ms: *dwell_ms,
            }),
            Recent::Search { .. } => None,
        })
    }

    /// The recent visits, oldest first, by the sequence rules the trainer's loaders follow
    /// ([`crate::sequence`]): what the user encoder reads.
    pub fn visits(&self) -> Vec<Engagement<&Item>> {
        sequence::visits(self.recent_item_events().map(|e| Engagement {
            item: e.item,
            kind: e.kind,
            ts_ms: e.ts_ms,
        }))
    }

    /// The remembered items, by id, with their affinity decayed to `now_ms`.
    pub fn items(&self, now_ms: i64) -> impl Iterator<Item = RememberedItem<'_>> + '_ {
        let half_life_ms = self.config.half_life_ms();
        self.items
            .values()
            .map(move |e| e.remembered(now_ms, half_life_ms))
    }

    /// The remembered item with this id, with its affinity decayed to `now_ms`.
    pub fn item(&self, item_id: &str, now_ms: i64) -> Option<RememberedItem<'_>> {
        let half_life_ms = self.config.half_life_ms();
        self.items
            .get(item_id)
            .map(|e| e.remembered(now_ms, half_life_ms))
    }

    /// Ids of the remembered items the shopper bought, in id order.
    pub fn purchased_ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.items
            .values()
            .filter(|e| e.counts.purchase > 0)
            .map(|e| e.item.id.as_str())
    }

    /// Ids of the items shown at least `min_impressions` times and never viewed, clicked,
    /// dwelt on, put in the cart or bought: weak negative evidence. In id order.
    pub fn passed_over(&self, min_impressions: u32) -> impl Iterator<Item = &str> + '_ {
        self.items
            .values()
            .filter(move |e| e.counts.impression >= min_impressions && e.counts.engaged() == 0)
            .map(|e| e.item.id.as_str())
    }

    /// The most recently recorded search query.
    pub fn last_query(&self) -> Option<&str> {
        self.queries.back().map(String::as_str)
    }

    /// The last distinct search queries, oldest first.
    pub fn recent_queries(&self) -> impl Iterator<Item = &str> + '_ {
        self.queries.iter().map(String::as_str)
    }
}

/// Updates stored details with those an event carries: a newer event's details win, an older
/// one's only fill gaps (pages often send just the id with an impression).
fn merge_details(stored: &mut Item, new: Item, newer: bool) {
    fn take<T>(stored: &mut Option<T>, new: Option<T>, newer: bool) {
        if new.is_some() && (newer || stored.is_none()) {
            *stored = new;
        }
    }
    take(&mut stored.title, new.title, newer);
    take(&mut stored.category, new.category, newer);
    take(&mut stored.brand, new.brand, newer);
    take(&mut stored.price, new.price, newer);
    if !new.tags.is_empty() && (newer || stored.tags.is_empty()) {
        stored.tags = new.tags;
    }
}
