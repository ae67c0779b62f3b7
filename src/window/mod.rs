//! Windows over message histories: by message count, by time span, or by a text budget, under the
//! existing pipeline's semantics ([`Semantics::Egregora`]) or fixed ones ([`Semantics::Strict`]).
//! The rules are in `docs/windows.md`.
//!
//! Windowing knows nothing of GPUs: it composes the kernels (prefix sums, batched searches,
//! elementwise operations), which run on whatever the [`Engine`] runs on.

mod bytes;
mod count;
mod history;
mod output;
mod spec;
mod time;

pub use output::{Window, Windows};
pub use spec::{Semantics, StepUnit, WindowSpec, parse_duration};

use arrow_array::RecordBatch;

use crate::engine::Engine;
use crate::error::Result;
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
        .map(|(i, &(s, e))| Window {
            index: i as u64,
            start_row: s,
            end_row: e,
            start_time: hist.ts[s as usize],
            end_time: hist.ts[e as usize - 1],
            units: prefix[2 * i + 1] - prefix[2 * i],
        })
        .collect())
}

impl Engine {
    /// Cuts `history` (a table with a timestamp column and a string column, named in `spec`) into
    /// windows. Rows are ordered by timestamp, ties in input order; the windows name rows in that order
    /// and [`Windows::input_row`] maps them back.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for bad parameters, a missing column or a column of the wrong
    /// type; [`crate::Error::NullValue`] naming the first row with a null timestamp;
    /// [`crate::Error::LimitExceeded`] for a time step too short for the history's span;
    /// [`crate::Error::Gpu`] when the device fails.
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
        spec.validate()?;
        let hist = History::new(history, &spec.ts_column, &spec.text_column)?;
        let unit = spec.unit();
        let ratio = spec.ratio();
        let n = hist.len();
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
        if n == 0 {
            return Windows::new(Vec::new(), hist, spec);
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
                let bounds = time::time_bounds(hist.ts[0], hist.ts[n - 1], delta, ov)?;
                let haystack: Vec<u64> = hist.ts.iter().map(|&t| ordered(t)).collect();
                let queries: Vec<u64> = bounds.iter().flat_map(|&(lo, hi)| [ordered(lo), ordered(hi)]).collect();
                let rows = search_sorted(self, &haystack, &queries, Bound::Lower, Check::Trust)?;
                let prefix = prefix_at(self, &parts, unit, &rows)?;
                bounds
                    .iter()
                    .enumerate()
                    .map(|(i, &(lo, hi))| Window {
                        index: i as u64,
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
                let ranges = self.byte_chain(&hist, &parts, unit, spec.semantics, p)?;
                from_rows(self, &hist, &parts, unit, &ranges)?
            }
        };
        Windows::new(windows, hist, spec)
    }

    /// The row ranges of byte windows: a bisect chain on the CPU, batched on a GPU.
    fn byte_chain(
        &self,
        hist: &History<'_>,
        parts: &TextParts<'_>,
        unit: LengthUnit,
        semantics: Semantics,
        p: ByteParams,
    ) -> Result<Vec<(u64, u64)>> {
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
            LengthUnit::CodePoints => std::borrow::Cow::Owned(parts_prefix(self, parts, unit)?.to_vec()?),
        };
        Ok(match semantics {
            Semantics::Egregora => bytes::egregora_chain(&a, p),
            Semantics::Strict => {
                let ts: Vec<u64> = if p.max_time.is_some() { ts().collect() } else { Vec::new() };
                bytes::strict_chain(&a, &ts, p)
            }
        })
    }
}
