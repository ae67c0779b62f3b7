//! Per-window aggregates: message count, units, distinct authors, first and last timestamp.
//!
//! Windows overlap, so distinct authors are not a plain segmented reduction. Each row remembers the
//! previous row with the same author (`prev1`, that row + 1, or 0 for none); an author is new in window
//! `[s, e)` at exactly one row: the first, whose `prev1 <= s`. So the count is a segmented sum over the
//! (window, row) pairs of `prev1[row] <= s`: on a GPU the pairs are enumerated with an iota and a batched
//! search over the windows' running sizes, the flags summed with a scan, and each window's total taken
//! at its boundaries; on the CPU each window's rows are counted in a loop.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, UInt64Array};
use arrow_schema::{DataType, Field, Schema};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::kernels::elementwise as ew;
use crate::kernels::scan::{ScanKind, prefix_sum};
use crate::kernels::search::{Bound, Check, search_sorted};
use crate::kernels::time::{timestamp_array, timestamps};
use crate::text::text_parts;
use crate::window::Windows;

/// For each row, 1 + the previous row with the same (non-null) author, 0 when none; `u64::MAX` for a
/// null author (never counted).
fn previous_same(authors: &dyn Array) -> Result<Vec<u64>> {
    let parts = text_parts(authors)?;
    let n = parts.offsets.len() - 1;
    let mut last: HashMap<&[u8], u64> = HashMap::new();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        if authors.is_null(i) {
            out.push(u64::MAX);
            continue;
        }
        let key = &parts.values[parts.offsets[i] as usize..parts.offsets[i + 1] as usize];
        out.push(last.insert(key, i as u64 + 1).unwrap_or(0));
    }
    Ok(out)
}

/// Distinct authors per window `(start, size)`, by the pairs scheme on the engine's device.
fn distinct_batched(engine: &Engine, prev1: &[u64], starts: &[u64], sizes: &[u64]) -> Result<Vec<u64>> {
    let pre = prefix_sum::<u64, _>(engine, sizes, ScanKind::Exclusive)?;
    let pairs = sizes.iter().sum::<u64>() as usize;
    if pairs == 0 {
        return Ok(vec![0; sizes.len()]);
    }
    let p = ew::iota(engine, pairs, 0)?;
    let pre_col = engine.upload(&pre)?;
    let w = ew::sub_scalar(engine, &search_sorted(engine, &pre_col, &p, Bound::Upper, Check::Trust)?, 1)?;
    let start_w = ew::gather(engine, &engine.upload(starts)?, &w)?;
    let row = ew::wrapping_add(engine, &start_w, &ew::sub(engine, &p, &ew::gather(engine, &pre_col, &w)?)?)?;
    let flags = ew::le(engine, &ew::gather(engine, &engine.upload(prev1)?, &row)?, &start_w)?;
    let sums = prefix_sum::<u64, _>(engine, &flags, ScanKind::Inclusive)?;
    // Window totals from the inclusive sums at its last pair and before its first (index `pairs`,
    // past the end, gathers 0).
    let bounds: Vec<u64> = pre
        .iter()
        .zip(sizes)
        .flat_map(|(&b, &s)| {
            [if s == 0 { pairs as u64 } else { b + s - 1 }, if b == 0 || s == 0 { pairs as u64 } else { b - 1 }]
        })
        .collect();
    let at = ew::gather(engine, &sums, &engine.upload(&bounds)?)?.to_vec()?;
    Ok(at.chunks(2).map(|c| c[0].saturating_sub(c[1])).collect())
}

/// Distinct authors per window, counted row by row.
fn distinct_loop(prev1: &[u64], starts: &[u64], sizes: &[u64]) -> Vec<u64> {
    starts
        .iter()
        .zip(sizes)
        .map(|(&s, &n)| prev1[s as usize..(s + n) as usize].iter().filter(|&&p| p <= s).count() as u64)
        .collect()
}

