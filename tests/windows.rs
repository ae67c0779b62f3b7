//! Windows: the reference cases of the contract (shared/docs/semantics.md) and the strict invariants,
//! on every backend, and GPU = CPU on random histories.

mod common;

use std::sync::Arc;
use std::time::Duration;

use arrow_array::{Array, RecordBatch, StringArray, TimestampMicrosecondArray, TimestampSecondArray};
use common::Rng;
use common::histories::*;
use proptest::prelude::*;
use streamliner::window::{Semantics, StepUnit, Window, WindowSpec, Windows};
use streamliner::{Engine, Error, strings::LengthUnit};

/// Ten messages one hour apart from 2023-01-01 12:00, text `message_i`.
fn ten_hourly() -> RecordBatch {
    let texts: Vec<String> = (0..10).map(|i| format!("message_{i}")).collect();
    let refs: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
    history(&(0..10).map(|i| NOON + i * HOUR).collect::<Vec<_>>(), &refs)
}

/// `n` messages one minute apart from 2023-01-01 10:00, text `message i`.
fn minutely(n: i64) -> RecordBatch {
    let texts: Vec<String> = (0..n).map(|i| format!("message {i}")).collect();
    let refs: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
    history(&(0..n).map(|i| NOON - 2 * HOUR + i * MINUTE).collect::<Vec<_>>(), &refs)
}

fn sizes(w: &Windows) -> Vec<u64> {
    w.windows().iter().map(Window::size).collect()
}

fn count_reference_cases(engine: &Engine) {
    let h = ten_hourly();
    for s in both() {
        let w = engine.window(&h, &WindowSpec::messages(3).overlap(0.0).semantics(s)).unwrap();
        assert_eq!(sizes(&w), [3, 3, 3, 1], "{s:?}");
        for (n, step, r, expect) in [
            (100, 50, 0.0, vec![50, 50]),
            (120, 50, 0.0, vec![50, 50, 20]),
            (30, 50, 0.0, vec![30]),
            (0, 50, 0.0, vec![]),
            (100, 50, 0.2, vec![60, 50]),
            (120, 50, 0.2, vec![60, 60, 20]),
            (30, 50, 0.2, vec![30]),
        ] {
            let w = engine.window(&minutely(n), &WindowSpec::messages(step).overlap(r).semantics(s)).unwrap();
            assert_eq!(sizes(&w), expect, "{s:?} ({n}, {step}, {r})");
        }
    }
    let w = engine.window(&h, &WindowSpec::messages(3).overlap(0.34).semantics(Semantics::Egregora)).unwrap();
    assert_eq!(sizes(&w), [4, 4, 4, 1]);
    assert_eq!((w.windows()[0].start_row, w.windows()[0].end_row), (0, 4));
    assert_eq!((w.windows()[1].start_row, w.windows()[1].end_row), (3, 7));
    let w = engine.window(&h, &WindowSpec::messages(3).overlap(0.34)).unwrap();
    assert_eq!(sizes(&w), [4, 4, 4], "strict drops the window inside its predecessor");
    // Count windows carry message times and units.
    let w0 = w.windows()[0];
    assert_eq!((w0.start_time, w0.end_time, w0.units), (NOON, NOON + 3 * HOUR, 36));
}

