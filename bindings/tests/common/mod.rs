//! The bindings' suite, run in Node (`tests/node.rs`) and in headless Chromium
//! (`tests/browser.rs`): what a page sees through `Personalizer`, bad input that must throw a
//! coded error and change nothing, and the golden vectors shared with the native build.

#[path = "../../../tests/common/golden.rs"]
mod golden;

use js_sys::{Promise, Reflect, Uint8Array, JSON};
use tastebud_wasm::Personalizer;
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

const MODEL: &[u8] = include_bytes!("../../../model/model.safetensors");

fn js(json: &str) -> JsValue {
    JSON::parse(json).expect("test JSON parses")
}

fn set(target: &JsValue, path: &[&str], value: JsValue) {
    let mut at = target.clone();
    for key in &path[..path.len() - 1] {
        at = Reflect::get(&at, &(*key).into()).unwrap();
    }
    Reflect::set(&at, &path[path.len() - 1].into(), &value).unwrap();
}

/// What a page gets from awaiting `Personalizer.create` or `Personalizer.import`: the
/// personalizer, or what the promise rejected with.
async fn settled(promise: Promise) -> Result<Personalizer, JsValue> {
    let value = JsFuture::from(promise).await?;
    Ok(Personalizer::try_from_js_value(value).expect("the promise gives a Personalizer"))
}

/// The `code` of the JavaScript `Error` an error becomes, after checking it is one.
fn code(e: impl Into<JsValue>) -> String {
    let value = e.into();
    let error = value.dyn_ref::<js_sys::Error>().expect("a JS Error");
    assert_eq!(String::from(error.name()), "TastebudError");
    assert!(!String::from(error.message()).is_empty());
    Reflect::get(&value, &"code".into())
        .unwrap()
        .as_string()
        .unwrap()
}

