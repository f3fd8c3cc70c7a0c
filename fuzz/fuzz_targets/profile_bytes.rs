//! Raw bytes → `Profile::from_bytes`: never panics; what it accepts round-trips byte-identically
//! and ranks, explains, summarises and exports JSON at any `now_ms` (see `tastebud_fuzz`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tastebud::Profile;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(profile) = Profile::from_bytes(bytes) {
        tastebud_fuzz::check_profile(profile, bytes.len());
    }
});
