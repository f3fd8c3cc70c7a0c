//! Shared fixtures: the committed default model and a small catalog of real Online Retail
//! product names in four kinds (candle holders, bags, mugs, cake tins).
#![allow(dead_code)]

pub mod golden;

use tastebud::{Event, EventKind, Item, Model, Profile, RankOptions, Ranked};

/// The model the package ships, as committed (`make model`), built into the tests so that the
/// GPU crate's browser suite has it too.
pub fn default_model() -> Model {
    Model::from_bytes(include_bytes!("../../model/model.safetensors"))
        .expect("the committed model loads")
}

pub const KINDS: [(&str, [&str; 6]); 4] = [
    (
        "holder",
        [
            "WHITE HANGING HEART T-LIGHT HOLDER",
            "RED HANGING HEART T-LIGHT HOLDER",
            "GLASS STAR FROSTED T-LIGHT HOLDER",
            "HEART OF WICKER SMALL T-LIGHT HOLDER",
            "ZINC HEART LATTICE T-LIGHT HOLDER",
            "MOROCCAN TEA GLASS T-LIGHT HOLDER",
        ],
    ),
    (
        "bag",
        [
            "JUMBO BAG RED RETROSPOT",
            "LUNCH BAG BLACK SKULL",
            "JUMBO SHOPPER VINTAGE RED PAISLEY",
            "LUNCH BAG SPACEBOY DESIGN",
            "JUMBO BAG PINK POLKADOT",
            "CHARLOTTE BAG SUKI DESIGN",
        ],
    ),
    (
        "mug",
        [
            "HOME SWEET HOME MUG",
            "PINK POLKADOT MUG",
            "RED RETROSPOT MUG",
            "I LOVE LONDON MUG",
            "SET 4 VINTAGE MUGS",
            "TEA TIME MUG IN GIFT BOX",
        ],
    ),
    (
        "tin",
        [
            "SET OF 3 CAKE TINS PANTRY DESIGN",
            "REGENCY CAKE TIN",
            "SET OF 3 CAKE TINS SKETCHBOOK",
            "ROUND CAKE TIN VINTAGE GREEN",
            "VINTAGE CAKE TIN",
            "SET OF 3 REGENCY CAKE TINS",
        ],
    ),
];

/// The catalog, interleaved by kind so no kind leads the incoming order. Ids are new to the
/// model (`t-<kind>-<n>`), so ranking rests on content, as for a new shop.
pub fn catalog() -> Vec<Item> {
    let mut items = Vec::new();
    for n in 0..6 {
        for (kind, titles) in KINDS {
            items.push(Item {
                title: Some(titles[n].to_string()),
                price: Some(1.0 + n as f32),
                ..Item::new(format!("t-{kind}-{n}"))
            });
        }
    }
    items
}

/// The kind of a catalog id.
pub fn kind_of(id: &str) -> &str {
    id.split('-').nth(1).unwrap_or("")
}

/// The places (1 for the first) of the catalog's items of `kind` in `ranked`.
pub fn places_of(kind: &str, ranked: &[Ranked]) -> Vec<usize> {
    (1..)
        .zip(ranked)
        .filter(|(_, r)| kind_of(&r.id) == kind)
        .map(|(place, _)| place)
        .collect()
}

/// `n` items titled with the catalog's words (a kind's noun last), ids [`KNOWN_IDS`] then
/// `s-<i>`: a large catalog with the small one's structure, and some titles repeated.
pub fn many_items(n: usize) -> Vec<Item> {
    let words: Vec<&str> = KINDS
        .iter()
        .flat_map(|(_, titles)| titles.iter().flat_map(|t| t.split(' ')))
        .filter(|w| w.len() > 2)
        .collect();
    let w = words.len();
    (0..n)
        .map(|i| {
            let (kind, titles) = KINDS[i % KINDS.len()];
            let noun = titles[i / KINDS.len() % titles.len()]
                .rsplit(' ')
                .next()
                .unwrap_or(kind);
            let (a, b, c) = (i % w, i / w % w, i / (w * w) % w);
            let id = KNOWN_IDS
                .get(i)
                .map_or(format!("s-{i}"), |id| id.to_string());
            Item {
                title: Some(format!("{} {} {} {noun}", words[a], words[b], words[c])),
                price: Some(1.0 + (i % 50) as f32 / 4.0),
                ..Item::new(id)
            }
        })
        .collect()
}

/// When the rankings of [`ranking_cases`] are asked for.
pub const NOW: i64 = 1_700_000_600_000;

/// A shopper who viewed, put in the cart, and bought some of `items`, and was shown others twice
/// without a look (passed over).
pub fn shopper_of(items: &[Item]) -> Profile {
    let mut p = Profile::default();
    let item = |i: usize| items[i].clone();
    let mut at = NOW - 600_000;
    for (kind, i) in [
        (EventKind::View, 0),
        (EventKind::Click, 4),
        (EventKind::View, 8),
        (EventKind::AddToCart, 8),
        (EventKind::Purchase, 12),
        (EventKind::View, 16),
    ] {
        at += 30_000;
        p.record(Event::item(kind, item(i), at)).unwrap();
    }
    for i in [1, 5] {
        for n in 0..2 {
            p.record(Event::item(EventKind::Impression, item(i), at + n))
                .unwrap();
        }
    }
    p
}

/// Rankings a page asks for: what, whether of the shopper of [`shopper_of`] (else a new one),
/// and the options.
pub fn ranking_cases() -> Vec<(&'static str, bool, RankOptions)> {
    let k = |k| RankOptions {
        k: Some(k),
        ..RankOptions::default()
    };
    vec![
        ("a new shopper: the incoming order", false, k(20)),
        (
            "a new shopper's search",
            false,
            RankOptions {
                query: Some("cake tin".into()),
                ..k(20)
            },
        ),
        (
            "a shopper's intent, taste, repeats and passed-over items",
            true,
            k(100),
        ),
        (
            "and a search",
            true,
            RankOptions {
                query: Some("red heart holder".into()),
                ..k(100)
            },
        ),
        (
            "and exclusions",
            true,
            RankOptions {
                exclude: vec!["85123A".into(), "s-30".into(), "none".into()],
                exclude_purchased: true,
                ..k(10)
            },
        ),
        (
            "and diversity",
            true,
            RankOptions {
                diversity: 0.6,
                ..k(12)
            },
        ),
        (
            "and the incoming order",
            true,
            RankOptions {
                keep_order_weight: 0.3,
                ..k(30)
            },
        ),
        (
            "everything",
            true,
            RankOptions {
                k: None,
                query: Some("mug".into()),
                ..RankOptions::default()
            },
        ),
    ]
}

/// Online Retail's most sold stock codes: ids the model knows what follows.
pub const KNOWN_IDS: [&str; 24] = [
    "85123A", "22423", "85099B", "47566", "20725", "84879", "22720", "22197", "21212", "20727",
    "22383", "22457", "23203", "22386", "22469", "22960", "21931", "22086", "22411", "20728",
    "22382", "22961", "22666", "23298",
];

/// Two rankings of the same candidates agree: the same ids in the same order, the same
/// reasons, scores within 1e-5.
pub fn assert_same(got: &[Ranked], want: &[Ranked], what: &str) {
    let ids = |r: &[Ranked]| r.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(got), ids(want), "{what}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g.score - w.score).abs() <= 1e-5,
            "{what}: {} scores {}, against {}",
            g.id,
            g.score,
            w.score
        );
        assert_eq!(g.reasons, w.reasons, "{what}: {}", g.id);
    }
}
