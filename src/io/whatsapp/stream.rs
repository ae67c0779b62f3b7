//! Line-by-line parsing: one parser for whole texts, files and zip members, holding only the line being
//! read and the message being built.

use std::borrow::Cow;
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, TimestampMicrosecondArray, UInt64Array};
use jiff::tz::TimeZone;

use super::{ChatMessage, DateOrder, WhatsAppOptions, author_and_text, civil, date_like, header, normalize_line};
use crate::error::{Error, Result};
use crate::kernels::strings::string_column;
use crate::pystr::py_strip;

/// Rows of a [`WhatsAppStream`] batch by default.
pub const DEFAULT_BATCH_ROWS: usize = 65_536;
/// Bytes of text (and authors) after which a [`WhatsAppStream`] batch is cut by default: 1 GiB, half of
/// what 32-bit Arrow offsets can address.
pub const DEFAULT_BATCH_BYTES: usize = 1 << 30;
/// A line buffer grown past this by a long line is given back once the line is done.
const KEEP_LINE_CAPACITY: usize = 4 << 20;
/// Characters of a line quoted in an error.
const EXCERPT_CHARS: usize = 80;

/// Counts of a parse so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChatSummary {
    /// Lines read.
    pub lines: u64,
    /// Lines holding anything but spaces.
    pub non_empty_lines: u64,
    /// Messages handed out.
    pub messages: u64,
    /// Lines with a timestamp but no author (joined, left, changed the subject...).
    pub system_notices: u64,
    /// Messages dropped because their text was empty after joining and stripping.
    pub dropped_empty: u64,
    /// Non-empty lines before the first message (system notices included): no message holds them.
    pub before_first_message: u64,
    /// Lines that start like a header (a date, after any bidi marks and `[`) but do not parse as one:
    /// they are kept as continuation lines, and counted here.
    pub unparsed_headers: u64,
    /// Lines that go unused: the non-empty lines before the first message that are not system notices,
    /// and the lines after it that start like a header but do not parse. When they are more than half of
    /// the non-empty lines, the parse fails unless [`WhatsAppOptions::allow_unused_lines`].
    pub unused_lines: u64,
    /// The date order in use.
    pub date_order: Option<DateOrder>,
}

/// Lines of an export, one at a time, read with universal newlines: `\r\n`, `\r` and `\n` each end a
/// line; a byte-order mark at the start of the input is skipped. A line longer than the limit is an
/// error (the buffer never grows past it).
pub(super) struct LineReader<'a> {
    reader: Box<dyn BufRead + Send + 'a>,
    buf: Vec<u8>,
    number: u64,
    source: String,
    max_line: usize,
    /// The last line ended with `\r`: a `\n` right after it belongs to that line end.
    after_cr: bool,
}

