//! CPU twin of `shaders/search.wgsl` (the same branchless loop, so a sorted haystack gives the same
//! positions) and of the checked mode's sortedness test, generic over the element (`u32`, `u64`, `i64`:
//! nothing is widened).
//!
//! Two paths, chosen per block of queries, giving the same positions over a sorted haystack:
//! - **interleaved window search**: sorted queries whose answers lie close together (as dense as the
//!   haystack, or up to 64 elements apart): the block is cut into [`STREAMS`] runs searched in lockstep,
//!   each query by a branchless binary search over the [`WINDOW`] elements from its run's previous
//!   position, falling back to galloping past the window (rare when the answers are dense). The runs
//!   are independent dependency chains, so their loads overlap (see [`merge_streams`]);
//! - **branchless**: any other order, or sorted queries spread thinly: a fixed-trip binary search,
//!   [`LANES`] queries in lockstep.
//!
//! Large batches are cut into blocks of [`BLOCK`] queries spread over rayon's pool; each block finds its
//! own first (and last) position by binary search, so blocks are independent.

use std::hint::select_unpredictable;

use rayon::prelude::*;

/// A haystack element the CPU search takes: totally ordered, plain old data.
pub(crate) trait Key: Copy + Ord + Send + Sync + 'static {}
impl<T: Copy + Ord + Send + Sync + 'static> Key for T {}

/// Which path [`search_with`] takes (the tests force each one; [`search`] picks by itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))] // Gallop and Streams are forced by the unit tests only
pub(crate) enum Path {
    /// Pick per block: galloping for sorted blocks whose answers lie close together, branchless
    /// otherwise.
    Auto,
    /// Branchless lockstep binary search for every query.
    Branchless,
    /// Galloping for every block whose queries are sorted (branchless for the others): the sorted
    /// path before the interleaved window search, kept for the comparison in `path_timings`.
    Gallop,
    /// The interleaved window search for every block whose queries are sorted (branchless for the
    /// others).
    Streams,
}

#[inline(always)]
fn before<T: Key>(h: T, q: T, upper: bool) -> bool {
    if upper { h <= q } else { h < q }
}

/// Number of elements of `haystack` before `q`: `< q` (lower bound) or `<= q` (upper bound).
#[inline]
pub(crate) fn position<T: Key>(haystack: &[T], q: T, upper: bool) -> u64 {
    let mut len = haystack.len();
    if len == 0 {
        return 0;
    }
    let mut base = 0usize;
    while len > 1 {
        let half = len / 2;
        base = select_unpredictable(before(haystack[base + half], q, upper), base + half, base);
        len -= half;
    }
    (base + usize::from(before(haystack[base], q, upper))) as u64
}

/// Queries searched in lockstep: the loop's trip count depends only on the haystack's length, so a
/// group of queries shares it and their loads overlap instead of waiting one cache miss at a time.
const LANES: usize = 16;

/// Queries per block of the parallel split (their positions, 128 KiB, stay in L2 between the sortedness
/// test and the search).
const BLOCK: usize = 1 << 14;

/// [`position`] for each query of `queries` into `out`, a group of [`LANES`] at a time.
fn branchless<T: Key>(haystack: &[T], queries: &[T], out: &mut [u64], upper: bool) {
    let n = haystack.len();
    if n == 0 {
        out.fill(0);
        return;
    }
    for (qs, os) in queries.chunks(LANES).zip(out.chunks_mut(LANES)) {
        let mut base = [0usize; LANES];
        let mut len = n;
        while len > 1 {
            let half = len / 2;
            for (b, &q) in base.iter_mut().zip(qs) {
                *b = select_unpredictable(before(haystack[*b + half], q, upper), *b + half, *b);
            }
            len -= half;
        }
        for ((o, &b), &q) in os.iter_mut().zip(&base).zip(qs) {
            *o = (b + usize::from(before(haystack[b], q, upper))) as u64;
        }
    }
}

/// The position of `q` given that every element of `haystack[..lo]` goes before it: an exponential
/// then binary search from `lo`.
#[inline]
fn gallop_one<T: Key>(haystack: &[T], mut lo: usize, q: T, upper: bool) -> usize {
    let n = haystack.len();
    let mut step = 1usize;
    while lo + step <= n && before(haystack[lo + step - 1], q, upper) {
        lo += step;
        step *= 2;
    }
    // The answer lies in lo..=hi: haystack[hi] does not go before q, or hi = n.
    let hi = (lo + step - 1).min(n);
    lo + position(&haystack[lo..hi], q, upper) as usize
}

/// Sorted `queries` whose positions are at least `first`: each an exponential then binary search from
/// the previous one's position.
fn gallop<T: Key>(haystack: &[T], queries: &[T], out: &mut [u64], first: usize, upper: bool) {
    let mut lo = first.min(haystack.len());
    for (o, &q) in out.iter_mut().zip(queries) {
        lo = gallop_one(haystack, lo, q, upper);
        *o = lo as u64;
    }
}

