//! Host wrapper of `shaders/sha256.wgsl`: SHA-256 of framed ranges of one byte buffer. Ranges are
//! grouped by the passes they need (a power of two) and, within a group, taken in order of their start
//! and cut into chunks whose bytes fit one storage binding; each chunk's bytes are uploaded once however
//! many (overlapping) ranges read them, and hashed in passes of bounded work per range.

use std::sync::Arc;

use super::memory::STORAGE;
use super::pipelines::table::{self, Sha256Params};
use super::{Batch, GpuContext, byte_words, item_groups};
use crate::error::{Error, Result};

/// Blocks one pass hashes per range (each block is about 80 loop iterations).
const BLOCK_BUDGET: u32 = 64;
/// Bytes of per-range state (`HashState` in the shader).
const STATE_BYTES: u64 = 36;
/// Padding bytes SHA-256 adds at most (0x80, zeros, 8 length bytes).
const PADDING: u64 = 72;

/// The digests of `prefix ++ bytes[a..b] ++ suffix` for each range `(a, b)` (valid ranges of `bytes`),
/// as eight big-endian words each; and the ranges too large for the device, whose digests are left
/// zero for the caller.
pub(crate) fn digest_ranges(
    ctx: &Arc<GpuContext>,
    bytes: &[u8],
    ranges: &[(u64, u64)],
    prefix: &[u8],
    suffix: &[u8],
) -> Result<(Vec<[u32; 8]>, Vec<usize>)> {
    let mut out = vec![[0u32; 8]; ranges.len()];
    // One segment of words, less the extra word past the end that unaligned loads may touch.
    let max_bytes = (ctx.segment_elems - 1) * 4;
    let max_ranges = ctx.segment_elems * 8 / STATE_BYTES;
    let frame_len = (prefix.len() + suffix.len()) as u64;
    let fits = |(a, b): (u64, u64)| b - a <= max_bytes && (b - a) + frame_len + PADDING <= u64::from(u32::MAX);
    let oversized: Vec<usize> = (0..ranges.len()).filter(|&i| !fits(ranges[i])).collect();
    if frame_len + PADDING > u64::from(u32::MAX) {
        return Ok((out, (0..ranges.len()).collect()));
    }
    // Ranges grouped by the passes they need, rounded up to a power of two, so that a long range does
    // not make every short one in its chunk wait for its passes; within a group, by start.
    let passes = |(a, b): (u64, u64)| (b - a + frame_len + 8).div_ceil(64 * u64::from(BLOCK_BUDGET)).max(1);
    let mut order: Vec<(u32, u64, usize)> = (0..ranges.len())
        .filter(|&i| fits(ranges[i]))
        .map(|i| (passes(ranges[i]).next_power_of_two().trailing_zeros(), ranges[i].0, i))
        .collect();
    order.sort_unstable();
    let order: Vec<(u32, usize)> = order.into_iter().map(|(class, _, i)| (class, i)).collect();
    let frame = ctx.storage_from(&byte_words(&[prefix, suffix].concat()))?;
    let kernel = ctx.kernel(&table::SHA256, "sha256", &[])?;
    let mut start = 0;
    while start < order.len() {
        // The longest run of ranges of one group whose bytes span at most one binding.
        let (class, first) = order[start];
        let lo = ranges[first].0;
        let mut hi = ranges[first].1;
        let mut end = start + 1;
        while end < order.len() && order[end].0 == class && ((end - start) as u64) < max_ranges {
            let b = ranges[order[end].1].1;
            if b.max(hi) - lo > max_bytes {
                break;
            }
            hi = hi.max(b);
            end += 1;
        }
        let chunk: Vec<usize> = order[start..end].iter().map(|&(_, i)| i).collect();
        let digests = run_chunk(ctx, &kernel, &frame, bytes, lo, hi, &chunk, ranges, prefix.len(), suffix.len())?;
        for (&i, d) in chunk.iter().zip(digests) {
            out[i] = d;
        }
        start = end;
    }
    Ok((out, oversized))
}

/// Hashes the ranges `chunk` (indices into `ranges`), whose bytes lie in `bytes[lo..hi]`.
#[allow(clippy::too_many_arguments)]
fn run_chunk(
    ctx: &Arc<GpuContext>,
    kernel: &super::pipelines::Kernel,
    frame: &super::memory::PooledBuffer,
    bytes: &[u8],
    lo: u64,
    hi: u64,
    chunk: &[usize],
    ranges: &[(u64, u64)],
    prefix_len: usize,
    suffix_len: usize,
) -> Result<Vec<[u32; 8]>> {
    let n = chunk.len() as u64;
    // `upload_words` adds a word past the bytes: one segment, as `max_bytes` ensures.
    let words = ctx
        .upload_words(&bytes[lo as usize..hi as usize])?
        .segments
        .into_iter()
        .next()
        .ok_or_else(|| Error::gpu("sha256 upload", "no words"))?;
    // Within one binding, so the relative offsets fit u32.
    let rel: Vec<[u32; 2]> = chunk.iter().map(|&i| [(ranges[i].0 - lo) as u32, (ranges[i].1 - lo) as u32]).collect();
    let rel_buf = ctx.storage_from(&rel)?;
    let state = ctx.buffer(STORAGE, n * STATE_BYTES)?;
    let longest = chunk.iter().map(|&i| ranges[i].1 - ranges[i].0).max().unwrap_or(0);
    let max_blocks = (longest + (prefix_len + suffix_len) as u64 + 8) / 64 + 1;
    let passes = max_blocks.div_ceil(u64::from(BLOCK_BUDGET));
    let mut batch = Batch::new(ctx);
    for pass in 0..passes {
        let params = Sha256Params {
            n: n as u32,
            budget: BLOCK_BUDGET,
            first: u32::from(pass == 0),
            prefix_len: prefix_len as u32,
            suffix_len: suffix_len as u32,
            ..Default::default()
        };
        batch.run(
            kernel,
            &params,
            &[("data", words.whole()), ("ranges", rel_buf.whole()), ("frame", frame.whole()), ("state", state.whole())],
            item_groups(n),
        )?;
    }
    batch.submit();
    let mut raw = vec![[0u32; 9]; n as usize];
    ctx.read_buffer(&state, &mut raw)?;
    Ok(raw.into_iter().map(|s| std::array::from_fn(|k| s[k + 1])).collect())
}
