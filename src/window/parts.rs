//! The partitions of a history as its batches arrive: each batch's columns checked, its running weight
//! computed, its rows split by partition key, and each partition's rows appended to its row buffer, where
//! its cursor finds the windows. The stream and the in-memory call both ingest batches here.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, UInt32Array, UInt64Array};
use arrow_buffer::ScalarBuffer;
use arrow_schema::{DataType, SchemaRef, TimeUnit};

use super::buffer::{Buffer, Segment};
use super::input::Columns;
use super::keys::{key_display, key_row, partition_ids};
use super::output::Window;
use super::rule::{Cursor, Rule};
use super::spec::WindowSpec;
use super::weight::running_weight;
use crate::column::Column;
use crate::engine::Engine;
use crate::error::{Error, Result};

/// What the first batch fixes: the timestamp type, the rule and the schema.
pub(crate) struct Setup {
    pub ts_type: DataType,
    pub rule: Rule,
    pub schema: SchemaRef,
}

/// One partition's rows and where its windows stand.
pub(crate) struct Part {
    pub buf: Buffer,
    pub cursor: Cursor,
    /// The partition's key (one row), when partitioned.
    pub key: Option<ArrayRef>,
    last_ts: Option<i64>,
    /// Rows came out of timestamp order (kept whole, to be sorted).
    pub unsorted: bool,
    /// Partition row -> input row, when partitioned and every row is kept.
    pub input_rows: Vec<u64>,
}

/// Every partition of a history seen so far.
pub(crate) struct Partitions {
    pub engine: Engine,
    pub spec: WindowSpec,
    /// Keep every row, and take rows out of timestamp order (the in-memory call sorts them); otherwise
    /// rows out of order are an error.
    whole: bool,
    /// Keep the rows themselves in the buffers.
    pub keep_rows: bool,
    pub setup: Option<Setup>,
    pub parts: Vec<Part>,
    keys: HashMap<Vec<u8>, usize>,
    /// Input rows read so far.
    pub rows_in: u64,
    /// The input's name (a file) for errors, when given.
    pub input_name: Option<String>,
}

impl Partitions {
    /// Partitions for a stream (`whole` false) or for a history held whole.
    pub fn new(engine: &Engine, spec: &WindowSpec, whole: bool) -> Self {
        Partitions {
            engine: engine.clone(),
            spec: spec.clone(),
            whole,
            keep_rows: whole,
            setup: None,
            parts: Vec::new(),
            keys: HashMap::new(),
            rows_in: 0,
            input_name: None,
        }
    }

