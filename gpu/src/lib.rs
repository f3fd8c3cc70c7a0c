//! Whole-catalog ranking on a GPU, through wgpu: WebGPU in browsers, Vulkan, Metal or DX12
//! natively, with the CPU's results.
//!
//! [`Scorer`] ranks a personalizer's prepared catalogs: the catalog's vectors go to the GPU
//! once ([`Scorer::prepare`]); each ranking is planned by the core
//! ([`tastebud::CatalogPlan`]: the profile's vectors and weights as one linear [`Scoring`]),
//! scored and cut to its best candidates on the GPU (an exact radix select, `top_k.wgsl`,
//! reading back only those), then scored again, diversified and explained on the CPU. No
//! adapter, a lost device or any wgpu error sends that ranking and the later ones to the CPU,
//! and [`Scorer::backend`] says why.
//!
//! ```no_run
//! use tastebud::{Model, Personalizer, Profile, RankOptions};
//! use tastebud_gpu::{Backend, Scorer};
//! # async fn run(items: Vec<tastebud::Item>, now_ms: i64) -> Result<(), Box<dyn std::error::Error>> {
//! let model = Model::from_bytes(&std::fs::read("model/model.safetensors")?)?;
//! let mut shop = Personalizer::new(model, Profile::default());
//! let mut scorer = Scorer::new().await; // the GPU, or the CPU and why not
//! let mut catalog = scorer.prepare(shop.catalog(items)?);
//! let options = RankOptions { k: Some(100), ..RankOptions::default() };
//! let ranked = scorer.rank_catalog(&mut shop, &mut catalog, &options, now_ms).await?;
//! if let Backend::Cpu(why) = scorer.backend() {
//!     eprintln!("ranked on the CPU: {} ({why})", why.code());
//! }
//! # let _ = ranked;
//! # Ok(())
//! # }
//! ```
//!
//! [`Gpu`] is the layer below: any catalog's vectors, any [`Scoring`], the best `k`. Its order is
//! the CPU's: higher score first, equal scores by lower index (`f32::total_cmp`). Everything a
//! GPU can do wrong is a [`GpuError`] with a stable code.
#![warn(missing_docs)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tastebud::Scoring;
use wgpu::util::DeviceExt;

mod rank;
#[cfg(target_arch = "wasm32")]
mod timer;

pub use rank::{Backend, GpuSlot, Prepared, Scorer};

/// Most probe vectors one scoring weighs (intent, taste, query, and one spare).
pub const MAX_PROBES: usize = 4;
/// Widest vectors the kernels take (the probes' uniform block holds 4 × 128 floats).
pub const MAX_DIM: usize = 128;
/// Most items in one catalog: the select's key keeps 24 bits of the index.
pub const MAX_ITEMS: usize = 1 << 24;

const WORKGROUP: u32 = 256;
/// Workgroups of the histogram passes, each striding over the whole catalog.
const HISTOGRAM_GROUPS: u32 = 128;
/// Digits of the select's 56-bit key: 32 bits of score, 24 of index, 8 at a time.
const DIGITS: usize = 7;

/// What went wrong on the GPU; nothing of the caller's state changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GpuError {
    /// No GPU adapter (no WebGPU in this browser, no Vulkan driver…).
    #[error("no GPU adapter: {0}")]
    NoAdapter(String),
    /// The device was lost (destroyed, reset, or its driver failed); a new [`Gpu`] may work.
    #[error("the GPU device was lost: {0}")]
    Lost(String),
    /// wgpu reported an error (validation, out of memory, internal).
    #[error("GPU error: {0}")]
    Failed(String),
    /// The catalog or the scoring does not fit the kernels' limits, or they disagree.
    #[error("invalid GPU input: {0}")]
    Invalid(String),
    /// The GPU did not finish within [`Gpu::set_timeout`]'s time; the device is best left
    /// alone after it.
    #[error("the GPU took longer than {0:?}")]
    Timeout(std::time::Duration),
}

impl GpuError {
    /// A short, stable identifier of the kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            GpuError::NoAdapter(_) => "gpu_no_adapter",
            GpuError::Lost(_) => "gpu_lost",
            GpuError::Failed(_) => "gpu_failed",
            GpuError::Invalid(_) => "gpu_invalid",
            GpuError::Timeout(_) => "gpu_timeout",
        }
    }
}

