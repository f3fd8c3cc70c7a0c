//! Full-ranking leave-one-out evaluation in time order: each user's last interaction is the test
//! target and the one before it the validation target; every item of the catalog is ranked.
//!
//! Rank (0-based) = items scoring strictly higher than the target + items scoring the same with a
//! smaller index, so ties are broken deterministically and never in a model's favour by chance.
//! A NaN score never outranks the target, and a target scored NaN ranks last. With history
//! masking, the items of the user's history are left out of the ranking, except the target
//! itself.

use rayon::prelude::*;
use serde::Serialize;

use tastebud::EventKind;

use crate::data::{Dataset, Interaction};

/// Which held-out interaction is predicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Stage {
    /// History `seq[..n-2]`, target `seq[n-2]`: for model selection and early stopping.
    Valid,
    /// History `seq[..n-1]`, target `seq[n-1]`: for the reported figures.
    Test,
}

impl Stage {
    /// How many interactions at the end of each sequence the stage holds out from training.
    fn held_out(self) -> usize {
        match self {
            Stage::Valid => 2,
            Stage::Test => 1,
        }
    }
}

/// What a model or baseline may learn from at `stage`: per user, `seq[..n-2]` for
/// [`Stage::Valid`] and `seq[..n-1]` for [`Stage::Test`] (so the test model also learns from
/// the validation targets).
pub fn train_sequences(ds: &Dataset, stage: Stage) -> Vec<&[Interaction]> {
    ds.sequences
        .iter()
        .filter_map(|s| s.get(..s.len().checked_sub(stage.held_out())?))
        .collect()
}

/// One user's held-out interaction to predict: what came before it, and when it happened (the
/// moment a page would rank).
#[derive(Debug, Clone, Copy)]
pub struct Case<'a> {
    /// The user's interactions before the target, oldest first.
    pub history: &'a [Interaction],
    /// The target's time, in epoch milliseconds.
    pub at_ms: i64,
}

/// Scores every item of the catalog for a batch of users.
pub trait Scorer: Sync {
    /// Fills `out` (`cases.len() × n_items`, row-major) with the scores of every item for
    /// each case; higher is better. Every entry must be written: the buffer is reused from
    /// batch to batch and not cleared (clearing it cost as much as ranking).
    fn score(&self, cases: &[Case], out: &mut [f32]);
}

/// Ranking quality at cut-offs 10 and 20, averaged over users.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// Share of users whose target is in the top 10.
    #[serde(rename = "hr@10")]
    pub hr_10: f64,
    /// Mean of `1/log2(rank+2)` for targets in the top 10.
    #[serde(rename = "ndcg@10")]
    pub ndcg_10: f64,
    /// Mean of `1/(rank+1)` for targets in the top 10.
    #[serde(rename = "mrr@10")]
    pub mrr_10: f64,
    /// Share of users whose target is in the top 20.
    #[serde(rename = "hr@20")]
    pub hr_20: f64,
    /// Mean of `1/log2(rank+2)` for targets in the top 20.
    #[serde(rename = "ndcg@20")]
    pub ndcg_20: f64,
    /// Mean of `1/(rank+1)` for targets in the top 20.
    #[serde(rename = "mrr@20")]
    pub mrr_20: f64,
}

impl Metrics {
    /// The metrics of these 0-based ranks of the targets (one per user).
    pub fn from_ranks(ranks: &[usize]) -> Self {
        let mut m = Metrics::default();
        for &rank in ranks {
            let ndcg = 1.0 / (rank as f64 + 2.0).log2();
            let rr = 1.0 / (rank as f64 + 1.0);
            if rank < 10 {
                m.hr_10 += 1.0;
                m.ndcg_10 += ndcg;
                m.mrr_10 += rr;
            }
            if rank < 20 {
                m.hr_20 += 1.0;
                m.ndcg_20 += ndcg;
                m.mrr_20 += rr;
            }
        }
        let n = ranks.len().max(1) as f64;
        for v in [
            &mut m.hr_10,
            &mut m.ndcg_10,
            &mut m.mrr_10,
            &mut m.hr_20,
            &mut m.ndcg_20,
            &mut m.mrr_20,
        ] {
            *v /= n;
        }
        m
    }
}

