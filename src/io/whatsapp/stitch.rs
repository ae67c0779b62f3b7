//! Chunks put back in file order: the message a chunk ends in is continued by the next chunk's first
//! lines, line numbers and counts become the file's, the date order is decided as soon as the headers
//! settle it, and errors come at the first bad line in file order, whatever the chunking.

use std::collections::VecDeque;

use super::parse::{LineError, Messages, Open, Parsed, order_index, push_newlines};
use super::{ChatSummary, DateOrder};
use crate::error::{Error, Result};

/// Bytes of messages held while the date order is undecided, at most: past them, the order is decided by
/// the headers read so far (a later header that contradicts it is then an invalid date, an error).
pub(super) const ORDER_PREFIX_BYTES: usize = 64 << 20;

/// The date order so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OrderState {
    Known(DateOrder),
    /// Day- or month-first, not settled yet: a header with a first field over 12 settles day-first; at the
    /// end (or past [`ORDER_PREFIX_BYTES`]) a second field over 12 anywhere means month-first, else
    /// day-first.
    Undecided {
        month_vote: bool,
    },
}

/// How the stitcher checks what it joins.
#[derive(Clone, Debug)]
pub(super) struct StitchConfig {
    pub source: String,
    pub given: Option<DateOrder>,
    pub year_first: bool,
    pub allow_unused: bool,
    pub max_line: usize,
    pub max_message: usize,
    pub hold_limit: usize,
}

/// Puts parsed chunks back together.
pub(super) struct Assembler {
    cfg: StitchConfig,
    order: OrderState,
    summary: ChatSummary,
    line_base: u64,
    started: bool,
    first_line: Option<(u64, String)>,
    /// The message the last chunk ended in, with the file's line numbers.
    open: Option<Open>,
    /// The first message header that is no valid date, per order: line and excerpt.
    invalid: [Option<(u64, String)>; 3],
    /// Messages whose times wait for the date order, or ready to go.
    blocks: VecDeque<Messages>,
    held_bytes: usize,
}

impl Assembler {
    pub(super) fn new(cfg: StitchConfig) -> Self {
        let order = match (cfg.given, cfg.year_first) {
            (Some(o), _) => OrderState::Known(o),
            (None, true) => OrderState::Known(DateOrder::YearFirst),
            (None, false) => OrderState::Undecided { month_vote: false },
        };
        let mut summary = ChatSummary::default();
        if let OrderState::Known(o) = order {
            summary.date_order = Some(o);
        }
        Assembler {
            cfg,
            order,
            summary,
            line_base: 0,
            started: false,
            first_line: None,
            open: None,
            invalid: [None, None, None],
            blocks: VecDeque::new(),
            held_bytes: 0,
        }
    }

    /// The file's first header says whether it is year-first (unless the caller gave the order).
    pub(super) fn set_year_first(&mut self, year_first: bool) {
        self.cfg.year_first = year_first;
        if year_first && self.cfg.given.is_none() {
            self.order = OrderState::Known(DateOrder::YearFirst);
            self.summary.date_order = Some(DateOrder::YearFirst);
        }
    }

    pub(super) fn summary(&self) -> &ChatSummary {
        &self.summary
    }

    pub(super) fn summary_mut(&mut self) -> &mut ChatSummary {
        &mut self.summary
    }

    /// The date order, once decided.
    pub(super) fn order(&self) -> Option<DateOrder> {
        match self.order {
            OrderState::Known(o) => Some(o),
            OrderState::Undecided { .. } => None,
        }
    }

    /// The next block of messages whose order is known, with that order.
    pub(super) fn take_ready(&mut self) -> Option<(Messages, DateOrder)> {
        let order = self.order()?;
        self.blocks.pop_front().map(|b| (b, order))
    }

    fn decide(&mut self, order: DateOrder) -> Result<()> {
        self.order = OrderState::Known(order);
        self.summary.date_order = Some(order);
        self.held_bytes = 0;
        self.check_invalid(u64::MAX)
    }

    /// Decides the order from the votes so far, if it is not known.
    fn decide_by_votes(&mut self) -> Result<()> {
        if let OrderState::Undecided { month_vote } = self.order {
            self.decide(if month_vote { DateOrder::MonthFirst } else { DateOrder::DayFirst })?;
        }
        Ok(())
    }

    /// An error for the first invalid header in the known order, when it comes before line `before`.
    fn check_invalid(&self, before: u64) -> Result<()> {
        let Some(order) = self.order() else { return Ok(()) };
        match &self.invalid[order_index(order)] {
            Some((line, excerpt)) if *line < before => Err(Error::Parse {
                path: self.cfg.source.clone(),
                line: *line,
                message: format!(
                    "{excerpt:?} is not a valid date and time in the file's date order ({order:?}; one order per \
                     file, given by WhatsAppOptions::date_order / --date-order or inferred from the headers)"
                ),
            }),
            _ => Ok(()),
        }
    }

    fn message_too_long(&self, first_line: u64) -> Error {
        Error::Parse {
            path: self.cfg.source.clone(),
            line: first_line,
            message: format!(
                "the message starting at this line is longer than {} bytes (the limit, \
                 WhatsAppOptions::max_message_bytes)",
                self.cfg.max_message
            ),
        }
    }

    /// The error of a line longer than the limit.
    pub(super) fn long_line(&self, line: u64, start: &str) -> Error {
        Error::Parse {
            path: self.cfg.source.clone(),
            line,
            message: format!(
                "a line longer than {} bytes (the limit, WhatsAppOptions::max_line_bytes); it starts {start:?}; \
                 is this a WhatsApp export?",
                self.cfg.max_line
            ),
        }
    }

