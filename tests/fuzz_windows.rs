//! Property tests: random window specs on random histories. On every backend the windows
//! equal the CPU's, the strict invariants hold, and streamed windows over random batch splits equal the
//! in-memory ones. Fixed seeds and bounded case counts: the same cases every run, in seconds.

mod common;

use std::time::Duration;

use arrow_array::RecordBatch;
use common::histories::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use streamliner::strings::LengthUnit;
use streamliner::window::{Semantics, StepUnit, WindowSpec, Windows};
use streamliner::{Engine, Error};

fn runner(cases: u32) -> TestRunner {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// A history from (gap, text) pairs: gaps in microseconds from a start, which may be near the ends of i64.
fn make_history(start: i64, rows: &[(i64, Option<String>)]) -> (RecordBatch, Vec<i64>) {
    let mut t = start;
    let ts: Vec<i64> = rows
        .iter()
        .map(|(dt, _)| {
            t = t.saturating_add(*dt);
            t
        })
        .collect();
    let texts: Vec<Option<&str>> = rows.iter().map(|(_, s)| s.as_deref()).collect();
    (history(&ts, &texts), ts)
}

fn spec_strategy() -> impl Strategy<Value = WindowSpec> {
    (
        prop_oneof![Just(StepUnit::Messages), Just(StepUnit::Hours), Just(StepUnit::Days), Just(StepUnit::Bytes)],
        prop_oneof![1u64..4, 1u64..100, Just(u64::MAX), Just(1u64 << 40)],
        prop_oneof![Just(0.0), Just(0.5), 0.0f64..0.6, Just(0.9), Just(-1.0)],
        proptest::option::of(prop_oneof![0u64..5, 0u64..100_000, Just(u64::MAX / 4)]),
        prop_oneof![1u64..50, 1u64..5000, Just(u64::MAX)],
        proptest::option::of(prop_oneof![Just(LengthUnit::Utf8Bytes), Just(LengthUnit::CodePoints)]),
        prop_oneof![Just(Semantics::Strict), Just(Semantics::Egregora)],
        any::<bool>(),
    )
        .prop_map(|(unit, step, overlap, mwt, budget, lu, semantics, skip)| WindowSpec {
            step_unit: unit,
            step_size: step,
            overlap_ratio: overlap,
            max_window_time: mwt.map(Duration::from_secs),
            max_bytes_per_window: budget,
            weight: lu.map(Into::into),
            semantics,
            skip_empty_windows: skip,
            max_windows: 10_000,
            ..WindowSpec::default()
        })
}

fn rows_strategy() -> impl Strategy<Value = (i64, Vec<(i64, Option<String>)>)> {
    (
        prop_oneof![Just(NOON), Just(0i64), Just(-NOON), Just(i64::MAX - 10 * HOUR), Just(i64::MIN)],
        proptest::collection::vec(
            (
                prop_oneof![Just(0i64), 0i64..5, 0i64..HOUR, Just(3 * HOUR + 1), Just(40 * 24 * HOUR)],
                proptest::option::of("[a-zé€😀 \u{200e}\u{202f}]{0,16}"),
            ),
            0..120,
        ),
    )
}

/// Strict invariants: every row covered, budgets held (but by a single message), no window inside its
/// predecessor, spans within max_window_time (as tests/windows.rs `check_strict`).
fn check_strict(w: &Windows, spec: &WindowSpec, ts: &[i64]) -> Result<(), TestCaseError> {
    let (ws, n) = (w.windows(), ts.len() as u64);
    if n == 0 {
        prop_assert!(ws.is_empty());
        return Ok(());
    }
    if matches!(spec.step_unit, StepUnit::Hours | StepUnit::Days) {
        // Time windows may be empty (a gap in the history); they still move forward.
        for pair in ws.windows(2) {
            prop_assert!(pair[1].start_row >= pair[0].start_row && pair[1].end_row >= pair[0].end_row);
            prop_assert!(pair[1].start_time > pair[0].start_time, "{:?} then {:?}", pair[0], pair[1]);
        }
        return Ok(());
    }
    if spec.skip_empty_windows || w.len() as u64 >= spec.max_windows {
        return Ok(());
    }
    prop_assert_eq!(ws.first().map(|x| x.start_row), Some(0));
    prop_assert_eq!(ws.last().map(|x| x.end_row), Some(n));
    for pair in ws.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        prop_assert!(b.start_row <= a.end_row, "gap between {:?} and {:?}", a, b);
        prop_assert!(b.start_row > a.start_row && b.end_row > a.end_row, "{:?} lies inside {:?}", b, a);
    }
    if spec.step_unit == StepUnit::Bytes {
        for x in ws {
            prop_assert!(x.units <= spec.max_bytes_per_window || x.size() == 1, "{:?} over budget", x);
            if let Some(d) = spec.max_window_time {
                let span = i128::from(ts[x.end_row as usize - 1]) - i128::from(ts[x.start_row as usize]);
                prop_assert!(span as u128 <= d.as_micros() || x.size() == 1, "{:?} spans {}", x, span);
            }
        }
    }
    Ok(())
}

