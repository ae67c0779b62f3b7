//! Device memory: a pool of buffers reused by size class, segmented device arrays (one buffer per
//! segment, each within one storage binding), upload and readback.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytemuck::Pod;

use super::GpuContext;
use crate::error::{Error, Result};

/// Usage of buffers that hold kernel inputs and outputs.
pub(crate) const STORAGE: wgpu::BufferUsages =
    wgpu::BufferUsages::STORAGE.union(wgpu::BufferUsages::COPY_DST).union(wgpu::BufferUsages::COPY_SRC);
/// Usage of uniform parameter buffers.
pub(crate) const UNIFORM: wgpu::BufferUsages = wgpu::BufferUsages::UNIFORM.union(wgpu::BufferUsages::COPY_DST);
/// Usage of indirect dispatch arguments, which a kernel may also write.
pub(crate) const INDIRECT: wgpu::BufferUsages = wgpu::BufferUsages::INDIRECT.union(STORAGE);
/// Readbacks are grouped into staging buffers of at most this many bytes (see
/// [`GpuContext::read_regions`]).
const READ_GROUP_BYTES: u64 = 64 << 20;
/// Usage of readback buffers.
pub(crate) const STAGING: wgpu::BufferUsages = wgpu::BufferUsages::MAP_READ.union(wgpu::BufferUsages::COPY_DST);

/// Uploads larger than this are flushed a segment at a time (see [`GpuContext::flush_writes`]).
pub(crate) const FLUSH_BYTES: usize = 64 << 20;

/// Idle buffers kept for reuse, at most this many bytes in all.
const POOL_CAP_BYTES: u64 = 1 << 30;

#[derive(Default)]
pub(crate) struct BufferPool {
    inner: Mutex<PoolInner>,
}

type Classes = HashMap<(u32, u64), Vec<wgpu::Buffer>>;

#[derive(Default)]
struct PoolInner {
    /// Idle buffers by class, each with the time it was released (oldest first in each class).
    free: HashMap<(u32, u64), Vec<(u64, wgpu::Buffer)>>,
    bytes: u64,
    /// Release counter: the pool's clock.
    clock: u64,
    /// Buffers released while a recording is open (see [`GpuContext::record`]). Commands recorded but
    /// not submitted yet may still use them, so they are not handed out as targets of queue writes
    /// (which land before every command of the next submission) until those commands are submitted;
    /// a later *command* may reuse them at once ([`GpuContext::alloc`]), since the queue runs commands
    /// in the order they were recorded.
    retiring: Classes,
    /// Whether a recording is open: released buffers go to `retiring` rather than `free`.
    deferring: bool,
}

impl PoolInner {
    /// Keeps `buf` for reuse. Past [`POOL_CAP_BYTES`], the buffers released longest ago are dropped
    /// first: the ones just released are the likeliest to be asked for again (a kernel called in a
    /// loop at one size), so a pool full of another size's buffers does not make every call allocate
    /// (on an H200, allocating 512 MB costs about 30 ms, against 1 ms for the kernel).
    fn free(&mut self, buf: wgpu::Buffer) {
        let size = buf.size();
        if size > POOL_CAP_BYTES {
            return;
        }
        self.clock += 1;
        self.bytes += size;
        self.free.entry((buf.usage().bits(), size)).or_default().push((self.clock, buf));
        while self.bytes > POOL_CAP_BYTES {
            // The class whose oldest buffer is the oldest of all (each class is in release order).
            let oldest = self.free.iter().filter_map(|(k, v)| v.first().map(|(t, _)| (*t, *k))).min();
            let Some((_, key)) = oldest else { break };
            if let Some(list) = self.free.get_mut(&key) {
                let (_, dropped) = list.remove(0);
                self.bytes -= dropped.size();
                if list.is_empty() {
                    self.free.remove(&key);
                }
            }
        }
    }
}

impl BufferPool {
    /// An idle buffer of the class; with `for_commands`, also one still retiring (see `PoolInner`).
    fn take(&self, usage: wgpu::BufferUsages, size: u64, for_commands: bool) -> Option<wgpu::Buffer> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let key = (usage.bits(), size);
        if for_commands && let Some(buf) = inner.retiring.get_mut(&key).and_then(Vec::pop) {
            return Some(buf);
        }
        let (_, buf) = inner.free.get_mut(&key)?.pop()?;
        inner.bytes -= size;
        Some(buf)
    }

    fn give(&self, buf: wgpu::Buffer) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.deferring {
            inner.retiring.entry((buf.usage().bits(), buf.size())).or_default().push(buf);
        } else {
            inner.free(buf);
        }
    }

    /// Opens (`true`) or closes (`false`) the deferring state.
    pub fn set_deferring(&self, on: bool) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).deferring = on;
    }

    /// Returns the retiring buffers to the free list: every command that may use them is submitted, and
    /// work submitted later (queue writes included) is ordered after it on the one queue.
    pub fn retire(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let retiring = std::mem::take(&mut inner.retiring);
        for buf in retiring.into_values().flatten() {
            inner.free(buf);
        }
    }

    /// Buffers now waiting in the retiring list.
    #[cfg(test)]
    pub fn retiring_len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).retiring.values().map(Vec::len).sum()
    }

    pub fn clear(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.free.clear();
        inner.bytes = 0;
    }
}

