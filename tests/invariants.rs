//! The profile's invariants, checked over random sequences of what a page can do (record,
//! forget, clear, restore, rank, rank a catalog, reconfigure), with valid and invalid input,
//! under random valid configurations:
//!
//! - whatever is accepted can be exported, and importing the export gives a profile whose
//!   export is byte-identical;
//! - whatever is rejected leaves the export byte-identical and carries a documented code;
//! - ranking, explaining, summarising and the JSON export never fail on an accepted profile.
//!
//! And one that the ranker's speed rests on: the cheap facet check it matches candidates to
//! interests with says what the facets themselves say.
//!
//! `PROPTEST_CASES` sets the number of sequences (a few hundred by default, for `make test`;
//! the README's figure is from a run of 100,000).

mod common;

use std::sync::LazyLock;

use proptest::prelude::*;
use tastebud::profile::{facets, first_facet_of, EventWeights, Facet};
use tastebud::{Event, EventKind, Item, Model, Personalizer, Profile, ProfileConfig, RankOptions};

static MODEL: LazyLock<Model> = LazyLock::new(common::default_model);

/// The codes a page can branch on, as documented.
const CODES: [&str; 5] = [
    "invalid_item",
    "invalid_event",
    "invalid_options",
    "bad_model",
    "corrupt_profile",
];

const T0: i64 = 1_700_000_000_000;

/// One thing a page can do.
#[derive(Debug, Clone)]
enum Op {
    Record(Event),
    Forget(String),
    Clear,
    /// Restore the export taken `back` operations ago (0: the current one), damaged at byte
    /// `flip` (by xor 1) when given, or cut to `cut` bytes.
    Restore {
        back: usize,
        flip: Option<usize>,
        cut: Option<usize>,
    },
    Rank(Vec<Item>, RankOptions),
    RankCatalog(Vec<Item>, RankOptions),
    Configure(ProfileConfig),
}

/// Text a page might send: ordinary words, blanks around them, long runs, multi-byte
/// characters, empty strings.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z]{1,8}( [a-z]{1,8}){0,4}",
        1 => Just(String::new()),
        1 => "[ \t\n]{0,4}",
        1 => (0..max, "[a-zé€😀 ]{0,3}").prop_map(|(n, tail)| " ".repeat(n) + &tail),
        1 => (0..max, any::<char>()).prop_map(|(n, c)| c.to_string().repeat(n)),
        1 => any::<String>(),
    ]
}

/// Ids from a small pool, so that events meet the same items, and odd ones.
fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (0..12u8).prop_map(|n| format!("sku-{n}")),
        1 => text(300),
    ]
}

fn price() -> impl Strategy<Value = Option<f32>> {
    prop_oneof![
        3 => Just(None),
        5 => (0.0f32..500.0).prop_map(Some),
        1 => prop_oneof![
            Just(f32::NAN),
            Just(f32::INFINITY),
            Just(-1.0),
            Just(f32::MAX),
            Just(0.0)
        ]
        .prop_map(Some),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    (
        id(),
        proptest::option::of(text(400)),
        proptest::option::of(prop_oneof!["[a-z]{1,6}(/[a-z]{1,6}){0,3}", text(100)]),
        proptest::option::of(text(100)),
        price(),
        prop_oneof![
            6 => proptest::collection::vec(text(90), 0..4),
            1 => proptest::collection::vec(text(10), 0..300),
        ],
    )
        .prop_map(|(id, title, category, brand, price, tags)| Item {
            id,
            title,
            category,
            brand,
            price,
            tags,
        })
}

/// Times near now, and at the limits of what an `i64` holds.
fn time() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => (0..90 * 86_400_000i64).prop_map(|d| T0 + d),
        1 => prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), Just(-1)],
        1 => any::<i64>(),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    let kind = proptest::sample::select(EventKind::ALL.to_vec());
    prop_oneof![
        6 => (kind, item(), time(), prop_oneof![Just(0u32), 1..200_000u32, Just(u32::MAX)])
            .prop_map(|(kind, item, ts_ms, dwell_ms)| Event::Item { kind, item, ts_ms, dwell_ms }),
        1 => (text(400), time()).prop_map(|(q, ts)| Event::search(q, ts)),
    ]
}

