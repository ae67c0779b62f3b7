//! Timestamp columns: wall-clock times in an IANA zone to UTC (DST-aware), and UTC calendar dates.
//!
//! The zone's transitions over the data's range come from the time zone database (the `jiff` crate,
//! with its bundled copy of the IANA database) as a small table; each row is then one batched search
//! in it, a gather of the offset and a subtraction, on the device. The rule for wall-clock times that
//! do not exist (a gap) or exist twice (a fold) is Python's zoneinfo with `fold=0`: a time in a gap
//! takes the offset before the transition (so it lands after the gap, moved forward by its length),
//! and a time in a fold takes its first occurrence.

use std::sync::Arc;

use arrow_array::types::{
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, Date32Array, PrimitiveArray};
use arrow_schema::{DataType, TimeUnit};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::column::Column;
use crate::cpu;
use crate::cpu::time::ZoneTable;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::kernels::elementwise as ew;
use crate::kernels::search::{Bound, Check, search_sorted};

/// Units of `unit` in one second.
pub(crate) fn per_second(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    }
}

/// An i64 as an order-preserving u64 (the sign bit flipped).
pub(crate) fn ordered(t: i64) -> u64 {
    (t as u64) ^ (1 << 63)
}

fn values<T: ArrowPrimitiveType<Native = i64>>(a: &dyn Array) -> Option<&arrow_buffer::ScalarBuffer<i64>> {
    a.as_any().downcast_ref::<PrimitiveArray<T>>().map(|p| p.values())
}

/// The values (zero-copy) and unit of a timestamp array.
fn timestamp_buffer(a: &dyn Array) -> Result<(&arrow_buffer::ScalarBuffer<i64>, TimeUnit)> {
    let bad = || Error::invalid("timestamp column type", a.data_type(), "expected an Arrow timestamp (any unit)");
    let DataType::Timestamp(unit, _) = a.data_type() else { return Err(bad()) };
    let v = match unit {
        TimeUnit::Second => values::<TimestampSecondType>(a),
        TimeUnit::Millisecond => values::<TimestampMillisecondType>(a),
        TimeUnit::Microsecond => values::<TimestampMicrosecondType>(a),
        TimeUnit::Nanosecond => values::<TimestampNanosecondType>(a),
    };
    v.map(|v| (v, *unit)).ok_or_else(bad)
}

/// The values and unit of a timestamp array.
pub(crate) fn timestamps(a: &dyn Array) -> Result<(&[i64], TimeUnit)> {
    timestamp_buffer(a).map(|(v, unit)| (v.as_ref(), unit))
}

/// The values and unit of a timestamp array, as a buffer that shares the array's memory.
pub(crate) fn timestamp_values(a: &dyn Array) -> Result<(arrow_buffer::ScalarBuffer<i64>, TimeUnit)> {
    timestamp_buffer(a).map(|(v, unit)| (v.clone(), unit))
}

/// A timestamp array of `unit` and zone `tz` from values and a null mask.
pub(crate) fn timestamp_array(
    values: Vec<i64>,
    unit: TimeUnit,
    tz: Option<Arc<str>>,
    nulls: Option<arrow_buffer::NullBuffer>,
) -> ArrayRef {
    use arrow_array::{
        TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray,
    };
    match unit {
        TimeUnit::Second => Arc::new(TimestampSecondArray::new(values.into(), nulls).with_timezone_opt(tz)),
        TimeUnit::Millisecond => Arc::new(TimestampMillisecondArray::new(values.into(), nulls).with_timezone_opt(tz)),
        TimeUnit::Microsecond => Arc::new(TimestampMicrosecondArray::new(values.into(), nulls).with_timezone_opt(tz)),
        TimeUnit::Nanosecond => Arc::new(TimestampNanosecondArray::new(values.into(), nulls).with_timezone_opt(tz)),
    }
}

/// The transition table of `zone` covering wall-clock times `lo..=hi` (in `unit`s).
pub(crate) fn zone_table(zone: &str, unit: TimeUnit, lo: i64, hi: i64) -> Result<ZoneTable> {
    let tz = TimeZone::get(zone).map_err(|e| Error::invalid("time zone", zone, e.to_string()))?;
    let ps = per_second(unit);
    // Two days of margin on each side cover every offset there is.
    let margin = 2 * 86_400;
    let clamp = |s: i64| s.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    let start = Timestamp::from_second(clamp(lo.div_euclid(ps).saturating_sub(margin)))
        .map_err(|e| Error::invalid("timestamp", lo, e.to_string()))?;
    let end = clamp(hi.div_euclid(ps).saturating_add(margin));
    let mut current = i64::from(tz.to_offset(start).seconds());
    let mut table = ZoneTable { switch: Vec::new(), offsets: vec![current * ps] };
    for t in tz.following(start) {
        let at = t.timestamp().as_second();
        if at > end {
            break;
        }
        let after = i64::from(t.offset().seconds());
        table.switch.push((at + current.max(after)).saturating_mul(ps));
        table.offsets.push(after * ps);
        current = after;
    }
    Ok(table)
}

