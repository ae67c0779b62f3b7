//! Line-by-line parsing: one parser for whole texts, files and zip members, holding only the line being
//! read and the message being built.

use std::borrow::Cow;
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, TimestampMicrosecondArray, UInt64Array};
use jiff::tz::TimeZone;

use super::{ChatMessage, DateOrder, WhatsAppOptions, author_and_text, civil, header, normalize_line};
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

/// Counts of a parse so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChatSummary {
    /// Lines read.
    pub lines: u64,
    /// Messages handed out.
    pub messages: u64,
    /// Lines with a timestamp but no author (joined, left, changed the subject...).
    pub system_notices: u64,
    /// Messages dropped because their text was empty after joining and stripping.
    pub dropped_empty: u64,
    /// The date order in use.
    pub date_order: Option<DateOrder>,
}

/// Lines of an export, one at a time: `\n` or `\r\n` ends a line (a lone `\r` at the end of a line is
/// dropped too), a byte-order mark at the start of the input is skipped.
pub(super) struct LineReader<'a> {
    reader: Box<dyn BufRead + 'a>,
    buf: Vec<u8>,
    number: u64,
    source: String,
}

impl<'a> LineReader<'a> {
    pub(super) fn new(reader: Box<dyn BufRead + 'a>, source: impl Into<String>) -> Self {
        LineReader { reader, buf: Vec::with_capacity(8192), number: 0, source: source.into() }
    }

    /// The next line and its 1-based number, without its line end; an error names the line that is
    /// not UTF-8.
    fn next_line(&mut self) -> Result<Option<(u64, &str)>> {
        if self.buf.capacity() > KEEP_LINE_CAPACITY {
            self.buf = Vec::with_capacity(8192);
        }
        self.buf.clear();
        let n = self.reader.read_until(b'\n', &mut self.buf).map_err(|e| Error::io(&self.source, e))?;
        let mut bytes: &[u8] = &self.buf;
        if self.number == 0 {
            bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
            // A file holding only a byte-order mark has no line.
            if bytes.is_empty() {
                return Ok(None);
            }
        }
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let number = self.number;
        std::str::from_utf8(bytes).map(|s| Some((number, s))).map_err(|_| Error::Parse {
            path: self.source.clone(),
            line: self.number,
            message: "not valid UTF-8".into(),
        })
    }
}

/// The date order of an export from its header lines, in one pass of constant memory: a first field
/// over 12 means day-first, else a second field over 12 month-first, else day-first.
pub(super) fn infer_order(mut lines: LineReader<'_>, normalize: bool) -> Result<DateOrder> {
    let mut month_first = false;
    while let Some((_, raw)) = lines.next_line()? {
        // On an ASCII line normalization only escapes `&`, `<` and `>`, which no header contains: the
        // header (and its fields) is the same with or without it.
        let line = if normalize && !raw.is_ascii() { normalize_line(raw) } else { Cow::Borrowed(raw) };
        if let Some(h) = header(&line) {
            if h.a > 12 {
                return Ok(DateOrder::DayFirst);
            }
            month_first |= h.b > 12;
        }
    }
    Ok(if month_first { DateOrder::MonthFirst } else { DateOrder::DayFirst })
}

/// The message being built: its text so far, with the empty lines that followed it counted rather than
/// stored (they only matter if more text follows).
struct Building {
    message: ChatMessage,
    newlines: usize,
    /// The text so far is all whitespace (so stripping will remove it whatever follows).
    blank: bool,
}

impl Building {
    fn new(message: ChatMessage, first: &str) -> Self {
        let mut b = Building { message, newlines: 0, blank: true };
        b.message.text.clear();
        b.push_first(first);
        b
    }

    fn push_first(&mut self, line: &str) {
        self.message.text.push_str(line);
        self.blank = py_strip(line).is_empty();
    }

    /// Appends a line as `\n` + line; stripping the joined text at the end gives what stripping the
    /// whole join would: leading whitespace and trailing empty lines are never stored.
    fn push_line(&mut self, line: &str) {
        if line.is_empty() {
            self.newlines += 1;
            return;
        }
        if self.blank {
            self.message.text.clear();
            self.newlines = 0;
            self.push_first(line);
            return;
        }
        for _ in 0..=self.newlines {
            self.message.text.push('\n');
        }
        self.newlines = 0;
        self.message.text.push_str(line);
    }

