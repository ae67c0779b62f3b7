//! CPU twin of `shaders/search.wgsl` (the same branchless loop, so a sorted haystack gives the same
//! positions) and of `shaders/sorted_check.wgsl`.

use std::hint::select_unpredictable;

// Used by the window chains (single queries); the batched path is `search`.
#[allow(dead_code)]
/// Number of elements of `haystack` before `q`: `< q` (lower bound) or `<= q` (upper bound).
#[inline]
pub(crate) fn position(haystack: &[u64], q: u64, upper: bool) -> u64 {
    let before = |h: u64| if upper { h <= q } else { h < q };
    let mut len = haystack.len();
    if len == 0 {
        return 0;
    }
    let mut base = 0usize;
    while len > 1 {
        let half = len / 2;
        base = select_unpredictable(before(haystack[base + half]), base + half, base);
        len -= half;
    }
    (base + usize::from(before(haystack[base]))) as u64
}

/// Queries searched in lockstep: the loop's trip count depends only on the haystack's length, so a
/// group of queries shares it and their loads overlap instead of waiting one cache miss at a time.
const LANES: usize = 16;

/// [`position`] for each query of `queries` into `out`, a group of [`LANES`] at a time.
fn search_block(haystack: &[u64], queries: &[u64], out: &mut [u64], upper: bool) {
    let n = haystack.len();
    if n == 0 {
        out.fill(0);
        return;
    }
    let before = |h: u64, q: u64| if upper { h <= q } else { h < q };
    for (qs, os) in queries.chunks(LANES).zip(out.chunks_mut(LANES)) {
        let mut base = [0usize; LANES];
        let mut len = n;
        while len > 1 {
            let half = len / 2;
            for (b, &q) in base.iter_mut().zip(qs) {
                *b = select_unpredictable(before(haystack[*b + half], q), *b + half, *b);
            }
            len -= half;
        }
        for ((o, &b), &q) in os.iter_mut().zip(&base).zip(qs) {
            *o = (b + usize::from(before(haystack[b], q))) as u64;
        }
    }
}

/// Positions of every query.
pub(crate) fn search(haystack: &[u64], queries: &[u64], upper: bool) -> Vec<u64> {
    let mut out = vec![0u64; queries.len()];
    if queries.len() < super::PARALLEL_MIN / 4 {
        search_block(haystack, queries, &mut out, upper);
        return out;
    }
    let ranges = super::split(queries.len(), super::threads());
    std::thread::scope(|s| {
        let mut rest: &mut [u64] = &mut out;
        for r in &ranges {
            let (block, tail) = rest.split_at_mut(r.len());
            rest = tail;
            let q = &queries[r.clone()];
            s.spawn(move || search_block(haystack, q, block, upper));
        }
    });
    out
}

/// The first row `i` with `values[i] < values[i - 1]`, if any.
pub(crate) fn first_unsorted(values: &[u64]) -> Option<u64> {
    values.windows(2).position(|w| w[1] < w[0]).map(|i| i as u64 + 1)
}
