//! The columns windows read from a batch, found and checked in one place: the timestamps, the weight's
//! column (the text, or a numeric column) and the partition key.

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_buffer::ScalarBuffer;
use arrow_schema::{DataType, TimeUnit};

use super::spec::WindowSpec;
use super::weight::{Weight, check_column};
use crate::error::{Error, Result};
use crate::kernels::time::timestamp_values;
use crate::text::{TEXT_TYPES, is_text_type};

/// Column `name` of `batch`, or an error listing the columns it has, or naming the two columns that
/// share the name.
pub(crate) fn column<'b>(batch: &'b RecordBatch, name: &str, what: &str) -> Result<&'b ArrayRef> {
    let fields = batch.schema_ref().fields();
    let mut named = fields.iter().enumerate().filter(|(_, f)| f.name() == name).map(|(i, _)| i);
    match (named.next(), named.next()) {
        (Some(i), None) => Ok(batch.column(i)),
        (Some(a), Some(b)) => Err(Error::invalid(
            what,
            name,
            format!(
                "the history has two columns of this name (columns {} and {}, counted from 1): rename one",
                a + 1,
                b + 1
            ),
        )),
        _ => {
            let have: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
            Err(Error::invalid(what, name, format!("no such column; the history has {}", have.join(", "))))
        }
    }
}

/// The timestamps of column `name` (any Arrow timestamp unit), zero-copy, and their unit.
pub(crate) fn timestamps(a: &dyn Array, name: &str) -> Result<(ScalarBuffer<i64>, TimeUnit)> {
    timestamp_values(a).map_err(|_| {
        Error::invalid(
            "timestamp column type",
            format!("{name}: {}", a.data_type()),
            "expected an Arrow timestamp (any unit)",
        )
    })
}

/// The columns of one batch that windows read, checked: a timestamp column without nulls, the weight's
/// column of the right type, the partition key when partitioned.
pub(crate) struct Columns<'b> {
    /// Timestamps, in `unit`s.
    pub ts: ScalarBuffer<i64>,
    pub unit: TimeUnit,
    /// The timestamp column's type (unit and zone).
    pub ts_type: &'b DataType,
    /// The column the weight is read from.
    pub weight: &'b ArrayRef,
    /// The partition key column, when partitioned.
    pub key: Option<&'b ArrayRef>,
}

impl<'b> Columns<'b> {
    /// The columns of `batch` for `spec`; `first_row` is the batch's first input row, for errors.
    pub fn of(batch: &'b RecordBatch, spec: &WindowSpec, first_row: u64) -> Result<Self> {
        let ts_col = column(batch, &spec.ts_column, "ts column")?;
        let weight = match spec.row_weight() {
            Weight::Column(name) => {
                let col = column(batch, name, "weight column")?;
                check_column(col.as_ref(), name)?;
                col
            }
            _ => {
                let col = column(batch, &spec.text_column, "text column")?;
                if !is_text_type(col.data_type()) {
                    return Err(Error::invalid(
                        "text column type",
                        format!("{}: {}", spec.text_column, col.data_type()),
                        TEXT_TYPES,
                    ));
                }
                col
            }
        };
        let key = match &spec.partition_by {
            Some(name) => Some(column(batch, name, "partition column")?),
            None => None,
        };
        let (ts, unit) = timestamps(ts_col.as_ref(), &spec.ts_column)?;
        if let Some(row) = ts_col.nulls().and_then(|n| n.iter().position(|ok| !ok)) {
            return Err(Error::NullValue {
                what: format!("ts column {:?}", spec.ts_column),
                row: first_row + row as u64,
            });
        }
        Ok(Columns { ts, unit, ts_type: ts_col.data_type(), weight, key })
    }
}
