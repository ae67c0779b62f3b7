//! CPU twin of `shaders/strings.wgsl`, working on the raw UTF-8 buffer.

use rayon::prelude::*;

/// Bytes per block of [`block_mask`]: one bit of a u64 each.
const BLOCK: usize = 64;

/// Bit `i` set where byte `i` of `b` is a continuation byte (10xxxxxx, that is 0x80..=0xBF, the bytes
/// below -64 as `i8`): on x86-64 four 16-byte compares and byte-mask moves of its baseline SSE2
/// (`pcmpgtb` + `pmovmskb`), about a fifth of an instruction per byte.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn block_mask(b: &[u8; BLOCK]) -> u64 {
    use std::arch::x86_64::{__m128i, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    let mut m = 0u64;
    for (i, c) in b.as_chunks::<16>().0.iter().enumerate() {
        // SAFETY: SSE2 is part of every x86-64 target; `c` is 16 readable bytes and the unaligned load
        // needs no alignment.
        let bits = unsafe {
            let v = _mm_loadu_si128(c.as_ptr().cast::<__m128i>());
            _mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(-0x40)))
        };
        m |= u64::from(bits as u16) << (16 * i);
    }
    m
}

/// [`block_mask`] elsewhere: eight bytes at a time in a u64 (SWAR), each byte's flag gathered into
/// one bit by a multiply.
#[cfg(any(test, not(target_arch = "x86_64")))]
#[cfg_attr(target_arch = "x86_64", allow(dead_code))] // compared with the SSE2 one by the tests
#[inline(always)]
fn block_mask_swar(b: &[u8; BLOCK]) -> u64 {
    let mut m = 0u64;
    for (i, w) in b.as_chunks::<8>().0.iter().enumerate() {
        let w = u64::from_le_bytes(*w);
        // Bit 0 of each byte: bit 7 set and bit 6 clear.
        let flags = (w & !(w << 1) & 0x8080_8080_8080_8080) >> 7;
        // Byte j's flag (bit 8j) lands on bit 56 + j.
        m |= (flags.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * i);
    }
    m
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn block_mask(b: &[u8; BLOCK]) -> u64 {
    block_mask_swar(b)
}

/// [`block_mask`] of the block at `pos`, zero bytes past the end of `text` (a zero byte is no
/// continuation byte).
#[inline(always)]
fn mask_at(text: &[u8], pos: usize) -> u64 {
    let rest = text.get(pos..).unwrap_or_default();
    if let Some(b) = rest.first_chunk::<BLOCK>() {
        return block_mask(b);
    }
    let mut b = [0u8; BLOCK];
    b[..rest.len()].copy_from_slice(rest);
    block_mask(&b)
}

/// Continuation bytes in `bytes`, a block of [`BLOCK`] at a time.
#[inline(always)]
fn continuation_bytes(bytes: &[u8]) -> u64 {
    let (blocks, tail) = bytes.as_chunks::<BLOCK>();
    let whole: u64 = blocks.iter().map(|b| u64::from(block_mask(b).count_ones())).sum();
    whole + u64::from(mask_at(tail, 0).count_ones())
}

/// Code points that start in `bytes`: its length less its continuation bytes, with no per-byte branch.
pub(crate) fn count_chars(bytes: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU has the `popcnt` instruction (checked just above).
        return unsafe { count_chars_popcnt(bytes) };
    }
    bytes.len() as u64 - continuation_bytes(bytes)
}

/// [`count_chars`] compiled with the `popcnt` instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn count_chars_popcnt(bytes: &[u8]) -> u64 {
    bytes.len() as u64 - continuation_bytes(bytes)
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
    // Each part's base: the code points before the first offset and in every earlier part.
    let mut base = count_chars(&bytes[..clamp(offsets[0])]);
    let bases: Vec<u64> = totals
        .iter()
        .map(|&t| {
            let b = base;
            base += t;
            b
        })
        .collect();
    out.par_chunks_mut(step).zip(bases).filter(|&(_, b)| b > 0).for_each(|(block, b)| {
        block.iter_mut().for_each(|v| *v += b);
    });
    out
}

/// Positions of `offsets` counted from byte `start` (offsets before it count as `start`), into `out`:
/// one walk over the buffer a [`BLOCK`] of 64 bytes at a time, each block's continuation bytes as one
/// bit mask, so an offset takes the popcount of its block's mask below it; an offset below the
/// previous one starts the walk again from `start`.
fn fill_positions(bytes: &[u8], offsets: &[u64], start: usize, out: &mut [u64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU has the `popcnt` instruction (checked just above).
        unsafe { fill_positions_popcnt(bytes, offsets, start, out) };
        return;
    }
    fill_positions_with(bytes, offsets, start, out);
}

