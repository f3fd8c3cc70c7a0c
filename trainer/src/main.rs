//! `tastebud-train`: trains tastebud's encoders on interaction logs and writes
//! `model.safetensors`, `manifest.json`, `metrics.json` and `report.html` into `--out`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::json;
use tastebud::features::HashingConfig;
use tastebud::model::{Blend, ModelConfig, ModelFile, Transitions, FORMAT_VERSION};
use tastebud_train::baselines::{ItemKnn, Markov, Popularity, RecentItems};
use tastebud_train::budget;
use tastebud_train::data::{self, Dataset, Format};
use tastebud_train::eval::{evaluate, next_purchase, train_sequences, Metrics, Stage};
use tastebud_train::fit::{fit, FitOptions};
use tastebud_train::page::{content_only, shipped, PageScorer};
use tastebud_train::{catalog, edge, report, synthetic};

#[derive(Parser)]
#[command(
    version,
    about = "Train and evaluate tastebud models on interaction logs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model, evaluate it against baselines, write the model files.
    Fit(FitArgs),
    /// Write a synthetic JSONL data set (events.jsonl + items.jsonl) to show the trainer scales.
    Generate {
        /// Number of users.
        #[arg(long, default_value_t = 100_000)]
        users: usize,
        /// Number of items.
        #[arg(long, default_value_t = 100_000)]
        items: usize,
        /// Seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write the data set's catalog as JSON for the storefront: id, title, price, display
    /// name and purchases per item, most bought first.
    Catalog {
        /// Input format.
        #[arg(long, value_enum)]
        format: Format,
        /// Input file or directory.
        #[arg(long)]
        data: PathBuf,
        /// Output file (e.g. www/data/catalog.json).
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a model file of an earlier format version again in this one (version 2 added
    /// the checksum), with the same weights bit for bit.
    UpgradeModel {
        /// The model file to read.
        input: PathBuf,
        /// Where to write it (may be the same file).
        out: PathBuf,
    },
    /// Edge re-ranking from profile tokens: the test split's top 100 most popular items
    /// re-ranked by the whole profile on the device and by tokens at each ε (`fit` reports
    /// the same in metrics.json); prints the table and writes it as JSON to --out if given.
    EvalToken {
        /// Input format.
        #[arg(long, value_enum)]
        format: Format,
        /// Input file or directory.
        #[arg(long)]
        data: PathBuf,
        /// The model file.
        #[arg(long, default_value = "model/model.safetensors")]
        model: PathBuf,
        /// Seed of the tokens' noise.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Where to write the table as JSON.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    /// UCI Online Retail CSV (.csv or .csv.gz).
    OnlineRetail,
    /// RecBole atomic files: a directory with <name>.inter and optionally <name>.item.
    Recbole,
    /// tastebud's generic JSONL: events.jsonl (+ items.jsonl), see the README.
    Jsonl,
}

#[derive(clap::Args)]
struct FitArgs {
    /// Input format.
    #[arg(long, value_enum)]
    format: FormatArg,
    /// Input file or directory.
    #[arg(long)]
    data: PathBuf,
    /// Output directory (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Seed of every random choice; the same seed gives the same model.
    #[arg(long, default_value_t = FitOptions::default().seed)]
    seed: u64,
    /// Most training epochs (early stopping usually ends sooner).
    #[arg(long, default_value_t = FitOptions::default().epochs)]
    epochs: usize,
    /// Epochs without a new best validation NDCG@10 before stopping.
    #[arg(long, default_value_t = FitOptions::default().patience)]
    patience: usize,
    /// Mask items already in the user's history when ranking (default: per format).
    #[arg(long, overrides_with = "no_mask_history")]
    mask_history: bool,
    /// Do not mask history items (repeat purchases count).
    #[arg(long, overrides_with = "mask_history")]
    no_mask_history: bool,
    /// Width of item and user vectors.
    #[arg(long, default_value_t = ModelConfig::default().dim)]
    dim: usize,
    /// Most recent events the user encoder reads.
    #[arg(long, default_value_t = ModelConfig::default().max_len)]
    max_len: usize,
    /// Self-attention blocks.
    #[arg(long, default_value_t = ModelConfig::default().layers)]
    layers: usize,
    /// Rows of the first hashed id table (the second has 3 fewer). Default: sized for the
    /// catalog within --max-bytes (see the README's "Model size").
    #[arg(long)]
    id_buckets: Option<u32>,
    /// Rows of the content-token table.
    #[arg(long, default_value_t = HashingConfig::default().token_buckets)]
    token_buckets: u32,
    /// Sequences per training step.
    #[arg(long, default_value_t = FitOptions::default().batch_size)]
    batch_size: usize,
    /// Learning rate.
    #[arg(long, default_value_t = FitOptions::default().lr)]
    lr: f64,
    /// Most successors per item kept in the shipped transition table (1, 2, 4, … up to this
    /// are tried on validation).
    #[arg(long, default_value_t = FitOptions::default().transitions_per_item)]
    transitions_per_item: usize,
    /// Largest model file, in bytes: the id tables and the transition table are sized to fit.
    #[arg(long, default_value_t = FitOptions::default().max_bytes)]
    max_bytes: usize,
    /// Store weights as f32 instead of f16.
    #[arg(long)]
    f32: bool,
}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Fit(args) => run_fit(&args),
        Command::Generate {
            users,
            items,
            seed,
            out,
        } => synthetic::generate(users, items, seed, &out).map_err(|e| e.to_string()),
        Command::Catalog { format, data, out } => catalog::write(format, &data, &out)
            .map(|n| println!("wrote {} ({n} items)", out.display())),
        Command::UpgradeModel { input, out } => upgrade_model(&input, &out),
        Command::EvalToken {
            format,
            data,
            model,
            seed,
            out,
        } => eval_token(format, &data, &model, seed, out.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Training allocates and frees tensors of a few megabytes at every step. glibc maps each one
/// from the system and unmaps it when freed, and the page faults took a quarter of an epoch:
/// keep freed memory (up to the 32 MiB glibc allows) for the next step instead.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    // SAFETY: mallopt only sets allocator thresholds; it is called before any other thread
    // exists, and a refused setting leaves glibc's defaults.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}

fn eval_token(
    format: Format,
    data: &Path,
    model: &Path,
    seed: u64,
    out: Option<&Path>,
) -> Result<(), String> {
    let ds = data::load(format, data).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(model).map_err(|e| format!("{}: {e}", model.display()))?;
    let model = tastebud::Model::from_bytes(&bytes).map_err(|e| e.to_string())?;
    let table = edge::rerank_quality(&ds, &model, Stage::Test, ds.mask_history, seed)
        .map_err(|e| e.to_string())?;
    print_edge(&table);
    if let Some(out) = out {
        write(out, pretty(&json!(table))?.as_bytes())?;
    }
    Ok(())
}

/// The edge re-ranking table, one line per way of ordering the first stage.
fn print_edge(t: &edge::EdgeRerank) {
    println!(
        "edge re-ranking of the {} most popular ({} users, {:.1}% of targets among them):",
        t.candidates,
        t.users,
        100.0 * t.recall
    );
    let share = |m: &Metrics| 100.0 * m.ndcg_10 / t.profile.ndcg_10.max(1e-12);
    let line = |name: &str, m: &Metrics| {
        println!(
            "  {name:<24} ndcg@10 {:.4}  hr@10 {:.4}  ({:.1}% of the profile's)",
            m.ndcg_10,
            m.hr_10,
            share(m)
        )
    };
    line("first stage", &t.first_stage);
    line("whole profile", &t.profile);
    for row in &t.token {
        let name = match row.epsilon {
            Some(e) => format!("token ε={e} (cos {:.2})", row.expected_cosine),
            None => "token ε=∞".to_string(),
        };
        line(&name, &row.metrics);
        let k = &row.keeping_order;
        println!(
            "  {:<24} ndcg@10 {:.4}  hr@10 {:.4}  ({:.1}%) keeping the order at {}",
            "",
            k.ndcg_10,
            k.hr_10,
            share(k),
            edge::KEEP_ORDER
        );
    }
}

fn upgrade_model(input: &std::path::Path, out: &std::path::Path) -> Result<(), String> {
    let bytes = std::fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let upgraded = ModelFile::upgrade(&bytes).map_err(|e| e.to_string())?;
    std::fs::write(out, &upgraded).map_err(|e| format!("{}: {e}", out.display()))?;
    println!(
        "wrote {} (model format version {FORMAT_VERSION})",
        out.display()
    );
    Ok(())
}

fn run_fit(args: &FitArgs) -> Result<(), String> {
    let started = Instant::now();
    let format = match args.format {
        FormatArg::OnlineRetail => Format::OnlineRetail,
        FormatArg::Recbole => Format::Recbole,
        FormatArg::Jsonl => Format::Jsonl,
    };
    let (ds, examples) = data::load_with_examples(format, &args.data).map_err(|e| e.to_string())?;
    describe(&ds, &examples, started.elapsed().as_secs_f64());
    let mask_history = match (args.mask_history, args.no_mask_history) {
        (true, _) => true,
        (_, true) => false,
        _ => ds.mask_history,
    };
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;

    println!("baselines (test split, mask_history = {mask_history}):");
    let test_train = train_sequences(&ds, Stage::Test);
    let n = ds.items.len();
    let mut models: Vec<(&str, Metrics)> = vec![
        (
            "pop",
            evaluate(
                &ds,
                Stage::Test,
                mask_history,
                &Popularity::fit(&test_train, n),
            ),
        ),
        (
            "itemknn",
            evaluate(
                &ds,
                Stage::Test,
                mask_history,
                &ItemKnn::fit(&test_train, n),
            ),
        ),
        (
            "markov",
            evaluate(&ds, Stage::Test, mask_history, &Markov::fit(&test_train, n)),
        ),
    ];
    // With history masked, every history item is left out and this is popularity again.
    if !mask_history {
        let recent = RecentItems::fit(&test_train, n);
        models.push(("recent", evaluate(&ds, Stage::Test, mask_history, &recent)));
    }
    for (name, m) in &models {
        println!(
            "  {name:<10} ndcg@10 {:.4}  hr@10 {:.4}  mrr@10 {:.4}",
            m.ndcg_10, m.hr_10, m.mrr_10
        );
    }

    let mut config = ModelConfig {
        dim: args.dim,
        max_len: args.max_len,
        layers: args.layers,
        hashing: HashingConfig {
            token_buckets: args.token_buckets,
            ..HashingConfig::default()
        },
        ..ModelConfig::default()
    };
    config.hashing.id_buckets = match args.id_buckets {
        Some(rows) => budget::id_tables(rows),
        None => budget::id_tables_for(&config, n, args.max_bytes, !args.f32)?,
    };
    let id_collisions = budget::id_collision_share(&ds.items, &config.hashing);
    println!(
        "id tables: {:?} rows for {n} items ({:.2}% of items share both rows with another)",
        config.hashing.id_buckets,
        100.0 * id_collisions
    );
    let opts = FitOptions {
        seed: args.seed,
        epochs: args.epochs,
        patience: args.patience,
        batch_size: args.batch_size,
        lr: args.lr,
        transitions_per_item: args.transitions_per_item,
        max_bytes: args.max_bytes,
        f16: !args.f32,
        ..FitOptions::default()
    };
    let trained =
        fit(&ds, config, &opts, mask_history).map_err(|e| format!("training failed: {e}"))?;
    let model = &trained.model;
    // Every figure is of a page ranking with a model file, as `PageScorer` does.
    let mut encoder_only = model.clone();
    encoder_only.config.blend = Blend::ENCODER_ONLY;
    let no_ids = content_only(&trained.weights).map_err(|e| e.to_string())?;
    let (content, _) = shipped(
        &encoder_only.config,
        &no_ids,
        &Transitions::default(),
        opts.f16,
    )
    .map_err(|e| e.to_string())?;
    let variants = [
        ("tastebud", model.clone()),
        ("tastebud_encoder_only", encoder_only),
        ("tastebud_content_only", content),
    ];
    for (at, (name, page)) in variants.into_iter().enumerate() {
        let scorer = PageScorer::new(page, &ds.items);
        models.insert(
            at,
            (name, evaluate(&ds, Stage::Test, mask_history, &scorer)),
        );
    }
    println!("test split:");
    for (name, m) in &models {
        println!(
            "  {name:<22} ndcg@10 {:.4}  hr@10 {:.4}  mrr@10 {:.4}",
            m.ndcg_10, m.hr_10, m.mrr_10
        );
    }
    // Logs with purchases and other kinds: does the rest of the stream help predict a purchase?
    let next_purchase = next_purchase(
        &ds,
        Stage::Test,
        mask_history,
        &PageScorer::new(model.clone(), &ds.items),
    );
    if let Some(p) = &next_purchase {
        println!(
            "next purchase ({} users): ndcg@10 {:.4} from the whole event stream, {:.4} from purchases alone",
            p.users, p.from_stream.ndcg_10, p.from_purchases.ndcg_10
        );
    }

    // An edge worker's re-ranking from tokens, against the whole profile on the device.
    let edge = edge::rerank_quality(&ds, model, Stage::Test, mask_history, args.seed)
        .map_err(|e| format!("edge re-ranking: {e}"))?;
    print_edge(&edge);

    let bytes = &trained.bytes;
    let params: usize = trained.weights.iter().map(|(_, t)| t.elem_count()).sum();
    write(&args.out.join("model.safetensors"), bytes)?;
    let metrics = json!({
        "dataset": ds.name,
        "protocol": {
            "split": "leave-one-out in time order: last item test, second-to-last validation (early stopping, blend)",
            "ranking": "full ranking over all items, through the page's ranker: each user's history recorded into a Profile, the catalog scored by Ranker::catalog_scores at the held-out event's time",
            "mask_history": mask_history,
            "users": ds.sequences.len(),
            "items": n,
        },
        "models": models.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "next_purchase": next_purchase,
        "edge_rerank": edge,
        "params": params,
        "train_seconds": trained.seconds,
    });
    let manifest = json!({
        "format": "tastebud-model",
        "format_version": FORMAT_VERSION,
        "config": model.config,
        "hashing": { "function": "xxh64", "id_key_seed": "see tastebud::features::id_key", "config": model.config.hashing },
        "params": params,
        "transition_pairs": model.transitions.len(),
        "model_bytes": bytes.len(),
        "size": {
            "max_bytes": args.max_bytes,
            "id_rows": model.config.hashing.id_buckets,
            "id_collision_share": id_collisions,
            "transition_search": trained.transition_search,
        },
        "weights_dtype": if args.f32 { "f32" } else { "f16" },
        "training": {
            "options": opts,
            "best_epoch": trained.best_epoch,
            "epochs_run": trained.curve.len(),
            "train_seconds": trained.seconds,
            "blend_search": trained.blend_search,
        },
        "data": {
            "name": ds.name,
            "provenance": ds.provenance,
            "users": ds.sequences.len(),
            "items": n,
            "interactions": ds.sequences.iter().map(Vec::len).sum::<usize>(),
            "skipped": ds.skipped,
        },
    });
    write(&args.out.join("metrics.json"), pretty(&metrics)?.as_bytes())?;
    write(
        &args.out.join("manifest.json"),
        pretty(&manifest)?.as_bytes(),
    )?;
    let html = report::html(&ds.name, &trained.curve, &models, &edge)
        .map_err(|e| format!("report: {e}"))?;
    write(&args.out.join("report.html"), html.as_bytes())?;
    println!(
        "wrote {} ({} bytes, {params} parameters, {} transition pairs) in {:.0}s",
        args.out.display(),
        bytes.len(),
        model.transitions.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn describe(ds: &Dataset, examples: &data::SkipExamples, seconds: f64) {
    let interactions: usize = ds.sequences.iter().map(Vec::len).sum();
    println!(
        "{}: {} users, {} items, {interactions} interactions (loaded in {seconds:.1}s)",
        ds.name,
        ds.sequences.len(),
        ds.items.len()
    );
    for (reason, count) in &ds.skipped {
        let at = examples
            .get(reason)
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default();
        println!("  skipped {count:>8}  {reason}{at}");
    }
}

fn pretty(v: &serde_json::Value) -> Result<String, String> {
    serde_json::to_string_pretty(v).map_err(|e| e.to_string())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}
