//! Chains along successor arrays, where the engine computes: the rows a walk from row 0 reaches (on a
//! GPU by pointer jumping, so only a few bytes a round leave the device), and the fused clamps that
//! turn batched search results into a byte-window chain's `end[s]` and `next[s]`.

use crate::column::Column;
use crate::cpu;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::gpu;

/// 1 for every row on the walk `0, next[0], next[next[0]], ...`, else 0; the walk ends where it
/// repeats a row. On a GPU the rows are marked by pointer jumping (about log2 of the walk's length
/// rounds, each a mark pass and a doubling gather), on the CPU by walking.
///
/// # Errors
/// [`Error::InvalidParameter`] when a value of `next` is not a row (`>= next.len()`); [`Error::Gpu`]
/// when the device fails.
///
/// # Example
/// ```
/// use streamliner::{Engine, kernels::chain::walk_marks};
/// let engine = Engine::from_env()?;
/// let next = engine.upload(&[2u64, 3, 4, 4, 4])?;
/// assert_eq!(walk_marks(&engine, &next)?.to_vec()?, vec![1, 0, 1, 0, 1]);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn walk_marks(engine: &Engine, next: &Column<u64>) -> Result<Column<u64>> {
    if let Some(max) = crate::kernels::reduce::max(engine, next)?
        && max >= next.len() as u64
    {
        return Err(Error::invalid("successor", max, format!("must be a row, below {}", next.len())));
    }
    walk_marks_trusted(engine, next)
}

/// [`walk_marks`] for a `next` known to hold rows only.
pub(crate) fn walk_marks_trusted(engine: &Engine, next: &Column<u64>) -> Result<Column<u64>> {
    match engine.gpu() {
        Some(ctx) => Ok(Column::device(gpu::chain::walk_marks(ctx, &*next.device_data(ctx)?)?)),
        None => Ok(Column::host(cpu::chain::walk_marks(&next.host_data()?))),
    }
}

/// A window's end per row `s`: `min(max(min(j[s] - 1, cut[s]), s + 1), last)`, where `j` is the
/// budget's upper bound (saturating at 0) and `cut` an optional time limit: one fused pass.
///
/// # Errors
/// [`Error::InvalidParameter`] when `cut`'s length differs from `j`'s; [`Error::Gpu`] when the device
/// fails.
///
/// # Example
/// ```
/// use streamliner::{Engine, kernels::chain::window_ends};
/// let engine = Engine::from_env()?;
/// let j = engine.upload(&[3u64, 3, 5, 5])?;
/// let cut = engine.upload(&[1u64, 9, 9, 9])?;
/// assert_eq!(window_ends(&engine, &j, None, 3)?.to_vec()?, vec![2, 2, 3, 3]);
/// assert_eq!(window_ends(&engine, &j, Some(&cut), 3)?.to_vec()?, vec![1, 2, 3, 3]);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn window_ends(engine: &Engine, j: &Column<u64>, cut: Option<&Column<u64>>, last: u64) -> Result<Column<u64>> {
    if let Some(c) = cut
        && c.len() != j.len()
    {
        return Err(Error::invalid("column length", c.len(), format!("must equal the first column's {}", j.len())));
    }
    match engine.gpu() {
        Some(ctx) => {
            let cut = match cut {
                Some(c) => Some(c.device_data(ctx)?),
                None => None,
            };
            Ok(Column::device(gpu::chain::ends(ctx, &*j.device_data(ctx)?, cut.as_deref(), last)?))
        }
        None => {
            let cut = match cut {
                Some(c) => Some(c.host_data()?),
                None => None,
            };
            Ok(Column::host(cpu::chain::ends(&j.host_data()?, cut.as_deref(), last)))
        }
    }
}

/// The next window's start per row `s` from its `end` and a raw search result, in one fused pass.
/// Egregora (`strict` false): `raw` clamped to `[s, end]`, then `s + 1` where that is `s`, at most
/// `last`. Strict: `last` where `end = last` (the chain stops), else `raw` clamped to `[s + 1, end]`.
///
/// # Errors
/// [`Error::InvalidParameter`] when the lengths differ; [`Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use streamliner::{Engine, kernels::chain::window_nexts};
/// let engine = Engine::from_env()?;
/// let end = engine.upload(&[2u64, 3, 3, 3])?;
/// let raw = engine.upload(&[0u64, 2, 0, 3])?;
/// assert_eq!(window_nexts(&engine, &end, &raw, 3, false)?.to_vec()?, vec![1, 2, 3, 3]);
/// assert_eq!(window_nexts(&engine, &end, &raw, 3, true)?.to_vec()?, vec![1, 3, 3, 3]);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn window_nexts(
    engine: &Engine,
    end: &Column<u64>,
    raw: &Column<u64>,
    last: u64,
    strict: bool,
) -> Result<Column<u64>> {
    if raw.len() != end.len() {
        return Err(Error::invalid("column length", raw.len(), format!("must equal the first column's {}", end.len())));
    }
    match engine.gpu() {
        Some(ctx) => {
            Ok(Column::device(gpu::chain::nexts(ctx, &*end.device_data(ctx)?, &*raw.device_data(ctx)?, last, strict)?))
        }
        None => Ok(Column::host(cpu::chain::nexts(&end.host_data()?, &raw.host_data()?, last, strict))),
    }
}
