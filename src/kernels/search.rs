//! Batched binary search: for many queries, their lower or upper bound in a sorted haystack, as
//! positions (`u64`). Elements are `u32`, `u64` or `i64` (timestamps), searched as they are: nothing is
//! widened, on either backend.
//!
//! The haystack must be sorted ascending. With [`Check::Trust`] that is the caller's promise: an
//! unsorted haystack gives, for each query, some position in `0..=len` (never a panic, never out of
//! range), which is not meaningful and may differ between backends. [`Check::Verify`] tests the order
//! first and returns [`crate::Error::Unsorted`] naming the first row out of order. Queries need not be
//! sorted, but sorted queries (as every window search issues) are cheaper on the CPU: the order is
//! detected per block of queries, and a sorted block whose answers lie close together is galloped
//! through the haystack from one answer to the next, touching each element about once instead of
//! `log2 n` times; blocks run on both cores (rayon). On a GPU, sorted queries take a merge path (or, when
//! they are few against a long haystack, each workgroup caches the stretch its answers span), and other
//! queries first search a sample of the haystack cached in workgroup memory. Elements keep their own
//! width on the device (`u32` one word, `u64` and `i64` two).
//!
//! [`Haystack`] prepares a haystack once (uploaded once to a GPU engine, verified once when asked) for
//! many searches.

use arrow_array::{Array, ArrowPrimitiveType, PrimitiveArray, UInt64Array};
use arrow_buffer::ScalarBuffer;

use crate::column::Column;
use crate::cpu;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::gpu;
use crate::gpu::memory::GpuArray;

pub(crate) mod sealed {
    /// What the search needs of an element type.
    pub trait Sealed:
        Copy + Ord + Send + Sync + std::fmt::Debug + arrow_buffer::ArrowNativeType + bytemuck::Pod + 'static
    {
        /// i64: compared signed on the GPU.
        const SIGNED: bool;
        /// The value, for error messages.
        fn wide(self) -> i128;
    }
}

/// An element type the search takes: `u32`, `u64` or `i64` (timestamps). Each is searched in its own
/// width on both backends: on the GPU, `u32` is one word, `u64` two, and `i64` two words compared signed.
pub trait SearchKey: sealed::Sealed {}

impl sealed::Sealed for u32 {
    const SIGNED: bool = false;
    fn wide(self) -> i128 {
        i128::from(self)
    }
}
impl SearchKey for u32 {}

impl sealed::Sealed for u64 {
    const SIGNED: bool = false;
    fn wide(self) -> i128 {
        i128::from(self)
    }
}
impl SearchKey for u64 {}

impl sealed::Sealed for i64 {
    const SIGNED: bool = true;
    fn wide(self) -> i128 {
        i128::from(self)
    }
}
impl SearchKey for i64 {}

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

/// Whether `queries` are in ascending order (one pass, stopping at the first descent).
fn is_sorted<T: SearchKey>(queries: &[T]) -> bool {
    queries.windows(2).all(|w| w[0] <= w[1])
}

fn unsorted<T: SearchKey>(haystack: &[T], row: u64) -> Error {
    Error::Unsorted { row, value: haystack[row as usize].wide(), previous: haystack[row as usize - 1].wide() }
}

