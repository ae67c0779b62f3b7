//! The single-pass chained scan (`ScanAlgorithm::SinglePass`) against the CPU twin: with the subgroup
//! tile scan (where the device has subgroups) and the workgroup-memory one, with the default spin limit
//! and with 0 (every not-ready predecessor is reduced by the fallback), whole and chunked (segment
//! boundaries every 8192 elements), with lookback rounds of the whole workgroup and of one or two lanes;
//! and reduce-then-scan, selected explicitly, on the same inputs.

mod common;

use std::sync::OnceLock;

use common::{Rng, SMALL_BINDING};
use streamliner::scan::{ScanAlgorithm, ScanKind, prefix_sum, prefix_sum_into};
use streamliner::{Backend, Engine, EngineBuilder};

/// Elements of one chained-scan tile (256 lanes x 8 vec4).
const TILE: usize = 8192;

/// One GPU engine configuration of the test matrix.
#[derive(Clone, Copy)]
struct Config {
    algorithm: ScanAlgorithm,
    /// `None`: the default spin limit.
    spin: Option<u32>,
    /// Segments of 8192 elements (`SMALL_BINDING`).
    small: bool,
    /// Let the single-pass scan use subgroup operations (where the device has them).
    subgroups: bool,
    /// Lanes reading predecessors per lookback round; `None`: the default (the whole workgroup).
    look: Option<u32>,
}

fn builder(c: Config) -> EngineBuilder {
    let mut b = Engine::builder().backend(Backend::Gpu).scan_algorithm(c.algorithm).scan_subgroups(c.subgroups);
    if let Some(s) = c.spin {
        b = b.scan_spin_limit(s);
    }
    if c.small {
        b = b.max_binding_bytes(SMALL_BINDING);
    }
    if let Some(lanes) = c.look {
        b = b.scan_lookback_lanes(lanes);
    }
    b
}

fn single_pass(spin: Option<u32>, small: bool) -> EngineBuilder {
    builder(Config { algorithm: ScanAlgorithm::SinglePass, spin, small, subgroups: true, look: None })
}

