//! Partitions and chunks of an in-memory history: splitting batches by a key column, checking order
//! across batches, joining them when they must be sorted.

use std::collections::HashMap;

use arrow_array::{Array, ArrayRef, RecordBatch, UInt32Array, UInt64Array};
use arrow_schema::{DataType, TimeUnit};

use super::stream::{column, key_row, partition_ids};
use crate::error::{Error, Result};

/// The timestamp column's type (that of the first batch), or microseconds in UTC for no batch at all.
pub(crate) fn ts_type(batches: &[RecordBatch], ts_name: &str) -> Result<DataType> {
    match batches.first() {
        Some(b) => Ok(column(b, ts_name, "ts column")?.data_type().clone()),
        None => Ok(DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))),
    }
}

/// One partition's rows, copied out of the input batches in input order.
pub(crate) struct Split {
    /// The key (one row).
    pub key: ArrayRef,
    /// The partition's rows, one chunk per input batch that holds some.
    pub chunks: Vec<RecordBatch>,
    /// Partition row -> input row (counted over all the batches).
    pub input_rows: Vec<u64>,
}

/// Splits `batches` by the values of column `key_name`, partitions in order of first appearance.
pub(crate) fn split(batches: &[RecordBatch], key_name: &str) -> Result<Vec<Split>> {
    let mut map = HashMap::new();
    let mut out: Vec<Split> = Vec::new();
    let mut offset = 0u64;
    for batch in batches {
        let col = column(batch, key_name, "partition column")?;
        let (ids, fresh) = partition_ids(col.as_ref(), key_name, &mut map)?;
        for (_, row) in fresh {
            out.push(Split { key: key_row(col.as_ref(), row)?, chunks: Vec::new(), input_rows: Vec::new() });
        }
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); out.len()];
        for (i, &p) in ids.iter().enumerate() {
            members[p].push(i as u32);
        }
        for (p, idx) in members.into_iter().enumerate().filter(|(_, idx)| !idx.is_empty()) {
            out[p].input_rows.extend(idx.iter().map(|&i| offset + u64::from(i)));
            let rows = arrow_select::take::take_record_batch(batch, &UInt32Array::from(idx))
                .map_err(|e| Error::invalid("partition rows", key_name, e.to_string()))?;
            out[p].chunks.push(rows);
        }
        offset += batch.num_rows() as u64;
    }
    Ok(out)
}

/// Sorted partition row -> input row: `permutation` (sorted -> partition row, when sorting moved rows)
/// then `input_rows`.
pub(crate) fn compose(permutation: Option<&UInt64Array>, input_rows: &[u64]) -> UInt64Array {
    match permutation {
        Some(p) => UInt64Array::from_iter_values(p.values().iter().map(|&r| input_rows[r as usize])),
        None => UInt64Array::from(input_rows.to_vec()),
    }
}

/// Whether the timestamps of `batches` (read in order) never go back in time and hold no null.
pub(crate) fn sorted_across(batches: &[&RecordBatch], ts_name: &str) -> Result<bool> {
    let mut previous = i64::MIN;
    for b in batches {
        let col = column(b, ts_name, "ts column")?;
        if col.null_count() > 0 {
            return Ok(false);
        }
        let (ts, _) = super::history::timestamps(col.as_ref(), ts_name)?;
        for &t in ts {
            if t < previous {
                return Ok(false);
            }
            previous = t;
        }
    }
    Ok(true)
}

/// The batches joined into one (to be sorted), or an error that names the limit.
pub(crate) fn concat(batches: &[&RecordBatch]) -> Result<RecordBatch> {
    let schema = batches[0].schema();
    if let Some(b) = batches.iter().find(|b| b.schema() != schema) {
        return Err(Error::invalid(
            "history batches",
            format!("schema {:?}", b.schema().fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>()),
            "every batch must have the columns and types of the first",
        ));
    }
    arrow_select::concat::concat_batches(&schema, batches.iter().copied()).map_err(|e| {
        Error::invalid(
            "history batches",
            format!("{} batches out of timestamp order", batches.len()),
            format!(
                "joining them to sort failed ({e}); a Utf8 column holds at most 2 GiB (i32 offsets): pass LargeUtf8 \
                 columns, or batches already in timestamp order, which are windowed without joining"
            ),
        )
    })
}
