//! The [`Engine`]: picks the backend (a real GPU, the CPU path, or a software GPU when asked for by
//! name), owns the GPU context, and says why it chose what it chose.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::gpu::{self, AdapterInfo, GpuContext, GpuOptions};

/// The environment variable that overrides the default backend of every program built on streamliner.
pub const BACKEND_ENV: &str = "STREAMLINER_BACKEND";

/// Which backend to run kernels on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backend {
    /// A hardware GPU (discrete or integrated) when there is one, otherwise the CPU path. A software
    /// adapter such as lavapipe / llvmpipe is never chosen here: it is slower than the CPU path.
    #[default]
    Auto,
    /// The best GPU adapter there is, software adapters included; an error when there is none.
    Gpu,
    /// The CPU twins of the kernels.
    Cpu,
}

impl FromStr for Backend {
    type Err = Error;

    /// Parses `auto`, `cpu` or `gpu` (any case).
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Backend::Auto),
            "gpu" => Ok(Backend::Gpu),
            "cpu" => Ok(Backend::Cpu),
            _ => Err(Error::InvalidBackend { value: s.to_string(), source_name: "the backend name".into() }),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Auto => "auto",
            Backend::Gpu => "gpu",
            Backend::Cpu => "cpu",
        })
    }
}

impl Backend {
    /// The backend named by `STREAMLINER_BACKEND`, if it is set and not empty.
    ///
    /// # Errors
    /// [`Error::InvalidBackend`] when the variable holds something other than auto, cpu or gpu.
    pub fn from_env() -> Result<Option<Backend>> {
        match std::env::var(BACKEND_ENV) {
            Ok(v) if !v.trim().is_empty() => {
                v.parse().map(Some).map_err(|_| Error::InvalidBackend { value: v, source_name: BACKEND_ENV.into() })
            }
            _ => Ok(None),
        }
    }
}

/// The backend an engine actually runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActiveBackend {
    /// The CPU twins.
    Cpu,
    /// A GPU adapter through wgpu.
    Gpu,
}

/// Which backend an engine runs on, and why.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EngineInfo {
    /// What was asked for (after `STREAMLINER_BACKEND`, where it applied).
    pub requested: Backend,
    /// What runs.
    pub active: ActiveBackend,
    /// Why, in words.
    pub reason: String,
    /// The GPU adapter, when `active` is `Gpu`.
    pub adapter: Option<AdapterInfo>,
}

impl fmt::Display for EngineInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.adapter {
            Some(a) => write!(f, "gpu: {a}: {}", self.reason),
            None => write!(f, "cpu ({} threads): {}", crate::cpu::threads(), self.reason),
        }
    }
}

/// Runs kernels on one backend. Cheap to clone; clones share the device, its pipelines and buffers.
///
/// # Example
/// ```
/// use streamliner::{Backend, Engine};
/// let engine = Engine::new(Backend::Cpu)?;
/// assert!(!engine.is_gpu());
/// println!("{}", engine.info());
/// # Ok::<(), streamliner::Error>(())
/// ```
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    info: EngineInfo,
    gpu: Option<Arc<GpuContext>>,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine").field("info", &self.inner.info).finish()
    }
}

/// An open recording of an engine's kernels (see [`Engine::record`]); dropping it submits them.
pub(crate) struct Recording {
    _gpu: Option<gpu::Recorder>,
}

/// Builds an [`Engine`] with options.
#[derive(Clone, Debug, Default)]
pub struct EngineBuilder {
    backend: Option<Backend>,
    gpu: GpuOptions,
}

