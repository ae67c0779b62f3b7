//! Every kernel family on the CPU and the GPU engine, against a copy of the same bytes, as a markdown table.
//!
//! ```text
//! cargo run --release --example gpu_vs_cpu -- [--quick] [--runs N] [--sizes 1048576,16777216]
//!     [--backend cpu|gpu|both] [--skip-gpu] [--families scan,search,...]
//! ```
//!
//! `--backend cpu` (or `--skip-gpu`) builds no GPU engine: the CPU columns alone, for sizes (2^26) that a
//! software adapter would take too long on. `--backend gpu` times only the GPU forms (the CPU twin still
//! runs once, untimed, for `match`). Families: scan, search, reduce, compact, elementwise, strings,
//! text_match, ids, time, successor (all by default). Text families run at a sixteenth of the size (each row is
//! a whole message, about 50 bytes of text); the others at the size itself.
//!
//! Columns:
//! - `bytes`: the bytes the copy columns move: the larger of the kernel's input bytes (all inputs
//!   together) and its output bytes;
//! - `cpu ms`: the CPU twin (host data in, host data out);
//! - `gpu ms (upload+run+readback)`: the same call on the GPU engine, host data in, host data out;
//! - `gpu ms (resident)`: the kernel on data already on the device, output left there (submit + wait);
//! - `gpu ms (device timer)`: the device's own time inside the kernel's compute passes, from timestamp
//!   queries (`Engine::device_time_ms`), of the resident call where there is one, else of the
//!   upload+run+readback call (its passes only); `n/a` where the device offers no `TIMESTAMP_QUERY`;
//! - `memcpy ms`: a CPU copy of `bytes` bytes between two reused buffers, in the same run;
//! - `device copy ms`: a `copy_buffer_to_buffer` of `bytes` bytes on a device of the engine's adapter,
//!   timed like the resident rows (record, submit, wait);
//! - `cpu / copy`: `memcpy ms / cpu ms`, the CPU twin's throughput relative to the copy (1.00 = the
//!   kernel moves its bytes as fast as a memcpy);
//! - `gpu resident / copy`: `device copy ms / gpu ms (resident)`;
//! - `match`: whether every GPU output equals the CPU output (`n/a` without a GPU engine).
//!
//! Times are medians of `--runs` runs (default 5) after one warm-up run.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use streamliner::{Backend, Column, Engine};

#[path = "../common/mod.rs"]
mod common;
mod families;

use families::{
    compact_rows, elementwise_rows, id_rows, reduce_rows, scan_rows, search_rows, string_rows, successor_rows,
    text_match_rows, time_rows,
};

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

const FAMILIES: [&str; 10] =
    ["scan", "search", "reduce", "compact", "elementwise", "strings", "text_match", "ids", "time", "successor"];

struct Options {
    sizes: Vec<usize>,
    runs: usize,
    cpu: bool,
    gpu: bool,
    families: Vec<String>,
}

fn parse_args() -> Result<Options, lexopt::Error> {
    use lexopt::prelude::*;
    let mut quick = false;
    let mut runs = 5;
    let mut sizes = None;
    let (mut cpu, mut gpu) = (true, true);
    let mut families: Vec<String> = FAMILIES.iter().map(|s| s.to_string()).collect();
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
            Long("backend") => {
                let text: String = parser.value()?.parse()?;
                (cpu, gpu) = match text.as_str() {
                    "cpu" => (true, false),
                    "gpu" => (false, true),
                    "both" => (true, true),
                    other => return Err(lexopt::Error::Custom(format!("--backend: {other}: cpu, gpu or both").into())),
                };
            }
            Long("skip-gpu") => (cpu, gpu) = (true, false),
            Long("families") => {
                let text: String = parser.value()?.parse()?;
                families = text.split(',').map(|s| s.trim().to_string()).collect();
                if let Some(bad) = families.iter().find(|f| !FAMILIES.contains(&f.as_str())) {
                    return Err(lexopt::Error::Custom(format!("--families: {bad}: one of {FAMILIES:?}").into()));
                }
            }
            Long("help") | Short('h') => {
                common::outln!(
                    "usage: gpu_vs_cpu [--quick] [--runs N] [--sizes N,N,...] [--backend cpu|gpu|both] [--skip-gpu] \
                     [--families {}]",
                    FAMILIES.join(",")
                );
                std::process::exit(0);
            }
            _ => return Err(arg.unexpected()),
        }
    }
    let sizes = sizes.unwrap_or_else(|| {
        if quick { vec![1 << 16, 1 << 20, 1 << 22] } else { vec![1 << 16, 1 << 20, 1 << 24, 1 << 26] }
    });
    Ok(Options { sizes, runs, cpu, gpu, families })
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

