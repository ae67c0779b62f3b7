//! Device-side timings with timestamp queries (`Features::TIMESTAMP_QUERY`).
//!
//! While a [`Recorder`] is installed on a context, every compute pass that [`super::Batch`] records
//! writes a timestamp at its beginning and at its end (compute-pass `timestamp_writes`, which need
//! only `TIMESTAMP_QUERY`, not `TIMESTAMP_QUERY_INSIDE_ENCODERS`). [`GpuContext::device_time`] takes
//! the union of the passes' `[begin, end]` intervals ([`busy_ticks`]) and scales its ticks by
//! `queue.get_timestamp_period()`: the time during which the device had one of our compute passes in
//! flight, without host recording, idle gaps between submissions, or copies outside passes.

use std::sync::Mutex;

use super::GpuContext;
use crate::error::{Error, Result};

/// Queries per query set (wgpu's maximum): two per pass.
const QUERIES: u32 = wgpu::QUERY_SET_MAX_QUERIES;

/// The query sets of one timed scope, filled two queries (one pass) at a time.
pub(crate) struct Recorder {
    sets: Vec<wgpu::QuerySet>,
    /// Queries used in the last set.
    used: u32,
}

impl Recorder {
    fn new() -> Self {
        Recorder { sets: Vec::new(), used: QUERIES }
    }

    /// The query set and first index of the next pass's pair, opening a new set when the last is full.
    fn next_pair(&mut self, device: &wgpu::Device) -> (wgpu::QuerySet, u32) {
        if self.used + 2 > QUERIES {
            self.sets.push(device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("streamliner timing"),
                ty: wgpu::QueryType::Timestamp,
                count: QUERIES,
            }));
            self.used = 0;
        }
        let index = self.used;
        self.used += 2;
        // The branch above pushed a set whenever `sets` was empty (used starts at QUERIES).
        let set = self.sets.last().cloned().unwrap_or_else(|| unreachable!("a query set was just created"));
        (set, index)
    }

    /// Queries used in set `i`.
    fn count(&self, i: usize) -> u32 {
        if i + 1 == self.sets.len() { self.used } else { QUERIES }
    }
}

/// The timing state of a context: one timing scope at a time (`scope`, held for the whole scope, so
/// concurrent timed calls take turns), and its recorder (None when no scope is open).
#[derive(Default)]
pub(crate) struct Slot {
    scope: Mutex<()>,
    recorder: Mutex<Option<Recorder>>,
}

/// The timestamp writes for the next pass when a timing scope is open on `ctx`.
pub(crate) fn next_pass(ctx: &GpuContext) -> Option<(wgpu::QuerySet, u32)> {
    let mut slot = ctx.timer.recorder.lock().unwrap_or_else(|p| p.into_inner());
    slot.as_mut().map(|r| r.next_pair(&ctx.device))
}

/// Ticks during which at least one pass was in flight: the union of the `[begin, end]` intervals of
/// `ticks` (pairs). Passes overlap where one is queued behind another: its begin timestamp (top of the
/// pipe) is written when the device reaches it, its end only once the earlier passes are done, so
/// summing `end - begin` per pass would count the earlier pass twice.
pub(crate) fn busy_ticks(ticks: &[u64]) -> u64 {
    let mut spans: Vec<(u64, u64)> = ticks.chunks_exact(2).map(|p| (p[0], p[1].max(p[0]))).collect();
    spans.sort_unstable();
    let mut total = 0;
    let mut current: Option<(u64, u64)> = None;
    for (b, e) in spans {
        current = match current {
            Some((cb, ce)) if b <= ce => Some((cb, ce.max(e))),
            Some((cb, ce)) => {
                total += ce - cb;
                Some((b, e))
            }
            None => Some((b, e)),
        };
    }
    total + current.map_or(0, |(b, e)| e - b)
}

impl GpuContext {
    /// True when the device was created with `TIMESTAMP_QUERY`.
    pub(crate) fn has_timestamps(&self) -> bool {
        self.device.features().contains(wgpu::Features::TIMESTAMP_QUERY)
    }

    /// Runs `f` with every compute pass it records timed on the device; returns its value and the
    /// milliseconds the device spent in those passes, or `None` when the device has no timestamp
    /// queries. The device is idle before `f` starts and after it ends (both waited for). Passes other
    /// threads record on this context meanwhile are counted too.
    pub(crate) fn device_time<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<(T, Option<f64>)> {
        if !self.has_timestamps() {
            return f().map(|v| (v, None));
        }
        let _scope = self.timer.scope.lock().unwrap_or_else(|p| p.into_inner());
        self.wait("device timing")?;
        *self.timer.recorder.lock().unwrap_or_else(|p| p.into_inner()) = Some(Recorder::new());
        let out = f();
        let waited = self.wait("device timing");
        let recorder = self.timer.recorder.lock().unwrap_or_else(|p| p.into_inner()).take();
        let out = out?;
        waited?;
        let Some(recorder) = recorder else {
            return Err(Error::gpu("device timing", "the timing scope was closed by another call"));
        };
        let ticks = self.resolve(&recorder)?;
        let ns = f64::from(self.queue.get_timestamp_period());
        Ok((out, Some(busy_ticks(&ticks) as f64 * ns / 1e6)))
    }

    /// Resolves every used query of `recorder` and reads the ticks back, in pass order.
    fn resolve(&self, recorder: &Recorder) -> Result<Vec<u64>> {
        let queries: u64 = (0..recorder.sets.len()).map(|i| u64::from(recorder.count(i))).sum();
        if queries == 0 {
            return Ok(Vec::new());
        }
        // One 256-byte-aligned region of the resolve buffer per set.
        let stride = u64::from(QUERIES) * 8;
        let size = stride * recorder.sets.len() as u64;
        let make = |usage| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("streamliner timing"),
                size,
                usage,
                mapped_at_creation: false,
            })
        };
        let resolved = make(wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC);
        let staging = make(wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
        let mut enc = self.encoder();
        for (i, set) in recorder.sets.iter().enumerate() {
            enc.resolve_query_set(set, 0..recorder.count(i), &resolved, stride * i as u64);
        }
        enc.copy_buffer_to_buffer(&resolved, 0, &staging, 0, size);
        self.queue.submit(Some(enc.finish()));
        let (tx, rx) = std::sync::mpsc::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.wait("device timing readback")?;
        rx.recv()
            .map_err(|e| Error::gpu("device timing readback", e))?
            .map_err(|e| Error::gpu("device timing readback", e))?;
        let view = staging.slice(..).get_mapped_range().map_err(|e| Error::gpu("device timing readback", e))?;
        let all: &[u64] = bytemuck::cast_slice(&view);
        let mut ticks = Vec::with_capacity(queries as usize);
        for i in 0..recorder.sets.len() {
            let start = i * QUERIES as usize;
            ticks.extend_from_slice(&all[start..start + recorder.count(i) as usize]);
        }
        Ok(ticks)
    }
}

#[cfg(test)]
mod tests {
    use super::busy_ticks;

    #[test]
    fn busy_ticks_is_the_union_of_the_passes() {
        assert_eq!(busy_ticks(&[]), 0);
        assert_eq!(busy_ticks(&[5, 9]), 4);
        // Disjoint: the gap between them is not counted.
        assert_eq!(busy_ticks(&[0, 2, 10, 13]), 5);
        // A pass queued behind another: its begin is early, the overlap counts once.
        assert_eq!(busy_ticks(&[0, 10, 3, 15]), 15);
        // Nested, out of order, and an end before its begin (read as empty).
        assert_eq!(busy_ticks(&[20, 30, 0, 100, 50, 40]), 100);
    }
}
