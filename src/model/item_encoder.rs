//! The item encoder: hashed id rows plus a weighted bag of content tokens, normalised to a unit
//! vector. The id part is what training learns about a known item; the content part is what lets
//! an unseen item land near similar ones.

use candle_core::{DType, Device, Result, Tensor, D};
use candle_nn::{Init, VarBuilder};

use crate::features::{ItemFeatures, ID_HASHES};
use crate::model::ModelConfig;

/// Items' hashed features as tensors, ready for [`ItemEncoder::encode`].
#[derive(Debug, Clone)]
pub struct FeatureBatch {
    /// Per id table, the row of each item: `[n]` u32.
    id_rows: Vec<Tensor>,
    /// Token rows, `[n, tokens]` u32 (padding points at row 0 with weight 0).
    token_rows: Tensor,
    /// Token weights, `[n, tokens, 1]` f32.
    token_weights: Tensor,
}

impl FeatureBatch {
    /// Packs `features` into tensors on `device`.
    pub fn new(features: &[ItemFeatures], device: &Device) -> Result<Self> {
        let n = features.len();
        let width = features
            .iter()
            .map(|f| f.tokens.len())
            .max()
            .unwrap_or(0)
            .max(1);
        let mut rows = vec![0u32; n * width];
        let mut weights = vec![0f32; n * width];
        for (i, f) in features.iter().enumerate() {
            for (j, &(bucket, w)) in f.tokens.iter().enumerate() {
                rows[i * width + j] = bucket;
                weights[i * width + j] = w;
            }
        }
        let id_rows = (0..ID_HASHES)
            .map(|k| {
                let ids: Vec<u32> = features.iter().map(|f| f.id_buckets[k]).collect();
                Tensor::from_vec(ids, n, device)
            })
            .collect::<Result<_>>()?;
        Ok(FeatureBatch {
            id_rows,
            token_rows: Tensor::from_vec(rows, (n, width), device)?,
            token_weights: Tensor::from_vec(weights, (n, width, 1), device)?,
        })
    }

    /// The items at `rows` (a `[m]` u32 tensor of indices into this batch).
    pub fn select(&self, rows: &Tensor) -> Result<Self> {
        Ok(FeatureBatch {
            id_rows: self
                .id_rows
                .iter()
                .map(|t| t.index_select(rows, 0))
                .collect::<Result<_>>()?,
            token_rows: self.token_rows.index_select(rows, 0)?,
            token_weights: self.token_weights.index_select(rows, 0)?,
        })
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.token_rows.dims()[0]
    }

    /// Whether the batch holds no item.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How much of the id part to use.
#[derive(Debug, Clone, Copy)]
pub enum IdPart<'a> {
    /// Known items: id rows plus content.
    Use,
    /// Content only, as a brand-new catalog would see it.
    Skip,
    /// Per-item factors `[n, 1]` (training drops the id part of random items so the content
    /// part learns to stand alone).
    Scale(&'a Tensor),
}

/// Maps hashed item features to unit vectors.
#[derive(Debug, Clone)]
pub struct ItemEncoder {
    id_tables: Vec<Tensor>,
    tokens: Tensor,
}

/// The name of id table `k` under the item encoder's prefix.
fn id_table(k: usize) -> String {
    format!("id{k}")
}

impl ItemEncoder {
    /// Where the encoder's weights are in the model file: `item.*`.
    pub const PREFIX: &'static str = "item";

    /// The model file's names of the id tables: what a content-only model (the cold start of
    /// an item never seen) leaves out.
    pub fn id_table_names() -> impl Iterator<Item = String> {
        (0..ID_HASHES).map(|k| format!("{}.{}", Self::PREFIX, id_table(k)))
    }

    /// Builds the encoder's parameters under [`ItemEncoder::PREFIX`] of `vb`.
    pub fn new(config: &ModelConfig, vb: VarBuilder) -> Result<Self> {
        let init = Init::Randn {
            mean: 0.0,
            stdev: 0.1,
        };
        let id_tables = (0..ID_HASHES)
            .map(|k| {
                let rows = config.hashing.id_buckets[k] as usize;
                vb.get_with_hints((rows, config.dim), &id_table(k), init)
            })
            .collect::<Result<_>>()?;
        let rows = config.hashing.token_buckets as usize;
        let tokens = vb.get_with_hints((rows, config.dim), "tokens", init)?;
        Ok(ItemEncoder { id_tables, tokens })
    }

    /// Unit vectors `[n, dim]` of the items in `batch`.
    pub fn encode(&self, batch: &FeatureBatch, ids: IdPart) -> Result<Tensor> {
        let (n, width) = batch.token_rows.dims2()?;
        let dim = self.tokens.dim(1)?;
        let content = self
            .tokens
            .index_select(&batch.token_rows.flatten_all()?, 0)?
            .reshape((n, width, dim))?
            .broadcast_mul(&batch.token_weights)?
            .sum(1)?;
        let x = match ids {
            IdPart::Skip => content,
            IdPart::Use | IdPart::Scale(_) => {
                let mut id = self.id_tables[0].index_select(&batch.id_rows[0], 0)?;
                for (table, rows) in self.id_tables.iter().zip(&batch.id_rows).skip(1) {
                    id = (id + table.index_select(rows, 0)?)?;
                }
                if let IdPart::Scale(s) = ids {
                    id = id.broadcast_mul(s)?;
                }
                (id + content)?
            }
        };
        let norm = (x.sqr()?.sum_keepdim(D::Minus1)? + 1e-8)?.sqrt()?;
        x.broadcast_div(&norm)?.to_dtype(DType::F32)
    }
}