    /// Takes the next batch's rows (`last`: no batch with rows follows); returns the partitions that got
    /// some, in order of first row.
    pub fn ingest(&mut self, batch: &RecordBatch, last: bool) -> Result<Vec<usize>> {
        let cols = Columns::of(batch, &self.spec, self.rows_in)?;
        match &self.setup {
            None => {
                let rule = Rule::of(&self.spec, cols.unit)?;
                self.setup = Some(Setup { ts_type: cols.ts_type.clone(), rule, schema: batch.schema() });
            }
            Some(s) if s.ts_type != *cols.ts_type => {
                return Err(Error::invalid(
                    "ts column type",
                    format!("{}: {} at input row {}", self.spec.ts_column, cols.ts_type, self.rows_in),
                    format!("earlier batches had {}", s.ts_type),
                ));
            }
            Some(_) => {}
        }
        let first_row = self.rows_in;
        self.rows_in += batch.num_rows() as u64;
        let Some(key_col) = cols.key else {
            if self.parts.is_empty() {
                self.new_part(None);
            }
            if batch.num_rows() == 0 {
                return Ok(Vec::new());
            }
            self.check_order(0, &cols.ts, |j| first_row + j as u64)?;
            let part = &mut self.parts[0];
            let start = part.buf.total()?;
            // A whole history's running weight may stay on the device, for the budget rule to walk there.
            let resident = last && part.buf.end == 0 && matches!(part.cursor.rule, Rule::Budget(_));
            let prefix = running_weight(
                &self.engine,
                cols.weight.as_ref(),
                self.spec.row_weight(),
                self.spec.row_overhead,
                (start, first_row),
                resident,
            )?;
            let rows = self.keep_rows.then(|| batch.clone());
            part.buf.push(Segment::new(part.buf.end, cols.ts, prefix, rows)?);
            return Ok(vec![0]);
        };
        let name = self.spec.partition_by.clone().unwrap_or_default();
        let (ids, fresh) = partition_ids(key_col.as_ref(), &name, &mut self.keys)?;
        for (p, row) in fresh {
            debug_assert_eq!(p, self.parts.len());
            self.new_part(Some(key_row(key_col.as_ref(), row)?));
        }
        // The batch's running weight from 0; each partition adds its rows' weights to its own total.
        let weights = running_weight(
            &self.engine,
            cols.weight.as_ref(),
            self.spec.row_weight(),
            self.spec.row_overhead,
            (0, first_row),
            false,
        )?
        .into_host()?;
        // Rows of each partition, in input order; partitions in order of their first row here.
        let mut members: HashMap<usize, Vec<u32>> = HashMap::new();
        let mut order = Vec::new();
        for (i, &p) in ids.iter().enumerate() {
            members
                .entry(p)
                .or_insert_with(|| {
                    order.push(p);
                    Vec::new()
                })
                .push(i as u32);
        }
        for &p in &order {
            let idx = members.remove(&p).unwrap_or_default();
            let ts: ScalarBuffer<i64> = idx.iter().map(|&i| cols.ts[i as usize]).collect::<Vec<_>>().into();
            self.check_order(p, &ts, |j| first_row + u64::from(idx[j]))?;
            let rows = match self.keep_rows {
                true => Some(
                    arrow_select::take::take_record_batch(batch, &UInt32Array::from(idx.clone()))
                        .map_err(|e| Error::invalid("partition rows", &name, e.to_string()))?,
                ),
                false => None,
            };
            let part = &mut self.parts[p];
            let mut acc = part.buf.total()?;
            let mut prefix = Vec::with_capacity(idx.len() + 1);
            prefix.push(acc);
            for &i in &idx {
                acc = acc.saturating_add(weights[i as usize + 1] - weights[i as usize]);
                prefix.push(acc);
            }
            if self.whole {
                part.input_rows.extend(idx.iter().map(|&i| first_row + u64::from(i)));
            }
            part.buf.push(Segment::new(part.buf.end, ts, Column::host(prefix), rows)?);
        }
        Ok(order)
    }

    fn new_part(&mut self, key: Option<ArrayRef>) {
        let Some(setup) = &self.setup else { return };
        let cursor = Cursor::new(setup.rule, self.spec.window_overhead);
        self.parts.push(Part {
            buf: Buffer::default(),
            cursor,
            key,
            last_ts: None,
            unsorted: false,
            input_rows: Vec::new(),
        });
    }

    /// Checks that timestamps `ts` of partition `p` do not go back in time; `input_row(j)` names row `j`
    /// in errors. A history held whole notes the partition as unsorted instead.
    fn check_order(&mut self, p: usize, ts: &[i64], input_row: impl Fn(usize) -> u64) -> Result<()> {
        let part = &mut self.parts[p];
        let back = match (part.last_ts, ts.first()) {
            (Some(prev), Some(&t)) if t < prev => Some(0),
            _ if non_decreasing(ts) => None,
            _ => ts.windows(2).position(|w| w[1] < w[0]).map(|j| j + 1),
        };
        if let Some(j) = back {
            if self.whole {
                part.unsorted = true;
            } else {
                let previous = if j == 0 { part.last_ts.unwrap_or(ts[0]) } else { ts[j - 1] };
                let mut what = format!("ts column {:?}", self.spec.ts_column);
                if let (Some(col), Some(key)) = (&self.spec.partition_by, &part.key) {
                    what = format!("{what} in partition {col} = {}", key_display(key.as_ref()));
                }
                let unit = match self.setup.as_ref().map(|s| &s.ts_type) {
                    Some(DataType::Timestamp(unit, _)) => *unit,
                    _ => TimeUnit::Microsecond,
                };
                let input = self.input_name.clone();
                return Err(Error::OutOfOrder { input, what, row: input_row(j), ts: ts[j], previous, unit });
            }
        }
        part.last_ts = ts.last().copied().or(part.last_ts);
        Ok(())
    }

