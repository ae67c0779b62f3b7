//! Turns a WhatsApp export into the message table the existing pipeline expects.
//!
//! ```text
//! cargo run --release --example prepare -- EXPORT [--tz ZONE] [--group NAME] [--opt-out FILE]
//!     [--date-order auto|dmy|mdy|ymd] [--allow-unused-lines] [--backend auto|cpu|gpu] [--output FILE]
//! ```
//!
//! EXPORT is a `.txt` export or a `.zip` holding one. Lines are normalized as the pipeline does (NFKC,
//! bidi controls, e-mail and phone redaction on non-ASCII lines; HTML escaping on all), so texts and
//! authors, hence pseudonyms, are the pipeline's. Wall-clock times are in `--tz` (default UTC); dates in
//! `--date-order` (default auto: inferred from the file). The group name (default: as the pipeline takes
//! it, from the chat file's name, inside the zip for a `.zip`: `WhatsApp Chat with GROUP.txt` gives GROUP,
//! another name its stem) gives `tenant_id` and `thread_id` as the pipeline's slug. A file where no line
//! starts a message is an error; so is one where most lines go unused (lines before the first message,
//! lines that look like a header but do not parse), unless `--allow-unused-lines`. `--opt-out FILE` lists
//! author names or pseudonyms, one per line, whose messages are dropped; command messages (`/egregora`
//! ...) are dropped too. The table goes to FILE (`.parquet` or `.csv`, by extension; CSV joins urls with
//! a space; `.json` and `.arrow` too, written at the end) or as CSV to stdout; a summary line goes to
//! stderr, and progress lines on long runs.
//!
//! The export is read once: cut into chunks of whole lines, parsed on every core, and stitched in order.
//! The table is in time order (an export can go back in time at a clock change) and its message ids count
//! from the earliest message, so it is written once every message is read: the messages wait in memory up
//! to 512 MiB, then in a temporary file, and the table is built on every core and written batch by batch.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use streamliner::Backend;
use streamliner::etl::{MessageTableBuilder, MessageTableOptions, opt_out_keys};
use streamliner::io::TableWriter;
use streamliner::io::chat;
use streamliner::io::whatsapp::{DateOrder, WhatsAppOptions, WhatsAppStream, parse_date_order_flag};

#[path = "common/mod.rs"]
mod common;

const USAGE: &str = "usage: prepare EXPORT [--tz ZONE] [--group NAME] [--opt-out FILE] [--date-order auto|dmy|mdy|ymd]
    [--allow-unused-lines] [--backend auto|cpu|gpu] [--output FILE]";

struct Options {
    export: PathBuf,
    tz: String,
    group: Option<String>,
    opt_out: Option<PathBuf>,
    backend: Option<Backend>,
    output: Option<PathBuf>,
    date_order: Option<DateOrder>,
    allow_unused_lines: bool,
}

