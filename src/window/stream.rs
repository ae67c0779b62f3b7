//! Streaming windows: [`WindowStream`] takes record batches in timestamp order and yields each window
//! as soon as no later row can change it, keeping only the rows that windows still to come need.

use std::collections::VecDeque;

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;

use super::output::{Window, window_table};
use super::parts::Partitions;
use super::spec::WindowSpec;
use crate::engine::Engine;
use crate::error::{Error, Result};

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

/// Windows over a stream of record batches, in timestamp order; see [`Engine::window_stream`]. It owns
/// a clone of its engine (clones share the device).
///
/// An iterator of [`StreamWindow`]s (or, through [`WindowStream::tables`], of window tables). After an
/// error it yields nothing more.
pub struct WindowStream<I> {
    parts: Partitions,
    input: I,
    ready: VecDeque<StreamWindow>,
    /// Partitions that may have final windows not yet queued, in the order they got rows.
    pending: VecDeque<usize>,
    /// No row will follow (the input said so, or returned its end).
    ended: bool,
    /// The input returned its end.
    drained: bool,
    failed: bool,
}

impl Engine {
    /// Windows over `batches`, a stream of record batches in timestamp order (per partition, when
    /// `spec.partition_by` is set), such as a `RecordBatchReader` or one of streamliner's readers. Each
    /// window comes out as soon as it is final; memory holds one batch and the rows of the windows not
    /// yet final, whatever the stream's length. The windows are those [`Engine::window`] gives on the
    /// whole history, window for window, and so are the errors: time windows past `spec.max_windows`
    /// fail as soon as a row shows it.
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
    pub fn window_stream<I, E>(&self, batches: I, spec: &WindowSpec) -> Result<WindowStream<I::IntoIter>>
    where
        I: IntoIterator<Item = std::result::Result<RecordBatch, E>>,
        E: Into<Error>,
    {
        spec.validate()?;
        spec.warn_ignored_max_window_time();
        Ok(WindowStream {
            parts: Partitions::new(self, spec, false),
            input: batches.into_iter(),
            ready: VecDeque::new(),
            pending: VecDeque::new(),
            ended: false,
            drained: false,
            failed: false,
        })
    }
}

impl<I, E> WindowStream<I>
where
    I: Iterator<Item = std::result::Result<RecordBatch, E>>,
    E: Into<Error>,
{
    /// Keeps each window's rows, for [`StreamWindow::rows`] (memory: the rows of the windows not yet
    /// final, and those of the windows the caller holds).
    pub fn with_rows(mut self) -> Self {
        self.parts.keep_rows = true;
        self
    }

    /// Names the input (e.g. the file the batches come from) in the stream's errors about its rows.
    pub fn input_name(mut self, name: impl Into<String>) -> Self {
        self.parts.input_name = Some(name.into());
        self
    }

    /// Input rows read so far.
    pub fn rows_read(&self) -> u64 {
        self.parts.rows_in
    }

    /// The windows as window tables (the columns of [`super::Windows::table`], after the partition key
    /// column when partitioned): one table for the windows each input batch makes final, at most
    /// `max_rows` windows a table.
    pub fn tables(self, max_rows: usize) -> WindowTables<I> {
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
            if !self.advance(p)? {
                self.pending.pop_front();
            }
            return Ok(true);
        }
        if self.drained {
            return Ok(false);
        }
        match self.input.next() {
            None => {
                self.drained = true;
                if !self.ended {
                    self.ended = true;
                    self.pending.extend(0..self.parts.parts.len());
                }
            }
            Some(_) if self.ended => {
                // The last windows were made final when the input said it held no more batches.
                return Err(Error::invalid(
                    "input batches",
                    format!("a batch after input row {}", self.parts.rows_in),
                    "the input said it held no more batches (its size_hint), then gave one",
                ));
            }
            Some(batch) => {
                let batch = batch.map_err(Into::into)?;
                // An input that says it holds no more (a slice, say) ends with this batch: its
                // partitions' last windows are final at once.
                let last = self.input.size_hint().1 == Some(0);
                let got = self.parts.ingest(&batch, last)?;
                if last {
                    self.ended = true;
                    self.pending.extend(0..self.parts.parts.len());
                } else {
                    self.pending.extend(got);
                }
            }
        }
        Ok(true)
    }

    /// Queues up to [`QUEUE`] final windows of partition `p`. `true` when it stopped at that bound (so
    /// more may be final: empty time windows over a long gap are made one bounded run at a time).
    fn advance(&mut self, p: usize) -> Result<bool> {
        let schema = self.parts.setup.as_ref().filter(|_| self.parts.keep_rows).map(|s| s.schema.clone());
        let keep_rows = self.parts.keep_rows;
        let ready = &mut self.ready;
        self.parts.advance(p, self.ended, QUEUE, |part, window| {
            let pieces = if keep_rows { part.buf.pieces(window.start_row, window.end_row) } else { Vec::new() };
            ready.push_back(StreamWindow { window, key: part.key.clone(), pieces, schema: schema.clone() });
        })
    }

    /// The window table of `windows`, once the first batch is read.
    fn table_of(&self, windows: &[StreamWindow]) -> Result<Option<RecordBatch>> {
        let Some(setup) = &self.parts.setup else { return Ok(None) };
        let ws: Vec<Window> = windows.iter().map(|w| w.window).collect();
        let key = match &self.parts.spec.partition_by {
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

impl<I, E> Iterator for WindowStream<I>
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
pub struct WindowTables<I> {
    stream: WindowStream<I>,
    max_rows: usize,
}

impl<I, E> WindowTables<I>
where
    I: Iterator<Item = std::result::Result<RecordBatch, E>>,
    E: Into<Error>,
{
    /// Input rows read so far.
    pub fn rows_read(&self) -> u64 {
        self.stream.rows_read()
    }
}

impl<I, E> Iterator for WindowTables<I>
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
