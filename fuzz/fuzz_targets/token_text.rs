//! Text → `Token::decode` at any clock and age: never panics; what it accepts writes back as the
//! same text and re-ranks a server's list. The input is read twice: as the token's text, and as
//! a token's bytes given a valid checksum and written as base64url, so that the fuzzer reaches
//! past the CRC into the header and the vectors.
#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use tastebud::{Item, RankOptions, Ranker, Token};

fuzz_target!(|data: &[u8]| {
    let mut framed = data.to_vec();
    framed.extend(crc32fast::hash(data).to_le_bytes());
    let texts = [
        String::from_utf8_lossy(data).into_owned(),
        URL_SAFE_NO_PAD.encode(framed),
    ];
    let model = &*tastebud_fuzz::MODEL;
    let (tag, dim) = (model.token_tag(), model.config.dim);
    for text in &texts {
        for now_ms in tastebud_fuzz::NOWS {
            for max_age_ms in [0, 86_400_000, i64::MAX] {
                let Ok(token) = Token::decode(text, tag, dim, now_ms, max_age_ms) else {
                    continue;
                };
                assert_eq!(&token.encode(), text.trim(), "an accepted token writes back as read");
                let results = [Item::new("a"), Item::new("b"), Item::new("a")];
                let mut ranker = Ranker::new(model.clone());
                let mut order = ranker
                    .rerank(&token, &results, &RankOptions::default())
                    .expect("an accepted token re-ranks");
                order.sort_unstable();
                assert_eq!(order, [0, 1], "each id once, at its first place");
            }
        }
    }
});
