//! CPU twin of `shaders/media.wgsl`: the spans of WhatsApp media file names in a row of text, found by
//! the same character walk as the shader (three matchers side by side, see `kernels::media`).

use crate::pystr::is_py_space;
use crate::pyunicode::{is_py_decimal, is_py_word};

/// U+200E LEFT-TO-RIGHT MARK.
const LRM: u32 = 0x200e;

/// The attachment markers, matched with case ignored as Python's `re.IGNORECASE` does.
const MARKERS: [&str; 4] = ["(arquivo anexado)", "(file attached)", "(archivo adjunto)", "\u{200e}<attached:"];

/// The first words of WhatsApp file names.
const ANCHORS: [&[u8; 3]; 5] = [b"IMG", b"VID", b"AUD", b"PTT", b"DOC"];

/// Stages of a file name after its anchor word: `-\d+-WA\d+\.\w+`.
mod stage {
    pub const IDLE: u8 = 0;
    /// Inside the anchor (`IMG-`), until its end.
    pub const ANCHOR: u8 = 1;
    pub const DIGITS1: u8 = 2;
    pub const DIGITS1_MORE: u8 = 3;
    pub const W: u8 = 4;
    pub const A: u8 = 5;
    pub const DIGITS2: u8 = 6;
    pub const DIGITS2_MORE: u8 = 7;
    pub const WORD: u8 = 8;
    pub const WORD_MORE: u8 = 9;
}

/// The code point at byte `i` of valid UTF-8 and its length in bytes.
fn decode(t: &[u8], i: usize) -> (u32, usize) {
    let b0 = u32::from(t[i]);
    if b0 < 0x80 {
        (b0, 1)
    } else if b0 < 0xe0 {
        (((b0 & 0x1f) << 6) | (u32::from(t[i + 1]) & 0x3f), 2)
    } else if b0 < 0xf0 {
        (((b0 & 0x0f) << 12) | ((u32::from(t[i + 1]) & 0x3f) << 6) | (u32::from(t[i + 2]) & 0x3f), 3)
    } else {
        let c = ((b0 & 0x07) << 18)
            | ((u32::from(t[i + 1]) & 0x3f) << 12)
            | ((u32::from(t[i + 2]) & 0x3f) << 6)
            | (u32::from(t[i + 3]) & 0x3f);
        (c, 4)
    }
}

/// Whether text character `c` matches pattern character `p` (ASCII or U+200E): exactly, or with case
/// ignored as Python's `re` does for str patterns (`i` also matches U+0130 and U+0131; no other
/// character folds to a letter of the patterns).
fn char_eq(c: u32, p: u32, ignore_case: bool) -> bool {
    if c == p {
        return true;
    }
    if !ignore_case || !(0x61..=0x7a).contains(&(p | 0x20)) {
        return false;
    }
    c | 0x20 == p | 0x20 && c < 0x80 || (p | 0x20 == 0x69 && (c == 0x130 || c == 0x131))
}

/// Bytes of `pattern` matched at `i` (before `end`), or 0.
fn match_at(t: &[u8], i: usize, end: usize, pattern: &[u8], ignore_case: bool) -> usize {
    let mut at = i;
    let mut k = 0;
    while k < pattern.len() {
        if at >= end {
            return 0;
        }
        let (p, plen) = decode(pattern, k);
        let (c, clen) = decode(t, at);
        if !char_eq(c, p, ignore_case) {
            return 0;
        }
        at += clen;
        k += plen;
    }
    at - i
}

/// Bytes of an attachment marker at `i`, or 0.
fn marker_at(t: &[u8], i: usize, end: usize) -> usize {
    MARKERS.iter().map(|m| match_at(t, i, end, m.as_bytes(), true)).find(|&n| n > 0).unwrap_or(0)
}

/// Bytes of an anchor (`IMG-` ...) at `i`, or 0.
fn anchor_at(t: &[u8], i: usize, end: usize, ignore_case: bool) -> usize {
    for word in ANCHORS {
        let n = match_at(t, i, end, word, ignore_case);
        if n > 0 {
            return if n < end - i && t[i + n] == b'-' { n + 1 } else { 0 };
        }
    }
    0
}

/// One file-name matcher (`\b` + name, or U+200E + name).
#[derive(Clone, Copy, Default)]
struct Name {
    stage: u8,
    start: usize,
    until: usize,
}

