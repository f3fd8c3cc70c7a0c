//! The model file's size budget (1 MB by default): how many rows the hashed id tables get and
//! which transition pairs the file keeps, so that a model stays within it at any catalog size.
//!
//! The id tables are sized first, from the catalog, since training needs their shape: enough
//! rows that few items share both of their rows with another item ([`ID_COLLISION_SHARE`]),
//! but never more than half of what the budget leaves after the rest of the weights. The
//! transition table then fills what remains: each item's most frequent successors, up to a cap
//! chosen on validation, and among those the most frequent pairs overall.

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use tastebud::features::{HashingConfig, ItemFeatures, ID_HASHES};
use tastebud::model::{Model, ModelConfig, ModelFile, Transitions};
use tastebud::Item;

/// The model file's size budget by default: 1 MB (decimal), what a page downloads.
pub const DEFAULT_MAX_BYTES: usize = 1_000_000;

/// Share of a catalog's items that may share both id rows with another item, and so look like
/// one item to the id part of the encoder, when the budget leaves room for that many rows.
pub const ID_COLLISION_SHARE: f64 = 0.001;

/// Rows of the first id table; the second has 3 fewer, so that the two tables' sizes share
/// no small factor.
const SECOND_TABLE_FEWER: u32 = 3;
/// Fewest rows of an id table.
const MIN_ID_ROWS: u32 = 64;

/// Id tables of `rows` and `rows − 3` rows.
pub fn id_tables(rows: u32) -> [u32; ID_HASHES] {
    [rows, rows.saturating_sub(SECOND_TABLE_FEWER).max(1)]
}

/// The id tables for a catalog of `items`: two items share both rows with probability
/// 1/(r₁·r₂), so an item shares its pair with another with probability ≈ (items − 1)/(r₁·r₂),
/// kept at [`ID_COLLISION_SHARE`], unless the tables would take more than half of what
/// `max_bytes` leaves after the rest of the model (the transition table gets the rest).
pub fn id_tables_for(
    config: &ModelConfig,
    items: usize,
    max_bytes: usize,
    half: bool,
) -> Result<[u32; ID_HASHES], String> {
    let wanted = ((items.saturating_sub(1) as f64 / ID_COLLISION_SHARE)
        .sqrt()
        .ceil() as u32)
        .saturating_add(SECOND_TABLE_FEWER)
        .max(MIN_ID_ROWS);
    let row_bytes = config.dim * if half { 2 } else { 4 };
    let rest = file_bytes(
        &ModelConfig {
            hashing: HashingConfig {
                id_buckets: [1; ID_HASHES],
                ..config.hashing.clone()
            },
            ..config.clone()
        },
        &Transitions::default(),
        half,
    )?;
    let room = max_bytes.saturating_sub(rest) / 2;
    let affordable = (room / (ID_HASHES * row_bytes)) as u32;
    if affordable < MIN_ID_ROWS {
        return Err(format!(
            "a model of this shape takes {rest} bytes before its id tables; the budget of \
             {max_bytes} bytes leaves no room for them (raise --max-bytes, or lower --dim or \
             --token-buckets)"
        ));
    }
    Ok(id_tables(wanted.min(affordable)))
}

/// Bytes of the model file of `config` with `transitions` (the weights' values do not change
/// its size).
pub fn file_bytes(
    config: &ModelConfig,
    transitions: &Transitions,
    half: bool,
) -> Result<usize, String> {
    let vars = VarMap::new();
    let vb = VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu);
    Model::new(config.clone(), vb, Transitions::default()).map_err(|e| e.to_string())?;
    let weights: Vec<_> = vars
        .data()
        .lock()
        .map_err(|_| "the variables' lock is poisoned".to_string())?
        .iter()
        .map(|(name, var)| (name.clone(), var.as_tensor().clone()))
        .collect();
    ModelFile::write(config, &weights, transitions, half)
        .map(|bytes| bytes.len())
        .map_err(|e| e.to_string())
}

