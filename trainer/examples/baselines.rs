//! Loads a data set and prints what it holds and how the three baselines rank its held-out
//! interactions, e.g.
//!
//! ```text
//! cargo run --release -p tastebud-train --example baselines -- \
//!     --format online-retail --data /work/shared/data/online-retail/online_retail.csv.gz
//! cargo run --release -p tastebud-train --example baselines -- --format recbole --data .cache/ml-100k
//! # a synthetic shop of 100k users and 100k items, written first:
//! cargo run --release -p tastebud-train --example baselines -- --format jsonl --data out/synth \
//!     --generate
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use tastebud_train::baselines::{ItemKnn, Markov, Popularity};
use tastebud_train::data::{self, Format, Interaction};
use tastebud_train::eval::{self, Scorer, Stage};
use tastebud_train::synthetic;

/// Fits a baseline on the training sequences of a catalog of `n_items`.
type Fit = fn(&[&[Interaction]], usize) -> Box<dyn Scorer>;

#[derive(Parser)]
struct Args {
    /// Layout of the data.
    #[arg(long, value_enum)]
    format: Format,
    /// The file or directory to load.
    #[arg(long)]
    data: PathBuf,
    /// Which held-out interaction to predict.
    #[arg(long, value_enum, default_value = "test")]
    stage: Stage,
    /// First write a synthetic data set (generic JSON-lines schema) into `--data`.
    #[arg(long)]
    generate: bool,
    /// Users of the synthetic data set.
    #[arg(long, default_value_t = synthetic::DEFAULT_USERS)]
    users: usize,
    /// Items of the synthetic data set.
    #[arg(long, default_value_t = synthetic::DEFAULT_ITEMS)]
    items: usize,
    /// Seed of the synthetic data set.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Evaluate with history masking even if the format does not (or without, if it does).
    #[arg(long)]
    mask_history: Option<bool>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if args.generate {
        let start = Instant::now();
        synthetic::generate(args.users, args.items, args.seed, &args.data)?;
        println!(
            "generated {} in {:.2?}",
            args.data.display(),
            start.elapsed()
        );
    }
    let start = Instant::now();
    let (ds, first) = data::load_with_examples(args.format, &args.data)?;
    let interactions: usize = ds.sequences.iter().map(Vec::len).sum();
    println!(
        "{}: {} users, {} items, {} interactions, loaded in {:.2?}",
        ds.name,
        ds.users.len(),
        ds.items.len(),
        interactions,
        start.elapsed()
    );
    println!(
        "  {} ({}), sha256 {}",
        ds.provenance.name, ds.provenance.license, ds.provenance.sha256
    );
    for item in ds.items.iter().take(2) {
        println!("  item {}", serde_json::to_string(item)?);
    }
    let untitled = ds.items.iter().filter(|i| i.title.is_none()).count();
    println!("  {untitled} items without a title");
    for (reason, count) in &ds.skipped {
        let at = first.get(reason).map(String::as_str).unwrap_or("");
        println!("  skipped {count:>7} × {reason} (first: {at})");
    }

    let mask = args.mask_history.unwrap_or(ds.mask_history);
    let train = eval::train_sequences(&ds, args.stage);
    let n_items = ds.items.len();
    println!("\n{:?} split, mask_history = {mask}", args.stage);
    println!(
        "{:<12} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>9} {:>9}",
        "baseline", "HR@10", "NDCG@10", "MRR@10", "HR@20", "NDCG@20", "MRR@20", "fit", "eval"
    );
    let fitters: [(&str, Fit); 3] = [
        ("popularity", |t, n| Box::new(Popularity::fit(t, n))),
        ("item-knn", |t, n| Box::new(ItemKnn::fit(t, n))),
        ("markov", |t, n| Box::new(Markov::fit(t, n))),
    ];
    for (name, fit) in fitters {
        let t = Instant::now();
        let scorer = fit(&train, n_items);
        let fit_time = t.elapsed();
        let t = Instant::now();
        let m = eval::evaluate(&ds, args.stage, mask, scorer.as_ref());
        println!(
            "{name:<12} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>9.2?} {:>9.2?}",
            m.hr_10,
            m.ndcg_10,
            m.mrr_10,
            m.hr_20,
            m.ndcg_20,
            m.mrr_20,
            fit_time,
            t.elapsed()
        );
    }
    Ok(())
}
