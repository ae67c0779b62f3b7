//! Prompts, their SHA-256 and media references, CPU twin and GPU in one group per kernel,
//! `Throughput::Elements` (messages). Windows are the pipeline's: 100 messages, overlap 0.2.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use streamliner::Engine;
use streamliner::llm::PromptTemplate;
use streamliner::media::media_references;

#[path = "common/mod.rs"]
mod engines;

const SIZES: [usize; 2] = [1 << 14, 1 << 17];

/// The message table's rendered columns: msg_id, ts (UTC), text.
fn table(n: usize) -> RecordBatch {
    let (text, _, ts, _) = engines::messages(n);
    let ids = StringArray::from_iter_values((0..n).map(|i| format!("{}_{i}", i * 1000)));
    RecordBatch::try_from_iter([
        ("msg_id", Arc::new(ids) as ArrayRef),
        ("ts", Arc::new(ts.with_timezone("UTC")) as _),
        ("text", Arc::new(text) as _),
    ])
    .expect("batch")
}

/// The pipeline's count windows: 100 messages, 20 more of overlap, every 100.
fn windows(n: u64) -> Vec<(u64, u64)> {
    (0..n).step_by(100).map(|s| (s, (s + 120).min(n))).collect()
}

fn bench_llm(c: &mut Criterion) {
    let (cpu, gpu) = engines::engines();
    let mut engines_list: Vec<(String, &Engine)> = vec![("cpu".into(), &cpu)];
    if let Some((label, g)) = &gpu {
        engines_list.push((label.clone(), g));
    }
    let template = PromptTemplate::egregora();
    let mut group = c.benchmark_group("render_egregora");
    group.sample_size(10);
    for n in SIZES {
        let t = table(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("cpu", n), &n, |b, _| {
            b.iter(|| template.render(&t).map(|r| r.len()).unwrap_or(0))
        });
    }
    group.finish();
    for (name, with_prompts) in [("sign_windows", false), ("join_prompts", true)] {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        for n in SIZES {
            let rendered = template.render(&table(n)).expect("render");
            let w = windows(n as u64);
            group.throughput(Throughput::Elements(n as u64));
            for (label, engine) in &engines_list {
                if with_prompts && label != "cpu" {
                    continue;
                }
                group.bench_with_input(BenchmarkId::new(label.as_str(), n), &n, |b, _| {
                    b.iter(|| {
                        if with_prompts {
                            rendered.prompts(&w).map(|p| p.len()).unwrap_or(0)
                        } else {
                            rendered.digests(engine, &w).map(|d| d.len()).unwrap_or(0)
                        }
                    })
                });
            }
        }
        group.finish();
    }
    let mut group = c.benchmark_group("media_references");
    group.sample_size(10);
    for n in SIZES {
        let (text, ..) = engines::messages(n);
        group.throughput(Throughput::Elements(n as u64));
        for (label, engine) in &engines_list {
            group.bench_with_input(BenchmarkId::new(label.as_str(), n), &n, |b, _| {
                b.iter(|| media_references(engine, &text).map(|a| a.len()).unwrap_or(0))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_llm);
criterion_main!(benches);
