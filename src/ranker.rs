//! The ranker: orders candidate items for one shopper, on the device, with reasons a page can
//! show.
//!
//! A candidate's score mixes, each standardised over the candidates so the weights mean the
//! same whatever the catalog:
//! - **short-term intent**: the user encoder over the recent events, plus the trained sequence
//!   evidence (what followed the last item, repeat purchases) — exactly what the trainer
//!   evaluates;
//! - **long-term taste**: similarity to the affinity-weighted mean of the remembered items;
//! - **the query**, when there is one: similarity to the query's content vector and the share of
//!   its words the item carries;
//! - **the incoming order**, for re-ranking a server's list (`keep_order_weight`);
//! - minus a penalty for items the shopper was shown repeatedly and passed over.
//!
//! Then exclusions, optional diversity (maximal marginal relevance) and the top `k`.

use std::borrow::{Borrow, Cow};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::event::EventKind;
use crate::features::{id_key, title_word_slices, title_words, MAX_TITLE_WORDS};
use crate::item::Item;
use crate::model::{dot, KindInput, Model, Step};
use crate::profile::{first_facet_of, Facet, Profile, DWELL_UNIT_MS};
use crate::sequence::{self, Engagement};
use crate::token::{Token, MAX_TOKEN_DIM};

/// How to rank.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct RankOptions {
    /// A search query the candidates answer.
    pub query: Option<String>,
    /// Return at most this many items (all when `None`).
    pub k: Option<usize>,
    /// 0 = pure relevance … 1 = as varied as possible.
    pub diversity: f32,
    /// Item ids never to return.
    pub exclude: Vec<String>,
    /// Leave out items the shopper already bought.
    pub exclude_purchased: bool,
    /// 0 = ignore the incoming order … 1 = keep it.
    pub keep_order_weight: f32,
}

impl Default for RankOptions {
    fn default() -> Self {
        RankOptions {
            query: None,
            k: None,
            diversity: 0.0,
            exclude: Vec::new(),
            exclude_purchased: false,
            keep_order_weight: 0.0,
        }
    }
}

impl RankOptions {
    /// The query, if it has more than blanks.
    fn query(&self) -> Option<&str> {
        self.query
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
    }

    fn validate(&self) -> Result<()> {
        let unit = |name: &str, v: f32| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(Error::InvalidOptions(format!(
                    "{name} must be between 0 and 1, got {v}"
                )))
            }
        };
        unit("diversity", self.diversity)?;
        unit("keepOrderWeight", self.keep_order_weight)?;
        if self.k == Some(0) {
            return Err(Error::InvalidOptions("k must be at least 1".into()));
        }
        Ok(())
    }
}

/// Why an item was ranked where it was, in words a page can show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Close to an item the shopper recently acted on.
    SimilarTo {
        /// That item's id.
        item: String,
        /// What the shopper did with it.
        action: EventKind,
        /// Text for the page.
        text: String,
    },
    /// Often chosen right after the shopper's latest item.
    OftenNext {
        /// The latest item's id.
        item: String,
        /// Text for the page.
        text: String,
    },
    /// Carries one of the shopper's top interests.
    Interest {
        /// The interest's label.
        label: String,
        /// Text for the page.
        text: String,
    },
    /// Answers the search query.
    MatchesQuery {
        /// Text for the page.
        text: String,
    },
    /// The shopper bought it before.
    BoughtBefore {
        /// Text for the page.
        text: String,
    },
}

/// One ranked candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    /// The candidate's id.
    pub id: String,
    /// Its score (higher is better; comparable within one call only).
    pub score: f32,
    /// Why, strongest first (may be empty, e.g. for a shopper with no history).
    pub reasons: Vec<Reason>,
}

/// Computes similarities between probe vectors and item vectors. The CPU version is the
/// default; a GPU one (wgpu) can take its place for large catalogs.
pub trait SimilarityBackend {
    /// For each probe, its dot product with each row of `items` (`n × dim`, row-major).
    fn similarities(&self, items: &[f32], dim: usize, probes: &[&[f32]]) -> Vec<Vec<f32>>;
}

/// Dot products on the CPU.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu;

impl SimilarityBackend for Cpu {
    fn similarities(&self, items: &[f32], dim: usize, probes: &[&[f32]]) -> Vec<Vec<f32>> {
        // Row by row, every probe: the items' vectors are read from memory once.
        let mut out = vec![Vec::with_capacity(items.len() / dim.max(1)); probes.len()];
        for row in items.chunks_exact(dim) {
            for (o, p) in out.iter_mut().zip(probes) {
                o.push(dot(row, p));
            }
        }
        out
    }
}

/// Most item vectors kept in the ranker's cache.
pub const CACHE_ITEMS: usize = 20_000;

/// Candidates checked and encoded once by [`Ranker::catalog`], to be ranked many times: a
/// storefront's grid, re-ranked after every tap.
#[derive(Debug, Clone)]
pub struct Catalog {
    items: Vec<Item>,
    /// Their [`id_key`]s.
    keys: Vec<u64>,
    /// `items.len() × dim`, row-major.
    vectors: Vec<f32>,
    /// The [`Ranker::id`] that encoded it.
    ranker: u64,
}

impl Catalog {
    /// The items, as checked.
    pub fn items(&self) -> &[Item] {
        &self.items
    }
}

