//! Batched binary search: every backend against std's partition_point.

mod common;

use arrow_array::{Array, Int64Array, TimestampMicrosecondArray, UInt32Array, UInt64Array};
use common::{Rng, awkward_sizes};
use proptest::prelude::*;
use streamliner::search::{Bound, Check, Haystack, SearchKey, search_sorted};
use streamliner::{Engine, Error};

fn oracle<T: Ord + Copy>(haystack: &[T], queries: &[T], bound: Bound) -> Vec<u64> {
    queries
        .iter()
        .map(|&q| match bound {
            Bound::Lower => haystack.partition_point(|&h| h < q) as u64,
            Bound::Upper => haystack.partition_point(|&h| h <= q) as u64,
        })
        .collect()
}

/// A sorted haystack with runs of duplicates, spread over the whole u64 range or packed tight.
fn sorted_haystack(rng: &mut Rng, n: usize, spread: bool) -> Vec<u64> {
    let mut v: Vec<u64> = (0..n).map(|_| if spread { rng.next_u64() } else { rng.below(n as u64 / 3 + 1) }).collect();
    v.sort_unstable();
    v
}

/// Queries that hit elements, miss between them, fall off both ends, and sit at the u64 extremes.
fn queries_for(rng: &mut Rng, haystack: &[u64], n: usize) -> Vec<u64> {
    let mut q: Vec<u64> = (0..n)
        .map(|i| match i % 4 {
            0 if !haystack.is_empty() => haystack[rng.below(haystack.len() as u64) as usize],
            1 if !haystack.is_empty() => haystack[rng.below(haystack.len() as u64) as usize].wrapping_add(1),
            2 => rng.next_u64(),
            _ => rng.below(1000),
        })
        .collect();
    q.extend([0, 1, u64::MAX, u64::MAX - 1, 1 << 32, (1 << 32) - 1]);
    q
}

fn check(engine: &Engine, haystack: &[u64], queries: &[u64]) {
    let lo = search_sorted(engine, haystack, queries, Bound::Lower, Check::Trust).unwrap();
    assert!(lo == oracle(haystack, queries, Bound::Lower), "lower_bound, haystack {}", haystack.len());
    let hi = search_sorted(engine, haystack, queries, Bound::Upper, Check::Trust).unwrap();
    assert!(hi == oracle(haystack, queries, Bound::Upper), "upper_bound, haystack {}", haystack.len());
    let checked = search_sorted(engine, haystack, queries, Bound::Lower, Check::Verify).unwrap();
    assert_eq!(checked, lo);
}

fn haystacks_of_awkward_sizes(engine: &Engine) {
    let mut rng = Rng::new(10);
    for n in awkward_sizes() {
        for spread in [true, false] {
            let h = sorted_haystack(&mut rng, n, spread);
            let q = queries_for(&mut rng, &h, 1000);
            check(engine, &h, &q);
        }
    }
}

fn query_batches_of_awkward_sizes(engine: &Engine) {
    let mut rng = Rng::new(11);
    let h = sorted_haystack(&mut rng, 50_000, false);
    for n in awkward_sizes() {
        let q = queries_for(&mut rng, &h, n);
        check(engine, &h, &q);
    }
}

fn all_equal_and_extremes(engine: &Engine) {
    for n in [1, 2, 8191, 8192, 8193, 30_000] {
        for value in [0, 7, u64::MAX] {
            let h = vec![value; n];
            check(engine, &h, &[0, 6, 7, 8, u64::MAX - 1, u64::MAX]);
        }
    }
}

fn millions(engine: &Engine) {
    // Millions on the CPU and the GPU; on the chunked GPU engine, 40 by 30 segments (each haystack
    // segment is one more pass over the queries, so millions there would mean 90k dispatches).
    let seg = engine.adapter().map_or(usize::MAX, |a| a.segment_elements as usize);
    let mut rng = Rng::new(12);
    let h = sorted_haystack(&mut rng, 3_000_017.min(40 * seg + 17), true);
    let q = queries_for(&mut rng, &h, 2_000_003.min(30 * seg + 3));
    check(engine, &h, &q);
}

