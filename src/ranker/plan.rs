//! Ranking a prepared catalog with its scoring done elsewhere (a GPU: `tastebud-gpu`), with the
//! CPU's results.
//!
//! Once each term's standardisation is known, a ranking's score is linear in the catalog's
//! vectors, and the catalog's moments (its mean vector and covariance, worked out once) give
//! the standardisations without every score. So [`Ranker::plan_catalog`] turns a ranking into a
//! [`Scoring`]: probe vectors with weights, the incoming order's weight, and additions to single
//! items (the sequence evidence, the query's words, the passed-over penalty). The other device
//! scores every item and returns the best [`CatalogPlan::fetch`]; [`Ranker::finish_catalog`]
//! scores those again here, exactly as [`Ranker::rank_catalog`] does, then excludes,
//! diversifies and explains them as it does. The few spare ones fetched ([`SPARE`]) absorb the
//! other device's rounding, so that the ones kept are the CPU's.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{
    incoming_order, searched_words, Catalog, Encoded, IdSet, Query, RankOptions, Ranked, Ranker,
    Shopper, Standard, Term, Weights, DIVERSE_HEAD, DIVERSE_POOL,
};
use crate::error::{Error, Result};
use crate::features::id_key;
use crate::profile::Profile;

/// Candidates a plan fetches beyond the ones its ranking can keep. The other device's scores
/// differ from the CPU's by its rounding (well under 1e-5 in `tastebud-gpu`'s tests); a
/// candidate it ranks below the spare ones would have to be within that of all of them to
/// belong among the kept.
pub const SPARE: usize = 16;

/// A ranking of a catalog as one linear scoring of its vectors: item `i` scores
/// `Σ weight · (probe · vᵢ) + order_weight · orderᵢ + the additions to i`, where `orderᵢ` is
/// [`Catalog::incoming_order`]. It orders the items as the ranking's scores do (they differ by
/// a constant).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scoring {
    /// Probe vectors (of the catalog's dimensions) and their weights.
    pub probes: Vec<(Vec<f32>, f32)>,
    /// The weight of the standardised incoming order.
    pub order_weight: f32,
    /// `(index, addition)`: an index named twice gets both.
    pub additions: Vec<(u32, f32)>,
}

/// A ranking of a catalog planned by [`Ranker::plan_catalog`]: the [`Scoring`] for another
/// device to run, how many of its best to return, and what [`Ranker::finish_catalog`] needs.
pub struct CatalogPlan<'p, 'c> {
    scoring: Scoring,
    fetch: usize,
    catalog: &'c Catalog,
    shopper: Shopper<'p>,
    query: Option<Query>,
    weights: Weights,
    standards: Vec<Standard>,
    options: RankOptions,
}

impl CatalogPlan<'_, '_> {
    /// What to score every item of the catalog by.
    pub fn scoring(&self) -> &Scoring {
        &self.scoring
    }

    /// How many of the best-scoring items [`Ranker::finish_catalog`] needs, in any order.
    pub fn fetch(&self) -> usize {
        self.fetch
    }
}

/// What planning rankings of a catalog needs of it, worked out once (on the first plan).
#[derive(Debug, Clone)]
pub(super) struct Moments {
    /// The vectors' mean and covariance (`dim × dim`, row-major), in f64.
    mean: Vec<f64>,
    covariance: Vec<f64>,
    /// The standardised incoming order, one term per item.
    order: Vec<f32>,
    /// `(id key, index)`, sorted: where evidence or an exclusion by id applies.
    by_key: Vec<(u64, u32)>,
    /// Each word's items, as a query's words are looked for in them ([`searched_words`]):
    /// built on the first plan with a query, so that the next ones do not read every item.
    words: OnceLock<HashMap<String, Vec<u32>>>,
}

impl Moments {
    fn of(catalog: &Catalog) -> Moments {
        let (n, dim) = (catalog.items.len(), catalog.dim);
        let rows = || catalog.vectors.chunks_exact(dim.max(1));
        let mut mean = vec![0f64; dim];
        for row in rows() {
            mean.iter_mut()
                .zip(row)
                .for_each(|(m, &x)| *m += f64::from(x));
        }
        mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
        // Two passes (the mean, then the centred products) keep the variance of a term that
        // barely varies free of cancellation.
        let mut covariance = vec![0f64; dim * dim];
        let mut centred = vec![0f64; dim];
        for row in rows() {
            centred
                .iter_mut()
                .zip(row.iter().zip(&mean))
                .for_each(|(c, (&x, m))| *c = f64::from(x) - m);
            for (a, &ca) in centred.iter().enumerate() {
                let line = &mut covariance[a * dim..(a + 1) * dim];
                line[a..]
                    .iter_mut()
                    .zip(&centred[a..])
                    .for_each(|(s, &cb)| *s += ca * cb);
            }
        }
        for a in 0..dim {
            for b in a..dim {
                let c = covariance[a * dim + b] / n.max(1) as f64;
                covariance[a * dim + b] = c;
                covariance[b * dim + a] = c;
            }
        }
        let mut by_key: Vec<(u64, u32)> = catalog.keys.iter().copied().zip(0..).collect();
        by_key.sort_unstable();
        Moments {
            mean,
            covariance,
            order: incoming_order(n),
            by_key,
            words: OnceLock::new(),
        }
    }

