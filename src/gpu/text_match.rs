//! Host wrapper of `shaders/text_match.wgsl`: case-insensitive prefixes, URL spans and UUID-set
//! membership over a text on the device, chunk by chunk (see `text.rs`).

use std::sync::Arc;

use super::memory::STORAGE;
use super::pipelines::table::{self, PrefixParams, SetParams, UrlParams};
use super::text::DeviceText;
use super::{Batch, GpuContext, byte_words, item_groups};
use crate::error::Result;

/// Bytes one URL pass walks per row.
const URL_BUDGET: u32 = 4096;

/// 0/1 per row: the row starts with `pattern` (lowercase ASCII), ASCII case ignored; and the rows too
/// large for the device.
pub(crate) fn prefix_ci(ctx: &Arc<GpuContext>, text: &DeviceText, pattern: &[u8]) -> Result<(Vec<u64>, Vec<usize>)> {
    let mut out = vec![0u64; text.rows];
    let (chunks, oversized) = (&text.chunks, text.oversized.clone());
    let pat = ctx.storage_from(&byte_words(pattern))?;
    let kernel = ctx.kernel(&table::TEXT_MATCH, "prefix_ci", &[])?;
    for c in chunks {
        let flags = ctx.buffer(STORAGE, c.len() * 8)?;
        let params =
            ctx.params(&PrefixParams { n: c.len() as u32, len: pattern.len() as u32, ..Default::default() })?;
        let mut batch = Batch::new(ctx);
        batch.dispatch(
            &kernel,
            &[
                ("text_words", c.words.whole()),
                ("text_offsets", c.offsets.whole()),
                ("prefix_params", params.whole()),
                ("pattern", pat.whole()),
                ("flags", flags.whole()),
            ],
            item_groups(c.len()),
        )?;
        batch.keep(params);
        batch.submit();
        ctx.read_buffer(&flags, &mut out[c.rows.clone()])?;
    }
    Ok((out, oversized))
}

/// URL spans per row, the spans of all rows in order, and the rows left to the CPU.
type UrlSpans = (Vec<u32>, Vec<(u64, u64)>, Vec<usize>);

/// URL spans per row: `counts[r]` spans each, listed in order in `spans` as absolute byte positions in
/// the column's values; and the rows too large for the device (their counts are 0 here).
pub(crate) fn urls(ctx: &Arc<GpuContext>, text: &DeviceText) -> Result<UrlSpans> {
    let mut counts = vec![0u32; text.rows];
    let mut spans = Vec::new();
    let (chunks, oversized) = (&text.chunks, text.oversized.clone());
    let kernel = ctx.kernel(&table::TEXT_MATCH, "urls", &[])?;
    for c in chunks {
        let rows = c.len();
        let passes = (c.max_row_bytes + 1).div_ceil(u64::from(URL_BUDGET));
        let state = ctx.buffer(STORAGE, rows * 16)?;
        let counts_buf = ctx.buffer(STORAGE, rows * 4)?;
        let run =
            |write: bool, starts: &super::memory::PooledBuffer, spans: &super::memory::PooledBuffer| -> Result<()> {
                let mut batch = Batch::new(ctx);
                for pass in 0..passes {
                    let params = ctx.params(&UrlParams {
                        n: rows as u32,
                        budget: URL_BUDGET,
                        first: u32::from(pass == 0),
                        write: u32::from(write),
                    })?;
                    batch.dispatch(
                        &kernel,
                        &[
                            ("text_words", c.words.whole()),
                            ("text_offsets", c.offsets.whole()),
                            ("url_params", params.whole()),
                            ("url_state", state.whole()),
                            ("url_counts", counts_buf.whole()),
                            ("url_starts", starts.whole()),
                            ("url_spans", spans.whole()),
                        ],
                        item_groups(rows),
                    )?;
                    batch.keep(params);
                }
                batch.submit();
                Ok(())
            };
        // Count, then give each row its place in the span list, then write.
        let dummy = ctx.buffer(STORAGE, 16)?;
        let dummy_spans = ctx.buffer(STORAGE, 16)?;
        run(false, &dummy, &dummy_spans)?;
        let chunk_counts = &mut counts[c.rows.clone()];
        ctx.read_buffer(&counts_buf, chunk_counts)?;
        let mut starts = Vec::with_capacity(chunk_counts.len());
        let mut total = 0u32;
        for &k in chunk_counts.iter() {
            starts.push(total);
            total += k;
        }
        if total == 0 {
            continue;
        }
        let starts_buf = ctx.storage_from(&starts)?;
        let spans_buf = ctx.buffer(STORAGE, u64::from(total) * 8)?;
        run(true, &starts_buf, &spans_buf)?;
        let mut raw = vec![[0u32; 2]; total as usize];
        ctx.read_buffer(&spans_buf, &mut raw)?;
        spans.extend(raw.into_iter().map(|[s, e]| (c.first_byte + u64::from(s), c.first_byte + u64::from(e))));
    }
    Ok((counts, spans, oversized))
}

/// 0/1 per row: the row is a UUID in canonical text whose bytes are in `keys` (sorted); and the rows
/// too large for the device.
pub(crate) fn in_uuid_set(
    ctx: &Arc<GpuContext>,
    text: &DeviceText,
    keys: &[[u32; 4]],
) -> Result<(Vec<u64>, Vec<usize>)> {
    let mut out = vec![0u64; text.rows];
    let (chunks, oversized) = (&text.chunks, text.oversized.clone());
    let keys_buf = ctx.storage_from(if keys.is_empty() { &[[0u32; 4]] } else { keys })?;
    let kernel = ctx.kernel(&table::TEXT_MATCH, "in_uuid_set", &[])?;
    for c in chunks {
        let members = ctx.buffer(STORAGE, c.len() * 8)?;
        let params = ctx.params(&SetParams { n: c.len() as u32, n_keys: keys.len() as u32, ..Default::default() })?;
        let mut batch = Batch::new(ctx);
        batch.dispatch(
            &kernel,
            &[
                ("text_words", c.words.whole()),
                ("text_offsets", c.offsets.whole()),
                ("set_params", params.whole()),
                ("keys", keys_buf.whole()),
                ("members", members.whole()),
            ],
            item_groups(c.len()),
        )?;
        batch.keep(params);
        batch.submit();
        ctx.read_buffer(&members, &mut out[c.rows.clone()])?;
    }
    Ok((out, oversized))
}
