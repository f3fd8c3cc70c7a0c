//! Ranking catalogs on the GPU (the `gpu` feature; the package's `tastebud/gpu`):
//! `rankCatalogAsync` scores through a [`tastebud_gpu::Scorer`], made by its first call, and
//! ranks on the CPU from the GPU's first failure on (or once it takes longer than
//! `setGpuTimeout` allows), as the scorer does; `backend()` says where and why. The results
//! are the CPU's either way (the GPU only picks the candidates the CPU scores again), so a page
//! can switch between `rankCatalog` and `rankCatalogAsync` freely.
//!
//! Both borrow the personalizer and the catalog until the promise settles (wasm-bindgen holds
//! them across the awaits): the package's JavaScript refuses other calls on them meanwhile with
//! `busy`, instead of wasm-bindgen's "recursive use of an object" error.

use std::time::Duration;

use serde::Serialize;
use tastebud_gpu::{Backend, Scorer};
use wasm_bindgen::prelude::*;

use crate::error::Result;
use crate::{input, now, rank_options, Catalog, Personalizer};

#[wasm_bindgen(typescript_custom_section)]
const GPU_TYPES: &str = r#"
/** Where `rankCatalogAsync` ranks: on the GPU (the adapter's name, backend and kind; a software
 * adapter such as SwiftShader says `Cpu`), or on the CPU and why: `code` is `gpu_no_adapter`
 * (no WebGPU, or no adapter), `gpu_lost` (the device was lost), `gpu_failed` (a WebGPU error),
 * `gpu_invalid` (the model's vectors do not fit the GPU's kernels), `gpu_timeout` (the GPU took
 * longer than `setGpuTimeout` allows), or `not_started` before the first `rankCatalogAsync`
 * looked for a GPU. Once on the CPU, a personalizer stays there. */
export type Backend =
  | { kind: "gpu"; adapter: string }
  | { kind: "cpu"; code: "gpu_no_adapter" | "gpu_lost" | "gpu_failed" | "gpu_invalid" | "gpu_timeout" | "not_started"; reason: string };
"#;

/// [`Backend`] as JavaScript reads it.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Where {
    Gpu { adapter: String },
    Cpu { code: &'static str, reason: String },
}

#[wasm_bindgen]
impl Personalizer {
    /// `rankCatalog`, scored on the GPU while it works: the first call looks for a GPU (WebGPU),
    /// and a catalog's vectors go to it on the catalog's first ranking there. No GPU, a lost
    /// device or any WebGPU error ranks on the CPU instead, then and from then on (`backend()`
    /// says why); the ranking is the CPU's either way. Rejects as `rankCatalog` throws.
    #[wasm_bindgen(js_name = rankCatalogAsync, unchecked_return_type = "Ranked[]")]
    pub async fn rank_catalog_async(
        &mut self,
        catalog: &mut Catalog,
        #[wasm_bindgen(unchecked_optional_param_type = "RankOptions")] options: Option<String>,
    ) -> Result<JsValue> {
        let options = rank_options(options)?;
        let now = now();
        let scorer = match &mut self.scorer {
            Some(scorer) => scorer,
            none => none.insert(Scorer::new().await),
        };
        if let Some(gpu) = scorer.gpu() {
            gpu.set_timeout(self.gpu_timeout);
        }
        let ranked = scorer
            .rank_catalog_in(
                &mut self.inner,
                &catalog.inner,
                &mut catalog.on_gpu,
                &options,
                now,
            )
            .await?;
        input::to_js(&ranked)
    }

    /// How long `rankCatalogAsync` waits for the GPU's results, in milliseconds (a positive
    /// number, at most 2^31 - 1; 60,000 by default): a GPU that takes longer is given up, and
    /// that ranking and the later ones are the CPU's (`backend()` says `gpu_timeout`).
    #[wasm_bindgen(js_name = setGpuTimeout)]
    pub fn set_gpu_timeout(&mut self, ms: f64) -> Result<()> {
        if !(ms > 0.0 && ms <= f64::from(i32::MAX)) {
            return Err(tastebud::Error::InvalidOptions(format!(
                "a GPU timeout is a positive number of milliseconds, at most 2147483647; not {ms}"
            ))
            .into());
        }
        self.gpu_timeout = Duration::from_secs_f64(ms / 1e3);
        Ok(())
    }

    /// Where `rankCatalogAsync` ranks, and why not on the GPU.
    #[wasm_bindgen(unchecked_return_type = "Backend")]
    pub fn backend(&self) -> Result<JsValue> {
        let at = match self.scorer.as_ref().map(Scorer::backend) {
            Some(Backend::Gpu(adapter)) => Where::Gpu { adapter },
            Some(Backend::Cpu(e)) => Where::Cpu {
                code: e.code(),
                reason: e.to_string(),
            },
            None => Where::Cpu {
                code: "not_started",
                reason: "no rankCatalogAsync has looked for a GPU yet".into(),
            },
        };
        input::to_js(&at)
    }
}