fn time_reference_cases(engine: &Engine) {
    let h = ten_hourly();
    for s in both() {
        let w = engine.window(&h, &WindowSpec::hours(3).overlap(0.0).semantics(s)).unwrap();
        assert_eq!(sizes(&w), [3, 3, 3, 1], "{s:?}");
        assert_eq!((w.windows()[0].start_time, w.windows()[0].end_time), (NOON, NOON + 3 * HOUR));
        let w = engine.window(&h, &WindowSpec::days(1).semantics(s)).unwrap();
        assert_eq!(sizes(&w), [10]);
        let spec = WindowSpec::hours(5).overlap(0.0).max_window_time(Duration::from_secs(7200)).semantics(s);
        let w = engine.window(&h, &spec).unwrap();
        assert_eq!(w.len(), 5);
        assert_eq!(w.windows()[0].size(), 2);
        let w = engine.window(&minutely(300), &WindowSpec::hours(2).overlap(0.0).semantics(s)).unwrap();
        assert_eq!(sizes(&w), [120, 120, 60]);
        let hourly72 = history(&(0..72).map(|i| NOON + i * HOUR).collect::<Vec<_>>(), &vec![Some("x"); 72]);
        let spec = WindowSpec::days(2).overlap(0.0).max_window_time(Duration::from_secs(24 * 3600)).semantics(s);
        let w = engine.window(&hourly72, &spec).unwrap();
        assert_eq!(w.len(), 3);
        assert!(w.windows().iter().all(|x| x.end_time - x.start_time <= 24 * HOUR));
    }
    // Overlap extends the span; empty windows are emitted.
    let gap = history(&[NOON, NOON + 10 * HOUR], &[Some("a"), Some("b")]);
    let w = engine.window(&gap, &WindowSpec::hours(3).overlap(0.2)).unwrap();
    assert_eq!(sizes(&w), [1, 0, 0, 1]);
    assert_eq!(w.windows()[0].end_time, NOON + 3 * HOUR + 36 * MINUTE);
}

fn egregora_byte_reference_cases(engine: &Engine) {
    let eg = |m: u64, r: f64| WindowSpec::bytes(m).overlap(r).semantics(Semantics::Egregora);
    let h = ten_hourly();
    assert_eq!(sizes(&engine.window(&h, &eg(20, 0.0)).unwrap()), [3, 3, 3, 1]);
    let w = engine.window(&h, &eg(27, 0.35)).unwrap();
    let rows: Vec<(u64, u64)> = w.windows().iter().map(|x| (x.start_row, x.end_row)).collect();
    assert_eq!(rows.len(), 4);
    assert_eq!((rows[0], rows[1], rows[3]), ((0, 4), (3, 7), (9, 10)));
    let texts =
        [Some("short"), Some("medium msg"), Some("a bit longer message"), Some("short"), Some("another medium")];
    let five = history(&(0..5).map(|i| NOON + i * MINUTE).collect::<Vec<_>>(), &texts);
    assert_eq!(sizes(&engine.window(&five, &eg(20, 0.0)).unwrap()), [2, 3]);
    assert_eq!(sizes(&engine.window(&five, &eg(30, 0.5)).unwrap()), [3, 2, 1]);
    let xs = history(&(0..100).map(|i| NOON + i * MINUTE).collect::<Vec<_>>(), &vec![Some("xxxxxxxxxx"); 100]);
    let w = engine.window(&xs, &eg(100, 0.2)).unwrap();
    assert!(w.len() > 5 && w.windows().iter().all(|x| x.size() > 0));
    let ties = history(
        &[NOON, NOON, NOON, NOON + MINUTE, NOON + MINUTE],
        &[Some("a"), Some("b"), Some("c"), Some("d"), Some("e")],
    );
    let w = engine.window(&ties, &eg(2, 0.0)).unwrap();
    assert_eq!(w.windows().iter().map(|x| (x.start_row, x.end_row)).collect::<Vec<_>>(), [(0, 3), (3, 5)]);
    // Code points, not bytes: ten "é" are 10 units (20 bytes).
    let e = history(&[NOON, NOON + 1], &[Some("éééééééééé"), Some("é")]);
    let w = engine.window(&e, &eg(10, 0.0)).unwrap();
    assert_eq!(w.windows()[0].units, 11);
}

fn split_and_edges(engine: &Engine) {
    let h = ten_hourly();
    for s in both() {
        let w = engine.window(&h, &WindowSpec::messages(10).overlap(0.0).semantics(s)).unwrap();
        let win = w.windows()[0];
        assert_eq!(w.split_window(&win, 2).unwrap().iter().map(Window::size).collect::<Vec<_>>(), [5, 5]);
        let parts = w.split_window(&win, 3).unwrap();
        assert_eq!(parts.iter().map(Window::size).collect::<Vec<_>>(), [3, 3, 4]);
        assert!(parts.iter().all(|p| p.index == win.index));
        assert_eq!(parts.iter().map(|p| p.units).sum::<u64>(), win.units);
        assert!(matches!(w.split_window(&win, 1), Err(Error::InvalidParameter { .. })));
        for unit in [StepUnit::Messages, StepUnit::Hours, StepUnit::Days, StepUnit::Bytes] {
            let spec = WindowSpec { step_unit: unit, semantics: s, ..WindowSpec::default() };
            assert_eq!(engine.window(&minutely(0), &spec).unwrap().len(), 0, "{unit} {s:?}");
            assert_eq!(engine.window(&minutely(1), &spec).unwrap().len(), 1, "{unit} {s:?}");
        }
    }
}