/// A model plus a cache of item vectors: what a page keeps for its lifetime.
pub struct Ranker<B: SimilarityBackend = Cpu> {
    /// Distinguishes rankers, so a catalog is ranked only by the model that encoded it.
    id: u64,
    model: Model,
    backend: B,
    /// Cached item vectors: content key → row of `rows`.
    cache: KeyMap<usize>,
    /// The cached vectors, row-major, in one allocation.
    rows: Vec<f32>,
    /// The last intent computed, keyed by the sequence it was computed from: ranking again
    /// before the shopper does anything new skips the user encoder.
    intent: Option<(u64, Vec<f32>)>,
}

impl Ranker<Cpu> {
    /// A ranker on the CPU.
    pub fn new(model: Model) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        Ranker {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            model,
            backend: Cpu,
            cache: KeyMap::default(),
            rows: Vec::new(),
            intent: None,
        }
    }
}

impl<B: SimilarityBackend> Ranker<B> {
    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Unit vectors of `items` (`n × dim`, row-major), from the cache where possible.
    pub fn vectors<I: Borrow<Item>>(&mut self, items: &[I]) -> Result<Vec<f32>> {
        let dim = self.model.config.dim;
        let mut buf = Vec::with_capacity(256);
        let keys: Vec<u64> = items
            .iter()
            .map(|i| content_key(i.borrow(), &mut buf))
            .collect();
        let mut seen = KeySet::default();
        let uncached = |cache: &KeyMap<usize>, seen: &mut KeySet| {
            let new: Vec<usize> = (0..items.len())
                .filter(|&i| !cache.contains_key(&keys[i]) && seen.insert(keys[i]))
                .collect();
            seen.clear();
            new
        };
        let mut missing = uncached(&self.cache, &mut seen);
        // A full cache starts over, before encoding, so that this request's items all fit.
        if self.cache.len() + missing.len() > CACHE_ITEMS {
            self.cache.clear();
            self.rows.clear();
            missing = uncached(&self.cache, &mut seen);
        }
        if !missing.is_empty() {
            let batch: Vec<&Item> = missing.iter().map(|&i| items[i].borrow()).collect();
            let encoded = self.model.encode_items(&batch, true)?;
            for (n, &i) in missing.iter().enumerate() {
                self.cache.insert(keys[i], self.rows.len() / dim);
                self.rows
                    .extend_from_slice(&encoded[n * dim..(n + 1) * dim]);
            }
        }
        let mut out = Vec::with_capacity(items.len() * dim);
        for k in &keys {
            // Every key was cached above; a miss would be a bug, reported as an internal error.
            let row = self
                .cache
                .get(k)
                .ok_or_else(|| Error::Internal("item vector missing from the cache".into()))?;
            out.extend_from_slice(&self.rows[row * dim..(row + 1) * dim]);
        }
        Ok(out)
    }

    /// The model's intent after `steps`, from the cache when the sequence (and how its kinds
    /// enter) is the last one's.
    fn intent(
        &mut self,
        vectors: &[f32],
        steps: &[Step],
        inputs: &[KindInput; EventKind::COUNT],
    ) -> Result<Option<Vec<f32>>> {
        let mut key = Vec::with_capacity(vectors.len() * 4 + steps.len() * 6);
        key.extend(vectors.iter().flat_map(|v| v.to_le_bytes()));
        for s in steps {
            let input = inputs[s.kind as usize];
            key.extend([input.row as u8, s.gap_bucket() as u8]);
            key.extend(input.weight.to_le_bytes());
        }
        let key = xxhash_rust::xxh64::xxh64(&key, 0);
        if let Some((k, intent)) = &self.intent {
            if *k == key {
                return Ok(Some(intent.clone()));
            }
        }
        let intent = self.model.intent(vectors, steps, inputs)?;
        self.intent = intent.clone().map(|i| (key, i));
        Ok(intent)
    }

    /// Ranks `candidates` for the shopper of `profile` at time `now_ms`. A candidate whose id
    /// came earlier in the list is left out, unread: each id once, the first wins.
    pub fn rank(
        &mut self,
        profile: &Profile,
        candidates: &[Item],
        options: &RankOptions,
        now_ms: i64,
    ) -> Result<Vec<Ranked>> {
        options.validate()?;
        let checked = self.checked(candidates)?;
        let shopper = self.shopper(profile, now_ms)?;
        self.rank_encoded(shopper, &checked.encoded(), options)
    }

