//! String columns on the device for the per-row byte kernels (`shaders/shared/text.wgsl`): rows are cut
//! into chunks whose bytes fit one storage binding, each with its words and row offsets relative to the
//! chunk. A row too large for any binding is left to the CPU twin.

use std::ops::Range;
use std::sync::Arc;

use super::GpuContext;
use super::memory::PooledBuffer;
use crate::error::{Error, Result};
use crate::kernels::strings::TextParts;

/// Rows `rows` of a string column on the device.
pub(crate) struct TextChunk {
    pub rows: Range<usize>,
    /// The chunk's first byte in the column's buffer.
    pub first_byte: u64,
    pub words: PooledBuffer,
    /// `rows.len() + 1` u32 offsets into `words`, from 0.
    pub offsets: PooledBuffer,
    /// The longest row, in bytes.
    pub max_row_bytes: u64,
}

impl TextChunk {
    pub fn len(&self) -> u64 {
        self.rows.len() as u64
    }
}

/// The chunks of `parts`, each at most `max_rows` rows, and the rows that fit no binding.
pub(crate) fn chunks(
    ctx: &Arc<GpuContext>,
    parts: &TextParts<'_>,
    max_rows: u64,
) -> Result<(Vec<TextChunk>, Vec<usize>)> {
    // One segment of words, less the extra word past the end.
    chunks_within(ctx, parts, max_rows, (ctx.segment_elems - 1) * 4)
}

/// [`chunks`] of at most `max_bytes` bytes each (at most one segment of words); a longer row is left out.
pub(crate) fn chunks_within(
    ctx: &Arc<GpuContext>,
    parts: &TextParts<'_>,
    max_rows: u64,
    max_bytes: u64,
) -> Result<(Vec<TextChunk>, Vec<usize>)> {
    let max_bytes = max_bytes.min((ctx.segment_elems - 1) * 4);
    let max_rows = max_rows.max(1) as usize;
    let n = parts.offsets.len() - 1;
    let off = &parts.offsets;
    let mut out = Vec::new();
    let mut oversized = Vec::new();
    let mut r = 0usize;
    while r < n {
        if off[r + 1] - off[r] > max_bytes {
            oversized.push(r);
            r += 1;
            continue;
        }
        let start = r;
        let mut longest = 0;
        while r < n && r - start < max_rows && off[r + 1] - off[start] <= max_bytes {
            longest = longest.max(off[r + 1] - off[r]);
            r += 1;
        }
        let bytes = &parts.values[off[start] as usize..off[r] as usize];
        // `upload_words` uploads `len / 4 + 1 <= segment_elems` words: exactly one segment.
        let words = ctx
            .upload_words(bytes)?
            .segments
            .into_iter()
            .next()
            .ok_or_else(|| Error::gpu("text upload", "no words"))?;
        let rel: Vec<u32> = off[start..=r].iter().map(|&o| (o - off[start]) as u32).collect();
        let offsets = ctx.storage_from(&rel)?;
        out.push(TextChunk { rows: start..r, first_byte: off[start], words, offsets, max_row_bytes: longest });
    }
    Ok((out, oversized))
}
