//! Property tests: every kernel family on random awkward inputs (sizes around tiles and
//! segments, extreme values, nulls, odd Unicode). On every backend: the same answer as the CPU engine (or an
//! error of the same kind), and no panic. Fixed seeds and bounded case counts.

mod common;

use std::fmt::Debug;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BooleanArray, StringArray, TimestampMicrosecondArray};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use streamliner::scan::ScanKind;
use streamliner::search::{Bound, Check};
use streamliner::strings::LengthUnit;
use streamliner::{
    Engine, compact, elementwise as ew, media, reduce, scan, search, sha256, strings, text_match, time, uuid5,
};

fn runner(cases: u32) -> TestRunner {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// The same result on `engine` as on the CPU engine: equal values, or errors of the same variant.
fn same<T: PartialEq + Debug>(
    engine: &Engine,
    what: &str,
    f: impl Fn(&Engine) -> streamliner::Result<T>,
) -> Result<(), TestCaseError> {
    match (f(engine), f(common::cpu())) {
        (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "{}", what),
        (Err(a), Err(b)) => {
            prop_assert_eq!(std::mem::discriminant(&a), std::mem::discriminant(&b), "{}: {} vs {}", what, a, b)
        }
        (a, b) => return Err(TestCaseError::fail(format!("{what}: {a:?} vs CPU {b:?}"))),
    }
    Ok(())
}

/// Lengths around the u64 tile (2048), the u32 tile (4096) and the chunked engine's segment (8192).
fn awkward_len() -> impl Strategy<Value = usize> {
    prop_oneof![0usize..4, 0usize..300, Just(2047), Just(2049), Just(4097), Just(8191), Just(8193), 8000usize..17000]
}

fn u64s() -> impl Strategy<Value = Vec<u64>> {
    awkward_len().prop_flat_map(|n| {
        proptest::collection::vec(prop_oneof![Just(0u64), Just(u64::MAX), Just(1u64 << 63), any::<u64>(), 0u64..10], n)
    })
}

fn u32s() -> impl Strategy<Value = Vec<u32>> {
    awkward_len().prop_flat_map(|n| proptest::collection::vec(prop_oneof![Just(u32::MAX), any::<u32>(), 0u32..4], n))
}

/// Texts with nulls, empty strings, multi-byte and odd characters (BOM, bidi marks, narrow no-break space),
/// URL-like pieces and UUID-like prefixes.
fn texts() -> impl Strategy<Value = Vec<Option<String>>> {
    let piece = prop_oneof![
        Just("http://".to_string()),
        Just("https://a.b/c?d=e#f ".to_string()),
        Just("www.x.org".to_string()),
        Just("/EgReGoRa ".to_string()),
        Just("\u{feff}\u{200e}\u{202f}\u{0}".to_string()),
        Just("😀é€".to_string()),
        Just("IMG-1-WA2.jpg (file attached)\u{200e}VID-٣-wa4.x".to_string()),
        "[ -~]{0,6}",
        ".{0,4}",
    ];
    (0usize..200)
        .prop_flat_map(move |n| {
            proptest::collection::vec(proptest::option::of(proptest::collection::vec(piece.clone(), 0..5)), n)
        })
        .prop_map(|rows| rows.into_iter().map(|r| r.map(|p| p.concat())).collect())
}

fn scan_search_reduce(engine: &Engine) {
    runner(24)
        .run(&(u32s(), u64s(), u64s()), |(a32, a64, q)| {
            for kind in [ScanKind::Inclusive, ScanKind::Exclusive] {
                same(engine, "scan u32->u32", |e| scan::prefix_sum::<u32, _>(e, &a32, kind))?;
                same(engine, "scan u32->u64", |e| scan::prefix_sum::<u64, _>(e, &a32, kind))?;
                same(engine, "scan u64", |e| scan::prefix_sum::<u64, _>(e, &a64, kind))?;
            }
            same(engine, "sum u32", |e| reduce::sum(e, &a32))?;
            same(engine, "min u32", |e| reduce::min(e, &a32))?;
            same(engine, "max u64", |e| reduce::max(e, &a64))?;
            same(engine, "sum u64", |e| reduce::sum(e, &a64))?;
            let mut hay = a64.clone();
            hay.sort_unstable();
            for bound in [Bound::Lower, Bound::Upper] {
                same(engine, "search", |e| search::search_sorted(e, &hay, &q, bound, Check::Verify))?;
                // An unsorted haystack: the same error (naming the same row) or, when it happens to be sorted,
                // the same answer.
                same(engine, "search unsorted", |e| {
                    search::search_sorted(e, &a64, &q, bound, Check::Verify).map_err(|err| {
                        if let streamliner::Error::Unsorted { row, .. } = err {
                            assert_eq!(a64.windows(2).position(|w| w[1] < w[0]).map(|p| p as u64 + 1), Some(row));
                        }
                        err
                    })
                })?;
            }
            Ok(())
        })
        .unwrap();
}

fn elementwise_and_compact(engine: &Engine) {
    runner(16)
        .run(&(u64s(), any::<u64>(), prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()]), |(a, k, start)| {
            let b: Vec<u64> = a.iter().rev().copied().collect();
            let col = |e: &Engine, v: &[u64]| e.upload(v);
            same(engine, "add", |e| ew::add_scalar(e, &col(e, &a)?, k)?.to_vec())?;
            same(engine, "sub", |e| ew::sub_scalar(e, &col(e, &a)?, k)?.to_vec())?;
            same(engine, "min", |e| ew::min_scalar(e, &col(e, &a)?, k)?.to_vec())?;
            same(engine, "max", |e| ew::max_scalar(e, &col(e, &a)?, k)?.to_vec())?;
            same(engine, "ge", |e| ew::ge_scalar(e, &col(e, &a)?, k)?.to_vec())?;
            same(engine, "lt", |e| ew::lt_scalar(e, &col(e, &a)?, k)?.to_vec())?;
            same(engine, "max2", |e| ew::max(e, &col(e, &a)?, &col(e, &b)?)?.to_vec())?;
            same(engine, "min2", |e| ew::min(e, &col(e, &a)?, &col(e, &b)?)?.to_vec())?;
            same(engine, "sub2", |e| ew::sub(e, &col(e, &a)?, &col(e, &b)?)?.to_vec())?;
            same(engine, "wadd", |e| ew::wrapping_add(e, &col(e, &a)?, &col(e, &b)?)?.to_vec())?;
            same(engine, "wsub", |e| ew::wrapping_sub(e, &col(e, &a)?, &col(e, &b)?)?.to_vec())?;
            same(engine, "le", |e| ew::le(e, &col(e, &a)?, &col(e, &b)?)?.to_vec())?;
            same(engine, "mismatch", |e| ew::le(e, &col(e, &a)?, &col(e, &b[..b.len() / 2])?)?.to_vec())?;
            same(engine, "iota", |e| ew::iota(e, a.len(), start)?.to_vec())?;
            // Indices in and out of range (and far out).
            let idx: Vec<u64> = a.iter().map(|&x| if x % 3 == 0 { x } else { x % (a.len() as u64 + 2) }).collect();
            same(engine, "gather", |e| ew::gather(e, &col(e, &b)?, &col(e, &idx)?)?.to_vec())?;
            let mask = BooleanArray::from_iter(a.iter().enumerate().map(|(i, &x)| (i % 7 != 3).then_some(x % 2 == 0)));
            same(engine, "compact", |e| compact::indices(e, &mask).map(|i| i.values().to_vec()))?;
            Ok(())
        })
        .unwrap();
}