impl EngineBuilder {
    /// The backend; without this call, `STREAMLINER_BACKEND` or else [`Backend::Auto`].
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = Some(backend);
        self
    }

    /// Caps the bytes of one storage binding below the adapter's limit, so arrays are processed in
    /// smaller segments (less device memory per step; tests use it to run the chunked paths).
    pub fn max_binding_bytes(mut self, bytes: u64) -> Self {
        self.gpu.max_binding_bytes = Some(bytes);
        self
    }

    /// The GPU prefix-sum algorithm; without this call, [`crate::scan::ScanAlgorithm::SinglePass`].
    /// Results do not depend on it.
    ///
    /// # Example
    /// ```
    /// use streamliner::{Engine, scan::{prefix_sum, ScanAlgorithm, ScanKind}};
    /// let engine = Engine::builder().scan_algorithm(ScanAlgorithm::ReduceThenScan).build()?;
    /// let sums: Vec<u32> = prefix_sum(&engine, &[1, 2, 3], ScanKind::Inclusive)?;
    /// assert_eq!(sums, vec![1, 3, 6]);
    /// # Ok::<(), streamliner::Error>(())
    /// ```
    pub fn scan_algorithm(mut self, algorithm: crate::scan::ScanAlgorithm) -> Self {
        self.gpu.scan_single_pass = algorithm == crate::scan::ScanAlgorithm::SinglePass;
        self
    }

    /// Polls of a not-ready predecessor before the single-pass scan computes its sum itself (tests set
    /// 0 to run the fallback path everywhere).
    #[doc(hidden)]
    pub fn scan_spin_limit(mut self, polls: u32) -> Self {
        self.gpu.scan_spin_limit = polls;
        self
    }

    /// Whether the single-pass scan may use subgroup operations where the device offers them (the
    /// default); tests pass `false` to run its workgroup-memory tile scan.
    #[doc(hidden)]
    pub fn scan_subgroups(mut self, allow: bool) -> Self {
        self.gpu.scan_subgroups = allow;
        self
    }

    /// Lanes of a workgroup that read a predecessor's status per lookback round in the single-pass
    /// scan (1 to 256; default 256); tests pass 1 or 2 so that lookbacks take many rounds.
    #[doc(hidden)]
    pub fn scan_lookback_lanes(mut self, lanes: u32) -> Self {
        self.gpu.scan_lookback_lanes = lanes.clamp(1, crate::gpu::LOOKBACK_LANES);
        self
    }

    /// Creates the engine (and on a GPU, its device).
    ///
    /// # Errors
    /// [`Error::InvalidBackend`] for a bad `STREAMLINER_BACKEND`; [`Error::NoAdapter`] or
    /// [`Error::DeviceRequest`] when `Backend::Gpu` cannot be served; [`Error::InvalidParameter`] for a
    /// binding cap below one tile (32 KiB).
    pub fn build(self) -> Result<Engine> {
        let (requested, why) = match self.backend {
            Some(b) => (b, format!("Backend::{b:?} was asked for")),
            None => match Backend::from_env()? {
                Some(b) => (b, format!("{BACKEND_ENV}={b}")),
                None => (Backend::Auto, "the default, Backend::Auto".to_string()),
            },
        };
        let engine = match requested {
            Backend::Cpu => Engine::cpu_with(requested, why),
            Backend::Gpu => {
                let cands = gpu::enumerate();
                let best = cands.iter().filter(|c| c.compute).max_by_key(|c| c.rank());
                let Some(best) = best else {
                    return Err(Error::NoAdapter { reason: describe(&cands) });
                };
                let ctx = GpuContext::new(best, self.gpu)?;
                let reason = if best.is_software() {
                    format!("{why}; {} is a software adapter, slower than the CPU path", best.info.name)
                } else {
                    why
                };
                Engine::gpu_with(requested, reason, ctx)
            }
            Backend::Auto => {
                let cands = gpu::enumerate();
                let best = cands.iter().filter(|c| c.compute && !c.is_software()).max_by_key(|c| c.rank());
                match best {
                    Some(best) => match GpuContext::new(best, self.gpu) {
                        Ok(ctx) => Engine::gpu_with(requested, format!("{why}: a hardware GPU was found"), ctx),
                        Err(e) => Engine::cpu_with(
                            requested,
                            format!("{why}: the GPU {} could not be used ({e})", best.info.name),
                        ),
                    },
                    None => {
                        let soft: Vec<&str> = cands
                            .iter()
                            .filter(|c| c.compute && c.is_software())
                            .map(|c| c.info.name.as_str())
                            .collect();
                        let reason = if soft.is_empty() {
                            format!("{why}: no GPU adapter was found")
                        } else {
                            format!(
                                "{why}: only software adapters were found ({}), which are slower than the CPU path; \
                                 ask for Backend::Gpu ({BACKEND_ENV}=gpu) to use one anyway",
                                soft.join(", ")
                            )
                        };
                        Engine::cpu_with(requested, reason)
                    }
                }
            }
        };
        log::info!("streamliner: backend {}", engine.info());
        Ok(engine)
    }
}

