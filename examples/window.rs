//! Cuts a chat history into windows and writes the window table.
//!
//! ```text
//! cargo run --release --example window -- INPUT [--by messages|hours|days|bytes|tokens] [--step N]
//!     [--max-bytes M] [--max-tokens N] [--encoding o200k_base|cl100k_base] [--overlap R] [--max-window-time DURATION] [--unit bytes|chars]
//!     [--weight-column NAME] [--row-overhead N] [--window-overhead N] [--semantics strict|egregora]
//!     [--skip-empty] [--max-windows N] [--backend auto|cpu|gpu] [--ts-column NAME] [--text-column NAME]
//!     [--tz ZONE] [--date-order auto|dmy|mdy|ymd] [--allow-unused-lines] [--partition-by COLUMN]
//!     [--in-memory] [--output FILE]
//! ```
//!
//! INPUT is `.csv`, `.parquet`, `.arrow` or a WhatsApp export (`.txt`, `.zip`). `--tz ZONE` (default UTC) is the
//! zone of wall-clock times: a WhatsApp export's, CSV timestamps written without an offset (those with an
//! offset or `Z` are absolute), and Parquet/IPC timestamp columns with no zone in their Arrow type (a zoned
//! column is absolute); they are converted with `time::local_to_utc`. It is streamed: read in
//! batches (only the columns the windows need), windowed as it comes, each window written as soon as it
//! is final, so memory follows the batch and the window, not the history. Rows must then come in
//! timestamp order (per partition); `--in-memory` reads the whole input and sorts it instead. Defaults are the
//! existing pipeline's: `--by messages --step 100 --overlap 0.2 --max-bytes 320000`, strict semantics,
//! text measured in UTF-8 bytes (code points under egregora semantics; `--weight-column NAME` counts an
//! unsigned integer column instead, `--row-overhead` and `--window-overhead` add the prompt's markup to a
//! budget window's weight; `--by tokens --max-tokens N` budgets tokens of `--encoding`, default `o200k_base`,
//! each message's text counted on its own, under either semantics), backend auto
//! (`STREAMLINER_BACKEND` overrides the default; the flag wins over it). DURATION is like `90m`, `2h`,
//! `1d`. Time windows with empty ones stop at `--max-windows` (default 2^24) with an error, as soon as a
//! row shows the history makes more; `--skip-empty` leaves the empty windows out instead. The windows go
//! to stdout as CSV (`window_index,start_row,end_row,size,start_time,end_time,units`,
//! times RFC 3339 in UTC with microseconds (ISO 8601 expanded years outside 0..9999), after the partition column with `--partition-by`), or to FILE
//! (`.csv`, `.json`, `.jsonl`, `.parquet`, `.arrow`). Progress (rows read, rate) goes to stderr every few
//! seconds on long runs, then one summary line. A closed stdout (`| head`) or stderr ends the run quietly. Rows are numbered in timestamp order (the input's order when it is sorted). Under
//! egregora semantics a WhatsApp export's lines are normalized as the pipeline does (NFKC, redaction,
//! HTML escaping), so the texts measured are the pipeline's. For a WhatsApp export, `--date-order` gives
//! the date order (default auto: inferred), the summary line counts system notices and lines unused, and a
//! file where most lines go unused is an error unless `--allow-unused-lines`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use streamliner::io::whatsapp::{DateOrder, SummaryHandle, parse_date_order_flag};
use streamliner::io::{ReadOptions, TableWriter, open_history};
use streamliner::strings::LengthUnit;
use streamliner::tokens::Encoding;
use streamliner::window::{Semantics, StepUnit, Weight, WindowSpec, parse_duration};
use streamliner::{Backend, Engine, Error};

#[path = "common/mod.rs"]
mod common;

const USAGE: &str = "usage: window INPUT [--by messages|hours|days|bytes|tokens] [--step N] [--max-bytes M]
    [--max-tokens N] [--encoding o200k_base|cl100k_base] [--overlap R]
    [--max-window-time DURATION] [--unit bytes|chars] [--weight-column NAME] [--row-overhead N]
    [--window-overhead N] [--semantics strict|egregora] [--skip-empty] [--max-windows N]
    [--backend auto|cpu|gpu] [--ts-column NAME] [--text-column NAME] [--tz ZONE]
    [--date-order auto|dmy|mdy|ymd] [--allow-unused-lines] [--partition-by COLUMN] [--in-memory] [--output FILE]";

struct Options {
    input: PathBuf,
    spec: WindowSpec,
    backend: Option<Backend>,
    tz: String,
    date_order: Option<DateOrder>,
    allow_unused_lines: bool,
    in_memory: bool,
    output: Option<PathBuf>,
}

