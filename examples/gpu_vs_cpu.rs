//! GPU against CPU, kernel by kernel, as a markdown table.
//!
//! ```text
//! cargo run --release --example gpu_vs_cpu -- [--quick] [--runs N] [--sizes 65536,1048576]
//! ```
//!
//! It always runs the GPU path, even on a software adapter (lavapipe), and says so. Columns:
//! - `cpu ms`: the CPU twin, host slice in, host vector out;
//! - `gpu ms (upload+run+readback)`: the same call on the GPU engine, host slice in, host vector out;
//! - `gpu ms (resident)`: the kernel on data already on the device, output left there (submit + wait);
//! - `memcpy ms`: a plain CPU copy of the input's bytes, in the same run, as a yardstick;
//! - `match`: whether the GPU output equals the CPU output element by element.
//!
//! Times are medians of `--runs` runs (default 5) after one warm-up run.

use std::time::{Duration, Instant};

use arrow_array::{Array, ArrayRef, BooleanArray, StringArray, TimestampMicrosecondArray};
use streamliner::compact::indices;
use streamliner::etl::{author_uuids, message_ids};
use streamliner::scan::{ScanKind, prefix_sum};
use streamliner::search::{Bound, Check, Haystack, search_sorted};
use streamliner::strings::{LengthUnit, lengths};
use streamliner::text_match::extract_urls;
use streamliner::time::local_to_utc;
use streamliner::{Backend, Engine};

#[path = "common/mod.rs"]
mod common;

struct Options {
    sizes: Vec<usize>,
    runs: usize,
}

fn parse_args() -> Result<Options, lexopt::Error> {
    use lexopt::prelude::*;
    let mut quick = false;
    let mut runs = 5;
    let mut sizes = None;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("quick") => quick = true,
            Long("runs") => runs = parser.value()?.parse::<usize>()?.max(1),
            Long("sizes") => {
                let text: String = parser.value()?.parse()?;
                let parsed: Result<Vec<usize>, _> = text.split(',').map(|s| s.trim().parse::<usize>()).collect();
                sizes = Some(parsed.map_err(|e| lexopt::Error::Custom(format!("--sizes: {e}").into()))?);
            }
            Long("help") | Short('h') => {
                common::outln!("usage: gpu_vs_cpu [--quick] [--runs N] [--sizes N,N,...]");
                std::process::exit(0);
            }
            _ => return Err(arg.unexpected()),
        }
    }
    let sizes = sizes.unwrap_or_else(|| {
        if quick { vec![1 << 16, 1 << 20, 1 << 22] } else { vec![1 << 16, 1 << 20, 1 << 24, 1 << 26] }
    });
    Ok(Options { sizes, runs })
}

/// Median wall time of `runs` calls after one warm-up call.
fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut out = f();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        out = f();
        times.push(t.elapsed());
    }
    times.sort();
    (times[times.len() / 2], out)
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

fn memcpy_ms<T: Copy>(runs: usize, data: &[T]) -> Duration {
    let mut dst: Vec<T> = data.to_vec();
    median(runs, || {
        dst.copy_from_slice(std::hint::black_box(data));
        std::hint::black_box(&dst);
    })
    .0
}

struct Row {
    kernel: &'static str,
    n: usize,
    cpu: Duration,
    gpu: Duration,
    /// None where the kernel has no device-resident form.
    resident: Option<Duration>,
    memcpy: Duration,
    matches: bool,
}

fn print_row(r: &Row) {
    common::outln!(
        "| {} | {} | {} | {} | {} | {} | {} |",
        r.kernel,
        r.n,
        if r.cpu.is_zero() { "n/a".to_string() } else { ms(r.cpu) },
        if r.gpu.is_zero() { "n/a".to_string() } else { ms(r.gpu) },
        r.resident.map_or("n/a".to_string(), ms),
        ms(r.memcpy),
        if r.matches { "yes" } else { "no" }
    );
}