/// Options, most of them valid.
fn options() -> impl Strategy<Value = RankOptions> {
    let unit = prop_oneof![8 => 0.0f32..=1.0, 1 => Just(f32::NAN), 1 => Just(1.5)];
    (
        proptest::option::of(text(300)),
        proptest::option::of(prop_oneof![Just(0usize), 1..40usize]),
        prop_oneof![Just(0.0f32), unit.clone()],
        proptest::collection::vec(id(), 0..3),
        any::<bool>(),
        prop_oneof![Just(0.0f32), unit],
    )
        .prop_map(
            |(query, k, diversity, exclude, exclude_purchased, keep_order_weight)| RankOptions {
                query,
                k,
                diversity,
                exclude,
                exclude_purchased,
                keep_order_weight,
            },
        )
}

/// Configurations the docs allow, and some they do not.
fn config() -> impl Strategy<Value = ProfileConfig> {
    let weight = prop_oneof![-1000.0f32..=1000.0, Just(f32::NAN), Just(1e6)];
    (
        0..=40u32,
        0..=60u32,
        0..=12u32,
        0..=70u32,
        prop_oneof![0.001f32..400.0, Just(0.0), Just(f32::INFINITY), Just(1e-30)],
        proptest::collection::vec(weight, 7),
    )
        .prop_map(
            |(recent_events, extra_items, recent_queries, max_interests, half_life_days, w)| {
                ProfileConfig {
                    recent_events,
                    max_items: recent_events + extra_items,
                    recent_queries,
                    max_interests,
                    half_life_days,
                    weights: EventWeights {
                        impression: w[0],
                        view: w[1],
                        click: w[2],
                        dwell: w[3],
                        dwell_cap: w[4].abs(),
                        add_to_cart: w[5],
                        purchase: w[6],
                    },
                }
            },
        )
}

fn op() -> impl Strategy<Value = Op> {
    let candidates = || proptest::collection::vec(item(), 0..25);
    prop_oneof![
        12 => event().prop_map(Op::Record),
        2 => id().prop_map(Op::Forget),
        1 => Just(Op::Clear),
        2 => (0..4usize, proptest::option::of(any::<usize>()), proptest::option::of(any::<usize>()))
            .prop_map(|(back, flip, cut)| Op::Restore { back, flip, cut }),
        3 => (candidates(), options()).prop_map(|(c, o)| Op::Rank(c, o)),
        1 => (candidates(), options()).prop_map(|(c, o)| Op::RankCatalog(c, o)),
        1 => config().prop_map(Op::Configure),
    ]
}

/// Checks that `bytes` import, and that the import exports the same bytes.
fn round_trips(bytes: &[u8]) -> Result<(), TestCaseError> {
    let back = Profile::from_bytes(bytes)
        .map_err(|e| TestCaseError::fail(format!("an accepted profile does not import: {e}")))?;
    prop_assert_eq!(
        back.to_bytes(),
        bytes,
        "import(export()) exports other bytes"
    );
    Ok(())
}

/// What a page reads off a profile, which must not fail whatever was accepted.
fn read_everything(p: &mut Personalizer, now_ms: i64) -> Result<(), TestCaseError> {
    let summary = p.summary(now_ms);
    for interest in &summary.top_interests {
        prop_assert!(interest.share.is_finite());
    }
    let _ = p.profile().to_json();
    let ids: Vec<String> = p
        .profile()
        .items(now_ms)
        .map(|r| r.item.id.clone())
        .collect();
    for id in &ids {
        let _ = p.explain(id, now_ms);
    }
    let candidates: Vec<Item> = ids.into_iter().map(Item::new).collect();
    let ranked = p
        .rank(&candidates, &RankOptions::default(), now_ms)
        .map_err(|e| TestCaseError::fail(format!("ranking the remembered items failed: {e}")))?;
    prop_assert!(ranked.iter().all(|r| r.score.is_finite()));
    Ok(())
}

