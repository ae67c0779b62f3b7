//! The reader: an export cut into chunks, the chunks parsed on every core (in order), stitched, and handed
//! out as blocks of messages whose date order is known. Memory holds the chunks in flight and the messages
//! not yet handed out, whatever the size of the file.

use std::collections::VecDeque;
use std::io::Read;

use rayon::prelude::*;

use super::chunks::{Chunker, Piece};
use super::grammar::{header, may_be_header};
use super::normalize::normalize_line;
use super::parse::{Messages, ParseConfig, Parsed, lossy_excerpt, parse_chunk};
use super::stitch::{Assembler, ORDER_PREFIX_BYTES, StitchConfig};
use super::{ChatSummary, DateOrder, WhatsAppOptions};
use crate::error::Result;

/// Bytes of a chunk, about (a chunk grows past it only to finish a line).
pub(super) const CHUNK_BYTES: usize = 512 << 10;

/// How the reader cuts its input (the tests cut it everywhere).
#[derive(Clone, Copy, Debug)]
pub(super) struct Cutting {
    pub chunk_bytes: usize,
    /// Chunks parsed at once; 0: twice the threads of rayon's pool.
    pub in_flight: usize,
}

impl Default for Cutting {
    fn default() -> Self {
        Cutting { chunk_bytes: CHUNK_BYTES, in_flight: 0 }
    }
}

/// The messages of an export, block by block.
pub(super) struct Reader<'a> {
    chunker: Chunker<'a>,
    parse: ParseConfig,
    /// Whether `parse.year_first` is settled (by the caller's order or the file's first header).
    year_known: bool,
    asm: Assembler,
    in_flight: usize,
    input_done: bool,
    finished: bool,
    failed: bool,
}

impl<'a> Reader<'a> {
    pub(super) fn new(reader: Box<dyn Read + Send + 'a>, source: &str, opts: &WhatsAppOptions, cut: Cutting) -> Self {
        let year_first = opts.date_order == Some(DateOrder::YearFirst);
        let parse = ParseConfig {
            normalize: opts.normalize,
            year_first,
            max_line: opts.max_line_bytes.max(1),
            max_message: opts.max_message_bytes.max(1),
        };
        let asm = Assembler::new(StitchConfig {
            source: source.to_string(),
            given: opts.date_order,
            year_first,
            allow_unused: opts.allow_unused_lines,
            max_line: parse.max_line,
            max_message: parse.max_message,
            hold_limit: ORDER_PREFIX_BYTES,
        });
        let in_flight = if cut.in_flight == 0 { 2 * rayon::current_num_threads().max(1) } else { cut.in_flight };
        Reader {
            chunker: Chunker::new(reader, source, cut.chunk_bytes, parse.max_line),
            parse,
            year_known: opts.date_order.is_some(),
            asm,
            in_flight,
            input_done: false,
            finished: false,
            failed: false,
        }
    }

    pub(super) fn summary(&self) -> &ChatSummary {
        self.asm.summary()
    }

    pub(super) fn summary_mut(&mut self) -> &mut ChatSummary {
        self.asm.summary_mut()
    }

    /// The first header of the file decides whether it is year-first (a four-digit first field).
    fn find_first_header(&mut self, pieces: &[Piece]) {
        for piece in pieces {
            let Piece::Lines(bytes) = piece else { return };
            for raw in bytes.split(|&b| b == b'\n' || b == b'\r') {
                // A line that is not UTF-8 ends the search: the parse stops there with an error.
                let Ok(raw) = std::str::from_utf8(raw) else { return };
                let line = if self.parse.normalize { normalize_line(raw) } else { raw.into() };
                if may_be_header(line.as_bytes())
                    && let Some(h) = header(&line)
                {
                    self.year_known = true;
                    self.parse.year_first = h.date.a_digits == 4;
                    self.asm.set_year_first(self.parse.year_first);
                    return;
                }
            }
        }
    }

    /// Reads, parses and stitches the next chunks.
    fn advance(&mut self) -> Result<()> {
        let mut pieces = Vec::with_capacity(self.in_flight);
        let mut read_error = None;
        while pieces.len() < self.in_flight {
            match self.chunker.next_piece() {
                Ok(Some(p)) => pieces.push(p),
                Ok(None) => {
                    self.input_done = true;
                    break;
                }
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
            }
        }
        if !self.year_known {
            self.find_first_header(&pieces);
        }
        let cfg = self.parse;
        let parsed: Vec<Option<Parsed>> = if pieces.len() > 1 {
            pieces.par_iter().map(|p| if let Piece::Lines(b) = p { Some(parse_chunk(b, &cfg)) } else { None }).collect()
        } else {
            pieces.iter().map(|p| if let Piece::Lines(b) = p { Some(parse_chunk(b, &cfg)) } else { None }).collect()
        };
        for (piece, parsed) in pieces.iter().zip(parsed) {
            match (piece, parsed) {
                (_, Some(p)) => self.asm.push(p)?,
                (Piece::LongLine(start), None) => {
                    let line = self.asm.next_line();
                    let error = self.asm.long_line(line, &lossy_excerpt(start));
                    self.asm.fail_at(line, error)?;
                }
                (Piece::Lines(_), None) => {}
            }
        }
        if let Some(e) = read_error {
            let line = self.asm.next_line();
            self.asm.fail_at(line, e)?;
        }
        if self.input_done && !self.finished {
            self.finished = true;
            self.asm.finish()?;
        }
        Ok(())
    }

    /// The next block of messages in file order, with its date order; None at the end. After an error,
    /// None.
    pub(super) fn next_block(&mut self) -> Result<Option<(Messages, DateOrder)>> {
        loop {
            if self.failed {
                return Ok(None);
            }
            if let Some(block) = self.asm.take_ready() {
                return Ok(Some(block));
            }
            if self.finished {
                return Ok(None);
            }
            if let Err(e) = self.advance() {
                self.failed = true;
                return Err(e);
            }
        }
    }
}

/// Blocks of messages with a cursor: rows handed out a few at a time, across blocks. Blocks are shared, so
/// that batches planned from them can be built at once on several threads.
pub(super) struct Rows<'a> {
    pub reader: Reader<'a>,
    pub queue: VecDeque<(std::sync::Arc<Messages>, DateOrder)>,
    /// Rows of the front block already handed out.
    pub front_row: usize,
}

impl<'a> Rows<'a> {
    pub(super) fn new(reader: Reader<'a>) -> Self {
        Rows { reader, queue: VecDeque::new(), front_row: 0 }
    }

    /// Reads the next block into the queue; false at the end.
    pub(super) fn pull(&mut self) -> Result<bool> {
        match self.reader.next_block()? {
            Some((block, order)) => {
                self.queue.push_back((std::sync::Arc::new(block), order));
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
