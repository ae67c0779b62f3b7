//! CPU twin of `shaders/strings.wgsl`, working on the raw UTF-8 buffer.

/// Whether `b` starts a code point (is not a continuation byte 10xxxxxx).
#[inline(always)]
pub(crate) fn is_lead(b: u8) -> bool {
    (b as i8) >= -0x40
}

/// Code points that start in `bytes`.
pub(crate) fn count_chars(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| is_lead(b)).count() as u64
}

/// For each byte offset (non-decreasing, as Arrow offsets are), the number of code points that start
/// before it in `bytes`. Offsets past the end count the whole buffer. Large inputs are split across
/// threads by offset ranges: each counts its own span, then the spans' totals are added up.
pub(crate) fn char_positions(bytes: &[u8], offsets: &[u64]) -> Vec<u64> {
    let clamp = |o: u64| usize::try_from(o).unwrap_or(usize::MAX).min(bytes.len());
    let sorted = offsets.windows(2).all(|w| w[0] <= w[1]);
    if !sorted || bytes.len() < super::PARALLEL_MIN * 4 || offsets.len() < 2 {
        let mut out = vec![0u64; offsets.len()];
        fill_positions(bytes, offsets, 0, &mut out);
        return out;
    }
    let ranges = super::split(offsets.len(), super::threads());
    let mut out = vec![0u64; offsets.len()];
    // Each range counts from its own first offset, in place; its total reaches the next range's start.
    let totals: Vec<u64> = std::thread::scope(|s| {
        let mut rest: &mut [u64] = &mut out;
        let mut handles = Vec::new();
        for (t, r) in ranges.iter().enumerate() {
            let (block, tail) = rest.split_at_mut(r.len());
            rest = tail;
            let r = r.clone();
            let end = ranges.get(t + 1).map_or(clamp(offsets[r.end - 1]), |next| clamp(offsets[next.start]));
            handles.push(s.spawn(move || {
                let start = clamp(offsets[r.start]);
                let last = clamp(offsets[r.end - 1]);
                fill_positions(bytes, &offsets[r], start, block);
                block[block.len() - 1] + count_chars(&bytes[last..end.max(last)])
            }));
        }
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    let mut base = count_chars(&bytes[..clamp(offsets[0])]);
    for (r, total) in ranges.iter().zip(totals) {
        if base > 0 {
            out[r.clone()].iter_mut().for_each(|v| *v += base);
        }
        base += total;
    }
    out
}

/// Positions of `offsets` counted from byte `pos` (from scratch for an offset before it), into `out`.
fn fill_positions(bytes: &[u8], offsets: &[u64], mut pos: usize, out: &mut [u64]) {
    let mut chars = 0u64;
    for (dst, &o) in out.iter_mut().zip(offsets) {
        let o = usize::try_from(o).unwrap_or(usize::MAX).min(bytes.len());
        if o >= pos {
            chars += count_chars(&bytes[pos..o]);
        } else {
            chars = count_chars(&bytes[..o]);
        }
        pos = o;
        *dst = chars;
    }
}
