//! CPU twin of `shaders/reduce.wgsl`.

/// A reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReduceOp {
    /// Sum as u64, wrapping at 2^64.
    Sum,
    Min,
    Max,
}

impl ReduceOp {
    pub fn combine(self, a: u64, b: u64) -> u64 {
        match self {
            ReduceOp::Sum => a.wrapping_add(b),
            ReduceOp::Min => a.min(b),
            ReduceOp::Max => a.max(b),
        }
    }
}

/// Reduces `data` (u32 or u64 values) with `op`; `None` when empty.
pub(crate) fn reduce<T: Copy + Into<u64> + Send + Sync>(data: &[T], op: ReduceOp) -> Option<u64> {
    let run = |part: &[T]| -> Option<u64> { part.iter().map(|&x| x.into()).reduce(|a, b| op.combine(a, b)) };
    if data.len() < super::PARALLEL_MIN {
        return run(data);
    }
    let ranges = super::split(data.len(), super::threads());
    let partials: Vec<Option<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = ranges.iter().map(|r| s.spawn(|| run(&data[r.clone()]))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    partials.into_iter().flatten().reduce(|a, b| op.combine(a, b))
}