    /// Adds the next chunk.
    pub(super) fn push(&mut self, mut p: Parsed) -> Result<()> {
        let base = self.line_base;
        let s = &mut self.summary;
        if self.first_line.is_none() {
            self.first_line = p.first_non_empty.take().map(|(l, e)| (base + l, e));
        }
        s.lines += p.lines;
        s.non_empty_lines += p.non_empty;
        let pc = p.prefix_counts;
        s.unparsed_headers += pc.unparsed + p.counts.unparsed_headers;
        s.system_notices += pc.notices + p.counts.system_notices;
        if self.started {
            s.unused_lines += pc.unparsed;
        } else {
            s.before_first_message += pc.non_empty + pc.notices;
            s.unused_lines += pc.non_empty;
        }
        s.unused_lines += p.counts.unused_lines;
        s.dropped_empty += p.counts.dropped_empty;
        if let OrderState::Undecided { month_vote } = self.order {
            self.order = OrderState::Undecided { month_vote: month_vote || p.votes.month };
            if p.votes.day {
                self.order = OrderState::Known(DateOrder::DayFirst);
                self.summary.date_order = Some(DateOrder::DayFirst);
            }
        }
        for (slot, found) in self.invalid.iter_mut().zip(p.invalid.iter_mut()) {
            if slot.is_none() {
                *slot = found.take().map(|(l, e)| (base + l, e));
            }
        }
        // The first lines continue the message open before the chunk.
        if let Some(open) = self.open.as_mut() {
            let seg = &p.prefix;
            if seg.has_content {
                let grown = open.bytes.len() as u64 + open.pending + seg.lead + 1 + seg.body.len() as u64;
                if grown > self.cfg.max_message as u64 {
                    let first = open.line;
                    return Err(self.message_too_long(first));
                }
                push_newlines(&mut open.bytes, open.pending + seg.lead + 1);
                open.bytes.push_str(&seg.body);
                open.pending = seg.trail;
            } else {
                open.pending += seg.lead;
            }
        }
        if p.has_start() {
            self.started = true;
            if let Some(prev) = self.open.take() {
                self.finish_open(prev);
            }
            for l in &mut p.messages.lines {
                *l += base;
            }
            if p.messages.len() > 0 {
                self.held_bytes += p.messages.bytes.len();
                self.blocks.push_back(std::mem::take(&mut p.messages));
            }
            self.open = p.open.take().map(|mut o| {
                o.line += base;
                o
            });
        }
        self.line_base += p.lines;
        if let Some((line, error)) = p.error.take() {
            let line = base + line;
            self.decide_by_votes()?;
            self.check_invalid(line)?;
            return Err(match error {
                LineError::TooLong { start } => self.long_line(line, &start),
                LineError::NotUtf8 { start } => {
                    Error::Parse { path: self.cfg.source.clone(), line, message: format!("not valid UTF-8: {start:?}") }
                }
                LineError::MessageTooLong { first_line } => self.message_too_long(base + first_line),
            });
        }
        if self.order().is_none() && self.held_bytes > self.cfg.hold_limit {
            self.decide_by_votes()?;
        }
        self.check_invalid(u64::MAX)
    }

    /// The number the next line would have (for an error at a line the chunks did not reach).
    pub(super) fn next_line(&self) -> u64 {
        self.line_base + 1
    }

    /// An error at line `line`, in file order with the invalid dates before it.
    pub(super) fn fail_at(&mut self, line: u64, error: Error) -> Result<()> {
        self.decide_by_votes()?;
        self.check_invalid(line)?;
        Err(error)
    }

    fn finish_open(&mut self, open: Open) {
        let mut m = Messages { bytes: open.bytes, ..Default::default() };
        if m.push_finished(open.stamp, open.line, open.author_len, 0) {
            self.held_bytes += m.bytes.len();
            self.blocks.push_back(m);
        } else {
            self.summary.dropped_empty += 1;
        }
    }

    /// The end of the input: the order decided, then an error when no line started a message or when most
    /// lines went unused; otherwise the last message.
    pub(super) fn finish(&mut self) -> Result<()> {
        self.decide_by_votes()?;
        self.check_end()?;
        if let Some(open) = self.open.take() {
            self.finish_open(open);
        }
        Ok(())
    }

    fn check_end(&self) -> Result<()> {
        let s = &self.summary;
        if !self.started {
            return Err(match &self.first_line {
                None => Error::Parse {
                    path: self.cfg.source.clone(),
                    line: s.lines,
                    message: "no message: the export is empty (or holds only blank lines)".into(),
                },
                Some((line, text)) => Error::Parse {
                    path: self.cfg.source.clone(),
                    line: *line,
                    message: format!(
                        "no line starts a message (none of its {} lines is like `31/12/2023, 21:41 - Name: text`, \
                         `[31/12/2023, 21:41:05] Name: text` or another supported shape{}); its first line is {text:?}",
                        s.lines,
                        if s.unparsed_headers > 0 {
                            format!(
                                "; {} lines start with a date but do not parse in date order {:?}: see --date-order",
                                s.unparsed_headers,
                                self.order().unwrap_or(DateOrder::DayFirst)
                            )
                        } else {
                            String::new()
                        }
                    ),
                },
            });
        }
        if !self.cfg.allow_unused && s.unused_lines.saturating_mul(2) > s.non_empty_lines {
            return Err(Error::Parse {
                path: self.cfg.source.clone(),
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
}
