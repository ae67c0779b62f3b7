//! [`Values`]: what a kernel entry takes as "values of `T`", and what it gives back.
//!
//! Each operation of [`reduce`](crate::reduce), [`scan`](crate::scan), [`search`](crate::search) and
//! [`compact`](crate::compact) has one public entry, generic over its input. The input is any of
//!
//! | input (`&V`)                     | `V::Item`   | a per-row result of `O` comes back as             |
//! |----------------------------------|-------------|---------------------------------------------------|
//! | `&[T]`, `&[T; N]`, `&Vec<T>`, `&ScalarBuffer<T>`, `&Cow<[T]>` | `T` | `Vec<O>`                      |
//! | `&PrimitiveArray<A>`             | `A::Native` | `PrimitiveArray<O::Arrow>`, with the input's nulls |
//! | `&`[`Column<T>`]                 | `T`         | [`Column<O>`], left where the engine computes      |
//!
//! so the output follows the input: host values give host values, an Arrow array gives an Arrow array,
//! a column stays on the device of a GPU engine (no read back). How each family treats an Arrow
//! array's nulls is in its docs: reductions skip them, prefix sums count them as 0 and keep them null,
//! searches give a null position for a null query and refuse a null in the haystack.
//!
//! This follows arrow-rs's `arrow::compute`, whose kernels take `&dyn Array` or a `Datum` rather than
//! one function per container; here the dispatch is static (a trait with an associated output type),
//! so a slice never pays for an Arrow wrapper and a column never leaves the device.
//!
//! ```
//! use arrow_array::UInt32Array;
//! use streamliner::{Engine, reduce, scan::{prefix_sum, ScanKind}};
//! let engine = Engine::from_env()?;
//! let host = vec![3u32, 1, 4];
//! let array = UInt32Array::from(host.clone());
//! let column = engine.upload(&host)?;
//! // One entry, three inputs, three outputs of the matching kind.
//! let v: Vec<u64> = prefix_sum(&engine, &host, ScanKind::Inclusive)?;
//! let a = prefix_sum::<u64, _>(&engine, &array, ScanKind::Inclusive)?;
//! let c = prefix_sum::<u64, _>(&engine, &column, ScanKind::Inclusive)?;
//! assert_eq!(v, vec![3, 4, 8]);
//! assert_eq!(a.values().as_ref(), &[3, 4, 8]);
//! assert_eq!(c.to_vec()?, vec![3, 4, 8]);
//! assert_eq!(reduce::sum(&engine, &column)?, reduce::sum(&engine, &array)?);
//! # Ok::<(), streamliner::Error>(())
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::{Array, ArrowPrimitiveType, PrimitiveArray};
use arrow_buffer::{ArrowNativeType, NullBuffer, ScalarBuffer};

use crate::column::{Column, DeviceData, Element, HostData};
use crate::error::{Error, Result};
use crate::gpu::GpuContext;

pub(crate) mod sealed {
    use arrow_buffer::NullBuffer;

    use crate::column::{Column, Element, Repr};

    /// Where the values are, as a kernel entry sees them.
    pub enum Source<'a, T> {
        /// Values on the host, with an Arrow array's validity (`None`: all valid).
        Host(&'a [T], Option<&'a NullBuffer>),
        /// A column's data, on the host or on a device.
        Column(ColumnRef<'a, T>),
    }

    /// A column's data (opaque outside the crate).
    pub struct ColumnRef<'a, T>(pub(crate) &'a Repr<T>);

    /// A kernel's per-row result, before it takes the input's shape.
    pub enum Computed<O: Element> {
        /// Computed on (or read back to) the host.
        Host(Vec<O>),
        /// Left where the engine computes.
        Column(Column<O>),
    }

    /// Keeps [`super::Values`] to this crate's implementations.
    pub trait Sealed {}
}

pub(crate) use sealed::{Computed, Source};

/// Values of one element type that a kernel entry takes: a slice, an array or vector, an Arrow
/// `PrimitiveArray`, or a [`Column`] (see the [module docs](self) for the table). Sealed: implemented
/// by this crate only.
pub trait Values: sealed::Sealed {
    /// The element type (`u32`, `u64`, or `i64` for searches of timestamps).
    type Item: Copy;
    /// What a result with one `O` per input row comes back as.
    type Output<O: Element>;

    /// The values, borrowed.
    #[doc(hidden)]
    fn source(&self) -> Source<'_, Self::Item>;

