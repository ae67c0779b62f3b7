//! Successor arrays of row ranges, where the engine computes: each row's range end and the row that
//! follows its range (fused clamps of batched search results), and the rows a walk along the successors
//! from row 0 reaches (on a GPU by pointer jumping, so only a few bytes a round leave the device).

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
/// use streamliner::{Engine, kernels::successor::walk_marks};
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
        Some(ctx) => Ok(Column::device(gpu::successor::walk_marks(ctx, &*next.device_data(ctx)?)?)),
        None => Ok(Column::host(cpu::successor::walk_marks(&next.host_data()?))),
    }
}

/// The end of a range starting at each row `s`: `min(max(min(j[s] - 1, cut[s]), s + 1), last)`, where
/// `j` is an upper bound found by a search (saturating at 0) and `cut` an optional second limit: one fused
/// pass. Every range holds at least its own row.
///
/// # Errors
/// [`Error::InvalidParameter`] when `cut`'s length differs from `j`'s; [`Error::Gpu`] when the device
/// fails.
///
/// # Example
/// ```
/// use streamliner::{Engine, kernels::successor::range_ends};
/// let engine = Engine::from_env()?;
/// let j = engine.upload(&[3u64, 3, 5, 5])?;
/// let cut = engine.upload(&[1u64, 9, 9, 9])?;
/// assert_eq!(range_ends(&engine, &j, None, 3)?.to_vec()?, vec![2, 2, 3, 3]);
/// assert_eq!(range_ends(&engine, &j, Some(&cut), 3)?.to_vec()?, vec![1, 2, 3, 3]);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn range_ends(engine: &Engine, j: &Column<u64>, cut: Option<&Column<u64>>, last: u64) -> Result<Column<u64>> {
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
            Ok(Column::device(gpu::successor::range_ends(ctx, &*j.device_data(ctx)?, cut.as_deref(), last)?))
        }
        None => {
            let cut = match cut {
                Some(c) => Some(c.host_data()?),
                None => None,
            };
            Ok(Column::host(cpu::successor::range_ends(&j.host_data()?, cut.as_deref(), last)))
        }
    }
}

/// The successor of each row `s` given its range's `end` and a raw search result, in one fused pass:
/// `raw` clamped to `[s + 1, end]` (at most `last`). With `stop_at_last`, a row whose range reaches `last`
/// has `last` for successor (a walk stops at the end); without, it too takes the clamped `raw`.
///
/// # Errors
/// [`Error::InvalidParameter`] when the lengths differ; [`Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use streamliner::{Engine, kernels::successor::successors};
/// let engine = Engine::from_env()?;
/// let end = engine.upload(&[2u64, 3, 3, 3])?;
/// let raw = engine.upload(&[0u64, 2, 0, 3])?;
/// assert_eq!(successors(&engine, &end, &raw, 3, false)?.to_vec()?, vec![1, 2, 3, 3]);
/// assert_eq!(successors(&engine, &end, &raw, 3, true)?.to_vec()?, vec![1, 3, 3, 3]);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn successors(
    engine: &Engine,
    end: &Column<u64>,
    raw: &Column<u64>,
    last: u64,
    stop_at_last: bool,
) -> Result<Column<u64>> {
    if raw.len() != end.len() {
        return Err(Error::invalid("column length", raw.len(), format!("must equal the first column's {}", end.len())));
    }
    match engine.gpu() {
        Some(ctx) => Ok(Column::device(gpu::successor::successors(
            ctx,
            &*end.device_data(ctx)?,
            &*raw.device_data(ctx)?,
            last,
            stop_at_last,
        )?)),
        None => Ok(Column::host(cpu::successor::successors(&end.host_data()?, &raw.host_data()?, last, stop_at_last))),
    }
}