impl EngineBuilder {
    /// Creates a GPU engine on a device and queue the caller already made (as wgpu's own examples
    /// do), so that streamliner and another library can share one device. The caller decides the
    /// device's limits and features; the engine uses what it finds (`info().adapter` lists which of
    /// `SUBGROUP` and `TIMESTAMP_QUERY` are enabled). `adapter` is the device's adapter, for its name
    /// and kind. The builder's backend choice is ignored; its binding cap applies.
    ///
    /// The engine installs its uncaptured-error and device-lost handlers on the device (replacing
    /// earlier ones), so that device errors surface as [`Error::Gpu`] from its calls.
    ///
    /// # Errors
    /// [`Error::DeviceRequest`] when the device's limits are below what the kernels need (e.g. a device
    /// made with `wgpu::Limits::downlevel_webgl2_defaults()`); [`Error::InvalidParameter`] for a
    /// binding cap below one tile (32 KiB).
    ///
    /// # Example
    /// ```
    /// use streamliner::Engine;
    /// let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    /// let Ok(adapter) = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
    /// else {
    ///     return Ok(()); // no adapter on this machine
    /// };
    /// let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
    ///     required_limits: adapter.limits(),
    ///     ..Default::default()
    /// }))
    /// .expect("a device");
    /// let engine = Engine::builder().build_on_device(&adapter.get_info(), device.clone(), queue.clone())?;
    /// assert!(engine.is_gpu());
    /// // `device` and `queue` stay usable by the caller beside the engine.
    /// # Ok::<(), streamliner::Error>(())
    /// ```
    pub fn build_on_device(
        self,
        adapter: &wgpu::AdapterInfo,
        device: wgpu::Device,
        queue: wgpu::Queue,
    ) -> Result<Engine> {
        let ctx = GpuContext::with_device(adapter, device, queue, self.gpu)?;
        let engine = Engine::gpu_with(Backend::Gpu, "a device given by the caller".to_string(), ctx);
        log::info!("streamliner: backend {}", engine.info());
        Ok(engine)
    }
}

fn describe(cands: &[gpu::Candidate]) -> String {
    if cands.is_empty() {
        return "wgpu found no adapter on any backend (is a Vulkan driver installed? on Debian: \
                mesa-vulkan-drivers libvulkan1)"
            .to_string();
    }
    let seen: Vec<String> = cands
        .iter()
        .map(|c| {
            format!("{} ({:?}{})", c.info.name, c.info.backend, if c.compute { "" } else { ", no compute shaders" })
        })
        .collect();
    format!("adapters seen: {}", seen.join(", "))
}

impl Engine {
    /// An engine on `backend`. `Backend::Auto` here means auto-detection, whatever
    /// `STREAMLINER_BACKEND` says; use [`Engine::from_env`] for the environment-aware default.
    ///
    /// # Errors
    /// As [`EngineBuilder::build`].
    pub fn new(backend: Backend) -> Result<Engine> {
        EngineBuilder::default().backend(backend).build()
    }

    /// The default engine of a program: the backend named by `STREAMLINER_BACKEND`, else `Auto`.
    ///
    /// # Errors
    /// As [`EngineBuilder::build`].
    ///
    /// # Example
    /// ```
    /// let engine = streamliner::Engine::from_env()?;
    /// println!("running on {}", engine.info());
    /// # Ok::<(), streamliner::Error>(())
    /// ```
    pub fn from_env() -> Result<Engine> {
        EngineBuilder::default().build()
    }

