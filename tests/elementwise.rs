//! Elementwise u64 operations and gather: every backend against plain loops.

mod common;

use common::{Rng, awkward_sizes};
use streamliner::{Engine, elementwise as ew};

/// The CPU's parallel threshold (src/cpu): sizes around it run one loop or rayon's pool.
const CPU_PARALLEL_MIN: usize = 1 << 18;

fn scalars_and_pairs(engine: &Engine) {
    let mut rng = Rng::new(30);
    let mut sizes = awkward_sizes();
    sizes.extend([CPU_PARALLEL_MIN - 1, CPU_PARALLEL_MIN, CPU_PARALLEL_MIN + 1]);
    for n in sizes {
        let a: Vec<u64> =
            (0..n).map(|i| if i % 7 == 0 { u64::MAX - (i as u64 % 3) } else { rng.next_u64() >> (i % 64) }).collect();
        let b: Vec<u64> = (0..n).map(|_| rng.next_u64() >> 3).collect();
        let ca = engine.upload(&a).unwrap();
        let cb = engine.upload(&b).unwrap();
        let k = 1 << 40;
        let run = |c: streamliner::Column<u64>| c.to_vec().unwrap();
        assert!(
            run(ew::add_scalar(engine, &ca, k).unwrap()) == a.iter().map(|x| x.saturating_add(k)).collect::<Vec<_>>()
        );
        assert!(
            run(ew::sub_scalar(engine, &ca, k).unwrap()) == a.iter().map(|x| x.saturating_sub(k)).collect::<Vec<_>>()
        );
        assert!(run(ew::min_scalar(engine, &ca, k).unwrap()) == a.iter().map(|&x| x.min(k)).collect::<Vec<_>>());
        assert!(run(ew::max_scalar(engine, &ca, k).unwrap()) == a.iter().map(|&x| x.max(k)).collect::<Vec<_>>());
        let zip = |f: fn(u64, u64) -> u64| a.iter().zip(&b).map(|(&x, &y)| f(x, y)).collect::<Vec<_>>();
        assert!(run(ew::max(engine, &ca, &cb).unwrap()) == zip(u64::max));
        assert!(run(ew::min(engine, &ca, &cb).unwrap()) == zip(u64::min));
        assert!(run(ew::sub(engine, &ca, &cb).unwrap()) == zip(u64::saturating_sub));
        assert!(run(ew::iota(engine, n, 5).unwrap()) == (5..5 + n as u64).collect::<Vec<_>>());
        assert!(
            run(ew::ge_scalar(engine, &ca, k).unwrap()) == a.iter().map(|&x| u64::from(x >= k)).collect::<Vec<_>>()
        );
        assert!(run(ew::lt_scalar(engine, &ca, k).unwrap()) == a.iter().map(|&x| u64::from(x < k)).collect::<Vec<_>>());
        assert!(run(ew::wrapping_add(engine, &ca, &cb).unwrap()) == zip(u64::wrapping_add));
        assert!(run(ew::wrapping_sub(engine, &ca, &cb).unwrap()) == zip(u64::wrapping_sub));
        assert!(run(ew::le(engine, &ca, &cb).unwrap()) == zip(|x, y| u64::from(x <= y)));
    }
}

fn pair_length_mismatch_is_an_error(engine: &Engine) {
    let a = engine.upload(&[1u64, 2]).unwrap();
    let b = engine.upload(&[1u64]).unwrap();
    assert!(matches!(ew::max(engine, &a, &b), Err(streamliner::Error::InvalidParameter { .. })));
}

fn gathers(engine: &Engine) {
    let mut rng = Rng::new(31);
    for (ns, ni) in [
        (0, 10),
        (10, 0),
        (1, 1),
        (8191, 8193),
        (20_000, 3),
        (50_000, 40_000),
        (1000, CPU_PARALLEL_MIN - 1),
        (300_000, CPU_PARALLEL_MIN),
        (3, CPU_PARALLEL_MIN + 1),
    ] {
        let src: Vec<u64> = (0..ns).map(|_| rng.next_u64()).collect();
        let idx: Vec<u64> = (0..ni)
            .map(|i| match i % 5 {
                0 => u64::MAX,
                1 => ns as u64,
                _ => rng.below(ns as u64 + 1),
            })
            .collect();
        let expect: Vec<u64> = idx.iter().map(|&j| src.get(j as usize).copied().unwrap_or(0)).collect();
        let got = ew::gather(engine, &engine.upload(&src).unwrap(), &engine.upload(&idx).unwrap()).unwrap();
        assert!(got.to_vec().unwrap() == expect, "gather {ns} <- {ni}");
    }
}

on_every_backend!(scalars_and_pairs, pair_length_mismatch_is_an_error, gathers);
