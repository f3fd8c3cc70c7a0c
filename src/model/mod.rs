//! The model, defined once: the item encoder, the user encoder and the transition table, with
//! the configuration written into the model file. The trainer builds the candle modules over a
//! `VarMap` and trains them; the runtime reads the file's weights into inference loops that
//! compute the same numbers (`frozen`, checked against the candle modules in the tests).

mod file;
mod frozen;
mod item_encoder;
mod transitions;
mod user_encoder;

use std::borrow::Borrow;
use std::sync::Arc;

use candle_core::Device;
use candle_nn::VarBuilder;
use serde::{Deserialize, Serialize};

pub use file::{ModelFile, FORMAT_VERSION};
pub(crate) use frozen::dot;
use frozen::Frozen;
pub use item_encoder::{FeatureBatch, IdPart, ItemEncoder};
pub use transitions::Transitions;
pub use user_encoder::{Dropout, SequenceBatch, UserEncoder};

use crate::error::Result;
use crate::features::{gap_bucket, HashingConfig, ItemFeatures};
use crate::{EventKind, Item};

/// One self-attention block of the user encoder, its layers named as in the model file: held
/// as candle modules for training ([`user_encoder`]) and as plain weights for inference
/// ([`frozen`]), one layout for both.
#[derive(Debug, Clone)]
struct Block<Norm, Linear> {
    ln1: Norm,
    qkv: Linear,
    out: Linear,
    ln2: Norm,
    up: Linear,
    down: Linear,
    heads: usize,
}

/// Shape of the model; stored in the model file and the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Width of item and user vectors.
    pub dim: usize,
    /// Feature hashing tables.
    pub hashing: HashingConfig,
    /// Most recent events the user encoder reads.
    pub max_len: usize,
    /// Self-attention blocks.
    pub layers: usize,
    /// Attention heads per block (divides `dim`).
    pub heads: usize,
    /// Hidden width of each block's feed-forward layer.
    pub ffn_dim: usize,
    /// How sequence evidence is mixed with the encoder's score.
    pub blend: Blend,
    /// The event kinds the training sequences held: the rows of the kind table that were
    /// learned. A visit of another kind reads a stand-in's row ([`ModelConfig::kind_inputs`]).
    /// Files that predate the field read every row as learned.
    #[serde(default = "every_engagement_kind")]
    pub trained_kinds: Vec<EventKind>,
}

fn every_engagement_kind() -> Vec<EventKind> {
    EventKind::ALL
        .into_iter()
        .filter(|&k| crate::sequence::is_engagement(k))
        .collect()
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            dim: 64,
            hashing: HashingConfig::default(),
            max_len: 50,
            layers: 2,
            heads: 2,
            ffn_dim: 128,
            blend: Blend::default(),
            trained_kinds: every_engagement_kind(),
        }
    }
}

/// Largest [`ModelConfig::dim`] and [`ModelConfig::ffn_dim`] a model file may declare.
pub const MAX_WIDTH: usize = 4096;
/// Most [`ModelConfig::layers`].
pub const MAX_LAYERS: usize = 32;
/// Largest [`ModelConfig::max_len`].
pub const MAX_SEQUENCE: usize = 1000;
/// Most rows of a hashed table.
pub const MAX_BUCKETS: u32 = 1 << 24;

impl ModelConfig {
    /// Checks every field against its range, so that a model file that loads can rank: a
    /// width of 0, heads that do not divide the width or an empty hash table would otherwise
    /// load and fail (or trap, in a page) on first use.
    pub fn validated(self) -> Result<Self> {
        let bad = |what: String| crate::Error::BadModel(format!("model config: {what}"));
        let within = |name: &str, value: usize, max: usize| {
            if (1..=max).contains(&value) {
                Ok(())
            } else {
                Err(bad(format!("{name} must be 1 to {max}, got {value}")))
            }
        };
        within("dim", self.dim, MAX_WIDTH)?;
        within("ffn_dim", self.ffn_dim, MAX_WIDTH)?;
        within("layers", self.layers, MAX_LAYERS)?;
        within("max_len", self.max_len, MAX_SEQUENCE)?;
        within("heads", self.heads, self.dim)?;
        if !self.dim.is_multiple_of(self.heads) {
            return Err(bad(format!(
                "{} heads do not divide dim {}",
                self.heads, self.dim
            )));
        }
        let h = &self.hashing;
        for &rows in &h.id_buckets {
            within("id_buckets", rows as usize, MAX_BUCKETS as usize)?;
        }
        within(
            "token_buckets",
            h.token_buckets as usize,
            MAX_BUCKETS as usize,
        )?;
        if let Some(k) = self
            .trained_kinds
            .iter()
            .find(|&&k| !crate::sequence::is_engagement(k))
        {
            return Err(bad(format!(
                "trained_kinds: {} never enters a sequence",
                k.name()
            )));
        }
        let b = self.blend;
        if ![b.transition, b.repeat, b.taste, b.passed_over]
            .iter()
            .all(|w| w.is_finite())
        {
            return Err(bad(format!("blend weights must be finite, got {b:?}")));
        }
        Ok(self)
    }

