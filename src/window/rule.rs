//! The window rules, written once over the row buffer: a [`Rule`] holds a window kind's parameters, a
//! [`Cursor`] where a partition stands (the next window to emit). A window is emitted as soon as no later
//! row can change it, so the same steps serve a stream of batches and a history held whole. The steps
//! of each kind are in `count.rs`, `time.rs` and `budget.rs`.

use std::collections::VecDeque;

use arrow_schema::TimeUnit;

use super::budget::Budget;
use super::buffer::Buffer;
use super::output::Window;
use super::spec::{Semantics, StepUnit, WindowSpec};
use super::time;
use crate::engine::Engine;
use crate::error::Result;
use crate::kernels::time::per_second;

/// The parameters of a window kind, fixed once the timestamp unit is known.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Rule {
    /// Count windows: `step` rows a step, `overlap` more rows a window.
    Count { step: u64, overlap: u64, semantics: Semantics },
    /// Time windows: step `delta`, overlap `ov`, in timestamp units; `skip_empty` leaves out windows
    /// without rows; with empty windows, at most `max_windows` of them.
    Time { delta: u64, ov: u64, skip_empty: bool, max_windows: u64 },
    /// Budget windows.
    Budget(Budget),
}

impl Rule {
    /// The rule of `spec` for timestamps in `unit`.
    pub fn of(spec: &WindowSpec, unit: TimeUnit) -> Result<Rule> {
        let ratio = spec.ratio();
        Ok(match spec.step_unit {
            StepUnit::Messages => Rule::Count {
                step: spec.step_size,
                overlap: (spec.step_size as f64 * ratio).floor() as u64,
                semantics: spec.semantics,
            },
            StepUnit::Hours | StepUnit::Days => {
                let delta = time::step_units(
                    spec.step_size,
                    spec.step_unit == StepUnit::Days,
                    per_second(unit),
                    ratio,
                    spec.max_window_time,
                )?;
                Rule::Time {
                    delta,
                    ov: time::mul_ratio(delta, ratio),
                    skip_empty: spec.skip_empty_windows,
                    max_windows: spec.max_windows,
                }
            }
            StepUnit::Bytes => Rule::Budget(Budget::of(spec, unit)),
        })
    }
}

/// Where a partition's windows stand: the next window to emit.
pub(crate) struct Cursor {
    pub(super) rule: Rule,
    /// Added to the weight of every window that holds a row.
    pub(super) per_window: u64,
    /// The next window's index.
    pub(super) index: u64,
    /// Count and budget windows: the next window's first row. Time windows: the next window's number
    /// `i` (its bounds are `t0 + i*delta ..`).
    pub(super) next: u64,
    /// Time windows: the first timestamp.
    pub(super) t0: Option<i64>,
    /// Strict count windows: the end of the last window emitted. Time windows: the first row of the
    /// last window emitted (later windows start at or after it).
    pub(super) last_end: u64,
    pub(super) done: bool,
    /// Budget windows found at once on the device, `(start, end, weight)`, emitted from here in order.
    pub(super) found: Option<VecDeque<(u64, u64, u64)>>,
}

impl Cursor {
    pub fn new(rule: Rule, per_window: u64) -> Self {
        Cursor { rule, per_window, index: 0, next: 0, t0: None, last_end: 0, done: false, found: None }
    }

    /// The first row any window still to come can hold: rows before it can be released.
    pub fn needed_from(&self, buf: &Buffer) -> u64 {
        if let Some(found) = &self.found {
            return found.front().map_or(buf.end, |w| w.0);
        }
        match self.rule {
            Rule::Count { step, .. } => self.next.saturating_mul(step),
            Rule::Budget(_) => self.next,
            Rule::Time { .. } => match self.bounds(self.next) {
                Some((lo, _)) => buf.first_ts(lo, self.last_end, false).unwrap_or(buf.end),
                None => buf.end,
            },
        }
    }

