//! Windows whose rendered prompts fit a token budget counted whole ([`token_windows`]).
//!
//! Each message is rendered once; its rendered text is counted on its own (the engine's token kernel,
//! GPU or CPU) and is the row's weight for the window engine's budget rule; under strict semantics the
//! template's header and footer are the window overhead. Counts of parts do not add up to the count of
//! their concatenation in every case (a run of newlines across two messages is one token, for example),
//! so every window's prompt is then counted whole, and a window over the budget is cut where its prompt
//! fits, its remaining rows making the next window: every row stays in a window, and no prompt of more
//! than one message passes the budget.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{Array, ArrayRef, LargeStringArray, RecordBatch};
use arrow_buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

use super::prompts::RenderedMessages;
use super::template::PromptTemplate;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::kernels::tokens::{Encoding, count_tokens, token_counts};
use crate::window::{Semantics, StepUnit, Weight, Window, WindowSpec, Windows};

/// The column that carries each message's rendered text to the window engine.
const PART_COLUMN: &str = "__streamliner_prompt_part";

/// Windows and their prompts: the result of [`token_windows`].
#[derive(Clone, Debug)]
pub struct PromptWindows {
    windows: Windows,
    rendered: RenderedMessages,
}

impl PromptWindows {
    /// The windows (their table's `units` is each prompt's token count, counted whole).
    pub fn windows(&self) -> &Windows {
        &self.windows
    }

    /// The messages, rendered once; [`RenderedMessages::prompts`] and [`RenderedMessages::hex_digests`]
    /// over [`PromptWindows::ranges`] give the prompts and their signatures.
    pub fn rendered(&self) -> &RenderedMessages {
        &self.rendered
    }

    /// Each window's rows as `(start, end)`.
    pub fn ranges(&self) -> Vec<(u64, u64)> {
        self.windows.windows().iter().map(|w| (w.start_row, w.end_row)).collect()
    }

    /// The windows and the messages rendered.
    pub fn into_parts(self) -> (Windows, RenderedMessages) {
        (self.windows, self.rendered)
    }
}

/// Budget windows over `batches` (one history, rows in timestamp order) whose prompts, rendered by
/// `template`, hold at most `spec.max_bytes_per_window` tokens of the spec's encoding counted whole
/// ([`WindowSpec::tokens`] makes such a spec). A single message over the budget is a window of its own.
///
/// The windows are the window engine's over each message's rendered token count (the header and footer
/// are the window overhead under strict semantics); a window whose whole prompt counts more than the
/// budget is then cut at the longest prefix whose prompt fits, and its other rows start the next window.
///
/// # Errors
/// [`Error::InvalidParameter`] when the spec is not a token budget (`Weight::Tokens`), is partitioned,
/// or leaves no room for the template's header and footer, when the rows are not in timestamp order, or
/// as [`PromptTemplate::render_batches`] and [`Engine::window_batches`].
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use arrow_array::{RecordBatch, StringArray, TimestampMicrosecondArray};
/// use streamliner::llm::{PromptTemplate, token_windows};
/// use streamliner::tokens::{Encoding, count_tokens};
/// use streamliner::{Engine, window::WindowSpec};
///
/// let ts = TimestampMicrosecondArray::from((0..40).map(|i| i * 60_000_000).collect::<Vec<i64>>()).with_timezone("UTC");
/// let text = StringArray::from((0..40).map(|i| format!("message number {i} says hello")).collect::<Vec<_>>());
/// let table = RecordBatch::try_from_iter([("ts", Arc::new(ts) as _), ("text", Arc::new(text) as _)])?;
/// let spec = WindowSpec::tokens(300, Encoding::O200kBase).overlap(0.0);
/// let out = token_windows(&Engine::from_env()?, &[table], &spec, &PromptTemplate::egregora())?;
/// let prompts = out.rendered().prompts(&out.ranges())?;
/// assert!(out.windows().len() > 1);
/// for (w, prompt) in out.windows().windows().iter().zip(prompts.iter()) {
///     let whole = count_tokens(prompt.unwrap_or_default(), Encoding::O200kBase)?;
///     assert!(whole <= 300 && whole == w.units);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn token_windows(
    engine: &Engine,
    batches: &[RecordBatch],
    spec: &WindowSpec,
    template: &PromptTemplate,
) -> Result<PromptWindows> {
    spec.validate()?;
    let encoding = match (spec.step_unit, spec.row_weight()) {
        (StepUnit::Bytes, Weight::Tokens(e)) => *e,
        (_, w) => {
            return Err(Error::invalid(
                "window spec",
                format!("{} windows weighing {w}", spec.step_unit),
                "prompts are budgeted in tokens: use WindowSpec::tokens(max, encoding)",
            ));
        }
    };
    if let Some(p) = &spec.partition_by {
        return Err(Error::invalid(
            "partition_by",
            p,
            "prompts are rendered over one history: window each partition's rows on their own",
        ));
    }
    let budget = spec.max_bytes_per_window;
    let rendered = template.render_batches(batches)?;
    let (header, footer, _) = template.frame();
    let frame = count_tokens(&format!("{header}{footer}"), encoding)?;
    let mut inner = spec.clone();
    inner.text_column = PART_COLUMN.into();
    if spec.semantics == Semantics::Strict {
        if frame >= budget {
            return Err(Error::invalid(
                "max_tokens",
                budget,
                format!("leaves no room for messages: the prompt's header and footer alone are {frame} tokens"),
            ));
        }
        inner.window_overhead = inner.window_overhead.max(frame);
    }
    let with_parts = with_rendered_parts(batches, &rendered)?;
    let windows = engine.window_batches(&with_parts, &inner)?;
    if windows.input_rows().is_some() {
        return Err(Error::invalid(
            "messages",
            format!("{} rows", rendered.len()),
            "are not in timestamp order: sort them by their time column first, so that prompts follow the windows",
        ));
    }
    let ts = timestamps(batches, &spec.ts_column)?;
    let fitted = fit(engine, &rendered, windows.windows(), &ts, budget, encoding)?;
    let windows = windows.replaced(fitted, batches.to_vec(), spec)?;
    Ok(PromptWindows { windows, rendered })
}

