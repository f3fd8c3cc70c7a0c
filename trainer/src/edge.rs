//! Edge re-ranking, offline: how much of the on-device ranking a profile token keeps. A
//! non-personal first stage (the most popular items the shopper has not been masked from) is
//! re-ranked (a) not at all, (b) by the page's ranker with the whole profile and (c) by an
//! edge's [`Ranker::rerank`] from the shopper's token, written and read back as it travels, at
//! each ε of [`EPSILONS`]. The held-out event is the target, as in [`crate::eval`]; a target
//! outside the first stage counts as a miss for every variant.

use rayon::prelude::*;
use serde::Serialize;
use tastebud::token::{PrivUnit, Token};
use tastebud::{Item, Model, RankOptions, Ranker};

use crate::baselines::Popularity;
use crate::data::Dataset;
use crate::eval::{train_sequences, Metrics, Stage};
use crate::page::profile;

/// Candidates the first stage hands to the edge.
pub const FIRST_STAGE: usize = 100;
/// The ε of the tokens compared (∞: no noise).
pub const EPSILONS: [f64; 5] = [f64::INFINITY, 8.0, 4.0, 2.0, 1.0];
/// The `keepOrderWeight` of the second re-ranking of each token: half the server's order.
pub const KEEP_ORDER: f32 = 0.5;

/// NDCG and friends of each way of ordering the first stage.
#[derive(Debug, Clone, Serialize)]
pub struct EdgeRerank {
    /// Candidates per user.
    pub candidates: usize,
    /// Users evaluated.
    pub users: usize,
    /// Share of users whose target is among their candidates: what any re-ranking can reach.
    pub recall: f64,
    /// The first stage's own order.
    pub first_stage: Metrics,
    /// The page's ranker with the whole profile.
    pub profile: Metrics,
    /// An edge's re-ranking from the token, per ε.
    pub token: Vec<TokenRerank>,
}

/// Re-ranking from tokens of one ε.
#[derive(Debug, Clone, Serialize)]
pub struct TokenRerank {
    /// `None` for no noise.
    pub epsilon: Option<f64>,
    /// The expected cosine between the intent sent and the true one (PrivUnit₂'s, before
    /// quantizing): 1 without noise.
    pub expected_cosine: f64,
    /// Characters of the longest token written.
    pub chars: usize,
    /// Its figures.
    pub metrics: Metrics,
    /// With the first stage's order kept at [`KEEP_ORDER`].
    pub keeping_order: Metrics,
}

/// [`EdgeRerank`] of `model` on `ds` at `stage`; tokens drawn from `seed`.
pub fn rerank_quality(
    ds: &Dataset,
    model: &Model,
    stage: Stage,
    mask_history: bool,
    seed: u64,
) -> tastebud::Result<EdgeRerank> {
    let popular = Popularity::fit(&train_sequences(ds, stage), ds.items.len()).order();
    let held_out = match stage {
        Stage::Valid => 2,
        Stage::Test => 1,
    };
    let cases: Vec<(usize, &[crate::data::Interaction], u32, i64)> = ds
        .sequences
        .iter()
        .enumerate()
        .filter_map(|(u, s)| {
            let n = s.len().checked_sub(held_out).filter(|&n| n > 0)?;
            Some((u, &s[..n], s[n].item, s[n].ts_ms))
        })
        .collect();
    let per_user: Vec<(Vec<usize>, Vec<usize>)> = cases
        .par_iter()
        .map_init(
            || Ranker::new(model.clone()),
            |ranker, &(user, history, target, at_ms)| {
                let mut masked: Vec<u32> = Vec::new();
                if mask_history {
                    masked = history
                        .iter()
                        .map(|e| e.item)
                        .filter(|&i| i != target)
                        .collect();
                    masked.sort_unstable();
                }
                let candidates: Vec<Item> = popular
                    .iter()
                    .filter(|&&i| masked.binary_search(&(i as u32)).is_err())
                    .take(FIRST_STAGE)
                    .map(|&i| ds.items[i].clone())
                    .collect();
                let target_id = &ds.items[target as usize].id;
                let profile = profile(&ds.items, history)?;
                let options = RankOptions::default();
                let keeping = RankOptions {
                    keep_order_weight: KEEP_ORDER,
                    ..RankOptions::default()
                };
                let mut ranks = vec![place(candidates.iter().map(|c| c.id.as_str()), target_id)];
                let ranked = ranker.rank(&profile, &candidates, &options, at_ms)?;
                ranks.push(place(ranked.iter().map(|r| r.id.as_str()), target_id));
                let mut chars = Vec::new();
                for &epsilon in &EPSILONS {
                    let text = ranker
                        .token(&profile, at_ms, epsilon, &key(seed, user))?
                        .encode();
                    chars.push(text.len());
                    let m = ranker.model();
                    let token = Token::decode(&text, m.token_tag(), m.config.dim, at_ms, i64::MAX)
                        .map_err(|r| {
                            tastebud::Error::Internal(format!("own token refused: {r}"))
                        })?;
                    for options in [&options, &keeping] {
                        let order = ranker.rerank(&token, &candidates, options)?;
                        ranks.push(place(
                            order.iter().map(|&at| candidates[at].id.as_str()),
                            target_id,
                        ));
                    }
                }
                Ok((ranks, chars))
            },
        )
        .collect::<tastebud::Result<_>>()?;
    let of = |v: usize| {
        let ranks: Vec<usize> = per_user.iter().map(|(r, _)| r[v]).collect();
        Metrics::from_ranks(&ranks)
    };
    let users = per_user.len();
    let found = per_user.iter().filter(|(r, _)| r[0] < FIRST_STAGE).count();
    Ok(EdgeRerank {
        candidates: FIRST_STAGE,
        users,
        recall: found as f64 / users.max(1) as f64,
        first_stage: of(0),
        profile: of(1),
        token: EPSILONS
            .iter()
            .enumerate()
            .map(|(e, &epsilon)| TokenRerank {
                epsilon: epsilon.is_finite().then_some(epsilon),
                expected_cosine: if epsilon.is_finite() {
                    // ε is split between the vectors a token carries: the taste too if weighed.
                    let vectors = if model.config.blend.taste != 0.0 {
                        2.0
                    } else {
                        1.0
                    };
                    PrivUnit::new(model.config.dim, epsilon / vectors).expected_cosine
                } else {
                    1.0
                },
                chars: per_user.iter().map(|(_, c)| c[e]).max().unwrap_or(0),
                metrics: of(2 + 2 * e),
                keeping_order: of(3 + 2 * e),
            })
            .collect(),
    })
}

/// The 0-based place of `target` among `ids`; [`FIRST_STAGE`] (a miss) if absent.
fn place<'a>(mut ids: impl Iterator<Item = &'a str>, target: &str) -> usize {
    ids.position(|id| id == target).unwrap_or(FIRST_STAGE)
}

/// The secret key of user `user`'s device: distinct per user, the same from run to run.
fn key(seed: u64, user: usize) -> [u8; 32] {
    let mut key = [0; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(user as u64).to_le_bytes());
    key
}
