//! An export's bytes cut into chunks of whole lines, so that each chunk parses on its own.

use std::io::Read;

use crate::error::{Error, Result};

/// What the chunker hands out.
#[derive(Debug)]
pub(super) enum Piece {
    /// Whole lines (the last one of the file may lack its line end), the file's byte-order mark removed.
    Lines(Vec<u8>),
    /// A line longer than the limit starts here: its first bytes, for the error.
    LongLine(Vec<u8>),
}

/// Cuts a byte stream after line ends (`\n`, `\r`, `\r\n`, never between the two bytes of a `\r\n`) into
/// chunks of about `target` bytes; a chunk grows past it only to finish a line, up to the line limit.
pub(super) struct Chunker<'a> {
    reader: Box<dyn Read + Send + 'a>,
    source: String,
    target: usize,
    max_line: usize,
    /// Bytes read after the last cut: the start of the next chunk.
    carry: Vec<u8>,
    eof: bool,
    at_start: bool,
    done: bool,
}

impl<'a> Chunker<'a> {
    pub(super) fn new(reader: Box<dyn Read + Send + 'a>, source: &str, target: usize, max_line: usize) -> Self {
        Chunker {
            reader,
            source: source.to_string(),
            target: target.max(1),
            max_line: max_line.max(1),
            carry: Vec::new(),
            eof: false,
            at_start: true,
            done: false,
        }
    }

    /// Reads until `buf` holds `want` bytes or the input ends.
    fn fill(&mut self, buf: &mut Vec<u8>, want: usize) -> Result<()> {
        while buf.len() < want && !self.eof {
            let len = buf.len();
            buf.resize(want, 0);
            match self.reader.read(&mut buf[len..]) {
                Ok(0) => {
                    buf.truncate(len);
                    self.eof = true;
                }
                Ok(n) => buf.truncate(len + n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(len),
                Err(e) => {
                    buf.truncate(len);
                    return Err(Error::io(&self.source, e));
                }
            }
        }
        Ok(())
    }

    /// The file's first bytes: a UTF-8 byte-order mark is dropped; a UTF-16 one is an error.
    fn start(&mut self, buf: &mut Vec<u8>) -> Result<()> {
        self.fill(buf, 3)?;
        if buf.starts_with(b"\xef\xbb\xbf") {
            buf.drain(..3);
        } else if buf.starts_with(b"\xff\xfe") || buf.starts_with(b"\xfe\xff") {
            return Err(Error::Parse {
                path: self.source.clone(),
                line: 1,
                message: "the export is UTF-16 (it starts with a UTF-16 byte-order mark); WhatsApp exports are \
                          read as UTF-8: convert it first, e.g. with `iconv -f UTF-16 -t UTF-8`"
                    .into(),
            });
        }
        self.at_start = false;
        Ok(())
    }

    /// The next piece, or None at the end of the input. After an error or a [`Piece::LongLine`], None.
    pub(super) fn next_piece(&mut self) -> Result<Option<Piece>> {
        if self.done {
            return Ok(None);
        }
        let mut buf = std::mem::take(&mut self.carry);
        if self.at_start {
            let started = self.start(&mut buf);
            if started.is_err() {
                self.done = true;
            }
            started?;
        }
        let mut want = self.target.max(buf.len() + 1);
        loop {
            if let Err(e) = self.fill(&mut buf, want) {
                self.done = true;
                return Err(e);
            }
            if self.eof {
                self.done = true;
                return Ok((!buf.is_empty()).then_some(Piece::Lines(buf)));
            }
            if let Some(cut) = last_line_end(&buf) {
                self.carry = buf.split_off(cut);
                return Ok(Some(Piece::Lines(buf)));
            }
            // One line fills the buffer: read on, unless it is already past the limit.
            let content = buf.len() - usize::from(buf.last() == Some(&b'\r'));
            if content > self.max_line {
                self.done = true;
                buf.truncate(4 * super::parse::EXCERPT_CHARS);
                return Ok(Some(Piece::LongLine(buf)));
            }
            want = buf.len().saturating_mul(2).min(self.max_line.saturating_add(2)).max(buf.len() + 1);
        }
    }
}

/// Where to cut `buf` so that it ends with a whole line end: after its last `\n`, or after its last `\r`
/// that is not its last byte (with no `\n` in the buffer, the byte after such a `\r` is no `\n`).
fn last_line_end(buf: &[u8]) -> Option<usize> {
    if let Some(i) = memchr::memrchr(b'\n', buf) {
        return Some(i + 1);
    }
    let body = buf.split_last().map_or(&[][..], |(_, b)| b);
    memchr::memrchr(b'\r', body).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(input: &[u8], target: usize, max_line: usize) -> Vec<Piece> {
        let mut c = Chunker::new(Box::new(input), "t", target, max_line);
        let mut out = Vec::new();
        while let Some(p) = c.next_piece().unwrap() {
            out.push(p);
        }
        out
    }

    #[test]
    fn chunks_end_at_line_ends_and_join_to_the_input() {
        let input = b"\xef\xbb\xbfa\r\nbb\rccc\n\r\n\rdddd\r\r\neeeee";
        for target in 1..input.len() + 2 {
            let got = pieces(input, target, 100);
            let mut joined = Vec::new();
            for p in &got {
                let Piece::Lines(bytes) = p else { panic!("{p:?}") };
                joined.extend_from_slice(bytes);
                // No chunk but the last ends inside a line or between `\r` and `\n`.
                if !std::ptr::eq(p, got.last().unwrap()) {
                    assert!(matches!(bytes.last(), Some(b'\n' | b'\r')), "{target}: {bytes:?}");
                }
            }
            assert_eq!(joined, &input[3..], "target {target}");
            for w in got.windows(2) {
                let (Piece::Lines(a), Piece::Lines(b)) = (&w[0], &w[1]) else { unreachable!() };
                assert!(!(a.last() == Some(&b'\r') && b.first() == Some(&b'\n')), "{target}: a \\r\\n was cut");
            }
        }
    }

    #[test]
    fn a_long_line_is_an_error_utf16_too() {
        let got = pieces(b"ok\nxxxxxxxxxxxxxxxxxxxx\nok\n", 4, 10);
        assert!(matches!(got.last(), Some(Piece::LongLine(start)) if start.starts_with(b"xxxx")), "{got:?}");
        let mut c = Chunker::new(Box::new(&b"\xff\xfe1\x002\x00"[..]), "t.txt", 4, 10);
        assert!(c.next_piece().unwrap_err().to_string().contains("UTF-16"));
        assert!(pieces(b"", 4, 10).is_empty());
        assert!(pieces(b"\xef\xbb\xbf", 4, 10).is_empty());
    }
}
