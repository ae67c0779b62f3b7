//! The CPU twin of every kernel, same names as the shaders. These are what most users run: scans work
//! in blocks over both cores when the input is large, searches are branchless.

pub(crate) mod compact;
pub(crate) mod elementwise;
pub(crate) mod ids;
pub(crate) mod media;
pub(crate) mod reduce;
pub(crate) mod scan;
pub(crate) mod search;
pub(crate) mod sha256;
pub(crate) mod strings;
pub(crate) mod successor;
pub(crate) mod text_match;
pub(crate) mod time;
pub(crate) mod tokens;
pub(crate) mod uuid5;
pub(crate) mod vocab;

/// Inputs at least this long are split across threads.
pub(crate) const PARALLEL_MIN: usize = 1 << 18;

/// The fewest elements a rayon task takes, so a large input is not cut finer than its threads need.
pub(crate) const MIN_TASK: usize = 1 << 14;

/// `f` of every element, in order: one loop below [`PARALLEL_MIN`], rayon's pool above (its `collect`
/// writes each part of the output in place, with no zero-fill first).
pub(crate) fn par_map<T: Sync, U: Send>(src: &[T], f: impl Fn(&T) -> U + Sync + Send) -> Vec<U> {
    use rayon::prelude::*;
    if src.len() < PARALLEL_MIN {
        src.iter().map(f).collect()
    } else {
        src.par_iter().with_min_len(MIN_TASK).map(f).collect()
    }
}

/// Worker threads for large inputs.
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(16)
}
