//! Training: next-item prediction with softmax cross-entropy at every position (full over the
//! catalog, or sampled with in-batch and random negatives when the catalog is large), AdamW,
//! early stopping on validation NDCG@10, then the blend weights and the transition table chosen
//! on validation within the model file's size budget.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use candle_core::{DType, Device, Shape, Tensor, Var};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{AdamW, Init, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::{SmallRng, StdRng};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tastebud::features::{id_key, ItemFeatures};
use tastebud::model::{
    Blend, Dropout, FeatureBatch, IdPart, Model, ModelConfig, ModelFile, SequenceBatch, Transitions,
};
use tastebud::sequence;
use tastebud::EventKind;

use crate::data::{Dataset, Interaction};
use crate::eval::{evaluate, train_sequences, Metrics, Stage};
use crate::page::{shipped, PageScorer};

/// Training settings that are not part of the model.
#[derive(Debug, Clone, Serialize)]
pub struct FitOptions {
    /// Seed of every random choice (initialisation, shuffling, dropout).
    pub seed: u64,
    /// Most passes over the training sequences.
    pub epochs: usize,
    /// Epochs without a new best validation NDCG@10 before stopping; the best epoch's weights
    /// are kept.
    pub patience: usize,
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
    /// Most successors kept per item in the shipped transition table: caps of 1, 2, 4, … up
    /// to this are tried on validation.
    pub transitions_per_item: usize,
    /// Largest model file, in bytes: the transition table keeps what fits.
    pub max_bytes: usize,
    /// Store the weights as f16, as shipped by default; validation measures the file written.
    pub f16: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            seed: 42,
            epochs: 200,
            patience: 3,
            batch_size: 128,
            lr: 5e-3,
            weight_decay: 0.01,
            dropout: 0.2,
            id_dropout: 0.1,
            full_softmax_items: 20_000,
            negatives: 2_048,
            transitions_per_item: 32,
            max_bytes: crate::budget::DEFAULT_MAX_BYTES,
            f16: true,
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
    /// Validation metrics of the encoder alone, ranking as a page would.
    pub valid: Metrics,
    /// Seconds since training started.
    pub seconds: f64,
}

/// A trained model with its curve.
pub struct Trained {
    /// The model as a page loads it: the blend chosen on validation, the test-time transition
    /// table.
    pub model: Model,
    /// Its model file.
    pub bytes: Vec<u8>,
    /// The weights, by name, in f32 as trained.
    pub weights: Vec<(String, Tensor)>,
    /// Per-epoch curve.
    pub curve: Vec<EpochLog>,
    /// Epoch whose weights were kept.
    pub best_epoch: usize,
    /// Every blend tried on validation, with its NDCG@10.
    pub blend_search: Vec<(Blend, f64)>,
    /// Every cap of successors per item tried on validation.
    pub transition_search: Vec<TransitionTrial>,
    /// Wall-clock seconds of training, blend search included.
    pub seconds: f64,
}

