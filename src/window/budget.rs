//! Budget windows: the largest run of rows whose weight stays within the budget, greedily from row 0,
//! under each semantics (`docs/windows.md`). A window is a few searches of the running weight in the row
//! buffer. When a whole history's running weight is on a device, the windows are found there instead:
//! `end[s]` and `next[s]` for every row `s` at once (batched searches and fused clamps), the walk from
//! row 0 followed by pointer jumping, and only the window table read back. Both give the same windows.

use std::collections::VecDeque;

use arrow_buffer::ScalarBuffer;
use arrow_schema::TimeUnit;

use super::buffer::Buffer;
use super::output::Window;
use super::pos::Pos;
use super::spec::{Semantics, WindowSpec};
use crate::column::Column;
use crate::engine::Engine;
use crate::error::Result;
use crate::kernels::elementwise as ew;
use crate::kernels::search::{Bound, Check, search_sorted};
use crate::kernels::time::{ordered, per_second};
use crate::kernels::{compact, successor};

/// The parameters of budget windows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Budget {
    /// The weight a window's rows may hold: the budget less the window overhead.
    pub max: u64,
    /// The overlap's weight, `floor(max * r)`.
    pub overlap: u64,
    /// Strict semantics only: the longest span of a window, in timestamp units.
    pub max_time: Option<u64>,
    pub semantics: Semantics,
}

impl Budget {
    /// The budget of `spec` for timestamps in `unit`.
    pub fn of(spec: &WindowSpec, unit: TimeUnit) -> Budget {
        let max_time = match (spec.semantics, spec.max_window_time) {
            (Semantics::Strict, Some(d)) => {
                let units = d.as_nanos() / (1_000_000_000 / per_second(unit) as u128);
                Some(u64::try_from(units).unwrap_or(u64::MAX))
            }
            _ => None,
        };
        let max = spec.max_bytes_per_window.saturating_sub(spec.window_overhead);
        Budget { max, overlap: (max as f64 * spec.ratio()).floor() as u64, max_time, semantics: spec.semantics }
    }

    /// The next window that is final, given the rows in `buf`; `ended` says no row will follow.
    pub fn step(self, c: &mut Pos, buf: &Buffer, ended: bool) -> Option<Window> {
        match self.semantics {
            Semantics::Egregora => self.egregora_step(c, buf, ended),
            Semantics::Strict => self.strict_step(c, buf, ended),
        }
    }

    /// Egregora: the first message is free (the budget counts from `a[s + 1]`), the overlap counts every
    /// message in the overlap region, and past the end the start moves one row at a time (tail cascade).
    fn egregora_step(self, c: &mut Pos, buf: &Buffer, ended: bool) -> Option<Window> {
        let p = self;
        let s = c.next;
        let n = buf.end;
        if s >= n {
            return None;
        }
        // e = upper_bound(a, a[s+1] + M) - 1, at least s + 1, at most n.
        let x = buf.a(s + 1).saturating_add(p.max);
        let j = match buf.first_a_above(x, s + 1) {
            Some(j) => j,
            None if ended => n + 1,
            None => return None,
        };
        let e = j.saturating_sub(1).max(s + 1).min(n);
        let back = buf.first_a_at_least(buf.a(e).saturating_sub(p.overlap), s).unwrap_or(e).clamp(s, e);
        c.next = if back > s { back } else { s + 1 };
        Some(c.window(buf, s, e, None))
    }

