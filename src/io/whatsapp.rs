//! WhatsApp text exports: `.txt`, or a `.zip` holding one.
//!
//! Line shapes read (after any bidi marks U+200E, U+200F, U+202A..U+202E at the start of the line):
//! - Android, `31/12/2023, 21:41 - Alice: text`; iOS, `[31/12/2023, 21:41:05] Alice: text`; older
//!   exports with a colon after the time, `13/06/2012 21:25:15: Alice: text`;
//! - dates day-first, month-first (2- or 4-digit years) or year-first (`2020-06-13`, `2018/06/13`),
//!   fields separated by `/`, `.` or `-`, the comma after the date optional; one date order per file,
//!   given or inferred;
//! - times `H:MM`, `H:MM:SS`, `H.MM` or `H.MM.SS`, 24-hour or with a 12-hour marker in any spelling
//!   (`AM`, `pm`, `a.m.`, `p. m.`, with a space, U+00A0 or U+202F before or inside it).
//!
//! A line that does not start a message continues the previous one (joined with a newline). A line with
//! a timestamp but no `Author: ` is a system notice: as the existing pipeline does, it is appended to the
//! previous message like any continuation (or dropped when no message precedes it), and counted. Message
//! text is the joined lines, stripped of Unicode whitespace; a message left empty is dropped and counted.
//! Lines are read with universal newlines (`\r\n`, `\r`, `\n`). Nothing is lost silently: a file in which
//! no line starts a message is an error; lines before the first message and lines that start like a
//! header but do not parse are counted ([`ChatSummary`]), and a file where they are most of the lines is
//! an error unless the caller allows it.
//! Timestamps are wall-clock times in the zone the caller names (default UTC), converted to UTC as
//! Python's zoneinfo does with fold=0: a time in a gap moves forward by the gap, a time in a fold takes
//! its first occurrence.

mod stream;

use std::path::Path;

use arrow_array::RecordBatch;
use jiff::civil::DateTime;

pub use stream::{ChatSummary, DEFAULT_BATCH_BYTES, DEFAULT_BATCH_ROWS, SummaryHandle, WhatsAppStream, chat_member};

#[allow(unused_imports)] // the docs' links name its variants
use crate::error::Error;
use crate::error::Result;

/// Which field of a date comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOrder {
    /// `31/12/2023`.
    DayFirst,
    /// `12/31/2023`.
    MonthFirst,
    /// `2023-12-31`, `2023/12/31`.
    YearFirst,
}

/// `dmy`, `mdy` or `ymd` (also `day-first`, `month-first`, `year-first`; any case).
///
/// # Errors
/// [`Error::InvalidParameter`] for anything else (`auto` is no order: it is `None` in the options).
///
/// # Example
/// ```
/// use streamliner::io::whatsapp::DateOrder;
/// assert_eq!("ymd".parse::<DateOrder>()?, DateOrder::YearFirst);
/// assert_eq!("MDY".parse::<DateOrder>()?, DateOrder::MonthFirst);
/// assert!("auto".parse::<DateOrder>().is_err());
/// # Ok::<(), streamliner::Error>(())
/// ```
impl std::str::FromStr for DateOrder {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "dmy" | "day-first" | "dayfirst" => Ok(DateOrder::DayFirst),
            "mdy" | "month-first" | "monthfirst" => Ok(DateOrder::MonthFirst),
            "ymd" | "year-first" | "yearfirst" => Ok(DateOrder::YearFirst),
            _ => Err(Error::invalid("date order", s, "expected dmy, mdy or ymd")),
        }
    }
}

/// The date order of a command-line flag: `auto` (None: inferred) or an order as [`DateOrder`] parses it.
///
/// # Errors
/// [`Error::InvalidParameter`] for anything else.
///
/// # Example
/// ```
/// use streamliner::io::whatsapp::{DateOrder, parse_date_order_flag};
/// assert_eq!(parse_date_order_flag("auto")?, None);
/// assert_eq!(parse_date_order_flag("dmy")?, Some(DateOrder::DayFirst));
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn parse_date_order_flag(s: &str) -> Result<Option<DateOrder>> {
    if s.eq_ignore_ascii_case("auto") {
        return Ok(None);
    }
    s.parse().map(Some).map_err(|_| Error::invalid("date order", s, "expected dmy, mdy, ymd or auto"))
}

