//! The line-by-line parser the reader replaced, kept as the reference the tests hold the reader to: one
//! line at a time, the date order inferred by a first pass over the text, every message a struct.

use std::borrow::Cow;
use std::io::BufRead;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use super::grammar::{Header, author_and_text, date_like, header};
use super::{Chat, ChatMessage, ChatSummary, DateOrder, WhatsAppOptions};
use crate::error::{Error, Result};
use crate::pystr::py_strip;

/// A line buffer grown past this by a long line is given back once the line is done.
const KEEP_LINE_CAPACITY: usize = 4 << 20;
/// Characters of a line quoted in an error.
const EXCERPT_CHARS: usize = 80;

fn normalize_line(line: &str) -> Cow<'_, str> {
    Cow::Owned(super::normalize::normalize_line_reference(line))
}

/// Lines of an export, one at a time, read with universal newlines: `\r\n`, `\r` and `\n` each end a
/// line; a byte-order mark at the start of the input is skipped. A line longer than the limit is an
/// error (the buffer never grows past it).
struct LineReader<'a> {
    reader: Box<dyn BufRead + Send + 'a>,
    buf: Vec<u8>,
    number: u64,
    source: String,
    max_line: usize,
    /// The last line ended with `\r`: a `\n` right after it belongs to that line end.
    after_cr: bool,
}

impl<'a> LineReader<'a> {
    fn new(reader: Box<dyn BufRead + Send + 'a>, source: impl Into<String>, max_line: usize) -> Self {
        LineReader {
            reader,
            buf: Vec::with_capacity(8192),
            number: 0,
            source: source.into(),
            max_line: max_line.max(1),
            after_cr: false,
        }
    }

    /// The next line and its 1-based number, without its line end; an error names the line that is
    /// not UTF-8 or too long.
    fn next_line(&mut self) -> Result<Option<(u64, &str)>> {
        if self.buf.capacity() > KEEP_LINE_CAPACITY {
            self.buf = Vec::with_capacity(8192);
        }
        self.buf.clear();
        let ended = loop {
            let avail = match self.reader.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(&self.source, e)),
            };
            if avail.is_empty() {
                break false;
            }
            if self.after_cr {
                self.after_cr = false;
                if avail[0] == b'\n' {
                    self.reader.consume(1);
                    continue;
                }
            }
            let (take, end) = match memchr::memchr2(b'\n', b'\r', avail) {
                Some(i) => (i, Some(avail[i])),
                None => (avail.len(), None),
            };
            if self.buf.len() + take > self.max_line {
                let start = if self.buf.is_empty() { &avail[..take.min(4 * EXCERPT_CHARS)] } else { &self.buf[..] };
                return Err(Error::Parse {
                    path: self.source.clone(),
                    line: self.number + 1,
                    message: format!(
                        "a line longer than {} bytes (the limit, WhatsAppOptions::max_line_bytes), starting {:?}; \
                         is this a WhatsApp export?",
                        self.max_line,
                        lossy_excerpt(start)
                    ),
                });
            }
            self.buf.extend_from_slice(&avail[..take]);
            match end {
                Some(b) => {
                    self.reader.consume(take + 1);
                    self.after_cr = b == b'\r';
                    break true;
                }
                None => self.reader.consume(take),
            }
        };
        let mut bytes: &[u8] = &self.buf;
        if self.number == 0 {
            bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        }
        // A last line without a line end that is empty (a file holding only a byte-order mark) is no
        // line, as in `str.splitlines()`.
        if !ended && bytes.is_empty() {
            return Ok(None);
        }
        self.number += 1;
        let number = self.number;
        std::str::from_utf8(bytes).map(|s| Some((number, s))).map_err(|_| Error::Parse {
            path: self.source.clone(),
            line: self.number,
            message: format!("not valid UTF-8: {:?}", lossy_excerpt(bytes)),
        })
    }
}

/// The start of some bytes as text (invalid UTF-8 as U+FFFD), cut to [`EXCERPT_CHARS`] characters.
fn lossy_excerpt(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(4 * EXCERPT_CHARS)];
    crate::error::excerpt(&String::from_utf8_lossy(head))
}

