//! The evaluator's scorer for tastebud models: each user's history is recorded into a page's
//! [`Profile`] and the whole catalog scored by a page's [`Ranker`] at the time of the held-out
//! interaction, so that what the trainer measures, and `metrics.json` reports, is what a page
//! gets from the model file it loads.

use std::sync::Mutex;

use candle_core::Tensor;
use tastebud::model::{ItemEncoder, Model, ModelConfig, ModelFile, Transitions};
use tastebud::ranker::{Catalog, RankOptions, Ranker};
use tastebud::{Error, Event, EventKind, Item, Profile};

use crate::data::Interaction;
use crate::eval::{Case, Scorer};

/// How long a dwell from the logs is taken to have lasted: the loaders keep no duration, so
/// the stay [`tastebud::profile::EventWeights::dwell`] is the weight of.
const LOGGED_DWELL_MS: u32 = tastebud::profile::DWELL_UNIT_MS;

/// The model as a page loads it: `weights` written into a model file (as f16 when `half`, as
/// shipped by default) and read back. Returns the model and the file's bytes.
pub fn shipped(
    config: &ModelConfig,
    weights: &[(String, Tensor)],
    transitions: &Transitions,
    half: bool,
) -> tastebud::Result<(Model, Vec<u8>)> {
    let bytes = ModelFile::write(config, weights, transitions, half)?;
    Ok((Model::from_bytes(&bytes)?, bytes))
}

/// `weights` with the hashed id tables at zero: the model of an item it has never seen, which
/// only its content describes.
pub fn content_only(weights: &[(String, Tensor)]) -> candle_core::Result<Vec<(String, Tensor)>> {
    let id_tables: Vec<String> = ItemEncoder::id_table_names().collect();
    weights
        .iter()
        .map(|(name, t)| {
            let t = if id_tables.contains(name) {
                t.zeros_like()?
            } else {
                t.clone()
            };
            Ok((name.clone(), t))
        })
        .collect()
}

/// What a page's profile holds after `history`: each interaction recorded as the page's event
/// of the same kind at the same time (a dwell as a 10-second stay).
pub fn profile(items: &[Item], history: &[Interaction]) -> tastebud::Result<Profile> {
    let mut profile = Profile::default();
    for e in history {
        let item = items
            .get(e.item as usize)
            .ok_or_else(|| Error::Internal(format!("item {} is not in the catalog", e.item)))?;
        let dwell_ms = if e.kind == EventKind::Dwell {
            LOGGED_DWELL_MS
        } else {
            0
        };
        profile.record(Event::Item {
            kind: e.kind,
            item: item.clone(),
            ts_ms: e.ts_ms,
            dwell_ms,
        })?;
    }
    Ok(profile)
}

/// Scores the catalog (`items`, in data set order) for each case with [`Ranker::catalog_scores`].
pub struct PageScorer<'a> {
    model: Model,
    items: &'a [Item],
    /// Rankers with the catalog prepared, one per thread at work: a ranker keeps caches, so
    /// each thread needs its own, and preparing the catalog once per thread is enough.
    idle: Mutex<Vec<(Ranker, Catalog)>>,
}

impl<'a> PageScorer<'a> {
    /// A scorer of `items` (distinct ids) with `model`, as read from a model file.
    pub fn new(model: Model, items: &'a [Item]) -> Self {
        PageScorer {
            model,
            items,
            idle: Mutex::new(Vec::new()),
        }
    }

    fn prepare(&self) -> tastebud::Result<(Ranker, Catalog)> {
        let mut ranker = Ranker::new(self.model.clone());
        let catalog = ranker.catalog(self.items.to_vec())?;
        if catalog.items().len() != self.items.len() {
            return Err(Error::Internal(
                "the data set's item ids are not distinct".into(),
            ));
        }
        Ok((ranker, catalog))
    }

    fn try_score(&self, cases: &[Case], out: &mut [f32]) -> tastebud::Result<()> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let (mut ranker, catalog) = match idle {
            Some(prepared) => prepared,
            None => self.prepare()?,
        };
        let options = RankOptions::default();
        for (case, row) in cases.iter().zip(out.chunks_exact_mut(self.items.len())) {
            let profile = profile(self.items, case.history)?;
            let scores = ranker.catalog_scores(&profile, &catalog, &options, case.at_ms)?;
            row.copy_from_slice(&scores);
        }
        if let Ok(mut idle) = self.idle.lock() {
            idle.push((ranker, catalog));
        }
        Ok(())
    }
}

impl Scorer for PageScorer<'_> {
    fn score(&self, cases: &[Case], out: &mut [f32]) {
        if let Err(e) = self.try_score(cases, out) {
            // The evaluator cannot fail mid-batch; the data set's items and events were
            // checked when loaded, so an error here is a bug.
            eprintln!("scoring failed: {e}");
            out.fill(f32::NEG_INFINITY);
        }
    }
}