/// Positions of `queries` in the sorted `haystack` (`u32`, `u64` or `i64`).
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
/// // Timestamps, signed, as they are.
/// let instants = [i64::MIN, -5, 0, 7];
/// assert_eq!(search_sorted(&engine, &instants, &[-6, 0, i64::MAX], Bound::Lower, Check::Verify)?, vec![1, 2, 4]);
/// assert!(search_sorted(&engine, &[2u32, 1], &[1], Bound::Lower, Check::Verify).is_err());
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn search_sorted<T: SearchKey>(
    engine: &Engine,
    haystack: &[T],
    queries: &[T],
    bound: Bound,
    check: Check,
) -> Result<Vec<u64>> {
    let upper = bound == Bound::Upper;
    match engine.gpu() {
        Some(ctx) if !queries.is_empty() => {
            let hay = ctx.upload(haystack)?;
            if check == Check::Verify
                && let Some(row) = gpu::search::first_unsorted(ctx, &hay, T::SIGNED)?
            {
                return Err(unsorted(haystack, row));
            }
            gpu::search::search_slice(ctx, &hay, queries, upper, T::SIGNED, is_sorted(queries))
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

/// [`search_sorted`] over Arrow arrays of `u32`, `u64` or `i64` values (`UInt32Array`, `UInt64Array`,
/// `Int64Array`, `TimestampMicrosecondArray` and the other timestamp types), read in place. A null query
/// gives a null position.
///
/// # Errors
/// [`Error::NullValue`] when the haystack holds a null; otherwise as [`search_sorted`].
///
/// # Example
/// ```
/// use arrow_array::{Array, TimestampMicrosecondArray};
/// use streamliner::{Engine, search::{search_sorted_array, Bound, Check}};
/// let engine = Engine::from_env()?;
/// let sent = TimestampMicrosecondArray::from(vec![-10, 0, 0, 35]);
/// let bounds = TimestampMicrosecondArray::from(vec![Some(0), None, Some(36)]);
/// let rows = search_sorted_array(&engine, &sent, &bounds, Bound::Lower, Check::Verify)?;
/// assert_eq!((rows.value(0), rows.is_null(1), rows.value(2)), (1, true, 4));
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn search_sorted_array<A>(
    engine: &Engine,
    haystack: &PrimitiveArray<A>,
    queries: &PrimitiveArray<A>,
    bound: Bound,
    check: Check,
) -> Result<UInt64Array>
where
    A: ArrowPrimitiveType,
    A::Native: SearchKey,
{
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
                && let Some(row) = gpu::search::first_unsorted(ctx, &hay, false)?
            {
                return Err(unsorted(&haystack.to_vec()?, row));
            }
            Ok(Column::device(gpu::search::search_array(ctx, &hay, &*queries.device_data(ctx)?, upper, false)?))
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

/// A sorted haystack prepared once for many searches: on a GPU engine it is uploaded once and stays on
/// the device; built with [`Check::Verify`], its order is verified once, here, and never again. On the
/// CPU engine it shares the caller's buffer (an Arrow array's values are not copied).
///
/// # Example
/// ```
/// use streamliner::{Engine, search::{Haystack, Bound, Check}};
/// let engine = Engine::from_env()?;
/// let offsets = Haystack::new(&engine, vec![0u64, 120, 200, 500], Check::Verify)?;
/// assert_eq!(offsets.search(&[0, 130, 999], Bound::Upper)?, vec![1, 2, 4]);
/// assert_eq!(offsets.search(&[200], Bound::Lower)?, vec![2]);
/// assert!(Haystack::new(&engine, vec![3i64, -1], Check::Verify).is_err());
/// # Ok::<(), streamliner::Error>(())
/// ```
pub struct Haystack<T: SearchKey> {
    engine: Engine,
    values: ScalarBuffer<T>,
    /// On a GPU engine, the values on the device, in their own width.
    device: Option<GpuArray>,
}

impl<T: SearchKey> std::fmt::Debug for Haystack<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Haystack").field("len", &self.values.len()).field("on_gpu", &self.device.is_some()).finish()
    }
}

impl<T: SearchKey> Haystack<T> {
    /// Prepares `values` (sorted ascending) for searches on `engine`.
    ///
    /// # Errors
    /// [`Error::Unsorted`] with `Check::Verify` when `values` are out of order; [`Error::Gpu`] when the
    /// upload fails.
    pub fn new(engine: &Engine, values: impl Into<ScalarBuffer<T>>, check: Check) -> Result<Self> {
        let values: ScalarBuffer<T> = values.into();
        let device = match engine.gpu() {
            Some(ctx) => {
                let hay = ctx.upload(&values[..])?;
                if check == Check::Verify
                    && let Some(row) = gpu::search::first_unsorted(ctx, &hay, T::SIGNED)?
                {
                    return Err(unsorted(&values, row));
                }
                Some(hay)
            }
            None => {
                if check == Check::Verify
                    && let Some(row) = cpu::search::first_unsorted(&values)
                {
                    return Err(unsorted(&values, row));
                }
                None
            }
        };
        Ok(Self { engine: engine.clone(), values, device })
    }

    /// Prepares the values of an Arrow array (`UInt32Array`, `UInt64Array`, `Int64Array`, a timestamp
    /// array), without copying them on the CPU engine.
    ///
    /// # Errors
    /// [`Error::NullValue`] when the array holds a null; otherwise as [`Haystack::new`].
    pub fn from_array<A>(engine: &Engine, array: &PrimitiveArray<A>, check: Check) -> Result<Self>
    where
        A: ArrowPrimitiveType<Native = T>,
    {
        if let Some(nulls) = array.nulls()
            && let Some(row) = nulls.iter().position(|ok| !ok)
        {
            return Err(Error::NullValue { what: "haystack".into(), row: row as u64 });
        }
        Self::new(engine, array.values().clone(), check)
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Positions of `queries` (in any order; sorted ones are cheaper on the CPU).
    ///
    /// # Errors
    /// [`Error::Gpu`] when the device fails.
    pub fn search(&self, queries: &[T], bound: Bound) -> Result<Vec<u64>> {
        let upper = bound == Bound::Upper;
        match (self.engine.gpu(), &self.device) {
            (Some(ctx), Some(hay)) if !queries.is_empty() => {
                gpu::search::search_slice(ctx, hay, queries, upper, T::SIGNED, is_sorted(queries))
            }
            _ => Ok(cpu::search::search(&self.values, queries, upper)),
        }
    }

    /// [`Haystack::search`] over an Arrow array of queries; a null query gives a null position.
    ///
    /// # Errors
    /// As [`Haystack::search`].
    pub fn search_array<A>(&self, queries: &PrimitiveArray<A>, bound: Bound) -> Result<UInt64Array>
    where
        A: ArrowPrimitiveType<Native = T>,
    {
        let out = self.search(queries.values(), bound)?;
        Ok(UInt64Array::new(out.into(), queries.nulls().cloned()))
    }
}