    /// How each kind enters the user encoder, indexed by discriminant. A kind the model
    /// learned reads its own row at weight 1. Any other kind (a page's views and clicks, for a
    /// model trained on purchases) stands in as the learned kind whose evidence weight is
    /// nearest its own, counting as the ratio of the two weights: with the profile's default
    /// weights and a model trained on purchases, a click counts as 0.3 of a purchase. The
    /// weights are what one event adds to its item's affinity (`evidence[kind]`), so a page
    /// that weighs its kinds differently feeds the encoder in the same proportions.
    pub fn kind_inputs(&self, evidence: &[f32; EventKind::COUNT]) -> [KindInput; EventKind::COUNT] {
        let trained = &self.trained_kinds;
        EventKind::ALL.map(|kind| {
            if trained.is_empty() || trained.contains(&kind) {
                return KindInput {
                    row: kind,
                    weight: 1.0,
                };
            }
            let strength = |k: EventKind| evidence[k as usize].max(MIN_STAND_IN_WEIGHT);
            let distance = |k: EventKind| (strength(k) / strength(kind)).ln().abs();
            let row = trained
                .iter()
                .copied()
                .min_by(|&a, &b| distance(a).total_cmp(&distance(b)))
                .unwrap_or(kind);
            KindInput {
                row,
                weight: (strength(kind) / strength(row)).max(MIN_STAND_IN_WEIGHT),
            }
        })
    }
}

/// The weights of the ranker's terms, chosen on validation data by the trainer and stored in
/// the model file. A candidate `j`'s short-term score is `logit + transition·ln(1 + count(last
/// → j)) + repeat·ln(1 + j's affinity in the profile)`; its score is that, standardised over
/// the candidates, plus `taste` times its standardised similarity to the long-term taste, minus
/// `passed_over` if the shopper was shown it repeatedly and passed it over.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Blend {
    /// Weight of the transition count from the most recent item.
    pub transition: f32,
    /// Weight of what the shopper already did with the same item (its affinity in the
    /// profile: views, basket adds, purchases, weighed by kind and decayed).
    pub repeat: f32,
    /// Weight of the long-term taste (the affinity-weighted mean of the remembered items).
    pub taste: f32,
    /// Penalty for an item shown at least twice and never engaged with.
    pub passed_over: f32,
}

impl Blend {
    /// The user encoder alone: what the trainer validates each epoch.
    pub const ENCODER_ONLY: Blend = Blend {
        transition: 0.0,
        repeat: 0.0,
        taste: 0.0,
        passed_over: 0.0,
    };
}

impl Default for Blend {
    /// No sequence evidence; the taste and the penalty at half the short-term term's weight.
    fn default() -> Self {
        Blend {
            taste: 0.5,
            passed_over: 0.5,
            ..Blend::ENCODER_ONLY
        }
    }
}

/// How a visit of one kind enters the user encoder: the row of the kind table it reads and
/// how many visits of that row it counts as in attention.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KindInput {
    /// The kind whose learned row is read.
    pub row: EventKind,
    /// The visit's weight among the others when the encoder attends over them (1 for a kind
    /// the model learned).
    pub weight: f32,
}

/// Smallest attention weight a stand-in visit gets, so that a kind weighed 0 or less still
/// leaves the encoder something to attend to.
const MIN_STAND_IN_WEIGHT: f32 = 1e-3;

/// One event of a sequence as the user encoder reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// What was done.
    pub kind: EventKind,
    /// Seconds since the previous step (`None` for the first).
    pub gap_seconds: Option<i64>,
}

impl Step {
    /// The gap bucket fed to the encoder.
    pub fn gap_bucket(&self) -> u32 {
        gap_bucket(self.gap_seconds)
    }
}

/// A trained model: encoders plus transition table.
#[derive(Debug, Clone)]
pub struct Model {
    /// Its configuration.
    pub config: ModelConfig,
    /// Item-to-item successor counts: shared, like the frozen weights, so a clone copies none.
    pub transitions: Arc<Transitions>,
    device: Device,
    /// The candle modules, for training; a model read from bytes has none.
    modules: Option<Modules>,
    /// The encoders' weights for the inference loops, read straight from the file; a model
    /// being trained has none (its weights are still changing). Shared: they never change, so
    /// a clone of the model (a second personalizer on the page) costs no copy of them.
    frozen: Option<Arc<Frozen>>,
    /// The checksum of the file it was read from (0 for a model being trained).
    checksum: u32,
}

