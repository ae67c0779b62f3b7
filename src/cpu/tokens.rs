//! CPU twin of `shaders/tokens.wgsl`: token counts of OpenAI's byte-pair encodings, as tiktoken's
//! `encode_ordinary` gives them (special tokens are ordinary text).
//!
//! A row is cut into pieces by the encoding's split pattern, then each piece is encoded by byte-pair
//! merges, the lowest-ranked pair first and the leftmost of equal ranks, until no pair of neighbouring
//! parts is a token. The count is the number of parts left.
//!
//! - The split pattern is matched by a hand-written scanner ([`Splitter`]), the same state machine as the
//!   shader's: a few phases, each a run of code points of some classes, decided at the run's end. It gives
//!   the pieces of tiktoken's regex (`fancy-regex`, leftmost-first with backtracking); the comments of
//!   each phase say which alternatives of the pattern it stands for. Every code point is read a bounded
//!   number of times, so the scan is linear.
//! - Pieces of at most `SHORT_PIECE` bytes merge in place, with a scan for the lowest rank (tiktoken's
//!   small-piece path); longer ones through a binary heap of candidate merges keyed by (rank, position)
//!   (tiktoken's large-piece path), so a run of one character thousands of bytes long costs
//!   O(n log n), not O(n^2).
//! - A piece that is one token counts 1 at once: every token of both vocabularies merges back into
//!   itself from its bytes (a test checks all of them), so this changes no count.

use rayon::prelude::*;

use super::vocab::{Classes, Encoding, NONE, Vocab, class::*};
use crate::gpu::pipelines::table::consts::SHORT_PIECE;

const SHORT: usize = SHORT_PIECE as usize;

/// The scanner's phases (the shader's `PHASE_*`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// At a piece's first code point.
    Start,
    /// o200k: the run of `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]` of a word.
    Upper,
    /// o200k: the run of `[\p{Ll}\p{Lm}\p{Lo}\p{M}]` after it.
    Lower,
    /// cl100k: the run of `\p{L}` of a word.
    Letters,
    /// The run of `[^\s\p{L}\p{N}]` of punctuation.
    Punct,
    /// The run of `[\r\n]` (o200k: `[\r\n/]`) after punctuation.
    Newlines,
    /// A run of whitespace.
    Space,
}

/// The pieces of the split pattern of an encoding.
pub(crate) struct Splitter<'a> {
    classes: &'a Classes,
    o200k: bool,
}

/// A code point at a byte position: its value, class and length, or `len == 0` past the row's end.
#[derive(Clone, Copy)]
struct Char {
    cp: u32,
    class: u8,
    len: usize,
}

