//! [`Windows`]: the window table, zero-copy access to each window's rows, and splitting.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, UInt64Array};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

use super::input::timestamps;
use super::spec::WindowSpec;
use super::weight::{Weight, running_weight};
use crate::engine::Engine;
use crate::error::{Error, Result};

/// One window: rows `start_row..end_row` of the sorted history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// 0-based, consecutive within the partition (parts of a split window keep their window's index).
    pub index: u64,
    /// The partition's number, in order of first appearance of its key (0 when not partitioned).
    pub partition: u64,
    /// First row, in the partition's sorted history.
    pub start_row: u64,
    /// One past the last row.
    pub end_row: u64,
    /// Start time, in the timestamp column's unit: the first message's time (count and byte windows)
    /// or the window's lower bound (time windows).
    pub start_time: i64,
    /// End time: the last message's time (count and byte windows) or the window's exclusive upper
    /// bound (time windows).
    pub end_time: i64,
    /// The window's weight: the weight of its rows, with the spec's overheads (none for a window
    /// without rows).
    pub units: u64,
}

impl Window {
    /// Number of rows.
    pub fn size(&self) -> u64 {
        self.end_row - self.start_row
    }
}

/// The windows of a history: the table (an Arrow `RecordBatch` with `window_index`, `start_row`,
/// `end_row`, `size`, `start_time`, `end_time`, `units`, after the partition key column when
/// partitioned), each partition's sorted history whose rows they name, and the mapping back to input
/// rows when the input was not sorted by timestamp or was partitioned.
#[derive(Debug, Clone)]
pub struct Windows {
    windows: Vec<Window>,
    table: RecordBatch,
    parts: Vec<PartRows>,
    spec: WindowSpec,
    engine: Engine,
}

/// One partition's sorted rows, as one or more chunks.
#[derive(Debug, Clone)]
pub(crate) struct PartRows {
    /// The rows in (ts, input position) order, in chunks.
    pub chunks: Vec<RecordBatch>,
    /// Partition row -> input row, when they differ.
    pub permutation: Option<UInt64Array>,
    /// The partition's key (one row), when partitioned.
    pub key: Option<ArrayRef>,
    /// The history's schema (for empty slices).
    pub schema: arrow_schema::SchemaRef,
}

impl PartRows {
    /// No rows and no columns: an empty history given as no batch at all.
    pub fn empty() -> Self {
        PartRows { chunks: Vec::new(), permutation: None, key: None, schema: Arc::new(Schema::empty()) }
    }

    fn num_rows(&self) -> u64 {
        self.chunks.iter().map(|c| c.num_rows() as u64).sum()
    }

    /// Rows `s..e`: a zero-copy slice when they lie in one chunk.
    fn slice(&self, s: u64, e: u64) -> Result<RecordBatch> {
        let mut pieces = Vec::new();
        let mut at = 0u64;
        for c in &self.chunks {
            let n = c.num_rows() as u64;
            let (lo, hi) = (s.max(at), e.min(at + n));
            if lo < hi {
                pieces.push(c.slice((lo - at) as usize, (hi - lo) as usize));
            }
            at += n;
        }
        match pieces.len() {
            0 => Ok(RecordBatch::new_empty(self.schema.clone())),
            1 => Ok(pieces.swap_remove(0)),
            _ => arrow_select::concat::concat_batches(&self.schema, &pieces)
                .map_err(|err| Error::invalid("window rows", format!("{s}..{e}"), err.to_string())),
        }
    }
}

fn schema(ts_type: &DataType, key: Option<(&str, &DataType)>) -> Arc<Schema> {
    let u = |name: &str| Field::new(name, DataType::UInt64, false);
    let mut fields: Vec<Field> = key.map(|(name, ty)| Field::new(name, ty.clone(), true)).into_iter().collect();
    fields.extend([
        u("window_index"),
        u("start_row"),
        u("end_row"),
        u("size"),
        Field::new("start_time", ts_type.clone(), false),
        Field::new("end_time", ts_type.clone(), false),
        u("units"),
    ]);
    Arc::new(Schema::new(fields))
}

/// The window table of `windows`, after a partition key column (its name, one key per window) when
/// given.
pub(crate) fn window_table(
    windows: &[Window],
    ts_type: &DataType,
    key: Option<(&str, ArrayRef)>,
) -> Result<RecordBatch> {
    let col = |f: fn(&Window) -> u64| Arc::new(UInt64Array::from_iter_values(windows.iter().map(f))) as ArrayRef;
    let schema = schema(ts_type, key.as_ref().map(|(name, a)| (*name, a.data_type())));
    let mut columns: Vec<ArrayRef> = key.map(|(_, a)| a).into_iter().collect();
    columns.extend([
        col(|w| w.index),
        col(|w| w.start_row),
        col(|w| w.end_row),
        col(|w| w.size()),
        timestamp_array(windows.iter().map(|w| w.start_time).collect(), ts_type)?,
        timestamp_array(windows.iter().map(|w| w.end_time).collect(), ts_type)?,
        col(|w| w.units),
    ]);
    RecordBatch::try_new(schema, columns).map_err(|e| Error::invalid("window table", windows.len(), e.to_string()))
}

