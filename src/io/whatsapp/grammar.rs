//! The line grammar of WhatsApp exports: which lines start a message, and the date, time and author they
//! hold. Pure functions over one line; nothing here reads files or keeps state.

use jiff::civil::DateTime;

use super::DateOrder;

/// Bidi marks WhatsApp puts at the start of some lines (and a stray byte-order mark).
pub(super) fn trim_marks(s: &str) -> &str {
    s.trim_start_matches([
        '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{feff}',
    ])
}

/// Spaces WhatsApp uses between fields (the narrow no-break space before AM/PM included).
fn is_space(c: char) -> bool {
    c == ' ' || c == '\u{a0}' || c == '\u{202f}' || c == '\t'
}

/// Whether a line can start like a header at all: its first byte is a digit, `[`, or the first byte of a
/// bidi mark or byte-order mark (`trim_marks`). A cheap test that lets most continuation lines skip
/// [`header`] and [`date_like`], which both fail on every other line.
pub(super) fn may_be_header(line: &[u8]) -> bool {
    matches!(line.first(), Some(b'0'..=b'9' | b'[' | 0xe2 | 0xef))
}

/// A cursor over a line's header.
struct Cursor<'a> {
    s: &'a str,
}

impl<'a> Cursor<'a> {
    /// `min..=max` ASCII digits and how many there were (at most 4, so the value fits a u32).
    fn digits(&mut self, min: usize, max: usize) -> Option<(u32, usize)> {
        let n = self.s.bytes().take(max).take_while(u8::is_ascii_digit).count();
        if n < min {
            return None;
        }
        let v = self.s.as_bytes()[..n].iter().fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
        self.s = &self.s[n..];
        Some((v, n))
    }

    fn eat(&mut self, c: char) -> bool {
        match self.s.strip_prefix(c) {
            Some(rest) => {
                self.s = rest;
                true
            }
            None => false,
        }
    }

    fn eat_ignore_case(&mut self, c: char) -> bool {
        self.eat(c.to_ascii_lowercase()) || self.eat(c.to_ascii_uppercase())
    }

    fn spaces(&mut self) -> usize {
        let rest = self.s.trim_start_matches(is_space);
        let n = self.s.len() - rest.len();
        self.s = rest;
        n
    }
}

/// The three fields of a date as written: `a`, `b` and `c` with their digit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct DateFields {
    pub a: u32,
    pub a_digits: usize,
    pub b: u32,
    pub c: u32,
    pub c_digits: usize,
}

/// A date at the cursor: `d{1,2} S d{1,2} S d{2,4}` (day- or month-first) or `d{4} S d{1,2} S d{1,2}`
/// (year-first), S one of `/`, `.`, `-`, the same twice.
fn date_fields(c: &mut Cursor<'_>) -> Option<DateFields> {
    let (a, a_digits) = c.digits(1, 4)?;
    if a_digits == 3 {
        return None;
    }
    let sep = c.s.chars().next().filter(|ch| matches!(ch, '/' | '.' | '-'))?;
    c.eat(sep);
    let (b, _) = c.digits(1, 2)?;
    if !c.eat(sep) {
        return None;
    }
    let (cv, c_digits) = if a_digits == 4 { c.digits(1, 2)? } else { c.digits(2, 4)? };
    Some(DateFields { a, a_digits, b, c: cv, c_digits })
}

impl DateFields {
    /// Whether the date has the shape of `order`: a first field of one or two digits for day- and
    /// month-first dates, a last field of one or two digits (and a first of two or four) for year-first.
    pub(super) fn fits(&self, order: DateOrder) -> bool {
        match order {
            DateOrder::DayFirst | DateOrder::MonthFirst => self.a_digits <= 2,
            DateOrder::YearFirst => self.c_digits <= 2 && self.a_digits >= 2,
        }
    }
}

/// Whether a line starts like a header (marks, an optional `[`, then a date), whether or not the rest
/// of it parses.
pub(super) fn date_like(line: &str) -> bool {
    let mut c = Cursor { s: trim_marks(line) };
    c.eat('[');
    date_fields(&mut c).is_some()
}