fn run(config: ProfileConfig, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let Ok(profile) = Profile::new(config.clone()) else {
        prop_assert!(config.validated().is_err());
        return Ok(());
    };
    let mut p = Personalizer::new(MODEL.clone(), profile);
    let mut exports = vec![p.profile().to_bytes()];
    let mut now = T0;
    for op in ops {
        let before = p.profile().to_bytes();
        now += 1_000;
        let outcome: Result<(), tastebud::Error> = match op.clone() {
            Op::Record(event) => p.record(event).map(|_| ()),
            Op::Forget(id) => {
                p.forget(&id);
                Ok(())
            }
            Op::Clear => {
                p.clear();
                Ok(())
            }
            Op::Restore { back, flip, cut } => {
                let mut bytes = exports[exports.len().saturating_sub(1 + back)].clone();
                if let Some(at) = flip {
                    let at = at % bytes.len();
                    bytes[at] ^= 1;
                }
                if let Some(len) = cut {
                    bytes.truncate(len % (bytes.len() + 1));
                }
                p.restore(&bytes)
            }
            Op::Rank(candidates, options) => p.rank(&candidates, &options, now).map(|ranked| {
                let mut ids: Vec<&str> = ranked.iter().map(|r| r.id.as_str()).collect();
                ids.sort_unstable();
                let n = ids.len();
                ids.dedup();
                assert_eq!(ids.len(), n, "an id was returned twice");
                if let Some(k) = options.k {
                    assert!(n <= k);
                }
            }),
            Op::RankCatalog(items, options) => p
                .catalog(items)
                .and_then(|catalog| p.rank_catalog(&catalog, &options, now))
                .map(|_| ()),
            Op::Configure(config) => {
                let mut profile = p.profile().clone();
                profile.set_config(config).map(|()| {
                    p = Personalizer::new(MODEL.clone(), profile);
                })
            }
        };
        let after = p.profile().to_bytes();
        match outcome {
            Ok(()) => round_trips(&after)?,
            Err(e) => {
                prop_assert!(
                    CODES.contains(&e.code()),
                    "undocumented code {}: {e}",
                    e.code()
                );
                prop_assert_eq!(
                    &after,
                    &before,
                    "{:?} was rejected ({}) but changed the profile",
                    op,
                    e
                );
            }
        }
        read_everything(&mut p, now)?;
        exports.push(after);
    }
    Ok(())
}

/// A few hundred sequences, or `PROPTEST_CASES`.
fn cases() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    ProptestConfig {
        cases,
        max_shrink_iters: 2_000,
        // A failure prints its shrunk sequence, which becomes a named regression test.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn accepted_calls_round_trip_and_rejected_ones_change_nothing(
        config in prop_oneof![4 => Just(ProfileConfig::default()), 1 => config()],
        ops in proptest::collection::vec(op(), 1..30),
    ) {
        run(config, ops)?;
    }

    #[test]
    fn a_facet_is_of_an_item_exactly_when_the_item_has_it(a in item(), b in item()) {
        // `a` shouted: the same keywords, other letters.
        let loud = Item { title: a.title.as_ref().map(|t| t.to_uppercase()), ..a.clone() };
        for facet in facets(&a).iter().chain(&facets(&b)) {
            for item in [&a, &loud, &b] {
                prop_assert_eq!(facet.is_of(item), facets(item).contains(facet), "{:?}", facet);
            }
        }
    }

    #[test]
    fn the_first_interest_an_item_has_is_found_as_one_by_one(
        a in item(),
        b in item(),
        picks in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        // Interests drawn from both items' facets, in any order: some the item has, some not.
        let pool: Vec<Facet> = facets(&a).into_iter().chain(facets(&b)).collect();
        let interests: Vec<Facet> = if pool.is_empty() {
            Vec::new()
        } else {
            picks.iter().map(|i| i.get(&pool).clone()).collect()
        };
        let loud = Item { title: a.title.as_ref().map(|t| t.to_uppercase()), ..a.clone() };
        for item in [&a, &loud, &b] {
            prop_assert_eq!(
                first_facet_of(&interests, item),
                interests.iter().position(|f| f.is_of(item))
            );
        }
    }
}