fn unsorted_haystack(engine: &Engine) {
    let mut rng = Rng::new(13);
    for n in [2, 3, 8192, 8193, 20_000] {
        for bad in [1, n / 2, n - 1] {
            let mut h = sorted_haystack(&mut rng, n, true);
            h[bad] = h[bad - 1].saturating_sub(1).min(h[bad - 1]);
            if h[bad] == h[bad - 1] {
                h[bad - 1] = 1;
                h[bad] = 0;
            }
            let first = (1..n).find(|&i| h[i] < h[i - 1]).unwrap() as u64;
            match search_sorted(engine, &h, &[5], Bound::Lower, Check::Verify) {
                Err(Error::Unsorted { row, .. }) => assert_eq!(row, first, "n {n}"),
                other => panic!("expected Unsorted at {first}, got {other:?}"),
            }
            // Trusted, an unsorted haystack gives positions in range and no panic.
            let mut q = queries_for(&mut rng, &h, 100);
            for p in search_sorted(engine, &h, &q, Bound::Upper, Check::Trust).unwrap() {
                assert!(p <= n as u64);
            }
            // Sorted queries take the galloping (CPU) and block-local (GPU) paths: still in range.
            q.sort_unstable();
            for p in search_sorted(engine, &h, &q, Bound::Lower, Check::Trust).unwrap() {
                assert!(p <= n as u64);
            }
        }
    }
}

fn arrow_null_queries_and_haystack(engine: &Engine) {
    let h = UInt64Array::from(vec![1, 3, 5]);
    let q = UInt64Array::from(vec![Some(3), None, Some(9)]);
    let out = search_sorted(engine, &h, &q, Bound::Upper, Check::Verify).unwrap();
    assert_eq!(out.value(0), 2);
    assert!(out.is_null(1));
    assert_eq!(out.value(2), 3);
    let bad = UInt64Array::from(vec![Some(1), None]);
    assert!(matches!(
        search_sorted(engine, &bad, &q, Bound::Lower, Check::Trust),
        Err(Error::NullValue { row: 1, .. })
    ));
}

fn columns(engine: &Engine) {
    let mut rng = Rng::new(14);
    for (nh, nq) in [(0, 5), (5, 0), (20_000, 17_000), (8192, 8193)] {
        let h = sorted_haystack(&mut rng, nh, true);
        let q = queries_for(&mut rng, &h, nq);
        let hc = engine.upload(&h).unwrap();
        let qc = engine.upload(&q).unwrap();
        for bound in [Bound::Lower, Bound::Upper] {
            let out = search_sorted(engine, &hc, &qc, bound, Check::Verify).unwrap();
            assert!(out.to_vec().unwrap() == oracle(&h, &q, bound));
        }
    }
    let hc = engine.upload(&[1u64, 0]).unwrap();
    let qc = engine.upload(&[1u64]).unwrap();
    assert!(matches!(
        search_sorted(engine, &hc, &qc, Bound::Lower, Check::Verify),
        Err(Error::Unsorted { row: 1, value: 0, previous: 1 })
    ));
}

fn proptest_search(engine: &Engine) {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 48, ..ProptestConfig::default() });
    let strategy = (
        proptest::collection::vec(prop_oneof![any::<u64>(), 0u64..50], 0..20_000),
        proptest::collection::vec(prop_oneof![any::<u64>(), 0u64..50], 0..5_000),
    );
    runner
        .run(&strategy, |(mut h, q)| {
            h.sort_unstable();
            for bound in [Bound::Lower, Bound::Upper] {
                prop_assert_eq!(search_sorted(engine, &h, &q, bound, Check::Verify).unwrap(), oracle(&h, &q, bound));
            }
            Ok(())
        })
        .unwrap();
}

