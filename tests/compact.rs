//! Stream compaction: every backend against a plain filter.

mod common;

use std::sync::Arc;

use arrow_array::{Array, BooleanArray, RecordBatch, StringArray, UInt64Array};
use common::{Rng, awkward_sizes};
use streamliner::Engine;
use streamliner::compact::{filter_batch, indices, indices_column};

fn random_masks(engine: &Engine) {
    let mut rng = Rng::new(60);
    for n in awkward_sizes() {
        for density in [0, 1, 50, 99, 100] {
            let mask: Vec<u64> = (0..n).map(|_| u64::from(rng.below(100) < density)).collect();
            let expect: Vec<u64> = (0..n as u64).filter(|&i| mask[i as usize] == 1).collect();
            let got = indices_column(engine, &engine.upload(&mask).unwrap()).unwrap().to_vec().unwrap();
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

on_every_backend!(random_masks, arrow_masks_and_batches);