impl<'a> LineReader<'a> {
    pub(super) fn new(reader: Box<dyn BufRead + Send + 'a>, source: impl Into<String>, max_line: usize) -> Self {
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
pub(super) fn infer_order(mut lines: LineReader<'_>, normalize: bool) -> Result<DateOrder> {
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
pub(super) struct Parser<'a> {
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
    pub(super) fn new(lines: LineReader<'a>, tz: TimeZone, order: DateOrder, opts: &WhatsAppOptions) -> Self {
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

    pub(super) fn summary(&self) -> &ChatSummary {
        &self.summary
    }

    /// The next message in file order; after an error, None.
    pub(super) fn next_message(&mut self) -> Result<Option<ChatMessage>> {
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

/// A shared view of a [`WhatsAppStream`]'s counts (see [`WhatsAppStream::summary_handle`]).
#[derive(Clone, Debug)]
pub struct SummaryHandle(Arc<std::sync::Mutex<ChatSummary>>);

impl SummaryHandle {
    /// The counts as of the last batch or chunk the stream handed out.
    pub fn get(&self) -> ChatSummary {
        match self.0.lock() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// The zone of `opts`, or an error naming it.
pub(super) fn zone(opts: &WhatsAppOptions) -> Result<TimeZone> {
    TimeZone::get(&opts.tz).map_err(|e| Error::invalid("time zone", &opts.tz, e.to_string()))
}

/// A WhatsApp export read line by line (a `.txt` file, or the export inside a `.zip`, decompressed as it
/// is read), handed out as messages or as Arrow batches. Memory holds one line, the message being built
/// and one batch, whatever the size of the file. When the options give no date order, [`open`] first
/// reads the header lines once to infer it (constant memory), then the file is read again to parse it.
///
/// [`open`]: WhatsAppStream::open
///
/// # Example
/// ```
/// use streamliner::io::whatsapp::{WhatsAppOptions, WhatsAppStream};
/// let path = std::env::temp_dir().join("streamliner_doc_stream.txt");
/// std::fs::write(&path, "31/12/2023, 21:41 - Alice: hi\nthere\n01/01/2024, 00:00 - Bob: 🎉\n")?;
/// let mut stream = WhatsAppStream::open(&path, &WhatsAppOptions::default())?;
/// let first = stream.next_messages(1)?.unwrap();
/// assert_eq!(first[0].text, "hi\nthere");
/// let rest = stream.next_messages(10)?.unwrap();
/// assert_eq!(rest[0].author, "Bob");
/// assert!(stream.next_messages(10)?.is_none());
/// assert_eq!(stream.summary().lines, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct WhatsAppStream {
    parser: Parser<'static>,
    group: String,
    shared: SummaryHandle,
    batch_rows: usize,
    batch_bytes: usize,
    /// A message read but left for the next batch (it would have taken the batch past its bytes).
    held: Option<ChatMessage>,
}

impl std::fmt::Debug for WhatsAppStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppStream")
            .field("source", &self.parser.source)
            .field("summary", &self.parser.summary)
            .field("batch_rows", &self.batch_rows)
            .finish_non_exhaustive()
    }
}

impl WhatsAppStream {
    /// Opens an export: a `.txt` file, or a `.zip` holding one (the chat member: see [`chat_member`]).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown time zone; [`Error::Io`] when the file cannot be read,
    /// the zip holds no candidate `.txt`, or the member's declared size passes
    /// [`WhatsAppOptions::max_member_bytes`]; while inferring the date order, [`Error::Parse`] naming a
    /// line that is not UTF-8 or too long.
    pub fn open(path: &Path, opts: &WhatsAppOptions) -> Result<Self> {
        let tz = zone(opts)?;
        let order = match opts.date_order {
            Some(o) => o,
            None => infer_order(open_lines(path, opts)?.0, opts.normalize)?,
        };
        let (lines, group) = open_lines(path, opts)?;
        let parser = Parser::new(lines, tz, order, opts);
        let shared = SummaryHandle(Arc::new(std::sync::Mutex::new(parser.summary.clone())));
        Ok(WhatsAppStream {
            parser,
            group,
            shared,
            batch_rows: DEFAULT_BATCH_ROWS,
            batch_bytes: DEFAULT_BATCH_BYTES,
            held: None,
        })
    }

    /// The group's name as the existing pipeline takes it: from the chat file's name (inside the zip for
    /// a `.zip`): the group of `WhatsApp Chat with GROUP.txt`, else the file's stem.
    pub fn group_name(&self) -> &str {
        &self.group
    }

    /// A handle on this stream's [`ChatSummary`] that stays readable after the stream is handed on (to
    /// a reader or a window stream): it holds the counts as of the last batch or chunk handed out.
    pub fn summary_handle(&self) -> SummaryHandle {
        self.shared.clone()
    }

    fn publish(&self) {
        if let Ok(mut s) = self.shared.0.lock() {
            s.clone_from(&self.parser.summary);
        }
    }

    /// Up to `max` messages (at least one) in file order; None when the export is exhausted.
    ///
    /// # Errors
    /// [`Error::Parse`] naming the line of a timestamp that is not a valid date or time, or of a line
    /// that is not UTF-8 or longer than [`WhatsAppOptions::max_line_bytes`]; at the end of the file,
    /// [`Error::Parse`] quoting the first line when no line started a message, or when most lines went
    /// unused ([`ChatSummary::unused_lines`]) unless [`WhatsAppOptions::allow_unused_lines`];
    /// [`Error::Io`] when reading fails (a zip member past [`WhatsAppOptions::max_member_bytes`]
    /// included). After an error the stream is exhausted.
    pub fn next_messages(&mut self, max: usize) -> Result<Option<Vec<ChatMessage>>> {
        let max = max.max(1);
        let mut out = Vec::with_capacity(max.min(1024));
        if let Some(m) = self.held.take() {
            out.push(m);
        }
        while out.len() < max {
            match self.parser.next_message() {
                Ok(Some(m)) => out.push(m),
                Ok(None) => break,
                Err(e) => {
                    self.publish();
                    return Err(e);
                }
            }
        }
        self.publish();
        Ok(if out.is_empty() { None } else { Some(out) })
    }

    /// Counts so far: lines read, messages handed out, system notices, empty messages dropped, and the
    /// date order in use.
    pub fn summary(&self) -> ChatSummary {
        self.parser.summary.clone()
    }

    /// Rows per batch of the iterator (default 65,536; at least 1).
    pub fn with_batch_size(mut self, rows: usize) -> Self {
        self.batch_rows = rows.max(1);
        self
    }

    /// Bytes of text and authors after which the iterator starts a new batch (default 1 GiB; a single
    /// larger message is a batch of its own, with `LargeUtf8` columns past `i32::MAX` bytes).
    pub fn with_batch_bytes(mut self, bytes: usize) -> Self {
        self.batch_bytes = bytes.max(1);
        self
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        let mut msgs = Vec::new();
        let mut bytes = 0usize;
        if let Some(m) = self.held.take() {
            bytes += m.text.len() + m.author.len();
            msgs.push(m);
        }
        while msgs.len() < self.batch_rows {
            let Some(m) = self.parser.next_message()? else { break };
            let size = m.text.len() + m.author.len();
            if !msgs.is_empty() && bytes.saturating_add(size) > self.batch_bytes {
                self.held = Some(m);
                break;
            }
            bytes += size;
            msgs.push(m);
        }
        if msgs.is_empty() { Ok(None) } else { messages_batch(&msgs, i32::MAX as usize).map(Some) }
    }
}

/// Batches of at most `batch_size` messages (fewer when their text passes the batch's bytes): `ts`
/// (timestamp µs, UTC), `author`, `text`, `line` (u64), as [`super::Chat::to_record_batch`] gives them.
impl Iterator for WhatsAppStream {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = self.next_batch().transpose();
        self.publish();
        batch
    }
}

/// The table of `messages`; a string column whose bytes pass `limit` is `LargeUtf8`.
pub(super) fn messages_batch(messages: &[ChatMessage], limit: usize) -> Result<RecordBatch> {
    let ts = TimestampMicrosecondArray::from_iter_values(messages.iter().map(|m| m.ts_micros)).with_timezone("UTC");
    let author = string_column(messages.iter().map(|m| m.author.as_str()), limit);
    let text = string_column(messages.iter().map(|m| m.text.as_str()), limit);
    let line = UInt64Array::from_iter_values(messages.iter().map(|m| m.line));
    RecordBatch::try_from_iter([
        ("ts", Arc::new(ts) as ArrayRef),
        ("author", author),
        ("text", text),
        ("line", Arc::new(line) as ArrayRef),
    ])
    .map_err(|e| Error::invalid("chat table", messages.len(), e.to_string()))
}

/// The lines of a `.txt` export or of the export inside a `.zip`, and the group's name.
fn open_lines(path: &Path, opts: &WhatsAppOptions) -> Result<(LineReader<'static>, String)> {
    let name = path.display().to_string();
    let is_zip = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if is_zip {
        let (reader, member) = zip_member(path, opts.max_member_bytes)?;
        let group = group_from_file_name(&member);
        return Ok((LineReader::new(reader, format!("{name}:{member}"), opts.max_line_bytes), group));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(&name, e))?;
    let group = group_from_file_name(&path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    let reader = Box::new(std::io::BufReader::with_capacity(1 << 16, file));
    Ok((LineReader::new(reader, name, opts.max_line_bytes), group))
}

/// `WhatsApp(?: Chat with|.*) (.+)\.txt` at the start of a file name (Python's `re.match`).
fn chat_name_pattern() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    // A constant pattern, compiled in the tests: it cannot fail.
    RE.get_or_init(|| regex::Regex::new(r"^WhatsApp(?: Chat with|.*) (.+)\.txt").expect("valid chat name pattern"))
}

/// The group's name from a chat file's name (a path inside a zip, or a file name): the group of
/// `WhatsApp Chat with GROUP.txt`, else the file's stem (the name without its last extension).
pub(super) fn group_from_file_name(member: &str) -> String {
    let file = member.rsplit(['/', '\\']).next().unwrap_or(member);
    if let Some(c) = chat_name_pattern().captures(file).and_then(|c| c.get(1)) {
        return c.as_str().to_string();
    }
    match file.rfind('.') {
        Some(i) if i > 0 => file[..i].to_string(),
        _ => file.to_string(),
    }
}

/// Which member of a zip is the chat, as the existing pipeline chooses it: among the members whose name
/// ends in `.txt` (any case) and whose path does not start with `__` (so never `__MACOSX/`), the one with
/// the highest score, its uncompressed size plus 1,000,000 when its file name matches
/// `WhatsApp(?: Chat with|.*) (.+)\.txt`; the first in the zip's order on a tie. `members` are (path,
/// uncompressed size) in the zip's order.
///
/// # Example
/// ```
/// use streamliner::io::whatsapp::chat_member;
/// let members = [("__MACOSX/._chat.txt", 9_000_000), ("notes.txt", 900_000), ("WhatsApp Chat with Ann.txt", 10)];
/// assert_eq!(chat_member(members.iter().map(|&(n, s)| (n, s))), Some(2));
/// assert_eq!(chat_member([("__MACOSX/x.txt", 1)]), None);
/// ```
pub fn chat_member<'a>(members: impl IntoIterator<Item = (&'a str, u64)>) -> Option<usize> {
    let mut best: Option<(u64, usize)> = None;
    for (i, (path, size)) in members.into_iter().enumerate() {
        if path.starts_with("__") || path.ends_with('/') || !path.to_ascii_lowercase().ends_with(".txt") {
            continue;
        }
        let file = path.rsplit('/').next().unwrap_or(path);
        let bonus = if chat_name_pattern().is_match(file) { 1_000_000 } else { 0 };
        let score = size.saturating_add(bonus);
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, i));
        }
    }
    best.map(|(_, i)| i)
}

