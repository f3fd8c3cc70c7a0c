//! Softmax cross-entropy as one fused pass. Composed from candle ops, the loss over a
//! `[positions, catalog]` logit matrix takes a dozen full passes (and as many fresh
//! allocations) forward and back; here the forward pass computes the loss and its gradient
//! together, and the backward pass only scales that gradient.

use std::sync::{Arc, Mutex};

use candle_core::{bail, CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};

/// Mean softmax cross-entropy of `logits` (`[m, n]` f32) against `targets` (`[m]` u32).
pub fn cross_entropy(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    logits
        .contiguous()?
        .apply_op2(&targets.contiguous()?, SoftmaxCrossEntropy::default())
}

#[derive(Default)]
struct SoftmaxCrossEntropy {
    /// d(loss)/d(logits), filled by the forward pass.
    grad: Arc<Mutex<Option<Vec<f32>>>>,
}

impl CustomOp2 for SoftmaxCrossEntropy {
    fn name(&self) -> &'static str {
        "softmax-cross-entropy"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(logits), CpuStorage::U32(targets)) = (s1, s2) else {
            bail!("softmax-cross-entropy expects f32 logits and u32 targets")
        };
        let (Some((a, b)), Some((c, d))) = (l1.contiguous_offsets(), l2.contiguous_offsets())
        else {
            bail!("softmax-cross-entropy expects contiguous inputs")
        };
        let (logits, targets) = (&logits[a..b], &targets[c..d]);
        let (m, n) = l1.shape().dims2()?;
        if targets.len() != m || targets.iter().any(|&t| t as usize >= n) {
            bail!("softmax-cross-entropy: targets do not match the logits")
        }
        let mut grad = vec![0f32; m * n];
        let scale = 1.0 / m as f32;
        let row_loss = |(row, g): (&[f32], &mut [f32]), target: u32| -> f64 {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0f32;
            for (gi, &x) in g.iter_mut().zip(row) {
                *gi = (x - max).exp();
                sum += *gi;
            }
            for gi in g.iter_mut() {
                *gi *= scale / sum;
            }
            g[target as usize] -= scale;
            f64::from(sum.ln() + max - row[target as usize])
        };
        // Two halves on two threads: the machine this trains on has two cores.
        let half = m.div_ceil(2) * n;
        let (g1, g2) = grad.split_at_mut(half.min(m * n));
        let (r1, r2) = logits.split_at(half.min(m * n));
        let t_split = m.div_ceil(2).min(m);
        let total = std::thread::scope(|s| {
            let first = s.spawn(|| {
                r1.chunks(n)
                    .zip(g1.chunks_mut(n))
                    .zip(&targets[..t_split])
                    .map(|(x, &t)| row_loss(x, t))
                    .sum::<f64>()
            });
            let second: f64 = r2
                .chunks(n)
                .zip(g2.chunks_mut(n))
                .zip(&targets[t_split..])
                .map(|(x, &t)| row_loss(x, t))
                .sum();
            first.join().unwrap_or(f64::NAN) + second
        });
        if let Ok(mut slot) = self.grad.lock() {
            *slot = Some(grad);
        }
        Ok((
            CpuStorage::F32(vec![(total / m as f64) as f32]),
            Shape::from(()),
        ))
    }

    fn bwd(
        &self,
        logits: &Tensor,
        _: &Tensor,
        _: &Tensor,
        grad_res: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad = match self.grad.lock() {
            Ok(mut slot) => slot.take(),
            Err(_) => None,
        };
        let Some(grad) = grad else {
            bail!("softmax-cross-entropy: backward before forward")
        };
        let grad =
            Tensor::from_vec(grad, logits.shape(), logits.device())?.broadcast_mul(grad_res)?;
        Ok((Some(grad), None))
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Var};

    use super::*;

    /// The fused loss and gradient equal candle's composed ones.
    #[test]
    fn matches_candle_cross_entropy() -> Result<()> {
        let dev = Device::Cpu;
        let x = Var::from_vec(
            (0..15)
                .map(|i| ((i * 7) % 5) as f32 * 0.3 - 0.4)
                .collect::<Vec<f32>>(),
            (3, 5),
            &dev,
        )?;
        let t = Tensor::new(&[4u32, 0, 2], &dev)?;
        let ours = cross_entropy(x.as_tensor(), &t)?;
        let theirs = candle_nn::loss::cross_entropy(x.as_tensor(), &t)?;
        assert!((ours.to_scalar::<f32>()? - theirs.to_scalar::<f32>()?).abs() < 1e-5);
        let g1 = ours
            .backward()?
            .get(&x)
            .map(|g| g.flatten_all()?.to_vec1::<f32>())
            .transpose()?
            .unwrap_or_default();
        let g2 = theirs
            .backward()?
            .get(&x)
            .map(|g| g.flatten_all()?.to_vec1::<f32>())
            .transpose()?
            .unwrap_or_default();
        assert_eq!(g1.len(), 15);
        assert!(
            g1.iter().zip(&g2).all(|(a, b)| (a - b).abs() < 1e-5),
            "{g1:?} vs {g2:?}"
        );
        Ok(())
    }
}
