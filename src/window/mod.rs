//! Windows over message histories: by message count, by time span, or by a budget of weight, under the
//! existing pipeline's semantics ([`Semantics::Egregora`]) or fixed ones ([`Semantics::Strict`]). The
//! rules are in `docs/windows.md`.
//!
//! One engine: the batches of a history are ingested by partition into row buffers (`parts.rs`:
//! columns checked once, the running [`Weight`] computed once per batch), and each window rule
//! (`count.rs`, `time.rs`, `budget.rs`) steps over a buffer (`buffer.rs`). [`Engine::window_stream`] steps
//! as batches arrive; [`Engine::window`] and [`Engine::window_batches`] run the same schedule over the
//! batches they are given, keeping every row, and window again, sorted, a partition whose rows come out
//! of timestamp order. Windowing knows nothing of GPUs: it calls the kernels, which run on whatever the
//! [`Engine`] runs on.

mod budget;
mod buffer;
mod count;
mod input;
mod keys;
mod output;
mod parts;
mod pos;
mod rule;
mod spec;
mod stream;
mod time;
mod weight;

use output::PartRows;
pub use output::{Window, Windows};
pub use spec::{DEFAULT_MAX_WINDOWS, Semantics, StepUnit, WindowSpec, parse_duration};
pub use stream::{StreamWindow, WindowStream, WindowTables};
pub use weight::Weight;

use arrow_array::{RecordBatch, UInt64Array};
use arrow_schema::{DataType, TimeUnit};

use crate::engine::Engine;
use crate::error::Result;
use parts::Partitions;

