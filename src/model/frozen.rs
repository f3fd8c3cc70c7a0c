//! The encoders' forward passes at inference time, as plain loops over the weights of a model
//! file, taken under the names the candle modules give them. The candle modules define the
//! model and train it; but a page that re-ranks on every tap cannot afford candle's
//! per-operation cost on tensors this small (one sequence of at most 50 events, 64 dimensions,
//! items with a dozen tokens), nor building candle modules at cold start, so the ranker runs
//! these. `tests/model.rs` checks them against the candle definition.

use crate::event::EventKind;
use crate::features::{ItemFeatures, GAP_BUCKETS, ID_HASHES};
use std::sync::OnceLock;

use crate::model::file::{Floats, Weights};
use crate::model::{ItemEncoder, KindInput, ModelConfig, Step};

/// The weights of both encoders as flat row-major `f32` arrays.
#[derive(Clone)]
pub struct Frozen {
    pub(crate) items: FrozenItems,
    pub(crate) user: FrozenUser,
}

impl Frozen {
    /// Takes the weights of a model file by the names the candle modules give them, checking
    /// every shape against `config`: the page's load path, which never builds candle modules.
    pub(crate) fn from_weights(config: &ModelConfig, weights: Weights) -> crate::Result<Self> {
        let d = config.dim;
        if config.heads == 0 || !d.is_multiple_of(config.heads) {
            return Err(crate::Error::BadModel(format!(
                "weights do not fit the config: {} heads do not divide dim {d}",
                config.heads
            )));
        }
        let mut w = Take(weights);
        let items = FrozenItems {
            id_tables: ItemEncoder::id_table_names()
                .zip(config.hashing.id_buckets)
                .map(|(name, rows)| w.table(&name, rows as usize, d))
                .collect::<crate::Result<_>>()?,
            tokens: w.table("item.tokens", config.hashing.token_buckets as usize, d)?,
        };
        let blocks = (0..config.layers)
            .map(|i| {
                let b = format!("user.block{i}");
                Ok(Block {
                    ln1: w.layer_norm(&format!("{b}.ln1"), d)?,
                    qkv: w.dense(&format!("{b}.qkv"), d, 3 * d)?,
                    out: w.dense(&format!("{b}.out"), d, d)?,
                    ln2: w.layer_norm(&format!("{b}.ln2"), d)?,
                    up: w.dense(&format!("{b}.up"), d, config.ffn_dim)?,
                    down: w.dense(&format!("{b}.down"), config.ffn_dim, d)?,
                    heads: config.heads,
                })
            })
            .collect::<crate::Result<_>>()?;
        let user = FrozenUser {
            positions: w.matrix("user.positions", config.max_len, d)?,
            kinds: w.matrix("user.kinds", EventKind::COUNT, d)?,
            gaps: w.matrix("user.gaps", GAP_BUCKETS, d)?,
            blocks,
            ln_final: w.layer_norm("user.ln_final", d)?,
        };
        Ok(Frozen { items, user })
    }
}

/// Takes weights out of a model file's map, checking their shapes.
struct Take(Weights);

impl Take {
    fn take(&mut self, name: &str, shape: &[usize]) -> crate::Result<Vec<f32>> {
        Ok(self.take_stored(name, shape)?.to_f32())
    }

    fn take_stored(&mut self, name: &str, shape: &[usize]) -> crate::Result<Floats> {
        match self.0.remove(name) {
            Some((s, data)) if s == shape => Ok(data),
            Some((s, _)) => Err(crate::Error::BadModel(format!(
                "weights do not fit the config: {name} is {s:?}, the config needs {shape:?}"
            ))),
            None => Err(crate::Error::BadModel(format!("missing tensor {name}"))),
        }
    }

    fn matrix(&mut self, name: &str, rows: usize, cols: usize) -> crate::Result<Matrix> {
        let data = self.take(name, &[rows, cols])?;
        Ok(Matrix { data, cols })
    }

    fn table(&mut self, name: &str, rows: usize, cols: usize) -> crate::Result<Table> {
        let values = self.take_stored(name, &[rows, cols])?;
        Ok(Table {
            values,
            cols,
            blocks: (0..rows.div_ceil(Table::BLOCK_ROWS))
                .map(|_| OnceLock::new())
                .collect(),
        })
    }

    fn dense(&mut self, name: &str, inputs: usize, outputs: usize) -> crate::Result<Dense> {
        Ok(Dense {
            weight: self.matrix(&format!("{name}.weight"), outputs, inputs)?,
            bias: self.take(&format!("{name}.bias"), &[outputs])?,
        })
    }

    fn layer_norm(&mut self, name: &str, dim: usize) -> crate::Result<LayerNorm> {
        Ok(LayerNorm {
            weight: self.take(&format!("{name}.weight"), &[dim])?,
            bias: self.take(&format!("{name}.bias"), &[dim])?,
        })
    }
}

