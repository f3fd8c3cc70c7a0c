//! The model file's size for catalogs of 1,000 to 100,000 items, as `fit` sizes it: the id
//! tables for the catalog within the budget, then the transition table of the shop's logs (at
//! most 32 successors per item, the largest cap `fit` tries) cut to what fits. On generated
//! shops of 20,000 shoppers (`tastebud-train generate`), at the default budget of 1 MB and at
//! 4 MB. Sizes only: no training (the weights' values do not change the file's size).
//!
//! `cargo run --release -p tastebud-train --example model_sizes`

use std::error::Error;

use tastebud::features::{id_key, HashingConfig};
use tastebud::model::{ModelConfig, Transitions};
use tastebud_train::budget::{file_bytes, id_collision_share, id_tables_for, transitions_within};
use tastebud_train::data::{self, Format};
use tastebud_train::eval::{train_sequences, Stage};
use tastebud_train::fit::{pair_counts, FitOptions};
use tastebud_train::synthetic;

const SHOPPERS: usize = 20_000;
const CATALOGS: [usize; 4] = [1_000, 10_000, 50_000, 100_000];
const BUDGETS: [usize; 2] = [1_000_000, 4_000_000];

fn main() -> Result<(), Box<dyn Error>> {
    let cap = FitOptions::default().transitions_per_item;
    println!(
        "{:>8} {:>10} {:>16} {:>14} {:>12} {:>12} {:>12}",
        "items", "budget", "id rows", "id collisions", "pairs seen", "pairs kept", "file bytes"
    );
    for items in CATALOGS {
        let dir = std::env::temp_dir().join(format!("tastebud-sizes-{items}"));
        synthetic::generate(SHOPPERS, items, 7, &dir)?;
        let ds = data::load(Format::Jsonl, &dir);
        std::fs::remove_dir_all(&dir)?;
        let ds = ds?;
        let keys: Vec<u64> = ds.items.iter().map(|i| id_key(&i.id)).collect();
        let pairs = pair_counts(&train_sequences(&ds, Stage::Test), &keys);
        let seen = Transitions::from_counts(pairs.clone(), cap).len();
        for max_bytes in BUDGETS {
            let mut config = ModelConfig::default();
            let tables = id_tables_for(&config, ds.items.len(), max_bytes, true)?;
            config.hashing = HashingConfig {
                id_buckets: tables,
                ..config.hashing
            };
            let table = transitions_within(&pairs, cap, |t| {
                file_bytes(&config, t, true).is_ok_and(|b| b <= max_bytes)
            });
            println!(
                "{:>8} {:>10} {:>16} {:>13.2}% {:>12} {:>12} {:>12}",
                ds.items.len(),
                max_bytes,
                format!("{} + {}", tables[0], tables[1]),
                100.0 * id_collision_share(&ds.items, &config.hashing),
                seen,
                table.len(),
                file_bytes(&config, &table, true)?,
            );
        }
    }
    Ok(())
}
