//! CPU twin of `shaders/compact.wgsl`: the indices of the rows a mask keeps, from 0/1 values or from an
//! Arrow bitmap (1 bit a row), on every core of rayon's pool for large masks.

use arrow_buffer::BooleanBuffer;
use rayon::prelude::*;

/// Indices of the rows where `mask` is non-zero.
pub(crate) fn compact(mask: &[u64]) -> Vec<u64> {
    let keep = |(i, m): (usize, &u64)| (*m != 0).then_some(i as u64);
    if mask.len() < super::PARALLEL_MIN {
        return mask.iter().enumerate().filter_map(keep).collect();
    }
    mask.par_iter().enumerate().with_min_len(super::MIN_TASK).filter_map(keep).collect()
}

/// Rows of a bitmap taken by one task.
const BITS_PER_TASK: usize = 1 << 16;

/// Indices of the set bits of `bits` (a bitmap, any offset), in order.
pub(crate) fn compact_bits(bits: &BooleanBuffer) -> Vec<u64> {
    let len = bits.len();
    if len < super::PARALLEL_MIN {
        return bits.set_indices().map(|i| i as u64).collect();
    }
    let parts: Vec<Vec<u64>> = (0..len.div_ceil(BITS_PER_TASK))
        .into_par_iter()
        .map(|p| {
            let start = p * BITS_PER_TASK;
            let part = bits.slice(start, BITS_PER_TASK.min(len - start));
            part.set_indices().map(|i| (start + i) as u64).collect()
        })
        .collect();
    let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for p in parts {
        out.extend_from_slice(&p);
    }
    out
}