/// A buffer from the pool; it goes back to the pool when dropped. Reuse is safe because every use of a
/// buffer is ordered on the one queue: work submitted later sees only what was written later. While a
/// recording is open (commands recorded but not submitted), a dropped buffer waits in the pool's
/// retiring list until the recorded commands are submitted, so no later kernel of the same submission
/// can be handed it and overwrite what an earlier one still reads.
pub(crate) struct PooledBuffer {
    buf: Option<wgpu::Buffer>,
    ctx: Arc<GpuContext>,
}

impl PooledBuffer {
    pub fn buffer(&self) -> &wgpu::Buffer {
        // Invariant: `buf` is Some from construction until drop.
        self.buf.as_ref().expect("pooled buffer is present until dropped")
    }

    /// A binding over `bytes` bytes from `offset`.
    pub fn binding(&self, offset: u64, bytes: u64) -> wgpu::BufferBinding<'_> {
        wgpu::BufferBinding { buffer: self.buffer(), offset, size: std::num::NonZeroU64::new(bytes) }
    }

    /// A binding over the whole buffer.
    pub fn whole(&self) -> wgpu::BufferBinding<'_> {
        wgpu::BufferBinding { buffer: self.buffer(), offset: 0, size: None }
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        if let Some(buf) = self.buf.take() {
            self.ctx.pool.give(buf);
        }
    }
}

impl GpuContext {
    /// Size class of a request: a power of two from 256 bytes, or the size rounded to 16 bytes where the
    /// power of two would pass the largest buffer.
    fn size_class(&self, size: u64) -> u64 {
        let size = size.max(16).div_ceil(16) * 16;
        let pow = size.next_power_of_two().max(256);
        if pow <= self.max_buffer_size { pow } else { size }
    }

    /// A buffer of at least `size` bytes, from the pool or new: safe to write with the queue.
    pub(crate) fn buffer(self: &Arc<Self>, usage: wgpu::BufferUsages, size: u64) -> Result<PooledBuffer> {
        self.pooled(usage, size, false)
    }