    /// `candidates` checked, each id once (the first wins, the rest unread), with their id keys
    /// and vectors.
    fn checked<'c>(&mut self, candidates: &'c [Item]) -> Result<Checked<'c>> {
        let mut ids = HashSet::with_capacity(candidates.len());
        let (places, checked): (Vec<usize>, Vec<Cow<Item>>) = candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| ids.insert(c.id.as_str()))
            .map(|(i, c)| Ok((i, c.validated_ref()?)))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .unzip();
        Ok(Checked {
            vectors: self.vectors(&checked)?,
            keys: checked.iter().map(|c| id_key(&c.id)).collect(),
            items: checked,
            places,
        })
    }

    /// Checks and encodes `items` once, for [`Ranker::rank_catalog`] to rank them many times
    /// without reading or hashing them again. As in [`Ranker::rank`], each id once, the first
    /// wins.
    pub fn catalog(&mut self, items: Vec<Item>) -> Result<Catalog> {
        let mut ids = HashSet::with_capacity(items.len());
        let distinct: Vec<bool> = items.iter().map(|i| ids.insert(i.id.as_str())).collect();
        let items: Vec<Item> = items
            .into_iter()
            .zip(distinct)
            .filter_map(|(item, first)| first.then(|| item.validated()))
            .collect::<Result<_>>()?;
        let vectors = self.vectors(&items)?;
        Ok(Catalog {
            keys: items.iter().map(|i| id_key(&i.id)).collect(),
            items,
            vectors,
            ranker: self.id,
        })
    }

    /// [`Ranker::rank`] over a catalog prepared by [`Ranker::catalog`].
    pub fn rank_catalog(
        &mut self,
        profile: &Profile,
        catalog: &Catalog,
        options: &RankOptions,
        now_ms: i64,
    ) -> Result<Vec<Ranked>> {
        let candidates = self.candidates_of(catalog, options)?;
        let shopper = self.shopper(profile, now_ms)?;
        self.rank_encoded(shopper, &candidates, options)
    }

    /// The scores [`Ranker::rank_catalog`] orders `catalog` by, for the shopper of `profile`
    /// at `now_ms`: higher first, equal scores in catalog order. What the trainer's evaluator
    /// ranks by, so that its figures are what a page gets. `k` and `diversity` do not change
    /// them; `exclude` and `excludePurchased` leave items out of a ranking, not these.
    pub fn catalog_scores(
        &mut self,
        profile: &Profile,
        catalog: &Catalog,
        options: &RankOptions,
        now_ms: i64,
    ) -> Result<Vec<f32>> {
        let candidates = self.candidates_of(catalog, options)?;
        let shopper = self.shopper(profile, now_ms)?;
        let scored = self.score(shopper, &candidates, options)?;
        Ok(scored.scores)
    }

    /// The items of `catalog`, to rank with `options`: refused if the options are invalid or
    /// another ranker (another model) prepared the catalog.
    fn candidates_of<'c>(
        &self,
        catalog: &'c Catalog,
        options: &RankOptions,
    ) -> Result<Encoded<'c>> {
        options.validate()?;
        if catalog.ranker != self.id {
            return Err(Error::InvalidOptions(
                "this catalog was prepared by another personalizer; prepare it with this one"
                    .into(),
            ));
        }
        Ok(Encoded {
            items: catalog.items.iter().collect(),
            keys: &catalog.keys,
            vectors: &catalog.vectors,
        })
    }

    /// Ranks checked and encoded candidates. Whatever is the same for every candidate (sets of
    /// ids, texts of reasons) is worked out once, so that ranking a whole catalog costs little
    /// more per item than its dot products.
    fn rank_encoded(
        &mut self,
        shopper: Shopper,
        encoded: &Encoded,
        options: &RankOptions,
    ) -> Result<Vec<Ranked>> {
        let &Encoded {
            items: ref candidates,
            keys,
            vectors,
        } = encoded;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let dim = self.model.config.dim;
        let Picked {
            order,
            scored,
            purchased,
        } = self.pick(shopper, encoded, options)?;
        let why = Explainer::new(&self.model, &scored.shopper, options.query());
        Ok(order
            .into_iter()
            .map(|j| Ranked {
                id: candidates[j].id.clone(),
                score: scored.scores[j],
                reasons: why.reasons(
                    candidates[j],
                    keys[j],
                    &vectors[j * dim..(j + 1) * dim],
                    scored.query_hits[j] > 0.0,
                    purchased.contains(keys[j], candidates[j]),
                ),
            })
            .collect())
    }

    /// The candidates [`Ranker::rank_encoded`] keeps, best first, before they are explained.
    fn pick<'p>(
        &mut self,
        shopper: Shopper<'p>,
        encoded: &Encoded,
        options: &RankOptions,
    ) -> Result<Picked<'p>> {
        let n = encoded.items.len();
        let scored = self.score(shopper, encoded, options)?;
        // What only a ranking needs of the profile (not the scores alone) is read here.
        let purchased = IdSet::new(
            scored
                .shopper
                .profile
                .into_iter()
                .flat_map(|(p, _)| p.purchased_ids()),
        );

        let excluded = IdSet::new(options.exclude.iter().map(String::as_str));
        let skip_bought = options.exclude_purchased && !purchased.is_empty();
        let mut pool: Vec<usize> = if excluded.is_empty() && !skip_bought {
            (0..n).collect()
        } else {
            (0..n)
                .filter(|&j| {
                    let (key, c) = (encoded.keys[j], encoded.items[j]);
                    let bought = skip_bought && purchased.contains(key, c);
                    !(excluded.contains(key, c) || bought)
                })
                .collect()
        };
        let k = options.k.unwrap_or(n).min(pool.len());
        let dim = self.model.config.dim;
        let (scores, vectors) = (&scored.scores, encoded.vectors);
        let order = select(&mut pool, scores, vectors, dim, options.diversity, k);
        Ok(Picked {
            order,
            scored,
            purchased,
        })
    }

    /// What the ranking reads of the shopper of `profile` at `now_ms`.
    fn shopper<'p>(&mut self, profile: &'p Profile, now_ms: i64) -> Result<Shopper<'p>> {
        // Short-term: the recent visits, by the sequence rules the trainer's loaders follow,
        // each kind weighed as the profile weighs it.
        let mut recent = profile.visits();
        recent.drain(..recent.len().saturating_sub(self.model.config.max_len));
        let recent_keys: Vec<u64> = recent.iter().map(|v| id_key(&v.item.id)).collect();
        let mut recent_vectors = Vec::new();
        let mut intent = None;
        let mut evidence = KeyMap::default();
        if !recent.is_empty() {
            let items: Vec<&Item> = recent.iter().map(|v| v.item).collect();
            recent_vectors = self.vectors(&items)?;
            let steps = sequence::steps(&recent);
            let weights = &profile.config().weights;
            let inputs = self
                .model
                .config
                .kind_inputs(&EventKind::ALL.map(|k| weights.weight(k, DWELL_UNIT_MS)));
            intent = self.intent(&recent_vectors, &steps, &inputs)?;
            if let Some(&last) = recent_keys.last() {
                evidence.extend(self.model.successor_evidence(last));
            }
        }

        // Long-term: the remembered items with their affinity (what the shopper did with each,
        // weighed by kind and decayed): their mean is the taste, unless the model weighs it 0,
        // and each is evidence for itself, at the model's repeat weight.
        let blend = self.model.config.blend;
        let remembered: Vec<(&Item, f32)> = profile
            .items(now_ms)
            .filter(|r| r.affinity > 0.0)
            .map(|r| (r.item, r.affinity))
            .collect();
        let mut repeats = Vec::new();
        if blend.repeat != 0.0 {
            for &(item, affinity) in &remembered {
                let key = id_key(&item.id);
                let bonus = blend.repeat * affinity.ln_1p();
                *evidence.entry(key).or_default() += bonus;
                repeats.push((item, bonus));
            }
        }
        let mut taste = None;
        if !remembered.is_empty() && blend.taste != 0.0 {
            let items: Vec<&Item> = remembered.iter().map(|&(i, _)| i).collect();
            let rows = self.vectors(&items)?;
            let mut sum = vec![0f32; self.model.config.dim];
            for ((_, a), row) in remembered.iter().zip(rows.chunks_exact(sum.len())) {
                sum.iter_mut().zip(row).for_each(|(t, x)| *t += a * x);
            }
            taste = Some(sum);
        }
        Ok(Shopper {
            personal: !(recent.is_empty() && remembered.is_empty()),
            recent,
            recent_keys,
            recent_vectors,
            intent,
            evidence,
            repeats,
            taste,
            passed_over: IdSet::new(profile.passed_over(2)),
            profile: Some((profile, now_ms)),
        })
    }

    /// A token of the shopper of `profile` at `now_ms` for an edge worker's
    /// [`Ranker::rerank`], noised for `epsilon` from the device's secret `key` (see
    /// [`crate::token`]). The intent it carries has the repeat evidence folded in (as the
    /// vectors of the remembered items, at their weight): the item-by-item evidence the token
    /// cannot name.
    pub fn token(
        &mut self,
        profile: &Profile,
        now_ms: i64,
        epsilon: f64,
        key: &[u8; 32],
    ) -> Result<Token> {
        let dim = self.model.config.dim;
        if dim > MAX_TOKEN_DIM {
            return Err(Error::InvalidOptions(format!(
                "tokens carry models of at most {MAX_TOKEN_DIM} dimensions; this one has {dim}"
            )));
        }
        let shopper = self.shopper(profile, now_ms)?;
        let mut intent = shopper.intent;
        if !shopper.repeats.is_empty() {
            let items: Vec<&Item> = shopper.repeats.iter().map(|&(i, _)| i).collect();
            let rows = self.vectors(&items)?;
            let folded = intent.get_or_insert_with(|| vec![0.0; dim]);
            for ((_, bonus), row) in shopper.repeats.iter().zip(rows.chunks_exact(dim)) {
                folded
                    .iter_mut()
                    .zip(row)
                    .for_each(|(t, x)| *t += bonus * x);
            }
        }
        Token::issue(
            intent.as_deref(),
            shopper.taste.as_deref(),
            epsilon,
            self.model.token_tag(),
            now_ms,
            key,
        )
    }

    /// Re-orders a server's `results` for the shopper of `token` (read by [`Token::decode`]),
    /// as [`Ranker::rank`] would from the intent and taste it carries: what an edge worker runs,
    /// keeping nothing of the shopper between calls. The order is of places in `results`, best
    /// first, each id once (at its first place), unexplained: the edge keeps the server's items.
    pub fn rerank(
        &mut self,
        token: &Token,
        results: &[Item],
        options: &RankOptions,
    ) -> Result<Vec<usize>> {
        options.validate()?;
        let checked = self.checked(results)?;
        if checked.items.is_empty() {
            return Ok(Vec::new());
        }
        let shopper = Shopper::of_token(token);
        let picked = self.pick(shopper, &checked.encoded(), options)?;
        Ok(picked
            .order
            .into_iter()
            .map(|j| checked.places[j])
            .collect())
    }

    /// Every candidate's score, and what the reasons need of how it was worked out.
    fn score<'p>(
        &mut self,
        shopper: Shopper<'p>,
        encoded: &Encoded,
        options: &RankOptions,
    ) -> Result<Scored<'p>> {
        let &Encoded {
            items: ref candidates,
            keys,
            vectors,
        } = encoded;
        let n = candidates.len();
        let dim = self.model.config.dim;
        let blend = self.model.config.blend;

        // The query: content similarity plus word overlap.
        let query = options.query();
        let mut query_vector = None;
        let mut query_hits = vec![0f32; n];
        if let Some(q) = query {
            let probe = Item {
                title: Some(q.to_string()),
                ..Item::new(format!("query:{q}"))
            };
            query_vector = Some(self.model.encode_items(&[probe], false)?);
            let mut words = title_words(q);
            words.sort_unstable();
            words.dedup();
            for (h, c) in query_hits.iter_mut().zip(candidates) {
                *h = share_of_words(&words, c);
            }
        }

        // Every probe's similarities in one pass over the candidates' vectors.
        let (intent, taste) = (&shopper.intent, &shopper.taste);
        let probes: Vec<&[f32]> = [intent, taste, &query_vector]
            .into_iter()
            .flatten()
            .map(Vec::as_slice)
            .collect();
        let mut similarities = self.backend.similarities(vectors, dim, &probes).into_iter();
        let mut next = |probe: &Option<Vec<f32>>| probe.as_ref().and_then(|_| similarities.next());
        let (mut short, long, query_score) = (next(intent), next(taste), next(&query_vector));
        if !shopper.evidence.is_empty() {
            let short = short.get_or_insert_with(|| vec![0.0; n]);
            for (s, key) in short.iter_mut().zip(keys) {
                *s += shopper.evidence.get(key).copied().unwrap_or(0.0);
            }
        }

        let order_weight = if !shopper.personal && query.is_none() {
            1.0
        } else {
            options.keep_order_weight
        };
        // Score = (1 − order weight) · (the weighted terms − penalty) + order weight · 2 · the
        // incoming order, each term standardised over the candidates. A term that is absent
        // adds nothing, so it is not computed.
        let mut scores = vec![0f32; n];
        let mut add = |weight: f32, term: &[f32]| {
            for (s, t) in scores.iter_mut().zip(term) {
                *s += weight * t;
            }
        };
        let rest = 1.0 - order_weight;
        if let Some(short) = short {
            add(rest, &standardised(short));
        }
        if let Some(long) = long {
            add(blend.taste * rest, &standardised(long));
        }
        if let Some(query_score) = query_score {
            add(QUERY_SIMILARITY * rest, &standardised(query_score));
            add(QUERY_WORDS * rest, &query_hits);
        }
        if order_weight > 0.0 {
            let order = (0..n).map(|p| -((1 + p) as f32).ln()).collect();
            add(INCOMING_ORDER * order_weight, &standardised(order));
        }
        if !shopper.passed_over.is_empty() {
            for (j, s) in scores.iter_mut().enumerate() {
                if shopper.passed_over.contains(keys[j], candidates[j]) {
                    *s -= rest * blend.passed_over;
                }
            }
        }
        Ok(Scored {
            scores,
            shopper,
            query_hits,
        })
    }
}