/// Longest line read by default: 64 MiB.
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 << 20;
/// Largest decompressed size of the export inside a `.zip` by default: 8 GiB.
pub const DEFAULT_MAX_MEMBER_BYTES: u64 = 8 << 30;

/// How to read an export.
#[derive(Clone, Debug)]
pub struct WhatsAppOptions {
    /// IANA zone of the export's wall-clock times (default `UTC`).
    pub tz: String,
    /// Date order; `None` infers it from the file: the first header decides whether it is year-first (a
    /// four-digit first field); if not, a first field over 12 means day-first, else a second field over
    /// 12 month-first, else day-first. Lines whose date has another shape than the order are continuation
    /// lines (counted in [`ChatSummary::unparsed_headers`]).
    pub date_order: Option<DateOrder>,
    /// Normalize every line before parsing as the existing pipeline does ([`normalize_line`]), so that
    /// texts and authors (hence pseudonyms) are the pipeline's. Off by default: text as written.
    pub normalize: bool,
    /// Accept a file where most lines go unused (see [`ChatSummary::unused_lines`]); by default that is
    /// an error, as it usually means a line shape this parser does not know.
    pub allow_unused_lines: bool,
    /// The longest line accepted, in bytes (default [`DEFAULT_MAX_LINE_BYTES`]); a longer line is an
    /// error naming it.
    pub max_line_bytes: usize,
    /// The largest decompressed size of the export inside a `.zip` (default
    /// [`DEFAULT_MAX_MEMBER_BYTES`]); past it, an error.
    pub max_member_bytes: u64,
}

impl Default for WhatsAppOptions {
    fn default() -> Self {
        WhatsAppOptions {
            tz: "UTC".into(),
            date_order: None,
            normalize: false,
            allow_unused_lines: false,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            max_member_bytes: DEFAULT_MAX_MEMBER_BYTES,
        }
    }
}

/// Python's `\s` (str.isspace) as a regex class body.
const PY_SPACE: &str =
    r"\t\n\x0B\x0C\r\x1C-\x1F \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}";

/// Python's `[\w\.-]+@[\w\.-]+\.\w+`, with `\w` as Python defines it: letters, numbers, underscore.
fn email_pattern() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    // A constant pattern, compiled in the tests: it cannot fail.
    RE.get_or_init(|| {
        regex::Regex::new(r"[\p{L}\p{N}_.\-]+@[\p{L}\p{N}_.\-]+\.[\p{L}\p{N}_]+").expect("valid e-mail pattern")
    })
}

/// Python's `(\+\d{1,2}\s?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}` with its Unicode classes.
fn phone_pattern() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        let s = PY_SPACE;
        let pattern =
            format!(r"(\+\p{{Nd}}{{1,2}}[{s}]?)?\(?\p{{Nd}}{{3}}\)?[{s}.\-]?\p{{Nd}}{{3}}[{s}.\-]?\p{{Nd}}{{4}}");
        // A constant pattern, compiled in the tests: it cannot fail.
        regex::Regex::new(&pattern).expect("valid phone pattern")
    })
}

/// `&`, `<` and `>` as HTML entities (Python's `html.escape(s, quote=False)`).
fn html_escape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['&', '<', '>']) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"))
}

