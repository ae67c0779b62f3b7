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
use crate::kernels::search::{Bound, Check, search_sorted_column};

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

fn values<T: ArrowPrimitiveType<Native = i64>>(a: &dyn Array) -> Option<&[i64]> {
    a.as_any().downcast_ref::<PrimitiveArray<T>>().map(|p| p.values().as_ref())
}

/// The values and unit of a timestamp array.
pub(crate) fn timestamps(a: &dyn Array) -> Result<(&[i64], TimeUnit)> {
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
/// [`Error::Gpu`] when the device fails.
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

/// The UTC calendar date of each timestamp (nulls stay null). On a GPU, a batched search among the
/// midnights the data spans.
///
/// # Errors
/// [`Error::InvalidParameter`] for a column that is not a timestamp, or one spanning more than
/// 100 million days; [`Error::Gpu`] when the device fails.
pub fn utc_dates(engine: &Engine, ts: &dyn Array) -> Result<Date32Array> {
    let (values, unit) = timestamps(ts)?;
    let per_day = 86_400 * per_second(unit);
    let valid: Vec<i64> = (0..values.len()).filter(|&i| ts.is_valid(i)).map(|i| values[i]).collect();
    let days: Vec<i64> = match (engine.gpu(), valid.iter().min(), valid.iter().max()) {
        (Some(_), Some(&lo), Some(&hi)) => {
            let (first, last) = (lo.div_euclid(per_day), hi.div_euclid(per_day));
            if last - first > 100_000_000 {
                return Err(Error::invalid("timestamp range", format!("{} days", last - first), "is too long to date"));
            }
            // Midnights after the first day; a row's date is the first day plus the midnights it passed.
            let midnights: Vec<u64> = (first + 1..=last).map(|d| ordered(d * per_day)).collect();
            let t = engine.upload(&values.iter().map(|&v| ordered(v.clamp(lo, hi))).collect::<Vec<u64>>())?;
            let passed = search_sorted_column(engine, &engine.upload(&midnights)?, &t, Bound::Upper, Check::Trust)?;
            passed.to_vec()?.into_iter().map(|p| first + p as i64).collect()
        }
        _ => cpu::time::utc_days(values, per_day),
    };
    let days: Result<Vec<i32>> = days
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            if ts.is_valid(i) {
                i32::try_from(d).map_err(|_| Error::invalid("date", d, "out of Date32's range"))
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
    let k = search_sorted_column(engine, &engine.upload(&switch)?, local, Bound::Upper, Check::Trust)?;
    let off = ew::gather(engine, &engine.upload(&offsets)?, &k)?;
    ew::wrapping_sub(engine, local, &off)
}