    /// Makes `buf` ready for the steps: on a GPU, the budget windows of a whole history whose running
    /// weights are on the device are found there at once (only the window table comes back); otherwise
    /// the running weights come to the host, where the rules search them.
    pub fn prepare(&mut self, engine: &Engine, buf: &mut Buffer, ended: bool) -> Result<()> {
        if let Rule::Budget(p) = self.rule
            && ended
            && self.index == 0
            && self.found.is_none()
            && let Some(a) = buf.whole().and_then(|s| s.device_prefix())
        {
            let ts = buf.whole().map(|s| s.ts.clone()).unwrap_or_default();
            self.found = Some(p.on_device(engine, a, &ts)?);
        }
        if self.found.is_some() {
            return Ok(());
        }
        buf.make_host()
    }

    /// The next window that is final, given the rows in `buf`; `ended` says no row will follow.
    /// `None`: none is final yet (or, when `ended`, there are no more windows).
    ///
    /// # Errors
    /// [`crate::Error::LimitExceeded`] when time windows pass `max_windows`.
    pub fn step(&mut self, buf: &Buffer, ended: bool) -> Result<Option<Window>> {
        if self.done {
            return Ok(None);
        }
        let w = match self.rule {
            _ if self.found.is_some() => self.found_step(buf),
            Rule::Count { step, overlap, semantics } => self.count_step(buf, ended, step, overlap, semantics),
            Rule::Time { skip_empty, .. } => self.time_step(buf, ended, skip_empty)?,
            Rule::Budget(p) => p.step(self, buf, ended),
        };
        if let Some(mut w) = w {
            w.index = self.index;
            self.index += 1;
            return Ok(Some(w));
        }
        if ended {
            self.done = true;
        }
        Ok(None)
    }

    /// Window `i`'s time bounds `[lo, hi)`, unclamped; `None` before the first row.
    pub(super) fn raw_bounds(&self, i: u64) -> Option<(i128, i128)> {
        let Rule::Time { delta, ov, .. } = self.rule else { return None };
        let lo = i128::from(self.t0?) + i128::from(i) * i128::from(delta);
        Some((lo, lo + i128::from(delta) + i128::from(ov)))
    }

    fn bounds(&self, i: u64) -> Option<(i64, i64)> {
        self.raw_bounds(i).map(|(lo, hi)| (time::clamp(lo), time::clamp(hi)))
    }

    /// The window of rows `s..e`: `times` are its bounds (time windows), else the first and last row's.
    pub(super) fn window(&self, buf: &Buffer, s: u64, e: u64, times: Option<(i64, i64)>) -> Window {
        let weight = buf.a(e) - buf.a(s);
        self.window_of(buf, s, e, weight, times)
    }

    /// The window of rows `s..e` weighing `weight` (overheads of its rows included).
    pub(super) fn window_of(&self, buf: &Buffer, s: u64, e: u64, weight: u64, times: Option<(i64, i64)>) -> Window {
        let (start_time, end_time) = times.unwrap_or_else(|| (buf.ts(s), buf.ts(e - 1)));
        let units = if e > s { weight.saturating_add(self.per_window) } else { 0 };
        Window { index: 0, partition: 0, start_row: s, end_row: e, start_time, end_time, units }
    }

    /// The next of the windows found on the device.
    fn found_step(&mut self, buf: &Buffer) -> Option<Window> {
        let (s, e, weight) = self.found.as_mut()?.pop_front()?;
        Some(self.window_of(buf, s, e, weight, None))
    }
}

/// Every window of a history held whole: sorted timestamps `ts` and the `n + 1` running weights.
#[cfg(test)]
pub(super) fn run(rule: Rule, ts: &[i64], prefix: Vec<u64>) -> Vec<Window> {
    use super::buffer::Segment;
    use crate::column::Column;
    let mut buf = Buffer::default();
    let seg = Segment::new(0, ts.to_vec().into(), Column::host(prefix), None).expect("a host segment");
    buf.push(seg);
    let mut cursor = Cursor::new(rule, 0);
    std::iter::from_fn(|| cursor.step(&buf, true).expect("a window")).collect()
}