/// What the existing pipeline does to each line of an export before parsing it: a line holding any
/// non-ASCII character is NFKC-normalized, loses the bidi controls U+200E, U+200F and U+202A..U+202E,
/// and has its e-mail addresses then phone numbers replaced by `<EMAIL_REDACTED>` / `<PHONE_REDACTED>`;
/// then every line is HTML-escaped (`&`, `<`, `>`). A pure-ASCII line is only escaped (the pipeline's
/// quirk: its e-mails and phones stay).
///
/// # Example
/// ```
/// use streamliner::io::whatsapp::normalize_line;
/// assert_eq!(normalize_line("a < b & c"), "a &lt; b &amp; c");
/// assert_eq!(normalize_line("José: mail josé@x.org"), "José: mail &lt;EMAIL_REDACTED&gt;");
/// assert_eq!(normalize_line("ascii: mail jose@x.org"), "ascii: mail jose@x.org");
/// ```
pub fn normalize_line(line: &str) -> std::borrow::Cow<'_, str> {
    use unicode_normalization::UnicodeNormalization;
    if line.is_ascii() {
        return html_escape(line);
    }
    let s: String = line.nfkc().filter(|c| !matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}')).collect();
    let s = email_pattern().replace_all(&s, "<EMAIL_REDACTED>");
    let s = phone_pattern().replace_all(&s, "<PHONE_REDACTED>");
    std::borrow::Cow::Owned(html_escape(&s).into_owned())
}

/// One message of an export.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatMessage {
    /// 1-based line number of the message's first line.
    pub line: u64,
    /// The wall-clock time as written.
    pub local: DateTime,
    /// The time in UTC, in microseconds since the epoch.
    pub ts_micros: i64,
    /// The author, stripped.
    pub author: String,
    /// The text: the message's lines joined with newlines, stripped.
    pub text: String,
    /// The message's lines as the existing pipeline keeps them in `attrs.original_line`, less its
    /// leading `"{utc time} - "`: the author as matched (not stripped), `": "`, the first line's message
    /// part, then every following line as read (after normalization, when that is on; system notices
    /// included), joined with `\n`, trailing whitespace stripped.
    pub original_line: String,
}

/// A parsed export.
#[derive(Clone, Debug, Default)]
pub struct Chat {
    /// The messages, in file order.
    pub messages: Vec<ChatMessage>,
    /// Lines with a timestamp but no author (joined, left, changed the subject...).
    pub system_notices: u64,
    /// Messages dropped because their text was empty after joining and stripping.
    pub dropped_empty: u64,
    /// Lines in the file.
    pub lines: u64,
    /// Non-empty lines before the first message (see [`ChatSummary::before_first_message`]).
    pub before_first_message: u64,
    /// Lines that start like a header but do not parse (see [`ChatSummary::unparsed_headers`]).
    pub unparsed_headers: u64,
    /// Lines that go unused (see [`ChatSummary::unused_lines`]).
    pub unused_lines: u64,
    /// The date order used.
    pub date_order: Option<DateOrder>,
}

/// Bidi marks WhatsApp puts at the start of some lines (and a stray byte-order mark).
fn trim_marks(s: &str) -> &str {
    s.trim_start_matches([
        '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{feff}',
    ])
}

