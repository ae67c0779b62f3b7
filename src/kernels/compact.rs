//! Stream compaction: the indices of the rows a mask keeps, and a filtered `RecordBatch`. A
//! `BooleanArray` mask is read as its bitmap, 1 bit a row (nulls cleared): on the CPU its set bits are
//! listed directly; on a GPU it is uploaded as u32 words, an exclusive scan of the words' bit counts gives
//! each word its first place and each word writes its rows there.

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
    let bits = kept_bits(mask);
    match engine.gpu() {
        None => Ok(UInt64Array::from(cpu::compact::compact_bits(&bits))),
        Some(ctx) => {
            let words = ctx.upload(&bitmap_words(&bits))?;
            Ok(UInt64Array::from(ctx.read::<u64>(&gpu::compact::compact_bits(ctx, &words)?)?))
        }
    }
}

/// A bitmap as u32 words, 32 rows a word from bit 0 (the buffer's offset undone), bits past the last
/// row clear: what `compact_bits` in `shaders/compact.wgsl` reads.
fn bitmap_words(bits: &BooleanBuffer) -> Vec<u32> {
    let len = bits.len();
    let bytes = bits.sliced();
    let mut words: Vec<u32> = bytes
        .chunks(4)
        .take(len.div_ceil(32))
        .map(|c| {
            let mut a = [0u8; 4];
            a[..c.len()].copy_from_slice(c);
            u32::from_le_bytes(a)
        })
        .collect();
    if let Some(last) = words.last_mut()
        && !len.is_multiple_of(32)
    {
        *last &= (1u32 << (len % 32)) - 1;
    }
    words
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
