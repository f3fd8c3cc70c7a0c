//! Behaviour of the shopper profile as a page would see it: interests, decay, bounds, invalid
//! input, forgetting, persistence and the summary.

use tastebud::error::Error;
use tastebud::profile::{Activity, EventWeights, FacetKind, Intent, FORMAT_VERSION};
use tastebud::{Event, EventKind, Item, Profile, ProfileConfig};

const T0: i64 = 1_700_000_000_000;
const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

fn item(id: &str, category: &str) -> Item {
    Item {
        category: Some(category.into()),
        ..Item::new(id)
    }
}

fn priced(id: &str, category: &str, price: f32) -> Item {
    Item {
        price: Some(price),
        ..item(id, category)
    }
}

fn ev(kind: EventKind, item: Item, ts_ms: i64) -> Event {
    Event::item(kind, item, ts_ms)
}

fn dwell(item: Item, ts_ms: i64, dwell_ms: u32) -> Event {
    Event::Item {
        kind: EventKind::Dwell,
        item,
        ts_ms,
        dwell_ms,
    }
}

fn record_all(profile: &mut Profile, events: impl IntoIterator<Item = Event>) {
    for event in events {
        profile.record(event).unwrap();
    }
}

/// SplitMix64: a small deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Text of 1 to `max_len` characters, some of them multi-byte.
    fn text(&mut self, max_len: u64) -> String {
        let len = 1 + self.below(max_len);
        (0..len)
            .map(|_| match self.below(20) {
                0 => 'é',
                1 => '/',
                2 => ' ',
                n => char::from(b'a' + n as u8),
            })
            .collect()
    }
}

/// A sample profile touching every stored field: out-of-order events, dwell, searches, unicode.
fn sample_profile() -> Profile {
    let mut p = Profile::default();
    let candle = Item {
        title: Some("Scented soy candle, vanilla".into()),
        brand: Some("Lumière".into()),
        price: Some(12.5),
        tags: vec!["vanilla".into(), "gift".into()],
        ..item("candle-1", "home/candles")
    };
    record_all(
        &mut p,
        [
            ev(EventKind::Impression, candle.clone(), T0),
            ev(EventKind::View, candle.clone(), T0 + MINUTE),
            dwell(candle.clone(), T0 + 2 * MINUTE, 45_000),
            Event::search("soy candles", T0 + 3 * MINUTE),
            ev(
                EventKind::View,
                priced("mug-7", "home/kitchen", 8.0),
                T0 + 4 * MINUTE,
            ),
            // Late: happened before the previous event.
            ev(EventKind::Click, item("mug-7", "home/kitchen"), T0 + 90_000),
            ev(EventKind::AddToCart, candle.clone(), T0 + 5 * MINUTE),
            ev(EventKind::Purchase, candle, T0 + 6 * MINUTE),
            Event::search("mugs", T0 + 7 * MINUTE),
        ],
    );
    p
}

fn corrupt_message(bytes: &[u8]) -> String {
    match Profile::from_bytes(bytes) {
        Err(Error::CorruptProfile(msg)) => msg,
        Err(other) => panic!("expected CorruptProfile, got {other:?}"),
        Ok(_) => panic!("corrupt bytes were accepted"),
    }
}

fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn with_crc(mut body: Vec<u8>) -> Vec<u8> {
    let crc = crc32fast::hash(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    body
}

// --- interests and decay ---

#[test]
fn many_events_in_one_category_make_it_the_top_interest() {
    let mut p = Profile::default();
    for i in 0..10 {
        p.record(ev(
            EventKind::View,
            item(&format!("g{i}"), "garden/tools"),
            T0 + i,
        ))
        .unwrap();
    }
    p.record(ev(EventKind::Purchase, item("k1", "home/kitchen"), T0 + 20))
        .unwrap();

    let interests = p.interests(T0 + 30);
    let top = &interests[0].facet;
    assert_eq!(
        (top.kind, top.label.as_str()),
        (FacetKind::Category, "garden")
    );
    assert!(interests.iter().any(|i| i.facet.label == "home/kitchen"));

    let summary = p.summary(T0 + 30);
    assert_eq!(summary.top_interests[0].label, "garden");
    let total: f32 = summary.top_interests.iter().map(|i| i.share).sum();
    assert!((total - 1.0).abs() < 1e-5, "shares sum to {total}");
}

#[test]
fn an_old_interest_loses_to_a_recent_one() {
    let mut p = Profile::default();
    let old = T0 - 365 * DAY;
    for i in 0..10 {
        p.record(ev(
            EventKind::View,
            item(&format!("b{i}"), "books"),
            old + i,
        ))
        .unwrap();
    }
    for i in 0..3 {
        p.record(ev(EventKind::View, item(&format!("t{i}"), "toys"), T0 + i))
            .unwrap();
    }
    // A year ago, books led; today, after twelve half-lives, toys do.
    assert_eq!(p.interests(old + 100)[0].facet.label, "books");
    assert_eq!(p.interests(T0 + 100)[0].facet.label, "toys");
    let affinity = p.item("b0", old + 30 * DAY).unwrap().affinity;
    assert!(
        (affinity - 0.5).abs() < 1e-4,
        "one view decays to half in a half-life: {affinity}"
    );
}

#[test]
fn title_keywords_brand_and_tags_become_interests() {
    let mut p = Profile::default();
    let lamp = Item {
        title: Some("WHITE HANGING HEART T-LIGHT HOLDER for the home".into()),
        brand: Some("Acme".into()),
        tags: vec!["Vintage".into()],
        ..Item::new("85123A")
    };
    p.record(ev(EventKind::View, lamp, T0)).unwrap();
    let labels: Vec<(FacetKind, String)> = p
        .interests(T0)
        .into_iter()
        .map(|i| (i.facet.kind, i.facet.label))
        .collect();
    for expected in ["white", "hanging", "heart", "light", "holder", "home"] {
        assert!(
            labels.contains(&(FacetKind::Keyword, expected.into())),
            "{expected}: {labels:?}"
        );
    }
    for dropped in ["t", "for", "the"] {
        assert!(
            !labels.iter().any(|(_, l)| l == dropped),
            "{dropped} kept: {labels:?}"
        );
    }
    assert!(labels.contains(&(FacetKind::Brand, "Acme".into())));
    assert!(labels.contains(&(FacetKind::Tag, "Vintage".into())));
}

#[test]
fn impressions_without_action_weigh_against_an_item_and_add_no_interest() {
    let mut p = Profile::default();
    for i in 0..3 {
        p.record(ev(EventKind::Impression, item("shown", "shoes"), T0 + i))
            .unwrap();
        p.record(ev(EventKind::Impression, item("clicked", "bags"), T0 + i))
            .unwrap();
    }
    p.record(ev(EventKind::Click, item("clicked", "bags"), T0 + 10))
        .unwrap();

    assert!(p.item("shown", T0 + 10).unwrap().affinity < 0.0);
    assert_eq!(p.passed_over(3).collect::<Vec<_>>(), ["shown"]);
    assert_eq!(p.passed_over(4).count(), 0);
    assert!(p
        .interests(T0 + 10)
        .iter()
        .all(|i| i.facet.label != "shoes"));
}

#[test]
fn dwell_counts_more_the_longer_it_lasts_up_to_a_cap() {
    let w = EventWeights::default();
    let at = |secs: u32| w.weight(EventKind::Dwell, secs * 1000);
    assert!((at(10) - 1.0).abs() < 1e-6);
    assert!((at(30) - 2.0).abs() < 1e-6);
    assert!(at(1) < at(10) && at(10) < at(30) && at(30) < at(70));
    assert_eq!(at(3600), w.dwell_cap * w.dwell);
    assert!(w.weight(EventKind::Impression, 0) < 0.0);
}

#[test]
fn late_events_are_decayed_from_their_own_time() {
    let (a, b) = (T0 - 30 * DAY, T0);
    let mut in_order = Profile::default();
    record_all(
        &mut in_order,
        [
            ev(EventKind::View, item("x", "c"), a),
            ev(EventKind::Click, item("x", "c"), b),
        ],
    );
    let mut late = Profile::default();
    record_all(
        &mut late,
        [
            ev(EventKind::Click, item("x", "c"), b),
            ev(EventKind::View, item("x", "c"), a),
        ],
    );
    let expected = 1.5 + 0.5; // the view is one half-life old
    for p in [&in_order, &late] {
        let affinity = p.item("x", b).unwrap().affinity;
        assert!((affinity - expected).abs() < 1e-4, "{affinity}");
        // The recent events are kept in time order, newest last.
        let kinds: Vec<EventKind> = p.recent_item_events().map(|e| e.kind).collect();
        assert_eq!(kinds, [EventKind::View, EventKind::Click]);
    }
}

// --- bounds ---

#[test]
fn the_documented_bound_is_what_max_bytes_computes() {
    // Module docs of `profile` state this number; keep them in sync.
    assert_eq!(ProfileConfig::default().max_bytes(), 252_748);
}

/// A random valid or invalid event with text near or past every bound and extreme times.
fn random_event(rng: &mut Rng, ids: u64) -> Event {
    let ts = match rng.below(50) {
        0 => i64::MIN + rng.below(1000) as i64,
        1 => i64::MAX - rng.below(1000) as i64,
        _ => T0 + rng.below(400 * DAY as u64) as i64,
    };
    if rng.below(10) == 0 {
        return Event::search(rng.text(300), ts);
    }
    let n = rng.below(ids);
    let id = format!("{n}-{}", "i".repeat((n % 130) as usize));
    let item = Item {
        id,
        title: (rng.below(3) > 0).then(|| rng.text(300)),
        category: (rng.below(3) > 0).then(|| rng.text(80)),
        brand: (rng.below(2) > 0).then(|| rng.text(80)),
        price: (rng.below(2) > 0).then(|| rng.below(100_000) as f32 / 100.0),
        tags: (0..rng.below(11)).map(|_| rng.text(80)).collect(),
    };
    let kind = EventKind::ALL[rng.below(6) as usize];
    Event::Item {
        kind,
        item,
        ts_ms: ts,
        dwell_ms: rng.below(200_000) as u32,
    }
}

#[test]
fn a_hundred_thousand_random_events_stay_within_every_bound() {
    let mut p = Profile::default();
    let bound = p.config().max_bytes();
    let mut rng = Rng(7);
    let mut largest = 0;
    for n in 1..=100_000 {
        // Some are invalid (ids over 128 bytes, dwell of 0 ms); they must change nothing.
        let _ = p.record(random_event(&mut rng, 2_000));
        assert!(p.len() <= 100);
        if n % 5_000 == 0 {
            assert!(p.items(T0).count() <= 200);
            let summary = p.summary(T0);
            // Every recent event's item is still remembered.
            let item_events = p.recent_item_events().count();
            assert_eq!(item_events + summary.event_counts.search as usize, p.len());
            largest = largest.max(p.to_bytes().len());
        }
    }
    assert_eq!(p.len(), 100);
    assert_eq!(p.items(T0).count(), 200);
    assert!(largest <= bound, "{largest} bytes > bound {bound}");
    assert!(
        largest > bound / 3,
        "the test did not stress the bound: {largest}"
    );
}

#[test]
fn a_profile_of_maximal_text_is_near_but_within_the_bound() {
    let mut p = Profile::default();
    let long = |c: char, n: usize| c.to_string().repeat(n);
    for i in 0..200 {
        let item = Item {
            id: format!("{i:03}{}", long('i', 125)),
            title: Some(long('t', 300)),
            category: Some(long('c', 100)),
            brand: Some(long('b', 100)),
            price: Some(1.0),
            tags: (0..10).map(|t| format!("{t}{}", long('g', 100))).collect(),
        };
        p.record(ev(EventKind::View, item, i64::MIN + i)).unwrap();
    }
    for i in 0..100 {
        p.record(Event::search(
            format!("{i:03}{}", long('q', 300)),
            i64::MIN + 1_000 + i,
        ))
        .unwrap();
    }
    let (size, bound) = (p.to_bytes().len(), p.config().max_bytes());
    assert!(
        size <= bound && size * 100 >= bound * 95,
        "{size} vs bound {bound}"
    );
}

#[test]
fn a_typical_profile_is_about_29_kb() {
    let mut p = Profile::default();
    let mut rng = Rng(1);
    for n in 0..2_000 {
        let i = rng.below(1_000);
        let item = Item {
            id: format!("SKU-{i:08}"),
            title: Some(format!("Organic cotton crew-neck t-shirt, style {i:05}")),
            category: Some(format!("apparel/men/tops-{}", i % 7)),
            brand: Some(format!("Brand {}", i % 40)),
            price: Some(10.0 + (i % 90) as f32),
            tags: vec![format!("colour-{}", i % 9), "cotton".into()],
        };
        let kind = [EventKind::Impression, EventKind::View, EventKind::Click][n % 3];
        p.record(ev(kind, item, T0 + n as i64 * MINUTE)).unwrap();
    }
    let size = p.to_bytes().len();
    assert!((26_000..32_000).contains(&size), "typical size {size}");
}

#[test]
fn the_oldest_events_and_weakest_items_are_dropped_first() {
    let config = ProfileConfig {
        recent_events: 2,
        max_items: 3,
        ..ProfileConfig::default()
    };
    let mut p = Profile::new(config).unwrap();
    record_all(
        &mut p,
        [
            ev(EventKind::Purchase, item("faded", "c"), T0 - 365 * DAY),
            ev(EventKind::Purchase, item("loved", "c"), T0),
            ev(EventKind::View, item("glanced", "c"), T0 + 1),
            ev(EventKind::View, item("a", "c"), T0 + 2),
            ev(EventKind::View, item("b", "c"), T0 + 3),
        ],
    );
    // A purchase a year old weighs less than a view today, which weighs less than a purchase
    // today; "a" and "b" are in the recent events.
    let ids: Vec<String> = p.items(T0).map(|i| i.item.id.clone()).collect();
    assert_eq!(ids, ["a", "b", "loved"]);
    let recent: Vec<&str> = p.recent_item_events().map(|e| e.item.id.as_str()).collect();
    assert_eq!(recent, ["a", "b"]);
}

#[test]
fn search_queries_are_kept_distinct_bounded_and_in_order() {
    let config = ProfileConfig {
        recent_queries: 2,
        ..ProfileConfig::default()
    };
    let mut p = Profile::new(config).unwrap();
    for (i, q) in ["red shoes", "  blue bag ", "Red Shoes", "hat"]
        .into_iter()
        .enumerate()
    {
        p.record(Event::search(q, T0 + i as i64)).unwrap();
    }
    assert_eq!(p.last_query(), Some("hat"));
    assert_eq!(p.recent_queries().collect::<Vec<_>>(), ["Red Shoes", "hat"]);
    assert_eq!(p.len(), 4, "every search is also a recent event");
}

#[test]
fn configurations_out_of_range_are_refused() {
    let base = ProfileConfig::default;
    let bad = [
        ProfileConfig {
            recent_events: 0,
            ..base()
        },
        ProfileConfig {
            max_items: 50,
            ..base()
        },
        ProfileConfig {
            max_items: 100_000,
            ..base()
        },
        ProfileConfig {
            half_life_days: 0.0,
            ..base()
        },
        ProfileConfig {
            weights: EventWeights {
                view: f32::NAN,
                ..EventWeights::default()
            },
            ..base()
        },
    ];
    for config in bad {
        let err = Profile::new(config.clone()).unwrap_err();
        assert_eq!(err.code(), "invalid_options", "{config:?}");
    }
    let json = r#"{"recentEvents": 20, "weights": {"purchase": 8}}"#;
    let config: ProfileConfig = serde_json::from_str(json).unwrap();
    assert_eq!((config.recent_events, config.max_items), (20, 200));
    assert!(serde_json::from_str::<ProfileConfig>(r#"{"recentEvent": 20}"#).is_err());
}

#[test]
fn shrinking_the_configuration_drops_what_no_longer_fits() {
    let mut p = sample_profile();
    p.set_config(ProfileConfig {
        recent_events: 1,
        max_items: 1,
        recent_queries: 1,
        ..p.config().clone()
    })
    .unwrap();
    assert_eq!(p.len(), 1);
    assert_eq!(p.items(T0).count(), 1);
    assert_eq!(p.recent_queries().collect::<Vec<_>>(), ["mugs"]);
    assert_eq!(Profile::from_bytes(&p.to_bytes()).unwrap(), p);
}

// --- invalid input ---

#[test]
fn invalid_events_are_errors_that_leave_the_profile_unchanged() {
    let mut p = sample_profile();
    let before = p.to_bytes();
    let invalid = [
        ev(EventKind::View, Item::new(""), T0),
        ev(EventKind::View, Item::new("   "), T0),
        ev(EventKind::View, Item::new("x".repeat(129)), T0),
        ev(
            EventKind::View,
            Item {
                price: Some(f32::NAN),
                ..Item::new("candle-1")
            },
            T0,
        ),
        ev(
            EventKind::View,
            Item {
                price: Some(-1.0),
                ..Item::new("candle-1")
            },
            T0,
        ),
        ev(
            EventKind::View,
            Item {
                price: Some(f32::INFINITY),
                ..Item::new("candle-1")
            },
            T0,
        ),
        dwell(Item::new("candle-1"), T0, 0),
        ev(EventKind::Search, Item::new("candle-1"), T0),
        Event::search("", T0),
        Event::search(" \t ", T0),
    ];
    for event in invalid {
        let err = p.record(event.clone()).unwrap_err();
        assert!(
            ["invalid_item", "invalid_event"].contains(&err.code()),
            "{event:?}: {err}"
        );
        assert_eq!(p.to_bytes(), before, "{event:?} changed the profile");
    }
}

// --- forgetting ---

#[test]
fn forget_removes_every_trace_of_the_item() {
    let acme = || Item {
        brand: Some("Acme".into()),
        ..priced("a", "tools", 99.0)
    };
    let b = || priced("b", "books", 10.0);
    let events_b = [
        ev(EventKind::View, b(), T0 + 1),
        ev(EventKind::Purchase, b(), T0 + 3),
    ];
    let mut p = Profile::default();
    record_all(
        &mut p,
        [
            ev(EventKind::View, acme(), T0),
            events_b[0].clone(),
            ev(EventKind::Purchase, acme(), T0 + 2),
            events_b[1].clone(),
        ],
    );
    assert!(p.interests(T0).iter().any(|i| i.facet.label == "Acme"));

    assert!(p.forget("a"));
    assert!(p.item("a", T0).is_none());
    assert!(p.recent_item_events().all(|e| e.item.id != "a"));
    assert!(p
        .interests(T0)
        .iter()
        .all(|i| !["Acme", "tools"].contains(&i.facet.label.as_str())));
    assert_eq!(p.purchased_ids().collect::<Vec<_>>(), ["b"]);
    assert_eq!(p.summary(T0).price_band.unwrap().median, 10.0);
    // Exactly as if the shopper had never met it (and had asked to keep it out).
    let mut never = Profile::default();
    record_all(&mut never, events_b);
    never.forget("a");
    assert_eq!(p.to_bytes(), never.to_bytes());

    assert!(!p.forget("a"), "nothing left to forget");
}

#[test]
fn clear_empties_the_profile_and_keeps_its_configuration() {
    let config = ProfileConfig {
        recent_events: 50,
        ..ProfileConfig::default()
    };
    let mut p = Profile::new(config.clone()).unwrap();
    record_all(
        &mut p,
        [
            ev(EventKind::View, item("a", "c"), T0),
            Event::search("q", T0),
        ],
    );
    assert!(!p.is_empty());
    p.clear();
    assert!(p.is_empty());
    assert_eq!(p.len(), 0);
    assert_eq!(p.last_query(), None);
    assert_eq!(p.to_bytes(), Profile::new(config).unwrap().to_bytes());
}

// --- persistence ---

#[test]
fn bytes_round_trip_exactly() {
    let p = sample_profile();
    let bytes = p.to_bytes();
    let back = Profile::from_bytes(&bytes).unwrap();
    assert_eq!(back, p);
    assert_eq!(back.to_bytes(), bytes);
    assert_eq!(back.summary(T0 + DAY), p.summary(T0 + DAY));
}

#[test]
fn the_binary_format_is_stable() {
    let mut p = Profile::default();
    record_all(
        &mut p,
        [
            ev(EventKind::View, priced("a", "c", 2.0), 1_000),
            Event::search("q", 2_000),
        ],
    );
    let hex: String = p.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let expected = [
        // Magic "TBPF", version 2.
        "54425046",
        "0200",
        // Capacities 100, 200, 10, 64; half-life 30 days; the seven weights.
        "64c8010a40",
        "0000f041",
        "cdccccbd0000803f0000c03f0000803f00004040000040400000a040",
        // 2 recent events: a view of "a" at 1000 ms, a search for "q" at 2000 ms.
        "02",
        "00010161d00f00",
        "010171a01f",
        // 1 item: "a" in category "c" at price 2; affinity 1, seen at 1000 ms; 1 view.
        "01",
        "01610001016300010000004000",
        "0000803fd00fd00f",
        "00010000000000",
        // 1 query, "q"; no forgotten items; then the CRC-32.
        "010171",
        "00",
        "CRC",
    ];
    let body = from_hex(&expected.concat().replace("CRC", ""));
    let crc: String = crc32fast::hash(&body)
        .to_le_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hex, expected.concat().replace("CRC", &crc));
}

/// Profiles stored by earlier releases (format version 1: the same payload without the
/// forgotten items) still load: a shopper's profile survives the upgrade.
#[test]
fn a_version_1_profile_still_reads() {
    let p = sample_profile();
    let bytes = p.to_bytes();
    // Version 1, and the payload without its last byte: an empty list of forgotten items.
    let mut v1 = bytes[..bytes.len() - 5].to_vec();
    v1[4..6].copy_from_slice(&1u16.to_le_bytes());
    let back = Profile::from_bytes(&with_crc(v1)).unwrap();
    assert_eq!(back, p);
    assert_eq!(back.to_bytes(), bytes);
}

#[test]
fn every_truncation_is_rejected() {
    let bytes = sample_profile().to_bytes();
    for len in 0..bytes.len() {
        corrupt_message(&bytes[..len]);
    }
}

#[test]
fn every_single_byte_change_is_rejected() {
    let bytes = sample_profile().to_bytes();
    for i in 0..bytes.len() {
        for flip in [0x01, 0x80, 0xFF] {
            let mut damaged = bytes.clone();
            damaged[i] ^= flip;
            corrupt_message(&damaged);
        }
    }
}

#[test]
fn foreign_bytes_and_newer_versions_are_told_apart() {
    let bytes = sample_profile().to_bytes();

    let mut foreign = bytes.clone();
    foreign[..4].copy_from_slice(b"PK\x03\x04");
    let foreign_msg = corrupt_message(&foreign);
    assert!(
        foreign_msg.contains("not a tastebud profile"),
        "{foreign_msg}"
    );
    assert!(corrupt_message(b"{\"json\": 1}").contains("not a tastebud profile"));

    // A newer version, with a checksum that matches, as a newer build would write.
    let mut newer = bytes[..bytes.len() - 4].to_vec();
    newer[4..6].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let newer_msg = corrupt_message(&with_crc(newer));
    assert!(newer_msg.contains("newer"), "{newer_msg}");

    let damaged_msg = corrupt_message(&bytes[..bytes.len() - 1]);
    assert!(damaged_msg.contains("checksum"), "{damaged_msg}");
    assert!(corrupt_message(b"TB").contains("truncated"));

    let messages = [&foreign_msg, &newer_msg, &damaged_msg];
    for (i, a) in messages.iter().enumerate() {
        for b in &messages[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn bytes_with_a_valid_checksum_but_impossible_contents_are_rejected() {
    let bytes = sample_profile().to_bytes();
    let body = &bytes[..bytes.len() - 4];
    // The payload starts with the configuration; its first field is `recent_events` (100).
    assert_eq!(body[6], 100);
    for (recent_events, expected) in [(0, "recentEvents"), (1, "capacity")] {
        let mut crafted = body.to_vec();
        crafted[6] = recent_events;
        let msg = corrupt_message(&with_crc(crafted));
        assert!(
            msg.contains("inconsistent contents") && msg.contains(expected),
            "{msg}"
        );
    }
    let mut trailing = body.to_vec();
    trailing.push(0);
    assert!(corrupt_message(&with_crc(trailing)).contains("after the payload"));
}

#[test]
fn json_export_shows_what_is_stored() {
    let json: serde_json::Value = serde_json::from_str(&sample_profile().to_json()).unwrap();
    assert_eq!(json["formatVersion"], FORMAT_VERSION);
    assert_eq!(json["config"]["recentEvents"], 100);
    let events = json["recentEvents"].as_array().unwrap();
    // The sample's impression is counted on its item, not stored as an event.
    assert_eq!(events.len(), 8);
    assert!(events.iter().all(|e| e["kind"] != "impression"));
    assert!(events
        .iter()
        .any(|e| e["kind"] == "dwell" && e["dwellMs"] == 45_000));
    assert!(events
        .iter()
        .any(|e| e["kind"] == "search" && e["query"] == "soy candles"));
    let items = json["items"].as_array().unwrap();
    assert_eq!(items[0]["item"]["title"], "Scented soy candle, vanilla");
    assert_eq!(items[0]["counts"]["purchase"], 1);
    assert_eq!(
        json["recentQueries"],
        serde_json::json!(["soy candles", "mugs"])
    );
}

// --- summary ---

#[test]
fn intent_progresses_from_browsing_to_purchased() {
    let mut p = Profile::default();
    let intent = |p: &Profile| p.summary(T0 + DAY / 2).intent;
    assert_eq!(intent(&p), Intent::Browsing);
    p.record(ev(EventKind::View, item("s1", "shoes/running"), T0))
        .unwrap();
    assert_eq!(intent(&p), Intent::Browsing);
    for (i, id) in ["s2", "s3"].into_iter().enumerate() {
        p.record(ev(
            EventKind::View,
            item(id, "shoes/running"),
            T0 + 1 + i as i64,
        ))
        .unwrap();
    }
    assert_eq!(intent(&p), Intent::Comparing);
    p.record(ev(
        EventKind::AddToCart,
        item("s2", "shoes/running"),
        T0 + 10,
    ))
    .unwrap();
    assert_eq!(intent(&p), Intent::Deciding);
    p.record(ev(
        EventKind::Purchase,
        item("s2", "shoes/running"),
        T0 + 20,
    ))
    .unwrap();
    assert_eq!(intent(&p), Intent::Purchased);
    p.record(ev(
        EventKind::AddToCart,
        item("sock", "shoes/socks"),
        T0 + 30,
    ))
    .unwrap();
    assert_eq!(intent(&p), Intent::Deciding, "a new cart after a purchase");
    // Two days later, that session is over.
    assert_eq!(p.summary(T0 + 2 * DAY).intent, Intent::Browsing);
}

#[test]
fn price_band_spans_the_prices_of_items_engaged_with() {
    let mut p = Profile::default();
    assert_eq!(p.summary(T0).price_band, None);
    for (i, price) in [50.0, 10.0, 40.0, 20.0, 30.0].into_iter().enumerate() {
        p.record(ev(
            EventKind::View,
            priced(&format!("p{i}"), "c", price),
            T0,
        ))
        .unwrap();
    }
    // Shown but never engaged with: not the shopper's price range.
    p.record(ev(
        EventKind::Impression,
        priced("luxury", "c", 5_000.0),
        T0,
    ))
    .unwrap();
    let band = p.summary(T0).price_band.unwrap();
    assert_eq!(
        (band.low, band.median, band.high, band.items),
        (20.0, 30.0, 40.0, 5)
    );
}

#[test]
fn activity_and_counts_reflect_recent_events() {
    let mut p = Profile::default();
    assert_eq!(p.summary(T0).activity, Activity::New);
    for i in 0..25 {
        p.record(ev(
            EventKind::View,
            item(&format!("v{i}"), "c"),
            T0 - i * MINUTE,
        ))
        .unwrap();
        p.record(ev(
            EventKind::Impression,
            item(&format!("v{i}"), "c"),
            T0 - i * MINUTE,
        ))
        .unwrap();
    }
    let summary = p.summary(T0);
    assert_eq!(summary.activity, Activity::Heavy);
    assert_eq!(
        (summary.event_counts.view, summary.event_counts.impression),
        (25, 25)
    );
    // Impressions count per item and stay out of the ring of recent events.
    assert_eq!((summary.stored_events, summary.remembered_items), (25, 25));
    assert_eq!(summary.first_event_ms, Some(T0 - 24 * MINUTE));
    assert_eq!(summary.last_event_ms, Some(T0));
    assert_eq!(p.summary(T0 + 3 * DAY).activity, Activity::Heavy);
    assert_eq!(p.summary(T0 + 8 * DAY).activity, Activity::Casual);

    let text = serde_json::to_string(&summary).unwrap();
    assert!(text.contains("\"activity\":\"heavy\"") && text.contains("\"intent\":\"comparing\""));
}

// --- regressions: accepted input that must stay importable ---

/// A search of 300 spaces and a word was accepted, cut to 256 blank bytes and stored empty:
/// the export then failed to import and the shop threw the whole profile away on reload.
#[test]
fn a_search_padded_past_the_query_limit_round_trips() {
    let mut p = Profile::default();
    p.record(Event::search(" ".repeat(300) + "a", T0)).unwrap();
    assert_eq!(p.last_query(), Some("a"));
    let long = format!("  {}  ", "é".repeat(200));
    p.record(Event::search(long, T0 + 1)).unwrap();
    let back = Profile::from_bytes(&p.to_bytes()).unwrap();
    assert_eq!(back.to_bytes(), p.to_bytes());
    assert!(back.last_query().unwrap().len() <= 256);
    assert!(p.record(Event::search(" ".repeat(300), T0 + 2)).is_err());
}

/// With `maxItems` equal to `recentEvents` (a configuration the docs allow) and every item in
/// the ring, an impression of a new item had nowhere to go and overfilled the table, which
/// then did not import.
#[test]
fn an_impression_when_every_item_is_recent_keeps_the_profile_importable() {
    let config = ProfileConfig {
        recent_events: 3,
        max_items: 3,
        ..ProfileConfig::default()
    };
    let mut p = Profile::new(config).unwrap();
    for i in 0..3 {
        p.record(ev(EventKind::View, item(&format!("v{i}"), "c"), T0 + i))
            .unwrap();
    }
    let kept = p
        .record(ev(EventKind::Impression, item("shown", "c"), T0 + 10))
        .unwrap();
    assert!(!kept);
    assert_eq!(p.items(T0).count(), 3);
    Profile::from_bytes(&p.to_bytes()).unwrap();
    // A new view makes room (its own item stays, the oldest event's goes).
    assert!(p
        .record(ev(EventKind::View, item("v3", "c"), T0 + 20))
        .unwrap());
    assert_eq!(p.items(T0).count(), 3);
    Profile::from_bytes(&p.to_bytes()).unwrap();
}

// --- forgetting sticks ---

/// "Forget" on a product still on screen: its next impression brought it straight back into
/// what the shop knew about the shopper.
#[test]
fn a_forgotten_item_stays_out_until_the_shopper_acts_on_it() {
    let mut p = sample_profile();
    let mug = || item("mug-7", "home/kitchen");
    assert!(p.forget("mug-7"));
    for event in [
        ev(EventKind::Impression, mug(), T0 + DAY),
        ev(EventKind::View, mug(), T0 + DAY),
        dwell(mug(), T0 + DAY, 60_000),
    ] {
        assert!(!p.record(event).unwrap());
        assert!(p.item("mug-7", T0 + DAY).is_none());
    }
    // It survives a reload, as a hash: the id itself is not stored.
    let bytes = p.to_bytes();
    assert!(!bytes.windows(5).any(|w| w == b"mug-7"));
    let mut p = Profile::from_bytes(&bytes).unwrap();
    assert!(!p.record(ev(EventKind::View, mug(), T0 + 2 * DAY)).unwrap());
    // A click is a deliberate act: the item is back, and views count again.
    assert!(p.record(ev(EventKind::Click, mug(), T0 + 3 * DAY)).unwrap());
    assert!(p.record(ev(EventKind::View, mug(), T0 + 3 * DAY)).unwrap());
    assert_eq!(p.item("mug-7", T0 + 3 * DAY).unwrap().counts.view, 1);
    assert_eq!(p.forgotten_len(), 0);
}

#[test]
fn clear_drops_the_forgotten_items_too() {
    let mut p = sample_profile();
    p.forget("mug-7");
    p.clear();
    assert!(p.is_empty());
    assert!(p
        .record(ev(EventKind::View, item("mug-7", "home/kitchen"), T0))
        .unwrap());
}
