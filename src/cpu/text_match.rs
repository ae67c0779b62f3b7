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
    let mut out = Vec::new();
    let mut cand: Option<(usize, usize)> = None;
    let mut pos = 0;
    while pos <= row.len() {
        if pos == row.len() || !url_allowed(row[pos]) {
            if let Some((c, plen)) = cand.take()
                && pos > c + plen
            {
                out.push((c, pos));
            }
            pos += 1;
            continue;
        }
        if cand.is_none() {
            let rest = &row[pos..];
            let plen = if rest.starts_with(b"https://") {
                8
            } else if rest.starts_with(b"http://") {
                7
            } else {
                0
            };
            if plen > 0 {
                cand = Some((pos, plen));
                pos += plen;
                continue;
            }
        }
        pos += 1;
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
