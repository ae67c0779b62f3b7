//! Cuts a chat history into windows and writes the window table.
//!
//! ```text
//! cargo run --release --example window -- INPUT [--by messages|hours|days|bytes] [--step N]
//!     [--max-bytes M] [--overlap R] [--max-window-time DURATION] [--unit bytes|chars]
//!     [--semantics strict|egregora] [--backend auto|cpu|gpu] [--ts-column NAME] [--text-column NAME]
//!     [--tz ZONE] [--output FILE]
//! ```
//!
//! INPUT is `.csv`, `.parquet`, `.arrow` or a WhatsApp export (`.txt`, `.zip`). Defaults are the
//! existing pipeline's: `--by messages --step 100 --overlap 0.2 --max-bytes 320000`, strict semantics,
//! text measured in UTF-8 bytes (code points under egregora semantics), backend auto
//! (`STREAMLINER_BACKEND` overrides the default; the flag wins over it). DURATION is like `90m`, `2h`,
//! `1d`. The windows go to stdout as CSV (`window_index,start_row,end_row,size,start_time,end_time,units`,
//! times RFC 3339 in UTC with microseconds), or to FILE (`.csv`, `.json`, `.parquet`). One summary line
//! goes to stderr. Rows are numbered in timestamp order (the input's order when it is sorted). Under
//! egregora semantics a WhatsApp export's lines are normalized as the pipeline does (NFKC, redaction,
//! HTML escaping), so the texts measured are the pipeline's.

use std::path::PathBuf;
use std::time::Instant;

use streamliner::Backend;
use streamliner::io::{ReadOptions, read_history, write_csv, write_table};
use streamliner::strings::LengthUnit;
use streamliner::window::{Semantics, StepUnit, WindowSpec, parse_duration};

#[path = "common/mod.rs"]
mod common;

const USAGE: &str = "usage: window INPUT [--by messages|hours|days|bytes] [--step N] [--max-bytes M] [--overlap R]
    [--max-window-time DURATION] [--unit bytes|chars] [--semantics strict|egregora]
    [--backend auto|cpu|gpu] [--ts-column NAME] [--text-column NAME] [--tz ZONE] [--output FILE]";

struct Options {
    input: PathBuf,
    spec: WindowSpec,
    backend: Option<Backend>,
    tz: String,
    output: Option<PathBuf>,
}

fn parse_args() -> Result<Options, Box<dyn std::error::Error>> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_env();
    let mut input = None;
    let mut spec = WindowSpec::default();
    let mut unit = None;
    let (mut backend, mut tz, mut output) = (None, "UTC".to_string(), None);
    while let Some(arg) = p.next()? {
        match arg {
            Long("by") => spec.step_unit = p.value()?.string()?.parse::<StepUnit>()?,
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
            Long("semantics") => spec.semantics = p.value()?.string()?.parse::<Semantics>()?,
            Long("backend") => backend = Some(p.value()?.string()?.parse::<Backend>()?),
            Long("ts-column") => spec.ts_column = p.value()?.string()?,
            Long("text-column") => spec.text_column = p.value()?.string()?,
            Long("tz") => tz = p.value()?.string()?,
            Long("output") | Short('o') => output = Some(PathBuf::from(p.value()?)),
            Long("help") | Short('h') => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Value(v) if input.is_none() => input = Some(PathBuf::from(v)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    spec.length_unit = unit;
    let input = input.ok_or(USAGE)?;
    Ok(Options { input, spec, backend, tz, output })
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let opts = parse_args()?;
    opts.spec.validate()?;
    let engine = common::engine(opts.backend)?;
    let started = Instant::now();
    // Under egregora semantics, a WhatsApp export's lines are normalized as the pipeline does, so the
    // texts measured are the pipeline's.
    let read = ReadOptions {
        ts_column: opts.spec.ts_column.clone(),
        tz: opts.tz.clone(),
        normalize: opts.spec.semantics == Semantics::Egregora,
        ..ReadOptions::default()
    };
    let history = read_history(&opts.input, &read)?;
    let read_time = started.elapsed();
    let t = Instant::now();
    let windows = engine.window(&history, &opts.spec)?;
    let window_time = t.elapsed();
    match &opts.output {
        Some(path) => write_table(windows.table(), path)?,
        None => write_csv(windows.table(), &mut std::io::stdout().lock())?,
    }
    let backend = common::backend_label(&engine);
    eprintln!(
        "window: {} rows, {} windows, backend {backend}, elapsed {:.3} ms windowing (+{:.1} ms reading)",
        history.num_rows(),
        windows.len(),
        window_time.as_secs_f64() * 1e3,
        read_time.as_secs_f64() * 1e3,
    );
    Ok(())
}

fn main() {
    common::quiet_mesa();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    if let Err(e) = run() {
        eprintln!("window: {e}");
        std::process::exit(1);
    }
}
