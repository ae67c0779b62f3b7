//! Quotes in CSV, as arrow-csv's parser (csv-core: `,` between fields, `"` quotes with `""` for a quote
//! inside, records ended by `\n`, `\r` or `\r\n`, blank lines skipped) reads them: where each record starts,
//! and fields that do not end. One unbalanced quote makes the parser read the rest of the file as one
//! field, so rows vanish without an error; [`Scanner`] watches the bytes as the parser gets them and stops
//! the read at a field that runs past a limit, or at a file that ends inside quotes, naming the line where
//! the field opened.

use std::io::Read;
use std::sync::{Arc, Mutex};

/// How many bytes of a field's start a problem quotes.
const EXCERPT_BYTES: usize = 40;

/// The parser's state (csv-core's, with the states that behave alike merged).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before a record: line breaks here are blank lines, skipped.
    StartRecord,
    /// Before a field.
    StartField,
    /// In a field that did not open with a quote (or went on after its closing quote).
    Unquoted,
    /// In a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field: a second quote is a literal `"`; anything else closes
    /// the field's quotes.
    QuoteInQuoted,
}

/// What stopped a read: the 1-based line where the field at fault opened, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub line: u64,
    pub message: String,
}

/// Follows a CSV file's bytes through csv-core's states, counting lines and records, and checks every
/// field against the limits.
#[derive(Debug)]
pub(crate) struct Scanner {
    state: State,
    /// The 1-based line of the next byte.
    line: u64,
    /// The last byte was `\r` (a `\n` after it ends the same line).
    prev_cr: bool,
    /// The last byte (a quote after a comma opens a quoted field).
    prev: u8,
    /// Records started so far (the header is the first).
    records: u64,
    /// The line where the current field opened, its bytes so far, and the line breaks inside its quotes.
    field_line: u64,
    field_bytes: u64,
    field_breaks: u64,
    /// The first bytes of the current quoted field, for messages.
    excerpt: Vec<u8>,
    /// A record count to watch for, and the line where the record that reached it started.
    watched: Option<(u64, Option<u64>)>,
    max_lines: u64,
    max_bytes: u64,
}

impl Scanner {
    /// A scanner at the start of a file; a field may span at most `max_lines` lines and hold at most
    /// `max_bytes` bytes (`u64::MAX` for no limit).
    pub fn new(max_lines: u64, max_bytes: u64) -> Self {
        Scanner {
            state: State::StartRecord,
            line: 1,
            prev_cr: false,
            prev: b'\n',
            records: 0,
            field_line: 1,
            field_bytes: 0,
            field_breaks: 0,
            excerpt: Vec::new(),
            watched: None,
            max_lines: max_lines.max(1),
            max_bytes,
        }
    }

