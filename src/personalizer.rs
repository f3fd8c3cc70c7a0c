//! A shopper's profile and the ranker that reads it, kept together for a page's lifetime: what
//! the npm package exposes as `Personalizer`, and what a native host can use as it is.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tastebud::{Event, EventKind, Item, Model, Personalizer, Profile, RankOptions};
//! let model = Model::from_bytes(&std::fs::read("model/model.safetensors")?)?;
//! let mut p = Personalizer::new(model, Profile::default());
//! let mug = Item { title: Some("Pink polkadot mug".into()), ..Item::new("mug-1") };
//! assert!(p.record(Event::item(EventKind::View, mug.clone(), 1_700_000_000_000))?);
//! p.pause(); // the shopper paused tracking: events are dropped
//! assert!(!p.record(Event::item(EventKind::Click, mug.clone(), 1_700_000_000_500))?);
//! p.resume();
//! let ranked = p.rank(&[mug, Item::new("bag-1")], &RankOptions::default(), 1_700_000_001_000)?;
//! let why = p.explain(&ranked[0].id, 1_700_000_001_000);
//! assert!(why.remembered.is_some());
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;

use serde::Serialize;

use crate::error::Result;
use crate::event::Event;
use crate::item::Item;
use crate::model::Model;
use crate::profile::{facets, KindCounts, Profile, Summary};
use crate::ranker::{Catalog, RankOptions, Ranked, Ranker, Reason, Scoring};

/// A profile with its ranker, and the last ranking so that its items can be explained.
pub struct Personalizer {
    ranker: Ranker,
    profile: Profile,
    /// The last ranking, by id. Cleared whenever the profile forgets, since its reasons may
    /// name the forgotten items.
    last_ranking: HashMap<String, Placement>,
    /// Tracking paused by the shopper: [`Personalizer::record`] drops every event until
    /// resumed. Held here, not by each host, so every host pauses alike.
    paused: bool,
    /// Counts the profile's changes, so that a token is made again only when it changed.
    generation: u64,
    /// The last token made: its generation, ε, time and text.
    token: Option<IssuedToken>,
}

/// A token as last made by [`Personalizer::token`].
struct IssuedToken {
    generation: u64,
    epsilon: f64,
    key: [u8; 32],
    at_ms: i64,
    text: String,
}

/// How long a token is given again unchanged while the profile does not change: well within
/// the day an edge accepts it for by default ([`DEFAULT_TOKEN_MAX_AGE_MS`]).
pub const TOKEN_REUSE_MS: i64 = 6 * 3_600_000;
/// How old a token an edge accepts by default.
pub const DEFAULT_TOKEN_MAX_AGE_MS: i64 = 24 * 3_600_000;

/// Why an item stands where it does: its place in the last ranking and what the profile
/// remembers about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// The item's id.
    pub id: String,
    /// Where the last call to [`Personalizer::rank`] placed it, if it was among the results.
    pub ranked: Option<Placement>,
    /// What the profile holds about the item itself, if anything.
    pub remembered: Option<Remembered>,
}

/// An item's place in a ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    /// 1 for the first item.
    pub position: usize,
    /// How many items that ranking returned.
    pub of: usize,
    /// Its score there.
    pub score: f32,
    /// Why, strongest first.
    pub reasons: Vec<Reason>,
}

/// What the profile remembers about one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Remembered {
    /// The item with the latest details the page gave.
    pub item: Item,
    /// Its decayed affinity now (negative when it was shown and passed over).
    pub affinity: f32,
    /// Its events per kind.
    pub counts: KindCounts,
    /// Time of its earliest event, epoch milliseconds.
    pub first_seen_ms: i64,
    /// Time of its latest event, epoch milliseconds.
    pub last_seen_ms: i64,
    /// Which of the shopper's interests it carries, strongest first.
    pub interests: Vec<String>,
}

impl Personalizer {
    /// A personalizer over `model` starting from `profile`.
    pub fn new(model: Model, profile: Profile) -> Self {
        Personalizer {
            ranker: Ranker::new(model),
            profile,
            last_ranking: HashMap::new(),
            paused: false,
            generation: 0,
            token: None,
        }
    }

    /// The ranker (model and item vector cache).
    pub fn ranker(&mut self) -> &mut Ranker {
        &mut self.ranker
    }

    /// The profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Records an event unless tracking is paused, and returns whether it was kept (see
    /// [`Profile::record`]). An invalid event is an error and changes nothing.
    pub fn record(&mut self, event: Event) -> Result<bool> {
        if self.paused {
            return Ok(false);
        }
        let kept = self.profile.record(event)?;
        self.generation += u64::from(kept);
        Ok(kept)
    }