    /// For each item of `catalog` that carries any of `query`'s words, the share of them it
    /// carries, as [`super::share_of_words`] reads it, from the word index.
    fn shares_of_words(&self, catalog: &Catalog, query: &Query) -> Vec<(usize, f32)> {
        let index = self.words.get_or_init(|| {
            let mut index: HashMap<String, Vec<u32>> = HashMap::new();
            for (j, item) in (0u32..).zip(&catalog.items) {
                let mut words: Vec<String> = searched_words(item).collect();
                words.sort_unstable();
                words.dedup();
                for word in words {
                    index.entry(word).or_default().push(j);
                }
            }
            index
        });
        let mut found: HashMap<usize, u32> = HashMap::new();
        for word in &query.words {
            for &j in index.get(word).into_iter().flatten() {
                *found.entry(j as usize).or_default() += 1;
            }
        }
        let mut shares: Vec<(usize, f32)> = found
            .into_iter()
            .map(|(j, n)| (j, n as f32 / query.words.len() as f32))
            .collect();
        shares.sort_unstable_by_key(|&(j, _)| j);
        shares
    }

    /// The indices of the items whose id key is `key`.
    fn indices(&self, key: u64) -> impl Iterator<Item = usize> + '_ {
        let from = self.by_key.partition_point(|&(k, _)| k < key);
        self.by_key[from..]
            .iter()
            .take_while(move |&&(k, _)| k == key)
            .map(|&(_, i)| i as usize)
    }

    /// The indices of the items of `catalog` in `ids`.
    fn members<'a>(
        &'a self,
        catalog: &'a Catalog,
        ids: &'a IdSet,
    ) -> impl Iterator<Item = usize> + 'a {
        ids.ids.iter().flat_map(move |id| {
            self.indices(id_key(id))
                .filter(move |&j| catalog.items[j].id == *id)
        })
    }

    /// How `term` is standardised over the catalog, and the evidence it adds by item.
    fn standard(&self, catalog: &Catalog, term: &Term) -> (Standard, Vec<(usize, f32)>) {
        let (n, dim) = (catalog.items.len().max(1) as f64, catalog.dim);
        let dot64 = |p: &[f32], v: &[f64]| -> f64 {
            p.iter().zip(v).map(|(&a, &b)| f64::from(a) * b).sum()
        };
        // The probe's similarity y = p·v: its mean and variance from the moments.
        let (mean_y, variance_y) = term.probe.map_or((0.0, 0.0), |p| {
            let spread: f64 = p
                .iter()
                .zip(self.covariance.chunks_exact(dim))
                .map(|(&a, line)| f64::from(a) * dot64(p, line))
                .sum();
            (dot64(p, &self.mean), spread)
        });
        // x = y + e, with the evidence e on a few items: Σ(x − x̄)² = Σ(y − ȳ)² + 2·Σ(y − ȳ)·e
        // + Σe² − (Σe)²/n.
        let mut evidence = Vec::new();
        let (mut sum, mut cross, mut squares) = (0f64, 0f64, 0f64);
        for (&key, &e) in term.evidence.into_iter().flatten() {
            for j in self.indices(key) {
                let row = &catalog.vectors[j * dim..(j + 1) * dim];
                let y = term.probe.map_or(0.0, |p| {
                    p.iter()
                        .zip(row)
                        .map(|(&a, &b)| f64::from(a) * f64::from(b))
                        .sum()
                });
                let e64 = f64::from(e);
                sum += e64;
                cross += (y - mean_y) * e64;
                squares += e64 * e64;
                evidence.push((j, e));
            }
        }
        let mean = mean_y + sum / n;
        let variance = variance_y + (2.0 * cross + squares - sum * sum / n) / n;
        (Standard::new(mean, variance), evidence)
    }
}

impl Catalog {
    /// The items' vectors' dimensions.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The items' vectors, `len() × dim()`, row-major: what a [`Scoring`] weighs.
    pub fn vectors(&self) -> &[f32] {
        &self.vectors
    }

