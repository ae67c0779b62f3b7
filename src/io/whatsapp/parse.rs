//! One chunk of an export, parsed on its own: lines classified and header fields parsed straight into
//! columns (a few bytes of date fields, the line number, and the message's bytes appended to one buffer
//! per chunk). Nothing here depends on the chunks before: what does (the message a chunk's first lines
//! continue, whether the file has started, the date order) is left to the stitcher, as data.

use std::borrow::Cow;

use super::DateOrder;
use super::grammar::{Stamp, author_and_text, date_like, header, may_be_header};
use super::normalize::{Starters, normalize_with};
use crate::pystr::{is_py_space, py_strip};

/// Characters of a line quoted in an error.
pub(super) const EXCERPT_CHARS: usize = 80;

/// How chunks are parsed.
#[derive(Clone, Copy, Debug)]
pub(super) struct ParseConfig {
    pub normalize: bool,
    /// Whether the file is year-first (the first header decides, or the caller's order): which dates are
    /// headers at all depends on it. Day- and month-first files read the same headers.
    pub year_first: bool,
    pub max_line: usize,
    pub max_message: usize,
}

/// The date orders a chunk's messages may be read in: one for a year-first file, two otherwise.
pub(super) fn candidate_orders(year_first: bool) -> &'static [DateOrder] {
    if year_first { &[DateOrder::YearFirst] } else { &[DateOrder::DayFirst, DateOrder::MonthFirst] }
}

/// Index of an order in [`Parsed::invalid`].
pub(super) fn order_index(order: DateOrder) -> usize {
    match order {
        DateOrder::DayFirst => 0,
        DateOrder::MonthFirst => 1,
        DateOrder::YearFirst => 2,
    }
}

/// Lines appended to a message, as the pipeline joins them (with `\n`), with the empty lines at either
/// end counted rather than stored: they only matter if more text follows.
#[derive(Debug, Default)]
pub(super) struct Segment {
    /// Empty lines before the first non-empty one (all of them when none is).
    pub lead: u64,
    /// From the first non-empty line to the last, joined with `\n`.
    pub body: String,
    /// Empty lines after the last non-empty one.
    pub trail: u64,
    pub has_content: bool,
}

impl Segment {
    fn push(&mut self, line: &str) {
        if line.is_empty() {
            if self.has_content {
                self.trail += 1;
            } else {
                self.lead += 1;
            }
            return;
        }
        if self.has_content {
            push_newlines(&mut self.body, self.trail + 1);
        }
        self.body.push_str(line);
        self.trail = 0;
        self.has_content = true;
    }
}

pub(super) fn push_newlines(out: &mut String, n: u64) {
    // `n` is bounded by the caller's checks against the message limit.
    out.extend(std::iter::repeat_n('\n', n as usize));
}

/// Messages, complete, in file order: columns of date fields, first lines, and each message's bytes as
/// the pipeline keeps them (`Author: first line` then every further line, joined with `\n`, trailing
/// whitespace stripped). The author (stripped) is a prefix of those bytes and the text (stripped) a
/// suffix: [`Messages::author`], [`Messages::text`].
#[derive(Debug, Default)]
pub(super) struct Messages {
    pub stamps: Vec<Stamp>,
    pub lines: Vec<u64>,
    pub bytes: String,
    /// End of each message in `bytes`.
    pub ends: Vec<usize>,
    /// Bytes of each message's author as matched (before `": "`).
    pub author_len: Vec<u32>,
}

impl Messages {
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(super) fn original(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    /// Adds a message from its bytes (already joined, not yet stripped); false when its text is empty after
    /// stripping (the message is dropped, nothing added).
    pub(super) fn push_finished(&mut self, stamp: Stamp, line: u64, author_len: u32, start: usize) -> bool {
        let keep = finish_in_place(&mut self.bytes, start, author_len);
        if keep {
            self.stamps.push(stamp);
            self.lines.push(line);
            self.ends.push(self.bytes.len());
            self.author_len.push(author_len);
        }
        keep
    }
}

/// Strips the message that starts at `start` of `bytes` (its author takes `author_len` bytes, then `": "`):
/// trailing whitespace removed, or the whole message when its text is empty. True when it is kept.
fn finish_in_place(bytes: &mut String, start: usize, author_len: u32) -> bool {
    let text_from = (start + author_len as usize + 2).min(bytes.len());
    let text = bytes.get(text_from..).unwrap_or("");
    let trimmed = text.trim_end_matches(is_py_space);
    if trimmed.trim_start_matches(is_py_space).is_empty() {
        bytes.truncate(start);
        return false;
    }
    let end = text_from + trimmed.len();
    bytes.truncate(end);
    true
}

/// The stripped author of a message's bytes.
pub(super) fn author_of(original: &str, author_len: u32) -> &str {
    py_strip(original.get(..author_len as usize).unwrap_or(""))
}

/// The stripped text of a message's bytes (already stripped at the end).
pub(super) fn text_of(original: &str, author_len: u32) -> &str {
    let from = (author_len as usize + 2).min(original.len());
    original.get(from..).unwrap_or("").trim_start_matches(is_py_space)
}

/// The message a chunk ends in, still open: the next chunk's first lines may continue it.
#[derive(Debug)]
pub(super) struct Open {
    pub stamp: Stamp,
    pub line: u64,
    pub bytes: String,
    /// Empty lines after the last non-empty one, not stored.
    pub pending: u64,
    pub author_len: u32,
}

/// Counts of lines before a chunk's first message start: whether they are unused depends on whether the
/// file started before the chunk.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PrefixCounts {
    pub non_empty: u64,
    pub unparsed: u64,
    pub notices: u64,
}

