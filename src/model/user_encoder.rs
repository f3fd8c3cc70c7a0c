//! The user encoder: causal self-attention over the recent events (item vector + event type +
//! time-gap bucket + position), giving the shopper's short-term intent at every position.

use candle_core::{Device, Result, Tensor, D};
use candle_nn::{ops, Init, VarBuilder};

use crate::event::EventKind;
use crate::features::GAP_BUCKETS;
use crate::model::ModelConfig;

/// Training-time regularisation, supplied by the trainer, which owns the seeded random source
/// (candle's CPU generator cannot be seeded, and training must be reproducible).
pub trait Dropout {
    /// Zeroes random elements of `xs` and rescales the rest.
    fn drop(&mut self, xs: &Tensor) -> Result<Tensor>;
}

/// A batch of left-padded event sequences, all of the same length.
#[derive(Debug)]
pub struct SequenceBatch {
    /// Item vectors `[batch, len, dim]`.
    pub items: Tensor,
    /// Event kinds `[batch, len]` u32 ([`EventKind`] discriminants).
    pub kinds: Tensor,
    /// Time-gap buckets `[batch, len]` u32 (see [`crate::features::gap_bucket`]).
    pub gaps: Tensor,
    /// Additive attention bias `[batch, 1, len, len]`: 0 where a position may look, a large
    /// negative number at later positions and padding.
    pub mask: Tensor,
}

impl SequenceBatch {
    /// The causal-and-padding attention bias for sequences of `len` positions whose first
    /// `pad[b]` positions are padding.
    pub fn attention_mask(pad: &[usize], len: usize, device: &Device) -> Result<Tensor> {
        let mut bias = vec![0f32; pad.len() * len * len];
        for (b, &p) in pad.iter().enumerate() {
            for i in 0..len {
                for j in 0..len {
                    // A padded query still sees itself, so its softmax stays finite.
                    let visible = j <= i && (j >= p || j == i);
                    if !visible {
                        bias[(b * len + i) * len + j] = -1e9;
                    }
                }
            }
        }
        Tensor::from_vec(bias, (pad.len(), 1, len, len), device)
    }
}

/// Adds `row` (`[k]`) to every row of `x` (`[n, k]`) as `x + 1·row`: the same sum as a
/// broadcast add, but the gradient of `row` is then a matrix product rather than candle's
/// strided column reduction, which dominated the backward pass.
fn add_row(x: &Tensor, row: &Tensor) -> Result<Tensor> {
    let ones = Tensor::ones((x.dim(0)?, 1), x.dtype(), x.device())?;
    x + ones.matmul(&row.unsqueeze(0)?)?
}

/// Applies `f` to `x` viewed as a matrix of its last dimension, keeping the leading shape.
fn as_rows(x: &Tensor, f: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    let dims = x.dims().to_vec();
    let last = dims.last().copied().unwrap_or(1);
    let out = f(&x.reshape(((), last))?)?;
    let mut shape = dims;
    if let Some(l) = shape.last_mut() {
        *l = out.dim(1)?;
    }
    out.reshape(shape)
}

/// A dense layer with weight `[out, in]` and bias `[out]` (candle-nn's layout and names).
#[derive(Debug, Clone)]
struct Dense {
    weight: Tensor,
    bias: Tensor,
}

impl Dense {
    fn new(inputs: usize, outputs: usize, vb: VarBuilder) -> Result<Self> {
        // N(0, 1/fan_in): activations keep their scale through the layer.
        Ok(Dense {
            weight: vb.get_with_hints(
                (outputs, inputs),
                "weight",
                Init::Randn {
                    mean: 0.0,
                    stdev: 1.0 / (inputs as f64).sqrt(),
                },
            )?,
            bias: vb.get_with_hints(outputs, "bias", Init::Const(0.0))?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        as_rows(x, |x| add_row(&x.matmul(&self.weight.t()?)?, &self.bias))
    }
}

#[derive(Debug, Clone)]
struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
}

impl LayerNorm {
    fn new(dim: usize, vb: VarBuilder) -> Result<Self> {
        Ok(LayerNorm {
            weight: vb.get_with_hints(dim, "weight", Init::Const(1.0))?,
            bias: vb.get_with_hints(dim, "bias", Init::Const(0.0))?,
        })
    }

    /// Composed from differentiable ops (candle's fused kernel has no backward pass), so one
    /// definition serves training and inference; the scale is a product with a diagonal
    /// matrix for the same reason as [`add_row`].
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        as_rows(xs, |x| {
            let centred = x.broadcast_sub(&x.mean_keepdim(D::Minus1)?)?;
            let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
            let normed = centred.broadcast_div(&(var + 1e-5)?.sqrt()?)?;
            let d = self.weight.dim(0)?;
            let diag =
                Tensor::eye(d, x.dtype(), x.device())?.broadcast_mul(&self.weight.unsqueeze(0)?)?;
            add_row(&normed.matmul(&diag)?, &self.bias)
        })
    }
}

