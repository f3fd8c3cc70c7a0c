//! Shared fixtures: the committed default model and a small catalog of real Online Retail
//! product names in four kinds (candle holders, bags, mugs, cake tins).
#![allow(dead_code)]

pub mod golden;

use tastebud::{Item, Model, Ranked};

/// The model the package ships, as committed.
pub fn default_model() -> Model {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/model/model.safetensors"
    ))
    .expect("model/model.safetensors is committed (make model)");
    Model::from_bytes(&bytes).expect("the committed model loads")
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
