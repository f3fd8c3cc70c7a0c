//! The bindings' suite, run in Node (`tests/node.rs`) and in headless Chromium
//! (`tests/browser.rs`): what a page sees through `Personalizer`, bad input that must throw a
//! coded error and change nothing, and the golden vectors shared with the native build.

#[path = "../../../tests/common/golden.rs"]
mod golden;

use js_sys::{Reflect, JSON};
use tastebud_wasm::{Personalizer, CODES};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const MODEL: &[u8] = include_bytes!("../../../model/model.safetensors");

/// A personalizer with the default model and an empty profile, as `create()` makes it.
fn create() -> Personalizer {
    Personalizer::start(None, None, None).unwrap()
}

/// The `code` of the JavaScript `Error` an error becomes, after checking it is one.
fn code(e: impl Into<JsValue>) -> String {
    let value = e.into();
    let error = value.dyn_ref::<js_sys::Error>().expect("a JS Error");
    assert_eq!(String::from(error.name()), "TastebudError");
    assert!(!String::from(error.message()).is_empty());
    let code = Reflect::get(&value, &"code".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(CODES.contains(&code.as_str()), "{code} is not in CODES");
    code
}

fn item(id: &str, title: &str) -> String {
    format!(r#"{{"id": "{id}", "title": "{title}", "price": 2.5}}"#)
}

/// Records a `kind` event on an item, as the package's JavaScript hands it over.
fn record(p: &mut Personalizer, kind: &str, id: &str, title: &str) {
    let event = format!(r#"{{"type": "{kind}", "item": {}}}"#, item(id, title));
    p.record(event).unwrap();
}

fn catalog() -> js_sys::JsString {
    let items: Vec<String> = [
        ("h1", "WHITE HANGING HEART T-LIGHT HOLDER"),
        ("b1", "JUMBO BAG RED RETROSPOT"),
        ("h2", "GLASS STAR FROSTED T-LIGHT HOLDER"),
        ("m1", "PINK POLKADOT MUG"),
        ("h3", "ZINC HEART LATTICE T-LIGHT HOLDER"),
        ("b2", "LUNCH BAG SPACEBOY DESIGN"),
    ]
    .iter()
    .map(|(id, title)| item(id, title))
    .collect();
    format!("[{}]", items.join(",")).into()
}

fn ranked_ids(ranked: &JsValue) -> Vec<String> {
    js_sys::Array::from(ranked)
        .iter()
        .map(|r| Reflect::get(&r, &"id".into()).unwrap().as_string().unwrap())
        .collect()
}

fn bytes(p: &Personalizer) -> Vec<u8> {
    p.export_profile()
}

fn opts(json: &str) -> Option<String> {
    Some(json.into())
}

/// Every code the core gives an error is one the TypeScript `ErrorCode` lists.
#[wasm_bindgen_test]
fn every_core_error_code_is_listed() {
    use tastebud::Error as E;
    for e in [
        E::InvalidItem(String::new()),
        E::InvalidEvent(String::new()),
        E::InvalidOptions(String::new()),
        E::BadModel(String::new()),
        E::CorruptProfile(String::new()),
        E::Tensor(String::new()),
        E::Internal(String::new()),
    ] {
        assert!(CODES.contains(&e.code()), "{}", e.code());
    }
}

#[wasm_bindgen_test]
fn golden_vectors_match_the_native_build() {
    let file: serde_json::Value = serde_json::from_str(golden::GOLDEN).unwrap();
    let model = tastebud::Model::from_bytes(MODEL).unwrap();
    let got = golden::outputs(model, &file["inputs"]);
    golden::assert_close(&file["outputs"], &got, "outputs");
}

#[wasm_bindgen_test]
fn a_shopper_who_looks_at_holders_sees_holders_first() {
    let mut p = create();
    for (n, (id, title)) in [
        ("h1", "WHITE HANGING HEART T-LIGHT HOLDER"),
        ("h2", "GLASS STAR FROSTED T-LIGHT HOLDER"),
    ]
    .iter()
    .enumerate()
    {
        let event = format!(
            r#"{{"type": "view", "item": {}, "ts": {}}}"#,
            item(id, title),
            1.7e12 + n as f64 * 1e3
        );
        p.record(event).unwrap();
    }
    let ranked = p.rank(catalog(), opts(r#"{"k": 3}"#)).unwrap();
    let ids = ranked_ids(&ranked);
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|id| id.starts_with('h')), "{ids:?}");
    let summary = p.profile().unwrap();
    let remembered = Reflect::get(&summary, &"rememberedItems".into()).unwrap();
    assert_eq!(remembered.as_f64(), Some(2.0));
    let why = p.explain("h3".into()).unwrap();
    let placed = Reflect::get(&why, &"ranked".into()).unwrap();
    assert!(Reflect::get(&placed, &"position".into())
        .unwrap()
        .as_f64()
        .is_some());
}

#[wasm_bindgen_test]
fn export_and_import_keep_the_profile() {
    let mut p = create();
    record(&mut p, "purchase", "m1", "PINK POLKADOT MUG");
    p.record(r#"{"type": "search", "query": "lunch bag"}"#.into())
        .unwrap();
    let mut back = Personalizer::start(None, Some(bytes(&p)), None).unwrap();
    assert_eq!(bytes(&back), bytes(&p));
    assert_eq!(
        ranked_ids(&back.rank(catalog(), None).unwrap()),
        ranked_ids(&p.rank(catalog(), None).unwrap())
    );
    assert_eq!(
        JSON::stringify(&back.profile().unwrap()).unwrap(),
        JSON::stringify(&p.profile().unwrap()).unwrap()
    );
}

#[wasm_bindgen_test]
fn paused_tracking_records_nothing_until_resumed() {
    let mut p = create();
    p.pause();
    assert!(p.paused());
    let event = format!(
        r#"{{"type": "view", "item": {}}}"#,
        item("m1", "PINK POLKADOT MUG")
    );
    assert!(!p.record(event.clone()).unwrap());
    let empty = bytes(&p);
    assert_eq!(bytes(&create()), empty);
    p.resume();
    assert!(p.record(event).unwrap());
    assert_ne!(bytes(&p), empty);
}

#[wasm_bindgen_test]
fn restore_takes_another_profile_and_refuses_bad_bytes() {
    let mut other = create();
    record(&mut other, "purchase", "m1", "PINK POLKADOT MUG");
    let mut p = create();
    record(&mut p, "view", "h1", "WHITE HANGING HEART T-LIGHT HOLDER");
    let mine = bytes(&p);
    assert_eq!(
        p.restore(mine[..mine.len() - 1].to_vec())
            .err()
            .map(code)
            .as_deref(),
        Some("corrupt_profile")
    );
    assert_eq!(bytes(&p), mine);
    p.restore(bytes(&other)).unwrap();
    assert_eq!(bytes(&p), bytes(&other));
}

#[wasm_bindgen_test]
fn a_model_can_come_as_bytes() {
    assert!(Personalizer::start(Some(MODEL.to_vec()), None, None).is_ok());
}

#[wasm_bindgen_test]
fn bad_models_are_refused_with_bad_model() {
    for model in [
        &MODEL[..MODEL.len() / 2],
        &b"PK\x03\x04 this is a zip file, not a model"[..],
        &[],
    ] {
        let err = Personalizer::start(Some(model.to_vec()), None, None).err();
        assert_eq!(err.map(code).as_deref(), Some("bad_model"));
    }
}

#[wasm_bindgen_test]
fn bad_input_throws_a_coded_error_and_changes_nothing() {
    let mut p = create();
    record(&mut p, "view", "h1", "WHITE HANGING HEART T-LIGHT HOLDER");
    let before = bytes(&p);
    let ranking_before = ranked_ids(&p.rank(catalog(), None).unwrap());

    let huge_title = format!(
        r#"{{"type": "view", "item": {{"id": "x", "title": "{}"}}}}"#,
        "x".repeat(1 << 20)
    );
    let deep = format!("{}1{}", r#"{"a":"#.repeat(2_000), "}".repeat(2_000));
    let deep_title = format!(r#"{{"type": "view", "item": {{"id": "x", "title": {deep}}}}}"#);
    let bad_events: Vec<(String, &str)> = vec![
        (
            r#"{"type": "view", "item": {"title": "no id"}}"#.into(),
            "invalid_item",
        ),
        (
            r#"{"type": "view", "item": {"id": ""}}"#.into(),
            "invalid_item",
        ),
        (
            r#"{"type": "view", "item": {"id": "x", "price": -1}}"#.into(),
            "invalid_item",
        ),
        // What `JSON.stringify` makes of a NaN price.
        (
            r#"{"type": "view", "item": {"id": "x", "price": null}}"#.into(),
            "invalid_item",
        ),
        (huge_title, "invalid_item"),
        (deep_title, "invalid_event"),
        (deep.clone(), "invalid_event"),
        (
            r#"{"type": "teleport", "item": {"id": "x"}}"#.into(),
            "invalid_event",
        ),
        (r#"{"type": "search"}"#.into(), "invalid_event"),
        (
            r#"{"type": "search", "query": "mugs", "item": {"id": "x"}}"#.into(),
            "invalid_event",
        ),
        (
            r#"{"type": "dwell", "item": {"id": "x"}}"#.into(),
            "invalid_event",
        ),
        (
            r#"{"type": "view", "item": {"id": "x"}, "ms": 5}"#.into(),
            "invalid_event",
        ),
        (
            r#"{"type": "view", "item": {"id": "x"}, "ts": "yesterday"}"#.into(),
            "invalid_event",
        ),
        (
            r#"{"type": "view", "item": {"id": "x"}, "ts": 1e300}"#.into(),
            "invalid_event",
        ),
        (
            r#"{"type": "view", "item": {"id": "x"}, "ts": null}"#.into(),
            "invalid_event",
        ),
        (
            r#"{"type": "view", "item": {"id": "x"}, "when": 1}"#.into(),
            "invalid_event",
        ),
        ("[1, 2, 3]".into(), "invalid_event"),
        (r#""view""#.into(), "invalid_event"),
        ("{".into(), "invalid_event"),
    ];
    for (event, want) in bad_events {
        let got = p.record(event.clone()).err().map(code);
        assert_eq!(got.as_deref(), Some(want), "{event:.200}");
        assert_eq!(bytes(&p), before, "a refused event changed the profile");
    }

    for (candidates, options, want) in [
        (r#"[{"id": "x", "price": null}]"#, None, "invalid_item"),
        (r#"[{"title": "no id"}]"#, None, "invalid_item"),
        (r#"{"id": "not an array"}"#, None, "invalid_item"),
        (r#"[{"id": "x", "price": "cheap"}]"#, None, "invalid_item"),
        ("[", None, "invalid_item"),
        ("[]", opts(r#"{"k": 0}"#), "invalid_options"),
        // `k: Infinity` and `k: NaN` cross as `null`: refused, not "all".
        ("[]", opts(r#"{"k": null}"#), "invalid_options"),
        ("[]", opts(r#"{"diversity": 2}"#), "invalid_options"),
        (
            "[]",
            opts(r#"{"keep_order_weight": 0.5}"#),
            "invalid_options",
        ),
        ("[]", opts("null"), "invalid_options"),
    ] {
        let got = p.rank(candidates.into(), options).err().map(code);
        assert_eq!(got.as_deref(), Some(want), "{candidates}");
    }
    for id in ["", " ", &"x".repeat(200)] {
        let id = id.to_string();
        assert_eq!(
            p.explain(id.clone()).err().map(code).as_deref(),
            Some("invalid_item")
        );
        assert_eq!(
            p.forget(id).err().map(code).as_deref(),
            Some("invalid_item")
        );
    }
    let profile = &before[..];
    let mut flipped = profile.to_vec();
    flipped[10] ^= 0xff;
    for bad in [
        &profile[..profile.len() - 3],
        &flipped[..],
        &MODEL[..64],
        &[],
        b"TBPF",
    ] {
        let err = Personalizer::start(None, Some(bad.to_vec()), None).err();
        assert_eq!(err.map(code).as_deref(), Some("corrupt_profile"));
        assert_eq!(
            p.restore(bad.to_vec()).err().map(code).as_deref(),
            Some("corrupt_profile")
        );
    }
    for config in [
        "{\"recentEvents\": 0}",
        "{\"halfLifeDays\": null}",
        "[]",
        "{",
    ] {
        let err = Personalizer::start(None, None, Some(config.into())).err();
        assert_eq!(
            err.map(code).as_deref(),
            Some("invalid_options"),
            "{config}"
        );
    }

    assert_eq!(bytes(&p), before);
    assert_eq!(
        ranked_ids(&p.rank(catalog(), None).unwrap()),
        ranking_before
    );
    // The instance still works after all that.
    record(&mut p, "click", "m1", "PINK POLKADOT MUG");
    assert_ne!(bytes(&p), before);
}

#[wasm_bindgen_test]
fn forget_and_clear_remove_what_the_shopper_did() {
    let mut p = create();
    record(&mut p, "view", "h1", "WHITE HANGING HEART T-LIGHT HOLDER");
    record(&mut p, "view", "b1", "JUMBO BAG RED RETROSPOT");
    assert!(p.forget("h1".into()).unwrap());
    assert!(!p.forget("h1".into()).unwrap());
    assert!(!p.export_json().contains("HEART"));
    let why = p.explain("h1".into()).unwrap();
    assert!(Reflect::get(&why, &"remembered".into()).unwrap().is_null());
    p.clear();
    let fresh = create();
    assert_eq!(bytes(&p), bytes(&fresh));
}

#[wasm_bindgen_test]
fn a_prepared_catalog_ranks_as_its_items_do() {
    let mut p = create();
    record(&mut p, "view", "h1", "WHITE HANGING HEART T-LIGHT HOLDER");
    let prepared = p.catalog(catalog()).unwrap();
    assert_eq!(prepared.length(), 6);
    let by_catalog = p.rank_catalog(&prepared, None).unwrap();
    let by_items = p.rank(catalog(), None).unwrap();
    assert_eq!(
        JSON::stringify(&by_catalog).unwrap(),
        JSON::stringify(&by_items).unwrap()
    );
    let mut other = create();
    let err = other.rank_catalog(&prepared, None).err().map(code);
    assert_eq!(err.as_deref(), Some("invalid_options"));
}

/// The package's JavaScript packs plain candidates for `rankPacked`; they must rank exactly as
/// the same items read from JSON, and a pack that does not split (a NUL inside a field) must
/// answer `undefined`, for the JavaScript to send the items as JSON.
#[wasm_bindgen_test]
fn packed_candidates_rank_as_the_same_items_read_from_json() {
    let mut p = create();
    record(&mut p, "view", "h1", "WHITE HANGING HEART T-LIGHT HOLDER");
    let items = r#"[
        {"id": "h2", "title": "GLASS STAR FROSTED T-LIGHT HOLDER", "category": "home/candle holders", "price": 2.95},
        {"id": "b1", "title": "Sac « cabas » rouge 🎒", "brand": "Hearth", "tags": ["red", " ", "bags"]},
        {"id": "m1", "title": "PINK POLKADOT MUG", "category": "kitchen/mugs", "price": 0},
        {"id": "x1", "tags": ["plain"]}
    ]"#;
    let text = "h2\0GLASS STAR FROSTED T-LIGHT HOLDER\0home/candle holders\0\0\
                b1\0Sac « cabas » rouge 🎒\0\0Hearth\0red\0 \0bags\0\
                m1\0PINK POLKADOT MUG\0kitchen/mugs\0\0\
                x1\0\0\0\0plain\0";
    let prices = [2.95, f64::NAN, 0.0, f64::NAN];
    let tags = [0, 3, 0, 1];
    let mut ranked = |text: &str| {
        p.rank_packed(text.into(), &prices, &tags, None)
            .unwrap()
            .map(|r| String::from(JSON::stringify(&r).unwrap()))
    };
    let packed = ranked(text);
    let unsplit = ranked(&text.replacen("GLASS", "GL\0ASS", 1));
    let from_json = String::from(JSON::stringify(&p.rank(items.into(), None).unwrap()).unwrap());
    assert_eq!(packed, Some(from_json));
    assert_eq!(unsplit, None);
}
