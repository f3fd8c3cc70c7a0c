//! A compact item-to-item transition table: for each item, which items followed it in training
//! sequences and how often. It keeps the sharp "bought this, then that" evidence (colour variants,
//! sets) that a low-dimensional encoder smooths away, and ships inside the model file.

/// Successor counts keyed by [`crate::features::id_key`] of the item ids.
#[derive(Debug, Clone, PartialEq)]
pub struct Transitions {
    /// Id keys of every item in the table, sorted.
    keys: Vec<u64>,
    /// `successors[offsets[i]..offsets[i + 1]]` followed `keys[i]`.
    offsets: Vec<u32>,
    /// Indices into `keys`.
    successors: Vec<u32>,
    /// How often each successor followed, saturated at 255.
    counts: Vec<u8>,
}

impl Default for Transitions {
    /// An empty table, in the layout the model file stores (one offset, 0).
    fn default() -> Self {
        Transitions::from_counts(Vec::new(), 0)
    }
}

impl Transitions {
    /// Builds the table from `(from, to, count)` triples of id keys, keeping at most
    /// `per_item` most frequent successors of each item (ties: smaller key first).
    pub fn from_counts(mut pairs: Vec<(u64, u64, u32)>, per_item: usize) -> Self {
        let mut keys: Vec<u64> = pairs.iter().flat_map(|&(a, b, _)| [a, b]).collect();
        keys.sort_unstable();
        keys.dedup();
        // Every key of `pairs` is in `keys`.
        let index = |key: u64| keys.binary_search(&key).unwrap_or(0) as u32;
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)).then(a.1.cmp(&b.1)));
        let mut offsets = Vec::with_capacity(keys.len() + 1);
        let (mut successors, mut counts) = (Vec::new(), Vec::new());
        let mut p = 0;
        for &key in &keys {
            offsets.push(successors.len() as u32);
            let mut kept = 0;
            while p < pairs.len() && pairs[p].0 == key {
                if kept < per_item {
                    successors.push(index(pairs[p].1));
                    counts.push(pairs[p].2.min(255) as u8);
                    kept += 1;
                }
                p += 1;
            }
        }
        offsets.push(successors.len() as u32);
        Transitions {
            keys,
            offsets,
            successors,
            counts,
        }
    }

    /// Rebuilds a table from its stored arrays, checking that they are consistent.
    pub(crate) fn from_parts(
        keys: Vec<u64>,
        offsets: Vec<u32>,
        successors: Vec<u32>,
        counts: Vec<u8>,
    ) -> Result<Self, String> {
        let sorted = keys.windows(2).all(|w| w[0] < w[1]);
        let offsets_ok = offsets.len() == keys.len() + 1
            && offsets.first() == Some(&0)
            && offsets.windows(2).all(|w| w[0] <= w[1])
            && offsets.last().map(|&o| o as usize) == Some(successors.len());
        if !sorted || !offsets_ok || counts.len() != successors.len() {
            return Err("transition table arrays are inconsistent".into());
        }
        if successors.iter().any(|&s| s as usize >= keys.len()) {
            return Err("transition table points outside its keys".into());
        }
        Ok(Transitions {
            keys,
            offsets,
            successors,
            counts,
        })
    }

    /// The stored arrays: keys, offsets, successors, counts.
    pub(crate) fn parts(&self) -> (&[u64], &[u32], &[u32], &[u8]) {
        (&self.keys, &self.offsets, &self.successors, &self.counts)
    }

    /// The items that followed `from` and how often, most frequent first.
    pub fn successors(&self, from: u64) -> impl Iterator<Item = (u64, u32)> + '_ {
        // Keys are sorted: a binary search, rather than an index built at every load.
        let range = match self.keys.binary_search(&from) {
            Ok(i) => self.offsets[i] as usize..self.offsets[i + 1] as usize,
            Err(_) => 0..0,
        };
        range.map(|e| {
            (
                self.keys[self.successors[e] as usize],
                u32::from(self.counts[e]),
            )
        })
    }

    /// Every stored pair as (from, to, count), by `from`.
    pub fn pairs(&self) -> impl Iterator<Item = (u64, u64, u32)> + '_ {
        self.keys
            .iter()
            .flat_map(move |&from| self.successors(from).map(move |(to, n)| (from, to, n)))
    }

    /// Number of stored (from, to) pairs.
    pub fn len(&self) -> usize {
        self.successors.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.successors.is_empty()
    }
}
