//! Golden vectors: the default model's item vectors and ranking scores for fixed inputs, in
//! `tests/golden.json`. The native test (`tests/golden.rs`) and the wasm suite
//! (`bindings/tests`) both run [`outputs`] on the file's inputs and compare with its outputs,
//! so native and WebAssembly builds agree within 1e-5.

use serde_json::{json, Value};
use tastebud::{Event, EventKind, Item, Model, Personalizer, Profile, RankOptions, Ranked};

/// The committed file.
pub const GOLDEN: &str = include_str!("../golden.json");

/// What the core computes from `inputs`: every item's vector, the ranking after the events,
/// and the ranking for the query.
pub fn outputs(model: Model, inputs: &Value) -> Value {
    let items: Vec<Item> = serde_json::from_value(inputs["items"].clone()).unwrap();
    let mut p = Personalizer::new(model, Profile::default());
    for e in inputs["events"].as_array().unwrap() {
        let kind = EventKind::parse(e[0].as_str().unwrap()).unwrap();
        let item = items[e[1].as_u64().unwrap() as usize].clone();
        p.record(Event::item(kind, item, e[2].as_i64().unwrap()))
            .unwrap();
    }
    let now = inputs["now"].as_i64().unwrap();
    let vectors = p.ranker().vectors(&items).unwrap();
    let scores = |r: Vec<Ranked>| r.into_iter().map(|r| (r.id, r.score)).collect::<Vec<_>>();
    let plain = p.rank(&items, &RankOptions::default(), now).unwrap();
    let query = RankOptions {
        query: inputs["query"].as_str().map(String::from),
        ..RankOptions::default()
    };
    let searched = p.rank(&items, &query, now).unwrap();
    json!({ "vectors": vectors, "ranking": scores(plain), "search": scores(searched) })
}

/// Panics unless numbers are within 1e-5 and everything else is equal.
pub fn assert_close(want: &Value, got: &Value, at: &str) {
    match (want, got) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() <= 1e-5, "{at}: {a} vs {b}");
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{at}: lengths");
            for (i, (a, b)) in a.iter().zip(b).enumerate() {
                assert_close(a, b, &format!("{at}[{i}]"));
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            assert_eq!(a.len(), b.len(), "{at}: keys");
            for (k, a) in a {
                assert_close(a, &b[k], &format!("{at}.{k}"));
            }
        }
        _ => assert_eq!(want, got, "{at}"),
    }
}
