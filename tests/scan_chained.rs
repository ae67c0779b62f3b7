//! The single-pass chained scan (`ScanAlgorithm::SinglePass`) against the CPU twin, with the default
//! spin limit and with 0 (every not-ready predecessor is reduced by the fallback), whole and chunked.

mod common;

use std::sync::OnceLock;

use common::{Rng, SMALL_BINDING};
use streamliner::scan::{ScanAlgorithm, ScanKind, prefix_sum, prefix_sum_into};
use streamliner::{Backend, Engine, EngineBuilder};

/// Elements of one chained-scan tile (256 lanes x 4).
const TILE: usize = 1024;

fn single_pass(spin: Option<u32>, small: bool) -> EngineBuilder {
    let mut b = Engine::builder().backend(Backend::Gpu).scan_algorithm(ScanAlgorithm::SinglePass);
    if let Some(s) = spin {
        b = b.scan_spin_limit(s);
    }
    if small {
        b = b.max_binding_bytes(SMALL_BINDING);
    }
    b
}

fn engine(cell: &'static OnceLock<Option<Engine>>, spin: Option<u32>, small: bool) -> Option<&'static Engine> {
    cell.get_or_init(|| {
        if std::env::var("STREAMLINER_SKIP_GPU").is_ok_and(|v| v == "1") {
            return None;
        }
        Some(single_pass(spin, small).build().expect("the GPU tests need an adapter (lavapipe)"))
    })
    .as_ref()
}

fn sizes() -> Vec<usize> {
    vec![0, 1, 2, 3, 5, TILE - 1, TILE, TILE + 1, 2 * TILE + 7, 8191, 8192, 8193, 104_729, 1_000_003, 4_000_037]
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

/// u64 sums are not chained; they must still be right with SinglePass selected.
fn wide_unchanged(engine: &Engine) {
    let input = inputs(100_003, 5).remove(1);
    let want: Vec<u64> = prefix_sum(common::cpu(), &input, ScanKind::Inclusive).expect("cpu");
    let got: Vec<u64> = prefix_sum(engine, &input, ScanKind::Inclusive).expect("gpu");
    assert!(got == want);
}

macro_rules! engines {
    ($($name:ident),*) => {
        mod cpu { $( #[test] fn $name() { super::$name(crate::common::cpu()); } )* }
        mod gpu_default_spin {
            static E: std::sync::OnceLock<Option<streamliner::Engine>> = std::sync::OnceLock::new();
            $( #[test] fn $name() { if let Some(e) = super::engine(&E, None, false) { super::$name(e); } } )*
        }
        mod gpu_spin0 {
            static E: std::sync::OnceLock<Option<streamliner::Engine>> = std::sync::OnceLock::new();
            $( #[test] fn $name() { if let Some(e) = super::engine(&E, Some(0), false) { super::$name(e); } } )*
        }
        mod gpu_chunked_default_spin {
            static E: std::sync::OnceLock<Option<streamliner::Engine>> = std::sync::OnceLock::new();
            $( #[test] fn $name() { if let Some(e) = super::engine(&E, None, true) { super::$name(e); } } )*
        }
        mod gpu_chunked_spin0 {
            static E: std::sync::OnceLock<Option<streamliner::Engine>> = std::sync::OnceLock::new();
            $( #[test] fn $name() { if let Some(e) = super::engine(&E, Some(0), true) { super::$name(e); } } )*
        }
    };
}

engines!(scans_match, wide_unchanged);

/// Resident (device column) scans with both algorithms give the CPU twin's sums.
#[test]
fn resident_column_matches() {
    let Some(single) = engine(&RESIDENT, None, false) else { return };
    let input = inputs(1_000_003, 9).remove(1);
    let want: Vec<u32> = prefix_sum(common::cpu(), &input, ScanKind::Exclusive).expect("cpu");
    let col = single.upload(&input).expect("upload");
    let got = streamliner::scan::prefix_sum::<u32, _>(single, &col, ScanKind::Exclusive).expect("scan");
    assert!(got.to_vec().expect("read back") == want);
}

static RESIDENT: OnceLock<Option<Engine>> = OnceLock::new();

/// Timing, not a test: resident u32 scans, SinglePass and ReduceThenScan back to back in one process.
/// `cargo test --release --test scan_chained -- --ignored --nocapture compare_algorithms`
#[test]
#[ignore = "a measurement; run by hand"]
fn compare_algorithms() {
    let single = single_pass(None, false).build().expect("gpu");
    let classic = Engine::builder().backend(Backend::Gpu).build().expect("gpu");
    for log in [22u32, 24] {
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
        }
    }
}
