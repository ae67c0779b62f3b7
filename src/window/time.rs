//! Time windows: window `i` covers timestamps in `[t0 + i*delta, t0 + i*delta + delta + ov)`, anchored at
//! the first row, in exact integer arithmetic on the timestamp's unit. Empty windows are emitted unless
//! asked otherwise, at most `max_windows` of them.

use std::time::Duration;

use arrow_schema::TimeUnit;

use super::buffer::Buffer;
use super::output::Window;
use super::pos::Pos;
use super::spec::{StepUnit, WindowSpec};
use crate::error::{Error, Result};
use crate::kernels::time::per_second;

/// `x` as `(numerator, log2 denominator)`, exactly (x finite and >= 0), as Python's
/// `float.as_integer_ratio` would give it.
fn ratio(x: f64) -> (u128, u32) {
    if x <= 0.0 {
        return (0, 0);
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    let (mant, e) = if exp == 0 { (frac, -1074) } else { (frac | (1 << 52), exp - 1075) };
    if e >= 0 {
        return (u128::from(mant) << e.min(64), 0);
    }
    let tz = (mant.trailing_zeros() as i32).min(-e);
    (u128::from(mant >> tz), (-e - tz) as u32)
}

/// `a / b` rounded half to even (Python's `_divide_and_round`), `b > 0`.
fn div_round_half_even(a: u128, b: u128) -> u128 {
    let (q, r) = (a / b, a % b);
    if 2 * r > b || (2 * r == b && q % 2 == 1) { q + 1 } else { q }
}

/// `v * x` rounded half to even, exactly (as Python's `timedelta * float`), `v >= 0`, `0 <= x <= 1`.
pub(crate) fn mul_ratio(v: u64, x: f64) -> u64 {
    let (num, shift) = ratio(x);
    if num == 0 {
        return 0;
    }
    if shift > 126 {
        return 0; // v * num < 2^117 <= 2^(shift - 1): below one half
    }
    // v < 2^64 and num < 2^53: the product fits in u128.
    div_round_half_even(u128::from(v) * num, 1u128 << shift).min(u128::from(u64::MAX)) as u64
}

/// Microseconds of `d`, rounded half to even (Python's timedelta resolution).
fn micros(d: Duration) -> u128 {
    div_round_half_even(d.as_nanos(), 1000)
}

const HOUR_US: u128 = 3_600_000_000;
const DAY_US: u128 = 86_400_000_000;

/// The step of time windows: `step_size` hours or days, or, when that is longer than `max_window_time`,
/// the pipeline's shorter step: m = mwt / (1 + r); whole hours of m if m < 24 h, else whole days (at
/// least one).
pub(crate) fn step_units(
    step_size: u64,
    days: bool,
    per_second: i64,
    ratio_r: f64,
    mwt: Option<Duration>,
) -> Result<u64> {
    let seconds: u128 = if days { 86_400 } else { 3_600 };
    let delta = u128::from(step_size) * seconds * per_second as u128;
    let too_long = || Error::LimitExceeded {
        what: format!("window step of {step_size} {} in timestamp units", if days { "days" } else { "hours" }),
        value: u64::try_from(delta).unwrap_or(u64::MAX),
        limit: i64::MAX as u64,
    };
    let Some(mwt) = mwt else {
        return u64::try_from(delta).ok().filter(|d| *d <= i64::MAX as u64).ok_or_else(too_long);
    };
    let delta_ns = delta * (1_000_000_000 / per_second as u128);
    if delta_ns <= mwt.as_nanos() {
        return u64::try_from(delta).ok().filter(|d| *d <= i64::MAX as u64).ok_or_else(too_long);
    }
    // m = mwt / (1 + r), in microseconds, as Python's timedelta / float rounds it.
    let (num, shift) = ratio(1.0 + ratio_r);
    let scaled = micros(mwt).checked_mul(1u128 << shift).ok_or_else(too_long)?;
    let m_us = div_round_half_even(scaled, num);
    let step_seconds: u128 =
        if m_us < DAY_US { (m_us / HOUR_US).max(1) * 3_600 } else { (m_us / DAY_US).max(1) * 86_400 };
    u64::try_from(step_seconds * per_second as u128).ok().filter(|d| *d <= i64::MAX as u64).ok_or_else(too_long)
}

/// The number of time windows `K = floor((max - t0) / delta) + 1`, or [`Error::LimitExceeded`] when it
/// passes `limit`.
pub(crate) fn window_count(t0: i64, tmax: i64, delta: u64, limit: u64) -> Result<u64> {
    let span = (i128::from(tmax) - i128::from(t0)) as u128;
    let k = span / u128::from(delta) + 1;
    if k > u128::from(limit) {
        return Err(Error::LimitExceeded {
            what: "number of time windows (the step is short for the history's span: raise max_windows, or skip \
                   the empty windows with skip_empty_windows)"
                .into(),
            value: u64::try_from(k).unwrap_or(u64::MAX),
            limit,
        });
    }
    Ok(k as u64)
}

/// `v` clamped to the i64 range.
pub(super) fn clamp(v: i128) -> i64 {
    v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// The parameters of time windows, in timestamp units.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Time {
    /// The step.
    pub delta: u64,
    /// The overlap: a window spans `delta + ov`.
    pub ov: u64,
    /// Leave out the windows without rows.
    pub skip_empty: bool,
    /// With empty windows, the most windows a partition may have.
    pub max_windows: u64,
}

impl Time {
    /// The time windows of `spec` for timestamps in `unit`.
    pub fn of(spec: &WindowSpec, unit: TimeUnit) -> Result<Time> {
        let ratio = spec.ratio();
        let delta = step_units(
            spec.step_size,
            spec.step_unit == StepUnit::Days,
            per_second(unit),
            ratio,
            spec.max_window_time,
        )?;
        Ok(Time {
            delta,
            ov: mul_ratio(delta, ratio),
            skip_empty: spec.skip_empty_windows,
            max_windows: spec.max_windows,
        })
    }

    /// Window `i`'s bounds `[lo, hi)`, unclamped; `None` before the first row.
    fn raw_bounds(self, pos: &Pos, i: u64) -> Option<(i128, i128)> {
        let lo = i128::from(pos.t0?) + i128::from(i) * i128::from(self.delta);
        Some((lo, lo + i128::from(self.delta) + i128::from(self.ov)))
    }

    /// The first row a window still to come can hold.
    pub fn needed_from(self, pos: &Pos, buf: &Buffer) -> u64 {
        match self.raw_bounds(pos, pos.next) {
            Some((lo, _)) => buf.first_ts(clamp(lo), pos.last_end, false).unwrap_or(buf.end),
            None => buf.end,
        }
    }

    /// The next window that is final, given the rows in `buf`; `ended` says no row will follow.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] when, with empty windows, the rows seen make more than `max_windows`.
    pub fn step(self, pos: &mut Pos, buf: &Buffer, ended: bool) -> Result<Option<Window>> {
        if buf.end == 0 {
            return Ok(None);
        }
        // The first row of the partition: buf still holds it.
        let t0 = *pos.t0.get_or_insert_with(|| buf.ts(0));
        if !self.skip_empty && pos.checked != buf.end {
            // The rows seen so far already make this many windows: refuse before emitting any of a gap.
            window_count(t0, buf.ts(buf.end - 1), self.delta, self.max_windows)?;
            pos.checked = buf.end;
        }
        loop {
            let Some((lo, hi)) = self.raw_bounds(pos, pos.next) else { return Ok(None) };
            let last = i128::from(buf.ts(buf.end - 1));
            // Window i exists when lo <= max(ts); it is final once a row at or past hi has been seen.
            if lo > last || (last < hi && !ended) {
                return Ok(None);
            }
            let (lo64, hi64) = (clamp(lo), clamp(hi));
            // Windows start at or after the last one's first row; over a gap, that row is already past
            // lo (and often past hi), so empty windows cost two lookups, not two searches.
            let from = pos.last_end.max(buf.base());
            let s = match from < buf.end && buf.ts(from) >= lo64 {
                true => from,
                false => buf.first_ts(lo64, from, false).unwrap_or(buf.end),
            };
            // A bound past i64::MAX reaches every later row, one at i64::MAX included.
            let e = if hi > i128::from(i64::MAX) {
                buf.end
            } else if s < buf.end && buf.ts(s) >= hi64 {
                s
            } else {
                buf.first_ts(hi64, s, false).unwrap_or(buf.end)
            };
            pos.last_end = s;
            if self.skip_empty && s == e {
                // Jump to the first window that reaches the next row: hi_i > t, i.e.
                // i > (t - t0 - delta - ov) / delta.
                if s >= buf.end {
                    // No row at or after lo: with the input ended there is none to reach.
                    return Ok(None);
                }
                let t = i128::from(buf.ts(s));
                let reach = t - i128::from(t0) - (hi - lo);
                let i = if reach < 0 { 0 } else { reach / i128::from(self.delta) + 1 };
                pos.next = u64::try_from(i).unwrap_or(u64::MAX).max(pos.next + 1);
                continue;
            }
            pos.next += 1;
            return Ok(Some(pos.window(buf, s, e, Some((lo64, hi64)))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: u64 = 3_600_000_000; // an hour in microseconds

    #[test]
    fn overlap_rounds_like_python() {
        assert_eq!(mul_ratio(H, 0.2), 720_000_000);
        assert_eq!(mul_ratio(3, 0.5), 2); // 1.5 -> 2 (half to even)
        assert_eq!(mul_ratio(5, 0.5), 2); // 2.5 -> 2
        assert_eq!(mul_ratio(7, 0.5), 4); // 3.5 -> 4
        assert_eq!(mul_ratio(10, 0.0), 0);
        assert_eq!(mul_ratio(u64::MAX, 1e-300), 0);
    }

    #[test]
    fn max_window_time_step_rule() {
        let h = |n: u64| Duration::from_secs(n * 3600);
        // days S=2, mwt 30 h, r=0.2: m = 25 h -> 1 day; mwt 20 h: m = 16.67 h -> 16 h.
        assert_eq!(step_units(2, true, 1_000_000, 0.2, Some(h(30))).unwrap(), 24 * H);
        assert_eq!(step_units(2, true, 1_000_000, 0.2, Some(h(20))).unwrap(), 16 * H);
        // hours S=5, mwt 2 h, r=0: 2 h.
        assert_eq!(step_units(5, false, 1_000_000, 0.0, Some(h(2))).unwrap(), 2 * H);
        // Not longer than mwt: unchanged.
        assert_eq!(step_units(2, false, 1_000_000, 0.2, Some(h(2))).unwrap(), 2 * H);
        // Less than an hour: one hour at least.
        assert_eq!(step_units(5, false, 1, 0.5, Some(Duration::from_secs(60))).unwrap(), 3600);
        assert!(step_units(u64::MAX, true, 1_000_000_000, 0.0, None).is_err());
    }

    /// The bounds of the windows of a history of `ts` (sorted) with step `delta` and overlap `ov`.
    fn bounds_of(ts: &[i64], delta: u64, ov: u64, limit: u64) -> Result<Vec<(i64, i64)>> {
        let rule = Time { delta, ov, skip_empty: false, max_windows: limit };
        let w = super::super::pos::run(ts, (0..=ts.len() as u64).collect(), |pos, buf| rule.step(pos, buf, true))?;
        Ok(w.iter().map(|w| (w.start_time, w.end_time)).collect())
    }

    #[test]
    fn bounds() {
        let lim = u64::MAX;
        assert_eq!(bounds_of(&[0, 9], 3, 1, lim).unwrap(), vec![(0, 4), (3, 7), (6, 10), (9, 13)]);
        assert_eq!(bounds_of(&[5, 5], 3, 0, lim).unwrap(), vec![(5, 8)]);
        assert_eq!(bounds_of(&[i64::MAX - 1, i64::MAX], 10, 5, lim).unwrap(), vec![(i64::MAX - 1, i64::MAX)]);
        assert!(bounds_of(&[i64::MIN, i64::MAX], 1, 0, 1 << 24).is_err());
        // Exactly at the limit, and one past it.
        assert_eq!(bounds_of(&[0, 9], 3, 1, 4).unwrap().len(), 4);
        assert!(matches!(bounds_of(&[0, 9], 3, 1, 3), Err(Error::LimitExceeded { value: 4, limit: 3, .. })));
    }
}
