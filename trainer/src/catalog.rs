//! The shop's catalog as JSON, for the storefront in `www/`: every item of a loaded data set
//! with its title and price exactly as the model saw them in training, how often it was bought,
//! and a display name, most bought first.
//!
//! ```
//! use tastebud_train::catalog::display_name;
//!
//! assert_eq!(display_name("WHITE HANGING HEART T-LIGHT HOLDER"), "White hanging heart T-light holder");
//! ```

use std::path::Path;

use serde::Serialize;

use crate::data::{self, Dataset, Format};

/// What `tastebud-train catalog` writes.
#[derive(Debug, Clone, Serialize)]
pub struct Catalog {
    /// Where the products come from, to credit on the page.
    pub source: Source,
    /// Every item, most bought first.
    pub items: Vec<CatalogItem>,
}

/// The data set's name, citation and licence.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// Human name of the data set.
    pub name: String,
    /// Citation / source URL.
    pub source: String,
    /// Licence of the data.
    pub license: String,
}

/// One product of the shop.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogItem {
    /// The item's id (the stock code).
    pub id: String,
    /// The title exactly as the loader gives it: the text the model was trained on, so the
    /// page passes this one to tastebud.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The title for people: [`display_name`] of `title` (the id when there is none).
    pub name: String,
    /// Unit price (median over the data's sales).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<f32>,
    /// Purchases of the item in the data set's sequences (what the model was trained on: a
    /// customer's consecutive repeats of an item count once).
    pub sold: u32,
}

impl Catalog {
    /// The catalog of `ds`: items sorted by purchases, most first; ties keep the data set's
    /// order (first appearance), so the output is the same on every run.
    pub fn of(ds: &Dataset) -> Self {
        let mut sold = vec![0u32; ds.items.len()];
        for x in ds.sequences.iter().flatten() {
            sold[x.item as usize] += 1;
        }
        let mut items: Vec<CatalogItem> = ds
            .items
            .iter()
            .zip(sold)
            .map(|(item, sold)| CatalogItem {
                id: item.id.clone(),
                name: display_name(item.title.as_deref().unwrap_or(&item.id)),
                title: item.title.clone(),
                price: item.price,
                sold,
            })
            .collect();
        // Stable: equal counts keep their order.
        items.sort_by_key(|item| std::cmp::Reverse(item.sold));
        Catalog {
            source: Source {
                name: ds.provenance.name.clone(),
                source: ds.provenance.source.clone(),
                license: ds.provenance.license.clone(),
            },
            items,
        }
    }
}

/// `tastebud-train catalog`: loads the data set at `data` and writes its catalog to `out` as
/// JSON (creating the directory; written beside it first and renamed into place, so an
/// interrupted run leaves no partial file that looks up to date). Returns the item count.
pub fn write(format: Format, data: &Path, out: &Path) -> Result<usize, String> {
    let ds = data::load(format, data).map_err(|e| e.to_string())?;
    let catalog = Catalog::of(&ds);
    let json = serde_json::to_vec(&catalog).map_err(|e| e.to_string())?;
    let at = |e: std::io::Error| format!("{}: {e}", out.display());
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(at)?;
    }
    let partial = out.with_extension("json.partial");
    std::fs::write(&partial, json).map_err(at)?;
    std::fs::rename(&partial, out).map_err(at)?;
    Ok(catalog.items.len())
}

/// Words of Online Retail titles that are proper nouns and keep their capital.
const PROPER_NOUNS: [&str; 14] = [
    "christmas",
    "easter",
    "london",
    "paris",
    "england",
    "english",
    "french",
    "victorian",
    "edwardian",
    "regency",
    "scandinavian",
    "moroccan",
    "union",
    "jack",
];