/// A timestamp array of `ts_type` (unit and zone) holding `values`.
fn timestamp_array(values: Vec<i64>, ts_type: &DataType) -> Result<ArrayRef> {
    let DataType::Timestamp(unit, tz) = ts_type else {
        return Err(Error::invalid("timestamp column type", ts_type, "expected an Arrow timestamp"));
    };
    Ok(crate::kernels::time::timestamp_array(values, *unit, tz.clone(), None))
}

impl Windows {
    /// Windows over partitions `parts` (`windows` ordered by partition, then index); `key_name` names
    /// the partition column when partitioned.
    pub(crate) fn new(
        windows: Vec<Window>,
        parts: Vec<PartRows>,
        ts_type: &DataType,
        key_name: Option<&str>,
        spec: &WindowSpec,
        engine: &Engine,
    ) -> Result<Self> {
        let key = match key_name {
            Some(name) => {
                let keys: Vec<&dyn Array> = parts.iter().filter_map(|p| p.key.as_deref()).collect();
                let col = if keys.is_empty() {
                    arrow_array::new_empty_array(&DataType::Utf8)
                } else {
                    let all = arrow_select::concat::concat(&keys)
                        .map_err(|e| Error::invalid("partition keys", name, e.to_string()))?;
                    let idx = UInt64Array::from_iter_values(windows.iter().map(|w| w.partition));
                    arrow_select::take::take(all.as_ref(), &idx, None)
                        .map_err(|e| Error::invalid("partition keys", name, e.to_string()))?
                };
                Some((name, col))
            }
            None => None,
        };
        let table = window_table(&windows, ts_type, key)?;
        Ok(Windows { windows, table, parts, spec: spec.clone(), engine: engine.clone() })
    }

