//! Python string semantics the existing pipeline relies on.

/// Python's `str.isspace()`: Unicode White_Space plus the separators U+001C..U+001F (which Rust's
/// `char::is_whitespace` leaves out). `shaders/shared/text.wgsl` has the same set.
pub(crate) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()`.
pub(crate) fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_is_pythons() {
        // Every code point Python 3.11 calls whitespace, and some it does not.
        let py: Vec<u32> = [0x09..=0x0d, 0x1c..=0x20, 0x85..=0x85, 0xa0..=0xa0, 0x1680..=0x1680, 0x2000..=0x200a]
            .into_iter()
            .flatten()
            .chain([0x2028, 0x2029, 0x202f, 0x205f, 0x3000])
            .collect();
        for c in 0..0x3100u32 {
            let Some(ch) = char::from_u32(c) else { continue };
            assert_eq!(is_py_space(ch), py.contains(&c), "U+{c:04X}");
        }
        assert_eq!(py_strip("\u{1c} a b\u{3000}"), "a b");
        assert!(!is_py_space('\u{200b}') && !is_py_space('\u{180e}') && !is_py_space('\u{feff}'));
    }
}