/// The code point starting at byte `i` of UTF-8 and its length. Text that is not valid UTF-8 (which an
/// Arrow array built without checks may hold) gives some code point, never a panic: a sequence cut by the
/// end counts what is left, and a value past U+10FFFF is clamped.
#[inline]
fn decode(t: &[u8], i: usize) -> (u32, usize) {
    let b0 = u32::from(t[i]);
    if b0 < 0x80 {
        return (b0, 1);
    }
    let cont = |k: usize| u32::from(t.get(i + k).map_or(0, |b| b & 0x3f));
    let (cp, len) = if b0 < 0xe0 {
        (((b0 & 0x1f) << 6) | cont(1), 2)
    } else if b0 < 0xf0 {
        (((b0 & 0x0f) << 12) | (cont(1) << 6) | cont(2), 3)
    } else {
        (((b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3), 4)
    };
    (cp.min(0x10_ffff), len.min(t.len() - i))
}

/// A class that is none of the classes, for the end of the row.
const END: u8 = u8::MAX;

impl<'a> Splitter<'a> {
    pub fn new(classes: &'a Classes, encoding: Encoding) -> Self {
        Splitter { classes, o200k: encoding == Encoding::O200kBase }
    }

    #[inline]
    fn at(&self, t: &[u8], i: usize) -> Char {
        if i >= t.len() {
            return Char { cp: 0, class: END, len: 0 };
        }
        let (cp, len) = decode(t, i);
        Char { cp, class: self.classes.of(cp), len }
    }

    /// The end of `(?i:'s|'t|'re|'ve|'m|'ll|'d)` matched at byte `e`, or `e` when it does not match. The
    /// regex's case folding adds U+017F (long s) to `s`; no other letter of these has a fold beyond ASCII.
    #[inline]
    fn contraction(t: &[u8], e: usize) -> usize {
        if t.get(e) != Some(&b'\'') {
            return e;
        }
        let second = |x: u8, y: u8| t.get(e + 2).is_some_and(|&b| b == x || b == y);
        match t.get(e + 1) {
            Some(b's' | b'S' | b't' | b'T' | b'm' | b'M' | b'd' | b'D') => e + 2,
            Some(0xc5) if t.get(e + 2) == Some(&0xbf) => e + 3,
            Some(b'r' | b'R' | b'v' | b'V') if second(b'e', b'E') => e + 3,
            Some(b'l' | b'L') if second(b'l', b'L') => e + 3,
            _ => e,
        }
    }

    /// Whether class `k` can start the letters of a word after a one-character prefix.
    #[inline]
    fn word_class(&self, k: u8) -> bool {
        matches!(k, UPPER | LOWER | LETTER) || (self.o200k && k == MARK)
    }

    /// Calls `emit(start, end)` for each piece of `t` (valid UTF-8), in order.
    pub fn split(&self, t: &[u8], mut emit: impl FnMut(usize, usize)) {
        let end = t.len();
        let (mut start, mut pos, mut phase) = (0usize, 0usize, Phase::Start);
        // Upper: the end of the run's last code point that is also lowercase-like (\p{Lm}\p{Lo}\p{M}),
        // Space: the end of the run's last newline; `NO_MARK` when none.
        let mut mark = NO_MARK;
        // Upper: where the word's letters start (after a prefix); Space: the run's last code point.
        let mut word = 0usize;
        while start < end {
            let c = self.at(t, pos);
            let done = match phase {
                Phase::Start => {
                    if !self.o200k && c.cp == u32::from(b'\'') {
                        // cl100k's first alternative: a contraction on its own.
                        let e = Self::contraction(t, pos);
                        if e > pos {
                            emit(start, e);
                            start = e;
                            pos = e;
                            continue;
                        }
                    }
                    match c.class {
                        UPPER | LOWER | LETTER => {
                            phase = if self.o200k { Phase::Upper } else { Phase::Letters };
                            (mark, word) = (NO_MARK, pos);
                            continue;
                        }
                        NUMBER => {
                            // \p{N}{1,3}
                            let mut e = pos + c.len;
                            for _ in 0..2 {
                                let d = self.at(t, e);
                                if d.class != NUMBER {
                                    break;
                                }
                                e += d.len;
                            }
                            e
                        }
                        NEWLINE => {
                            phase = Phase::Space;
                            (mark, word) = (NO_MARK, pos);
                            continue;
                        }
                        _ => {
                            // OTHER, MARK or SPACE: the optional prefix [^\r\n\p{L}\p{N}] of a word.
                            let next = self.at(t, pos + c.len);
                            if self.word_class(next.class) {
                                phase = if self.o200k { Phase::Upper } else { Phase::Letters };
                                pos += c.len;
                                (mark, word) = (NO_MARK, pos);
                                continue;
                            } else if self.o200k && c.class == MARK {
                                // The mark alone is the word: [\p{M}] as the lowercase-like run.
                                Self::contraction(t, pos + c.len)
                            } else if c.class == SPACE {
                                if c.cp == u32::from(b' ') && matches!(next.class, OTHER | MARK) {
                                    // " ?[^\s\p{L}\p{N}]+"
                                    phase = Phase::Punct;
                                    pos += c.len;
                                } else {
                                    phase = Phase::Space;
                                    (mark, word) = (NO_MARK, pos);
                                }
                                continue;
                            } else {
                                phase = Phase::Punct;
                                continue;
                            }
                        }
                    }
                }
                Phase::Upper => {
                    // [A]*[B]+ then [A]+[B]*, A = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}], B = [\p{Ll}\p{Lm}\p{Lo}\p{M}].
                    if matches!(c.class, UPPER | LETTER | MARK) {
                        if c.class != UPPER {
                            mark = pos + c.len;
                        }
                        pos += c.len;
                        continue;
                    }
                    if c.class == LOWER {
                        // The A run, then the B run from here.
                        phase = Phase::Lower;
                        continue;
                    }
                    if mark != NO_MARK {
                        // A* backs off to the run's last code point in B, which B+ takes alone.
                        Self::contraction(t, mark)
                    } else if word > start && self.at(t, start).class == MARK {
                        // No B in the run: without its prefix, the mark alone is A*B+.
                        word
                    } else {
                        // The second alternative: the whole A run.
                        Self::contraction(t, pos)
                    }
                }
                Phase::Lower => {
                    if matches!(c.class, LOWER | LETTER | MARK) {
                        pos += c.len;
                        continue;
                    }
                    Self::contraction(t, pos)
                }
                Phase::Letters => {
                    if matches!(c.class, UPPER | LOWER | LETTER) {
                        pos += c.len;
                        continue;
                    }
                    pos
                }
                Phase::Punct => {
                    if matches!(c.class, OTHER | MARK) {
                        pos += c.len;
                        continue;
                    }
                    phase = Phase::Newlines;
                    continue;
                }
                Phase::Newlines => {
                    if c.cp == u32::from(b'\r') || c.cp == u32::from(b'\n') || (self.o200k && c.cp == u32::from(b'/')) {
                        pos += c.len;
                        continue;
                    }
                    pos
                }
                Phase::Space => {
                    if matches!(c.class, SPACE | NEWLINE) {
                        if c.class == NEWLINE {
                            mark = pos + c.len;
                        }
                        word = pos;
                        pos += c.len;
                        continue;
                    }
                    if mark != NO_MARK {
                        // \s*[\r\n]+: up to the run's last newline.
                        mark
                    } else if pos == end || word == start {
                        // \s+(?!\S) at the end of the text, or \s+ of one code point.
                        pos
                    } else {
                        // \s+(?!\S): the run but its last code point.
                        word
                    }
                }
            };
            emit(start, done);
            start = done;
            pos = done;
            phase = Phase::Start;
        }
    }
}

const NO_MARK: usize = usize::MAX;

/// The parts left after merging `piece` (at most [`SHORT`] bytes, at least 2) in place: tiktoken's
/// small-piece merge over token ranks.
fn merge_short(v: &Vocab, piece: &[u8]) -> u32 {
    let n = piece.len();
    let mut tok = [0u32; SHORT];
    let mut pr = [NONE; SHORT];
    for (t, &b) in tok.iter_mut().zip(piece) {
        *t = v.byte_rank[usize::from(b)];
    }
    for i in 0..n - 1 {
        pr[i] = v.pair(tok[i], tok[i + 1]);
    }
    let mut m = n;
    loop {
        let (mut best, mut at) = (NONE, 0);
        for (i, &r) in pr[..m - 1].iter().enumerate() {
            if r < best {
                (best, at) = (r, i);
            }
        }
        if best == NONE {
            return m as u32;
        }
        tok[at] = best;
        tok.copy_within(at + 2..m, at + 1);
        if at + 2 < m {
            pr.copy_within(at + 2..m - 1, at + 1);
        }
        m -= 1;
        pr[at] = if at + 1 < m { v.pair(tok[at], tok[at + 1]) } else { NONE };
        if at > 0 {
            pr[at - 1] = v.pair(tok[at - 1], tok[at]);
        }
    }
}

/// The parts left after merging `piece` (at least 2 bytes) through a heap of candidate merges keyed by
/// (rank, start): tiktoken's large-piece merge over token ranks. Parts form a linked list over their
/// first bytes; a candidate whose rank no longer matches its part's is stale and skipped.
pub(crate) fn merge_long(v: &Vocab, piece: &[u8]) -> u32 {
    use std::cmp::Reverse;
    let n = piece.len();
    let mut tok: Vec<u32> = piece.iter().map(|&b| v.byte_rank[usize::from(b)]).collect();
    let mut next: Vec<u32> = (1..=n as u32).collect();
    let mut prev: Vec<u32> = (0..n as u32).map(|i| i.wrapping_sub(1)).collect();
    let mut pr = vec![NONE; n];
    let mut heap = std::collections::BinaryHeap::with_capacity(n);
    for i in 0..n - 1 {
        pr[i] = v.pair(tok[i], tok[i + 1]);
        if pr[i] != NONE {
            heap.push(Reverse((pr[i], i as u32)));
        }
    }
    let mut parts = n as u32;
    while let Some(Reverse((rank, at))) = heap.pop() {
        let a = at as usize;
        if pr[a] != rank {
            continue;
        }
        let right = next[a] as usize;
        let after = next[right];
        tok[a] = rank;
        next[a] = after;
        pr[right] = NONE;
        if (after as usize) < n {
            prev[after as usize] = at;
            pr[a] = v.pair(rank, tok[after as usize]);
            if pr[a] != NONE {
                heap.push(Reverse((pr[a], at)));
            }
        } else {
            pr[a] = NONE;
        }
        if a > 0 {
            let p = prev[a] as usize;
            pr[p] = v.pair(tok[p], rank);
            if pr[p] != NONE {
                heap.push(Reverse((pr[p], p as u32)));
            }
        }
        parts -= 1;
    }
    parts
}

/// The tokens of one piece.
#[inline]
pub(crate) fn count_piece(v: &Vocab, piece: &[u8]) -> u32 {
    if piece.len() <= 1 || v.token(piece).is_some() {
        return piece.len().min(1) as u32;
    }
    if piece.len() <= SHORT { merge_short(v, piece) } else { merge_long(v, piece) }
}

/// The tokens of `text` (valid UTF-8).
pub(crate) fn count(v: &Vocab, classes: &Classes, text: &[u8]) -> u64 {
    let mut total = 0u64;
    Splitter::new(classes, v.encoding).split(text, |s, e| total += u64::from(count_piece(v, &text[s..e])));
    total
}

/// The tokens of each row `values[offsets[i]..offsets[i + 1]]`, over every core.
pub(crate) fn counts(v: &Vocab, classes: &Classes, values: &[u8], offsets: &[u64]) -> Vec<u64> {
    let n = offsets.len().saturating_sub(1);
    let row = |i: usize| count(v, classes, &values[offsets[i] as usize..offsets[i + 1] as usize]);
    // Tasks of at least ~64 KiB of text or 256 rows, so that small inputs stay on one thread.
    let bytes = offsets.last().copied().unwrap_or(0) as usize;
    if n < 2 || bytes < 1 << 16 {
        return (0..n).map(row).collect();
    }
    let min_len = (n * (1 << 16) / bytes).clamp(1, 256);
    (0..n).into_par_iter().with_min_len(min_len).map(row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::vocab::{classes, vocab};

    fn pieces(enc: Encoding, s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        Splitter::new(classes().unwrap(), enc).split(s.as_bytes(), |a, b| out.push(&s[a..b]));
        out
    }

    #[test]
    fn splits_like_the_pattern() {
        let o = Encoding::O200kBase;
        assert_eq!(pieces(o, "Hello world's  end\n\n  x"), ["Hello", " world's", " ", " end", "\n\n", " ", " x"]);
        assert_eq!(pieces(o, "HELLOworld ABC's"), ["HELLOworld", " ABC's"]);
        assert_eq!(pieces(o, "12345 ...\n/x"), ["123", "45", " ...\n/", "x"]);
        let c = Encoding::Cl100kBase;
        assert_eq!(pieces(c, "'sam I'LL"), ["'s", "am", " I", "'LL"]);
        assert_eq!(pieces(c, "<|endoftext|>"), ["<|", "endoftext", "|>"]);
        assert!(pieces(c, "").is_empty());
    }

    /// Random text from pools of awkward code points, and some anywhere in Unicode.
    fn random_text(x: &mut u64, len: usize) -> String {
        let pools: Vec<Vec<char>> = [
            "abcXYZ 09'sStTmMdDrReEvVlL\u{17f}",
            " \t\n\r.,!?-_/\\()<>|@#\"",
            "\u{e9}\u{c9}\u{1c5}\u{2b0}\u{301}\u{302}\u{64b}\u{93f}\u{663}\u{bd}\u{216b}",
            "日本語ひらカタ안녕ไม😀🙏🏽\u{200d}🇺",
            "\u{a0}\u{2000}\u{2028}\u{3000}\u{85}\u{b}\u{c}\u{1c}\u{200b}\u{feff}",
        ]
        .iter()
        .map(|p| p.chars().collect())
        .collect();
        let mut next = || {
            *x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            *x >> 33
        };
        (0..len)
            .map(|_| match next() % 6 {
                5 => loop {
                    if let Some(c) = char::from_u32((next() % 0x11_0000) as u32) {
                        break c;
                    }
                },
                k => {
                    let p = &pools[k as usize];
                    p[next() as usize % p.len()]
                }
            })
            .collect()
    }

    #[test]
    fn splits_like_the_regex() {
        // The pieces of bpe-openai's pretokenizer (the encodings' patterns on regex-automata), which equal
        // tiktoken's; the counts are compared with tiktoken itself in tests/tokens.rs.
        let mut x = 3u64;
        for (enc, reference) in
            [(Encoding::O200kBase, bpe_openai::o200k_base()), (Encoding::Cl100kBase, bpe_openai::cl100k_base())]
        {
            for i in 0..100_000 {
                let s = random_text(&mut x, i % 40);
                assert_eq!(pieces(enc, &s), reference.split(&s).collect::<Vec<_>>(), "{enc}: {s:?}");
            }
        }
    }

    #[test]
    fn every_token_merges_back_into_itself() {
        // So a piece that is one token counts 1 whichever path merges it.
        for enc in Encoding::ALL {
            let v = vocab(enc).unwrap();
            for (bytes, _) in v.tokens().filter(|(b, _)| b.len() > 1) {
                let parts = if bytes.len() <= SHORT { merge_short(v, bytes) } else { merge_long(v, bytes) };
                assert_eq!(parts, 1, "{enc}: {bytes:?}");
                assert_eq!(merge_long(v, bytes), 1, "{enc}: {bytes:?}");
            }
        }
    }

    #[test]
    fn pair_lookups_are_short() {
        // The shader's loops are bounded by the longest probe of the pair table.
        for enc in Encoding::ALL {
            let v = vocab(enc).unwrap();
            assert!(v.pair_probes <= 64, "{enc}: {}", v.pair_probes);
        }
    }

    #[test]
    fn short_and_long_merges_agree() {
        let v = vocab(Encoding::O200kBase).unwrap();
        let mut x = 1u64;
        for len in 2..=SHORT {
            for _ in 0..200 {
                let piece: Vec<u8> = (0..len)
                    .map(|_| {
                        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        b"aab cde\xc3\xa9"[(x >> 33) as usize % 9]
                    })
                    .collect();
                assert_eq!(merge_short(v, &piece), merge_long(v, &piece), "{piece:?}");
            }
        }
    }
}
