//! Host wrapper of `shaders/elementwise.wgsl`: elementwise u64 column operations and gather, a segment
//! per dispatch, in one submission that is not waited for.

use std::sync::Arc;

use super::memory::GpuArray;
use super::pipelines::table::{self, GatherParams, MapParams, consts};
use super::{Batch, GpuContext, Groups, item_groups, u64_words};
use crate::error::{Error, Result};
use crate::ops::{PairOp, ScalarOp};

pub(crate) fn map_scalar(ctx: &Arc<GpuContext>, a: &GpuArray, op: ScalarOp, k: u64) -> Result<GpuArray> {
    let out = ctx.alloc(a.len, 8)?;
    let kernel = ctx.kernel(&table::ELEMENTWISE, "map_scalar", &[("OP", f64::from(scalar_code(op)))])?;
    let mut batch = Batch::new(ctx);
    batch.per_segment(&kernel, a.segments.len(), |i| {
        let n = a.seg_len(i);
        let params = MapParams { n: n as u32, k: u64_words(k), ..Default::default() };
        (params, vec![("a", a.seg_binding(i)), ("out", out.seg_binding(i))], item_groups(n))
    })?;
    batch.submit();
    Ok(out)
}

pub(crate) fn map_pair(ctx: &Arc<GpuContext>, a: &GpuArray, b: &GpuArray, op: PairOp) -> Result<GpuArray> {
    if a.len != b.len {
        return Err(Error::invalid("column length", b.len, format!("must equal the first column's {}", a.len)));
    }
    let out = ctx.alloc(a.len, 8)?;
    let kernel = ctx.kernel(&table::ELEMENTWISE, "map_pair", &[("OP", f64::from(pair_code(op)))])?;
    let mut batch = Batch::new(ctx);
    batch.per_segment(&kernel, a.segments.len(), |i| {
        let n = a.seg_len(i);
        let bindings = vec![("a", a.seg_binding(i)), ("b", b.seg_binding(i)), ("out", out.seg_binding(i))];
        (MapParams { n: n as u32, ..Default::default() }, bindings, item_groups(n))
    })?;
    batch.submit();
    Ok(out)
}

pub(crate) fn iota(ctx: &Arc<GpuContext>, len: u64, start: u64) -> Result<GpuArray> {
    let out = ctx.alloc(len, 8)?;
    let kernel = ctx.kernel(&table::ELEMENTWISE, "iota", &[])?;
    let mut batch = Batch::new(ctx);
    batch.per_segment(&kernel, out.segments.len(), |i| {
        let n = out.seg_len(i);
        let base = i as u64 * out.seg_elems;
        let params = MapParams { n: n as u32, k: u64_words(start), base: u64_words(base), ..Default::default() };
        (params, vec![("out", out.seg_binding(i))], item_groups(n))
    })?;
    batch.submit();
    Ok(out)
}

pub(crate) fn gather(ctx: &Arc<GpuContext>, src: &GpuArray, idx: &GpuArray) -> Result<GpuArray> {
    gather_indirect(ctx, src, idx, None)
}

/// [`gather`]; with `args`, each index segment `q`'s dispatches read their workgroups from the indirect
/// arguments at byte `12 * q` of `args` (where they may have been set to zero on the device).
pub(crate) fn gather_indirect(
    ctx: &Arc<GpuContext>,
    src: &GpuArray,
    idx: &GpuArray,
    args: Option<&wgpu::Buffer>,
) -> Result<GpuArray> {
    let out = ctx.alloc(idx.len, 8)?;
    let kernel = ctx.kernel(&table::ELEMENTWISE, "gather", &[])?;
    let mut batch = Batch::new(ctx);
    // An empty source still needs one pass to write zeros; the index segment stands in for it.
    let src_segments = src.segments.len().max(1);
    for q in 0..idx.segments.len() {
        let n = idx.seg_len(q);
        let groups = match args {
            Some(args) => Groups::Indirect(args, 12 * q as u64),
            None => Groups::Count(item_groups(n)),
        };
        for s in 0..src_segments {
            let (binding, src_len) =
                if src.len == 0 { (idx.seg_binding(q), 0) } else { (src.seg_binding(s), src.seg_len(s)) };
            let params = GatherParams {
                n: n as u32,
                src_len: src_len as u32,
                first: u32::from(s == 0),
                src_start: u64_words(s as u64 * src.seg_elems),
                ..Default::default()
            };
            batch.run(
                &kernel,
                &params,
                &[("src", binding), ("idx", idx.seg_binding(q)), ("dst", out.seg_binding(q))],
                groups,
            )?;
        }
    }
    batch.submit();
    Ok(out)
}

/// The `OP` override of `map_scalar` for `op` (codes named in `shaders/shared/constants.wgsl`).
fn scalar_code(op: ScalarOp) -> u32 {
    match op {
        ScalarOp::AddSat => consts::SCALAR_ADD_SAT,
        ScalarOp::SubSat => consts::SCALAR_SUB_SAT,
        ScalarOp::Min => consts::SCALAR_MIN,
        ScalarOp::Max => consts::SCALAR_MAX,
        ScalarOp::Ge => consts::SCALAR_GE,
        ScalarOp::Lt => consts::SCALAR_LT,
        ScalarOp::FloorDivSigned => consts::SCALAR_FLOOR_DIV_SIGNED,
    }
}

/// The `OP` override of `map_pair` for `op` (codes named in `shaders/shared/constants.wgsl`).
fn pair_code(op: PairOp) -> u32 {
    match op {
        PairOp::Max => consts::PAIR_MAX,
        PairOp::Min => consts::PAIR_MIN,
        PairOp::SubSat => consts::PAIR_SUB_SAT,
        PairOp::WrappingAdd => consts::PAIR_WRAPPING_ADD,
        PairOp::WrappingSub => consts::PAIR_WRAPPING_SUB,
        PairOp::Le => consts::PAIR_LE,
    }
}