    /// Takes the next bytes of the file.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), Problem> {
        let mut i = 0;
        while i < bytes.len() {
            // Inside a field, runs without a byte that changes the state are skipped at once. An unquoted
            // run goes on past commas (fields that end there start unquoted fields, unless a quote follows
            // the comma, which ends the run): one search per line rather than per field.
            let run = match self.state {
                State::Quoted => memchr::memchr3(b'"', b'\n', b'\r', &bytes[i..]),
                State::Unquoted => memchr::memchr3(b'"', b'\n', b'\r', &bytes[i..]),
                _ => Some(0),
            };
            let skip = run.unwrap_or(bytes.len() - i);
            if skip > 0 {
                let skipped = &bytes[i..i + skip];
                match (self.state, memchr::memrchr(b',', skipped)) {
                    // The last field of the run starts after its last comma, on this line.
                    (State::Unquoted, Some(comma)) => {
                        self.field_line = self.line;
                        self.field_bytes = (skip - comma - 1) as u64;
                    }
                    _ => {
                        self.keep_excerpt(skipped);
                        self.field_bytes += skip as u64;
                    }
                }
                self.prev_cr = false;
                self.prev = skipped[skip - 1];
                i += skip;
                self.check_bytes()?;
                continue;
            }
            self.step(bytes[i])?;
            i += 1;
        }
        Ok(())
    }

    /// Called at the end of the file: a file that ends inside quotes is a problem.
    pub fn finish(&self) -> Result<(), Problem> {
        if self.state == State::Quoted {
            return Err(Problem {
                line: self.field_line,
                message: format!(
                    "the file ends inside the quoted field that opens on this line ({}): its quote is never \
                     closed (an unbalanced quote; a quote inside a quoted field is written \"\")",
                    self.shown()
                ),
            });
        }
        Ok(())
    }

    fn step(&mut self, b: u8) -> Result<(), Problem> {
        let is_break = b == b'\n' || b == b'\r';
        // A `\n` right after `\r` ends the line the `\r` ended.
        let new_line = b == b'\r' || (b == b'\n' && !self.prev_cr);
        self.prev_cr = b == b'\r';
        match self.state {
            State::StartRecord => {
                if !is_break {
                    self.records += 1;
                    if let Some((count, line @ None)) = &mut self.watched
                        && *count == self.records
                    {
                        *line = Some(self.line);
                    }
                    self.start_field(b);
                }
            }
            State::StartField => self.start_field(b),
            State::Unquoted => match b {
                b',' => self.state = State::StartField,
                b'"' if self.prev == b',' => self.start_field(b),
                _ if is_break => self.state = State::StartRecord,
                _ => self.field_bytes += 1,
            },
            State::Quoted => {
                if b == b'"' {
                    self.state = State::QuoteInQuoted;
                } else {
                    self.field_bytes += 1;
                    self.keep_excerpt(&[b]);
                    if new_line {
                        self.field_breaks += 1;
                    }
                }
            }
            State::QuoteInQuoted => match b {
                b'"' => {
                    self.state = State::Quoted;
                    self.field_bytes += 1;
                    self.keep_excerpt(b"\"");
                }
                b',' => self.state = State::StartField,
                _ if is_break => self.state = State::StartRecord,
                _ => {
                    self.state = State::Unquoted;
                    self.field_bytes += 1;
                }
            },
        }
        self.prev = b;
        if new_line {
            self.line += 1;
        }
        if self.state == State::Quoted && self.field_breaks >= self.max_lines {
            return Err(Problem {
                line: self.field_line,
                message: format!(
                    "the quoted field that opens on this line ({}) runs past {} lines: an unbalanced quote? (a \
                     quote inside a quoted field is written \"\"; a longer field needs a higher \
                     ReadOptions::max_field_lines)",
                    self.shown(),
                    self.max_lines
                ),
            });
        }
        self.check_bytes()
    }

    fn start_field(&mut self, b: u8) {
        self.field_line = self.line;
        self.field_bytes = 0;
        self.field_breaks = 0;
        self.excerpt.clear();
        match b {
            b'"' => self.state = State::Quoted,
            b',' => self.state = State::StartField,
            b'\n' | b'\r' => self.state = State::StartRecord,
            _ => {
                self.state = State::Unquoted;
                self.field_bytes = 1;
            }
        }
    }

    fn check_bytes(&self) -> Result<(), Problem> {
        if self.field_bytes <= self.max_bytes {
            return Ok(());
        }
        let (what, hint) = match self.state {
            State::Quoted | State::QuoteInQuoted => {
                (format!("the quoted field that opens on this line ({})", self.shown()), "an unbalanced quote? ")
            }
            _ => ("the field that starts on this line".to_string(), ""),
        };
        Err(Problem {
            line: self.field_line,
            message: format!(
                "{what} runs past {} bytes: {hint}(a longer field needs a higher ReadOptions::max_field_bytes)",
                self.max_bytes
            ),
        })
    }

    /// Keeps the first bytes of a quoted field, up to its first line break.
    fn keep_excerpt(&mut self, bytes: &[u8]) {
        if !matches!(self.state, State::Quoted) || self.field_breaks > 0 || self.excerpt.len() >= EXCERPT_BYTES {
            return;
        }
        let room = EXCERPT_BYTES - self.excerpt.len();
        let take = &bytes[..bytes.len().min(room)];
        let end = memchr::memchr2(b'\n', b'\r', take).unwrap_or(take.len());
        self.excerpt.extend_from_slice(&take[..end]);
    }

    /// The field's start as a message shows it: its quote and first characters.
    fn shown(&self) -> String {
        let text = String::from_utf8_lossy(&self.excerpt);
        let more = if self.field_breaks > 0 || self.excerpt.len() >= EXCERPT_BYTES { "…" } else { "" };
        format!("\"{}{more}", text.trim_end_matches('\u{FFFD}'))
    }
}

/// A reader that passes a CSV file's bytes through a [`Scanner`]: at a problem, the read fails and the
/// problem waits in the shared slot, where the CSV reader finds it to report it with the file's name.
pub(crate) struct Checked<R> {
    inner: R,
    scanner: Scanner,
    found: Arc<Mutex<Option<Problem>>>,
}

