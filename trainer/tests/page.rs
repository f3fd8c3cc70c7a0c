//! The evaluator ranks as a page does: a target's rank in the evaluator is its position in the
//! list a page's ranker returns for the same shopper at the same moment.

use tastebud::{EventKind, Item, Model, RankOptions, Ranker};
use tastebud_train::data::{Dataset, Interaction};
use tastebud_train::eval::{ranks, Stage};
use tastebud_train::page::{profile, PageScorer};

const WORDS: [&str; 12] = [
    "red", "heart", "lantern", "cake", "tin", "vintage", "bag", "glass", "candle", "set", "mug",
    "paper",
];

/// 120 items of two to four words, and 25 shoppers who view, click, dwell on, put in the cart
/// and buy some of them over a few days, with repeats, from a fixed pseudo-random walk.
fn shop() -> Dataset {
    let items: Vec<Item> = (0..120usize)
        .map(|i| Item {
            title: Some(
                (0..2 + i % 3)
                    .map(|w| WORDS[(i * 7 + w * 5) % WORDS.len()])
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            category: Some(format!("cat{}", i % 6)),
            ..Item::new(format!("sku{i}"))
        })
        .collect();
    let kinds = [
        EventKind::View,
        EventKind::Click,
        EventKind::Dwell,
        EventKind::AddToCart,
        EventKind::Purchase,
    ];
    let mut state = 12_345u64;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) % n
    };
    let sequences = (0..25)
        .map(|_| {
            let mut ts = 1_700_000_000_000i64;
            let mut item = next(120) as u32;
            (0..8 + next(30))
                .map(|_| {
                    ts += 1_000 * next(90_000) as i64;
                    item = (item + next(5) as u32) % 120;
                    Interaction {
                        item,
                        kind: kinds[next(5) as usize],
                        ts_ms: ts,
                    }
                })
                .collect()
        })
        .collect::<Vec<Vec<Interaction>>>();
    Dataset::in_memory("walk", items, sequences)
}

#[test]
fn the_evaluators_rank_of_each_target_is_its_place_in_the_pages_ranking() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../model/model.safetensors"
    ))
    .unwrap();
    let model = Model::from_bytes(&bytes).unwrap();
    let ds = shop();
    let evaluated = ranks(
        &ds,
        Stage::Test,
        false,
        &PageScorer::new(model.clone(), &ds.items),
    );

    let mut ranker = Ranker::new(model);
    let catalog = ranker.catalog(ds.items.clone()).unwrap();
    let on_the_page: Vec<usize> = ds
        .sequences
        .iter()
        .map(|s| {
            let (history, target) = s.split_at(s.len() - 1);
            let shopper = profile(&ds.items, history).unwrap();
            let ranked = ranker
                .rank_catalog(&shopper, &catalog, &RankOptions::default(), target[0].ts_ms)
                .unwrap();
            let target = &ds.items[target[0].item as usize].id;
            ranked.iter().position(|r| &r.id == target).unwrap()
        })
        .collect();
    assert_eq!(evaluated, on_the_page);
    // Not one ranking for everybody: the shoppers' histories move their targets.
    assert!(
        evaluated.iter().any(|&r| r != evaluated[0]),
        "{evaluated:?}"
    );
}
