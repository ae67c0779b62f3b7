//! The pool under deferred work (on lavapipe where there is no GPU): buffers released while a
//! recording is open must not be handed to queue writes before the recorded commands run, and commands
//! that reuse them must still see the right data.

use std::sync::Arc;

use super::GpuContext;
use super::elementwise::{gather, iota, map_pair, map_scalar};
use crate::engine::{Backend, Engine};
use crate::ops::{PairOp, ScalarOp};

/// A GPU engine (segments of `binding / 8` elements when `binding` is given), or None with
/// `STREAMLINER_SKIP_GPU=1`; without an adapter the test fails rather than skip silently.
fn engine(binding: Option<u64>) -> Option<Engine> {
    if std::env::var("STREAMLINER_SKIP_GPU").is_ok_and(|v| v == "1") {
        eprintln!("STREAMLINER_SKIP_GPU=1: skipping a recording test");
        return None;
    }
    let mut b = Engine::builder().backend(Backend::Gpu);
    if let Some(bytes) = binding {
        b = b.max_binding_bytes(bytes);
    }
    Some(b.build().expect("a GPU adapter (lavapipe here), or STREAMLINER_SKIP_GPU=1"))
}

fn ctx(engine: &Engine) -> &Arc<GpuContext> {
    engine.gpu().expect("a GPU engine has a context")
}

fn values(n: usize, seed: u64) -> Vec<u64> {
    (0..n as u64).map(|i| (i ^ seed).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 20).collect()
}

/// An input column dropped between recording a kernel that reads it and submitting: an upload of the
/// same size right after must not get its buffer (the upload's write would land before the kernel ran).
#[test]
fn dropped_input_is_not_overwritten_by_a_later_upload() {
    for binding in [None, Some(64 * 1024)] {
        let Some(engine) = engine(binding) else { return };
        let ctx = ctx(&engine);
        for n in [1usize, 4095, 4096, 4097, 8192, 8193, 65_537] {
            let (x, y) = (values(n, 1), values(n, 2));
            let recording = ctx.record();
            let a = ctx.upload(&x).expect("upload");
            let b = map_scalar(ctx, &a, ScalarOp::AddSat, 1).expect("add");
            drop(a);
            assert!(ctx.pool.retiring_len() > 0, "a dropped input retires while commands are held");
            let c = ctx.upload(&y).expect("upload");
            let d = map_scalar(ctx, &c, ScalarOp::AddSat, 2).expect("add");
            drop(c);
            drop(recording);
            assert_eq!(ctx.pool.retiring_len(), 0, "submitted: the retired buffers are free again");
            let want_b: Vec<u64> = x.iter().map(|v| v + 1).collect();
            let want_d: Vec<u64> = y.iter().map(|v| v + 2).collect();
            assert_eq!(ctx.read::<u64>(&b).expect("read"), want_b, "n = {n}");
            assert_eq!(ctx.read::<u64>(&d).expect("read"), want_d, "n = {n}");
        }
    }
}

/// Many kernels in one recording, each dropping what it no longer needs, so that later outputs reuse
/// retired buffers, with uploads and a readback (which submits what is held) in between: the results
/// are the host's.
#[test]
fn reuse_under_pressure_in_one_recording() {
    for binding in [None, Some(64 * 1024)] {
        let Some(engine) = engine(binding) else { return };
        let ctx = ctx(&engine);
        for n in [1usize, 4097, 20_011] {
            let mut host = values(n, 3);
            let _recording = ctx.record();
            let mut dev = ctx.upload(&host).expect("upload");
            for k in 0..40u64 {
                let fresh = values(n, k + 10);
                let up = ctx.upload(&fresh).expect("upload");
                let sum = map_pair(ctx, &dev, &up, PairOp::WrappingAdd).expect("add");
                drop(up);
                let idx =
                    map_scalar(ctx, &iota(ctx, n as u64, k).expect("iota"), ScalarOp::Min, n as u64 - 1).expect("min");
                dev = gather(ctx, &sum, &idx).expect("gather");
                host = (0..n)
                    .map(|i| host[(i + k as usize).min(n - 1)].wrapping_add(fresh[(i + k as usize).min(n - 1)]))
                    .collect();
                if k % 13 == 5 {
                    assert_eq!(ctx.read::<u64>(&dev).expect("read"), host, "n = {n}, step {k} (mid-recording)");
                }
            }
            drop(_recording);
            assert_eq!(ctx.read::<u64>(&dev).expect("read"), host, "n = {n}");
        }
    }
}

