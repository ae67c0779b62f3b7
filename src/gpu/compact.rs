//! Host wrapper of `shaders/compact.wgsl`: the indices of the rows a 0/1 mask keeps.

use std::sync::Arc;

use super::elementwise::gather;
use super::memory::GpuArray;
use super::pipelines::table::{self, CompactParams};
use super::reduce::reduce_array;
use super::scan::{ScanSpec, scan_array};
use super::{Batch, GpuContext, item_groups, u64_words};
use crate::error::Result;
use crate::ops::ReduceOp;

/// Indices (u64) of the rows where `mask` (u64, 0 or 1) is 1, in order: an exclusive scan gives each
/// kept row its place, then a scatter.
pub(crate) fn compact(ctx: &Arc<GpuContext>, mask: &GpuArray) -> Result<GpuArray> {
    let total = reduce_array(ctx, mask, true, ReduceOp::Sum)?.unwrap_or(0);
    let out = ctx.alloc(total, 8)?;
    if total == 0 {
        return Ok(out);
    }
    let pos = scan_array(ctx, mask, ScanSpec { inclusive: false, wide: true })?;
    // Where each input segment's kept rows start in the output: they span at most two output segments.
    let first = segment_firsts(ctx, &pos)?;
    let kernel = ctx.kernel(&table::COMPACT, "compact", &[])?;
    let mut batch = Batch::new(ctx);
    for (i, &first) in first.iter().enumerate() {
        let n = mask.seg_len(i);
        let lo = (first / out.seg_elems) as usize;
        let hi = ((first + n).div_ceil(out.seg_elems) as usize).min(out.segments.len());
        for j in lo..hi {
            let params = CompactParams {
                n: n as u32,
                out_len: out.seg_len(j) as u32,
                base: u64_words(i as u64 * mask.seg_elems),
                out_start: u64_words(j as u64 * out.seg_elems),
                ..Default::default()
            };
            let bindings = [("mask", mask.seg_binding(i)), ("pos", pos.seg_binding(i)), ("out", out.seg_binding(j))];
            batch.run(&kernel, &params, &bindings, item_groups(n))?;
        }
    }
    batch.submit();
    Ok(out)
}

/// The exclusive scan `pos` at the first row of each of its segments, read back; a single segment's is
/// 0, with no readback (so a one-segment compaction waits only for its total).
fn segment_firsts(ctx: &Arc<GpuContext>, pos: &GpuArray) -> Result<Vec<u64>> {
    if pos.segments.len() <= 1 {
        return Ok(vec![0; pos.segments.len()]);
    }
    let starts: Vec<u64> = (0..pos.segments.len() as u64).map(|i| i * pos.seg_elems).collect();
    ctx.read::<u64>(&gather(ctx, pos, &ctx.upload(&starts)?)?)
}

/// Indices (u64) of the set bits of `words` (a bitmap of 32 rows a u32, bits past the last row clear), in
/// order: each word's count of rows, an exclusive scan of the counts, then each word writes its rows.
pub(crate) fn compact_bits(ctx: &Arc<GpuContext>, words: &GpuArray) -> Result<GpuArray> {
    if words.len == 0 {
        return ctx.alloc(0, 8);
    }
    let counts = ctx.alloc(words.len, 4)?;
    let count_kernel = ctx.kernel(&table::COMPACT, "bit_counts", &[])?;
    let mut batch = Batch::new(ctx);
    batch.per_segment(&count_kernel, words.segments.len(), |i| {
        let n = words.seg_len(i);
        let bindings = vec![("words", words.seg_binding(i)), ("counts", counts.seg_binding(i))];
        (CompactParams { n: n as u32, ..Default::default() }, bindings, item_groups(n))
    })?;
    batch.submit();
    let total = reduce_array(ctx, &counts, false, ReduceOp::Sum)?.unwrap_or(0);
    let out = ctx.alloc(total, 8)?;
    if total == 0 {
        return Ok(out);
    }
    let pos = scan_array(ctx, &counts, ScanSpec { inclusive: false, wide: true })?;
    let first = segment_firsts(ctx, &pos)?;
    let kernel = ctx.kernel(&table::COMPACT, "compact_bits", &[])?;
    let mut batch = Batch::new(ctx);
    for (i, &first) in first.iter().enumerate() {
        let n = words.seg_len(i);
        // A segment's rows land in at most the output segments its 32 * n rows could reach.
        let lo = (first / out.seg_elems) as usize;
        let hi = ((first + 32 * n).div_ceil(out.seg_elems) as usize).min(out.segments.len());
        for j in lo..hi {
            let params = CompactParams {
                n: n as u32,
                out_len: out.seg_len(j) as u32,
                base: u64_words(i as u64 * words.seg_elems * 32),
                out_start: u64_words(j as u64 * out.seg_elems),
                ..Default::default()
            };
            let bindings =
                [("words", words.seg_binding(i)), ("word_pos", pos.seg_binding(i)), ("out", out.seg_binding(j))];
            batch.run(&kernel, &params, &bindings, item_groups(n))?;
        }
    }
    batch.submit();
    Ok(out)
}
