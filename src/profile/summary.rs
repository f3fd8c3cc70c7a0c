//! A readable digest of a profile (interests, price band, activity, intent), for showing the
//! shopper what the page knows about them and for the page's own logic.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{FacetKind, KindCounts, Profile, Recent};
use crate::event::EventKind;

/// Interests listed in a summary.
const TOP_INTERESTS: usize = 10;
const DAY_MS: i64 = 86_400_000;
/// Window of [`Activity`].
const ACTIVITY_WINDOW_MS: i64 = 7 * DAY_MS;
/// Fewer stored actions than this and the shopper is [`Activity::New`].
const NEW_BELOW: usize = 3;
/// Actions in the activity window from which the shopper is [`Activity::Engaged`].
const ENGAGED_FROM: usize = 5;
/// Actions in the activity window from which the shopper is [`Activity::Heavy`].
const HEAVY_FROM: usize = 20;
/// Window of [`Intent`]: roughly one shopping session, however the shopper splits it.
const INTENT_WINDOW_MS: i64 = DAY_MS;
/// Distinct items of one category looked at within the intent window that make it comparing.
const COMPARING_ITEMS: usize = 3;

/// What a profile knows, in brief.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The strongest interests (at most 10), their shares summing to 1.
    pub top_interests: Vec<InterestShare>,
    /// Prices of the items the shopper engaged with, if any had a price.
    pub price_band: Option<PriceBand>,
    /// How active the shopper has been lately.
    pub activity: Activity,
    /// Where the shopper is in a purchase, judging by the last 24 hours.
    pub intent: Intent,
    /// Stored recent events, per kind.
    pub event_counts: KindCounts,
    /// The last distinct search queries, oldest first.
    pub recent_queries: Vec<String>,
    /// Number of stored recent events.
    pub stored_events: usize,
    /// Number of items in the long-term memory.
    pub remembered_items: usize,
    /// Time of the earliest event the profile still holds, epoch milliseconds.
    pub first_event_ms: Option<i64>,
    /// Time of the latest event the profile holds, epoch milliseconds.
    pub last_event_ms: Option<i64>,
}

/// An interest and its share of the listed interests' total weight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterestShare {
    /// What the interest is in.
    pub label: String,
    /// Which part of items it comes from.
    pub kind: FacetKind,
    /// Its share, in (0, 1].
    pub share: f32,
}

/// The prices the shopper engages with: quartiles of the prices of the remembered items that
/// were viewed, clicked, dwelt on, put in the cart or bought.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceBand {
    /// 25th percentile.
    pub low: f32,
    /// Median.
    pub median: f32,
    /// 75th percentile.
    pub high: f32,
    /// Number of priced items it is computed from.
    pub items: usize,
}

/// How active the shopper has been, counting stored events other than impressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// Fewer than 3 events in all.
    New,
    /// Fewer than 5 events in the last 7 days.
    Casual,
    /// 5 to 19 events in the last 7 days.
    Engaged,
    /// 20 or more events in the last 7 days.
    Heavy,
}

/// Where the shopper stands in a purchase, from the events of the last 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Looking around.
    Browsing,
    /// Looked at 3 or more items of one category.
    Comparing,
    /// Put an item in the cart and has not bought since.
    Deciding,
    /// Bought, and has put nothing in the cart since.
    Purchased,
}

