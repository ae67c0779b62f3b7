//! Host wrappers of `shaders/search.wgsl`: batched lower / upper bound of queries in a sorted haystack
//! of u32 (one word), u64 or i64 (two words) elements, each searched in its own width, and the checked
//! mode's sortedness test.

use std::sync::Arc;

use super::memory::{GpuArray, PooledBuffer, STORAGE};
use super::pipelines::table::{self, SearchParams, SortedCheckParams};
use super::pipelines::{Kernel, flag};
use super::{Batch, GpuContext, item_groups};
use crate::error::Result;

/// Elements of the merge (queries and haystack together) one workgroup of `search_merge` takes
/// (`LOCAL_MAX` in the shader).
const MERGE_TILE: u64 = 1024;

/// Sorted queries take the merge path when the haystack segment holds at most this many elements per
/// query; sparser sorted queries take the block-local search (the merge walks the whole haystack, the
/// search touches log2 of it per query).
const MERGE_RATIO: u64 = 8;

/// Haystack samples the cached search keeps in workgroup memory.
const SAMPLES: u32 = 1024;

/// How a batch of queries is searched on the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Path {
    /// One invocation per query, straight into the haystack (the path before the sample cache; kept
    /// for comparison).
    #[cfg_attr(not(test), allow(dead_code))]
    Direct,
    /// One invocation per query; the top levels of the haystack (this many samples, every stride-th
    /// element, at most 1024) are cached in workgroup memory first. Any queries.
    Cached(u32),
    /// Sorted queries: each workgroup caches the stretch of the haystack its queries' answers span.
    Local,
    /// Sorted queries over a one-segment haystack: merge path.
    Merge,
}

/// The search pipeline for `path`: upper or lower bound, i64 (`signed`), two-word elements (`wide`).
fn search_kernel(ctx: &Arc<GpuContext>, path: Path, upper: bool, signed: bool, wide: bool) -> Result<Arc<Kernel>> {
    let flags = [("UPPER", flag(upper)), ("SIGNED", flag(signed)), ("WIDE", flag(wide))];
    match path {
        Path::Direct | Path::Cached(_) => {
            let samples = if let Path::Cached(s) = path { s.clamp(1, 1024) } else { 1 };
            let overrides = [
                flags[0],
                flags[1],
                flags[2],
                ("TOP_CACHE", flag(path != Path::Direct)),
                ("SAMPLES", f64::from(samples)),
            ];
            ctx.kernel(&table::SEARCH, "search", &overrides)
        }
        Path::Local => ctx.kernel(&table::SEARCH, "search_local", &flags),
        Path::Merge => ctx.kernel(&table::SEARCH, "search_merge", &flags),
    }
}

/// Records the search of `n` queries bound at `queries` into `positions` by `kernel`, over every
/// haystack segment (counts summed), so `positions` is the position in the whole haystack when it is
/// sorted. `merge`: the `search_merge` kernel (one haystack segment; its workgroups span the merge).
fn record_search(
    batch: &mut Batch,
    kernel: &Arc<Kernel>,
    haystack: &GpuArray,
    queries: wgpu::BufferBinding<'_>,
    n: u64,
    positions: wgpu::BufferBinding<'_>,
    merge: bool,
) -> Result<()> {
    let ctx = batch.ctx.clone();
    // An empty haystack still needs one pass to write zeros; bind the queries as a stand-in haystack.
    let segments = haystack.segments.len().max(1);
    debug_assert!(!merge || segments == 1);
    for h in 0..segments {
        let (hay, n_hay) =
            if haystack.len == 0 { (queries.clone(), 0) } else { (haystack.seg_binding(h), haystack.seg_len(h)) };
        let params = ctx.params(&SearchParams {
            n_queries: n as u32, // one segment: < 2^31
            n_haystack: n_hay as u32,
            accumulate: u32::from(h > 0),
            ..Default::default()
        })?;
        let groups = if merge { (n + n_hay).div_ceil(MERGE_TILE) } else { item_groups(n) };
        batch.dispatch(
            kernel,
            &[
                ("params", params.whole()),
                ("haystack", hay),
                ("queries", queries.clone()),
                ("positions", positions.clone()),
            ],
            groups,
        )?;
        batch.keep(params);
    }
    Ok(())
}

