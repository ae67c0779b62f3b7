//! The GPU side: device and queue, pipeline cache, buffer pool, and the host wrapper of each shader
//! (same name as its file in `shaders/`).

pub(crate) mod adapter;
pub(crate) mod compact;
pub(crate) mod elementwise;
pub(crate) mod ids;
pub(crate) mod media;
pub(crate) mod memory;
pub(crate) mod pipelines;
#[cfg(test)]
mod recording_tests;
pub(crate) mod reduce;
pub(crate) mod scan;
pub(crate) mod scan_chained;
pub(crate) mod search;
pub(crate) mod sha256;
pub(crate) mod strings;
pub(crate) mod successor;
pub(crate) mod text;
pub(crate) mod text_match;
pub(crate) mod timing;
pub(crate) mod tokens;
pub(crate) mod uuid5;

use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
pub use adapter::AdapterInfo;
use memory::{BufferPool, ErrorSink};
use pipelines::{Kernel, Overrides, PipelineCache, ShaderDesc, table::consts};

/// The most lanes of a workgroup that read predecessors' status in one lookback round of the
/// single-pass scan (all of them: the workgroup size).
pub(crate) const LOOKBACK_LANES: u32 = consts::WG;

/// The largest storage binding we use, whatever the adapter allows.
const BINDING_CAP: u64 = 2 << 30;
/// Elements of a u32 tile; segments are whole multiples of it.
pub(crate) const TILE_U32: u64 = consts::TILE_WORDS as u64;

/// How the kernels run on a device, fixed when its context is made (the engine builder's options).
#[derive(Clone, Copy, Debug)]
pub(crate) struct GpuOptions {
    /// Caps one storage binding below the adapter's limit (smaller segments).
    pub max_binding_bytes: Option<u64>,
    /// Scan with the single-pass chained scan (`shaders/scan_chained.wgsl`) where it applies, rather than
    /// reduce-then-scan.
    pub scan_single_pass: bool,
    /// `SPIN_LIMIT` of the chained scan (polls of a not-ready predecessor before the fallback).
    pub scan_spin_limit: u32,
    /// Let the chained scan use its subgroup tile scan where the device has `SUBGROUP` (tests turn it off
    /// to run the workgroup-memory tile scan).
    pub scan_subgroups: bool,
    /// Lanes reading predecessors per lookback round of the single-pass scan (1..=[`LOOKBACK_LANES`]).
    pub scan_lookback_lanes: u32,
}

impl Default for GpuOptions {
    fn default() -> Self {
        GpuOptions {
            max_binding_bytes: None,
            scan_single_pass: true,
            scan_spin_limit: scan_chained::DEFAULT_SPIN_LIMIT,
            scan_subgroups: true,
            scan_lookback_lanes: LOOKBACK_LANES,
        }
    }
}

/// A device, its queue, and what is cached for them.
pub(crate) struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: AdapterInfo,
    /// Elements per segment of a device array, for every element size (sized for 8-byte elements).
    pub segment_elems: u64,
    pub max_buffer_size: u64,
    /// The options the context was made with.
    pub options: GpuOptions,
    /// The device's memory in bytes, when it can be told (see [`device_memory`]): no device array may
    /// pass it.
    pub memory: Option<u64>,
    pipelines: PipelineCache,
    pool: BufferPool,
    errors: ErrorSink,
    /// The open recording, if any (see [`GpuContext::record`]).
    recording: Mutex<Option<Recording>>,
    /// Timestamp queries of an open device-timing scope ([`timing`]).
    timer: timing::Slot,
    /// The token counters' tables on this device.
    pub(crate) tokens: tokens::Resident,
}

/// Command buffers recorded on one thread and not yet submitted: they go to the queue together, in one
/// submission, when the outermost [`Recorder`] is dropped (or earlier, before a readback or a wait).
struct Recording {
    owner: std::thread::ThreadId,
    depth: u32,
    cmds: Vec<wgpu::CommandBuffer>,
}