/// An upper-case product title in sentence case, for people: lower case but for the first
/// letter, a letter standing for itself (`T-LIGHT` → `T-light`, `LETTER "J"`), the pronoun `I`
/// (`I'M` → `I'm`) and a few proper nouns (`Christmas`, `London`); stray punctuation is tidied
/// (`KEY FOB , SHED` → `Key fob, shed`, a trailing `.` or `,` dropped). A title that already
/// has lower-case letters is left as it is.
pub fn display_name(title: &str) -> String {
    if title.chars().any(char::is_lowercase) {
        return title.to_owned();
    }
    // Commas followed by a space and preceded by none; no trailing dot or comma.
    let tidy = title
        .replace(" ,", ",")
        .replace(',', ", ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let tidy = tidy.trim_end_matches(['.', ',', ' ']);
    let mut out = String::with_capacity(tidy.len());
    for (w, word) in tidy.split(' ').enumerate() {
        if w > 0 {
            out.push(' ');
        }
        let hyphenated = word.contains('-');
        for (p, part) in word.split('-').enumerate() {
            if p > 0 {
                out.push('-');
            }
            let lower = part.to_lowercase();
            let letters = lower.trim_matches(|c: char| !c.is_alphabetic());
            // A letter standing for itself: `T-LIGHT`, `LETTER "J"`, `A,B,C`, `A7 SIZE`, but
            // not the article `A`.
            let lone_letter =
                letters.chars().count() == 1 && (letters != "a" || hyphenated || letters != lower);
            let capital = (w == 0 && p == 0)
                || lone_letter
                || part == "I"
                || part.starts_with("I'")
                || PROPER_NOUNS.contains(&letters);
            let mut first = true;
            for ch in lower.chars() {
                if first && capital && ch.is_alphabetic() {
                    out.extend(ch.to_uppercase());
                } else {
                    out.push(ch);
                }
                first &= !ch.is_alphanumeric();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tastebud::{EventKind, Item};

    use super::*;
    use crate::data::{Interaction, Provenance};

    #[test]
    fn names_are_sentence_case_and_keep_single_letters() {
        assert_eq!(
            display_name("WHITE HANGING HEART T-LIGHT HOLDER"),
            "White hanging heart T-light holder"
        );
        assert_eq!(
            display_name("JUMBO BAG RED RETROSPOT"),
            "Jumbo bag red retrospot"
        );
        assert_eq!(
            display_name("SET OF 3 CAKE TINS PANTRY DESIGN"),
            "Set of 3 cake tins pantry design"
        );
        assert_eq!(
            display_name("I'M ON HOLIDAY METAL SIGN"),
            "I'm on holiday metal sign"
        );
        assert_eq!(
            display_name("DOORMAT HAVE A NICE DAY"),
            "Doormat have a nice day"
        );
        assert_eq!(
            display_name("NURSERY A,B,C PAINTED LETTERS"),
            "Nursery A, B, C painted letters"
        );
        assert_eq!(
            display_name("LETTER \"J\" BLING KEY RING"),
            "Letter \"J\" bling key ring"
        );
        assert_eq!(
            display_name("ENGLISH ROSE NOTEBOOK A7 SIZE"),
            "English rose notebook A7 size"
        );
        assert_eq!(
            display_name("PAPER CHAIN KIT 50'S CHRISTMAS "),
            "Paper chain kit 50's Christmas"
        );
        // Punctuation tidied: a space after each comma, none before, no trailing dot.
        assert_eq!(display_name("KEY FOB , SHED"), "Key fob, shed");
        assert_eq!(
            display_name("SET 3 RETROSPOT TEA,COFFEE,SUGAR"),
            "Set 3 retrospot tea, coffee, sugar"
        );
        assert_eq!(
            display_name("LUNCH BAG BLACK SKULL."),
            "Lunch bag black skull"
        );
        // Already mixed case (a shop's own titles): left alone.
        assert_eq!(display_name("Oak side table"), "Oak side table");
    }

    #[test]
    fn items_are_sorted_by_purchases_and_keep_their_training_titles() {
        let item = |id: &str, title: &str| Item {
            title: Some(title.into()),
            price: Some(1.25),
            ..Item::new(id)
        };
        let buy = |item| Interaction {
            item,
            kind: EventKind::Purchase,
            ts_ms: 0,
        };
        let ds = Dataset {
            name: "test".into(),
            items: vec![
                item("a", "PAPER CHAIN KIT 50'S CHRISTMAS"),
                item("b", "JUMBO BAG RED RETROSPOT"),
                item("c", "LUNCH BAG BLACK SKULL."),
            ],
            users: vec!["u1".into(), "u2".into()],
            sequences: vec![
                vec![buy(1), buy(2), buy(1), buy(0), buy(1)],
                vec![buy(2), buy(1), buy(0), buy(2), buy(1)],
            ],
            mask_history: false,
            provenance: Provenance {
                name: "Test".into(),
                source: "here".into(),
                license: "CC0".into(),
                sha256: String::new(),
            },
            skipped: BTreeMap::new(),
        };
        let catalog = Catalog::of(&ds);
        let order: Vec<(&str, u32)> = catalog
            .items
            .iter()
            .map(|i| (i.id.as_str(), i.sold))
            .collect();
        // b: 5, c: 3, a: 2.
        assert_eq!(order, [("b", 5), ("c", 3), ("a", 2)]);
        assert_eq!(
            catalog.items[0].title.as_deref(),
            Some("JUMBO BAG RED RETROSPOT")
        );
        assert_eq!(catalog.items[0].name, "Jumbo bag red retrospot");
        let json = serde_json::to_value(&catalog).unwrap();
        assert_eq!(json["source"]["license"], "CC0");
        assert_eq!(json["items"][2]["title"], "PAPER CHAIN KIT 50'S CHRISTMAS");
        assert_eq!(json["items"][2]["name"], "Paper chain kit 50's Christmas");
        assert!(json["source"].get("sha256").is_none());
    }
}
