//! Events as a page hands them over (JSON, parts separated by 0xFF) → `wire::event_from_json`
//! → recorded into one personalizer in turn: nothing panics; after each, an accepted event
//! leaves a profile whose export round-trips byte-identically, a rejected one leaves the export
//! as it was; the final profile ranks, explains, summarises and exports JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tastebud::wire;
use tastebud_fuzz::{check_change, check_profile, parts, personalizer, small_profile};

/// What stands in for a missing `ts`, one per event in turn: today, the epoch, the limits of a
/// JavaScript `Date`, and what a broken clock gives.
const NOW_MS: [f64; 6] = [1.7e12, 0.0, -1.5, 8.64e15, f64::NAN, f64::INFINITY];

fuzz_target!(|input: &[u8]| {
    let mut p = personalizer(small_profile());
    for (json, &now) in parts(input, 64).zip(NOW_MS.iter().cycle()) {
        let before = p.profile().to_bytes();
        let accepted = wire::event_from_json(json, now)
            .and_then(|event| p.record(event))
            .is_ok();
        check_change(p.profile(), &before, accepted);
    }
    check_profile(p.profile().clone(), input.len());
});
