//! Batched lower / upper bound, CPU twin and GPU in one group, `Throughput::Elements` (queries).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use streamliner::search::{Bound, Check, search_sorted, search_sorted_column};

#[path = "common/mod.rs"]
mod engines;

fn bench_search(c: &mut Criterion) {
    let (cpu, gpu) = engines::engines();
    for (name, bound) in [("lower_bound", Bound::Lower), ("upper_bound", Bound::Upper)] {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        for n in engines::SIZES {
            let mut haystack: Vec<u64> = engines::u64s(n, 1).into_iter().map(|x| x >> 20).collect();
            haystack.sort_unstable();
            let queries: Vec<u64> = engines::u64s(n, 2).into_iter().map(|x| x >> 20).collect();
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::new("cpu", n), &n, |b, _| {
                b.iter(|| search_sorted(&cpu, &haystack, &queries, bound, Check::Trust).map(|v| v.len()))
            });
            if let Some((label, gpu)) = &gpu {
                group.bench_with_input(BenchmarkId::new(format!("{label}/roundtrip"), n), &n, |b, _| {
                    b.iter(|| search_sorted(gpu, &haystack, &queries, bound, Check::Trust).map(|v| v.len()))
                });
                let h = gpu.upload(&haystack).expect("upload");
                let q = gpu.upload(&queries).expect("upload");
                group.bench_with_input(BenchmarkId::new(format!("{label}/resident"), n), &n, |b, _| {
                    b.iter(|| {
                        let out = search_sorted_column(gpu, &h, &q, bound, Check::Trust).map(|c| c.len());
                        gpu.synchronize().and(out)
                    })
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, bench_search);
criterion_main!(benches);