impl Name {
    /// Feeds character `c` at `pos`; returns a finished name's span. `anchor_ok` says whether an anchor
    /// may start here (the character before allows it).
    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        t: &[u8],
        pos: usize,
        end: usize,
        c: u32,
        word: bool,
        anchor_ok: bool,
        ignore_case: bool,
    ) -> Option<(usize, usize)> {
        use stage::*;
        let mut found = None;
        if self.stage == ANCHOR {
            if pos < self.until {
                return None;
            }
            self.stage = DIGITS1;
        }
        let next = match self.stage {
            IDLE => IDLE,
            DIGITS1 | DIGITS2 if is_py_decimal(c) => self.stage + 1,
            DIGITS1_MORE | DIGITS2_MORE if is_py_decimal(c) => self.stage,
            DIGITS1_MORE if c == 0x2d => W,
            W if char_eq(c, 0x57, ignore_case) => A,
            A if char_eq(c, 0x41, ignore_case) => DIGITS2,
            DIGITS2_MORE if c == 0x2e => WORD,
            WORD if word => WORD_MORE,
            WORD_MORE if word => WORD_MORE,
            WORD_MORE => {
                found = Some((self.start, pos));
                IDLE
            }
            _ => IDLE,
        };
        self.stage = next;
        if self.stage == IDLE && anchor_ok {
            let n = anchor_at(t, pos, end, ignore_case);
            if n > 0 {
                *self = Name { stage: ANCHOR, start: pos, until: pos + n };
            }
        }
        found
    }

    /// The name running to the end of the row, if any.
    fn finish(&self, end: usize) -> Option<(usize, usize)> {
        (self.stage == stage::WORD_MORE).then_some((self.start, end))
    }
}

/// The spans `[start, end)` of the media file names in `row` (valid UTF-8), in the order found, with
/// repeats: (a) `NAME` before `\s*` and an attachment marker, NAME matching `[\w\-\.]+\.\w+`; (b)
/// `\b(IMG|VID|AUD|PTT|DOC)-\d+-WA\d+\.\w+` (case kept); (c) that name right after U+200E (case
/// ignored). Each is the leftmost-first, non-overlapping search of Python's `re.findall`.
pub(crate) fn media_spans(row: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    // Every match holds a marker (starting with '(' or U+200E), a U+200E, or `-WA`.
    if memchr::memchr(b'(', row).is_none()
        && memchr::memmem::find(row, "\u{200e}".as_bytes()).is_none()
        && memchr::memmem::find(row, b"-WA").is_none()
    {
        return out;
    }
    const NONE: usize = usize::MAX;
    let end = row.len();
    let (mut b, mut c) = (Name::default(), Name::default());
    // (a): the current run of [\w\-.], where its tail stands (0: no name; 1: a '.' with a character
    // before it in the run; 2: such a '.' then word characters), the name waiting for its marker, and
    // where (a) resumes after a match.
    let (mut run, mut tail, mut pend, mut skip) = (NONE, 0u8, (NONE, NONE), 0usize);
    let (mut prev_word, mut prev_lrm) = (false, false);
    let mut pos = 0;
    while pos < end {
        let (ch, len) = decode(row, pos);
        let word = is_py_word(ch);
        if pos >= skip {
            if word || ch == 0x2d || ch == 0x2e {
                if run == NONE {
                    run = pos;
                    tail = 0;
                    pend = (NONE, NONE);
                }
                tail = if ch == 0x2e {
                    u8::from(pos > run)
                } else if word && tail >= 1 {
                    2
                } else {
                    0
                };
            } else {
                if run != NONE {
                    pend = if tail == 2 { (run, pos) } else { (NONE, NONE) };
                    run = NONE;
                }
                if !char::from_u32(ch).is_some_and(is_py_space) {
                    if pend.0 != NONE {
                        let m = marker_at(row, pos, end);
                        if m > 0 {
                            out.push(pend);
                            skip = pos + m;
                        }
                    }
                    pend = (NONE, NONE);
                }
            }
        }
        out.extend(b.step(row, pos, end, ch, word, !prev_word, false));
        out.extend(c.step(row, pos, end, ch, word, prev_lrm, true));
        prev_word = word;
        prev_lrm = ch == LRM;
        pos += len;
    }
    out.extend(b.finish(end));
    out.extend(c.finish(end));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<&str> {
        let mut v: Vec<&str> = media_spans(s.as_bytes()).into_iter().map(|(a, b)| &s[a..b]).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    #[test]
    fn the_three_patterns() {
        assert_eq!(names("IMG-20250101-WA0001.jpg (arquivo anexado)"), ["IMG-20250101-WA0001.jpg"]);
        assert_eq!(names("foto.final.png(FILE ATTACHED)"), ["foto.final.png"]);
        assert_eq!(names("\u{200e}<attached: 00000012-PHOTO-2023.jpg>"), Vec::<&str>::new());
        assert_eq!(names("doc.pdf \u{200e}<ATTACHED: x"), ["doc.pdf"]);
        assert_eq!(names("x\u{200e}img-1-wa2.opus"), ["img-1-wa2.opus"]);
        assert_eq!(names("xIMG-1-WA2.opus"), Vec::<&str>::new());
        assert_eq!(names("(IMG-1-WA2.opus)"), ["IMG-1-WA2.opus"]);
        assert_eq!(names("IMG-1-WA1.IMG-2-WA2.jpg"), ["IMG-1-WA1.IMG"]);
        assert_eq!(names("IMG-IMG-1-WA1.x"), ["IMG-1-WA1.x"]);
        assert_eq!(names("\u{200e}İMG-١٢-WA3.jpg"), ["İMG-١٢-WA3.jpg"]);
        assert_eq!(names(".a (file attached) a.b (fıle attached)"), ["a.b"]);
    }
}
