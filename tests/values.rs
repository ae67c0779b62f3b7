//! One entry per operation (`streamliner::Values`): a slice, a vector, an Arrow array and a column give
//! the same results on every backend, each result shaped like its input, and equal to the CPU engine's.

mod common;

use std::borrow::Cow;

use arrow_array::{Array, BooleanArray, Int64Array, UInt32Array, UInt64Array};
use common::{Rng, awkward_sizes};
use streamliner::Engine;
use streamliner::compact::indices;
use streamliner::reduce::{max, min, sum};
use streamliner::scan::{ScanKind, prefix_sum};
use streamliner::search::{Bound, Check, Haystack, search_sorted};

/// Awkward sizes up to 10^5 (the larger ones are in each family's own tests).
fn sizes() -> Vec<usize> {
    awkward_sizes().into_iter().filter(|&n| n <= 104_729).collect()
}

/// Every third value null.
fn with_nulls<T: Copy>(v: &[T]) -> Vec<Option<T>> {
    v.iter().enumerate().map(|(i, &x)| (i % 3 != 1).then_some(x)).collect()
}

fn reductions_agree(engine: &Engine) {
    let cpu = common::cpu();
    let mut rng = Rng::new(60);
    for n in sizes() {
        let v = rng.u32s(n);
        let w: Vec<u64> = (0..n).map(|_| rng.next_u64()).collect();
        let (va, wa) = (UInt32Array::from(v.clone()), UInt64Array::from(w.clone()));
        let (vc, wc) = (engine.upload(&v).unwrap(), engine.upload(&w).unwrap());
        let host_col = cpu.upload(&v).unwrap();
        let expect = (sum(cpu, &v[..]).unwrap(), min(cpu, &v[..]).unwrap(), max(cpu, &v[..]).unwrap());
        for got in [
            (sum(engine, &v[..]).unwrap(), min(engine, &v[..]).unwrap(), max(engine, &v[..]).unwrap()),
            (sum(engine, &v).unwrap(), min(engine, &v).unwrap(), max(engine, &v).unwrap()),
            (sum(engine, &va).unwrap(), min(engine, &va).unwrap(), max(engine, &va).unwrap()),
            (sum(engine, &vc).unwrap(), min(engine, &vc).unwrap(), max(engine, &vc).unwrap()),
            (sum(engine, &host_col).unwrap(), min(engine, &host_col).unwrap(), max(engine, &host_col).unwrap()),
            (sum(engine, va.values()).unwrap(), min(engine, va.values()).unwrap(), max(engine, va.values()).unwrap()),
            (
                sum(engine, &Cow::Borrowed(&v[..])).unwrap(),
                min(engine, &v.as_slice()).unwrap(),
                max(engine, &&v).unwrap(),
            ),
        ] {
            assert_eq!(got, expect, "u32 reductions of {n}");
        }
        let expect = (sum(cpu, &w).unwrap(), min(cpu, &w).unwrap(), max(cpu, &w).unwrap());
        assert_eq!((sum(engine, &wa).unwrap(), min(engine, &wa).unwrap(), max(engine, &wa).unwrap()), expect);
        assert_eq!((sum(engine, &wc).unwrap(), min(engine, &wc).unwrap(), max(engine, &wc).unwrap()), expect);
        // Nulls are skipped: the same as the valid values alone.
        let nulls = UInt32Array::from(with_nulls(&v));
        let valid: Vec<u32> = nulls.iter().flatten().collect();
        assert_eq!(sum(engine, &nulls).unwrap(), sum(cpu, &valid).unwrap(), "sum of {n} with nulls");
        assert_eq!(min(engine, &nulls).unwrap(), min(cpu, &valid).unwrap(), "min of {n} with nulls");
        assert_eq!(max(engine, &nulls).unwrap(), max(cpu, &valid).unwrap(), "max of {n} with nulls");
    }
}