/// An open recording (see [`GpuContext::record`]); dropping it submits what was recorded, without
/// waiting. Inactive (everything submits at once, as without it) when another thread records already.
pub(crate) struct Recorder {
    ctx: Option<Arc<GpuContext>>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let Some(ctx) = self.ctx.take() else { return };
        // Submission and the pool's state change under the lock: another thread's recording may open
        // right after, and must find deferring on from its start.
        let mut rec = ctx.recording.lock().unwrap_or_else(|p| p.into_inner());
        match rec.as_mut() {
            Some(r) if r.depth > 1 => r.depth -= 1,
            Some(_) => {
                let cmds = rec.take().map(|r| r.cmds).unwrap_or_default();
                ctx.queue.submit(cmds);
                ctx.pool.set_deferring(false);
                ctx.pool.retire();
            }
            None => {}
        }
    }
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

/// The memory a device's arrays can take, in bytes: the host's for a software adapter (lavapipe's Vulkan
/// heap, a nominal 2 GiB, is no limit: its buffers are host memory); a hardware adapter's device-local
/// heaps (Vulkan), capped by the host's memory for an integrated one, which shares it; `None` when
/// neither is known (a discrete adapter on another API: allocations past its memory fail with a device
/// error instead).
fn device_memory(adapter: &wgpu::AdapterInfo, device: &wgpu::Device) -> Option<u64> {
    match adapter.device_type {
        wgpu::DeviceType::Cpu => crate::host::memory(),
        wgpu::DeviceType::IntegratedGpu => match (vulkan_heaps(device), crate::host::memory()) {
            (Some(heaps), Some(host)) => Some(heaps.min(host)),
            (heaps, host) => heaps.or(host),
        },
        _ => vulkan_heaps(device),
    }
}

/// The total size of a Vulkan device's device-local memory heaps.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "windows"))]
fn vulkan_heaps(device: &wgpu::Device) -> Option<u64> {
    /// `VK_MEMORY_HEAP_DEVICE_LOCAL_BIT`.
    const DEVICE_LOCAL: u32 = 1;
    // SAFETY: the guard borrows wgpu's own Vulkan device, which outlives it; the instance is only asked
    // for the physical device's memory properties (a query with no side effect, valid on any physical
    // device the instance enumerated); no handle is destroyed or kept.
    unsafe {
        let hal = device.as_hal::<wgpu::hal::api::Vulkan>()?;
        let props =
            hal.shared_instance().raw_instance().get_physical_device_memory_properties(hal.raw_physical_device());
        let local: u64 = props
            .memory_heaps_as_slice()
            .iter()
            .filter(|heap| heap.flags.as_raw() & DEVICE_LOCAL != 0)
            .map(|heap| heap.size)
            .fold(0, u64::saturating_add);
        (local > 0).then_some(local)
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "windows")))]
fn vulkan_heaps(_: &wgpu::Device) -> Option<u64> {
    None
}

impl GpuContext {
    /// Creates the device on `cand` with the adapter's own limits and the optional features we use.
    pub(crate) fn new(cand: &Candidate, options: GpuOptions) -> Result<Arc<Self>> {
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
        Self::with_device(&cand.info, device, queue, options)
    }