fn parse_args() -> Result<Options, Box<dyn std::error::Error>> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_env();
    let (mut export, mut tz, mut group, mut opt_out, mut backend, mut output) =
        (None, "UTC".to_string(), None, None, None, None);
    let (mut date_order, mut allow_unused_lines) = (None, false);
    while let Some(arg) = p.next()? {
        match arg {
            Long("tz") => tz = p.value()?.string()?,
            Long("group") => group = Some(p.value()?.string()?),
            Long("opt-out") => opt_out = Some(PathBuf::from(p.value()?)),
            Long("backend") => backend = Some(p.value()?.string()?.parse::<Backend>()?),
            Long("output") | Short('o') => output = Some(PathBuf::from(p.value()?)),
            Long("date-order") => date_order = parse_date_order_flag(&p.value()?.string()?)?,
            Long("allow-unused-lines") => allow_unused_lines = true,
            Long("help") | Short('h') => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Value(v) if export.is_none() => export = Some(PathBuf::from(v)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    Ok(Options { export: export.ok_or(USAGE)?, tz, group, opt_out, backend, output, date_order, allow_unused_lines })
}

/// Where the table goes: FILE by extension (`.parquet` in row groups as batches come, `.csv`, `.jsonl`,
/// `.arrow`...), or CSV on stdout. Made at the first batch, whose schema it takes.
fn writer(output: Option<&Path>, schema: SchemaRef) -> streamliner::Result<TableWriter> {
    match output {
        Some(path) => TableWriter::create(path, schema),
        None => TableWriter::csv_to(Box::new(std::io::stdout()), schema),
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

    fn add(&mut self, stage: &str, messages: usize) {
        self.messages += messages as u64;
        let now = Instant::now();
        if now.duration_since(self.last) >= Duration::from_secs(5) {
            self.last = now;
            let secs = now.duration_since(self.started).as_secs_f64();
            eprintln!(
                "prepare: {stage}: {} messages, {:.0} messages/s, {secs:.0} s so far",
                self.messages,
                self.messages as f64 / secs.max(1e-9)
            );
        }
    }
}

/// Writes `batch`, making the writer at the first one.
fn write(sink: &mut Option<TableWriter>, output: Option<&Path>, batch: &RecordBatch) -> streamliner::Result<()> {
    if sink.is_none() {
        *sink = Some(writer(output, batch.schema())?);
    }
    match sink {
        Some(w) => w.write(batch),
        None => Ok(()),
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
    let wa = WhatsAppOptions {
        tz: opts.tz.clone(),
        normalize: true,
        date_order: opts.date_order,
        allow_unused_lines: opts.allow_unused_lines,
        ..Default::default()
    };
    let columns = [chat::TS, chat::AUTHOR, chat::TEXT, chat::LOCAL_TIME, chat::ORIGINAL_LINE];
    let mut stream = WhatsAppStream::open(&opts.export, &wa)?.with_columns(&columns)?;
    let table_opts = MessageTableOptions {
        group: opts.group.clone().unwrap_or_else(|| stream.group_name().to_string()),
        opt_out,
        drop_commands: true,
        ..Default::default()
    };

    // The export, read once.
    let mut builder = MessageTableBuilder::new(&engine, &table_opts);
    let mut progress = Progress::new(started);
    for batch in stream.by_ref() {
        let batch = batch?;
        builder.push(&batch)?;
        progress.add("reading", batch.num_rows());
    }
    let chat = stream.summary();

    // The table, batch by batch.
    let mut table = builder.finish()?;
    let mut sink: Option<TableWriter> = None;
    let mut progress = Progress::new(Instant::now());
    for batch in table.by_ref() {
        let batch = batch?;
        write(&mut sink, opts.output.as_deref(), &batch)?;
        progress.add("writing the table", batch.num_rows());
    }
    let summary = table.summary();
    if let Some(sink) = sink {
        sink.finish()?;
    }
    let elapsed = started.elapsed();
    let backend = common::backend_label(&engine);
    eprintln!(
        "prepare: group {:?}{}, {} messages, {} authors, dropped {} ({} commands, {} opted out, {} empty), {} system notices, {} lines before the first message, {} lines like a header that did not parse, {} lines unused of {} non-empty, backend {backend}, elapsed {:.1} ms",
        table_opts.group,
        chat.member.as_ref().map(|m| format!(" (zip member {m:?})")).unwrap_or_default(),
        summary.messages,
        summary.authors,
        summary.dropped_commands + summary.dropped_opted_out + chat.dropped_empty as usize,
        summary.dropped_commands,
        summary.dropped_opted_out,
        chat.dropped_empty,
        chat.system_notices,
        chat.before_first_message,
        chat.unparsed_headers,
        chat.unused_lines,
        chat.non_empty_lines,
        elapsed.as_secs_f64() * 1e3,
    );
    Ok(())
}

fn main() {
    common::quiet_mesa();
    common::keep_freed_memory();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    match run() {
        Ok(()) => {}
        // The reader of stdout went away (`| head`): stop quietly.
        Err(e) if matches!(e.downcast_ref::<streamliner::Error>(), Some(streamliner::Error::OutputClosed { .. })) => {}
        Err(e) => {
            eprintln!("prepare: {e}");
            std::process::exit(1);
        }
    }
}
