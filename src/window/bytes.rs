//! Byte windows: greedy chains over the prefix sums of text lengths.
//!
//! `a` holds `n + 1` prefix sums (`a[k]` = total length of rows `0..k`). On the CPU each window is a
//! few binary searches (a bisect chain, O(K log n)); on a GPU, `end[s]` and `next[s]` are computed for
//! every row `s` at once with batched searches and fused clamp kernels, the chain is followed on the
//! device by pointer jumping, and only the window table is read back. Both give the same windows.

use crate::column::Column;
use crate::engine::Engine;
use crate::error::Result;
use crate::kernels::elementwise as ew;
use crate::kernels::search::{Bound, Check, search_sorted};
use crate::kernels::{chain, compact};

/// Budget, overlap and time limit of a byte window chain.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ByteParams {
    /// The budget M.
    pub max: u64,
    /// The overlap budget floor(M * r).
    pub overlap: u64,
    /// Strict semantics only: the longest span of a window, in timestamp units.
    pub max_time: Option<u64>,
}

fn upper(a: &[u64], x: u64) -> usize {
    a.partition_point(|&v| v <= x)
}

fn lower(a: &[u64], x: u64) -> usize {
    a.partition_point(|&v| v < x)
}

/// Egregora's chain: the first message is free (the budget counts from `a[s + 1]`), the overlap counts
/// every message in the overlap region, and the loop steps one row at a time past the end (tail
/// cascade).
pub(crate) fn egregora_chain(a: &[u64], p: ByteParams) -> Vec<(u64, u64)> {
    let n = a.len() - 1;
    let mut out = Vec::new();
    let mut s = 0usize;
    while s < n {
        let j = upper(a, a[s + 1].saturating_add(p.max));
        let e = j.saturating_sub(1).max(s + 1).min(n);
        out.push((s as u64, e as u64));
        let next = lower(a, a[e].saturating_sub(p.overlap)).clamp(s, e);
        s = if next > s { next } else { s + 1 };
    }
    out
}

/// Strict semantics: the largest window within the budget (at least one message), cut at
/// `ts[s] + max_time`; stop at the end; the next start is `e`, or with an overlap the smallest row after
/// `s` whose window both stays within the overlap budget of `e` and reaches past `e` (so no window lies
/// inside its predecessor). `ts` are the sorted timestamps as order-preserving u64.
pub(crate) fn strict_chain(a: &[u64], ts: &[u64], p: ByteParams) -> Vec<(u64, u64)> {
    let n = a.len() - 1;
    let mut out = Vec::new();
    let mut s = 0usize;
    while s < n {
        let mut e = upper(a, a[s].saturating_add(p.max)).saturating_sub(1);
        if let Some(w) = p.max_time {
            e = e.min(upper(ts, ts[s].saturating_add(w)));
        }
        let e = e.max(s + 1).min(n);
        out.push((s as u64, e as u64));
        if e == n {
            break;
        }
        s = if p.overlap == 0 {
            e
        } else {
            let mut next = lower(a, a[e].saturating_sub(p.overlap).max(a[e + 1].saturating_sub(p.max)));
            if let Some(w) = p.max_time {
                next = next.max(lower(ts, ts[e].saturating_sub(w)));
            }
            next.max(s + 1).min(e)
        };
    }
    out
}

/// A window table: `(start_row, end_row, units)` per window, in order.
pub(crate) type Table = Vec<(u64, u64, u64)>;

/// The windows of a chain given `end[s]` and `next[s]` for every row `s` of `0..=n` (`next[s] > s`
/// for `s < n`, `next[n] = n`): the rows the walk from row 0 reaches are marked (pointer jumping on a
/// GPU), compacted into the window starts, and the ends and units gathered at them, so that only the
/// window table leaves the device.
fn window_table(engine: &Engine, a: &Column<u64>, end: &Column<u64>, next: &Column<u64>) -> Result<Table> {
    let n = (a.len() - 1) as u64;
    let starts = {
        let marks = chain::walk_marks_trusted(engine, next)?;
        compact::indices(engine, &marks)?
    };
    let ends = ew::gather(engine, end, &starts)?;
    let units = ew::sub(engine, &ew::gather(engine, a, &ends)?, &ew::gather(engine, a, &starts)?)?;
    // The table, read back in one go.
    let [starts, ends, units] = Column::to_vecs([&starts, &ends, &units])?;
    // Row n (the walk's end) is marked when reached; it starts no window.
    Ok(starts.into_iter().zip(ends).zip(units).filter(|((s, _), _)| *s < n).map(|((s, e), u)| (s, e, u)).collect())
}

/// On a GPU, a recording: every kernel of the chain up to the compaction's total goes to the device in
/// one submission, with one wait for that total; then the gathers and the window table's readback, with
/// one more.
fn record(engine: &Engine) -> Option<crate::gpu::Recorder> {
    engine.gpu().map(|ctx| ctx.record())
}