fn scans_agree(engine: &Engine) {
    let cpu = common::cpu();
    let mut rng = Rng::new(61);
    for n in sizes() {
        let v = rng.u32s(n);
        let w: Vec<u64> = (0..n).map(|_| rng.next_u64()).collect();
        let col = engine.upload(&v).unwrap();
        let wcol = engine.upload(&w).unwrap();
        for kind in [ScanKind::Inclusive, ScanKind::Exclusive] {
            let wide: Vec<u64> = prefix_sum(cpu, &v[..], kind).unwrap();
            let narrow: Vec<u32> = prefix_sum(cpu, &v[..], kind).unwrap();
            let big: Vec<u64> = prefix_sum(cpu, &w[..], kind).unwrap();
            assert!(prefix_sum::<u64, _>(engine, &v[..], kind).unwrap() == wide, "slice u32->u64 of {n}");
            assert!(prefix_sum::<u64, _>(engine, &v, kind).unwrap() == wide, "vector u32->u64 of {n}");
            assert!(prefix_sum::<u32, _>(engine, &v, kind).unwrap() == narrow, "vector u32->u32 of {n}");
            assert!(prefix_sum::<u64, _>(engine, &w, kind).unwrap() == big, "vector u64 of {n}");

            let array = prefix_sum::<u64, _>(engine, &UInt32Array::from(v.clone()), kind).unwrap();
            assert!(array.values().as_ref() == wide.as_slice() && array.null_count() == 0, "array u32->u64 of {n}");
            let array = prefix_sum::<u64, _>(engine, &UInt64Array::from(w.clone()), kind).unwrap();
            assert!(array.values().as_ref() == big.as_slice(), "array u64 of {n}");

            let out = prefix_sum::<u64, _>(engine, &col, kind).unwrap();
            assert_eq!(out.is_on_gpu(), engine.is_gpu());
            assert!(out.to_vec().unwrap() == wide, "column u32->u64 of {n}");
            assert!(prefix_sum::<u32, _>(engine, &col, kind).unwrap().to_vec().unwrap() == narrow, "column u32 of {n}");
            assert!(prefix_sum::<u64, _>(engine, &wcol, kind).unwrap().to_vec().unwrap() == big, "column u64 of {n}");

            // A null counts as 0 and stays null.
            let nulls = UInt32Array::from(with_nulls(&v));
            let zeroed: Vec<u32> = nulls.iter().map(|x| x.unwrap_or(0)).collect();
            let out = prefix_sum::<u64, _>(engine, &nulls, kind).unwrap();
            assert!(out.values().as_ref() == prefix_sum::<u64, _>(cpu, &zeroed, kind).unwrap().as_slice());
            assert_eq!(out.nulls(), nulls.nulls(), "nulls of {n}");
        }
    }
}

/// A sorted haystack of `n` values with repeats.
fn sorted(rng: &mut Rng, n: usize) -> Vec<u64> {
    let mut v: Vec<u64> = (0..n).map(|_| rng.below(n as u64 * 2 + 1)).collect();
    v.sort_unstable();
    v
}

fn searches_agree(engine: &Engine) {
    let cpu = common::cpu();
    let mut rng = Rng::new(62);
    for n in sizes() {
        let hay = sorted(&mut rng, n);
        let mut queries: Vec<u64> = (0..n.min(5000) + 3).map(|_| rng.below(n as u64 * 2 + 3)).collect();
        if n % 2 == 0 {
            queries.sort_unstable();
        }
        let (hay_col, q_col) = (engine.upload(&hay).unwrap(), engine.upload(&queries).unwrap());
        let (hay_arr, q_arr) = (UInt64Array::from(hay.clone()), UInt64Array::from(queries.clone()));
        let prepared = Haystack::new(engine, hay.clone(), Check::Verify).unwrap();
        for bound in [Bound::Lower, Bound::Upper] {
            let expect = search_sorted(cpu, &hay[..], &queries[..], bound, Check::Verify).unwrap();
            let s = |got: Vec<u64>, what: &str| assert!(got == expect, "{what}, haystack {n}, {bound:?}");
            s(search_sorted(engine, &hay[..], &queries[..], bound, Check::Verify).unwrap(), "slices");
            s(search_sorted(engine, &hay, &queries, bound, Check::Trust).unwrap(), "vectors");
            s(search_sorted(engine, &hay_arr, &q_arr, bound, Check::Verify).unwrap().values().to_vec(), "arrays");
            s(search_sorted(engine, &hay_col, &q_col, bound, Check::Verify).unwrap().to_vec().unwrap(), "columns");
            s(search_sorted(engine, &hay_col, &queries, bound, Check::Trust).unwrap(), "column haystack");
            s(search_sorted(engine, &hay, &q_col, bound, Check::Trust).unwrap().to_vec().unwrap(), "column queries");
            s(search_sorted(engine, &hay_arr, &queries, bound, Check::Trust).unwrap(), "array haystack");
            s(prepared.search(&queries, bound).unwrap(), "prepared, vector");
            s(prepared.search(&q_arr, bound).unwrap().values().to_vec(), "prepared, array");
            s(prepared.search(&q_col, bound).unwrap().to_vec().unwrap(), "prepared, column");

            // u32 and i64 values, the same positions.
            let hay32: Vec<u32> = hay.iter().map(|&x| x as u32).collect();
            let q32: Vec<u32> = queries.iter().map(|&x| x as u32).collect();
            s(search_sorted(engine, &hay32, &q32, bound, Check::Verify).unwrap(), "u32 vectors");
            let col32 = engine.upload(&hay32).unwrap();
            s(
                search_sorted(engine, &col32, &engine.upload(&q32).unwrap(), bound, Check::Verify)
                    .unwrap()
                    .to_vec()
                    .unwrap(),
                "u32 columns",
            );
            let shift = |x: u64| x as i64 - n as i64;
            let hay64 = Int64Array::from(hay.iter().map(|&x| shift(x)).collect::<Vec<_>>());
            let q64 = Int64Array::from(queries.iter().map(|&x| shift(x)).collect::<Vec<_>>());
            s(search_sorted(engine, &hay64, &q64, bound, Check::Verify).unwrap().values().to_vec(), "i64 arrays");
        }
        // A null query gives a null position; a null in the haystack is refused.
        let q_nulls = UInt64Array::from(with_nulls(&queries));
        let out = search_sorted(engine, &hay, &q_nulls, Bound::Lower, Check::Trust);
        assert_eq!(out.unwrap().nulls(), q_nulls.nulls());
        if n > 1 {
            let hay_nulls = UInt64Array::from(with_nulls(&hay));
            assert!(search_sorted(engine, &hay_nulls, &queries, Bound::Lower, Check::Trust).is_err());
        }
    }
}

