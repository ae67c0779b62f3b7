//! CPU twin of `shaders/scan.wgsl`: prefix sums of u32 into wrapping u32 or widening u64 sums, and of
//! u64 into wrapping u64 sums.
//!
//! One pass over memory. Small inputs are scanned by one thread in one loop. Large inputs are cut into
//! cache-sized blocks that the threads of rayon's pool take in order from a shared counter: a thread sums
//! its block (bringing it into its cache), takes the running total before the block (published by the
//! block's predecessor as soon as that one had its own sum; in steady state it is there already),
//! publishes the total after its block, and scans the block from its cache. When the predecessor is
//! late, the thread does not wait: after a short spin it sums the late blocks itself (the CPU form of
//! the GPU's decoupled fallback), so a descheduled thread on a busy machine delays no one.

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use rayon::prelude::*;

use crate::column::Element;

/// Elements per block of the parallel scan: 256 KiB of u32 input, well inside a core's L2 cache with
/// the block's output beside it.
pub(crate) const BLOCK: usize = 1 << 16;

/// Where a scan writes: an initialised element (the `_into` paths) or a fresh vector's spare capacity
/// (the allocating paths, which so never fill the output with zeros first).
trait Slot<O>: Send {
    fn put(&mut self, v: O);
}

impl<O: Send> Slot<O> for O {
    #[inline(always)]
    fn put(&mut self, v: O) {
        *self = v;
    }
}

impl<O: Send> Slot<O> for MaybeUninit<O> {
    #[inline(always)]
    fn put(&mut self, v: O) {
        self.write(v);
    }
}

/// Scans `input` into `out` (same length) starting from `start`.
#[inline(always)]
fn scan_block<I: Copy, O: Element, S: Slot<O>>(
    input: &[I],
    out: &mut [S],
    start: O,
    inclusive: bool,
    add: impl Fn(O, I) -> O,
) {
    let mut acc = start;
    if inclusive {
        for (o, &x) in out.iter_mut().zip(input) {
            acc = add(acc, x);
            o.put(acc);
        }
    } else {
        for (o, &x) in out.iter_mut().zip(input) {
            o.put(acc);
            acc = add(acc, x);
        }
    }
}

/// Spins on a predecessor's total before computing it itself.
const SPINS: u32 = 512;

/// The running total before block `b`: published by the block's predecessor, or, when that one is
/// late (its thread descheduled on a busy machine), computed here from the latest published total and
/// the sums of the blocks after it, publishing each (every thread computes the same values, so
/// whichever publishes first is right). No thread ever waits on another for long.
fn total_before<I: Copy, O: Element>(
    input: &[I],
    totals: &[OnceLock<O>],
    b: usize,
    add: impl Fn(O, I) -> O + Copy,
) -> O {
    if b == 0 {
        return O::default();
    }
    for _ in 0..SPINS {
        if let Some(&v) = totals[b - 1].get() {
            return v;
        }
        std::hint::spin_loop();
    }
    let (mut first, mut acc) = (0, O::default());
    for j in (0..b).rev() {
        if let Some(&v) = totals[j].get() {
            (first, acc) = (j + 1, v);
            break;
        }
    }
    for (k, total) in totals.iter().enumerate().take(b).skip(first) {
        let part = &input[k * BLOCK..((k + 1) * BLOCK).min(input.len())];
        acc = acc.plus(part.iter().fold(O::default(), |a, &x| add(a, x)));
        let _ = total.set(acc);
    }
    acc
}

fn scan_parallel<I: Copy + Send + Sync, O: Element, S: Slot<O>>(
    input: &[I],
    out: &mut [S],
    inclusive: bool,
    add: impl Fn(O, I) -> O + Copy + Send + Sync,
) {
    let blocks = input.len().div_ceil(BLOCK);
    // One lock per block, each taken once by the block's thread: the output split without unsafe code.
    let outs: Vec<Mutex<&mut [S]>> = out.chunks_mut(BLOCK).map(Mutex::new).collect();
    // totals[b]: the running total after block b.
    let totals: Vec<OnceLock<O>> = (0..blocks).map(|_| OnceLock::new()).collect();
    let next = AtomicUsize::new(0);
    let workers = rayon::current_num_threads().min(blocks).max(1);
    (0..workers).into_par_iter().for_each(|_| {
        loop {
            let b = next.fetch_add(1, Ordering::Relaxed);
            if b >= blocks {
                break;
            }
            let part = &input[b * BLOCK..((b + 1) * BLOCK).min(input.len())];
            let sum = part.iter().fold(O::default(), |a, &x| add(a, x));
            let before = total_before(input, &totals, b, add);
            // A late thread may have published this total already: the same value.
            let _ = totals[b].set(before.plus(sum));
            let mut dst = outs[b].lock().unwrap_or_else(|p| p.into_inner());
            scan_block(part, &mut dst, before, inclusive, add);
        }
    });
}

fn scan_slots<I: Copy + Send + Sync, O: Element, S: Slot<O>>(
    input: &[I],
    out: &mut [S],
    inclusive: bool,
    add: impl Fn(O, I) -> O + Copy + Send + Sync,
) {
    debug_assert_eq!(input.len(), out.len());
    if input.len() < super::PARALLEL_MIN || rayon::current_num_threads() < 2 {
        scan_block(input, out, O::default(), inclusive, add);
    } else {
        scan_parallel(input, out, inclusive, add);
    }
}

fn scan_vec<I: Copy + Send + Sync, O: Element>(
    input: &[I],
    inclusive: bool,
    add: impl Fn(O, I) -> O + Copy + Send + Sync,
) -> Vec<O> {
    let mut out: Vec<O> = Vec::with_capacity(input.len());
    scan_slots(input, &mut out.spare_capacity_mut()[..input.len()], inclusive, add);
    // SAFETY: the scan wrote every one of the first `input.len()` elements (it zips the output with the
    // input, of the same length, and every path writes each element it visits).
    unsafe { out.set_len(input.len()) };
    out
}

/// The prefix sums of u32 `input`, as wrapping u32 or widening u64.
pub(crate) fn scan<O: Element>(input: &[u32], inclusive: bool) -> Vec<O> {
    scan_vec(input, inclusive, |a: O, x: u32| a.add_u32(x))
}

/// The prefix sums of u32 `input` into `out` (of the same length).
pub(crate) fn scan_into<O: Element>(input: &[u32], out: &mut [O], inclusive: bool) {
    scan_slots(input, out, inclusive, |a: O, x: u32| a.add_u32(x))
}

/// The prefix sums of u64 `input`, wrapping.
pub(crate) fn scan_u64(input: &[u64], inclusive: bool) -> Vec<u64> {
    scan_vec(input, inclusive, |a: u64, x: u64| a.wrapping_add(x))
}

/// The prefix sums of u64 `input` into `out` (of the same length), wrapping.
pub(crate) fn scan_u64_into(input: &[u64], out: &mut [u64], inclusive: bool) {
    scan_slots(input, out, inclusive, |a: u64, x: u64| a.wrapping_add(x))
}
