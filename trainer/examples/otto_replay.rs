//! Replays real OTTO sessions (clicks, basket adds, orders) through the page's ranker: before
//! each order, the session's events so far are recorded into a profile and the session's items
//! are ranked, once with the clicks and once without them. Prints where each ordered item
//! came and the mean rank of both: whether a page's clicks help or hurt.
//!
//! `cargo run --release -p tastebud-train --example otto_replay [model] [sessions.csv.gz]`

use std::collections::BTreeMap;
use std::error::Error;
use std::io::Read;

use tastebud::{Event, EventKind, Item, Model, Profile, RankOptions, Ranker};

/// One row of the sample: `session,aid,ts,type`.
struct Row {
    session: u64,
    aid: String,
    ts_ms: i64,
    kind: EventKind,
}

fn read_rows(path: &str) -> Result<Vec<Row>, Box<dyn Error>> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path)?).read_to_string(&mut text)?;
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let [session, aid, ts, kind] = f[..] else {
                return Err(format!("expected session,aid,ts,type: {line:?}").into());
            };
            Ok(Row {
                session: session.parse()?,
                aid: aid.to_string(),
                ts_ms: ts.parse()?,
                kind: match kind {
                    "clicks" => EventKind::Click,
                    "carts" => EventKind::AddToCart,
                    "orders" => EventKind::Purchase,
                    other => return Err(format!("unknown type {other:?}").into()),
                },
            })
        })
        .collect()
}

/// Where an ordered item came in its session's ranking.
struct Placed {
    session: u64,
    item: String,
    /// 1-based.
    rank: usize,
    /// The session's items.
    of: usize,
}

/// The 1-based rank of every ordered item among its session's items, ranked at the order's
/// time from the session's events before it (without its clicks unless `with_clicks`).
fn order_ranks(
    ranker: &mut Ranker,
    sessions: &BTreeMap<u64, Vec<Row>>,
    with_clicks: bool,
) -> Result<Vec<Placed>, Box<dyn Error>> {
    let mut out = Vec::new();
    for (&session, rows) in sessions {
        let mut candidates: Vec<Item> = Vec::new();
        for r in rows {
            if !candidates.iter().any(|c| c.id == r.aid) {
                candidates.push(Item::new(r.aid.clone()));
            }
        }
        for order in rows.iter().filter(|r| r.kind == EventKind::Purchase) {
            let mut profile = Profile::default();
            let before = rows.iter().filter(|r| r.ts_ms < order.ts_ms);
            for r in before.filter(|r| with_clicks || r.kind != EventKind::Click) {
                profile.record(Event::item(r.kind, Item::new(r.aid.clone()), r.ts_ms))?;
            }
            let ranked =
                ranker.rank(&profile, &candidates, &RankOptions::default(), order.ts_ms)?;
            let rank = ranked
                .iter()
                .position(|r| r.id == order.aid)
                .ok_or("an ordered item is among its session's items")?;
            out.push(Placed {
                session,
                item: order.aid.clone(),
                rank: rank + 1,
                of: candidates.len(),
            });
        }
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let model = args.next().unwrap_or("model/model.safetensors".into());
    let data = args
        .next()
        .unwrap_or("data/otto-sample/otto_recsys_sample.csv.gz".into());
    let mut ranker = Ranker::new(Model::from_bytes(&std::fs::read(&model)?)?);
    let mut sessions: BTreeMap<u64, Vec<Row>> = BTreeMap::new();
    for row in read_rows(&data)? {
        sessions.entry(row.session).or_default().push(row);
    }
    let with = order_ranks(&mut ranker, &sessions, true)?;
    let without = order_ranks(&mut ranker, &sessions, false)?;
    println!("session  ordered item  rank with clicks  without  (of)");
    for (w, o) in with.iter().zip(&without) {
        println!(
            "{:>7}  {:>12}  {:>16}  {:>7}  ({})",
            w.session, w.item, w.rank, o.rank, w.of
        );
    }
    let mean = |r: &[Placed]| r.iter().map(|p| p.rank as f64).sum::<f64>() / r.len().max(1) as f64;
    println!(
        "OTTO replay, {} orders: mean rank {:.1} with the clicks, {:.1} without",
        with.len(),
        mean(&with),
        mean(&without)
    );
    Ok(())
}
