//! Host wrapper of `shaders/scan.wgsl` (with `shaders/reduce.wgsl` as its first pass): reduce-then-scan
//! over device arrays, with the running total carried across segments on the device.

use std::sync::Arc;

use super::memory::{GpuArray, PooledBuffer, STORAGE};
use super::pipelines::flag;
use super::pipelines::table::{self, ReduceParams, ScanParams, consts};
use super::reduce::reduce_op_code;
use super::{Batch, GpuContext};
use crate::error::Result;
use crate::ops::ReduceOp;

/// What a scan computes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScanSpec {
    pub inclusive: bool,
    /// u64 sums out (two words) rather than wrapping u32 sums.
    pub wide: bool,
}

fn tile_elems(input_wide: bool) -> u64 {
    u64::from(consts::TILE_WORDS) / if input_wide { 2 } else { 1 }
}

/// Records the scan of `n` elements bound at `input` into `output`, starting from `carry_in[0]` and
/// writing the running total after the last element into `carry_out[0]`.
#[allow(clippy::too_many_arguments)]
fn record_level(
    batch: &mut Batch,
    input: wgpu::BufferBinding<'_>,
    n: u64,
    input_wide: bool,
    output: wgpu::BufferBinding<'_>,
    output_wide: bool,
    inclusive: bool,
    carry_in: &PooledBuffer,
    carry_out: &PooledBuffer,
) -> Result<()> {
    let ctx = batch.ctx.clone();
    if ctx.options.scan_single_pass {
        if !input_wide && !output_wide {
            return super::scan_chained::record_chained(batch, input, n, output, inclusive, carry_in, carry_out);
        }
        // u64 input always gives u64 output.
        return super::scan_chained::record_chained_wide(
            batch, input, n, input_wide, output, inclusive, carry_in, carry_out,
        );
    }
    let tiles = n.div_ceil(tile_elems(input_wide));
    let n32 = n as u32; // n <= segment_elems < 2^32 (see GpuContext::new)
    let scan = ctx.kernel(
        &table::SCAN,
        "scan",
        // u64 input always gives u64 output.
        &[
            ("INCLUSIVE", flag(inclusive)),
            ("INPUT_WIDE", flag(input_wide)),
            ("OUTPUT_WIDE", flag(output_wide || input_wide)),
        ],
    )?;
    let params = ctx.params(&ScanParams { n: n32, ..Default::default() })?;
    if tiles <= 1 {
        batch.dispatch(
            &scan,
            &[
                ("params", params.whole()),
                ("input", input),
                ("tile_offset", carry_in.whole()),
                ("output", output),
                ("total", carry_out.whole()),
            ],
            tiles,
        )?;
    } else {
        // Pass 1: tile totals. Pass 2: their exclusive scan from carry_in (recursively). Pass 3: tiles.
        let reduce = ctx.kernel(
            &table::REDUCE,
            "reduce",
            &[("OP", f64::from(reduce_op_code(ReduceOp::Sum))), ("INPUT_WIDE", flag(input_wide))],
        )?;
        let reduce_params = ctx.params(&ReduceParams { n: n32, ..Default::default() })?;
        let partials = ctx.buffer(STORAGE, tiles * 8)?;
        let offsets = ctx.buffer(STORAGE, tiles * 8)?;
        batch.dispatch(
            &reduce,
            &[("params", reduce_params.whole()), ("input", input.clone()), ("partials", partials.whole())],
            tiles,
        )?;
        record_level(batch, partials.whole(), tiles, true, offsets.whole(), true, false, carry_in, carry_out)?;
        batch.dispatch(
            &scan,
            &[
                ("params", params.whole()),
                ("input", input),
                ("tile_offset", offsets.whole()),
                ("output", output),
                ("total", carry_out.whole()),
            ],
            tiles,
        )?;
        batch.keep(reduce_params);
        batch.keep(partials);
        batch.keep(offsets);
    }
    batch.keep(params);
    Ok(())
}

/// Two one-element u64 carry buffers, the first zeroed.
fn carries(ctx: &Arc<GpuContext>) -> Result<(PooledBuffer, PooledBuffer)> {
    Ok((ctx.storage_from(&[0u32, 0u32])?, ctx.buffer(STORAGE, 8)?))
}

/// Scans a device array (u32, or u64 with a u64 output) into a new device array, in one submission,
/// not waited for.
pub(crate) fn scan_array(ctx: &Arc<GpuContext>, input: &GpuArray, spec: ScanSpec) -> Result<GpuArray> {
    let input_wide = input.elem_bytes == 8;
    debug_assert!(!input_wide || spec.wide, "a u64 scan has a u64 output");
    let out_bytes = if spec.wide { 8 } else { 4 };
    let output = ctx.alloc(input.len, out_bytes)?;
    if input.len == 0 {
        return Ok(output);
    }
    let mut batch = Batch::new(ctx);
    let (mut carry_in, mut carry_out) = carries(ctx)?;
    for i in 0..input.segments.len() {
        let n = input.seg_len(i);
        record_level(
            &mut batch,
            input.seg_binding(i),
            n,
            input_wide,
            output.seg_binding(i),
            spec.wide,
            spec.inclusive,
            &carry_in,
            &carry_out,
        )?;
        std::mem::swap(&mut carry_in, &mut carry_out);
    }
    batch.keep(carry_in);
    batch.keep(carry_out);
    batch.submit();
    Ok(output)
}

/// Scans host data segment by segment (upload, scan, read back), so only one segment's buffers are on
/// the device at a time; the running total stays on the device between segments.
pub(crate) fn scan_slice<O: bytemuck::Pod>(ctx: &Arc<GpuContext>, input: &[u32], spec: ScanSpec) -> Result<Vec<O>> {
    let mut out: Vec<O> = vec![O::zeroed(); input.len()];
    scan_slice_into(ctx, input, &mut out, spec)?;
    Ok(out)
}

/// As [`scan_slice`], reading the sums back into `out` (of the same length as `input`).
pub(crate) fn scan_slice_into<O: bytemuck::Pod>(
    ctx: &Arc<GpuContext>,
    input: &[u32],
    out: &mut [O],
    spec: ScanSpec,
) -> Result<()> {
    debug_assert_eq!(size_of::<O>(), if spec.wide { 8 } else { 4 });
    debug_assert_eq!(input.len(), out.len());
    let seg = ctx.segment_elems as usize;
    let (mut carry_in, mut carry_out) = carries(ctx)?;
    for (chunk, dst) in input.chunks(seg).zip(out.chunks_mut(seg)) {
        let src = ctx.storage_from(chunk)?;
        let n = chunk.len() as u64;
        let pad = |bytes: u64| bytes.max(16).div_ceil(16) * 16;
        let res = ctx.buffer(STORAGE, n * size_of::<O>() as u64)?;
        let mut batch = Batch::new(ctx);
        record_level(
            &mut batch,
            src.binding(0, pad(n * 4)),
            n,
            false,
            res.binding(0, pad(n * size_of::<O>() as u64)),
            spec.wide,
            spec.inclusive,
            &carry_in,
            &carry_out,
        )?;
        batch.submit();
        ctx.read_buffer(&res, dst)?;
        std::mem::swap(&mut carry_in, &mut carry_out);
    }
    Ok(())
}
