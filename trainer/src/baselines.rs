//! The baselines a trained model has to beat: popularity, item-KNN, a first-order Markov chain
//! and, where history is not masked, the shopper's recent items, each fitted on the training
//! sequences of a stage and scored like a model.

use rayon::prelude::*;

use crate::data::Interaction;
use crate::eval::{Case, Scorer};

/// Per item, how many users interacted with it in the training sequences (each user once,
/// however often they came back to it).
fn user_counts(train: &[&[Interaction]], n_items: usize) -> Vec<u32> {
    let mut counts = vec![0u32; n_items];
    // The last user (+1) counted for each item, so a repeat by the same user is not.
    let mut counted_for = vec![0usize; n_items];
    for (u, seq) in train.iter().enumerate() {
        for e in seq.iter() {
            let i = e.item as usize;
            if counted_for[i] != u + 1 {
                counted_for[i] = u + 1;
                counts[i] += 1;
            }
        }
    }
    counts
}

/// Recommends the items most users interacted with, to everyone.
///
/// Users, not interactions, are counted: on wholesale data (Online Retail) a few customers
/// re-buying an item dozens of times would otherwise make it look popular. This is also the
/// `n_i` of [`ItemKnn`], and what the reference figures were computed with.
#[derive(Debug, Clone)]
pub struct Popularity {
    scores: Vec<f32>,
}

impl Popularity {
    /// Counts, per item, the users who interacted with it in the training sequences.
    pub fn fit(train: &[&[Interaction]], n_items: usize) -> Self {
        Popularity {
            scores: user_counts(train, n_items)
                .into_iter()
                .map(|c| c as f32)
                .collect(),
        }
    }

    /// The items, most popular first (ties in index order): a non-personal first stage.
    pub fn order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.scores.len()).collect();
        order.sort_by(|&a, &b| self.scores[b].total_cmp(&self.scores[a]).then(a.cmp(&b)));
        order
    }
}

impl Scorer for Popularity {
    fn score(&self, cases: &[Case], out: &mut [f32]) {
        for (row, _) in out.chunks_exact_mut(self.scores.len()).zip(cases) {
            row.copy_from_slice(&self.scores);
        }
    }
}

/// A sparse matrix in compressed rows: row `i` holds `(cols, values)[offsets[i]..offsets[i+1]]`.
#[derive(Debug, Clone)]
struct SparseRows<T> {
    offsets: Vec<usize>,
    cols: Vec<u32>,
    values: Vec<T>,
}

impl<T: Copy> SparseRows<T> {
    fn from_rows(rows: Vec<Vec<(u32, T)>>) -> Self {
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        offsets.push(0);
        let nnz = rows.iter().map(Vec::len).sum();
        let mut cols = Vec::with_capacity(nnz);
        let mut values = Vec::with_capacity(nnz);
        for row in rows {
            for (c, v) in row {
                cols.push(c);
                values.push(v);
            }
            offsets.push(cols.len());
        }
        SparseRows {
            offsets,
            cols,
            values,
        }
    }

    fn row(&self, i: usize) -> impl Iterator<Item = (usize, T)> + '_ {
        let range = self.offsets[i]..self.offsets[i + 1];
        self.cols[range.clone()]
            .iter()
            .map(|&c| c as usize)
            .zip(self.values[range].iter().copied())
    }
}

/// Item-based nearest neighbours: cosine similarity of items over which users interacted with
/// them (binary), `sim(i, j) = co(i, j) / sqrt(n_i · n_j)`; a user's score for `j` is the sum
/// of `sim(h, j)` over the distinct items `h` of the history. An item is not its own neighbour.
///
/// Stored sparse (only co-occurring pairs), so 100k items × 100k users fit when histories are
/// short; the cost of fitting grows with the sum over users of (distinct items)².
#[derive(Debug, Clone)]
pub struct ItemKnn {
    sims: SparseRows<f32>,
}