/// Weight of the query's content similarity. This and [`QUERY_WORDS`] are documented defaults,
/// not learned: no data set reachable here has queries to learn them from.
const QUERY_SIMILARITY: f32 = 1.5;
/// Weight of the share of the query's words a candidate carries: a candidate with all of them
/// gains three standard deviations, so that a search answers the query first.
const QUERY_WORDS: f32 = 3.0;
/// Weight of the incoming order (standardised `−ln(1 + position)`), times `keepOrderWeight`: at
/// 0.5 the server's order counts twice as much as the short-term intent. A documented default.
const INCOMING_ORDER: f32 = 2.0;

/// What a ranking knows of the shopper: read from the profile on the device
/// ([`Ranker::shopper`]), or from a token at the edge ([`Shopper::of_token`]).
struct Shopper<'p> {
    /// Whether there is anything personal to rank by (else the incoming order stands).
    personal: bool,
    /// The visits the user encoder read, their id keys and vectors (`dim` per visit).
    recent: Vec<Engagement<&'p Item>>,
    recent_keys: Vec<u64>,
    recent_vectors: Vec<f32>,
    /// The user encoder's output.
    intent: Option<Vec<f32>>,
    /// Per id key, the sequence evidence added to the short-term term (successors of the
    /// latest item, repeats).
    evidence: KeyMap<f32>,
    /// The remembered items and their repeat bonus, which a token folds into its intent.
    repeats: Vec<(&'p Item, f32)>,
    /// The affinity-weighted sum of the remembered items' vectors.
    taste: Option<Vec<f32>>,
    passed_over: IdSet<'p>,
    /// The profile read, and when: what a ranking's exclusions and reasons read besides (none
    /// for a token).
    profile: Option<(&'p Profile, i64)>,
}

impl Shopper<'_> {
    /// The shopper as a token describes them: an intent and a taste, nothing item by item.
    fn of_token(token: &Token) -> Shopper<'static> {
        Shopper {
            personal: token.intent.is_some() || token.taste.is_some(),
            recent: Vec::new(),
            recent_keys: Vec::new(),
            recent_vectors: Vec::new(),
            intent: token.intent.clone(),
            evidence: KeyMap::default(),
            repeats: Vec::new(),
            taste: token.taste.clone(),
            passed_over: IdSet::new(std::iter::empty()),
            profile: None,
        }
    }
}

