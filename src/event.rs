//! What the shopper did: the events a page records into the profile.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::item::{truncate, Item, MAX_INPUT_BYTES};

/// Longest search query kept, in bytes.
pub const MAX_QUERY_BYTES: usize = 256;

/// A query as the profile keeps it: trimmed, then cut to [`MAX_QUERY_BYTES`] and trimmed again
/// (a cut can end in a space), so that what is stored is exactly what
/// [`is_stored_query`] accepts when it is read back. `None` when nothing is left.
pub(crate) fn stored_query(query: &str) -> Option<String> {
    let mut query = query.trim().to_owned();
    truncate(&mut query, MAX_QUERY_BYTES);
    let query = query.trim_end();
    (!query.is_empty()).then(|| query.to_owned())
}

/// Whether `query` is as [`stored_query`] leaves a query.
pub(crate) fn is_stored_query(query: &str) -> bool {
    stored_query(query).as_deref() == Some(query)
}

/// The kind of an event. The discriminants are stable: they index the model's event-type
/// embedding and are written into the profile's binary format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum EventKind {
    /// The item was shown in a list; without a later action it is weak negative evidence.
    Impression = 0,
    /// The product page was opened.
    View = 1,
    /// The item was clicked in a list.
    Click = 2,
    /// The item was put in the cart.
    AddToCart = 3,
    /// The item was bought.
    Purchase = 4,
    /// The shopper stayed on the product page for a while (`dwell_ms`).
    Dwell = 5,
    /// The shopper searched (`query`).
    Search = 6,
}

impl EventKind {
    /// Every kind, in discriminant order.
    pub const ALL: [EventKind; 7] = [
        EventKind::Impression,
        EventKind::View,
        EventKind::Click,
        EventKind::AddToCart,
        EventKind::Purchase,
        EventKind::Dwell,
        EventKind::Search,
    ];
    /// Number of kinds (size of the model's event-type table).
    pub const COUNT: usize = Self::ALL.len();

    /// The kind with this discriminant, if any.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }

    /// The name used in JSON and in JavaScript.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Impression => "impression",
            EventKind::View => "view",
            EventKind::Click => "click",
            EventKind::AddToCart => "add_to_cart",
            EventKind::Purchase => "purchase",
            EventKind::Dwell => "dwell",
            EventKind::Search => "search",
        }
    }

    /// Whether the shopper chose this (a click, an add to cart, a purchase) rather than just
    /// saw it: what brings a forgotten item back into the profile.
    pub fn is_deliberate(self) -> bool {
        matches!(
            self,
            EventKind::Click | EventKind::AddToCart | EventKind::Purchase
        )
    }

    /// Parses a name as written by [`EventKind::name`].
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                Error::InvalidEvent(format!(
                    "unknown event type {name:?}; expected one of impression, view, click, add_to_cart, purchase, dwell, search"
                ))
            })
    }
}

/// One thing the shopper did, at a time in epoch milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An action on an item.
    Item {
        /// What was done.
        kind: EventKind,
        /// The item it was done to.
        item: Item,
        /// When, in epoch milliseconds.
        ts_ms: i64,
        /// For [`EventKind::Dwell`]: how long the page stayed open, in milliseconds.
        dwell_ms: u32,
    },
    /// A search.
    Search {
        /// The query as typed.
        query: String,
        /// When, in epoch milliseconds.
        ts_ms: i64,
    },
}

impl Event {
    /// An action on an item at `ts_ms`.
    pub fn item(kind: EventKind, item: Item, ts_ms: i64) -> Self {
        Event::Item {
            kind,
            item,
            ts_ms,
            dwell_ms: 0,
        }
    }

    /// A search for `query` at `ts_ms`.
    pub fn search(query: impl Into<String>, ts_ms: i64) -> Self {
        Event::Search {
            query: query.into(),
            ts_ms,
        }
    }

    /// The event's kind.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Item { kind, .. } => *kind,
            Event::Search { .. } => EventKind::Search,
        }
    }

    /// When it happened, in epoch milliseconds.
    pub fn ts_ms(&self) -> i64 {
        match self {
            Event::Item { ts_ms, .. } | Event::Search { ts_ms, .. } => *ts_ms,
        }
    }

    /// The item acted on, if any.
    pub fn item_ref(&self) -> Option<&Item> {
        match self {
            Event::Item { item, .. } => Some(item),
            Event::Search { .. } => None,
        }
    }

    /// Checks the event and bounds its text; bad input is an error and nothing else.
    pub fn validated(self) -> Result<Self> {
        match self {
            Event::Item {
                kind: EventKind::Search,
                ..
            } => Err(Error::InvalidEvent(
                "a search event carries a query, not an item".into(),
            )),
            Event::Item {
                kind,
                item,
                ts_ms,
                dwell_ms,
            } => {
                if kind == EventKind::Dwell && dwell_ms == 0 {
                    return Err(Error::InvalidEvent(
                        "a dwell event needs its duration in milliseconds (ms > 0)".into(),
                    ));
                }
                Ok(Event::Item {
                    kind,
                    item: item.validated()?,
                    ts_ms,
                    dwell_ms,
                })
            }
            Event::Search { query, ts_ms } => {
                if query.len() > MAX_INPUT_BYTES {
                    return Err(Error::InvalidEvent(format!(
                        "the search query is {} bytes; the limit is {MAX_INPUT_BYTES}",
                        query.len()
                    )));
                }
                let query = stored_query(&query).ok_or_else(|| {
                    Error::InvalidEvent("a search event needs a non-empty query".into())
                })?;
                Ok(Event::Search { query, ts_ms })
            }
        }
    }
}
