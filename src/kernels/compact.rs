//! Stream compaction: the indices of the rows a mask keeps, and a filtered `RecordBatch`. On a GPU, an
//! exclusive scan of the mask gives each kept row its place and a scatter writes it there.

use arrow_array::{Array, BooleanArray, RecordBatch, UInt64Array};
use arrow_buffer::BooleanBuffer;

use crate::column::Column;
use crate::cpu;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::gpu;

/// Indices of the rows where a 0/1 column is non-zero, kept where the column is.
///
/// # Errors
/// [`Error::Gpu`] when the device fails.
pub fn indices_column(engine: &Engine, mask: &Column<u64>) -> Result<Column<u64>> {
    match engine.gpu() {
        Some(ctx) => Ok(Column::device(gpu::compact::compact(ctx, &*mask.device_data(ctx)?)?)),
        None => Ok(Column::host(cpu::compact::compact(&mask.host_data()?))),
    }
}

/// The mask as 0/1 values, a null counting as false (as Arrow's filter does).
pub(crate) fn mask_values(mask: &BooleanArray) -> Vec<u64> {
    (0..mask.len()).map(|i| u64::from(mask.is_valid(i) && mask.value(i))).collect()
}

/// Indices of the rows where `mask` is true (a null is false).
///
/// # Errors
/// [`Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use arrow_array::BooleanArray;
/// use streamliner::{Engine, compact::indices};
/// let engine = Engine::from_env()?;
/// let mask = BooleanArray::from(vec![Some(true), Some(false), None, Some(true)]);
/// assert_eq!(indices(&engine, &mask)?.values().as_ref(), &[0, 3]);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn indices(engine: &Engine, mask: &BooleanArray) -> Result<UInt64Array> {
    if !engine.is_gpu() {
        return Ok(UInt64Array::from(cpu::compact::compact_bits(&kept_bits(mask))));
    }
    let col = engine.upload(&mask_values(mask))?;
    Ok(UInt64Array::from(indices_column(engine, &col)?.to_vec()?))
}

/// The mask's bitmap with nulls cleared (1 bit a row, the array's offset kept).
fn kept_bits(mask: &BooleanArray) -> BooleanBuffer {
    match mask.nulls() {
        Some(nulls) if nulls.null_count() > 0 => mask.values() & nulls.inner(),
        _ => mask.values().clone(),
    }
}

/// The rows of `batch` where `mask` is true (a null is false), in order.
///
/// # Errors
/// [`Error::InvalidParameter`] when the mask's length differs from the batch's; [`Error::Gpu`] when the
/// device fails.
pub fn filter_batch(engine: &Engine, batch: &RecordBatch, mask: &BooleanArray) -> Result<RecordBatch> {
    if mask.len() != batch.num_rows() {
        return Err(Error::invalid(
            "mask length",
            mask.len(),
            format!("must equal the batch's {} rows", batch.num_rows()),
        ));
    }
    let idx = indices(engine, mask)?;
    arrow_select::take::take_record_batch(batch, &idx).map_err(|e| Error::invalid("filter", "take", e.to_string()))
}
