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
//!
//! The file is read once. Its bytes are cut into chunks of whole lines, the chunks are parsed on every
//! core (lines classified and header fields written straight into columns), then stitched in file order:
//! a message whose lines cross a chunk's edge, line numbers, counts and errors are the same whatever the
//! chunking. The result comes as Arrow batches in the chat message schema ([`crate::io::chat`]).
//! Timestamps are wall-clock times in the zone the caller names (default UTC), converted to UTC as
//! Python's zoneinfo does with fold=0: a time in a gap moves forward by the gap, a time in a fold takes
//! its first occurrence.

mod batches;
mod chunks;
mod grammar;
mod normalize;
#[cfg(test)]
mod oracle;
mod parse;
mod reader;
mod stitch;
#[cfg(test)]
mod tests;
mod zip;

use std::path::Path;

use arrow_array::RecordBatch;
use jiff::civil::DateTime;

pub use batches::{DEFAULT_BATCH_BYTES, DEFAULT_BATCH_ROWS, SummaryHandle, WhatsAppStream};
pub use normalize::normalize_line;
pub use zip::chat_member;

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
/// Longest message read by default (its lines as the export holds them): 64 MiB.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 << 20;
/// Largest expansion of the export inside a `.zip` by default: 100 bytes out per compressed byte (chats
/// compress 5 to 10 times), past a floor of 64 MiB that any member may hold.
pub const DEFAULT_MAX_ZIP_RATIO: u64 = 100;

/// How to read an export.
#[derive(Clone, Debug)]
pub struct WhatsAppOptions {
    /// IANA zone of the export's wall-clock times (default `UTC`).
    pub tz: String,
    /// Date order; `None` infers it from the file: the first header decides whether it is year-first (a
    /// four-digit first field); if not, a first field over 12 anywhere means day-first, else a second
    /// field over 12 month-first, else day-first. Lines whose date has another shape than the order are
    /// continuation lines (counted in [`ChatSummary::unparsed_headers`]). The messages wait for the order
    /// until a header settles it; past 64 MiB of them, the headers read so far decide, and a later header
    /// that contradicts the order is an invalid date (an error naming its line), never a misdated message.
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
    /// The longest message, in bytes of its lines as the export holds them (default
    /// [`DEFAULT_MAX_MESSAGE_BYTES`]); a longer one is an error naming its first line.
    pub max_message_bytes: usize,
    /// The largest expansion of the export inside a `.zip`: decompressed bytes per compressed byte, past
    /// 64 MiB (default [`DEFAULT_MAX_ZIP_RATIO`]); past it, an error naming the member and the limit.
    pub max_zip_ratio: u64,
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
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            max_zip_ratio: DEFAULT_MAX_ZIP_RATIO,
        }
    }
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
    /// The member of a `.zip` that was read (None for a `.txt`).
    pub member: Option<String>,
}

/// Parses an export's text. `source` names it in errors. The same reader as [`WhatsAppStream`], over a
/// string, with every message as a struct (for small exports; the stream's batches are the columnar path).
///
/// # Errors
/// [`Error::Parse`] naming the line of a timestamp that is not a valid date or time, a line that is
/// not UTF-8 or longer than [`WhatsAppOptions::max_line_bytes`], or the first line of a message longer
/// than [`WhatsAppOptions::max_message_bytes`]; [`Error::Parse`] quoting the first line when no line
/// starts a message (an empty text too), or when most lines go unused (see [`ChatSummary::unused_lines`])
/// unless [`WhatsAppOptions::allow_unused_lines`]; [`Error::InvalidParameter`] for an unknown time zone.
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
    let (messages, summary) = batches::read_all(Box::new(text.as_bytes()), source, opts, reader::Cutting::default())?;
    Ok(Chat::from_parts(messages, &summary))
}

/// Reads a whole export from a `.txt` file or a `.zip` holding one, through [`WhatsAppStream`], with every
/// message as a struct (the messages are held in memory; the file is not).
///
/// # Errors
/// As [`WhatsAppStream::open`] and [`WhatsAppStream::next_messages`]: [`Error::Io`] when the file cannot
/// be read (or the zip holds no chat `.txt`, or it decompresses past the limits); [`Error::Parse`] as
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

    /// The messages as a table in the chat message schema ([`crate::io::chat`]): `ts` (timestamp,
    /// microseconds, UTC), `author`, `text`, `line`, `local_time`, `original_line`. The string columns are
    /// `Utf8`, or `LargeUtf8` when their bytes pass `i32::MAX`.
    ///
    /// # Errors
    /// Never in practice; an Arrow error would be reported as [`Error::InvalidParameter`].
    pub fn to_record_batch(&self) -> Result<RecordBatch> {
        messages_batch(&self.messages, i32::MAX as usize)
    }
}

/// The table of `messages` in the chat schema; a string column whose bytes pass `limit` is `LargeUtf8`.
pub(crate) fn messages_batch(messages: &[ChatMessage], limit: usize) -> Result<RecordBatch> {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, TimestampMicrosecondArray, UInt64Array};

    use crate::io::chat;
    use crate::kernels::strings::string_column;
    let ts = TimestampMicrosecondArray::from_iter_values(messages.iter().map(|m| m.ts_micros)).with_timezone("UTC");
    let local = TimestampMicrosecondArray::from_iter_values(messages.iter().map(|m| {
        let t = jiff::tz::TimeZone::UTC.to_ambiguous_timestamp(m.local).compatible();
        t.map_or(0, |t| t.as_microsecond())
    }));
    let line = UInt64Array::from_iter_values(messages.iter().map(|m| m.line));
    RecordBatch::try_from_iter([
        (chat::TS, Arc::new(ts) as ArrayRef),
        (chat::AUTHOR, string_column(messages.iter().map(|m| m.author.as_str()), limit)),
        (chat::TEXT, string_column(messages.iter().map(|m| m.text.as_str()), limit)),
        (chat::LINE, Arc::new(line) as ArrayRef),
        (chat::LOCAL_TIME, Arc::new(local) as ArrayRef),
        (chat::ORIGINAL_LINE, string_column(messages.iter().map(|m| m.original_line.as_str()), limit)),
    ])
    .map_err(|e| Error::invalid("chat table", messages.len(), e.to_string()))
}