    /// The shopper's token for an edge worker (see [`crate::token`]), noised for `epsilon` from
    /// the device's secret `key`, so that an unchanged profile gets the same noise. The same
    /// text is given again while the profile has not changed (for up to [`TOKEN_REUSE_MS`]),
    /// sparing the work.
    pub fn token(&mut self, epsilon: f64, now_ms: i64, key: &[u8; 32]) -> Result<String> {
        let stated = crate::token::epsilon(epsilon)?;
        let epsilon = stated.unwrap_or(f64::INFINITY);
        if let Some(t) = &self.token {
            let fresh = (0..TOKEN_REUSE_MS).contains(&(now_ms - t.at_ms));
            if t.generation == self.generation && t.epsilon == epsilon && t.key == *key && fresh {
                return Ok(t.text.clone());
            }
        }
        let text = self
            .ranker
            .token(&self.profile, now_ms, epsilon, key)?
            .encode();
        self.token = Some(IssuedToken {
            generation: self.generation,
            epsilon,
            key: *key,
            at_ms: now_ms,
            text: text.clone(),
        });
        Ok(text)
    }

    /// Stops tracking: [`Personalizer::record`] drops every event until
    /// [`Personalizer::resume`].
    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// Starts tracking again after [`Personalizer::pause`].
    pub fn resume(&mut self) {
        self.paused = false;
    }

    /// Whether tracking is paused.
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Ranks `candidates` for this shopper at `now_ms` (see [`Ranker::rank`]) and remembers the
    /// result for [`Personalizer::explain`].
    pub fn rank(
        &mut self,
        candidates: &[Item],
        options: &RankOptions,
        now_ms: i64,
    ) -> Result<Vec<Ranked>> {
        let ranked = self
            .ranker
            .rank(&self.profile, candidates, options, now_ms)?;
        Ok(self.remember(ranked))
    }

    /// Checks and encodes `items` once, for [`Personalizer::rank_catalog`].
    pub fn catalog(&mut self, items: Vec<Item>) -> Result<Catalog> {
        self.ranker.catalog(items)
    }

    /// [`Personalizer::rank`] over a prepared catalog: no reading or hashing of the items.
    pub fn rank_catalog(
        &mut self,
        catalog: &Catalog,
        options: &RankOptions,
        now_ms: i64,
    ) -> Result<Vec<Ranked>> {
        let ranked = self
            .ranker
            .rank_catalog(&self.profile, catalog, options, now_ms)?;
        Ok(self.remember(ranked))
    }

    /// [`Personalizer::rank_catalog`] with the scoring done elsewhere (a GPU): `best` returns
    /// the indices of at least the `fetch` best items under the `Scoring` (see
    /// [`crate::ranker::CatalogPlan`]). Its error comes back as the inner one, for the caller to rank on the
    /// CPU instead; nothing is remembered then.
    pub async fn rank_catalog_with<E>(
        &mut self,
        catalog: &Catalog,
        options: &RankOptions,
        now_ms: i64,
        best: impl AsyncFnOnce(&Scoring, usize) -> std::result::Result<Vec<u32>, E>,
    ) -> Result<std::result::Result<Vec<Ranked>, E>> {
        let plan = self
            .ranker
            .plan_catalog(&self.profile, catalog, options, now_ms)?;
        let top = match best(plan.scoring(), plan.fetch()).await {
            Ok(top) => top,
            Err(e) => return Ok(Err(e)),
        };
        let ranked = self.ranker.finish_catalog(plan, &top)?;
        Ok(Ok(self.remember(ranked)))
    }

    fn remember(&mut self, ranked: Vec<Ranked>) -> Vec<Ranked> {
        self.last_ranking = ranked
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let placement = Placement {
                    position: i + 1,
                    of: ranked.len(),
                    score: r.score,
                    reasons: r.reasons.clone(),
                };
                (r.id.clone(), placement)
            })
            .collect();
        ranked
    }

    /// A readable digest of the profile as of `now_ms`.
    pub fn summary(&self, now_ms: i64) -> Summary {
        self.profile.summary(now_ms)
    }

    /// Why the item `id` stands where it does, as of `now_ms`.
    pub fn explain(&self, id: &str, now_ms: i64) -> Explanation {
        let remembered = self.profile.item(id, now_ms).map(|r| {
            let own = facets(r.item);
            Remembered {
                item: r.item.clone(),
                affinity: r.affinity,
                counts: r.counts,
                first_seen_ms: r.first_seen_ms,
                last_seen_ms: r.last_seen_ms,
                interests: self
                    .profile
                    .interests(now_ms)
                    .into_iter()
                    .filter(|i| own.contains(&i.facet))
                    .map(|i| i.facet.label)
                    .collect(),
            }
        });
        Explanation {
            id: id.to_owned(),
            ranked: self.last_ranking.get(id).cloned(),
            remembered,
        }
    }

    /// Forgets every trace of the item, including explanations that cite it. Returns whether
    /// the profile held anything about it.
    pub fn forget(&mut self, id: &str) -> bool {
        self.last_ranking.clear();
        self.changed();
        self.profile.forget(id)
    }

    /// Forgets everything the shopper did.
    pub fn clear(&mut self) {
        self.last_ranking.clear();
        self.changed();
        self.profile.clear();
    }

    /// After a change that may remove what the last token was made from.
    fn changed(&mut self) {
        self.generation += 1;
        self.token = None;
    }

    /// Replaces the profile with one read from `bytes` ([`Profile::from_bytes`]); on error the
    /// current profile stays.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<()> {
        self.profile = Profile::from_bytes(bytes)?;
        self.last_ranking.clear();
        self.changed();
        Ok(())
    }
}
