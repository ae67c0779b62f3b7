//! Streaming windows: [`WindowStream`] takes record batches in timestamp order and yields each window
//! as soon as no later row can change it, keeping only the rows that windows still to come need.

use std::collections::{HashMap, VecDeque};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow_buffer::ScalarBuffer;
use arrow_schema::{DataType, SchemaRef, TimeUnit};

use super::bytes::ByteParams;
use super::chain::{Buffer, Chain, Rule, Segment};
use super::history::per_second;
use super::output::{Window, window_table};
use super::spec::{Semantics, StepUnit, WindowSpec};
use super::time;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::kernels::strings::lengths;

/// The most windows one partition queues at a time.
const QUEUE: usize = 1024;

/// A window of a stream, with its partition's key and, when asked for, its rows.
#[derive(Clone, Debug)]
pub struct StreamWindow {
    /// The window; rows are numbered from 0 in its partition (the whole stream when not partitioned).
    pub window: Window,
    /// The partition's key (one row of the key column), when windows are partitioned.
    pub key: Option<ArrayRef>,
    pieces: Vec<RecordBatch>,
    schema: Option<SchemaRef>,
}

impl StreamWindow {
    /// The window's rows: a zero-copy slice of an input batch when the window lies in one, else the
    /// slices concatenated. (With partitions, each partition's rows are copied out of the input
    /// batches first.)
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the stream was not asked for rows ([`WindowStream::with_rows`]).
    pub fn rows(&self) -> Result<RecordBatch> {
        let Some(schema) = &self.schema else {
            return Err(Error::invalid("rows", "not kept", "ask the stream for rows with WindowStream::with_rows"));
        };
        match self.pieces.as_slice() {
            [] => Ok(RecordBatch::new_empty(schema.clone())),
            [one] => Ok(one.clone()),
            many => arrow_select::concat::concat_batches(schema, many)
                .map_err(|e| Error::invalid("window rows", self.window.index, e.to_string())),
        }
    }
}

/// One partition's rows and chain.
struct Part {
    buf: Buffer,
    chain: Chain,
    key: Option<ArrayRef>,
    last_ts: Option<i64>,
}

/// What the first batch fixes: the timestamp type and the chain's rule.
struct Setup {
    ts_type: DataType,
    rule: Rule,
    schema: SchemaRef,
}

/// Windows over a stream of record batches, in timestamp order; see [`Engine::window_stream`].
///
/// An iterator of [`StreamWindow`]s (or, through [`WindowStream::tables`], of window tables). After an
/// error it yields nothing more.
pub struct WindowStream<'e, I> {
    engine: &'e Engine,
    spec: WindowSpec,
    input: I,
    keep_rows: bool,
    setup: Option<Setup>,
    parts: Vec<Part>,
    keys: HashMap<Vec<u8>, usize>,
    ready: VecDeque<StreamWindow>,
    /// Partitions that may have final windows not yet queued, in the order they got rows.
    pending: VecDeque<usize>,
    rows_in: u64,
    ended: bool,
    failed: bool,
    /// The input's name (a file) for errors, when given.
    input_name: Option<String>,
}

impl Engine {
    /// Windows over `batches`, a stream of record batches in timestamp order (per partition, when
    /// `spec.partition_by` is set), such as a `RecordBatchReader` or one of streamliner's readers. Each
    /// window comes out as soon as it is final; memory holds one batch and the rows of the windows not
    /// yet final, whatever the stream's length. The windows are those [`Engine::window`] gives on the
    /// whole history, window for window.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for bad parameters, here; while streaming (as items), the errors
    /// of [`Engine::window`], [`Error::OutOfOrder`] naming the first row that goes back in time, and
    /// the input's own errors.
    ///
    /// # Example
    /// ```
    /// use std::sync::Arc;
    /// use arrow_array::{RecordBatch, StringArray, TimestampMicrosecondArray};
    /// use streamliner::{Engine, window::WindowSpec};
    ///
    /// let hour = 3_600_000_000i64;
    /// let batch = |from: i64, n: i64| {
    ///     let ts = TimestampMicrosecondArray::from((from..from + n).map(|i| i * hour).collect::<Vec<_>>());
    ///     let text = StringArray::from((from..from + n).map(|i| format!("message_{i}")).collect::<Vec<_>>());
    ///     RecordBatch::try_from_iter([("ts", Arc::new(ts) as _), ("text", Arc::new(text) as _)])
    /// };
    /// let engine = Engine::from_env()?;
    /// let stream = engine.window_stream([batch(0, 4), batch(4, 6)], &WindowSpec::messages(3).overlap(0.0))?;
    /// let sizes = stream.map(|w| w.map(|w| w.window.size())).collect::<Result<Vec<_>, _>>()?;
    /// assert_eq!(sizes, [3, 3, 3, 1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn window_stream<I, E>(&self, batches: I, spec: &WindowSpec) -> Result<WindowStream<'_, I::IntoIter>>
    where
        I: IntoIterator<Item = std::result::Result<RecordBatch, E>>,
        E: Into<Error>,
    {
        spec.validate()?;
        warn_ignored_max_window_time(spec);
        Ok(WindowStream {
            engine: self,
            spec: spec.clone(),
            input: batches.into_iter(),
            keep_rows: false,
            setup: None,
            parts: Vec::new(),
            keys: HashMap::new(),
            ready: VecDeque::new(),
            pending: VecDeque::new(),
            rows_in: 0,
            ended: false,
            failed: false,
            input_name: None,
        })
    }
}

