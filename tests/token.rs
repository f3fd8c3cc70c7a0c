//! The profile token an edge worker re-ranks by: short, read back exactly, noised as stated,
//! refused with a reason when it is damaged, foreign or stale, and re-ranking like the profile
//! it came from.

mod common;

use common::{catalog, default_model, kind_of, places_of};
use proptest::prelude::*;
use rand::SeedableRng;
use tastebud::token::{PrivUnit, Rejected, Token, MAX_TOKEN_CHARS};
use tastebud::{Event, EventKind, Profile, RankOptions, Ranker};

const T0: i64 = 1_700_000_000_000;
const DAY_MS: i64 = 86_400_000;

/// A shopper who looked at three candle holders.
fn holder_fan() -> Profile {
    let mut p = Profile::default();
    let holders = catalog()
        .into_iter()
        .filter(|i| kind_of(&i.id) == "holder")
        .take(3);
    for (n, item) in holders.enumerate() {
        p.record(Event::item(EventKind::View, item, T0 + n as i64 * 60_000))
            .unwrap();
    }
    p
}

/// The secret key of device `seed`.
fn key(seed: u64) -> [u8; 32] {
    let mut key = [0; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key
}

fn token_of(ranker: &mut Ranker, profile: &Profile, epsilon: f64, seed: u64) -> String {
    ranker
        .token(profile, T0 + 600_000, epsilon, &key(seed))
        .unwrap()
        .encode()
}

fn read(ranker: &Ranker, text: &str) -> Result<Token, Rejected> {
    let model = ranker.model();
    Token::decode(
        text,
        model.token_tag(),
        model.config.dim,
        T0 + 700_000,
        DAY_MS,
    )
}

/// The token of `profile` as the edge reads it.
fn sent(ranker: &mut Ranker, profile: &Profile, epsilon: f64, seed: u64) -> Token {
    let text = token_of(ranker, profile, epsilon, seed);
    read(ranker, &text).unwrap()
}

#[test]
fn a_token_is_short_and_reads_back_as_made() {
    let mut ranker = Ranker::new(default_model());
    for epsilon in [f64::INFINITY, 8.0, 1.0] {
        let text = token_of(&mut ranker, &holder_fan(), epsilon, 7);
        assert!(text.len() <= MAX_TOKEN_CHARS, "{} characters", text.len());
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let token = read(&ranker, &text).unwrap();
        assert_eq!(token.epsilon, epsilon.is_finite().then_some(epsilon));
        assert!(token.intent.is_some());
        assert_eq!(token.encode(), text);
    }
}

#[test]
fn every_bad_token_is_refused_with_its_reason() {
    let mut ranker = Ranker::new(default_model());
    let good = token_of(&mut ranker, &holder_fan(), f64::INFINITY, 1);
    let mut bytes = good.clone().into_bytes();
    let truncated = &good[..good.len() - 6];
    let oversized = good.repeat(3);
    // The version is the first byte: "AQ" is base64url for 0x01 and "Ag" for 0x02.
    let other_version = format!("Ag{}", &good[2..]);
    bytes[40] = if bytes[40] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(bytes).unwrap();
    let cases = [
        ("", Rejected::Missing),
        ("   ", Rejected::Missing),
        (truncated, Rejected::Malformed),
        (&oversized, Rejected::Oversized),
        ("not a token!", Rejected::Malformed),
        (&other_version, Rejected::Version),
        (&flipped, Rejected::Checksum),
    ];
    for (text, reason) in cases {
        assert_eq!(read(&ranker, text), Err(reason), "{text:?}");
    }
    let model = ranker.model();
    let (tag, dim) = (model.token_tag(), model.config.dim);
    assert_eq!(
        Token::decode(&good, tag ^ 1, dim, T0, DAY_MS),
        Err(Rejected::OtherModel)
    );
    assert_eq!(
        Token::decode(&good, tag, dim, T0 + 600_000 + 2 * DAY_MS, DAY_MS),
        Err(Rejected::Expired)
    );
    assert_eq!(
        Token::decode(&good, tag, dim, T0 - 3_600_000, DAY_MS),
        Err(Rejected::Expired),
        "dated an hour ahead"
    );
    assert_eq!(Rejected::Checksum.code(), "token_checksum");
}

/// Asking again spends nothing: the same profile and key give the same noise (on another page
/// load too), so many tokens of one profile cannot be averaged; another device's key, or a
/// changed profile, gives other noise.
#[test]
fn the_same_profile_gets_the_same_noise() {
    let mut ranker = Ranker::new(default_model());
    let once = token_of(&mut ranker, &holder_fan(), 4.0, 1);
    let mut fresh = Ranker::new(default_model());
    assert_eq!(token_of(&mut fresh, &holder_fan(), 4.0, 1), once);
    assert_ne!(token_of(&mut ranker, &holder_fan(), 4.0, 2), once);
    let mut changed = holder_fan();
    let bag = catalog()
        .into_iter()
        .find(|i| kind_of(&i.id) == "bag")
        .unwrap();
    changed
        .record(Event::item(EventKind::View, bag, T0 + 300_000))
        .unwrap();
    assert_ne!(token_of(&mut ranker, &changed, 4.0, 1), once);
}

#[test]
fn epsilon_out_of_range_is_refused() {
    let mut ranker = Ranker::new(default_model());
    for epsilon in [0.0, 0.1, -1.0, f64::NAN, 64.0, f64::NEG_INFINITY] {
        let made = ranker.token(&holder_fan(), T0, epsilon, &key(0));
        assert_eq!(
            made.err().map(|e| e.code()),
            Some("invalid_options"),
            "{epsilon}"
        );
    }
}

/// The guarantee the docs state: the likeliest output is at most e^ε times likelier for one
/// input than another, `p/(1−p) · (1−q)/q ≤ e^ε`; and the sampler draws what the mechanism
/// describes: its answers' mean cosine with the truth is the expected one.
#[test]
fn priv_unit_keeps_its_epsilon_and_samples_as_it_says() {
    for dim in [1, 2, 3, 4, 16, 64] {
        for epsilon in [0.5, 1.0, 4.0, 8.0, 16.0] {
            let m = PrivUnit::new(dim, epsilon);
            let spent = (m.p / (1.0 - m.p)).ln() + ((1.0 - m.q) / m.q).ln();
            // (1 − p is as small as e^−ε: its rounding is the tolerance.)
            assert!(spent <= epsilon + 1e-5, "dim {dim} ε {epsilon}: {m:?}");
            assert!(m.expected_cosine > 0.0, "dim {dim} ε {epsilon}: {m:?}");
        }
    }
    // On the 2-sphere in 3 dimensions t = v·u is uniform: the cap's share is (1 − γ)/2.
    let m = PrivUnit::new(3, 2.0);
    assert!((m.q - (1.0 - m.gamma) / 2.0).abs() < 1e-6, "{m:?}");

    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let u: Vec<f32> = (0..64).map(|i| if i == 5 { 1.0 } else { 0.0 }).collect();
    for epsilon in [2.0, 8.0] {
        let m = PrivUnit::new(64, epsilon);
        let n = 4000;
        let mean = (0..n)
            .map(|_| {
                let v = m.sample(&u, &mut rng);
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                assert!((norm - 1.0).abs() < 1e-4);
                f64::from(v[5])
            })
            .sum::<f64>()
            / n as f64;
        assert!(
            (mean - m.expected_cosine).abs() < 0.02,
            "ε {epsilon}: mean cosine {mean}, expected {}",
            m.expected_cosine
        );
    }
}

/// Places of the holders among the test catalog re-ranked by `token`, best first.
fn holder_places(ranker: &mut Ranker, token: &Token) -> Vec<usize> {
    let catalog = catalog();
    let order = ranker
        .rerank(token, &catalog, &RankOptions::default())
        .unwrap();
    (1..)
        .zip(order)
        .filter(|&(_, at)| kind_of(&catalog[at].id) == "holder")
        .map(|(place, _)| place)
        .collect()
}

#[test]
fn reranking_by_the_token_follows_the_profile() {
    let mut ranker = Ranker::new(default_model());
    let exact = sent(&mut ranker, &holder_fan(), f64::INFINITY, 1);
    let by_token = holder_places(&mut ranker, &exact);
    let options = RankOptions::default();
    let ranked = ranker.rank(&holder_fan(), &catalog(), &options, T0 + 600_000);
    let by_profile = places_of("holder", &ranked.unwrap());
    assert_eq!(by_token[0], 1, "a holder first: {by_token:?}");
    let mean = |p: &[usize]| p.iter().sum::<usize>() as f64 / p.len() as f64;
    assert!(
        mean(&by_token) <= mean(&by_profile) + 2.0,
        "token {by_token:?}, profile {by_profile:?}"
    );
    // Noised, the holders come up less, and less the smaller ε: on average over tokens.
    let incoming = (1..)
        .zip(catalog())
        .filter(|(_, i)| kind_of(&i.id) == "holder")
        .map(|(p, _)| p)
        .collect::<Vec<usize>>();
    let noised = |ranker: &mut Ranker, epsilon: f64| {
        (0..100)
            .map(|seed| {
                let t = sent(ranker, &holder_fan(), epsilon, seed);
                mean(&holder_places(ranker, &t))
            })
            .sum::<f64>()
            / 100.0
    };
    let (loud, quiet) = (noised(&mut ranker, 2.0), noised(&mut ranker, 32.0));
    assert!(
        mean(&by_token) <= quiet && quiet + 1.0 < loud && quiet + 2.0 < mean(&incoming),
        "mean holder place: exact {by_token:?}, ε 32 {quiet}, ε 2 {loud}, incoming {incoming:?}"
    );
}

#[test]
fn a_token_of_no_history_keeps_the_server_order() {
    let mut ranker = Ranker::new(default_model());
    let empty = sent(&mut ranker, &Profile::default(), 4.0, 1);
    assert!(empty.intent.is_none() && empty.taste.is_none());
    let order = ranker
        .rerank(&empty, &catalog(), &RankOptions::default())
        .unwrap();
    assert_eq!(order, (0..catalog().len()).collect::<Vec<_>>());
}

proptest! {
    /// Whatever text arrives, reading it never panics, and whatever is accepted is written
    /// back as the same text.
    #[test]
    fn any_text_is_read_or_refused_and_accepted_text_round_trips(text in "[A-Za-z0-9_\\-]{0,300}|\\PC{0,300}") {
        let ranker = Ranker::new(default_model());
        let model = ranker.model();
        if let Ok(token) = Token::decode(&text, model.token_tag(), model.config.dim, T0, i64::MAX) {
            prop_assert_eq!(token.encode(), text.trim());
        }
    }

    /// A single flipped bit anywhere in a good token is refused.
    #[test]
    fn a_flipped_bit_is_refused(bit in 0usize..(188 * 6)) {
        let mut ranker = Ranker::new(default_model());
        let good = token_of(&mut ranker, &holder_fan(), f64::INFINITY, 2);
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut chars = good.into_bytes();
        let at = (bit / 6) % chars.len();
        let value = alphabet.iter().position(|&c| c == chars[at]).unwrap();
        chars[at] = alphabet[value ^ (1 << (bit % 6))];
        let text = String::from_utf8(chars).unwrap();
        prop_assert!(read(&ranker, &text).is_err());
    }
}
