//! CPU twin of `shaders/scan.wgsl`: prefix sums of u32 into wrapping u32 or widening u64 sums. Large
//! inputs are scanned in one block per thread: block totals first, then each block from its offset.

use crate::column::Element;

fn scan_block<O: Element>(input: &[u32], out: &mut [O], start: O, inclusive: bool) {
    let mut acc = start;
    if inclusive {
        for (o, &x) in out.iter_mut().zip(input) {
            acc = acc.add_u32(x);
            *o = acc;
        }
    } else {
        for (o, &x) in out.iter_mut().zip(input) {
            *o = acc;
            acc = acc.add_u32(x);
        }
    }
}

/// The prefix sums of `input`.
pub(crate) fn scan<O: Element>(input: &[u32], inclusive: bool) -> Vec<O> {
    let mut out = vec![O::default(); input.len()];
    if input.len() < super::PARALLEL_MIN {
        scan_block(input, &mut out, O::default(), inclusive);
        return out;
    }
    let ranges = super::split(input.len(), super::threads());
    let totals: Vec<O> = std::thread::scope(|s| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|r| s.spawn(|| input[r.clone()].iter().fold(O::default(), |a, &x| a.add_u32(x))))
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
            s.spawn(move || scan_block(part, block, start, inclusive));
            offset = offset.plus(*total);
        }
    });
    out
}