/// A device-to-device copy of the scan input's bytes (`copy_buffer_to_buffer`), timed like the
/// resident rows (record, submit, wait), on a device of the same adapter as the engine's: the floor a
/// resident scan (one read, one write) can be compared with in the same run. The upload column is
/// and cpu columns are n/a (printed for a zero duration); match checks the copied bytes.
fn device_copy_row(adapter_name: &str, values: &[u32], runs: usize) -> Result<Row, Box<dyn std::error::Error>> {
    use streamliner::wgpu;
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle().with_env());
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    let adapter = adapters
        .into_iter()
        .find(|a| a.get_info().name == adapter_name)
        .ok_or_else(|| format!("adapter {adapter_name} not found again"))?;
    let (device, queue) = pollster::block_on(
        adapter.request_device(&wgpu::DeviceDescriptor { required_limits: adapter.limits(), ..Default::default() }),
    )?;
    let bytes: &[u8] = bytemuck::cast_slice(values);
    let size = (bytes.len() as u64).max(4);
    let make =
        |usage| device.create_buffer(&wgpu::BufferDescriptor { label: None, size, usage, mapped_at_creation: false });
    let src = make(wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST);
    let dst = make(wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST);
    let staging = make(wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
    queue.write_buffer(&src, 0, bytes);
    let wait = || device.poll(wgpu::PollType::wait_indefinitely()).map(|_| ()).map_err(|e| e.to_string());
    wait()?;
    let (copy_t, r) = median(runs, || {
        let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
        enc.copy_buffer_to_buffer(&src, 0, &dst, 0, size);
        queue.submit(Some(enc.finish()));
        wait()
    });
    r?;
    let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
    enc.copy_buffer_to_buffer(&dst, 0, &staging, 0, size);
    queue.submit(Some(enc.finish()));
    staging.slice(..).map_async(wgpu::MapMode::Read, |_| {});
    wait()?;
    let matches = staging.slice(..).get_mapped_range().map_err(|e| e.to_string())?[..bytes.len()] == *bytes;
    let memcpy = memcpy_ms(runs, values);
    Ok(Row {
        kernel: "device copy u32 (copy_buffer_to_buffer)",
        n: values.len(),
        cpu: Duration::ZERO,
        gpu: Duration::ZERO,
        resident: Some(copy_t),
        memcpy,
        matches,
    })
}

const NAMES: [&str; 8] = ["Alice", " Bob", "José\t", "Zoë", "李雷", "Ana María", "Ингрид ", "Noor"];
const WORDS: [&str; 10] =
    ["the", "café", "😀", "https://example.org/p?id=7", "plan", "日本", "review", "<http://a.b/c>", "ok", "€20"];

/// ETL inputs: texts, authors and local timestamps for `n` messages.
fn etl_data(rng: &mut common::Rng, n: usize) -> (StringArray, StringArray, TimestampMicrosecondArray) {
    let texts: Vec<String> = (0..n)
        .map(|_| {
            let k = 1 + rng.next() % 12;
            (0..k).map(|_| WORDS[(rng.next() % WORDS.len() as u64) as usize]).collect::<Vec<_>>().join(" ")
        })
        .collect();
    let authors: Vec<&str> = (0..n).map(|_| NAMES[(rng.next() % NAMES.len() as u64) as usize]).collect();
    let mut t = 1_700_000_000_000_000i64;
    let ts: Vec<i64> = (0..n)
        .map(|_| {
            t += (rng.next() % 600_000_000) as i64;
            t
        })
        .collect();
    (StringArray::from(texts), StringArray::from(authors), TimestampMicrosecondArray::from(ts))
}

/// One row of an ETL kernel: the same call on both engines, outputs compared as Arrow arrays.
fn etl_row<T: PartialEq>(
    kernel: &'static str,
    n: usize,
    runs: usize,
    input_bytes: &[u8],
    cpu: &Engine,
    gpu: &Engine,
    f: impl Fn(&Engine) -> streamliner::Result<T>,
) -> Result<Row, Box<dyn std::error::Error>> {
    let (cpu_t, c) = median(runs, || f(cpu));
    let (gpu_t, g) = median(runs, || f(gpu));
    Ok(Row {
        kernel,
        n,
        cpu: cpu_t,
        gpu: gpu_t,
        resident: None,
        memcpy: memcpy_ms(runs, input_bytes),
        matches: c? == g?,
    })
}

