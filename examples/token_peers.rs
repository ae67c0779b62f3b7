//! Token counts of a history's text column: streamliner against the Rust crates that ship OpenAI's
//! vocabularies, `bpe-openai` and `tiktoken-rs` (its `encode_ordinary`), each over every core (rayon, a
//! task per row), in the same run, on the same rows; the counts must agree.
//!
//! ```text
//! cargo run --release --example gen_history -- --messages 1000000 --output /tmp/h.parquet
//! cargo run --release --example token_peers -- --input /tmp/h.parquet [--column text]
//!     [--encoding o200k_base|cl100k_base] [--repeat 3] [--backend cpu|gpu|auto]
//! ```
//!
//! Each figure is the best of `--repeat` runs, after one untimed run that loads every vocabulary.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use rayon::prelude::*;
use streamliner::Backend;
use streamliner::io::{ReadOptions, read_history};
use streamliner::tokens::{Encoding, token_counts};

#[path = "common/mod.rs"]
mod common;

struct Options {
    input: PathBuf,
    column: String,
    encodings: Vec<Encoding>,
    repeat: usize,
    backend: Option<Backend>,
}

fn parse_args() -> Result<Options, Box<dyn std::error::Error>> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_env();
    let mut o =
        Options { input: PathBuf::new(), column: "text".into(), encodings: Vec::new(), repeat: 3, backend: None };
    while let Some(arg) = p.next()? {
        match arg {
            Long("input") => o.input = p.value()?.into(),
            Long("column") => o.column = p.value()?.string()?,
            Long("encoding") => o.encodings.push(p.value()?.string()?.parse()?),
            Long("repeat") => o.repeat = p.value()?.parse::<usize>()?.max(1),
            Long("backend") => o.backend = Some(p.value()?.string()?.parse()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    if o.input.as_os_str().is_empty() {
        return Err(
            "usage: token_peers --input FILE [--column text] [--encoding E]... [--repeat N] [--backend B]".into()
        );
    }
    if o.encodings.is_empty() {
        o.encodings = Encoding::ALL.to_vec();
    }
    Ok(o)
}

/// The rows of a string column as `&str` (nulls as empty).
fn rows(a: &ArrayRef) -> Vec<&str> {
    match a.data_type() {
        DataType::Utf8 => a.as_string::<i32>().iter().map(|v| v.unwrap_or("")).collect(),
        DataType::LargeUtf8 => a.as_string::<i64>().iter().map(|v| v.unwrap_or("")).collect(),
        DataType::Utf8View => a.as_string_view().iter().map(|v| v.unwrap_or("")).collect(),
        other => panic!("the column is {other}, not text"),
    }
}

/// The best time of `repeat` runs of `f`, and its last result.
fn best<T>(repeat: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut out = f();
    let mut best = Duration::MAX;
    for _ in 0..repeat {
        let t = Instant::now();
        out = f();
        best = best.min(t.elapsed());
    }
    (best, out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::quiet_mesa();
    let o = parse_args()?;
    let engine = common::engine(o.backend)?;
    let table = read_history(&o.input, &ReadOptions::default())?;
    let column = table.column_by_name(&o.column).ok_or_else(|| format!("no column {:?}", o.column))?.clone();
    let texts = rows(&column);
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    common::outln!(
        "{}: {} rows, {:.1} MB of text; {} threads; streamliner on {}",
        o.input.display(),
        texts.len(),
        bytes as f64 / 1e6,
        rayon::current_num_threads(),
        common::backend_label(&engine)
    );
    for enc in o.encodings {
        let (ours_t, ours) = best(o.repeat, || token_counts(&engine, column.as_ref(), enc));
        let ours: Vec<u32> = ours?.values().to_vec();
        let bpe = match enc {
            Encoding::O200kBase => bpe_openai::o200k_base(),
            Encoding::Cl100kBase => bpe_openai::cl100k_base(),
            other => return Err(format!("bpe-openai has no {other}").into()),
        };
        let (bpe_t, bpe_counts) =
            best(o.repeat, || texts.par_iter().map(|s| bpe.count(*s) as u32).collect::<Vec<u32>>());
        let tik = match enc {
            Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
            other => return Err(format!("tiktoken-rs has no {other}").into()),
        };
        let (tik_t, tik_counts) =
            best(o.repeat, || texts.par_iter().map(|s| tik.encode_ordinary(s).len() as u32).collect::<Vec<u32>>());
        let tokens: u64 = ours.iter().map(|&c| u64::from(c)).sum();
        let agree = |other: &[u32]| if other == ours.as_slice() { "equal counts" } else { "COUNTS DIFFER" };
        common::outln!("{enc}: {tokens} tokens");
        for (name, t, note) in [
            ("streamliner", ours_t, ""),
            ("bpe-openai", bpe_t, agree(&bpe_counts)),
            ("tiktoken-rs", tik_t, agree(&tik_counts)),
        ] {
            common::outln!(
                "  {name:<12} {:>8.3} s  {:>7.1} MB/s  {:>5.2}x of tiktoken-rs  {note}",
                t.as_secs_f64(),
                bytes as f64 / 1e6 / t.as_secs_f64(),
                tik_t.as_secs_f64() / t.as_secs_f64()
            );
        }
    }
    Ok(())
}