type Result<T, E = GpuError> = std::result::Result<T, E>;

/// A GPU device with the scoring kernels compiled.
pub struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
    adapter: String,
    common: wgpu::BindGroupLayout,
    per_chunk: wgpu::BindGroupLayout,
    kernels: Kernels,
    /// Largest storage binding, in bytes: a catalog's vectors are split into chunks of it.
    max_binding: u64,
    lost: Arc<AtomicBool>,
    /// The first error wgpu reported outside a call's own checks.
    error: Arc<Mutex<Option<String>>>,
    /// How long a call waits for the GPU's results.
    timeout: Duration,
}

/// How long a call waits for the GPU by default: a thousand times what a million items take on
/// lavapipe, a software GPU, natively.
pub const TIMEOUT: Duration = Duration::from_secs(60);

struct Kernels {
    score: wgpu::ComputePipeline,
    add_sparse: wgpu::ComputePipeline,
    histogram: wgpu::ComputePipeline,
    select_digit: wgpu::ComputePipeline,
    compact: wgpu::ComputePipeline,
}

/// A catalog's vectors (and optional per-item order term) on the GPU, with the buffers a
/// scoring of it works in.
pub struct GpuCatalog {
    n: usize,
    dim: usize,
    has_order: bool,
    /// Each chunk's vectors (with its place in the catalog) and its number of rows.
    chunks: Vec<(wgpu::BindGroup, usize)>,
    buffers: Buffers,
    /// The buffers' bind group, made again when the sparse buffer grows.
    common: wgpu::BindGroup,
    sparse_capacity: usize,
    readback: wgpu::Buffer,
}

/// The buffers of `top_k.wgsl`'s group 0, in binding order.
struct Buffers {
    params: wgpu::Buffer,
    probes: wgpu::Buffer,
    order: wgpu::Buffer,
    sparse: wgpu::Buffer,
    scores: wgpu::Buffer,
    hist: wgpu::Buffer,
    select: wgpu::Buffer,
    picked: wgpu::Buffer,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n_total: u32,
    n_probes: u32,
    dim4: u32,
    n_sparse: u32,
    weights: [f32; 4],
    order_weight: f32,
    has_order: u32,
    _pad: [u32; 2],
}

impl Gpu {
    /// The first GPU adapter wgpu finds (a high-performance one where there is a choice), with
    /// the kernels compiled for it.
    pub async fn new() -> Result<Gpu> {
        let backends = if cfg!(target_arch = "wasm32") {
            wgpu::Backends::BROWSER_WEBGPU
        } else {
            wgpu::Backends::PRIMARY
        };
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: backends.with_env(),
            flags: wgpu::InstanceFlags::default().with_env(),
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("tastebud"),
                required_limits: wgpu::Limits {
                    max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
                    max_buffer_size: limits.max_buffer_size,
                    ..wgpu::Limits::default()
                },
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::NoAdapter(e.to_string()))?;

