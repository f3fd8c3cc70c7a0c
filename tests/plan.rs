//! A catalog ranking scored elsewhere (`Ranker::plan_catalog`, then `finish_catalog`) is the
//! CPU's ranking: its `Scoring` orders the catalog as the CPU's scores do, and finishing the
//! best it picks gives what `rank_catalog` gives, for every kind of shopper and option.

mod common;

use common::{assert_same, default_model, many_items, ranking_cases, shopper_of, NOW};
use proptest::prelude::*;
use tastebud::{Catalog, Model, Profile, RankOptions, Ranker, Scoring};

/// Every item's score under `scoring`, in f64.
fn evaluate(scoring: &Scoring, catalog: &Catalog) -> Vec<f64> {
    let dim = catalog.dim();
    let mut scores: Vec<f64> = catalog
        .vectors()
        .chunks_exact(dim)
        .zip(catalog.incoming_order())
        .map(|(v, &o)| {
            let similarity =
                |p: &[f32]| -> f64 { p.iter().zip(v).map(|(&a, &b)| f64::from(a * b)).sum() };
            let probes: f64 = scoring
                .probes
                .iter()
                .map(|(p, w)| f64::from(*w) * similarity(p))
                .sum();
            probes + f64::from(scoring.order_weight) * f64::from(o)
        })
        .collect();
    for &(i, add) in &scoring.additions {
        scores[i as usize] += f64::from(add);
    }
    scores
}

/// The indices of the `k` best under `scores`.
fn best(scores: &[f64], k: usize) -> Vec<u32> {
    let mut order: Vec<u32> = (0..scores.len() as u32).collect();
    order.sort_by(|&a, &b| scores[b as usize].total_cmp(&scores[a as usize]));
    order.truncate(k);
    order
}

/// The default model, and one that also weighs the shopper's taste and repeats.
fn models() -> [Model; 2] {
    let mut weighs_all = default_model();
    weighs_all.config.blend.taste = 0.5;
    weighs_all.config.blend.repeat = 1.0;
    [default_model(), weighs_all]
}

#[test]
fn a_planned_ranking_is_the_cpu_ranking() {
    for (model, n) in models()
        .into_iter()
        .flat_map(|m| [(m.clone(), 24), (m, 3_000)])
    {
        let mut ranker = Ranker::new(model);
        let prepared = ranker.catalog(many_items(n)).unwrap();
        let history = shopper_of(prepared.items());
        for (what, personal, options) in ranking_cases() {
            let profile = if personal {
                history.clone()
            } else {
                Profile::default()
            };
            let cpu = ranker
                .rank_catalog(&profile, &prepared, &options, NOW)
                .unwrap();
            let plan = ranker
                .plan_catalog(&profile, &prepared, &options, NOW)
                .unwrap();
            let scored = evaluate(plan.scoring(), &prepared);

            // The scoring is the CPU's scores plus a constant.
            let cpu_scores = ranker
                .catalog_scores(&profile, &prepared, &options, NOW)
                .unwrap();
            let offset = scored[0] - f64::from(cpu_scores[0]);
            for (j, (&s, &c)) in scored.iter().zip(&cpu_scores).enumerate() {
                let off = s - f64::from(c);
                assert!(
                    (off - offset).abs() < 1e-4,
                    "{what}, {n} items: item {j} is off by {off}, item 0 by {offset}"
                );
            }

            assert!(plan.fetch() <= n);
            if options.k.is_some() && n > 1_000 {
                assert!(
                    plan.fetch() < n / 2,
                    "{what}: fetches {} of {n}",
                    plan.fetch()
                );
            }
            let top = best(&scored, plan.fetch());
            let planned = ranker.finish_catalog(plan, &top).unwrap();
            assert_same(&planned, &cpu, &format!("{what}, {n} items"));
        }
    }
}

/// Options of every kind: a query of the catalog's words or others, any k, diversity and weight
/// of the incoming order, exclusions of items in the catalog and not.
fn options() -> impl Strategy<Value = RankOptions> {
    let query = proptest::option::of("(red|heart|holder|mug|cake|tin|bag|jumbo|xyz| ){0,4}");
    let exclude = proptest::collection::vec(
        prop_oneof![
            (0..400usize).prop_map(|i| format!("s-{i}")),
            Just("85123A".to_string())
        ],
        0..4,
    );
    (
        query,
        proptest::option::of(1..500usize),
        prop_oneof![Just(0.0f32), 0.0..=1.0f32],
        prop_oneof![Just(0.0f32), 0.0..=1.0f32],
        exclude,
        any::<bool>(),
    )
        .prop_map(
            |(query, k, diversity, keep_order_weight, exclude, exclude_purchased)| RankOptions {
                query,
                k,
                diversity,
                exclude,
                exclude_purchased,
                keep_order_weight,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the options, finishing the best a plan's scoring picks is `rank_catalog`.
    #[test]
    fn any_planned_ranking_is_the_cpu_ranking(options in options(), personal in any::<bool>()) {
        let mut ranker = Ranker::new(models()[1].clone());
        let prepared = ranker.catalog(many_items(400)).unwrap();
        let profile = if personal { shopper_of(prepared.items()) } else { Profile::default() };
        let cpu = ranker.rank_catalog(&profile, &prepared, &options, NOW).unwrap();
        let plan = ranker.plan_catalog(&profile, &prepared, &options, NOW).unwrap();
        let top = best(&evaluate(plan.scoring(), &prepared), plan.fetch());
        let planned = ranker.finish_catalog(plan, &top).unwrap();
        assert_same(&planned, &cpu, &format!("{options:?}"));
    }
}