    /// Sorts the rows of partition `p` (kept whole) stably by timestamp: its buffer becomes one segment
    /// of the sorted rows and its cursor starts over. Returns sorted row -> partition row.
    pub fn sort(&mut self, p: usize) -> Result<UInt64Array> {
        let part = &mut self.parts[p];
        let chunks: Vec<&RecordBatch> = part.buf.segments().filter_map(|s| s.rows.as_ref()).collect();
        let joined = concat(&chunks)?;
        let ts: Vec<i64> = part.buf.segments().flat_map(|s| s.ts.iter().copied()).collect();
        // A stable sort of row numbers by timestamp: ties keep their input order.
        let mut order: Vec<u64> = (0..ts.len() as u64).collect();
        order.sort_by_key(|&i| ts[i as usize]);
        let order = UInt64Array::from(order);
        let sorted = arrow_select::take::take_record_batch(&joined, &order)
            .map_err(|e| Error::invalid("history", "reordering by ts", e.to_string()))?;
        let cols = Columns::of(&sorted, &self.spec, 0)?;
        let resident = matches!(part.cursor.rule, Rule::Budget(_));
        let prefix = running_weight(
            &self.engine,
            cols.weight.as_ref(),
            self.spec.row_weight(),
            self.spec.row_overhead,
            (0, 0),
            resident,
        )?;
        let mut buf = Buffer::default();
        buf.push(Segment::new(0, cols.ts, prefix, Some(sorted.clone()))?);
        part.buf = buf;
        part.cursor = Cursor::new(part.cursor.rule, self.spec.window_overhead);
        part.unsorted = false;
        Ok(order)
    }

    /// The windows of partition `p` that are final: at most `limit` of them, each handed to `emit` with
    /// its partition number; `ended` says no row will follow. Then releases the rows no window still to
    /// come needs (unless every row is kept). `true` when it stopped at `limit`.
    pub fn advance(
        &mut self,
        p: usize,
        ended: bool,
        limit: usize,
        mut emit: impl FnMut(&Part, Window),
    ) -> Result<bool> {
        let part = &mut self.parts[p];
        part.cursor.prepare(&self.engine, &mut part.buf, ended)?;
        let mut made = 0;
        let full = loop {
            if made == limit {
                break true;
            }
            let Some(mut w) = part.cursor.step(&part.buf, ended)? else { break false };
            w.partition = p as u64;
            emit(part, w);
            made += 1;
        };
        if !self.whole {
            let keep = part.cursor.needed_from(&part.buf);
            part.buf.release(keep);
        }
        Ok(full)
    }
}

/// Whether `ts` never goes back: a branch-free pass over blocks of adjacent pairs (it vectorizes), so
/// the common case, rows in order, costs a read of the timestamps.
fn non_decreasing(ts: &[i64]) -> bool {
    if ts.len() < 2 {
        return true;
    }
    let (a, b) = (&ts[..ts.len() - 1], &ts[1..]);
    a.chunks(1024)
        .zip(b.chunks(1024))
        .all(|(x, y)| x.iter().zip(y).fold(0u64, |back, (p, q)| back | u64::from(p > q)) == 0)
}

/// Batches joined into one (to be sorted), or an error that names the limit.
fn concat(batches: &[&RecordBatch]) -> Result<RecordBatch> {
    let Some(first) = batches.first() else {
        return Err(Error::invalid("history", "no rows", "nothing to sort"));
    };
    if batches.len() == 1 {
        return Ok((*first).clone());
    }
    let schema = first.schema();
    if let Some(b) = batches.iter().find(|b| b.schema() != schema) {
        return Err(Error::invalid(
            "history batches",
            format!("schema {:?}", b.schema().fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>()),
            "every batch must have the columns and types of the first",
        ));
    }
    arrow_select::concat::concat_batches(&Arc::clone(&schema), batches.iter().copied()).map_err(|e| {
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
