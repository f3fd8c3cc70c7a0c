//! Raw bytes → `Model::from_bytes`: never panics; a model it accepts ranks a few items for a
//! small profile without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tastebud::Model;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(model) = Model::from_bytes(bytes) {
        tastebud_fuzz::rank_with(model);
    }
});