/// Logs that `max_window_time` does not apply to the spec's window kind.
pub(crate) fn warn_ignored_max_window_time(spec: &WindowSpec) {
    if spec.max_window_time.is_some()
        && (spec.step_unit == StepUnit::Messages
            || (spec.step_unit == StepUnit::Bytes && spec.semantics == Semantics::Egregora))
    {
        log::warn!(
            "streamliner: max_window_time does not apply to {} windows under {:?} semantics; ignored",
            spec.step_unit,
            spec.semantics
        );
    }
}

/// The chain rule of `spec` for timestamps in `unit`.
pub(crate) fn rule(spec: &WindowSpec, unit: TimeUnit) -> Result<Rule> {
    let ratio = spec.ratio();
    Ok(match spec.step_unit {
        StepUnit::Messages => Rule::Count {
            step: spec.step_size,
            overlap: (spec.step_size as f64 * ratio).floor() as u64,
            semantics: spec.semantics,
        },
        StepUnit::Hours | StepUnit::Days => {
            let delta = time::step_units(
                spec.step_size,
                spec.step_unit == StepUnit::Days,
                per_second(unit),
                ratio,
                spec.max_window_time,
            )?;
            Rule::Time { delta, ov: time::mul_ratio(delta, ratio), skip_empty: spec.skip_empty_windows }
        }
        StepUnit::Bytes => Rule::Bytes { p: byte_params(spec, unit), semantics: spec.semantics },
    })
}

/// Budget, overlap and (strict semantics) time limit of byte windows.
pub(crate) fn byte_params(spec: &WindowSpec, unit: TimeUnit) -> ByteParams {
    let max_time = match (spec.semantics, spec.max_window_time) {
        (Semantics::Strict, Some(d)) => {
            let units = d.as_nanos() / (1_000_000_000 / per_second(unit) as u128);
            Some(u64::try_from(units).unwrap_or(u64::MAX))
        }
        _ => None,
    };
    ByteParams {
        max: spec.max_bytes_per_window,
        overlap: (spec.max_bytes_per_window as f64 * spec.ratio()).floor() as u64,
        max_time,
    }
}

/// The timestamps of `a` (any unit), zero-copy, and their unit.
fn ts_values(a: &dyn Array, name: &str) -> Result<(ScalarBuffer<i64>, TimeUnit)> {
    let DataType::Timestamp(unit, _) = a.data_type() else {
        return Err(Error::invalid(
            "timestamp column type",
            format!("{name}: {}", a.data_type()),
            "expected an Arrow timestamp (any unit)",
        ));
    };
    let data = a.to_data();
    let buffer = data.buffers().first().cloned().ok_or_else(|| Error::invalid("ts column", name, "has no values"))?;
    Ok((ScalarBuffer::new(buffer, data.offset(), data.len()), *unit))
}

/// A partition key column: each row's key as bytes (a tag, then the value).
enum Keys<'a> {
    Str(Box<dyn Fn(usize) -> &'a [u8] + 'a>),
    Int(Box<dyn Fn(usize) -> i128 + 'a>),
}

