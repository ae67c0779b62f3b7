//! Prefix sums, CPU twin and GPU in one group per kernel, `Throughput::Elements`.
//!
//! The GPU engine is `Backend::Gpu`: on a machine without a GPU that is a software adapter, and its
//! benchmark ids say so (`gpu-software`). `STREAMLINER_SKIP_GPU=1` benches the CPU only.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use streamliner::Engine;
use streamliner::scan::{ScanKind, prefix_sum, prefix_sum_into};

#[path = "common/mod.rs"]
mod engines;

fn bench_scans(c: &mut Criterion) {
    let (cpu, gpu) = engines::engines();
    for (name, wide) in [("scan_u32", false), ("scan_u32_to_u64", true)] {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        for n in engines::SIZES {
            let data = engines::values(n);
            group.throughput(Throughput::Elements(n as u64));
            let run = |e: &Engine| {
                if wide {
                    prefix_sum::<u64, _>(e, &data, ScanKind::Exclusive).map(|v| v.len())
                } else {
                    prefix_sum::<u32, _>(e, &data, ScanKind::Exclusive).map(|v| v.len())
                }
            };
            group.bench_with_input(BenchmarkId::new("cpu", n), &n, |b, _| b.iter(|| run(&cpu)));
            if let Some((label, gpu)) = &gpu {
                group.bench_with_input(BenchmarkId::new(format!("{label}/roundtrip"), n), &n, |b, _| {
                    b.iter(|| run(gpu))
                });
                let col = gpu.upload(&data).expect("upload");
                group.bench_with_input(BenchmarkId::new(format!("{label}/resident"), n), &n, |b, _| {
                    b.iter(|| {
                        let out = if wide {
                            prefix_sum::<u64, _>(gpu, &col, ScanKind::Exclusive).map(|c| c.len())
                        } else {
                            prefix_sum::<u32, _>(gpu, &col, ScanKind::Exclusive).map(|c| c.len())
                        };
                        gpu.synchronize().and(out)
                    })
                });
            }
        }
        group.finish();
    }
}

/// CPU scans against a memcpy of the same bytes in the same run, up to 2^26 elements: `into` writes a
/// reused buffer (compare with `memcpy`, a copy into a reused buffer), `alloc` returns a fresh vector
/// (compare with `memcpy_alloc`, `to_vec`). For u32 -> u64 the copy moves the output's bytes.
fn bench_cpu_scans_vs_memcpy(c: &mut Criterion) {
    let cpu = Engine::new(streamliner::Backend::Cpu).expect("CPU engine");
    for n in [1usize << 20, 1 << 24, 1 << 26] {
        let data = engines::values(n);
        let wide_data: Vec<u64> = data.iter().map(|&x| u64::from(x)).collect();
        let mut group = c.benchmark_group(format!("cpu_scan_vs_memcpy/{n}"));
        group.sample_size(10);
        group.measurement_time(std::time::Duration::from_secs(3));
        group.throughput(Throughput::Elements(n as u64));
        let mut out32 = vec![0u32; n];
        let mut out64 = vec![0u64; n];
        group.bench_function("u32/memcpy", |b| b.iter(|| out32.copy_from_slice(&data)));
        group.bench_function("u32/memcpy_alloc", |b| b.iter(|| data.to_vec()));
        group.bench_function("u32/into", |b| b.iter(|| prefix_sum_into(&cpu, &data, &mut out32, ScanKind::Exclusive)));
        group.bench_function("u32/alloc", |b| b.iter(|| prefix_sum::<u32, _>(&cpu, &data, ScanKind::Exclusive)));
        group.bench_function("u64_out/memcpy", |b| b.iter(|| out64.copy_from_slice(&wide_data)));
        group.bench_function("u64_out/memcpy_alloc", |b| b.iter(|| wide_data.to_vec()));
        group.bench_function("u32_to_u64/into", |b| {
            b.iter(|| prefix_sum_into(&cpu, &data, &mut out64, ScanKind::Exclusive))
        });
        group.bench_function("u32_to_u64/alloc", |b| b.iter(|| prefix_sum::<u64, _>(&cpu, &data, ScanKind::Exclusive)));
        group.bench_function("u64/into", |b| {
            b.iter(|| prefix_sum_into(&cpu, &wide_data, &mut out64, ScanKind::Exclusive))
        });
        group.bench_function("u64/alloc", |b| b.iter(|| prefix_sum::<u64, _>(&cpu, &wide_data, ScanKind::Exclusive)));
        group.finish();
    }
}

/// GPU resident scans with each `ScanAlgorithm` in one group (u32 and u32 -> u64 sums, exclusive), at
/// 2^20, 2^22 and 2^24 elements. Skipped with `STREAMLINER_SKIP_GPU=1` or without an adapter.
fn bench_gpu_scan_algorithms(c: &mut Criterion) {
    use streamliner::scan::ScanAlgorithm;
    if std::env::var("STREAMLINER_SKIP_GPU").is_ok_and(|v| v == "1") {
        return;
    }
    let build = |a| Engine::builder().backend(streamliner::Backend::Gpu).scan_algorithm(a).build();
    let (Ok(single), Ok(classic)) = (build(ScanAlgorithm::SinglePass), build(ScanAlgorithm::ReduceThenScan)) else {
        eprintln!("no GPU adapter: skipping gpu_scan_algorithms");
        return;
    };
    for (name, wide) in [("gpu_scan_algorithms/u32", false), ("gpu_scan_algorithms/u32_to_u64", true)] {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        for n in [1usize << 20, 1 << 22, 1 << 24] {
            let data = engines::values(n);
            group.throughput(Throughput::Elements(n as u64));
            for (label, e) in [("single_pass", &single), ("reduce_then_scan", &classic)] {
                let col = e.upload(&data).expect("upload");
                group.bench_with_input(BenchmarkId::new(label, n), &n, |b, _| {
                    b.iter(|| {
                        let out = if wide {
                            prefix_sum::<u64, _>(e, &col, ScanKind::Exclusive).map(|c| c.len())
                        } else {
                            prefix_sum::<u32, _>(e, &col, ScanKind::Exclusive).map(|c| c.len())
                        };
                        e.synchronize().and(out)
                    })
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, bench_scans, bench_cpu_scans_vs_memcpy, bench_gpu_scan_algorithms);
criterion_main!(benches);
