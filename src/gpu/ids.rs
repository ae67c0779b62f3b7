//! Host wrapper of `shaders/ids.wgsl`: "{ms}_{row}" strings, a chunk of rows at a time (a length pass,
//! a scan, a write pass).

use std::sync::Arc;

use super::memory::{GpuArray, STORAGE};
use super::pipelines::table::{self, IdParams};
use super::scan::{ScanSpec, scan_array};
use super::{Batch, GpuContext, item_groups};
use crate::error::Result;

/// The ids of rows with `delta` (timestamp units since the first message, `unit` 0..=3 for s, ms, µs,
/// ns) and sorted position `row`: the UTF-8 bytes and the end offset of each id.
pub(crate) fn message_ids(ctx: &Arc<GpuContext>, delta: &[u64], row: &[u64], unit: u32) -> Result<(Vec<u8>, Vec<u64>)> {
    // At most 41 bytes an id: a chunk's bytes stay well within one segment of words.
    let chunk = (ctx.segment_elems / 16).max(1) as usize;
    let lengths = ctx.kernel(&table::IDS, "id_lengths", &[])?;
    let write = ctx.kernel(&table::IDS, "id_write", &[])?;
    let mut bytes = Vec::new();
    let mut ends = Vec::with_capacity(delta.len());
    for (d, r) in delta.chunks(chunk).zip(row.chunks(chunk)) {
        let n = d.len() as u64;
        let params = ctx.params(&IdParams { n: n as u32, unit, ..Default::default() })?;
        let d_buf = ctx.storage_from(d)?;
        let r_buf = ctx.storage_from(r)?;
        let lens = ctx.buffer(STORAGE, n * 4)?;
        let mut batch = Batch::new(ctx);
        batch.dispatch(
            &lengths,
            &[("params", params.whole()), ("delta", d_buf.whole()), ("row", r_buf.whole()), ("lens", lens.whole())],
            item_groups(n),
        )?;
        batch.submit();
        let lens = GpuArray { segments: vec![lens], len: n, elem_bytes: 4, seg_elems: ctx.segment_elems };
        let chunk_ends = scan_array(ctx, &lens, ScanSpec { inclusive: true, wide: false })?;
        let e: Vec<u32> = ctx.read(&chunk_ends)?;
        let total = u64::from(e.last().copied().unwrap_or(0));
        let out = ctx.buffer(STORAGE, total.div_ceil(4).max(1) * 4)?;
        let mut batch = Batch::new(ctx);
        batch.enc.clear_buffer(out.buffer(), 0, None);
        batch.dispatch(
            &write,
            &[
                ("params", params.whole()),
                ("delta", d_buf.whole()),
                ("row", r_buf.whole()),
                ("ends", chunk_ends.seg_binding(0)),
                ("bytes", out.whole()),
            ],
            item_groups(n),
        )?;
        batch.submit();
        let mut chunk_bytes = vec![0u8; total as usize];
        ctx.read_buffer(&out, &mut chunk_bytes)?;
        let base = bytes.len() as u64;
        ends.extend(e.into_iter().map(|x| base + u64::from(x)));
        bytes.extend_from_slice(&chunk_bytes);
    }
    Ok((bytes, ends))
}
