//! Batched lower / upper bound, CPU twin and GPU in one group, `Throughput::Elements` (queries).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use streamliner::search::{Bound, Check, Haystack, search_sorted};

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
                        let out = search_sorted(gpu, &h, &q, bound, Check::Trust).map(|c| c.len());
                        gpu.synchronize().and(out)
                    })
                });
            }
        }
        group.finish();
    }
}

/// Sorted queries (as the windows issue them) in a haystack of the same length, beside a memcpy of both
/// arrays in the same run, up to 2^26 on the CPU; unsorted queries of the same values up to 2^24.
fn bench_sorted_queries(c: &mut Criterion) {
    let (cpu, gpu) = engines::engines();
    let mut group = c.benchmark_group("search_sorted_queries");
    group.sample_size(10);
    for log2 in [20, 22, 24, 26] {
        let n = 1usize << log2;
        let mut haystack: Vec<u64> = engines::u64s(n, 1).into_iter().map(|x| x >> 20).collect();
        haystack.sort_unstable();
        let unsorted: Vec<u64> = engines::u64s(n, 2).into_iter().map(|x| x >> 20).collect();
        let mut queries = unsorted.clone();
        queries.sort_unstable();
        group.throughput(Throughput::Elements(n as u64));
        let (mut dst_h, mut dst_q) = (vec![0u64; n], vec![0u64; n]);
        group.bench_with_input(BenchmarkId::new("memcpy_both", n), &n, |b, _| {
            b.iter(|| {
                dst_h.copy_from_slice(std::hint::black_box(&haystack));
                dst_q.copy_from_slice(std::hint::black_box(&queries));
                std::hint::black_box((&dst_h, &dst_q));
            })
        });
        drop((dst_h, dst_q));
        group.bench_with_input(BenchmarkId::new("cpu/sorted", n), &n, |b, _| {
            b.iter(|| search_sorted(&cpu, &haystack, &queries, Bound::Lower, Check::Trust).map(|v| v.len()))
        });
        if log2 <= 24 {
            group.bench_with_input(BenchmarkId::new("cpu/unsorted", n), &n, |b, _| {
                b.iter(|| search_sorted(&cpu, &haystack, &unsorted, Bound::Lower, Check::Trust).map(|v| v.len()))
            });
        }
        if let Some((label, gpu)) = &gpu
            && log2 <= 22
        {
            let h = gpu.upload(&haystack).expect("upload");
            let q = gpu.upload(&queries).expect("upload");
            group.bench_with_input(BenchmarkId::new(format!("{label}/resident_sorted"), n), &n, |b, _| {
                b.iter(|| {
                    let out = search_sorted(gpu, &h, &q, Bound::Lower, Check::Trust).map(|c| c.len());
                    gpu.synchronize().and(out)
                })
            });
            // Host queries, found sorted on the host: the block-local search (device columns take the
            // plain one), in a haystack uploaded once; the queries' upload and readback included.
            let prepared = Haystack::new(gpu, haystack.clone(), Check::Trust).expect("upload");
            group.bench_with_input(BenchmarkId::new(format!("{label}/prepared_sorted_local"), n), &n, |b, _| {
                b.iter(|| prepared.search(&queries, Bound::Lower).map(|v| v.len()))
            });
            group.bench_with_input(BenchmarkId::new(format!("{label}/prepared_unsorted"), n), &n, |b, _| {
                b.iter(|| prepared.search(&unsorted, Bound::Lower).map(|v| v.len()))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_search, bench_sorted_queries);
criterion_main!(benches);
