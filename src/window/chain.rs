//! The incremental window chain of one partition: the rows it still needs, and the rules of each
//! window kind applied as rows arrive, so that a window is emitted as soon as no later row can change
//! it. Every rule here gives, on the whole history, exactly what the in-memory path gives (see
//! `count.rs`, `time.rs` and `bytes.rs`, which these mirror): the stream tests compare the two.

use std::collections::VecDeque;

use arrow_array::RecordBatch;
use arrow_buffer::ScalarBuffer;

use super::bytes::ByteParams;
use super::output::Window;
use super::spec::Semantics;

/// Consecutive rows of a partition, as they arrived in one input batch.
pub(crate) struct Segment {
    /// The partition row number of the first row.
    pub start: u64,
    /// Timestamps, in the column's unit.
    pub ts: ScalarBuffer<i64>,
    /// `len + 1` prefix sums of text lengths, continuing the partition's running total: `prefix[j]` is
    /// the total length of the partition's rows before row `start + j`.
    pub prefix: Vec<u64>,
    /// The rows themselves, kept only when windows are asked for with their rows.
    pub rows: Option<RecordBatch>,
}

impl Segment {
    fn len(&self) -> u64 {
        self.ts.len() as u64
    }

    fn end(&self) -> u64 {
        self.start + self.len()
    }
}

/// The rows a partition still needs: a run of segments, rows `base..end` of the partition.
#[derive(Default)]
pub(crate) struct Buffer {
    segs: VecDeque<Segment>,
    /// Rows seen so far (the partition's `n` once the input has ended).
    pub end: u64,
    /// The running total of text lengths over all rows seen.
    pub total: u64,
}

impl Buffer {
    /// Appends the next rows (their `start` must be `self.end`; empty segments are ignored).
    pub fn push(&mut self, seg: Segment) {
        if seg.len() == 0 {
            return;
        }
        debug_assert_eq!(seg.start, self.end);
        self.end = seg.end();
        self.total = *seg.prefix.last().unwrap_or(&self.total);
        self.segs.push_back(seg);
    }

    /// Forgets every segment that lies wholly before row `row`.
    pub fn release(&mut self, row: u64) {
        while self.segs.front().is_some_and(|s| s.end() <= row) {
            self.segs.pop_front();
        }
    }

    /// The first retained row (`end` when none is).
    pub fn base(&self) -> u64 {
        self.segs.front().map_or(self.end, |s| s.start)
    }

    /// The segment holding row `k` (a retained row).
    fn seg(&self, k: u64) -> &Segment {
        let i = self.segs.partition_point(|s| s.start <= k).saturating_sub(1);
        &self.segs[i]
    }

    /// The timestamp of retained row `k`.
    pub fn ts(&self, k: u64) -> i64 {
        let s = self.seg(k);
        s.ts[(k - s.start) as usize]
    }

    /// The prefix sum at position `k` (`base <= k <= end`).
    pub fn a(&self, k: u64) -> u64 {
        if k >= self.end {
            return self.total;
        }
        let s = self.seg(k);
        s.prefix[(k - s.start) as usize]
    }

    /// The first retained position `k >= from` with `a(k) > x`, or `None` when every position seen so
    /// far holds at most `x`.
    fn first_a_above(&self, x: u64, from: u64) -> Option<u64> {
        let i = self.segs.partition_point(|s| s.prefix.last().is_some_and(|&v| v <= x) || s.end() <= from);
        let s = self.segs.get(i)?;
        let lo = from.saturating_sub(s.start) as usize;
        let j = lo + s.prefix[lo..].partition_point(|&v| v <= x);
        Some(s.start + j as u64)
    }

    /// The first retained position `k >= from` with `a(k) >= x`, or `None` when every position seen
    /// so far is below `x`.
    fn first_a_at_least(&self, x: u64, from: u64) -> Option<u64> {
        let i = self.segs.partition_point(|s| s.prefix.last().is_some_and(|&v| v < x) || s.end() <= from);
        let s = self.segs.get(i)?;
        let lo = from.saturating_sub(s.start) as usize;
        let j = lo + s.prefix[lo..].partition_point(|&v| v < x);
        Some(s.start + j as u64)
    }

