//! Column values as Python prints them (`str()` of what `pyarrow`'s `to_pylist` gives), written into
//! a byte buffer, optionally escaped as Jinja's autoescape does. No value becomes a heap object.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, UInt64Type};
use arrow_array::{Array, ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, UInt64Array};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, TimeUnit};

use crate::error::{Error, Result};
use crate::kernels::time::timestamps;

/// How field values are escaped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Escape {
    /// As they are.
    None,
    /// As Jinja's autoescape (`markupsafe.escape`) does: `&` `<` `>` `"` `'` become `&amp;` `&lt;`
    /// `&gt;` `&#34;` `&#39;`.
    #[default]
    Html,
}

/// The entity of an HTML-special byte.
fn entity(b: u8) -> &'static [u8] {
    match b {
        b'&' => b"&amp;",
        b'<' => b"&lt;",
        b'>' => b"&gt;",
        b'"' => b"&#34;",
        _ => b"&#39;",
    }
}

/// Where rendered bytes go.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Appends `s` to `out`, escaped as `escape` says.
pub(crate) fn push_escaped<S: Sink>(out: &mut S, s: &[u8], escape: Escape) {
    const SPECIAL: [bool; 256] = {
        let mut t = [false; 256];
        t[b'&' as usize] = true;
        t[b'<' as usize] = true;
        t[b'>' as usize] = true;
        t[b'"' as usize] = true;
        t[b'\'' as usize] = true;
        t
    };
    if escape == Escape::None {
        out.put(s);
        return;
    }
    if s.len() <= 256 {
        // Short values (ids, names, most messages): a table lookup a byte beats setting up vector
        // searches again after every special character.
        let mut start = 0;
        for (i, &b) in s.iter().enumerate() {
            if SPECIAL[usize::from(b)] {
                out.put(&s[start..i]);
                out.put(entity(b));
                start = i + 1;
            }
        }
        out.put(&s[start..]);
        return;
    }
    // The next of `& < >` and the next of `" '`, each found with memchr's vector search.
    let find1 = |from: usize| memchr::memchr3(b'&', b'<', b'>', &s[from..]).map_or(s.len(), |k| from + k);
    let find2 = |from: usize| memchr::memchr2(b'"', b'\'', &s[from..]).map_or(s.len(), |k| from + k);
    let (mut n1, mut n2) = (find1(0), find2(0));
    let mut start = 0;
    loop {
        let i = n1.min(n2);
        if i >= s.len() {
            break;
        }
        out.put(&s[start..i]);
        out.put(entity(s[i]));
        start = i + 1;
        if i == n1 {
            n1 = find1(start);
        } else {
            n2 = find2(start);
        }
    }
    out.put(&s[start..]);
}

/// A time zone as Python's `tzinfo` for a zone-aware timestamp column.
#[derive(Clone, Debug)]
pub(crate) enum Zone {
    /// No zone: Python prints no offset.
    Naive,
    /// A fixed offset in seconds (`UTC`, `+05:30`).
    Fixed(i32),
    /// A named zone (IANA): the offset of each instant.
    Named(jiff::tz::TimeZone),
}

impl Zone {
    fn parse(tz: Option<&str>) -> Result<Self> {
        let Some(tz) = tz else { return Ok(Zone::Naive) };
        let t = tz.trim();
        if t.eq_ignore_ascii_case("utc") || t == "Z" {
            return Ok(Zone::Fixed(0));
        }
        if let Some(rest) = t.strip_prefix('+').map(|r| (1, r)).or_else(|| t.strip_prefix('-').map(|r| (-1, r))) {
            let (sign, digits) = rest;
            let digits: String = digits.chars().filter(|c| *c != ':').collect();
            let ok = matches!(digits.len(), 2 | 4) && digits.bytes().all(|b| b.is_ascii_digit());
            if ok {
                let h: i32 = digits[..2].parse().unwrap_or(0);
                let m: i32 = if digits.len() == 4 { digits[2..].parse().unwrap_or(0) } else { 0 };
                return Ok(Zone::Fixed(sign * (h * 3600 + m * 60)));
            }
        }
        jiff::tz::TimeZone::get(t)
            .map(Zone::Named)
            .map_err(|e| Error::invalid("timestamp time zone", tz, e.to_string()))
    }
}

