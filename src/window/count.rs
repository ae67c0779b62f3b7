//! Count windows: window `i` starts at row `i * step` and holds `step + overlap` rows, cut at the end.
//! Strict semantics stop after the first window that reaches the end (every later one would lie inside
//! it); egregora semantics emit all `ceil(n / step)`.

use super::buffer::Buffer;
use super::output::Window;
use super::rule::Cursor;
use super::spec::Semantics;

impl Cursor {
    pub(super) fn count_step(
        &mut self,
        buf: &Buffer,
        ended: bool,
        step: u64,
        overlap: u64,
        semantics: Semantics,
    ) -> Option<Window> {
        let start = self.next.checked_mul(step)?;
        let n = buf.end;
        if start >= n || (ended && semantics == Semantics::Strict && self.index > 0 && self.last_end == n) {
            return None;
        }
        let full = start.saturating_add(step).saturating_add(overlap);
        if full > n && !ended {
            return None;
        }
        let end = full.min(n);
        self.next += 1;
        self.last_end = end;
        Some(self.window(buf, start, end, None))
    }
}

#[cfg(test)]
mod tests {
    use super::super::rule::{Rule, run};
    use super::*;

    fn sizes(n: u64, step: u64, ratio: f64, semantics: Semantics) -> Vec<u64> {
        let overlap = (step as f64 * ratio).floor() as u64;
        let rule = Rule::Count { step, overlap, semantics };
        let ts = vec![0i64; n as usize];
        run(rule, &ts, (0..=n).collect()).iter().map(Window::size).collect()
    }

    #[test]
    fn reference_cases() {
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
        let rule = Rule::Count { step: 3, overlap: 1, semantics: Semantics::Egregora };
        let w = run(rule, &[0; 10], (0..=10).collect());
        assert_eq!(((w[0].start_row, w[0].end_row), (w[1].start_row, w[1].end_row)), ((0, 4), (3, 7)));
    }
}
