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
/// before it in `bytes`. Offsets past the end count the whole buffer.
pub(crate) fn char_positions(bytes: &[u8], offsets: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(offsets.len());
    let mut pos = 0usize;
    let mut chars = 0u64;
    for &o in offsets {
        let o = usize::try_from(o).unwrap_or(usize::MAX).min(bytes.len());
        if o >= pos {
            chars += count_chars(&bytes[pos..o]);
        } else {
            chars = count_chars(&bytes[..o]);
        }
        pos = o;
        out.push(chars);
    }
    out
}
