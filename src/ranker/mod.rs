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
//! Then exclusions, optional diversity (maximal marginal relevance) and the top `k`. A prepared
//! catalog's scores can also be worked out elsewhere, on a GPU, with the same results (`plan`).

use std::borrow::{Borrow, Cow};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::event::EventKind;
use crate::features::{id_key, title_word_slices, title_words, MAX_TITLE_WORDS};
use crate::item::Item;
use crate::model::{dot, KindInput, Model, Step};
use crate::profile::{first_facet_of, Facet, Profile, DWELL_UNIT_MS};
use crate::sequence::{self, Engagement};
use crate::token::{Token, MAX_TOKEN_DIM};

mod plan;

pub use plan::{CatalogPlan, Scoring, SPARE};

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

/// For each probe, its dot product with each row of `vectors` (`n × dim`, row-major). Row by
/// row, every probe: the vectors are read from memory once.
fn dot_products(vectors: &[f32], dim: usize, probes: &[&[f32]]) -> Vec<Vec<f32>> {
    let mut out = vec![Vec::with_capacity(vectors.len() / dim.max(1)); probes.len()];
    for row in vectors.chunks_exact(dim) {
        for (o, p) in out.iter_mut().zip(probes) {
            o.push(dot(row, p));
        }
    }
    out
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
    dim: usize,
    /// The [`Ranker::id`] that encoded it.
    ranker: u64,
    /// Worked out by the first [`Ranker::plan_catalog`].
    moments: OnceLock<plan::Moments>,
}

impl Catalog {
    /// The items, as checked.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// How many items it holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A model plus a cache of item vectors: what a page keeps for its lifetime.
pub struct Ranker {
    /// Distinguishes rankers, so a catalog is ranked only by the model that encoded it.
    id: u64,
    model: Model,
    /// Cached item vectors: content key → row of `rows`.
    cache: KeyMap<usize>,
    /// The cached vectors, row-major, in one allocation.
    rows: Vec<f32>,
    /// The last intent computed, keyed by the sequence it was computed from: ranking again
    /// before the shopper does anything new skips the user encoder.
    intent: Option<(u64, Vec<f32>)>,
}

impl Ranker {
    /// A ranker of `model`'s.
    pub fn new(model: Model) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        Ranker {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            model,
            cache: KeyMap::default(),
            rows: Vec::new(),
            intent: None,
        }
    }

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
            dim: self.model.config.dim,
            ranker: self.id,
            moments: OnceLock::new(),
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
        self.check_catalog(catalog, options)?;
        Ok(Encoded {
            items: catalog.items.iter().collect(),
            keys: &catalog.keys,
            vectors: &catalog.vectors,
        })
    }

    /// Refuses invalid options, and a catalog another ranker (another model) prepared.
    fn check_catalog(&self, catalog: &Catalog, options: &RankOptions) -> Result<()> {
        options.validate()?;
        if catalog.ranker != self.id {
            return Err(Error::InvalidOptions(
                "this catalog was prepared by another personalizer; prepare it with this one"
                    .into(),
            ));
        }
        Ok(())
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
        if encoded.items.is_empty() {
            return Ok(Vec::new());
        }
        let scored = self.score(shopper, encoded, options)?;
        Ok(self.explained(self.pick(scored, encoded, options), encoded, options))
    }

    /// The scored candidates a ranking keeps, best first: less the exclusions, chosen for
    /// diversity when asked, at most `k`.
    fn pick<'p>(&self, scored: Scored<'p>, encoded: &Encoded, options: &RankOptions) -> Picked<'p> {
        let n = encoded.items.len();
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
        Picked {
            order,
            scored,
            purchased,
        }
    }

    /// The picked candidates with their scores and reasons.
    fn explained(&self, picked: Picked, encoded: &Encoded, options: &RankOptions) -> Vec<Ranked> {
        let Picked {
            order,
            scored,
            purchased,
        } = picked;
        let &Encoded {
            items: ref candidates,
            keys,
            vectors,
        } = encoded;
        let dim = self.model.config.dim;
        let why = Explainer::new(&self.model, &scored.shopper, options.query());
        order
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
            .collect()
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
        let encoded = checked.encoded();
        let scored = self.score(Shopper::of_token(token), &encoded, options)?;
        Ok(self
            .pick(scored, &encoded, options)
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
        let query = self.query(options)?;
        let weights = Weights::new(&self.model, &shopper, query.as_ref(), options);
        let order = (weights.order != 0.0).then(|| incoming_order(encoded.items.len()));
        let order = |j: usize| order.as_ref().map_or(0.0, |o| o[j]);
        Ok(self.score_terms(shopper, encoded, query.as_ref(), &weights, None, order))
    }

    /// [`Ranker::score`] with the query encoded and the weights set: each similarity term
    /// standardised by `standards` where given (from a catalog's moments), else over
    /// `encoded`; `order(j)` is candidate `j`'s standardised incoming order.
    fn score_terms<'p>(
        &self,
        shopper: Shopper<'p>,
        encoded: &Encoded,
        query: Option<&Query>,
        weights: &Weights,
        standards: Option<&[Standard]>,
        order: impl Fn(usize) -> f32,
    ) -> Scored<'p> {
        let &Encoded {
            items: ref candidates,
            keys,
            vectors,
        } = encoded;
        let n = candidates.len();
        let terms = weights.similarities(&shopper, query);

        // Every probe's similarities in one pass over the candidates' vectors, then each term's
        // values (plus the evidence by id).
        let probes: Vec<&[f32]> = terms.iter().filter_map(|t| t.probe).collect();
        let mut dots = dot_products(vectors, self.model.config.dim, &probes).into_iter();
        let values: Vec<Vec<f32>> = terms
            .iter()
            .map(|t| {
                let mut x = match t.probe {
                    Some(_) => dots.next().unwrap_or_default(),
                    None => vec![0.0; n],
                };
                if let Some(evidence) = t.evidence {
                    for (x, key) in x.iter_mut().zip(keys) {
                        *x += evidence.get(key).copied().unwrap_or(0.0);
                    }
                }
                x
            })
            .collect();
        let blend = match standards {
            Some(given) => weights.blend(&terms, given.iter().copied()),
            None => weights.blend(&terms, values.iter().map(|x| Standard::of(x))),
        };
        let query_hits: Vec<f32> = match query {
            Some(q) => candidates
                .iter()
                .map(|c| share_of_words(&q.words, c))
                .collect(),
            None => vec![0.0; n],
        };
        let scores = (0..n)
            .map(|j| {
                blend.score(
                    values.iter().map(|x| x[j]),
                    query_hits[j],
                    order(j),
                    shopper.passed_over.contains(keys[j], candidates[j]),
                )
            })
            .collect();
        Scored {
            scores,
            shopper,
            query_hits,
        }
    }

    /// The query of `options`, encoded, with its words.
    fn query(&self, options: &RankOptions) -> Result<Option<Query>> {
        let Some(q) = options.query() else {
            return Ok(None);
        };
        let probe = Item {
            title: Some(q.to_string()),
            ..Item::new(format!("query:{q}"))
        };
        let mut words = title_words(q);
        words.sort_unstable();
        words.dedup();
        Ok(Some(Query {
            vector: self.model.encode_items(&[probe], false)?,
            words,
        }))
    }
}