/// Candidates as [`Ranker::checked`] leaves them: each id once, checked, with their id keys and
/// vectors (`dim` per item).
struct Checked<'c> {
    items: Vec<Cow<'c, Item>>,
    keys: Vec<u64>,
    vectors: Vec<f32>,
    /// Each item's place in the list it was checked from.
    places: Vec<usize>,
}

impl Checked<'_> {
    fn encoded(&self) -> Encoded<'_> {
        Encoded {
            items: self.items.iter().map(|c| c.as_ref()).collect(),
            keys: &self.keys,
            vectors: &self.vectors,
        }
    }
}

/// Checked candidates as a ranking reads them, from [`Ranker::checked`] or a [`Catalog`]: each
/// with its id key and its vector (`dim` per item).
struct Encoded<'a> {
    items: Vec<&'a Item>,
    keys: &'a [u64],
    vectors: &'a [f32],
}

/// The candidates a ranking keeps, best first (indices into its candidates), with what
/// explaining them needs.
struct Picked<'p> {
    order: Vec<usize>,
    scored: Scored<'p>,
    purchased: IdSet<'p>,
}

/// A ranking's scores, and what its reasons need of how they were worked out.
struct Scored<'p> {
    /// Per candidate, higher first.
    scores: Vec<f32>,
    shopper: Shopper<'p>,
    /// Per candidate, the share of the query's words it carries.
    query_hits: Vec<f32>,
}