/// A second thread's kernels while one thread records: each gets its own results.
#[test]
fn another_thread_while_recording() {
    let Some(engine) = engine(None) else { return };
    let ctx = ctx(&engine).clone();
    let n = 10_007;
    let x = values(n, 5);
    let recording = ctx.record();
    let a = ctx.upload(&x).expect("upload");
    let b = map_scalar(&ctx, &a, ScalarOp::AddSat, 7).expect("add");
    drop(a);
    let other = {
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let y = values(n, 6);
            let c = ctx.upload(&y).expect("upload");
            let d = map_scalar(&ctx, &c, ScalarOp::AddSat, 9).expect("add");
            drop(c);
            let e = map_scalar(&ctx, &d, ScalarOp::AddSat, 1).expect("add");
            assert_eq!(ctx.read::<u64>(&e).expect("read"), y.iter().map(|v| v + 10).collect::<Vec<_>>());
        })
    };
    other.join().expect("the other thread");
    drop(recording);
    assert_eq!(ctx.read::<u64>(&b).expect("read"), x.iter().map(|v| v + 7).collect::<Vec<_>>());
}

/// Threads that open and close recordings at the same time, each dropping inputs and uploading
/// between its kernels: a recording that closes must not turn deferring off under one just opened.
#[test]
fn concurrent_recordings() {
    let Some(engine) = engine(None) else { return };
    let ctx = ctx(&engine).clone();
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let ctx = ctx.clone();
            std::thread::spawn(move || {
                for round in 0..25u64 {
                    let n = 4097 + (round as usize % 3);
                    let (x, y) = (values(n, 100 * t + round), values(n, 7 + 100 * t + round));
                    let recording = ctx.record();
                    let a = ctx.upload(&x).expect("upload");
                    let b = map_scalar(&ctx, &a, ScalarOp::AddSat, t + 1).expect("add");
                    drop(a);
                    let c = ctx.upload(&y).expect("upload");
                    let d = map_pair(&ctx, &b, &c, PairOp::WrappingAdd).expect("add");
                    drop((b, c));
                    let e = map_scalar(&ctx, &d, ScalarOp::AddSat, round).expect("add");
                    drop(d);
                    drop(recording);
                    let want: Vec<u64> = x.iter().zip(&y).map(|(p, q)| p + t + 1 + q + round).collect();
                    assert_eq!(ctx.read::<u64>(&e).expect("read"), want, "thread {t}, round {round}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a recording thread");
    }
}

/// A pool full of one size's idle buffers still keeps the buffer just released (the oldest is dropped
/// instead), so a kernel called in a loop at another size reuses its output buffer.
#[test]
fn a_full_pool_keeps_the_buffer_just_released() {
    use super::memory::STORAGE;
    let Some(engine) = engine(None) else { return };
    let ctx = ctx(&engine);
    // Four idle 256 MiB buffers fill the pool's 1 GiB (buffers are not written, so lavapipe holds no
    // memory for them).
    let big: Vec<_> = (0..4).map(|_| ctx.buffer(STORAGE, 256 << 20).expect("buffer")).collect();
    drop(big);
    let small = ctx.buffer(STORAGE, 64 << 20).expect("buffer");
    let first = small.buffer().clone();
    drop(small);
    let again = ctx.buffer(STORAGE, 64 << 20).expect("buffer");
    assert!(*again.buffer() == first, "the 64 MiB buffer just released is reused");
}