/// Every element type and both bounds, by `search_sorted` and by a prepared `Haystack`, against the
/// oracle.
fn check_generic<T: SearchKey>(engine: &Engine, haystack: &[T], queries: &[T], what: &str) {
    let prepared = Haystack::new(engine, haystack.to_vec(), Check::Verify).unwrap();
    for bound in [Bound::Lower, Bound::Upper] {
        let want = oracle(haystack, queries, bound);
        let got = search_sorted(engine, haystack, queries, bound, Check::Verify).unwrap();
        assert!(got == want, "{what}: search_sorted {bound:?}, haystack {}, queries {}", haystack.len(), queries.len());
        // Twice: the prepared haystack is searched again without being prepared again.
        for _ in 0..2 {
            let got = prepared.search(queries, bound).unwrap();
            assert!(got == want, "{what}: Haystack {bound:?}, haystack {}, queries {}", haystack.len(), queries.len());
        }
    }
}

/// Sorted queries: dense ones (as many as the haystack: the CPU merges), sparse ones (a few over a long
/// haystack: the CPU gallops), runs of duplicates, beyond both ends; on awkward sizes.
fn sorted_queries(engine: &Engine) {
    let mut rng = Rng::new(15);
    // On the chunked GPU engine each haystack segment is one more pass over the queries: up to 40.
    let cap = engine.adapter().map_or(usize::MAX, |a| 40 * a.segment_elements as usize + 17);
    for n in awkward_sizes().into_iter().filter(|&n| n <= cap) {
        for spread in [true, false] {
            let h = sorted_haystack(&mut rng, n, spread);
            for nq in [n, n / 64 + 1, 3] {
                let mut q = queries_for(&mut rng, &h, nq);
                q.sort_unstable();
                check_generic(engine, &h, &q, "sorted u64");
            }
        }
    }
}

/// i64 haystacks (timestamps) with both extremes, searched signed without widening.
fn i64_extremes(engine: &Engine) {
    let mut rng = Rng::new(16);
    for n in awkward_sizes() {
        let mut h: Vec<i64> = (0..n).map(|i| rng.next_u64() as i64 >> (i % 3 * 20)).collect();
        if n >= 4 {
            h[0] = i64::MIN;
            h[1] = i64::MIN;
            h[2] = i64::MAX;
            h[3] = -1;
        }
        h.sort_unstable();
        let mut q: Vec<i64> =
            (0..n.min(5000)).map(|i| if i % 2 == 0 && n > 0 { h[i % n] } else { rng.next_u64() as i64 }).collect();
        q.extend([i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX]);
        check_generic(engine, &h, &q, "i64 unsorted queries");
        q.sort_unstable();
        check_generic(engine, &h, &q, "i64 sorted queries");
    }
    for v in [i64::MIN, -1, 0, i64::MAX] {
        check_generic(engine, &vec![v; 8193], &[i64::MIN, v, v.wrapping_add(1), i64::MAX], "i64 all equal");
    }
    match search_sorted(engine, &[5i64, -3], &[0], Bound::Lower, Check::Verify) {
        Err(Error::Unsorted { row: 1, value: -3, previous: 5 }) => {}
        other => panic!("expected Unsorted, got {other:?}"),
    }
    assert!(matches!(Haystack::new(engine, vec![0i64, i64::MIN], Check::Verify), Err(Error::Unsorted { row: 1, .. })));
}

/// u32 haystacks, searched without widening on the CPU.
fn u32_haystacks(engine: &Engine) {
    let mut rng = Rng::new(17);
    for n in awkward_sizes() {
        let mut h: Vec<u32> = (0..n).map(|_| rng.next_u64() as u32 >> (n % 3 * 10)).collect();
        h.sort_unstable();
        let mut q: Vec<u32> = (0..n.min(5000) + 1).map(|_| rng.next_u64() as u32 >> (n % 3 * 10)).collect();
        q.extend([0, 1, u32::MAX]);
        check_generic(engine, &h, &q, "u32 unsorted queries");
        q.sort_unstable();
        check_generic(engine, &h, &q, "u32 sorted queries");
    }
}

