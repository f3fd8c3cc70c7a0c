//! Training: next-item prediction with softmax cross-entropy at every position (full over the
//! catalog, or sampled with in-batch and random negatives when the catalog is large), AdamW,
//! early stopping on validation NDCG@10, then the blend weights chosen on validation.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::{SmallRng, StdRng};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tastebud::features::{id_key, ItemFeatures};
use tastebud::model::{
    Blend, Dropout, FeatureBatch, IdPart, Model, ModelConfig, SequenceBatch, Transitions,
};
use tastebud::sequence;

use crate::data::{Dataset, Interaction};
use crate::eval::{evaluate, train_sequences, Metrics, Scorer, Stage};

/// Training settings that are not part of the model.
#[derive(Debug, Clone, Serialize)]
pub struct FitOptions {
    /// Seed of every random choice (initialisation, shuffling, dropout).
    pub seed: u64,
    /// Most passes over the training sequences.
    pub epochs: usize,
    /// Epochs without progress before stopping.
    pub patience: usize,
    /// Relative gain in validation NDCG@10 over the best so far that counts as progress: the
    /// curve is noisy, and chasing 0.5% gains doubles the training time. The weights kept are
    /// those of the best epoch either way.
    pub min_improvement: f64,
    /// Sequences per step.
    pub batch_size: usize,
    /// AdamW learning rate.
    pub lr: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Dropout inside the user encoder.
    pub dropout: f32,
    /// Share of items whose id part is dropped at each step, so the content part learns to
    /// stand alone for items never seen in training.
    pub id_dropout: f32,
    /// Largest catalog trained with the full softmax; beyond it, sampled softmax.
    pub full_softmax_items: usize,
    /// Random negatives per step for the sampled softmax.
    pub negatives: usize,
    /// Most successors kept per item in the shipped transition table.
    pub transitions_per_item: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            seed: 42,
            epochs: 200,
            patience: 3,
            min_improvement: 0.02,
            batch_size: 128,
            lr: 5e-3,
            weight_decay: 0.01,
            dropout: 0.2,
            id_dropout: 0.1,
            full_softmax_items: 20_000,
            negatives: 2_048,
            transitions_per_item: 16,
        }
    }
}

/// One epoch of the training curve.
#[derive(Debug, Clone, Serialize)]
pub struct EpochLog {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss.
    pub loss: f32,
    /// Validation metrics of the encoder alone.
    pub valid: Metrics,
    /// Seconds since training started.
    pub seconds: f64,
}

/// A trained model with its curve.
pub struct Trained {
    /// The model, with the blend chosen on validation and the test-time transition table.
    pub model: Model,
    /// The weights, by name.
    pub weights: Vec<(String, Tensor)>,
    /// Per-epoch curve.
    pub curve: Vec<EpochLog>,
    /// Epoch whose weights were kept.
    pub best_epoch: usize,
    /// Validation metrics of each blend tried, as ((transition, repeat), ndcg@10).
    pub blend_search: Vec<((f32, f32), f64)>,
    /// Wall-clock seconds of training, blend search included.
    pub seconds: f64,
}

