//! The GPU side: device and queue, pipeline cache, buffer pool, and the host wrapper of each shader
//! (same name as its file in `shaders/`).

pub(crate) mod chain;
pub(crate) mod compact;
pub(crate) mod elementwise;
pub(crate) mod ids;
pub(crate) mod memory;
pub(crate) mod pipelines;
pub(crate) mod reduce;
pub(crate) mod scan;
pub(crate) mod scan_chained;
pub(crate) mod search;
pub(crate) mod strings;
pub(crate) mod text;
pub(crate) mod text_match;
pub(crate) mod timing;
pub(crate) mod uuid5;

use std::sync::{Arc, Mutex};

use crate::engine::AdapterInfo;
use crate::error::{Error, Result};
use memory::{BufferPool, ErrorSink};
use pipelines::{Kernel, Overrides, PipelineCache, ShaderDesc, table::consts};

/// The largest storage binding we use, whatever the adapter allows.
const BINDING_CAP: u64 = 2 << 30;
/// Elements of a u32 tile; segments are whole multiples of it.
pub(crate) const TILE_U32: u64 = consts::TILE_WORDS as u64;

/// A device, its queue, and what is cached for them.
pub(crate) struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: AdapterInfo,
    /// Elements per segment of a device array, for every element size (sized for 8-byte elements).
    pub segment_elems: u64,
    pub max_buffer_size: u64,
    /// Scan with the single-pass chained scan (`shaders/scan_chained.wgsl`) where it applies, rather
    /// than reduce-then-scan; set once by the engine builder.
    pub scan_single_pass: std::sync::atomic::AtomicBool,
    /// `SPIN_LIMIT` of the chained scan (polls of a not-ready predecessor before the fallback).
    pub scan_spin_limit: std::sync::atomic::AtomicU32,
    pipelines: PipelineCache,
    pool: BufferPool,
    errors: ErrorSink,
    /// Timestamp queries of an open device-timing scope ([`timing`]).
    timer: timing::Slot,
}

/// An adapter found by enumeration, with why it may or may not be used.
pub(crate) struct Candidate {
    pub adapter: wgpu::Adapter,
    pub info: wgpu::AdapterInfo,
    pub compute: bool,
}

impl Candidate {
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// Higher is better: hardware before software, native APIs before GL.
    pub fn rank(&self) -> (u8, u8) {
        let device = match self.info.device_type {
            wgpu::DeviceType::DiscreteGpu => 4,
            wgpu::DeviceType::IntegratedGpu => 3,
            wgpu::DeviceType::VirtualGpu => 2,
            wgpu::DeviceType::Other => 1,
            wgpu::DeviceType::Cpu => 0,
        };
        let api = match self.info.backend {
            wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 1,
            _ => 0,
        };
        (device, api)
    }
}

/// Every adapter wgpu finds (all backends, `WGPU_BACKEND` honoured).
pub(crate) fn enumerate() -> Vec<Candidate> {
    let instance = wgpu::Instance::new(
        wgpu::InstanceDescriptor {
            backends: wgpu::Backends::all(),
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        }
        .with_env(),
    );
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    adapters
        .into_iter()
        .map(|adapter| {
            let info = adapter.get_info();
            let compute = adapter.get_downlevel_capabilities().flags.contains(wgpu::DownlevelFlags::COMPUTE_SHADERS);
            Candidate { adapter, info, compute }
        })
        .collect()
}

/// Optional device features requested where the adapter offers them: subgroup operations (for
/// subgroup-based workgroup scans) and timestamp queries (device-side timings).
pub(crate) const OPTIONAL_FEATURES: wgpu::Features = wgpu::Features::SUBGROUP.union(wgpu::Features::TIMESTAMP_QUERY);

/// Refuses a device whose limits are below what the kernels need.
fn check_limits(name: &str, limits: &wgpu::Limits) -> Result<()> {
    let need = |what: &str, have: u64, want: u64| -> Result<()> {
        if have < want {
            return Err(Error::DeviceRequest {
                adapter: name.to_string(),
                message: format!("{what} is {have}, below the {want} the kernels need"),
            });
        }
        Ok(())
    };
    need(
        "max_compute_workgroups_per_dimension",
        limits.max_compute_workgroups_per_dimension.into(),
        consts::MAX_GROUPS_X.into(),
    )?;
    need(
        "max_compute_invocations_per_workgroup",
        limits.max_compute_invocations_per_workgroup.into(),
        consts::WG.into(),
    )?;
    need(
        "max_compute_workgroup_storage_size",
        limits.max_compute_workgroup_storage_size.into(),
        (consts::WG * 8).into(),
    )?;
    need("max_storage_buffers_per_shader_stage", limits.max_storage_buffers_per_shader_stage.into(), 4)
}