    /// The message with its text stripped, or None when that leaves it empty.
    fn finish(self) -> Option<ChatMessage> {
        let mut m = self.message;
        let stripped = py_strip(&m.text);
        if stripped.is_empty() {
            return None;
        }
        let start = stripped.as_ptr() as usize - m.text.as_ptr() as usize;
        let end = start + stripped.len();
        m.text.truncate(end);
        m.text.drain(..start);
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
    current: Option<Building>,
    summary: ChatSummary,
    done: bool,
}

impl<'a> Parser<'a> {
    pub(super) fn new(lines: LineReader<'a>, tz: TimeZone, order: DateOrder, normalize: bool) -> Self {
        let summary = ChatSummary { date_order: Some(order), ..ChatSummary::default() };
        let source = lines.source.clone();
        Parser { lines, source, tz, order, normalize, current: None, summary, done: false }
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

    fn advance(&mut self) -> Result<Option<ChatMessage>> {
        loop {
            let Some((number, raw)) = self.lines.next_line()? else {
                while let Some(b) = self.current.take() {
                    match b.finish() {
                        Some(m) => return Ok(Some(m)),
                        None => self.summary.dropped_empty += 1,
                    }
                }
                return Ok(None);
            };
            self.summary.lines += 1;
            let line = if self.normalize { normalize_line(raw) } else { Cow::Borrowed(raw) };
            let Some(h) = header(&line) else {
                if let Some(b) = self.current.as_mut() {
                    b.push_line(&line);
                }
                continue;
            };
            let Some((author, first)) = author_and_text(h.body) else {
                self.summary.system_notices += 1;
                if let Some(b) = self.current.as_mut() {
                    b.push_line(&line);
                }
                continue;
            };
            let order = self.order;
            let local = civil(&h, order).ok_or_else(|| Error::Parse {
                path: self.source.clone(),
                line: number,
                message: format!("{:?} is not a valid {order:?} date and time", line.get(..40).unwrap_or(&line)),
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
                original_line: line.to_string(),
            };
            let next = Building::new(message, first);
            if let Some(previous) = self.current.replace(next) {
                match previous.finish() {
                    Some(m) => return Ok(Some(m)),
                    None => self.summary.dropped_empty += 1,
                }
            }
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
    /// Opens an export: a `.txt` file, or a `.zip` holding one (the member named like a WhatsApp chat,
    /// else the first `.txt`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown time zone; [`Error::Io`] when the file cannot be read
    /// (or the zip holds no `.txt`); while inferring the date order, [`Error::Parse`] naming a line that
    /// is not UTF-8.
    pub fn open(path: &Path, opts: &WhatsAppOptions) -> Result<Self> {
        let tz = zone(opts)?;
        let order = match opts.date_order {
            Some(o) => o,
            None => infer_order(open_lines(path)?, opts.normalize)?,
        };
        let parser = Parser::new(open_lines(path)?, tz, order, opts.normalize);
        Ok(WhatsAppStream { parser, batch_rows: DEFAULT_BATCH_ROWS, batch_bytes: DEFAULT_BATCH_BYTES, held: None })
    }

    /// Up to `max` messages (at least one) in file order; None when the export is exhausted.
    ///
    /// # Errors
    /// [`Error::Parse`] naming the line of a timestamp that is not a valid date or time, or of a line
    /// that is not UTF-8; [`Error::Io`] when reading fails. After an error the stream is exhausted.
    pub fn next_messages(&mut self, max: usize) -> Result<Option<Vec<ChatMessage>>> {
        let max = max.max(1);
        let mut out = Vec::with_capacity(max.min(DEFAULT_BATCH_ROWS));
        if let Some(m) = self.held.take() {
            out.push(m);
        }
        while out.len() < max {
            match self.parser.next_message()? {
                Some(m) => out.push(m),
                None => break,
            }
        }
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
        self.next_batch().transpose()
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

/// The lines of a `.txt` export or of the export inside a `.zip`.
fn open_lines(path: &Path) -> Result<LineReader<'static>> {
    let name = path.display().to_string();
    let is_zip = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if is_zip {
        let (reader, member) = zip_member(path)?;
        return Ok(LineReader::new(reader, format!("{name}:{member}")));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(&name, e))?;
    Ok(LineReader::new(Box::new(std::io::BufReader::with_capacity(1 << 16, file)), name))
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

/// The export inside a zip, decompressed by a thread as it is read (a few chunks of 64 KiB in flight,
/// never the whole member), and the member's name.
#[cfg(feature = "whatsapp")]
fn zip_member(path: &Path) -> Result<(Box<dyn BufRead + Send>, String)> {
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
    // Fail here, not in the thread, when the member cannot be opened.
    zip.by_name(&pick).map_err(|e| Error::io(format!("{name}:{pick}"), e))?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(4);
    let member = pick.clone();
    std::thread::Builder::new()
        .name("whatsapp-unzip".into())
        .spawn(move || {
            let mut entry = match zip.by_name(&member) {
                Ok(e) => e,
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e)));
                    return;
                }
            };
            loop {
                let mut buf = vec![0u8; 1 << 16];
                match entry.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
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
    Ok((Box::new(std::io::BufReader::with_capacity(1 << 16, reader)), pick))
}

#[cfg(not(feature = "whatsapp"))]
fn zip_member(path: &Path) -> Result<(Box<dyn BufRead + Send>, String)> {
    Err(Error::io(path.display(), "reading .zip exports needs the `whatsapp` feature"))
}