/// Scores kept in memory at once across a batch (64 MiB of `f32`), so a 100k-item catalog
/// still fits.
const BATCH_SCORES: usize = 16 << 20;
/// Most users scored in one call.
const MAX_BATCH_USERS: usize = 256;

/// Evaluates `scorer` on every user's held-out interaction of `stage`.
pub fn evaluate(ds: &Dataset, stage: Stage, mask_history: bool, scorer: &dyn Scorer) -> Metrics {
    Metrics::from_ranks(&ranks(ds, stage, mask_history, scorer))
}

/// The 0-based rank of each user's target at `stage` (in user order), for per-user analysis.
pub fn ranks(ds: &Dataset, stage: Stage, mask_history: bool, scorer: &dyn Scorer) -> Vec<usize> {
    let cases: Vec<(Case, u32)> = ds
        .sequences
        .iter()
        .filter_map(|s| {
            let n = s.len().checked_sub(stage.held_out()).filter(|&n| n > 0)?;
            let case = Case {
                history: &s[..n],
                at_ms: s[n].ts_ms,
            };
            Some((case, s[n].item))
        })
        .collect();
    ranks_of(ds.items.len(), &cases, mask_history, scorer)
}

/// Where the logs hold purchases and other kinds: each held-out purchase predicted from the
/// whole event stream before it and from the purchases alone, by the same model.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct NextPurchase {
    /// Users whose held-out event is a purchase.
    pub users: usize,
    /// From every event before the purchase.
    pub from_stream: Metrics,
    /// From the purchases before it only.
    pub from_purchases: Metrics,
}

/// [`NextPurchase`] at `stage`; `None` when no held-out event is a purchase or the histories
/// hold nothing but purchases.
pub fn next_purchase(
    ds: &Dataset,
    stage: Stage,
    mask_history: bool,
    scorer: &dyn Scorer,
) -> Option<NextPurchase> {
    let purchase = |e: &Interaction| e.kind == EventKind::Purchase;
    let held: Vec<(&[Interaction], &Interaction)> = ds
        .sequences
        .iter()
        .filter_map(|s| {
            let n = s.len().checked_sub(stage.held_out()).filter(|&n| n > 0)?;
            purchase(&s[n]).then(|| (&s[..n], &s[n]))
        })
        .collect();
    if !held.iter().any(|(h, _)| h.iter().any(|e| !purchase(e))) {
        return None;
    }
    let purchases: Vec<Vec<Interaction>> = held
        .iter()
        .map(|(h, _)| h.iter().copied().filter(purchase).collect())
        .collect();
    let n_items = ds.items.len();
    let metrics = |histories: Vec<&[Interaction]>| {
        let cases: Vec<(Case, u32)> = histories
            .into_iter()
            .zip(&held)
            .map(|(history, (_, target))| {
                let case = Case {
                    history,
                    at_ms: target.ts_ms,
                };
                (case, target.item)
            })
            .collect();
        Metrics::from_ranks(&ranks_of(n_items, &cases, mask_history, scorer))
    };
    Some(NextPurchase {
        users: held.len(),
        from_stream: metrics(held.iter().map(|&(h, _)| h).collect()),
        from_purchases: metrics(purchases.iter().map(Vec::as_slice).collect()),
    })
}

