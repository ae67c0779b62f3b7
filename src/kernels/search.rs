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

use std::sync::Arc;

use arrow_array::{Array, ArrowPrimitiveType, PrimitiveArray, UInt64Array};
use arrow_buffer::ScalarBuffer;

use crate::column::{Column, DeviceData};
use crate::cpu;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::gpu;
use crate::gpu::GpuContext;
use crate::gpu::memory::GpuArray;
use crate::kernels::values::{Computed, Source, Values};

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

/// Refuses a haystack with a null.
fn refuse_nulls<T: SearchKey>(haystack: &Source<'_, T>) -> Result<()> {
    if let Some(nulls) = haystack.nulls()
        && let Some(row) = nulls.iter().position(|ok| !ok)
    {
        return Err(Error::NullValue { what: "haystack".into(), row: row as u64 });
    }
    Ok(())
}

/// The values on `ctx` in their own width: borrowed from a column already there, uploaded otherwise.
fn device_values<'a, T: SearchKey>(ctx: &Arc<GpuContext>, values: &Source<'a, T>) -> Result<DeviceData<'a>> {
    match values {
        Source::Column(_) => values.device_data(ctx),
        _ => Ok(DeviceData::Owned(ctx.upload(&values.host_data()?)?)),
    }
}

/// Whether the GPU is worth starting for these queries (not for no host queries).
fn on_device<Q: Values + ?Sized>(queries: &Q) -> bool
where
    Q::Item: SearchKey,
{
    match queries.source() {
        Source::Host(q, _) => !q.is_empty(),
        Source::Column(_) => true,
    }
}

/// Searches `queries` in a haystack on the device: a column of queries stays on the device (one
/// submission, not waited for), host queries come back.
fn search_on_device<Q: Values + ?Sized>(
    ctx: &Arc<GpuContext>,
    haystack: &GpuArray,
    queries: &Q,
    upper: bool,
) -> Result<Q::Output<u64>>
where
    Q::Item: SearchKey,
{
    let signed = <Q::Item as sealed::Sealed>::SIGNED;
    let source = queries.source();
    let out = if source.is_column() {
        let q = device_values(ctx, &source)?;
        Computed::Column(Column::device(gpu::search::search_array(ctx, haystack, &q, upper, signed)?))
    } else {
        let q = source.host_data()?;
        Computed::Host(gpu::search::search_slice(ctx, haystack, &q, upper, signed, is_sorted(&q))?)
    };
    queries.wrap(out)
}

/// Positions of `queries` in the sorted `haystack` (`u32`, `u64` or `i64` values).
///
/// Each of `haystack` and `queries` is a slice or vector, an Arrow array (`UInt32Array`,
/// `UInt64Array`, `Int64Array`, `TimestampMicrosecondArray` and the other timestamp types, read in
/// place) or a [`Column`]. The positions follow the queries: a `Vec<u64>` for host queries, a
/// `UInt64Array` for an Arrow array (a null query gives a null position), a `Column<u64>` for a column
/// (on a GPU engine left on the device, in one submission that this call does not wait for, except to
/// verify the order).
///
/// # Errors
/// [`Error::Unsorted`] with `Check::Verify` when the haystack is out of order; [`Error::NullValue`]
/// when an Arrow haystack holds a null; [`Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use arrow_array::{Array, TimestampMicrosecondArray};
/// use streamliner::{Engine, search::{search_sorted, Bound, Check}};
/// let engine = Engine::from_env()?;
/// let haystack = [10u64, 20, 20, 30];
/// assert_eq!(search_sorted(&engine, &haystack, &[20, 5, 99], Bound::Lower, Check::Verify)?, vec![1, 0, 4]);
/// assert_eq!(search_sorted(&engine, &haystack, &[20, 5, 99], Bound::Upper, Check::Verify)?, vec![3, 0, 4]);
/// // Timestamps, signed, as they are.
/// let instants = [i64::MIN, -5, 0, 7];
/// assert_eq!(search_sorted(&engine, &instants, &[-6, 0, i64::MAX], Bound::Lower, Check::Verify)?, vec![1, 2, 4]);
/// assert!(search_sorted(&engine, &[2u32, 1], &[1], Bound::Lower, Check::Verify).is_err());
/// // Arrow arrays in, an Arrow array out.
/// let sent = TimestampMicrosecondArray::from(vec![-10, 0, 0, 35]);
/// let bounds = TimestampMicrosecondArray::from(vec![Some(0), None, Some(36)]);
/// let rows = search_sorted(&engine, &sent, &bounds, Bound::Lower, Check::Verify)?;
/// assert_eq!((rows.value(0), rows.is_null(1), rows.value(2)), (1, true, 4));
/// // Columns in, a column out.
/// let hay = engine.upload(&[10u64, 20, 30])?;
/// let queries = engine.upload(&[25u64, 0])?;
/// let found = search_sorted(&engine, &hay, &queries, Bound::Upper, Check::Trust)?;
/// assert_eq!(found.to_vec()?, vec![2, 0]);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn search_sorted<H, Q>(
    engine: &Engine,
    haystack: &H,
    queries: &Q,
    bound: Bound,
    check: Check,
) -> Result<Q::Output<u64>>
where
    H: Values + ?Sized,
    Q: Values<Item = H::Item> + ?Sized,
    H::Item: SearchKey,
{
    let upper = bound == Bound::Upper;
    let hay = haystack.source();
    refuse_nulls(&hay)?;
    match engine.gpu() {
        Some(ctx) if on_device(queries) => {
            let dev = device_values(ctx, &hay)?;
            if check == Check::Verify
                && let Some(row) = gpu::search::first_unsorted(ctx, &dev, <H::Item as sealed::Sealed>::SIGNED)?
            {
                return Err(unsorted(&hay.host_data()?, row));
            }
            search_on_device(ctx, &dev, queries, upper)
        }
        _ => {
            let hay = hay.host_data()?;
            if check == Check::Verify
                && let Some(row) = cpu::search::first_unsorted(&hay)
            {
                return Err(unsorted(&hay, row));
            }
            queries.wrap(Computed::Host(cpu::search::search(&hay, &queries.source().host_data()?, upper)))
        }
    }
}