fn bad_input_is_a_clear_error(engine: &Engine) {
    let h = ten_hourly();
    let err = |spec: WindowSpec| engine.window(&h, &spec).unwrap_err();
    assert!(matches!(err(WindowSpec::messages(0)), Error::InvalidParameter { ref name, .. } if name == "step_size"));
    assert!(
        matches!(err(WindowSpec::bytes(0)), Error::InvalidParameter { ref name, .. } if name == "max_bytes_per_window")
    );
    assert!(matches!(err(WindowSpec::messages(3).overlap(f64::NAN)), Error::InvalidParameter { .. }));
    assert!(matches!(err(WindowSpec::messages(3).columns("time", "text")), Error::InvalidParameter { .. }));
    assert!(matches!(err(WindowSpec::messages(3).columns("text", "text")), Error::InvalidParameter { .. }));
    assert!(matches!(err(WindowSpec::messages(3).columns("ts", "id")), Error::InvalidParameter { .. }));
    let eg_bytes = WindowSpec::bytes(5).semantics(Semantics::Egregora).length_unit(LengthUnit::Utf8Bytes);
    assert!(matches!(err(eg_bytes), Error::InvalidParameter { .. }));
    assert!("weeks".parse::<StepUnit>().is_err());
    assert_eq!("HOURS".parse::<StepUnit>().unwrap(), StepUnit::Hours);
    // A null timestamp names its row.
    let ts = TimestampMicrosecondArray::from(vec![Some(1), Some(2), None, None]);
    let text = StringArray::from(vec!["a", "b", "c", "d"]);
    let b = RecordBatch::try_from_iter([("ts", Arc::new(ts) as _), ("text", Arc::new(text) as _)]).unwrap();
    match engine.window(&b, &WindowSpec::default()) {
        Err(Error::NullValue { row, .. }) => assert_eq!(row, 2),
        other => panic!("expected NullValue at row 2, got {other:?}"),
    }
    // Overlap is clamped to [0, 0.5].
    let a = engine.window(&h, &WindowSpec::messages(4).overlap(3.0)).unwrap();
    let b = engine.window(&h, &WindowSpec::messages(4).overlap(0.5)).unwrap();
    assert_eq!(a.windows(), b.windows());
}

fn unsorted_input_maps_back(engine: &Engine) {
    let mut rng = Rng::new(50);
    let n = 500;
    let ts: Vec<i64> = (0..n).map(|_| NOON + rng.below(50) as i64 * MINUTE).collect();
    let texts: Vec<String> = (0..n).map(|i| "z".repeat(i % 13)).collect();
    let refs: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
    let h = history(&ts, &refs);
    let w = engine.window(&h, &WindowSpec::bytes(40).overlap(0.2)).unwrap();
    let perm = w.input_rows().expect("the input was not sorted");
    // Sorted order is stable: by ts, then input position.
    let mut expect: Vec<u64> = (0..n as u64).collect();
    expect.sort_by_key(|&i| ts[i as usize]);
    assert_eq!(perm.values().as_ref(), &expect[..]);
    let sorted_history = w.history().unwrap();
    let ids = sorted_history.column_by_name("id").unwrap();
    let ids = ids.as_any().downcast_ref::<arrow_array::UInt64Array>().unwrap();
    for r in 0..n as u64 {
        assert_eq!(ids.value(r as usize), w.input_row(r));
    }
    // Windowing the sorted table gives the same windows, which then need no mapping.
    let sorted = engine.window(&w.history().unwrap(), &WindowSpec::bytes(40).overlap(0.2)).unwrap();
    assert_eq!(sorted.windows(), w.windows());
    assert!(sorted.input_rows().is_none());
}