impl<R> Checked<R> {
    /// `inner` checked by `scanner`; problems go to `found`.
    pub fn new(inner: R, scanner: Scanner, found: Arc<Mutex<Option<Problem>>>) -> Self {
        Checked { inner, scanner, found }
    }

    fn fail(&self, problem: Problem) -> std::io::Error {
        let error = std::io::Error::new(std::io::ErrorKind::InvalidData, problem.message.clone());
        *self.found.lock().unwrap_or_else(|p| p.into_inner()) = Some(problem);
        error
    }
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let checked = if n == 0 { self.scanner.finish() } else { self.scanner.feed(&buf[..n]) };
        match checked {
            Ok(()) => Ok(n),
            Err(problem) => Err(self.fail(problem)),
        }
    }
}

/// The 1-based line on which CSV record `record` (0-based, the header is record 0) starts, read from
/// `input` as the parser reads it (a quoted field may span lines; blank lines are no records); `None`
/// when the file has fewer records.
pub(crate) fn line_of_record(mut input: impl Read, record: u64) -> Option<u64> {
    let mut scanner = Scanner::new(u64::MAX, u64::MAX);
    scanner.watched = Some((record.saturating_add(1), None));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = input.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        scanner.feed(&buf[..n]).ok()?;
        if let Some((_, Some(line))) = scanner.watched {
            return Some(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str, max_lines: u64, max_bytes: u64) -> Result<(), Problem> {
        let mut s = Scanner::new(max_lines, max_bytes);
        s.feed(text.as_bytes())?;
        s.finish()
    }

    #[test]
    fn records_map_to_lines_across_quoted_newlines() {
        let csv = "ts,text\na,\"one\ntwo\"\nb,x\n";
        assert_eq!(line_of_record(csv.as_bytes(), 0), Some(1));
        assert_eq!(line_of_record(csv.as_bytes(), 1), Some(2));
        assert_eq!(line_of_record(csv.as_bytes(), 2), Some(4));
        assert_eq!(line_of_record(csv.as_bytes(), 9), None);
        // Blank lines are no records; CR and CRLF end lines as LF does; a quote inside a field is a byte.
        let csv = "ts,text\r\n\r\na,x\"y\rb,\"p\"\"q\r\n\"\n\nc,z\n";
        assert_eq!(line_of_record(csv.as_bytes(), 1), Some(3));
        assert_eq!(line_of_record(csv.as_bytes(), 2), Some(4));
        assert_eq!(line_of_record(csv.as_bytes(), 3), Some(7));
    }

    #[test]
    fn unbalanced_quotes_are_found_where_they_open() {
        assert_eq!(scan("a,b\n1,\"ok\"\"\n\"\n", 3, 100), Ok(()));
        let p = scan("a,b\n1,x\n2,\"open\n3,y\n", 100, 1000).unwrap_err();
        assert_eq!(p.line, 3);
        assert!(p.message.contains("never closed") && p.message.contains("\"open"), "{}", p.message);
        let many = format!("a,b\n1,\"x\n{}", "2,y\n".repeat(20));
        let p = scan(&many, 10, 1 << 20).unwrap_err();
        assert_eq!(p.line, 2);
        assert!(p.message.contains("runs past 10 lines") && p.message.contains("max_field_lines"), "{}", p.message);
        let p = scan(&format!("a,b\n1,{}\n", "z".repeat(50)), 10, 40).unwrap_err();
        assert_eq!(p.line, 2);
        assert!(p.message.contains("runs past 40 bytes"), "{}", p.message);
        // A quote inside an unquoted field is no quote, and a field that closes its quotes goes on.
        assert_eq!(scan("a,b\n1,x\"y\n2,\"p\"q\n", 2, 100), Ok(()));
    }

    #[test]
    fn fed_in_pieces_as_whole() {
        let csv = "ts,text\r\n1,\"a\r\nb\"\"c\"\r\n2,\"never\r\nclosed\r\n";
        let whole = scan(csv, 100, 100);
        for size in [1, 2, 3, 7] {
            let mut s = Scanner::new(100, 100);
            let fed = csv.as_bytes().chunks(size).try_for_each(|c| s.feed(c)).and_then(|()| s.finish());
            assert_eq!(fed, whole, "pieces of {size}");
        }
        assert_eq!(whole.unwrap_err().line, 4);
    }
}