/// A 12-hour marker at the cursor in any locale's spelling: `AM`, `am`, `a.m.`, `a. m.` (any case,
/// with the spaces of [`is_space`] inside, the last dot optional); true for PM. Nothing alphanumeric
/// may follow it.
fn marker(c: &mut Cursor<'_>) -> Option<bool> {
    let mut m = Cursor { s: c.s };
    let pm = if m.eat_ignore_case('a') {
        false
    } else if m.eat_ignore_case('p') {
        true
    } else {
        return None;
    };
    if m.eat('.') {
        m.spaces();
    }
    if !m.eat_ignore_case('m') {
        return None;
    }
    m.eat('.');
    if m.s.chars().next().is_some_and(char::is_alphanumeric) {
        return None;
    }
    c.s = m.s;
    Some(pm)
}

/// What a header line holds.
#[derive(Debug, PartialEq)]
pub(super) struct Header<'a> {
    pub date: DateFields,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub pm: Option<bool>,
    pub body: &'a str,
}

/// Parses a header: `DATE,? TIME - BODY` (Android), `[DATE,? TIME] BODY` (iOS) or `DATE,? TIME: BODY`
/// (older exports), after any bidi marks. TIME is `H:MM`, `H:MM:SS`, `H.MM` or `H.MM.SS`, with an
/// optional 12-hour marker ([`marker`]).
pub(super) fn header(line: &str) -> Option<Header<'_>> {
    let mut c = Cursor { s: trim_marks(line) };
    let ios = c.eat('[');
    let date = date_fields(&mut c)?;
    c.eat(',');
    if c.spaces() == 0 {
        return None;
    }
    let (hour, _) = c.digits(1, 2)?;
    let tsep = c.s.chars().next().filter(|ch| matches!(ch, ':' | '.'))?;
    c.eat(tsep);
    let (minute, _) = c.digits(2, 2)?;
    let save = c.s;
    let second = match c.eat(tsep).then(|| c.digits(2, 2)).flatten() {
        Some((s, _)) => s,
        None => {
            // `21:25: Name: text` (the older layout's colon, not seconds).
            c.s = save;
            0
        }
    };
    let save = c.s;
    c.spaces();
    let pm = marker(&mut c);
    if pm.is_none() {
        c.s = save;
    }
    if ios {
        if !c.eat(']') || c.spaces() == 0 {
            return None;
        }
    } else {
        let save = c.s;
        // The body starts one space after the dash (the pipeline's ` - `): further spaces belong to the
        // author as matched (stripped from the author, kept in the original line).
        let android = c.spaces() > 0 && c.eat('-') && c.s.starts_with(is_space);
        if android {
            let first = c.s.chars().next().map_or(0, char::len_utf8);
            c.s = &c.s[first..];
        } else {
            c.s = save;
            if !c.eat(':') || c.spaces() == 0 {
                return None;
            }
        }
    }
    Some(Header { date, hour, minute, second, pm, body: c.s })
}

/// `Author: text` when the body's first colon is followed by whitespace; the author as matched (not
/// stripped).
pub(super) fn author_and_text(body: &str) -> Option<(&str, &str)> {
    let colon = memchr::memchr(b':', body.as_bytes())?;
    let rest = &body[colon + 1..];
    if body[..colon].trim_start_matches(is_space).is_empty() || !rest.starts_with(char::is_whitespace) {
        return None;
    }
    Some((&body[..colon], rest.trim_start()))
}

/// A header's date and time as written, in a few bytes: what a message keeps until the file's date order
/// is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Stamp {
    a: u16,
    b: u8,
    c: u16,
    a_digits: u8,
    c_digits: u8,
    hour: u8,
    minute: u8,
    second: u8,
    /// 0: no 12-hour marker; 1: AM; 2: PM.
    marker: u8,
}

impl Stamp {
    /// The stamp of a header. Fields have at most four digits (hours, minutes, seconds two), so each fits.
    pub(super) fn of(h: &Header<'_>) -> Stamp {
        let d = &h.date;
        Stamp {
            a: d.a as u16,
            b: d.b as u8,
            c: d.c as u16,
            a_digits: d.a_digits as u8,
            c_digits: d.c_digits as u8,
            hour: h.hour as u8,
            minute: h.minute as u8,
            second: h.second as u8,
            marker: match h.pm {
                None => 0,
                Some(false) => 1,
                Some(true) => 2,
            },
        }
    }

