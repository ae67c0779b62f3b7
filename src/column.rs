//! [`Column`]: an array held by an engine (on the GPU, device buffers; on the CPU, a vector), so that a
//! sequence of kernels runs without a round trip to the host.

use std::ops::Deref;
use std::sync::Arc;

use arrow_array::ArrowPrimitiveType;
use arrow_array::types::{UInt32Type, UInt64Type};

use crate::engine::Engine;
use crate::error::Result;
use crate::gpu::GpuContext;
use crate::gpu::memory::GpuArray;

pub(crate) mod sealed {
    /// What the kernels need of an element type; implemented for `u32` and `u64` only.
    pub trait Sealed:
        Copy
        + Default
        + Send
        + Sync
        + bytemuck::Pod
        + arrow_buffer::ArrowNativeType
        + Into<u64>
        + std::fmt::Debug
        + 'static
    {
        /// Eight-byte elements (two words in WGSL).
        const WIDE: bool;
        /// `self + x`, wrapping.
        fn add_u32(self, x: u32) -> Self;
        /// `self + other`, wrapping.
        fn plus(self, other: Self) -> Self;
        /// The low bits of `v`.
        fn truncate(v: u64) -> Self;
    }
}

/// An element type the kernels take: `u32` or `u64`.
pub trait Element: sealed::Sealed {
    /// The Arrow type of arrays of this element.
    type Arrow: ArrowPrimitiveType<Native = Self>;
}

impl sealed::Sealed for u32 {
    const WIDE: bool = false;
    #[inline(always)]
    fn add_u32(self, x: u32) -> Self {
        self.wrapping_add(x)
    }
    fn plus(self, other: Self) -> Self {
        self.wrapping_add(other)
    }
    fn truncate(v: u64) -> Self {
        v as u32
    }
}

impl sealed::Sealed for u64 {
    const WIDE: bool = true;
    #[inline(always)]
    fn add_u32(self, x: u32) -> Self {
        self.wrapping_add(u64::from(x))
    }
    fn plus(self, other: Self) -> Self {
        self.wrapping_add(other)
    }
    fn truncate(v: u64) -> Self {
        v
    }
}

impl Element for u32 {
    type Arrow = UInt32Type;
}

impl Element for u64 {
    type Arrow = UInt64Type;
}

/// An array of `u32` or `u64` held by an [`Engine`]: device buffers on a GPU engine (in segments of
/// at most one storage binding each), a vector on the CPU engine. Kernels that take and return
/// columns keep the data where it is; [`Column::to_vec`] brings it back.
///
/// # Example
/// ```
/// use streamliner::{Engine, scan::{prefix_sum, ScanKind}};
/// let engine = Engine::from_env()?;
/// let lengths = engine.upload(&[3u32, 1, 4, 1, 5])?;
/// let offsets = prefix_sum::<u64, _>(&engine, &lengths, ScanKind::Exclusive)?;
/// assert_eq!(offsets.to_vec()?, vec![0, 3, 4, 8, 9]);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub struct Column<T: Element> {
    pub(crate) repr: Repr<T>,
}

pub(crate) enum Repr<T> {
    Host(Arc<Vec<T>>),
    Device(GpuArray),
}

impl<T: Element> std::fmt::Debug for Column<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Column").field("len", &self.len()).field("on_gpu", &self.is_on_gpu()).finish()
    }
}