/// Trains a model on `ds` and picks its blend and its transition table on validation: the steps
/// of `train`, `choose_blend` and `choose_transitions`, then the test-time transition
/// table, written as a page loads it, within `opts.max_bytes`.
pub fn fit(
    ds: &Dataset,
    config: ModelConfig,
    opts: &FitOptions,
    mask_history: bool,
) -> candle_core::Result<Trained> {
    let start = Instant::now();
    let untrained = crate::budget::file_bytes(&config, &Transitions::default(), opts.f16)
        .map_err(candle_core::Error::Msg)?;
    if untrained > opts.max_bytes {
        candle_core::bail!(
            "a model of this shape takes {untrained} bytes, over the budget of {} \
             (raise --max-bytes, or make the id tables, the token table or the vectors smaller)",
            opts.max_bytes
        );
    }
    let keys: Vec<u64> = ds.items.iter().map(|i| id_key(&i.id)).collect();
    let config = ModelConfig {
        trained_kinds: trained_kinds(&train_sequences(ds, Stage::Valid)),
        ..config
    };
    let (weights, curve, best_epoch) = train(ds, &config, opts, mask_history, start)?;
    // The blend on validation, with the transitions a validation user could have seen.
    let valid_pairs = pair_counts(&train_sequences(ds, Stage::Valid), &keys);
    let budget = Budget {
        weights: &weights,
        opts,
    };
    let valid_table = budget.transitions(&config, &valid_pairs, opts.transitions_per_item);
    let (blend, blend_search) =
        choose_blend(ds, &config, &weights, &valid_table, opts, mask_history)?;
    let config = ModelConfig { blend, ..config };
    let (cap, transition_search) =
        choose_transitions(ds, &config, &budget, &valid_pairs, mask_history)?;
    // No table when the blend reads none: its bytes would be spent on nothing.
    let test_table = cap.map_or_else(Transitions::default, |cap| {
        let test_pairs = pair_counts(&train_sequences(ds, Stage::Test), &keys);
        budget.transitions(&config, &test_pairs, cap)
    });
    let (model, bytes) = shipped(&config, &weights, &test_table, opts.f16).map_err(to_candle)?;
    Ok(Trained {
        model,
        bytes,
        weights,
        curve,
        best_epoch,
        blend_search,
        transition_search,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// A transition table tried on validation.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TransitionTrial {
    /// Most successors kept per item.
    pub cap: usize,
    /// Pairs kept within the budget.
    pub pairs: usize,
    /// Validation NDCG@10 of the page with the table.
    pub ndcg_10: f64,
}

/// The trained weights and the byte budget they must fit in with a transition table.
struct Budget<'a> {
    weights: &'a [(String, Tensor)],
    opts: &'a FitOptions,
}

impl Budget<'_> {
    /// The transition table of `pairs` with at most `cap` successors per item that keeps the
    /// model file of `config` within the budget.
    fn transitions(
        &self,
        config: &ModelConfig,
        pairs: &[(u64, u64, u32)],
        cap: usize,
    ) -> Transitions {
        crate::budget::transitions_within(pairs, cap, |table| {
            ModelFile::write(config, self.weights, table, self.opts.f16)
                .is_ok_and(|bytes| bytes.len() <= self.opts.max_bytes)
        })
    }
}

/// How many successors per item the transition table keeps, chosen on validation among 1, 2,
/// 4, … up to `transitions_per_item`: a few frequent successors can rank better than many
/// rare ones, and within the budget fewer per item leaves room for more items. Returns the
/// cap (none when the blend reads no transitions) and every table tried.
fn choose_transitions(
    ds: &Dataset,
    config: &ModelConfig,
    budget: &Budget,
    pairs: &[(u64, u64, u32)],
    mask_history: bool,
) -> candle_core::Result<(Option<usize>, Vec<TransitionTrial>)> {
    if config.blend.transition == 0.0 {
        return Ok((None, Vec::new()));
    }
    let most = budget.opts.transitions_per_item.max(1);
    let mut tried: Vec<TransitionTrial> = Vec::new();
    let mut last = None;
    let caps = std::iter::successors(Some(1usize), |&c| (c < most).then(|| (c * 2).min(most)));
    for cap in caps {
        let table = budget.transitions(config, pairs, cap);
        // A larger cap that keeps the same table (no item has more successors) ranks the same.
        if last.as_ref() == Some(&table) {
            continue;
        }
        let pairs = table.len();
        let (page, _) =
            shipped(config, budget.weights, &table, budget.opts.f16).map_err(to_candle)?;
        let ndcg = valid_ndcg(ds, page, mask_history);
        println!("transitions: at most {cap} per item, {pairs} pairs: valid ndcg@10 {ndcg:.4}");
        tried.push(TransitionTrial {
            cap,
            pairs,
            ndcg_10: ndcg,
        });
        last = Some(table);
    }
    // The best; of equals, the smallest cap (the last maximum of the reversed list).
    let best = tried
        .iter()
        .rev()
        .max_by(|a, b| a.ndcg_10.total_cmp(&b.ndcg_10));
    Ok((best.map(|t| t.cap), tried))
}

/// Validation NDCG@10 of a page ranking with `model`.
fn valid_ndcg(ds: &Dataset, model: Model, mask_history: bool) -> f64 {
    let scorer = PageScorer::new(model, &ds.items);
    evaluate(ds, Stage::Valid, mask_history, &scorer).ndcg_10
}

