//! `make demo` (until the storefront lands): loads the committed default model, replays a real
//! Online Retail shopper's events into an on-device profile, and prints the personalized
//! ranking of the whole catalog with reasons, the shopper's readable profile, and a search
//! result list re-ranked for them.
//!
//! `cargo run --release -p tastebud-train --example demo -- [MODEL] [DATA] [CUSTOMER]`

use std::error::Error;
use std::path::PathBuf;

use tastebud::{Event, EventKind, Item, Model, Profile, ProfileConfig, RankOptions, Ranker};
use tastebud_train::data::{load, Format};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let model_path = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "model/model.safetensors".into()),
    );
    let data_path = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "data/online-retail/online_retail.csv.gz".into()),
    );
    // The first customer in the file.
    let customer = args.next().unwrap_or_else(|| "17850".into());

    let bytes = std::fs::read(&model_path)
        .map_err(|e| format!("{}: {e} (run `make model`)", model_path.display()))?;
    let mut ranker = Ranker::new(Model::from_bytes(&bytes)?);
    let ds = load(Format::OnlineRetail, &data_path)?;
    let user = ds
        .users
        .iter()
        .position(|u| *u == customer)
        .ok_or(format!("no customer {customer} in the data"))?;
    let sequence = &ds.sequences[user];
    // Every sequence has at least five purchases (the loader drops shorter ones).
    let (history, next) = sequence.split_at(sequence.len() - 1);
    let replay = &history[history.len().saturating_sub(12)..];

    println!(
        "Shopper {customer}: replaying their last {} purchases as page events",
        replay.len()
    );
    let mut profile = Profile::new(ProfileConfig::default())?;
    for x in replay {
        let item = ds.items[x.item as usize].clone();
        let ts_ms = x.ts * 1000;
        println!(
            "  viewed, then bought {}",
            item.title.as_deref().unwrap_or(&item.id)
        );
        profile.record(Event::item(EventKind::View, item.clone(), ts_ms - 60_000))?;
        profile.record(Event::item(EventKind::Purchase, item, ts_ms))?;
    }
    let now = replay.last().map_or(0, |x| x.ts * 1000) + 60_000;

    let top = ranker.rank(
        &profile,
        &ds.items,
        &RankOptions {
            k: Some(10),
            ..RankOptions::default()
        },
        now,
    )?;
    println!(
        "\nRecommended for you (whole catalog of {} items, on the device):",
        ds.items.len()
    );
    for (i, r) in top.iter().enumerate() {
        let title = title_of(&ds.items, &r.id);
        let why: Vec<String> = r.reasons.iter().map(reason_text).collect();
        println!(
            "  {:>2}. {title:<40} {:>6.2}  {}",
            i + 1,
            r.score,
            why.join("; ")
        );
    }
    let all = ranker.rank(&profile, &ds.items, &RankOptions::default(), now)?;
    let next_item = &ds.items[next[0].item as usize];
    let position = all
        .iter()
        .position(|r| r.id == next_item.id)
        .map_or(0, |p| p + 1);
    println!(
        "\nTheir actual next purchase, {}, is ranked {position} of {}.",
        next_item.title.as_deref().unwrap_or(&next_item.id),
        all.len()
    );

    let summary = profile.summary(now);
    println!("\nWhat the profile holds (readable, stays on the device):");
    for i in summary.top_interests.iter().take(6) {
        println!("  interest {:<20} {:.2}", i.label, i.share);
    }
    if let Some(band) = &summary.price_band {
        println!(
            "  price band {:.2}–{:.2} (median {:.2})",
            band.low, band.high, band.median
        );
    }
    println!(
        "  activity {:?}, intent {:?}, {} bytes stored",
        summary.activity,
        summary.intent,
        profile.to_bytes().len()
    );

    let query = "bag";
    let results: Vec<Item> = ds
        .items
        .iter()
        .filter(|i| {
            i.title
                .as_deref()
                .unwrap_or("")
                .to_lowercase()
                .contains(query)
        })
        .take(30)
        .cloned()
        .collect();
    let options = RankOptions {
        query: Some(query.into()),
        k: Some(5),
        keep_order_weight: 0.3,
        ..RankOptions::default()
    };
    println!(
        "\nSearch “{query}”: the server's first 5 of {} results, then tastebud's re-ranking:",
        results.len()
    );
    for (server, mine) in results
        .iter()
        .take(5)
        .zip(ranker.rank(&profile, &results, &options, now)?)
    {
        println!(
            "  {:<40} → {}",
            server.title.as_deref().unwrap_or(""),
            title_of(&results, &mine.id)
        );
    }
    println!("\nData: Chen, D. (2015). Online Retail. UCI Machine Learning Repository, CC BY 4.0.");
    Ok(())
}

fn title_of<'a>(items: &'a [Item], id: &'a str) -> &'a str {
    items
        .iter()
        .find(|i| i.id == id)
        .and_then(|i| i.title.as_deref())
        .unwrap_or(id)
}

fn reason_text(r: &tastebud::Reason) -> String {
    use tastebud::Reason::*;
    match r {
        SimilarTo { text, .. }
        | OftenNext { text, .. }
        | Interest { text, .. }
        | MatchesQuery { text }
        | BoughtBefore { text } => text.clone(),
    }
}