fn other_timestamp_units(engine: &Engine) {
    let ts = TimestampSecondArray::from((0..10).map(|i| 1_672_574_400 + i * 3600).collect::<Vec<_>>());
    let text = StringArray::from((0..10).map(|i| format!("message_{i}")).collect::<Vec<_>>());
    let b = RecordBatch::try_from_iter([("ts", Arc::new(ts) as _), ("text", Arc::new(text) as _)]).unwrap();
    let w = engine.window(&b, &WindowSpec::hours(3).overlap(0.0)).unwrap();
    assert_eq!(sizes(&w), [3, 3, 3, 1]);
    assert_eq!(w.table().column(4).data_type(), b.column(0).data_type());
}

fn agrees_with_cpu_on_random_histories(engine: &Engine) {
    let mut rng = Rng::new(51);
    for n in [1, 2, 3, 10, 100, 1000, 9000] {
        let h = random_history(&mut rng, n);
        for spec in specs() {
            let got = engine.window(&h, &spec).unwrap();
            let want = common::cpu().window(&h, &spec).unwrap();
            assert!(got.windows() == want.windows(), "n {n}, {spec:?}");
            assert_eq!(got.table(), want.table());
        }
    }
}

/// Strict invariants: every row covered, budgets held (but by a single message), no window inside its
/// predecessor, spans within max_window_time.
fn check_strict(w: &Windows, spec: &WindowSpec, n: u64, ts: &[i64]) {
    let ws = w.windows();
    if n == 0 {
        assert!(ws.is_empty());
        return;
    }
    assert_eq!(ws.first().map(|x| x.start_row), Some(0));
    assert_eq!(ws.last().map(|x| x.end_row), Some(n));
    for pair in ws.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!(b.start_row <= a.end_row, "gap between {a:?} and {b:?}");
        assert!(b.start_row > a.start_row && b.end_row > a.end_row, "{b:?} lies inside {a:?}");
    }
    if spec.step_unit == StepUnit::Bytes {
        for x in ws {
            assert!(x.size() >= 1);
            assert!(x.units <= spec.max_bytes_per_window || x.size() == 1, "{x:?} over budget");
            if let Some(d) = spec.max_window_time {
                let span = ts[x.end_row as usize - 1] - ts[x.start_row as usize];
                assert!(span as u128 <= d.as_micros() || x.size() == 1, "{x:?} spans {span}");
            }
        }
    }
}

fn proptest_strict_invariants(engine: &Engine) {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 40, ..ProptestConfig::default() });
    let strategy = (
        proptest::collection::vec((0i64..5, proptest::option::of("[a-zé€😀 ]{0,12}")), 0..300),
        1u64..80,
        0.0f64..0.6,
        proptest::option::of(0u64..4000),
        prop_oneof![Just(StepUnit::Bytes), Just(StepUnit::Messages)],
    );
    runner
        .run(&strategy, |(rows, m, r, mwt, unit)| {
            let mut t = NOON;
            let ts: Vec<i64> = rows
                .iter()
                .map(|(dt, _)| {
                    t += dt * 1_000_000;
                    t
                })
                .collect();
            let texts: Vec<Option<&str>> = rows.iter().map(|(_, s)| s.as_deref()).collect();
            let h = history(&ts, &texts);
            let mut spec = WindowSpec {
                step_unit: unit,
                step_size: m,
                max_bytes_per_window: m,
                overlap_ratio: r,
                ..WindowSpec::default()
            };
            spec.max_window_time = mwt.map(Duration::from_secs);
            let w = engine.window(&h, &spec).unwrap();
            check_strict(&w, &spec, ts.len() as u64, &ts);
            if engine.is_gpu() {
                let want = common::cpu().window(&h, &spec).unwrap();
                prop_assert_eq!(w.windows(), want.windows());
            }
            Ok(())
        })
        .unwrap();
}

fn null_text_has_length_zero(engine: &Engine) {
    let h = history(&[NOON, NOON + 1, NOON + 2], &[Some("abc"), None, Some("de")]);
    let w = engine.window(&h, &WindowSpec::messages(3).overlap(0.0)).unwrap();
    assert_eq!(w.windows()[0].units, 5);
    let w = engine.window(&h, &WindowSpec::bytes(3).overlap(0.0)).unwrap();
    assert_eq!(sizes(&w), [2, 1]);
    assert!(w.rows(&w.windows()[0]).unwrap().column_by_name("text").unwrap().is_null(1));
    let bogus = Window { end_row: 99, ..w.windows()[0] };
    assert!(w.rows(&bogus).is_err());
    assert!(w.split_window(&bogus, 2).is_err());
}