    /// These windows of one unpartitioned history in input order, with `windows` in their place, `rows`
    /// (the same rows, other columns) as the history, and `spec` as their spec.
    pub(crate) fn replaced(mut self, windows: Vec<Window>, rows: Vec<RecordBatch>, spec: &WindowSpec) -> Result<Self> {
        let ts_type = self
            .table
            .schema()
            .field_with_name("start_time")
            .map_err(|e| Error::invalid("window table", "start_time", e.to_string()))?
            .data_type()
            .clone();
        self.table = window_table(&windows, &ts_type, None)?;
        self.windows = windows;
        if let (Some(part), Some(first)) = (self.parts.first_mut(), rows.first()) {
            part.schema = first.schema();
            part.chunks = rows;
        }
        self.spec = spec.clone();
        Ok(self)
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
    /// one sorted batch, its batches concatenated when it came in several. Window rows are numbered in
    /// this order.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the windows are partitioned (use
    /// [`Windows::partition_history`]) or the batches cannot be concatenated.
    pub fn history(&self) -> Result<RecordBatch> {
        if self.parts.iter().any(|p| p.key.is_some()) {
            return Err(Error::invalid(
                "history",
                "partitioned windows",
                "each partition has its own history: use partition_history(p)",
            ));
        }
        self.partition_history(0)
    }

    /// Partition `p`'s rows in sorted order (for partitions, rows are numbered within their partition).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a partition that does not exist or batches that cannot be
    /// concatenated.
    pub fn partition_history(&self, p: usize) -> Result<RecordBatch> {
        let part = self
            .parts
            .get(p)
            .ok_or_else(|| Error::invalid("partition", p, format!("there are {}", self.parts.len())))?;
        part.slice(0, part.num_rows())
    }

    /// Partition `p`'s rows in sorted order as the batches that hold them (zero-copy), and their schema.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a partition that does not exist.
    pub fn partition_batches(&self, p: usize) -> Result<(Vec<RecordBatch>, arrow_schema::SchemaRef)> {
        let part = self
            .parts
            .get(p)
            .ok_or_else(|| Error::invalid("partition", p, format!("there are {}", self.parts.len())))?;
        Ok((part.chunks.clone(), part.schema.clone()))
    }

    /// The number of partitions (1 when not partitioned; with partitions, one per key).
    pub fn partitions(&self) -> usize {
        self.parts.len()
    }

    /// Partition `p`'s key (a one-row array), when partitioned.
    pub fn partition_key(&self, p: usize) -> Option<&ArrayRef> {
        self.parts.get(p).and_then(|part| part.key.as_ref())
    }

    /// The rows of `window`: a zero-copy slice of its partition's sorted history (concatenated only
    /// when the history came in several batches and the window spans them).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a window whose rows are not within its partition (one not made
    /// by these windows).
    pub fn rows(&self, window: &Window) -> Result<RecordBatch> {
        let part = self.parts.get(window.partition as usize);
        let n = part.map_or(0, PartRows::num_rows);
        match part {
            Some(part) if window.start_row <= window.end_row && window.end_row <= n => {
                part.slice(window.start_row, window.end_row)
            }
            _ => Err(Error::invalid(
                "window",
                format!("rows {}..{} of partition {}", window.start_row, window.end_row, window.partition),
                format!("the partition has {n} rows"),
            )),
        }
    }

    /// Sorted row -> input row of an unpartitioned history, when the input was not sorted by timestamp
    /// (`None`: they are the same).
    pub fn input_rows(&self) -> Option<&UInt64Array> {
        self.parts.first().and_then(|p| p.permutation.as_ref())
    }

    /// The input row of sorted row `row` of an unpartitioned history.
    pub fn input_row(&self, row: u64) -> u64 {
        self.partition_input_row(0, row)
    }

    /// The input row of row `row` of partition `p` (rows counted over all the input's batches).
    pub fn partition_input_row(&self, p: u64, row: u64) -> u64 {
        match self.parts.get(p as usize).and_then(|part| part.permutation.as_ref()) {
            Some(perm) if (row as usize) < perm.len() => perm.value(row as usize),
            _ => row,
        }
    }

    /// The name of the history's timestamp column.
    pub fn ts_column(&self) -> &str {
        &self.spec.ts_column
    }

    /// The name of the history's text column.
    pub fn text_column(&self) -> &str {
        &self.spec.text_column
    }

    /// What a row weighs in `units` (overheads aside).
    pub fn weight(&self) -> &Weight {
        self.spec.row_weight()
    }

    /// The spec the windows were made with.
    pub fn spec(&self) -> &WindowSpec {
        &self.spec
    }

    /// The timestamp unit of `start_time` and `end_time`.
    pub fn time_unit(&self) -> TimeUnit {
        let field = self.table.schema_ref().index_of("start_time").unwrap_or(4);
        match self.table.schema_ref().field(field).data_type() {
            DataType::Timestamp(u, _) => *u,
            _ => TimeUnit::Microsecond,
        }
    }

    /// Splits `window` into `n` parts of equal time: with `d = (end_time - start_time) / n` (rounded half
    /// to even), part `k` holds the window's rows with timestamps in `[start + k*d, start + (k+1)*d)`,
    /// the last part closed at `end_time`. Empty parts are dropped; parts keep the window's index, and
    /// each part's `units` is its rows' weight with the overheads. The cost follows the window's rows, not
    /// `n`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `n < 2`.
    pub fn split_window(&self, window: &Window, n: u64) -> Result<Vec<Window>> {
        if n < 2 {
            return Err(Error::invalid("n", n, "a window splits into at least 2 parts"));
        }
        let rows = self.rows(window)?;
        let spec = &self.spec;
        let ts_col = super::input::column(&rows, &spec.ts_column, "ts column")?;
        let (ts, _) = timestamps(ts_col.as_ref(), &spec.ts_column)?;
        let source = super::input::column(&rows, spec.weight_column(), "weight column")?;
        let prefix =
            running_weight(&self.engine, source.as_ref(), spec.row_weight(), spec.row_overhead, (0, 0), false)?;
        let prefix = prefix.into_host()?;
        let (start, end) = (i128::from(window.start_time), i128::from(window.end_time));
        let n_i = i128::from(n);
        // Round half to even, as Python's timedelta / int.
        let (q, r) = ((end - start).div_euclid(n_i), (end - start).rem_euclid(n_i));
        let d = if 2 * r > n_i || (2 * r == n_i && q % 2 != 0) { q + 1 } else { q };
        // Part k covers [start + k*d, start + (k+1)*d), the last one [start + (n-1)*d, end]. Rather than
        // visit all n parts (n may be 2^40), each row finds its part, k = min((t - start) / d, n - 1),
        // and consecutive rows of one part make one window: the cost follows the rows.
        let part = |t: i128| if d > 0 { ((t - start).div_euclid(d)).min(n_i - 1) } else { n_i - 1 };
        let clamp = |v: i128| v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        let mut out: Vec<Window> = Vec::new();
        let mut current: Option<(i128, usize)> = None; // (part, first row)
        let rows_in = |t: i128| t >= start && t <= end;
        let flush = |k: i128, first: usize, stop: usize, out: &mut Vec<Window>| {
            let lo = start + k * d;
            let hi = if k == n_i - 1 { end } else { lo + d };
            out.push(Window {
                index: window.index,
                partition: window.partition,
                start_row: window.start_row + first as u64,
                end_row: window.start_row + stop as u64,
                start_time: clamp(lo),
                end_time: clamp(hi),
                units: (prefix[stop] - prefix[first]).saturating_add(spec.window_overhead),
            });
        };
        for (i, &t) in ts.iter().enumerate() {
            let t = i128::from(t);
            let k = if rows_in(t) { Some(part(t)) } else { None };
            match (current, k) {
                (Some((ck, _)), Some(k)) if ck == k => {}
                (Some((ck, first)), _) => {
                    flush(ck, first, i, &mut out);
                    current = k.map(|k| (k, i));
                }
                (None, k) => current = k.map(|k| (k, i)),
            }
        }
        if let Some((ck, first)) = current {
            flush(ck, first, ts.len(), &mut out);
        }
        Ok(out)
    }
}