/// The date order of an export from its header lines, in one pass of constant memory: the first header
/// decides whether the file is year-first (a four-digit first field); if not, the first header with a
/// first field over 12 means day-first, else a second field over 12 anywhere means month-first, else
/// day-first (headers with a four-digit first field, then of another shape, are left out).
fn infer_order(mut lines: LineReader<'_>, normalize: bool) -> Result<DateOrder> {
    let mut month_first = false;
    let mut first = true;
    while let Some((_, raw)) = lines.next_line()? {
        // On an ASCII line normalization only escapes `&`, `<` and `>`, which no header contains: the
        // header (and its fields) is the same with or without it.
        let line = if normalize && !raw.is_ascii() { normalize_line(raw) } else { Cow::Borrowed(raw) };
        if let Some(h) = header(&line) {
            if std::mem::take(&mut first) && h.date.a_digits == 4 {
                return Ok(DateOrder::YearFirst);
            }
            if h.date.a_digits == 4 {
                continue;
            }
            if h.date.a > 12 {
                return Ok(DateOrder::DayFirst);
            }
            month_first |= h.date.b > 12;
        }
    }
    Ok(if month_first { DateOrder::MonthFirst } else { DateOrder::DayFirst })
}

/// Text built from lines with the empty lines that followed it counted rather than stored (they only
/// matter if more text follows).
#[derive(Default)]
struct Joined {
    text: String,
    newlines: usize,
}

impl Joined {
    /// Appends `\n` + line.
    fn push(&mut self, line: &str) {
        if line.is_empty() {
            self.newlines += 1;
            return;
        }
        for _ in 0..=self.newlines {
            self.text.push('\n');
        }
        self.newlines = 0;
        self.text.push_str(line);
    }
}

/// The message being built: its text so far (see [`Joined`]) and its lines as the pipeline keeps them.
struct Building {
    message: ChatMessage,
    text: Joined,
    /// The text so far is all whitespace (so stripping will remove it whatever follows).
    blank: bool,
    original: Joined,
}

impl Building {
    fn new(message: ChatMessage, author: &str, first: &str) -> Self {
        let mut original = Joined::default();
        original.text.reserve(author.len() + first.len() + 2);
        original.text.push_str(author);
        original.text.push_str(": ");
        original.text.push_str(first);
        let text = Joined { text: first.to_string(), newlines: 0 };
        Building { message, text, blank: py_strip(first).is_empty(), original }
    }

    /// Appends a line; stripping the joined text at the end gives what stripping the whole join would:
    /// leading whitespace and trailing empty lines are never stored.
    fn push_line(&mut self, line: &str) {
        self.original.push(line);
        if line.is_empty() {
            self.text.newlines += 1;
            return;
        }
        if self.blank {
            self.text = Joined { text: line.to_string(), newlines: 0 };
            self.blank = py_strip(line).is_empty();
            return;
        }
        self.text.push(line);
    }

    /// The message with its text stripped, or None when that leaves it empty.
    fn finish(self) -> Option<ChatMessage> {
        let mut m = self.message;
        let stripped = py_strip(&self.text.text);
        if stripped.is_empty() {
            return None;
        }
        m.text = stripped.to_string();
        let mut original = self.original.text;
        let end = original.trim_end_matches(crate::pystr::is_py_space).len();
        original.truncate(end);
        m.original_line = original;
        Some(m)
    }
}

/// The one parser of exports.
struct Parser<'a> {
    lines: LineReader<'a>,
    source: String,
    tz: TimeZone,
    order: DateOrder,
    normalize: bool,
    allow_unused: bool,
    current: Option<Building>,
    summary: ChatSummary,
    /// A line has started a message.
    started: bool,
    /// The first non-empty line, cut, for the error of a file without messages.
    first_line: Option<(u64, String)>,
    done: bool,
}

impl<'a> Parser<'a> {
    fn new(lines: LineReader<'a>, tz: TimeZone, order: DateOrder, opts: &WhatsAppOptions) -> Self {
        let summary = ChatSummary { date_order: Some(order), ..ChatSummary::default() };
        let source = lines.source.clone();
        Parser {
            lines,
            source,
            tz,
            order,
            normalize: opts.normalize,
            allow_unused: opts.allow_unused_lines,
            current: None,
            summary,
            started: false,
            first_line: None,
            done: false,
        }
    }

    fn summary(&self) -> &ChatSummary {
        &self.summary
    }

    /// The next message in file order; after an error, None.
    fn next_message(&mut self) -> Result<Option<ChatMessage>> {
        if self.done {
            return Ok(None);
        }
        let got = self.advance();
        if !matches!(got, Ok(Some(_))) {
            self.done = true;
        }
        if let Ok(Some(_)) = got {
            self.summary.messages += 1;
        }
        got
    }

