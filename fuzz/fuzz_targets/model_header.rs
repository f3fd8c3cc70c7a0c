//! The input as the safetensors header (JSON: tensor dtypes, shapes, offsets, and the metadata
//! holding the model config) over the default model's tensor data, so that mutated configs
//! (`dim`, `heads`, `max_len`, `ffn_dim`, hashing, blend) and shapes reach validation. Same
//! invariants as `model_bytes`.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tastebud::Model;
use tastebud_fuzz::DEFAULT_MODEL;

/// The default model's tensor data: everything after its header.
static DATA: LazyLock<&[u8]> = LazyLock::new(|| {
    let len = u64::from_le_bytes(DEFAULT_MODEL[..8].try_into().unwrap()) as usize;
    &DEFAULT_MODEL[8 + len..]
});

fuzz_target!(|header: &[u8]| {
    let mut bytes = Vec::with_capacity(8 + header.len() + DATA.len());
    bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(&DATA);
    if let Ok(model) = Model::from_bytes(&bytes) {
        tastebud_fuzz::rank_with(model);
    }
});