/// Per-window aggregates of `windows`: `window_index`, `messages`, `units` (in the windows' length
/// unit), `distinct_authors` (non-null values of `author_column`), `first_ts` and `last_ts` (the first
/// and last message's, null for an empty window).
///
/// # Errors
/// [`Error::InvalidParameter`] when the history has no such string column or the windows are
/// partitioned (aggregate each partition's windows); [`Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use arrow_array::{RecordBatch, StringArray, TimestampMicrosecondArray, UInt64Array};
/// use streamliner::{Engine, etl::window_aggregates, window::WindowSpec};
/// let engine = Engine::from_env()?;
/// let ts = TimestampMicrosecondArray::from(vec![1, 2, 3, 4]).with_timezone("UTC");
/// let text = StringArray::from(vec!["a", "b", "c", "d"]);
/// let author = StringArray::from(vec!["Ann", "Bo", "Ann", "Cy"]);
/// let history = RecordBatch::try_from_iter([("ts", Arc::new(ts) as _), ("text", Arc::new(text) as _), ("author", Arc::new(author) as _)])?;
/// let windows = engine.window(&history, &WindowSpec::messages(3).overlap(0.0))?;
/// let agg = window_aggregates(&engine, &windows, "author")?;
/// let distinct = agg.column_by_name("distinct_authors").unwrap().as_any().downcast_ref::<UInt64Array>().unwrap();
/// assert_eq!(distinct.values().as_ref(), &[2, 1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn window_aggregates(engine: &Engine, windows: &Windows, author_column: &str) -> Result<RecordBatch> {
    let history = windows.history()?;
    let authors = history
        .column_by_name(author_column)
        .ok_or_else(|| Error::invalid("author column", author_column, "no such column in the history"))?;
    let prev1 = previous_same(authors.as_ref())?;
    let ws = windows.windows();
    let starts: Vec<u64> = ws.iter().map(|w| w.start_row).collect();
    let sizes: Vec<u64> = ws.iter().map(|w| w.size()).collect();
    let distinct = if engine.is_gpu() {
        distinct_batched(engine, &prev1, &starts, &sizes)?
    } else {
        distinct_loop(&prev1, &starts, &sizes)
    };

    let schema = windows.table().schema();
    let ts_type = schema.field(schema.index_of("start_time").unwrap_or(4)).data_type().clone();
    let DataType::Timestamp(unit, tz) = &ts_type else {
        return Err(Error::invalid("window table", "start_time", "is not a timestamp"));
    };
    let ts_col = history
        .column_by_name(windows.ts_column())
        .ok_or_else(|| Error::invalid("ts column", windows.ts_column(), "no such column in the history"))?;
    let (ts, _) = timestamps(ts_col.as_ref())?;
    let first: Vec<i64> = ws.iter().map(|w| if w.size() == 0 { 0 } else { ts[w.start_row as usize] }).collect();
    let last: Vec<i64> = ws.iter().map(|w| if w.size() == 0 { 0 } else { ts[w.end_row as usize - 1] }).collect();
    let valid: Vec<bool> = ws.iter().map(|w| w.size() > 0).collect();
    let nulls = Some(arrow_buffer::NullBuffer::from(valid));
    let u = |name: &str| Field::new(name, DataType::UInt64, false);
    let schema = Schema::new(vec![
        u("window_index"),
        u("messages"),
        u("units"),
        u("distinct_authors"),
        Field::new("first_ts", ts_type.clone(), true),
        Field::new("last_ts", ts_type.clone(), true),
    ]);
    let col = |v: Vec<u64>| Arc::new(UInt64Array::from(v)) as ArrayRef;
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            col(ws.iter().map(|w| w.index).collect()),
            col(sizes),
            col(ws.iter().map(|w| w.units).collect()),
            col(distinct),
            timestamp_array(first, *unit, tz.clone(), nulls.clone()),
            timestamp_array(last, *unit, tz.clone(), nulls),
        ],
    )
    .map_err(|e| Error::invalid("aggregates", ws.len(), e.to_string()))
}
