//! tastebud: on-device personalization for e-commerce.
//!
//! The layers, each a module: [`features`] hashes what a page knows about a product,
//! [`model`] turns items and event sequences into vectors, [`profile`] keeps the shopper's
//! history and interests on the device, [`sequence`] says how its events become the user
//! encoder's steps (for the page and the trainer alike), and [`ranker`] orders candidates with
//! reasons.
//! Nothing here knows about JavaScript; the bindings wrap it.
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod error;
pub mod event;
pub mod features;
pub mod item;
pub mod model;
pub mod personalizer;
pub mod profile;
pub mod ranker;
pub mod sequence;
pub mod token;
pub mod wire;

pub use error::{Error, Result};
pub use event::{Event, EventKind};
pub use item::Item;
pub use model::Model;
pub use personalizer::{Explanation, Personalizer};
pub use profile::{Profile, ProfileConfig, Summary};
pub use ranker::{Catalog, CatalogPlan, RankOptions, Ranked, Ranker, Reason, Scoring};
pub use token::Token;

/// The README's Rust example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