/// Searches device queries in a device haystack (same element width), in one submission, not waited
/// for. With `signed`, the eight-byte elements are i64. The queries' order is unknown: the cached
/// search.
pub(crate) fn search_array(
    ctx: &Arc<GpuContext>,
    haystack: &GpuArray,
    queries: &GpuArray,
    upper: bool,
    signed: bool,
) -> Result<GpuArray> {
    debug_assert!(haystack.len == 0 || haystack.elem_bytes == queries.elem_bytes);
    let out = ctx.alloc(queries.len, 8)?;
    let kernel = search_kernel(ctx, Path::Cached(SAMPLES), upper, signed, queries.elem_bytes == 8)?;
    let mut batch = Batch::new(ctx);
    for i in 0..queries.segments.len() {
        let (q, n, pos) = (queries.seg_binding(i), queries.seg_len(i), out.seg_binding(i));
        record_search(&mut batch, &kernel, haystack, q, n, pos, false)?;
    }
    batch.submit();
    Ok(out)
}

/// The path for `n_queries` host queries (`sorted`: in ascending order by their own order) in
/// `haystack`.
fn choose_path(haystack: &GpuArray, n_queries: u64, sorted: bool) -> Path {
    if !sorted {
        Path::Cached(SAMPLES)
    } else if haystack.segments.len() == 1 && haystack.len <= MERGE_RATIO * n_queries {
        Path::Merge
    } else {
        Path::Local
    }
}

/// Searches host queries (u32, u64, or i64 with `signed`; the haystack's element type) in a device
/// haystack, a segment of queries at a time. `sorted`: the caller found the queries sorted (by their
/// own order): they take the merge path or the block-local search.
pub(crate) fn search_slice<T: bytemuck::Pod>(
    ctx: &Arc<GpuContext>,
    haystack: &GpuArray,
    queries: &[T],
    upper: bool,
    signed: bool,
    sorted: bool,
) -> Result<Vec<u64>> {
    let seg = ctx.segment_elems as usize;
    let n = queries.len().min(seg) as u64;
    search_slice_path(ctx, haystack, queries, upper, signed, choose_path(haystack, n, sorted))
}

/// [`search_slice`] by a given path (`Local` and `Merge` need sorted queries; `Merge` a haystack of at
/// most one segment).
pub(crate) fn search_slice_path<T: bytemuck::Pod>(
    ctx: &Arc<GpuContext>,
    haystack: &GpuArray,
    queries: &[T],
    upper: bool,
    signed: bool,
    path: Path,
) -> Result<Vec<u64>> {
    let elem = std::mem::size_of::<T>() as u64;
    debug_assert!(haystack.len == 0 || haystack.elem_bytes == elem);
    let merge = path == Path::Merge && haystack.segments.len() == 1;
    let path = if path == Path::Merge && !merge { Path::Local } else { path };
    let kernel = search_kernel(ctx, path, upper, signed, elem == 8)?;
    let mut out = vec![0u64; queries.len()];
    let seg = ctx.segment_elems as usize;
    for (chunk, dst) in queries.chunks(seg).zip(out.chunks_mut(seg)) {
        let q = ctx.storage_from(chunk)?;
        let q_bytes = (chunk.len() as u64 * elem).max(16).div_ceil(16) * 16;
        let bytes = (chunk.len() as u64 * 8).max(16).div_ceil(16) * 16;
        let res = ctx.buffer(STORAGE, bytes)?;
        let mut batch = Batch::new(ctx);
        if merge {
            // Over an unsorted (trusted) haystack a query may be left unwritten: it reads 0.
            batch.enc.clear_buffer(res.buffer(), 0, None);
        }
        let n = chunk.len() as u64;
        record_search(&mut batch, &kernel, haystack, q.binding(0, q_bytes), n, res.binding(0, bytes), merge)?;
        batch.submit();
        ctx.read_buffer(&res, dst)?;
    }
    Ok(out)
}