impl GpuContext {
    /// Creates the device on `cand` with the adapter's own limits and the optional features we use.
    pub(crate) fn new(cand: &Candidate, max_binding_bytes: Option<u64>) -> Result<Arc<Self>> {
        let adapter = &cand.adapter;
        let limits = adapter.limits();
        check_limits(&cand.info.name, &limits)?;
        // Optional features, requested only where the adapter offers them (engine.info() lists them).
        // No kernel depends on them yet: shaders keep their workgroup-memory paths on every device.
        let features = adapter.features() & OPTIONAL_FEATURES;
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("streamliner"),
            required_features: features,
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| Error::DeviceRequest { adapter: cand.info.name.clone(), message: e.to_string() })?;
        Self::with_device(&cand.info, device, queue, max_binding_bytes)
    }

    /// A context on a device someone else created: its own limits and features, as the caller chose
    /// them. The engine's error handlers are installed on the device (they replace earlier ones).
    pub(crate) fn with_device(
        adapter: &wgpu::AdapterInfo,
        device: wgpu::Device,
        queue: wgpu::Queue,
        max_binding_bytes: Option<u64>,
    ) -> Result<Arc<Self>> {
        let limits = device.limits();
        check_limits(&adapter.name, &limits)?;
        let features = device.features() & OPTIONAL_FEATURES;

        let errors: ErrorSink = Arc::new(Mutex::new(Vec::new()));
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e| {
            log::error!("streamliner: GPU error: {e}");
            sink.lock().unwrap_or_else(|p| p.into_inner()).push(e.to_string());
        }));
        let lost_sink = errors.clone();
        device.set_device_lost_callback(move |reason, msg| {
            log::error!("streamliner: GPU device lost ({reason:?}): {msg}");
            lost_sink.lock().unwrap_or_else(|p| p.into_inner()).push(format!("device lost ({reason:?}): {msg}"));
        });

        let binding = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size).min(BINDING_CAP);
        let binding = match max_binding_bytes {
            Some(cap) => binding.min(cap),
            None => binding,
        };
        // Segments hold whole u32 tiles and fit one binding even at 8 bytes an element.
        let segment_elems = (binding / 8 / TILE_U32) * TILE_U32;
        if segment_elems == 0 {
            return Err(Error::invalid(
                "max_binding_bytes",
                binding,
                format!("must be at least {} bytes", TILE_U32 * 8),
            ));
        }
        let info = AdapterInfo::new(adapter, &limits, features, segment_elems);
        Ok(Arc::new(GpuContext {
            device,
            queue,
            info,
            segment_elems,
            max_buffer_size: limits.max_buffer_size,
            scan_single_pass: std::sync::atomic::AtomicBool::new(false),
            scan_spin_limit: std::sync::atomic::AtomicU32::new(crate::gpu::scan_chained::DEFAULT_SPIN_LIMIT),
            pipelines: PipelineCache::default(),
            pool: BufferPool::default(),
            errors,
            timer: timing::Slot::default(),
        }))
    }

    /// The cached pipeline of `entry` in `shader` with `overrides`.
    pub(crate) fn kernel(
        &self,
        shader: &'static ShaderDesc,
        entry: &str,
        overrides: Overrides<'_>,
    ) -> Result<Arc<Kernel>> {
        self.pipelines.get(&self.device, shader, entry, overrides)
    }

    pub(crate) fn encoder(&self) -> wgpu::CommandEncoder {
        self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("streamliner") })
    }
}

/// Workgroups for `n` items at one invocation each.
pub(crate) fn item_groups(n: u64) -> u64 {
    n.div_ceil(u64::from(consts::ITEM_WG))
}

/// A u64 as WGSL's `vec2<u32>(low, high)`.
pub(crate) fn u64_words(v: u64) -> [u32; 2] {
    [v as u32, (v >> 32) as u32]
}

/// Bytes packed into little-endian u32 words (at least one), zero-padded.
pub(crate) fn byte_words(bytes: &[u8]) -> Vec<u32> {
    let mut w = vec![0u32; bytes.len().div_ceil(4).max(1)];
    bytemuck::cast_slice_mut::<u32, u8>(&mut w)[..bytes.len()].copy_from_slice(bytes);
    w
}

/// Records one dispatch of `kernel` over `groups` workgroups (2D when past one row), writing the
/// pass's begin and end timestamps to `timestamps` (a query set and the first of two indices) if given.
pub(crate) fn dispatch(
    encoder: &mut wgpu::CommandEncoder,
    kernel: &Kernel,
    bind_group: &wgpu::BindGroup,
    groups: u64,
    timestamps: Option<(wgpu::QuerySet, u32)>,
) {
    if groups == 0 {
        return;
    }
    let timestamp_writes = timestamps.as_ref().map(|(set, i)| wgpu::ComputePassTimestampWrites {
        query_set: set,
        beginning_of_pass_write_index: Some(*i),
        end_of_pass_write_index: Some(i + 1),
    });
    let per_row = u64::from(consts::MAX_GROUPS_X);
    let x = groups.min(per_row) as u32;
    let y = groups.div_ceil(per_row) as u32;
    let mut pass =
        encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(kernel.desc.name), timestamp_writes });
    pass.set_pipeline(&kernel.pipeline);
    pass.set_bind_group(0, bind_group, &[]);
    pass.dispatch_workgroups(x, y, 1);
}

/// A command encoder and the pooled buffers its commands use: they go back to the pool only once the
/// commands are submitted, so no other call can write them first.
pub(crate) struct Batch {
    pub ctx: Arc<GpuContext>,
    pub enc: wgpu::CommandEncoder,
    keep: Vec<memory::PooledBuffer>,
}

impl Batch {
    pub fn new(ctx: &Arc<GpuContext>) -> Self {
        Batch { ctx: ctx.clone(), enc: ctx.encoder(), keep: Vec::new() }
    }

    /// Holds `buf` until the batch is submitted.
    pub fn keep(&mut self, buf: memory::PooledBuffer) {
        self.keep.push(buf);
    }

    /// Records a dispatch of `kernel` with `bindings` over `groups` workgroups.
    pub fn dispatch(
        &mut self,
        kernel: &Kernel,
        bindings: &[(&str, wgpu::BufferBinding<'_>)],
        groups: u64,
    ) -> Result<()> {
        let bg = kernel.bind(&self.ctx.device, bindings)?;
        let timestamps = if groups == 0 { None } else { timing::next_pass(&self.ctx) };
        dispatch(&mut self.enc, kernel, &bg, groups, timestamps);
        Ok(())
    }

    /// Submits without waiting (resident work; a later readback or `wait` completes it).
    pub fn submit(self) {
        self.ctx.queue.submit(Some(self.enc.finish()));
    }
}