/// `search_sorted(.., Bound::Lower, Check::Trust)`: for each query, the number of haystack elements
/// smaller than it.
///
/// # Errors
/// As [`search_sorted`].
#[doc(hidden)]
pub fn lower_bound(engine: &Engine, haystack: &[u64], queries: &[u64]) -> Result<Vec<u64>> {
    search_sorted(engine, haystack, queries, Bound::Lower, Check::Trust)
}

/// `search_sorted(.., Bound::Upper, Check::Trust)`: for each query, the number of haystack elements
/// smaller than or equal to it.
///
/// # Errors
/// As [`search_sorted`].
#[doc(hidden)]
pub fn upper_bound(engine: &Engine, haystack: &[u64], queries: &[u64]) -> Result<Vec<u64>> {
    search_sorted(engine, haystack, queries, Bound::Upper, Check::Trust)
}

/// Former name of [`search_sorted`] for Arrow arrays.
///
/// # Errors
/// As [`search_sorted`].
#[doc(hidden)]
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
    search_sorted(engine, haystack, queries, bound, check)
}

/// Former name of [`search_sorted`] for columns.
///
/// # Errors
/// As [`search_sorted`].
#[doc(hidden)]
pub fn search_sorted_column(
    engine: &Engine,
    haystack: &Column<u64>,
    queries: &Column<u64>,
    bound: Bound,
    check: Check,
) -> Result<Column<u64>> {
    search_sorted(engine, haystack, queries, bound, check)
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

    /// Positions of `queries` (in any order; sorted ones are cheaper on the CPU). `queries` is any
    /// [`Values`] of `T`; the positions follow them as in [`search_sorted`] (a `Vec<u64>` for host
    /// queries, a `UInt64Array` with the queries' nulls for an Arrow array, a `Column<u64>` for a
    /// column).
    ///
    /// # Errors
    /// [`Error::Gpu`] when the device fails.
    ///
    /// # Example
    /// ```
    /// use arrow_array::{Array, UInt64Array};
    /// use streamliner::{Engine, search::{Haystack, Bound, Check}};
    /// let engine = Engine::from_env()?;
    /// let offsets = Haystack::new(&engine, vec![0u64, 120, 200, 500], Check::Verify)?;
    /// assert_eq!(offsets.search(&[0, 130, 999], Bound::Upper)?, vec![1, 2, 4]);
    /// let rows = offsets.search(&UInt64Array::from(vec![Some(200), None]), Bound::Lower)?;
    /// assert_eq!((rows.value(0), rows.null_count()), (2, 1));
    /// # Ok::<(), streamliner::Error>(())
    /// ```
    pub fn search<Q: Values<Item = T> + ?Sized>(&self, queries: &Q, bound: Bound) -> Result<Q::Output<u64>> {
        let upper = bound == Bound::Upper;
        match (self.engine.gpu(), &self.device) {
            (Some(ctx), Some(hay)) if on_device(queries) => search_on_device(ctx, hay, queries, upper),
            _ => queries.wrap(Computed::Host(cpu::search::search(&self.values, &queries.source().host_data()?, upper))),
        }
    }

    /// Former name of [`Haystack::search`] for Arrow arrays of queries.
    ///
    /// # Errors
    /// As [`Haystack::search`].
    #[doc(hidden)]
    pub fn search_array<A>(&self, queries: &PrimitiveArray<A>, bound: Bound) -> Result<UInt64Array>
    where
        A: ArrowPrimitiveType<Native = T>,
    {
        self.search(queries, bound)
    }
}
