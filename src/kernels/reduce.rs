//! Reductions of `u32` or `u64` values: sum (as `u64`, wrapping at 2^64), minimum and maximum.
//!
//! Each takes any [`Values`]: a slice or vector, an Arrow `UInt32Array`/`UInt64Array` (nulls are
//! skipped), or a [`Column`] (reduced where it is, only the result read back).

use arrow_array::PrimitiveArray;

use crate::column::sealed::Sealed as _;
use crate::column::{Column, Element};
use crate::cpu;
use crate::engine::Engine;
use crate::error::Result;
use crate::gpu;
use crate::kernels::values::Values;
use crate::ops::ReduceOp;

fn run<V>(engine: &Engine, input: &V, op: ReduceOp) -> Result<Option<u64>>
where
    V: Values + ?Sized,
    V::Item: Element,
{
    let source = input.source();
    match engine.gpu() {
        Some(ctx) if source.is_column() => {
            gpu::reduce::reduce_array(ctx, &*source.device_data(ctx)?, V::Item::WIDE, op)
        }
        Some(ctx) => {
            let data = source.valid_values()?;
            if data.is_empty() { Ok(cpu::reduce::reduce(&data, op)) } else { gpu::reduce::reduce_slice(ctx, &data, op) }
        }
        None => Ok(cpu::reduce::reduce(&source.valid_values()?, op)),
    }
}

/// The sum of `input` as `u64` (0 when empty), wrapping at 2^64. `input` is a slice, a vector, an Arrow
/// array (nulls skipped) or a [`Column`] of `u32` or `u64`.
///
/// # Errors
/// [`crate::Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use arrow_array::UInt32Array;
/// use streamliner::{Engine, reduce};
/// let engine = Engine::from_env()?;
/// assert_eq!(reduce::sum(&engine, &[u32::MAX, u32::MAX])?, 8589934590);
/// assert_eq!(reduce::sum(&engine, &UInt32Array::from(vec![Some(5), None, Some(2)]))?, 7);
/// let column = engine.upload(&[1u64 << 40, 1])?;
/// assert_eq!(reduce::sum(&engine, &column)?, (1 << 40) + 1);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn sum<V>(engine: &Engine, input: &V) -> Result<u64>
where
    V: Values + ?Sized,
    V::Item: Element,
{
    Ok(run(engine, input, ReduceOp::Sum)?.unwrap_or(0))
}

/// The smallest element, `None` when there is none (empty, or all null). Inputs as for [`sum`].
///
/// # Errors
/// As [`sum`].
///
/// # Example
/// ```
/// use streamliner::{Engine, reduce};
/// let engine = Engine::from_env()?;
/// assert_eq!(reduce::min(&engine, &[7u64, 3, 9])?, Some(3));
/// assert_eq!(reduce::min(&engine, &engine.upload(&[7u32, 3, 9])?)?, Some(3));
/// assert_eq!(reduce::min::<[u32]>(&engine, &[])?, None);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn min<V>(engine: &Engine, input: &V) -> Result<Option<V::Item>>
where
    V: Values + ?Sized,
    V::Item: Element,
{
    Ok(run(engine, input, ReduceOp::Min)?.map(V::Item::truncate))
}

/// The largest element, `None` when there is none (empty, or all null). Inputs as for [`sum`].
///
/// # Errors
/// As [`sum`].
///
/// # Example
/// ```
/// use arrow_array::UInt64Array;
/// use streamliner::{Engine, reduce};
/// let engine = Engine::from_env()?;
/// assert_eq!(reduce::max(&engine, &vec![7u32, 3, 9])?, Some(9));
/// assert_eq!(reduce::max(&engine, &UInt64Array::from(vec![None, Some(4)]))?, Some(4));
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn max<V>(engine: &Engine, input: &V) -> Result<Option<V::Item>>
where
    V: Values + ?Sized,
    V::Item: Element,
{
    Ok(run(engine, input, ReduceOp::Max)?.map(V::Item::truncate))
}

/// Former name of [`sum`] for Arrow arrays.
///
/// # Errors
/// As [`sum`].
#[doc(hidden)]
pub fn sum_array<T: Element>(engine: &Engine, array: &PrimitiveArray<T::Arrow>) -> Result<u64> {
    sum(engine, array)
}

/// Former name of [`min`] for Arrow arrays.
///
/// # Errors
/// As [`sum`].
#[doc(hidden)]
pub fn min_array<T: Element>(engine: &Engine, array: &PrimitiveArray<T::Arrow>) -> Result<Option<T>> {
    min(engine, array)
}

/// Former name of [`max`] for Arrow arrays.
///
/// # Errors
/// As [`sum`].
#[doc(hidden)]
pub fn max_array<T: Element>(engine: &Engine, array: &PrimitiveArray<T::Arrow>) -> Result<Option<T>> {
    max(engine, array)
}

/// Former name of [`sum`] for columns.
///
/// # Errors
/// As [`sum`].
#[doc(hidden)]
pub fn sum_column<T: Element>(engine: &Engine, col: &Column<T>) -> Result<u64> {
    sum(engine, col)
}

/// Former name of [`min`] for columns.
///
/// # Errors
/// As [`sum`].
#[doc(hidden)]
pub fn min_column<T: Element>(engine: &Engine, col: &Column<T>) -> Result<Option<T>> {
    min(engine, col)
}

/// Former name of [`max`] for columns.
///
/// # Errors
/// As [`sum`].
#[doc(hidden)]
pub fn max_column<T: Element>(engine: &Engine, col: &Column<T>) -> Result<Option<T>> {
    max(engine, col)
}
