//! CPU twin of `shaders/strings.wgsl`, working on the raw UTF-8 buffer.

use rayon::prelude::*;

/// The high bit of every continuation byte (10xxxxxx) among the eight bytes of `w`: bit 7 set and
/// bit 6 clear (`w << 1` moves each byte's bit 6 onto its bit 7).
#[inline(always)]
fn continuation_bits(w: u64) -> u64 {
    w & !(w << 1) & 0x8080_8080_8080_8080
}

/// The eight bytes at `pos`, little-endian, zero past the end of `bytes` (a zero byte is no
/// continuation byte).
#[inline(always)]
fn word_at(bytes: &[u8], pos: usize) -> u64 {
    if let Some(w) = bytes.get(pos..pos.wrapping_add(8)) {
        return full_word(w);
    }
    let mut w = [0u8; 8];
    let tail = &bytes[pos.min(bytes.len())..];
    let n = tail.len().min(8);
    w[..n].copy_from_slice(&tail[..n]);
    u64::from_le_bytes(w)
}

/// Eight bytes as a little-endian u64 (`w` holds 8 bytes, from `chunks_exact(8)`).
#[inline(always)]
fn full_word(w: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(w);
    u64::from_le_bytes(a)
}

/// Code points that start in `bytes`: its length less its continuation bytes, counted eight bytes at
/// a time in a u64 (SWAR), with no per-byte branch.
pub(crate) fn count_chars(bytes: &[u8]) -> u64 {
    let mut words = bytes.chunks_exact(8);
    let mut cont = 0u64;
    for w in &mut words {
        cont += u64::from(continuation_bits(full_word(w)).count_ones());
    }
    cont += u64::from(continuation_bits(word_at(words.remainder(), 0)).count_ones());
    bytes.len() as u64 - cont
}

/// For each byte offset (non-decreasing, as Arrow offsets are), the number of code points that start
/// before it in `bytes`. Offsets past the end count the whole buffer. Large inputs are split across
/// rayon's threads by offset ranges: each counts its own span, then the spans' totals are added up.
pub(crate) fn char_positions(bytes: &[u8], offsets: &[u64]) -> Vec<u64> {
    let clamp = |o: u64| usize::try_from(o).unwrap_or(usize::MAX).min(bytes.len());
    let sorted = offsets.windows(2).all(|w| w[0] <= w[1]);
    if !sorted || bytes.len() < super::PARALLEL_MIN * 4 || offsets.len() < 2 {
        let mut out = vec![0u64; offsets.len()];
        fill_positions(bytes, offsets, 0, &mut out);
        return out;
    }
    // One part per thread of rayon's pool; each counts from its own first offset, in place, and its
    // total reaches the next part's first offset.
    let step = offsets.len().div_ceil(rayon::current_num_threads().max(1)).max(1);
    let mut out = vec![0u64; offsets.len()];
    let totals: Vec<u64> = out
        .par_chunks_mut(step)
        .enumerate()
        .map(|(t, block)| {
            let r = t * step..t * step + block.len();
            let last = clamp(offsets[r.end - 1]);
            let end = offsets.get(r.end).map_or(last, |&o| clamp(o));
            fill_positions(bytes, &offsets[r.clone()], clamp(offsets[r.start]), block);
            block.last().copied().unwrap_or(0) + count_chars(&bytes[last..end.max(last)])
        })
        .collect();
    let mut base = count_chars(&bytes[..clamp(offsets[0])]);
    for (block, total) in out.chunks_mut(step).zip(totals) {
        if base > 0 {
            block.iter_mut().for_each(|v| *v += base);
        }
        base += total;
    }
    out
}

/// Positions of `offsets` counted from byte `start` (offsets before it count as `start`), into `out`:
/// one walk over the buffer eight bytes at a time, each offset taking the continuation bytes of its
/// last partial word; an offset below the previous one starts the walk again from `start`.
fn fill_positions(bytes: &[u8], offsets: &[u64], start: usize, out: &mut [u64]) {
    let text = &bytes[start.min(bytes.len())..];
    // `pos`: the walk's place in `text`, a multiple of 8; `cont`: continuation bytes in text[..pos].
    let (mut pos, mut cont) = (0usize, 0u64);
    for (dst, &o) in out.iter_mut().zip(offsets) {
        let o = usize::try_from(o).unwrap_or(usize::MAX).min(bytes.len()).saturating_sub(start);
        if o < pos {
            (pos, cont) = (0, 0);
        }
        if o >= pos + 8 {
            cont += text[pos..o]
                .chunks_exact(8)
                .map(|w| u64::from(continuation_bits(full_word(w)).count_ones()))
                .sum::<u64>();
            pos += (o - pos) / 8 * 8;
        }
        // The bytes text[pos..o], fewer than 8: the low `o - pos` bytes of the word at `pos`.
        let low = (1u64 << (8 * (o - pos))) - 1;
        let partial = u64::from((continuation_bits(word_at(text, pos)) & low).count_ones());
        *dst = o as u64 - cont - partial;
    }
}