    /// The first retained row `k >= from` with `ts(k) > x` (`strict`) or `ts(k) >= x`, or `None` when
    /// every row seen so far is before it.
    fn first_ts(&self, x: i64, from: u64, strict: bool) -> Option<u64> {
        let before = |v: i64| if strict { v <= x } else { v < x };
        let i = self.segs.partition_point(|s| s.ts.last().is_some_and(|&v| before(v)) || s.end() <= from);
        let s = self.segs.get(i)?;
        let lo = from.saturating_sub(s.start) as usize;
        let j = lo + s.ts[lo..].partition_point(|&v| before(v));
        Some(s.start + j as u64)
    }

    /// The retained rows `s..e`: zero-copy slices, one per segment they touch.
    pub fn pieces(&self, s: u64, e: u64) -> Vec<RecordBatch> {
        let first = self.segs.partition_point(|seg| seg.end() <= s);
        self.segs
            .iter()
            .skip(first)
            .take_while(|seg| seg.start < e)
            .filter_map(|seg| {
                let rows = seg.rows.as_ref()?;
                let lo = s.max(seg.start) - seg.start;
                let hi = e.min(seg.end()) - seg.start;
                Some(rows.slice(lo as usize, (hi - lo) as usize))
            })
            .collect()
    }
}

/// The parameters of a chain, fixed once the timestamp unit is known.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Rule {
    /// Count windows: `step` rows a step, `overlap` more rows a window.
    Count { step: u64, overlap: u64, semantics: Semantics },
    /// Time windows: step `delta`, overlap `ov`, in timestamp units; `skip_empty` leaves out windows
    /// without rows.
    Time { delta: u64, ov: u64, skip_empty: bool },
    /// Byte windows.
    Bytes { p: ByteParams, semantics: Semantics },
}

/// Where a chain stands: the next window to emit.
pub(crate) struct Chain {
    rule: Rule,
    /// The next window's index.
    index: u64,
    /// Count and byte windows: the next window's first row. Time windows: the next window's number
    /// `i` (its bounds are `t0 + i*delta ..`).
    next: u64,
    /// Time windows: the first timestamp.
    t0: Option<i64>,
    /// Strict count windows: the end of the last window emitted. Time windows: the first row of the
    /// last window emitted (later windows start at or after it).
    last_end: u64,
    done: bool,
}

