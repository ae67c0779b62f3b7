//! Host wrapper of `shaders/successor.wgsl`: the fused clamps that make successor arrays, and the rows a
//! walk along a successor array reaches from row 0, by pointer jumping (a mark round and a doubling
//! gather per round), all on the device.

use std::sync::Arc;

use super::elementwise::{gather_indirect, map_scalar};
use super::memory::{GpuArray, INDIRECT};
use super::pipelines::table::{self, ClampParams, MarkParams, consts};
use super::{Batch, GpuContext, Groups, indirect_args, item_groups, u64_words};
use crate::error::Result;
use crate::ops::ScalarOp;

/// One mark round: a copy of `mark` with `jump[i]` marked for every marked row `i`. Source segment
/// `q`'s dispatches read their workgroups from the indirect arguments at byte `12 * q` of `args`.
fn mark_round(ctx: &Arc<GpuContext>, mark: &GpuArray, jump: &GpuArray, args: &wgpu::Buffer) -> Result<GpuArray> {
    let out = ctx.alloc(mark.len, 8)?;
    let kernel = ctx.kernel(&table::SUCCESSOR, "mark", &[])?;
    let mut batch = Batch::new(ctx);
    for i in 0..mark.segments.len() {
        let bytes = mark.seg_len(i) * 8;
        batch.enc.copy_buffer_to_buffer(mark.segments[i].buffer(), 0, out.segments[i].buffer(), 0, bytes);
    }
    for q in 0..mark.segments.len() {
        let n = mark.seg_len(q);
        for t in 0..out.segments.len() {
            let params = MarkParams {
                n: n as u32,
                dst_len: out.seg_len(t) as u32,
                dst_start: u64_words(t as u64 * out.seg_elems),
            };
            let bindings =
                [("mark_in", mark.seg_binding(q)), ("jump", jump.seg_binding(q)), ("mark_out", out.seg_binding(t))];
            batch.run(&kernel, &params, &bindings, Groups::Indirect(args, 12 * q as u64))?;
        }
    }
    batch.submit();
    Ok(out)
}

/// 1 for every row on the walk `0, next[0], next[next[0]], ...`, else 0 (u64). Every value of `next`
/// must be a row (`< next.len`). Round `k` marks the rows `next^m(0)` with `m < 2^(k+1)`; the rounds
/// stop once `2^(k+1)` reaches the length, or earlier once the walk is seen to repeat
/// (`next^(2^(k+1))(0) == next^(2^k)(0)`: every later row of the walk is one already marked).
///
/// All rounds are recorded in one submission, and nothing is read back: the mark and doubling passes
/// take their workgroups from indirect arguments, which the `stop` kernel zeroes on the device once the
/// walk repeats, so the later rounds dispatch nothing (only their copy of the marks remains).
pub(crate) fn walk_marks(ctx: &Arc<GpuContext>, next: &GpuArray) -> Result<GpuArray> {
    let len = next.len;
    if len == 0 {
        return ctx.alloc(0, 8);
    }
    let _recording = ctx.record();
    // Per segment of `next`, its workgroups; written before any command of the submission runs.
    let counts: Vec<u32> = (0..next.segments.len()).flat_map(|q| indirect_args(item_groups(next.seg_len(q)))).collect();
    let args = ctx.buffer(INDIRECT, size_of_val(counts.as_slice()) as u64)?;
    ctx.queue.write_buffer(args.buffer(), 0, bytemuck::cast_slice(&counts));
    // Zeros, then row 0 marked by a copy recorded after them (a queue write would land before them).
    let mut mark = map_scalar(ctx, next, ScalarOp::Min, 0)?;
    {
        let one = ctx.storage_from(&[1u64])?;
        let mut batch = Batch::new(ctx);
        batch.enc.copy_buffer_to_buffer(one.buffer(), 0, mark.segments[0].buffer(), 0, 8);
        batch.keep(one);
        batch.submit();
    }
    let stop = ctx.kernel(&table::SUCCESSOR, "stop", &[])?;
    let mut jump: Option<GpuArray> = None;
    let mut reach = 1u64; // 2^k
    loop {
        let j = jump.as_ref().unwrap_or(next);
        mark = mark_round(ctx, &mark, j, args.buffer())?;
        reach = reach.saturating_mul(2);
        if reach >= len {
            break;
        }
        let doubled = gather_indirect(ctx, j, j, Some(args.buffer()))?;
        if jump.is_some() {
            let mut batch = Batch::new(ctx);
            let bindings = [("prev", j.seg_binding(0)), ("now", doubled.seg_binding(0)), ("args", args.whole())];
            batch.dispatch(&stop, &bindings, 1)?;
            batch.submit();
        }
        jump = Some(doubled);
    }
    Ok(mark)
}

/// One fused clamp pass (`range_ends`, or `successors` with `op`) over rows `0..x.len`, a segment per dispatch.
fn clamp_pass(
    ctx: &Arc<GpuContext>,
    entry: &str,
    op: super::pipelines::Overrides<'_>,
    x: &GpuArray,
    y: &GpuArray,
    last: u64,
) -> Result<GpuArray> {
    if x.len != y.len {
        return Err(crate::error::Error::invalid(
            "column length",
            y.len,
            format!("must equal the first column's {}", x.len),
        ));
    }
    let out = ctx.alloc(x.len, 8)?;
    let kernel = ctx.kernel(&table::SUCCESSOR, entry, op)?;
    let mut batch = Batch::new(ctx);
    batch.per_segment(&kernel, x.segments.len(), |i| {
        let n = x.seg_len(i);
        let params = ClampParams {
            len: n as u32,
            base: u64_words(i as u64 * x.seg_elems),
            last: u64_words(last),
            ..Default::default()
        };
        (params, vec![("x", x.seg_binding(i)), ("y", y.seg_binding(i)), ("out", out.seg_binding(i))], item_groups(n))
    })?;
    batch.submit();
    Ok(out)
}

/// `min(max(min(j - 1, cut), row + 1), last)` per row; `cut` absent reads as `j`.
pub(crate) fn range_ends(ctx: &Arc<GpuContext>, j: &GpuArray, cut: Option<&GpuArray>, last: u64) -> Result<GpuArray> {
    clamp_pass(ctx, "range_ends", &[], j, cut.unwrap_or(j), last)
}

/// Each row's successor from its range's end and the raw search result (see the shader).
pub(crate) fn successors(
    ctx: &Arc<GpuContext>,
    end: &GpuArray,
    raw: &GpuArray,
    last: u64,
    stop_at_last: bool,
) -> Result<GpuArray> {
    let code = if stop_at_last { consts::SUCCESSORS_STOP_AT_LAST } else { consts::SUCCESSORS_CONTINUE };
    clamp_pass(ctx, "successors", &[("OP", f64::from(code))], end, raw, last)
}
