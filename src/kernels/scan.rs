//! Prefix sums, inclusive or exclusive: of `u32` values as wrapping `u32` sums or widening `u64` sums,
//! and of `u64` values as wrapping `u64` sums ([`SumOf`] lists the pairs).
//!
//! [`prefix_sum`] takes any [`Values`] and gives back the same kind: a vector for a slice, an Arrow
//! array for an Arrow array (a null counts as 0 and stays null), a [`Column`] for a column (kept on
//! the device of a GPU engine). [`prefix_sum_into`] writes a caller's buffer instead.
//!
//! Any length is accepted: on a GPU, inputs larger than one storage binding are processed in segments
//! with the running total carried on the device.

use arrow_array::{PrimitiveArray, UInt32Array};

use crate::column::{Column, Element, HostData};
use crate::cpu;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::gpu::scan::{ScanSpec, scan_array, scan_slice, scan_slice_into};
use crate::kernels::values::{Computed, Values};

/// Whether element `i` of a prefix sum includes input `i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanKind {
    /// `out[i] = in[0] + ... + in[i]`.
    Inclusive,
    /// `out[i] = in[0] + ... + in[i-1]`, `out[0] = 0`.
    Exclusive,
}

/// How a GPU engine computes prefix sums (chosen with [`crate::EngineBuilder::scan_algorithm`]).
/// Results are identical; only the speed differs. The CPU backend ignores it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ScanAlgorithm {
    /// Reduce-then-scan: tile totals, their scan, then the tiles (three passes over the tile totals,
    /// two over the input).
    ReduceThenScan,
    /// Single-pass chained scan with decoupled fallback (Smith, Levien, Owens, SPAA 2025), the
    /// default, for every scan (`u32` and `u64` sums, `u32` and `u64` inputs): one dispatch per
    /// segment. Each tile of 8192 elements (4096 of u64; 256 lanes x 8 vec4, scanned in registers, one
    /// workgroup scan, in subgroup operations where the device has them) looks back over its
    /// predecessors' published sums and reduces a late predecessor from the input itself rather than
    /// wait. On lavapipe, wrapping `u32` sums ran about 4x faster than reduce-then-scan at 2^22 and
    /// 2^24 elements, `u32 -> u64` sums about 1.5x (docs/scan.md).
    #[default]
    SinglePass,
}

fn spec<O: Element>(kind: ScanKind) -> ScanSpec {
    ScanSpec { inclusive: kind == ScanKind::Inclusive, wide: O::WIDE }
}

pub(crate) mod sealed {
    use super::*;

    /// How sums of `T` into `Self` run on each backend.
    pub trait SumOf<T>: Element {
        /// Host values in, host values out (through the device on a GPU engine).
        fn scan_host(engine: &Engine, input: &[T], kind: ScanKind) -> Result<Vec<Self>>;
        /// Into a caller's buffer of the same length (checked by the caller).
        fn scan_into(engine: &Engine, input: &[T], out: &mut [Self], kind: ScanKind) -> Result<()>;
    }
}

/// The type `Self` of the prefix sums of `T` values: `u32` (wrapping) or `u64` (exact below 2^64)
/// for `u32` values, `u64` (wrapping) for `u64` values. Sealed.
pub trait SumOf<T>: sealed::SumOf<T> {}

impl<O: Element> sealed::SumOf<u32> for O {
    fn scan_host(engine: &Engine, input: &[u32], kind: ScanKind) -> Result<Vec<O>> {
        match engine.gpu() {
            Some(ctx) if !input.is_empty() => scan_slice(ctx, input, spec::<O>(kind)),
            _ => Ok(cpu::scan::scan::<O>(input, kind == ScanKind::Inclusive)),
        }
    }
    fn scan_into(engine: &Engine, input: &[u32], out: &mut [O], kind: ScanKind) -> Result<()> {
        match engine.gpu() {
            Some(ctx) if !input.is_empty() => scan_slice_into(ctx, input, out, spec::<O>(kind)),
            _ => {
                cpu::scan::scan_into(input, out, kind == ScanKind::Inclusive);
                Ok(())
            }
        }
    }
}
impl<O: Element> SumOf<u32> for O {}

impl sealed::SumOf<u64> for u64 {
    fn scan_host(engine: &Engine, input: &[u64], kind: ScanKind) -> Result<Vec<u64>> {
        match engine.gpu() {
            Some(ctx) if !input.is_empty() => ctx.read(&scan_array(ctx, &ctx.upload(input)?, spec::<u64>(kind))?),
            _ => Ok(cpu::scan::scan_u64(input, kind == ScanKind::Inclusive)),
        }
    }
    fn scan_into(engine: &Engine, input: &[u64], out: &mut [u64], kind: ScanKind) -> Result<()> {
        match engine.gpu() {
            Some(_) if !input.is_empty() => {
                out.copy_from_slice(&Self::scan_host(engine, input, kind)?);
                Ok(())
            }
            _ => {
                cpu::scan::scan_u64_into(input, out, kind == ScanKind::Inclusive);
                Ok(())
            }
        }
    }
}
impl SumOf<u64> for u64 {}