    /// Strict: the largest window within the budget (at least one message), cut at `ts[s] + max_time`;
    /// stop at the end; the next start is `e`, or with an overlap the smallest row after `s` whose window
    /// both stays within the overlap budget of `e` and reaches past `e` (so no window lies inside its
    /// predecessor).
    fn strict_step(self, c: &mut Pos, buf: &Buffer, ended: bool) -> Option<Window> {
        let p = self;
        let s = c.next;
        let n = buf.end;
        if s >= n {
            return None;
        }
        // The largest e with a[e] - a[s] <= M, cut at ts[s] + max_time; known once a row beyond either
        // limit has been seen (a limit not reached yet lies at or past `n`, so the other one decides).
        let by_budget = buf.first_a_above(buf.a(s).saturating_add(p.max), s).map(|j| j - 1);
        let by_time = p.max_time.and_then(|w| {
            let limit = i64::try_from(i128::from(buf.ts(s)) + i128::from(w)).unwrap_or(i64::MAX);
            buf.first_ts(limit, s, true)
        });
        let e = match (by_budget, by_time) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) if ended => n,
            (None, None) => return None,
        };
        let e = e.max(s + 1).min(n);
        // Whether e is the end is known only once row e has been seen (or the input has ended).
        if e == n && !ended {
            return None;
        }
        let w = c.window(buf, s, e, None);
        if e == n {
            c.done = true;
            return Some(w);
        }
        c.next = if p.overlap == 0 {
            e
        } else {
            let x = buf.a(e).saturating_sub(p.overlap).max(buf.a(e + 1).saturating_sub(p.max));
            let mut next = buf.first_a_at_least(x, s).unwrap_or(e);
            if let Some(w) = p.max_time {
                let limit = i64::try_from(i128::from(buf.ts(e)) - i128::from(w)).unwrap_or(i64::MIN);
                next = next.max(buf.first_ts(limit, s, false).unwrap_or(e));
            }
            next.max(s + 1).min(e)
        };
        Some(w)
    }

    /// Every window of a whole history whose running weight `a` (`n + 1` values) is on the device, and
    /// whose sorted timestamps are `ts`, found there: `(start, end, weight)` in order.
    pub fn on_device(
        self,
        engine: &Engine,
        a: &Column<u64>,
        ts: &ScalarBuffer<i64>,
    ) -> Result<VecDeque<(u64, u64, u64)>> {
        let table = match self.semantics {
            Semantics::Egregora => egregora_batched(engine, a, self)?,
            Semantics::Strict => {
                let ts_col = match self.max_time {
                    Some(_) => {
                        Some(engine.upload(&ts.iter().map(|&t| ordered(t)).chain([u64::MAX]).collect::<Vec<u64>>())?)
                    }
                    None => None,
                };
                strict_batched(engine, a, ts_col.as_ref(), self)?
            }
        };
        Ok(table.into())
    }
}

/// A window table: `(start_row, end_row, units)` per window, in order.
type Table = Vec<(u64, u64, u64)>;

/// The windows given `end[s]` and `next[s]` for every row `s` of `0..=n` (`next[s] > s` for `s < n`,
/// `next[n] = n`): the rows the walk from row 0 reaches are marked (pointer jumping on a GPU), compacted
/// into the window starts, and the ends and weights gathered at them, so that only the window table
/// leaves the device.
fn window_table(engine: &Engine, a: &Column<u64>, end: &Column<u64>, next: &Column<u64>) -> Result<Table> {
    let n = (a.len() - 1) as u64;
    let starts = {
        let marks = successor::walk_marks_trusted(engine, next)?;
        compact::indices(engine, &marks)?
    };
    let ends = ew::gather(engine, end, &starts)?;
    let units = ew::sub(engine, &ew::gather(engine, a, &ends)?, &ew::gather(engine, a, &starts)?)?;
    // The table, read back in one go.
    let [starts, ends, units] = Column::to_vecs([&starts, &ends, &units])?;
    // Row n (the walk's end) is marked when reached; it starts no window.
    Ok(starts.into_iter().zip(ends).zip(units).filter(|((s, _), _)| *s < n).map(|((s, e), u)| (s, e, u)).collect())
}

