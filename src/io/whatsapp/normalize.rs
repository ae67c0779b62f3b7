//! The existing pipeline's normalization of each line of an export, with fast paths that give the same
//! bytes: a line is only copied when something in it changes.

use std::borrow::Cow;

use crate::pystr::is_py_space;

/// Python's `\s` (str.isspace) as a regex class body.
const PY_SPACE: &str =
    r"\t\n\x0B\x0C\r\x1C-\x1F \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}";

/// Python's `[\w\.-]+@[\w\.-]+\.\w+`, with `\w` as Python defines it: letters, numbers, underscore.
fn email_pattern() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    // A constant pattern, compiled in the tests: it cannot fail.
    RE.get_or_init(|| {
        regex::Regex::new(r"[\p{L}\p{N}_.\-]+@[\p{L}\p{N}_.\-]+\.[\p{L}\p{N}_]+").expect("valid e-mail pattern")
    })
}

/// Python's `(\+\d{1,2}\s?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}` with its Unicode classes.
fn phone_pattern() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        let s = PY_SPACE;
        let pattern =
            format!(r"(\+\p{{Nd}}{{1,2}}[{s}]?)?\(?\p{{Nd}}{{3}}\)?[{s}.\-]?\p{{Nd}}{{3}}[{s}.\-]?\p{{Nd}}{{4}}");
        // A constant pattern, compiled in the tests: it cannot fail.
        regex::Regex::new(&pattern).expect("valid phone pattern")
    })
}

/// `&`, `<` and `>` as HTML entities (Python's `html.escape(s, quote=False)`), found by a byte scan.
fn html_escape(s: Cow<'_, str>) -> Cow<'_, str> {
    let bytes = s.as_bytes();
    let Some(first) = memchr::memchr3(b'&', b'<', b'>', bytes) else { return s };
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..first]);
    let mut from = first;
    for i in memchr::memchr3_iter(b'&', b'<', b'>', &bytes[first..]).map(|i| i + first) {
        out.push_str(&s[from..i]);
        out.push_str(match bytes[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            _ => "&gt;",
        });
        from = i + 1;
    }
    out.push_str(&s[from..]);
    Cow::Owned(out)
}

/// Whether the UTF-8 bytes hold a bidi control the pipeline removes: U+200E, U+200F, U+202A..U+202E
/// (`E2 80 8E`, `E2 80 8F`, `E2 80 AA`..`E2 80 AE`).
fn has_bidi(bytes: &[u8]) -> bool {
    memchr::memchr_iter(0xe2, bytes)
        .any(|i| bytes.get(i + 1) == Some(&0x80) && matches!(bytes.get(i + 2), Some(0x8e | 0x8f | 0xaa..=0xae)))
}

fn is_bidi(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}')
}

/// Whether a non-ASCII character may be a decimal digit (Unicode `Nd`): `char::is_numeric` (a superset),
/// skipped for the blocks that hold no digit at all (Latin-1 to Hebrew, CJK ideographs, emoji), which are
/// most of the non-ASCII text in chats.
fn may_be_digit(c: char) -> bool {
    !matches!(c, '\u{80}'..='\u{65f}' | '\u{4e00}'..='\u{9fff}' | '\u{1f000}'..='\u{1faff}') && c.is_numeric()
}

/// A necessary condition for the phone pattern to match: somewhere, three digits, an optional `)`, an
/// optional separator, three digits, an optional separator, four digits (the pattern less its optional
/// prefix). Digits are tested loosely (`char::is_numeric`, a superset of Python's `\d`), so whenever the
/// pattern matches, this holds; it fails on a date and time such as `01/01/2024, 08:00`, so header
/// lines skip the regex.
fn may_hold_phone(s: &str) -> bool {
    // Pattern elements 0..=12: D D D P? S? D D D S? D D D D; bit k of a state set: element k is next.
    // Each class moves the states that expect it one element on; optional elements may be skipped.
    const D: u32 = 0b1_1110_1110_0111;
    const P: u32 = 1 << 3;
    const S: u32 = (1 << 4) | (1 << 8);
    const ACCEPT: u32 = 1 << 13;
    let closure = |mut set: u32| {
        set |= (set & (1 << 3)) << 1;
        set |= (set & (1 << 4)) << 1;
        set |= (set & (1 << 8)) << 1;
        set
    };
    let start = closure(1);
    let mut active = start;
    for c in s.chars() {
        let expecting = if c.is_ascii_digit() || (!c.is_ascii() && may_be_digit(c)) {
            D
        } else if c == ')' {
            P
        } else if c == '.' || c == '-' || is_py_space(c) {
            S
        } else {
            active = start;
            continue;
        };
        active = closure(((active & expecting) << 1) | 1);
        if active & ACCEPT != 0 {
            return true;
        }
    }
    false
}

