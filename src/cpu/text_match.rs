//! CPU twin of `shaders/text_match.wgsl`.

/// Whether `row` starts with `pattern` (lowercase ASCII), ASCII case ignored.
pub(crate) fn prefix_ci(row: &[u8], pattern: &[u8]) -> bool {
    row.len() >= pattern.len() && row[..pattern.len()].iter().zip(pattern).all(|(b, p)| b.to_ascii_lowercase() == *p)
}

fn url_allowed(b: u8) -> bool {
    !matches!(
        b,
        b' ' | b'\t'
            | b'\n'
            | b'\x0c'
            | b'\r'
            | b'<'
            | b'>'
            | b'"'
            | b'{'
            | b'}'
            | b'|'
            | b'\\'
            | b'^'
            | b'`'
            | b'['
            | b']'
    )
}

/// The URL spans `[start, end)` of `row`: leftmost, non-overlapping matches of `https?://` followed by
/// one or more allowed bytes (the same walk as the shader).
pub(crate) fn urls(row: &[u8]) -> Vec<(usize, usize)> {
    // Built once: building a searcher per row costs more than searching a short row.
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"http"));
    let finder = &*FINDER;
    let mut out = Vec::new();
    let mut pos = 0;
    // A URL starts only at `http`: the search skips everything else.
    while let Some(found) = finder.find(&row[pos..]) {
        let start = pos + found;
        let rest = &row[start..];
        let plen = if rest.starts_with(b"https://") {
            8
        } else if rest.starts_with(b"http://") {
            7
        } else {
            pos = start + 1;
            continue;
        };
        let end = row[start + plen..].iter().position(|&b| !url_allowed(b)).map_or(row.len(), |k| start + plen + k);
        if end > start + plen {
            out.push((start, end));
        }
        if end >= row.len() {
            break;
        }
        pos = end + 1;
    }
    out
}

/// The 16 bytes of a UUID in canonical text (hex of either case), if `row` is one.
pub(crate) fn parse_uuid(row: &[u8]) -> Option<[u8; 16]> {
    if row.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    let mut nibble = 0;
    for (k, &b) in row.iter().enumerate() {
        if matches!(k, 8 | 13 | 18 | 23) {
            if b != b'-' {
                return None;
            }
            continue;
        }
        let v = (b as char).to_digit(16)? as u8;
        out[nibble / 2] |= if nibble % 2 == 0 { v << 4 } else { v };
        nibble += 1;
    }
    Some(out)
}
