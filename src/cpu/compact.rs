//! CPU twin of `shaders/compact.wgsl`.

/// Indices of the rows where `mask` is non-zero.
pub(crate) fn compact(mask: &[u64]) -> Vec<u64> {
    mask.iter().enumerate().filter(|(_, m)| **m != 0).map(|(i, _)| i as u64).collect()
}
