//! A string column on the device for the per-row text kernels (`shaders/shared/text.wgsl`): its rows cut
//! into chunks whose bytes fit one storage binding, each with its words and row offsets relative to the
//! chunk, uploaded once and read by every text kernel. A row too large for any binding is left to the
//! CPU twin.

use std::ops::Range;
use std::sync::Arc;

use super::GpuContext;
use super::memory::PooledBuffer;
use crate::error::{Error, Result};

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

/// A string column's rows on the device, in chunks; `oversized` are the rows too large for any
/// binding.
pub(crate) struct DeviceText {
    pub chunks: Vec<TextChunk>,
    pub oversized: Vec<usize>,
    pub rows: usize,
}

impl DeviceText {
    /// Uploads the rows of a column given as `offsets` (`n + 1`, from 0) into `values`. A chunk holds at
    /// most half a segment of rows (so per-row outputs and state of 16 bytes a row fit a binding) and
    /// never crosses a multiple of a segment's rows (so per-row u64 outputs of a chunk lie in one segment
    /// of a device array).
    pub(crate) fn new(ctx: &Arc<GpuContext>, offsets: &[u64], values: &[u8]) -> Result<Self> {
        Self::with_rows_per_chunk(ctx, offsets, values, ctx.segment_elems / 2)
    }

    /// [`DeviceText::new`] with at most `max_rows` rows a chunk.
    pub(crate) fn with_rows_per_chunk(
        ctx: &Arc<GpuContext>,
        offsets: &[u64],
        values: &[u8],
        max_rows: u64,
    ) -> Result<Self> {
        Self::within(ctx, offsets, values, max_rows, u64::MAX)
    }

    /// [`DeviceText::with_rows_per_chunk`] with chunks of at most `max_bytes` bytes each (at most one
    /// segment of words); a longer row is left out, in `oversized`.
    pub(crate) fn within(
        ctx: &Arc<GpuContext>,
        offsets: &[u64],
        values: &[u8],
        max_rows: u64,
        max_bytes: u64,
    ) -> Result<Self> {
        // One segment of words, less the extra word past the end.
        let max_bytes = max_bytes.min((ctx.segment_elems - 1) * 4);
        let max_rows = max_rows.clamp(1, ctx.segment_elems) as usize;
        let seg = ctx.segment_elems as usize;
        let n = offsets.len() - 1;
        let off = offsets;
        let mut chunks = Vec::new();
        let mut oversized = Vec::new();
        let mut r = 0usize;
        while r < n {
            if off[r + 1] - off[r] > max_bytes {
                oversized.push(r);
                r += 1;
                continue;
            }
            let start = r;
            let stop = (start / seg + 1) * seg;
            let mut longest = 0;
            while r < n && r < stop && r - start < max_rows && off[r + 1] - off[start] <= max_bytes {
                longest = longest.max(off[r + 1] - off[r]);
                r += 1;
            }
            let bytes = &values[off[start] as usize..off[r] as usize];
            // `upload_words` uploads `len / 4 + 1 <= segment_elems` words: exactly one segment.
            let words = ctx
                .upload_words(bytes)?
                .segments
                .into_iter()
                .next()
                .ok_or_else(|| Error::gpu("text upload", "no words"))?;
            let rel: Vec<u32> = off[start..=r].iter().map(|&o| (o - off[start]) as u32).collect();
            let offsets = ctx.storage_from(&rel)?;
            chunks.push(TextChunk { rows: start..r, first_byte: off[start], words, offsets, max_row_bytes: longest });
        }
        Ok(DeviceText { chunks, oversized, rows: n })
    }
}
