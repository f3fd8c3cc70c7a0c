//! Ranking options as a page hands them over (JSON) → `wire::rank_options_from_json`: never
//! panics; accepted options rank a busy profile's items (or are refused with an error) and
//! explain them without changing the profile.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tastebud::{wire, Item};
use tastebud_fuzz::{personalizer, BUSY_PROFILE};

fuzz_target!(|json: &[u8]| {
    let Ok(options) = wire::rank_options_from_json(json) else {
        return;
    };
    let mut p = personalizer(BUSY_PROFILE.clone());
    let mut candidates: Vec<Item> = BUSY_PROFILE.items(0).map(|r| r.item.clone()).collect();
    candidates.push(Item::new("sku-new"));
    for now in [1_700_000_100_000, i64::MAX] {
        if let Ok(ranked) = p.rank(&candidates, &options, now) {
            for r in ranked.iter().take(3) {
                std::hint::black_box(serde_json::to_string(&p.explain(&r.id, now)).unwrap());
            }
        }
    }
    assert!(
        p.profile().to_bytes() == BUSY_PROFILE.to_bytes(),
        "ranking changed the profile"
    );
});
