//! CPU twin of `shaders/strings.wgsl`, working on the raw UTF-8 buffer.

use rayon::prelude::*;

/// Bytes per block of a continuation mask ([`block_mask_sse2`]): one bit of a u64 each.
const BLOCK: usize = 64;

/// Blocks per chunk of [`fill_positions`]: 64 KiB of text, whose masks and counts (12 KiB) stay in the
/// core's L1/L2 cache between the chunk's two passes.
const CHUNK_BLOCKS: usize = 1024;

/// Bit `i` set where byte `i` of `b` is a continuation byte (10xxxxxx, that is 0x80..=0xBF, the bytes
/// below -64 as `i8`): on x86-64 four 16-byte compares and byte-mask moves of its baseline SSE2
/// (`pcmpgtb` + `pmovmskb`).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn block_mask_sse2(b: &[u8; BLOCK]) -> u64 {
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

/// [`block_mask_sse2`] in two 32-byte AVX2 compares, inlined into the functions compiled with AVX2.
///
/// # Safety
/// The CPU must have AVX2 (`is_x86_feature_detected!("avx2")`).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn block_mask_avx2(b: &[u8; BLOCK]) -> u64 {
    use std::arch::x86_64::{__m256i, _mm256_cmpgt_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8};
    let mut m = 0u64;
    for (i, c) in b.as_chunks::<32>().0.iter().enumerate() {
        // SAFETY: the caller checked that the CPU has AVX2; `c` is 32 readable bytes, loaded unaligned.
        let bits = unsafe {
            let v = _mm256_loadu_si256(c.as_ptr().cast::<__m256i>());
            _mm256_movemask_epi8(_mm256_cmpgt_epi8(_mm256_set1_epi8(-0x40), v))
        };
        m |= u64::from(bits as u32) << (32 * i);
    }
    m
}

/// [`block_mask_sse2`] elsewhere: eight bytes at a time in a u64 (SWAR), each byte's flag gathered
/// into one bit by a multiply.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))] // x86-64 uses SSE2/AVX2; the tests compare them
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

/// Which block mask the CPU runs best, detected once per call (the detection is a cached load).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Isa {
    /// x86-64 with AVX2 and popcnt.
    Avx2,
    /// x86-64 with popcnt (SSE2 masks).
    Popcnt,
    /// Anything else: SSE2 masks on x86-64, SWAR elsewhere, popcount in software where the target
    /// has no instruction for it.
    Baseline,
}

fn isa() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("popcnt") {
            return Isa::Avx2;
        }
        if std::arch::is_x86_feature_detected!("popcnt") {
            return Isa::Popcnt;
        }
    }
    Isa::Baseline
}

/// The baseline block mask: SSE2 on x86-64, SWAR elsewhere.
#[inline(always)]
fn block_mask_base(b: &[u8; BLOCK]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    return block_mask_sse2(b);
    #[cfg(not(target_arch = "x86_64"))]
    return block_mask_swar(b);
}

/// Continuation bytes in `bytes`, a block of [`BLOCK`] at a time with mask `mask`.
#[inline(always)]
fn continuation_bytes(bytes: &[u8], mask: impl Fn(&[u8; BLOCK]) -> u64) -> u64 {
    let (blocks, tail) = bytes.as_chunks::<BLOCK>();
    let whole: u64 = blocks.iter().map(|b| u64::from(mask(b).count_ones())).sum();
    let mut last = [0u8; BLOCK];
    last[..tail.len()].copy_from_slice(tail);
    whole + u64::from(mask(&last).count_ones())
}

/// Code points that start in `bytes`: its length less its continuation bytes, with no per-byte branch.
pub(crate) fn count_chars(bytes: &[u8]) -> u64 {
    bytes.len() as u64 - count_continuations(bytes, isa())
}