    /// A builder for engines with options.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    fn cpu_with(requested: Backend, reason: String) -> Engine {
        Engine {
            inner: Arc::new(Inner {
                info: EngineInfo { requested, active: ActiveBackend::Cpu, reason, adapter: None },
                gpu: None,
            }),
        }
    }

    fn gpu_with(requested: Backend, reason: String, ctx: Arc<GpuContext>) -> Engine {
        let info = EngineInfo { requested, active: ActiveBackend::Gpu, reason, adapter: Some(ctx.info.clone()) };
        Engine { inner: Arc::new(Inner { info, gpu: Some(ctx) }) }
    }

    /// Which backend runs, and why.
    pub fn info(&self) -> &EngineInfo {
        &self.inner.info
    }

    /// True when kernels run on a GPU adapter (hardware or software).
    pub fn is_gpu(&self) -> bool {
        self.inner.gpu.is_some()
    }

    /// The GPU adapter, when there is one.
    pub fn adapter(&self) -> Option<&AdapterInfo> {
        self.inner.info.adapter.as_ref()
    }

    pub(crate) fn gpu(&self) -> Option<&Arc<GpuContext>> {
        self.inner.gpu.as_ref()
    }

    /// Opens a recording on this thread: until the guard is dropped, the device work of this engine's
    /// kernels goes to the device in one submission (a readback submits what is held first). Nothing
    /// on the CPU engine.
    pub(crate) fn record(&self) -> Recording {
        Recording { _gpu: self.gpu().map(|ctx| ctx.record()) }
    }

    /// Refuses an output of `elements` values of `elem_bytes` bytes (`what`, e.g. "iota's output") that
    /// would not fit where it is made: the device's memory on a GPU, the host's on the CPU.
    pub(crate) fn check_fits(&self, what: &str, elements: u64, elem_bytes: u64) -> Result<()> {
        match self.gpu() {
            Some(ctx) => ctx.check_fits(what, elements, elem_bytes),
            None => crate::host::check_host(what, elements, elem_bytes),
        }
    }

    /// Waits until all work submitted to the device has finished (a no-op on the CPU).
    ///
    /// # Errors
    /// [`Error::Gpu`] when the device reported an error meanwhile.
    pub fn synchronize(&self) -> Result<()> {
        match self.gpu() {
            Some(ctx) => ctx.wait("synchronize"),
            None => Ok(()),
        }
    }

    /// Runs `f` and measures, with the device's timestamp queries, the milliseconds during which the
    /// device had one of the compute passes `f` recorded on this engine in flight (the union of the
    /// passes' intervals): kernel time alone, without host recording, idle gaps between submissions,
    /// uploads, readbacks or buffer copies. The second value is `None` on the CPU
    /// backend and on devices without `TIMESTAMP_QUERY` (see [`AdapterInfo::features`]). The device is
    /// waited for before and after `f`. Meant for benchmarks: passes that other threads record on this
    /// engine meanwhile are counted too.
    ///
    /// # Errors
    /// The error of `f`; [`Error::Gpu`] when the device reported an error or the timestamps could not
    /// be read back.
    ///
    /// # Example
    /// ```
    /// use streamliner::scan::{ScanKind, prefix_sum};
    /// let engine = streamliner::Engine::from_env()?;
    /// let (sums, ms) = engine.device_time_ms(|| prefix_sum::<u32, _>(&engine, &[1u32, 2, 3], ScanKind::Exclusive))?;
    /// assert_eq!(sums, vec![0, 1, 3]);
    /// if let Some(ms) = ms {
    ///     println!("{ms:.3} ms on the device");
    /// }
    /// # Ok::<(), streamliner::Error>(())
    /// ```
    pub fn device_time_ms<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<(T, Option<f64>)> {
        match self.gpu() {
            Some(ctx) => ctx.device_time(f),
            None => f().map(|v| (v, None)),
        }
    }
}