impl std::fmt::Debug for Frozen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Frozen { .. }")
    }
}

/// A `[rows, cols]` matrix, row-major.
#[derive(Clone)]
struct Matrix {
    data: Vec<f32>,
    cols: usize,
}

impl Matrix {
    /// Row `r`, or zeros past the end (buckets are always in range for a loaded model; this
    /// keeps a bug from becoming a panic).
    fn row(&self, r: usize) -> &[f32] {
        self.data
            .get(r * self.cols..(r + 1) * self.cols)
            .unwrap_or(&[])
    }
}

/// A `[rows, cols]` embedding table, converted to f32 a block of rows at a time on first use:
/// the item tables hold four fifths of the weights, and an item reads a dozen of their rows,
/// so converting them at load would be most of a page's cold start for rows never read.
#[derive(Clone)]
struct Table {
    values: Floats,
    cols: usize,
    blocks: Vec<OnceLock<Vec<f32>>>,
}

impl Table {
    const BLOCK_ROWS: usize = 32;

    /// Row `r`, or zeros past the end, as [`Matrix::row`].
    fn row(&self, r: usize) -> &[f32] {
        let (b, i) = (r / Self::BLOCK_ROWS, r % Self::BLOCK_ROWS);
        let Some(block) = self.blocks.get(b) else {
            return &[];
        };
        let start = b * Self::BLOCK_ROWS * self.cols;
        let block = block.get_or_init(|| {
            self.values
                .range_to_f32(start..start + Self::BLOCK_ROWS * self.cols)
        });
        block.get(i * self.cols..(i + 1) * self.cols).unwrap_or(&[])
    }
}

#[derive(Clone)]
pub(crate) struct FrozenItems {
    id_tables: Vec<Table>,
    tokens: Table,
}

impl FrozenItems {
    /// Writes the unit vector of `f` into `out` (`dim` long): the id rows (when `use_ids`) plus
    /// the weighted token rows, normalised.
    pub(crate) fn encode(&self, f: &ItemFeatures, use_ids: bool, out: &mut [f32]) {
        out.fill(0.0);
        for &(bucket, w) in &f.tokens {
            axpy(out, self.tokens.row(bucket as usize), w);
        }
        if use_ids {
            // The id rows are summed first, as the candle encoder does.
            let [a, b]: [&[f32]; ID_HASHES] =
                std::array::from_fn(|k| self.id_tables[k].row(f.id_buckets[k] as usize));
            for ((o, a), b) in out.iter_mut().zip(a).zip(b) {
                *o += a + b;
            }
        }
        let norm = (dot(out, out) + 1e-8).sqrt();
        out.iter_mut().for_each(|x| *x /= norm);
    }
}

#[derive(Clone)]
struct Dense {
    /// `[out, in]`.
    weight: Matrix,
    bias: Vec<f32>,
}

impl Dense {
    fn apply(&self, x: &[f32], out: &mut Vec<f32>) {
        out.clear();
        out.extend(
            self.bias
                .iter()
                .enumerate()
                .map(|(o, b)| dot(self.weight.row(o), x) + b),
        );
    }
}

