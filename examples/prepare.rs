//! Turns a WhatsApp export into the message table the existing pipeline expects.
//!
//! ```text
//! cargo run --release --example prepare -- EXPORT [--tz ZONE] [--group NAME] [--opt-out FILE]
//!     [--backend auto|cpu|gpu] [--output FILE]
//! ```
//!
//! EXPORT is a `.txt` export or a `.zip` holding one. Lines are normalized as the pipeline does (NFKC,
//! bidi controls, e-mail and phone redaction on non-ASCII lines; HTML escaping on all), so texts and
//! authors, hence pseudonyms, are the pipeline's. Wall-clock times are in `--tz` (default UTC). The group
//! name (default: from the file name) gives `tenant_id` and `thread_id` as a slug. `--opt-out FILE` lists
//! author names or pseudonyms, one per line, whose messages are dropped; command messages (`/egregora`
//! ...) are dropped too. The table goes to FILE (`.parquet` or `.csv`, by extension; CSV joins urls with
//! a space; `.json` and `.arrow` too, written at the end) or as CSV to stdout; a summary line goes to
//! stderr, and progress lines on long runs.
//!
//! The export is streamed, so memory does not grow with it (beyond 8 bytes a message): a first pass
//! reads every message's time (the table is in time order, and an export can go back in time at a clock
//! change), a second builds the table in batches, written as they come (Parquet row groups, CSV rows).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use streamliner::Backend;
use streamliner::etl::{MessageOrderBuilder, MessageTableBuilder, MessageTableOptions, opt_out_keys};
use streamliner::io::whatsapp::{WhatsAppOptions, WhatsAppStream};
use streamliner::io::{write_csv, write_table};

#[path = "common/mod.rs"]
mod common;

const USAGE: &str =
    "usage: prepare EXPORT [--tz ZONE] [--group NAME] [--opt-out FILE] [--backend auto|cpu|gpu] [--output FILE]";

struct Options {
    export: PathBuf,
    tz: String,
    group: Option<String>,
    opt_out: Option<PathBuf>,
    backend: Option<Backend>,
    output: Option<PathBuf>,
}

