//! Ranking a personalizer's prepared catalogs on the GPU, and on the CPU when the GPU cannot.

use tastebud::{Catalog, Personalizer, RankOptions, Ranked, Scoring};

use crate::{Gpu, GpuCatalog, GpuError};

/// Where catalogs are ranked: on the GPU (its adapter), or on the CPU and why.
#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    /// The adapter's name, backend and kind.
    Gpu(String),
    /// Why not on the GPU: there is none, or the error that made the scorer give it up.
    Cpu(GpuError),
}

/// Ranks a personalizer's prepared catalogs on the GPU while it works, and on the CPU from its
/// first failure on (no adapter, a lost device, any wgpu error): a ranking never fails for the
/// GPU's sake, and [`Scorer::backend`] says where the last one ran and why.
///
/// The GPU scores every item and selects the best; the CPU scores those again, exactly, and
/// diversifies and explains them (see [`tastebud::CatalogPlan`]): the results are the CPU's.
pub struct Scorer {
    gpu: Result<Gpu, GpuError>,
}

/// A catalog prepared by a personalizer ([`Personalizer::catalog`]), with its vectors on the
/// GPU when there is one.
pub struct Prepared {
    catalog: Catalog,
    slot: GpuSlot,
}

impl Prepared {
    /// The catalog, as the CPU ranks it.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }
}

/// Where a catalog's vectors are kept on the GPU, beside a catalog its host keeps itself (the
/// wasm bindings' `Catalog`, which JavaScript owns): empty until the catalog's first ranking on
/// the GPU ([`Scorer::rank_catalog_in`]) uploads them, so a catalog only ever ranked on the CPU
/// costs the GPU nothing. A slot holds buffers of one scorer's device: give each scorer its own.
#[derive(Default)]
pub struct GpuSlot {
    on_gpu: Option<GpuCatalog>,
}

impl Scorer {
    /// A scorer on the first GPU adapter, or on the CPU if there is none.
    pub async fn new() -> Scorer {
        Scorer {
            gpu: Gpu::new().await,
        }
    }

    /// Where the last ranking ran (or the next will).
    pub fn backend(&self) -> Backend {
        match &self.gpu {
            Ok(gpu) => Backend::Gpu(gpu.adapter().to_string()),
            Err(e) => Backend::Cpu(e.clone()),
        }
    }

    /// The GPU, if it is still in use: to set its timeout, or to simulate its failure.
    pub fn gpu(&mut self) -> Option<&mut Gpu> {
        self.gpu.as_mut().ok()
    }

    /// Uploads the vectors of `catalog` (from [`Personalizer::catalog`]) to the GPU.
    pub fn prepare(&mut self, catalog: Catalog) -> Prepared {
        let mut slot = GpuSlot::default();
        if let Ok(gpu) = &self.gpu {
            match upload(gpu, &catalog) {
                Ok(on_gpu) => slot.on_gpu = Some(on_gpu),
                Err(e) => self.gpu = Err(e),
            }
        }
        Prepared { catalog, slot }
    }

    /// [`Personalizer::rank_catalog`], scored on the GPU while it works.
    pub async fn rank_catalog(
        &mut self,
        personalizer: &mut Personalizer,
        prepared: &mut Prepared,
        options: &RankOptions,
        now_ms: i64,
    ) -> tastebud::Result<Vec<Ranked>> {
        let Prepared { catalog, slot } = prepared;
        self.rank_catalog_in(personalizer, catalog, slot, options, now_ms)
            .await
    }

    /// [`Scorer::rank_catalog`] of a catalog kept by the caller, its vectors on the GPU in
    /// `slot` (uploaded by the first call that ranks it there, once the core has accepted the
    /// catalog as this personalizer's).
    pub async fn rank_catalog_in(
        &mut self,
        personalizer: &mut Personalizer,
        catalog: &Catalog,
        slot: &mut GpuSlot,
        options: &RankOptions,
        now_ms: i64,
    ) -> tastebud::Result<Vec<Ranked>> {
        if let Ok(gpu) = &self.gpu {
            let best = async |scoring: &Scoring, fetch: usize| {
                let on_gpu = match &mut slot.on_gpu {
                    Some(on_gpu) => on_gpu,
                    empty => empty.insert(upload(gpu, catalog)?),
                };
                let top = gpu.top_k(on_gpu, scoring, fetch).await?;
                Ok::<_, GpuError>(top.into_iter().map(|(i, _)| i).collect())
            };
            match personalizer
                .rank_catalog_with(catalog, options, now_ms, best)
                .await?
            {
                Ok(ranked) => return Ok(ranked),
                Err(e) => self.gpu = Err(e),
            }
        }
        personalizer.rank_catalog(catalog, options, now_ms)
    }
}

/// `catalog`'s vectors and incoming order on the GPU.
fn upload(gpu: &Gpu, catalog: &Catalog) -> Result<GpuCatalog, GpuError> {
    gpu.catalog(
        catalog.vectors(),
        catalog.dim(),
        Some(catalog.incoming_order()),
    )
}