fn opt<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map_or("n/a".to_string(), f)
}

/// A device-to-device copy on a device of the engine's adapter (`copy_buffer_to_buffer`), timed like the
/// resident rows: the floor a resident kernel (one read, one write) can be compared with in the same run.
struct DeviceCopier {
    device: streamliner::wgpu::Device,
    queue: streamliner::wgpu::Queue,
}

impl DeviceCopier {
    fn new(adapter_name: &str) -> AnyResult<Self> {
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
        Ok(DeviceCopier { device, queue })
    }

    /// Median time of copying `bytes` bytes (rounded up to 4) from one device buffer to another; the copy
    /// is checked once against the source. Buffers larger than the device allows are copied in pieces
    /// of at most a quarter of the largest buffer (two buffers a piece).
    fn time(&self, bytes: usize, runs: usize) -> AnyResult<Duration> {
        use streamliner::wgpu;
        let total = (bytes as u64).div_ceil(4).max(1) * 4;
        let piece = total.min((self.device.limits().max_buffer_size / 4) & !3);
        let make = |usage| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size: piece,
                usage,
                mapped_at_creation: false,
            })
        };
        let src = make(wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST);
        let dst = make(wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST);
        let pattern: Vec<u32> = (0..piece / 4).map(|i| (i as u32).wrapping_mul(2_654_435_761)).collect();
        self.queue.write_buffer(&src, 0, bytemuck::cast_slice(&pattern));
        let wait = || self.device.poll(wgpu::PollType::wait_indefinitely()).map(|_| ()).map_err(|e| e.to_string());
        wait()?;
        let (t, r) = median(runs, || {
            let mut enc = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
            let mut left = total;
            while left > 0 {
                let size = left.min(piece);
                enc.copy_buffer_to_buffer(&src, 0, &dst, 0, size);
                left -= size;
            }
            self.queue.submit(Some(enc.finish()));
            wait()
        });
        r?;
        let staging = make(wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
        let mut enc = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
        enc.copy_buffer_to_buffer(&dst, 0, &staging, 0, piece);
        self.queue.submit(Some(enc.finish()));
        staging.slice(..).map_async(wgpu::MapMode::Read, |_| {});
        wait()?;
        let same = staging.slice(..).get_mapped_range().map_err(|e| e.to_string())?[..]
            == *bytemuck::cast_slice::<u32, u8>(&pattern);
        if !same {
            return Err("the device copy differs from its source".into());
        }
        Ok(t)
    }
}

/// The engines, the options, and the copy timings of each byte count (measured once per run).
struct Bench {
    cpu: Engine,
    gpu: Option<Engine>,
    time_cpu: bool,
    runs: usize,
    copier: Option<DeviceCopier>,
    memcpy: RefCell<HashMap<usize, Duration>>,
    device_copy: RefCell<HashMap<usize, Duration>>,
}

struct Row {
    kernel: String,
    n: usize,
    bytes: usize,
    cpu: Option<Duration>,
    gpu: Option<Duration>,
    resident: Option<Duration>,
    device: Option<f64>,
    memcpy: Duration,
    device_copy: Option<Duration>,
    matches: Option<bool>,
}

fn print_header() {
    common::outln!(
        "| kernel | n | bytes | cpu ms | gpu ms (upload+run+readback) | gpu ms (resident) | gpu ms (device timer) | \
         memcpy ms | device copy ms | cpu / copy | gpu resident / copy | match |"
    );
    common::outln!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
}

fn print_row(r: &Row) {
    let ratio = |copy: Duration, t: Duration| format!("{:.3}", copy.as_secs_f64() / t.as_secs_f64().max(1e-12));
    common::outln!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        r.kernel,
        r.n,
        r.bytes,
        opt(r.cpu, ms),
        opt(r.gpu, ms),
        opt(r.resident, ms),
        opt(r.device, |d| format!("{d:.3}")),
        ms(r.memcpy),
        opt(r.device_copy, ms),
        opt(r.cpu, |t| ratio(r.memcpy, t)),
        opt(r.resident.zip(r.device_copy), |(t, c)| ratio(c, t)),
        opt(r.matches, |m| if m { "yes" } else { "NO" }.to_string()),
    );
}

impl Bench {
    fn memcpy(&self, bytes: usize) -> Duration {
        *self.memcpy.borrow_mut().entry(bytes).or_insert_with(|| {
            let src = vec![1u8; bytes];
            let mut dst = vec![0u8; bytes];
            median(self.runs, || {
                dst.copy_from_slice(std::hint::black_box(&src));
                std::hint::black_box(&dst);
            })
            .0
        })
    }