/// The kinds of the events the encoder trains on, in discriminant order: the rows of the kind
/// table it learns.
fn trained_kinds(sequences: &[&[Interaction]]) -> Vec<EventKind> {
    let mut seen = [false; EventKind::COUNT];
    for e in sequences.iter().flat_map(|s| s.iter()) {
        seen[e.kind as usize] = true;
    }
    EventKind::ALL
        .into_iter()
        .filter(|&k| seen[k as usize])
        .collect()
}

/// Weights by name.
type Weights = Vec<(String, Tensor)>;

/// The encoders trained on the validation split's sequences, with the weights of the epoch
/// whose encoder alone ranked best on validation. Returns those weights, the curve and the best
/// epoch.
fn train(
    ds: &Dataset,
    config: &ModelConfig,
    opts: &FitOptions,
    mask_history: bool,
    start: Instant,
) -> candle_core::Result<(Weights, Vec<EpochLog>, usize)> {
    let device = Device::Cpu;
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let seeded = Seeded::new();
    let vb = VarBuilder::from_backend(Box::new(seeded.clone()), DType::F32, device.clone());
    let model = Model::new(config.clone(), vb, Transitions::default()).map_err(to_candle)?;
    let vars = seeded.initialise(&mut rng)?;
    let catalog = FeatureBatch::new(&features(ds, config), &device)?;
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
    let encoder_only = ModelConfig {
        blend: Blend::ENCODER_ONLY,
        ..config.clone()
    };

    let mut curve = Vec::new();
    let (mut best, mut best_epoch, mut best_ndcg) = (snapshot(&vars)?, 0, f64::NEG_INFINITY);
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
        // The encoder alone, as a page would rank with it.
        let (page, _) = shipped(
            &encoder_only,
            &weights_of(&vars),
            &Transitions::default(),
            opts.f16,
        )
        .map_err(to_candle)?;
        let valid = evaluate(
            ds,
            Stage::Valid,
            mask_history,
            &PageScorer::new(page, &ds.items),
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
        } else if epoch - best_epoch >= opts.patience {
            break;
        }
    }
    restore(&vars, &best)?;
    Ok((weights_of(&vars), curve, best_epoch))
}