/// Elements after a run's previous position that [`step`] searches without a branch on the data.
const WINDOW: usize = 8;

/// Runs of a sorted block searched in lockstep by [`merge_streams`].
const STREAMS: usize = 4;

/// The position of `q` given that every element of `haystack[..lo]` goes before it: a branchless binary
/// search of `haystack[lo..lo + WINDOW]`, then galloping only if all of the window goes before `q` (rare
/// when the answers are dense). `UPPER` is a constant so that each compare is one instruction (measured
/// against counting the window's elements with independent compares: the count was slower).
#[inline(always)]
fn step<T: Key, const UPPER: bool>(haystack: &[T], lo: usize, q: T) -> usize {
    let Some(w) = haystack.get(lo..lo + WINDOW) else {
        return lo + position(&haystack[lo.min(haystack.len())..], q, UPPER) as usize;
    };
    let mut base = 0usize;
    let mut len = WINDOW;
    while len > 1 {
        let half = len / 2;
        base = select_unpredictable(before(w[base + half], q, UPPER), base + half, base);
        len -= half;
    }
    let found = base + usize::from(before(w[base], q, UPPER));
    if found == WINDOW { gallop_one(haystack, lo + WINDOW, q, UPPER) } else { lo + found }
}

/// Sorted `queries` (positions at least `first`), cut into [`STREAMS`] runs of equal length, each
/// starting from its first query's binary-searched position; the runs step through their queries in
/// lockstep (one query of each run per round) so that the out-of-order core overlaps their dependent
/// loads, and a leftover tail continues from the last run's position. Measured once (a throwaway
/// timing, 2^24 sorted queries in 2^24 elements, one thread, a loaded machine, one run): 4 runs of the
/// binary window 240 ms, 8 runs 314 ms; counting the window with independent compares in 1, 2, 4 and 8
/// runs 592, 394, 376 and 415 ms; galloping 487 ms.
fn merge_streams<T: Key>(haystack: &[T], queries: &[T], out: &mut [u64], first: usize, upper: bool) {
    if upper {
        merge_streams_n::<T, true>(haystack, queries, out, first)
    } else {
        merge_streams_n::<T, false>(haystack, queries, out, first)
    }
}

fn merge_streams_n<T: Key, const UPPER: bool>(haystack: &[T], queries: &[T], out: &mut [u64], first: usize) {
    let run = queries.len() / STREAMS;
    let mut tail_lo = first.min(haystack.len());
    if run > 0 {
        let mut lo = [0usize; STREAMS];
        lo[0] = tail_lo;
        for (k, l) in lo.iter_mut().enumerate().skip(1) {
            *l = position(haystack, queries[k * run], UPPER) as usize;
        }
        let (qs, _) = queries.split_at(run * STREAMS);
        let (os, _) = out.split_at_mut(run * STREAMS);
        let qruns: [&[T]; STREAMS] = std::array::from_fn(|k| &qs[k * run..(k + 1) * run]);
        let mut oruns = os.chunks_exact_mut(run);
        let oruns: [&mut [u64]; STREAMS] = std::array::from_fn(|_| oruns.next().unwrap_or_default());
        for j in 0..run {
            for k in 0..STREAMS {
                lo[k] = step::<T, UPPER>(haystack, lo[k], qruns[k][j]);
                oruns[k][j] = lo[k] as u64;
            }
        }
        tail_lo = lo[STREAMS - 1];
    }
    for (o, &q) in out[run * STREAMS..].iter_mut().zip(&queries[run * STREAMS..]) {
        tail_lo = step::<T, UPPER>(haystack, tail_lo, q);
        *o = tail_lo as u64;
    }
}

/// One block: galloping when its queries are sorted and their answers close together, branchless
/// otherwise.
fn block<T: Key>(haystack: &[T], queries: &[T], out: &mut [u64], upper: bool, path: Path) {
    let sorted = path != Path::Branchless && queries.windows(2).all(|w| w[0] <= w[1]);
    if !sorted || queries.len() < 2 || haystack.is_empty() {
        branchless(haystack, queries, out, upper);
        return;
    }
    let first = position(haystack, queries[0], upper) as usize;
    // Galloping costs about 2 log2(gap) dependent, mispredicted steps per query for an average gap
    // between answers; the lockstep search log2(n) overlapped steps. Measured (`path_timings`, 2^22
    // haystack): galloping wins 3x at gaps of 1 and 16, loses 4x at 256. Gallop up to gaps of 64.
    if path == Path::Auto {
        let last = position(haystack, queries[queries.len() - 1], upper) as usize;
        if last.saturating_sub(first) > 64 * queries.len() {
            branchless(haystack, queries, out, upper);
            return;
        }
    }
    if path == Path::Gallop {
        gallop(haystack, queries, out, first, upper);
    } else {
        merge_streams(haystack, queries, out, first, upper);
    }
}