/// `batches` with each row's rendered message as one more column, [`PART_COLUMN`].
fn with_rendered_parts(batches: &[RecordBatch], rendered: &RenderedMessages) -> Result<Vec<RecordBatch>> {
    if batches.iter().any(|b| b.schema().column_with_name(PART_COLUMN).is_some()) {
        return Err(Error::invalid("column name", PART_COLUMN, "is reserved for the rendered messages"));
    }
    let offsets: Vec<i64> = rendered.offsets().iter().map(|&o| o as i64).collect();
    // The rendered offsets start at 0 and never decrease, and the text is valid UTF-8 cut at message
    // boundaries: `try_new` checks it all the same.
    let parts =
        LargeStringArray::try_new(OffsetBuffer::new(ScalarBuffer::from(offsets)), Buffer::from(rendered.text()), None)
            .map_err(|e| Error::invalid("rendered messages", rendered.len(), e.to_string()))?;
    let mut row = 0;
    batches
        .iter()
        .map(|b| {
            let n = b.num_rows();
            let mut fields: Vec<Arc<Field>> = b.schema().fields().iter().cloned().collect();
            fields.push(Arc::new(Field::new(PART_COLUMN, DataType::LargeUtf8, false)));
            let mut columns: Vec<ArrayRef> = b.columns().to_vec();
            columns.push(Arc::new(parts.slice(row, n)));
            row += n;
            RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
                .map_err(|e| Error::invalid("messages", n, e.to_string()))
        })
        .collect()
}

/// The timestamps of column `name` over all batches, in their unit.
fn timestamps(batches: &[RecordBatch], name: &str) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for b in batches {
        let col = b.column_by_name(name).ok_or_else(|| Error::invalid("ts column", name, "no such column"))?;
        let values: &[i64] = match col.data_type() {
            DataType::Timestamp(TimeUnit::Second, _) => col.as_primitive::<TimestampSecondType>().values(),
            DataType::Timestamp(TimeUnit::Millisecond, _) => col.as_primitive::<TimestampMillisecondType>().values(),
            DataType::Timestamp(TimeUnit::Microsecond, _) => col.as_primitive::<TimestampMicrosecondType>().values(),
            DataType::Timestamp(TimeUnit::Nanosecond, _) => col.as_primitive::<TimestampNanosecondType>().values(),
            other => return Err(Error::invalid("ts column type", format!("{name}: {other}"), "expected a timestamp")),
        };
        out.extend_from_slice(values);
    }
    Ok(out)
}

/// The windows of `windows` with every prompt counted whole: a window over `budget` is cut at the
/// longest prefix that fits (at least one message), the rest of its rows making further windows; the
/// windows are numbered again and carry their prompts' counts.
fn fit(
    engine: &Engine,
    rendered: &RenderedMessages,
    windows: &[Window],
    ts: &[i64],
    budget: u64,
    encoding: Encoding,
) -> Result<Vec<Window>> {
    let ranges: Vec<(u64, u64)> = windows.iter().map(|w| (w.start_row, w.end_row)).collect();
    let counts = token_counts(engine, &rendered.prompts(&ranges)?, encoding)?;
    let whole = |s: u64, e: u64| -> Result<u64> { count_tokens(&rendered.prompt(s..e)?.to_string(), encoding) };
    let mut out = Vec::with_capacity(windows.len());
    let mut push = |s: u64, e: u64, units: u64| {
        let (start_time, end_time) = (ts[s as usize], ts[e as usize - 1]);
        let index = out.len() as u64;
        out.push(Window { index, partition: 0, start_row: s, end_row: e, start_time, end_time, units });
    };
    for (w, count) in windows.iter().zip(counts.values()) {
        let (mut s, e) = (w.start_row, w.end_row);
        let mut count = u64::from(*count);
        // A window without rows (an empty history) has none to cut.
        while count > budget && e - s > 1 {
            // The longest prefix s..m that fits, by bisection (m = s + 1 is kept even when over).
            let (mut lo, mut hi) = (s + 1, e - 1);
            let mut fits = whole(s, lo)?;
            while lo < hi {
                let mid = lo + (hi - lo).div_ceil(2);
                let c = whole(s, mid)?;
                if c <= budget {
                    (lo, fits) = (mid, c);
                } else {
                    hi = mid - 1;
                }
            }
            push(s, lo, fits);
            s = lo;
            count = whole(s, e)?;
        }
        if e > s {
            push(s, e, count);
        }
    }
    Ok(out)
}
