//! Device timings (`Engine::device_time_ms`): the timed call's result is unchanged on every backend,
//! and a device with timestamp queries reports a finite, non-negative time. Speed is never asserted.

mod common;

use common::{Rng, awkward_sizes};
use streamliner::Engine;
use streamliner::scan::{ScanKind, prefix_sum};

/// Whether `engine`'s device offers timestamp queries (the engine requests them where offered).
fn has_timestamps(engine: &Engine) -> bool {
    engine.adapter().is_some_and(|a| a.features.iter().any(|f| f == "TIMESTAMP_QUERY"))
}

fn timed_scan_matches_the_cpu(engine: &Engine) {
    let mut rng = Rng::new(70);
    // 1_000_003 on the chunked engine records more passes than one query set holds.
    let mut sizes = awkward_sizes();
    sizes.push(1_000_003);
    for n in sizes {
        let v = rng.u32s(n);
        let want = prefix_sum::<u32, _>(common::cpu(), &v, ScanKind::Inclusive).unwrap();
        let (got, ms) = engine.device_time_ms(|| prefix_sum::<u32, _>(engine, &v, ScanKind::Inclusive)).unwrap();
        assert_eq!(got, want, "scan of {n}");
        if has_timestamps(engine) {
            let ms = ms.unwrap_or_else(|| panic!("no device time for {n} on a device with timestamps"));
            assert!(ms.is_finite() && ms >= 0.0, "device time {ms} for {n}");
        } else {
            assert!(ms.is_none(), "a device time without timestamp queries, for {n}");
        }
    }
}

fn errors_pass_through_and_the_scope_closes(engine: &Engine) {
    let r: streamliner::Result<((), Option<f64>)> =
        engine.device_time_ms(|| Err(streamliner::Error::Gpu { operation: "test".into(), message: "boom".into() }));
    assert!(r.is_err());
    // A later timed call still works and times only its own passes.
    let (s, _) = engine.device_time_ms(|| prefix_sum::<u32, _>(engine, &[5u32, 6], ScanKind::Exclusive)).unwrap();
    assert_eq!(s, vec![0, 5]);
}

/// More passes in one scope than one query set holds (2048 passes): the recorder opens more sets.
fn many_passes_in_one_scope(engine: &Engine) {
    let v = [1u32, 2, 3];
    let (all, ms) = engine
        .device_time_ms(|| {
            (0..2100).map(|_| prefix_sum::<u32, _>(engine, &v, ScanKind::Inclusive)).collect::<Result<Vec<_>, _>>()
        })
        .unwrap();
    assert!(all.iter().all(|s| s == &[1, 3, 6]));
    assert_eq!(ms.is_some(), has_timestamps(engine));
}

fn cpu_has_no_device_time(engine: &Engine) {
    if !engine.is_gpu() {
        let (_, ms) = engine.device_time_ms(|| Ok(())).unwrap();
        assert!(ms.is_none());
    }
}

on_every_backend!(
    timed_scan_matches_the_cpu,
    errors_pass_through_and_the_scope_closes,
    many_passes_in_one_scope,
    cpu_has_no_device_time
);
