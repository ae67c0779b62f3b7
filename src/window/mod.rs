//! Windows over message histories: by message count, by time span, or by a text budget, under the
//! existing pipeline's semantics ([`Semantics::Egregora`]) or fixed ones ([`Semantics::Strict`]).
//! The rules are in `docs/windows.md`.
//!
//! Windowing knows nothing of GPUs: it composes the kernels (prefix sums, batched searches,
//! elementwise operations), which run on whatever the [`Engine`] runs on.

mod bytes;
mod chain;
mod count;
mod history;
mod output;
mod partition;
mod spec;
mod stream;
mod time;

use output::PartRows;
pub use output::{Window, Windows};
pub use spec::{DEFAULT_MAX_WINDOWS, Semantics, StepUnit, WindowSpec, parse_duration};
pub use stream::{StreamWindow, WindowStream, WindowTables};

use arrow_array::RecordBatch;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::kernels::search::{Bound, Check, search_sorted};
use crate::kernels::strings::{LengthUnit, TextParts, parts_prefix, text_parts};
use crate::kernels::time::ordered;
use bytes::ByteParams;
use history::{History, per_second};

/// The prefix length at each row position (`0..=n`), in `unit`.
fn prefix_at(engine: &Engine, parts: &TextParts<'_>, unit: LengthUnit, positions: &[u64]) -> Result<Vec<u64>> {
    let bytes: Vec<u64> = positions.iter().map(|&p| parts.offsets[p as usize]).collect();
    match unit {
        LengthUnit::Utf8Bytes => Ok(bytes),
        LengthUnit::CodePoints => crate::kernels::strings::char_positions(engine, &parts.values, &bytes),
    }
}

/// Windows from row ranges: times are the first and last message's, units from the text.
fn from_rows(
    engine: &Engine,
    hist: &History<'_>,
    parts: &TextParts<'_>,
    unit: LengthUnit,
    ranges: &[(u64, u64)],
) -> Result<Vec<Window>> {
    let positions: Vec<u64> = ranges.iter().flat_map(|&(s, e)| [s, e]).collect();
    let prefix = prefix_at(engine, parts, unit, &positions)?;
    Ok(ranges
        .iter()
        .enumerate()
        .map(|(i, &(s, e))| row_window(hist, i, s, e, prefix[2 * i + 1] - prefix[2 * i]))
        .collect())
}