/// Wall-clock timestamps in `zone` (an array of any timestamp unit, read as local times whatever zone
/// it is labelled with) to UTC: the same unit, labelled `UTC`. Nulls stay null.
///
/// # Errors
/// [`Error::InvalidParameter`] for an unknown zone or a column that is not a timestamp;
/// [`Error::InvalidParameter`] naming the first row whose UTC time falls outside `i64` (a local time within
/// the zone's offset of `i64::MIN` or `i64::MAX`), on every backend; [`Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use arrow_array::{Array, TimestampMicrosecondArray};
/// use streamliner::{Engine, time::local_to_utc};
/// let engine = Engine::from_env()?;
/// // 2024-03-10 02:30 does not exist in New York (clocks jump from 02:00 to 03:00): it becomes 07:30 UTC.
/// let local = TimestampMicrosecondArray::from(vec![1_710_037_800_000_000]);
/// let utc = local_to_utc(&engine, &local, "America/New_York")?;
/// let utc = utc.as_any().downcast_ref::<TimestampMicrosecondArray>().unwrap();
/// assert_eq!(utc.value(0), 1_710_055_800_000_000);
/// // A local time too close to the end of i64 has no UTC time in i64: an error, not a wrapped value.
/// let edge = TimestampMicrosecondArray::from(vec![i64::MAX - 1]);
/// assert!(local_to_utc(&engine, &edge, "America/New_York").is_err());
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn local_to_utc(engine: &Engine, local: &dyn Array, zone: &str) -> Result<ArrayRef> {
    let (values, unit) = timestamps(local)?;
    let valid = |i: usize| local.is_valid(i);
    let range = (0..values.len()).filter(|&i| valid(i)).map(|i| values[i]);
    let (lo, hi) = range.clone().fold((i64::MAX, i64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let utc = if lo > hi {
        values.to_vec()
    } else {
        let table = zone_table(zone, unit, lo, hi)?;
        check_utc_range(local, values, unit, &table)?;
        match engine.gpu() {
            None => cpu::time::local_to_utc(values, &table),
            Some(_) => {
                let l = engine.upload(&values.iter().map(|&v| ordered(v)).collect::<Vec<u64>>())?;
                let utc = local_to_utc_column(engine, &l, &table)?.to_vec()?;
                utc.into_iter().map(|u| (u ^ (1 << 63)) as i64).collect()
            }
        }
    };
    Ok(timestamp_array(utc, unit, Some("UTC".into()), local.nulls().cloned()))
}

/// An error for the first valid row whose UTC time (`local - offset`) falls outside `i64`. Only rows within
/// the table's largest offset of either end of `i64` can, so the check costs nothing for ordinary data.
fn check_utc_range(local: &dyn Array, values: &[i64], unit: TimeUnit, table: &ZoneTable) -> Result<()> {
    let reach = table.offsets.iter().map(|o| o.unsigned_abs()).max().unwrap_or(0);
    let near_end = |v: i64| v.unsigned_abs() > (i64::MAX as u64).saturating_sub(reach);
    for (row, &v) in values.iter().enumerate() {
        if local.is_valid(row) && near_end(v) && v.checked_sub(table.offset(v)).is_none() {
            let off = table.offset(v);
            return Err(Error::invalid(
                "local time",
                format!("{v} {unit:?}s since the epoch at row {row}"),
                format!(
                    "its UTC time ({v} minus the zone's offset of {off}) is beyond the limit of i64 ({}..={})",
                    i64::MIN,
                    i64::MAX
                ),
            ));
        }
    }
    Ok(())
}

/// The UTC calendar date of each timestamp (nulls stay null): floor division by the day's length, on the
/// device in emulated 64-bit arithmetic, the same on every backend for every `i64` of every unit.
///
/// # Errors
/// [`Error::InvalidParameter`] for a column that is not a timestamp, or a date beyond Date32's range
/// (naming the row); [`Error::Gpu`] when the device fails.
pub fn utc_dates(engine: &Engine, ts: &dyn Array) -> Result<Date32Array> {
    let (values, unit) = timestamps(ts)?;
    let per_day = 86_400 * per_second(unit);
    let days: Vec<i64> = match engine.gpu() {
        Some(_) if !values.is_empty() => {
            let t = engine.upload(&values.iter().map(|&v| v as u64).collect::<Vec<u64>>())?;
            let days = ew::floor_div_signed_scalar(engine, &t, per_day as u64)?;
            days.to_vec()?.into_iter().map(|d| d as i64).collect()
        }
        _ => cpu::time::utc_days(values, per_day),
    };
    let days: Result<Vec<i32>> = days
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            if ts.is_valid(i) {
                i32::try_from(d).map_err(|_| {
                    Error::invalid("date", format!("{d} days since 1970-01-01 (row {i})"), "out of Date32's range")
                })
            } else {
                Ok(0)
            }
        })
        .collect();
    Ok(Date32Array::new(days?.into(), ts.nulls().cloned()))
}

/// UTC times (order-preserving u64) of local times (the same), kept where the column is: an upper bound
/// among the switch times gives the offset to subtract.
pub(crate) fn local_to_utc_column(engine: &Engine, local: &Column<u64>, table: &ZoneTable) -> Result<Column<u64>> {
    let switch: Vec<u64> = table.switch.iter().map(|&s| ordered(s)).collect();
    let offsets: Vec<u64> = table.offsets.iter().map(|&o| o as u64).collect();
    let k = search_sorted(engine, &engine.upload(&switch)?, local, Bound::Upper, Check::Trust)?;
    let off = ew::gather(engine, &engine.upload(&offsets)?, &k)?;
    ew::wrapping_sub(engine, local, &off)
}
