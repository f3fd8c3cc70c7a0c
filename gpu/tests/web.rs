//! The GPU's top k is the CPU's in headless Chromium, on WebGPU (SwiftShader's adapter, with
//! gpu/webdriver.json's flags); built with `TASTEBUD_GPU_ADAPTER=none` and run without those
//! flags, that no adapter is an error to fall back on, not a failure.
#![cfg(target_arch = "wasm32")]

mod common;

use tastebud_gpu::{Gpu, GpuError, Scorer};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// `none` when this run has no WebGPU adapter (see the module's comment).
const ADAPTER: Option<&str> = option_env!("TASTEBUD_GPU_ADAPTER");

async fn gpu() -> Option<Gpu> {
    let gpu = Gpu::new().await;
    if ADAPTER == Some("none") {
        let error = gpu.err().expect("no WebGPU adapter without the flags");
        assert!(matches!(error, GpuError::NoAdapter(_)), "{error:?}");
        assert_eq!(error.code(), "gpu_no_adapter");
        return None;
    }
    let gpu = gpu.expect("SwiftShader's WebGPU adapter (--enable-unsafe-webgpu)");
    wasm_bindgen_test::console_log!("adapter: {}", gpu.adapter());
    Some(gpu)
}

#[wasm_bindgen_test]
async fn the_gpu_top_k_is_the_cpu_top_k() {
    if let Some(gpu) = gpu().await {
        common::the_gpu_top_k_is_the_cpu_top_k(&gpu).await;
    }
}

#[wasm_bindgen_test]
async fn equal_scores_go_by_the_lower_index() {
    if let Some(gpu) = gpu().await {
        common::equal_scores_go_by_the_lower_index(&gpu).await;
    }
}

#[wasm_bindgen_test]
async fn a_lost_device_is_an_error() {
    if let Some(gpu) = gpu().await {
        common::a_lost_device_is_an_error(&gpu).await;
    }
}

#[wasm_bindgen_test]
async fn bad_input_is_refused() {
    if let Some(gpu) = gpu().await {
        common::bad_input_is_refused(&gpu).await;
    }
}

/// The default model's rankings on the GPU are the CPU's; without an adapter, the CPU ranks.
#[wasm_bindgen_test]
async fn the_gpu_ranking_is_the_cpu_ranking() {
    let mut scorer = Scorer::new().await;
    if ADAPTER == Some("none") {
        common::rank::without_an_adapter_the_cpu_ranks(&mut scorer).await;
    } else {
        let sizes = [1_000, 10_000, 100_000];
        common::rank::the_gpu_ranking_is_the_cpu_ranking(&mut scorer, &sizes).await;
    }
}

#[wasm_bindgen_test]
async fn a_lost_device_falls_back_to_the_cpu() {
    if ADAPTER != Some("none") {
        let mut scorer = Scorer::new().await;
        common::rank::a_lost_device_falls_back_to_the_cpu(&mut scorer).await;
    }
}

/// A browser's WebGPU is raced against a timer: past `Gpu::set_timeout`, the CPU ranks.
#[wasm_bindgen_test]
async fn a_timeout_falls_back_to_the_cpu() {
    if ADAPTER != Some("none") {
        let mut scorer = Scorer::new().await;
        common::rank::a_timeout_falls_back_to_the_cpu(&mut scorer).await;
    }
}