/// The 0-based rank of each case's target among `n_items`.
fn ranks_of(
    n_items: usize,
    cases: &[(Case, u32)],
    mask_history: bool,
    scorer: &dyn Scorer,
) -> Vec<usize> {
    if n_items == 0 {
        return Vec::new();
    }
    let batch = (BATCH_SCORES / n_items).clamp(1, MAX_BATCH_USERS);
    let per_batch: Vec<Vec<usize>> = cases
        .par_chunks(batch)
        .map_init(Vec::new, |out: &mut Vec<f32>, chunk| {
            let batch: Vec<Case> = chunk.iter().map(|&(case, _)| case).collect();
            out.resize(chunk.len() * n_items, 0.0);
            scorer.score(&batch, out);
            let mut masked = Vec::new();
            chunk
                .iter()
                .zip(out.chunks_exact(n_items))
                .map(|(&(case, target), scores)| {
                    masked.clear();
                    if mask_history {
                        masked.extend(case.history.iter().map(|e| e.item).filter(|&i| i != target));
                        masked.sort_unstable();
                        masked.dedup();
                    }
                    rank(scores, target as usize, &masked)
                })
                .collect()
        })
        .collect();
    per_batch.into_iter().flatten().collect()
}

/// The 0-based rank of `target` among `scores`, leaving out the `masked` items (distinct, not
/// the target).
fn rank(scores: &[f32], target: usize, masked: &[u32]) -> usize {
    let t = scores[target];
    if t.is_nan() {
        return scores.len() - 1 - masked.len();
    }
    // `>=` before the target and `>` after it: ties go to the smaller index. NaN compares false,
    // so NaN scores never outrank the target.
    let beats = |j: usize, s: f32| if j < target { s >= t } else { s > t };
    let before = scores[..target].iter().filter(|&&s| s >= t).count();
    let after = scores[target + 1..].iter().filter(|&&s| s > t).count();
    let masked_above = masked
        .iter()
        .filter(|&&m| beats(m as usize, scores[m as usize]))
        .count();
    before + after - masked_above
}

#[cfg(test)]
mod tests {

    use tastebud::{EventKind, Item};

    use super::*;

    /// Gives every user the same scores.
    struct Fixed(Vec<f32>);

    impl Scorer for Fixed {
        fn score(&self, cases: &[Case], out: &mut [f32]) {
            for (row, _) in out.chunks_exact_mut(self.0.len()).zip(cases) {
                row.copy_from_slice(&self.0);
            }
        }
    }

    fn dataset(n_items: usize, sequences: &[&[u32]]) -> Dataset {
        let items = (0..n_items).map(|i| Item::new(format!("i{i}"))).collect();
        let sequences = sequences
            .iter()
            .map(|s| {
                let e = |(t, &item)| Interaction {
                    item,
                    kind: EventKind::View,
                    ts_ms: t as i64,
                };
                s.iter().enumerate().map(e).collect()
            })
            .collect();
        Dataset::in_memory("tiny", items, sequences)
    }

    #[test]
    fn top_ranked_target_scores_one_and_rank_three_scores_one_over_log2_5() {
        // Test target of user 0 is item 9, of user 1 item 6.
        let ds = dataset(10, &[&[0, 1, 2, 3, 9], &[0, 1, 2, 3, 6]]);
        let scores: Vec<f32> = vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
        let m = evaluate(&ds, Stage::Test, false, &Fixed(scores));
        // Ranks 0 and 3.
        let ndcg3 = 1.0 / 5f64.log2();
        assert!((m.ndcg_10 - (1.0 + ndcg3) / 2.0).abs() < 1e-12, "{m:?}");
        assert!((m.mrr_10 - (1.0 + 0.25) / 2.0).abs() < 1e-12);
        assert_eq!(m.hr_10, 1.0);
        assert_eq!(
            ranks(&ds, Stage::Test, false, &Fixed(vec![0.0; 10])),
            [9, 6]
        );
    }

