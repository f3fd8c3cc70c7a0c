//! The input as a profile's postcard payload, framed with a valid header and CRC-32, so that
//! every crafted field (times at the i64 limits, counts, NaN affinities, odd strings) reaches
//! the decoder's checks: same invariants as `profile_bytes`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tastebud::Profile;

fuzz_target!(|payload: &[u8]| {
    if let Ok(profile) = Profile::from_bytes(&tastebud_fuzz::frame_profile(payload)) {
        tastebud_fuzz::check_profile(profile, payload.len());
    }
});
