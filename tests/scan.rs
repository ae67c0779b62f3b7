//! Prefix sums: every backend against a plain loop, on awkward sizes and values.

mod common;

use arrow_array::{Array, UInt32Array};
use common::{Rng, awkward_sizes};
use proptest::prelude::*;
use streamliner::Engine;
use streamliner::scan::{ScanKind, prefix_sum, prefix_sum_into};

/// The CPU scan's parallel threshold and block (src/cpu): sizes around them and their multiples.
const CPU_PARALLEL_MIN: usize = 1 << 18;
const CPU_BLOCK: usize = 1 << 16;

fn cpu_threshold_sizes() -> Vec<usize> {
    let mut v = vec![CPU_BLOCK - 1, CPU_BLOCK, CPU_BLOCK + 1];
    for n in [CPU_PARALLEL_MIN, CPU_PARALLEL_MIN + CPU_BLOCK, 9 * CPU_BLOCK, 40 * CPU_BLOCK] {
        v.extend([n - 1, n, n + 1]);
    }
    v.push(CPU_PARALLEL_MIN + 7919);
    v
}

fn oracle_u64_input(input: &[u64], kind: ScanKind) -> Vec<u64> {
    let mut acc = 0u64;
    input
        .iter()
        .map(|&x| {
            let before = acc;
            acc = acc.wrapping_add(x);
            if kind == ScanKind::Inclusive { acc } else { before }
        })
        .collect()
}

fn oracle_u64(input: &[u32], kind: ScanKind) -> Vec<u64> {
    let mut acc = 0u64;
    input
        .iter()
        .map(|&x| {
            let before = acc;
            acc += u64::from(x);
            if kind == ScanKind::Inclusive { acc } else { before }
        })
        .collect()
}

fn oracle_u32(input: &[u32], kind: ScanKind) -> Vec<u32> {
    oracle_u64(input, kind).into_iter().map(|x| x as u32).collect()
}

fn check(engine: &Engine, input: &[u32]) {
    for kind in [ScanKind::Inclusive, ScanKind::Exclusive] {
        let wide: Vec<u64> = prefix_sum(engine, input, kind).unwrap();
        assert!(wide == oracle_u64(input, kind), "u32->u64 {kind:?} scan of {} elements differs", input.len());
        let narrow: Vec<u32> = prefix_sum(engine, input, kind).unwrap();
        assert!(narrow == oracle_u32(input, kind), "u32 {kind:?} scan of {} elements differs", input.len());
    }
}

fn random_values_at_awkward_sizes(engine: &Engine) {
    let mut rng = Rng::new(1);
    for n in awkward_sizes() {
        check(engine, &rng.u32s(n));
    }
}

fn values_near_max_wrap_and_widen(engine: &Engine) {
    for n in [1, 2, 4095, 4097, 8193, 100_000] {
        let input: Vec<u32> = (0..n).map(|i| u32::MAX - (i % 3) as u32).collect();
        check(engine, &input);
        // The total passes 2^32 many times over.
        let total: Vec<u64> = prefix_sum(engine, &input, ScanKind::Inclusive).unwrap();
        assert!(n < 2 || total[n - 1] > u64::from(u32::MAX));
    }
}

fn small_values(engine: &Engine) {
    let mut rng = Rng::new(2);
    for n in [3, 4096 * 5 + 3, 65_537] {
        let input: Vec<u32> = (0..n).map(|_| rng.below(4) as u32).collect();
        check(engine, &input);
    }
}

fn millions(engine: &Engine) {
    // 3 million, and 2^23 + 12345: past 2048 u32 tiles, so the spine of tile totals is itself scanned
    // in more than one tile (three levels).
    let mut rng = Rng::new(3);
    for n in [3_000_017, (1 << 23) + 12_345] {
        check(engine, &rng.u32s(n));
    }
}

fn arrow_nulls_count_as_zero(engine: &Engine) {
    let a = UInt32Array::from(vec![Some(1), None, Some(u32::MAX), Some(3), None]);
    let wide = prefix_sum::<u64, _>(engine, &a, ScanKind::Inclusive).unwrap();
    assert_eq!(wide.values().as_ref(), &[1, 1, 4294967296, 4294967299, 4294967299]);
    assert_eq!(wide.nulls(), a.nulls());
    let narrow = prefix_sum::<u32, _>(engine, &a, ScanKind::Exclusive).unwrap();
    assert_eq!(narrow.values().as_ref(), &[0, 1, 1, 0, 3]);
}

fn columns_stay_resident(engine: &Engine) {
    let mut rng = Rng::new(4);
    for n in [0, 1, 4097, 20_000] {
        let input = rng.u32s(n);
        let col = engine.upload(&input).unwrap();
        assert_eq!(col.is_on_gpu(), engine.is_gpu());
        assert_eq!(col.len(), n);
        let out = prefix_sum::<u64, _>(engine, &col, ScanKind::Exclusive).unwrap();
        assert_eq!(out.is_on_gpu(), engine.is_gpu());
        assert!(out.to_vec().unwrap() == oracle_u64(&input, ScanKind::Exclusive), "column scan of {n}");
        let narrow = prefix_sum::<u32, _>(engine, &col, ScanKind::Inclusive).unwrap();
        assert!(narrow.to_vec().unwrap() == oracle_u32(&input, ScanKind::Inclusive), "column scan of {n}");
    }
}

