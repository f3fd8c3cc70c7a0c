//! What the fuzz targets share: the default model, framing a profile payload, the round-trip
//! check and the calls a page makes on an accepted profile.
//!
//! The invariants checked: nothing panics; an accepted profile exports bytes that import again
//! and re-export byte-identically, within [`tastebud::ProfileConfig::max_bytes`]; an accepted
//! profile ranks, explains, summarises and exports JSON at any `now_ms`.

use std::sync::LazyLock;

use tastebud::{Event, EventKind, Item, Model, Personalizer, Profile, ProfileConfig, RankOptions};

/// The model the npm package embeds.
pub const DEFAULT_MODEL: &[u8] = include_bytes!("../../model/model.safetensors");

/// [`DEFAULT_MODEL`], loaded once.
pub static MODEL: LazyLock<Model> =
    LazyLock::new(|| Model::from_bytes(DEFAULT_MODEL).expect("the default model loads"));

/// Times every accepted profile is used at: the limits, around the epoch, and today.
pub const NOWS: [i64; 6] = [
    i64::MIN,
    -1,
    0,
    1_700_000_000_000,
    1_800_000_000_000,
    i64::MAX,
];

/// `payload` as profile bytes: the magic `TBPF`, the format version (u16 LE), the payload and a
/// valid CRC-32 (LE) of everything before it, as `src/profile/format.rs` lays them out.
pub fn frame_profile(payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(payload.len() + 10);
    bytes.extend_from_slice(b"TBPF");
    bytes.extend_from_slice(&tastebud::profile::FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(payload);
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes
}

/// The payload of profile bytes (what [`frame_profile`] wraps), for seeding.
pub fn payload(bytes: &[u8]) -> &[u8] {
    &bytes[6..bytes.len() - 4]
}

/// Accepted ⇒ round-trips: `profile` exports bytes within its configured bound that import
/// again and export the same bytes. Returns the export.
pub fn check_round_trip(profile: &Profile) -> Vec<u8> {
    let bytes = profile.to_bytes();
    assert!(
        bytes.len() <= profile.config().max_bytes(),
        "export of {} bytes exceeds max_bytes {}",
        bytes.len(),
        profile.config().max_bytes()
    );
    let again = Profile::from_bytes(&bytes)
        .unwrap_or_else(|e| panic!("an accepted profile's export does not import: {e}"));
    assert!(
        again.to_bytes() == bytes,
        "an accepted profile's export re-exports differently"
    );
    bytes
}

/// Everything a page does with an accepted profile: the round-trip, then rank (over its own
/// items and two new ones, plain and with every option), rank a catalog, explain, summarise
/// and export JSON, at the one of [`NOWS`] that `pick` names. None of it may panic.
///
/// The input picks the time (its length, say) rather than every execution trying all six:
/// over a campaign each is tried on every kind of profile, at a sixth of the cost.
pub fn check_profile(profile: Profile, pick: usize) {
    let now = NOWS[pick % NOWS.len()];
    check_round_trip(&profile);
    let mut candidates: Vec<Item> = profile.items(0).map(|r| r.item.clone()).take(16).collect();
    candidates.push(Item {
        title: Some("Glass star frosted T-light holder".into()),
        price: Some(4.25),
        ..Item::new("21733")
    });
    candidates.push(Item::new("85099B"));
    let options = [
        RankOptions::default(),
        RankOptions {
            query: profile.last_query().map(str::to_owned),
            k: Some(5),
            diversity: 0.3,
            exclude: candidates.iter().take(1).map(|i| i.id.clone()).collect(),
            exclude_purchased: true,
            keep_order_weight: 0.5,
        },
    ];
    let json = profile.to_json();
    serde_json::from_str::<serde_json::Value>(&json).expect("to_json is JSON");
    let mut p = Personalizer::new(MODEL.clone(), profile);
    for options in &options {
        let ranked = p.rank(&candidates, options, now).expect("valid options");
        std::hint::black_box(serde_json::to_string(&ranked).unwrap());
        for r in ranked.iter().take(2) {
            std::hint::black_box(serde_json::to_string(&p.explain(&r.id, now)).unwrap());
        }
    }
    let catalog = p.catalog(candidates.clone()).expect("valid candidates");
    p.rank_catalog(&catalog, &options[1], now)
        .expect("valid options");
    std::hint::black_box(serde_json::to_string(&p.summary(now)).unwrap());
    for id in [&candidates[0].id, "unknown"] {
        std::hint::black_box(serde_json::to_string(&p.explain(id, now)).unwrap());
    }
}

/// A small profile for ranking with a fuzzed model: views, a dwell, a cart and a search.
pub fn small_profile() -> Profile {
    let mut profile = Profile::default();
    let t = 1_700_000_000_000;
    let holder = Item {
        title: Some("White hanging heart T-light holder".into()),
        category: Some("home > candles".into()),
        price: Some(2.55),
        ..Item::new("85123A")
    };
    let events = [
        Event::item(EventKind::View, holder.clone(), t),
        Event::Item {
            kind: EventKind::Dwell,
            item: holder.clone(),
            ts_ms: t + 1_000,
            dwell_ms: 30_000,
        },
        Event::search("lantern", t + 40_000),
        Event::item(EventKind::AddToCart, Item::new("84029G"), t + 60_000),
    ];
    for event in events {
        profile.record(event).expect("a valid event");
    }
    profile
}

/// Ranks a few items with `model` for [`small_profile`] (and an empty one): no panic, whatever
/// model was accepted.
pub fn rank_with(model: Model) {
    static PROFILE: LazyLock<Profile> = LazyLock::new(small_profile);
    let candidates = [
        Item {
            title: Some("Glass star frosted T-light holder".into()),
            ..Item::new("21733")
        },
        Item::new("85123A"),
        Item::new("85099B"),
    ];
    let options = RankOptions {
        query: Some("lantern".into()),
        diversity: 0.2,
        ..RankOptions::default()
    };
    let mut p = Personalizer::new(model, PROFILE.clone());
    let ranked = p.rank(&candidates, &options, 1_700_000_100_000);
    if let Ok(ranked) = ranked {
        std::hint::black_box(serde_json::to_string(&ranked).unwrap());
    }
    std::hint::black_box(p.explain("85123A", 1_700_000_100_000));
    p.clear();
    std::hint::black_box(p.rank(&candidates, &RankOptions::default(), 0).is_ok());
}

/// [`busy_profile`] under the default configuration, built once.
pub static BUSY_PROFILE: LazyLock<Profile> =
    LazyLock::new(|| busy_profile(ProfileConfig::default()).expect("a valid profile"));

/// Every kind of event on catalog-like items, out of time order, with searches and a forget.
pub fn busy_profile(config: ProfileConfig) -> tastebud::Result<Profile> {
    let mut profile = Profile::new(config)?;
    let t = 1_700_000_000_000;
    let item = |n: usize| Item {
        title: Some(format!("Lantern no. {n}")),
        category: Some("home > lighting".into()),
        brand: n.is_multiple_of(2).then(|| "Hearth".into()),
        price: Some(1.5 * n as f32),
        tags: vec!["gift".into(), format!("size-{}", n % 3)],
        ..Item::new(format!("sku-{n}"))
    };
    for n in 0..8 {
        let ts = t + 60_000 * n as i64;
        let kind = EventKind::ALL[n % EventKind::ALL.len()];
        let event = match kind {
            EventKind::Search => Event::search(format!("lantern {n}"), ts),
            EventKind::Dwell => Event::Item {
                kind,
                item: item(n),
                ts_ms: ts,
                dwell_ms: 45_000,
            },
            _ => Event::item(kind, item(n), ts),
        };
        profile.record(event)?;
    }
    profile.record(Event::item(EventKind::Impression, item(9), t - 1_000))?;
    profile.record(Event::item(EventKind::Purchase, item(1), t + 900_000))?;
    profile.forget("sku-2");
    Ok(profile)
}

/// Separates the parts of a text target's input (several events, say). 0xFF never occurs in
/// UTF-8, so in no JSON: seeds stay readable and libFuzzer's text mutations keep working.
pub const SEPARATOR: u8 = 0xFF;

/// The parts of a text target's input, at most `max` of them (to bound an execution's time).
pub fn parts(input: &[u8], max: usize) -> impl Iterator<Item = &[u8]> {
    input.split(|&b| b == SEPARATOR).take(max)
}

/// A personalizer over the default model starting from `profile`.
pub fn personalizer(profile: Profile) -> Personalizer {
    Personalizer::new(MODEL.clone(), profile)
}

/// After a call that changes the profile: accepted ⇒ the export round-trips; rejected ⇒ the
/// export is byte-identical to `before`, what it was before the call.
pub fn check_change(profile: &Profile, before: &[u8], accepted: bool) {
    if accepted {
        check_round_trip(profile);
    } else {
        assert!(
            profile.to_bytes() == before,
            "a rejected input changed the profile"
        );
    }
}

/// Candidates a page handed over, once read: ranking them (plain, with options, as a catalog)
/// never panics nor changes the profile, and rank and catalog agree on whether they are valid;
/// recording a view of each leaves the profile round-tripping (or unchanged if refused).
pub fn check_candidates(items: Vec<Item>) {
    let mut p = personalizer(small_profile());
    let before = p.profile().to_bytes();
    let options = RankOptions {
        query: Some("lantern".into()),
        k: Some(10),
        diversity: 0.3,
        exclude_purchased: true,
        keep_order_weight: 0.2,
        ..RankOptions::default()
    };
    let now = 1_700_000_100_000;
    let ranked = p.rank(&items, &options, now);
    if let Ok(ranked) = &ranked {
        for r in ranked.iter().take(3) {
            std::hint::black_box(serde_json::to_string(&p.explain(&r.id, now)).unwrap());
        }
    }
    let catalog = p.catalog(items.clone());
    assert_eq!(
        ranked.is_ok(),
        catalog.is_ok(),
        "rank and catalog disagree on the candidates: {ranked:?}"
    );
    if let Ok(catalog) = catalog {
        std::hint::black_box(
            p.rank_catalog(&catalog, &RankOptions::default(), now)
                .unwrap(),
        );
    }
    assert!(
        p.profile().to_bytes() == before,
        "ranking changed the profile"
    );
    for item in items.into_iter().take(8) {
        let before = p.profile().to_bytes();
        let accepted = p.record(Event::item(EventKind::View, item, now)).is_ok();
        check_change(p.profile(), &before, accepted);
    }
}