    /// The end of the file: an error when no line started a message, or when most lines went unused.
    fn check_end(&self) -> Result<()> {
        if !self.started {
            return Err(match &self.first_line {
                None => Error::Parse {
                    path: self.source.clone(),
                    line: self.summary.lines,
                    message: "no message: the export is empty (or holds only blank lines)".into(),
                },
                Some((line, text)) => Error::Parse {
                    path: self.source.clone(),
                    line: *line,
                    message: format!(
                        "no line starts a message (none of its {} lines is like `31/12/2023, 21:41 - Name: text`, \
                         `[31/12/2023, 21:41:05] Name: text` or another supported shape{}); its first line is {text:?}",
                        self.summary.lines,
                        if self.summary.unparsed_headers > 0 {
                            format!(
                                "; {} lines start with a date but do not parse in date order {:?}: see --date-order",
                                self.summary.unparsed_headers, self.order
                            )
                        } else {
                            String::new()
                        }
                    ),
                },
            });
        }
        let s = &self.summary;
        if !self.allow_unused && s.unused_lines.saturating_mul(2) > s.non_empty_lines {
            return Err(Error::Parse {
                path: self.source.clone(),
                line: self.first_line.as_ref().map_or(1, |f| f.0),
                message: format!(
                    "{} of its {} non-empty lines go unused ({} before the first message, {} that start like a \
                     header but do not parse): probably a line shape this parser does not know; allow it with \
                     WhatsAppOptions::allow_unused_lines (--allow-unused-lines)",
                    s.unused_lines, s.non_empty_lines, s.before_first_message, s.unparsed_headers
                ),
            });
        }
        Ok(())
    }

    fn advance(&mut self) -> Result<Option<ChatMessage>> {
        loop {
            let Some((number, raw)) = self.lines.next_line()? else {
                self.check_end()?;
                while let Some(b) = self.current.take() {
                    match b.finish() {
                        Some(m) => return Ok(Some(m)),
                        None => self.summary.dropped_empty += 1,
                    }
                }
                return Ok(None);
            };
            self.summary.lines += 1;
            let non_empty = !py_strip(raw).is_empty();
            if non_empty {
                self.summary.non_empty_lines += 1;
                if self.first_line.is_none() {
                    self.first_line = Some((number, crate::error::excerpt(raw)));
                }
            }
            let line = if self.normalize { normalize_line(raw) } else { Cow::Borrowed(raw) };
            // A header of another shape than the file's order (a year-first date in a day-first file,
            // say a pasted line) is no header here: a continuation, counted as unparsed.
            let Some(h) = header(&line).filter(|h| h.date.fits(self.order)) else {
                let unparsed = date_like(&line);
                self.summary.unparsed_headers += u64::from(unparsed);
                if !self.started && non_empty {
                    self.summary.before_first_message += 1;
                }
                if non_empty && (unparsed || !self.started) {
                    self.summary.unused_lines += 1;
                }
                if let Some(b) = self.current.as_mut() {
                    b.push_line(&line);
                }
                continue;
            };
            let Some((author, first)) = author_and_text(h.body) else {
                self.summary.system_notices += 1;
                if !self.started {
                    self.summary.before_first_message += 1;
                }
                if let Some(b) = self.current.as_mut() {
                    b.push_line(&line);
                }
                continue;
            };
            self.started = true;
            let order = self.order;
            let local = civil(&h, order).ok_or_else(|| Error::Parse {
                path: self.source.clone(),
                line: number,
                message: format!(
                    "{:?} is not a valid date and time in the file's date order ({order:?}; one order per file, \
                     given by WhatsAppOptions::date_order / --date-order or inferred)",
                    crate::error::excerpt(&line)
                ),
            })?;
            let ts = self.tz.to_ambiguous_timestamp(local).compatible().map_err(|e| Error::Parse {
                path: self.source.clone(),
                line: number,
                message: e.to_string(),
            })?;
            let message = ChatMessage {
                line: number,
                local,
                ts_micros: ts.as_microsecond(),
                author: py_strip(author).to_string(),
                text: String::new(),
                original_line: String::new(),
            };
            let next = Building::new(message, author, first);
            if let Some(previous) = self.current.replace(next) {
                match previous.finish() {
                    Some(m) => return Ok(Some(m)),
                    None => self.summary.dropped_empty += 1,
                }
            }
        }
    }
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

/// The whole text parsed as the reader did before: the order inferred by a first pass, then the parse.
pub(super) fn parse(text: &str, opts: &WhatsAppOptions) -> Result<Chat> {
    let tz = TimeZone::get(&opts.tz).map_err(|e| Error::invalid("time zone", &opts.tz, e.to_string()))?;
    let lines = || LineReader::new(Box::new(text.as_bytes()), "t", opts.max_line_bytes);
    let order = match opts.date_order {
        Some(o) => o,
        None => infer_order(lines(), opts.normalize)?,
    };
    let mut parser = Parser::new(lines(), tz, order, opts);
    let mut messages = Vec::new();
    while let Some(m) = parser.next_message()? {
        messages.push(m);
    }
    Ok(Chat::from_parts(messages, parser.summary()))
}