    /// A context on a device someone else created: its own limits and features, as the caller chose
    /// them. The engine's error handlers are installed on the device (they replace earlier ones).
    pub(crate) fn with_device(
        adapter: &wgpu::AdapterInfo,
        device: wgpu::Device,
        queue: wgpu::Queue,
        options: GpuOptions,
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
        let binding = match options.max_binding_bytes {
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
        let memory = device_memory(adapter, &device);
        let info = AdapterInfo::new(adapter, &limits, features, segment_elems, memory);
        Ok(Arc::new(GpuContext {
            device,
            queue,
            info,
            segment_elems,
            max_buffer_size: limits.max_buffer_size,
            options,
            memory,
            pipelines: PipelineCache::default(),
            pool: BufferPool::default(),
            errors,
            recording: Mutex::new(None),
            timer: timing::Slot::default(),
            tokens: tokens::Resident::default(),
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

    /// Opens a recording on this thread: until the returned guard is dropped, every [`Batch`] this
    /// thread submits is held back and the lot goes to the queue in one submission (a readback or a
    /// wait submits what is held first, so results stay right). Buffers released meanwhile wait in
    /// the pool's retiring list until the commands that may use them are submitted.
    ///
    /// Queue writes (`queue.write_buffer`, uploads, parameters) land before every command of the next
    /// submission: inside a recording, write only buffers that no recorded command has used.
    /// Recordings nest; one opened while another thread records is inactive.
    pub(crate) fn record(self: &Arc<Self>) -> Recorder {
        let me = std::thread::current().id();
        let mut rec = self.recording.lock().unwrap_or_else(|p| p.into_inner());
        match rec.as_mut() {
            Some(r) if r.owner == me => r.depth += 1,
            Some(_) => return Recorder { ctx: None },
            None => {
                self.pool.set_deferring(true);
                *rec = Some(Recording { owner: me, depth: 1, cmds: Vec::new() });
            }
        }
        Recorder { ctx: Some(self.clone()) }
    }

    /// Whether this thread has a recording open.
    pub(crate) fn records_here(&self) -> bool {
        let me = std::thread::current().id();
        self.recording.lock().unwrap_or_else(|p| p.into_inner()).as_ref().is_some_and(|r| r.owner == me)
    }

    /// Submits `cmd`, or holds it back when this thread records.
    pub(crate) fn submit(&self, cmd: wgpu::CommandBuffer) {
        {
            let me = std::thread::current().id();
            let mut rec = self.recording.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(r) = rec.as_mut().filter(|r| r.owner == me) {
                r.cmds.push(cmd);
                return;
            }
        }
        self.queue.submit(Some(cmd));
    }

    /// Submits this thread's recorded commands now (the recording stays open), so that a readback or
    /// a wait sees their results; the buffers retired so far go back to the pool.
    pub(crate) fn submit_recorded(&self) {
        let me = std::thread::current().id();
        let mut rec = self.recording.lock().unwrap_or_else(|p| p.into_inner());
        let Some(r) = rec.as_mut().filter(|r| r.owner == me) else { return };
        let cmds = std::mem::take(&mut r.cmds);
        if !cmds.is_empty() {
            self.queue.submit(cmds);
        }
        self.pool.retire();
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

/// How many workgroups a dispatch runs.
#[derive(Clone, Copy)]
pub(crate) enum Groups<'a> {
    /// This many (2D when past one row).
    Count(u64),
    /// As the device finds them when the dispatch runs: three u32 (x, y, z) at this byte offset of a
    /// buffer with `INDIRECT` usage ([`indirect_args`] gives a count's).
    Indirect(&'a wgpu::Buffer, u64),
}

impl From<u64> for Groups<'_> {
    fn from(groups: u64) -> Self {
        Groups::Count(groups)
    }
}

/// `groups` workgroups as the (x, y, 1) arguments of an indirect dispatch (2D when past one row).
pub(crate) fn indirect_args(groups: u64) -> [u32; 3] {
    let per_row = u64::from(consts::MAX_GROUPS_X);
    [groups.min(per_row) as u32, groups.div_ceil(per_row) as u32, 1]
}

/// Records one dispatch of `kernel`, its workgroups counted or read from an indirect buffer, writing the
/// pass's begin and end timestamps to `timestamps` (a query set and the first of two indices) if given.
pub(crate) fn dispatch_groups(
    encoder: &mut wgpu::CommandEncoder,
    kernel: &Kernel,
    bind_group: &wgpu::BindGroup,
    groups: Groups<'_>,
    timestamps: Option<(wgpu::QuerySet, u32)>,
) {
    if let Groups::Count(0) = groups {
        return;
    }
    let timestamp_writes = timestamps.as_ref().map(|(set, i)| wgpu::ComputePassTimestampWrites {
        query_set: set,
        beginning_of_pass_write_index: Some(*i),
        end_of_pass_write_index: Some(i + 1),
    });
    let mut pass =
        encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(kernel.desc.name), timestamp_writes });
    pass.set_pipeline(&kernel.pipeline);
    pass.set_bind_group(0, bind_group, &[]);
    match groups {
        Groups::Count(n) => {
            let [x, y, _] = indirect_args(n);
            pass.dispatch_workgroups(x, y, 1);
        }
        Groups::Indirect(buffer, offset) => pass.dispatch_workgroups_indirect(buffer, offset),
    }
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
        self.dispatch_groups(kernel, bindings, Groups::Count(groups))
    }

    /// [`Batch::dispatch`] with the workgroups counted or read from an indirect buffer.
    pub fn dispatch_groups(
        &mut self,
        kernel: &Kernel,
        bindings: &[(&str, wgpu::BufferBinding<'_>)],
        groups: Groups<'_>,
    ) -> Result<()> {
        let bg = kernel.bind(&self.ctx.device, bindings)?;
        let timestamps = if let Groups::Count(0) = groups { None } else { timing::next_pass(&self.ctx) };
        dispatch_groups(&mut self.enc, kernel, &bg, groups, timestamps);
        Ok(())
    }

    /// Records one dispatch of `kernel` with a uniform buffer holding `params` bound to the kernel's
    /// uniform binding, beside `bindings`, over `groups` workgroups; the uniform buffer is kept until
    /// the batch is submitted.
    pub fn run<'g, P: bytemuck::Pod>(
        &mut self,
        kernel: &Kernel,
        params: &P,
        bindings: &[(&str, wgpu::BufferBinding<'_>)],
        groups: impl Into<Groups<'g>>,
    ) -> Result<()> {
        let uniform = kernel.desc.bindings.iter().find(|b| b.kind == pipelines::BindingKind::Uniform);
        let Some(uniform) = uniform else {
            return Err(Error::gpu(kernel.shader.name, format!("entry point {} has no uniform", kernel.desc.name)));
        };
        let buf = self.ctx.params(params)?;
        let mut all = Vec::with_capacity(bindings.len() + 1);
        all.push((uniform.name, buf.whole()));
        all.extend(bindings.iter().cloned());
        self.dispatch_groups(kernel, &all, groups.into())?;
        self.keep(buf);
        Ok(())
    }

    /// Per segment `i` of `segments`: one [`Batch::run`] with what `each(i)` gives (parameters,
    /// bindings, workgroups).
    pub fn per_segment<'b, P: bytemuck::Pod>(
        &mut self,
        kernel: &Kernel,
        segments: usize,
        each: impl Fn(usize) -> (P, Vec<(&'static str, wgpu::BufferBinding<'b>)>, u64),
    ) -> Result<()> {
        for i in 0..segments {
            let (params, bindings, groups) = each(i);
            self.run(kernel, &params, &bindings, groups)?;
        }
        Ok(())
    }

    /// Submits without waiting (resident work; a later readback or `wait` completes it). Inside a
    /// recording ([`GpuContext::record`]) the commands are held back for its one submission.
    pub fn submit(self) {
        let Batch { ctx, enc, keep } = self;
        ctx.submit(enc.finish());
        // Released after the commands are submitted or held (then they retire until submission).
        drop(keep);
    }
}

#[cfg(test)]
mod memory_tests {
    use super::vulkan_heaps;
    use crate::engine::{Backend, Engine};

    /// The device's memory as the engine tells it: the host's for a software adapter; on Vulkan the
    /// device-local heaps are read (lavapipe reports a nominal 2 GiB), on other APIs there are none. An
    /// array past it is refused before anything is allocated.
    #[test]
    fn device_memory_is_known_and_bounds_arrays() {
        if std::env::var("STREAMLINER_SKIP_GPU").is_ok_and(|v| v == "1") {
            eprintln!("STREAMLINER_SKIP_GPU=1: skipping the device memory test");
            return;
        }
        let engine = Engine::builder().backend(Backend::Gpu).build().expect("a GPU adapter, or STREAMLINER_SKIP_GPU=1");
        let ctx = engine.gpu().expect("a GPU engine has a context");
        let heaps = vulkan_heaps(&ctx.device);
        if ctx.info.api == "Vulkan" {
            assert!(heaps.is_some_and(|h| h > 0), "{heaps:?}");
        } else {
            assert_eq!(heaps, None);
        }
        if ctx.info.software {
            assert_eq!(ctx.memory, crate::host::memory());
        }
        assert_eq!(ctx.info.memory, ctx.memory);
        if let Some(memory) = ctx.memory {
            let e = ctx.alloc(memory / 8 + 1, 8).map(|_| ()).unwrap_err().to_string();
            assert!(e.contains("a GPU array") && e.contains(&format!("{} values of 8 bytes", memory / 8 + 1)), "{e}");
        }
    }
}
