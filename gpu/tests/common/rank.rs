//! What ranking on the GPU must do, through `Scorer`: the CPU's rankings of the default model,
//! and the CPU's when the GPU is gone.

use tastebud::{Personalizer, Profile, RankOptions};
use tastebud_gpu::{Backend, GpuError, Prepared, Scorer};

use super::shop::{assert_same, default_model, many_items, ranking_cases, shopper_of, NOW};

/// A personalizer of the default model, for the shopper of `shopper_of` (who acted on items
/// all of `many_items`' catalogs start with), or a new shopper.
fn personalizer(personal: bool) -> Personalizer {
    let profile = if personal {
        shopper_of(&many_items(100))
    } else {
        Profile::default()
    };
    Personalizer::new(default_model(), profile)
}

/// Ranks `prepared` through `scorer`, checks that it is the CPU's ranking, and says where it
/// ran.
async fn ranks_as_the_cpu(
    scorer: &mut Scorer,
    p: &mut Personalizer,
    prepared: &mut Prepared,
    options: &RankOptions,
    what: &str,
) -> Backend {
    let ranked = scorer
        .rank_catalog(p, prepared, options, NOW)
        .await
        .unwrap();
    let cpu = p.rank_catalog(prepared.catalog(), options, NOW).unwrap();
    assert_same(&ranked, &cpu, what);
    scorer.backend()
}

/// Over 1k, 10k and 100k items of the default model: every ranking case on the GPU is the
/// CPU's, and the scorer says it ran on the GPU.
pub async fn the_gpu_ranking_is_the_cpu_ranking(scorer: &mut Scorer, sizes: &[usize]) {
    for &n in sizes {
        for personal in [false, true] {
            let mut p = personalizer(personal);
            let mut prepared = scorer.prepare(p.catalog(many_items(n)).unwrap());
            for (what, _, options) in ranking_cases()
                .into_iter()
                .filter(|&(_, of_shopper, _)| of_shopper == personal)
            {
                let what = format!("{what}, {n} items");
                let backend = ranks_as_the_cpu(scorer, &mut p, &mut prepared, &options, &what);
                assert!(matches!(backend.await, Backend::Gpu(_)), "{what}");
            }
        }
    }
}

/// A device lost between two rankings: the second is the CPU's, the scorer says why, and it
/// stays on the CPU.
pub async fn a_lost_device_falls_back_to_the_cpu(scorer: &mut Scorer) {
    let mut p = personalizer(true);
    let mut prepared = scorer.prepare(p.catalog(many_items(2_000)).unwrap());
    let options = RankOptions {
        k: Some(50),
        ..RankOptions::default()
    };
    scorer
        .rank_catalog(&mut p, &mut prepared, &options, NOW)
        .await
        .unwrap();
    scorer.gpu().expect("a GPU before it is lost").destroy();
    for call in ["the call that finds it lost", "the next call"] {
        let backend = ranks_as_the_cpu(scorer, &mut p, &mut prepared, &options, call).await;
        assert!(
            matches!(
                backend,
                Backend::Cpu(GpuError::Lost(_) | GpuError::Failed(_))
            ),
            "{call}: {backend:?}"
        );
    }
    // A catalog prepared after the loss is ranked on the CPU too.
    let mut later = scorer.prepare(p.catalog(many_items(300)).unwrap());
    ranks_as_the_cpu(scorer, &mut p, &mut later, &options, "after the loss").await;
}

/// A GPU that takes longer than the scorer waits: the call is the CPU's, and says so.
pub async fn a_timeout_falls_back_to_the_cpu(scorer: &mut Scorer) {
    let mut p = personalizer(true);
    let mut prepared = scorer.prepare(p.catalog(many_items(100_000)).unwrap());
    let options = RankOptions {
        k: Some(100),
        ..RankOptions::default()
    };
    // No software GPU scores 100,000 items in a microsecond.
    let gpu = scorer.gpu().expect("a GPU");
    gpu.set_timeout(std::time::Duration::from_micros(1));
    let backend = ranks_as_the_cpu(scorer, &mut p, &mut prepared, &options, "timed out").await;
    assert!(
        matches!(&backend, Backend::Cpu(e) if e.code() == "gpu_timeout"),
        "{backend:?}"
    );
}

/// Without an adapter, the scorer ranks on the CPU and says why.
pub async fn without_an_adapter_the_cpu_ranks(scorer: &mut Scorer) {
    let backend = scorer.backend();
    assert!(
        matches!(&backend, Backend::Cpu(e) if e.code() == "gpu_no_adapter"),
        "{backend:?}"
    );
    let mut p = personalizer(true);
    let mut prepared = scorer.prepare(p.catalog(many_items(1_000)).unwrap());
    for (what, _, options) in ranking_cases().into_iter().filter(|c| c.1) {
        ranks_as_the_cpu(scorer, &mut p, &mut prepared, &options, what).await;
    }
}
