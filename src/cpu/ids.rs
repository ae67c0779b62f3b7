//! CPU twin of `shaders/ids.wgsl`.

use std::fmt::Write as _;

/// `round(delta / per_ms)` half to even, or `delta * 1000` for seconds.
fn to_ms(delta: u64, per_second: i64) -> u64 {
    match per_second {
        1 => delta.wrapping_mul(1000),
        1_000 => delta,
        _ => {
            let d = (per_second / 1000) as u64;
            let (q, r) = (delta / d, delta % d);
            if 2 * r > d || (2 * r == d && q % 2 == 1) { q + 1 } else { q }
        }
    }
}

/// The ids' UTF-8 bytes and the end offset of each.
pub(crate) fn message_ids(delta: &[u64], row: &[u64], per_second: i64) -> (Vec<u8>, Vec<u64>) {
    let mut text = String::with_capacity(delta.len() * 12);
    let mut ends = Vec::with_capacity(delta.len());
    for (&d, &r) in delta.iter().zip(row) {
        let _ = write!(text, "{}_{}", to_ms(d, per_second), r);
        ends.push(text.len() as u64);
    }
    (text.into_bytes(), ends)
}