fn keys<'a>(col: &'a dyn Array, name: &str) -> Result<Keys<'a>> {
    macro_rules! int {
        ($t:ty) => {{
            let a = col.as_primitive::<$t>();
            Keys::Int(Box::new(move |i| i128::from(a.value(i))))
        }};
    }
    Ok(match col.data_type() {
        DataType::Utf8 => {
            let a = col.as_string::<i32>();
            Keys::Str(Box::new(move |i| a.value(i).as_bytes()))
        }
        DataType::LargeUtf8 => {
            let a = col.as_string::<i64>();
            Keys::Str(Box::new(move |i| a.value(i).as_bytes()))
        }
        DataType::Utf8View => {
            let a = col.as_string_view();
            Keys::Str(Box::new(move |i| a.value(i).as_bytes()))
        }
        DataType::Int8 => int!(Int8Type),
        DataType::Int16 => int!(Int16Type),
        DataType::Int32 => int!(Int32Type),
        DataType::Int64 => int!(Int64Type),
        DataType::UInt8 => int!(UInt8Type),
        DataType::UInt16 => int!(UInt16Type),
        DataType::UInt32 => int!(UInt32Type),
        DataType::UInt64 => int!(UInt64Type),
        other => {
            return Err(Error::invalid(
                "partition column type",
                format!("{name}: {other}"),
                "expected a string (Utf8, LargeUtf8, Utf8View) or integer column",
            ));
        }
    })
}

/// Row `i`'s key bytes in `scratch`: a tag (0 null, 1 value) then the value.
fn key_of<'s>(col: &dyn Array, keys: &Keys<'_>, i: usize, scratch: &'s mut Vec<u8>) -> &'s [u8] {
    scratch.clear();
    if col.is_null(i) {
        scratch.push(0);
    } else {
        scratch.push(1);
        match keys {
            Keys::Str(f) => scratch.extend_from_slice(f(i)),
            Keys::Int(f) => scratch.extend_from_slice(&f(i).to_le_bytes()),
        }
    }
    scratch
}

/// Each row's partition number, and the (partition, first row) of the partitions first seen here.
pub(crate) type PartitionIds = (Vec<usize>, Vec<(usize, usize)>);

/// For each row of `col`, its partition's number, giving new keys the next numbers (in order of first
/// appearance) and recording them in `map`; returns the numbers of the new partitions' first rows too.
pub(crate) fn partition_ids(col: &dyn Array, name: &str, map: &mut HashMap<Vec<u8>, usize>) -> Result<PartitionIds> {
    let keys = keys(col, name)?;
    let mut scratch = Vec::new();
    let mut fresh = Vec::new();
    let ids = (0..col.len())
        .map(|i| {
            let k = key_of(col, &keys, i, &mut scratch);
            match map.get(k) {
                Some(&p) => p,
                None => {
                    let p = map.len();
                    map.insert(k.to_vec(), p);
                    fresh.push((p, i));
                    p
                }
            }
        })
        .collect();
    Ok((ids, fresh))
}

/// Row `i` of `col` as a one-row array (a copy, so it holds no input buffer).
pub(crate) fn key_row(col: &dyn Array, i: usize) -> Result<ArrayRef> {
    arrow_select::take::take(col, &UInt32Array::from(vec![i as u32]), None)
        .map_err(|e| Error::invalid("partition key", i, e.to_string()))
}

/// Column `name` of `batch`, or an error listing the columns it has.
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