/// The encoders as candle modules: the model's definition.
#[derive(Debug, Clone)]
struct Modules {
    items: ItemEncoder,
    user: UserEncoder,
}

impl Model {
    /// Builds the model's modules from `vb` (a `VarMap` when training, stored weights at run
    /// time) with the given transition table.
    pub fn new(config: ModelConfig, vb: VarBuilder, transitions: Transitions) -> Result<Self> {
        let device = vb.device().clone();
        let modules = Modules {
            items: ItemEncoder::new(&config, vb.pp(ItemEncoder::PREFIX))?,
            user: UserEncoder::new(&config, vb.pp("user"))?,
        };
        Ok(Model {
            config,
            transitions: Arc::new(transitions),
            device,
            modules: Some(modules),
            frozen: None,
            checksum: 0,
        })
    }

    /// Loads a model from the bytes of a tastebud model file, straight into the inference
    /// loops: fast enough for a page's cold start, since no candle module is built.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let file::Parts {
            config,
            weights,
            transitions,
            checksum,
        } = file::read_parts(bytes)?;
        let frozen = Frozen::from_weights(&config, weights)?;
        Ok(Model {
            config,
            transitions: Arc::new(transitions),
            device: Device::Cpu,
            modules: None,
            frozen: Some(Arc::new(frozen)),
            checksum,
        })
    }

    /// The tag of this model's tokens ([`crate::token`]): a token is read only by the model
    /// file that made it.
    pub fn token_tag(&self) -> u16 {
        crate::token::model_tag(self.checksum)
    }

    /// The item encoder as a candle module: what the trainer trains.
    pub fn items(&self) -> Result<&ItemEncoder> {
        Ok(&self.modules()?.items)
    }

    /// The user encoder as a candle module: what the trainer trains.
    pub fn user(&self) -> Result<&UserEncoder> {
        Ok(&self.modules()?.user)
    }

    fn modules(&self) -> Result<&Modules> {
        self.modules.as_ref().ok_or_else(|| {
            crate::Error::Internal(
                "a model read with Model::from_bytes runs only through the inference loops; \
                 build it with Model::new over the file's tensors to train it"
                    .into(),
            )
        })
    }

    /// The device tensors live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Hashes `items` with this model's hashing config.
    pub fn features(&self, items: &[Item]) -> Vec<ItemFeatures> {
        items
            .iter()
            .map(|i| ItemFeatures::new(i, &self.config.hashing))
            .collect()
    }

    /// Unit vectors of `items`, `n × dim` row-major; `use_ids: false` gives the content-only
    /// vectors. The same numbers as [`ItemEncoder::encode`], computed without candle's
    /// per-operation cost.
    pub fn encode_items<I: Borrow<Item>>(&self, items: &[I], use_ids: bool) -> Result<Vec<f32>> {
        let frozen = self.frozen()?;
        let dim = self.config.dim;
        let mut out = vec![0f32; items.len() * dim];
        let (mut features, mut key) = (ItemFeatures::default(), Vec::new());
        for (item, row) in items.iter().zip(out.chunks_exact_mut(dim)) {
            features.rehash(item.borrow(), &self.config.hashing, &mut key);
            frozen.items.encode(&features, use_ids, row);
        }
        Ok(out)
    }

    /// The intent vector (`dim`) after a sequence of steps whose item vectors are the rows of
    /// `item_vectors` (`steps.len() × dim`, oldest first; only the last `max_len` are read),
    /// each kind entering as `inputs` says ([`ModelConfig::kind_inputs`]); `None` for an empty
    /// sequence. The last position of [`UserEncoder::forward`] for the kinds the model
    /// learned, computed without candle's per-operation cost.
    pub fn intent(
        &self,
        item_vectors: &[f32],
        steps: &[Step],
        inputs: &[KindInput; EventKind::COUNT],
    ) -> Result<Option<Vec<f32>>> {
        let frozen = self.frozen()?;
        Ok(frozen
            .user
            .intent(item_vectors, steps, inputs, self.config.dim))
    }

    fn frozen(&self) -> Result<&Frozen> {
        self.frozen.as_deref().ok_or_else(|| {
            crate::Error::Internal(
                "a model built for training runs only through candle; write it with ModelFile \
                 and read it back with Model::from_bytes to rank with it"
                    .into(),
            )
        })
    }
}

impl Model {
    /// The transition evidence for the item after `last` (an id key): a bonus for each of its
    /// recorded successors, `transition · ln(1 + count)`.
    pub fn successor_evidence(&self, last: u64) -> impl Iterator<Item = (u64, f32)> + '_ {
        let transition = self.config.blend.transition;
        self.transitions
            .successors(last)
            .filter(move |_| transition != 0.0)
            .map(move |(key, count)| (key, transition * (count as f32).ln_1p()))
    }
}