    /// Shapes a result like the input (nulls of an Arrow array kept).
    #[doc(hidden)]
    fn wrap<O: Element>(&self, out: Computed<O>) -> Result<Self::Output<O>>;
}

fn host<O: Element>(out: Computed<O>) -> Result<Vec<O>> {
    match out {
        Computed::Host(v) => Ok(v),
        Computed::Column(c) => c.to_vec(),
    }
}

/// `Values` of a host container: its values with no validity, results as a `Vec`.
macro_rules! host_values {
    ([$($generics:tt)*] $container:ty) => {
        impl<$($generics)*> sealed::Sealed for $container {}
        impl<$($generics)*> Values for $container {
            type Item = T;
            fn source(&self) -> Source<'_, T> {
                Source::Host(self, None)
            }
            type Output<O: Element> = Vec<O>;
            fn wrap<O: Element>(&self, out: Computed<O>) -> Result<Vec<O>> {
                host(out)
            }
        }
    };
}

host_values!([T: Copy] [T]);
host_values!([T: Copy, const N: usize] [T; N]);
host_values!([T: Copy] Vec<T>);
host_values!([T: ArrowNativeType] ScalarBuffer<T>);
host_values!([T: Copy] Cow<'_, [T]>);

impl<A: ArrowPrimitiveType> sealed::Sealed for PrimitiveArray<A> {}
impl<A: ArrowPrimitiveType> Values for PrimitiveArray<A> {
    type Item = A::Native;
    fn source(&self) -> Source<'_, A::Native> {
        Source::Host(self.values(), self.nulls().filter(|n| n.null_count() > 0))
    }
    type Output<O: Element> = PrimitiveArray<O::Arrow>;
    fn wrap<O: Element>(&self, out: Computed<O>) -> Result<PrimitiveArray<O::Arrow>> {
        PrimitiveArray::try_new(host(out)?.into(), self.nulls().cloned())
            .map_err(|e| Error::invalid("output", "array", e.to_string()))
    }
}

impl<T: Element> sealed::Sealed for Column<T> {}
impl<T: Element> Values for Column<T> {
    type Item = T;
    fn source(&self) -> Source<'_, T> {
        Source::Column(sealed::ColumnRef(&self.repr))
    }
    type Output<O: Element> = Column<O>;
    fn wrap<O: Element>(&self, out: Computed<O>) -> Result<Column<O>> {
        Ok(match out {
            Computed::Host(v) => Column::host(v),
            Computed::Column(c) => c,
        })
    }
}

impl<V: Values + ?Sized> sealed::Sealed for &V {}
impl<V: Values + ?Sized> Values for &V {
    type Item = V::Item;
    fn source(&self) -> Source<'_, V::Item> {
        (**self).source()
    }
    type Output<O: Element> = V::Output<O>;
    fn wrap<O: Element>(&self, out: Computed<O>) -> Result<V::Output<O>> {
        (**self).wrap(out)
    }
}

impl<'a, T: bytemuck::Pod> Source<'a, T> {
    /// The values on the host: borrowed, or read back from a device column.
    pub(crate) fn host_data(&self) -> Result<HostData<'a, T>> {
        match *self {
            Source::Host(v, _) => Ok(HostData::Borrowed(v)),
            Source::Column(sealed::ColumnRef(r)) => r.host_data(),
        }
    }

    /// An Arrow array's validity, when it has a null.
    pub(crate) fn nulls(&self) -> Option<&'a NullBuffer> {
        match *self {
            Source::Host(_, nulls) => nulls,
            Source::Column(_) => None,
        }
    }

    /// Whether the values are a column (whose result stays where the engine computes).
    pub(crate) fn is_column(&self) -> bool {
        matches!(self, Source::Column(_))
    }

    /// The valid values on the host (a copy only when there are nulls).
    pub(crate) fn valid_values(&self) -> Result<HostData<'a, T>> {
        match (self.host_data()?, self.nulls()) {
            (data, None) => Ok(data),
            (data, Some(nulls)) => {
                Ok(HostData::Owned(data.iter().zip(nulls.iter()).filter(|(_, ok)| *ok).map(|(&v, _)| v).collect()))
            }
        }
    }

    /// The values on `ctx`: borrowed from a column already there, uploaded otherwise.
    pub(crate) fn device_data(&self, ctx: &Arc<GpuContext>) -> Result<DeviceData<'a>> {
        match *self {
            Source::Host(v, _) => Ok(DeviceData::Owned(ctx.upload(v)?)),
            Source::Column(sealed::ColumnRef(r)) => r.device_data(ctx),
        }
    }
}