impl<T: Element> Column<T> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Host(v) => v.len(),
            Repr::Device(a) => a.len as usize,
        }
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the data lives in GPU buffers.
    pub fn is_on_gpu(&self) -> bool {
        matches!(self.repr, Repr::Device(_))
    }

    /// The elements, read back from the device where they live there (waiting for pending work).
    ///
    /// # Errors
    /// [`crate::Error::Gpu`] when the device reports an error.
    pub fn to_vec(&self) -> Result<Vec<T>> {
        match &self.repr {
            Repr::Host(v) => Ok(v.as_ref().clone()),
            Repr::Device(a) => match a.context() {
                Some(ctx) => ctx.read(a),
                None => Ok(Vec::new()),
            },
        }
    }

    /// The elements as a vector: moved out of a host column that nothing else holds, else copied or read
    /// back from the device.
    pub(crate) fn into_host(self) -> Result<Vec<T>> {
        match self.repr {
            Repr::Host(v) => Ok(Arc::try_unwrap(v).unwrap_or_else(|v| v.as_ref().clone())),
            Repr::Device(a) => match a.context() {
                Some(ctx) => ctx.read(&a),
                None => Ok(Vec::new()),
            },
        }
    }

    /// Several columns' elements ([`Column::to_vec`] of each), the device columns of one device read
    /// back together: one submission and one wait rather than one each.
    pub(crate) fn to_vecs<const N: usize>(cols: [&Column<T>; N]) -> Result<[Vec<T>; N]> {
        let device: Vec<&GpuArray> = cols
            .iter()
            .filter_map(|c| match &c.repr {
                Repr::Device(a) if !a.segments.is_empty() => Some(a),
                _ => None,
            })
            .collect();
        let ctx = device.first().and_then(|a| a.context());
        let same = ctx.is_some_and(|ctx| device.iter().all(|a| a.context().is_some_and(|c| Arc::ptr_eq(c, ctx))));
        let mut read = match ctx {
            Some(ctx) if same => ctx.read_all::<T>(&device)?.into_iter(),
            _ => Vec::new().into_iter(),
        };
        let vecs: Vec<Vec<T>> = cols
            .iter()
            .map(|c| match &c.repr {
                Repr::Device(a) if same && !a.segments.is_empty() => {
                    // One result per device column, in order (`device` was collected the same way).
                    Ok(read.next().unwrap_or_default())
                }
                _ => c.to_vec(),
            })
            .collect::<Result<_>>()?;
        let mut vecs = vecs.into_iter();
        // `vecs` holds N vectors, one per column.
        Ok(std::array::from_fn(|_| vecs.next().unwrap_or_default()))
    }

    pub(crate) fn host(data: Vec<T>) -> Self {
        Column { repr: Repr::Host(Arc::new(data)) }
    }

    pub(crate) fn device(arr: GpuArray) -> Self {
        Column { repr: Repr::Device(arr) }
    }

    /// The data on the host: borrowed for a host column, read back for a device column.
    pub(crate) fn host_data(&self) -> Result<HostData<'_, T>> {
        self.repr.host_data()
    }

    /// The data on `ctx`: borrowed when it is there already, uploaded otherwise.
    pub(crate) fn device_data(&self, ctx: &Arc<GpuContext>) -> Result<DeviceData<'_>> {
        self.repr.device_data(ctx)
    }
}

impl<T: bytemuck::Pod> Repr<T> {
    /// The data on the host: borrowed when it is there, read back from the device otherwise.
    pub(crate) fn host_data(&self) -> Result<HostData<'_, T>> {
        match self {
            Repr::Host(v) => Ok(HostData::Borrowed(v.as_slice())),
            Repr::Device(a) => match a.context() {
                Some(ctx) => Ok(HostData::Owned(ctx.read(a)?)),
                None => Ok(HostData::Owned(Vec::new())),
            },
        }
    }

    /// The data on `ctx`: borrowed when it is there already, uploaded otherwise.
    pub(crate) fn device_data(&self, ctx: &Arc<GpuContext>) -> Result<DeviceData<'_>> {
        match self {
            Repr::Device(a) if a.len == 0 || a.context().is_some_and(|c| Arc::ptr_eq(c, ctx)) => {
                Ok(DeviceData::Borrowed(a))
            }
            _ => Ok(DeviceData::Owned(ctx.upload(&self.host_data()?)?)),
        }
    }
}

/// Host data, borrowed or read back.
pub(crate) enum HostData<'a, T> {
    Borrowed(&'a [T]),
    Owned(Vec<T>),
}

impl<T> Deref for HostData<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            HostData::Borrowed(s) => s,
            HostData::Owned(v) => v,
        }
    }
}

/// Device data, borrowed or uploaded.
pub(crate) enum DeviceData<'a> {
    Borrowed(&'a GpuArray),
    Owned(GpuArray),
}

impl Deref for DeviceData<'_> {
    type Target = GpuArray;
    fn deref(&self) -> &GpuArray {
        match self {
            DeviceData::Borrowed(a) => a,
            DeviceData::Owned(a) => a,
        }
    }
}

impl Engine {
    /// Copies `data` to where this engine computes (device buffers on a GPU engine).
    ///
    /// # Errors
    /// [`crate::Error::Gpu`] when the device cannot hold it.
    pub fn upload<T: Element>(&self, data: &[T]) -> Result<Column<T>> {
        match self.gpu() {
            Some(ctx) => Ok(Column::device(ctx.upload(data)?)),
            None => Ok(Column::host(data.to_vec())),
        }
    }
}