/// Characters known to need no normalization: NFKC's quick check says Yes and their canonical combining
/// class is 0, so a line made of them (and ASCII) is NFKC already. A small direct-mapped table: chats use
/// few distinct characters, so after the first lines nearly every character is found here.
pub(super) struct Starters {
    table: Vec<u32>,
}

const STARTER_SLOTS: usize = 1024;

impl Default for Starters {
    fn default() -> Self {
        Starters { table: vec![0; STARTER_SLOTS] }
    }
}

impl Starters {
    fn slot(c: char) -> usize {
        (c as usize ^ (c as usize >> 10)) % STARTER_SLOTS
    }

    /// Whether NFKC leaves `line` as it is, as Unicode's quick check decides it (a Maybe counts as no: the
    /// caller then normalizes, which is exact either way).
    fn nfkc_unchanged(&mut self, line: &str) -> bool {
        use unicode_normalization::char::canonical_combining_class;
        use unicode_normalization::{IsNormalized, is_nfkc_quick};
        let mut last_class = 0u8;
        for c in line.chars() {
            if c.is_ascii() || self.table[Self::slot(c)] == c as u32 {
                last_class = 0;
                continue;
            }
            let class = canonical_combining_class(c);
            if last_class > class && class != 0 {
                return false;
            }
            if is_nfkc_quick(std::iter::once(c)) != IsNormalized::Yes {
                return false;
            }
            if class == 0 {
                self.table[Self::slot(c)] = c as u32;
            }
            last_class = class;
        }
        true
    }
}

/// What the existing pipeline does to each line of an export before parsing it: a line holding any
/// non-ASCII character is NFKC-normalized, loses the bidi controls U+200E, U+200F and U+202A..U+202E,
/// and has its e-mail addresses then phone numbers replaced by `<EMAIL_REDACTED>` / `<PHONE_REDACTED>`;
/// then every line is HTML-escaped (`&`, `<`, `>`). A pure-ASCII line is only escaped (the pipeline's
/// quirk: its e-mails and phones stay).
///
/// Each step runs only where it can change the line: NFKC only on lines that fail Unicode's quick check,
/// the bidi filter only where a byte scan finds a control, e-mail redaction only on lines holding an `@`,
/// phone redaction only on lines holding a run of digits shaped like a phone number, escaping only where
/// a byte scan finds `&`, `<` or `>`. The line is borrowed when nothing changes.
///
/// # Example
/// ```
/// use streamliner::io::whatsapp::normalize_line;
/// assert_eq!(normalize_line("a < b & c"), "a &lt; b &amp; c");
/// assert_eq!(normalize_line("José: mail josé@x.org"), "José: mail &lt;EMAIL_REDACTED&gt;");
/// assert_eq!(normalize_line("ascii: mail jose@x.org"), "ascii: mail jose@x.org");
/// ```
pub fn normalize_line(line: &str) -> Cow<'_, str> {
    thread_local! {
        static STARTERS: std::cell::RefCell<Starters> = std::cell::RefCell::new(Starters::default());
    }
    STARTERS.with(|s| match s.try_borrow_mut() {
        Ok(mut starters) => normalize_with(line, &mut starters),
        Err(_) => normalize_with(line, &mut Starters::default()),
    })
}

