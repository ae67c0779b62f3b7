//! Host wrapper of `shaders/elementwise.wgsl`: elementwise u64 column operations and gather, a segment
//! per dispatch, in one submission that is not waited for.

use std::sync::Arc;

use super::memory::GpuArray;
use super::pipelines::table::{self, GatherParams, MapParams};
use super::{Batch, GpuContext, item_groups, u64_words};
use crate::cpu::elementwise::{PairOp, ScalarOp};
use crate::error::{Error, Result};

pub(crate) fn map_scalar(ctx: &Arc<GpuContext>, a: &GpuArray, op: ScalarOp, k: u64) -> Result<GpuArray> {
    let out = ctx.alloc(a.len, 8)?;
    let kernel = ctx.kernel(&table::ELEMENTWISE, "map_scalar", &[("OP", f64::from(op.code()))])?;
    let mut batch = Batch::new(ctx);
    for i in 0..a.segments.len() {
        let n = a.seg_len(i);
        let params = ctx.params(&MapParams { n: n as u32, k: u64_words(k), ..Default::default() })?;
        batch.dispatch(
            &kernel,
            &[("map_params", params.whole()), ("a", a.seg_binding(i)), ("out", out.seg_binding(i))],
            item_groups(n),
        )?;
        batch.keep(params);
    }
    batch.submit();
    Ok(out)
}

pub(crate) fn map_pair(ctx: &Arc<GpuContext>, a: &GpuArray, b: &GpuArray, op: PairOp) -> Result<GpuArray> {
    if a.len != b.len {
        return Err(Error::invalid("column length", b.len, format!("must equal the first column's {}", a.len)));
    }
    let out = ctx.alloc(a.len, 8)?;
    let kernel = ctx.kernel(&table::ELEMENTWISE, "map_pair", &[("OP", f64::from(op.code()))])?;
    let mut batch = Batch::new(ctx);
    for i in 0..a.segments.len() {
        let n = a.seg_len(i);
        let params = ctx.params(&MapParams { n: n as u32, ..Default::default() })?;
        batch.dispatch(
            &kernel,
            &[
                ("map_params", params.whole()),
                ("a", a.seg_binding(i)),
                ("b", b.seg_binding(i)),
                ("out", out.seg_binding(i)),
            ],
            item_groups(n),
        )?;
        batch.keep(params);
    }
    batch.submit();
    Ok(out)
}

pub(crate) fn iota(ctx: &Arc<GpuContext>, len: u64, start: u64) -> Result<GpuArray> {
    let out = ctx.alloc(len, 8)?;
    let kernel = ctx.kernel(&table::ELEMENTWISE, "iota", &[])?;
    let mut batch = Batch::new(ctx);
    for i in 0..out.segments.len() {
        let n = out.seg_len(i);
        let base = i as u64 * out.seg_elems;
        let params =
            ctx.params(&MapParams { n: n as u32, k: u64_words(start), base: u64_words(base), ..Default::default() })?;
        batch.dispatch(&kernel, &[("map_params", params.whole()), ("out", out.seg_binding(i))], item_groups(n))?;
        batch.keep(params);
    }
    batch.submit();
    Ok(out)
}

pub(crate) fn gather(ctx: &Arc<GpuContext>, src: &GpuArray, idx: &GpuArray) -> Result<GpuArray> {
    let out = ctx.alloc(idx.len, 8)?;
    let kernel = ctx.kernel(&table::ELEMENTWISE, "gather", &[])?;
    let mut batch = Batch::new(ctx);
    // An empty source still needs one pass to write zeros; the index segment stands in for it.
    let src_segments = src.segments.len().max(1);
    for q in 0..idx.segments.len() {
        let n = idx.seg_len(q);
        for s in 0..src_segments {
            let (binding, src_len) =
                if src.len == 0 { (idx.seg_binding(q), 0) } else { (src.seg_binding(s), src.seg_len(s)) };
            let params = ctx.params(&GatherParams {
                n: n as u32,
                src_len: src_len as u32,
                first: u32::from(s == 0),
                src_start: u64_words(s as u64 * src.seg_elems),
                ..Default::default()
            })?;
            batch.dispatch(
                &kernel,
                &[
                    ("gather_params", params.whole()),
                    ("src", binding),
                    ("idx", idx.seg_binding(q)),
                    ("dst", out.seg_binding(q)),
                ],
                item_groups(n),
            )?;
            batch.keep(params);
        }
    }
    batch.submit();
    Ok(out)
}