        let lost = Arc::new(AtomicBool::new(false));
        let error = Arc::new(Mutex::new(None));
        {
            let lost = lost.clone();
            device.set_device_lost_callback(move |_, _| lost.store(true, Ordering::SeqCst));
            let error = error.clone();
            device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
                if let Ok(mut slot) = error.lock() {
                    slot.get_or_insert_with(|| e.to_string());
                }
            }));
        }

        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("top_k.wgsl"),
            source: wgpu::ShaderSource::Wgsl(include_str!("top_k.wgsl").into()),
        });
        let storage = |binding, read_only| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let uniform = |binding| wgpu::BindGroupLayoutEntry {
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            ..storage(binding, true)
        };
        let common = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("common"),
            entries: &[
                uniform(0),
                uniform(1),
                storage(2, true),
                storage(3, true),
                storage(4, false),
                storage(5, false),
                storage(6, false),
                storage(7, false),
            ],
        });
        let per_chunk = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("chunk"),
            entries: &[storage(0, true), uniform(1)],
        });
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("top_k"),
            bind_group_layouts: &[Some(&common), Some(&per_chunk)],
            immediate_size: 0,
        });
        let kernel = |entry: &str| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: Some(&layout),
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            })
        };
        let kernels = Kernels {
            score: kernel("score"),
            add_sparse: kernel("add_sparse"),
            histogram: kernel("histogram"),
            select_digit: kernel("select_digit"),
            compact: kernel("compact"),
        };
        if let Some(e) = scope.pop().await {
            return Err(GpuError::Failed(e.to_string()));
        }
        // Browsers may keep the adapter's name to themselves (SwiftShader's is empty).
        let name = if info.name.is_empty() {
            "unnamed"
        } else {
            &info.name
        };
        Ok(Gpu {
            adapter: format!("{name} ({:?}, {:?})", info.backend, info.device_type),
            max_binding: limits
                .max_storage_buffer_binding_size
                .min(limits.max_buffer_size),
            device,
            queue,
            common,
            per_chunk,
            kernels,
            lost,
            error,
            timeout: TIMEOUT,
        })
    }

    /// How long a call may wait for the GPU's results before it is a [`GpuError::Timeout`]
    /// ([`TIMEOUT`] by default).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The adapter's name, backend and kind (a software adapter says `Cpu`).
    pub fn adapter(&self) -> &str {
        &self.adapter
    }

    /// Destroys the device, as a driver failure would lose it: for tests of the fallback.
    pub fn destroy(&self) {
        self.device.destroy();
    }

    /// Uploads a catalog: `vectors` (`n × dim`, row-major) and, when given, one order term per
    /// item (weighed by [`Scoring::order_weight`]).
    pub fn catalog(
        &self,
        vectors: &[f32],
        dim: usize,
        order: Option<&[f32]>,
    ) -> Result<GpuCatalog> {
        self.check()?;
        if dim == 0 || !dim.is_multiple_of(4) || dim > MAX_DIM {
            return Err(GpuError::Invalid(format!(
                "vectors of {dim} dimensions; the kernels take multiples of 4 up to {MAX_DIM}"
            )));
        }
        if !vectors.len().is_multiple_of(dim) {
            return Err(GpuError::Invalid("vectors are not whole rows".into()));
        }
        let n = vectors.len() / dim;
        if n > MAX_ITEMS {
            return Err(GpuError::Invalid(format!("{n} items; at most {MAX_ITEMS}")));
        }
        if order.is_some_and(|o| o.len() != n) {
            return Err(GpuError::Invalid("one order term per item".into()));
        }
        let storage = |label, contents: &[u8], extra| {
            self.device
                .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some(label),
                    contents,
                    usage: wgpu::BufferUsages::STORAGE | extra,
                })
        };
        let empty = wgpu::BufferUsages::empty();
        // A buffer per chunk of whole rows, each within the largest storage binding.
        let row_bytes = (dim * 4) as u64;
        let rows_per_chunk = ((self.max_binding / row_bytes) as usize).max(1);
        let chunks = vectors
            .chunks(rows_per_chunk * dim)
            .enumerate()
            .map(|(c, rows)| {
                let items = storage("items", bytemuck::cast_slice(rows), empty);
                let range = [(c * rows_per_chunk) as u32, (rows.len() / dim) as u32];
                let chunk = self
                    .device
                    .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                        label: Some("chunk"),
                        contents: bytemuck::cast_slice(&range),
                        usage: wgpu::BufferUsages::UNIFORM,
                    });
                let group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("chunk"),
                    layout: &self.per_chunk,
                    entries: &[entry(0, &items), entry(1, &chunk)],
                });
                (group, rows.len() / dim)
            })
            .collect();
        // Buffers cannot be empty: an absent order or an empty catalog binds one float.
        let order_values = order.filter(|o| !o.is_empty()).unwrap_or(&[0.0]);
        // Room for every item's pair: k may be up to n.
        let pair_bytes = (n.max(1) * 8) as u64;
        let (uniform, storage_rw) = (wgpu::BufferUsages::UNIFORM, wgpu::BufferUsages::STORAGE);
        let copy_dst = wgpu::BufferUsages::COPY_DST;
        let sparse_capacity = 64;
        let buffers = Buffers {
            params: self.buffer(
                "params",
                std::mem::size_of::<Params>() as u64,
                uniform | copy_dst,
            ),
            probes: self.buffer(
                "probes",
                (MAX_PROBES * MAX_DIM * 4) as u64,
                uniform | copy_dst,
            ),
            order: storage("order", bytemuck::cast_slice(order_values), empty),
            sparse: self.sparse_buffer(sparse_capacity),
            scores: self.buffer("scores", (n.max(1) * 4) as u64, storage_rw),
            hist: self.buffer("hist", 256 * 4, storage_rw),
            select: self.buffer("select", 5 * 4, storage_rw | copy_dst),
            picked: self.buffer(
                "picked",
                pair_bytes,
                storage_rw | wgpu::BufferUsages::COPY_SRC,
            ),
        };
        let catalog = GpuCatalog {
            n,
            dim,
            has_order: order.is_some(),
            chunks,
            common: self.common_group(&buffers),
            buffers,
            sparse_capacity,
            readback: self.buffer(
                "readback",
                pair_bytes,
                wgpu::BufferUsages::MAP_READ | copy_dst,
            ),
        };
        self.check()?;
        Ok(catalog)
    }

    /// The best `k` items of `catalog` under `scoring`: `(index, score)`, best first, equal
    /// scores by lower index.
    pub async fn top_k(
        &self,
        catalog: &mut GpuCatalog,
        scoring: &Scoring,
        k: usize,
    ) -> Result<Vec<(u32, f32)>> {
        self.check()?;
        let (n, dim) = (catalog.n, catalog.dim);
        let probes = &scoring.probes;
        if probes.len() > MAX_PROBES {
            return Err(GpuError::Invalid(format!(
                "{} probes; at most {MAX_PROBES}",
                probes.len()
            )));
        }
        if probes.iter().any(|(p, _)| p.len() != dim) {
            return Err(GpuError::Invalid(format!(
                "probes must have {dim} dimensions"
            )));
        }
        if let Some(&(i, _)) = scoring.additions.iter().find(|&&(i, _)| i as usize >= n) {
            return Err(GpuError::Invalid(format!("an addition to item {i} of {n}")));
        }
        let k = k.min(n);
        if k == 0 {
            return Ok(Vec::new());
        }

        // One addition per item (the kernel adds them in parallel): repeats are summed here.
        let mut additions = scoring.additions.clone();
        additions.sort_by_key(|&(i, _)| i);
        additions.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 += later.1;
            }
            same
        });
        let sparse: Vec<[u32; 2]> = additions
            .iter()
            .map(|&(i, add)| [i, add.to_bits()])
            .collect();
        let mut weights = [0f32; MAX_PROBES];
        for (w, (_, weight)) in weights.iter_mut().zip(probes) {
            *w = *weight;
        }
        let params = Params {
            n_total: n as u32,
            n_probes: probes.len() as u32,
            dim4: (dim / 4) as u32,
            n_sparse: sparse.len() as u32,
            weights,
            order_weight: scoring.order_weight,
            has_order: catalog.has_order as u32,
            _pad: [0; 2],
        };
        let flat: Vec<f32> = probes.iter().flat_map(|(p, _)| p.iter().copied()).collect();
        if sparse.len() > catalog.sparse_capacity {
            catalog.sparse_capacity = sparse.len().next_power_of_two();
            catalog.buffers.sparse = self.sparse_buffer(catalog.sparse_capacity);
            catalog.common = self.common_group(&catalog.buffers);
        }
        self.queue
            .write_buffer(&catalog.buffers.params, 0, bytemuck::bytes_of(&params));
        if !flat.is_empty() {
            self.queue
                .write_buffer(&catalog.buffers.probes, 0, bytemuck::cast_slice(&flat));
        }
        if !sparse.is_empty() {
            self.queue
                .write_buffer(&catalog.buffers.sparse, 0, bytemuck::cast_slice(&sparse));
        }
        let select = [0u32, 0, 0, k as u32, 0];
        self.queue
            .write_buffer(&catalog.buffers.select, 0, bytemuck::cast_slice(&select));

        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            pass.set_bind_group(0, &catalog.common, &[]);
            pass.set_pipeline(&self.kernels.score);
            for (group, rows) in &catalog.chunks {
                pass.set_bind_group(1, group, &[]);
                let (x, y) = grid(*rows);
                pass.dispatch_workgroups(x, y, 1);
            }
            // Every kernel's layout has the chunk group; the others are given the first.
            pass.set_bind_group(1, &catalog.chunks[0].0, &[]);
            if !sparse.is_empty() {
                pass.set_pipeline(&self.kernels.add_sparse);
                let (x, y) = grid(sparse.len());
                pass.dispatch_workgroups(x, y, 1);
            }
            if k < n {
                for _ in 0..DIGITS {
                    pass.set_pipeline(&self.kernels.histogram);
                    pass.dispatch_workgroups(HISTOGRAM_GROUPS, 1, 1);
                    pass.set_pipeline(&self.kernels.select_digit);
                    pass.dispatch_workgroups(1, 1, 1);
                }
            }
            pass.set_pipeline(&self.kernels.compact);
            let (x, y) = grid(n);
            pass.dispatch_workgroups(x, y, 1);
        }
        let bytes = (k * 8) as u64;
        encoder.copy_buffer_to_buffer(&catalog.buffers.picked, 0, &catalog.readback, 0, bytes);
        self.queue.submit([encoder.finish()]);

        let slice = catalog.readback.slice(..bytes);
        let (sender, receiver) = futures_channel::oneshot::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = sender.send(r);
        });
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: None,
                timeout: Some(self.timeout),
            })
            .map_err(|e| match e {
                wgpu::PollError::Timeout => GpuError::Timeout(self.timeout),
                e => GpuError::Failed(e.to_string()),
            })?;
        #[cfg(target_arch = "wasm32")]
        let mapped = timer::within(self.timeout, receiver)
            .await
            .ok_or(GpuError::Timeout(self.timeout))?;
        #[cfg(not(target_arch = "wasm32"))]
        let mapped = receiver.await;
        self.check()?;
        mapped
            .map_err(|_| GpuError::Lost("the read-back was dropped".into()))?
            .map_err(|e| GpuError::Lost(e.to_string()))?;
        let mut pairs: Vec<(u32, f32)> = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| GpuError::Failed(e.to_string()))?;
            view.chunks_exact(8)
                .map(|p| {
                    let word =
                        |at: usize| u32::from_le_bytes([p[at], p[at + 1], p[at + 2], p[at + 3]]);
                    (word(0), f32::from_bits(word(4)))
                })
                .collect()
        };
        catalog.readback.unmap();
        pairs.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(pairs)
    }

    /// An error if the device was lost or wgpu reported one since.
    fn check(&self) -> Result<()> {
        if self.lost.load(Ordering::SeqCst) {
            return Err(GpuError::Lost("the device is gone".into()));
        }
        match self.error.lock().map(|e| e.clone()) {
            Ok(Some(e)) => Err(GpuError::Failed(e)),
            Ok(None) => Ok(()),
            Err(_) => Err(GpuError::Failed("an error handler panicked".into())),
        }
    }

    fn buffer(&self, label: &str, size: u64, usage: wgpu::BufferUsages) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage,
            mapped_at_creation: false,
        })
    }

    fn sparse_buffer(&self, capacity: usize) -> wgpu::Buffer {
        self.buffer(
            "sparse",
            (capacity * 8) as u64,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        )
    }

    fn common_group(&self, c: &Buffers) -> wgpu::BindGroup {
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("common"),
            layout: &self.common,
            entries: &[
                entry(0, &c.params),
                entry(1, &c.probes),
                entry(2, &c.order),
                entry(3, &c.sparse),
                entry(4, &c.scores),
                entry(5, &c.hist),
                entry(6, &c.select),
                entry(7, &c.picked),
            ],
        })
    }
}

fn entry(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: buffer.as_entire_binding(),
    }
}

/// Workgroups for `n` invocations of 256, as a grid of at most 65,535 in x.
fn grid(n: usize) -> (u32, u32) {
    let groups = n.div_ceil(WORKGROUP as usize).max(1) as u32;
    const MAX: u32 = 65_535;
    if groups <= MAX {
        (groups, 1)
    } else {
        (MAX, groups.div_ceil(MAX))
    }
}