/// The reasons of one ranking, with everything that is the same for every candidate worked
/// out once: the latest item's successors, the top interests, the texts.
struct Explainer<'a> {
    dim: usize,
    /// The query, as the page shows it: "matches your search “…”".
    query: Option<String>,
    /// The latest engaged item, what often follows it, and the text saying so.
    last: Option<(&'a Item, KeySet, String)>,
    recent: &'a [Engagement<&'a Item>],
    recent_keys: &'a [u64],
    recent_vectors: &'a [f32],
    /// The positions in `recent` a candidate is compared with: the latest of each item (id and
    /// vector), since the latest of equally close ones is the reason. A shopper acts on the
    /// same few items again and again.
    distinct: Vec<usize>,
    /// "because you viewed …", per recent item.
    because: Vec<String>,
    /// The shopper's top interests, strongest first, and their texts.
    interests: Vec<Facet>,
    interest_texts: Vec<String>,
}

/// How many of the shopper's strongest interests a candidate is matched against.
const TOP_INTERESTS: usize = 5;

impl<'a> Explainer<'a> {
    fn new(model: &Model, shopper: &'a Shopper, query: Option<&str>) -> Self {
        let Shopper {
            recent,
            recent_keys,
            recent_vectors,
            profile,
            ..
        } = shopper;
        let interests: Vec<Facet> = profile.map_or_else(Vec::new, |(profile, now_ms)| {
            profile
                .interests(now_ms)
                .into_iter()
                .take(TOP_INTERESTS)
                .map(|i| i.facet)
                .collect()
        });
        let last = recent
            .last()
            .zip(recent_keys.last())
            .map(|(&Engagement { item, .. }, &key)| {
                let successors = if model.config.blend.transition > 0.0 {
                    model
                        .transitions
                        .successors(key)
                        .map(|(key, _)| key)
                        .collect()
                } else {
                    KeySet::default()
                };
                let text = format!("often chosen after {}", display_name(item));
                (item, successors, text)
            });
        let dim = model.config.dim;
        let mut seen = HashSet::new();
        let mut distinct: Vec<usize> = (0..recent.len())
            .rev()
            .filter(|&t| {
                let row = &recent_vectors[t * dim..(t + 1) * dim];
                seen.insert((
                    &recent[t].item.id,
                    row.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                ))
            })
            .collect();
        distinct.reverse();
        Explainer {
            dim,
            query: query.map(|q| format!("matches your search “{q}”")),
            last,
            recent,
            recent_keys,
            recent_vectors,
            distinct,
            because: recent
                .iter()
                .map(|v| format!("because you {} {}", verb(v.kind), display_name(v.item)))
                .collect(),
            interest_texts: interests
                .iter()
                .map(|f| format!("matches your interest in {}", f.label))
                .collect(),
            interests,
        }
    }

    /// Why `c` (id key `key`, vector `v`) was ranked: strongest first.
    fn reasons(&self, c: &Item, key: u64, v: &[f32], answers: bool, bought: bool) -> Vec<Reason> {
        let mut reasons = Vec::new();
        if let Some(text) = self.query.as_ref().filter(|_| answers) {
            reasons.push(Reason::MatchesQuery { text: text.clone() });
        }
        if let Some((last, _, text)) = self
            .last
            .as_ref()
            .filter(|(last, next, _)| last.id != c.id && next.contains(&key))
        {
            reasons.push(Reason::OftenNext {
                text: text.clone(),
                item: last.id.clone(),
            });
        }
        if let Some(t) = self.closest(v, key, &c.id) {
            let Engagement {
                item, kind: action, ..
            } = self.recent[t];
            reasons.push(Reason::SimilarTo {
                text: self.because[t].clone(),
                item: item.id.clone(),
                action,
            });
        }
        if bought {
            reasons.push(Reason::BoughtBefore {
                text: "you bought this before".into(),
            });
        }
        if let Some(i) = first_facet_of(&self.interests, c) {
            reasons.push(Reason::Interest {
                text: self.interest_texts[i].clone(),
                label: self.interests[i].label.clone(),
            });
        }
        reasons
    }

