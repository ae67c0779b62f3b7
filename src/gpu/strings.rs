//! Host wrapper of `shaders/strings.wgsl`: the code points of each row of a text on the device, and the
//! upload of UTF-8 bytes as the words the text kernels read.

use std::sync::Arc;

use super::memory::{GpuArray, STORAGE};
use super::pipelines::table::{self, CharsParams};
use super::text::DeviceText;
use super::{Batch, GpuContext, item_groups};
use crate::error::Result;

impl GpuContext {
    /// Uploads `bytes` as u32 words (little-endian, byte 4w + k in bits 8k..), `bytes.len() / 4 + 1`
    /// of them: the last word holds the tail, so the word of every offset in `0..=len` exists.
    pub(crate) fn upload_words(self: &Arc<Self>, bytes: &[u8]) -> Result<GpuArray> {
        let n_words = bytes.len() as u64 / 4 + 1;
        let seg = self.segment_elems;
        let mut segments = Vec::new();
        let mut w0 = 0u64;
        while w0 < n_words {
            let nw = seg.min(n_words - w0);
            let start = ((w0 * 4) as usize).min(bytes.len());
            let end = ((w0 + nw) * 4).min(bytes.len() as u64) as usize;
            segments.push(self.word_buffer(&bytes[start..end], nw)?);
            w0 += nw;
        }
        Ok(GpuArray { segments, len: n_words, elem_bytes: 4, seg_elems: seg })
    }

    /// A buffer of `n_words` u32 words holding `bytes` (at most `4 * n_words` of them) from word 0, the
    /// rest zero. Large writes are flushed at once, so staging memory holds one buffer's worth.
    fn word_buffer(self: &Arc<Self>, bytes: &[u8], n_words: u64) -> Result<super::memory::PooledBuffer> {
        debug_assert!(bytes.len() as u64 <= 4 * n_words);
        let buf = self.buffer(STORAGE, n_words * 4)?;
        let aligned = bytes.len() / 4 * 4;
        if aligned > 0 {
            self.queue.write_buffer(buf.buffer(), 0, &bytes[..aligned]);
        }
        // The words past the bytes: the partial one, and zeros (a pooled buffer holds old data).
        let rest = (n_words * 4) as usize - aligned;
        if rest > 0 {
            let mut tail = vec![0u8; rest];
            tail[..bytes.len() - aligned].copy_from_slice(&bytes[aligned..]);
            self.queue.write_buffer(buf.buffer(), aligned as u64, &tail);
        }
        if bytes.len() > super::memory::FLUSH_BYTES {
            self.flush_writes()?;
        }
        Ok(buf)
    }
}

/// Words of a row one pass of the `chars` kernel counts.
const CHARS_BUDGET: u32 = 4096;

/// The code points of each row of `text` and one more value, 0: `rows + 1` u64 on the device, so that
/// an exclusive scan of them is the rows' running count. `oversized` gives the counts of the rows too
/// large for the device (`text.oversized`, in order), counted by the caller. Every chunk's passes and
/// the copies of the given counts go in one submission; nothing is read back.
pub(crate) fn char_counts(ctx: &Arc<GpuContext>, text: &DeviceText, oversized: &[u64]) -> Result<GpuArray> {
    let out = ctx.alloc(text.rows as u64 + 1, 8)?;
    let kernel = ctx.kernel(&table::STRINGS, "chars", &[])?;
    let seg = out.seg_elems as usize;
    let mut batch = Batch::new(ctx);
    for c in &text.chunks {
        // A chunk's rows lie in one segment of the output (see `DeviceText::new`).
        let q = c.rows.start / seg;
        let out_row0 = (c.rows.start - q * seg) as u32;
        // A row of b bytes spans at most b / 4 + 2 words.
        let passes = (c.max_row_bytes / 4 + 2).div_ceil(u64::from(CHARS_BUDGET));
        for round in 0..passes {
            let params = CharsParams { n: c.len() as u32, budget: CHARS_BUDGET, round: round as u32, out_row0 };
            let bindings = [
                ("text_words", c.words.whole()),
                ("text_offsets", c.offsets.whole()),
                ("row_chars", out.seg_binding(q)),
            ];
            batch.run(&kernel, &params, &bindings, item_groups(c.len()))?;
        }
    }
    // The oversized rows' counts and the final 0, copied in after the passes (a queue write would land
    // before them).
    let given: Vec<(usize, u64)> =
        text.oversized.iter().copied().zip(oversized.iter().copied()).chain([(text.rows, 0)]).collect();
    let values: Vec<u64> = given.iter().map(|&(_, v)| v).collect();
    let src = ctx.storage_from(&values)?;
    for (k, &(row, _)) in given.iter().enumerate() {
        let (q, at) = (row / seg, (row % seg) as u64);
        batch.enc.copy_buffer_to_buffer(src.buffer(), 8 * k as u64, out.segments[q].buffer(), 8 * at, 8);
    }
    batch.keep(src);
    batch.submit();
    Ok(out)
}