/// Arrow arrays of every element type, timestamps included; nulls in the queries stay null.
fn arrow_element_types(engine: &Engine) {
    let ts = TimestampMicrosecondArray::from(vec![i64::MIN, -10, 0, 0, 35, i64::MAX]);
    let q = TimestampMicrosecondArray::from(vec![Some(0), None, Some(i64::MAX), Some(i64::MIN)]);
    let out = search_sorted(engine, &ts, &q, Bound::Lower, Check::Verify).unwrap();
    assert_eq!((out.value(0), out.is_null(1), out.value(2), out.value(3)), (2, true, 5, 0));
    let prepared = Haystack::from_array(engine, &ts, Check::Verify).unwrap();
    let again = prepared.search(&q, Bound::Lower).unwrap();
    assert_eq!(again, out);
    let i = Int64Array::from(vec![-3, -3, 4]);
    let out = search_sorted(engine, &i, &Int64Array::from(vec![-3, 5]), Bound::Upper, Check::Verify).unwrap();
    assert_eq!(out.values().to_vec(), vec![2, 3]);
    let u = UInt32Array::from(vec![1, 3, u32::MAX]);
    let out = search_sorted(engine, &u, &UInt32Array::from(vec![u32::MAX, 2]), Bound::Lower, Check::Verify).unwrap();
    assert_eq!(out.values().to_vec(), vec![2, 1]);
    let with_null = TimestampMicrosecondArray::from(vec![Some(1), None]);
    assert!(matches!(Haystack::from_array(engine, &with_null, Check::Trust), Err(Error::NullValue { row: 1, .. })));
}

/// Values of each element type for the GPU path tests: from a u64 draw, packed tight (duplicates) or
/// spread, extremes and (i64) negatives included.
trait PathKey: SearchKey {
    fn from_draw(x: u64, tight: bool) -> Self;
    fn extremes() -> Vec<Self>;
}

impl PathKey for u32 {
    fn from_draw(x: u64, tight: bool) -> Self {
        if tight { (x % 97) as u32 } else { (x >> 32) as u32 }
    }
    fn extremes() -> Vec<Self> {
        vec![0, 1, u32::MAX - 1, u32::MAX]
    }
}

impl PathKey for u64 {
    fn from_draw(x: u64, tight: bool) -> Self {
        if tight { (x % 97) << 31 } else { x }
    }
    fn extremes() -> Vec<Self> {
        vec![0, 1, (1 << 32) - 1, 1 << 32, u64::MAX - 1, u64::MAX]
    }
}

impl PathKey for i64 {
    fn from_draw(x: u64, tight: bool) -> Self {
        if tight { (x % 97) as i64 - 48 } else { x as i64 }
    }
    fn extremes() -> Vec<Self> {
        vec![i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX]
    }
}

/// Sorted queries as many as the haystack and a few times fewer (the GPU's merge path), far fewer (its
/// block-local search), and the same queries shuffled (its search through a cached sample of the
/// haystack), on awkward sizes, for one element type.
fn paths_of<T: PathKey>(engine: &Engine, sizes: &[usize], what: &str) {
    let mut rng = Rng::new(18);
    for &n in sizes {
        for tight in [false, true] {
            let mut h: Vec<T> = (0..n).map(|_| T::from_draw(rng.next_u64(), tight)).collect();
            if n >= 8 {
                h[..T::extremes().len().min(n)].copy_from_slice(&T::extremes()[..T::extremes().len().min(n)]);
            }
            h.sort_unstable();
            for nq in [n + 1, n / 3 + 1, n / 8 + 1, n / 64 + 1] {
                let mut q: Vec<T> = (0..nq)
                    .map(|i| {
                        if i % 2 == 0 && n > 0 {
                            h[rng.below(n as u64) as usize]
                        } else {
                            T::from_draw(rng.next_u64(), tight)
                        }
                    })
                    .collect();
                q.extend(T::extremes());
                check_generic(engine, &h, &q, &format!("{what} unsorted queries, tight {tight}"));
                q.sort_unstable();
                check_generic(engine, &h, &q, &format!("{what} sorted queries, tight {tight}"));
            }
        }
    }
}