impl Engine {
    /// Cuts `history` (a table with a timestamp column and a string column, named in `spec`) into
    /// windows. Rows are ordered by timestamp, ties in input order; the windows name rows in that order
    /// and [`Windows::input_row`] maps them back. With `spec.partition_by`, each value of that column
    /// is windowed on its own (see [`Engine::window_batches`]).
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for bad parameters, a missing column or a column of the wrong
    /// type; [`crate::Error::NullValue`] naming the first row with a null timestamp;
    /// [`crate::Error::LimitExceeded`] for a time step too short for the history's span (more than
    /// `spec.max_windows` windows); [`crate::Error::Gpu`] when the device fails.
    ///
    /// # Example
    /// ```
    /// use std::sync::Arc;
    /// use arrow_array::{RecordBatch, StringArray, TimestampMicrosecondArray};
    /// use streamliner::{Engine, window::WindowSpec};
    ///
    /// let hour = 3_600_000_000i64;
    /// let ts = TimestampMicrosecondArray::from((0..10).map(|i| i * hour).collect::<Vec<_>>()).with_timezone("UTC");
    /// let text = StringArray::from((0..10).map(|i| format!("message_{i}")).collect::<Vec<_>>());
    /// let history = RecordBatch::try_from_iter([("ts", Arc::new(ts) as _), ("text", Arc::new(text) as _)])?;
    ///
    /// let engine = Engine::from_env()?;
    /// let windows = engine.window(&history, &WindowSpec::messages(3).overlap(0.0))?;
    /// let sizes: Vec<u64> = windows.windows().iter().map(|w| w.size()).collect();
    /// assert_eq!(sizes, [3, 3, 3, 1]);
    /// assert_eq!(windows.rows(&windows.windows()[3])?.num_rows(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn window(&self, history: &RecordBatch, spec: &WindowSpec) -> Result<Windows> {
        self.window_batches(std::slice::from_ref(history), spec)
    }

    /// Cuts a history held as several batches (as DuckDB, Polars and Parquet hand them out) into
    /// windows, without concatenating them: when the batches are in timestamp order, windows are
    /// computed across them and a window's rows are a zero-copy slice of the batch that holds them
    /// (concatenated only when a window spans batches); otherwise the batches are joined and sorted.
    ///
    /// With `spec.partition_by`, each value of that column (one chat or group) is windowed on its own:
    /// windows are numbered within their partition, [`Window::partition`] says which (in order of first
    /// appearance), the table starts with the key column, and rows are numbered within the partition.
    ///
    /// # Errors
    /// As [`Engine::window`]; also [`crate::Error::InvalidParameter`] for batches whose columns differ,
    /// or a partition column that is missing or of a type other than string or integer.
    ///
    /// # Example
    /// ```
    /// use std::sync::Arc;
    /// use arrow_array::{RecordBatch, StringArray, TimestampMicrosecondArray};
    /// use streamliner::{Engine, window::WindowSpec};
    ///
    /// let hour = 3_600_000_000i64;
    /// let batch = |chat: &str, hours: &[i64]| {
    ///     let ts = TimestampMicrosecondArray::from(hours.iter().map(|h| h * hour).collect::<Vec<_>>());
    ///     let text = StringArray::from(vec!["hi"; hours.len()]);
    ///     let chat = StringArray::from(vec![chat; hours.len()]);
    ///     RecordBatch::try_from_iter([("ts", Arc::new(ts) as _), ("text", Arc::new(text) as _), ("chat", Arc::new(chat) as _)])
    /// };
    /// let batches = [batch("a", &[0, 1, 2])?, batch("b", &[0, 5])?, batch("a", &[3, 4])?];
    /// let engine = Engine::from_env()?;
    /// let windows = engine.window_batches(&batches, &WindowSpec::messages(2).overlap(0.0).partition_by("chat"))?;
    /// let sizes: Vec<(u64, u64)> = windows.windows().iter().map(|w| (w.partition, w.size())).collect();
    /// assert_eq!(sizes, [(0, 2), (0, 2), (0, 1), (1, 2)]);
    /// assert_eq!(windows.rows(&windows.windows()[1])?.num_rows(), 2); // rows 2 and 3 of chat "a"
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn window_batches(&self, batches: &[RecordBatch], spec: &WindowSpec) -> Result<Windows> {
        spec.validate()?;
        spec.warn_ignored_max_window_time();
        let mut all = Partitions::new(self, spec, true);
        // The stream's schedule: after each batch, the windows it makes final, while its rows are in cache.
        // A partition whose rows come out of order waits, to be sorted at the end.
        let last = batches.iter().rposition(|b| b.num_rows() > 0).unwrap_or(0);
        let mut found: Vec<Vec<Window>> = Vec::new();
        for (i, b) in batches.iter().enumerate() {
            for p in all.ingest(b, i >= last)? {
                found.resize_with(all.parts.len(), Vec::new);
                if !all.parts[p].unsorted {
                    all.advance(p, i >= last, usize::MAX, |_, w| found[p].push(w))?;
                }
            }
        }
        found.resize_with(all.parts.len(), Vec::new);
        let mut windows = Vec::new();
        let mut rows = Vec::with_capacity(all.parts.len());
        for (p, mut ws) in found.into_iter().enumerate() {
            // A partition whose rows came out of order is sorted (sorted row -> partition row) and windowed
            // again from its start.
            let order = if all.parts[p].unsorted {
                ws.clear();
                Some(all.sort(p)?)
            } else {
                None
            };
            all.advance(p, true, usize::MAX, |_, w| ws.push(w))?;
            windows.append(&mut ws);
            let part = &mut all.parts[p];
            let input_rows = std::mem::take(&mut part.input_rows);
            let permutation = match (order, part.key.is_some()) {
                (Some(o), false) => Some(o),
                (Some(o), true) => {
                    Some(UInt64Array::from_iter_values(o.values().iter().map(|&r| input_rows[r as usize])))
                }
                (None, true) => Some(UInt64Array::from(input_rows)),
                (None, false) => None,
            };
            let chunks = part.buf.segments().filter_map(|s| s.rows.clone()).collect();
            let schema = all.setup.as_ref().map(|s| s.schema.clone()).unwrap_or_else(|| PartRows::empty().schema);
            rows.push(PartRows { chunks, permutation, key: part.key.clone(), schema });
        }
        let ts_type = match &all.setup {
            Some(s) => s.ts_type.clone(),
            None => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        };
        if rows.is_empty() && spec.partition_by.is_none() {
            rows.push(PartRows::empty());
        }
        Windows::new(windows, rows, &ts_type, spec.partition_by.as_deref(), spec, self)
    }
}