/// Prefix sums of `input` as `O` ([`SumOf`]): `u32` sums of `u32` values wrap at 2^32, `u64` sums of
/// `u32` values are exact (they wrap only past 2^64, which needs more than 2^32 inputs of `u32::MAX`),
/// `u64` sums of `u64` values wrap at 2^64.
///
/// `input` is a slice or vector (the sums come back as a `Vec<O>`), an Arrow array (an Arrow array
/// comes back; a null counts as 0 and stays null), or a [`Column`] (a column comes back, on a GPU
/// engine left on the device in one submission that this call does not wait for).
///
/// # Errors
/// [`crate::Error::Gpu`] when the device fails or runs out of memory.
///
/// # Example
/// ```
/// use arrow_array::{Array, UInt32Array};
/// use streamliner::{Engine, scan::{prefix_sum, ScanKind}};
/// let engine = Engine::from_env()?;
/// let wide: Vec<u64> = prefix_sum(&engine, &[u32::MAX, 2, 3], ScanKind::Inclusive)?;
/// assert_eq!(wide, vec![4294967295, 4294967297, 4294967300]);
/// let wrapped: Vec<u32> = prefix_sum(&engine, &[u32::MAX, 2, 3], ScanKind::Inclusive)?;
/// assert_eq!(wrapped, vec![u32::MAX, 1, 4]);
/// let big: Vec<u64> = prefix_sum(&engine, &[1u64 << 40, 5, 7], ScanKind::Exclusive)?;
/// assert_eq!(big, vec![0, 1 << 40, (1 << 40) + 5]);
///
/// let lengths = UInt32Array::from(vec![Some(5), None, Some(7)]);
/// let offsets = prefix_sum::<u64, _>(&engine, &lengths, ScanKind::Exclusive)?;
/// assert_eq!(offsets.values().as_ref(), &[0, 5, 5]);
/// assert!(offsets.is_null(1));
///
/// let column = engine.upload(&[3u32, 1, 4])?;
/// let on_device = prefix_sum::<u64, _>(&engine, &column, ScanKind::Inclusive)?;
/// assert_eq!(on_device.to_vec()?, vec![3, 4, 8]);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn prefix_sum<O, V>(engine: &Engine, input: &V, kind: ScanKind) -> Result<V::Output<O>>
where
    V: Values + ?Sized,
    O: SumOf<V::Item>,
    V::Item: Element,
{
    let source = input.source();
    let out = match engine.gpu() {
        Some(ctx) if source.is_column() => {
            Computed::Column(Column::device(scan_array(ctx, &*source.device_data(ctx)?, spec::<O>(kind))?))
        }
        _ => {
            let data = source.host_data()?;
            let data = match source.nulls() {
                None => data,
                Some(nulls) => HostData::Owned(
                    data.iter().zip(nulls.iter()).map(|(&v, ok)| if ok { v } else { V::Item::default() }).collect(),
                ),
            };
            Computed::Host(O::scan_host(engine, &data, kind)?)
        }
    };
    input.wrap(out)
}

/// Prefix sums of `input` written into `out`, a caller's buffer of the same length: repeated calls
/// reuse one buffer, so they pay no page faults for a fresh output. Sums as in [`prefix_sum`].
///
/// # Errors
/// [`Error::InvalidParameter`] when `out.len()` differs from `input.len()`; [`Error::Gpu`] when the
/// device fails or runs out of memory.
///
/// # Example
/// ```
/// use streamliner::{Engine, scan::{prefix_sum_into, ScanKind}};
/// let engine = Engine::from_env()?;
/// let mut out = vec![0u64; 3];
/// prefix_sum_into(&engine, &[u32::MAX, 2, 3], &mut out, ScanKind::Exclusive)?;
/// assert_eq!(out, vec![0, 4294967295, 4294967297]);
/// let mut wrapped = [0u64; 3];
/// prefix_sum_into(&engine, &[u64::MAX, 2, 3], &mut wrapped, ScanKind::Inclusive)?;
/// assert_eq!(wrapped, [u64::MAX, 1, 4]);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn prefix_sum_into<T, O: SumOf<T>>(engine: &Engine, input: &[T], out: &mut [O], kind: ScanKind) -> Result<()> {
    same_length(input.len(), out.len())?;
    O::scan_into(engine, input, out, kind)
}

fn same_length(input: usize, out: usize) -> Result<()> {
    if input == out {
        Ok(())
    } else {
        Err(Error::invalid("output length", out, format!("must equal the input's {input} elements")))
    }
}

/// Former name of [`prefix_sum`] for Arrow arrays.
///
/// # Errors
/// As [`prefix_sum`].
#[doc(hidden)]
pub fn prefix_sum_array<O: Element>(
    engine: &Engine,
    input: &UInt32Array,
    kind: ScanKind,
) -> Result<PrimitiveArray<O::Arrow>> {
    prefix_sum::<O, _>(engine, input, kind)
}

/// Former name of [`prefix_sum`] for columns.
///
/// # Errors
/// As [`prefix_sum`].
#[doc(hidden)]
pub fn prefix_sum_column<O: Element>(engine: &Engine, input: &Column<u32>, kind: ScanKind) -> Result<Column<O>> {
    prefix_sum::<O, _>(engine, input, kind)
}

/// Former name of [`prefix_sum`] for `u64` values.
///
/// # Errors
/// As [`prefix_sum`].
#[doc(hidden)]
pub fn prefix_sum_u64(engine: &Engine, input: &[u64], kind: ScanKind) -> Result<Vec<u64>> {
    prefix_sum::<u64, _>(engine, input, kind)
}

/// Former name of [`prefix_sum_into`] for `u64` values.
///
/// # Errors
/// As [`prefix_sum_into`].
#[doc(hidden)]
pub fn prefix_sum_u64_into(engine: &Engine, input: &[u64], out: &mut [u64], kind: ScanKind) -> Result<()> {
    prefix_sum_into(engine, input, out, kind)
}

/// Former name of [`prefix_sum`] for `u64` columns.
///
/// # Errors
/// As [`prefix_sum`].
#[doc(hidden)]
pub fn prefix_sum_u64_column(engine: &Engine, input: &Column<u64>, kind: ScanKind) -> Result<Column<u64>> {
    prefix_sum::<u64, _>(engine, input, kind)
}