fn masks_agree(engine: &Engine) {
    let mut rng = Rng::new(63);
    for n in sizes() {
        let flags: Vec<u64> = (0..n).map(|_| rng.below(2)).collect();
        let mask = BooleanArray::from(flags.iter().map(|&f| f == 1).collect::<Vec<_>>());
        let expect: Vec<u64> = (0..n as u64).filter(|&i| flags[i as usize] == 1).collect();
        assert!(indices(engine, &mask).unwrap().values().as_ref() == expect.as_slice(), "bitmap of {n}");
        let col = indices(engine, &engine.upload(&flags).unwrap()).unwrap();
        assert_eq!(col.is_on_gpu(), engine.is_gpu());
        assert!(col.to_vec().unwrap() == expect, "column of {n}");
    }
}

/// The older names answer the same as the generic entries.
fn former_names_agree(engine: &Engine) {
    use streamliner::{compact, reduce, scan, search};
    let v = vec![5u32, 0, 7, u32::MAX, 3];
    let a = UInt32Array::from(v.clone());
    let c = engine.upload(&v).unwrap();
    assert_eq!(reduce::sum_array::<u32>(engine, &a).unwrap(), sum(engine, &v).unwrap());
    assert_eq!(reduce::min_array::<u32>(engine, &a).unwrap(), min(engine, &v).unwrap());
    assert_eq!(reduce::max_column(engine, &c).unwrap(), max(engine, &v).unwrap());
    let kind = ScanKind::Exclusive;
    let wide: Vec<u64> = prefix_sum(engine, &v, kind).unwrap();
    assert_eq!(scan::prefix_sum_array::<u64>(engine, &a, kind).unwrap().values().to_vec(), wide);
    assert_eq!(scan::prefix_sum_column::<u64>(engine, &c, kind).unwrap().to_vec().unwrap(), wide);
    let w: Vec<u64> = wide.clone();
    assert_eq!(scan::prefix_sum_u64(engine, &w, kind).unwrap(), prefix_sum::<u64, _>(engine, &w, kind).unwrap());
    let mut out = vec![0u64; w.len()];
    scan::prefix_sum_u64_into(engine, &w, &mut out, kind).unwrap();
    assert_eq!(out, prefix_sum::<u64, _>(engine, &w, kind).unwrap());
    let wc = engine.upload(&w).unwrap();
    assert_eq!(scan::prefix_sum_u64_column(engine, &wc, kind).unwrap().to_vec().unwrap(), out);
    let q = [0u64, 6, 1 << 40];
    let lower = search_sorted(engine, &w, &q, Bound::Lower, Check::Verify).unwrap();
    assert_eq!(search::lower_bound(engine, &w, &q).unwrap(), lower);
    assert_eq!(
        search::upper_bound(engine, &w, &q).unwrap(),
        search_sorted(engine, &w, &q, Bound::Upper, Check::Trust).unwrap()
    );
    let (wa, qa) = (UInt64Array::from(w.clone()), UInt64Array::from(q.to_vec()));
    assert_eq!(
        search::search_sorted_array(engine, &wa, &qa, Bound::Lower, Check::Verify).unwrap().values().to_vec(),
        lower
    );
    let qc = engine.upload(&q).unwrap();
    assert_eq!(
        search::search_sorted_column(engine, &wc, &qc, Bound::Lower, Check::Verify).unwrap().to_vec().unwrap(),
        lower
    );
    let prepared = Haystack::from_array(engine, &wa, Check::Verify).unwrap();
    assert_eq!(prepared.search_array(&qa, Bound::Lower).unwrap().values().to_vec(), lower);
    let flags = engine.upload(&[1u64, 0, 1]).unwrap();
    assert_eq!(compact::indices_column(engine, &flags).unwrap().to_vec().unwrap(), vec![0, 2]);
}

on_every_backend!(reductions_agree, scans_agree, searches_agree, masks_agree, former_names_agree);