/// A column whose values can be printed as Python prints them.
pub(crate) enum PyColumn<'a> {
    Utf8(&'a arrow_array::StringArray),
    LargeUtf8(&'a arrow_array::LargeStringArray),
    Utf8View(&'a arrow_array::StringViewArray),
    Int(Int64Array),
    UInt(UInt64Array),
    Float(Float64Array),
    Bool(&'a BooleanArray),
    Date(&'a Date32Array),
    Timestamp { values: &'a [i64], nulls: Option<&'a NullBuffer>, unit: TimeUnit, zone: Zone },
    Null,
}

impl<'a> PyColumn<'a> {
    /// The column `name` of type `a`, or an error naming a type Python would print otherwise.
    pub(crate) fn new(name: &str, a: &'a ArrayRef) -> Result<Self> {
        let cast = |to: &DataType| {
            arrow_cast_like(a, to).map_err(|e| Error::invalid("column", format!("{name}: {}", a.data_type()), e))
        };
        Ok(match a.data_type() {
            DataType::Utf8 => PyColumn::Utf8(a.as_string::<i32>()),
            DataType::LargeUtf8 => PyColumn::LargeUtf8(a.as_string::<i64>()),
            DataType::Utf8View => PyColumn::Utf8View(a.as_string_view()),
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
                PyColumn::Int(cast(&DataType::Int64)?.as_primitive::<Int64Type>().clone())
            }
            DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
                PyColumn::UInt(cast(&DataType::UInt64)?.as_primitive::<UInt64Type>().clone())
            }
            DataType::Float16 | DataType::Float32 | DataType::Float64 => {
                PyColumn::Float(cast(&DataType::Float64)?.as_primitive::<Float64Type>().clone())
            }
            DataType::Boolean => PyColumn::Bool(a.as_boolean()),
            DataType::Date32 => PyColumn::Date(a.as_primitive()),
            DataType::Timestamp(_, tz) => {
                let (values, unit) = timestamps(a.as_ref())?;
                PyColumn::Timestamp { values, nulls: a.nulls(), unit, zone: Zone::parse(tz.as_deref())? }
            }
            DataType::Null => PyColumn::Null,
            other => {
                return Err(Error::invalid(
                    "column type",
                    format!("{name}: {other}"),
                    "a prompt field must be a string, integer, float, boolean, date32 or timestamp column",
                ));
            }
        })
    }

    pub(crate) fn is_null(&self, i: usize) -> bool {
        match self {
            PyColumn::Utf8(a) => a.is_null(i),
            PyColumn::LargeUtf8(a) => a.is_null(i),
            PyColumn::Utf8View(a) => a.is_null(i),
            PyColumn::Int(a) => a.is_null(i),
            PyColumn::UInt(a) => a.is_null(i),
            PyColumn::Float(a) => a.is_null(i),
            PyColumn::Bool(a) => a.is_null(i),
            PyColumn::Date(a) => a.is_null(i),
            PyColumn::Timestamp { nulls, .. } => nulls.is_some_and(|n| n.is_null(i)),
            PyColumn::Null => true,
        }
    }

    /// The UTF-8 of a string value (None for other types and nulls).
    fn str_value(&self, i: usize) -> Option<&'a str> {
        match self {
            PyColumn::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            PyColumn::LargeUtf8(a) => a.is_valid(i).then(|| a.value(i)),
            PyColumn::Utf8View(a) => a.is_valid(i).then(|| a.value(i)),
            _ => None,
        }
    }

    /// Python's truthiness of the value (`None`, `""`, `0`, `0.0` and `False` are false).
    pub(crate) fn truthy(&self, i: usize) -> bool {
        if self.is_null(i) {
            return false;
        }
        match self {
            PyColumn::Utf8(_) | PyColumn::LargeUtf8(_) | PyColumn::Utf8View(_) => {
                self.str_value(i).is_some_and(|s| !s.is_empty())
            }
            PyColumn::Int(a) => a.value(i) != 0,
            PyColumn::UInt(a) => a.value(i) != 0,
            PyColumn::Float(a) => a.value(i) != 0.0,
            PyColumn::Bool(a) => a.value(i),
            _ => true,
        }
    }

    /// Whether the pipeline's `_stringify_value` gives "" (None, "", NaN).
    pub(crate) fn stringifies_empty(&self, i: usize) -> bool {
        self.is_null(i)
            || match self {
                PyColumn::Float(a) => a.value(i).is_nan(),
                _ => self.str_value(i).is_some_and(str::is_empty),
            }
    }

    /// Appends Python's `str()` of a non-null value to `out`, escaped as `escape` says.
    pub(crate) fn push_str<S: Sink>(&self, i: usize, out: &mut S, escape: Escape) -> Result<()> {
        if let Some(s) = self.str_value(i) {
            push_escaped(out, s.as_bytes(), escape);
            return Ok(());
        }
        let mut buf = [0u8; 48];
        let n = self.format_scalar(i, &mut buf)?;
        // Numbers, booleans and times hold no HTML-special character.
        out.put(&buf[..n]);
        Ok(())
    }

    /// A non-string, non-null value as Python prints it, into `buf`; returns its length.
    fn format_scalar(&self, i: usize, buf: &mut [u8; 48]) -> Result<usize> {
        use std::io::Write as _;
        let mut cur = std::io::Cursor::new(&mut buf[..]);
        match self {
            PyColumn::Int(a) => {
                let _ = write!(cur, "{}", a.value(i));
            }
            PyColumn::UInt(a) => {
                let _ = write!(cur, "{}", a.value(i));
            }
            PyColumn::Float(a) => {
                let _ = write!(cur, "{}", PyFloat(a.value(i)));
            }
            PyColumn::Bool(a) => {
                let _ = cur.write_all(if a.value(i) { b"True" } else { b"False" });
            }
            PyColumn::Date(a) => {
                let (y, m, d) = civil_from_days(i64::from(a.value(i)));
                check_year(y, i)?;
                let _ = write!(cur, "{y:04}-{m:02}-{d:02}");
            }
            PyColumn::Timestamp { values, unit, zone, .. } => {
                return format_timestamp(values[i], *unit, zone, i, buf);
            }
            _ => {}
        }
        Ok(cur.position() as usize)
    }
}

/// `arrow_cast`-free widening of integer and float columns (the crate does not depend on arrow-cast):
/// every value converted as Rust's `as` does for these lossless widenings.
fn arrow_cast_like(a: &ArrayRef, to: &DataType) -> std::result::Result<ArrayRef, String> {
    use arrow_array::types::*;
    macro_rules! widen {
        ($t:ty, $out:ty, $conv:expr) => {{
            let p = a.as_primitive::<$t>();
            let v: Vec<_> = p.values().iter().map($conv).collect();
            Ok(Arc::new(arrow_array::PrimitiveArray::<$out>::new(v.into(), p.nulls().cloned())) as ArrayRef)
        }};
    }
    match (a.data_type(), to) {
        (DataType::Int8, DataType::Int64) => widen!(Int8Type, Int64Type, |&x| i64::from(x)),
        (DataType::Int16, DataType::Int64) => widen!(Int16Type, Int64Type, |&x| i64::from(x)),
        (DataType::Int32, DataType::Int64) => widen!(Int32Type, Int64Type, |&x| i64::from(x)),
        (DataType::Int64, DataType::Int64) => Ok(a.clone()),
        (DataType::UInt8, DataType::UInt64) => widen!(UInt8Type, UInt64Type, |&x| u64::from(x)),
        (DataType::UInt16, DataType::UInt64) => widen!(UInt16Type, UInt64Type, |&x| u64::from(x)),
        (DataType::UInt32, DataType::UInt64) => widen!(UInt32Type, UInt64Type, |&x| u64::from(x)),
        (DataType::UInt64, DataType::UInt64) => Ok(a.clone()),
        (DataType::Float16, DataType::Float64) => widen!(Float16Type, Float64Type, |&x| f64::from(x)),
        (DataType::Float32, DataType::Float64) => widen!(Float32Type, Float64Type, |&x| f64::from(x)),
        (DataType::Float64, DataType::Float64) => Ok(a.clone()),
        (from, to) => Err(format!("cannot widen {from} to {to}")),
    }
}

/// Python's `repr()` of a float (its `str()` too): the shortest digits that read back the same
/// value, in positional notation when the decimal exponent is in -4..16, else as `1e+16`.
pub(crate) struct PyFloat(pub f64);

impl std::fmt::Display for PyFloat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.0;
        if x.is_nan() {
            return f.write_str("nan");
        }
        if x.is_infinite() {
            return f.write_str(if x > 0.0 { "inf" } else { "-inf" });
        }
        // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
        let sci = format!("{x:e}");
        let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
        let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
        f.write_str(sign)?;
        if (-4..16).contains(&exp) {
            let point = exp + 1; // digits before the point
            if point <= 0 {
                write!(f, "0.{}{digits}", "0".repeat((-point) as usize))
            } else if point as usize >= digits.len() {
                write!(f, "{digits}{}.0", "0".repeat(point as usize - digits.len()))
            } else {
                write!(f, "{}.{}", &digits[..point as usize], &digits[point as usize..])
            }
        } else {
            let (first, rest) = digits.split_at(1);
            let sign_e = if exp < 0 { '-' } else { '+' };
            if rest.is_empty() {
                write!(f, "{first}e{sign_e}{:02}", exp.abs())
            } else {
                write!(f, "{first}.{rest}e{sign_e}{:02}", exp.abs())
            }
        }
    }
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (H. Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn check_year(y: i64, row: usize) -> Result<()> {
    if (1..=9999).contains(&y) {
        return Ok(());
    }
    Err(Error::invalid("time value", format!("year {y} at row {row}"), "Python's datetime holds years 1 to 9999"))
}

/// Writes `v` in decimal, zero-padded to `width` digits, at `buf[at..]`; returns the end.
fn put_digits(buf: &mut [u8; 48], at: usize, mut v: u64, width: usize) -> usize {
    let mut digits = [0u8; 20];
    let mut n = 0;
    while v > 0 || n < width {
        digits[n] = b'0' + (v % 10) as u8;
        v /= 10;
        n += 1;
    }
    for k in 0..n {
        buf[at + k] = digits[n - 1 - k];
    }
    at + n
}

/// Python's `str()` of the datetime (or pandas Timestamp, for nanoseconds) of `v` in `unit`, written
/// into `buf`: `YYYY-MM-DD HH:MM:SS`, then `.ffffff` when the microseconds are not zero (nine digits
/// when nanoseconds are), then the zone's offset `+HH:MM` (`:SS` when it has seconds) unless naive.
fn format_timestamp(v: i64, unit: TimeUnit, zone: &Zone, row: usize, buf: &mut [u8; 48]) -> Result<usize> {
    let per_sec: i64 = match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    let secs = v.div_euclid(per_sec);
    let nanos = v.rem_euclid(per_sec) * (1_000_000_000 / per_sec);
    let offset = match zone {
        Zone::Naive => 0,
        Zone::Fixed(o) => *o,
        Zone::Named(tz) => match jiff::Timestamp::from_second(secs) {
            Ok(t) => tz.to_offset(t).seconds(),
            Err(e) => return Err(Error::invalid("time value", format!("{v} at row {row}"), e.to_string())),
        },
    };
    let local = secs + i64::from(offset);
    let days = local.div_euclid(86_400);
    let sod = local.rem_euclid(86_400) as u64;
    let (y, m, d) = civil_from_days(days);
    check_year(y, row)?;
    // The year is in 1..=9999: four digits.
    let mut at = put_digits(buf, 0, y as u64, 4);
    for (sep, value) in
        [(b'-', u64::from(m)), (b'-', u64::from(d)), (b' ', sod / 3600), (b':', sod / 60 % 60), (b':', sod % 60)]
    {
        buf[at] = sep;
        at = put_digits(buf, at + 1, value, 2);
    }
    if nanos != 0 {
        buf[at] = b'.';
        at = if nanos % 1000 != 0 {
            put_digits(buf, at + 1, nanos as u64, 9)
        } else {
            put_digits(buf, at + 1, nanos as u64 / 1000, 6)
        };
    }
    if !matches!(zone, Zone::Naive) {
        buf[at] = if offset < 0 { b'-' } else { b'+' };
        let a = u64::from(offset.unsigned_abs());
        at = put_digits(buf, at + 1, a / 3600, 2);
        buf[at] = b':';
        at = put_digits(buf, at + 1, a / 60 % 60, 2);
        if a % 60 != 0 {
            buf[at] = b':';
            at = put_digits(buf, at + 1, a % 60, 2);
        }
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python() {
        let cases = [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (-0.0, "-0.0"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (123.456, "123.456"),
            (1e300, "1e+300"),
            (f64::from(0.1f32), "0.10000000149011612"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
            (2.5e16, "2.5e+16"),
        ];
        for (x, want) in cases {
            assert_eq!(PyFloat(x).to_string(), want, "{x:e}");
        }
    }

    #[test]
    fn escapes_as_markupsafe() {
        let mut out = Vec::new();
        push_escaped(&mut out, "a&b<c>d\"e'f&amp;".as_bytes(), Escape::Html);
        assert_eq!(String::from_utf8(out).unwrap(), "a&amp;b&lt;c&gt;d&#34;e&#39;f&amp;amp;");
    }

    #[test]
    fn timestamps_print_as_python() {
        let mut buf = [0u8; 48];
        let mut f = |v: i64, unit, zone: &Zone| {
            let n = format_timestamp(v, unit, zone, 0, &mut buf).unwrap();
            String::from_utf8(buf[..n].to_vec()).unwrap()
        };
        let us = 1_704_096_000_000_000i64; // 2024-01-01T08:00:00Z
        assert_eq!(f(us, TimeUnit::Microsecond, &Zone::Fixed(0)), "2024-01-01 08:00:00+00:00");
        assert_eq!(f(us + 250_000, TimeUnit::Microsecond, &Zone::Fixed(0)), "2024-01-01 08:00:00.250000+00:00");
        assert_eq!(f(us / 1000 + 1, TimeUnit::Millisecond, &Zone::Naive), "2024-01-01 08:00:00.001000");
        assert_eq!(f(us * 1000 + 1, TimeUnit::Nanosecond, &Zone::Fixed(0)), "2024-01-01 08:00:00.000000001+00:00");
        assert_eq!(f(us, TimeUnit::Microsecond, &Zone::Fixed(-3 * 3600)), "2024-01-01 05:00:00-03:00");
        let sp = Zone::parse(Some("America/Sao_Paulo")).unwrap();
        assert_eq!(f(us, TimeUnit::Microsecond, &sp), "2024-01-01 05:00:00-03:00");
        assert_eq!(f(-1, TimeUnit::Second, &Zone::Fixed(0)), "1969-12-31 23:59:59+00:00");
        assert_eq!(f(-62_135_596_800, TimeUnit::Second, &Zone::Naive), "0001-01-01 00:00:00");
        assert!(format_timestamp(-62_135_596_801, TimeUnit::Second, &Zone::Naive, 3, &mut buf).is_err());
        assert!(matches!(Zone::parse(Some("+05:30")).unwrap(), Zone::Fixed(19800)));
    }
}
