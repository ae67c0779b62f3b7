//! CPU twin of `shaders/elementwise.wgsl`; large inputs on every core of rayon's pool.

use rayon::prelude::*;

use crate::ops::{PairOp, ScalarOp};

pub(crate) fn map_scalar(a: &[u64], op: ScalarOp, k: u64) -> Vec<u64> {
    super::par_map(a, |&x| op.apply(x, k))
}

pub(crate) fn map_pair(a: &[u64], b: &[u64], op: PairOp) -> Vec<u64> {
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    if len < super::PARALLEL_MIN {
        return a.iter().zip(b).map(|(&x, &y)| op.apply(x, y)).collect();
    }
    a.par_iter().zip(b).with_min_len(super::MIN_TASK).map(|(&x, &y)| op.apply(x, y)).collect()
}

pub(crate) fn iota(len: usize, start: u64) -> Vec<u64> {
    if len < super::PARALLEL_MIN {
        return (0..len as u64).map(|i| start.wrapping_add(i)).collect();
    }
    (0..len).into_par_iter().with_min_len(super::MIN_TASK).map(|i| start.wrapping_add(i as u64)).collect()
}

/// `src[idx[i]]`, or 0 where the index is out of range.
pub(crate) fn gather(src: &[u64], idx: &[u64]) -> Vec<u64> {
    super::par_map(idx, |&j| usize::try_from(j).ok().and_then(|j| src.get(j)).copied().unwrap_or(0))
}
