//! Successor arrays: walks along them (pointer jumping on a GPU, a walk on the CPU) and the fused clamps
//! that make them: every backend against a plain reference, on awkward sizes.

mod common;

use common::{Rng, awkward_sizes};
use streamliner::Engine;
use streamliner::kernels::successor::{range_ends, successors, walk_marks};

/// What a walk from row 0 reaches, by walking.
fn reference_walk(next: &[u64]) -> Vec<u64> {
    let mut out = vec![0u64; next.len()];
    let mut s = 0usize;
    while s < next.len() && out[s] == 0 {
        out[s] = 1;
        s = next[s] as usize;
    }
    out
}

fn sizes() -> Vec<usize> {
    // The chunked engine gathers over every pair of segments: keep it to a few dozen segments.
    awkward_sizes().into_iter().filter(|&n| n <= 104_729).collect()
}

fn walks(engine: &Engine) {
    let mut rng = Rng::new(70);
    for n in sizes() {
        let last = n.saturating_sub(1) as u64;
        let shapes: Vec<Vec<u64>> = vec![
            // The longest walk: every row, one at a time.
            (0..n as u64).map(|s| (s + 1).min(last)).collect(),
            // Forward steps of random length ending in a self-loop (a byte-window chain's shape).
            (0..n as u64).map(|s| (s + 1 + rng.below(20)).min(last)).collect(),
            // Any successor: cycles, repeats, backward steps.
            (0..n).map(|_| rng.below(n as u64)).collect(),
            // One jump to the end.
            vec![last; n],
        ];
        for next in shapes {
            let col = engine.upload(&next).unwrap();
            let got = walk_marks(engine, &col).unwrap().to_vec().unwrap();
            assert!(got == reference_walk(&next), "n {n}");
        }
    }
}

fn bad_successors(engine: &Engine) {
    let col = engine.upload(&[1u64, 2, 3]).unwrap();
    assert!(walk_marks(engine, &col).is_err());
    assert!(walk_marks(engine, &engine.upload::<u64>(&[]).unwrap()).unwrap().is_empty());
    let cut = engine.upload(&[1u64]).unwrap();
    assert!(range_ends(engine, &col, Some(&cut), 3).is_err());
    assert!(successors(engine, &col, &cut, 3, true).is_err());
}

fn clamps(engine: &Engine) {
    let mut rng = Rng::new(71);
    for n in sizes() {
        let last = n as u64;
        let j: Vec<u64> = (0..n as u64).map(|s| s + rng.below(6)).collect();
        let cut: Vec<u64> = (0..n as u64).map(|s| s + rng.below(6)).collect();
        let raw: Vec<u64> = (0..n as u64).map(|s| s.saturating_sub(3) + rng.below(8)).collect();
        let up = |v: &[u64]| engine.upload(v).unwrap();
        let ends_ref: Vec<u64> =
            (0..n).map(|s| j[s].saturating_sub(1).min(cut[s]).max(s as u64 + 1).min(last)).collect();
        let got = range_ends(engine, &up(&j), Some(&up(&cut)), last).unwrap().to_vec().unwrap();
        assert!(got == ends_ref, "ends, n {n}");
        let plain: Vec<u64> = (0..n).map(|s| j[s].saturating_sub(1).max(s as u64 + 1).min(last)).collect();
        assert!(range_ends(engine, &up(&j), None, last).unwrap().to_vec().unwrap() == plain, "ends, n {n}");
        let end = ends_ref;
        let egregora: Vec<u64> = (0..n).map(|s| raw[s].max(s as u64).min(end[s]).max(s as u64 + 1).min(last)).collect();
        let got = successors(engine, &up(&end), &up(&raw), last, false).unwrap().to_vec().unwrap();
        assert!(got == egregora, "egregora nexts, n {n}");
        let strict: Vec<u64> =
            (0..n).map(|s| if end[s] == last { last } else { raw[s].max(s as u64 + 1).min(end[s]) }).collect();
        let got = successors(engine, &up(&end), &up(&raw), last, true).unwrap().to_vec().unwrap();
        assert!(got == strict, "strict nexts, n {n}");
    }
}

on_every_backend!(walks, bad_successors, clamps);