impl Profile {
    /// A readable digest of the profile as of `now_ms`.
    pub fn summary(&self, now_ms: i64) -> Summary {
        let mut interests = self.interests(now_ms);
        interests.truncate(TOP_INTERESTS);
        let total: f64 = interests.iter().map(|i| f64::from(i.weight)).sum();
        let top_interests = interests
            .into_iter()
            .filter(|i| i.weight > 0.0)
            .map(|i| InterestShare {
                label: i.facet.label,
                kind: i.facet.kind,
                share: (f64::from(i.weight) / total) as f32,
            })
            .collect();

        let mut event_counts = KindCounts::default();
        for event in &self.recent {
            event_counts.add(event.kind());
        }
        // Impressions are kept per item, not in the ring.
        event_counts.impression = self.items.values().map(|e| e.counts.impression).sum();

        let times = self.recent.iter().map(Recent::ts_ms);
        let times = times.chain(
            self.items
                .values()
                .flat_map(|e| [e.first_seen_ms, e.last_seen_ms]),
        );
        let (first_event_ms, last_event_ms) = times.fold((None, None), |(lo, hi), t| {
            (
                Some(lo.map_or(t, |lo: i64| lo.min(t))),
                Some(hi.map_or(t, |hi: i64| hi.max(t))),
            )
        });

        Summary {
            top_interests,
            price_band: self.price_band(),
            activity: self.activity(now_ms),
            intent: self.intent(now_ms),
            event_counts,
            recent_queries: self.queries.iter().cloned().collect(),
            stored_events: self.recent.len(),
            remembered_items: self.items.len(),
            first_event_ms,
            last_event_ms,
        }
    }

    fn price_band(&self) -> Option<PriceBand> {
        let mut prices: Vec<f32> = self
            .items
            .values()
            .filter(|e| e.counts.engaged() > 0)
            .filter_map(|e| e.item.price)
            .collect();
        if prices.is_empty() {
            return None;
        }
        prices.sort_by(f32::total_cmp);
        Some(PriceBand {
            low: percentile(&prices, 0.25),
            median: percentile(&prices, 0.5),
            high: percentile(&prices, 0.75),
            items: prices.len(),
        })
    }

    fn activity(&self, now_ms: i64) -> Activity {
        let since = now_ms.saturating_sub(ACTIVITY_WINDOW_MS);
        // Impressions measure how many lists the page showed, not what the shopper did.
        let actions = self
            .recent
            .iter()
            .filter(|e| e.kind() != EventKind::Impression);
        let (all, this_week) = actions.fold((0, 0), |(all, week), e| {
            (all + 1, week + usize::from(e.ts_ms() >= since))
        });
        if all < NEW_BELOW {
            Activity::New
        } else if this_week < ENGAGED_FROM {
            Activity::Casual
        } else if this_week < HEAVY_FROM {
            Activity::Engaged
        } else {
            Activity::Heavy
        }
    }

    fn intent(&self, now_ms: i64) -> Intent {
        let since = now_ms.saturating_sub(INTENT_WINDOW_MS);
        let mut last_cart = None;
        let mut last_purchase = None;
        let mut looked_at: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
        // The ring is in time order, so later positions are later events.
        for (i, event) in self
            .recent
            .iter()
            .enumerate()
            .filter(|(_, e)| e.ts_ms() >= since)
        {
            let Recent::Item { kind, id, .. } = event else {
                continue;
            };
            match kind {
                EventKind::AddToCart => last_cart = Some(i),
                EventKind::Purchase => last_purchase = Some(i),
                EventKind::View | EventKind::Click | EventKind::Dwell => {
                    let Some(entry) = self.items.get(id) else {
                        continue;
                    };
                    let path: Vec<&str> = entry.item.category_levels().collect();
                    if !path.is_empty() {
                        looked_at.entry(path.join("/")).or_default().insert(id);
                    }
                }
                EventKind::Impression | EventKind::Search => {}
            }
        }
        match (last_cart, last_purchase) {
            (Some(cart), purchase) if purchase.is_none_or(|p| cart > p) => Intent::Deciding,
            (_, Some(_)) => Intent::Purchased,
            _ if looked_at.values().any(|ids| ids.len() >= COMPARING_ITEMS) => Intent::Comparing,
            _ => Intent::Browsing,
        }
    }
}

/// The `q` quantile of sorted, non-empty `values`, interpolating between neighbours.
fn percentile(values: &[f32], q: f64) -> f32 {
    let pos = q * (values.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let frac = pos - pos.floor();
    (f64::from(values[lo]) * (1.0 - frac) + f64::from(values[hi]) * frac) as f32
}
