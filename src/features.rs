//! Feature hashing: turns what a page knows about a product into bucket indices of the model's
//! embedding tables. The hash (xxh64, seeded) gives the same buckets on every platform, so an
//! item hashed in the browser lands where the trainer put it, and an item never seen in training
//! still gets a vector from its words, category, brand, tags and price.
//!
//! ```
//! use tastebud::{features::{HashingConfig, ItemFeatures}, Item};
//! let item = Item { title: Some("White hanging heart T-light holder".into()), price: Some(2.55), ..Item::new("85123A") };
//! let f = ItemFeatures::new(&item, &HashingConfig::default());
//! assert_eq!(f.id_buckets.len(), 2);
//! assert!(f.tokens.iter().all(|&(b, _)| b < HashingConfig::default().token_buckets));
//! ```

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh64::xxh64;

use crate::item::Item;

/// Number of hashed id tables; an item's id part is the sum of one row from each, which keeps
/// the catalog-dependent part of the model small while two items rarely share both rows.
pub const ID_HASHES: usize = 2;
/// Most title words hashed per item.
pub const MAX_TITLE_WORDS: usize = 16;
/// Most tokens per item (title words, category levels, brand, tags, price).
pub const MAX_TOKENS: usize = MAX_TITLE_WORDS + 4 + 1 + crate::item::MAX_TAGS + 1;

/// Sizes and seed of the hash tables; part of the model, written into its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashingConfig {
    /// Rows of each hashed id table.
    pub id_buckets: [u32; ID_HASHES],
    /// Rows of the shared content-token table.
    pub token_buckets: u32,
    /// Seed of the hash function; changing it invalidates trained weights.
    pub seed: u64,
}

impl Default for HashingConfig {
    fn default() -> Self {
        HashingConfig {
            id_buckets: [1024, 1021],
            token_buckets: 2048,
            seed: 0x7a57_eb0d,
        }
    }
}

/// An item reduced to hash buckets: the input of the item encoder.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemFeatures {
    /// One row per id table.
    pub id_buckets: [u32; ID_HASHES],
    /// Content tokens as (bucket, weight); each group of tokens (title words, category levels,
    /// tags, brand, price) weighs 1 in total, so a long title does not drown the category.
    pub tokens: Vec<(u32, f32)>,
}

impl ItemFeatures {
    /// Hashes `item` with `cfg`.
    pub fn new(item: &Item, cfg: &HashingConfig) -> Self {
        let mut id_buckets = [0; ID_HASHES];
        for (k, b) in id_buckets.iter_mut().enumerate() {
            *b = bucket(
                cfg.seed.wrapping_add(k as u64 + 1),
                item.id.as_bytes(),
                cfg.id_buckets[k],
            );
        }
        let mut tokens = Tokens {
            seed: cfg.seed,
            buckets: cfg.token_buckets,
            key: String::with_capacity(64),
            out: Vec::with_capacity(MAX_TOKENS),
        };
        let title = item.title.as_deref().unwrap_or("");
        tokens.group("w", title_word_slices(title));
        let mut path = String::new();
        tokens.group(
            "c",
            item.category_levels().take(4).map(|level| {
                if !path.is_empty() {
                    path.push('/');
                }
                path.push_str(level);
                path.clone()
            }),
        );
        tokens.group("b", item.brand.iter().map(|b| b.trim()));
        tokens.group("t", item.tags.iter().map(|t| t.trim()));
        tokens.group(
            "p",
            item.price.map(|p| price_bucket(p).to_string()).into_iter(),
        );
        let tokens = tokens.out;
        ItemFeatures { id_buckets, tokens }
    }
}

/// Lowercased alphanumeric words of a title, at most [`MAX_TITLE_WORDS`], single letters dropped.
pub fn title_words(title: &str) -> Vec<String> {
    title_word_slices(title).map(str::to_lowercase).collect()
}

fn title_word_slices(title: &str) -> impl Iterator<Item = &str> {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().nth(1).is_some())
        .take(MAX_TITLE_WORDS)
}

/// Builds the token list without allocating per token: hashing is most of the cost of
/// encoding an item.
struct Tokens {
    seed: u64,
    buckets: u32,
    key: String,
    out: Vec<(u32, f32)>,
}

impl Tokens {
    /// Adds one group of tokens (each hashed as `prefix:lowercased word`), weighing 1 in all.
    fn group<S: AsRef<str>>(&mut self, prefix: &str, words: impl Iterator<Item = S>) {
        let start = self.out.len();
        for word in words {
            let word = word.as_ref();
            self.key.clear();
            self.key.push_str(prefix);
            self.key.push(':');
            if word.is_ascii() {
                self.key
                    .extend(word.chars().map(|c| c.to_ascii_lowercase()));
            } else {
                self.key.push_str(&word.to_lowercase());
            }
            let b = bucket(self.seed, self.key.as_bytes(), self.buckets);
            self.out.push((b, 0.0));
        }
        let n = self.out.len() - start;
        for token in &mut self.out[start..] {
            token.1 = 1.0 / n as f32;
        }
    }
}

/// Half-octave price bucket: prices within ~41% of each other share a bucket.
pub fn price_bucket(price: f32) -> i32 {
    ((price.max(0.0) + 0.01).log2() * 2.0)
        .floor()
        .clamp(-16.0, 48.0) as i32
}

/// Number of time-gap buckets the user encoder embeds.
pub const GAP_BUCKETS: usize = 10;

/// Buckets the time since the previous event: 0 for the first event of a sequence, then
/// < 1 min, < 10 min, < 1 h, < 6 h, < 1 day, < 3 days, < 1 week, < 30 days, longer.
pub fn gap_bucket(gap_seconds: Option<i64>) -> u32 {
    const LIMITS: [i64; 8] = [60, 600, 3_600, 21_600, 86_400, 259_200, 604_800, 2_592_000];
    match gap_seconds {
        None => 0,
        Some(s) => 1 + LIMITS.iter().take_while(|&&l| s.max(0) >= l).count() as u32,
    }
}

/// Stable 64-bit key of an item id, used by the transition table.
pub fn id_key(id: &str) -> u64 {
    xxh64(id.as_bytes(), 0x1d_4e7)
}

fn bucket(seed: u64, bytes: &[u8], buckets: u32) -> u32 {
    (xxh64(bytes, seed) % u64::from(buckets.max(1))) as u32
}
