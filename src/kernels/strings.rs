//! String column kernels: text lengths in UTF-8 bytes or Unicode code points, and their prefix sums.
//!
//! Strings are read as Arrow lays them out: one UTF-8 buffer and offsets. Code points are counted on
//! the raw buffer (a byte `b` starts a code point unless `b & 0xC0 == 0x80`), never row by row, so a
//! row of megabytes costs no more than many short ones. A null row has length 0.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{
    Array, ArrayRef, GenericStringArray, LargeStringArray, OffsetSizeTrait, StringArray, StringViewArray, UInt64Array,
};
use arrow_buffer::{NullBuffer, OffsetBuffer};
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

/// What a text column may be, as errors say it.
pub(crate) const TEXT_TYPES: &str = "expected Utf8, LargeUtf8 or Utf8View, or a dictionary of one of them";

/// Whether `t` is a type of text the kernels read: `Utf8`, `LargeUtf8`, `Utf8View`, or a dictionary of
/// one of them (decoded when read).
pub(crate) fn is_text_type(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, values) => {
            matches!(**values, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
        }
        _ => false,
    }
}

/// The parts of a `Utf8`, `LargeUtf8` or `Utf8View` array, or of a dictionary of one of them (decoded: its
/// values taken for every row, a copy).
pub(crate) fn text_parts(text: &dyn Array) -> Result<TextParts<'_>> {
    let any = text.as_any();
    let invalid = || Error::invalid("text column type", text.data_type(), TEXT_TYPES);
    match text.data_type() {
        DataType::Utf8 => any.downcast_ref::<GenericStringArray<i32>>().map(generic_parts),
        DataType::LargeUtf8 => any.downcast_ref::<GenericStringArray<i64>>().map(generic_parts),
        DataType::Utf8View => any.downcast_ref::<StringViewArray>().map(view_parts),
        t if is_text_type(t) => {
            let dict = text.as_any_dictionary_opt().ok_or_else(invalid)?;
            let decoded = arrow_select::take::take(dict.values().as_ref(), dict.keys(), None)
                .map_err(|e| Error::invalid("text column", "dictionary", format!("cannot be decoded: {e}")))?;
            let parts = text_parts(decoded.as_ref())?;
            let values = Cow::Owned(parts.values.into_owned());
            return Ok(TextParts { offsets: parts.offsets, values, nulls: parts.nulls });
        }
        _ => None,
    }
    .ok_or_else(invalid)
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
            let offsets = ctx.upload(&parts.offsets)?;
            Ok(Column::device(gpu::strings::char_positions(ctx, &parts.values, &parts.offsets, &offsets)?))
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
            // The GPU kernel takes offsets within the text, as the CPU twin clamps them.
            let clamped: Vec<u64> = sorted.iter().map(|&o| o.min(bytes.len() as u64)).collect();
            let offs = ctx.upload(&clamped)?;
            ctx.read(&gpu::strings::char_positions(ctx, bytes, &clamped, &offs)?)?
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
    if unit == LengthUnit::CodePoints {
        // Per row on the rows' chunks (on a GPU, the upload the matchers share).
        return crate::kernels::text_match::chars_on(
            engine,
            &crate::kernels::text_match::MatchText::new(engine, text)?,
        );
    }
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

/// A string column of `values`: `Utf8`, or `LargeUtf8` when their bytes pass `limit` (`i32::MAX` for
/// Arrow's own limit; smaller in tests).
pub(crate) fn string_column<'a>(values: impl Iterator<Item = &'a str> + Clone, limit: usize) -> ArrayRef {
    let bytes: usize = values.clone().map(str::len).fold(0, usize::saturating_add);
    if bytes > limit {
        Arc::new(LargeStringArray::from_iter_values(values))
    } else {
        Arc::new(StringArray::from_iter_values(values))
    }
}

/// A string column from UTF-8 bytes and the end offset of each row: `LargeUtf8` when `large` or when
/// the bytes pass `i32::MAX`, else `Utf8`.
pub(crate) fn string_column_from_parts(
    bytes: Vec<u8>,
    ends: &[u64],
    nulls: Option<NullBuffer>,
    large: bool,
    what: &str,
) -> Result<ArrayRef> {
    let total = ends.last().copied().unwrap_or(0);
    let err = |e: arrow_schema::ArrowError| Error::invalid(what, ends.len(), e.to_string());
    if large || total > i32::MAX as u64 {
        let offsets: Vec<i64> = std::iter::once(0).chain(ends.iter().map(|&e| e as i64)).collect();
        Ok(Arc::new(LargeStringArray::try_new(OffsetBuffer::new(offsets.into()), bytes.into(), nulls).map_err(err)?))
    } else {
        // total <= i32::MAX, and the ends are increasing: every end fits an i32.
        let offsets: Vec<i32> = std::iter::once(0).chain(ends.iter().map(|&e| e as i32)).collect();
        Ok(Arc::new(StringArray::try_new(OffsetBuffer::new(offsets.into()), bytes.into(), nulls).map_err(err)?))
    }
}

