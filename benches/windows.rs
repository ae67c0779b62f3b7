//! Windows over 10^6 generated messages (texts of words, emoji and links; timestamps minutes apart), on
//! the CPU engine: each window kind and unit, the history given as one batch, as eight batches (as
//! `pyarrow.parquet.read_table` hands a Parquet file of eight row groups over), and streamed in eight
//! batches. `Throughput::Elements` is the messages. With a GPU engine (unless `STREAMLINER_SKIP_GPU=1`)
//! the same at 10^5 messages.

use std::sync::Arc;
use std::time::Duration;

use arrow_array::{ArrayRef, RecordBatch};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use streamliner::strings::LengthUnit;
use streamliner::window::{Semantics, WindowSpec};
use streamliner::{Engine, Error};

#[path = "common/mod.rs"]
mod engines;

/// The history: `ts` (UTC microseconds, ascending) and `text`.
fn history(n: usize) -> RecordBatch {
    let (text, _, ts, _) = engines::messages(n);
    RecordBatch::try_from_iter([
        ("ts", Arc::new(ts.with_timezone("UTC")) as ArrayRef),
        ("text", Arc::new(text) as ArrayRef),
    ])
    .expect("history")
}

/// `h` cut into `k` consecutive batches of (nearly) equal size.
fn chunks(h: &RecordBatch, k: usize) -> Vec<RecordBatch> {
    let step = h.num_rows().div_ceil(k);
    (0..h.num_rows()).step_by(step).map(|at| h.slice(at, step.min(h.num_rows() - at))).collect()
}

fn specs() -> Vec<(&'static str, WindowSpec)> {
    vec![
        ("bytes_utf8", WindowSpec::bytes(320_000)),
        ("bytes_chars", WindowSpec::bytes(320_000).length_unit(LengthUnit::CodePoints)),
        ("bytes_egregora", WindowSpec::bytes(320_000).semantics(Semantics::Egregora)),
        ("bytes_max_time", WindowSpec::bytes(320_000).max_window_time(Duration::from_secs(6 * 3600))),
        ("messages", WindowSpec::messages(100)),
        ("hours", WindowSpec::hours(6)),
    ]
}

fn bench_on(c: &mut Criterion, label: &str, engine: &Engine, n: usize) {
    let h = history(n);
    let eight = chunks(&h, 8);
    for (name, spec) in specs() {
        let mut group = c.benchmark_group(format!("window_{name}"));
        group.sample_size(10);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new(format!("{label}/one_batch"), n), &n, |b, _| {
            b.iter(|| engine.window(&h, &spec).expect("windows").len())
        });
        group.bench_with_input(BenchmarkId::new(format!("{label}/eight_batches"), n), &n, |b, _| {
            b.iter(|| engine.window_batches(&eight, &spec).expect("windows").len())
        });
        group.bench_with_input(BenchmarkId::new(format!("{label}/streamed"), n), &n, |b, _| {
            b.iter(|| {
                let input = eight.iter().cloned().map(Ok::<_, Error>);
                engine
                    .window_stream(input, &spec)
                    .expect("stream")
                    .map(|w| w.expect("window").window.units)
                    .sum::<u64>()
            })
        });
        group.finish();
    }
}

fn bench_windows(c: &mut Criterion) {
    let (cpu, gpu) = engines::engines();
    bench_on(c, "cpu", &cpu, 1_000_000);
    if let Some((label, gpu)) = &gpu {
        bench_on(c, label, gpu, 100_000);
    }
}

criterion_group!(benches, bench_windows);
criterion_main!(benches);