fn count_continuations(bytes: &[u8], isa: Isa) -> u64 {
    match isa {
        // SAFETY: `isa()` detected AVX2 and popcnt on this CPU.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { continuation_bytes_avx2(bytes) },
        // SAFETY: `isa()` detected popcnt on this CPU.
        #[cfg(target_arch = "x86_64")]
        Isa::Popcnt => unsafe { continuation_bytes_popcnt(bytes) },
        _ => continuation_bytes(bytes, block_mask_base),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
fn continuation_bytes_avx2(bytes: &[u8]) -> u64 {
    // SAFETY: this function runs only where AVX2 was detected (its callers match on `Isa::Avx2`).
    continuation_bytes(bytes, |b| unsafe { block_mask_avx2(b) })
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn continuation_bytes_popcnt(bytes: &[u8]) -> u64 {
    continuation_bytes(bytes, block_mask_sse2)
}

/// For each byte offset, the number of code points that start before it in `bytes`. Offsets past the
/// end count the whole buffer. Sorted offsets (as Arrow's are) are counted in one walk over the buffer;
/// large inputs are split across rayon's threads by offset ranges: each counts its own span, then the
/// spans' totals are added up. Unsorted offsets are sorted first and their counts put back in place.
pub(crate) fn char_positions(bytes: &[u8], offsets: &[u64]) -> Vec<u64> {
    if !offsets.is_sorted() {
        let mut order: Vec<usize> = (0..offsets.len()).collect();
        order.sort_unstable_by_key(|&i| offsets[i]);
        let sorted: Vec<u64> = order.iter().map(|&i| offsets[i]).collect();
        let mut out = vec![0u64; offsets.len()];
        for (i, v) in order.into_iter().zip(char_positions(bytes, &sorted)) {
            out[i] = v;
        }
        return out;
    }
    let isa = isa();
    let clamp = |o: u64| usize::try_from(o).unwrap_or(usize::MAX).min(bytes.len());
    let mut out = vec![0u64; offsets.len()];
    if bytes.len() < super::PARALLEL_MIN * 2 || offsets.len() < 2 {
        fill_positions(bytes, offsets, 0, &mut out, isa);
        return out;
    }
    // One part per thread of rayon's pool; each counts from its own first offset, in place, and its
    // total reaches the next part's first offset.
    let step = offsets.len().div_ceil(rayon::current_num_threads().max(1)).max(1);
    let totals: Vec<u64> = out
        .par_chunks_mut(step)
        .enumerate()
        .map(|(t, block)| {
            let r = t * step..t * step + block.len();
            let last = clamp(offsets[r.end - 1]);
            let end = offsets.get(r.end).map_or(last, |&o| clamp(o));
            fill_positions(bytes, &offsets[r.clone()], clamp(offsets[r.start]), block, isa);
            let rest = &bytes[last..end.max(last)];
            block.last().copied().unwrap_or(0) + rest.len() as u64 - count_continuations(rest, isa)
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

/// Positions of the sorted `offsets` counted from byte `start` (offsets before it count as `start`),
/// into `out`.
fn fill_positions(bytes: &[u8], offsets: &[u64], start: usize, out: &mut [u64], isa: Isa) {
    match isa {
        // SAFETY: `isa()` detected AVX2 and popcnt on this CPU.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { fill_positions_avx2(bytes, offsets, start, out) },
        // SAFETY: `isa()` detected popcnt on this CPU.
        #[cfg(target_arch = "x86_64")]
        Isa::Popcnt => unsafe { fill_positions_popcnt(bytes, offsets, start, out) },
        _ => fill_positions_with(bytes, offsets, start, out, block_mask_base),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
fn fill_positions_avx2(bytes: &[u8], offsets: &[u64], start: usize, out: &mut [u64]) {
    // SAFETY: this function runs only where AVX2 was detected (its callers match on `Isa::Avx2`).
    fill_positions_with(bytes, offsets, start, out, |b| unsafe { block_mask_avx2(b) });
}

/// [`fill_positions_with`] compiled with the `popcnt` instruction (x86-64's baseline has none, and
/// counting a mask's bits without it takes a dozen instructions).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn fill_positions_popcnt(bytes: &[u8], offsets: &[u64], start: usize, out: &mut [u64]) {
    fill_positions_with(bytes, offsets, start, out, block_mask_sse2);
}

/// The walk: the text from `start` is taken a chunk of [`CHUNK_BLOCKS`] blocks at a time. First every
/// block's continuation mask is stored with the continuation bytes before it in the chunk; then each
/// offset that falls in the chunk reads its block's two entries and counts the mask's bits below it.
/// No branch depends on where an offset falls in its block (message boundaries fall at random in the
/// blocks: a test of whether each offset left its block would mispredict about half the time). `out` is
/// as long as `offsets`.
#[inline(always)]
fn fill_positions_with(
    bytes: &[u8],
    offsets: &[u64],
    start: usize,
    out: &mut [u64],
    mask: impl Fn(&[u8; BLOCK]) -> u64,
) {
    let text = &bytes[start.min(bytes.len())..];
    // Offsets relative to `start`, clamped into `0..=text.len()` (non-decreasing, as `offsets` are).
    let at = |o: u64| usize::try_from(o).unwrap_or(usize::MAX).min(bytes.len()).saturating_sub(start);
    let chunk_bytes = CHUNK_BLOCKS * BLOCK;
    // `masks[j]`/`before[j]`: block j's mask and the continuation bytes of the chunk before it; one more
    // entry past the last block, for an offset at the end of the text.
    let mut masks = vec![0u64; CHUNK_BLOCKS + 1];
    let mut before = vec![0u32; CHUNK_BLOCKS + 1];
    let (mut i, mut c0, mut cont) = (0usize, 0usize, 0u64);
    while i < offsets.len() {
        let chunk = &text[c0..(c0 + chunk_bytes).min(text.len())];
        // Every offset left falls in the last chunk (none is past the text).
        let limit = if c0 + chunk_bytes >= text.len() { usize::MAX } else { c0 + chunk_bytes };
        if at(offsets[i]) >= limit {
            // No offset in this chunk: count it and go on.
            cont += continuation_bytes(chunk, &mask);
            c0 += chunk_bytes;
            continue;
        }
        let (blocks, tail) = chunk.as_chunks::<BLOCK>();
        let mut run = 0u32;
        for (j, b) in blocks.iter().enumerate() {
            let m = mask(b);
            masks[j] = m;
            before[j] = run;
            run += m.count_ones();
        }
        let mut padded = [0u8; BLOCK];
        padded[..tail.len()].copy_from_slice(tail);
        let m = mask(&padded);
        let nb = blocks.len();
        masks[nb] = m;
        before[nb] = run;
        run += m.count_ones();
        // The chunk's offsets, in one pass (the loop's test changes once a chunk, so it is predicted).
        while let Some(&o) = offsets.get(i) {
            let o = at(o);
            if o >= limit {
                break;
            }
            // `r <= chunk.len() = BLOCK * nb + tail.len()` with `tail.len() < BLOCK`, so `j <= nb`, an
            // entry written just above.
            let r = o - c0;
            let j = r / BLOCK;
            let below = masks[j] & ((1u64 << (r % BLOCK)) - 1);
            out[i] = o as u64 - cont - u64::from(before[j]) - u64::from(below.count_ones());
            i += 1;
        }
        cont += u64::from(run);
        c0 += chunk_bytes;
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

    /// Every block mask and walk this CPU can run.
    fn isas() -> Vec<Isa> {
        let best = isa();
        [Isa::Avx2, Isa::Popcnt, Isa::Baseline]
            .into_iter()
            .filter(|&i| i == Isa::Baseline || best == Isa::Avx2 || (best == Isa::Popcnt && i == Isa::Popcnt))
            .collect()
    }

    #[test]
    fn masks_match_the_definition() {
        let every: Vec<u8> = (0..=255u8).collect();
        let blocks =
            (1..200u64).map(|seed| random_bytes(BLOCK, seed)).chain(every.chunks_exact(BLOCK).map(<[u8]>::to_vec));
        for b in blocks {
            let b: [u8; BLOCK] = b.try_into().expect("64 bytes");
            let want = b.iter().enumerate().fold(0u64, |m, (i, &x)| m | u64::from(x & 0xC0 == 0x80) << i);
            assert_eq!(block_mask_base(&b), want);
            assert_eq!(block_mask_swar(&b), want);
            #[cfg(target_arch = "x86_64")]
            if isa() == Isa::Avx2 {
                // SAFETY: AVX2 was detected just above.
                assert_eq!(unsafe { block_mask_avx2(&b) }, want);
            }
        }
    }

    /// Any bytes (invalid and truncated UTF-8 included), any offsets (unsorted, past the end, inside a
    /// code point, at and across chunk ends, chunks with no offset), any split of the work, every ISA:
    /// the definition's counts.
    #[test]
    fn positions_match_the_definition_on_any_bytes() {
        let chunk = CHUNK_BLOCKS * BLOCK;
        let sizes = [0, 1, 63, 64, 65, 1000, 4099, chunk - 1, chunk, chunk + 1, 2 * chunk, 1 << 20];
        for (k, n) in sizes.into_iter().enumerate() {
            let seed = k as u64 + 1;
            let mut bytes = random_bytes(n, seed);
            // Valid multi-byte text in part of it, truncated at the end.
            let text = "héllo wörld 😀 ñ ".repeat(n / 40 + 1);
            let half = (n / 2).min(text.len());
            bytes[..half].copy_from_slice(&text.as_bytes()[..half]);
            let starts = starts(&bytes);
            let reference = |o: u64| starts[usize::try_from(o).unwrap_or(usize::MAX).min(n)];
            assert_eq!(count_chars(&bytes), reference(n as u64));
            for isa in isas() {
                assert_eq!(count_continuations(&bytes, isa), n as u64 - reference(n as u64), "{isa:?}");
            }
            // Dense offsets (messages of 0 to 22 bytes), then sparse ones (gaps up to three chunks).
            for gap in [23u64, 3 * chunk as u64] {
                let cuts = random_bytes(3 * n / 7 + 3, seed + 100);
                let mut offsets: Vec<u64> = cuts
                    .iter()
                    .map(|&c| u64::from(c) * gap / 256)
                    .scan(0u64, |o, c| {
                        *o += c;
                        Some(*o)
                    })
                    .take_while(|&o| o <= n as u64 + 64)
                    .collect();
                offsets.extend([chunk as u64, 2 * chunk as u64, n as u64, n as u64 + 5, u64::MAX]);
                offsets.sort_unstable();
                let want: Vec<u64> = offsets.iter().map(|&o| reference(o)).collect();
                assert_eq!(char_positions(&bytes, &offsets), want, "sorted, n = {n}, gap {gap}");
                for isa in isas() {
                    for start in [0, 1, 63, 64, 100, chunk + 3] {
                        let mut out = vec![0; offsets.len()];
                        fill_positions(&bytes, &offsets, start, &mut out, isa);
                        let s = reference(start as u64);
                        let want: Vec<u64> = offsets.iter().map(|&o| reference(o.max(start as u64)) - s).collect();
                        assert_eq!(out, want, "{isa:?}, start {start}, n = {n}, gap {gap}");
                    }
                }
                // Out of order: sorted, counted, put back.
                let mut shuffled: Vec<(u64, u64)> = offsets.iter().copied().zip(want).collect();
                let keys = random_bytes(shuffled.len(), seed + 7);
                let mut order: Vec<usize> = (0..shuffled.len()).collect();
                order.sort_by_key(|&i| keys[i]);
                shuffled = order.iter().map(|&i| shuffled[i]).collect();
                let (offs, want): (Vec<u64>, Vec<u64>) = shuffled.into_iter().unzip();
                assert_eq!(char_positions(&bytes, &offs), want, "shuffled, n = {n}, gap {gap}");
            }
        }
    }
}