/// Searches of sorted queries (as the windows issue them): u64 and i64 (timestamps) haystacks, the
/// memcpy column copying both arrays' bytes; resident: the haystack prepared once on the device
/// ([`Haystack`]), the queries uploaded and the positions read back by each call.
fn sorted_search_rows(
    cpu: &Engine,
    gpu: &Engine,
    runs: usize,
    haystack: &[u64],
    queries: &[u64],
) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    let n = queries.len();
    let mut sorted = queries.to_vec();
    sorted.sort_unstable();
    let both: Vec<u64> = haystack.iter().chain(&sorted).copied().collect();
    let memcpy = memcpy_ms(runs, &both);
    drop(both);
    let mut rows = Vec::new();
    let (cpu_t, c) = median(runs, || search_sorted(cpu, haystack, &sorted, Bound::Lower, Check::Trust));
    let (gpu_t, g) = median(runs, || search_sorted(gpu, haystack, &sorted, Bound::Lower, Check::Trust));
    let prepared = Haystack::new(gpu, haystack.to_vec(), Check::Trust)?;
    let (res_t, r) = median(runs, || prepared.search(&sorted, Bound::Lower));
    let c = c?;
    let matches = c == g? && r? == c;
    rows.push(Row {
        kernel: "lower_bound, sorted queries",
        n,
        cpu: cpu_t,
        gpu: gpu_t,
        resident: Some(res_t),
        memcpy,
        matches,
    });
    // The same values as i64 timestamps around zero, searched signed.
    let shift = |v: &u64| (*v as i64).wrapping_sub(1 << 43);
    let hay_i: Vec<i64> = haystack.iter().map(shift).collect();
    let q_i: Vec<i64> = sorted.iter().map(shift).collect();
    let (cpu_t, c) = median(runs, || search_sorted(cpu, &hay_i, &q_i, Bound::Lower, Check::Trust));
    let (gpu_t, g) = median(runs, || search_sorted(gpu, &hay_i, &q_i, Bound::Lower, Check::Trust));
    let prepared = Haystack::new(gpu, hay_i.clone(), Check::Trust)?;
    let (res_t, r) = median(runs, || prepared.search(&q_i, Bound::Lower));
    let c = c?;
    let matches = c == g? && r? == c;
    rows.push(Row {
        kernel: "lower_bound i64, sorted queries",
        n,
        cpu: cpu_t,
        gpu: gpu_t,
        resident: Some(res_t),
        memcpy,
        matches,
    });
    Ok(rows)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::quiet_mesa();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let opts = parse_args()?;
    let cpu = Engine::new(Backend::Cpu)?;
    let gpu = Engine::new(Backend::Gpu).map_err(|e| format!("gpu_vs_cpu needs a GPU adapter: {e}"))?;
    let Some(adapter) = gpu.adapter() else {
        return Err("the GPU engine has no adapter".into());
    };
    common::outln!("GPU adapter: {adapter}");
    if adapter.software {
        common::outln!(
            "Note: {} is a software adapter (the GPU path emulated on the CPU). Its timings show correctness and \
             overheads, not what a real GPU does; Backend::Auto would not choose it.",
            adapter.name
        );
    }
    common::outln!(
        "CPU: {} threads. Medians of {} runs after a warm-up; memcpy copies the input's bytes.",
        cpu_threads(),
        opts.runs
    );
    common::outln!();
    common::outln!("| kernel | n | cpu ms | gpu ms (upload+run+readback) | gpu ms (resident) | memcpy ms | match |");
    common::outln!("|---|---:|---:|---:|---:|---:|---|");

    let mut rng = common::Rng(42);
    for &n in &opts.sizes {
        common::errln!("size {n}: preparing data");
        let values: Vec<u32> = (0..n).map(|_| (rng.next() >> 40) as u32).collect();
        let mut haystack: Vec<u64> = (0..n).map(|_| rng.next() >> 20).collect();
        haystack.sort_unstable();
        let queries: Vec<u64> = (0..n).map(|_| rng.next() >> 20).collect();
        let mut rows = Vec::new();

        common::errln!("size {n}: scans");
        let col = gpu.upload(&values)?;
        {
            let (cpu_t, c) = median(opts.runs, || prefix_sum::<u32, _>(&cpu, &values, ScanKind::Exclusive));
            let (gpu_t, g) = median(opts.runs, || prefix_sum::<u32, _>(&gpu, &values, ScanKind::Exclusive));
            let (res_t, r) = median(opts.runs, || {
                prefix_sum::<u32, _>(&gpu, &col, ScanKind::Exclusive).and_then(|c| gpu.synchronize().map(|_| c))
            });
            let matches = c? == g? && r?.to_vec()? == prefix_sum::<u32, _>(&cpu, &values, ScanKind::Exclusive)?;
            rows.push(Row {
                kernel: "scan u32",
                n,
                cpu: cpu_t,
                gpu: gpu_t,
                resident: Some(res_t),
                memcpy: memcpy_ms(opts.runs, &values),
                matches,
            });
        }
        {
            let (cpu_t, c) = median(opts.runs, || prefix_sum::<u64, _>(&cpu, &values, ScanKind::Exclusive));
            let (gpu_t, g) = median(opts.runs, || prefix_sum::<u64, _>(&gpu, &values, ScanKind::Exclusive));
            let (res_t, r) = median(opts.runs, || {
                prefix_sum::<u64, _>(&gpu, &col, ScanKind::Exclusive).and_then(|c| gpu.synchronize().map(|_| c))
            });
            let c = c?;
            let matches = c == g? && r?.to_vec()? == c;
            rows.push(Row {
                kernel: "scan u32->u64",
                n,
                cpu: cpu_t,
                gpu: gpu_t,
                resident: Some(res_t),
                memcpy: memcpy_ms(opts.runs, &values),
                matches,
            });
        }
        drop(col);
        rows.push(device_copy_row(&adapter.name, &values, opts.runs)?);

        common::errln!("size {n}: searches");
        let hay_col = gpu.upload(&haystack)?;
        let q_col = gpu.upload(&queries)?;
        for (kernel, bound) in [("lower_bound", Bound::Lower), ("upper_bound", Bound::Upper)] {
            let (cpu_t, c) = median(opts.runs, || search_sorted(&cpu, &haystack, &queries, bound, Check::Trust));
            let (gpu_t, g) = median(opts.runs, || search_sorted(&gpu, &haystack, &queries, bound, Check::Trust));
            let (res_t, r) = median(opts.runs, || {
                search_sorted(&gpu, &hay_col, &q_col, bound, Check::Trust).and_then(|c| gpu.synchronize().map(|_| c))
            });
            let c = c?;
            let matches = c == g? && r?.to_vec()? == c;
            rows.push(Row {
                kernel,
                n,
                cpu: cpu_t,
                gpu: gpu_t,
                resident: Some(res_t),
                memcpy: memcpy_ms(opts.runs, &queries),
                matches,
            });
        }
        rows.extend(sorted_search_rows(&cpu, &gpu, opts.runs, &haystack, &queries)?);
        rows.iter().for_each(print_row);
    }

    // ETL kernels, at a sixteenth of the sizes (each row is a whole message).
    for &n in &opts.sizes {
        let n = (n / 16).max(1);
        common::errln!("ETL at {n} messages");
        let (texts, authors, local) = etl_data(&mut rng, n);
        let text_bytes = texts.value_data();
        let ts_bytes: &[u8] = bytemuck::cast_slice(local.values());
        let mut rows = vec![
            etl_row("text lengths (code points)", n, opts.runs, text_bytes, &cpu, &gpu, |e| {
                lengths(e, &texts, LengthUnit::CodePoints)
            })?,
            etl_row("author uuid5 (SHA-1)", n, opts.runs, authors.value_data(), &cpu, &gpu, |e| {
                author_uuids(e, &authors)
            })?,
            etl_row("urls", n, opts.runs, text_bytes, &cpu, &gpu, |e| extract_urls(e, &texts))?,
            etl_row("message ids", n, opts.runs, ts_bytes, &cpu, &gpu, |e| message_ids(e, &local))?,
            etl_row("local to utc (Europe/Paris)", n, opts.runs, ts_bytes, &cpu, &gpu, |e| {
                local_to_utc(e, &local, "Europe/Paris").map(|a: ArrayRef| a.to_data())
            })?,
        ];
        let mask: Vec<u64> = (0..n).map(|_| u64::from(rng.next().is_multiple_of(3))).collect();
        let bools = BooleanArray::from(mask.iter().map(|&m| m == 1).collect::<Vec<_>>());
        let mut compaction =
            etl_row("compaction (1/3 kept)", n, opts.runs, ts_bytes, &cpu, &gpu, |e| indices(e, &bools))?;
        let col = gpu.upload(&mask)?;
        let (res_t, r) = median(opts.runs, || indices(&gpu, &col).and_then(|c| gpu.synchronize().map(|_| c)));
        compaction.resident = Some(res_t);
        compaction.matches &= r?.to_vec()? == indices(&cpu, &bools)?.values().to_vec();
        rows.push(compaction);
        rows.extend(chain_rows(&mut rng, n, opts.runs, &cpu, &gpu)?);
        rows.iter().for_each(print_row);
    }
    Ok(())
}