/// The egregora chain from `end[s]` and `next[s]` computed for every row at once, followed where the
/// engine computes.
pub(crate) fn egregora_batched(engine: &Engine, a: &Column<u64>, p: ByteParams) -> Result<Table> {
    let _recording = record(engine);
    let n = a.len() - 1;
    let n64 = n as u64;
    // Queries a[s + 1] + M; end = clamp(upper_bound - 1, s + 1, n).
    let j = {
        let a_next = ew::gather(engine, a, &ew::min_scalar(engine, &ew::iota(engine, n + 1, 1)?, n64)?)?;
        search_sorted(engine, a, &ew::add_scalar(engine, &a_next, p.max)?, Bound::Upper, Check::Trust)?
    };
    let end = chain::window_ends(engine, &j, None, n64)?;
    drop(j);
    // next = lower_bound(a, a[end] - OB) within [s, end], or s + 1 when that is s.
    let g = {
        let a_end = ew::gather(engine, a, &end)?;
        search_sorted(engine, a, &ew::sub_scalar(engine, &a_end, p.overlap)?, Bound::Lower, Check::Trust)?
    };
    let next = chain::window_nexts(engine, &end, &g, n64, false)?;
    drop(g);
    window_table(engine, a, &end, &next)
}

/// The strict chain from `end[s]` and `next[s]` computed for every row at once, followed where the
/// engine computes. `ts` holds the sorted timestamps as order-preserving u64 with one more element,
/// `u64::MAX`, so it is as long as `a`.
pub(crate) fn strict_batched(
    engine: &Engine,
    a: &Column<u64>,
    ts: Option<&Column<u64>>,
    p: ByteParams,
) -> Result<Table> {
    let _recording = record(engine);
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
        chain::window_ends(engine, &j, cut.as_ref(), n64)?
    };
    if p.overlap == 0 {
        // next = end, which is n where the chain stops.
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
    let next = chain::window_nexts(engine, &end, &raw, n64, true)?;
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

    fn params(max: u64, r: f64) -> ByteParams {
        ByteParams { max, overlap: (max as f64 * r).floor() as u64, max_time: None }
    }

    #[test]
    fn egregora_reference_cases() {
        let a = prefix(&[9; 10]);
        assert_eq!(sizes(&egregora_chain(&a, params(20, 0.0))), [3, 3, 3, 1]);
        let w = egregora_chain(&a, params(27, 0.35));
        assert_eq!(w.len(), 4);
        assert_eq!((w[0], w[1], w[3]), ((0, 4), (3, 7), (9, 10)));
        let a = prefix(&[5, 10, 20, 5, 14]);
        assert_eq!(sizes(&egregora_chain(&a, params(20, 0.0))), [2, 3]);
        assert_eq!(sizes(&egregora_chain(&a, params(30, 0.5))), [3, 2, 1]);
        let a = prefix(&[1; 5]);
        assert_eq!(egregora_chain(&a, params(2, 0.0)), [(0, 3), (3, 5)]);
        let w = egregora_chain(&prefix(&[10; 100]), params(100, 0.2));
        assert!(w.len() > 5 && w.iter().all(|(s, e)| e > s));
    }

    #[test]
    fn strict_overlap_never_nests() {
        // [3, 3, 8] with M = 10, r = 0.5: the overlap start 1 would give [1, 2) inside [0, 2).
        let a = prefix(&[3, 3, 8]);
        assert_eq!(strict_chain(&a, &[0, 0, 0], params(10, 0.5)), [(0, 2), (2, 3)]);
        let a = prefix(&[3, 3, 3, 8]);
        assert_eq!(strict_chain(&a, &[0; 4], params(10, 0.5)), [(0, 3), (3, 4)]);
        let a = prefix(&[2, 2, 2, 2, 2, 2]);
        assert_eq!(strict_chain(&a, &[0; 6], params(6, 0.34)), [(0, 3), (2, 5), (4, 6)]);
    }

    fn with_units(a: &[u64], w: Vec<(u64, u64)>) -> Table {
        w.into_iter().map(|(s, e)| (s, e, a[e as usize] - a[s as usize])).collect()
    }

    /// The batched chains (run here on the CPU engine; the GPU ones are compared in tests/windows.rs)
    /// give the bisect chains' windows.
    #[test]
    fn batched_equals_bisect() {
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
                let mut ts: Vec<u64> = (0..n).map(|_| rnd(50)).collect();
                ts.sort_unstable();
                let max = 1 + rnd(60);
                let r = [0.0, 0.2, 0.5][rnd(3) as usize];
                let mut p = params(max, r);
                let col = engine.upload(&a).expect("upload");
                let want = with_units(&a, egregora_chain(&a, p));
                assert_eq!(egregora_batched(&engine, &col, p).expect("egregora"), want);
                if rnd(2) == 0 {
                    p.max_time = Some(rnd(20));
                }
                let want = with_units(&a, strict_chain(&a, &ts, p));
                let ts_col = engine.upload(&ts.iter().copied().chain([u64::MAX]).collect::<Vec<_>>()).expect("upload");
                assert_eq!(strict_batched(&engine, &col, Some(&ts_col), p).expect("strict"), want, "{lengths:?} {p:?}");
            }
        }
    }
}