    /// A buffer from the pool or new; with `for_commands` it may be one still retiring, which only
    /// commands recorded from now on may write (never the queue).
    fn pooled(self: &Arc<Self>, usage: wgpu::BufferUsages, size: u64, for_commands: bool) -> Result<PooledBuffer> {
        let class = self.size_class(size);
        if class > self.max_buffer_size {
            return Err(Error::LimitExceeded {
                what: "GPU buffer size in bytes".into(),
                value: class,
                limit: self.max_buffer_size,
            });
        }
        let buf = match self.pool.take(usage, class, for_commands) {
            Some(b) => b,
            None => {
                let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
                let invalid = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
                let b = self.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("streamliner"),
                    size: class,
                    usage,
                    mapped_at_creation: false,
                });
                let e1 = pollster::block_on(invalid.pop());
                let e2 = pollster::block_on(oom.pop());
                if let Some(e) = e1.or(e2) {
                    // Free idle buffers so that a retry has room.
                    self.pool.clear();
                    return Err(Error::gpu(format!("allocating {class} bytes"), e));
                }
                b
            }
        };
        Ok(PooledBuffer { buf: Some(buf), ctx: self.clone() })
    }

    /// A uniform buffer holding `params`.
    pub(crate) fn params<P: Pod>(self: &Arc<Self>, params: &P) -> Result<PooledBuffer> {
        let bytes = bytemuck::bytes_of(params);
        let buf = self.buffer(UNIFORM, bytes.len() as u64)?;
        self.queue.write_buffer(buf.buffer(), 0, bytes);
        Ok(buf)
    }

    /// A storage buffer holding `data` (padded to 16 bytes; the padding is left as it was).
    pub(crate) fn storage_from<T: Pod>(self: &Arc<Self>, data: &[T]) -> Result<PooledBuffer> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        let buf = self.buffer(STORAGE, bytes.len() as u64)?;
        if !bytes.is_empty() {
            self.queue.write_buffer(buf.buffer(), 0, bytes);
        }
        Ok(buf)
    }

    /// Refuses a device array of `elements` values of `elem_bytes` bytes (`what`) that would not fit the
    /// device's memory.
    pub(crate) fn check_fits(&self, what: &str, elements: u64, elem_bytes: u64) -> Result<()> {
        let place = format!("the GPU ({})", self.info.name);
        crate::host::check_fits(what, elements, elem_bytes, self.memory, &place)
    }

    /// Uploads `data` as a segmented device array.
    pub(crate) fn upload<T: Pod>(self: &Arc<Self>, data: &[T]) -> Result<GpuArray> {
        self.check_fits("an array uploaded to the GPU", data.len() as u64, size_of::<T>() as u64)?;
        let seg = self.segment_elems as usize;
        let mut segments = Vec::with_capacity(data.len().div_ceil(seg.max(1)));
        let flush = size_of_val(data) > FLUSH_BYTES;
        for chunk in data.chunks(seg) {
            segments.push(self.storage_from(chunk)?);
            if flush {
                self.flush_writes()?;
            }
        }
        Ok(GpuArray {
            segments,
            len: data.len() as u64,
            elem_bytes: size_of::<T>() as u64,
            seg_elems: self.segment_elems,
        })
    }

    /// A device array of `len` elements of `elem_bytes` each, contents undefined: only commands may
    /// write it (inside a recording its buffers may be ones that earlier recorded commands still use,
    /// so a queue write would land before those commands run).
    pub(crate) fn alloc(self: &Arc<Self>, len: u64, elem_bytes: u64) -> Result<GpuArray> {
        self.check_fits("a GPU array", len, elem_bytes)?;
        let seg = self.segment_elems;
        // Retiring buffers only for this thread's own recording: its commands run after the ones that
        // used them; another thread's would be submitted first.
        let here = self.records_here();
        let mut segments = Vec::new();
        let mut start = 0;
        while start < len {
            let n = seg.min(len - start);
            segments.push(self.pooled(STORAGE, n * elem_bytes, here)?);
            start += n;
        }
        Ok(GpuArray { segments, len, elem_bytes, seg_elems: seg })
    }

    /// Submits the queue's pending buffer writes and waits for them, so that their staging copies are
    /// freed: an upload of many segments then holds one segment's staging at a time, not all of them.
    pub(crate) fn flush_writes(&self) -> Result<()> {
        self.queue.submit(std::iter::empty::<wgpu::CommandBuffer>());
        self.wait("upload")
    }

    /// Waits for all submitted work (this thread's recorded commands submitted first); reports GPU
    /// errors raised meanwhile.
    pub(crate) fn wait(&self, operation: &str) -> Result<()> {
        self.submit_recorded();
        self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| Error::gpu(operation, e))?;
        self.take_error(operation)
    }

    /// Copies `dst.len()` bytes at `offset` of `src` into `dst`, in a new submission, and waits.
    fn read_into(self: &Arc<Self>, src: &wgpu::Buffer, offset: u64, dst: &mut [u8]) -> Result<()> {
        self.read_regions(&mut [(src, offset, dst)])
    }

    /// Copies each region (`dst.len()` bytes at `offset` of `src`) into its `dst`: regions are taken in
    /// groups of up to [`READ_GROUP_BYTES`] (a larger region alone), each group in one submission
    /// through one staging buffer with one wait, so many small reads cost one wait and a large one
    /// holds one group of staging memory at a time.
    fn read_regions(self: &Arc<Self>, regions: &mut [(&wgpu::Buffer, u64, &mut [u8])]) -> Result<()> {
        let mut rest = regions;
        while !rest.is_empty() {
            let mut take = 1;
            let mut bytes = rest[0].2.len() as u64;
            while take < rest.len() && bytes + rest[take].2.len() as u64 <= READ_GROUP_BYTES {
                bytes += rest[take].2.len() as u64;
                take += 1;
            }
            let (group, later) = rest.split_at_mut(take);
            self.read_group(group)?;
            rest = later;
        }
        Ok(())
    }

    /// [`Self::read_regions`] for one group. Each copy is rounded up to 4 bytes (wgpu's copy
    /// alignment); every buffer here is allocated in 16-byte steps. Errors raised by this thread
    /// meanwhile are caught by error scopes (thread-local in wgpu), so they are reported here and not to
    /// another thread's call.
    fn read_group(self: &Arc<Self>, regions: &mut [(&wgpu::Buffer, u64, &mut [u8])]) -> Result<()> {
        let sizes: Vec<u64> = regions.iter().map(|(_, _, dst)| (dst.len() as u64).div_ceil(4) * 4).collect();
        let total: u64 = sizes.iter().sum();
        if total == 0 {
            return Ok(());
        }
        // This thread's recorded commands first: the copies below must see what they write.
        self.submit_recorded();
        let staging = self.buffer(STAGING, total)?;
        let invalid = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let mut encoder = self.device.create_command_encoder(&Default::default());
        let mut at = 0;
        for ((src, offset, _), &size) in regions.iter().zip(&sizes) {
            if size > 0 {
                encoder.copy_buffer_to_buffer(src, *offset, staging.buffer(), at, size);
            }
            at += size;
        }
        self.queue.submit(Some(encoder.finish()));
        let (tx, rx) = std::sync::mpsc::channel();
        staging.buffer().map_async(wgpu::MapMode::Read, 0..total, move |r| {
            let _ = tx.send(r);
        });
        let waited = self.wait("readback");
        if let Some(e) = pollster::block_on(invalid.pop()) {
            return Err(Error::gpu("readback", e));
        }
        waited?;
        match rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(Error::gpu("mapping a readback buffer", e)),
            Err(e) => return Err(Error::gpu("mapping a readback buffer", e)),
        }
        let copied = match staging.buffer().get_mapped_range(0..total) {
            Ok(view) => {
                let mut at = 0;
                for ((_, _, dst), &size) in regions.iter_mut().zip(&sizes) {
                    dst.copy_from_slice(&view[at..at + dst.len()]);
                    at += size as usize;
                }
                Ok(())
            }
            Err(e) => Err(Error::gpu("readback", e)),
        };
        // Unmapped on every path, so the buffer can go back to the pool.
        staging.buffer().unmap();
        copied
    }

    /// Reads a whole device array back (every segment in one submission and one wait).
    pub(crate) fn read<T: Pod>(self: &Arc<Self>, arr: &GpuArray) -> Result<Vec<T>> {
        Ok(self.read_all(&[arr])?.pop().unwrap_or_default())
    }

    /// Reads several whole device arrays back, all in one submission and one wait.
    pub(crate) fn read_all<T: Pod>(self: &Arc<Self>, arrs: &[&GpuArray]) -> Result<Vec<Vec<T>>> {
        let elements = arrs.iter().map(|a| a.len).fold(0, u64::saturating_add);
        crate::host::check_host("arrays read back from the GPU", elements, size_of::<T>() as u64)?;
        let mut outs: Vec<Vec<T>> = arrs
            .iter()
            .map(|arr| {
                debug_assert_eq!(arr.elem_bytes, size_of::<T>() as u64);
                vec![T::zeroed(); arr.len as usize]
            })
            .collect();
        let mut regions = Vec::new();
        for (arr, out) in arrs.iter().zip(outs.iter_mut()) {
            let seg = (arr.seg_elems as usize).max(1);
            for (i, chunk) in out.chunks_mut(seg).enumerate() {
                regions.push((arr.segments[i].buffer(), 0, bytemuck::cast_slice_mut::<T, u8>(chunk)));
            }
        }
        self.read_regions(&mut regions)?;
        Ok(outs)
    }

    /// Reads `out.len()` elements from the start of `buf`.
    pub(crate) fn read_buffer<T: Pod>(self: &Arc<Self>, buf: &PooledBuffer, out: &mut [T]) -> Result<()> {
        self.read_into(buf.buffer(), 0, bytemuck::cast_slice_mut(out))
    }

    fn take_error(&self, operation: &str) -> Result<()> {
        let mut errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        if errors.is_empty() {
            return Ok(());
        }
        let message = errors.join("; ");
        errors.clear();
        Err(Error::gpu(operation, message))
    }
}

/// An array on the device, stored as segments of `seg_elems` elements (the last may be shorter), each
/// in its own buffer so that every segment fits one storage binding.
pub(crate) struct GpuArray {
    pub segments: Vec<PooledBuffer>,
    pub len: u64,
    pub elem_bytes: u64,
    pub seg_elems: u64,
}

impl GpuArray {
    /// Elements in segment `i`.
    pub fn seg_len(&self, i: usize) -> u64 {
        let start = i as u64 * self.seg_elems;
        self.seg_elems.min(self.len.saturating_sub(start))
    }

    /// A binding over segment `i`, padded to 16 bytes (the shaders read whole vec4s).
    pub fn seg_binding(&self, i: usize) -> wgpu::BufferBinding<'_> {
        let bytes = (self.seg_len(i) * self.elem_bytes).max(16).div_ceil(16) * 16;
        self.segments[i].binding(0, bytes)
    }

    /// The context the array lives on.
    pub fn context(&self) -> Option<&Arc<GpuContext>> {
        self.segments.first().map(|s| &s.ctx)
    }
}

/// Device errors not caught by a scope, collected for the next wait.
pub(crate) type ErrorSink = Arc<Mutex<Vec<String>>>;