    /// The standardised incoming order, one term per item: what [`Scoring::order_weight`]
    /// weighs.
    pub fn incoming_order(&self) -> &[f32] {
        &self.moments().order
    }

    fn moments(&self) -> &Moments {
        self.moments.get_or_init(|| Moments::of(self))
    }
}

impl Ranker {
    /// Plans [`Ranker::rank_catalog`] for another device to score: see [`CatalogPlan`]. The
    /// first plan of a catalog works out its moments (about `len · dim²` operations).
    pub fn plan_catalog<'p, 'c>(
        &mut self,
        profile: &'p Profile,
        catalog: &'c Catalog,
        options: &RankOptions,
        now_ms: i64,
    ) -> Result<CatalogPlan<'p, 'c>> {
        self.check_catalog(catalog, options)?;
        let shopper = self.shopper(profile, now_ms)?;
        let query = self.query(options)?;
        let weights = Weights::new(&self.model, &shopper, query.as_ref(), options);
        let moments = catalog.moments();
        let n = catalog.len();

        let mut scoring = Scoring {
            order_weight: weights.order,
            ..Scoring::default()
        };
        let mut standards = Vec::new();
        for term in weights.similarities(&shopper, query.as_ref()) {
            let (standard, evidence) = moments.standard(catalog, &term);
            standards.push(standard);
            let weight = term.weight * standard.scale;
            if weight == 0.0 {
                continue;
            }
            if let Some(p) = term.probe {
                scoring.probes.push((p.to_vec(), weight));
            }
            scoring
                .additions
                .extend(evidence.into_iter().map(|(j, e)| (j as u32, weight * e)));
        }
        if let Some(q) = &query {
            scoring.additions.extend(
                moments
                    .shares_of_words(catalog, q)
                    .into_iter()
                    .map(|(j, share)| (j as u32, weights.words() * share)),
            );
        }
        if weights.passed_over != 0.0 {
            scoring.additions.extend(
                moments
                    .members(catalog, &shopper.passed_over)
                    .map(|j| (j as u32, -weights.passed_over)),
            );
        }

        // As many as the ranking can keep (those diversity chooses from, with it), plus the
        // excluded ones, which may be among the best, plus the spare ones.
        let excluded = IdSet::new(options.exclude.iter().map(String::as_str));
        let purchased = IdSet::new(profile.purchased_ids());
        let mut out: Vec<usize> = moments.members(catalog, &excluded).collect();
        if options.exclude_purchased {
            out.extend(moments.members(catalog, &purchased));
        }
        out.sort_unstable();
        out.dedup();
        let k = options.k.unwrap_or(n).min(n - out.len());
        let kept = if options.diversity > 0.0 {
            k.max((DIVERSE_POOL * k.min(DIVERSE_HEAD)).max(DIVERSE_HEAD))
        } else {
            k
        };
        Ok(CatalogPlan {
            scoring,
            fetch: (kept + out.len() + SPARE).min(n),
            catalog,
            shopper,
            query,
            weights,
            standards,
            options: options.clone(),
        })
    }

    /// Finishes `plan` from `best`, the indices of (at least) the [`CatalogPlan::fetch`]
    /// best-scoring items under its [`Scoring`], in any order: what [`Ranker::rank_catalog`]
    /// returns.
    pub fn finish_catalog(&self, plan: CatalogPlan, best: &[u32]) -> Result<Vec<Ranked>> {
        let CatalogPlan {
            catalog,
            shopper,
            query,
            weights,
            standards,
            options,
            ..
        } = plan;
        let (n, dim) = (catalog.len(), catalog.dim);
        // In catalog order, so that equal scores go by it as on the CPU.
        let mut at: Vec<usize> = best.iter().map(|&i| i as usize).collect();
        at.sort_unstable();
        at.dedup();
        if at.last().is_some_and(|&j| j >= n) {
            return Err(Error::Internal(format!(
                "a scoring returned an item beyond the catalog's {n}"
            )));
        }
        let keys: Vec<u64> = at.iter().map(|&j| catalog.keys[j]).collect();
        let vectors: Vec<f32> = at
            .iter()
            .flat_map(|&j| &catalog.vectors[j * dim..(j + 1) * dim])
            .copied()
            .collect();
        let fetched = Encoded {
            items: at.iter().map(|&j| &catalog.items[j]).collect(),
            keys: &keys,
            vectors: &vectors,
        };
        let order = &catalog.moments().order;
        let scored = self.score_terms(
            shopper,
            &fetched,
            query.as_ref(),
            &weights,
            Some(&standards),
            |i| {
                if weights.order != 0.0 {
                    order[at[i]]
                } else {
                    0.0
                }
            },
        );
        Ok(self.explained(self.pick(scored, &fetched, &options), &fetched, &options))
    }
}
