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
    copied_parts(a.len(), nulls, |i| a.value(i))
}

fn view_parts(a: &StringViewArray) -> TextParts<'_> {
    copied_parts(a.len(), a.nulls().cloned(), |i| a.value(i))
}

/// Parts built by copying the valid rows' bytes into one buffer.
fn copied_parts<'a>(n: usize, nulls: Option<NullBuffer>, row: impl Fn(usize) -> &'a str) -> TextParts<'static> {
    let mut values = Vec::new();
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0);
    for i in 0..n {
        if nulls.as_ref().is_none_or(|nb| nb.is_valid(i)) {
            values.extend_from_slice(row(i).as_bytes());
        }
        offsets.push(values.len() as u64);
    }
    TextParts { offsets, values: Cow::Owned(values), nulls }
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

/// The length of each row in `unit` (a null row gives a null).
///
/// # Errors
/// As [`length_prefix`].
///
/// # Example
/// ```
/// use arrow_array::{Array, StringArray};
/// use streamliner::{Engine, strings::{lengths, LengthUnit}};
/// let engine = Engine::from_env()?;
/// let text = StringArray::from(vec![Some("naïve"), None, Some("")]);
/// let bytes = lengths(&engine, &text, LengthUnit::Utf8Bytes)?;
/// let chars = lengths(&engine, &text, LengthUnit::CodePoints)?;
/// assert_eq!((bytes.value(0), chars.value(0), chars.value(2)), (6, 5, 0));
/// assert!(bytes.is_null(1));
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn lengths(engine: &Engine, text: &dyn Array, unit: LengthUnit) -> Result<arrow_array::UInt64Array> {
    let parts = text_parts(text)?;
    let n = parts.offsets.len() - 1;
    let prefix = parts_prefix(engine, &parts, unit)?;
    let lens = match engine.gpu() {
        // One row's length is the difference of two prefix values: two gathers and a subtraction.
        Some(_) if n > 0 => {
            use crate::kernels::elementwise as ew;
            let hi = ew::gather(engine, &prefix, &ew::iota(engine, n, 1)?)?;
            let lo = ew::gather(engine, &prefix, &ew::iota(engine, n, 0)?)?;
            ew::sub(engine, &hi, &lo)?.to_vec()?
        }
        _ => prefix.to_vec()?.windows(2).map(|w| w[1] - w[0]).collect(),
    };
    Ok(arrow_array::UInt64Array::new(lens.into(), parts.nulls.clone()))
}

/// Name-based UUIDs (version 5, SHA-1) of each row: the UUID in `namespace` of the UTF-8 name
/// `prefix ++ strip(row)`, where `strip` removes leading and trailing whitespace as Python's
/// `str.strip()` does, as 36 lowercase hyphenated characters. A null row gives a null. On a GPU each
/// row is one invocation (SHA-1 in WGSL), in passes of bounded work, so long names cost more passes,
/// not long loops; a row longer than one storage binding is hashed by the CPU twin.
///
/// # Errors
/// [`Error::InvalidParameter`] when `text` is not a string array; [`Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use arrow_array::StringArray;
/// use streamliner::{Engine, strings::uuid5};
/// let engine = Engine::from_env()?;
/// let oid = uuid::Uuid::NAMESPACE_OID.into_bytes();
/// let authors = StringArray::from(vec![" Alice\n"]);
/// // Python: uuid.uuid5(uuid.NAMESPACE_OID, "whatsapp:Alice")
/// assert_eq!(uuid5(&engine, &authors, oid, "whatsapp:")?.value(0), "885a1960-aeb8-52f4-92ad-a8f5caac5e00");
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn uuid5(engine: &Engine, text: &dyn Array, namespace: [u8; 16], prefix: &str) -> Result<arrow_array::StringArray> {
    let parts = text_parts(text)?;
    let n = parts.offsets.len() - 1;
    let ns = uuid::Uuid::from_bytes(namespace);
    let row = |i: usize| -> &str {
        // TextParts come from a valid Arrow string array, so every row is valid UTF-8.
        std::str::from_utf8(&parts.values[parts.offsets[i] as usize..parts.offsets[i + 1] as usize]).unwrap_or("")
    };
    let hex = match engine.gpu() {
        Some(ctx) if n > 0 => {
            let head = [namespace.as_slice(), prefix.as_bytes()].concat();
            let (mut hex, oversized) = gpu::uuid5::uuid5(ctx, &parts, &head)?;
            for i in oversized {
                hex[36 * i..36 * (i + 1)].copy_from_slice(&cpu::uuid5::uuid5(&ns, prefix, row(i)));
            }
            hex
        }
        _ => (0..n).flat_map(|i| cpu::uuid5::uuid5(&ns, prefix, row(i))).collect(),
    };
    let offsets = arrow_buffer::OffsetBuffer::new((0..=n as i32).map(|i| i * 36).collect::<Vec<i32>>().into());
    arrow_array::StringArray::try_new(offsets, hex.into(), parts.nulls.clone())
        .map_err(|e| Error::invalid("uuid column", n, e.to_string()))
}