/// Reads from a channel of byte chunks (a decompressing thread on the other end).
#[cfg(feature = "whatsapp")]
struct ChannelReader {
    rx: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
}

#[cfg(feature = "whatsapp")]
impl std::io::Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => (self.chunk, self.pos) = (chunk, 0),
                Ok(Err(e)) => return Err(e),
                // The thread is done: end of the member.
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.chunk.len() - self.pos);
        out[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The export inside a zip (the member [`chat_member`] picks), decompressed by a thread as it is read (a
/// few chunks of 64 KiB in flight, never the whole member), and the member's name. Past `max_bytes`
/// decompressed, the reader fails.
#[cfg(feature = "whatsapp")]
fn zip_member(path: &Path, max_bytes: u64) -> Result<(Box<dyn BufRead + Send>, String)> {
    use std::io::Read;
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(&name, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| Error::io(&name, e))?;
    let mut members = Vec::with_capacity(zip.len().min(1 << 16));
    for i in 0..zip.len() {
        // Members that cannot be read are not candidates.
        if let Ok(m) = zip.by_index_raw(i)
            && let Ok(n) = m.name()
        {
            members.push((i, n.into_owned(), m.size()));
        }
    }
    let pick = chat_member(members.iter().map(|(_, n, s)| (n.as_str(), *s))).ok_or_else(|| {
        let names: Vec<String> = members.iter().take(5).map(|(_, n, _)| crate::error::excerpt(n)).collect();
        Error::io(
            &name,
            format!(
                "the zip holds no chat export: no member ends in .txt outside folders starting with `__` \
                 (its members: {}{})",
                if names.is_empty() { "none".to_string() } else { names.join(", ") },
                if members.len() > 5 { ", ..." } else { "" }
            ),
        )
    })?;
    let (index, member, size) = members.swap_remove(pick);
    if size > max_bytes {
        return Err(Error::io(
            format!("{name}:{member}"),
            format!("decompresses to {size} bytes, past the limit of {max_bytes} (WhatsAppOptions::max_member_bytes)"),
        ));
    }
    // Fail here, not in the thread, when the member cannot be opened.
    zip.by_index(index).map_err(|e| Error::io(format!("{name}:{member}"), e))?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(4);
    std::thread::Builder::new()
        .name("whatsapp-unzip".into())
        .spawn(move || {
            let mut entry = match zip.by_index(index) {
                Ok(e) => e,
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e)));
                    return;
                }
            };
            let mut total = 0u64;
            loop {
                let mut buf = vec![0u8; 1 << 16];
                match entry.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        total += n as u64;
                        if total > max_bytes {
                            let _ = tx.send(Err(std::io::Error::other(format!(
                                "the export decompresses past the limit of {max_bytes} bytes \
                                 (WhatsAppOptions::max_member_bytes)"
                            ))));
                            return;
                        }
                        buf.truncate(n);
                        // The reader was dropped: stop.
                        if tx.send(Ok(buf)).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
        })
        .map_err(|e| Error::io(&name, e))?;
    let reader = ChannelReader { rx, chunk: Vec::new(), pos: 0 };
    Ok((Box::new(std::io::BufReader::with_capacity(1 << 16, reader)), member))
}

