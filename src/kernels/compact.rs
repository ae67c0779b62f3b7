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

mod sealed {
    pub trait Sealed {}
}

/// A mask [`indices`] takes: an Arrow `BooleanArray` (a null is false; the indices come back as a
/// `UInt64Array`) or a 0/1 [`Column<u64>`] (non-zero keeps the row; the indices come back as a column,
/// on a GPU engine left on the device). Sealed.
pub trait Mask: sealed::Sealed {
    /// The indices' type: follows the mask.
    type Output;
    /// The indices of the kept rows.
    #[doc(hidden)]
    fn kept(&self, engine: &Engine) -> Result<Self::Output>;
}

impl sealed::Sealed for BooleanArray {}
impl Mask for BooleanArray {
    type Output = UInt64Array;
    fn kept(&self, engine: &Engine) -> Result<UInt64Array> {
        let bits = kept_bits(self);
        match engine.gpu() {
            None => Ok(UInt64Array::from(cpu::compact::compact_bits(&bits))),
            Some(ctx) => {
                let words = ctx.upload(&bitmap_words(&bits))?;
                Ok(UInt64Array::from(ctx.read::<u64>(&gpu::compact::compact_bits(ctx, &words)?)?))
            }
        }
    }
}

impl sealed::Sealed for Column<u64> {}
impl Mask for Column<u64> {
    type Output = Column<u64>;
    fn kept(&self, engine: &Engine) -> Result<Column<u64>> {
        match engine.gpu() {
            Some(ctx) => Ok(Column::device(gpu::compact::compact(ctx, &*self.device_data(ctx)?)?)),
            None => Ok(Column::host(cpu::compact::compact(&self.host_data()?))),
        }
    }
}

/// Indices of the rows a mask keeps, in order: where a `BooleanArray` is true (a null is false), or
/// where a `Column<u64>` is non-zero. The indices follow the mask ([`Mask::Output`]): a `UInt64Array`
/// for an Arrow mask, a [`Column<u64>`] for a column (kept on the device of a GPU engine).
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
/// let flags = engine.upload(&[0u64, 1, 1, 0, 7])?;
/// assert_eq!(indices(&engine, &flags)?.to_vec()?, vec![1, 2, 4]);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn indices<M: Mask + ?Sized>(engine: &Engine, mask: &M) -> Result<M::Output> {
    mask.kept(engine)
}

/// Former name of [`indices`] for columns.
///
/// # Errors
/// As [`indices`].
#[doc(hidden)]
pub fn indices_column(engine: &Engine, mask: &Column<u64>) -> Result<Column<u64>> {
    indices(engine, mask)
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
