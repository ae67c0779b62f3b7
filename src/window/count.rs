//! Count windows: window `i` starts at row `i * step` and holds `step + overlap` rows, cut at the end.
//! Strict semantics stop after the first window that reaches the end (every later one would lie inside
//! it); egregora semantics emit all `ceil(n / step)`.

use super::buffer::Buffer;
use super::output::Window;
use super::pos::Pos;
use super::spec::{Semantics, WindowSpec};

/// The parameters of count windows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Count {
    /// Rows a step.
    pub step: u64,
    /// Rows a window holds past its step.
    pub overlap: u64,
    pub semantics: Semantics,
}

impl Count {
    pub fn of(spec: &WindowSpec) -> Count {
        Count {
            step: spec.step_size,
            overlap: (spec.step_size as f64 * spec.ratio()).floor() as u64,
            semantics: spec.semantics,
        }
    }

    /// The first row a window still to come can hold.
    pub fn needed_from(self, pos: &Pos) -> u64 {
        pos.next.saturating_mul(self.step)
    }

    /// The next window that is final, given the rows in `buf`; `ended` says no row will follow.
    pub fn step(self, pos: &mut Pos, buf: &Buffer, ended: bool) -> Option<Window> {
        let start = pos.next.checked_mul(self.step)?;
        let n = buf.end;
        if start >= n || (ended && self.semantics == Semantics::Strict && pos.index > 0 && pos.last_end == n) {
            return None;
        }
        let full = start.saturating_add(self.step).saturating_add(self.overlap);
        if full > n && !ended {
            return None;
        }
        let end = full.min(n);
        pos.next += 1;
        pos.last_end = end;
        Some(pos.window(buf, start, end, None))
    }
}

#[cfg(test)]
mod tests {
    use super::super::pos::run;
    use super::*;

    fn windows(n: u64, rule: Count) -> Vec<Window> {
        let ts = vec![0i64; n as usize];
        run(&ts, (0..=n).collect(), |pos, buf| Ok(rule.step(pos, buf, true))).unwrap()
    }

    fn sizes(n: u64, step: u64, ratio: f64, semantics: Semantics) -> Vec<u64> {
        let overlap = (step as f64 * ratio).floor() as u64;
        windows(n, Count { step, overlap, semantics }).iter().map(Window::size).collect()
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
        let w = windows(10, Count { step: 3, overlap: 1, semantics: Semantics::Egregora });
        assert_eq!(((w[0].start_row, w[0].end_row), (w[1].start_row, w[1].end_row)), ((0, 4), (3, 7)));
    }
}
