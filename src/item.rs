//! What a page knows about a product: the input of the item encoder, the ranker and the profile.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Longest id, in bytes, that an item may carry.
pub const MAX_ID_BYTES: usize = 128;
/// Longest title, in bytes; a longer one is cut at a character boundary.
pub const MAX_TITLE_BYTES: usize = 256;
/// Longest category path, brand or tag, in bytes; longer ones are cut.
pub const MAX_LABEL_BYTES: usize = 64;
/// Most tags an item keeps; further tags are dropped.
pub const MAX_TAGS: usize = 8;
/// Longest text, in bytes, accepted in any field or in a search query. Text up to this is cut
/// to the field's bound; longer text is refused, since no product name is 16 KiB long and
/// anything that is, is junk a page should hear about.
pub const MAX_INPUT_BYTES: usize = 16 * 1024;
/// Most tags accepted on an item; beyond [`MAX_TAGS`] and up to this they are dropped.
pub const MAX_INPUT_TAGS: usize = 256;

/// A product as the page describes it. Only `id` is required; every other field makes the
/// item's vector better for items the model never saw in training. Other fields are ignored
/// when an item is read, so a page or a catalog export can pass its product records as they
/// are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Item {
    /// The shop's own identifier (SKU, stock code, slug). Non-empty, at most [`MAX_ID_BYTES`].
    pub id: String,
    /// Product name or short description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Category path, most general first, separated by `/` or `>` (e.g. `home/kitchen/candles`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Brand or maker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Unit price in the shop's currency; finite and not negative. Absent when unknown; `null`
    /// is refused, since JavaScript's `JSON.stringify` writes NaN and Infinity as `null`.
    #[serde(
        default,
        deserialize_with = "present_price",
        skip_serializing_if = "Option::is_none"
    )]
    pub price: Option<f32>,
    /// Free-form labels (colour, material, collection…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl Item {
    /// An item known only by its id.
    pub fn new(id: impl Into<String>) -> Self {
        Item {
            id: id.into(),
            ..Item::default()
        }
    }

    /// Checks the item and returns it with over-long text cut to the documented bounds, so that
    /// whatever a page sends, what is stored and hashed stays small.
    pub fn validated(mut self) -> Result<Self> {
        self.check()?;
        truncate_opt(&mut self.title, MAX_TITLE_BYTES);
        truncate_opt(&mut self.category, MAX_LABEL_BYTES);
        truncate_opt(&mut self.brand, MAX_LABEL_BYTES);
        self.tags.truncate(MAX_TAGS);
        for tag in &mut self.tags {
            truncate(tag, MAX_LABEL_BYTES);
        }
        self.tags.retain(|t| !t.trim().is_empty());
        Ok(self)
    }

    /// [`Item::validated`] without a copy when the item is already within its bounds, as
    /// nearly every item is: the ranker checks a thousand candidates per call.
    pub fn validated_ref(&self) -> Result<Cow<'_, Item>> {
        self.check()?;
        let within = |s: &Option<String>, max: usize| s.as_ref().is_none_or(|s| s.len() <= max);
        let fits = within(&self.title, MAX_TITLE_BYTES)
            && within(&self.category, MAX_LABEL_BYTES)
            && within(&self.brand, MAX_LABEL_BYTES)
            && self.tags.len() <= MAX_TAGS
            && self
                .tags
                .iter()
                .all(|t| t.len() <= MAX_LABEL_BYTES && !t.trim().is_empty());
        if fits {
            Ok(Cow::Borrowed(self))
        } else {
            self.clone().validated().map(Cow::Owned)
        }
    }

    /// The errors of [`Item::validated`].
    fn check(&self) -> Result<()> {
        if self.id.trim().is_empty() {
            return Err(Error::InvalidItem("item id is empty".into()));
        }
        if self.id.len() > MAX_ID_BYTES {
            return Err(Error::InvalidItem(format!(
                "item id is {} bytes long; the limit is {MAX_ID_BYTES}",
                self.id.len()
            )));
        }
        let texts = [&self.title, &self.category, &self.brand];
        let longest = texts
            .into_iter()
            .flatten()
            .chain(&self.tags)
            .map(String::len)
            .max()
            .unwrap_or(0);
        if longest > MAX_INPUT_BYTES {
            return Err(Error::InvalidItem(format!(
                "item {:?} has a text field of {longest} bytes; the limit is {MAX_INPUT_BYTES}",
                self.id
            )));
        }
        if self.tags.len() > MAX_INPUT_TAGS {
            return Err(Error::InvalidItem(format!(
                "item {:?} has {} tags; the limit is {MAX_INPUT_TAGS}",
                self.id,
                self.tags.len()
            )));
        }
        if let Some(p) = self.price {
            if !p.is_finite() || p < 0.0 {
                return Err(Error::InvalidItem(format!(
                    "price of item {:?} must be a finite number ≥ 0, got {p}",
                    self.id
                )));
            }
        }
        Ok(())
    }

    /// The category path split into its levels, most general first.
    pub fn category_levels(&self) -> impl Iterator<Item = &str> {
        self.category
            .as_deref()
            .unwrap_or("")
            .split(['/', '>'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

fn present_price<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f32>, D::Error> {
    match Option::<f32>::deserialize(d)? {
        Some(p) => Ok(Some(p)),
        None => Err(serde::de::Error::custom(
            "price must be a finite number ≥ 0 (NaN, Infinity and null are not prices; leave \
             the price out when it is unknown)",
        )),
    }
}

fn truncate_opt(s: &mut Option<String>, max: usize) {
    if let Some(s) = s {
        truncate(s, max);
    }
}

/// Cuts `s` to at most `max` bytes without splitting a character.
pub(crate) fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}