#[cfg(not(feature = "whatsapp"))]
fn zip_member(path: &Path, _max_bytes: u64) -> Result<(Box<dyn BufRead + Send>, String)> {
    Err(Error::io(path.display(), "reading .zip exports needs the `whatsapp` feature"))
}

#[cfg(test)]
mod tests {
    use super::super::{Chat, header};
    use super::*;

    /// The parser as it was before streaming (the whole text split into lines), kept as the reference;
    /// extended since with universal newlines, year-first inference, the pipeline's original lines, the
    /// counts of unused lines and the errors of a file without messages or with most lines unused.
    fn reference(text: &str, opts: &WhatsAppOptions) -> Result<Chat> {
        let tz = zone(opts)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let unified = text.replace("\r\n", "\n").replace('\r', "\n");
        let raw: Vec<&str> = unified.split('\n').collect();
        let raw = if raw.last() == Some(&"") { &raw[..raw.len() - 1] } else { &raw[..] };
        let normalized: Vec<Cow<'_, str>> =
            if opts.normalize { raw.iter().map(|l| normalize_line(l)).collect() } else { Vec::new() };
        let lines: Vec<&str> =
            if opts.normalize { normalized.iter().map(|l| l.as_ref()).collect() } else { raw.to_vec() };
        let headers: Vec<_> = lines.iter().map(|l| header(l)).collect();
        let order = opts.date_order.unwrap_or_else(|| {
            let parsed = headers.iter().flatten();
            if parsed.clone().next().is_some_and(|h| h.date.a_digits == 4) {
                return DateOrder::YearFirst;
            }
            let parsed = parsed.filter(|h| h.date.a_digits != 4);
            if parsed.clone().any(|h| h.date.a > 12) {
                DateOrder::DayFirst
            } else if parsed.clone().any(|h| h.date.b > 12) {
                DateOrder::MonthFirst
            } else {
                DateOrder::DayFirst
            }
        });
        let headers: Vec<_> = headers.into_iter().map(|h| h.filter(|h| h.date.fits(order))).collect();
        let mut chat = Chat { lines: lines.len() as u64, date_order: Some(order), ..Chat::default() };
        let mut current: Option<(ChatMessage, Vec<&str>, String)> = None;
        let finish = |chat: &mut Chat, cur: Option<(ChatMessage, Vec<&str>, String)>| {
            if let Some((mut m, parts, original)) = cur {
                m.text = py_strip(&parts.join("\n")).to_string();
                m.original_line = original.trim_end_matches(crate::pystr::is_py_space).to_string();
                if m.text.is_empty() {
                    chat.dropped_empty += 1;
                } else {
                    chat.messages.push(m);
                }
            }
        };
        let mut non_empty = 0u64;
        let mut first_line = None;
        for (i, (line, h)) in lines.iter().zip(&headers).enumerate() {
            let number = i as u64 + 1;
            let blank = py_strip(raw[i]).is_empty();
            if !blank {
                non_empty += 1;
                first_line.get_or_insert(number);
            }
            let started = !chat.messages.is_empty() || chat.dropped_empty > 0 || current.is_some();
            let Some(h) = h else {
                let unparsed = super::super::date_like(line);
                chat.unparsed_headers += u64::from(unparsed);
                chat.before_first_message += u64::from(!started && !blank);
                chat.unused_lines += u64::from(!blank && (unparsed || !started));
                if let Some((_, parts, original)) = current.as_mut() {
                    parts.push(line);
                    original.push('\n');
                    original.push_str(line);
                }
                continue;
            };
            let Some((author, first)) = author_and_text(h.body) else {
                chat.system_notices += 1;
                chat.before_first_message += u64::from(!started);
                if let Some((_, parts, original)) = current.as_mut() {
                    parts.push(line);
                    original.push('\n');
                    original.push_str(line);
                }
                continue;
            };
            let local = civil(h, order).ok_or_else(|| Error::Parse {
                path: "t".into(),
                line: number,
                message: "invalid".into(),
            })?;
            let ts = tz.to_ambiguous_timestamp(local).compatible().map_err(|e| Error::Parse {
                path: "t".into(),
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
                original_line: String::new(),
            };
            current = Some((message, vec![first], format!("{author}: {first}")));
        }
        let started = !chat.messages.is_empty() || chat.dropped_empty > 0 || current.is_some();
        if !started {
            return Err(Error::Parse {
                path: "t".into(),
                line: first_line.unwrap_or(chat.lines),
                message: "none".into(),
            });
        }
        if !opts.allow_unused_lines && chat.unused_lines * 2 > non_empty {
            return Err(Error::Parse { path: "t".into(), line: first_line.unwrap_or(1), message: "unused".into() });
        }
        finish(&mut chat, current.take());
        Ok(chat)
    }

    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) % n
        }
    }

    const PIECES: [&str; 31] = [
        "31/12/2023, 21:41 - Alice: hi",
        "1/2/24, 9:41\u{202f}PM - Zoë: a&b <c>",
        "[01/01/2024, 00:00:05] Bob: ios",
        "12/31/23, 1:00 AM - Mo: month first",
        "31/12/2023, 21:42 - Bob joined using this group's invite link",
        "31/12/2023, 21:45 - Eve:    ",
        "31/12/2023, 21:45 - Eve: ",
        "continuation",
        "",
        "",
        "   ",
        "\t\u{3000}",
        "ﬁ ① ｘ josé@x.org",
        "\u{200e}03/11/2024, 01:30 - Dst: fold",
        "10/03/2024, 02:30 - Gap: gap",
        "  indented: text",
        "😀",
        "a\rb",
        "\r",
        "x - y: z",
        "31.12.23, 21:46 - Frank: dots",
        "\u{feff}31/12/2023, 21:47 - Bom: mark",
        "2020-06-13, 21:41 - Ymd: year first",
        "[2018/06/13, 9:41:05 p.\u{a0}m.] Ymd: ios",
        "13.06.18 21.25.15: Old: colon layout",
        "13/06/2012 9:25 a. m.: Old: colon",
        "\u{202b}[13/06/2018, 21:41] Rtl: x",
        "13/06/2012 21:25:99 - x",
        "31/12/2023 garbage",
        "03-06-2018, 01.55\u{202f}PM - Dash: dot time",
        "a\rb\r\nc",
    ];

    fn random_export(rng: &mut Rng, lines: usize) -> String {
        let mut s = String::new();
        if rng.below(3) == 0 {
            s.push('\u{feff}');
        }
        for _ in 0..lines {
            s.push_str(PIECES[rng.below(PIECES.len() as u64) as usize]);
            s.push_str(if rng.below(4) == 0 { "\r\n" } else { "\n" });
        }
        if rng.below(2) == 0 {
            s.push_str(PIECES[rng.below(PIECES.len() as u64) as usize]);
        }
        s
    }

    fn options() -> Vec<WhatsAppOptions> {
        let mut out = Vec::new();
        for normalize in [false, true] {
            for date_order in [None, Some(DateOrder::DayFirst), Some(DateOrder::MonthFirst), Some(DateOrder::YearFirst)]
            {
                for tz in ["UTC", "America/New_York"] {
                    for allow_unused_lines in [false, true] {
                        out.push(WhatsAppOptions {
                            tz: tz.into(),
                            date_order,
                            normalize,
                            allow_unused_lines,
                            ..WhatsAppOptions::default()
                        });
                    }
                }
            }
        }
        out
    }

    /// Whole-file results (or errors, by line) through every entry point, in batches of every size.
    fn check_same(text: &str, opts: &WhatsAppOptions, path: &Path) {
        let want = reference(text, opts);
        let got = super::super::parse_whatsapp(text, "t", opts);
        match (&want, &got) {
            (Ok(w), Ok(g)) => {
                assert_eq!(w.messages, g.messages, "{text:?} {opts:?}");
                assert_eq!(
                    (w.lines, w.system_notices, w.dropped_empty, w.date_order),
                    (g.lines, g.system_notices, g.dropped_empty, g.date_order),
                    "{text:?}"
                );
                assert_eq!(
                    (w.before_first_message, w.unparsed_headers, w.unused_lines),
                    (g.before_first_message, g.unparsed_headers, g.unused_lines),
                    "{text:?}"
                );
            }
            (Err(Error::Parse { line: a, .. }), Err(Error::Parse { line: b, .. })) => assert_eq!(a, b, "{text:?}"),
            _ => panic!("{text:?} {opts:?}: {want:?} vs {got:?}"),
        }
        std::fs::write(path, text).unwrap();
        for size in [1usize, 2, 7, 65_536] {
            let mut stream = WhatsAppStream::open(path, opts).unwrap();
            let mut all = Vec::new();
            let result = loop {
                match stream.next_messages(size) {
                    Ok(Some(chunk)) => {
                        assert!(!chunk.is_empty() && chunk.len() <= size);
                        all.extend(chunk);
                    }
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(e),
                }
            };
            match (&want, result) {
                (Ok(w), Ok(())) => {
                    assert_eq!(w.messages, all, "{text:?} {opts:?} size {size}");
                    let s = stream.summary();
                    assert_eq!(
                        (s.lines, s.system_notices, s.dropped_empty, s.unused_lines),
                        (w.lines, w.system_notices, w.dropped_empty, w.unused_lines)
                    );
                    assert_eq!(s.messages, all.len() as u64);
                    let batches: Vec<RecordBatch> =
                        WhatsAppStream::open(path, opts).unwrap().with_batch_size(size).map(|b| b.unwrap()).collect();
                    assert!(batches.iter().all(|b| b.num_rows() <= size && b.num_rows() > 0));
                    if !batches.is_empty() {
                        let whole = arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap();
                        assert_eq!(whole, w.to_record_batch().unwrap());
                    }
                }
                (Err(Error::Parse { line: a, .. }), Err(Error::Parse { line: b, .. })) => assert_eq!(*a, b),
                (w, g) => panic!("{text:?}: {w:?} vs {g:?}"),
            }
        }
    }

    #[test]
    fn stream_equals_the_whole_text_parser_on_random_mixes() {
        let dir = std::env::temp_dir().join(format!("streamliner_wa_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("mix.txt");
        let mut rng = Rng(7);
        for _ in 0..120 {
            let lines = rng.below(40) as usize;
            let text = random_export(&mut rng, lines);
            for opts in options() {
                check_same(&text, &opts, &path);
            }
        }
        for text in ["", "\u{feff}", "\u{feff}\n", "\n", "\n\n", "a", "\r", "31/12/2023, 21:41 - A: x\r"] {
            for opts in options() {
                check_same(text, &opts, &path);
            }
        }
        let sample =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/sample_chat.txt")).unwrap();
        for opts in options() {
            check_same(&sample, &opts, &path);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_stream_can_move_to_another_thread() {
        fn send<T: Send>() {}
        send::<WhatsAppStream>();
    }

    #[test]
    fn empty_lines_after_a_message_are_counted_not_stored() {
        let mut text = String::from("31/12/2023, 21:41 - A: first\n");
        text.push_str(&"\n".repeat(100_000));
        text.push_str("  \nlast\n");
        text.push_str(&"\n".repeat(100_000));
        let lines = LineReader::new(Box::new(text.as_bytes()), "t", 1 << 20);
        let mut p = Parser::new(lines, TimeZone::UTC, DateOrder::DayFirst, &WhatsAppOptions::default());
        let m = p.next_message().unwrap().unwrap();
        assert_eq!(m.text, format!("first{}  \nlast", "\n".repeat(100_001)));
        assert!(p.next_message().unwrap().is_none());
        assert_eq!(p.summary().lines, 200_003);
    }

    #[test]
    fn batches_switch_before_their_bytes_pass_the_limit_and_to_large_utf8() {
        let dir = std::env::temp_dir().join(format!("streamliner_wa_bytes_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.txt");
        let text: String =
            (0..50).map(|i| format!("01/01/2024, 10:{:02} - A{i}: {}\n", i, "x".repeat(i * 10))).collect();
        std::fs::write(&path, &text).unwrap();
        let chat = super::super::read_whatsapp(&path, &WhatsAppOptions::default()).unwrap();
        let batches: Vec<RecordBatch> = WhatsAppStream::open(&path, &WhatsAppOptions::default())
            .unwrap()
            .with_batch_bytes(1000)
            .map(|b| b.unwrap())
            .collect();
        assert!(batches.len() > 5);
        for b in &batches {
            let text = b.column(2).as_any().downcast_ref::<arrow_array::StringArray>().unwrap();
            let author = b.column(1).as_any().downcast_ref::<arrow_array::StringArray>().unwrap();
            let bytes = text.value_data().len() + author.value_data().len();
            assert!(bytes <= 1000 || b.num_rows() == 1, "{bytes} bytes in {} rows", b.num_rows());
        }
        let whole = arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap();
        assert_eq!(whole, chat.to_record_batch().unwrap());
        // Past the (here small) limit, the string columns are LargeUtf8 with the same values.
        let large = messages_batch(&chat.messages, 100).unwrap();
        let small = chat.to_record_batch().unwrap();
        assert_eq!(large.column(2).data_type(), &arrow_schema::DataType::LargeUtf8);
        assert_eq!(small.column(2).data_type(), &arrow_schema::DataType::Utf8);
        for c in [1, 2] {
            let l = large.column(c).as_any().downcast_ref::<arrow_array::LargeStringArray>().unwrap();
            let s = small.column(c).as_any().downcast_ref::<arrow_array::StringArray>().unwrap();
            assert!(l.iter().eq(s.iter()));
        }
        assert_eq!(large.column(0), small.column(0));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
