//! The GPU's top k is the CPU's, natively: on whatever adapter wgpu finds here (Mesa's
//! lavapipe, Vulkan on the CPU, on the test machine; `scripts/setup.sh` installs it).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use pollster::block_on;
use tastebud_gpu::{Gpu, Scorer};

fn gpu() -> Gpu {
    let gpu =
        block_on(Gpu::new()).expect("a GPU adapter (lavapipe: apt install mesa-vulkan-drivers)");
    eprintln!("adapter: {}", gpu.adapter());
    gpu
}

#[test]
fn the_gpu_top_k_is_the_cpu_top_k() {
    block_on(common::the_gpu_top_k_is_the_cpu_top_k(&gpu()));
}

#[test]
fn equal_scores_go_by_the_lower_index() {
    block_on(common::equal_scores_go_by_the_lower_index(&gpu()));
}

#[test]
fn a_lost_device_is_an_error() {
    block_on(common::a_lost_device_is_an_error(&gpu()));
}

#[test]
fn bad_input_is_refused() {
    block_on(common::bad_input_is_refused(&gpu()));
}

#[test]
fn the_gpu_ranking_is_the_cpu_ranking() {
    let mut scorer = block_on(Scorer::new());
    block_on(common::rank::the_gpu_ranking_is_the_cpu_ranking(
        &mut scorer,
        &[1_000, 10_000, 100_000],
    ));
}

#[test]
fn a_lost_device_falls_back_to_the_cpu() {
    let mut scorer = block_on(Scorer::new());
    block_on(common::rank::a_lost_device_falls_back_to_the_cpu(
        &mut scorer,
    ));
}

#[test]
fn a_timeout_falls_back_to_the_cpu() {
    let mut scorer = block_on(Scorer::new());
    block_on(common::rank::a_timeout_falls_back_to_the_cpu(&mut scorer));
}