#[derive(Clone)]
struct LayerNorm {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl LayerNorm {
    fn apply(&self, x: &[f32], out: &mut Vec<f32>) {
        let n = x.len() as f32;
        let mean = x.iter().sum::<f32>() / n;
        let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        let scale = (var + 1e-5).sqrt();
        out.clear();
        out.extend(
            x.iter()
                .zip(self.weight.iter().zip(&self.bias))
                .map(|(v, (w, b))| (v - mean) / scale * w + b),
        );
    }
}

/// The block over this module's layers.
type Block = super::Block<LayerNorm, Dense>;

impl Block {
    /// The block over `x` (`len` rows of `dim`), returning the rows `from..len` only: later
    /// blocks need every row, the last block only the newest.
    /// Position `t` attends to `0..=t`, each position `s` counting `weights[s]` times.
    fn forward(&self, x: &[f32], weights: &[f32], dim: usize, from: usize) -> Vec<f32> {
        let len = x.len() / dim;
        let hd = dim / self.heads;
        let scale = (hd as f32).sqrt();
        let (mut normed, mut qkv) = (Vec::new(), Vec::with_capacity(len * 3 * dim));
        let mut row = Vec::new();
        for t in 0..len {
            self.ln1.apply(&x[t * dim..(t + 1) * dim], &mut normed);
            self.qkv.apply(&normed, &mut row);
            qkv.extend_from_slice(&row);
        }
        let part = |t: usize, which: usize, h: usize| {
            let at = t * 3 * dim + which * dim + h * hd;
            &qkv[at..at + hd]
        };
        let mut out = Vec::with_capacity((len - from) * dim);
        let (mut ctx, mut scores, mut h1, mut h2, mut f) = (
            vec![0f32; dim],
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        for t in from..len {
            for h in 0..self.heads {
                // Causal: position t sees 0..=t.
                scores.clear();
                scores.extend((0..=t).map(|s| dot(part(t, 0, h), part(s, 1, h)) / scale));
                let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                scores
                    .iter_mut()
                    .zip(weights)
                    .for_each(|(s, w)| *s = (*s - max).exp() * w);
                let total: f32 = scores.iter().sum();
                let c = &mut ctx[h * hd..(h + 1) * hd];
                c.fill(0.0);
                for (s, p) in scores.iter().enumerate() {
                    axpy(c, part(s, 2, h), p / total);
                }
            }
            self.out.apply(&ctx, &mut h1);
            let x1: Vec<f32> = x[t * dim..(t + 1) * dim]
                .iter()
                .zip(&h1)
                .map(|(a, b)| a + b)
                .collect();
            self.ln2.apply(&x1, &mut h2);
            self.up.apply(&h2, &mut f);
            f.iter_mut().for_each(|v| *v = v.max(0.0));
            self.down.apply(&f, &mut h1);
            out.extend(x1.iter().zip(&h1).map(|(a, b)| a + b));
        }
        out
    }
}

#[derive(Clone)]
pub(crate) struct FrozenUser {
    positions: Matrix,
    kinds: Matrix,
    gaps: Matrix,
    blocks: Vec<Block>,
    ln_final: LayerNorm,
}

impl FrozenUser {
    /// The intent after the last of `steps`, whose item vectors are the rows of `items`
    /// (`steps.len() × dim`); only the last `max_len` steps are read.
    pub(crate) fn intent(
        &self,
        items: &[f32],
        steps: &[Step],
        inputs: &[KindInput; EventKind::COUNT],
        dim: usize,
    ) -> Option<Vec<f32>> {
        let max_len = self.positions.data.len() / dim;
        let len = steps.len().min(max_len);
        if len == 0 || items.len() != steps.len() * dim {
            return None;
        }
        let skip = steps.len() - len;
        let sqrt_d = (dim as f32).sqrt();
        let mut x = Vec::with_capacity(len * dim);
        let mut weights = Vec::with_capacity(len);
        for (t, step) in steps[skip..].iter().enumerate() {
            let item = &items[(skip + t) * dim..(skip + t + 1) * dim];
            let input = inputs[step.kind as usize];
            weights.push(input.weight);
            let kind = self.kinds.row(input.row as usize);
            let gap = self.gaps.row(step.gap_bucket() as usize);
            let pos = self.positions.row(max_len - len + t);
            for i in 0..dim {
                x.push(item[i] * sqrt_d + kind[i] + gap[i] + pos[i]);
            }
        }
        for (b, block) in self.blocks.iter().enumerate() {
            let from = if b + 1 == self.blocks.len() {
                x.len() / dim - 1
            } else {
                0
            };
            x = block.forward(&x, &weights, dim, from);
        }
        let last = &x[x.len() - dim..];
        let mut out = Vec::with_capacity(dim);
        self.ln_final.apply(last, &mut out);
        Some(out)
    }
}

/// Dot product: four 128-bit lanes on wasm32 with SIMD, eight independent sums elsewhere (one
/// running sum must be added in order, which keeps the compiler from using SIMD lanes).
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (ca, cb) = (a[..n].chunks_exact(8), b[..n].chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        use core::arch::wasm32::*;
        let (mut acc0, mut acc1) = (f32x4_splat(0.0), f32x4_splat(0.0));
        for (x, y) in ca.zip(cb) {
            // SAFETY: each chunk holds 8 f32s, two unaligned 16-byte loads apiece.
            unsafe {
                let (x0, x1) = (
                    v128_load(x.as_ptr().cast()),
                    v128_load(x[4..].as_ptr().cast()),
                );
                let (y0, y1) = (
                    v128_load(y.as_ptr().cast()),
                    v128_load(y[4..].as_ptr().cast()),
                );
                acc0 = f32x4_add(acc0, f32x4_mul(x0, y0));
                acc1 = f32x4_add(acc1, f32x4_mul(x1, y1));
            }
        }
        let acc = f32x4_add(acc0, acc1);
        f32x4_extract_lane::<0>(acc)
            + f32x4_extract_lane::<1>(acc)
            + f32x4_extract_lane::<2>(acc)
            + f32x4_extract_lane::<3>(acc)
            + tail
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        let mut acc = [0f32; 8];
        for (x, y) in ca.zip(cb) {
            for i in 0..8 {
                acc[i] += x[i] * y[i];
            }
        }
        acc.iter().sum::<f32>() + tail
    }
}

/// `y += a·x`.
#[inline]
fn axpy(y: &mut [f32], x: &[f32], a: f32) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}