/// The blend a page ranks best with on validation, and every blend tried with its NDCG@10.
///
/// Coordinate search: each weight in turn over its grid, the others at their best so far (the
/// repeat weight only where history is not masked: masked, a history item is never ranked). A
/// weight whose best is its grid's largest value is tried higher, ×1.5 at a time, until the
/// score stops improving, so the search does not stop at the edge of its grid. The passed-over
/// penalty keeps its default: the loaders keep no impressions to choose it on.
fn choose_blend(
    ds: &Dataset,
    config: &ModelConfig,
    weights: &[(String, Tensor)],
    transitions: &Transitions,
    opts: &FitOptions,
    mask_history: bool,
) -> candle_core::Result<(Blend, Vec<(Blend, f64)>)> {
    let (page, _) = shipped(config, weights, transitions, opts.f16).map_err(to_candle)?;
    let mut tried: Vec<(Blend, f64)> = Vec::new();
    let mut score = |blend: Blend| {
        if let Some(&(_, ndcg)) = tried.iter().find(|(b, _)| *b == blend) {
            return ndcg;
        }
        let mut model = page.clone();
        model.config.blend = blend;
        let ndcg = valid_ndcg(ds, model, mask_history);
        println!(
            "blend transition {:.2} repeat {:.2} taste {:.2}: valid ndcg@10 {ndcg:.4}",
            blend.transition, blend.repeat, blend.taste
        );
        tried.push((blend, ndcg));
        ndcg
    };
    type Field = fn(&mut Blend) -> &mut f32;
    let grids: [(Field, &[f32]); 3] = [
        (|b| &mut b.transition, &[0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0]),
        (
            |b| &mut b.repeat,
            if mask_history {
                &[]
            } else {
                &[0.0, 0.5, 1.0, 2.0, 3.0]
            },
        ),
        (|b| &mut b.taste, &[0.0, 0.25, 0.5, 1.0, 2.0]),
    ];
    let mut best = Blend {
        passed_over: Blend::default().passed_over,
        ..Blend::ENCODER_ONLY
    };
    let mut best_ndcg = score(best);
    for (field, grid) in grids {
        let mut at = |w: f32| {
            let mut b = best;
            *field(&mut b) = w;
            (b, score(b))
        };
        let mut round = (best, best_ndcg);
        for &w in grid {
            let (b, ndcg) = at(w);
            if ndcg > round.1 {
                round = (b, ndcg);
            }
        }
        let top = grid.last().copied().unwrap_or(0.0);
        let mut w = top;
        while *field(&mut round.0) == w && w > 0.0 {
            w *= 1.5;
            let (b, ndcg) = at(w);
            if ndcg > round.1 {
                round = (b, ndcg);
            }
        }
        (best, best_ndcg) = round;
    }
    Ok((best, tried))
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

/// How often each item followed another in `seqs`: (from, to, count) by id key.
pub fn pair_counts(seqs: &[&[Interaction]], keys: &[u64]) -> Vec<(u64, u64, u32)> {
    let mut counts: HashMap<(u32, u32), u32> = HashMap::new();
    for seq in seqs {
        for w in seq.windows(2) {
            if w[0].item != w[1].item {
                *counts.entry((w[0].item, w[1].item)).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .map(|((a, b), c)| (keys[a as usize], keys[b as usize], c))
        .collect()
}

fn features(ds: &Dataset, config: &ModelConfig) -> Vec<ItemFeatures> {
    ds.items
        .iter()
        .map(|i| ItemFeatures::new(i, &config.hashing))
        .collect()
}

/// The variables of the modules being trained, each initialised from a seeded generator (candle's
/// CPU generator cannot be seeded, and training must be reproducible) as the module that
/// declares it says: the `Init` it passes to its `VarBuilder`.
#[derive(Clone)]
struct Seeded {
    vars: VarMap,
    inits: Arc<Mutex<HashMap<String, Init>>>,
}

impl SimpleBackend for Seeded {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        init: Init,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        self.inits
            .lock()
            .map_err(|_| candle_core::Error::Msg("initialisers poisoned".into()))?
            .insert(name.to_string(), init);
        self.vars.get(shape, name, init, dtype, device)
    }

    fn get_unchecked(&self, name: &str, _: DType, _: &Device) -> candle_core::Result<Tensor> {
        candle_core::bail!("{name}: a variable being trained is declared with its shape")
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.vars
            .data()
            .lock()
            .is_ok_and(|vars| vars.contains_key(name))
    }
}

impl Seeded {
    fn new() -> Self {
        Seeded {
            vars: VarMap::new(),
            inits: Arc::default(),
        }
    }

    /// Draws every random variable again from `rng`, in name order, and returns the variables
    /// by name. Constants stay as the module set them.
    fn initialise(&self, rng: &mut StdRng) -> candle_core::Result<Vec<(String, Var)>> {
        let poisoned = || candle_core::Error::Msg("the variables' lock is poisoned".into());
        let mut vars: Vec<(String, Var)> = self
            .vars
            .data()
            .lock()
            .map_err(|_| poisoned())?
            .clone()
            .into_iter()
            .collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let inits = self.inits.lock().map_err(|_| poisoned())?;
        for (name, var) in &vars {
            let (offset, scale, draw): (f64, f64, fn(&mut StdRng) -> f64) = match inits.get(name) {
                Some(Init::Const(_)) => continue,
                Some(&Init::Randn { mean, stdev }) => (mean, stdev, normal),
                Some(&Init::Uniform { lo, up }) => (lo, up - lo, |r| r.random()),
                other => candle_core::bail!("{name}: no seeded initialiser for {other:?}"),
            };
            let values: Vec<f32> = (0..var.shape().elem_count())
                .map(|_| (offset + scale * draw(rng)) as f32)
                .collect();
            var.set(&Tensor::from_vec(
                values,
                var.shape().clone(),
                var.device(),
            )?)?;
        }
        Ok(vars)
    }
}

fn normal(rng: &mut StdRng) -> f64 {
    // Box–Muller: a standard normal from two uniforms.
    let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn weights_of(vars: &[(String, Var)]) -> Weights {
    vars.iter()
        .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
        .collect()
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
