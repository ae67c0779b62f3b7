//! Elementwise operations on `u64` columns and a gather: the glue between kernels, so that a sequence of
//! them (windows, ETL) stays on the device. Arithmetic saturates rather than wraps.

use crate::column::Column;
use crate::cpu;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::gpu;
use crate::ops::{PairOp, ScalarOp};

fn scalar(engine: &Engine, a: &Column<u64>, op: ScalarOp, k: u64) -> Result<Column<u64>> {
    match engine.gpu() {
        Some(ctx) => Ok(Column::device(gpu::elementwise::map_scalar(ctx, &*a.device_data(ctx)?, op, k)?)),
        None => Ok(Column::host(cpu::elementwise::map_scalar(&a.host_data()?, op, k))),
    }
}

fn pair(engine: &Engine, a: &Column<u64>, b: &Column<u64>, op: PairOp) -> Result<Column<u64>> {
    if a.len() != b.len() {
        return Err(Error::invalid("column length", b.len(), format!("must equal the first column's {}", a.len())));
    }
    match engine.gpu() {
        Some(ctx) => {
            Ok(Column::device(gpu::elementwise::map_pair(ctx, &*a.device_data(ctx)?, &*b.device_data(ctx)?, op)?))
        }
        None => Ok(Column::host(cpu::elementwise::map_pair(&a.host_data()?, &b.host_data()?, op))),
    }
}

/// `a[i] + k`, saturating at `u64::MAX`.
///
/// # Errors
/// [`Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use streamliner::{Engine, elementwise};
/// let engine = Engine::from_env()?;
/// let a = engine.upload(&[1u64, u64::MAX - 1])?;
/// assert_eq!(elementwise::add_scalar(&engine, &a, 5)?.to_vec()?, vec![6, u64::MAX]);
/// assert_eq!(elementwise::sub_scalar(&engine, &a, 5)?.to_vec()?, vec![0, u64::MAX - 6]);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn add_scalar(engine: &Engine, a: &Column<u64>, k: u64) -> Result<Column<u64>> {
    scalar(engine, a, ScalarOp::AddSat, k)
}

/// `a[i] - k`, saturating at 0.
///
/// # Errors
/// As [`add_scalar`].
pub fn sub_scalar(engine: &Engine, a: &Column<u64>, k: u64) -> Result<Column<u64>> {
    scalar(engine, a, ScalarOp::SubSat, k)
}

/// `min(a[i], k)`.
///
/// # Errors
/// As [`add_scalar`].
pub fn min_scalar(engine: &Engine, a: &Column<u64>, k: u64) -> Result<Column<u64>> {
    scalar(engine, a, ScalarOp::Min, k)
}

/// `max(a[i], k)`.
///
/// # Errors
/// As [`add_scalar`].
pub fn max_scalar(engine: &Engine, a: &Column<u64>, k: u64) -> Result<Column<u64>> {
    scalar(engine, a, ScalarOp::Max, k)
}

/// 1 where `a[i] >= k`, else 0.
///
/// # Errors
/// As [`add_scalar`].
pub fn ge_scalar(engine: &Engine, a: &Column<u64>, k: u64) -> Result<Column<u64>> {
    scalar(engine, a, ScalarOp::Ge, k)
}

/// 1 where `a[i] < k`, else 0.
///
/// # Errors
/// As [`add_scalar`].
pub fn lt_scalar(engine: &Engine, a: &Column<u64>, k: u64) -> Result<Column<u64>> {
    scalar(engine, a, ScalarOp::Lt, k)
}

/// `a[i]` read as a two's-complement i64, divided by `k` (`1..=i64::MAX`) rounding toward negative infinity:
/// `(a[i] as i64).div_euclid(k as i64) as u64`.
pub(crate) fn floor_div_signed_scalar(engine: &Engine, a: &Column<u64>, k: u64) -> Result<Column<u64>> {
    scalar(engine, a, ScalarOp::FloorDivSigned, k)
}

/// `max(a[i], b[i])`.
///
/// # Errors
/// [`Error::InvalidParameter`] when the lengths differ; otherwise as [`add_scalar`].
pub fn max(engine: &Engine, a: &Column<u64>, b: &Column<u64>) -> Result<Column<u64>> {
    pair(engine, a, b, PairOp::Max)
}

/// `min(a[i], b[i])`.
///
/// # Errors
/// As [`max`].
pub fn min(engine: &Engine, a: &Column<u64>, b: &Column<u64>) -> Result<Column<u64>> {
    pair(engine, a, b, PairOp::Min)
}

/// `a[i] - b[i]`, saturating at 0.
///
/// # Errors
/// As [`max`].
pub fn sub(engine: &Engine, a: &Column<u64>, b: &Column<u64>) -> Result<Column<u64>> {
    pair(engine, a, b, PairOp::SubSat)
}

/// `a[i] + b[i]`, wrapping.
///
/// # Errors
/// As [`max`].
pub fn wrapping_add(engine: &Engine, a: &Column<u64>, b: &Column<u64>) -> Result<Column<u64>> {
    pair(engine, a, b, PairOp::WrappingAdd)
}

/// `a[i] - b[i]`, wrapping.
///
/// # Errors
/// As [`max`].
pub fn wrapping_sub(engine: &Engine, a: &Column<u64>, b: &Column<u64>) -> Result<Column<u64>> {
    pair(engine, a, b, PairOp::WrappingSub)
}

/// 1 where `a[i] <= b[i]`, else 0.
///
/// # Errors
/// As [`max`].
pub fn le(engine: &Engine, a: &Column<u64>, b: &Column<u64>) -> Result<Column<u64>> {
    pair(engine, a, b, PairOp::Le)
}

/// `start, start + 1, ..., start + len - 1` (wrapping).
///
/// # Errors
/// [`crate::Error::LimitExceeded`] naming the size when `len` values would not fit the memory of the
/// engine's device (on the CPU, the host's), before anything is allocated; as [`add_scalar`].
///
/// # Example
/// ```
/// use streamliner::{Engine, elementwise};
/// let engine = Engine::from_env()?;
/// assert_eq!(elementwise::iota(&engine, 3, 7)?.to_vec()?, vec![7, 8, 9]);
/// assert!(elementwise::iota(&engine, 1 << 50, 0).is_err()); // 8 PiB: beyond any memory
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn iota(engine: &Engine, len: usize, start: u64) -> Result<Column<u64>> {
    engine.check_fits("iota's output", len as u64, 8)?;
    match engine.gpu() {
        Some(ctx) => Ok(Column::device(gpu::elementwise::iota(ctx, len as u64, start)?)),
        None => Ok(Column::host(cpu::elementwise::iota(len, start))),
    }
}

/// `src[idx[i]]`; an index past the end of `src` gives 0.
///
/// # Errors
/// As [`add_scalar`].
///
/// # Example
/// ```
/// use streamliner::{Engine, elementwise};
/// let engine = Engine::from_env()?;
/// let src = engine.upload(&[10u64, 20, 30])?;
/// let idx = engine.upload(&[2u64, 0, 7])?;
/// assert_eq!(elementwise::gather(&engine, &src, &idx)?.to_vec()?, vec![30, 10, 0]);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn gather(engine: &Engine, src: &Column<u64>, idx: &Column<u64>) -> Result<Column<u64>> {
    match engine.gpu() {
        Some(ctx) => {
            Ok(Column::device(gpu::elementwise::gather(ctx, &*src.device_data(ctx)?, &*idx.device_data(ctx)?)?))
        }
        None => Ok(Column::host(cpu::elementwise::gather(&src.host_data()?, &idx.host_data()?))),
    }
}