/// Counts of the lines from a chunk's first message start on.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Counts {
    pub system_notices: u64,
    pub unparsed_headers: u64,
    pub unused_lines: u64,
    pub dropped_empty: u64,
}

/// The votes of a chunk's headers for the date order (headers with a four-digit first field left out).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Votes {
    /// A header with a first field over 12: day-first.
    pub day: bool,
    /// A header with a second field over 12: month-first, unless a day-first vote comes anywhere.
    pub month: bool,
}

/// A line-level error of a chunk: parsing stopped at that line.
#[derive(Debug)]
pub(super) enum LineError {
    TooLong { start: String },
    NotUtf8 { start: String },
    MessageTooLong { first_line: u64 },
}

/// What a chunk holds.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    /// Lines read (up to an error).
    pub lines: u64,
    pub non_empty: u64,
    /// The first non-empty line: its number in the chunk (1-based) and an excerpt.
    pub first_non_empty: Option<(u64, String)>,
    /// Lines before the chunk's first message start: they continue the message open before the chunk.
    pub prefix: Segment,
    pub prefix_counts: PrefixCounts,
    /// Messages that start and end in the chunk.
    pub messages: Messages,
    /// The last message of the chunk; None when no line of it starts a message.
    pub open: Option<Open>,
    pub counts: Counts,
    pub votes: Votes,
    /// The first message header that is no valid date in each order ([`order_index`]): line and excerpt.
    pub invalid: [Option<(u64, String)>; 3],
    /// The first line-level error: parsing stopped there (its line number).
    pub error: Option<(u64, LineError)>,
}

impl Parsed {
    /// Whether a line of the chunk starts a message.
    pub(super) fn has_start(&self) -> bool {
        self.open.is_some()
    }
}

/// Whether a line holds anything but Python whitespace.
fn is_non_empty(line: &str) -> bool {
    match line.chars().next() {
        None => false,
        Some(c) if !is_py_space(c) => true,
        Some(_) => !py_strip(line).is_empty(),
    }
}

/// The start of some bytes as text (invalid UTF-8 as U+FFFD), cut to [`EXCERPT_CHARS`] characters.
pub(super) fn lossy_excerpt(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(4 * EXCERPT_CHARS)];
    let text = String::from_utf8_lossy(head);
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None if head.len() < bytes.len() => format!("{text}…"),
        None => text.into_owned(),
    }
}

/// Lines of a chunk: each with its end (no line end included); `\r\n`, `\r` and `\n` end a line. A last
/// piece without a line end is a line when it is not empty.
struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Lines<'a> {
    /// (start, end) of the line in the chunk.
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let rest = &self.bytes[self.at..];
        if rest.is_empty() {
            return None;
        }
        let start = self.at;
        match memchr::memchr2(b'\n', b'\r', rest) {
            Some(i) => {
                let mut next = start + i + 1;
                if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') {
                    next += 1;
                }
                self.at = next;
                Some((start, start + i))
            }
            None => {
                self.at = self.bytes.len();
                Some((start, self.bytes.len()))
            }
        }
    }
}

