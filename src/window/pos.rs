//! Where a partition's windows stand, whatever the rule: the next window's index and start, and how a
//! window is made from rows of the buffer.

use super::buffer::Buffer;
use super::output::Window;

/// The position of a partition's windows.
#[derive(Debug, Default)]
pub(crate) struct Pos {
    /// Added to the weight of every window that holds a row.
    pub per_window: u64,
    /// The next window's index.
    pub index: u64,
    /// Count and budget windows: the next window's first row. Time windows: the next window's number
    /// `i` (its bounds are `t0 + i*delta ..`).
    pub next: u64,
    /// Time windows: the first timestamp.
    pub t0: Option<i64>,
    /// Strict count windows: the end of the last window emitted. Time windows: the first row of the
    /// last window emitted (later windows start at or after it).
    pub last_end: u64,
    /// No window is left.
    pub done: bool,
    /// Time windows: the rows seen when the window count was last checked against its limit.
    pub checked: u64,
}

impl Pos {
    pub fn new(per_window: u64) -> Self {
        Pos { per_window, ..Pos::default() }
    }

    /// The window of rows `s..e`: `times` are its bounds (time windows), else the first and last row's.
    pub fn window(&self, buf: &Buffer, s: u64, e: u64, times: Option<(i64, i64)>) -> Window {
        let weight = buf.a(e) - buf.a(s);
        self.window_of(buf, s, e, weight, times)
    }

    /// The window of rows `s..e` weighing `weight` (overheads of its rows included).
    pub fn window_of(&self, buf: &Buffer, s: u64, e: u64, weight: u64, times: Option<(i64, i64)>) -> Window {
        let (start_time, end_time) = times.unwrap_or_else(|| (buf.ts(s), buf.ts(e - 1)));
        let units = if e > s { weight.saturating_add(self.per_window) } else { 0 };
        Window { index: 0, partition: 0, start_row: s, end_row: e, start_time, end_time, units }
    }

    /// What a rule's step found: a window numbered next, or, when none is final and `ended` says no row
    /// will follow, the end.
    pub fn emit(&mut self, w: Option<Window>, ended: bool) -> Option<Window> {
        match w {
            Some(mut w) => {
                w.index = self.index;
                self.index += 1;
                Some(w)
            }
            None => {
                self.done |= ended;
                None
            }
        }
    }
}

/// Every window a rule's `step` finds over a history held whole (sorted timestamps `ts`, the `n + 1`
/// running weights `prefix`).
#[cfg(test)]
pub(super) fn run<F>(ts: &[i64], prefix: Vec<u64>, mut step: F) -> crate::error::Result<Vec<Window>>
where
    F: FnMut(&mut Pos, &Buffer) -> crate::error::Result<Option<Window>>,
{
    use super::buffer::Segment;
    let mut buf = Buffer::default();
    buf.push(Segment::new(0, ts.to_vec().into(), crate::column::Column::host(prefix), None)?);
    let mut pos = Pos::new(0);
    let mut out = Vec::new();
    while !pos.done {
        let w = step(&mut pos, &buf)?;
        out.extend(pos.emit(w, true));
    }
    Ok(out)
}
