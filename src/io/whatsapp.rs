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

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray, UInt64Array};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use crate::error::{Error, Result};
use crate::pystr::py_strip;

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

/// Parses an export's text. `source` names it in errors.
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
    let tz = TimeZone::get(&opts.tz).map_err(|e| Error::invalid("time zone", &opts.tz, e.to_string()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let raw = if raw.last() == Some(&"") { &raw[..raw.len() - 1] } else { &raw[..] };
    let normalized: Vec<std::borrow::Cow<'_, str>> =
        if opts.normalize { raw.iter().map(|l| normalize_line(l)).collect() } else { Vec::new() };
    let lines: Vec<&str> = if opts.normalize { normalized.iter().map(|l| l.as_ref()).collect() } else { raw.to_vec() };
    let headers: Vec<Option<Header<'_>>> = lines.iter().map(|l| header(l)).collect();
    let order = opts.date_order.unwrap_or_else(|| {
        let parsed = headers.iter().flatten();
        if parsed.clone().any(|h| h.a > 12) {
            DateOrder::DayFirst
        } else if parsed.clone().any(|h| h.b > 12) {
            DateOrder::MonthFirst
        } else {
            DateOrder::DayFirst
        }
    });
    let mut chat = Chat { lines: lines.len() as u64, date_order: Some(order), ..Chat::default() };
    // (message, its lines)
    let mut current: Option<(ChatMessage, Vec<&str>)> = None;
    let finish = |chat: &mut Chat, cur: Option<(ChatMessage, Vec<&str>)>| {
        if let Some((mut m, parts)) = cur {
            m.text = py_strip(&parts.join("\n")).to_string();
            if m.text.is_empty() {
                chat.dropped_empty += 1;
            } else {
                chat.messages.push(m);
            }
        }
    };
    for (i, (line, h)) in lines.iter().zip(&headers).enumerate() {
        let number = i as u64 + 1;
        let Some(h) = h else {
            if let Some((_, parts)) = current.as_mut() {
                parts.push(line);
            }
            continue;
        };
        let Some((author, first)) = author_and_text(h.body) else {
            chat.system_notices += 1;
            if let Some((_, parts)) = current.as_mut() {
                parts.push(line);
            }
            continue;
        };
        let local = civil(h, order).ok_or_else(|| Error::Parse {
            path: source.to_string(),
            line: number,
            message: format!("{:?} is not a valid {order:?} date and time", line.get(..40).unwrap_or(line)),
        })?;
        let ts = tz.to_ambiguous_timestamp(local).compatible().map_err(|e| Error::Parse {
            path: source.to_string(),
            line: number,
            message: e.to_string(),
        })?;
        finish(&mut chat, current.take());
        let message = ChatMessage {
            line: number,
            local,
            ts_micros: ts.as_microsecond(),
            author: py_strip(author).to_string(),
            text: String::new(),
            original_line: line.to_string(),
        };
        current = Some((message, vec![first]));
    }
    finish(&mut chat, current.take());
    Ok(chat)
}

/// Reads an export from a `.txt` file or a `.zip` holding one.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read (or the zip holds no `.txt`); [`Error::Parse`] naming the
/// first line that is not valid UTF-8, or a timestamp that is not a valid date; as [`parse_whatsapp`].
pub fn read_whatsapp(path: &Path, opts: &WhatsAppOptions) -> Result<Chat> {
    let name = path.display().to_string();
    let is_zip = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    let bytes = if is_zip { read_zip(path)? } else { std::fs::read(path).map_err(|e| Error::io(&name, e))? };
    let text = decode(&bytes, &name)?;
    parse_whatsapp(text, &name, opts)
}

/// UTF-8 text, or an error naming the first line that is not.
fn decode<'a>(bytes: &'a [u8], name: &str) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        Error::Parse { path: name.to_string(), line, message: "not valid UTF-8".into() }
    })
}

#[cfg(feature = "whatsapp")]
fn read_zip(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(&name, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| Error::io(&name, e))?;
    let texts: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .filter(|n| n.to_ascii_lowercase().ends_with(".txt"))
        .collect();
    // WhatsApp names it "_chat.txt" (iOS) or "WhatsApp Chat with ....txt" (Android).
    let pick = texts
        .iter()
        .find(|n| n.ends_with("_chat.txt") || n.contains("WhatsApp Chat"))
        .or(texts.first())
        .ok_or_else(|| Error::io(&name, "the zip holds no .txt export"))?
        .clone();
    let mut entry = zip.by_name(&pick).map_err(|e| Error::io(&name, e))?;
    let mut out = Vec::new();
    entry.read_to_end(&mut out).map_err(|e| Error::io(format!("{name}:{pick}"), e))?;
    Ok(out)
}

#[cfg(not(feature = "whatsapp"))]
fn read_zip(path: &Path) -> Result<Vec<u8>> {
    Err(Error::io(path.display(), "reading .zip exports needs the `whatsapp` feature"))
}

impl Chat {
    /// The messages as a table: `ts` (timestamp, microseconds, UTC), `author`, `text`, `line`.
    ///
    /// # Errors
    /// Never in practice; an Arrow error would be reported as [`Error::InvalidParameter`].
    pub fn to_record_batch(&self) -> Result<RecordBatch> {
        let ts =
            TimestampMicrosecondArray::from_iter_values(self.messages.iter().map(|m| m.ts_micros)).with_timezone("UTC");
        let author = StringArray::from_iter_values(self.messages.iter().map(|m| m.author.as_str()));
        let text = StringArray::from_iter_values(self.messages.iter().map(|m| m.text.as_str()));
        let line = UInt64Array::from_iter_values(self.messages.iter().map(|m| m.line));
        RecordBatch::try_from_iter([
            ("ts", Arc::new(ts) as ArrayRef),
            ("author", Arc::new(author) as ArrayRef),
            ("text", Arc::new(text) as ArrayRef),
            ("line", Arc::new(line) as ArrayRef),
        ])
        .map_err(|e| Error::invalid("chat table", self.messages.len(), e.to_string()))
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
        let err = decode(b"ok\nok\n\xff\n", "t").unwrap_err();
        assert!(matches!(err, Error::Parse { line: 3, .. }), "{err}");
        assert!(parse_whatsapp("", "t", &WhatsAppOptions { tz: "Mars/Base".into(), ..Default::default() }).is_err());
    }
}
