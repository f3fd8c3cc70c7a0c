//! Candidates as a page hands them over (a JSON array of items) → `wire::items_from_json`:
//! never panics; accepted candidates rank (or are refused with an error) without changing the
//! profile, and recording them keeps the export round-tripping (see `check_candidates`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tastebud::wire;

fuzz_target!(|json: &[u8]| {
    if let Ok(items) = wire::items_from_json(json) {
        tastebud_fuzz::check_candidates(items);
    }
});