/// Trains a model on `ds` and picks its blend on validation.
pub fn fit(
    ds: &Dataset,
    config: ModelConfig,
    opts: &FitOptions,
    mask_history: bool,
) -> candle_core::Result<Trained> {
    let start = Instant::now();
    let device = Device::Cpu;
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
    let mut model = Model::new(config.clone(), vb, Transitions::default()).map_err(to_candle)?;
    let vars = named_vars(&varmap);
    initialise(&vars, &mut rng)?;
    let catalog = FeatureBatch::new(&features(ds, &config), &device)?;
    let keys: Vec<u64> = ds.items.iter().map(|i| id_key(&i.id)).collect();
    let windows = windows(&train_sequences(ds, Stage::Valid), config.max_len);
    let params = ParamsAdamW {
        lr: opts.lr,
        weight_decay: opts.weight_decay,
        ..Default::default()
    };
    let mut opt = AdamW::new(vars.iter().map(|(_, v)| v.clone()).collect(), params)?;
    let mut dropout = SeededDropout {
        rng: SmallRng::seed_from_u64(opts.seed ^ 0xd80f),
        p: opts.dropout,
    };
    let n_items = ds.items.len();
    let full = n_items <= opts.full_softmax_items;

    let mut curve = Vec::new();
    let (mut best, mut best_epoch, mut best_ndcg) = (snapshot(&vars)?, 0, f64::NEG_INFINITY);
    // The last epoch that made progress (beat the best by `min_improvement`) and its score.
    let (mut progress_epoch, mut progress_ndcg) = (0, f64::NEG_INFINITY);
    let steps = windows.len().div_ceil(opts.batch_size);
    for epoch in 1..=opts.epochs {
        let mut order: Vec<usize> = (0..windows.len()).collect();
        order.shuffle(&mut rng);
        let bar = ProgressBar::new(steps as u64).with_style(
            ProgressStyle::with_template(
                "epoch {prefix:>3} {bar:30} {pos}/{len} loss {msg} ({elapsed})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(epoch.to_string());
        let mut total = 0f32;
        for chunk in order.chunks(opts.batch_size) {
            let batch: Vec<&[Interaction]> = chunk.iter().map(|&i| windows[i]).collect();
            // The items this step scores: the whole catalog, or those in the batch plus
            // random negatives.
            let rows: Vec<u32> = if full {
                (0..n_items as u32).collect()
            } else {
                let mut rows: Vec<u32> = batch
                    .iter()
                    .flat_map(|w| w.iter().map(|x| x.item))
                    .collect();
                rows.extend((0..opts.negatives).map(|_| rng.random_range(0..n_items as u32)));
                rows.sort_unstable();
                rows.dedup();
                rows
            };
            let position: HashMap<u32, u32> = rows
                .iter()
                .enumerate()
                .map(|(p, &r)| (r, p as u32))
                .collect();
            let subset = if full {
                catalog.clone()
            } else {
                catalog.select(&Tensor::new(rows.as_slice(), &device)?)?
            };
            let keep: Vec<f32> = (0..rows.len())
                .map(|_| {
                    if rng.random::<f32>() < opts.id_dropout {
                        0.0
                    } else {
                        1.0
                    }
                })
                .collect();
            let keep = Tensor::from_vec(keep, (rows.len(), 1), &device)?;
            let vectors = model
                .items()
                .map_err(to_candle)?
                .encode(&subset, IdPart::Scale(&keep))?;
            // Every element but the last is an input; each input's target is the next element.
            let inputs: Vec<&[Interaction]> = batch.iter().map(|w| &w[..w.len() - 1]).collect();
            let (inputs_batch, len, pads) =
                sequence_batch(&inputs, &vectors, |i| position[&i], &device)?;
            let (mut targets, mut picks) = (Vec::new(), Vec::new());
            for (s, w) in batch.iter().enumerate() {
                for (t, next) in w[1..].iter().enumerate() {
                    targets.push(position[&next.item]);
                    picks.push((s * len + pads[s] + t) as u32);
                }
            }
            let targets = Tensor::new(targets.as_slice(), &device)?;
            let picks = Tensor::new(picks.as_slice(), &device)?;
            let out = model
                .user()
                .map_err(to_candle)?
                .forward(&inputs_batch, Some(&mut dropout))?;
            let d = config.dim;
            let out = out.reshape(((), d))?.index_select(&picks, 0)?;
            let logits = out.matmul(&vectors.t()?)?;
            let loss = crate::loss::cross_entropy(&logits, &targets)?;
            opt.backward_step(&loss)?;
            let l = loss.to_scalar::<f32>()?;
            total += l;
            bar.set_message(format!("{l:.3}"));
            bar.inc(1);
        }
        bar.finish_and_clear();
        let valid = evaluate(
            ds,
            Stage::Valid,
            mask_history,
            &ModelScorer::new(&model, ds, &keys, &catalog, true, true)?,
        );
        let log = EpochLog {
            epoch,
            loss: total / steps as f32,
            valid,
            seconds: start.elapsed().as_secs_f64(),
        };
        println!(
            "epoch {epoch:>3}  loss {:.4}  valid ndcg@10 {:.4}  hr@10 {:.4}  ({:.0}s)",
            log.loss, log.valid.ndcg_10, log.valid.hr_10, log.seconds
        );
        let ndcg = log.valid.ndcg_10;
        curve.push(log);
        if ndcg > best_ndcg {
            (best, best_epoch, best_ndcg) = (snapshot(&vars)?, epoch, ndcg);
        }
        if ndcg > progress_ndcg * (1.0 + opts.min_improvement) {
            (progress_epoch, progress_ndcg) = (epoch, ndcg);
        } else if epoch - progress_epoch >= opts.patience {
            break;
        }
    }
    restore(&vars, &best)?;

    // Blend weights on validation, with the transitions a validation user could have seen.
    let valid_table = transition_table(
        &train_sequences(ds, Stage::Valid),
        &keys,
        opts.transitions_per_item,
    );
    model.transitions = Arc::new(valid_table);
    // Coordinate search: the transition weight with no repeat term, then the repeat weight
    // (which only matters when history is not masked) at the best transition weight.
    let mut blend_search: Vec<((f32, f32), f64)> = Vec::new();
    let mut try_blend = |model: &mut Model,
                         transition: f32,
                         repeat: f32|
     -> candle_core::Result<f64> {
        model.config.blend = Blend { transition, repeat };
        let scorer = ModelScorer::new(model, ds, &keys, &catalog, true, true)?;
        let ndcg = evaluate(ds, Stage::Valid, mask_history, &scorer).ndcg_10;
        println!("blend transition {transition:.1} repeat {repeat:.1}: valid ndcg@10 {ndcg:.4}");
        blend_search.push(((transition, repeat), ndcg));
        Ok(ndcg)
    };
    let mut best = ((0.0, 0.0), f64::NEG_INFINITY);
    for transition in [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0] {
        let ndcg = try_blend(&mut model, transition, 0.0)?;
        if ndcg > best.1 {
            best = ((transition, 0.0), ndcg);
        }
    }
    if !mask_history {
        let transition = best.0 .0;
        for repeat in [0.5, 1.0, 2.0, 3.0] {
            let ndcg = try_blend(&mut model, transition, repeat)?;
            if ndcg > best.1 {
                best = ((transition, repeat), ndcg);
            }
        }
    }
    let ((transition, repeat), _) = best;
    model.config.blend = Blend { transition, repeat };
    model.transitions = Arc::new(transition_table(
        &train_sequences(ds, Stage::Test),
        &keys,
        opts.transitions_per_item,
    ));
    let weights = vars
        .iter()
        .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
        .collect();
    Ok(Trained {
        model,
        weights,
        curve,
        best_epoch,
        blend_search,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Scores the whole catalog for a batch of histories with a model, as the runtime ranker
/// would: the encoder's logit plus the blend's sequence evidence.
pub struct ModelScorer<'a> {
    model: &'a Model,
    keys: &'a [u64],
    key_items: HashMap<u64, Vec<usize>>,
    vectors: Tensor,
    use_blend: bool,
}

impl<'a> ModelScorer<'a> {
    /// Precomputes the catalog's vectors (`use_ids: false` for the content-only model);
    /// `use_blend: false` scores with the encoder alone.
    pub fn new(
        model: &'a Model,
        ds: &Dataset,
        keys: &'a [u64],
        catalog: &FeatureBatch,
        use_ids: bool,
        use_blend: bool,
    ) -> candle_core::Result<Self> {
        let ids = if use_ids { IdPart::Use } else { IdPart::Skip };
        let vectors = model.items().map_err(to_candle)?.encode(catalog, ids)?;
        let mut key_items: HashMap<u64, Vec<usize>> = HashMap::new();
        for (i, &k) in keys.iter().enumerate().take(ds.items.len()) {
            key_items.entry(k).or_default().push(i);
        }
        Ok(ModelScorer {
            model,
            keys,
            key_items,
            vectors,
            use_blend,
        })
    }

    fn try_score(&self, histories: &[&[Interaction]], out: &mut [f32]) -> candle_core::Result<()> {
        let max_len = self.model.config.max_len;
        let device = self.model.device();
        let recent: Vec<&[Interaction]> = histories
            .iter()
            .map(|h| &h[h.len().saturating_sub(max_len)..])
            .collect();
        let (inputs, len, _) = sequence_batch(&recent, &self.vectors, |i| i, device)?;
        let intents = self
            .model
            .user()
            .map_err(to_candle)?
            .forward(&inputs, None)?;
        let last = intents.narrow(1, len - 1, 1)?.squeeze(1)?;
        let scores = last
            .matmul(&self.vectors.t()?)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        out.copy_from_slice(&scores);
        if self.use_blend {
            let n = self.keys.len();
            for (row, history) in histories.iter().enumerate() {
                let keys: Vec<u64> = history.iter().map(|x| self.keys[x.item as usize]).collect();
                for (key, bonus) in self.model.sequence_evidence(&keys) {
                    for &i in self.key_items.get(&key).into_iter().flatten() {
                        out[row * n + i] += bonus;
                    }
                }
            }
        }
        Ok(())
    }
}

impl Scorer for ModelScorer<'_> {
    fn score(&self, histories: &[&[Interaction]], out: &mut [f32]) {
        if let Err(e) = self.try_score(histories, out) {
            // The evaluator cannot fail mid-batch; a tensor error here is a bug in the shapes.
            eprintln!("scoring failed: {e}");
            out.fill(f32::NEG_INFINITY);
        }
    }
}

/// Left-pads `seqs` (each at most `max_len` long) into a batch whose item vectors are the rows
/// `row(item)` of `vectors`. Returns the batch, its length and each sequence's padding.
fn sequence_batch(
    seqs: &[&[Interaction]],
    vectors: &Tensor,
    row: impl Fn(u32) -> u32,
    device: &Device,
) -> candle_core::Result<(SequenceBatch, usize, Vec<usize>)> {
    let len = seqs.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
    let b = seqs.len();
    let (mut items, mut kinds, mut gaps) = (
        vec![0u32; b * len],
        vec![0u32; b * len],
        vec![0u32; b * len],
    );
    let mut pads = Vec::with_capacity(b);
    for (s, seq) in seqs.iter().enumerate() {
        let pad = len - seq.len();
        pads.push(pad);
        for (t, (x, step)) in seq.iter().zip(sequence::steps(seq)).enumerate() {
            let p = s * len + pad + t;
            items[p] = row(x.item);
            kinds[p] = step.kind as u32;
            gaps[p] = step.gap_bucket();
        }
    }
    let d = vectors.dim(1)?;
    let item_rows = Tensor::from_vec(items, b * len, device)?;
    let batch = SequenceBatch {
        items: vectors.index_select(&item_rows, 0)?.reshape((b, len, d))?,
        kinds: Tensor::from_vec(kinds, (b, len), device)?,
        gaps: Tensor::from_vec(gaps, (b, len), device)?,
        mask: SequenceBatch::attention_mask(&pads, len, device)?,
    };
    Ok((batch, len, pads))
}

/// Training sequences cut into windows of at most `max_len + 1` interactions, from the end, so
/// long histories give several windows and every interaction is a target once.
fn windows<'a>(seqs: &[&'a [Interaction]], max_len: usize) -> Vec<&'a [Interaction]> {
    let mut out = Vec::new();
    for seq in seqs {
        let mut end = seq.len();
        while end >= 2 {
            let start = end.saturating_sub(max_len + 1);
            out.push(&seq[start..end]);
            end = start + 1;
            if start == 0 {
                break;
            }
        }
    }
    out
}

