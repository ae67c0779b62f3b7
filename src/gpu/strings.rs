//! Host wrapper of `shaders/strings.wgsl`: code point positions over the raw UTF-8 buffer, as a scan of
//! per-block counts (16 words a block), so no invocation loops over a row (rows may be megabytes long),
//! a piece of the text at a time.

use std::sync::Arc;

use super::memory::{GpuArray, STORAGE};
use super::pipelines::table::{self, CarryParams, CharOffsetsParams, WordCharsParams};
use super::scan::{ScanSpec, scan_array};
use super::{Batch, GpuContext, item_groups, u64_words};
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

/// Words per block of the code point counts (`BLOCK_WORDS` in `shaders/strings.wgsl`).
const BLOCK_WORDS: u64 = 16;

/// For each byte offset of `offsets` (the device copy of `host_offsets`: sorted, none past
/// `bytes.len()`), the number of code points that start before it in `bytes`.
///
/// The text goes to the device a piece at a time (one segment of words, less a block), so device
/// memory holds one piece and its counts rather than the whole text and a prefix of it: each piece's
/// blocks of [`BLOCK_WORDS`] words are counted and scanned, the offsets that fall in the piece (a row
/// range, found on the host) are resolved against them, and a device-side carry adds the code points
/// of the pieces before. Nothing is read back.
pub(crate) fn char_positions(
    ctx: &Arc<GpuContext>,
    bytes: &[u8],
    host_offsets: &[u64],
    offsets: &GpuArray,
) -> Result<GpuArray> {
    debug_assert_eq!(host_offsets.len() as u64, offsets.len);
    let out = ctx.alloc(offsets.len, 8)?;
    let total_words = bytes.len() as u64 / 4 + 1;
    // A piece of words plus the extra word past the text fits one segment; whole blocks.
    let piece_words = (ctx.segment_elems - BLOCK_WORDS) / BLOCK_WORDS * BLOCK_WORDS;
    let carry = ctx.upload(&[0u64])?;
    let wc = ctx.kernel(&table::STRINGS, "block_chars", &[])?;
    let co = ctx.kernel(&table::STRINGS, "char_offsets", &[])?;
    let ca = ctx.kernel(&table::STRINGS, "carry_add", &[])?;
    let (mut w0, mut r0) = (0u64, 0usize);
    while w0 < total_words && r0 < host_offsets.len() {
        let last = w0 + piece_words >= total_words;
        let pw = if last { total_words - w0 } else { piece_words };
        let (b0, b1) = ((w0 * 4) as usize, (((w0 + pw) * 4) as usize).min(bytes.len()));
        // Rows whose offsets' words are in this piece; the last piece takes every row left.
        let r1 = if last { host_offsets.len() } else { r0 + host_offsets[r0..].partition_point(|&o| o < (b1 as u64)) };
        // A piece with no offset is still counted, for the carry.
        let words = ctx.word_buffer(&bytes[b0.min(bytes.len())..b1], pw)?;
        let n_blocks = pw.div_ceil(BLOCK_WORDS);
        let counts = ctx.alloc(n_blocks, 4)?;
        let mut batch = Batch::new(ctx);
        let params = ctx.params(&WordCharsParams {
            n_words: pw as u32,
            valid_bytes: (b1 - b0.min(b1)) as u32,
            ..Default::default()
        })?;
        batch.dispatch(
            &wc,
            &[("wc_params", params.whole()), ("words", words.whole()), ("counts", counts.seg_binding(0))],
            item_groups(n_blocks),
        )?;
        batch.keep(params);
        batch.submit();
        let prefix = scan_array(ctx, &counts, ScanSpec { inclusive: false, wide: true })?;
        let mut batch = Batch::new(ctx);
        // The rows r0..r1, a dispatch for each offsets segment they touch.
        let seg = offsets.seg_elems as usize;
        let mut r = r0;
        while r < r1 {
            let q = r / seg;
            let end = r1.min((q + 1) * seg);
            let params = ctx.params(&CharOffsetsParams {
                n: (end - q * seg) as u32,
                seg_words: pw as u32,
                row0: (r - q * seg) as u32,
                seg_start: u64_words(w0),
                ..Default::default()
            })?;
            batch.dispatch(
                &co,
                &[
                    ("co_params", params.whole()),
                    ("offsets", offsets.seg_binding(q)),
                    ("seg_words", words.whole()),
                    ("seg_prefix", prefix.seg_binding(0)),
                    ("char_pos", out.seg_binding(q)),
                    ("carry", carry.seg_binding(0)),
                ],
                item_groups((end - r) as u64),
            )?;
            batch.keep(params);
            r = end;
        }
        if !last {
            let params = ctx.params(&CarryParams { n_blocks: n_blocks as u32, ..Default::default() })?;
            batch.dispatch(
                &ca,
                &[
                    ("ca_params", params.whole()),
                    ("seg_prefix", prefix.seg_binding(0)),
                    ("counts", counts.seg_binding(0)),
                    ("carry", carry.seg_binding(0)),
                ],
                1,
            )?;
            batch.keep(params);
        }
        batch.submit();
        w0 += pw;
        r0 = r1;
    }
    Ok(out)
}
