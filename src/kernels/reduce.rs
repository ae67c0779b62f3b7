//! Reductions of `u32` or `u64` values: sum (as `u64`, wrapping at 2^64), minimum and maximum.

use arrow_array::PrimitiveArray;

use crate::column::{Column, Element};
use crate::cpu;
use crate::cpu::reduce::ReduceOp;
use crate::engine::Engine;
use crate::error::Result;
use crate::gpu;

fn run<T: Element>(engine: &Engine, data: &[T], op: ReduceOp) -> Result<Option<u64>> {
    match engine.gpu() {
        Some(ctx) if !data.is_empty() => gpu::reduce::reduce_slice(ctx, data, op),
        _ => Ok(cpu::reduce::reduce(data, op)),
    }
}

fn run_column<T: Element>(engine: &Engine, col: &Column<T>, op: ReduceOp) -> Result<Option<u64>> {
    match engine.gpu() {
        Some(ctx) => gpu::reduce::reduce_array(ctx, &*col.device_data(ctx)?, T::WIDE, op),
        None => Ok(cpu::reduce::reduce(&col.host_data()?, op)),
    }
}

/// The sum of `data` as `u64` (0 when empty).
///
/// # Errors
/// [`crate::Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use streamliner::{Engine, reduce};
/// let engine = Engine::from_env()?;
/// assert_eq!(reduce::sum(&engine, &[u32::MAX, u32::MAX])?, 8589934590);
/// assert_eq!(reduce::min(&engine, &[7u64, 3, 9])?, Some(3));
/// assert_eq!(reduce::max::<u32>(&engine, &[])?, None);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn sum<T: Element>(engine: &Engine, data: &[T]) -> Result<u64> {
    Ok(run(engine, data, ReduceOp::Sum)?.unwrap_or(0))
}

/// The smallest element, `None` when empty.
///
/// # Errors
/// As [`sum`].
pub fn min<T: Element>(engine: &Engine, data: &[T]) -> Result<Option<T>> {
    Ok(run(engine, data, ReduceOp::Min)?.map(T::truncate))
}

/// The largest element, `None` when empty.
///
/// # Errors
/// As [`sum`].
pub fn max<T: Element>(engine: &Engine, data: &[T]) -> Result<Option<T>> {
    Ok(run(engine, data, ReduceOp::Max)?.map(T::truncate))
}

/// The sum of the non-null values of an Arrow array.
///
/// # Errors
/// As [`sum`].
pub fn sum_array<T: Element>(engine: &Engine, array: &PrimitiveArray<T::Arrow>) -> Result<u64> {
    sum(engine, &super::valid_values::<T>(array))
}

/// The smallest non-null value of an Arrow array.
///
/// # Errors
/// As [`sum`].
pub fn min_array<T: Element>(engine: &Engine, array: &PrimitiveArray<T::Arrow>) -> Result<Option<T>> {
    min(engine, &super::valid_values::<T>(array))
}

/// The largest non-null value of an Arrow array.
///
/// # Errors
/// As [`sum`].
pub fn max_array<T: Element>(engine: &Engine, array: &PrimitiveArray<T::Arrow>) -> Result<Option<T>> {
    max(engine, &super::valid_values::<T>(array))
}

/// The sum of a column as `u64`, computed where the column is.
///
/// # Errors
/// As [`sum`].
pub fn sum_column<T: Element>(engine: &Engine, col: &Column<T>) -> Result<u64> {
    Ok(run_column(engine, col, ReduceOp::Sum)?.unwrap_or(0))
}

/// The smallest element of a column.
///
/// # Errors
/// As [`sum`].
pub fn min_column<T: Element>(engine: &Engine, col: &Column<T>) -> Result<Option<T>> {
    Ok(run_column(engine, col, ReduceOp::Min)?.map(T::truncate))
}

/// The largest element of a column.
///
/// # Errors
/// As [`sum`].
pub fn max_column<T: Element>(engine: &Engine, col: &Column<T>) -> Result<Option<T>> {
    Ok(run_column(engine, col, ReduceOp::Max)?.map(T::truncate))
}