/// Name-based UUIDs (version 5, SHA-1) of each row: the UUID in `namespace` of the UTF-8 name
/// `prefix ++ strip(row)`, where `strip` removes leading and trailing whitespace as Python's
/// `str.strip()` does, as 36 lowercase hyphenated characters. A null row gives a null.
///
/// Each distinct value is hashed once (a column of authors has few): the distinct values are hashed,
/// then taken for every row. On a GPU each distinct value is one invocation (SHA-1 in WGSL), in passes
/// of bounded work, so long names cost more passes, not long loops; a value longer than one storage
/// binding is hashed by the CPU twin. The result is `Utf8`, or `LargeUtf8` when its 36 bytes a row
/// pass `i32::MAX` (from 59,652,324 rows).
///
/// # Errors
/// [`Error::InvalidParameter`] when `text` is not a string array; [`Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use arrow_array::cast::AsArray;
/// use streamliner::{Engine, strings::uuid5};
/// let engine = Engine::from_env()?;
/// let oid = uuid::Uuid::NAMESPACE_OID.into_bytes();
/// let authors = arrow_array::StringArray::from(vec![" Alice\n"]);
/// // Python: uuid.uuid5(uuid.NAMESPACE_OID, "whatsapp:Alice")
/// let ids = uuid5(&engine, &authors, oid, "whatsapp:")?;
/// assert_eq!(ids.as_string::<i32>().value(0), "885a1960-aeb8-52f4-92ad-a8f5caac5e00");
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn uuid5(engine: &Engine, text: &dyn Array, namespace: [u8; 16], prefix: &str) -> Result<ArrayRef> {
    uuid5_with_limit(engine, text, namespace, prefix, i32::MAX as u64)
}

/// [`uuid5`], with `LargeUtf8` output past `limit` bytes.
pub(crate) fn uuid5_with_limit(
    engine: &Engine,
    text: &dyn Array,
    namespace: [u8; 16],
    prefix: &str,
    limit: u64,
) -> Result<ArrayRef> {
    let parts = text_parts(text)?;
    let n = parts.offsets.len() - 1;
    let row = |i: usize| &parts.values[parts.offsets[i] as usize..parts.offsets[i + 1] as usize];
    // Distinct values (null rows take index 0 and stay null through the take).
    let mut index: HashMap<&[u8], u64> = HashMap::new();
    let mut keys = Vec::with_capacity(n);
    let mut distinct_values = Vec::new();
    let mut distinct_offsets = vec![0u64];
    for i in 0..n {
        if parts.nulls.as_ref().is_some_and(|nb| nb.is_null(i)) {
            keys.push(0);
            continue;
        }
        let next = index.len() as u64;
        let k = *index.entry(row(i)).or_insert_with(|| {
            distinct_values.extend_from_slice(row(i));
            distinct_offsets.push(distinct_values.len() as u64);
            next
        });
        keys.push(k);
    }
    let distinct = TextParts { offsets: distinct_offsets, values: Cow::Owned(distinct_values), nulls: None };
    let d = distinct.offsets.len() - 1;
    let ns = uuid::Uuid::from_bytes(namespace);
    let value = |i: usize| -> &str {
        // The distinct values are rows of a valid Arrow string array, so each is valid UTF-8.
        std::str::from_utf8(&distinct.values[distinct.offsets[i] as usize..distinct.offsets[i + 1] as usize])
            .unwrap_or("")
    };
    let hex = match engine.gpu() {
        Some(ctx) if d > 0 => {
            let head = [namespace.as_slice(), prefix.as_bytes()].concat();
            let (mut hex, oversized) = gpu::uuid5::uuid5(ctx, &distinct, &head)?;
            for i in oversized {
                hex[36 * i..36 * (i + 1)].copy_from_slice(&cpu::uuid5::uuid5(&ns, prefix, value(i)));
            }
            hex
        }
        _ => (0..d).flat_map(|i| cpu::uuid5::uuid5(&ns, prefix, value(i))).collect(),
    };
    // The dictionary has the output's type, so that the take cannot overflow its offsets.
    let large = 36 * n as u64 > limit;
    let dict_ends: Vec<u64> = (1..=d as u64).map(|i| 36 * i).collect();
    let dict = string_column_from_parts(hex, &dict_ends, None, large, "uuid column")?;
    if d == 0 {
        return Ok(arrow_array::new_null_array(dict.data_type(), n));
    }
    let indices = UInt64Array::new(keys.into(), parts.nulls.clone());
    arrow_select::take::take(dict.as_ref(), &indices, None).map_err(|e| Error::invalid("uuid column", n, e.to_string()))
}