/// The block over this module's layers.
type Block = super::Block<LayerNorm, Dense>;

impl Block {
    fn new(config: &ModelConfig, vb: VarBuilder) -> Result<Self> {
        let d = config.dim;
        Ok(Block {
            ln1: LayerNorm::new(d, vb.pp("ln1"))?,
            qkv: Dense::new(d, 3 * d, vb.pp("qkv"))?,
            out: Dense::new(d, d, vb.pp("out"))?,
            ln2: LayerNorm::new(d, vb.pp("ln2"))?,
            up: Dense::new(d, config.ffn_dim, vb.pp("up"))?,
            down: Dense::new(config.ffn_dim, d, vb.pp("down"))?,
            heads: config.heads,
        })
    }

    fn forward(
        &self,
        x: &Tensor,
        mask: &Tensor,
        dropout: &mut Option<&mut dyn Dropout>,
    ) -> Result<Tensor> {
        let (b, l, d) = x.dims3()?;
        let hd = d / self.heads;
        let qkv = self.qkv.forward(&self.ln1.forward(x)?)?;
        let split = |i: usize| -> Result<Tensor> {
            qkv.narrow(D::Minus1, i * d, d)?
                .reshape((b, l, self.heads, hd))?
                .transpose(1, 2)?
                .contiguous()
        };
        let (q, k, v) = (split(0)?, split(1)?, split(2)?);
        let scores = (q.matmul(&k.t()?)? / (hd as f64).sqrt())?.broadcast_add(mask)?;
        let attn = ops::softmax(&scores, D::Minus1)?;
        let ctx = attn.matmul(&v)?.transpose(1, 2)?.reshape((b, l, d))?;
        let mut h = self.out.forward(&ctx)?;
        if let Some(drop) = dropout.as_mut() {
            h = drop.drop(&h)?;
        }
        let x = (x + h)?;
        let mut f = self
            .down
            .forward(&self.up.forward(&self.ln2.forward(&x)?)?.relu()?)?;
        if let Some(drop) = dropout.as_mut() {
            f = drop.drop(&f)?;
        }
        x + f
    }
}

/// Causal self-attention over event sequences.
#[derive(Debug, Clone)]
pub struct UserEncoder {
    positions: Tensor,
    kinds: Tensor,
    gaps: Tensor,
    blocks: Vec<Block>,
    ln_final: LayerNorm,
}

impl UserEncoder {
    /// Builds the encoder's parameters under `user.*` of `vb`.
    pub fn new(config: &ModelConfig, vb: VarBuilder) -> Result<Self> {
        let d = config.dim;
        let small = Init::Randn {
            mean: 0.0,
            stdev: 0.02,
        };
        Ok(UserEncoder {
            positions: vb.get_with_hints((config.max_len, d), "positions", small)?,
            // Zero at start: a kind the training data never had (impressions, say) then adds
            // nothing rather than noise.
            kinds: vb.get_with_hints((EventKind::COUNT, d), "kinds", Init::Const(0.0))?,
            gaps: vb.get_with_hints((GAP_BUCKETS, d), "gaps", small)?,
            blocks: (0..config.layers)
                .map(|i| Block::new(config, vb.pp(format!("block{i}"))))
                .collect::<Result<_>>()?,
            ln_final: LayerNorm::new(d, vb.pp("ln_final"))?,
        })
    }

    /// The intent vector `[batch, len, dim]` after each position of `seq`; `dropout` is given
    /// only when training.
    pub fn forward(
        &self,
        seq: &SequenceBatch,
        mut dropout: Option<&mut dyn Dropout>,
    ) -> Result<Tensor> {
        let (b, l, d) = seq.items.dims3()?;
        let max_len = self.positions.dim(0)?;
        let positions = self.positions.narrow(0, max_len - l, l)?;
        let kinds = self
            .kinds
            .index_select(&seq.kinds.flatten_all()?, 0)?
            .reshape((b, l, d))?;
        let gaps = self
            .gaps
            .index_select(&seq.gaps.flatten_all()?, 0)?
            .reshape((b, l, d))?;
        // Unit item vectors are scaled so they weigh like the other summands after training.
        let x = ((seq.items.clone() * (d as f64).sqrt())? + kinds + gaps)?;
        let mut x =
            add_row(&x.reshape((b, l * d))?, &positions.flatten_all()?)?.reshape((b, l, d))?;
        if let Some(drop) = dropout.as_mut() {
            x = drop.drop(&x)?;
        }
        for block in &self.blocks {
            x = block.forward(&x, &seq.mask, &mut dropout)?;
        }
        self.ln_final.forward(&x)
    }
}