/// [`normalize_line`] with a caller's table of known characters.
pub(super) fn normalize_with<'a>(line: &'a str, starters: &mut Starters) -> Cow<'a, str> {
    use unicode_normalization::UnicodeNormalization;
    if line.is_ascii() {
        return html_escape(Cow::Borrowed(line));
    }
    let mut s: Cow<'_, str> = if !starters.nfkc_unchanged(line) {
        Cow::Owned(line.nfkc().filter(|&c| !is_bidi(c)).collect())
    } else if has_bidi(line.as_bytes()) {
        Cow::Owned(line.chars().filter(|&c| !is_bidi(c)).collect())
    } else {
        Cow::Borrowed(line)
    };
    if memchr::memchr(b'@', s.as_bytes()).is_some()
        && let Cow::Owned(r) = email_pattern().replace_all(&s, "<EMAIL_REDACTED>")
    {
        s = Cow::Owned(r);
    }
    if may_hold_phone(&s)
        && let Cow::Owned(r) = phone_pattern().replace_all(&s, "<PHONE_REDACTED>")
    {
        s = Cow::Owned(r);
    }
    html_escape(s)
}

/// The normalization as the pipeline writes it, step by step with no fast path: the reference the tests
/// hold [`normalize_line`] to.
#[cfg(test)]
pub(super) fn normalize_line_reference(line: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    if line.is_ascii() {
        return escape(line);
    }
    let s: String = line.nfkc().filter(|&c| !is_bidi(c)).collect();
    let s = email_pattern().replace_all(&s, "<EMAIL_REDACTED>");
    let s = phone_pattern().replace_all(&s, "<PHONE_REDACTED>");
    escape(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_as_the_pipeline() {
        assert_eq!(normalize_line("x\u{200e}y\u{202b}z"), "xyz");
        assert_eq!(normalize_line("ﬁ ① ｘ"), "fi 1 x"); // NFKC
        assert_eq!(normalize_line("é call +1 555-123-4567 now"), "é call &lt;PHONE_REDACTED&gt; now");
        assert_eq!(normalize_line("é (555) 123 4567"), "é &lt;PHONE_REDACTED&gt;");
        assert_eq!(normalize_line("é a.b-c_d@ex-ample.co.uk!"), "é &lt;EMAIL_REDACTED&gt;!");
        assert_eq!(normalize_line("call 5551234567 <x>"), "call 5551234567 &lt;x&gt;");
        assert!(matches!(normalize_line("01/01/2024, 08:00 - Zoë: 😀 ok"), Cow::Borrowed(_)));
    }

    /// Random lines of the characters each step reacts to: the fast paths give the reference's bytes.
    #[test]
    fn fast_paths_equal_the_reference() {
        const PIECES: [&str; 40] = [
            "a",
            " ",
            "é",
            "😀",
            "&",
            "<",
            ">",
            "@",
            ".",
            "-",
            ")",
            "(",
            "+",
            "1",
            "23",
            "555",
            "4567",
            "٥",
            "５",
            "\u{200e}",
            "\u{202b}",
            "\u{202f}",
            "\u{a0}",
            "\u{3000}",
            "\u{1c}",
            "ﬁ",
            "①",
            "x²",
            "e\u{301}",
            "\u{301}",
            "_",
            "b.c",
            "01/01/2024, 08:00 - ",
            "Zoë: ",
            "\t",
            "日本",
            "ｓ",
            "\u{fb01}",
            "0",
            "\u{2028}",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..200_000 {
            let len = next(16);
            let line: String = (0..len).map(|_| PIECES[next(PIECES.len())]).collect();
            assert_eq!(normalize_line(&line), normalize_line_reference(&line), "{line:?}");
        }
    }

    #[test]
    fn phone_precheck_is_necessary() {
        for line in ["555-123-4567", "(555) 123 4567", "555.1234567", "5551234567", "555\u{1c}123\u{1f}4567"] {
            assert!(may_hold_phone(line), "{line:?}");
        }
        for line in ["01/01/2024, 08:00", "12:30:45", "2024-01-01", "tel 12 34"] {
            assert!(!may_hold_phone(line), "{line:?}");
        }
    }
}