    /// The recent item most similar to `v` (cosine ≥ 0.5), other than the candidate itself
    /// (id key `key`): its position in `recent`.
    fn closest(&self, v: &[f32], key: u64, id: &str) -> Option<usize> {
        let itself = |t: usize| self.recent_keys[t] == key && self.recent[t].item.id == id;
        let row = |t: usize| &self.recent_vectors[t * self.dim..(t + 1) * self.dim];
        self.distinct
            .iter()
            .filter(|&&t| !itself(t))
            .map(|&t| (t, dot(row(t), v)))
            .filter(|&(_, s)| s >= 0.5)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(t, _)| t)
    }
}

/// The share of the query's distinct `words` (its [`title_words`], sorted) that the item's
/// text carries, as words of its title, category, brand and tags read together.
fn share_of_words(words: &[String], item: &Item) -> f32 {
    if words.is_empty() {
        return 0.0;
    }
    let fields = [&item.title, &item.category, &item.brand]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .chain(item.tags.iter().map(String::as_str));
    // One bit per query word (at most MAX_TITLE_WORDS of them). ASCII text, the usual case, is
    // split and lowercased byte by byte as it is compared, nothing copied; other text as
    // `title_words` reads it.
    const _: () = assert!(MAX_TITLE_WORDS <= 32);
    let mut found = 0u32;
    let mut read = 0;
    let mut find = |at: Result<usize, usize>| {
        if let Ok(i) = at {
            found |= 1 << i;
        }
        read += 1;
        read < MAX_TITLE_WORDS
    };
    for field in fields {
        let more = if field.is_ascii() {
            field
                .as_bytes()
                .split(|b| !b.is_ascii_alphanumeric())
                .filter(|w| w.len() > 1)
                .all(|word| {
                    let lower = || word.iter().map(|b| b.to_ascii_lowercase());
                    find(words.binary_search_by(|w| w.bytes().cmp(lower())))
                })
        } else {
            title_word_slices(field).all(|word| {
                let lower = word.to_lowercase();
                find(words.binary_search_by(|w| w.as_str().cmp(&lower)))
            })
        };
        if !more {
            break;
        }
    }
    found.count_ones() as f32 / words.len() as f32
}

/// A set of item ids, looked up by their id keys first: a candidate that is not in it (almost
/// all of them) costs one lookup of a number, not the hashing of its id.
struct IdSet<'a> {
    keys: KeySet,
    ids: HashSet<&'a str>,
}

impl<'a> IdSet<'a> {
    fn new(ids: impl Iterator<Item = &'a str>) -> Self {
        let ids: HashSet<&str> = ids.collect();
        IdSet {
            keys: ids.iter().map(|id| id_key(id)).collect(),
            ids,
        }
    }

    fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether `item`, whose id key is `key`, is in the set. The item is read only if the key
    /// is there: reading 100,000 items scattered in memory was most of ranking a catalog.
    fn contains(&self, key: u64, item: &Item) -> bool {
        self.keys.contains(&key) && self.has_id(item)
    }

    /// Kept out of line, so that the compiler cannot read `item` before the key is found.
    #[inline(never)]
    fn has_id(&self, item: &Item) -> bool {
        self.ids.contains(item.id.as_str())
    }
}

/// Most positions that diversity re-orders: without `k` (or with a larger one), the first
/// `DIVERSE_HEAD` results are chosen for variety and the rest follow by score, so that ranking
/// a whole catalog with diversity stays linear in its size.
pub const DIVERSE_HEAD: usize = 100;

/// How many of the best-scoring candidates diversity chooses from, per position it fills:
/// maximal marginal relevance over the top `DIVERSE_POOL × k` (at least [`DIVERSE_HEAD`])
/// rather than over every candidate, which cost O(n·k) dot products.
pub const DIVERSE_POOL: usize = 4;

/// Greedy top-`k` by score; with `diversity` > 0, maximal marginal relevance over the best
/// candidates (see [`DIVERSE_HEAD`], [`DIVERSE_POOL`]): each pick trades score against
/// similarity to what was already picked. O(n + k·m·dim) for a pool of `m` best candidates.
fn select(
    pool: &mut Vec<usize>,
    scores: &[f32],
    vectors: &[f32],
    dim: usize,
    diversity: f32,
    k: usize,
) -> Vec<usize> {
    let best_first = |&a: &usize, &b: &usize| scores[b].total_cmp(&scores[a]).then(a.cmp(&b));
    // The best `k` in order (a storefront's rail is ten of thousands): the order is total,
    // so this is the full sort's first `k`.
    let top = |pool: &mut Vec<usize>, k: usize| {
        if k < pool.len() {
            if k > 0 {
                pool.select_nth_unstable_by(k - 1, best_first);
            }
            pool.truncate(k);
        }
        pool.sort_by(best_first);
    };
    if diversity <= 0.0 {
        top(pool, k);
        return std::mem::take(pool);
    }
    let head = k.min(DIVERSE_HEAD);
    let choices = (DIVERSE_POOL * head).max(DIVERSE_HEAD);
    top(pool, k.max(choices));
    let mut rest = pool.split_off(choices.min(pool.len()));
    let mut picked = diverse(pool, scores, vectors, dim, diversity, head);
    // After the diverse head, by score: what it left of its choices, then the rest.
    pool.sort_by(best_first);
    picked.append(pool);
    picked.append(&mut rest);
    picked.truncate(k);
    picked
}

