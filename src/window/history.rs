//! A history made ready for windowing: validated, in (ts, input position) order.

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, UInt64Array};
use arrow_schema::TimeUnit;

use super::stream::column;
use crate::error::{Error, Result};
use crate::kernels::strings::{TEXT_TYPES, is_text_type};

/// The sorted history and what the window kinds read from it.
pub(crate) struct History<'a> {
    /// The rows in (ts, input position) order: the input itself when it was sorted already.
    pub batch: Cow<'a, RecordBatch>,
    /// Sorted row -> input row, when the input was not sorted.
    pub permutation: Option<UInt64Array>,
    /// Timestamps in sorted order, in `unit`s.
    pub ts: Cow<'a, [i64]>,
    pub unit: TimeUnit,
    /// The text column, in sorted order.
    pub text: ArrayRef,
}

pub(crate) use crate::kernels::time::per_second;

/// The i64 values and unit of timestamp column `name`.
pub(crate) fn timestamps<'a>(a: &'a dyn Array, name: &str) -> Result<(&'a [i64], TimeUnit)> {
    crate::kernels::time::timestamps(a).map_err(|_| {
        Error::invalid(
            "timestamp column type",
            format!("{name}: {}", a.data_type()),
            "expected an Arrow timestamp (any unit)",
        )
    })
}

impl<'a> History<'a> {
    /// Validates `batch` (a timestamp column without nulls, a string text column) and orders it stably
    /// by timestamp.
    pub fn new(batch: &'a RecordBatch, ts_name: &str, text_name: &str) -> Result<Self> {
        let ts_col = column(batch, ts_name, "ts column")?;
        let text_col = column(batch, text_name, "text column")?;
        if !is_text_type(text_col.data_type()) {
            return Err(Error::invalid(
                "text column type",
                format!("{text_name}: {}", text_col.data_type()),
                TEXT_TYPES,
            ));
        }
        if let Some(nulls) = ts_col.nulls()
            && let Some(row) = nulls.iter().position(|ok| !ok)
        {
            return Err(Error::NullValue { what: format!("ts column {ts_name:?}"), row: row as u64 });
        }
        let (ts, unit) = timestamps(ts_col.as_ref(), ts_name)?;
        if ts.windows(2).all(|w| w[0] <= w[1]) {
            return Ok(History {
                batch: Cow::Borrowed(batch),
                permutation: None,
                ts: Cow::Borrowed(ts),
                unit,
                text: text_col.clone(),
            });
        }
        // A stable sort of row numbers by timestamp: ties keep their input order.
        let mut order: Vec<u64> = (0..ts.len() as u64).collect();
        order.sort_by_key(|&i| ts[i as usize]);
        let sorted_ts: Vec<i64> = order.iter().map(|&i| ts[i as usize]).collect();
        let permutation = UInt64Array::from(order);
        let sorted = arrow_select::take::take_record_batch(batch, &permutation)
            .map_err(|e| Error::invalid("history", "reordering by ts", e.to_string()))?;
        let text = Arc::clone(column(&sorted, text_name, "text column")?);
        Ok(History { batch: Cow::Owned(sorted), permutation: Some(permutation), ts: Cow::Owned(sorted_ts), unit, text })
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }
}
