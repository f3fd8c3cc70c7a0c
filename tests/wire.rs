//! The wire forms a host hands over: JSON events, candidates and options, and packed candidates.

use tastebud::wire::{self, MAX_CALL_BYTES, MAX_CANDIDATES};
use tastebud::{Event, EventKind, Item};

fn code<T: std::fmt::Debug>(r: tastebud::Result<T>) -> &'static str {
    r.unwrap_err().code()
}

#[test]
fn an_event_reads_with_now_for_a_missing_ts() {
    let e = wire::event_from_json(br#"{"type":"dwell","item":{"id":"a"},"ms":1500.4}"#, 7.0);
    match e.unwrap() {
        Event::Item {
            kind,
            ts_ms,
            dwell_ms,
            ..
        } => assert_eq!((kind, ts_ms, dwell_ms), (EventKind::Dwell, 7, 1500)),
        e => panic!("{e:?}"),
    }
}

/// `JSON.stringify({ ts: NaN })` is `{"ts":null}`: refused, not "now".
#[test]
fn a_null_ts_is_refused_not_now() {
    let e = wire::event_from_json(br#"{"type":"view","item":{"id":"a"},"ts":null}"#, 7.0);
    assert_eq!(code(e), "invalid_event");
}

#[test]
fn a_malformed_item_in_an_event_is_invalid_item() {
    let e = wire::event_from_json(br#"{"type":"view","item":{"title":"x"}}"#, 7.0);
    assert_eq!(code(e), "invalid_item");
}

/// `k: Infinity` or `NaN` crosses as `null`, which used to mean "no k" silently.
#[test]
fn k_infinity_or_nan_is_refused_not_unlimited() {
    for json in [
        r#"{"k":null}"#,
        r#"{"k":0}"#,
        r#"{"k":1.5}"#,
        r#"{"k":-1}"#,
        r#"{"k":1e21}"#,
    ] {
        assert_eq!(
            code(wire::rank_options_from_json(json.as_bytes())),
            "invalid_options",
            "{json}"
        );
    }
    assert_eq!(
        wire::rank_options_from_json(br#"{"k":3}"#).unwrap().k,
        Some(3)
    );
}

#[test]
fn a_null_number_in_a_profile_config_is_refused() {
    let c = wire::profile_config_from_json(br#"{"halfLifeDays":null}"#);
    assert_eq!(code(c), "invalid_options");
}

#[test]
fn a_bad_candidate_is_named_by_its_place() {
    let e = wire::items_from_json(br#"[{"id":"a"},{"id":"b","price":null}]"#).unwrap_err();
    assert_eq!(e.code(), "invalid_item");
    assert!(e.to_string().contains("candidate 1"), "{e}");
    assert_eq!(
        code(wire::items_from_json(br#"{"id":"a"}"#)),
        "invalid_item"
    );
}

#[test]
fn candidates_over_the_limits_are_refused() {
    let many = format!("[{}]", vec![r#"{"id":"a"}"#; MAX_CANDIDATES + 1].join(","));
    assert_eq!(code(wire::items_from_json(many.as_bytes())), "invalid_item");
    let long = vec![b' '; MAX_CALL_BYTES + 1];
    assert_eq!(code(wire::items_from_json(&long)), "invalid_item");
    assert_eq!(code(wire::event_from_json(&long, 0.0)), "invalid_event");
}

#[test]
fn packed_candidates_read_as_their_json_does() {
    let packed = wire::packed_items(
        "a\0Mug\0\0\0red\0b\0\0home\0Acme\0",
        &[4.5, f64::NAN],
        &[1, 0],
    );
    let json = wire::items_from_json(
        br#"[{"id":"a","title":"Mug","price":4.5,"tags":["red"]},{"id":"b","category":"home","brand":"Acme"}]"#,
    );
    assert_eq!(packed.unwrap(), json.unwrap());
}

/// A NUL inside a field shifts every later one: not packed, so read through JSON.
#[test]
fn packed_text_that_does_not_split_exactly_is_none() {
    assert_eq!(wire::packed_items("a\0\0\0\0x\0", &[f64::NAN], &[0]), None);
    assert_eq!(wire::packed_items("a\0\0\0", &[f64::NAN], &[0]), None);
    assert_eq!(wire::packed_items("a\0\0\0\0", &[f64::NAN], &[]), None);
    assert_eq!(
        wire::packed_items("a\0\0\0\0", &[f64::NAN], &[0]),
        Some(vec![Item::new("a")])
    );
}

#[test]
fn an_item_id_is_non_empty_and_bounded() {
    assert_eq!(wire::item_id("a").unwrap(), "a");
    assert_eq!(code(wire::item_id(" ")), "invalid_item");
    assert_eq!(code(wire::item_id(&"x".repeat(129))), "invalid_item");
}