/// Maximal marginal relevance: `k` picks from `pool` (sorted best first), taken out of it.
fn diverse(
    pool: &mut Vec<usize>,
    scores: &[f32],
    vectors: &[f32],
    dim: usize,
    diversity: f32,
    k: usize,
) -> Vec<usize> {
    let row = |j: usize| &vectors[j * dim..(j + 1) * dim];
    let spread = pool.first().map_or(1.0, |&f| scores[f]) - pool.last().map_or(0.0, |&l| scores[l]);
    let mut max_sim = vec![f32::NEG_INFINITY; scores.len()];
    let mut picked = Vec::with_capacity(k);
    while picked.len() < k && !pool.is_empty() {
        let value = |j: usize| {
            let sim = if picked.is_empty() { 0.0 } else { max_sim[j] };
            (1.0 - diversity) * scores[j] / spread.max(1e-6) - diversity * sim
        };
        let best = (0..pool.len())
            .max_by(|&a, &b| value(pool[a]).total_cmp(&value(pool[b])).then(b.cmp(&a)))
            .unwrap_or(0);
        let j = pool.swap_remove(best);
        for &o in pool.iter() {
            max_sim[o] = max_sim[o].max(dot(row(o), row(j)));
        }
        picked.push(j);
    }
    picked
}

/// `xs` as z-scores (all zero when they do not vary), in place: what makes the weights of the
/// terms mean the same whatever the candidates.
fn standardised(mut xs: Vec<f32>) -> Vec<f32> {
    let n = xs.len().max(1) as f32;
    let mean = xs.iter().sum::<f32>() / n;
    let std = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / n).sqrt();
    let scale = if std > 1e-9 { 1.0 / std } else { 0.0 };
    xs.iter_mut().for_each(|x| *x = (*x - mean) * scale);
    xs
}

fn display_name(item: &Item) -> String {
    item.title.clone().unwrap_or_else(|| item.id.clone())
}

fn verb(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Purchase => "bought",
        EventKind::AddToCart => "added to your cart",
        EventKind::Click | EventKind::View | EventKind::Dwell | EventKind::Impression => "viewed",
        EventKind::Search => "searched for",
    }
}

/// Maps keyed by [`content_key`]s, which are hashes already: hashing them again (with the
/// default SipHash) was a measurable part of ranking a thousand new items.
type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;
type KeySet = HashSet<u64, BuildHasherDefault<KeyHasher>>;

/// Passes a `u64` key through as its own hash.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed; anything else still gets a usable hash.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Cache key of an item's vector: everything the encoder reads. `buf` is scratch space, so
/// keying a thousand candidates allocates once.
fn content_key(item: &Item, buf: &mut Vec<u8>) -> u64 {
    buf.clear();
    for part in item.texts() {
        buf.extend_from_slice(part.unwrap_or("").as_bytes());
        buf.push(0x1f);
    }
    let price = item.price.map_or(u64::MAX, |p| u64::from(p.to_bits()));
    buf.extend_from_slice(&price.to_le_bytes());
    for t in &item.tags {
        buf.push(0x1f);
        buf.extend_from_slice(t.as_bytes());
    }
    xxhash_rust::xxh64::xxh64(buf, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What `share_of_words` must equal: the item's text read by `title_words` (lowercased
    /// copies), field after field, at most MAX_TITLE_WORDS words.
    fn share_by_copies(words: &[String], item: &Item) -> f32 {
        let fields = [&item.title, &item.category, &item.brand]
            .into_iter()
            .flatten()
            .chain(&item.tags);
        let read: Vec<String> = fields
            .flat_map(|f| title_words(f))
            .take(MAX_TITLE_WORDS)
            .collect();
        let found = words.iter().filter(|w| read.contains(w)).count();
        found as f32 / words.len() as f32
    }

    /// Text of words from a small vocabulary, ASCII or not, in any case, with separators.
    fn text() -> impl Strategy<Value = String> {
        "((bag|BAG|Bag|tin|TIN|a|ÉTÉ|été|straße|STRASSE|ΣΑΣ|σας|42)[ ,./-]{1,2}){0,20}"
    }

    proptest! {
        #[test]
        fn share_of_words_reads_text_as_title_words_do(
            query in text(),
            title in text(),
            category in proptest::option::of(text()),
            tags in proptest::collection::vec(text(), 0..3),
        ) {
            let mut words = title_words(&query);
            words.sort_unstable();
            words.dedup();
            prop_assume!(!words.is_empty());
            let item = Item {
                title: Some(title),
                category,
                tags,
                ..Item::new("i")
            };
            prop_assert_eq!(share_of_words(&words, &item), share_by_copies(&words, &item));
        }
    }
}
