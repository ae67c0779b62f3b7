//! Host wrapper of `shaders/uuid5.wgsl`: name-based UUIDs of a string column, in passes of bounded work
//! per row (strip, then SHA-1 blocks, then hex), so that no invocation loops long.

use std::sync::Arc;

use super::memory::STORAGE;
use super::pipelines::table::{self, Uuid5Params};
use super::text::{DeviceText, TextChunk};
use super::{Batch, GpuContext, byte_words, item_groups};
use crate::error::Result;

/// Characters one strip pass examines per row.
const STRIP_BUDGET: u32 = 1024;
/// SHA-1 blocks one hash pass processes per row (each block is about 160 loop iterations).
const BLOCK_BUDGET: u32 = 8;
/// Bytes of per-row state (`RowState` in the shader).
const STATE_BYTES: u64 = 36;

/// The UUIDs of the rows of a column given as `offsets` (from 0) into `values`, as 36 hex characters
/// each (36 * n bytes), hashing `head ++ strip(row)`; and the rows too large for the device, left for the
/// caller.
pub(crate) fn uuid5(
    ctx: &Arc<GpuContext>,
    offsets: &[u64],
    values: &[u8],
    head: &[u8],
) -> Result<(Vec<u8>, Vec<usize>)> {
    let n = offsets.len() - 1;
    let mut out = vec![0u8; 36 * n];
    let DeviceText { chunks, oversized, .. } =
        DeviceText::with_rows_per_chunk(ctx, offsets, values, ctx.segment_elems * 8 / STATE_BYTES)?;
    let head_buf = ctx.storage_from(&byte_words(head))?;
    for chunk in &chunks {
        let hex = run_chunk(ctx, chunk, &head_buf, head.len() as u32)?;
        out[36 * chunk.rows.start..36 * chunk.rows.end].copy_from_slice(&hex);
    }
    Ok((out, oversized))
}

fn run_chunk(
    ctx: &Arc<GpuContext>,
    chunk: &TextChunk,
    head: &super::memory::PooledBuffer,
    head_len: u32,
) -> Result<Vec<u8>> {
    let n = chunk.len();
    let state = ctx.buffer(STORAGE, n * STATE_BYTES)?;
    let hex = ctx.buffer(STORAGE, n * 36)?;
    let pending = ctx.buffer(STORAGE, 4)?;
    let params = |budget: u32, first: bool| Uuid5Params { n: n as u32, budget, first: u32::from(first), head_len };
    let strip = ctx.kernel(&table::UUID5, "strip", &[])?;
    let sha1 = ctx.kernel(&table::UUID5, "sha1", &[])?;
    let format = ctx.kernel(&table::UUID5, "format_uuid", &[])?;

    // Strip: one pass covers every row no longer than the budget; otherwise passes go on while any
    // row is unfinished (the count of unfinished rows is read back after each).
    let strip_passes = chunk.max_row_bytes.div_ceil(u64::from(STRIP_BUDGET)).max(1);
    for pass in 0..strip_passes {
        ctx.queue.write_buffer(pending.buffer(), 0, bytemuck::bytes_of(&0u32));
        let p = ctx.params(&params(STRIP_BUDGET, pass == 0))?;
        let mut batch = Batch::new(ctx);
        batch.dispatch(
            &strip,
            &[
                ("text_words", chunk.words.whole()),
                ("text_offsets", chunk.offsets.whole()),
                ("params", p.whole()),
                ("state", state.whole()),
                ("pending", pending.whole()),
            ],
            item_groups(n),
        )?;
        batch.keep(p);
        batch.submit();
        if strip_passes > 1 {
            let mut left = [0u32];
            ctx.read_buffer(&pending, &mut left)?;
            if left[0] == 0 {
                break;
            }
        }
    }

    // SHA-1: enough passes for the longest row's blocks, then the hex text, in one submission.
    let max_blocks = (u64::from(head_len) + chunk.max_row_bytes + 8) / 64 + 1;
    let hash_passes = max_blocks.div_ceil(u64::from(BLOCK_BUDGET));
    let mut batch = Batch::new(ctx);
    for pass in 0..hash_passes {
        let p = ctx.params(&params(BLOCK_BUDGET, pass == 0))?;
        batch.dispatch(
            &sha1,
            &[
                ("text_words", chunk.words.whole()),
                ("params", p.whole()),
                ("state", state.whole()),
                ("head", head.whole()),
            ],
            item_groups(n),
        )?;
        batch.keep(p);
    }
    let p = ctx.params(&params(0, false))?;
    batch.dispatch(
        &format,
        &[("params", p.whole()), ("state", state.whole()), ("hex", hex.whole())],
        item_groups(n),
    )?;
    batch.keep(p);
    batch.submit();
    let mut bytes = vec![0u8; (n * 36) as usize];
    ctx.read_buffer(&hex, &mut bytes)?;
    Ok(bytes)
}