/// Positions of every query, by the path `path` (see [`Path`]), on rayon's pool for large batches.
pub(crate) fn search_with<T: Key>(haystack: &[T], queries: &[T], upper: bool, path: Path) -> Vec<u64> {
    let mut out = vec![0u64; queries.len()];
    if queries.len() <= BLOCK {
        block(haystack, queries, &mut out, upper, path);
        return out;
    }
    out.par_chunks_mut(BLOCK).zip(queries.par_chunks(BLOCK)).for_each(|(o, q)| block(haystack, q, o, upper, path));
    out
}

/// Positions of every query (queries in any order; sorted blocks are galloped).
pub(crate) fn search<T: Key>(haystack: &[T], queries: &[T], upper: bool) -> Vec<u64> {
    search_with(haystack, queries, upper, Path::Auto)
}

/// The first row `i` with `values[i] < values[i - 1]`, if any.
pub(crate) fn first_unsorted<T: Key>(values: &[T]) -> Option<u64> {
    values.windows(2).position(|w| w[1] < w[0]).map(|i| i as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oracle<T: Key>(h: &[T], q: &[T], upper: bool) -> Vec<u64> {
        q.iter().map(|&q| h.partition_point(|&x| before(x, q, upper)) as u64).collect()
    }

    #[test]
    fn every_path_matches_partition_point() {
        let h: Vec<i64> = vec![i64::MIN, i64::MIN, -5, -5, 0, 3, 3, 3, 9, i64::MAX];
        let mut q: Vec<i64> = vec![i64::MIN, -6, -5, -4, 0, 1, 3, 4, 9, 10, i64::MAX - 1, i64::MAX];
        for _ in 0..2 {
            for upper in [false, true] {
                for path in [Path::Auto, Path::Branchless, Path::Gallop, Path::Streams] {
                    assert_eq!(search_with(&h, &q, upper, path), oracle(&h, &q, upper), "{path:?} {upper}");
                    assert_eq!(search_with(&h[..0], &q, upper, path), vec![0; q.len()]);
                    assert_eq!(search_with(&h[..1], &q, upper, path), oracle(&h[..1], &q, upper));
                }
            }
            q.reverse();
        }
    }

    /// Times each path on 2^22 sorted queries (`cargo test --release --lib -- --ignored --nocapture
    /// path_timings`): the comparison that chose [`Path::Auto`]'s rule.
    #[test]
    #[ignore]
    fn path_timings() {
        for log2 in [22, 24] {
            let n = 1usize << log2;
            let mut x = 1u64;
            let mut next = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x >> 20
            };
            let mut h: Vec<u64> = (0..n).map(|_| next()).collect();
            h.sort_unstable();
            for nq in [n, n / 16, n / 256] {
                let mut q: Vec<u64> = (0..nq).map(|_| next()).collect();
                q.sort_unstable();
                let want = oracle(&h, &q, false);
                for path in [Path::Branchless, Path::Gallop, Path::Streams, Path::Auto] {
                    let mut best = f64::MAX;
                    for _ in 0..5 {
                        let t = std::time::Instant::now();
                        let got = search_with(&h, &q, false, path);
                        best = best.min(t.elapsed().as_secs_f64() * 1e3);
                        assert!(got == want);
                    }
                    println!("haystack 2^{log2}, {nq} sorted queries, {path:?}: best of 5 {best:.1} ms");
                }
            }
        }
    }

    #[test]
    fn every_path_on_random_sizes() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for (nh, nq) in
            [(0, 5), (1, 1), (4095, 4097), (4096, 3), (16_385, 40_000), (100_003, 3 * BLOCK + 7), (7, 70_001)]
        {
            for modulus in [u64::MAX, 1000] {
                let mut h: Vec<u64> = (0..nh).map(|_| next() % modulus).collect();
                h.sort_unstable();
                let mut q: Vec<u64> = (0..nq).map(|_| next() % modulus.saturating_add(2)).collect();
                for (sorted, partly) in [(false, false), (true, false), (true, true)] {
                    if sorted {
                        q.sort_unstable();
                    }
                    if partly {
                        // Sorted but for one reversed stretch across a block boundary.
                        let mid = q.len() / 2;
                        let r = mid.saturating_sub(50)..(mid + 50).min(q.len());
                        q[r].reverse();
                    }
                    for upper in [false, true] {
                        let want = oracle(&h, &q, upper);
                        for path in [Path::Auto, Path::Branchless, Path::Gallop, Path::Streams] {
                            assert!(search_with(&h, &q, upper, path) == want, "{path:?} {nh} {nq} {upper} {sorted}");
                        }
                        let h32: Vec<u32> = h.iter().map(|&v| v as u32).collect::<Vec<_>>();
                        let mut h32 = h32;
                        h32.sort_unstable();
                        let q32: Vec<u32> = q.iter().map(|&v| v as u32).collect();
                        assert!(search_with(&h32, &q32, upper, Path::Auto) == oracle(&h32, &q32, upper));
                    }
                }
            }
        }
    }
}
