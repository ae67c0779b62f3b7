//! Host wrapper of `shaders/reduce.wgsl`: sum (as u64), min and max of u32 or u64 device arrays, tile
//! by tile until one value is left.

use std::sync::Arc;

use super::memory::{GpuArray, PooledBuffer, STORAGE};
use super::pipelines::flag;
use super::pipelines::table::{self, ReduceParams, consts};
use super::{Batch, GpuContext};
use crate::error::Result;
use crate::ops::ReduceOp;

/// The `OP` override of `shaders/reduce.wgsl` for `op`.
pub(crate) fn reduce_op_code(op: ReduceOp) -> u32 {
    match op {
        ReduceOp::Sum => consts::REDUCE_SUM,
        ReduceOp::Min => consts::REDUCE_MIN,
        ReduceOp::Max => consts::REDUCE_MAX,
    }
}

/// Records the reduction of `n >= 1` elements bound at `input`; returns a buffer whose first u64 is the
/// result once the batch has run.
fn record_reduce(
    batch: &mut Batch,
    input: wgpu::BufferBinding<'_>,
    n: u64,
    wide: bool,
    op: ReduceOp,
) -> Result<PooledBuffer> {
    let ctx = batch.ctx.clone();
    let mut level_input: Option<PooledBuffer> = None;
    let mut n = n;
    let mut wide = wide;
    loop {
        let tile = u64::from(consts::TILE_WORDS) / if wide { 2 } else { 1 };
        let tiles = n.div_ceil(tile);
        let kernel =
            ctx.kernel(&table::REDUCE, "reduce", &[("OP", f64::from(reduce_op_code(op))), ("INPUT_WIDE", flag(wide))])?;
        let params = ctx.params(&ReduceParams { n: n as u32, ..Default::default() })?; // n < 2^32: one segment
        let partials = ctx.buffer(STORAGE, tiles * 8)?;
        let src = match &level_input {
            Some(b) => b.whole(),
            None => input.clone(),
        };
        batch.dispatch(
            &kernel,
            &[("params", params.whole()), ("input", src), ("partials", partials.whole())],
            tiles,
        )?;
        batch.keep(params);
        if let Some(prev) = level_input.take() {
            batch.keep(prev);
        }
        if tiles == 1 {
            return Ok(partials);
        }
        level_input = Some(partials);
        n = tiles;
        wide = true;
    }
}

/// Reduces a device array (u32 elements, or u64 when `wide`) in one submission.
pub(crate) fn reduce_array(ctx: &Arc<GpuContext>, arr: &GpuArray, wide: bool, op: ReduceOp) -> Result<Option<u64>> {
    if arr.len == 0 {
        return Ok(None);
    }
    let mut batch = Batch::new(ctx);
    let k = arr.segments.len() as u64;
    let per_segment = ctx.buffer(STORAGE, k * 8)?;
    for i in 0..arr.segments.len() {
        let r = record_reduce(&mut batch, arr.seg_binding(i), arr.seg_len(i), wide, op)?;
        batch.enc.copy_buffer_to_buffer(r.buffer(), 0, per_segment.buffer(), i as u64 * 8, 8);
        batch.keep(r);
    }
    let result = if k == 1 { None } else { Some(record_reduce(&mut batch, per_segment.whole(), k, true, op)?) };
    batch.submit();
    let mut value = [0u64];
    ctx.read_buffer(result.as_ref().unwrap_or(&per_segment), &mut value)?;
    Ok(Some(value[0]))
}

/// Reduces host data segment by segment (upload, reduce, read one value back).
pub(crate) fn reduce_slice<T: bytemuck::Pod>(ctx: &Arc<GpuContext>, data: &[T], op: ReduceOp) -> Result<Option<u64>> {
    let wide = size_of::<T>() == 8;
    let mut acc: Option<u64> = None;
    for chunk in data.chunks(ctx.segment_elems as usize) {
        let src = ctx.storage_from(chunk)?;
        let bytes = (size_of_val(chunk) as u64).max(16).div_ceil(16) * 16;
        let mut batch = Batch::new(ctx);
        let r = record_reduce(&mut batch, src.binding(0, bytes), chunk.len() as u64, wide, op)?;
        batch.submit();
        let mut value = [0u64];
        ctx.read_buffer(&r, &mut value)?;
        acc = Some(match acc {
            Some(a) => op.combine(a, value[0]),
            None => value[0],
        });
    }
    Ok(acc)
}
