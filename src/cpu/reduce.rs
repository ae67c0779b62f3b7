//! CPU twin of `shaders/reduce.wgsl`; large inputs on rayon's pool.

use crate::ops::ReduceOp;

/// Reduces `data` (u32 or u64 values) with `op`; `None` when empty.
pub(crate) fn reduce<T: Copy + Into<u64> + Send + Sync>(data: &[T], op: ReduceOp) -> Option<u64> {
    let run = |part: &[T]| -> Option<u64> { part.iter().map(|&x| x.into()).reduce(|a, b| op.combine(a, b)) };
    if data.len() < super::PARALLEL_MIN {
        return run(data);
    }
    use rayon::prelude::*;
    data.par_chunks(super::MIN_TASK).filter_map(run).reduce_with(|a, b| op.combine(a, b))
}