/// A search query as a ranking reads it.
struct Query {
    /// Its content vector.
    vector: Vec<f32>,
    /// Its distinct [`title_words`], sorted.
    words: Vec<String>,
}

/// The weights of a ranking's terms, for one shopper and query.
///
/// Score = (1 − order weight) · (the weighted similarity terms + `QUERY_WORDS` · the share of
/// the query's words − the passed-over penalty) + order weight · `INCOMING_ORDER` · the
/// incoming order, each similarity term and the order standardised over the candidates. A term
/// that is absent adds nothing, so it is not computed.
struct Weights {
    /// What the similarity terms share (the part of the score the order leaves).
    rest: f32,
    taste: f32,
    order: f32,
    passed_over: f32,
}

impl Weights {
    fn new(model: &Model, shopper: &Shopper, query: Option<&Query>, options: &RankOptions) -> Self {
        // Nothing personal and no query: the incoming order stands.
        let order = if !shopper.personal && query.is_none() {
            1.0
        } else {
            options.keep_order_weight
        };
        let rest = 1.0 - order;
        let blend = model.config.blend;
        Weights {
            rest,
            taste: blend.taste * rest,
            order: INCOMING_ORDER * order,
            passed_over: blend.passed_over * rest,
        }
    }

    /// The similarity terms, in the order [`Blend`] weighs them: the short-term intent (with
    /// the sequence evidence by id), the long-term taste, the query's content.
    fn similarities<'s>(&self, shopper: &'s Shopper, query: Option<&'s Query>) -> Vec<Term<'s>> {
        let evidence = Some(&shopper.evidence).filter(|e| !e.is_empty());
        let short = (shopper.intent.is_some() || evidence.is_some()).then_some(Term {
            probe: shopper.intent.as_deref(),
            evidence,
            weight: self.rest,
        });
        let taste = shopper.taste.as_deref().map(|t| Term {
            probe: Some(t),
            evidence: None,
            weight: self.taste,
        });
        let query = query.map(|q| Term {
            probe: Some(q.vector.as_slice()),
            evidence: None,
            weight: QUERY_SIMILARITY * self.rest,
        });
        [short, taste, query].into_iter().flatten().collect()
    }

