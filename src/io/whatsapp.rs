//! WhatsApp text exports: `.txt`, or a `.zip` holding one.
//!
//! Both shapes are read: Android, `31/12/2023, 21:41 - Alice: text`, and iOS,
//! `[31/12/2023, 21:41:05] Alice: text`; dates day-first or month-first (one order per file, given or
//! inferred), 2- or 4-digit years, 24-hour or AM/PM times, with or without seconds. A line that does
//! not start a message continues the previous one (joined with a newline). A line with a timestamp but
//! no `Author: ` is a system notice: as the existing pipeline does, it is appended to the previous
//! message like any continuation (or dropped when no message precedes it), and counted. Message text is
//! the joined lines, stripped of Unicode whitespace; a message left empty is dropped and counted.
//! Timestamps are wall-clock times in the zone the caller names (default UTC), converted to UTC as
//! Python's zoneinfo does with fold=0: a time in a gap moves forward by the gap, a time in a fold takes
//! its first occurrence.

mod stream;

use std::path::Path;

use arrow_array::RecordBatch;
use jiff::civil::DateTime;

pub use stream::{ChatSummary, DEFAULT_BATCH_BYTES, DEFAULT_BATCH_ROWS, WhatsAppStream};

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
}

/// How to read an export.
#[derive(Clone, Debug)]
pub struct WhatsAppOptions {
    /// IANA zone of the export's wall-clock times (default `UTC`).
    pub tz: String,
    /// Date order; `None` infers it from the file (a first field over 12 means day-first, a second
    /// field over 12 month-first; neither, day-first).
    pub date_order: Option<DateOrder>,
    /// Normalize every line before parsing as the existing pipeline does ([`normalize_line`]), so that
    /// texts and authors (hence pseudonyms) are the pipeline's. Off by default: text as written.
    pub normalize: bool,
}

impl Default for WhatsAppOptions {
    fn default() -> Self {
        WhatsAppOptions { tz: "UTC".into(), date_order: None, normalize: false }
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
    /// The message's first line as it was parsed (after normalization, when that is on).
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
    /// The date order used.
    pub date_order: Option<DateOrder>,
}

/// Bidi marks WhatsApp puts at the start of some lines.
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
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let n = self.s.bytes().take(max).take_while(u8::is_ascii_digit).count();
        if n < min {
            return None;
        }
        let v = self.s[..n].parse().ok()?;
        self.s = &self.s[n..];
        Some(v)
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

    fn spaces(&mut self) -> usize {
        let rest = self.s.trim_start_matches(is_space);
        let n = self.s.len() - rest.len();
        self.s = rest;
        n
    }
}

/// What a header line holds.
#[derive(Debug, PartialEq)]
struct Header<'a> {
    a: u32,
    b: u32,
    year: u32,
    year_digits: usize,
    hour: u32,
    minute: u32,
    second: u32,
    pm: Option<bool>,
    body: &'a str,
}

/// Parses `DATE,? TIME - BODY` (Android) or `[DATE,? TIME] BODY` (iOS).
fn header(line: &str) -> Option<Header<'_>> {
    let mut c = Cursor { s: trim_marks(line) };
    let ios = c.eat('[');
    let a = c.digits(1, 2)?;
    let sep = c.s.chars().next().filter(|ch| matches!(ch, '/' | '.' | '-'))?;
    c.eat(sep);
    let b = c.digits(1, 2)?;
    if !c.eat(sep) {
        return None;
    }
    let before = c.s.len();
    let year = c.digits(2, 4)?;
    let year_digits = before - c.s.len();
    c.eat(',');
    if c.spaces() == 0 {
        return None;
    }
    let hour = c.digits(1, 2)?;
    if !c.eat(':') {
        return None;
    }
    let minute = c.digits(2, 2)?;
    let second = if c.eat(':') { c.digits(2, 2)? } else { 0 };
    let save = c.s;
    c.spaces();
    let lower = c.s.get(..2).map(str::to_ascii_lowercase);
    let pm = match lower.as_deref() {
        Some("am") => Some(false),
        Some("pm") => Some(true),
        _ => None,
    };
    if pm.is_some() {
        c.s = &c.s[2..];
    } else {
        c.s = save;
    }
    if ios {
        if !c.eat(']') {
            return None;
        }
        if c.spaces() == 0 {
            return None;
        }
    } else {
        if c.spaces() == 0 || !c.eat('-') || c.spaces() == 0 {
            return None;
        }
    }
    Some(Header { a, b, year, year_digits, hour, minute, second, pm, body: c.s })
}

/// `Author: text` when the body's first colon is followed by whitespace.
fn author_and_text(body: &str) -> Option<(&str, &str)> {
    let colon = body.find(':')?;
    let rest = &body[colon + 1..];
    if colon == 0 || !rest.starts_with(char::is_whitespace) {
        return None;
    }
    Some((&body[..colon], rest.trim_start()))
}

fn civil(h: &Header<'_>, order: DateOrder) -> Option<DateTime> {
    let (day, month) = match order {
        DateOrder::DayFirst => (h.a, h.b),
        DateOrder::MonthFirst => (h.b, h.a),
    };
    // Two-digit years as Python's %y: 69-99 are 1969-1999, 00-68 are 2000-2068.
    let year = match h.year_digits {
        2 if h.year >= 69 => 1900 + h.year,
        2 => 2000 + h.year,
        _ => h.year,
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
/// [`Error::Parse`] naming the line of a timestamp that is not a valid date or time;
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
    let lines = || stream::LineReader::new(Box::new(text.as_bytes()), source);
    let order = match opts.date_order {
        Some(o) => o,
        None => stream::infer_order(lines(), opts.normalize)?,
    };
    let mut parser = stream::Parser::new(lines(), tz, order, opts.normalize);
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
/// be read (or the zip holds no `.txt`); [`Error::Parse`] naming the first line that is not valid UTF-8,
/// or a timestamp that is not a valid date.
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

    #[test]
    fn errors_name_the_line() {
        let err = parse_whatsapp("a\n31/02/2023, 10:00 - A: x\n", "t", &WhatsAppOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Parse { line: 2, .. }), "{err}");
        let lines = stream::LineReader::new(Box::new(&b"ok\nok\n\xff\n"[..]), "t");
        let err = stream::infer_order(lines, false).unwrap_err();
        assert!(matches!(err, Error::Parse { line: 3, .. }), "{err}");
        assert!(parse_whatsapp("", "t", &WhatsAppOptions { tz: "Mars/Base".into(), ..Default::default() }).is_err());
    }
}
