//! Without an adapter, natively: `WGPU_BACKEND=dx12` leaves Linux none (a process of its own,
//! so that no other test sees the variable).
#![cfg(all(not(target_arch = "wasm32"), target_os = "linux"))]

mod common;

use pollster::block_on;
use tastebud_gpu::Scorer;

#[test]
fn without_an_adapter_the_cpu_ranks() {
    std::env::set_var("WGPU_BACKEND", "dx12");
    let mut scorer = block_on(Scorer::new());
    block_on(common::rank::without_an_adapter_the_cpu_ranks(&mut scorer));
}
