//! How a shopper's events become the steps the user encoder reads: one definition, used by the
//! page's ranker and by the trainer's loaders, so that a model is trained on the sequences
//! pages feed it.
//!
//! - **Impressions do not enter**: being shown an item is not engaging with it. (A search has
//!   no item and never reaches here.)
//! - **A run of events on one item is one visit**: a view, a dwell and a basket add on the
//!   same product, one after another, are one step. It keeps the first event's time and the
//!   strongest of their kinds (purchase, then basket add, click, dwell, view), so a basket
//!   add after a view is read as a basket add.
//! - **A step's gap** is the whole seconds from the previous visit's start to its own
//!   (rounded down), bucketed by [`crate::features::gap_bucket`].
//!
//! Times are milliseconds since the epoch; events come oldest first.

use crate::event::EventKind;
use crate::model::Step;

/// An event on an item, as the sequence rules read it: `item` is whatever tells items apart
/// where it is used (an id, an index into a catalog).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engagement<T> {
    /// The item.
    pub item: T,
    /// What was done.
    pub kind: EventKind,
    /// When, in milliseconds since the epoch.
    pub ts_ms: i64,
}

/// The visits of `events` (oldest first): impressions dropped, each run of events on one item
/// folded into one, at the run's first time, with its strongest kind.
pub fn visits<T: PartialEq>(events: impl IntoIterator<Item = Engagement<T>>) -> Vec<Engagement<T>> {
    let mut visits = Visits::default();
    for e in events {
        visits.push(e);
    }
    visits.into_vec()
}

/// Visits being built event by event, for a caller that wants to know what became of each
/// (the trainer's loaders count what they fold).
#[derive(Debug, Clone)]
pub struct Visits<T>(Vec<Engagement<T>>);

impl<T> Default for Visits<T> {
    fn default() -> Self {
        Visits(Vec::new())
    }
}

/// What became of an event given to [`Visits::push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entered {
    /// It began a new visit.
    Visit,
    /// It continued the visit to the same item.
    SameVisit,
    /// It is not engagement (an impression) and was left out.
    Left,
}

impl<T: PartialEq> Visits<T> {
    /// Adds the next event, oldest first.
    pub fn push(&mut self, e: Engagement<T>) -> Entered {
        if !is_engagement(e.kind) {
            return Entered::Left;
        }
        match self.0.last_mut() {
            Some(last) if last.item == e.item => {
                if strength(e.kind) > strength(last.kind) {
                    last.kind = e.kind;
                }
                Entered::SameVisit
            }
            _ => {
                self.0.push(e);
                Entered::Visit
            }
        }
    }

    /// The visits so far.
    pub fn into_vec(self) -> Vec<Engagement<T>> {
        self.0
    }
}

/// What the encoder reads of each visit: its kind and the seconds since the previous one.
pub fn steps<T>(visits: &[Engagement<T>]) -> Vec<Step> {
    visits
        .iter()
        .enumerate()
        .map(|(t, v)| Step {
            kind: v.kind,
            gap_seconds: t
                .checked_sub(1)
                .map(|p| v.ts_ms.saturating_sub(visits[p].ts_ms).div_euclid(1000)),
        })
        .collect()
}

/// Whether events of `kind` enter sequences: everything but impressions and searches.
pub fn is_engagement(kind: EventKind) -> bool {
    strength(kind) > 0
}

/// How much a kind says about the shopper's intent; 0 for kinds that are not engagement.
fn strength(kind: EventKind) -> u8 {
    match kind {
        EventKind::Impression | EventKind::Search => 0,
        EventKind::View => 1,
        EventKind::Dwell => 2,
        EventKind::Click => 3,
        EventKind::AddToCart => 4,
        EventKind::Purchase => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventKind::*;

    fn e(item: u32, kind: EventKind, ts_ms: i64) -> Engagement<u32> {
        Engagement { item, kind, ts_ms }
    }

    #[test]
    fn a_view_then_a_basket_add_of_one_item_is_one_basket_add_at_the_view_time() {
        let v = visits([
            e(1, View, 1_000),
            e(1, Dwell, 5_000),
            e(1, AddToCart, 9_000),
        ]);
        assert_eq!(v, [e(1, AddToCart, 1_000)]);
    }

    #[test]
    fn impressions_neither_enter_nor_split_a_visit() {
        let v = visits([
            e(1, View, 0),
            e(2, Impression, 10),
            e(1, Click, 20),
            e(3, Impression, 30),
        ]);
        assert_eq!(v, [e(1, Click, 0)]);
    }

    #[test]
    fn returning_to_an_item_after_another_is_a_new_visit() {
        let v = visits([e(1, View, 0), e(2, View, 10), e(1, Purchase, 20)]);
        assert_eq!(v, [e(1, View, 0), e(2, View, 10), e(1, Purchase, 20)]);
    }

    #[test]
    fn gaps_are_whole_seconds_between_visit_starts() {
        let s = steps(&[e(1, View, 0), e(2, View, 1_999), e(3, View, i64::MAX)]);
        let gaps: Vec<_> = s.iter().map(|s| s.gap_seconds).collect();
        assert_eq!(gaps, [None, Some(1), Some((i64::MAX - 1_999) / 1000)]);
    }
}