impl ItemKnn {
    /// Builds the similarity matrix from the training sequences.
    pub fn fit(train: &[&[Interaction]], n_items: usize) -> Self {
        let user_items: Vec<Vec<u32>> = train.iter().map(|s| distinct_items(s)).collect();
        let mut item_users: Vec<Vec<u32>> = vec![Vec::new(); n_items];
        for (u, items) in user_items.iter().enumerate() {
            for &i in items {
                item_users[i as usize].push(u as u32);
            }
        }
        let rows: Vec<Vec<(u32, f32)>> = (0..n_items)
            .into_par_iter()
            .map_init(
                || (vec![0u32; n_items], Vec::new()),
                |(co, touched), i| {
                    for &u in &item_users[i] {
                        for &j in &user_items[u as usize] {
                            if co[j as usize] == 0 {
                                touched.push(j);
                            }
                            co[j as usize] += 1;
                        }
                    }
                    touched.sort_unstable();
                    let n_i = item_users[i].len() as f64;
                    let row = touched
                        .iter()
                        .filter(|&&j| j as usize != i)
                        .map(|&j| {
                            let n_j = item_users[j as usize].len() as f64;
                            (j, (f64::from(co[j as usize]) / (n_i * n_j).sqrt()) as f32)
                        })
                        .collect();
                    for &j in touched.iter() {
                        co[j as usize] = 0;
                    }
                    touched.clear();
                    row
                },
            )
            .collect();
        ItemKnn {
            sims: SparseRows::from_rows(rows),
        }
    }
}

impl Scorer for ItemKnn {
    fn score(&self, cases: &[Case], out: &mut [f32]) {
        let n_items = self.sims.offsets.len() - 1;
        for (row, case) in out.chunks_exact_mut(n_items).zip(cases) {
            row.fill(0.0);
            for h in distinct_items(case.history) {
                for (j, sim) in self.sims.row(h as usize) {
                    row[j] += sim;
                }
            }
        }
    }
}

/// The distinct items of a sequence, sorted.
fn distinct_items(seq: &[Interaction]) -> Vec<u32> {
    let mut items: Vec<u32> = seq.iter().map(|e| e.item).collect();
    items.sort_unstable();
    items.dedup();
    items
}

/// First-order Markov chain: scores what followed the user's last item in the training
/// sequences, by how often; popularity (as in [`Popularity`], scaled below 1) breaks ties and
/// fills in after.
#[derive(Debug, Clone)]
pub struct Markov {
    transitions: SparseRows<u32>,
    /// `pop / (max_pop + 1)`, always < 1 so that one transition outweighs any popularity.
    prior: Vec<f32>,
}

impl Markov {
    /// Counts the transitions `seq[t] → seq[t+1]` of the training sequences.
    pub fn fit(train: &[&[Interaction]], n_items: usize) -> Self {
        let mut pairs: Vec<(u32, u32)> = train
            .iter()
            .flat_map(|s| s.windows(2).map(|w| (w[0].item, w[1].item)))
            .collect();
        pairs.par_sort_unstable();
        let mut rows: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n_items];
        for chunk in pairs.chunk_by(|a, b| a == b) {
            let (from, to) = chunk[0];
            rows[from as usize].push((to, chunk.len() as u32));
        }
        Markov {
            transitions: SparseRows::from_rows(rows),
            prior: popularity_below_one(train, n_items),
        }
    }
}

/// Per item, `users / (most users + 1)`: popularity scaled below 1, to break ties after a
/// baseline's own evidence and fill in after it.
fn popularity_below_one(train: &[&[Interaction]], n_items: usize) -> Vec<f32> {
    let counts = user_counts(train, n_items);
    let max = counts.iter().copied().max().unwrap_or(0);
    counts
        .iter()
        .map(|&c| (f64::from(c) / (f64::from(max) + 1.0)) as f32)
        .collect()
}

impl Scorer for Markov {
    fn score(&self, cases: &[Case], out: &mut [f32]) {
        for (row, case) in out.chunks_exact_mut(self.prior.len()).zip(cases) {
            row.copy_from_slice(&self.prior);
            if let Some(last) = case.history.last() {
                for (j, count) in self.transitions.row(last.item as usize) {
                    row[j] += count as f32;
                }
            }
        }
    }
}

/// Shows the shopper again what they engaged with, newest first, then popular items (as in
/// [`Markov`]). Where history is not masked and most events are views, this one-line heuristic
/// is the simplest strong answer a model has to beat.
#[derive(Debug, Clone)]
pub struct RecentItems {
    prior: Vec<f32>,
}

impl RecentItems {
    /// Counts, per item, the users who interacted with it, for the fill after the history.
    pub fn fit(train: &[&[Interaction]], n_items: usize) -> Self {
        RecentItems {
            prior: popularity_below_one(train, n_items),
        }
    }
}

