//! What the GPU must do, as async scenarios the native tests (tests/top_k.rs, on lavapipe)
//! and the browser's (tests/web.rs, on SwiftShader's WebGPU) both run.
// Each test binary runs some of them (tests/no_adapter.rs only the CPU's).
#![allow(dead_code)]

pub mod rank;
/// The core's test fixtures: the default model, a large catalog, a shopper, ranking cases.
#[path = "../../../tests/common/mod.rs"]
pub mod shop;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tastebud::Scoring;
use tastebud_gpu::{Gpu, GpuError};

pub const DIM: usize = 64;

pub fn unit_vectors(n: usize, rng: &mut StdRng) -> Vec<f32> {
    let mut v: Vec<f32> = (0..n * DIM).map(|_| rng.random_range(-1.0..1.0)).collect();
    for row in v.chunks_exact_mut(DIM) {
        let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        row.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// The scores as the CPU works them out, in the GPU's association order per probe (the
/// difference left is the hardware's rounding, well under 1e-5).
pub fn cpu_scores(vectors: &[f32], order: &[f32], s: &Scoring) -> Vec<f32> {
    let mut scores: Vec<f32> = vectors
        .chunks_exact(DIM)
        .zip(order)
        .map(|(row, o)| {
            let dots = s
                .probes
                .iter()
                .map(|(p, w)| w * row.iter().zip(p).map(|(a, b)| a * b).sum::<f32>());
            dots.sum::<f32>() + s.order_weight * o
        })
        .collect();
    for &(i, add) in &s.additions {
        scores[i as usize] += add;
    }
    scores
}

/// The best `k` as the ranker orders them: higher first, equal scores by lower index.
pub fn cpu_top_k(scores: &[f32], k: usize) -> Vec<(u32, f32)> {
    let mut all: Vec<(u32, f32)> = (0..).zip(scores.iter().copied()).collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

/// The GPU's list agrees with the CPU's: the same scores within 1e-5, the same items in the
/// same order except where their scores are within 1e-5 of each other.
pub fn assert_same_ranking(gpu: &[(u32, f32)], cpu: &[(u32, f32)], scores: &[f32], what: &str) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: length");
    for (place, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        assert!(
            (g.1 - scores[g.0 as usize]).abs() <= 1e-5,
            "{what}: item {} scored {} on the GPU, {} on the CPU",
            g.0,
            g.1,
            scores[g.0 as usize]
        );
        if g.0 != c.0 {
            assert!(
                (scores[g.0 as usize] - c.1).abs() <= 1e-5,
                "{what}: place {place} holds {} ({}) on the GPU, {} ({}) on the CPU",
                g.0,
                scores[g.0 as usize],
                c.0,
                c.1
            );
        }
    }
}

/// Over 1k, 10k and 100k items: one to three probes, an order term, sparse additions (some
/// repeated), k from 1 to n.
pub async fn the_gpu_top_k_is_the_cpu_top_k(gpu: &Gpu) {
    let mut rng = StdRng::seed_from_u64(7);
    for n in [1_000, 10_000, 100_000] {
        let mut vectors = unit_vectors(n, &mut rng);
        // Exact ties: a tenth of the items are copies of others.
        for i in (0..n).step_by(10).skip(1) {
            let from = rng.random_range(0..n) * DIM;
            let copy = vectors[from..from + DIM].to_vec();
            vectors[i * DIM..(i + 1) * DIM].copy_from_slice(&copy);
        }
        let order: Vec<f32> = (0..n).map(|p| -((1 + p) as f32).ln()).collect();
        let mut catalog = gpu.catalog(&vectors, DIM, Some(&order)).unwrap();
        let probe_vectors = unit_vectors(3, &mut rng);
        let probes: Vec<&[f32]> = probe_vectors.chunks_exact(DIM).collect();
        let sparse: Vec<(u32, f32)> = (0..50)
            .map(|j| ((j * 97 % n) as u32, 0.5 - j as f32 * 0.01))
            .collect();
        // More than the first sparse buffer holds, items named up to three times.
        let repeated: Vec<(u32, f32)> = (0..200)
            .map(|j| ((j % 70) as u32 * 13, 0.01 * j as f32))
            .collect();
        for (p, order_weight, sparse, k) in [
            (2, 0.2, &repeated[..], 100),
            (1, 0.0, &[][..], 100),
            (2, 0.3, &sparse[..], 100),
            (3, 0.1, &sparse[..], 1_000),
            (3, 0.0, &[][..], n),
            (1, 0.0, &[][..], 1),
        ] {
            let weights = [1.0, 0.6, 1.5];
            let scoring = Scoring {
                probes: probes[..p]
                    .iter()
                    .zip(weights)
                    .map(|(p, w)| (p.to_vec(), w))
                    .collect(),
                order_weight,
                additions: sparse.to_vec(),
            };
            let scores = cpu_scores(&vectors, &order, &scoring);
            let got = gpu.top_k(&mut catalog, &scoring, k).await.unwrap();
            let what = format!(
                "n {n}, {p} probes, order {order_weight}, {} sparse, k {k}",
                sparse.len()
            );
            assert_same_ranking(&got, &cpu_top_k(&scores, k), &scores, &what);
        }
    }
}

/// Equal scores go by the lower index, whatever k.
pub async fn equal_scores_go_by_the_lower_index(gpu: &Gpu) {
    // Every item the same: the order is the index order, whatever k.
    let vectors: Vec<f32> = (0..3_000 * DIM)
        .map(|i| if i % DIM == 0 { 1.0 } else { 0.0 })
        .collect();
    let mut catalog = gpu.catalog(&vectors, DIM, None).unwrap();
    let probe = [0.5f32; DIM];
    let scoring = Scoring {
        probes: vec![(probe.to_vec(), 1.0)],
        order_weight: 0.0,
        additions: [].to_vec(),
    };
    for k in [1, 7, 256, 257, 2_999, 3_000, 5_000] {
        let got = gpu.top_k(&mut catalog, &scoring, k).await.unwrap();
        let ids: Vec<u32> = got.iter().map(|&(i, _)| i).collect();
        assert_eq!(ids, (0..k.min(3_000) as u32).collect::<Vec<_>>(), "k {k}");
    }
}

/// A destroyed device is an error from then on, not a hang or a panic.
pub async fn a_lost_device_is_an_error(gpu: &Gpu) {
    let mut rng = StdRng::seed_from_u64(1);
    let vectors = unit_vectors(1_000, &mut rng);
    let mut catalog = gpu.catalog(&vectors, DIM, None).unwrap();
    let probe = unit_vectors(1, &mut rng);
    let scoring = Scoring {
        probes: vec![(probe.to_vec(), 1.0)],
        order_weight: 0.0,
        additions: [].to_vec(),
    };
    assert_eq!(
        gpu.top_k(&mut catalog, &scoring, 10).await.unwrap().len(),
        10
    );
    gpu.destroy();
    let after = gpu.top_k(&mut catalog, &scoring, 10).await;
    assert!(
        matches!(after, Err(GpuError::Lost(_)) | Err(GpuError::Failed(_))),
        "{after:?}"
    );
    // And it stays an error.
    assert!(gpu.top_k(&mut catalog, &scoring, 10).await.is_err());
}

/// Bad input is refused and leaves the catalog usable.
pub async fn bad_input_is_refused(gpu: &Gpu) {
    assert!(matches!(
        gpu.catalog(&[0.0; 30], 30, None),
        Err(GpuError::Invalid(_))
    ));
    let vectors = vec![0.1f32; 10 * DIM];
    let mut catalog = gpu.catalog(&vectors, DIM, None).unwrap();
    let short = [0.0f32; 8];
    let scoring = Scoring {
        probes: vec![(short.to_vec(), 1.0)],
        order_weight: 0.0,
        additions: [].to_vec(),
    };
    assert!(matches!(
        gpu.top_k(&mut catalog, &scoring, 3).await,
        Err(GpuError::Invalid(_))
    ));
    let probe = [0.0f32; DIM];
    let outside = Scoring {
        probes: vec![(probe.to_vec(), 1.0)],
        order_weight: 0.0,
        additions: [(10, 1.0)].to_vec(),
    };
    assert!(matches!(
        gpu.top_k(&mut catalog, &outside, 3).await,
        Err(GpuError::Invalid(_))
    ));
    // Refused input left the catalog usable.
    let fine = Scoring {
        probes: vec![(probe.to_vec(), 1.0)],
        order_weight: 0.0,
        additions: [(9, 1.0)].to_vec(),
    };
    assert_eq!(gpu.top_k(&mut catalog, &fine, 3).await.unwrap()[0].0, 9);
}
