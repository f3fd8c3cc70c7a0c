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

/// An item's fields as a page names them, in the order every flat form of an item lists them
/// (the packed candidates of [`crate::wire::packed_items`], the ranker's cache key, the fields
/// the package's JavaScript copies from a page's objects): its texts ([`Item::texts`]), then
/// the price, then the tags.
pub const ITEM_FIELDS: [&str; 6] = ["id", "title", "category", "brand", "price", "tags"];
/// How many of [`ITEM_FIELDS`] are text.
pub const TEXT_FIELDS: usize = 4;
/// Longest value of each text field, in bytes; a longer one is refused (the id) or cut.
const TEXT_LIMITS: [usize; TEXT_FIELDS] = [
    MAX_ID_BYTES,
    MAX_TITLE_BYTES,
    MAX_LABEL_BYTES,
    MAX_LABEL_BYTES,
];

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

    /// An item from its fields in [`ITEM_FIELDS`] order.
    pub fn from_fields(
        [id, title, category, brand]: [Option<String>; TEXT_FIELDS],
        price: Option<f32>,
        tags: Vec<String>,
    ) -> Self {
        Item {
            id: id.unwrap_or_default(),
            title,
            category,
            brand,
            price,
            tags,
        }
    }

    /// The text fields, in [`ITEM_FIELDS`] order (the id is never absent).
    pub fn texts(&self) -> [Option<&str>; TEXT_FIELDS] {
        [
            Some(self.id.as_str()),
            self.title.as_deref(),
            self.category.as_deref(),
            self.brand.as_deref(),
        ]
    }

    /// Checks the item and returns it with over-long text cut to the documented bounds, so that
    /// whatever a page sends, what is stored and hashed stays small.
    pub fn validated(mut self) -> Result<Self> {
        self.check()?;
        let optional = [&mut self.title, &mut self.category, &mut self.brand];
        for (text, &max) in optional.into_iter().zip(&TEXT_LIMITS[1..]) {
            if let Some(text) = text {
                truncate(text, max);
            }
        }
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
        let fits = self
            .texts()
            .iter()
            .zip(TEXT_LIMITS)
            .all(|(text, max)| text.is_none_or(|t| t.len() <= max))
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
        let longest = self
            .texts()
            .into_iter()
            .flatten()
            .chain(self.tags.iter().map(String::as_str))
            .map(str::len)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_fields_are_the_json_names_in_order() {
        let item = Item {
            title: Some("t".into()),
            category: Some("c".into()),
            brand: Some("b".into()),
            price: Some(1.0),
            tags: vec!["x".into()],
            ..Item::new("i")
        };
        let json = serde_json::to_string(&item).unwrap_or_default();
        let at: Vec<Option<usize>> = ITEM_FIELDS
            .iter()
            .map(|f| json.find(&format!("\"{f}\":")))
            .collect();
        assert!(at.iter().all(Option::is_some), "{json}");
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{json}");
        assert_eq!(json.matches("\":").count(), ITEM_FIELDS.len(), "{json}");
        let from = Item::from_fields(
            item.texts().map(|t| t.map(String::from)),
            item.price,
            item.tags.clone(),
        );
        assert_eq!(from, item);
    }
}
