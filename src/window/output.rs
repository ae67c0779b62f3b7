//! [`Windows`]: the window table, zero-copy access to each window's rows, and splitting.

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, UInt64Array};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

use super::history::{History, timestamps};
use crate::error::{Error, Result};
use crate::kernels::strings::{LengthUnit, text_parts};

/// One window: rows `start_row..end_row` of the sorted history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// 0-based, consecutive (parts of a split window keep their window's index).
    pub index: u64,
    /// First row, in the sorted history.
    pub start_row: u64,
    /// One past the last row.
    pub end_row: u64,
    /// Start time, in the timestamp column's unit: the first message's time (count and byte windows)
    /// or the window's lower bound (time windows).
    pub start_time: i64,
    /// End time: the last message's time (count and byte windows) or the window's exclusive upper
    /// bound (time windows).
    pub end_time: i64,
    /// Total text length of the rows, in the window's length unit.
    pub units: u64,
}

impl Window {
    /// Number of rows.
    pub fn size(&self) -> u64 {
        self.end_row - self.start_row
    }
}

/// The windows of a history: the table (an Arrow `RecordBatch` with `window_index`, `start_row`,
/// `end_row`, `size`, `start_time`, `end_time`, `units`), the sorted history whose rows they name, and
/// the mapping back to input rows when the input was not sorted by timestamp.
#[derive(Debug, Clone)]
pub struct Windows {
    windows: Vec<Window>,
    table: RecordBatch,
    history: RecordBatch,
    permutation: Option<UInt64Array>,
    ts_column: String,
    text_column: String,
    unit: LengthUnit,
}

fn schema(ts_type: &DataType) -> Arc<Schema> {
    let u = |name: &str| Field::new(name, DataType::UInt64, false);
    Arc::new(Schema::new(vec![
        u("window_index"),
        u("start_row"),
        u("end_row"),
        u("size"),
        Field::new("start_time", ts_type.clone(), false),
        Field::new("end_time", ts_type.clone(), false),
        u("units"),
    ]))
}

/// A timestamp array of `ts_type` (unit and zone) holding `values`.
fn timestamp_array(values: Vec<i64>, ts_type: &DataType) -> Result<ArrayRef> {
    let DataType::Timestamp(unit, tz) = ts_type else {
        return Err(Error::invalid("timestamp column type", ts_type, "expected an Arrow timestamp"));
    };
    Ok(crate::kernels::time::timestamp_array(values, *unit, tz.clone(), None))
}

