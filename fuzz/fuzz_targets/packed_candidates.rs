//! Candidates packed as the package's JavaScript packs them (fields NUL-terminated in one text,
//! prices and tag counts beside) → `wire::packed_items`: never panics; packing fields without a
//! NUL reads them back exactly (an empty field as absent, a NaN price as none); what it reads
//! ranks and records as in `candidates_json`.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tastebud::{wire, Item};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    items: Vec<Packed<'a>>,
    /// Appended to the packed text: anything but "" makes it malformed.
    tail: &'a str,
    /// Added to the first tag count, to make the counts disagree with the text.
    skew: u8,
}

#[derive(Arbitrary, Debug)]
struct Packed<'a> {
    id: &'a str,
    title: &'a str,
    category: &'a str,
    brand: &'a str,
    price: f64,
    tags: Vec<&'a str>,
}

fuzz_target!(|input: Input| {
    let mut text = String::new();
    let (mut prices, mut tag_counts) = (Vec::new(), Vec::new());
    for item in &input.items {
        for field in [item.id, item.title, item.category, item.brand]
            .iter()
            .chain(&item.tags)
        {
            text.push_str(field);
            text.push('\0');
        }
        prices.push(item.price);
        tag_counts.push(item.tags.len() as u32);
    }
    text.push_str(input.tail);
    if let Some(first) = tag_counts.first_mut() {
        *first += u32::from(input.skew);
    }
    let read = wire::packed_items(&text, &prices, &tag_counts);
    let well_formed = input.tail.is_empty()
        && input.skew == 0
        && !input.items.iter().any(|i| {
            [i.id, i.title, i.category, i.brand]
                .iter()
                .chain(&i.tags)
                .any(|f| f.contains('\0'))
        });
    if well_formed {
        let present = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let expected: Vec<Item> = input
            .items
            .iter()
            .map(|i| Item {
                id: i.id.to_owned(),
                title: present(i.title),
                category: present(i.category),
                brand: present(i.brand),
                price: (!i.price.is_nan()).then_some(i.price as f32),
                tags: i.tags.iter().map(|t| t.to_string()).collect(),
            })
            .collect();
        assert!(
            read.as_ref() == Some(&expected),
            "well-formed packed candidates read back differently"
        );
    }
    if let Some(items) = read {
        tastebud_fuzz::check_candidates(items);
    }
});
