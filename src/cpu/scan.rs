//! CPU twin of `shaders/scan.wgsl`: prefix sums of u32 into wrapping u32 or widening u64 sums, and of
//! u64 into wrapping u64 sums. Large inputs are scanned in one block per thread: block totals first,
//! then each block from its offset.

use crate::column::Element;

fn scan_block<I: Copy, O: Element>(input: &[I], out: &mut [O], start: O, inclusive: bool, add: impl Fn(O, I) -> O) {
    let mut acc = start;
    if inclusive {
        for (o, &x) in out.iter_mut().zip(input) {
            acc = add(acc, x);
            *o = acc;
        }
    } else {
        for (o, &x) in out.iter_mut().zip(input) {
            *o = acc;
            acc = add(acc, x);
        }
    }
}

fn scan_with<I: Copy + Send + Sync, O: Element>(
    input: &[I],
    inclusive: bool,
    add: impl Fn(O, I) -> O + Copy + Send + Sync,
) -> Vec<O> {
    let mut out = vec![O::default(); input.len()];
    if input.len() < super::PARALLEL_MIN {
        scan_block(input, &mut out, O::default(), inclusive, add);
        return out;
    }
    let ranges = super::split(input.len(), super::threads());
    let totals: Vec<O> = std::thread::scope(|s| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|r| s.spawn(move || input[r.clone()].iter().fold(O::default(), |a, &x| add(a, x))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    std::thread::scope(|s| {
        let mut rest: &mut [O] = &mut out;
        let mut offset = O::default();
        for (r, total) in ranges.iter().zip(&totals) {
            let (block, tail) = rest.split_at_mut(r.len());
            rest = tail;
            let part = &input[r.clone()];
            let start = offset;
            s.spawn(move || scan_block(part, block, start, inclusive, add));
            offset = offset.plus(*total);
        }
    });
    out
}

/// The prefix sums of u32 `input`, as wrapping u32 or widening u64.
pub(crate) fn scan<O: Element>(input: &[u32], inclusive: bool) -> Vec<O> {
    scan_with(input, inclusive, |a: O, x: u32| a.add_u32(x))
}

/// The prefix sums of u64 `input`, wrapping.
pub(crate) fn scan_u64(input: &[u64], inclusive: bool) -> Vec<u64> {
    scan_with(input, inclusive, |a: u64, x: u64| a.wrapping_add(x))
}