    /// The weight of the share of the query's words.
    fn words(&self) -> f32 {
        QUERY_WORDS * self.rest
    }

    /// How the score is put together from `terms` (as [`Weights::similarities`] gives them),
    /// standardised by `standards`.
    fn blend(&self, terms: &[Term], standards: impl Iterator<Item = Standard>) -> Blend {
        Blend {
            terms: terms.iter().map(|t| t.weight).zip(standards).collect(),
            words: self.words(),
            order: self.order,
            passed_over: self.passed_over,
        }
    }
}

/// How a candidate's score is put together from its terms: the one definition that scoring
/// on the CPU and finishing a ranking scored elsewhere ([`CatalogPlan`]) share, so that they
/// agree to the bit.
struct Blend {
    /// Each similarity term's weight and standardisation.
    terms: Vec<(f32, Standard)>,
    /// The weights of the share of the query's words, of the standardised incoming order, and
    /// the passed-over penalty.
    words: f32,
    order: f32,
    passed_over: f32,
}

impl Blend {
    /// The score of a candidate with these similarity terms (`values`, in the terms' order),
    /// share of the query's words, standardised incoming order, and passed over or not.
    fn score(
        &self,
        values: impl Iterator<Item = f32>,
        words: f32,
        order: f32,
        passed_over: bool,
    ) -> f32 {
        let mut score = 0.0;
        for (&(weight, standard), x) in self.terms.iter().zip(values) {
            score += weight * standard.z(x);
        }
        score += self.words * words;
        score += self.order * order;
        if passed_over {
            score -= self.passed_over;
        }
        score
    }
}

/// A term's mean and the inverse of its standard deviation over the candidates, worked out in
/// f64 whether from the values ([`Standard::of`]) or from a catalog's moments: what makes the
/// weights of the terms mean the same whatever the candidates.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Standard {
    mean: f32,
    scale: f32,
}

/// A term whose standard deviation is below this share of its root mean square does not vary
/// beyond the rounding of its values: it is left out (scale 0) rather than blown up.
const ROUNDING: f64 = 1e-6;

impl Standard {
    fn of(xs: &[f32]) -> Self {
        let n = xs.len().max(1) as f64;
        let mean = xs.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let variance = xs
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n;
        Standard::new(mean, variance)
    }

    fn new(mean: f64, variance: f64) -> Self {
        let variance = variance.max(0.0);
        let (std, rms) = (variance.sqrt(), (variance + mean * mean).sqrt());
        let scale = if std > ROUNDING * rms { 1.0 / std } else { 0.0 };
        Standard {
            mean: mean as f32,
            scale: scale as f32,
        }
    }

    /// `x` as a z-score.
    fn z(self, x: f32) -> f32 {
        (x - self.mean) * self.scale
    }
}

/// The incoming order of `n` candidates as the ranking weighs it: `−ln(1 + position)`,
/// standardised.
fn incoming_order(n: usize) -> Vec<f32> {
    let order: Vec<f32> = (0..n).map(|p| -((1 + p) as f32).ln()).collect();
    let standard = Standard::of(&order);
    order.into_iter().map(|x| standard.z(x)).collect()
}

/// A similarity term of the score: a probe's similarity to each candidate (0 without one)
/// plus, for the short-term one, the sequence evidence by id key; weighed once standardised.
struct Term<'s> {
    probe: Option<&'s [f32]>,
    evidence: Option<&'s KeyMap<f32>>,
    weight: f32,
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

/// The words of `item` a search looks for its words in: the [`title_words`] of its title,
/// category, brand and tags, read together, at most [`MAX_TITLE_WORDS`].
fn searched_words(item: &Item) -> impl Iterator<Item = String> + '_ {
    [&item.title, &item.category, &item.brand]
        .into_iter()
        .flatten()
        .chain(&item.tags)
        .flat_map(|field| title_words(field))
        .take(MAX_TITLE_WORDS)
}

/// The share of the query's distinct `words` (its [`title_words`], sorted) among the item's
/// [`searched_words`], read byte by byte where the text is ASCII.
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

    /// What `share_of_words` must equal: the share of `words` among the item's
    /// `searched_words` (lowercased copies).
    fn share_by_copies(words: &[String], item: &Item) -> f32 {
        let read: Vec<String> = searched_words(item).collect();
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