/// Random specs and histories: an error is the CPU's error too (same variant), windows equal the CPU's,
/// strict invariants hold, and streaming over random batch splits gives the same windows.
fn random_specs_agree(engine: &Engine) {
    let strategy = (spec_strategy(), rows_strategy(), proptest::collection::vec(1usize..40, 1..6));
    let windowed = std::sync::atomic::AtomicUsize::new(0);
    let cases = 150;
    runner(cases)
        .run(&strategy, |(spec, (start, rows), splits)| {
            let (h, ts) = make_history(start, &rows);
            let got = engine.window(&h, &spec);
            let want = common::cpu().window(&h, &spec);
            let (got, want) = match (got, want) {
                (Ok(g), Ok(w)) => (g, w),
                (Err(g), Err(w)) => {
                    prop_assert_eq!(std::mem::discriminant(&g), std::mem::discriminant(&w), "{} vs {}", g, w);
                    return Ok(());
                }
                (g, w) => return Err(TestCaseError::fail(format!("{spec:?}: {g:?} vs CPU {w:?}"))),
            };
            prop_assert_eq!(got.windows(), want.windows(), "{:?}", spec);
            if !got.windows().is_empty() {
                windowed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            if spec.semantics == Semantics::Strict {
                check_strict(&got, &spec, &ts)?;
            }
            // The history cut at random points, streamed.
            let mut batches = Vec::new();
            let (mut at, mut k) = (0usize, 0usize);
            while at < h.num_rows() {
                let len = splits[k % splits.len()].min(h.num_rows() - at);
                batches.push(Ok::<_, Error>(h.slice(at, len)));
                at += len;
                k += 1;
            }
            let streamed: Result<Vec<_>, _> = engine.window_stream(batches, &spec).map(|s| s.collect::<Vec<_>>());
            let streamed: Vec<_> = match streamed {
                Ok(items) => items.into_iter().collect::<Result<Vec<_>, _>>().map_err(|e| {
                    TestCaseError::fail(format!("{spec:?}: streaming failed where in memory did not: {e}"))
                })?,
                Err(e) => return Err(TestCaseError::fail(format!("{spec:?}: {e}"))),
            };
            let streamed: Vec<_> = streamed.into_iter().map(|s| s.window).collect();
            prop_assert_eq!(streamed.as_slice(), got.windows(), "{:?} streamed", spec);
            Ok(())
        })
        .unwrap();
    // Most cases must get as far as windows, or the test would only compare errors.
    let windowed = windowed.into_inner();
    assert!(windowed * 2 >= cases as usize, "only {windowed} of {cases} cases gave windows");
}

on_every_backend!(random_specs_agree);