const PATH_SIZES: [usize; 16] = [0, 1, 2, 7, 255, 256, 257, 1023, 1024, 1025, 2047, 2049, 8191, 8193, 7919, 104_729];

fn gpu_paths_u32(engine: &Engine) {
    paths_of::<u32>(engine, &PATH_SIZES, "u32");
}

fn gpu_paths_u64(engine: &Engine) {
    paths_of::<u64>(engine, &PATH_SIZES, "u64");
}

fn gpu_paths_i64(engine: &Engine) {
    paths_of::<i64>(engine, &PATH_SIZES, "i64");
}

/// About four million sorted and unsorted queries in a haystack of about four million (one segment on
/// the plain engines; the chunked engine keeps to 40 segments).
fn gpu_paths_millions(engine: &Engine) {
    let cap = engine.adapter().map_or(usize::MAX, |a| 40 * a.segment_elements as usize + 17);
    let n = 4_000_037.min(cap);
    let mut rng = Rng::new(19);
    let mut h: Vec<u32> = (0..n).map(|_| rng.next_u32() >> 2).collect();
    h.sort_unstable();
    let mut q: Vec<u32> = (0..n).map(|_| rng.next_u32() >> 1).collect();
    for bound in [Bound::Lower, Bound::Upper] {
        assert!(search_sorted(engine, &h, &q, bound, Check::Trust).unwrap() == oracle(&h, &q, bound), "u32 unsorted");
    }
    q.sort_unstable();
    for bound in [Bound::Lower, Bound::Upper] {
        assert!(search_sorted(engine, &h, &q, bound, Check::Trust).unwrap() == oracle(&h, &q, bound), "u32 sorted");
    }
    let h: Vec<i64> = h.iter().map(|&x| i64::from(x) - (1 << 29)).collect();
    let q: Vec<i64> = q.iter().map(|&x| i64::from(x) - (1 << 30)).collect();
    assert!(search_sorted(engine, &h, &q, Bound::Lower, Check::Trust).unwrap() == oracle(&h, &q, Bound::Lower), "i64");
}

/// A trusted unsorted haystack with as many sorted queries (the GPU's merge path): every position in
/// range, no panic, no hang.
fn merge_over_unsorted_haystack(engine: &Engine) {
    let mut rng = Rng::new(20);
    for n in [2, 1023, 1025, 8193, 20_000] {
        let h: Vec<u64> = (0..n).map(|_| rng.below(1000)).collect();
        let mut q: Vec<u64> = (0..n).map(|_| rng.below(1000)).collect();
        q.sort_unstable();
        for bound in [Bound::Lower, Bound::Upper] {
            for p in search_sorted(engine, &h, &q, bound, Check::Trust).unwrap() {
                assert!(p <= n as u64);
            }
        }
    }
}

on_every_backend!(
    sorted_queries,
    i64_extremes,
    u32_haystacks,
    arrow_element_types,
    haystacks_of_awkward_sizes,
    query_batches_of_awkward_sizes,
    all_equal_and_extremes,
    millions,
    unsorted_haystack,
    arrow_null_queries_and_haystack,
    columns,
    proptest_search,
    gpu_paths_u32,
    gpu_paths_u64,
    gpu_paths_i64,
    gpu_paths_millions,
    merge_over_unsorted_haystack,
);