    /// The date fields as written.
    pub(super) fn date(&self) -> DateFields {
        DateFields {
            a: u32::from(self.a),
            a_digits: usize::from(self.a_digits),
            b: u32::from(self.b),
            c: u32::from(self.c),
            c_digits: usize::from(self.c_digits),
        }
    }

    /// The wall-clock time in date order `order` as (year, month, day, hour, minute, second); None when
    /// it is no valid date and time (or its fields do not fit the order: a four-digit first field is only
    /// a year-first date). The dates and times `jiff::civil::DateTime::new` accepts, less the last two days
    /// of year 9999.
    pub(super) fn civil(&self, order: DateOrder) -> Option<(i32, u32, u32, u32, u32, u32)> {
        let d = self.date();
        if !d.fits(order) {
            return None;
        }
        let (year, year_digits, month, day) = match order {
            DateOrder::DayFirst => (d.c, d.c_digits, d.b, d.a),
            DateOrder::MonthFirst => (d.c, d.c_digits, d.a, d.b),
            DateOrder::YearFirst => (d.a, d.a_digits, d.b, d.c),
        };
        // Two-digit years as Python's %y: 69-99 are 1969-1999, 00-68 are 2000-2068.
        let year = match year_digits {
            2 if year >= 69 => 1900 + year,
            2 => 2000 + year,
            _ => year,
        };
        let hour = u32::from(self.hour);
        let hour = match self.marker {
            0 => hour,
            _ if hour == 0 || hour > 12 => return None,
            1 => hour % 12,
            _ => hour % 12 + 12,
        };
        let (minute, second) = (u32::from(self.minute), u32::from(self.second));
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        // The last two days of year 9999 have no UTC time in every zone (the range of `jiff::Timestamp`).
        if year == 9999 && month == 12 && day >= 30 {
            return None;
        }
        // At most four digits: the year fits an i32.
        Some((year as i32, month, day, hour, minute, second))
    }

    /// The wall-clock time in date order `order` as microseconds since 1970-01-01T00:00 (no zone), or None
    /// as [`Stamp::civil`].
    pub(super) fn local_micros(&self, order: DateOrder) -> Option<i64> {
        let (y, mo, d, h, mi, s) = self.civil(order)?;
        let secs = days_from_civil(i64::from(y), mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + s);
        Some(secs * 1_000_000)
    }
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
pub(super) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The wall-clock time of microseconds since 1970-01-01T00:00 (as [`Stamp::local_micros`] gives them).
pub(super) fn datetime_of_micros(micros: i64) -> Option<DateTime> {
    let t = jiff::Timestamp::from_microsecond(micros).ok()?;
    Some(jiff::tz::Offset::UTC.to_datetime(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every day of years 0 to 9999 and the hours around them: valid exactly when jiff says so, at the
    /// same instant.
    #[test]
    fn civil_dates_are_jiffs() {
        let mut checked = 0;
        for year in (0u32..=9999).step_by(7).chain([1900, 2000, 2024, 2100, 9999]) {
            for month in 0..=13u32 {
                for day in [0u32, 1, 28, 29, 30, 31, 32] {
                    for (hour, minute, second) in [(0, 0, 0), (23, 59, 59), (24, 0, 0), (12, 60, 0), (1, 1, 60)] {
                        let want = DateTime::new(year as i16, month as i8, day as i8, hour, minute, second, 0)
                            .ok()
                            .filter(|_| !(year == 9999 && month == 12 && day >= 30))
                            .and_then(|dt| jiff::tz::TimeZone::UTC.to_ambiguous_timestamp(dt).compatible().ok())
                            .map(|t| t.as_microsecond());
                        let stamp = Stamp {
                            a: year as u16,
                            b: month as u8,
                            c: day as u16,
                            a_digits: 4,
                            c_digits: 2,
                            hour: hour as u8,
                            minute: minute as u8,
                            second: second as u8,
                            marker: 0,
                        };
                        assert_eq!(stamp.local_micros(DateOrder::YearFirst), want, "{year}-{month}-{day}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100_000);
    }
}