fn item(id: &str, title: &str) -> String {
    format!(r#"{{"id": "{id}", "title": "{title}", "price": 2.5, "url": "/p/{id}"}}"#)
}

/// Records a `kind` event on an item, as a page would.
fn record(p: &mut Personalizer, kind: &str, id: &str, title: &str) {
    let event = format!(r#"{{"type": "{kind}", "item": {}}}"#, item(id, title));
    p.record(js(&event)).unwrap();
}

fn catalog() -> JsValue {
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
    js(&format!("[{}]", items.join(",")))
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

#[wasm_bindgen_test]
fn golden_vectors_match_the_native_build() {
    let file: serde_json::Value = serde_json::from_str(golden::GOLDEN).unwrap();
    let model = tastebud::Model::from_bytes(MODEL).unwrap();
    let got = golden::outputs(model, &file["inputs"]);
    golden::assert_close(&file["outputs"], &got, "outputs");
}

#[wasm_bindgen_test]
async fn a_shopper_who_looks_at_holders_sees_holders_first() {
    let mut p = settled(Personalizer::create(None)).await.unwrap();
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
        p.record(js(&event)).unwrap();
    }
    let ranked = p
        .rank(catalog(), Some(js(r#"{"k": 3}"#).unchecked_into()))
        .unwrap();
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
async fn export_and_import_keep_the_profile() {
    let mut p = settled(Personalizer::create(None)).await.unwrap();
    record(&mut p, "purchase", "m1", "PINK POLKADOT MUG");
    p.record(js(r#"{"type": "search", "query": "lunch bag"}"#))
        .unwrap();
    let saved = Uint8Array::from(bytes(&p).as_slice());
    let mut back = settled(Personalizer::import_profile(saved.into(), None))
        .await
        .unwrap();
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
async fn paused_tracking_records_nothing_until_resumed() {
    let mut p = settled(Personalizer::create(None)).await.unwrap();
    p.pause();
    assert!(p.paused());
    let event = js(&format!(
        r#"{{"type": "view", "item": {}}}"#,
        item("m1", "PINK POLKADOT MUG")
    ));
    assert!(!p.record(event.clone()).unwrap());
    let empty = bytes(&p);
    assert_eq!(
        bytes(&settled(Personalizer::create(None)).await.unwrap()),
        empty
    );
    p.resume();
    assert!(p.record(event).unwrap());
    assert_ne!(bytes(&p), empty);
}

#[wasm_bindgen_test]
async fn restore_takes_another_profile_and_refuses_bad_bytes() {
    let mut other = settled(Personalizer::create(None)).await.unwrap();
    record(&mut other, "purchase", "m1", "PINK POLKADOT MUG");
    let mut p = settled(Personalizer::create(None)).await.unwrap();
    record(&mut p, "view", "h1", "WHITE HANGING HEART T-LIGHT HOLDER");
    let mine = bytes(&p);
    let bad = Uint8Array::from(&mine[..mine.len() - 1]);
    assert_eq!(
        p.restore(bad.into()).err().map(code).as_deref(),
        Some("corrupt_profile")
    );
    assert_eq!(bytes(&p), mine);
    p.restore(Uint8Array::from(bytes(&other).as_slice()).into())
        .unwrap();
    assert_eq!(bytes(&p), bytes(&other));
}

#[wasm_bindgen_test]
async fn a_model_can_come_as_bytes_or_a_response() {
    let options = js("{}");
    set(&options, &["model"], Uint8Array::from(MODEL).into());
    assert!(
        settled(Personalizer::create(Some(options.unchecked_into())))
            .await
            .is_ok()
    );
    let response =
        web_sys::Response::new_with_opt_buffer_source(Some(&Uint8Array::from(MODEL))).unwrap();
    let options = js("{}");
    set(&options, &["model"], response.into());
    assert!(
        settled(Personalizer::create(Some(options.unchecked_into())))
            .await
            .is_ok()
    );
}

#[wasm_bindgen_test]
async fn bad_models_are_refused_with_bad_model() {
    let truncated = Uint8Array::from(&MODEL[..MODEL.len() / 2]);
    let foreign = Uint8Array::from(&b"PK\x03\x04 this is a zip file, not a model"[..]);
    for model in [
        truncated.into(),
        foreign.into(),
        JsValue::from(42),
        JsValue::from("data:application/octet-stream;base64,AAAA"),
        JsValue::from("http://127.0.0.1:9/model.safetensors"),
    ] {
        let options = js("{}");
        set(&options, &["model"], model.clone());
        let err = settled(Personalizer::create(Some(options.unchecked_into())))
            .await
            .err();
        assert_eq!(err.map(code).as_deref(), Some("bad_model"), "{model:?}");
    }
    let err = settled(Personalizer::create(Some(
        js(r#"{"modle": 1}"#).unchecked_into(),
    )))
    .await
    .err();
    assert_eq!(err.map(code).as_deref(), Some("invalid_options"));
}

#[wasm_bindgen_test]
async fn bad_input_throws_a_coded_error_and_changes_nothing() {
    let mut p = settled(Personalizer::create(None)).await.unwrap();
    record(&mut p, "view", "h1", "WHITE HANGING HEART T-LIGHT HOLDER");
    let before = bytes(&p);
    let ranking_before = ranked_ids(&p.rank(catalog(), None).unwrap());

    let nan_price = js(r#"{"type": "view", "item": {"id": "x"}}"#);
    set(&nan_price, &["item", "price"], JsValue::from(f64::NAN));
    let huge_title = js(r#"{"type": "view", "item": {"id": "x"}}"#);
    set(&huge_title, &["item", "title"], "x".repeat(1 << 20).into());
    let deep = format!("{}1{}", r#"{"a":"#.repeat(2_000), "}".repeat(2_000));
    let deep_title = js(r#"{"type": "view", "item": {"id": "x"}}"#);
    set(&deep_title, &["item", "title"], js(&deep));
    let bad_events: Vec<(JsValue, &str)> = vec![
        (
            js(r#"{"type": "view", "item": {"title": "no id"}}"#),
            "invalid_item",
        ),
        (
            js(r#"{"type": "view", "item": {"id": ""}}"#),
            "invalid_item",
        ),
        (
            js(r#"{"type": "view", "item": {"id": "x", "price": -1}}"#),
            "invalid_item",
        ),
        (nan_price, "invalid_item"),
        (huge_title, "invalid_item"),
        (deep_title, "invalid_event"),
        (js(&deep), "invalid_event"),
        (
            js(r#"{"type": "teleport", "item": {"id": "x"}}"#),
            "invalid_event",
        ),
        (js(r#"{"type": "search"}"#), "invalid_event"),
        (
            js(r#"{"type": "search", "query": "mugs", "item": {"id": "x"}}"#),
            "invalid_event",
        ),
        (
            js(r#"{"type": "dwell", "item": {"id": "x"}}"#),
            "invalid_event",
        ),
        (
            js(r#"{"type": "view", "item": {"id": "x"}, "ms": 5}"#),
            "invalid_event",
        ),
        (
            js(r#"{"type": "view", "item": {"id": "x"}, "ts": "yesterday"}"#),
            "invalid_event",
        ),
        (
            js(r#"{"type": "view", "item": {"id": "x"}, "ts": 1e300}"#),
            "invalid_event",
        ),
        (
            js(r#"{"type": "view", "item": {"id": "x"}, "when": 1}"#),
            "invalid_event",
        ),
        (js(r#"[1, 2, 3]"#), "invalid_event"),
        (JsValue::UNDEFINED, "invalid_event"),
        (JsValue::from("view"), "invalid_event"),
    ];
    for (event, want) in bad_events {
        let got = p.record(event.clone()).err().map(code);
        assert_eq!(got.as_deref(), Some(want), "{:?}", JSON::stringify(&event));
        assert_eq!(bytes(&p), before, "a refused event changed the profile");
    }

    let nan_candidate = js(r#"[{"id": "x"}]"#);
    set(
        &nan_candidate,
        &["0", "price"],
        JsValue::from(f64::INFINITY),
    );
    // A cycle through an item's own fields cannot be read; one through other fields is never
    // read (see `extra_fields_are_left_unread`).
    let cyclic = js(r#"[{"id": "x", "tags": []}]"#);
    let tags = Reflect::get(&Reflect::get(&cyclic, &"0".into()).unwrap(), &"tags".into()).unwrap();
    set(&cyclic, &["0", "tags", "0"], tags);
    for (candidates, options, want) in [
        (nan_candidate, None, "invalid_item"),
        (cyclic, None, "invalid_item"),
        (js(r#"[{"id": "x", "price": null}]"#), None, "invalid_item"),
        (js(r#"[{"title": "no id"}]"#), None, "invalid_item"),
        (js(r#"{"id": "not an array"}"#), None, "invalid_item"),
        (
            js(r#"[{"id": "x", "price": "cheap"}]"#),
            None,
            "invalid_item",
        ),
        (catalog(), Some(js(r#"{"k": 0}"#)), "invalid_options"),
        (
            catalog(),
            Some(js(r#"{"diversity": 2}"#)),
            "invalid_options",
        ),
        (
            catalog(),
            Some(js(r#"{"keep_order_weight": 0.5}"#)),
            "invalid_options",
        ),
    ] {
        let got = p
            .rank(candidates, options.map(JsCast::unchecked_into))
            .err()
            .map(code);
        assert_eq!(got.as_deref(), Some(want));
    }
    for id in [
        JsValue::from(42),
        JsValue::UNDEFINED,
        JsValue::from(""),
        JsValue::from("x".repeat(200)),
    ] {
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
        Uint8Array::from(&profile[..profile.len() - 3]).into(),
        Uint8Array::from(&flipped[..]).into(),
        Uint8Array::from(&MODEL[..64]).into(),
        Uint8Array::new_with_length(0).into(),
        JsValue::from("TBPF"),
    ] {
        let err = settled(Personalizer::import_profile(bad, None)).await.err();
        assert_eq!(err.map(code).as_deref(), Some("corrupt_profile"));
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
async fn forget_and_clear_remove_what_the_shopper_did() {
    let mut p = settled(Personalizer::create(None)).await.unwrap();
    record(&mut p, "view", "h1", "WHITE HANGING HEART T-LIGHT HOLDER");
    record(&mut p, "view", "b1", "JUMBO BAG RED RETROSPOT");
    assert!(p.forget("h1".into()).unwrap());
    assert!(!p.forget("h1".into()).unwrap());
    assert!(!p.export_json().contains("HEART"));
    let why = p.explain("h1".into()).unwrap();
    assert!(Reflect::get(&why, &"remembered".into()).unwrap().is_null());
    p.clear();
    let fresh = settled(Personalizer::create(None)).await.unwrap();
    assert_eq!(bytes(&p), bytes(&fresh));
}

#[wasm_bindgen_test]
async fn a_prepared_catalog_ranks_as_its_items_do() {
    let mut p = settled(Personalizer::create(None)).await.unwrap();
    record(&mut p, "view", "h1", "WHITE HANGING HEART T-LIGHT HOLDER");
    let prepared = p.catalog(catalog()).unwrap();
    assert_eq!(prepared.length(), 6);
    let by_catalog = p.rank_catalog(&prepared, None).unwrap();
    let by_items = p.rank(catalog(), None).unwrap();
    assert_eq!(
        JSON::stringify(&by_catalog).unwrap(),
        JSON::stringify(&by_items).unwrap()
    );
    let mut other = settled(Personalizer::create(None)).await.unwrap();
    let err = other.rank_catalog(&prepared, None).err().map(code);
    assert_eq!(err.as_deref(), Some("invalid_options"));
}

/// The package's JavaScript packs plain candidates for `rankPacked`; they must rank exactly as
/// the same items read from JSON, and a pack that does not split (a NUL inside a field) must
/// fall back to the items themselves.
#[wasm_bindgen_test]
async fn packed_candidates_rank_as_the_same_items_read_from_json() {
    let mut p = settled(Personalizer::create(None)).await.unwrap();
    record(&mut p, "view", "h1", "WHITE HANGING HEART T-LIGHT HOLDER");
    let items = js(r#"[
        {"id": "h2", "title": "GLASS STAR FROSTED T-LIGHT HOLDER", "category": "home/candle holders", "price": 2.95},
        {"id": "b1", "title": "Sac « cabas » rouge 🎒", "brand": "Hearth", "tags": ["red", " ", "bags"]},
        {"id": "m1", "title": "PINK POLKADOT MUG", "category": "kitchen/mugs", "price": 0},
        {"id": "x1", "tags": ["plain"]}
    ]"#);
    let text = "h2\0GLASS STAR FROSTED T-LIGHT HOLDER\0home/candle holders\0\0\
                b1\0Sac « cabas » rouge 🎒\0\0Hearth\0red\0 \0bags\0\
                m1\0PINK POLKADOT MUG\0kitchen/mugs\0\0\
                x1\0\0\0\0plain\0";
    let prices = [2.95, f64::NAN, 0.0, f64::NAN];
    let tags = [0, 3, 0, 1];
    // Packed, the items are read from the text alone (`undefined` would not read as items).
    let mut ranked = |text: &str, candidates: &JsValue| {
        let ranked = p.rank_packed(candidates.clone(), text.into(), &prices, &tags, None);
        String::from(JSON::stringify(&ranked.unwrap()).unwrap())
    };
    let packed = ranked(text, &JsValue::UNDEFINED);
    let unsplit = ranked(&text.replacen("GLASS", "GL\0ASS", 1), &items);
    let from_json = String::from(JSON::stringify(&p.rank(items, None).unwrap()).unwrap());
    assert_eq!(packed, from_json);
    assert_eq!(unsplit, from_json);
}

/// Pages pass their product objects as they are: fields other than an item's own, cycles
/// among them included, are never read.
#[wasm_bindgen_test]
async fn extra_fields_are_left_unread() {
    let mut p = settled(Personalizer::create(None)).await.unwrap();
    let plain = catalog();
    let linked = catalog();
    for at in ["0", "3"] {
        set(&linked, &[at, "list"], linked.clone());
    }
    assert_eq!(
        JSON::stringify(&p.rank(linked, None).unwrap()).unwrap(),
        JSON::stringify(&p.rank(plain, None).unwrap()).unwrap()
    );
}

/// `rank` keeps the catalogs of the last lists it saw; a list edited in place is a new list.
#[wasm_bindgen_test]
async fn ranking_an_edited_list_again_sees_the_edit() {
    let mut p = settled(Personalizer::create(None)).await.unwrap();
    record(&mut p, "view", "h1", "WHITE HANGING HEART T-LIGHT HOLDER");
    record(&mut p, "view", "h2", "GLASS STAR FROSTED T-LIGHT HOLDER");
    let list = catalog();
    let place = |ids: Vec<String>| ids.iter().position(|id| id == "b1");
    let before = place(ranked_ids(&p.rank(list.clone(), None).unwrap()));
    assert_eq!(
        before,
        place(ranked_ids(&p.rank(list.clone(), None).unwrap()))
    );
    // The page turns the bag into a heart holder in place.
    set(
        &list,
        &["1", "title"],
        "RED HANGING HEART T-LIGHT HOLDER".into(),
    );
    let after = place(ranked_ids(&p.rank(list, None).unwrap()));
    assert!(after < before, "{after:?} vs {before:?}");
}