/// The egregora windows from `end[s]` and `next[s]` computed for every row at once, walked where the
/// engine computes. Every kernel up to the compaction's total goes to the device in one submission.
fn egregora_batched(engine: &Engine, a: &Column<u64>, p: Budget) -> Result<Table> {
    let _recording = engine.record();
    let n = a.len() - 1;
    let n64 = n as u64;
    // Queries a[s + 1] + M; end = clamp(upper_bound - 1, s + 1, n).
    let j = {
        let a_next = ew::gather(engine, a, &ew::min_scalar(engine, &ew::iota(engine, n + 1, 1)?, n64)?)?;
        search_sorted(engine, a, &ew::add_scalar(engine, &a_next, p.max)?, Bound::Upper, Check::Trust)?
    };
    let end = successor::range_ends(engine, &j, None, n64)?;
    drop(j);
    // next = lower_bound(a, a[end] - OB) within [s, end], or s + 1 when that is s.
    let g = {
        let a_end = ew::gather(engine, a, &end)?;
        search_sorted(engine, a, &ew::sub_scalar(engine, &a_end, p.overlap)?, Bound::Lower, Check::Trust)?
    };
    let next = successor::successors(engine, &end, &g, n64, false)?;
    drop(g);
    window_table(engine, a, &end, &next)
}