fn cpu_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Byte windows (the device chain on the GPU engine, the bisect chain on the CPU engine) and the
/// pointer-jumping walk alone, at `n` messages: rows of their own, so other helpers' rows merge easily.
fn chain_rows(
    rng: &mut common::Rng,
    n: usize,
    runs: usize,
    cpu: &Engine,
    gpu: &Engine,
) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    use std::sync::Arc;
    use streamliner::kernels::chain::walk_marks;
    use streamliner::window::{Semantics, WindowSpec};
    let (texts, _, ts) = etl_data(rng, n);
    let text_bytes = texts.value_data().to_vec();
    let history = arrow_array::RecordBatch::try_from_iter([
        ("ts", Arc::new(ts.with_timezone("UTC")) as ArrayRef),
        ("text", Arc::new(texts) as ArrayRef),
    ])?;
    let mut rows = Vec::new();
    for (kernel, spec) in [
        ("byte windows strict (utf-8, M=2000, r=0.2)", WindowSpec::bytes(2000).overlap(0.2)),
        (
            "byte windows egregora (code points, M=2000, r=0.2)",
            WindowSpec::bytes(2000).overlap(0.2).semantics(Semantics::Egregora),
        ),
    ] {
        rows.push(etl_row(kernel, n, runs, &text_bytes, cpu, gpu, |e| {
            e.window(&history, &spec).map(|w| w.windows().to_vec())
        })?);
    }
    // A byte-window-shaped successor array: forward steps of 1..=20 rows, ending in a self-loop.
    let last = n.saturating_sub(1) as u64;
    let next: Vec<u64> = (0..n as u64).map(|s| (s + 1 + rng.next() % 20).min(last)).collect();
    let next_cpu = cpu.upload(&next)?;
    let next_gpu = gpu.upload(&next)?;
    let mut walk = etl_row("walk marks (pointer jumping)", n, runs, bytemuck::cast_slice(&next), cpu, gpu, |e| {
        walk_marks(e, if e.is_gpu() { &next_gpu } else { &next_cpu }).and_then(|c| c.to_vec())
    })?;
    let (res_t, r) = median(runs, || walk_marks(gpu, &next_gpu).and_then(|c| gpu.synchronize().map(|_| c)));
    walk.resident = Some(res_t);
    walk.matches &= r?.to_vec()? == walk_marks(cpu, &next_cpu)?.to_vec()?;
    rows.push(walk);
    Ok(rows)
}
