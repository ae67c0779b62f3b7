//! ETL kernels, CPU twin and GPU in one group per kernel, `Throughput::Elements` (messages).

use arrow_array::{Array, BooleanArray};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use streamliner::Engine;
use streamliner::compact::indices;
use streamliner::etl::{author_uuids, date_range_mask, message_ids, opt_out_keys, opt_out_mask, window_aggregates};
use streamliner::strings::{LengthUnit, lengths};
use streamliner::text_match::{extract_urls, starts_with_ignore_ascii_case};
use streamliner::time::{local_to_utc, utc_dates};
use streamliner::window::WindowSpec;

#[path = "common/mod.rs"]
mod engines;

const SIZES: [usize; 2] = [1 << 14, 1 << 17];

fn bench_etl(c: &mut Criterion) {
    let (cpu, gpu) = engines::engines();
    let mut engines_list: Vec<(String, &Engine)> = vec![("cpu".into(), &cpu)];
    if let Some((label, g)) = &gpu {
        engines_list.push((label.clone(), g));
    }
    type Kernel = fn(&Engine, &engines::Messages) -> usize;
    let kernels: [(&str, Kernel); 11] = [
        ("text_lengths_code_points", |e, m| lengths(e, &m.0, LengthUnit::CodePoints).map(|a| a.len()).unwrap_or(0)),
        ("author_uuid5", |e, m| author_uuids(e, &m.1).map(|a| a.len()).unwrap_or(0)),
        ("command_mask", |e, m| starts_with_ignore_ascii_case(e, &m.0, "/egregora").map(|a| a.len()).unwrap_or(0)),
        ("urls", |e, m| extract_urls(e, &m.0).map(|a| a.len()).unwrap_or(0)),
        ("message_ids", |e, m| message_ids(e, &m.2).map(|a| a.len()).unwrap_or(0)),
        ("local_to_utc", |e, m| local_to_utc(e, &m.2, "Europe/Paris").map(|a| a.len()).unwrap_or(0)),
        ("utc_dates", |e, m| utc_dates(e, &m.2).map(|a| a.len()).unwrap_or(0)),
        ("date_range_mask", |e, m| date_range_mask(e, &m.2, 19_700, 19_800).map(|a| a.len()).unwrap_or(0)),
        ("opt_out_mask", |e, m| opt_out_mask(e, &m.3, &opt_out_keys(["Alice", "Zoë"])).map(|a| a.len()).unwrap_or(0)),
        ("window_aggregates", |e, m| {
            let batch = arrow_array::RecordBatch::try_from_iter([
                ("ts", std::sync::Arc::new(m.2.clone().with_timezone("UTC")) as arrow_array::ArrayRef),
                ("text", std::sync::Arc::new(m.0.clone()) as _),
                ("author", std::sync::Arc::new(m.1.clone()) as _),
            ])
            .expect("batch");
            let w = e.window(&batch, &WindowSpec::messages(100)).expect("windows");
            window_aggregates(e, &w, "author").map(|a| a.num_rows()).unwrap_or(0)
        }),
        ("compaction", |e, m| {
            let mask = BooleanArray::from((0..m.0.len()).map(|i| i % 3 == 0).collect::<Vec<_>>());
            indices(e, &mask).map(|a| a.len()).unwrap_or(0)
        }),
    ];
    for (name, kernel) in kernels {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        for n in SIZES {
            let data = engines::messages(n);
            group.throughput(Throughput::Elements(n as u64));
            for (label, engine) in &engines_list {
                group
                    .bench_with_input(BenchmarkId::new(label.as_str(), n), &n, |b, _| b.iter(|| kernel(engine, &data)));
            }
        }
        group.finish();
    }
}

/// `filter_batch` on the CPU engine (indices from the mask's bitmap, then arrow's `take`) against
/// arrow's own `filter_record_batch`, and `indices` alone, on a batch of 2^20 messages and half-kept
/// masks (random, and in runs of 1024 rows).
fn bench_cpu_filter(c: &mut Criterion) {
    let cpu = Engine::new(streamliner::Backend::Cpu).expect("CPU engine");
    let n = 1 << 20;
    let m = engines::messages(n);
    let batch = arrow_array::RecordBatch::try_from_iter([
        ("ts", std::sync::Arc::new(m.2.clone()) as arrow_array::ArrayRef),
        ("text", std::sync::Arc::new(m.0.clone()) as _),
        ("author", std::sync::Arc::new(m.1.clone()) as _),
    ])
    .expect("batch");
    let bits = engines::u64s(n, 11);
    let masks = [
        ("random", BooleanArray::from_iter(bits.iter().map(|x| Some(x & 1 == 1)))),
        ("runs", BooleanArray::from_iter((0..n).map(|i| Some((i >> 10) & 1 == 1)))),
    ];
    let mut group = c.benchmark_group("cpu_filter");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    for (name, mask) in &masks {
        group.bench_with_input(BenchmarkId::new("indices", name), mask, |b, mask| {
            b.iter(|| indices(&cpu, mask).map(|a| a.len()))
        });
        group.bench_with_input(BenchmarkId::new("filter_batch", name), mask, |b, mask| {
            b.iter(|| streamliner::compact::filter_batch(&cpu, &batch, mask).map(|r| r.num_rows()))
        });
        group.bench_with_input(BenchmarkId::new("arrow_filter_record_batch", name), mask, |b, mask| {
            b.iter(|| arrow_select::filter::filter_record_batch(&batch, mask).map(|r| r.num_rows()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_etl, bench_cpu_filter);
criterion_main!(benches);
