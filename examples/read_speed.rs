//! Times streaming a history file through `open_history` (every batch decoded, none kept).
//!
//! ```text
//! cargo run --release --example read_speed -- FILE [--columns ts,text] [--batch-size N] [--repeat R] [--whole | --collect]
//! ```
//!
//! Prints one line per run (rows, batches, seconds, rows/s) and the process's peak resident memory. With
//! `--whole`, each run reads the file into one batch with `read_history` instead (like `pyarrow`'s
//! `read_table`, which builds the whole table); with `--collect`, each run keeps every batch of the stream (the
//! shape of `read_table`'s result: a table of chunks, not one contiguous array).

use std::path::PathBuf;
use std::time::Instant;

use streamliner::io::{ReadOptions, open_history};

/// `println!` that stops quietly (status 0) when stdout's reader has gone away (`| head`).
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        if writeln!(out, $($t)*).and_then(|()| out.flush()).is_err() {
            std::process::exit(0);
        }
    }};
}

/// `eprintln!` that ignores a closed stderr.
macro_rules! errln {
    ($($t:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stderr().lock(), $($t)*);
    }};
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_env();
    let (mut input, mut opts, mut repeat) = (None, ReadOptions::default(), 3usize);
    let (mut whole, mut collect) = (false, false);
    while let Some(arg) = p.next()? {
        match arg {
            Long("columns") => {
                opts.columns = Some(p.value()?.string()?.split(',').map(str::to_string).collect());
            }
            Long("batch-size") => opts.batch_size = p.value()?.parse()?,
            Long("repeat") => repeat = p.value()?.parse()?,
            Long("whole") => whole = true,
            Long("collect") => collect = true,
            Value(v) if input.is_none() => input = Some(PathBuf::from(v)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let Some(input) = input else {
        errln!("usage: read_speed FILE [--columns ts,text] [--batch-size N] [--repeat R] [--whole | --collect]");
        std::process::exit(2)
    };
    for run in 1..=repeat {
        let started = Instant::now();
        if whole {
            let table = streamliner::io::read_history(&input, &opts)?;
            let secs = started.elapsed().as_secs_f64();
            let types: Vec<String> =
                table.schema_ref().fields().iter().map(|f| format!("{}: {}", f.name(), f.data_type())).collect();
            outln!("run {run} (whole): {} rows in one batch ({}), {secs:.3} s", table.num_rows(), types.join(", "));
            continue;
        }
        let mut reader = open_history(&input, &opts)?;
        let mut batches = 0u64;
        let mut kept = Vec::new();
        for batch in reader.by_ref() {
            let batch = std::hint::black_box(batch?);
            if collect {
                kept.push(batch);
            }
            batches += 1;
        }
        let secs = started.elapsed().as_secs_f64();
        let rows = reader.rows_read();
        outln!("run {run}: {rows} rows in {batches} batches, {secs:.3} s, {:.1} M rows/s", rows as f64 / secs / 1e6);
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(hwm) = status.lines().find(|l| l.starts_with("VmHWM")) {
        outln!("peak RSS: {}", hwm.trim_start_matches("VmHWM:").trim());
    }
    Ok(())
}