fn engine(cell: &'static OnceLock<Option<Engine>>, c: Config) -> Option<&'static Engine> {
    cell.get_or_init(|| {
        if std::env::var("STREAMLINER_SKIP_GPU").is_ok_and(|v| v == "1") {
            return None;
        }
        Some(builder(c).build().expect("the GPU tests need an adapter (lavapipe)"))
    })
    .as_ref()
}

fn sizes() -> Vec<usize> {
    vec![
        0,
        1,
        2,
        3,
        5,
        1023,
        1024,
        1025,
        4095,
        4096,
        4097,
        TILE - 1,
        TILE,
        TILE + 1,
        2 * TILE + 7,
        3 * TILE - 1,
        104_729,
        1_000_003,
        4_000_037,
    ]
}

fn inputs(n: usize, seed: u64) -> Vec<Vec<u32>> {
    let mut rng = Rng::new(seed ^ n as u64);
    let random = rng.u32s(n);
    let mut with_max: Vec<u32> = rng.u32s(n);
    for i in (0..n).step_by(3) {
        with_max[i] = u32::MAX;
    }
    vec![random, with_max, vec![u32::MAX; n]]
}

fn scans_match(engine: &Engine) {
    let cpu = common::cpu();
    for n in sizes() {
        for (k, input) in inputs(n, 17).iter().enumerate() {
            for kind in [ScanKind::Inclusive, ScanKind::Exclusive] {
                let want: Vec<u32> = prefix_sum(cpu, input, kind).expect("cpu scan");
                let got: Vec<u32> = prefix_sum(engine, input, kind).expect("gpu scan");
                assert!(
                    got == want,
                    "n={n} input#{k} {kind:?}: first difference at {:?}",
                    got.iter().zip(&want).position(|(a, b)| a != b)
                );
                let mut into = vec![7u32; n];
                prefix_sum_into(engine, input, &mut into, kind).expect("gpu scan into");
                assert!(into == want, "into n={n} input#{k} {kind:?}");
            }
        }
    }
}

/// u64 sums of u32 elements and of u64 elements (chained under SinglePass), inclusive and exclusive.
fn wide_scans_match(engine: &Engine) {
    let cpu = common::cpu();
    for n in sizes() {
        // The ~4 million sizes once, the others with every input kind.
        let all = inputs(n, 5);
        let count = if n > 2_000_000 { 1 } else { all.len() };
        for (k, input) in all.iter().enumerate().skip(all.len() - count) {
            let wide: Vec<u64> =
                input.iter().enumerate().map(|(i, &v)| u64::from(v) << (i % 33) | u64::from(v)).collect();
            for kind in [ScanKind::Inclusive, ScanKind::Exclusive] {
                let want: Vec<u64> = prefix_sum(cpu, input, kind).expect("cpu");
                let got: Vec<u64> = prefix_sum(engine, input, kind).expect("gpu");
                assert!(
                    got == want,
                    "u32->u64 n={n} input#{k} {kind:?}: first difference at {:?}",
                    got.iter().zip(&want).position(|(a, b)| a != b)
                );
                let mut into = vec![7u64; n];
                prefix_sum_into(engine, input, &mut into, kind).expect("gpu scan into");
                assert!(into == want, "u32->u64 into n={n} input#{k} {kind:?}");
                let want = prefix_sum::<u64, _>(cpu, &wide, kind).expect("cpu");
                let got = prefix_sum::<u64, _>(engine, &wide, kind).expect("gpu");
                assert!(
                    got == want,
                    "u64 n={n} input#{k} {kind:?}: first difference at {:?}",
                    got.iter().zip(&want).position(|(a, b)| a != b)
                );
                let mut into = vec![7u64; n];
                prefix_sum_into(engine, &wide, &mut into, kind).expect("gpu scan into");
                assert!(into == want, "u64 into n={n} input#{k} {kind:?}");
            }
        }
    }
}

/// The single-pass configurations, by module name, and reduce-then-scan selected explicitly. `look1`
/// and `look2` read one or two predecessors per lookback round, so lookbacks of many rounds (and the
/// round that finds only aggregates) run here too, where tiles mostly finish in order.
macro_rules! engines {
    ($($name:ident),*) => {
        mod cpu { $( #[test] fn $name() { super::$name(crate::common::cpu()); } )* }
        engines!(@gpu gpu_default_spin, SinglePass, None, false, true, None; $($name),*);
        engines!(@gpu gpu_spin0, SinglePass, Some(0), false, true, None; $($name),*);
        engines!(@gpu gpu_chunked_default_spin, SinglePass, None, true, true, None; $($name),*);
        engines!(@gpu gpu_chunked_spin0, SinglePass, Some(0), true, true, None; $($name),*);
        engines!(@gpu gpu_wgmem_default_spin, SinglePass, None, false, false, None; $($name),*);
        engines!(@gpu gpu_wgmem_spin0, SinglePass, Some(0), false, false, None; $($name),*);
        engines!(@gpu gpu_wgmem_chunked_default_spin, SinglePass, None, true, false, None; $($name),*);
        engines!(@gpu gpu_wgmem_chunked_spin0, SinglePass, Some(0), true, false, None; $($name),*);
        engines!(@gpu gpu_look1, SinglePass, None, false, true, Some(1); $($name),*);
        engines!(@gpu gpu_look2_spin0, SinglePass, Some(0), false, false, Some(2); $($name),*);
        engines!(@gpu gpu_reduce_then_scan, ReduceThenScan, None, false, true, None; $($name),*);
        engines!(@gpu gpu_chunked_reduce_then_scan, ReduceThenScan, None, true, true, None; $($name),*);
    };
    (@gpu $module:ident, $alg:ident, $spin:expr, $small:expr, $sg:expr, $look:expr; $($name:ident),*) => {
        mod $module {
            use super::{Config, ScanAlgorithm};
            static E: std::sync::OnceLock<Option<streamliner::Engine>> = std::sync::OnceLock::new();
            const C: Config =
                Config { algorithm: ScanAlgorithm::$alg, spin: $spin, small: $small, subgroups: $sg, look: $look };
            $( #[test] fn $name() { if let Some(e) = super::engine(&E, C) { super::$name(e); } } )*
        }
    };
}

engines!(scans_match, wide_scans_match);

/// Resident (device column) scans with both algorithms give the CPU twin's sums.
#[test]
fn resident_column_matches() {
    let c = Config { algorithm: ScanAlgorithm::SinglePass, spin: None, small: false, subgroups: true, look: None };
    let Some(single) = engine(&RESIDENT, c) else { return };
    let input = inputs(1_000_003, 9).remove(1);
    let want: Vec<u32> = prefix_sum(common::cpu(), &input, ScanKind::Exclusive).expect("cpu");
    let col = single.upload(&input).expect("upload");
    let got = streamliner::scan::prefix_sum::<u32, _>(single, &col, ScanKind::Exclusive).expect("scan");
    assert!(got.to_vec().expect("read back") == want);
    let want: Vec<u64> = prefix_sum(common::cpu(), &input, ScanKind::Inclusive).expect("cpu");
    let got = prefix_sum::<u64, _>(single, &col, ScanKind::Inclusive).expect("scan");
    assert!(got.to_vec().expect("read back") == want);
    let wide: Vec<u64> = input.iter().map(|&v| u64::from(v) << 32 | u64::from(v)).collect();
    let want = prefix_sum::<u64, _>(common::cpu(), &wide, ScanKind::Exclusive).expect("cpu");
    let col = single.upload(&wide).expect("upload");
    let got = prefix_sum::<u64, _>(single, &col, ScanKind::Exclusive).expect("scan");
    assert!(got.to_vec().expect("read back") == want);
}

static RESIDENT: OnceLock<Option<Engine>> = OnceLock::new();

/// Timing, not a test: resident u32 scans, SinglePass and ReduceThenScan back to back in one process,
/// at 2^22 and 2^24 (or the log2 sizes in `SCAN_COMPARE_LOGS`, e.g. `22,24,26`).
/// `cargo test --release --test scan_chained -- --ignored --nocapture compare_algorithms`
#[test]
#[ignore = "a measurement; run by hand"]
fn compare_algorithms() {
    let single = single_pass(None, false).build().expect("gpu");
    let classic =
        Engine::builder().backend(Backend::Gpu).scan_algorithm(ScanAlgorithm::ReduceThenScan).build().expect("gpu");
    let logs: Vec<u32> = std::env::var("SCAN_COMPARE_LOGS")
        .map(|v| v.split(',').map(|l| l.trim().parse().expect("log2 size")).collect())
        .unwrap_or_else(|_| vec![22, 24]);
    for log in logs {
        let n = 1usize << log;
        let input = Rng::new(3).u32s(n);
        let want: Vec<u32> = prefix_sum(common::cpu(), &input, ScanKind::Exclusive).expect("cpu");
        for round in 0..2 {
            for (name, e) in [("SinglePass", &single), ("ReduceThenScan", &classic)] {
                let col = e.upload(&input).expect("upload");
                e.synchronize().expect("sync");
                let mut times = Vec::new();
                let mut last = None;
                for _ in 0..5 {
                    let t = std::time::Instant::now();
                    let out = streamliner::scan::prefix_sum::<u32, _>(e, &col, ScanKind::Exclusive).expect("scan");
                    e.synchronize().expect("sync");
                    times.push(t.elapsed());
                    last = Some(out);
                }
                times.sort();
                let ok = last.expect("ran").to_vec().expect("read") == want;
                eprintln!(
                    "round {round} n=2^{log} {name}: median {:.2} ms (min {:.2}) matches={ok}",
                    times[2].as_secs_f64() * 1e3,
                    times[0].as_secs_f64() * 1e3
                );
            }
            for (name, e) in [("SinglePass", &single), ("ReduceThenScan", &classic)] {
                let col = e.upload(&input).expect("upload");
                e.synchronize().expect("sync");
                let mut times = Vec::new();
                for _ in 0..5 {
                    let t = std::time::Instant::now();
                    let out = prefix_sum::<u64, _>(e, &col, ScanKind::Exclusive).expect("scan");
                    e.synchronize().expect("sync");
                    times.push(t.elapsed());
                    drop(out);
                }
                times.sort();
                eprintln!(
                    "round {round} n=2^{log} u32->u64 {name}: median {:.2} ms (min {:.2})",
                    times[2].as_secs_f64() * 1e3,
                    times[0].as_secs_f64() * 1e3
                );
            }
        }
    }
}
