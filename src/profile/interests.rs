//! Interests: the facets of the remembered items (category levels, brand, tags, title keywords),
//! each weighted by the affinity of the items that carry it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Profile;
use crate::item::Item;

/// Words too common in product titles to say anything about a taste.
const STOPWORDS: &[&str] = &[
    "all", "and", "any", "are", "for", "from", "has", "into", "its", "new", "not", "one", "our",
    "pack", "per", "set", "the", "this", "that", "two", "via", "was", "with", "you", "your",
];

/// Shortest title word, in letters, kept as a keyword.
const MIN_KEYWORD_LETTERS: usize = 3;

/// What part of an item a facet comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FacetKind {
    /// A category level, as the path down to it (`home`, `home/kitchen`).
    Category,
    /// The brand.
    Brand,
    /// A tag.
    Tag,
    /// A word of the title, lowercased (for catalogs that have nothing but titles).
    Keyword,
}

/// One property an item can share with others, such as its brand.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Facet {
    /// Where it comes from.
    pub kind: FacetKind,
    /// Its value: a category path joined with `/`, a brand or tag as given (trimmed), or a
    /// lowercased keyword.
    pub label: String,
}

/// An interest of the shopper.
#[derive(Debug, Clone, PartialEq)]
pub struct Interest {
    /// What the shopper is interested in.
    pub facet: Facet,
    /// Sum of the positive affinities of the remembered items that have this facet.
    pub weight: f32,
}

/// The facets of an item, without duplicates, ordered by kind then label. The profile derives
/// interests with it; a ranker can use it to match candidates to interests.
pub fn facets(item: &Item) -> Vec<Facet> {
    let mut out = Vec::new();
    let mut path = String::new();
    for level in item.category_levels() {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(level);
        out.push(Facet {
            kind: FacetKind::Category,
            label: path.clone(),
        });
    }
    let labels = item.brand.iter().map(|b| (FacetKind::Brand, b));
    for (kind, label) in labels.chain(item.tags.iter().map(|t| (FacetKind::Tag, t))) {
        let label = label.trim();
        if !label.is_empty() {
            out.push(Facet {
                kind,
                label: label.to_owned(),
            });
        }
    }
    if let Some(title) = &item.title {
        out.extend(keywords(title).map(|label| Facet {
            kind: FacetKind::Keyword,
            label,
        }));
    }
    out.sort();
    out.dedup();
    out
}

/// Lowercased runs of at least [`MIN_KEYWORD_LETTERS`] letters, minus stopwords.
fn keywords(title: &str) -> impl Iterator<Item = String> + '_ {
    keyword_runs(title)
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
}

/// The runs of letters [`keywords`] lowercases.
fn keyword_runs(title: &str) -> impl Iterator<Item = &str> {
    title
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= MIN_KEYWORD_LETTERS)
}

impl Facet {
    /// Whether `item` has this facet: `facets(item).contains(self)`, without building the
    /// facets, so that a ranker can match thousands of candidates to interests cheaply.
    pub fn is_of(&self, item: &Item) -> bool {
        let label = self.label.as_str();
        if label.is_empty() {
            return false;
        }
        match self.kind {
            FacetKind::Category => {
                // The label is the path down to some level: the levels, joined with '/'.
                let mut rest = label;
                for (n, level) in item.category_levels().enumerate() {
                    let Some(after) = (if n == 0 {
                        Some(rest)
                    } else {
                        rest.strip_prefix('/')
                    })
                    .and_then(|r| r.strip_prefix(level)) else {
                        return false;
                    };
                    if after.is_empty() {
                        return true;
                    }
                    rest = after;
                }
                false
            }
            FacetKind::Brand => item.brand.as_deref().is_some_and(|b| b.trim() == label),
            FacetKind::Tag => item.tags.iter().any(|t| t.trim() == label),
            FacetKind::Keyword => {
                self.is_keyword()
                    && item
                        .title
                        .as_deref()
                        .is_some_and(|title| keyword_runs(title).any(|w| is_word(w, label)))
            }
        }
    }

    /// Whether this is a keyword some title could have: a word that is not a stopword.
    fn is_keyword(&self) -> bool {
        self.kind == FacetKind::Keyword
            && !self.label.is_empty()
            && !STOPWORDS.contains(&&*self.label)
    }
}

/// The position of the first of `facets` that `item` has: `facets.iter().position(|f|
/// f.is_of(item))`, with the item's title split into words once rather than once per keyword,
/// so that a ranker can match thousands of candidates to a shopper's top interests cheaply.
pub fn first_facet_of(facets: &[Facet], item: &Item) -> Option<usize> {
    let mut first = facets
        .iter()
        .position(|f| f.kind != FacetKind::Keyword && f.is_of(item));
    let before = |first: Option<usize>| &facets[..first.unwrap_or(facets.len())];
    if !before(first).iter().any(|f| f.kind == FacetKind::Keyword) {
        return first;
    }
    for w in keyword_runs(item.title.as_deref().unwrap_or_default()) {
        // The stopword check last: it runs only on a word that matches.
        let matches =
            |f: &Facet| f.kind == FacetKind::Keyword && is_word(w, &f.label) && f.is_keyword();
        if let Some(i) = before(first).iter().position(matches) {
            first = Some(i);
        }
    }
    first
}

/// Whether the title word `w` is the keyword `label` (lowercase).
fn is_word(w: &str, label: &str) -> bool {
    if w.is_ascii() {
        w.bytes().map(|b| b.to_ascii_lowercase()).eq(label.bytes())
    } else {
        w.to_lowercase() == label
    }
}

impl Profile {
    /// The shopper's strongest interests as of `now_ms`, strongest first (ties by facet), at
    /// most [`ProfileConfig::max_interests`](super::ProfileConfig::max_interests). Items with
    /// an affinity ≤ 0 contribute nothing.
    pub fn interests(&self, now_ms: i64) -> Vec<Interest> {
        let half_life_ms = self.config.half_life_ms();
        let mut weights: BTreeMap<Facet, f64> = BTreeMap::new();
        for entry in self.items.values() {
            let affinity = entry.affinity_at(now_ms, half_life_ms);
            if affinity > 0.0 {
                for facet in facets(&entry.item) {
                    *weights.entry(facet).or_default() += affinity;
                }
            }
        }
        let mut out: Vec<Interest> = weights
            .into_iter()
            .map(|(facet, weight)| Interest {
                facet,
                weight: weight as f32,
            })
            .collect();
        out.sort_by(|a, b| {
            b.weight
                .total_cmp(&a.weight)
                .then_with(|| a.facet.cmp(&b.facet))
        });
        out.truncate(self.config.max_interests as usize);
        out
    }
}