/// The first row `i` of a device array (u32, u64 or, with `signed`, i64) with `a[i] < a[i - 1]`, if
/// any.
pub(crate) fn first_unsorted(ctx: &Arc<GpuContext>, values: &GpuArray, signed: bool) -> Result<Option<u64>> {
    if values.len < 2 {
        return Ok(None);
    }
    let elem = values.elem_bytes;
    let overrides = [("SIGNED", flag(signed)), ("WIDE", flag(elem == 8))];
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
            let last = (values.seg_len(i - 1) - 1) * elem;
            batch.enc.copy_buffer_to_buffer(values.segments[i - 1].buffer(), last, prev.buffer(), 0, elem);
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

#[cfg(test)]
mod timings {
    use super::{Path, SAMPLES, search_slice_path};
    use crate::{Backend, Engine};

    /// A row of the table: its name, the call, and the positions it must give.
    type Row<'a> = (&'static str, Box<dyn FnMut() -> Vec<u64> + 'a>, &'a [u64]);

    fn row<'a>(name: &'static str, f: impl FnMut() -> Vec<u64> + 'a, want: &'a [u64]) -> Row<'a> {
        (name, Box::new(f), want)
    }

    fn median_ms(mut f: impl FnMut() -> Vec<u64>, want: &[u64]) -> (f64, bool) {
        let mut times = Vec::new();
        let mut ok = true;
        for _ in 0..3 {
            let t = std::time::Instant::now();
            let got = f();
            times.push(t.elapsed().as_secs_f64() * 1e3);
            ok &= got == want;
        }
        times.sort_by(f64::total_cmp);
        (times[1], ok)
    }

    /// Timing, not a test: the GPU search paths back to back in one process, host queries in, positions
    /// out (upload of the queries and readback included; the haystack is uploaded once).
    /// `cargo test --release --lib -- --ignored --nocapture gpu_search_paths`
    #[test]
    #[ignore = "a measurement; run by hand"]
    fn gpu_search_paths() {
        let engine = Engine::builder().backend(Backend::Gpu).build().expect("a GPU adapter");
        let ctx = engine.gpu().expect("a GPU engine");
        let mut x = 1u64;
        let mut next = move || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            x >> 33
        };
        for log in [20u32, 22] {
            let n = 1usize << log;
            let mut h32: Vec<u32> = (0..n).map(|_| next() as u32).collect();
            h32.sort_unstable();
            let unsorted32: Vec<u32> = (0..n).map(|_| next() as u32).collect();
            let mut sorted32 = unsorted32.clone();
            sorted32.sort_unstable();
            let h64: Vec<u64> = h32.iter().map(|&v| u64::from(v)).collect();
            let unsorted64: Vec<u64> = unsorted32.iter().map(|&v| u64::from(v)).collect();
            let sorted64: Vec<u64> = sorted32.iter().map(|&v| u64::from(v)).collect();
            let want_unsorted: Vec<u64> = unsorted64.iter().map(|&q| h64.partition_point(|&v| v < q) as u64).collect();
            let want_sorted: Vec<u64> = sorted64.iter().map(|&q| h64.partition_point(|&v| v < q) as u64).collect();
            let hay32 = ctx.upload(&h32).expect("upload");
            let hay64 = ctx.upload(&h64).expect("upload");
            for round in 0..2 {
                let rows: Vec<Row<'_>> = vec![
                    row(
                        "unsorted u64 (widened) Direct [old]",
                        || search_slice_path(ctx, &hay64, &unsorted64, false, false, Path::Direct).unwrap(),
                        &want_unsorted,
                    ),
                    row(
                        "unsorted u64 (widened) Cached",
                        || search_slice_path(ctx, &hay64, &unsorted64, false, false, Path::Cached(SAMPLES)).unwrap(),
                        &want_unsorted,
                    ),
                    row(
                        "unsorted u64 (widened) Cached 256 samples",
                        || search_slice_path(ctx, &hay64, &unsorted64, false, false, Path::Cached(256)).unwrap(),
                        &want_unsorted,
                    ),
                    row(
                        "unsorted u32 own width Cached",
                        || search_slice_path(ctx, &hay32, &unsorted32, false, false, Path::Cached(SAMPLES)).unwrap(),
                        &want_unsorted,
                    ),
                    row(
                        "sorted u64 (widened) Local [old]",
                        || search_slice_path(ctx, &hay64, &sorted64, false, false, Path::Local).unwrap(),
                        &want_sorted,
                    ),
                    row(
                        "sorted u64 (widened) Merge",
                        || search_slice_path(ctx, &hay64, &sorted64, false, false, Path::Merge).unwrap(),
                        &want_sorted,
                    ),
                    row(
                        "sorted u32 own width Merge",
                        || search_slice_path(ctx, &hay32, &sorted32, false, false, Path::Merge).unwrap(),
                        &want_sorted,
                    ),
                ];
                for (name, f, want) in rows {
                    let (ms, ok) = median_ms(f, want);
                    eprintln!("round {round} n=2^{log} {name}: median of 3 {ms:.1} ms, matches={ok}");
                }
            }
        }
    }
}
