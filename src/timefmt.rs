//! Timestamps and dates as text: RFC 3339 in UTC with microseconds, for every `i64` of every unit. The
//! writers format cells with it, and errors that quote a time (rows out of order) name it the same way.

use arrow_schema::TimeUnit;

/// A timestamp as RFC 3339 in UTC with microseconds, e.g. `2024-03-01T08:00:00.000000Z`, for every `i64` of
/// every unit (nanoseconds are cut to the microsecond below).
///
/// Years 0 to 9999 take four digits, as RFC 3339 has them. Years outside RFC 3339's range (any `i64` reaches
/// years from about -292 billion to +292 billion in seconds) are written as ISO 8601 expanded years: a sign
/// and at least four digits, `-0001-12-31T00:00:00.000000Z` for the year before year 0 and
/// `+10000-01-01T00:00:00.000000Z` after 9999. Years are astronomical (proleptic Gregorian, year 0 is 1 BC).
///
/// # Example
/// ```
/// use arrow_schema::TimeUnit;
/// use streamliner::io::format_timestamp;
/// assert_eq!(format_timestamp(1_709_280_000, TimeUnit::Second), "2024-03-01T08:00:00.000000Z");
/// assert_eq!(format_timestamp(-62_167_219_201, TimeUnit::Second), "-0001-12-31T23:59:59.000000Z");
/// assert_eq!(format_timestamp(253_402_300_800, TimeUnit::Second), "+10000-01-01T00:00:00.000000Z");
/// ```
pub fn format_timestamp(value: i64, unit: TimeUnit) -> String {
    let micros = match unit {
        TimeUnit::Second => i128::from(value) * 1_000_000,
        TimeUnit::Millisecond => i128::from(value) * 1_000,
        TimeUnit::Microsecond => i128::from(value),
        TimeUnit::Nanosecond => i128::from(value).div_euclid(1_000),
    };
    if let Some(text) = i64::try_from(micros).ok().and_then(rfc3339_micros) {
        return text;
    }
    const DAY: i128 = 86_400_000_000;
    // |micros| < 2^63 * 10^6, so the day count is below 2^47 and fits an i64 (the cast cannot truncate).
    let (days, in_day) = (micros.div_euclid(DAY) as i64, micros.rem_euclid(DAY) as i64);
    let (year, month, day) = civil_from_days(days);
    let (secs, frac) = (in_day / 1_000_000, in_day % 1_000_000);
    format!(
        "{}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        expanded_year(year),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// A year as four digits for 0 to 9999, else as an ISO 8601 expanded year: a sign and at least four digits.
fn expanded_year(year: i64) -> String {
    match year {
        0..=9999 => format!("{year:04}"),
        y if y < 0 => format!("-{:04}", y.unsigned_abs()),
        y => format!("+{y:04}"),
    }
}

/// A Date32 (days since 1970-01-01) as `YYYY-MM-DD`, with the years of [`format_timestamp`].
pub(crate) fn format_date(days: i32) -> String {
    let (year, month, day) = civil_from_days(i64::from(days));
    format!("{}-{month:02}-{day:02}", expanded_year(year))
}

/// The proleptic Gregorian date of `days` since 1970-01-01 (the "days from civil" inverse of Howard
/// Hinnant's date algorithms).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `micros` as `YYYY-MM-DDTHH:MM:SS.ffffffZ` for years 0 to 9999 (the fast path of the writers, which
/// format a timestamp per cell); `None` outside them.
fn rfc3339_micros(micros: i64) -> Option<String> {
    const DAY: i64 = 86_400_000_000;
    let (days, in_day) = (micros.div_euclid(DAY), micros.rem_euclid(DAY));
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let (secs, frac) = (in_day / 1_000_000, in_day % 1_000_000);
    let mut out = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, width: usize, mut v: i64| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, i64::from(month));
    put(8, 2, i64::from(day));
    put(11, 2, secs / 3600);
    put(14, 2, secs / 60 % 60);
    put(17, 2, secs % 60);
    put(20, 6, frac);
    // Only ASCII digits and separators were written.
    String::from_utf8(out.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 10^5 instants in `lo..hi` from a xorshift generator seeded with `seed`.
    fn random_micros(seed: u64, lo: i64, hi: i64) -> Vec<i64> {
        let mut x = seed;
        (0..100_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                lo + (x % (hi - lo) as u64) as i64
            })
            .collect()
    }

    #[test]
    fn fast_timestamps_equal_jiff() {
        let jiff = |m: i64| {
            jiff::Timestamp::from_microsecond(m)
                .map_err(|e| format!("{m}: {e}"))
                .unwrap()
                .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
                .to_string()
        };
        // Year 0 to jiff's last instant (9999-12-30T22:00Z); the fast path goes on to the end of 9999.
        let lo = -62_167_219_200_000_000i64;
        let hi = 253_402_207_200_000_000i64;
        let mut values = vec![0, -1, 1, lo, hi, 951_782_400_000_000, 1_709_280_000_123_456];
        values.extend(random_micros(0x9E37_79B9_7F4A_7C15, lo, hi));
        for v in values {
            assert_eq!(rfc3339_micros(v).unwrap(), jiff(v), "{v}");
        }
        assert_eq!(rfc3339_micros(lo - 1), None);
        assert_eq!(rfc3339_micros(253_402_300_799_999_999).as_deref(), Some("9999-12-31T23:59:59.999999Z"));
        assert_eq!(rfc3339_micros(253_402_300_800_000_000), None);
    }

    /// Every i64 of every unit prints a date, years outside RFC 3339's as ISO 8601 expanded years, and years
    /// before 1 with four digits; the calendar is checked against jiff over jiff's whole range (years -9999
    /// to 9999), and the extremes by hand.
    #[test]
    fn every_timestamp_prints_a_date() {
        use jiff::tz::TimeZone;
        let by_jiff = |m: i64| {
            let dt = TimeZone::UTC.to_datetime(jiff::Timestamp::from_microsecond(m).unwrap());
            format!(
                "{}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                expanded_year(i64::from(dt.year())),
                dt.month(),
                dt.day(),
                dt.hour(),
                dt.minute(),
                dt.second(),
                dt.subsec_nanosecond() / 1000
            )
        };
        // The range of jiff's `Timestamp::from_microsecond` (years -9999 to 9999).
        let (lo, hi) = (-377_705_023_201_000_000i64, 253_402_207_200_000_000i64);
        let mut values = vec![lo, hi, -62_167_219_200_000_001, -62_167_219_200_000_000, -1, 0];
        values.extend(random_micros(0x2545_F491_4F6C_DD1D, lo, hi));
        for v in values {
            assert_eq!(format_timestamp(v, TimeUnit::Microsecond), by_jiff(v), "{v}");
        }
        assert_eq!(format_timestamp(-62_167_219_201, TimeUnit::Second), "-0001-12-31T23:59:59.000000Z");
        assert_eq!(format_timestamp(253_402_300_800, TimeUnit::Second), "+10000-01-01T00:00:00.000000Z");
        assert_eq!(format_timestamp(i64::MAX, TimeUnit::Nanosecond), "2262-04-11T23:47:16.854775Z");
        assert_eq!(format_timestamp(i64::MIN, TimeUnit::Nanosecond), "1677-09-21T00:12:43.145224Z");
        assert_eq!(format_timestamp(i64::MAX, TimeUnit::Microsecond), "+294247-01-10T04:00:54.775807Z");
        assert_eq!(format_timestamp(i64::MIN, TimeUnit::Microsecond), "-290308-12-21T19:59:05.224192Z");
        assert_eq!(format_timestamp(i64::MAX, TimeUnit::Second), "+292277026596-12-04T15:30:07.000000Z");
        assert_eq!(format_timestamp(i64::MIN, TimeUnit::Second), "-292277022657-01-27T08:29:52.000000Z");
        for unit in [TimeUnit::Second, TimeUnit::Millisecond, TimeUnit::Microsecond, TimeUnit::Nanosecond] {
            for v in [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX] {
                let text = format_timestamp(v, unit);
                assert!(!text.contains("range") && text.ends_with('Z'), "{v} {unit:?}: {text}");
            }
        }
        assert_eq!(format_date(-719_529), "-0001-12-31");
        assert_eq!(format_date(i32::MIN), "-5877641-06-23");
        assert_eq!(format_date(i32::MAX), "+5881580-07-11");
    }
}