/// Spaces WhatsApp uses between fields (the narrow no-break space before AM/PM included).
fn is_space(c: char) -> bool {
    c == ' ' || c == '\u{a0}' || c == '\u{202f}' || c == '\t'
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
        let v = self.s[..n].parse().ok()?;
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
#[derive(Debug, PartialEq)]
struct DateFields {
    a: u32,
    a_digits: usize,
    b: u32,
    c: u32,
    c_digits: usize,
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
    fn fits(&self, order: DateOrder) -> bool {
        match order {
            DateOrder::DayFirst | DateOrder::MonthFirst => self.a_digits <= 2,
            DateOrder::YearFirst => self.c_digits <= 2 && self.a_digits >= 2,
        }
    }
}

/// Whether a line starts like a header (marks, an optional `[`, then a date), whether or not the rest
/// of it parses.
fn date_like(line: &str) -> bool {
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
struct Header<'a> {
    date: DateFields,
    hour: u32,
    minute: u32,
    second: u32,
    pm: Option<bool>,
    body: &'a str,
}

/// Parses a header: `DATE,? TIME - BODY` (Android), `[DATE,? TIME] BODY` (iOS) or `DATE,? TIME: BODY`
/// (older exports), after any bidi marks. TIME is `H:MM`, `H:MM:SS`, `H.MM` or `H.MM.SS`, with an
/// optional 12-hour marker ([`marker`]).
fn header(line: &str) -> Option<Header<'_>> {
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
fn author_and_text(body: &str) -> Option<(&str, &str)> {
    let colon = body.find(':')?;
    let rest = &body[colon + 1..];
    if body[..colon].trim_start_matches(is_space).is_empty() || !rest.starts_with(char::is_whitespace) {
        return None;
    }
    Some((&body[..colon], rest.trim_start()))
}

/// The wall-clock time of a header in date order `order`; None when it is no valid date and time (or its
/// fields do not fit the order: a four-digit first field is only a year-first date).
fn civil(h: &Header<'_>, order: DateOrder) -> Option<DateTime> {
    let d = &h.date;
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
    let hour = match h.pm {
        None => h.hour,
        Some(_) if h.hour == 0 || h.hour > 12 => return None,
        Some(false) => h.hour % 12,
        Some(true) => h.hour % 12 + 12,
    };
    DateTime::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
        i8::try_from(hour).ok()?,
        i8::try_from(h.minute).ok()?,
        i8::try_from(h.second).ok()?,
        0,
    )
    .ok()
}

/// Parses an export's text. `source` names it in errors. The same parser as [`WhatsAppStream`], over a
/// string.
///
/// # Errors
/// [`Error::Parse`] naming the line of a timestamp that is not a valid date or time, a line that is
/// not UTF-8 or longer than [`WhatsAppOptions::max_line_bytes`]; [`Error::Parse`] quoting the first line
/// when no line starts a message (an empty text too), or when most lines go unused (see
/// [`ChatSummary::unused_lines`]) unless [`WhatsAppOptions::allow_unused_lines`];
/// [`Error::InvalidParameter`] for an unknown time zone.
///
/// # Example
/// ```
/// use streamliner::io::whatsapp::{parse_whatsapp, WhatsAppOptions};
/// let text = "31/12/2023, 21:41 - Alice: happy new year\nsee you\n[01/01/2024, 00:00:05] Bob: 🎉\n";
/// let chat = parse_whatsapp(text, "chat.txt", &WhatsAppOptions::default())?;
/// assert_eq!(chat.messages.len(), 2);
/// assert_eq!(chat.messages[0].text, "happy new year\nsee you");
/// assert_eq!(chat.messages[1].author, "Bob");
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn parse_whatsapp(text: &str, source: &str, opts: &WhatsAppOptions) -> Result<Chat> {
    let tz = stream::zone(opts)?;
    let lines = || stream::LineReader::new(Box::new(text.as_bytes()), source, opts.max_line_bytes);
    let order = match opts.date_order {
        Some(o) => o,
        None => stream::infer_order(lines(), opts.normalize)?,
    };
    let mut parser = stream::Parser::new(lines(), tz, order, opts);
    let mut messages = Vec::new();
    while let Some(m) = parser.next_message()? {
        messages.push(m);
    }
    Ok(Chat::from_parts(messages, parser.summary()))
}

/// Reads a whole export from a `.txt` file or a `.zip` holding one, through [`WhatsAppStream`] (the
/// messages are held in memory; the file is not).
///
/// # Errors
/// As [`WhatsAppStream::open`] and [`WhatsAppStream::next_messages`]: [`Error::Io`] when the file cannot
/// be read (or the zip holds no chat `.txt`, or it decompresses past the limit); [`Error::Parse`] as
/// [`parse_whatsapp`].
pub fn read_whatsapp(path: &Path, opts: &WhatsAppOptions) -> Result<Chat> {
    let mut stream = WhatsAppStream::open(path, opts)?;
    let mut messages = Vec::new();
    while let Some(chunk) = stream.next_messages(DEFAULT_BATCH_ROWS)? {
        messages.extend(chunk);
    }
    Ok(Chat::from_parts(messages, &stream.summary()))
}