/// The strict windows from `end[s]` and `next[s]` computed for every row at once, walked where the
/// engine computes. `ts` holds the sorted timestamps as order-preserving u64 with one more element,
/// `u64::MAX`, so it is as long as `a`.
fn strict_batched(engine: &Engine, a: &Column<u64>, ts: Option<&Column<u64>>, p: Budget) -> Result<Table> {
    let _recording = engine.record();
    let n = a.len() - 1;
    let n64 = n as u64;
    let time = match (ts, p.max_time) {
        (Some(ts), Some(w)) => Some((ts, w)),
        _ => None,
    };
    let end = {
        let j = search_sorted(engine, a, &ew::add_scalar(engine, a, p.max)?, Bound::Upper, Check::Trust)?;
        let cut = match time {
            Some((ts, w)) => {
                Some(search_sorted(engine, ts, &ew::add_scalar(engine, ts, w)?, Bound::Upper, Check::Trust)?)
            }
            None => None,
        };
        successor::range_ends(engine, &j, cut.as_ref(), n64)?
    };
    if p.overlap == 0 {
        // next = end, which is n where the walk stops.
        return window_table(engine, a, &end, &end);
    }
    let raw = {
        let a_end = ew::gather(engine, a, &end)?;
        let a_after = ew::gather(engine, a, &ew::min_scalar(engine, &ew::add_scalar(engine, &end, 1)?, n64)?)?;
        let x =
            ew::max(engine, &ew::sub_scalar(engine, &a_end, p.overlap)?, &ew::sub_scalar(engine, &a_after, p.max)?)?;
        let raw = search_sorted(engine, a, &x, Bound::Lower, Check::Trust)?;
        match time {
            Some((ts, w)) => {
                let ts_end = ew::gather(engine, ts, &end)?;
                let by_time =
                    search_sorted(engine, ts, &ew::sub_scalar(engine, &ts_end, w)?, Bound::Lower, Check::Trust)?;
                ew::max(engine, &raw, &by_time)?
            }
            None => raw,
        }
    };
    let next = successor::successors(engine, &end, &raw, n64, true)?;
    drop(raw);
    window_table(engine, a, &end, &next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix(lengths: &[u64]) -> Vec<u64> {
        std::iter::once(0)
            .chain(lengths.iter().scan(0, |acc, &l| {
                *acc += l;
                Some(*acc)
            }))
            .collect()
    }

    fn sizes(w: &[(u64, u64)]) -> Vec<u64> {
        w.iter().map(|(s, e)| e - s).collect()
    }

    fn params(max: u64, r: f64, semantics: Semantics) -> Budget {
        Budget { max, overlap: (max as f64 * r).floor() as u64, max_time: None, semantics }
    }

    /// The windows the row buffer's steps give, as row ranges.
    fn host(a: &[u64], ts: &[i64], p: Budget) -> Vec<(u64, u64)> {
        let ts = if ts.is_empty() { vec![0; a.len() - 1] } else { ts.to_vec() };
        let w = super::super::pos::run(&ts, a.to_vec(), |pos, buf| Ok(p.step(pos, buf, true))).unwrap();
        w.iter().map(|w| (w.start_row, w.end_row)).collect()
    }

    fn egregora(a: &[u64], max: u64, r: f64) -> Vec<(u64, u64)> {
        host(a, &[], params(max, r, Semantics::Egregora))
    }

    fn strict(a: &[u64], max: u64, r: f64) -> Vec<(u64, u64)> {
        host(a, &[], params(max, r, Semantics::Strict))
    }

    #[test]
    fn egregora_reference_cases() {
        let a = prefix(&[9; 10]);
        assert_eq!(sizes(&egregora(&a, 20, 0.0)), [3, 3, 3, 1]);
        let w = egregora(&a, 27, 0.35);
        assert_eq!(w.len(), 4);
        assert_eq!((w[0], w[1], w[3]), ((0, 4), (3, 7), (9, 10)));
        let a = prefix(&[5, 10, 20, 5, 14]);
        assert_eq!(sizes(&egregora(&a, 20, 0.0)), [2, 3]);
        assert_eq!(sizes(&egregora(&a, 30, 0.5)), [3, 2, 1]);
        let a = prefix(&[1; 5]);
        assert_eq!(egregora(&a, 2, 0.0), [(0, 3), (3, 5)]);
        let w = egregora(&prefix(&[10; 100]), 100, 0.2);
        assert!(w.len() > 5 && w.iter().all(|(s, e)| e > s));
    }

    #[test]
    fn strict_overlap_never_nests() {
        // [3, 3, 8] with M = 10, r = 0.5: the overlap start 1 would give [1, 2) inside [0, 2).
        assert_eq!(strict(&prefix(&[3, 3, 8]), 10, 0.5), [(0, 2), (2, 3)]);
        assert_eq!(strict(&prefix(&[3, 3, 3, 8]), 10, 0.5), [(0, 3), (3, 4)]);
        assert_eq!(strict(&prefix(&[2, 2, 2, 2, 2, 2]), 6, 0.34), [(0, 3), (2, 5), (4, 6)]);
    }

    fn with_weights(a: &[u64], w: Vec<(u64, u64)>) -> Table {
        w.into_iter().map(|(s, e)| (s, e, a[e as usize] - a[s as usize])).collect()
    }

    /// The windows found at once (run here on the CPU engine; the GPU's are compared in
    /// tests/windows.rs) are those of the row buffer's steps.
    #[test]
    fn batched_equals_steps() {
        let engine = Engine::new(crate::engine::Backend::Cpu).expect("CPU engine");
        let mut seed = 11u64;
        let mut rnd = |m: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        for n in [1usize, 2, 3, 7, 31, 100] {
            for _ in 0..30 {
                let lengths: Vec<u64> = (0..n).map(|_| if rnd(5) == 0 { 0 } else { rnd(40) }).collect();
                let a = prefix(&lengths);
                let mut ts: Vec<i64> = (0..n).map(|_| rnd(50) as i64).collect();
                ts.sort_unstable();
                let max = 1 + rnd(60);
                let r = [0.0, 0.2, 0.5][rnd(3) as usize];
                let mut p = params(max, r, Semantics::Egregora);
                let col = engine.upload(&a).expect("upload");
                let want = with_weights(&a, host(&a, &ts, p));
                assert_eq!(egregora_batched(&engine, &col, p).expect("egregora"), want);
                p.semantics = Semantics::Strict;
                if rnd(2) == 0 {
                    p.max_time = Some(rnd(20));
                }
                let want = with_weights(&a, host(&a, &ts, p));
                let ordered_ts: Vec<u64> = ts.iter().map(|&t| ordered(t)).chain([u64::MAX]).collect();
                let ts_col = engine.upload(&ordered_ts).expect("upload");
                assert_eq!(strict_batched(&engine, &col, Some(&ts_col), p).expect("strict"), want, "{lengths:?} {p:?}");
            }
        }
    }
}
