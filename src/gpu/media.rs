//! Host wrapper of `shaders/media.wgsl`: the spans of media file names in each row, chunk by chunk
//! (see `text.rs`), every pass of a chunk in one submission.

use std::sync::Arc;

use super::memory::STORAGE;
use super::pipelines::table::{self, MediaParams};
use super::text::{DeviceText, TextChunk};
use super::{Batch, GpuContext, item_groups};
use crate::error::Result;
use crate::pyunicode::{PY_DECIMAL, PY_WORD};

/// Characters one pass walks per row (each costs at most about a hundred loop iterations: a table
/// search, a marker and two anchors tried).
const CHAR_BUDGET: u32 = 256;
/// Bytes of per-row state (`MediaState` in the shader).
const STATE_BYTES: u64 = 52;
/// Bytes of one found span (row, start, end, padding).
const SPAN_BYTES: u64 = 16;

/// Names found as (row, start, end), and the rows left to the CPU.
type Found = (Vec<(usize, u64, u64)>, Vec<usize>);

/// Every media file name found: (row, start, end) with byte positions in the column's values, in no
/// particular order, repeats included; and the rows too large for the device.
pub(crate) fn media_spans(ctx: &Arc<GpuContext>, offsets: &[u64], values: &[u8]) -> Result<Found> {
    let DeviceText { chunks, oversized, .. } =
        DeviceText::with_rows_per_chunk(ctx, offsets, values, ctx.segment_elems * 8 / STATE_BYTES)?;
    let word = ctx.storage_from(&PY_WORD)?;
    let decimal = ctx.storage_from(&PY_DECIMAL)?;
    let max_spans = ctx.segment_elems * 8 / SPAN_BYTES;
    let mut out = Vec::new();
    for c in &chunks {
        let mut capacity = c.len().clamp(256, max_spans);
        loop {
            let (count, spans) = run_chunk(ctx, c, &word, &decimal, capacity)?;
            if count <= capacity {
                let base = c.first_byte;
                out.extend(
                    spans
                        .into_iter()
                        .map(|[r, s, e, _]| (c.rows.start + r as usize, base + u64::from(s), base + u64::from(e))),
                );
                break;
            }
            // More names than room: again with room for all of them (a chunk's bytes hold at most one
            // name per 4 bytes, so they fit a binding).
            capacity = count.min(max_spans);
            if count > max_spans {
                return Err(crate::error::Error::LimitExceeded {
                    what: "media file names in one chunk of text".into(),
                    value: count,
                    limit: max_spans,
                });
            }
        }
    }
    Ok((out, oversized))
}

/// Walks chunk `c` with room for `capacity` spans: the number of names found and the spans stored.
fn run_chunk(
    ctx: &Arc<GpuContext>,
    c: &TextChunk,
    word: &super::memory::PooledBuffer,
    decimal: &super::memory::PooledBuffer,
    capacity: u64,
) -> Result<(u64, Vec<[u32; 4]>)> {
    let n = c.len();
    let kernel = ctx.kernel(&table::MEDIA, "media", &[])?;
    let state = ctx.buffer(STORAGE, n * STATE_BYTES)?;
    let found = ctx.storage_from(&[0u32])?;
    let spans = ctx.buffer(STORAGE, capacity * SPAN_BYTES)?;
    // Every character and the row's end is one step.
    let passes = (c.max_row_bytes + 1).div_ceil(u64::from(CHAR_BUDGET));
    let mut batch = Batch::new(ctx);
    for pass in 0..passes {
        let params = MediaParams {
            n: n as u32,
            budget: CHAR_BUDGET,
            first: u32::from(pass == 0),
            capacity: capacity as u32,
            n_word: PY_WORD.len() as u32,
            n_decimal: PY_DECIMAL.len() as u32,
            ..Default::default()
        };
        batch.run(
            &kernel,
            &params,
            &[
                ("text_words", c.words.whole()),
                ("text_offsets", c.offsets.whole()),
                ("state", state.whole()),
                ("word_ranges", word.whole()),
                ("decimal_ranges", decimal.whole()),
                ("found", found.whole()),
                ("spans", spans.whole()),
            ],
            item_groups(n),
        )?;
    }
    batch.submit();
    let mut count = [0u32];
    ctx.read_buffer(&found, &mut count)?;
    let count = u64::from(count[0]);
    let mut out = vec![[0u32; 4]; count.min(capacity) as usize];
    if !out.is_empty() {
        ctx.read_buffer(&spans, &mut out)?;
    }
    Ok((count, out))
}
