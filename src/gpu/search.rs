//! Host wrappers of `shaders/search.wgsl` (batched lower / upper bound of u64 queries in a sorted u64
//! haystack) and `shaders/sorted_check.wgsl` (the checked mode's sortedness test).

use std::sync::Arc;

use super::memory::{GpuArray, PooledBuffer, STORAGE};
use super::pipelines::table::{self, SearchParams, SortedCheckParams};
use super::pipelines::{Kernel, flag};
use super::{Batch, GpuContext, item_groups};
use crate::error::Result;

/// The search pipeline: upper or lower bound, i64 (`signed`) or u64 elements, block-local (`local`, for
/// sorted queries) or plain.
fn search_kernel(ctx: &Arc<GpuContext>, upper: bool, signed: bool, local: bool) -> Result<Arc<Kernel>> {
    let overrides = [("UPPER", flag(upper)), ("SIGNED", flag(signed))];
    ctx.kernel(&table::SEARCH, if local { "search_local" } else { "search" }, &overrides)
}

/// Records the search of `n` queries bound at `queries` into `positions` by `kernel`, over every
/// haystack segment (counts summed), so `positions` is the position in the whole haystack when it is
/// sorted.
fn record_search(
    batch: &mut Batch,
    kernel: &Arc<Kernel>,
    haystack: &GpuArray,
    queries: wgpu::BufferBinding<'_>,
    n: u64,
    positions: wgpu::BufferBinding<'_>,
) -> Result<()> {
    let ctx = batch.ctx.clone();
    // An empty haystack still needs one pass to write zeros; bind the queries as a stand-in haystack.
    let segments = haystack.segments.len().max(1);
    for h in 0..segments {
        let (hay, n_hay) =
            if haystack.len == 0 { (queries.clone(), 0) } else { (haystack.seg_binding(h), haystack.seg_len(h)) };
        let params = ctx.params(&SearchParams {
            n_queries: n as u32, // one segment: < 2^32
            n_haystack: n_hay as u32,
            accumulate: u32::from(h > 0),
            ..Default::default()
        })?;
        batch.dispatch(
            kernel,
            &[
                ("params", params.whole()),
                ("haystack", hay),
                ("queries", queries.clone()),
                ("positions", positions.clone()),
            ],
            item_groups(n),
        )?;
        batch.keep(params);
    }
    Ok(())
}

/// Searches device queries in a device haystack, in one submission, not waited for. With `signed`, the
/// eight-byte elements are i64.
pub(crate) fn search_array(
    ctx: &Arc<GpuContext>,
    haystack: &GpuArray,
    queries: &GpuArray,
    upper: bool,
    signed: bool,
) -> Result<GpuArray> {
    let out = ctx.alloc(queries.len, 8)?;
    let kernel = search_kernel(ctx, upper, signed, false)?;
    let mut batch = Batch::new(ctx);
    for i in 0..queries.segments.len() {
        record_search(&mut batch, &kernel, haystack, queries.seg_binding(i), queries.seg_len(i), out.seg_binding(i))?;
    }
    batch.submit();
    Ok(out)
}

/// Searches host queries (eight-byte elements: u64, or i64 with `signed`) in a device haystack, a
/// segment of queries at a time. `sorted`: the caller found the queries sorted (by their own order):
/// they take the block-local search.
pub(crate) fn search_slice<T: bytemuck::Pod>(
    ctx: &Arc<GpuContext>,
    haystack: &GpuArray,
    queries: &[T],
    upper: bool,
    signed: bool,
    sorted: bool,
) -> Result<Vec<u64>> {
    debug_assert_eq!(std::mem::size_of::<T>(), 8);
    let kernel = search_kernel(ctx, upper, signed, sorted)?;
    let mut out = vec![0u64; queries.len()];
    let seg = ctx.segment_elems as usize;
    for (chunk, dst) in queries.chunks(seg).zip(out.chunks_mut(seg)) {
        let q = ctx.storage_from(chunk)?;
        let bytes = (chunk.len() as u64 * 8).max(16).div_ceil(16) * 16;
        let res = ctx.buffer(STORAGE, bytes)?;
        let mut batch = Batch::new(ctx);
        record_search(&mut batch, &kernel, haystack, q.binding(0, bytes), chunk.len() as u64, res.binding(0, bytes))?;
        batch.submit();
        ctx.read_buffer(&res, dst)?;
    }
    Ok(out)
}

/// The first row `i` of a device u64 (or, with `signed`, i64) array with `a[i] < a[i - 1]`, if any.
pub(crate) fn first_unsorted(ctx: &Arc<GpuContext>, values: &GpuArray, signed: bool) -> Result<Option<u64>> {
    if values.len < 2 {
        return Ok(None);
    }
    let overrides = [("SIGNED", flag(signed))];
    let kernel = ctx.kernel(&table::SEARCH, "check_sorted", &overrides)?;
    let k = values.segments.len();
    // One result per segment, each at its own 256-byte aligned binding offset.
    let stride = 256u64;
    let words = stride as usize / 4;
    let results: PooledBuffer = ctx.storage_from(&vec![u32::MAX; k * words])?;
    let prev = ctx.buffer(STORAGE, 16)?;
    let mut batch = Batch::new(ctx);
    for i in 0..k {
        if i > 0 {
            let last = (values.seg_len(i - 1) - 1) * 8;
            batch.enc.copy_buffer_to_buffer(values.segments[i - 1].buffer(), last, prev.buffer(), 0, 8);
        }
        let n = values.seg_len(i);
        let params =
            ctx.params(&SortedCheckParams { n: n as u32, has_prev: u32::from(i > 0), ..Default::default() })?;
        batch.dispatch(
            &kernel,
            &[
                ("check_params", params.whole()),
                ("values", values.seg_binding(i)),
                ("prev", prev.binding(0, 16)),
                ("first_bad", results.binding(i as u64 * stride, 4)),
            ],
            item_groups(n),
        )?;
        batch.keep(params);
    }
    batch.submit();
    let mut firsts = vec![0u32; k * words];
    ctx.read_buffer(&results, &mut firsts)?;
    Ok(firsts
        .iter()
        .step_by(words)
        .enumerate()
        .find(|(_, f)| **f != u32::MAX)
        .map(|(i, f)| i as u64 * values.seg_elems + u64::from(*f)))
}
