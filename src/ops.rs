//! The operations of the elementwise and reduction kernels, named once for both backends: the CPU twins
//! apply them, the GPU wrappers turn them into their shaders' `OP` overrides.

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
    pub(crate) fn apply(self, x: u64, k: u64) -> u64 {
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
    pub(crate) fn apply(self, x: u64, y: u64) -> u64 {
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

/// A reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReduceOp {
    /// Sum as u64, wrapping at 2^64.
    Sum,
    Min,
    Max,
}

impl ReduceOp {
    pub(crate) fn combine(self, a: u64, b: u64) -> u64 {
        match self {
            ReduceOp::Sum => a.wrapping_add(b),
            ReduceOp::Min => a.min(b),
            ReduceOp::Max => a.max(b),
        }
    }
}
