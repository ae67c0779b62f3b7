//! Batched binary search: for many `u64` queries, their lower or upper bound in a sorted `u64`
//! haystack, as positions (`u64`).
//!
//! The haystack must be sorted ascending. With [`Check::Trust`] that is the caller's promise: an
//! unsorted haystack gives, for each query, some position in `0..=len` (never a panic, never out of
//! range), which is not meaningful and may differ between backends. [`Check::Verify`] tests the order
//! first and returns [`crate::Error::Unsorted`] naming the first row out of order. Queries need not be
//! sorted.

use arrow_array::{Array, UInt64Array};

use crate::column::Column;
use crate::cpu;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::gpu;

/// Which bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// The first position whose element is `>= q` (the number of elements `< q`).
    Lower,
    /// The first position whose element is `> q` (the number of elements `<= q`).
    Upper,
}

/// Whether the haystack's order is verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The caller promises a sorted haystack.
    Trust,
    /// Verify the order first (one more pass over the haystack).
    Verify,
}

fn unsorted(haystack: &[u64], row: u64) -> Error {
    Error::Unsorted { row, value: haystack[row as usize], previous: haystack[row as usize - 1] }
}

/// Positions of `queries` in the sorted `haystack`.
///
/// # Errors
/// [`Error::Unsorted`] with `Check::Verify` when the haystack is out of order; [`Error::Gpu`] when the
/// device fails.
///
/// # Example
/// ```
/// use streamliner::{Engine, search::{search_sorted, Bound, Check}};
/// let engine = Engine::from_env()?;
/// let haystack = [10u64, 20, 20, 30];
/// assert_eq!(search_sorted(&engine, &haystack, &[20, 5, 99], Bound::Lower, Check::Verify)?, vec![1, 0, 4]);
/// assert_eq!(search_sorted(&engine, &haystack, &[20, 5, 99], Bound::Upper, Check::Verify)?, vec![3, 0, 4]);
/// assert!(search_sorted(&engine, &[2, 1], &[1], Bound::Lower, Check::Verify).is_err());
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn search_sorted(
    engine: &Engine,
    haystack: &[u64],
    queries: &[u64],
    bound: Bound,
    check: Check,
) -> Result<Vec<u64>> {
    let upper = bound == Bound::Upper;
    match engine.gpu() {
        Some(ctx) if !queries.is_empty() => {
            let hay = ctx.upload(haystack)?;
            if check == Check::Verify
                && let Some(row) = gpu::search::first_unsorted(ctx, &hay)?
            {
                return Err(unsorted(haystack, row));
            }
            gpu::search::search_slice(ctx, &hay, queries, upper)
        }
        _ => {
            if check == Check::Verify
                && let Some(row) = cpu::search::first_unsorted(haystack)
            {
                return Err(unsorted(haystack, row));
            }
            Ok(cpu::search::search(haystack, queries, upper))
        }
    }
}

/// `search_sorted(.., Bound::Lower, Check::Trust)`: for each query, the number of haystack elements
/// smaller than it.
///
/// # Errors
/// As [`search_sorted`].
pub fn lower_bound(engine: &Engine, haystack: &[u64], queries: &[u64]) -> Result<Vec<u64>> {
    search_sorted(engine, haystack, queries, Bound::Lower, Check::Trust)
}

/// `search_sorted(.., Bound::Upper, Check::Trust)`: for each query, the number of haystack elements
/// smaller than or equal to it.
///
/// # Errors
/// As [`search_sorted`].
pub fn upper_bound(engine: &Engine, haystack: &[u64], queries: &[u64]) -> Result<Vec<u64>> {
    search_sorted(engine, haystack, queries, Bound::Upper, Check::Trust)
}

/// [`search_sorted`] over Arrow arrays. A null query gives a null position.
///
/// # Errors
/// [`Error::NullValue`] when the haystack holds a null; otherwise as [`search_sorted`].
pub fn search_sorted_array(
    engine: &Engine,
    haystack: &UInt64Array,
    queries: &UInt64Array,
    bound: Bound,
    check: Check,
) -> Result<UInt64Array> {
    if let Some(nulls) = haystack.nulls()
        && let Some(row) = nulls.iter().position(|ok| !ok)
    {
        return Err(Error::NullValue { what: "haystack".into(), row: row as u64 });
    }
    let out = search_sorted(engine, haystack.values(), queries.values(), bound, check)?;
    Ok(UInt64Array::new(out.into(), queries.nulls().cloned()))
}

/// [`search_sorted`] over columns, kept where they are (on a GPU engine, one submission that this call
/// does not wait for, except to verify the order).
///
/// # Errors
/// As [`search_sorted`].
pub fn search_sorted_column(
    engine: &Engine,
    haystack: &Column<u64>,
    queries: &Column<u64>,
    bound: Bound,
    check: Check,
) -> Result<Column<u64>> {
    let upper = bound == Bound::Upper;
    match engine.gpu() {
        Some(ctx) => {
            let hay = haystack.device_data(ctx)?;
            if check == Check::Verify
                && let Some(row) = gpu::search::first_unsorted(ctx, &hay)?
            {
                return Err(unsorted(&haystack.to_vec()?, row));
            }
            Ok(Column::device(gpu::search::search_array(ctx, &hay, &*queries.device_data(ctx)?, upper)?))
        }
        None => {
            let hay = haystack.host_data()?;
            if check == Check::Verify
                && let Some(row) = cpu::search::first_unsorted(&hay)
            {
                return Err(unsorted(&hay, row));
            }
            Ok(Column::host(cpu::search::search(&hay, &queries.host_data()?, upper)))
        }
    }
}
