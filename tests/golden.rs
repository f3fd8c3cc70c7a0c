//! The native build against the golden vectors (see `tests/common/golden.rs`).
//!
//! After a deliberate change to the model or the ranker, rewrite `tests/golden.json` with
//! `TASTEBUD_BLESS=1 cargo test --release --test golden`.

mod common;

use common::golden::{assert_close, outputs, GOLDEN};
use serde_json::{json, Value};

const T0: i64 = 1_700_000_000_000;

/// A shopper who views two candle holders and buys a third, over the shared catalog.
fn inputs() -> Value {
    json!({
        "items": common::catalog(),
        "events": [["view", 0, T0], ["view", 4, T0 + 60_000], ["purchase", 8, T0 + 120_000]],
        "now": T0 + 180_000,
        "query": "cake tin",
    })
}

#[test]
fn native_build_matches_the_golden_vectors() {
    let inputs = inputs();
    let got = outputs(common::default_model(), &inputs);
    if std::env::var_os("TASTEBUD_BLESS").is_some() {
        let file = json!({ "inputs": inputs, "outputs": got });
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden.json");
        std::fs::write(path, serde_json::to_string(&file).unwrap() + "\n").unwrap();
        return;
    }
    let golden: Value = serde_json::from_str(GOLDEN).expect("tests/golden.json is JSON");
    assert_eq!(
        golden["inputs"], inputs,
        "the inputs changed: bless the file"
    );
    assert_close(&golden["outputs"], &got, "outputs");
}
