//! String column kernels: text lengths in UTF-8 bytes or Unicode code points, and their prefix sums.
//!
//! Strings are read as Arrow lays them out: one UTF-8 buffer and offsets. Code points are counted on
//! the raw buffer (a byte `b` starts a code point unless `b & 0xC0 == 0x80`), never row by row, so a
//! row of megabytes costs no more than many short ones. A null row has length 0.

use std::borrow::Cow;

use arrow_array::{Array, GenericStringArray, OffsetSizeTrait, StringViewArray};
use arrow_buffer::NullBuffer;
use arrow_schema::DataType;

use crate::column::Column;
use crate::cpu;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::gpu;

/// How the length of a text is counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LengthUnit {
    /// UTF-8 bytes (Arrow offset differences).
    #[default]
    Utf8Bytes,
    /// Unicode code points (what Python's `len` and DuckDB's `length` count).
    CodePoints,
}

/// A string column as one UTF-8 buffer and `n + 1` offsets into it starting at 0, where every null
/// row is empty (a copy is made only when the input needs one).
pub(crate) struct TextParts<'a> {
    pub offsets: Vec<u64>,
    pub values: Cow<'a, [u8]>,
    #[allow(dead_code)] // read by the ETL kernels
    pub nulls: Option<NullBuffer>,
}

fn generic_parts<O: OffsetSizeTrait>(a: &GenericStringArray<O>) -> TextParts<'_> {
    let offs = a.value_offsets();
    let first = offs[0].as_usize();
    let last = offs[offs.len() - 1].as_usize();
    let nulls = a.nulls().cloned();
    let dirty = nulls
        .as_ref()
        .is_some_and(|n| n.null_count() > 0 && (0..a.len()).any(|i| n.is_null(i) && offs[i + 1] != offs[i]));
    if !dirty {
        let offsets = offs.iter().map(|o| (o.as_usize() - first) as u64).collect();
        return TextParts { offsets, values: Cow::Borrowed(&a.value_data()[first..last]), nulls };
    }
    // Null rows that hold bytes: copy the valid rows' bytes so that every null row is empty.
    let mut values = Vec::new();
    let mut offsets = Vec::with_capacity(a.len() + 1);
    offsets.push(0);
    for i in 0..a.len() {
        if a.is_valid(i) {
            values.extend_from_slice(a.value(i).as_bytes());
        }
        offsets.push(values.len() as u64);
    }
    TextParts { offsets, values: Cow::Owned(values), nulls }
}

fn view_parts(a: &StringViewArray) -> TextParts<'_> {
    let mut values = Vec::new();
    let mut offsets = Vec::with_capacity(a.len() + 1);
    offsets.push(0);
    for i in 0..a.len() {
        if a.is_valid(i) {
            values.extend_from_slice(a.value(i).as_bytes());
        }
        offsets.push(values.len() as u64);
    }
    TextParts { offsets, values: Cow::Owned(values), nulls: a.nulls().cloned() }
}

/// The parts of a `Utf8`, `LargeUtf8` or `Utf8View` array.
pub(crate) fn text_parts(text: &dyn Array) -> Result<TextParts<'_>> {
    let any = text.as_any();
    match text.data_type() {
        DataType::Utf8 => any.downcast_ref::<GenericStringArray<i32>>().map(generic_parts),
        DataType::LargeUtf8 => any.downcast_ref::<GenericStringArray<i64>>().map(generic_parts),
        DataType::Utf8View => any.downcast_ref::<StringViewArray>().map(view_parts),
        _ => None,
    }
    .ok_or_else(|| Error::invalid("text column type", text.data_type(), "expected Utf8, LargeUtf8 or Utf8View"))
}

/// `out[i]` = the total length of rows `0..i` in `unit`: `n + 1` values from 0, a null row adding 0.
/// On a GPU engine the result stays on the device.
///
/// # Errors
/// [`Error::InvalidParameter`] when `text` is not a string array; [`Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use arrow_array::StringArray;
/// use streamliner::{Engine, strings::{length_prefix, LengthUnit}};
/// let engine = Engine::from_env()?;
/// let text = StringArray::from(vec![Some("héllo"), None, Some("😀!")]);
/// assert_eq!(length_prefix(&engine, &text, LengthUnit::Utf8Bytes)?.to_vec()?, vec![0, 6, 6, 11]);
/// assert_eq!(length_prefix(&engine, &text, LengthUnit::CodePoints)?.to_vec()?, vec![0, 5, 5, 7]);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn length_prefix(engine: &Engine, text: &dyn Array, unit: LengthUnit) -> Result<Column<u64>> {
    let parts = text_parts(text)?;
    parts_prefix(engine, &parts, unit)
}

pub(crate) fn parts_prefix(engine: &Engine, parts: &TextParts<'_>, unit: LengthUnit) -> Result<Column<u64>> {
    match (unit, engine.gpu()) {
        (LengthUnit::Utf8Bytes, _) => engine.upload(&parts.offsets),
        (LengthUnit::CodePoints, None) => Ok(Column::host(cpu::strings::char_positions(&parts.values, &parts.offsets))),
        (LengthUnit::CodePoints, Some(ctx)) => {
            let words = ctx.upload_words(&parts.values)?;
            let offsets = ctx.upload(&parts.offsets)?;
            Ok(Column::device(gpu::strings::char_positions(ctx, &words, parts.values.len() as u64, &offsets)?))
        }
    }
}

/// For each byte offset (any order), the number of code points that start before it in `bytes`.
pub(crate) fn char_positions(engine: &Engine, bytes: &[u8], offsets: &[u64]) -> Result<Vec<u64>> {
    // Sorted, so the CPU twin walks the buffer once.
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets[i]);
    let sorted: Vec<u64> = order.iter().map(|&i| offsets[i]).collect();
    let found = match engine.gpu() {
        Some(ctx) if !sorted.is_empty() => {
            let words = ctx.upload_words(bytes)?;
            let offs = ctx.upload(&sorted)?;
            ctx.read(&gpu::strings::char_positions(ctx, &words, bytes.len() as u64, &offs)?)?
        }
        _ => cpu::strings::char_positions(bytes, &sorted),
    };
    let mut out = vec![0u64; offsets.len()];
    for (i, v) in order.into_iter().zip(found) {
        out[i] = v;
    }
    Ok(out)
}