/// [`fill_positions_with`] compiled with the `popcnt` instruction (x86-64's baseline has none, and
/// counting a mask's bits without it takes a dozen instructions).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn fill_positions_popcnt(bytes: &[u8], offsets: &[u64], start: usize, out: &mut [u64]) {
    fill_positions_with(bytes, offsets, start, out);
}

#[inline(always)]
fn fill_positions_with(bytes: &[u8], offsets: &[u64], start: usize, out: &mut [u64]) {
    let text = &bytes[start.min(bytes.len())..];
    // `pos`: the walk's block in `text` (a multiple of BLOCK), `mask` its continuation bits, `cont` the
    // continuation bytes in text[..pos].
    let (mut pos, mut cont, mut mask) = (0usize, 0u64, mask_at(text, 0));
    for (dst, &o) in out.iter_mut().zip(offsets) {
        let o = usize::try_from(o).unwrap_or(usize::MAX).min(bytes.len()).saturating_sub(start);
        if o < pos {
            (pos, cont, mask) = (0, 0, mask_at(text, 0));
        }
        if o >= pos + BLOCK {
            let target = o - o % BLOCK;
            cont += u64::from(mask.count_ones()) + continuation_bytes(&text[pos + BLOCK..target]);
            pos = target;
            mask = mask_at(text, pos);
        }
        // The bytes text[pos..o], fewer than BLOCK: the low `o - pos` bits of the block's mask.
        let below = mask & ((1u64 << (o - pos)) - 1);
        *dst = o as u64 - cont - u64::from(below.count_ones());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: a code point starts at every byte that is not 10xxxxxx; `starts[o]` counts
    /// those before byte `o`.
    fn starts(bytes: &[u8]) -> Vec<u64> {
        std::iter::once(0)
            .chain(bytes.iter().scan(0u64, |c, &b| {
                *c += u64::from(b & 0xC0 != 0x80);
                Some(*c)
            }))
            .collect()
    }

    fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn masks_match_the_definition() {
        for seed in 1..200u64 {
            let b: [u8; BLOCK] = random_bytes(BLOCK, seed).try_into().expect("64 bytes");
            let want = b.iter().enumerate().fold(0u64, |m, (i, &x)| m | u64::from(x & 0xC0 == 0x80) << i);
            assert_eq!(block_mask(&b), want);
            assert_eq!(block_mask_swar(&b), want);
        }
        let every: Vec<u8> = (0..=255u8).collect();
        for c in every.chunks_exact(BLOCK) {
            let b: &[u8; BLOCK] = c.try_into().expect("64 bytes");
            assert_eq!(block_mask(b), block_mask_swar(b));
        }
    }

    /// Any bytes (invalid and truncated UTF-8 included), any offsets (unsorted, past the end, inside a
    /// code point), any split of the work: the definition's counts.
    #[test]
    fn positions_match_the_definition_on_any_bytes() {
        for (n, seed) in [(0, 1), (1, 2), (63, 3), (64, 4), (65, 5), (1000, 6), (4099, 7), (1 << 20, 8)] {
            let mut bytes = random_bytes(n, seed);
            // Valid multi-byte text in part of it, truncated at the end.
            let text = "héllo wörld 😀 ñ ".repeat(n / 40 + 1);
            let half = (n / 2).min(text.len());
            bytes[..half].copy_from_slice(&text.as_bytes()[..half]);
            let starts = starts(&bytes);
            let reference = |o: u64| starts[usize::try_from(o).unwrap_or(usize::MAX).min(n)];
            assert_eq!(count_chars(&bytes), reference(n as u64));
            let cuts = random_bytes(3 * n / 7 + 3, seed + 100);
            let mut offsets: Vec<u64> = cuts
                .iter()
                .scan(0u64, |o, &c| {
                    *o += u64::from(c % 23);
                    Some(*o)
                })
                .collect();
            offsets.push(n as u64 + 5);
            offsets.push(u64::MAX);
            let want: Vec<u64> = offsets.iter().map(|&o| reference(o)).collect();
            assert_eq!(char_positions(&bytes, &offsets), want, "sorted, n = {n}");
            for start in [0, 1, 63, 64, 100] {
                let mut out = vec![0; offsets.len()];
                fill_positions(&bytes, &offsets, start, &mut out);
                let s = reference(start as u64);
                let want: Vec<u64> = offsets.iter().map(|&o| reference(o.max(start as u64)) - s).collect();
                assert_eq!(out, want, "start {start}, n = {n}");
            }
            // Out of order (each offset below the previous one walks again from the start: small n).
            if n <= 4099 {
                offsets.reverse();
                let want: Vec<u64> = want.into_iter().rev().collect();
                assert_eq!(char_positions(&bytes, &offsets), want, "reversed, n = {n}");
            }
        }
    }
}
