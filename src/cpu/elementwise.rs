//! CPU twin of `shaders/elementwise.wgsl`; large inputs on every core of rayon's pool.

use rayon::prelude::*;

/// `out[i] = op(a[i], k)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScalarOp {
    /// Saturating at u64::MAX.
    AddSat,
    /// Saturating at 0.
    SubSat,
    Min,
    Max,
    /// 1 if `a >= k` else 0.
    Ge,
    /// 1 if `a < k` else 0.
    Lt,
    /// `a`, read as a two's-complement i64, divided by `k` rounding toward negative infinity (for `k` in
    /// `1..=i64::MAX`, `(a as i64).div_euclid(k as i64)`); a quotient of all ones (`u64::MAX`, or 0 for a
    /// negative `a`) for `k = 0`, as the shader's long division gives.
    FloorDivSigned,
}

/// `out[i] = op(a[i], b[i])`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PairOp {
    Max,
    Min,
    /// Saturating at 0.
    SubSat,
    WrappingAdd,
    WrappingSub,
    /// 1 if `a <= b` else 0.
    Le,
}

impl ScalarOp {
    pub fn apply(self, x: u64, k: u64) -> u64 {
        match self {
            ScalarOp::AddSat => x.saturating_add(k),
            ScalarOp::SubSat => x.saturating_sub(k),
            ScalarOp::Min => x.min(k),
            ScalarOp::Max => x.max(k),
            ScalarOp::Ge => u64::from(x >= k),
            ScalarOp::Lt => u64::from(x < k),
            ScalarOp::FloorDivSigned => {
                // floor(x / k) for x < 0 is -(floor((-x - 1) / k)) - 1, i.e. !((!x) / k), which never overflows.
                let q = |n: u64| n.checked_div(k).unwrap_or(u64::MAX);
                if (x as i64) < 0 { !q(!x) } else { q(x) }
            }
        }
    }
}

impl PairOp {
    pub fn apply(self, x: u64, y: u64) -> u64 {
        match self {
            PairOp::Max => x.max(y),
            PairOp::Min => x.min(y),
            PairOp::SubSat => x.saturating_sub(y),
            PairOp::WrappingAdd => x.wrapping_add(y),
            PairOp::WrappingSub => x.wrapping_sub(y),
            PairOp::Le => u64::from(x <= y),
        }
    }
}

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
