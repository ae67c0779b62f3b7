//! Reductions: every backend against iterator folds.

mod common;

use arrow_array::UInt32Array;
use common::{Rng, awkward_sizes};
use streamliner::Engine;
use streamliner::reduce::{max, min, sum};

fn u32_values(engine: &Engine) {
    let mut rng = Rng::new(20);
    for n in awkward_sizes() {
        let v = rng.u32s(n);
        assert_eq!(sum(engine, &v).unwrap(), v.iter().map(|&x| u64::from(x)).sum::<u64>(), "sum of {n}");
        assert_eq!(min(engine, &v).unwrap(), v.iter().copied().min(), "min of {n}");
        assert_eq!(max(engine, &v).unwrap(), v.iter().copied().max(), "max of {n}");
    }
}

fn u64_values(engine: &Engine) {
    let mut rng = Rng::new(21);
    for n in awkward_sizes() {
        let v: Vec<u64> = (0..n).map(|_| rng.next_u64()).collect();
        let total = v.iter().fold(0u64, |a, &x| a.wrapping_add(x));
        assert_eq!(sum(engine, &v).unwrap(), total, "sum of {n}");
        assert_eq!(min(engine, &v).unwrap(), v.iter().copied().min(), "min of {n}");
        assert_eq!(max(engine, &v).unwrap(), v.iter().copied().max(), "max of {n}");
    }
}

fn extremes_in_every_position(engine: &Engine) {
    for n in [1usize, 4095, 4097, 8193, 20_000] {
        for at in [0, n / 2, n - 1] {
            let mut v = vec![1u64 << 40; n];
            v[at] = 3;
            assert_eq!(min(engine, &v).unwrap(), Some(3));
            v[at] = u64::MAX;
            assert_eq!(max(engine, &v).unwrap(), Some(u64::MAX));
            let mut w = vec![7u32; n];
            w[at] = 0;
            assert_eq!(min(engine, &w).unwrap(), Some(0));
            w[at] = u32::MAX;
            assert_eq!(max(engine, &w).unwrap(), Some(u32::MAX));
        }
    }
}

fn sum_passes_2_pow_32(engine: &Engine) {
    let v = vec![u32::MAX; 1_000_003];
    assert_eq!(sum(engine, &v).unwrap(), 1_000_003 * u64::from(u32::MAX));
}

fn arrays_and_columns(engine: &Engine) {
    let a = UInt32Array::from(vec![Some(5), None, Some(2), Some(9)]);
    assert_eq!(sum(engine, &a).unwrap(), 16);
    assert_eq!(max(engine, &a).unwrap(), Some(9));
    let mut rng = Rng::new(22);
    for n in [0, 1, 8193, 50_000] {
        let v: Vec<u64> = (0..n).map(|_| rng.next_u64() >> 8).collect();
        let c = engine.upload(&v).unwrap();
        assert_eq!(sum(engine, &c).unwrap(), v.iter().sum::<u64>());
        assert_eq!(min(engine, &c).unwrap(), v.iter().copied().min());
        assert_eq!(max(engine, &c).unwrap(), v.iter().copied().max());
    }
}

on_every_backend!(u32_values, u64_values, extremes_in_every_position, sum_passes_2_pow_32, arrays_and_columns);