    fn device_copy(&self, bytes: usize) -> AnyResult<Option<Duration>> {
        let Some(copier) = &self.copier else { return Ok(None) };
        if let Some(t) = self.device_copy.borrow().get(&bytes) {
            return Ok(Some(*t));
        }
        let t = copier.time(bytes, self.runs)?;
        self.device_copy.borrow_mut().insert(bytes, t);
        Ok(Some(t))
    }

    /// A row: `f` on the CPU engine and on the GPU engine (host data in; `out` brings its result to the
    /// host, outside the timing, for `match`).
    fn row<R, T: PartialEq>(
        &self,
        kernel: impl Into<String>,
        n: usize,
        bytes: usize,
        f: impl Fn(&Engine) -> streamliner::Result<R>,
        out: impl Fn(R) -> streamliner::Result<T>,
    ) -> AnyResult<(Row, Option<T>)> {
        let kernel = kernel.into();
        common::errln!("  {kernel} at {n}");
        let (cpu_t, c) = if self.time_cpu {
            let (t, c) = median(self.runs, || f(&self.cpu));
            (Some(t), out(c?)?)
        } else {
            (None, out(f(&self.cpu)?)?)
        };
        let (gpu_t, matches) = match &self.gpu {
            Some(gpu) => {
                let (t, g) = median(self.runs, || f(gpu));
                (Some(t), Some(out(g?)? == c))
            }
            None => (None, None),
        };
        let row = Row {
            kernel,
            n,
            bytes,
            cpu: cpu_t,
            gpu: gpu_t,
            resident: None,
            device: None,
            memcpy: self.memcpy(bytes),
            device_copy: self.device_copy(bytes)?,
            matches,
        };
        Ok((row, Some(c)))
    }

    /// Median device time of `f` on the GPU engine (`None` without timestamp queries).
    fn device_timer<R>(&self, gpu: &Engine, f: impl Fn(&Engine) -> streamliner::Result<R>) -> AnyResult<Option<f64>> {
        let mut times = Vec::with_capacity(self.runs);
        for _ in 0..=self.runs {
            match gpu.device_time_ms(|| f(gpu))?.1 {
                Some(t) => times.push(t),
                None => return Ok(None),
            }
        }
        times.remove(0); // the warm-up
        times.sort_by(f64::total_cmp);
        Ok(Some(times[times.len() / 2]))
    }

    /// The device timer of the row's upload+run+readback call (for kernels without a resident form).
    fn host_timer<R>(&self, row: &mut Row, f: impl Fn(&Engine) -> streamliner::Result<R>) -> AnyResult<()> {
        if let Some(gpu) = &self.gpu {
            row.device = self.device_timer(gpu, f)?;
        }
        Ok(())
    }

    /// The resident form of a row: `f` on device-resident inputs, output left on the device (timed with a
    /// wait); `check` compares the last output with the CPU's.
    fn resident<R>(
        &self,
        row: &mut Row,
        f: impl Fn(&Engine) -> streamliner::Result<R>,
        check: impl FnOnce(R) -> streamliner::Result<bool>,
    ) -> AnyResult<()> {
        let Some(gpu) = &self.gpu else { return Ok(()) };
        let (t, r) = median(self.runs, || f(gpu).and_then(|r| gpu.synchronize().map(|_| r)));
        row.resident = Some(t);
        row.device = self.device_timer(gpu, &f)?;
        let ok = check(r?)?;
        row.matches = Some(row.matches.unwrap_or(true) && ok);
        Ok(())
    }

    /// `data` on the GPU engine (None without one).
    fn upload<T: streamliner::Element>(&self, data: &[T]) -> AnyResult<Option<Column<T>>> {
        Ok(match &self.gpu {
            Some(g) => Some(g.upload(data)?),
            None => None,
        })
    }
}

/// A column result brought to the host, or a host vector (column kernels: the CPU engine keeps its
/// column, the GPU engine's upload+run+readback form reads it back inside the timing).
enum Out {
    Col(Column<u64>),
    Vec(Vec<u64>),
}

impl Out {
    fn host(self) -> streamliner::Result<Vec<u64>> {
        match self {
            Out::Col(c) => c.to_vec(),
            Out::Vec(v) => Ok(v),
        }
    }
}

/// A kernel over u64 columns.
type ColumnOp<'a> = dyn Fn(&Engine, &[&Column<u64>]) -> streamliner::Result<Column<u64>> + 'a;