/// `v` clamped to the i64 range.
fn clamp(v: i128) -> i64 {
    v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

impl Chain {
    pub fn new(rule: Rule) -> Self {
        Chain { rule, index: 0, next: 0, t0: None, last_end: 0, done: false }
    }

    /// The first row any window still to come can hold: rows before it can be released.
    pub fn needed_from(&self, buf: &Buffer) -> u64 {
        match self.rule {
            Rule::Count { step, .. } => self.next.saturating_mul(step),
            Rule::Bytes { .. } => self.next,
            Rule::Time { .. } => match self.bounds(self.next) {
                Some((lo, _)) => buf.first_ts(lo, self.last_end, false).unwrap_or(buf.end),
                None => buf.end,
            },
        }
    }

    /// Window `i`'s time bounds `[lo, hi)`, unclamped; `None` before the first row.
    fn raw_bounds(&self, i: u64) -> Option<(i128, i128)> {
        let Rule::Time { delta, ov, .. } = self.rule else { return None };
        let lo = i128::from(self.t0?) + i128::from(i) * i128::from(delta);
        Some((lo, lo + i128::from(delta) + i128::from(ov)))
    }

    fn bounds(&self, i: u64) -> Option<(i64, i64)> {
        self.raw_bounds(i).map(|(lo, hi)| (clamp(lo), clamp(hi)))
    }

    /// The next window that is final, given the rows in `buf`; `ended` says no row will follow.
    /// `None`: none is final yet (or, when `ended`, there are no more windows).
    pub fn step(&mut self, buf: &Buffer, ended: bool) -> Option<Window> {
        if self.done {
            return None;
        }
        let w = match self.rule {
            Rule::Count { step, overlap, semantics } => self.count_step(buf, ended, step, overlap, semantics),
            Rule::Time { skip_empty, .. } => self.time_step(buf, ended, skip_empty),
            Rule::Bytes { p, semantics: Semantics::Egregora } => self.egregora_step(buf, ended, p),
            Rule::Bytes { p, semantics: Semantics::Strict } => self.strict_step(buf, ended, p),
        };
        if let Some(mut w) = w {
            w.index = self.index;
            self.index += 1;
            return Some(w);
        }
        if ended {
            self.done = true;
        }
        None
    }

    fn window(&self, buf: &Buffer, s: u64, e: u64, times: Option<(i64, i64)>) -> Window {
        let (start_time, end_time) = times.unwrap_or_else(|| (buf.ts(s), buf.ts(e - 1)));
        Window { index: 0, partition: 0, start_row: s, end_row: e, start_time, end_time, units: buf.a(e) - buf.a(s) }
    }

    fn count_step(&mut self, buf: &Buffer, ended: bool, step: u64, overlap: u64, sem: Semantics) -> Option<Window> {
        let start = self.next.checked_mul(step)?;
        let n = buf.end;
        if start >= n || (ended && sem == Semantics::Strict && self.index > 0 && self.last_end == n) {
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

    fn time_step(&mut self, buf: &Buffer, ended: bool, skip_empty: bool) -> Option<Window> {
        if buf.end == 0 {
            return None;
        }
        if self.t0.is_none() {
            // The first row of the partition: buf still holds it.
            self.t0 = Some(buf.ts(0));
        }
        let Rule::Time { delta, .. } = self.rule else { return None };
        loop {
            let (lo, hi) = self.raw_bounds(self.next)?;
            let last = i128::from(buf.ts(buf.end - 1));
            // Window i exists when lo <= max(ts); it is final once a row at or past hi has been seen.
            if lo > last {
                return None;
            }
            if last < hi && !ended {
                return None;
            }
            let (lo64, hi64) = (clamp(lo), clamp(hi));
            // Windows start at or after the last one's first row; over a gap, that row is already past
            // lo (and often past hi), so empty windows cost two lookups, not two searches.
            let from = self.last_end.max(buf.base());
            let s = match from < buf.end && buf.ts(from) >= lo64 {
                true => from,
                false => buf.first_ts(lo64, from, false).unwrap_or(buf.end),
            };
            // A bound past i64::MAX reaches every later row, one at i64::MAX included.
            let e = if hi > i128::from(i64::MAX) {
                buf.end
            } else if s < buf.end && buf.ts(s) >= hi64 {
                s
            } else {
                buf.first_ts(hi64, s, false).unwrap_or(buf.end)
            };
            self.last_end = s;
            if skip_empty && s == e {
                // Jump to the first window that reaches the next row: hi_i > t, i.e.
                // i > (t - t0 - delta - ov) / delta.
                if s >= buf.end {
                    // No row at or after lo: with the input ended there is none to reach.
                    return None;
                }
                let t = i128::from(buf.ts(s));
                let t0 = i128::from(self.t0?);
                let reach = t - t0 - (hi - lo);
                let i = if reach < 0 { 0 } else { reach / i128::from(delta) + 1 };
                self.next = u64::try_from(i).unwrap_or(u64::MAX).max(self.next + 1);
                continue;
            }
            self.next += 1;
            return Some(self.window(buf, s, e, Some((lo64, hi64))));
        }
    }

    fn egregora_step(&mut self, buf: &Buffer, ended: bool, p: ByteParams) -> Option<Window> {
        let s = self.next;
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
        self.next = if back > s { back } else { s + 1 };
        Some(self.window(buf, s, e, None))
    }

    fn strict_step(&mut self, buf: &Buffer, ended: bool, p: ByteParams) -> Option<Window> {
        let s = self.next;
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
        let w = self.window(buf, s, e, None);
        if e == n {
            self.done = true;
            return Some(w);
        }
        self.next = if p.overlap == 0 {
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
}

/// Every window of a whole history held in memory: sorted timestamps `ts` and the `n + 1` prefix sums
/// of its text lengths.
pub(crate) fn run(rule: Rule, ts: &[i64], prefix: Vec<u64>) -> Vec<Window> {
    let mut buf = Buffer::default();
    buf.push(Segment { start: 0, ts: ScalarBuffer::from(ts.to_vec()), prefix, rows: None });
    let mut chain = Chain::new(rule);
    std::iter::from_fn(|| chain.step(&buf, true)).collect()
}
