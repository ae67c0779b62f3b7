//! CPU twin of `shaders/search.wgsl` (the same branchless loop, so a sorted haystack gives the same
//! positions) and of `shaders/sorted_check.wgsl`.

use std::hint::select_unpredictable;

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

/// Positions of every query.
pub(crate) fn search(haystack: &[u64], queries: &[u64], upper: bool) -> Vec<u64> {
    let mut out = vec![0u64; queries.len()];
    let run = |q: &[u64], o: &mut [u64]| {
        for (dst, &x) in o.iter_mut().zip(q) {
            *dst = position(haystack, x, upper);
        }
    };
    if queries.len() < super::PARALLEL_MIN / 4 {
        run(queries, &mut out);
        return out;
    }
    let ranges = super::split(queries.len(), super::threads());
    std::thread::scope(|s| {
        let mut rest: &mut [u64] = &mut out;
        for r in &ranges {
            let (block, tail) = rest.split_at_mut(r.len());
            rest = tail;
            let q = &queries[r.clone()];
            s.spawn(move || run(q, block));
        }
    });
    out
}

/// The first row `i` with `values[i] < values[i - 1]`, if any.
pub(crate) fn first_unsorted(values: &[u64]) -> Option<u64> {
    values
        .windows(2)
        .position(|w| w[1] < w[0])
        .map(|i| i as u64 + 1)
}