impl Chat {
    fn from_parts(messages: Vec<ChatMessage>, summary: &ChatSummary) -> Chat {
        Chat {
            messages,
            system_notices: summary.system_notices,
            dropped_empty: summary.dropped_empty,
            lines: summary.lines,
            before_first_message: summary.before_first_message,
            unparsed_headers: summary.unparsed_headers,
            unused_lines: summary.unused_lines,
            date_order: summary.date_order,
        }
    }

    /// The messages as a table: `ts` (timestamp, microseconds, UTC), `author`, `text`, `line`. The
    /// string columns are `Utf8`, or `LargeUtf8` when their bytes pass `i32::MAX`.
    ///
    /// # Errors
    /// Never in practice; an Arrow error would be reported as [`Error::InvalidParameter`].
    pub fn to_record_batch(&self) -> Result<RecordBatch> {
        stream::messages_batch(&self.messages, i32::MAX as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Chat {
        parse_whatsapp(text, "test", &WhatsAppOptions::default()).unwrap()
    }

    #[test]
    fn both_shapes_and_continuations() {
        let chat = parse(concat!(
            "\u{feff}31/12/2023, 21:41 - Messages and calls are end-to-end encrypted.\r\n",
            "31/12/2023, 21:41 - Alice: first\r\n",
            "second line\r\n",
            "31/12/2023, 21:42 - Bob joined using this group's invite link\r\n",
            "[31/12/2023, 21:43:05] Carol: ios line\n",
            "31/12/2023, 9:44 PM - Dave: pm time\n",
            "31/12/2023, 21:45 - Eve:    \n",
            "31.12.23, 21:46 - Frank: dots, short year\n",
        ));
        let m = &chat.messages;
        assert_eq!(m.len(), 4);
        assert_eq!(m[0].text, "first\nsecond line\n31/12/2023, 21:42 - Bob joined using this group's invite link");
        assert_eq!((m[1].author.as_str(), m[1].local.second()), ("Carol", 5));
        assert_eq!(m[2].local.hour(), 21);
        assert_eq!(m[3].author, "Frank");
        assert_eq!(m[3].local.year(), 2023);
        assert_eq!(chat.system_notices, 2);
        assert_eq!(chat.dropped_empty, 1);
        assert_eq!(m[0].line, 2);
    }

    #[test]
    fn date_order_inference() {
        let chat = parse("12/31/23, 1:00 AM - A: x\n01/02/24, 12:00 PM - B: y\n");
        assert_eq!(chat.date_order, Some(DateOrder::MonthFirst));
        assert_eq!((chat.messages[1].local.month(), chat.messages[1].local.day()), (1, 2));
        assert_eq!(chat.messages[0].local.hour(), 1);
        assert_eq!(chat.messages[1].local.hour(), 12);
        let chat = parse("01/02/24, 12:00 AM - B: y\n");
        assert_eq!(chat.date_order, Some(DateOrder::DayFirst));
        assert_eq!((chat.messages[0].local.month(), chat.messages[0].local.hour()), (2, 0));
    }

    #[test]
    fn gaps_and_folds_follow_python_fold_0() {
        let opts = WhatsAppOptions { tz: "America/New_York".into(), ..Default::default() };
        // 2024-03-10 02:30 does not exist in New York: it moves forward to 03:30 EDT (07:30 UTC).
        let gap = parse_whatsapp("10/03/2024, 02:30 - A: x\n", "t", &opts).unwrap();
        assert_eq!(gap.messages[0].ts_micros, 1_710_055_800_000_000);
        // 2024-11-03 01:30 happens twice: the first (EDT, 05:30 UTC).
        let fold = parse_whatsapp("03/11/2024, 01:30 - A: x\n", "t", &opts).unwrap();
        assert_eq!(fold.messages[0].ts_micros, 1_730_611_800_000_000);
    }

    #[test]
    fn normalization_as_the_pipeline() {
        assert_eq!(normalize_line("x\u{200e}y\u{202b}z"), "xyz");
        assert_eq!(normalize_line("ﬁ ① ｘ"), "fi 1 x"); // NFKC
        assert_eq!(normalize_line("é call +1 555-123-4567 now"), "é call &lt;PHONE_REDACTED&gt; now");
        assert_eq!(normalize_line("é (555) 123 4567"), "é &lt;PHONE_REDACTED&gt;");
        assert_eq!(normalize_line("é a.b-c_d@ex-ample.co.uk!"), "é &lt;EMAIL_REDACTED&gt;!");
        assert_eq!(normalize_line("call 5551234567 <x>"), "call 5551234567 &lt;x&gt;");
        // The narrow no-break space before PM becomes a space, so the time parses.
        let opts = WhatsAppOptions { normalize: true, ..Default::default() };
        let chat = parse_whatsapp("1/2/24, 9:41\u{202f}PM - Zoë: a&b\n", "t", &opts).unwrap();
        assert_eq!((chat.messages[0].local.hour(), chat.messages[0].text.as_str()), (21, "a&amp;b"));
    }

    /// Random lines of header-like tokens: never a panic, every header starts like one, and what parses
    /// parses the same after the pipeline's normalization when only spaces differ.
    #[test]
    fn random_header_like_lines_never_panic() {
        // Slots of a header, each with right and wrong choices.
        const SLOTS: [&[&str]; 13] = [
            &["", "", "\u{200e}", "\u{202b}\u{200f}", "\u{feff}", "x"],
            &["", "", "[", "]"],
            &["1", "13", "2020", "123", "", "0"],
            &["/", ".", "-", ":", ""],
            &["6", "06", "13", "99", "", "1/"],
            &["/", ".", "-", ", ", ""],
            &["18", "2018", "1", "13", "12345", ""],
            &["", ",", ", ", " ", "\u{a0}"],
            &[" ", " ", "\u{202f}", "", "  "],
            &["9:41", "21.25", "9:41:05", "21.25.15", "12:05", "9:4", "24:00", "9:41:5"],
            &["", "", " PM", "\u{202f}a.m.", "\u{a0}p.\u{202f}m.", "am", " A.M", " amx", " p. m"],
            &[" - ", "] ", ": ", " -", "]", " -  ", ":", " – "],
            &["Ann: hi", "Ann:hi", "joined", ": x", "  Bo Li : yo", "é😀: ü", ""],
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut parsed = 0;
        for _ in 0..300_000 {
            let mut line = String::new();
            for slot in SLOTS {
                line.push_str(slot[next(slot.len())]);
            }
            if let Some(h) = header(&line) {
                parsed += 1;
                assert!(date_like(&line), "{line:?}");
                for order in [DateOrder::DayFirst, DateOrder::MonthFirst, DateOrder::YearFirst] {
                    let _ = civil(&h, order);
                }
                let _ = author_and_text(h.body);
                if !line.contains(['\u{feff}', 'é', '😀', '–']) {
                    let normalized = normalize_line(&line);
                    let n = header(&normalized).map(|h| (h.date, h.hour, h.minute, h.second, h.pm));
                    assert_eq!(n, Some((h.date, h.hour, h.minute, h.second, h.pm)), "{line:?}");
                }
            }
            let _ = parse_whatsapp(&line, "t", &WhatsAppOptions { allow_unused_lines: true, ..Default::default() });
        }
        assert!(parsed > 500, "{parsed} headers");
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse_whatsapp("a\n31/02/2023, 10:00 - A: x\n", "t", &WhatsAppOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Parse { line: 2, .. }), "{err}");
        let lines = stream::LineReader::new(Box::new(&b"ok\nok\n\xff\n"[..]), "t", 1 << 20);
        let err = stream::infer_order(lines, false).unwrap_err();
        assert!(matches!(err, Error::Parse { line: 3, .. }), "{err}");
        assert!(parse_whatsapp("", "t", &WhatsAppOptions { tz: "Mars/Base".into(), ..Default::default() }).is_err());
    }
}
