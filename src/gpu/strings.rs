//! Host wrapper of `shaders/strings.wgsl`: code point positions over the raw UTF-8 buffer, as a scan of
//! per-block counts (16 words a block), so no invocation loops over a row (rows may be megabytes long)
//! and the counts take an eighth of the text's bytes.

use std::sync::Arc;

use super::memory::{GpuArray, STORAGE};
use super::pipelines::table::{self, CharOffsetsParams, WordCharsParams};
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
            let buf = self.buffer(STORAGE, nw * 4)?;
            let start = (w0 * 4) as usize;
            let end = ((w0 + nw) * 4).min(bytes.len() as u64) as usize;
            let chunk = &bytes[start.min(bytes.len())..end];
            let aligned = chunk.len() / 4 * 4;
            if aligned > 0 {
                self.queue.write_buffer(buf.buffer(), 0, &chunk[..aligned]);
            }
            let mut tail = [0u8; 4];
            tail[..chunk.len() - aligned].copy_from_slice(&chunk[aligned..]);
            if aligned / 4 < nw as usize {
                self.queue.write_buffer(buf.buffer(), aligned as u64, &tail);
            }
            segments.push(buf);
            w0 += nw;
            if bytes.len() > super::memory::FLUSH_BYTES {
                self.flush_writes()?;
            }
        }
        Ok(GpuArray { segments, len: n_words, elem_bytes: 4, seg_elems: seg })
    }
}

/// Words per block of the code point counts (`BLOCK_WORDS` in `shaders/strings.wgsl`).
const BLOCK_WORDS: u64 = 16;

/// Whether every words segment's blocks fit one segment of a blocks array with `seg` elements.
fn counts_fit(words: &GpuArray, seg: u64) -> bool {
    let per = words.seg_elems / BLOCK_WORDS;
    per <= seg && seg.is_multiple_of(per.max(1))
}

/// The segment of a blocks array (`blocks`) holding the first block of words segment `i`, and that
/// block's index in it.
fn block_place(words: &GpuArray, blocks: &GpuArray, i: usize) -> (usize, u64) {
    let g = i as u64 * (words.seg_elems / BLOCK_WORDS);
    ((g / blocks.seg_elems) as usize, g % blocks.seg_elems)
}

/// For each byte offset in `offsets` (u64), the number of code points that start before it in the
/// buffer `words` holds (`total_bytes` long, from [`GpuContext::upload_words`]).
pub(crate) fn char_positions(
    ctx: &Arc<GpuContext>,
    words: &GpuArray,
    total_bytes: u64,
    offsets: &GpuArray,
) -> Result<GpuArray> {
    // One count per block of BLOCK_WORDS words; a words segment's blocks lie in one counts segment
    // (segments hold whole tiles, a multiple of BLOCK_WORDS, and both arrays use the context's).
    debug_assert!(words.seg_elems.is_multiple_of(BLOCK_WORDS) && counts_fit(words, ctx.segment_elems));
    let counts = ctx.alloc(words.len.div_ceil(BLOCK_WORDS), 4)?;
    let wc = ctx.kernel(&table::STRINGS, "block_chars", &[])?;
    let mut batch = Batch::new(ctx);
    for i in 0..words.segments.len() {
        let n = words.seg_len(i);
        let first_byte = i as u64 * words.seg_elems * 4;
        let valid = total_bytes.saturating_sub(first_byte).min(n * 4);
        let (cs, base) = block_place(words, &counts, i);
        let params = ctx.params(&WordCharsParams {
            n_words: n as u32,
            valid_bytes: valid as u32,
            block_base: base as u32,
            ..Default::default()
        })?;
        batch.dispatch(
            &wc,
            &[("wc_params", params.whole()), ("words", words.seg_binding(i)), ("counts", counts.seg_binding(cs))],
            item_groups(n.div_ceil(BLOCK_WORDS)),
        )?;
        batch.keep(params);
    }
    batch.submit();
    let prefix = scan_array(ctx, &counts, ScanSpec { inclusive: false, wide: true })?;

    let out = ctx.alloc(offsets.len, 8)?;
    let co = ctx.kernel(&table::STRINGS, "char_offsets", &[])?;
    let mut batch = Batch::new(ctx);
    for q in 0..offsets.segments.len() {
        let n = offsets.seg_len(q);
        for s in 0..words.segments.len() {
            let start = s as u64 * words.seg_elems;
            let params = ctx.params(&CharOffsetsParams {
                n: n as u32,
                seg_words: words.seg_len(s) as u32,
                first: u32::from(s == 0),
                block_base: block_place(words, &prefix, s).1 as u32,
                seg_start: u64_words(start),
                ..Default::default()
            })?;
            batch.dispatch(
                &co,
                &[
                    ("co_params", params.whole()),
                    ("offsets", offsets.seg_binding(q)),
                    ("seg_words", words.seg_binding(s)),
                    ("seg_prefix", prefix.seg_binding(block_place(words, &prefix, s).0)),
                    ("char_pos", out.seg_binding(q)),
                ],
                item_groups(n),
            )?;
            batch.keep(params);
        }
    }
    batch.submit();
    Ok(out)
}