    #[test]
    fn valid_stage_predicts_the_second_to_last_item_from_what_precedes_it() {
        let ds = dataset(10, &[&[0, 1, 2, 7, 9]]);
        let train = train_sequences(&ds, Stage::Valid);
        assert_eq!(
            train[0].iter().map(|e| e.item).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        let mut scores = vec![0.0; 10];
        scores[7] = 1.0;
        assert_eq!(ranks(&ds, Stage::Valid, false, &Fixed(scores)), [0]);
        assert_eq!(train_sequences(&ds, Stage::Test)[0].len(), 4);
    }

    #[test]
    fn ties_go_to_the_smaller_index_and_nan_ranks_last() {
        assert_eq!(rank(&[1.0, 1.0, 1.0, 1.0], 2, &[]), 2);
        assert_eq!(rank(&[1.0, 2.0, 1.0, 1.0], 0, &[]), 1);
        // A NaN never outranks the target; a NaN target ranks last (of the unmasked items).
        assert_eq!(rank(&[f32::NAN, 2.0, 1.0], 2, &[]), 1);
        assert_eq!(rank(&[1.0, 2.0, f32::NAN, 0.0], 2, &[]), 3);
        assert_eq!(rank(&[1.0, 2.0, f32::NAN, 0.0], 2, &[1]), 2);
    }

    #[test]
    fn masking_removes_history_but_never_the_target() {
        // The target (item 1) is also in the history; items 3 and 4 outscore it.
        let ds = dataset(6, &[&[3, 1, 4, 4, 1]]);
        let scores = vec![0.0, 0.5, 0.0, 0.9, 0.8, 0.7];
        let masked = ranks(&ds, Stage::Test, true, &Fixed(scores.clone()));
        let unmasked = ranks(&ds, Stage::Test, false, &Fixed(scores));
        assert_eq!(unmasked, [3]);
        // 3 and 4 are masked once each (4 twice in the history); 5 still outranks the target.
        assert_eq!(masked, [1]);
    }

    #[test]
    fn metrics_serialize_with_the_documented_keys() {
        let json = serde_json::to_value(Metrics::from_ranks(&[0, 15, 30])).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 6);
        for k in ["hr@10", "ndcg@10", "mrr@10", "hr@20", "ndcg@20", "mrr@20"] {
            assert!(keys.contains(&k), "{k}");
        }
        assert!((json["hr@20"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    }

    /// Ranks the most recent item of the history first, then by index.
    struct Latest(usize);

    impl Scorer for Latest {
        fn score(&self, cases: &[Case], out: &mut [f32]) {
            for (row, case) in out.chunks_exact_mut(self.0).zip(cases) {
                row.iter_mut()
                    .enumerate()
                    .for_each(|(i, s)| *s = -(i as f32));
                if let Some(last) = case.history.last() {
                    row[last.item as usize] = 1.0;
                }
            }
        }
    }

    #[test]
    fn a_held_out_purchase_is_ranked_from_the_stream_and_from_the_purchases_before_it() {
        use EventKind::*;
        let e = |item, kind, ts_ms| Interaction { item, kind, ts_ms };
        let sequences = vec![
            // Viewed 4 just before buying it: the stream knows, the purchases do not.
            vec![
                e(1, Purchase, 0),
                e(2, View, 1),
                e(4, View, 2),
                e(4, Purchase, 3),
            ],
            // Its held-out event is a view: not a purchase to predict.
            vec![e(1, Purchase, 0), e(3, View, 1), e(5, View, 2)],
        ];
        let ds = Dataset::in_memory(
            "kinds",
            (0..6).map(|i| Item::new(format!("i{i}"))).collect(),
            sequences,
        );
        let got = next_purchase(&ds, Stage::Test, false, &Latest(6)).unwrap();
        assert_eq!(got.users, 1);
        assert_eq!(got.from_stream.hr_10, 1.0);
        assert_eq!(got.from_stream.mrr_10, 1.0);
        // From purchases alone 1 comes first, then 0, 2, 3, 4: rank 4.
        assert!((got.from_purchases.mrr_10 - 0.2).abs() < 1e-12);
        // Logs of purchases alone, or with no purchase held out, have nothing to compare.
        let only = |kind| {
            let s = vec![e(1, kind, 0), e(2, kind, 1), e(3, kind, 2)];
            Dataset::in_memory("one kind", ds.items.clone(), vec![s])
        };
        for kind in [Purchase, View] {
            assert!(next_purchase(&only(kind), Stage::Test, false, &Latest(6)).is_none());
        }
    }
}
