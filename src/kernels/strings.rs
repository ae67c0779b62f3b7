//! String column kernels: text lengths in UTF-8 bytes or Unicode code points, and their prefix sums.
//!
//! Strings are read as Arrow lays them out: one UTF-8 buffer and offsets. Code points are counted on
//! the raw buffer (a byte `b` starts a code point unless `b & 0xC0 == 0x80`), never row by row, so a
//! row of megabytes costs no more than many short ones. A null row has length 0.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, LargeStringArray, StringArray, UInt64Array};
use arrow_buffer::{NullBuffer, OffsetBuffer};

use crate::column::Column;
use crate::cpu;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::gpu;
use crate::ops::ScalarOp;
use crate::text::{Text, byte_offsets};

/// How the length of a text is counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LengthUnit {
    /// UTF-8 bytes (Arrow offset differences).
    #[default]
    Utf8Bytes,
    /// Unicode code points (what Python's `len` and DuckDB's `length` count).
    CodePoints,
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
    running_lengths(engine, text, unit, 0, true)
}

/// The running length of the rows of `text` in `unit` from `start`: `n + 1` values, `out[i]` = `start`
/// plus the length of rows `0..i`, a null row adding 0. Every running length of a text is this call: on
/// a GPU engine the code points are counted on the device; with `resident` their running count is made
/// there and stays there, otherwise the counts come back and are summed on the host (for a caller that
/// needs the values on the host, that is one readback and no device scan).
pub(crate) fn running_lengths(
    engine: &Engine,
    text: &dyn Array,
    unit: LengthUnit,
    start: u64,
    resident: bool,
) -> Result<Column<u64>> {
    match unit {
        // The Arrow offsets are the running byte length already: rebased, with no kernel.
        LengthUnit::Utf8Bytes => Ok(Column::host(byte_offsets(text, start)?)),
        LengthUnit::CodePoints => {
            let text = Text::new(text)?;
            match text.device(engine)? {
                Some(device) => {
                    let ctx = engine.gpu().ok_or_else(|| Error::gpu("code points", "no device"))?;
                    let counts = device_char_counts(ctx, &text, device)?;
                    if !resident {
                        let counts: Vec<u64> = ctx.read(&counts)?;
                        let mut acc = start;
                        let mut prefix = Vec::with_capacity(counts.len());
                        for c in counts {
                            prefix.push(acc);
                            acc = acc.saturating_add(c);
                        }
                        return Ok(Column::host(prefix));
                    }
                    let prefix =
                        gpu::scan::scan_array(ctx, &counts, gpu::scan::ScanSpec { inclusive: false, wide: true })?;
                    let prefix = if start == 0 {
                        prefix
                    } else {
                        gpu::elementwise::map_scalar(ctx, &prefix, ScalarOp::AddSat, start)?
                    };
                    Ok(Column::device(prefix))
                }
                None => {
                    let mut prefix = cpu::strings::char_positions(&text.parts.values, &text.parts.offsets);
                    if start != 0 {
                        prefix.iter_mut().for_each(|p| *p = p.saturating_add(start));
                    }
                    Ok(Column::host(prefix))
                }
            }
        }
    }
}

/// The code points of each row of `text` (and a final 0) on the device: the rows on the device counted
/// there, the rows too large for it by the CPU twin.
fn device_char_counts(
    ctx: &Arc<gpu::GpuContext>,
    text: &Text<'_>,
    device: &gpu::text::DeviceText,
) -> Result<gpu::memory::GpuArray> {
    let oversized: Vec<u64> = device.oversized.iter().map(|&i| cpu::strings::count_chars(text.parts.row(i))).collect();
    gpu::strings::char_counts(ctx, device, &oversized)
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
pub fn lengths(engine: &Engine, text: &dyn Array, unit: LengthUnit) -> Result<UInt64Array> {
    lengths_on(engine, &Text::new(text)?, unit)
}

/// [`lengths`] of a text made ready for `engine` (on a GPU, the code points read the rows already on
/// the device).
pub(crate) fn lengths_on(engine: &Engine, text: &Text<'_>, unit: LengthUnit) -> Result<UInt64Array> {
    let parts = &text.parts;
    let values: Vec<u64> = match (unit, text.device(engine)?) {
        (LengthUnit::Utf8Bytes, _) => parts.offsets.windows(2).map(|w| w[1] - w[0]).collect(),
        (LengthUnit::CodePoints, Some(device)) => {
            let ctx = engine.gpu().ok_or_else(|| Error::gpu("code points", "no device"))?;
            let mut counts: Vec<u64> = ctx.read(&device_char_counts(ctx, text, device)?)?;
            counts.truncate(parts.len());
            counts
        }
        (LengthUnit::CodePoints, None) => {
            cpu::strings::char_positions(&parts.values, &parts.offsets).windows(2).map(|w| w[1] - w[0]).collect()
        }
    };
    Ok(UInt64Array::new(values.into(), parts.nulls.clone()))
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
