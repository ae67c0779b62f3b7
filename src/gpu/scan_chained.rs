//! Host wrappers of the single-pass chained scans with decoupled fallback (Smith, Levien, Owens, SPAA
//! 2025), one dispatch per segment, selected with [`crate::scan::ScanAlgorithm::SinglePass`]:
//! `shaders/scan_chained*.wgsl` (wrapping u32 sums) and `shaders/scan_chained_wide*.wgsl` (u64 sums of
//! u32 or u64 elements). The `_sg` variants do the tile scan in subgroup operations and are used where
//! the device has `Features::SUBGROUP`; the others use workgroup memory.

use super::Batch;
use super::memory::{PooledBuffer, STORAGE};
use super::pipelines::table::{self, ScanChainedParams, consts};
use super::pipelines::{Kernel, flag};
use crate::error::Result;

/// Polls of a not-ready predecessor before a workgroup computes its reduction itself.
pub(crate) const DEFAULT_SPIN_LIMIT: u32 = 8;

/// vec4<u32> per lane per tile (the shader's `VEC`, 1..=8).
const VEC: u32 = 8;

/// Records the wrapping u32 scan of `n` u32 elements bound at `input` into `output`, starting from the
/// low word of `carry_in[0]` and writing the running total (low word; high word 0) into `carry_out[0]`.
pub(crate) fn record_chained(
    batch: &mut Batch,
    input: wgpu::BufferBinding<'_>,
    n: u64,
    output: wgpu::BufferBinding<'_>,
    inclusive: bool,
    carry_in: &PooledBuffer,
    carry_out: &PooledBuffer,
) -> Result<()> {
    let ctx = batch.ctx.clone();
    let vec = vec4s_per_lane();
    let tiles = n.div_ceil(u64::from(consts::WG) * 4 * u64::from(vec));
    let shader = if subgroups(&ctx) { &table::SCAN_CHAINED_SG } else { &table::SCAN_CHAINED };
    let kernel = chained_kernel(&ctx, shader, inclusive, vec, &[])?;
    // Two status words per tile: the tile's sum in 16-bit halves with flag bits.
    dispatch_tiles(batch, &kernel, tiles, 2, n, [input, output], carry_in, carry_out)
}

/// Records one chained-scan dispatch of `kernel` over `tiles` tiles of the `n` elements bound at
/// `[input, output]`, with a fresh status buffer (the tile counter, then `words_per_tile` words a tile)
/// zeroed on the device first.
#[allow(clippy::too_many_arguments)]
fn dispatch_tiles(
    batch: &mut Batch,
    kernel: &Kernel,
    tiles: u64,
    words_per_tile: u64,
    n: u64,
    [input, output]: [wgpu::BufferBinding<'_>; 2],
    carry_in: &PooledBuffer,
    carry_out: &PooledBuffer,
) -> Result<()> {
    let status = batch.ctx.buffer(STORAGE, (1 + words_per_tile * tiles) * 4)?;
    batch.enc.clear_buffer(status.buffer(), 0, None);
    let bindings = [
        ("input", input),
        ("carry_in", carry_in.whole()),
        ("output", output),
        ("total", carry_out.whole()),
        ("status", status.whole()),
    ];
    // n <= segment_elems < 2^32 (see GpuContext::new).
    batch.run(kernel, &ScanChainedParams { n: n as u32, ..Default::default() }, &bindings, tiles)?;
    batch.keep(status);
    Ok(())
}

/// The `scan` entry of a chained-scan shader with the overrides every variant takes (the context's spin
/// limit and lookback lanes, `vec` vec4s per lane) and `extra` ones.
fn chained_kernel(
    ctx: &std::sync::Arc<super::GpuContext>,
    shader: &'static super::ShaderDesc,
    inclusive: bool,
    vec: u32,
    extra: &[(&'static str, f64)],
) -> Result<std::sync::Arc<Kernel>> {
    let mut overrides = vec![
        ("INCLUSIVE", flag(inclusive)),
        ("SPIN_LIMIT", f64::from(ctx.options.scan_spin_limit)),
        ("VEC", f64::from(vec)),
        ("LOOK_LANES", f64::from(ctx.options.scan_lookback_lanes)),
    ];
    overrides.extend_from_slice(extra);
    ctx.kernel(shader, "scan", &overrides)
}

fn subgroups(ctx: &super::GpuContext) -> bool {
    ctx.options.scan_subgroups && ctx.device.features().contains(wgpu::Features::SUBGROUP)
}

/// Records the u64 scan of `n` elements (u32, or u64 when `input_wide`) bound at `input` into the u64
/// `output`, starting from `carry_in[0]` and writing the running total into `carry_out[0]`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_chained_wide(
    batch: &mut Batch,
    input: wgpu::BufferBinding<'_>,
    n: u64,
    input_wide: bool,
    output: wgpu::BufferBinding<'_>,
    inclusive: bool,
    carry_in: &PooledBuffer,
    carry_out: &PooledBuffer,
) -> Result<()> {
    let ctx = batch.ctx.clone();
    let per_vec4: u64 = if input_wide { 2 } else { 4 };
    let tiles = n.div_ceil(u64::from(consts::WG) * per_vec4 * u64::from(VEC));
    let shader = if subgroups(&ctx) { &table::SCAN_CHAINED_WIDE_SG } else { &table::SCAN_CHAINED_WIDE };
    let kernel = chained_kernel(&ctx, shader, inclusive, VEC, &[("INPUT_WIDE", flag(input_wide))])?;
    // Four status words per tile: the tile's u64 sum in 16-bit pieces with flag bits.
    dispatch_tiles(batch, &kernel, tiles, 4, n, [input, output], carry_in, carry_out)
}

/// vec4s each lane scans per tile: [`VEC`], or `STREAMLINER_SCAN_VEC` (1 to 8; a tuning knob for
/// measurements, read once per process, see docs/scan.md).
fn vec4s_per_lane() -> u32 {
    static VEC4S: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *VEC4S.get_or_init(|| {
        std::env::var("STREAMLINER_SCAN_VEC")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|v| (1..=8).contains(v))
            .unwrap_or(VEC)
    })
}