fn u64_inputs(engine: &Engine) {
    let mut rng = Rng::new(5);
    for n in awkward_sizes() {
        let input: Vec<u64> =
            (0..n).map(|i| if i % 5 == 0 { u64::MAX - rng.below(3) } else { rng.next_u64() >> 20 }).collect();
        for kind in [ScanKind::Inclusive, ScanKind::Exclusive] {
            let mut acc = 0u64;
            let expect: Vec<u64> = input
                .iter()
                .map(|&x| {
                    let before = acc;
                    acc = acc.wrapping_add(x);
                    if kind == ScanKind::Inclusive { acc } else { before }
                })
                .collect();
            assert!(prefix_sum::<u64, _>(engine, &input, kind).unwrap() == expect, "u64 {kind:?} scan of {n}");
            let col = engine.upload(&input).unwrap();
            assert!(
                prefix_sum::<u64, _>(engine, &col, kind).unwrap().to_vec().unwrap() == expect,
                "u64 column scan of {n}"
            );
        }
    }
}

fn proptest_scans(engine: &Engine) {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 48, ..ProptestConfig::default() });
    let strategy = prop_oneof![
        proptest::collection::vec(any::<u32>(), 0..20_000),
        proptest::collection::vec(u32::MAX - 8..=u32::MAX, 0..10_000),
        proptest::collection::vec(0u32..16, 0..30_000),
    ];
    runner
        .run(&strategy, |input| {
            for kind in [ScanKind::Inclusive, ScanKind::Exclusive] {
                let wide: Vec<u64> = prefix_sum(engine, &input, kind).unwrap();
                prop_assert_eq!(wide, oracle_u64(&input, kind));
                let narrow: Vec<u32> = prefix_sum(engine, &input, kind).unwrap();
                prop_assert_eq!(narrow, oracle_u32(&input, kind));
            }
            Ok(())
        })
        .unwrap();
}

fn sizes_around_the_cpu_block_and_threshold(engine: &Engine) {
    let mut rng = Rng::new(6);
    for n in cpu_threshold_sizes() {
        check(engine, &rng.u32s(n));
        let big: Vec<u64> = (0..n).map(|_| rng.next_u64()).collect();
        for kind in [ScanKind::Inclusive, ScanKind::Exclusive] {
            assert!(
                prefix_sum::<u64, _>(engine, &big, kind).unwrap() == oracle_u64_input(&big, kind),
                "u64 scan of {n}"
            );
        }
    }
}

fn into_a_callers_buffer(engine: &Engine) {
    let mut rng = Rng::new(7);
    let mut sizes = awkward_sizes();
    sizes.extend(cpu_threshold_sizes());
    for n in sizes {
        let input = rng.u32s(n);
        let big: Vec<u64> = (0..n).map(|_| rng.next_u64()).collect();
        for kind in [ScanKind::Inclusive, ScanKind::Exclusive] {
            // The buffers hold garbage first: every element must be written.
            let mut wide = vec![0xDEAD_BEEF_u64; n];
            prefix_sum_into(engine, &input, &mut wide, kind).unwrap();
            assert!(wide == oracle_u64(&input, kind), "u32->u64 {kind:?} scan into a buffer of {n}");
            let mut narrow = vec![0xDEAD_BEEF_u32; n];
            prefix_sum_into(engine, &input, &mut narrow, kind).unwrap();
            assert!(narrow == oracle_u32(&input, kind), "u32 {kind:?} scan into a buffer of {n}");
            let mut out = vec![0xDEAD_BEEF_u64; n];
            prefix_sum_into(engine, &big, &mut out, kind).unwrap();
            assert!(out == oracle_u64_input(&big, kind), "u64 {kind:?} scan into a buffer of {n}");
        }
    }
}

fn into_a_buffer_of_another_length_is_an_error(engine: &Engine) {
    let mut short = vec![0u64; 2];
    let err = prefix_sum_into(engine, &[1u32, 2, 3], &mut short, ScanKind::Inclusive).unwrap_err();
    assert!(matches!(err, streamliner::Error::InvalidParameter { .. }), "{err}");
    assert_eq!(short, vec![0, 0]);
    let mut long = vec![0u64; 4];
    assert!(prefix_sum_into(engine, &[1u64, 2, 3], &mut long, ScanKind::Inclusive).is_err());
    let mut empty: Vec<u32> = Vec::new();
    prefix_sum_into(engine, &[], &mut empty, ScanKind::Exclusive).unwrap();
}

on_every_backend!(
    sizes_around_the_cpu_block_and_threshold,
    into_a_callers_buffer,
    into_a_buffer_of_another_length_is_an_error,
    random_values_at_awkward_sizes,
    values_near_max_wrap_and_widen,
    small_values,
    millions,
    arrow_nulls_count_as_zero,
    columns_stay_resident,
    proptest_scans,
    u64_inputs,
);