/// Counts which item followed which in `seqs` and keeps the `per_item` most frequent
/// successors of each.
pub fn transition_table(seqs: &[&[Interaction]], keys: &[u64], per_item: usize) -> Transitions {
    let mut counts: HashMap<(u32, u32), u32> = HashMap::new();
    for seq in seqs {
        for w in seq.windows(2) {
            if w[0].item != w[1].item {
                *counts.entry((w[0].item, w[1].item)).or_default() += 1;
            }
        }
    }
    let pairs = counts
        .into_iter()
        .map(|((a, b), c)| (keys[a as usize], keys[b as usize], c))
        .collect();
    Transitions::from_counts(pairs, per_item)
}

fn features(ds: &Dataset, config: &ModelConfig) -> Vec<ItemFeatures> {
    ds.items
        .iter()
        .map(|i| ItemFeatures::new(i, &config.hashing))
        .collect()
}

fn named_vars(varmap: &VarMap) -> Vec<(String, Var)> {
    let data = varmap.data().lock().map(|d| d.clone()).unwrap_or_default();
    let mut vars: Vec<(String, Var)> = data.into_iter().collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    vars
}

/// Seeded initialisation (candle's CPU generator cannot be seeded): layer norms at one/zero,
/// biases and event-kind rows at zero, embeddings N(0, 0.1), linear weights N(0, 1/fan_in).
fn initialise(vars: &[(String, Var)], rng: &mut StdRng) -> candle_core::Result<()> {
    for (name, var) in vars {
        let shape = var.shape().clone();
        let n = shape.elem_count();
        let std = if name.contains(".ln") || name.ends_with(".bias") || name.ends_with(".kinds") {
            continue;
        } else if name.starts_with("item.") {
            0.1
        } else if name.ends_with("positions") || name.ends_with("gaps") {
            0.02
        } else {
            1.0 / (shape.dims().last().copied().unwrap_or(1) as f64).sqrt()
        };
        let values: Vec<f32> = (0..n).map(|_| (normal(rng) * std) as f32).collect();
        var.set(&Tensor::from_vec(values, shape, var.device())?)?;
    }
    Ok(())
}

fn normal(rng: &mut StdRng) -> f64 {
    // Box–Muller: a standard normal from two uniforms.
    let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn snapshot(vars: &[(String, Var)]) -> candle_core::Result<Vec<Tensor>> {
    vars.iter().map(|(_, v)| v.as_tensor().copy()).collect()
}

fn restore(vars: &[(String, Var)], values: &[Tensor]) -> candle_core::Result<()> {
    vars.iter().zip(values).try_for_each(|((_, v), t)| v.set(t))
}

fn to_candle(e: tastebud::Error) -> candle_core::Error {
    candle_core::Error::Msg(e.to_string())
}

struct SeededDropout {
    rng: SmallRng,
    p: f32,
}

impl Dropout for SeededDropout {
    fn drop(&mut self, xs: &Tensor) -> candle_core::Result<Tensor> {
        if self.p <= 0.0 {
            return Ok(xs.clone());
        }
        let scale = 1.0 / (1.0 - self.p);
        let mask: Vec<f32> = (0..xs.elem_count())
            .map(|_| {
                if self.rng.random::<f32>() < self.p {
                    0.0
                } else {
                    scale
                }
            })
            .collect();
        xs * Tensor::from_vec(mask, xs.shape(), xs.device())?
    }
}