fn parse_args() -> Result<Options, Box<dyn std::error::Error>> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_env();
    let mut input = None;
    let mut spec = WindowSpec::default();
    let mut unit = None;
    let (mut backend, mut tz, mut output, mut in_memory) = (None, "UTC".to_string(), None, false);
    let (mut date_order, mut allow_unused_lines) = (None, false);
    let (mut tokens, mut max_tokens, mut encoding) = (false, None, None);
    while let Some(arg) = p.next()? {
        match arg {
            Long("by") => {
                let by = p.value()?.string()?;
                tokens = by.trim().eq_ignore_ascii_case("tokens");
                spec.step_unit = if tokens { StepUnit::Bytes } else { by.parse::<StepUnit>()? };
            }
            Long("max-tokens") => max_tokens = Some(p.value()?.parse::<u64>()?),
            Long("encoding") => encoding = Some(p.value()?.string()?.parse::<Encoding>()?),
            Long("step") => spec.step_size = p.value()?.parse()?,
            Long("max-bytes") => spec.max_bytes_per_window = p.value()?.parse()?,
            Long("overlap") => spec.overlap_ratio = p.value()?.parse()?,
            Long("max-window-time") => spec.max_window_time = Some(parse_duration(&p.value()?.string()?)?),
            Long("unit") => {
                unit = Some(match p.value()?.string()?.to_ascii_lowercase().as_str() {
                    "bytes" => LengthUnit::Utf8Bytes,
                    "chars" => LengthUnit::CodePoints,
                    other => return Err(format!("--unit: expected bytes or chars, got {other:?}").into()),
                })
            }
            Long("weight-column") => spec.weight = Some(Weight::Column(p.value()?.string()?)),
            Long("row-overhead") => spec.row_overhead = p.value()?.parse()?,
            Long("window-overhead") => spec.window_overhead = p.value()?.parse()?,
            Long("semantics") => spec.semantics = p.value()?.string()?.parse::<Semantics>()?,
            Long("skip-empty") => spec.skip_empty_windows = true,
            Long("max-windows") => spec.max_windows = p.value()?.parse()?,
            Long("backend") => backend = Some(p.value()?.string()?.parse::<Backend>()?),
            Long("ts-column") => spec.ts_column = p.value()?.string()?,
            Long("text-column") => spec.text_column = p.value()?.string()?,
            Long("tz") => tz = p.value()?.string()?,
            Long("date-order") => date_order = parse_date_order_flag(&p.value()?.string()?)?,
            Long("allow-unused-lines") => allow_unused_lines = true,
            Long("partition-by") => spec.partition_by = Some(p.value()?.string()?),
            Long("in-memory") => in_memory = true,
            Long("output") | Short('o') => output = Some(PathBuf::from(p.value()?)),
            Long("help") | Short('h') => {
                common::outln!("{USAGE}");
                std::process::exit(0);
            }
            Value(v) if input.is_none() => input = Some(PathBuf::from(v)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    if tokens {
        if unit.is_some() || spec.weight.is_some() {
            return Err("--by tokens weighs rows by their tokens: drop --unit and --weight-column".into());
        }
        spec.max_bytes_per_window = max_tokens.ok_or("--by tokens needs --max-tokens N (the budget of a window)")?;
        spec.weight = Some(Weight::Tokens(encoding.unwrap_or(Encoding::O200kBase)));
    } else if max_tokens.is_some() || encoding.is_some() {
        return Err("--max-tokens and --encoding go with --by tokens".into());
    }
    if let Some(u) = unit {
        if spec.weight.is_some() {
            return Err("--unit and --weight-column both say what a row weighs: give one".into());
        }
        spec.weight = Some(Weight::from(u));
    }
    let input = input.ok_or(USAGE)?;
    Ok(Options { input, spec, backend, tz, date_order, allow_unused_lines, in_memory, output })
}

/// Where the window tables go: FILE by extension, or CSV on stdout.
fn writer(opts: &Options, schema: arrow_schema::SchemaRef) -> streamliner::Result<TableWriter> {
    match &opts.output {
        Some(path) => TableWriter::create(path, schema),
        None => TableWriter::csv_to(Box::new(std::io::stdout()), schema),
    }
}

/// Progress on stderr every few seconds.
struct Progress {
    started: Instant,
    last: Instant,
}

impl Progress {
    fn tick(&mut self, rows: u64, windows: u64) {
        if self.last.elapsed() >= Duration::from_secs(5) {
            self.last = Instant::now();
            let secs = self.started.elapsed().as_secs_f64();
            common::errln!("window: {rows} rows read ({:.1} M rows/s), {windows} windows", rows as f64 / secs / 1e6);
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let opts = parse_args()?;
    opts.spec.validate()?;
    let engine = common::engine(opts.backend)?;
    let started = Instant::now();
    // Only the columns the windows need. Under egregora semantics, a WhatsApp export's lines are normalized
    // as the pipeline does, so the texts measured are the pipeline's.
    let mut columns = vec![opts.spec.ts_column.clone(), opts.spec.text_column.clone()];
    if opts.spec.weight_column() != opts.spec.text_column {
        columns.push(opts.spec.weight_column().to_string());
    }
    columns.extend(opts.spec.partition_by.clone());
    let read = ReadOptions {
        ts_column: opts.spec.ts_column.clone(),
        tz: opts.tz.clone(),
        date_order: opts.date_order,
        allow_unused_lines: opts.allow_unused_lines,
        normalize: opts.spec.semantics == Semantics::Egregora,
        columns: Some(columns),
        ..ReadOptions::default()
    };
    let (rows, windows, chat) =
        if opts.in_memory { in_memory(&engine, &opts, &read)? } else { streamed(&engine, &opts, &read)? };
    let backend = common::backend_label(&engine);
    let chat = chat.map(|s| s.get()).map_or(String::new(), |s| {
        format!(
            " (WhatsApp: {} lines, {} system notices, {} empty messages dropped, {} lines before the first message, \
             {} lines like a header that did not parse, {} lines unused of {} non-empty)",
            s.lines,
            s.system_notices,
            s.dropped_empty,
            s.before_first_message,
            s.unparsed_headers,
            s.unused_lines,
            s.non_empty_lines
        )
    });
    common::errln!(
        "window: {rows} rows{chat}, {windows} windows, backend {backend}, elapsed {:.1} ms ({})",
        started.elapsed().as_secs_f64() * 1e3,
        if opts.in_memory { "read whole, then windowed" } else { "streamed: read and windowed together" },
    );
    Ok(())
}

/// Reads batches and writes each window table as soon as its windows are final.
fn streamed(engine: &Engine, opts: &Options, read: &ReadOptions) -> Result<Outcome, Box<dyn std::error::Error>> {
    let reader = open_history(&opts.input, read)?;
    let chat = reader.whatsapp_summary();
    // The window table's schema (partition column and timestamp type included), from an empty history.
    let schema = engine.window(&RecordBatch::new_empty(reader.schema()), &opts.spec)?.table().schema();
    let mut out = writer(opts, schema)?;
    let name = reader.name().to_string();
    let mut tables = engine.window_stream(reader, &opts.spec)?.input_name(name).tables(65_536);
    let now = Instant::now();
    let mut progress = Progress { started: now, last: now };
    let mut windows = 0u64;
    while let Some(table) = tables.next() {
        let table = table?;
        windows += table.num_rows() as u64;
        out.write(&table)?;
        progress.tick(tables.rows_read(), windows);
    }
    out.finish()?;
    Ok((tables.rows_read(), windows, chat))
}

/// Rows read, windows written, and a WhatsApp export's counts.
type Outcome = (u64, u64, Option<SummaryHandle>);

/// Reads the whole input, sorts it when needed, and writes the windows.
fn in_memory(engine: &Engine, opts: &Options, read: &ReadOptions) -> Result<Outcome, Box<dyn std::error::Error>> {
    let reader = open_history(&opts.input, read)?;
    let chat = reader.whatsapp_summary();
    let history = reader.read_all()?;
    let windows = engine.window(&history, &opts.spec)?;
    let mut out = writer(opts, windows.table().schema())?;
    out.write(windows.table())?;
    out.finish()?;
    Ok((history.num_rows() as u64, windows.len() as u64, chat))
}

fn main() {
    common::quiet_mesa();
    common::keep_freed_memory();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    match run() {
        Ok(()) => {}
        // The reader of stdout went away (`| head`): stop quietly.
        Err(e) if matches!(e.downcast_ref::<Error>(), Some(Error::OutputClosed { .. })) => {}
        Err(e) => {
            common::errln!("window: {e}");
            match e.downcast_ref::<Error>() {
                Some(Error::OutOfOrder { .. }) => {
                    common::errln!("window: rerun with --in-memory to sort the input in memory")
                }
                Some(Error::LimitExceeded { what, .. }) if what.contains("max_windows") => {
                    common::errln!("window: rerun with --skip-empty to leave the empty windows out, or --max-windows N")
                }
                _ => {}
            }
            std::process::exit(1);
        }
    }
}
