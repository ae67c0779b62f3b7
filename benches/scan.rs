//! Prefix sums, CPU twin and GPU in one group per kernel, `Throughput::Elements`.
//!
//! The GPU engine is `Backend::Gpu`: on a machine without a GPU that is a software adapter, and its
//! benchmark ids say so (`gpu-software`). `STREAMLINER_SKIP_GPU=1` benches the CPU only.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use streamliner::Engine;
use streamliner::scan::{ScanKind, prefix_sum, prefix_sum_column};

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
                    prefix_sum::<u64>(e, &data, ScanKind::Exclusive).map(|v| v.len())
                } else {
                    prefix_sum::<u32>(e, &data, ScanKind::Exclusive).map(|v| v.len())
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
                            prefix_sum_column::<u64>(gpu, &col, ScanKind::Exclusive).map(|c| c.len())
                        } else {
                            prefix_sum_column::<u32>(gpu, &col, ScanKind::Exclusive).map(|c| c.len())
                        };
                        gpu.synchronize().and(out)
                    })
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, bench_scans);
criterion_main!(benches);