fn parse_args() -> Result<Options, Box<dyn std::error::Error>> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_env();
    let (mut export, mut tz, mut group, mut opt_out, mut backend, mut output) =
        (None, "UTC".to_string(), None, None, None, None);
    while let Some(arg) = p.next()? {
        match arg {
            Long("tz") => tz = p.value()?.string()?,
            Long("group") => group = Some(p.value()?.string()?),
            Long("opt-out") => opt_out = Some(PathBuf::from(p.value()?)),
            Long("backend") => backend = Some(p.value()?.string()?.parse::<Backend>()?),
            Long("output") | Short('o') => output = Some(PathBuf::from(p.value()?)),
            Long("help") | Short('h') => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Value(v) if export.is_none() => export = Some(PathBuf::from(v)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    Ok(Options { export: export.ok_or(USAGE)?, tz, group, opt_out, backend, output })
}

/// The group's name from an export's file name: "WhatsApp Chat with Blog club.zip" gives "Blog club".
fn group_from_path(path: &std::path::Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("whatsapp");
    stem.strip_prefix("WhatsApp Chat with ")
        .or_else(|| stem.strip_prefix("WhatsApp Chat - "))
        .unwrap_or(stem)
        .to_string()
}

/// Messages read from the export at a time.
const CHUNK: usize = 65_536;
/// Rows per Parquet row group.
#[cfg(feature = "parquet")]
const ROW_GROUP_ROWS: usize = 1 << 18;

/// Where the table goes, batch by batch.
enum Sink {
    /// CSV: the header once, then each batch's rows.
    Csv { out: Box<dyn Write>, header_done: bool, name: String },
    #[cfg(feature = "parquet")]
    /// Parquet: a row group as the writer's buffer fills (opened at the first batch, for its schema).
    Parquet {
        file: Option<std::fs::File>,
        writer: Option<Box<parquet::arrow::ArrowWriter<std::fs::File>>>,
        name: String,
    },
    /// Other formats: the batches, written together at the end.
    Whole { batches: Vec<RecordBatch>, path: PathBuf },
}

impl Sink {
    fn new(output: Option<&Path>) -> Result<Sink, Box<dyn std::error::Error>> {
        let Some(path) = output else {
            return Ok(Sink::Csv {
                out: Box::new(std::io::stdout().lock()),
                header_done: false,
                name: "stdout".into(),
            });
        };
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        let name = path.display().to_string();
        let create = || std::fs::File::create(path).map_err(|e| format!("{name}: {e}"));
        Ok(match ext.as_str() {
            "csv" => Sink::Csv { out: Box::new(std::io::BufWriter::new(create()?)), header_done: false, name },
            #[cfg(feature = "parquet")]
            "parquet" => Sink::Parquet { file: Some(create()?), writer: None, name },
            _ => Sink::Whole { batches: Vec::new(), path: path.to_path_buf() },
        })
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), Box<dyn std::error::Error>> {
        match self {
            Sink::Csv { out, header_done, name } => {
                let mut buf = Vec::new();
                write_csv(batch, &mut buf)?;
                // write_csv starts with the header line (column names hold no newline): write it once.
                let skip =
                    if *header_done { buf.iter().position(|&b| b == b'\n').map_or(buf.len(), |p| p + 1) } else { 0 };
                out.write_all(&buf[skip..]).map_err(|e| format!("{name}: {e}"))?;
                *header_done = true;
            }
            #[cfg(feature = "parquet")]
            Sink::Parquet { file, writer, name } => {
                if writer.is_none() {
                    let props = parquet::file::properties::WriterProperties::builder()
                        .set_compression(parquet::basic::Compression::SNAPPY)
                        // Row groups of 256Ki rows: the writer holds one row group's pages in memory.
                        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
                        .build();
                    let f = file.take().ok_or("the Parquet file is gone")?;
                    *writer = Some(Box::new(parquet::arrow::ArrowWriter::try_new(f, batch.schema(), Some(props))?));
                }
                if let Some(w) = writer.as_mut() {
                    w.write(batch).map_err(|e| format!("{name}: {e}"))?;
                }
            }
            Sink::Whole { batches, .. } => batches.push(batch.clone()),
        }
        Ok(())
    }

    fn close(self) -> Result<(), Box<dyn std::error::Error>> {
        match self {
            Sink::Csv { mut out, name, .. } => out.flush().map_err(|e| format!("{name}: {e}"))?,
            #[cfg(feature = "parquet")]
            Sink::Parquet { writer, name, .. } => {
                if let Some(w) = writer {
                    w.close().map_err(|e| format!("{name}: {e}"))?;
                }
            }
            Sink::Whole { batches, path } => {
                let schema = batches.first().map(|b| b.schema()).ok_or("no table to write")?;
                write_table(&arrow_select::concat::concat_batches(&schema, &batches)?, &path)?
            }
        }
        Ok(())
    }
}

/// Progress lines on stderr, every few seconds once a run is long.
struct Progress {
    started: Instant,
    last: Instant,
    messages: u64,
}

impl Progress {
    fn new(started: Instant) -> Self {
        Progress { started, last: started, messages: 0 }
    }

    fn add(&mut self, pass: &str, messages: usize) {
        self.messages += messages as u64;
        let now = Instant::now();
        if now.duration_since(self.last) >= Duration::from_secs(5) {
            self.last = now;
            let secs = now.duration_since(self.started).as_secs_f64();
            eprintln!(
                "prepare: {pass}: {} messages, {:.0} messages/s, {secs:.0} s in this pass",
                self.messages,
                self.messages as f64 / secs.max(1e-9)
            );
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let opts = parse_args()?;
    let engine = common::engine(opts.backend)?;
    let started = Instant::now();
    let opt_out = match &opts.opt_out {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            opt_out_keys(text.lines())
        }
        None => Vec::new(),
    };
    let table_opts = MessageTableOptions {
        group: opts.group.clone().unwrap_or_else(|| group_from_path(&opts.export)),
        tz: opts.tz.clone(),
        opt_out,
        drop_commands: true,
    };
    let wa = WhatsAppOptions { tz: opts.tz.clone(), normalize: true, ..Default::default() };

    // Pass 1: every message's time, for the table's order.
    let mut stream = WhatsAppStream::open(&opts.export, &wa)?;
    let mut first = MessageOrderBuilder::new(&engine, &table_opts)?;
    let mut progress = Progress::new(started);
    while let Some(chunk) = stream.next_messages(CHUNK)? {
        first.push(&chunk)?;
        progress.add("pass 1 of 2 (times)", chunk.len());
    }
    let chat = stream.summary();
    let order = first.finish()?;

    // Pass 2: the table, batch by batch (the date order found by the first pass, not inferred again).
    let wa = WhatsAppOptions { date_order: chat.date_order, ..wa };
    let mut stream = WhatsAppStream::open(&opts.export, &wa)?;
    let mut builder = MessageTableBuilder::new(&engine, &table_opts, order)?;
    let mut sink = Sink::new(opts.output.as_deref())?;
    let mut progress = Progress::new(Instant::now());
    while let Some(chunk) = stream.next_messages(CHUNK)? {
        if let Some(batch) = builder.push(&chunk)? {
            sink.write(&batch)?;
        }
        progress.add("pass 2 of 2 (table)", chunk.len());
    }
    let (last, summary) = builder.finish()?;
    if let Some(batch) = last {
        sink.write(&batch)?;
    }
    sink.close()?;
    let elapsed = started.elapsed();
    let backend = common::backend_label(&engine);
    eprintln!(
        "prepare: {} messages, {} authors, dropped {} ({} commands, {} opted out, {} empty), {} system notices, backend {backend}, elapsed {:.1} ms",
        summary.messages,
        summary.authors,
        summary.dropped_commands + summary.dropped_opted_out + chat.dropped_empty as usize,
        summary.dropped_commands,
        summary.dropped_opted_out,
        chat.dropped_empty,
        chat.system_notices,
        elapsed.as_secs_f64() * 1e3,
    );
    Ok(())
}

fn main() {
    common::quiet_mesa();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    if let Err(e) = run() {
        eprintln!("prepare: {e}");
        std::process::exit(1);
    }
}
