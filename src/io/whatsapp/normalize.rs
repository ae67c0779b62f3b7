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

/// A necessary condition for the phone pattern to match: somewhere, three digits, an optional `)`, an
/// optional separator, three digits, an optional separator, four digits (the pattern less its optional
/// prefix). Digits are tested loosely (`char::is_numeric`, a superset of Python's `\d`), so whenever the
/// pattern matches, this holds; it fails on a date and time such as `01/01/2024, 08:00`, so header
/// lines skip the regex.
fn may_hold_phone(s: &str) -> bool {
    // Pattern elements: D D D P? S? D D D S? D D D D; a state is the index of the next element.
    const D: u8 = 1;
    const P: u8 = 2;
    const S: u8 = 3;
    const ELEMENTS: [(u8, bool); 13] = [
        (D, false),
        (D, false),
        (D, false),
        (P, true),
        (S, true),
        (D, false),
        (D, false),
        (D, false),
        (S, true),
        (D, false),
        (D, false),
        (D, false),
        (D, false),
    ];
    const ACCEPT: u32 = 1 << ELEMENTS.len();
    // States reachable without reading a character from each state (optional elements skipped).
    let closure = |mut set: u32| {
        for (i, &(_, optional)) in ELEMENTS.iter().enumerate() {
            if optional && set & (1 << i) != 0 {
                set |= 1 << (i + 1);
            }
        }
        set
    };
    let mut active = closure(1);
    for c in s.chars() {
        let class = if c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric()) {
            D
        } else if c == ')' {
            P
        } else if c == '.' || c == '-' || is_py_space(c) {
            S
        } else {
            0
        };
        let mut next = 1u32;
        if class != 0 {
            for (i, &(element, _)) in ELEMENTS.iter().enumerate() {
                if active & (1 << i) != 0 && element == class {
                    next |= 1 << (i + 1);
                }
            }
        }
        active = closure(next);
        if active & ACCEPT != 0 {
            return true;
        }
    }
    false
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
    use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};
    if line.is_ascii() {
        return html_escape(Cow::Borrowed(line));
    }
    let mut s: Cow<'_, str> = match is_nfkc_quick(line.chars()) {
        IsNormalized::Yes if !has_bidi(line.as_bytes()) => Cow::Borrowed(line),
        IsNormalized::Yes => Cow::Owned(line.chars().filter(|&c| !is_bidi(c)).collect()),
        _ => Cow::Owned(line.nfkc().filter(|&c| !is_bidi(c)).collect()),
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