impl Scorer for RecentItems {
    fn score(&self, cases: &[Case], out: &mut [f32]) {
        for (row, case) in out.chunks_exact_mut(self.prior.len()).zip(cases) {
            row.copy_from_slice(&self.prior);
            // Oldest first, so an item seen again takes its latest place.
            for (t, e) in case.history.iter().enumerate() {
                row[e.item as usize] = 1.0 + t as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tastebud::EventKind;

    use super::*;

    fn seq(items: &[u32]) -> Vec<Interaction> {
        items
            .iter()
            .enumerate()
            .map(|(t, &item)| Interaction {
                item,
                kind: EventKind::View,
                ts_ms: t as i64,
            })
            .collect()
    }

    fn scores(scorer: &dyn Scorer, history: &[u32], n_items: usize) -> Vec<f32> {
        let h = seq(history);
        let mut out = vec![f32::NAN; n_items]; // Scorers must write every entry.
        let case = Case {
            history: &h,
            at_ms: h.len() as i64,
        };
        scorer.score(&[case], &mut out);
        out
    }

    fn best(scores: &[f32]) -> usize {
        (0..scores.len()).fold(0, |b, j| if scores[j] > scores[b] { j } else { b })
    }

    #[test]
    fn markov_predicts_the_observed_successor_over_popular_items() {
        // Item 0 is by far the most popular, but 2 is what follows 1.
        let train = [
            seq(&[0, 0, 0, 1, 2]),
            seq(&[0, 0, 3, 1, 2]),
            seq(&[0, 0, 0, 3, 0]),
        ];
        let train: Vec<&[Interaction]> = train.iter().map(Vec::as_slice).collect();
        let markov = Markov::fit(&train, 5);
        let s = scores(&markov, &[3, 1], 5);
        assert_eq!(best(&s), 2);
        // After 3 came 1 once and 0 once (a tie): popularity decides.
        let s = scores(&markov, &[3], 5);
        assert!(s[0] > s[1] && s[1] > s[2], "{s:?}");
        // With no transitions from 4, it falls back to popularity.
        assert_eq!(best(&scores(&markov, &[4], 5)), 0);
    }

    #[test]
    fn item_knn_scores_are_sums_of_cosine_similarities() {
        // Users: {0,1}, {0,1,2}, {2,3}. n = [2, 2, 2, 1]; co(0,1)=2, co(0,2)=1, co(2,3)=1.
        let train = [seq(&[0, 1]), seq(&[0, 1, 2]), seq(&[2, 3, 3])];
        let train: Vec<&[Interaction]> = train.iter().map(Vec::as_slice).collect();
        let knn = ItemKnn::fit(&train, 5);
        let s = scores(&knn, &[0, 0, 3], 5);
        // j=1: sim(0,1) = 2/2 = 1; j=2: sim(0,2) + sim(3,2) = 1/2 + 1/√2; j=0: sim(3,0)=0.
        let expected = [0.0, 1.0, 0.5 + 1.0 / 2f32.sqrt(), 0.0, 0.0];
        for (got, want) in s.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{s:?}");
        }
    }

    #[test]
    fn recent_items_come_newest_first_then_popular_ones() {
        let train = [seq(&[0, 1]), seq(&[0, 2]), seq(&[0])];
        let train: Vec<&[Interaction]> = train.iter().map(Vec::as_slice).collect();
        let s = scores(&RecentItems::fit(&train, 5), &[3, 4, 3, 1], 5);
        // 1 (newest), then 3 (seen again after 4), then 4; then 0, the most popular.
        let mut order: Vec<usize> = (0..5).collect();
        order.sort_by(|&a, &b| s[b].total_cmp(&s[a]));
        assert_eq!(order, [1, 3, 4, 0, 2]);
    }

    #[test]
    fn popularity_counts_users_not_repeat_purchases() {
        // One user buys item 1 five times; three users buy item 2 once.
        let train = [seq(&[1, 2, 1, 1, 1, 1]), seq(&[2, 0]), seq(&[2])];
        let train: Vec<&[Interaction]> = train.iter().map(Vec::as_slice).collect();
        assert_eq!(scores(&Popularity::fit(&train, 3), &[], 3), [1.0, 1.0, 3.0]);
    }
}