impl<'e, I, E> WindowStream<'e, I>
where
    I: Iterator<Item = std::result::Result<RecordBatch, E>>,
    E: Into<Error>,
{
    /// Keeps each window's rows, for [`StreamWindow::rows`] (memory: the rows of the windows not yet
    /// final, and those of the windows the caller holds).
    pub fn with_rows(mut self) -> Self {
        self.keep_rows = true;
        self
    }

    /// Names the input (e.g. the file the batches come from) in the stream's errors about its rows.
    pub fn input_name(mut self, name: impl Into<String>) -> Self {
        self.input_name = Some(name.into());
        self
    }

    /// Input rows read so far.
    pub fn rows_read(&self) -> u64 {
        self.rows_in
    }

    /// The windows as window tables (the columns of [`super::Windows::table`], after the partition key
    /// column when partitioned): one table for the windows each input batch makes final, at most
    /// `max_rows` windows a table.
    pub fn tables(self, max_rows: usize) -> WindowTables<'e, I> {
        WindowTables { stream: self, max_rows: max_rows.max(1) }
    }

    fn fail<T>(&mut self, e: Error) -> Option<Result<T>> {
        self.failed = true;
        Some(Err(e))
    }

    /// One step of work: queues some final windows of a pending partition, or reads the next input
    /// batch (or notes the end). `false` when there is nothing left to do.
    fn work(&mut self) -> Result<bool> {
        if let Some(&p) = self.pending.front() {
            if !self.advance(p) {
                self.pending.pop_front();
            }
            return Ok(true);
        }
        if self.ended {
            return Ok(false);
        }
        self.pull()?;
        Ok(true)
    }

    /// Reads the next input batch (or notes the end); the partitions it gives rows become pending.
    fn pull(&mut self) -> Result<()> {
        match self.input.next() {
            None => {
                self.ended = true;
                self.pending.extend(0..self.parts.len());
            }
            Some(batch) => {
                let batch = batch.map_err(Into::into)?;
                self.ingest(&batch)?;
            }
        }
        Ok(())
    }

    fn ingest(&mut self, batch: &RecordBatch) -> Result<()> {
        let spec = self.spec.clone();
        let spec = &spec;
        let ts_col = column(batch, &spec.ts_column, "ts column")?;
        let text_col = column(batch, &spec.text_column, "text column")?;
        if !crate::kernels::strings::is_text_type(text_col.data_type()) {
            return Err(Error::invalid(
                "text column type",
                format!("{}: {}", spec.text_column, text_col.data_type()),
                crate::kernels::strings::TEXT_TYPES,
            ));
        }
        let (ts, unit) = ts_values(ts_col.as_ref(), &spec.ts_column)?;
        match &self.setup {
            None => {
                self.setup =
                    Some(Setup { ts_type: ts_col.data_type().clone(), rule: rule(spec, unit)?, schema: batch.schema() })
            }
            Some(s) if s.ts_type != *ts_col.data_type() => {
                return Err(Error::invalid(
                    "ts column type",
                    format!("{}: {} at input row {}", spec.ts_column, ts_col.data_type(), self.rows_in),
                    format!("earlier batches had {}", s.ts_type),
                ));
            }
            Some(_) => {}
        }
        if let Some(row) = ts_col.nulls().and_then(|n| n.iter().position(|ok| !ok)) {
            return Err(Error::NullValue {
                what: format!("ts column {:?}", spec.ts_column),
                row: self.rows_in + row as u64,
            });
        }
        let lens = lengths(self.engine, text_col.as_ref(), spec.unit())?;
        let lens = lens.values();
        let first_row = self.rows_in;
        self.rows_in += batch.num_rows() as u64;
        let Some(pcol) = spec.partition_by.clone() else {
            if self.parts.is_empty() {
                self.new_part(None);
            }
            let rows = self.keep_rows.then(|| batch.clone());
            self.append(0, ts, lens, rows, |j| first_row + j as u64)?;
            self.pending.push_back(0);
            return Ok(());
        };
        let key_col = column(batch, &pcol, "partition column")?;
        let (ids, fresh) = partition_ids(key_col.as_ref(), &pcol, &mut self.keys)?;
        for (p, row) in fresh {
            let key = key_row(key_col.as_ref(), row)?;
            debug_assert_eq!(p, self.parts.len());
            self.new_part(Some(key));
        }
        // Rows of each partition, in input order.
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
        for p in order {
            let idx = members.remove(&p).unwrap_or_default();
            let part_ts: Vec<i64> = idx.iter().map(|&i| ts[i as usize]).collect();
            let part_lens: Vec<u64> = idx.iter().map(|&i| lens[i as usize]).collect();
            let input_row = |j: usize| first_row + u64::from(idx[j]);
            let rows = match self.keep_rows {
                true => Some(
                    arrow_select::take::take_record_batch(batch, &UInt32Array::from(idx.clone()))
                        .map_err(|e| Error::invalid("partition rows", &pcol, e.to_string()))?,
                ),
                false => None,
            };
            self.append(p, ScalarBuffer::from(part_ts), &part_lens, rows, input_row)?;
            self.pending.push_back(p);
        }
        Ok(())
    }

    fn new_part(&mut self, key: Option<ArrayRef>) {
        let Some(setup) = &self.setup else { return };
        self.parts.push(Part { buf: Buffer::default(), chain: Chain::new(setup.rule), key, last_ts: None });
    }

    /// Appends rows to partition `p` after checking their order; `input_row(j)` names row `j` in errors.
    fn append(
        &mut self,
        p: usize,
        ts: ScalarBuffer<i64>,
        lens: &[u64],
        rows: Option<RecordBatch>,
        input_row: impl Fn(usize) -> u64,
    ) -> Result<()> {
        let unit = match self.setup.as_ref().map(|s| &s.ts_type) {
            Some(DataType::Timestamp(unit, _)) => *unit,
            _ => TimeUnit::Microsecond,
        };
        let part = &mut self.parts[p];
        let mut previous = part.last_ts;
        for (j, &t) in ts.iter().enumerate() {
            if let Some(prev) = previous
                && t < prev
            {
                let mut what = format!("ts column {:?}", self.spec.ts_column);
                if let (Some(col), Some(key)) = (&self.spec.partition_by, &part.key) {
                    let shown = key_display(key.as_ref());
                    what = format!("{what} in partition {col} = {shown}");
                }
                let input = self.input_name.clone();
                return Err(Error::OutOfOrder { input, what, row: input_row(j), ts: t, previous: prev, unit });
            }
            previous = Some(t);
        }
        part.last_ts = previous;
        let mut prefix = Vec::with_capacity(lens.len() + 1);
        let mut acc = part.buf.total;
        prefix.push(acc);
        for &l in lens {
            acc = acc.saturating_add(l);
            prefix.push(acc);
        }
        part.buf.push(Segment { start: part.buf.end, ts, prefix, rows });
        Ok(())
    }

    /// Queues up to [`QUEUE`] final windows of partition `p`, then releases the rows no window still
    /// to come needs. `true` when it stopped at that bound (so more may be final: empty time windows
    /// over a long gap are made one bounded run at a time, never all at once).
    fn advance(&mut self, p: usize) -> bool {
        let schema = self.setup.as_ref().filter(|_| self.keep_rows).map(|s| s.schema.clone());
        let part = &mut self.parts[p];
        let mut queued = 0;
        let full = loop {
            if queued == QUEUE {
                break true;
            }
            let Some(mut w) = part.chain.step(&part.buf, self.ended) else { break false };
            w.partition = p as u64;
            let pieces = if self.keep_rows { part.buf.pieces(w.start_row, w.end_row) } else { Vec::new() };
            self.ready.push_back(StreamWindow { window: w, key: part.key.clone(), pieces, schema: schema.clone() });
            queued += 1;
        };
        let keep = part.chain.needed_from(&part.buf);
        part.buf.release(keep);
        full
    }

    /// The timestamp type and partition key column of the windows, once the first batch is read.
    fn table_of(&self, windows: &[StreamWindow]) -> Result<Option<RecordBatch>> {
        let Some(setup) = &self.setup else { return Ok(None) };
        let ws: Vec<Window> = windows.iter().map(|w| w.window).collect();
        let key = match &self.spec.partition_by {
            Some(name) => {
                let keys: Vec<&dyn Array> = windows.iter().filter_map(|w| w.key.as_deref()).collect();
                let col = arrow_select::concat::concat(&keys)
                    .map_err(|e| Error::invalid("partition keys", name, e.to_string()))?;
                Some((name.as_str(), col))
            }
            None => None,
        };
        window_table(&ws, &setup.ts_type, key).map(Some)
    }
}

