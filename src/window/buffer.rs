//! The row buffer every window rule reads: a partition's rows still needed, as the segments they arrived
//! in, each with its timestamps, the running weight and (when kept) the rows themselves.

use std::collections::VecDeque;

use arrow_array::RecordBatch;
use arrow_buffer::ScalarBuffer;

use crate::column::Column;
use crate::error::Result;

/// Consecutive rows of a partition, as they arrived in one input batch.
pub(crate) struct Segment {
    /// The partition row number of the first row.
    pub start: u64,
    /// Timestamps, in the column's unit.
    pub ts: ScalarBuffer<i64>,
    /// `len + 1` running weights, continuing the partition's total: `prefix[j]` is the weight of the
    /// partition's rows before row `start + j`.
    prefix: Prefix,
    /// The rows themselves, when kept.
    pub rows: Option<RecordBatch>,
}

/// The first index `k >= lo` of `v` where `before(v[k])` is false (`before` holds on a prefix of `v`), or
/// `v.len()`: probes at `lo`, `lo + 1`, `lo + 2`, `lo + 4`, ... then bisects the last gap.
fn gallop<T: Copy>(v: &[T], lo: usize, before: impl Fn(T) -> bool) -> usize {
    let n = v.len();
    // Every index below `known` is before.
    let (mut known, mut probe, mut step) = (lo, lo, 1usize);
    while probe < n && before(v[probe]) {
        known = probe + 1;
        probe = lo.saturating_add(step);
        step = step.saturating_mul(2);
    }
    let hi = probe.min(n).max(known);
    known + v[known..hi].partition_point(|&x| before(x))
}

/// Running weights on the host, or on the device until a rule needs them on the host.
enum Prefix {
    Host(Vec<u64>),
    Device(Column<u64>),
}

impl Segment {
    /// A segment of rows from `start`, with `prefix` (`ts.len() + 1` values, on the host or the device).
    pub fn new(start: u64, ts: ScalarBuffer<i64>, prefix: Column<u64>, rows: Option<RecordBatch>) -> Result<Self> {
        let prefix = if prefix.is_on_gpu() { Prefix::Device(prefix) } else { Prefix::Host(prefix.into_host()?) };
        Ok(Segment { start, ts, prefix, rows })
    }

    pub fn len(&self) -> u64 {
        self.ts.len() as u64
    }

    pub fn end(&self) -> u64 {
        self.start + self.len()
    }

    /// The running weights on the host (empty while they are on the device).
    pub fn host(&self) -> &[u64] {
        match &self.prefix {
            Prefix::Host(v) => v,
            Prefix::Device(_) => &[],
        }
    }

    /// The running weights on the device, when they are there.
    pub fn device_prefix(&self) -> Option<&Column<u64>> {
        match &self.prefix {
            Prefix::Device(c) => Some(c),
            Prefix::Host(_) => None,
        }
    }
}

/// The rows a partition still needs: a run of segments, rows `base..end` of the partition.
#[derive(Default)]
pub(crate) struct Buffer {
    segs: VecDeque<Segment>,
    /// Rows seen so far (the partition's `n` once the input has ended).
    pub end: u64,
    /// The running weight over all rows seen (known once the segments are on the host).
    total: u64,
}

impl Buffer {
    /// Appends the next rows (their `start` must be `self.end`; empty segments are ignored).
    pub fn push(&mut self, seg: Segment) {
        if seg.len() == 0 {
            return;
        }
        debug_assert_eq!(seg.start, self.end);
        self.end = seg.end();
        if let Some(&last) = seg.host().last() {
            self.total = last;
        }
        self.segs.push_back(seg);
    }

    /// The running weight over all rows seen, to continue from: the device's last value is read back
    /// when the last segment is there.
    pub fn total(&self) -> Result<u64> {
        match self.segs.back().map(|s| &s.prefix) {
            Some(Prefix::Device(c)) => Ok(c.to_vec()?.last().copied().unwrap_or(0)),
            _ => Ok(self.total),
        }
    }

    /// Brings running weights held on the device to the host, for the rules that search them there.
    pub fn make_host(&mut self) -> Result<()> {
        for seg in self.segs.iter_mut() {
            if let Prefix::Device(c) = &seg.prefix {
                let v = c.to_vec()?;
                self.total = v.last().copied().unwrap_or(self.total);
                seg.prefix = Prefix::Host(v);
            }
        }
        Ok(())
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

    /// The segments retained.
    pub fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.segs.iter()
    }

    /// The only segment, when the buffer holds all rows from row 0 in one.
    pub fn whole(&self) -> Option<&Segment> {
        match self.segs.len() {
            1 if self.segs[0].start == 0 => self.segs.front(),
            _ => None,
        }
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

    /// The running weight at position `k` (`base <= k <= end`; the segments on the host).
    pub fn a(&self, k: u64) -> u64 {
        if k >= self.end {
            return self.total;
        }
        let s = self.seg(k);
        s.host()[(k - s.start) as usize]
    }

    /// The first retained position `k >= from` with `a(k) > x`, or `None` when every position seen so
    /// far holds at most `x`.
    pub fn first_a_above(&self, x: u64, from: u64) -> Option<u64> {
        self.first(from, |s| s.host(), |v| v <= x)
    }

    /// The first retained position `k >= from` with `a(k) >= x`, or `None` when every position seen
    /// so far is below `x`.
    pub fn first_a_at_least(&self, x: u64, from: u64) -> Option<u64> {
        self.first(from, |s| s.host(), |v| v < x)
    }

    /// The first retained row `k >= from` with `ts(k) > x` (`strict`) or `ts(k) >= x`, or `None` when
    /// every row seen so far is before it.
    pub fn first_ts(&self, x: i64, from: u64, strict: bool) -> Option<u64> {
        self.first(from, |s| &s.ts, |v| if strict { v <= x } else { v < x })
    }

    /// The first retained position `k >= from` of the values `of` each segment where `before` no longer
    /// holds (the values are sorted, so `before` holds on a prefix of them), or `None` when it holds on
    /// every value seen. Windows end and start near where the last one did, so the search gallops from
    /// `from` (a few probes near it, cache-friendly) rather than bisecting all the rows.
    fn first<T: Copy>(&self, from: u64, of: impl Fn(&Segment) -> &[T], before: impl Fn(T) -> bool) -> Option<u64> {
        let i = self.segs.partition_point(|s| of(s).last().is_some_and(|&v| before(v)) || s.end() <= from);
        let s = self.segs.get(i)?;
        let lo = from.saturating_sub(s.start) as usize;
        Some(s.start + gallop(of(s), lo, before) as u64)
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

#[cfg(test)]
mod tests {
    use super::gallop;

    #[test]
    fn gallop_finds_the_partition_point_from_anywhere() {
        let v: Vec<u64> = (0..300).map(|i| i / 3).collect();
        for x in [0, 1, 5, 50, 99, 100, 1000] {
            for lo in [0, 1, 2, 3, 17, 100, 299, 300] {
                let want = lo.max(v.partition_point(|&y| y < x)).min(v.len());
                let want = if lo > v.partition_point(|&y| y < x) { lo } else { want };
                assert_eq!(gallop(&v, lo, |y| y < x), want, "x {x}, lo {lo}");
            }
        }
        assert_eq!(gallop::<u64>(&[], 0, |_| true), 0);
    }
}