fn string_kernels(engine: &Engine) {
    runner(24)
        .run(&(texts(), "[ -~]{0,8}"), |(rows, prefix)| {
            let arr: ArrayRef = Arc::new(StringArray::from(rows.clone()));
            let large: ArrayRef = Arc::new(arrow_array::LargeStringArray::from(rows.clone()));
            for a in [&arr, &large] {
                for unit in [LengthUnit::Utf8Bytes, LengthUnit::CodePoints] {
                    same(engine, "lengths", |e| strings::lengths(e, a.as_ref(), unit).map(|x| x.values().to_vec()))?;
                    same(engine, "length_prefix", |e| strings::length_prefix(e, a.as_ref(), unit)?.to_vec())?;
                }
                same(engine, "starts_with", |e| text_match::starts_with_ignore_ascii_case(e, a.as_ref(), &prefix))?;
                same(engine, "urls", |e| text_match::extract_urls(e, a.as_ref()).map(|l| l.to_data()))?;
                same(engine, "uuid5", |e| uuid5::uuid5(e, a.as_ref(), [7; 16], &prefix).map(|x| x.to_data()))?;
                let set: Vec<[u8; 16]> = vec![[0; 16], [0xab; 16]];
                same(engine, "uuid_in_set", |e| text_match::uuid_in_set(e, a.as_ref(), &set))?;
                same(engine, "media_references", |e| media::media_references(e, a.as_ref()).map(|l| l.to_data()))?;
                same(engine, "sha256", |e| sha256::sha256_hex(e, a.as_ref()))?;
            }
            Ok(())
        })
        .unwrap();
}

fn time_kernels(engine: &Engine) {
    let zones =
        ["UTC", "America/New_York", "Asia/Kathmandu", "Pacific/Kiritimati", "America/St_Johns", "Europe/Dublin"];
    let values = awkward_len().prop_flat_map(|n| {
        proptest::collection::vec(
            proptest::option::of(prop_oneof![
                Just(i64::MIN),
                Just(i64::MAX),
                Just(i64::MAX - 1),
                any::<i64>(),
                -4_000_000_000_000_000i64..4_000_000_000_000_000,
                0i64..2_000_000_000_000_000
            ]),
            n.min(3000),
        )
    });
    runner(24)
        .run(&(values, 0usize..zones.len()), |(v, z)| {
            let local = TimestampMicrosecondArray::from(v.clone());
            same(engine, "local_to_utc", |e| time::local_to_utc(e, &local, zones[z]).map(|a| a.to_data()))?;
            same(engine, "utc_dates", |e| time::utc_dates(e, &local).map(|d| d.to_data()))?;
            // Within i64 after the zone's offset: never an error.
            let safe: Vec<Option<i64>> = v.iter().map(|x| x.map(|t| t / 2)).collect();
            let safe = TimestampMicrosecondArray::from(safe);
            prop_assert!(time::local_to_utc(engine, &safe, zones[z]).is_ok());
            Ok(())
        })
        .unwrap();
}

on_every_backend!(scan_search_reduce, elementwise_and_compact, string_kernels, time_kernels);
