//! Count windows: a closed form.

use super::spec::Semantics;

/// Row ranges `[start, end)` of count windows over `n` rows: window i starts at `i * step` and holds
/// `step + floor(step * ratio)` rows, cut at `n`. Strict semantics stop after the first window that
/// reaches the end (every later one would lie inside it); egregora semantics emit all `ceil(n / step)`.
pub(crate) fn count_windows(n: u64, step: u64, ratio: f64, semantics: Semantics) -> Vec<(u64, u64)> {
    let overlap = (step as f64 * ratio).floor() as u64;
    let mut out = Vec::with_capacity(n.div_ceil(step) as usize);
    let mut start = 0u64;
    while start < n {
        let end = start.saturating_add(step).saturating_add(overlap).min(n);
        out.push((start, end));
        if end == n && semantics == Semantics::Strict {
            break;
        }
        start = start.saturating_add(step);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_cases() {
        let sizes = |n, s, r, sem| count_windows(n, s, r, sem).iter().map(|(a, b)| b - a).collect::<Vec<_>>();
        for sem in [Semantics::Strict, Semantics::Egregora] {
            assert_eq!(sizes(10, 3, 0.0, sem), [3, 3, 3, 1]);
            assert_eq!(sizes(100, 50, 0.0, sem), [50, 50]);
            assert_eq!(sizes(120, 50, 0.0, sem), [50, 50, 20]);
            assert_eq!(sizes(30, 50, 0.0, sem), [30]);
            assert_eq!(sizes(0, 50, 0.0, sem), Vec::<u64>::new());
            assert_eq!(sizes(100, 50, 0.2, sem), [60, 50]);
            assert_eq!(sizes(120, 50, 0.2, sem), [60, 60, 20]);
            assert_eq!(sizes(30, 50, 0.2, sem), [30]);
        }
        assert_eq!(sizes(10, 3, 0.34, Semantics::Egregora), [4, 4, 4, 1]);
        assert_eq!(sizes(10, 3, 0.34, Semantics::Strict), [4, 4, 4]);
        assert_eq!(count_windows(10, 3, 0.34, Semantics::Egregora)[..2], [(0, 4), (3, 7)]);
    }
}