impl Windows {
    pub(crate) fn new(windows: Vec<Window>, history: History<'_>, spec: &super::WindowSpec) -> Result<Self> {
        let col = |f: fn(&Window) -> u64| Arc::new(UInt64Array::from_iter_values(windows.iter().map(f))) as ArrayRef;
        let table = RecordBatch::try_new(
            schema(&history.ts_type),
            vec![
                col(|w| w.index),
                col(|w| w.start_row),
                col(|w| w.end_row),
                col(|w| w.size()),
                timestamp_array(windows.iter().map(|w| w.start_time).collect(), &history.ts_type)?,
                timestamp_array(windows.iter().map(|w| w.end_time).collect(), &history.ts_type)?,
                col(|w| w.units),
            ],
        )
        .map_err(|e| Error::invalid("window table", windows.len(), e.to_string()))?;
        Ok(Windows {
            windows,
            table,
            history: history.batch.into_owned(),
            permutation: history.permutation,
            ts_column: spec.ts_column.clone(),
            text_column: spec.text_column.clone(),
            unit: spec.unit(),
        })
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// True when there are no windows (an empty history).
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// The windows.
    pub fn windows(&self) -> &[Window] {
        &self.windows
    }

    /// Window `i`.
    pub fn get(&self, i: usize) -> Option<&Window> {
        self.windows.get(i)
    }

    /// The window table as an Arrow `RecordBatch`.
    pub fn table(&self) -> &RecordBatch {
        &self.table
    }

    /// The history in sorted order (by timestamp, ties in input order): the input itself when it was
    /// sorted already. Window rows are numbered in this order.
    pub fn history(&self) -> &RecordBatch {
        &self.history
    }

    /// The rows of `window`, a zero-copy slice of the sorted history.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a window whose rows are not within the history (one not made by
    /// these windows).
    pub fn rows(&self, window: &Window) -> Result<RecordBatch> {
        if window.start_row > window.end_row || window.end_row > self.history.num_rows() as u64 {
            return Err(Error::invalid(
                "window",
                format!("rows {}..{}", window.start_row, window.end_row),
                format!("the history has {} rows", self.history.num_rows()),
            ));
        }
        Ok(self.history.slice(window.start_row as usize, window.size() as usize))
    }

    /// Sorted row -> input row, when the input was not sorted by timestamp (`None`: they are the same).
    pub fn input_rows(&self) -> Option<&UInt64Array> {
        self.permutation.as_ref()
    }

    /// The input row of sorted row `row`.
    pub fn input_row(&self, row: u64) -> u64 {
        match &self.permutation {
            Some(p) if (row as usize) < p.len() => p.value(row as usize),
            _ => row,
        }
    }

    /// The name of the history's timestamp column.
    pub fn ts_column(&self) -> &str {
        &self.ts_column
    }

    /// The name of the history's text column.
    pub fn text_column(&self) -> &str {
        &self.text_column
    }

    /// The unit of `units`.
    pub fn length_unit(&self) -> LengthUnit {
        self.unit
    }

    /// The timestamp unit of `start_time` and `end_time`.
    pub fn time_unit(&self) -> TimeUnit {
        match self.table.schema_ref().field(4).data_type() {
            DataType::Timestamp(u, _) => *u,
            _ => TimeUnit::Microsecond,
        }
    }

    /// Splits `window` into `n` parts of equal time: with `d = (end_time - start_time) / n` (rounded half
    /// to even), part `k` holds the window's rows with timestamps in `[start + k*d, start + (k+1)*d)`,
    /// the last part closed at `end_time`. Empty parts are dropped; parts keep the window's index.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `n < 2`.
    pub fn split_window(&self, window: &Window, n: u64) -> Result<Vec<Window>> {
        if n < 2 {
            return Err(Error::invalid("n", n, "a window splits into at least 2 parts"));
        }
        let rows = self.rows(window)?;
        let ts_col = rows
            .column_by_name(&self.ts_column)
            .ok_or_else(|| Error::invalid("ts column", &self.ts_column, "missing"))?;
        let (ts, _) = timestamps(ts_col.as_ref(), &self.ts_column)?;
        let text = rows
            .column_by_name(&self.text_column)
            .ok_or_else(|| Error::invalid("text column", &self.text_column, "missing"))?;
        let parts = text_parts(text.as_ref())?;
        let prefix: Vec<u64> = match self.unit {
            LengthUnit::Utf8Bytes => parts.offsets.clone(),
            LengthUnit::CodePoints => crate::cpu::strings::char_positions(&parts.values, &parts.offsets),
        };
        let span = i128::from(window.end_time) - i128::from(window.start_time);
        let n_i = i128::from(n);
        // Round half to even, as Python's timedelta / int.
        let (q, r) = (span.div_euclid(n_i), span.rem_euclid(n_i));
        let d = if 2 * r > n_i || (2 * r == n_i && q % 2 != 0) { q + 1 } else { q };
        let mut out = Vec::new();
        for k in 0..n_i {
            let lo = i128::from(window.start_time) + k * d;
            let last = k == n_i - 1;
            let hi = if last { i128::from(window.end_time) } else { lo + d };
            let first = ts.partition_point(|&t| i128::from(t) < lo);
            let end = if last {
                ts.partition_point(|&t| i128::from(t) <= hi)
            } else {
                ts.partition_point(|&t| i128::from(t) < hi)
            };
            if end <= first {
                continue;
            }
            let clamp = |v: i128| v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
            out.push(Window {
                index: window.index,
                start_row: window.start_row + first as u64,
                end_row: window.start_row + end as u64,
                start_time: clamp(lo),
                end_time: clamp(hi),
                units: prefix[end] - prefix[first],
            });
        }
        Ok(out)
    }
}