/// Parses one chunk (whole lines, the file's byte-order mark already removed).
pub(super) fn parse_chunk(chunk: &[u8], cfg: &ParseConfig) -> Parsed {
    // SIMD validation: several times core's on text that is mostly not ASCII.
    let (text, valid) = match simdutf8::compat::from_utf8(chunk) {
        Ok(s) => (s, chunk.len()),
        Err(e) => {
            let valid = e.valid_up_to();
            (simdutf8::compat::from_utf8(&chunk[..valid]).unwrap_or(""), valid)
        }
    };
    let parse_order = if cfg.year_first { DateOrder::YearFirst } else { DateOrder::DayFirst };
    let orders = candidate_orders(cfg.year_first);
    let mut p = Parsed::default();
    // The open message's bytes are the tail of `p.messages.bytes` from `open_start`.
    let mut open: Option<(Stamp, u64, u32, usize)> = None;
    let mut pending = 0u64;
    let mut starters = Starters::default();
    for (start, end) in (Lines { bytes: chunk, at: 0 }) {
        let number = p.lines + 1;
        if end - start > cfg.max_line {
            p.error = Some((number, LineError::TooLong { start: lossy_excerpt(&chunk[start..end]) }));
            break;
        }
        if end > valid {
            p.error = Some((number, LineError::NotUtf8 { start: lossy_excerpt(&chunk[start..end]) }));
            break;
        }
        p.lines = number;
        let raw = &text[start..end];
        let non_empty = is_non_empty(raw);
        if non_empty {
            p.non_empty += 1;
            if p.first_non_empty.is_none() {
                p.first_non_empty = Some((number, crate::error::excerpt(raw)));
            }
        }
        let line: Cow<'_, str> = if cfg.normalize { normalize_with(raw, &mut starters) } else { Cow::Borrowed(raw) };
        let h = if may_be_header(line.as_bytes()) { header(&line) } else { None };
        if let Some(h) = &h
            && h.date.a_digits != 4
        {
            p.votes.day |= h.date.a > 12;
            p.votes.month |= h.date.b > 12;
        }
        let started = open.is_some();
        let Some(h) = h.filter(|h| h.date.fits(parse_order)) else {
            let unparsed = may_be_header(line.as_bytes()) && date_like(&line);
            if started {
                p.counts.unparsed_headers += u64::from(unparsed);
                p.counts.unused_lines += u64::from(non_empty && unparsed);
                append_line(&mut p.messages.bytes, &mut pending, &line);
            } else {
                p.prefix_counts.non_empty += u64::from(non_empty);
                p.prefix_counts.unparsed += u64::from(unparsed);
                p.prefix.push(&line);
            }
            if let Some(first_line) = over_limit(&p.messages.bytes, open, cfg.max_message) {
                p.error = Some((number, LineError::MessageTooLong { first_line }));
                break;
            }
            continue;
        };
        let Some((author, first)) = author_and_text(h.body) else {
            if started {
                p.counts.system_notices += 1;
                append_line(&mut p.messages.bytes, &mut pending, &line);
            } else {
                p.prefix_counts.notices += 1;
                p.prefix.push(&line);
            }
            if let Some(first_line) = over_limit(&p.messages.bytes, open, cfg.max_message) {
                p.error = Some((number, LineError::MessageTooLong { first_line }));
                break;
            }
            continue;
        };
        let stamp = Stamp::of(&h);
        for &order in orders {
            let slot = &mut p.invalid[order_index(order)];
            if slot.is_none() && stamp.civil(order).is_none() {
                *slot = Some((number, crate::error::excerpt(&line)));
            }
        }
        if let Some((s, l, a, from)) = open.take()
            && !p.messages.push_finished(s, l, a, from)
        {
            p.counts.dropped_empty += 1;
        }
        if p.messages.bytes.capacity() == 0 {
            // The messages' bytes are about the rest of the chunk's: one allocation, no growth.
            let rest = chunk.len() - start;
            p.messages.bytes.reserve(rest + rest / 8);
        }
        let from = p.messages.bytes.len();
        let bytes = &mut p.messages.bytes;
        bytes.push_str(author);
        bytes.push_str(": ");
        bytes.push_str(first);
        pending = 0;
        // An author is part of one line, and lines are at most `max_line` bytes: it fits a u32 when the
        // limit does; a longer author (a limit past 4 GiB) is cut to what a u32 holds.
        let author_len = u32::try_from(author.len()).unwrap_or(u32::MAX);
        open = Some((stamp, number, author_len, from));
    }
    if let Some((stamp, line, author_len, from)) = open {
        let bytes = p.messages.bytes.split_off(from);
        p.open = Some(Open { stamp, line, bytes, pending, author_len });
    }
    p
}

/// The first line of the open message (whose bytes are the tail of `bytes`) when it is longer than `max`.
fn over_limit(bytes: &str, open: Option<(Stamp, u64, u32, usize)>, max: usize) -> Option<u64> {
    open.filter(|o| bytes.len() - o.3 > max).map(|o| o.1)
}

/// Appends a line to the open message at the end of `bytes`, empty lines counted in `pending`.
fn append_line(bytes: &mut String, pending: &mut u64, line: &str) {
    if line.is_empty() {
        *pending += 1;
        return;
    }
    push_newlines(bytes, *pending + 1);
    *pending = 0;
    bytes.push_str(line);
}
