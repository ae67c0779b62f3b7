//! Stream compaction: every backend against a plain filter.

mod common;

use std::sync::Arc;

use arrow_array::{Array, BooleanArray, RecordBatch, StringArray, UInt64Array};
use common::{Rng, awkward_sizes};
use streamliner::Engine;
use streamliner::compact::{filter_batch, indices};

fn random_masks(engine: &Engine) {
    let mut rng = Rng::new(60);
    for n in awkward_sizes() {
        for density in [0, 1, 50, 99, 100] {
            let mask: Vec<u64> = (0..n).map(|_| u64::from(rng.below(100) < density)).collect();
            let expect: Vec<u64> = (0..n as u64).filter(|&i| mask[i as usize] == 1).collect();
            let got = indices(engine, &engine.upload(&mask).unwrap()).unwrap().to_vec().unwrap();
            assert!(got == expect, "n {n}, density {density}");
        }
    }
}

fn arrow_masks_and_batches(engine: &Engine) {
    let mask = BooleanArray::from(vec![Some(true), None, Some(false), Some(true), Some(true)]);
    assert_eq!(indices(engine, &mask).unwrap().values().as_ref(), &[0, 3, 4]);
    let b = RecordBatch::try_from_iter([
        ("id", Arc::new(UInt64Array::from(vec![10, 11, 12, 13, 14])) as _),
        ("text", Arc::new(StringArray::from(vec!["a", "b", "c", "d", "e"])) as _),
    ])
    .unwrap();
    let f = filter_batch(engine, &b, &mask).unwrap();
    assert_eq!(f.num_rows(), 3);
    assert_eq!(f.column(0).as_any().downcast_ref::<UInt64Array>().unwrap().values().as_ref(), &[10, 13, 14]);
    assert!(filter_batch(engine, &b, &BooleanArray::from(vec![true])).is_err());
    assert_eq!(indices(engine, &BooleanArray::from(Vec::<bool>::new())).unwrap().len(), 0);
}

/// Boolean arrays with nulls, sliced at offsets that are not multiples of 8, at awkward sizes and around
/// the CPU's parallel threshold and task size (src/cpu/compact.rs), against a plain loop.
fn bitmap_masks(engine: &Engine) {
    const CPU_PARALLEL_MIN: usize = 1 << 18;
    const CPU_BITS_PER_TASK: usize = 1 << 16;
    let mut rng = Rng::new(61);
    let mut sizes = awkward_sizes();
    sizes.extend([31, 32, 33, 63, 64, 65, 7919]);
    for n in [CPU_PARALLEL_MIN, 5 * CPU_BITS_PER_TASK] {
        sizes.extend([n - 1, n, n + 1]);
    }
    sizes.push(3_000_017);
    for n in sizes {
        for (density, null_pct, offset) in [(50, 0, 0), (50, 10, 0), (99, 30, 3), (1, 5, 13), (100, 0, 7), (0, 50, 1)] {
            let full: BooleanArray =
                (0..n + offset).map(|_| (rng.below(100) >= null_pct).then(|| rng.below(100) < density)).collect();
            let mask = full.slice(offset, n);
            let expect: Vec<u64> = (0..n).filter(|&i| mask.is_valid(i) && mask.value(i)).map(|i| i as u64).collect();
            let got = indices(engine, &mask).unwrap();
            assert!(
                got.values().as_ref() == expect.as_slice(),
                "n {n}, density {density}, nulls {null_pct}%, offset {offset}"
            );
        }
    }
}

fn filtered_batches_match_arrow(engine: &Engine) {
    let mut rng = Rng::new(62);
    for n in [0, 1, 33, 4097, CPU_PARALLEL_MIN_ROWS + 3] {
        let full: BooleanArray = (0..n + 5).map(|_| (rng.below(10) > 0).then(|| rng.below(2) == 1)).collect();
        let mask = full.slice(5, n);
        let b = RecordBatch::try_from_iter([
            ("id", Arc::new(UInt64Array::from_iter_values(0..n as u64)) as _),
            ("text", Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("m{i}")))) as _),
        ])
        .unwrap();
        let expect = arrow_select::filter::filter_record_batch(&b, &mask).unwrap();
        assert!(filter_batch(engine, &b, &mask).unwrap() == expect, "filter of {n} rows");
    }
}

const CPU_PARALLEL_MIN_ROWS: usize = 1 << 18;

on_every_backend!(random_masks, arrow_masks_and_batches, bitmap_masks, filtered_batches_match_arrow);