/// `op` on host columns: on the CPU engine a column made before the timing; on the GPU engine the host
/// data uploaded, `op` run and the result read back, all timed.
fn column_call<'a>(
    host_cols: &'a [&'a Column<u64>],
    host_data: &'a [&'a [u64]],
    op: &'a ColumnOp<'a>,
) -> impl Fn(&Engine) -> streamliner::Result<Out> + 'a {
    move |e: &Engine| {
        if e.is_gpu() {
            let cols = host_data.iter().map(|d| e.upload(d)).collect::<streamliner::Result<Vec<_>>>()?;
            let refs: Vec<&Column<u64>> = cols.iter().collect();
            op(e, &refs)?.to_vec().map(Out::Vec)
        } else {
            op(e, host_cols).map(Out::Col)
        }
    }
}

/// A row of a column kernel (`op` over u64 columns), with its resident form.
fn column_row(b: &Bench, kernel: &str, n: usize, inputs: &[&[u64]], op: &ColumnOp<'_>) -> AnyResult<Row> {
    let host_cols = inputs.iter().map(|d| b.cpu.upload(d)).collect::<streamliner::Result<Vec<_>>>()?;
    let host_refs: Vec<&Column<u64>> = host_cols.iter().collect();
    let bytes = (inputs.iter().map(|d| d.len()).sum::<usize>()).max(n) * 8;
    let call = column_call(&host_refs, inputs, op);
    let (mut row, c) = b.row(kernel, n, bytes, &call, Out::host)?;
    if let Some(gpu) = &b.gpu {
        let dev = inputs.iter().map(|d| gpu.upload(d)).collect::<streamliner::Result<Vec<_>>>()?;
        let dev_refs: Vec<&Column<u64>> = dev.iter().collect();
        b.resident(&mut row, |e| op(e, &dev_refs), |r| Ok(Some(r.to_vec()?) == c))?;
    }
    Ok(row)
}

fn main() -> AnyResult<()> {
    common::quiet_mesa();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let opts = parse_args()?;
    let cpu = Engine::new(Backend::Cpu)?;
    let gpu = if opts.gpu {
        // `GPU_VS_CPU_LOOKBACK_LANES=N` (1..=256): the single-pass scan's lookback reads N predecessors a
        // round (default all 256; 1 is a serial lookback), to compare the two.
        let mut b = Engine::builder().backend(Backend::Gpu);
        if let Some(lanes) = std::env::var("GPU_VS_CPU_LOOKBACK_LANES").ok().and_then(|v| v.parse().ok()) {
            b = b.scan_lookback_lanes(lanes);
        }
        Some(b.build().map_err(|e| format!("gpu_vs_cpu needs a GPU adapter (or --skip-gpu): {e}"))?)
    } else {
        None
    };
    let mut copier = None;
    match gpu.as_ref().and_then(|g| g.adapter()) {
        Some(adapter) => {
            common::outln!("GPU adapter: {adapter}");
            if adapter.software {
                common::outln!(
                    "Note: {} is a software adapter (the GPU path emulated on the CPU). Its timings show correctness \
                     and overheads, not what a real GPU does; Backend::Auto would not choose it.",
                    adapter.name
                );
            }
            copier = Some(DeviceCopier::new(&adapter.name)?);
        }
        None => common::outln!("GPU: not run (--backend cpu)."),
    }
    common::outln!(
        "CPU: {} threads. Medians of {} runs after a warm-up; the copies move `bytes` bytes (the larger of the \
         kernel's input and output).",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        opts.runs
    );
    common::outln!();
    print_header();
    let b = Bench {
        cpu,
        gpu,
        time_cpu: opts.cpu,
        runs: opts.runs,
        copier,
        memcpy: RefCell::default(),
        device_copy: RefCell::default(),
    };
    let mut rng = common::Rng(42);
    for &n in &opts.sizes {
        for family in &opts.families {
            common::errln!("size {n}: {family}");
            let rows = match family.as_str() {
                "scan" => scan_rows(&b, &mut rng, n)?,
                "search" => search_rows(&b, &mut rng, n)?,
                "reduce" => reduce_rows(&b, &mut rng, n)?,
                "compact" => compact_rows(&b, &mut rng, n)?,
                "elementwise" => elementwise_rows(&b, &mut rng, n)?,
                "strings" => string_rows(&b, &mut rng, (n / 16).max(1))?,
                "text_match" => text_match_rows(&b, &mut rng, (n / 16).max(1))?,
                "ids" => id_rows(&b, &mut rng, n)?,
                "time" => time_rows(&b, &mut rng, n)?,
                "successor" => successor_rows(&b, &mut rng, n)?,
                _ => Vec::new(),
            };
            rows.iter().for_each(print_row);
        }
    }
    Ok(())
}