/// Window `i` of rows `s..e` (non-empty): times are the first and last message's.
fn row_window(hist: &History<'_>, i: usize, s: u64, e: u64, units: u64) -> Window {
    Window {
        index: i as u64,
        partition: 0,
        start_row: s,
        end_row: e,
        start_time: hist.ts[s as usize],
        end_time: hist.ts[e as usize - 1],
        units,
    }
}

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
        stream::warn_ignored_max_window_time(spec);
        let ts_type = partition::ts_type(batches, &spec.ts_column)?;
        let Some(key_name) = &spec.partition_by else {
            let (windows, part) = self.window_part(batches, spec)?;
            return Windows::new(windows, vec![part], &ts_type, None, spec);
        };
        let mut windows = Vec::new();
        let mut parts = Vec::new();
        for (p, split) in partition::split(batches, key_name)?.into_iter().enumerate() {
            let (ws, mut part) = self.window_part(&split.chunks, spec)?;
            windows.extend(ws.into_iter().map(|w| Window { partition: p as u64, ..w }));
            part.permutation = Some(partition::compose(part.permutation.as_ref(), &split.input_rows));
            part.key = Some(split.key);
            parts.push(part);
        }
        Windows::new(windows, parts, &ts_type, Some(key_name), spec)
    }

    /// The windows of one partition held as `chunks`.
    fn window_part(&self, chunks: &[RecordBatch], spec: &WindowSpec) -> Result<(Vec<Window>, PartRows)> {
        let nonempty: Vec<&RecordBatch> = chunks.iter().filter(|b| b.num_rows() > 0).collect();
        let schema_of = |b: &RecordBatch| b.schema();
        if nonempty.len() > 1 && partition::sorted_across(&nonempty, &spec.ts_column)? {
            let single = WindowSpec { partition_by: None, ..spec.clone() };
            let timed = matches!(spec.step_unit, StepUnit::Hours | StepUnit::Days);
            let mut windows = Vec::new();
            for w in self.window_stream(nonempty.iter().map(|b| Ok::<_, Error>((*b).clone())), &single)? {
                windows.push(w?.window);
                if timed && windows.len() as u64 > spec.max_windows {
                    return Err(Error::LimitExceeded {
                        what: "number of time windows (the step is short for the history's span: skip empty \
                               windows, raise max_windows, or stream the windows)"
                            .into(),
                        value: windows.len() as u64,
                        limit: spec.max_windows,
                    });
                }
            }
            let chunks: Vec<RecordBatch> = nonempty.into_iter().cloned().collect();
            let schema = schema_of(&chunks[0]);
            return Ok((windows, PartRows { chunks, permutation: None, key: None, schema }));
        }
        let joined;
        let batch = match nonempty.as_slice() {
            [] => match chunks.first() {
                Some(b) => b,
                None => return Ok((Vec::new(), PartRows::empty())),
            },
            [one] => *one,
            many => {
                joined = partition::concat(many)?;
                &joined
            }
        };
        let (windows, hist) = self.window_one(batch, spec)?;
        let schema = schema_of(&hist.batch);
        let part = PartRows { chunks: vec![hist.batch.into_owned()], permutation: hist.permutation, key: None, schema };
        Ok((windows, part))
    }

    /// The windows of one batch (sorted here when it is not), before partitions are numbered.
    fn window_one<'h>(&self, history: &'h RecordBatch, spec: &WindowSpec) -> Result<(Vec<Window>, History<'h>)> {
        let hist = History::new(history, &spec.ts_column, &spec.text_column)?;
        let unit = spec.unit();
        let ratio = spec.ratio();
        let n = hist.len();
        if n == 0 {
            return Ok((Vec::new(), hist));
        }
        let parts = text_parts(hist.text.as_ref())?;
        let windows = match spec.step_unit {
            StepUnit::Messages => {
                let ranges = count::count_windows(n as u64, spec.step_size, ratio, spec.semantics);
                from_rows(self, &hist, &parts, unit, &ranges)?
            }
            StepUnit::Hours | StepUnit::Days => {
                let ps = per_second(hist.unit);
                let delta = time::step_units(
                    spec.step_size,
                    spec.step_unit == StepUnit::Days,
                    ps,
                    ratio,
                    spec.max_window_time,
                )?;
                let ov = time::mul_ratio(delta, ratio);
                if spec.skip_empty_windows {
                    // Only the windows that hold rows: the chain jumps over the empty ones.
                    let prefix = parts_prefix(self, &parts, unit)?.to_vec()?;
                    let rule = chain::Rule::Time { delta, ov, skip_empty: true };
                    let windows = chain::run(rule, &hist.ts, prefix);
                    return Ok((windows, hist));
                }
                let bounds = time::time_bounds(hist.ts[0], hist.ts[n - 1], delta, ov, spec.max_windows)?;
                // The timestamps are searched as they are (i64), the bounds sorted: a merge on the CPU.
                let queries: Vec<i64> = bounds.iter().flat_map(|&(lo, hi)| [lo, hi]).collect();
                let mut rows = search_sorted(self, &hist.ts, &queries, Bound::Lower, Check::Trust)?;
                // A bound past i64::MAX is clamped to it: such a window reaches the last row, a timestamp
                // at i64::MAX included.
                for (i, &(lo, _)) in bounds.iter().enumerate() {
                    if i128::from(lo) + i128::from(delta) + i128::from(ov) > i128::from(i64::MAX) {
                        rows[2 * i + 1] = n as u64;
                    }
                }
                let prefix = prefix_at(self, &parts, unit, &rows)?;
                bounds
                    .iter()
                    .enumerate()
                    .map(|(i, &(lo, hi))| Window {
                        index: i as u64,
                        partition: 0,
                        start_row: rows[2 * i],
                        end_row: rows[2 * i + 1],
                        start_time: lo,
                        end_time: hi,
                        units: prefix[2 * i + 1] - prefix[2 * i],
                    })
                    .collect()
            }
            StepUnit::Bytes => {
                let max_time = match (spec.semantics, spec.max_window_time) {
                    (Semantics::Strict, Some(d)) => {
                        let units = d.as_nanos() / (1_000_000_000 / per_second(hist.unit) as u128);
                        Some(u64::try_from(units).unwrap_or(u64::MAX))
                    }
                    _ => None,
                };
                let p = ByteParams {
                    max: spec.max_bytes_per_window,
                    overlap: (spec.max_bytes_per_window as f64 * ratio).floor() as u64,
                    max_time,
                };
                let table = self.byte_chain(&hist, &parts, unit, spec.semantics, p)?;
                table.into_iter().enumerate().map(|(i, (s, e, units))| row_window(&hist, i, s, e, units)).collect()
            }
        };
        Ok((windows, hist))
    }

    /// The byte windows' table (start row, end row, units): a bisect chain on the CPU; on a GPU the
    /// whole chain runs on the device and only the table comes back.
    fn byte_chain(
        &self,
        hist: &History<'_>,
        parts: &TextParts<'_>,
        unit: LengthUnit,
        semantics: Semantics,
        p: ByteParams,
    ) -> Result<bytes::Table> {
        let ts = || hist.ts.iter().map(|&t| ordered(t));
        if self.is_gpu() {
            let a = parts_prefix(self, parts, unit)?;
            return match semantics {
                Semantics::Egregora => bytes::egregora_batched(self, &a, p),
                Semantics::Strict => {
                    let ts_col = match p.max_time {
                        Some(_) => Some(self.upload(&ts().chain([u64::MAX]).collect::<Vec<u64>>())?),
                        None => None,
                    };
                    bytes::strict_batched(self, &a, ts_col.as_ref(), p)
                }
            };
        }
        // UTF-8 byte prefixes are the offsets themselves: no copy, no scan.
        let a: std::borrow::Cow<'_, [u64]> = match unit {
            LengthUnit::Utf8Bytes => std::borrow::Cow::Borrowed(&parts.offsets),
            // The CPU twin directly (this is the CPU path): its vector, not a copy of a column's.
            LengthUnit::CodePoints => {
                std::borrow::Cow::Owned(crate::cpu::strings::char_positions(&parts.values, &parts.offsets))
            }
        };
        let ranges = match semantics {
            Semantics::Egregora => bytes::egregora_chain(&a, p),
            Semantics::Strict => {
                let ts: Vec<u64> = if p.max_time.is_some() { ts().collect() } else { Vec::new() };
                bytes::strict_chain(&a, &ts, p)
            }
        };
        Ok(ranges.into_iter().map(|(s, e)| (s, e, a[e as usize] - a[s as usize])).collect())
    }
}
