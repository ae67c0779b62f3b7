//! Reductions, elementwise kernels (scalar, binary, gather, iota) and the successor kernels:
//! each group has the CPU twin, the GPU engine on device-resident columns (output left on the device,
//! then a wait), and `memcpy`, a CPU copy of the same bytes between reused buffers, in the same run.
//! `Throughput::Bytes` is the copy's byte count (the larger of the kernel's input and output bytes), so
//! criterion's GB/s of a kernel and of `memcpy` compare directly. `STREAMLINER_SKIP_GPU=1` benches the
//! CPU only.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use streamliner::{Column, Engine};

#[path = "common/mod.rs"]
mod engines;

type ColumnKernel = fn(&Engine, &[&Column<u64>], usize) -> streamliner::Result<usize>;

/// One group per kernel: `inputs` u64 columns built from seeded values.
fn bench_columns(c: &mut Criterion) {
    use streamliner::elementwise::{add_scalar, gather, iota, min};
    use streamliner::kernels::successor::{range_ends, successors, walk_marks};
    let (cpu, gpu) = engines::engines();
    // (name, number of inputs, kernel); inputs are made valid for each kernel below.
    let kernels: [(&str, usize, ColumnKernel); 7] = [
        ("elementwise_add_scalar_u64", 1, |e, c, _| add_scalar(e, c[0], 7).map(|r| r.len())),
        ("elementwise_min_u64", 2, |e, c, _| min(e, c[0], c[1]).map(|r| r.len())),
        ("gather_u64", 2, |e, c, _| gather(e, c[0], c[1]).map(|r| r.len())),
        ("iota_u64", 0, |e, _, n| iota(e, n, 5).map(|r| r.len())),
        ("successor_walk_marks", 1, |e, c, _| walk_marks(e, c[0]).map(|r| r.len())),
        ("successor_range_ends", 2, |e, c, n| range_ends(e, c[0], Some(c[1]), n as u64 - 1).map(|r| r.len())),
        ("successor_successors", 2, |e, c, n| successors(e, c[0], c[1], n as u64 - 1, false).map(|r| r.len())),
    ];
    for (name, arity, kernel) in kernels {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        for n in engines::SIZES {
            let last = n as u64 - 1;
            let r = engines::u64s(2 * n, 11);
            // Every input is a valid row index (gather, walk) or a row-shaped position (clamps).
            let inputs: Vec<Vec<u64>> = match name {
                "successor_walk_marks" => vec![(0..n as u64).map(|s| (s + 1 + r[s as usize] % 20).min(last)).collect()],
                _ => (0..arity).map(|k| r[k * n..(k + 1) * n].iter().map(|x| x % n as u64).collect()).collect(),
            };
            let bytes = inputs.len().max(1) * n * 8;
            group.throughput(Throughput::Bytes(bytes as u64));
            let src = vec![1u8; bytes];
            let mut dst = vec![0u8; bytes];
            group.bench_with_input(BenchmarkId::new("memcpy", n), &n, |b, _| {
                b.iter(|| {
                    dst.copy_from_slice(std::hint::black_box(&src));
                    std::hint::black_box(&dst);
                })
            });
            let host: Vec<Column<u64>> = inputs.iter().map(|v| cpu.upload(v).expect("host column")).collect();
            let host_refs: Vec<&Column<u64>> = host.iter().collect();
            group.bench_with_input(BenchmarkId::new("cpu", n), &n, |b, _| b.iter(|| kernel(&cpu, &host_refs, n)));
            if let Some((label, gpu)) = &gpu {
                let dev: Vec<Column<u64>> = inputs.iter().map(|v| gpu.upload(v).expect("upload")).collect();
                let dev_refs: Vec<&Column<u64>> = dev.iter().collect();
                group.bench_with_input(BenchmarkId::new(format!("{label}/resident"), n), &n, |b, _| {
                    b.iter(|| kernel(gpu, &dev_refs, n).and_then(|k| gpu.synchronize().map(|_| k)))
                });
            }
        }
        group.finish();
    }
}

/// Sum, min and max of u32 values: host slices on the CPU, resident columns on the GPU.
fn bench_reduce(c: &mut Criterion) {
    use streamliner::reduce::{max, min, sum};
    let (cpu, gpu) = engines::engines();
    type Host = fn(&Engine, &[u32]) -> streamliner::Result<u64>;
    type Resident = fn(&Engine, &Column<u32>) -> streamliner::Result<u64>;
    let kernels: [(&str, Host, Resident); 3] = [
        ("reduce_sum_u32", |e, v| sum(e, v), |e, c| sum(e, c)),
        (
            "reduce_min_u32",
            |e, v| min(e, v).map(|m| m.map_or(0, u64::from)),
            |e, c| min(e, c).map(|m| m.map_or(0, u64::from)),
        ),
        (
            "reduce_max_u32",
            |e, v| max(e, v).map(|m| m.map_or(0, u64::from)),
            |e, c| max(e, c).map(|m| m.map_or(0, u64::from)),
        ),
    ];
    for (name, host, resident) in kernels {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        for n in engines::SIZES {
            let data = engines::values(n);
            group.throughput(Throughput::Bytes(n as u64 * 4));
            let mut dst = vec![0u32; n];
            group.bench_with_input(BenchmarkId::new("memcpy", n), &n, |b, _| {
                b.iter(|| {
                    dst.copy_from_slice(std::hint::black_box(&data));
                    std::hint::black_box(&dst);
                })
            });
            group.bench_with_input(BenchmarkId::new("cpu", n), &n, |b, _| b.iter(|| host(&cpu, &data)));
            if let Some((label, gpu)) = &gpu {
                let col = gpu.upload(&data).expect("upload");
                group.bench_with_input(BenchmarkId::new(format!("{label}/resident"), n), &n, |b, _| {
                    b.iter(|| resident(gpu, &col))
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, bench_columns, bench_reduce);
criterion_main!(benches);
