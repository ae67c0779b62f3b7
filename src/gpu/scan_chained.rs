//! Host wrapper of `shaders/scan_chained_sg.wgsl` (subgroup tile scan, where the device has
//! `Features::SUBGROUP`) and `shaders/scan_chained.wgsl` (workgroup-memory tile scan): the single-pass
//! chained scan with decoupled fallback (Smith, Levien, Owens, SPAA 2025) of wrapping u32 sums, one
//! dispatch per segment, selected with [`crate::scan::ScanAlgorithm::SinglePass`]. u64 sums and u64
//! inputs keep reduce-then-scan.

use std::sync::atomic::Ordering;

use super::Batch;
use super::memory::{PooledBuffer, STORAGE};
use super::pipelines::flag;
use super::pipelines::table::{self, ScanChainedParams, consts};
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
    // Tuning knob for measurements only (not documented): STREAMLINER_SCAN_VEC in 1..=8.
    let vec = std::env::var("STREAMLINER_SCAN_VEC").ok().and_then(|v| v.parse().ok()).filter(|v| (1..=8).contains(v)).unwrap_or(VEC);
    let tiles = n.div_ceil(u64::from(consts::WG) * 4 * u64::from(vec));
    let spin = ctx.scan_spin_limit.load(Ordering::Relaxed);
    let subgroups =
        ctx.scan_subgroups.load(Ordering::Relaxed) && ctx.device.features().contains(wgpu::Features::SUBGROUP);
    let shader = if subgroups { &table::SCAN_CHAINED_SG } else { &table::SCAN_CHAINED };
    let kernel = ctx.kernel(
        shader,
        "scan",
        &[("INCLUSIVE", flag(inclusive)), ("SPIN_LIMIT", f64::from(spin)), ("VEC", f64::from(vec))],
    )?;
    // n <= segment_elems < 2^32 (see GpuContext::new).
    let params = ctx.params(&ScanChainedParams { n: n as u32, ..Default::default() })?;
    // status[0]: the tile counter; then two words per tile. Zeroed on the device before the dispatch.
    let status = ctx.buffer(STORAGE, (1 + 2 * tiles) * 4)?;
    batch.enc.clear_buffer(status.buffer(), 0, None);
    batch.dispatch(
        &kernel,
        &[
            ("params", params.whole()),
            ("input", input),
            ("carry_in", carry_in.whole()),
            ("output", output),
            ("total", carry_out.whole()),
            ("status", status.whole()),
        ],
        tiles,
    )?;
    batch.keep(params);
    batch.keep(status);
    Ok(())
}
