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
#[derive(Debug, Clone, PartialEq, Default)]
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
        let mut features = ItemFeatures {
            id_buckets: [0; ID_HASHES],
            tokens: Vec::with_capacity(MAX_TOKENS),
        };
        features.rehash(item, cfg, &mut Vec::with_capacity(64));
        features
    }

    /// Hashes `item` into `self`, reusing its buffers and `key` (scratch): hashing is most of
    /// the cost of encoding a never-seen item, so the encoder's loop allocates nothing here.
    pub(crate) fn rehash(&mut self, item: &Item, cfg: &HashingConfig, key: &mut Vec<u8>) {
        for (k, b) in self.id_buckets.iter_mut().enumerate() {
            *b = bucket(
                cfg.seed.wrapping_add(k as u64 + 1),
                item.id.as_bytes(),
                cfg.id_buckets[k],
            );
        }
        self.tokens.clear();
        let mut tokens = Tokens {
            seed: cfg.seed,
            buckets: cfg.token_buckets,
            key,
            out: &mut self.tokens,
        };
        let title = item.title.as_deref().unwrap_or("");
        if title.is_ascii() {
            tokens.group(b"w", ascii_title_words(title));
        } else {
            tokens.group(b"w", title_word_slices(title));
        }
        tokens.category(item.category_levels().take(4));
        tokens.group(b"b", item.brand.iter().map(|b| b.trim()));
        tokens.group(b"t", item.tags.iter().map(|t| t.trim()));
        let mut digits = [0; 3];
        let price = item.price.map(|p| decimal(price_bucket(p), &mut digits));
        tokens.group(b"p", price.into_iter());
    }
}

/// Lowercased alphanumeric words of a title, at most [`MAX_TITLE_WORDS`], single letters dropped.
pub fn title_words(title: &str) -> Vec<String> {
    title_word_slices(title).map(str::to_lowercase).collect()
}

pub(crate) fn title_word_slices(title: &str) -> impl Iterator<Item = &str> {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().nth(1).is_some())
        .take(MAX_TITLE_WORDS)
}

/// [`title_word_slices`] of an ASCII title, split on bytes rather than decoded characters.
fn ascii_title_words(title: &str) -> impl Iterator<Item = &str> {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() > 1)
        .take(MAX_TITLE_WORDS)
}

/// A price bucket (−16 to 48) as text, written into `buf` rather than allocated.
fn decimal(n: i32, buf: &mut [u8; 3]) -> &str {
    let mut len = 0;
    if n < 0 {
        buf[0] = b'-';
        len = 1;
    }
    let n = n.unsigned_abs().min(99);
    if n >= 10 {
        buf[len] = b'0' + (n / 10) as u8;
        len += 1;
    }
    buf[len] = b'0' + (n % 10) as u8;
    std::str::from_utf8(&buf[..=len]).unwrap_or_default()
}

/// Builds the token list, each token hashed as `prefix:lowercased text` in one reused key
/// buffer.
struct Tokens<'a> {
    seed: u64,
    buckets: u32,
    key: &'a mut Vec<u8>,
    out: &'a mut Vec<(u32, f32)>,
}

impl Tokens<'_> {
    /// Adds one group of tokens, weighing 1 in all.
    fn group<S: AsRef<str>>(&mut self, prefix: &[u8], words: impl Iterator<Item = S>) {
        let start = self.out.len();
        for word in words {
            self.key.clear();
            self.key.extend_from_slice(prefix);
            self.key.push(b':');
            push_lowercase(self.key, word.as_ref());
            self.push();
        }
        self.weigh(start);
    }

    /// The category's levels as paths from the top (`home`, `home/kitchen`, …), one group.
    fn category<'s>(&mut self, levels: impl Iterator<Item = &'s str>) {
        let start = self.out.len();
        self.key.clear();
        self.key.extend_from_slice(b"c:");
        for (i, level) in levels.enumerate() {
            if i > 0 {
                self.key.push(b'/');
            }
            push_lowercase(self.key, level);
            self.push();
        }
        self.weigh(start);
    }

    fn push(&mut self) {
        let b = bucket(self.seed, self.key, self.buckets);
        self.out.push((b, 0.0));
    }

    fn weigh(&mut self, start: usize) {
        let n = self.out.len() - start;
        for token in &mut self.out[start..] {
            token.1 = 1.0 / n as f32;
        }
    }
}

fn push_lowercase(key: &mut Vec<u8>, text: &str) {
    if text.is_ascii() {
        let at = key.len();
        key.extend_from_slice(text.as_bytes());
        key[at..].make_ascii_lowercase();
    } else {
        key.extend_from_slice(text.to_lowercase().as_bytes());
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
