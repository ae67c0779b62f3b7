//! The message table's `attrs` column, written straight into one byte buffer: DuckDB's JSON text of
//! `{original_line, tagged_line: null, message_date}` as the existing pipeline writes it.

use crate::pystr::is_py_space;

/// (year, month, day) of days since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Appends `v` as exactly `width` decimal digits (`v < 10^width`, `width <= 8`).
fn push_digits(out: &mut String, v: u64, width: usize) {
    let mut digits = [b'0'; 8];
    let mut v = v;
    for d in digits[..width].iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    for &d in &digits[..width] {
        out.push(char::from(d));
    }
}

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Appends Python's `str()` of a UTC datetime: `2023-12-31 21:41:00+00:00`, with `.ffffff` when the
/// microseconds are not 0. Years outside 0..=9999 as jiff prints them, and a time outside jiff's range as
/// its number.
pub(super) fn push_python_utc(out: &mut String, micros: i64) {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let of_day = micros.rem_euclid(MICROS_PER_DAY) as u64;
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        out.push_str(&python_utc_slow(micros));
        return;
    }
    push_digits(out, year as u64, 4);
    out.push('-');
    push_digits(out, u64::from(month), 2);
    out.push('-');
    push_digits(out, u64::from(day), 2);
    out.push(' ');
    let secs = of_day / 1_000_000;
    push_digits(out, secs / 3600, 2);
    out.push(':');
    push_digits(out, secs / 60 % 60, 2);
    out.push(':');
    push_digits(out, secs % 60, 2);
    let us = of_day % 1_000_000;
    if us != 0 {
        out.push('.');
        push_digits(out, us, 6);
    }
    out.push_str("+00:00");
}

/// [`push_python_utc`] through jiff, for years outside 0..=9999.
fn python_utc_slow(micros: i64) -> String {
    match jiff::Timestamp::from_microsecond(micros) {
        Ok(t) => {
            let dt = jiff::tz::Offset::UTC.to_datetime(t);
            let mut out = format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                dt.year(),
                dt.month(),
                dt.day(),
                dt.hour(),
                dt.minute(),
                dt.second()
            );
            let us = dt.subsec_nanosecond() / 1000;
            if us != 0 {
                out.push_str(&format!(".{us:06}"));
            }
            out.push_str("+00:00");
            out
        }
        Err(_) => format!("{micros} microseconds since the epoch"),
    }
}

/// Appends the calendar date of wall-clock microseconds as jiff prints a date (`2023-12-31`).
pub(super) fn push_date(out: &mut String, micros: i64) {
    let (year, month, day) = civil_from_days(micros.div_euclid(MICROS_PER_DAY));
    if (0..=9999).contains(&year) {
        push_digits(out, year as u64, 4);
        out.push('-');
        push_digits(out, u64::from(month), 2);
        out.push('-');
        push_digits(out, u64::from(day), 2);
        return;
    }
    match jiff::Timestamp::from_microsecond(micros) {
        Ok(t) => out.push_str(&jiff::tz::Offset::UTC.to_datetime(t).date().to_string()),
        Err(_) => out.push_str(&format!("{micros} microseconds since the epoch")),
    }
}

/// Bytes that a JSON string escapes, as DuckDB (yyjson) writes them: `"`, `\` and control characters.
const fn escapes() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
}
static ESCAPES: [bool; 256] = escapes();

/// Appends the body of a JSON string (no quotes) as DuckDB (yyjson) writes it: `"` and `\` escaped,
/// `\b \t \n \f \r`, other control characters as `\u00XX` (upper-case hex), everything else as is.
pub(super) fn push_json_body(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !ESCAPES[usize::from(b)] {
            continue;
        }
        // `b` is ASCII: `i` and `i + 1` are character boundaries.
        out.push_str(&s[from..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
        from = i + 1;
    }
    out.push_str(&s[from..]);
}

/// Appends one row's `attrs`: `{"original_line":"<utc> - <original>","tagged_line":null,"message_date":"<date>"}`,
/// the original line stripped as Python's `str.strip()` strips the whole of it.
pub(super) fn push_attrs(out: &mut String, utc: i64, original: &str, local: i64) {
    out.push_str("{\"original_line\":\"");
    // The time has no character to escape.
    push_python_utc(out, utc);
    let original = original.trim_end_matches(is_py_space);
    if original.is_empty() {
        out.push_str(" -");
    } else {
        out.push_str(" - ");
        push_json_body(out, original);
    }
    out.push_str("\",\"tagged_line\":null,\"message_date\":\"");
    push_date(out, local);
    out.push_str("\"}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn python_utc_jiff(micros: i64) -> String {
        python_utc_slow(micros)
    }

    #[test]
    fn times_and_dates_print_as_jiff_and_python() {
        let mut state = 0x1234_5678_9abc_def1u64;
        for k in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Years 0..=9999, and some whole seconds.
            let span = 253_402_300_800_000_000i64 + 62_167_219_200_000_000;
            let mut micros = (state % span as u64) as i64 - 62_167_219_200_000_000;
            if k % 3 == 0 {
                micros -= micros.rem_euclid(1_000_000);
            }
            let mut out = String::new();
            push_python_utc(&mut out, micros);
            assert_eq!(out, python_utc_jiff(micros), "{micros}");
            let mut date = String::new();
            push_date(&mut date, micros);
            let want = jiff::tz::Offset::UTC.to_datetime(jiff::Timestamp::from_microsecond(micros).unwrap()).date();
            assert_eq!(date, want.to_string(), "{micros}");
        }
    }

    #[test]
    fn json_as_duckdb_writes_it() {
        let mut out = String::new();
        push_json_body(&mut out, "a\"b\\c\u{8}\t\n\u{c}\r\u{1}\u{1f}é\u{7f}");
        assert_eq!(out, "a\\\"b\\\\c\\b\\t\\n\\f\\r\\u0001\\u001Fé\u{7f}");
    }
}
