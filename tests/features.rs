//! Feature hashing is part of the model: the browser must put an item in the buckets the
//! trainer used. These vectors pin the buckets on every platform (the same file runs in the
//! wasm test suite).

use tastebud::features::{
    gap_bucket, id_key, price_bucket, title_words, HashingConfig, ItemFeatures,
};
use tastebud::Item;

fn heart_holder() -> Item {
    Item {
        title: Some("WHITE HANGING HEART T-LIGHT HOLDER".into()),
        category: Some("Home / Candles".into()),
        brand: Some("Acme".into()),
        price: Some(2.55),
        tags: vec!["white".into(), "heart".into()],
        ..Item::new("85123A")
    }
}

/// xxh64 of the empty input with seed 0 is 0xEF46DB3751D8E999 (the xxHash specification's test
/// vector); `id_key` uses its own seed, so pin the hash function itself through a known value.
#[test]
fn hash_function_is_xxh64() {
    assert_eq!(xxhash_rust::xxh64::xxh64(b"", 0), 0xEF46_DB37_51D8_E999);
}

#[test]
fn buckets_are_pinned() {
    let f = ItemFeatures::new(&heart_holder(), &HashingConfig::default());
    assert_eq!(f.id_buckets, GOLDEN_ID_BUCKETS);
    let buckets: Vec<u32> = f.tokens.iter().map(|&(b, _)| b).collect();
    assert_eq!(buckets, GOLDEN_TOKEN_BUCKETS);
    assert_eq!(id_key("85123A"), GOLDEN_ID_KEY);
}

#[test]
fn each_feature_group_weighs_one() {
    let f = ItemFeatures::new(&heart_holder(), &HashingConfig::default());
    // Title (5 words: the single letter of "T-LIGHT" is dropped), category (2 levels), brand,
    // tags (2), price: five groups.
    let total: f32 = f.tokens.iter().map(|&(_, w)| w).sum();
    assert!((total - 5.0).abs() < 1e-5, "{total}");
    assert_eq!(f.tokens.len(), 5 + 2 + 1 + 2 + 1);
}

#[test]
fn case_and_spacing_do_not_change_content_buckets() {
    let cfg = HashingConfig::default();
    let mut shouting = heart_holder();
    shouting.title = Some("white  hanging heart t-light holder".into());
    shouting.category = Some("home/candles".into());
    shouting.brand = Some(" ACME ".into());
    shouting.tags = vec!["WHITE".into(), "Heart".into()];
    assert_eq!(
        ItemFeatures::new(&shouting, &cfg),
        ItemFeatures::new(&heart_holder(), &cfg)
    );
}

#[test]
fn text_helpers() {
    assert_eq!(
        title_words("Set/3 RED retrospot-cake tins!"),
        ["set", "red", "retrospot", "cake", "tins"]
    );
    assert_eq!(price_bucket(2.55), price_bucket(2.7));
    assert_ne!(price_bucket(2.55), price_bucket(10.0));
    assert_eq!(gap_bucket(None), 0);
    assert_eq!(gap_bucket(Some(0)), 1);
    assert_eq!(gap_bucket(Some(3_600)), 4);
    assert_eq!(gap_bucket(Some(100 * 86_400)), 9);
}

const GOLDEN_ID_BUCKETS: [u32; 2] = [233, 334];
const GOLDEN_TOKEN_BUCKETS: [u32; 11] = [2037, 545, 775, 1980, 1243, 706, 698, 572, 406, 786, 1935];
const GOLDEN_ID_KEY: u64 = 1_067_962_508_194_197_760;