/// The parts of `split_window` by visiting every part (the definition), for small `n`.
fn split_reference(w: &Windows, win: &Window, n: u64) -> Vec<(u64, u64, i64, i64)> {
    let rows = w.rows(win).unwrap();
    let ts = rows.column_by_name("ts").unwrap().as_any().downcast_ref::<TimestampMicrosecondArray>().unwrap();
    let ts: Vec<i128> = ts.values().iter().map(|&t| i128::from(t)).collect();
    let (s, e, n) = (i128::from(win.start_time), i128::from(win.end_time), i128::from(n));
    let (q, r) = ((e - s).div_euclid(n), (e - s).rem_euclid(n));
    let d = if 2 * r > n || (2 * r == n && q % 2 != 0) { q + 1 } else { q };
    let mut out = Vec::new();
    for k in 0..n {
        let lo = s + k * d;
        let last = k == n - 1;
        let hi = if last { e } else { lo + d };
        let first = ts.partition_point(|&t| t < lo);
        let end = if last { ts.partition_point(|&t| t <= hi) } else { ts.partition_point(|&t| t < hi) };
        if end > first {
            out.push((win.start_row + first as u64, win.start_row + end as u64, lo as i64, hi as i64));
        }
    }
    out
}

fn split_follows_rows_and_max_timestamps(engine: &Engine) {
    let mut rng = Rng::new(52);
    let h = random_history(&mut rng, 400);
    for spec in [WindowSpec::messages(50), WindowSpec::hours(2), WindowSpec::bytes(300)] {
        let w = engine.window(&h, &spec).unwrap();
        for win in w.windows().iter().filter(|x| x.size() > 0).take(6) {
            for n in [2, 3, 7, 64, 1000] {
                let got: Vec<(u64, u64, i64, i64)> = w
                    .split_window(win, n)
                    .unwrap()
                    .iter()
                    .map(|p| (p.start_row, p.end_row, p.start_time, p.end_time))
                    .collect();
                assert_eq!(got, split_reference(&w, win, n), "{spec:?} {win:?} n {n}");
            }
            // A huge n costs no more than the rows (not a loop over the parts).
            let parts = w.split_window(win, 1 << 40).unwrap();
            assert_eq!(parts.iter().map(Window::size).sum::<u64>(), win.size());
            assert!(w.split_window(win, u64::MAX).is_ok());
        }
    }
    // A timestamp at i64::MAX is covered by a time window (its bound is clamped to i64::MAX).
    for (step, r) in [(1, 0.0), (3, 0.2)] {
        let ts = TimestampMicrosecondArray::from(vec![i64::MAX - 5 * HOUR, i64::MAX - 1, i64::MAX]);
        let text = StringArray::from(vec!["a", "b", "c"]);
        let b = RecordBatch::try_from_iter([("ts", Arc::new(ts) as _), ("text", Arc::new(text) as _)]).unwrap();
        let spec = WindowSpec::hours(step).overlap(r);
        let w = engine.window(&b, &spec).unwrap();
        assert_eq!(w.windows().last().map(|x| x.end_row), Some(3), "step {step}");
        let last = w.windows().last().copied().unwrap();
        assert_eq!((last.size(), last.units), if step == 1 { (1, 1) } else { (2, 2) });
        let streamed: Vec<Window> =
            engine.window_stream([Ok::<_, Error>(b.clone())], &spec).unwrap().map(|x| x.unwrap().window).collect();
        assert_eq!(streamed, w.windows());
    }
}

on_every_backend!(
    split_follows_rows_and_max_timestamps,
    count_reference_cases,
    time_reference_cases,
    egregora_byte_reference_cases,
    split_and_edges,
    bad_input_is_a_clear_error,
    unsorted_input_maps_back,
    other_timestamp_units,
    agrees_with_cpu_on_random_histories,
    proptest_strict_invariants,
    null_text_has_length_zero,
);