/// A short display of a one-row key array, for error messages.
fn key_display(a: &dyn Array) -> String {
    if a.is_null(0) {
        return "null".into();
    }
    match keys(a, "") {
        Ok(Keys::Str(f)) => {
            format!("{:?}", crate::error::excerpt(&String::from_utf8_lossy(f(0))))
        }
        Ok(Keys::Int(f)) => f(0).to_string(),
        Err(_) => "?".into(),
    }
}

impl<I, E> Iterator for WindowStream<'_, I>
where
    I: Iterator<Item = std::result::Result<RecordBatch, E>>,
    E: Into<Error>,
{
    type Item = Result<StreamWindow>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.failed {
                return None;
            }
            if let Some(w) = self.ready.pop_front() {
                return Some(Ok(w));
            }
            match self.work() {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => return self.fail(e),
            }
        }
    }
}

/// Window tables from a [`WindowStream`]: see [`WindowStream::tables`].
pub struct WindowTables<'e, I> {
    stream: WindowStream<'e, I>,
    max_rows: usize,
}

impl<I, E> WindowTables<'_, I>
where
    I: Iterator<Item = std::result::Result<RecordBatch, E>>,
    E: Into<Error>,
{
    /// Input rows read so far.
    pub fn rows_read(&self) -> u64 {
        self.stream.rows_in
    }
}

impl<I, E> Iterator for WindowTables<'_, I>
where
    I: Iterator<Item = std::result::Result<RecordBatch, E>>,
    E: Into<Error>,
{
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        let s = &mut self.stream;
        loop {
            if s.failed {
                return None;
            }
            // A table holds the windows the last input batch made final (all of them queued: no
            // partition pending), or `max_rows` of them.
            let done = if !s.ready.is_empty() && (s.ready.len() >= self.max_rows || s.pending.is_empty()) {
                true
            } else {
                match s.work() {
                    Ok(more) => !more,
                    Err(e) => return s.fail(e),
                }
            };
            if done {
                if s.ready.is_empty() {
                    return None;
                }
                let take = s.ready.len().min(self.max_rows);
                let windows: Vec<StreamWindow> = s.ready.drain(..take).collect();
                return match s.table_of(&windows) {
                    Ok(Some(t)) => Some(Ok(t)),
                    Ok(None) => None,
                    Err(e) => s.fail(e),
                };
            }
        }
    }
}
