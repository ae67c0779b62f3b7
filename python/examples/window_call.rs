//! Times `Engine::window` in process, for comparison with the Python call `streamliner.window` on the same
//! table (docs/benchmarks.md, "Python").
//!
//! ```text
//! cargo run --release -p streamliner-python --example window_call -- HISTORY.parquet [RUNS] [ARGS...]
//! ```
//!
//! The history's `ts` and `text` columns are read whole (one batch); then the default windows (100
//! messages, overlap 0.2, strict), or those of `--by bytes --egregora`, are computed RUNS times (default 7)
//! after one warm-up; it prints each run's milliseconds and the median.

use std::path::PathBuf;
use std::time::Instant;

use streamliner::io::{ReadOptions, read_history};
use streamliner::window::{Semantics, WindowSpec};
use streamliner::{Backend, Engine};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().ok_or("usage: window_call HISTORY.parquet [RUNS] [--by-bytes-egregora]")?);
    let runs: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(7);
    let bytes = args.any(|a| a == "--by-bytes-egregora");
    let read = ReadOptions { columns: Some(vec!["ts".into(), "text".into()]), ..ReadOptions::default() };
    let history = read_history(&path, &read)?;
    let engine = Engine::new(Backend::Cpu)?;
    let spec = if bytes { WindowSpec::bytes(320_000).semantics(Semantics::Egregora) } else { WindowSpec::default() };
    let mut times = Vec::new();
    let mut windows = 0;
    for run in 0..=runs {
        let started = Instant::now();
        windows = engine.window(&history, &spec)?.len();
        let ms = started.elapsed().as_secs_f64() * 1e3;
        if run > 0 {
            times.push(ms);
        }
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let runs_text: Vec<String> = times.iter().map(|t| format!("{t:.1}")).collect();
    println!(
        "rust Engine::window: {} rows, {windows} windows, runs ms [{}], median {:.1} ms",
        history.num_rows(),
        runs_text.join(", "),
        sorted[sorted.len() / 2]
    );
    Ok(())
}