/// Share of `items` whose two id rows are both another item's rows too: items the id tables
/// cannot tell apart, which only their content separates.
pub fn id_collision_share(items: &[Item], hashing: &HashingConfig) -> f64 {
    let mut pairs: Vec<[u32; ID_HASHES]> = items
        .iter()
        .map(|i| ItemFeatures::new(i, hashing).id_buckets)
        .collect();
    pairs.sort_unstable();
    let shared = pairs
        .chunk_by(|a, b| a == b)
        .filter(|group| group.len() > 1)
        .map(<[_]>::len)
        .sum::<usize>();
    shared as f64 / items.len().max(1) as f64
}

/// The transition table that fits: each item's `cap` most frequent successors of `pairs`
/// (`(from, to, count)` by id key), then the most frequent of those overall, as many as `fits`
/// accepts (it is monotone: a table with fewer pairs takes fewer bytes).
pub fn transitions_within(
    pairs: &[(u64, u64, u32)],
    cap: usize,
    fits: impl Fn(&Transitions) -> bool,
) -> Transitions {
    let capped = Transitions::from_counts(pairs.to_vec(), cap);
    if fits(&capped) {
        return capped;
    }
    // The capped pairs, most frequent first (ties: by key, for a reproducible cut).
    let mut kept: Vec<(u64, u64, u32)> = capped.pairs().collect();
    kept.sort_unstable_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    let table = |n: usize| Transitions::from_counts(kept[..n].to_vec(), cap);
    // The largest prefix that fits: fits(0) holds, fits(kept.len()) does not.
    let (mut lo, mut hi) = (0, kept.len());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(&table(mid)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    table(lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_catalog_gets_more_id_rows_until_the_budget_binds() {
        let config = ModelConfig::default();
        let small = id_tables_for(&config, 1_000, DEFAULT_MAX_BYTES, true).unwrap();
        let large = id_tables_for(&config, 3_000, DEFAULT_MAX_BYTES, true).unwrap();
        let huge = id_tables_for(&config, 1_000_000, DEFAULT_MAX_BYTES, true).unwrap();
        let roomy = id_tables_for(&config, 1_000_000, 10 * DEFAULT_MAX_BYTES, true).unwrap();
        assert!(small[0] < large[0] && large[0] <= huge[0] && huge[0] < roomy[0]);
        // Without the budget, the collision share holds.
        assert!(999.0 / (small[0] as f64 * small[1] as f64) <= ID_COLLISION_SHARE);
        // With it, the id tables leave half of the room to the transitions.
        let sized = |tables: [u32; 2]| {
            let hashing = HashingConfig {
                id_buckets: tables,
                ..HashingConfig::default()
            };
            file_bytes(
                &ModelConfig {
                    hashing,
                    ..config.clone()
                },
                &Transitions::default(),
                true,
            )
            .unwrap()
        };
        assert!(sized(huge) <= DEFAULT_MAX_BYTES);
        assert!(sized(id_tables(huge[0] * 2)) > DEFAULT_MAX_BYTES * 9 / 10);
        assert!(id_tables_for(&config, 1_000, 100_000, true).is_err());
    }

    #[test]
    fn the_transitions_kept_are_the_most_frequent_that_fit() {
        let pairs: Vec<(u64, u64, u32)> = (0..200u64)
            .flat_map(|from| {
                (0..5u64).map(move |to| (from, 1000 + to, 1 + (from * 7 + to) as u32 % 13))
            })
            .collect();
        let all = transitions_within(&pairs, 3, |_| true);
        assert_eq!(all.len(), 200 * 3);
        let few = transitions_within(&pairs, 3, |t| t.len() <= 100);
        assert_eq!(few.len(), 100);
        let least_kept = few.pairs().map(|p| p.2).min().unwrap();
        let most_left = all
            .pairs()
            .filter(|p| !few.pairs().any(|q| q == *p))
            .map(|p| p.2)
            .max()
            .unwrap();
        assert!(least_kept >= most_left);
    }

    #[test]
    fn items_sharing_both_id_rows_are_counted() {
        let items: Vec<Item> = (0..50).map(|i| Item::new(format!("sku-{i}"))).collect();
        let apart = HashingConfig::default();
        assert_eq!(id_collision_share(&items, &apart), 0.0);
        let squeezed = HashingConfig {
            id_buckets: [1, 1],
            ..HashingConfig::default()
        };
        assert_eq!(id_collision_share(&items, &squeezed), 1.0);
    }
}
