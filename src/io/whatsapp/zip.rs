//! Which member of a `.zip` export holds the chat, and its bytes, decompressed as they are read.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// `WhatsApp(?: Chat with|.*) (.+)\.txt` at the start of a file name (Python's `re.match`).
fn chat_name_pattern() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    // A constant pattern, compiled in the tests: it cannot fail.
    RE.get_or_init(|| regex::Regex::new(r"^WhatsApp(?: Chat with|.*) (.+)\.txt").expect("valid chat name pattern"))
}

/// The group's name from a chat file's name (a path inside a zip, or a file name): the group of
/// `WhatsApp Chat with GROUP.txt`, else the file's stem (the name without its last extension).
pub(super) fn group_from_file_name(member: &str) -> String {
    let file = member.rsplit(['/', '\\']).next().unwrap_or(member);
    if let Some(c) = chat_name_pattern().captures(file).and_then(|c| c.get(1)) {
        return c.as_str().to_string();
    }
    match file.rfind('.') {
        Some(i) if i > 0 => file[..i].to_string(),
        _ => file.to_string(),
    }
}

/// Whether a member can hold the chat: a name ending in `.txt` (any case), outside folders starting with
/// `__` (so never `__MACOSX/`).
fn is_candidate(path: &str) -> bool {
    !path.starts_with("__") && !path.ends_with('/') && path.to_ascii_lowercase().ends_with(".txt")
}

/// The existing pipeline's score of a candidate: its uncompressed size, plus 1,000,000 when its file name
/// matches `WhatsApp(?: Chat with|.*) (.+)\.txt`.
fn pipeline_score(path: &str, size: u64) -> u64 {
    let file = path.rsplit('/').next().unwrap_or(path);
    let bonus = if chat_name_pattern().is_match(file) { 1_000_000 } else { 0 };
    size.saturating_add(bonus)
}

/// Which member of a zip is the chat, as the existing pipeline chooses it: among the members whose name
/// ends in `.txt` (any case) and whose path does not start with `__` (so never `__MACOSX/`), the one with
/// the highest score, its uncompressed size plus 1,000,000 when its file name matches
/// `WhatsApp(?: Chat with|.*) (.+)\.txt`; the first in the zip's order on a tie. `members` are (path,
/// uncompressed size) in the zip's order. The reader itself prefers the names WhatsApp gives (see
/// [`WhatsAppStream::open`](super::WhatsAppStream::open)); this is the pipeline's rule, for comparison.
///
/// # Example
/// ```
/// use streamliner::io::whatsapp::chat_member;
/// let members = [("__MACOSX/._chat.txt", 9_000_000), ("notes.txt", 900_000), ("WhatsApp Chat with Ann.txt", 10)];
/// assert_eq!(chat_member(members.iter().map(|&(n, s)| (n, s))), Some(2));
/// assert_eq!(chat_member([("__MACOSX/x.txt", 1)]), None);
/// ```
pub fn chat_member<'a>(members: impl IntoIterator<Item = (&'a str, u64)>) -> Option<usize> {
    let mut best: Option<(u64, usize)> = None;
    for (i, (path, size)) in members.into_iter().enumerate() {
        if !is_candidate(path) {
            continue;
        }
        let score = pipeline_score(path, size);
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, i));
        }
    }
    best.map(|(_, i)| i)
}

/// Whether a file name is one WhatsApp gives its exports: `_chat.txt` (iOS), or a `.txt` name holding
/// "WhatsApp" in any case (`WhatsApp Chat with NAME.txt`, `Conversa do WhatsApp com NAME.txt`,
/// `WhatsApp-Chat mit NAME.txt`, `Discussion WhatsApp avec NAME.txt`, and the other locales' names).
pub(super) fn is_whatsapp_name(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path).to_lowercase();
    file == "_chat.txt" || (file.ends_with(".txt") && file.contains("whatsapp"))
}

#[cfg(feature = "whatsapp")]
/// Reads from a channel of byte chunks (a decompressing thread on the other end).
struct ChannelReader {
    rx: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
}

#[cfg(feature = "whatsapp")]
impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => (self.chunk, self.pos) = (chunk, 0),
                Ok(Err(e)) => return Err(e),
                // The thread is done: end of the member.
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.chunk.len() - self.pos);
        out[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Limits on a zip member's decompressed size.
#[derive(Clone, Copy, Debug)]
pub(super) struct ZipLimits {
    /// Bytes at most.
    pub max_bytes: u64,
    /// Decompressed bytes per compressed byte at most, past a floor of [`RATIO_FLOOR`] bytes.
    pub max_ratio: u64,
}

/// Decompressed bytes a member may always hold, whatever its ratio (a small chat of repeated lines
/// compresses well).
pub(super) const RATIO_FLOOR: u64 = 64 << 20;

impl ZipLimits {
    fn limit(&self, compressed: u64) -> (u64, &'static str) {
        let by_ratio = compressed.saturating_mul(self.max_ratio).max(RATIO_FLOOR);
        if by_ratio < self.max_bytes {
            (by_ratio, "WhatsAppOptions::max_zip_ratio")
        } else {
            (self.max_bytes, "WhatsAppOptions::max_member_bytes")
        }
    }
}

#[cfg(feature = "whatsapp")]
/// Lines of a member's first 64 KiB that start a message (marks, a header, then `Author: `), up to 8.
fn starts_messages(zip: &mut zip::ZipArchive<std::fs::File>, index: usize) -> usize {
    let Ok(entry) = zip.by_index(index) else { return 0 };
    let mut head = Vec::new();
    if entry.take(64 << 10).read_to_end(&mut head).is_err() {
        return 0;
    }
    let text = String::from_utf8_lossy(&head);
    text.lines()
        .take(200)
        .filter(|l| {
            let line = super::normalize::normalize_line(l);
            super::grammar::header(&line).is_some_and(|h| super::grammar::author_and_text(h.body).is_some())
        })
        .take(8)
        .count()
}

#[cfg(feature = "whatsapp")]
/// The export inside a zip, decompressed by a thread as it is read (a few chunks of 64 KiB in flight,
/// never the whole member), and the member's name. The member: among the candidates (`.txt` outside `__`
/// folders), those with a name WhatsApp gives ([`is_whatsapp_name`]) first; when there is none, those whose
/// first lines start messages; then the pipeline's score ([`chat_member`]) decides. Past the limits, the
/// reader fails.
pub(super) fn zip_member(path: &Path, limits: ZipLimits) -> Result<(Box<dyn Read + Send>, String)> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(&name, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| Error::io(&name, e))?;
    let mut members = Vec::with_capacity(zip.len().min(1 << 16));
    for i in 0..zip.len() {
        // Members that cannot be read are not candidates.
        if let Ok(m) = zip.by_index_raw(i)
            && let Ok(n) = m.name()
        {
            members.push((i, n.into_owned(), m.size(), m.compressed_size()));
        }
    }
    let candidates: Vec<usize> = (0..members.len()).filter(|&k| is_candidate(&members[k].1)).collect();
    let best_of = |ks: &[usize]| {
        ks.iter().copied().max_by_key(|&k| (pipeline_score(&members[k].1, members[k].2), std::cmp::Reverse(k)))
    };
    let named: Vec<usize> = candidates.iter().copied().filter(|&k| is_whatsapp_name(&members[k].1)).collect();
    let pick = if !named.is_empty() {
        best_of(&named)
    } else if candidates.len() > 1 {
        let chatty: Vec<usize> =
            candidates.iter().copied().filter(|&k| starts_messages(&mut zip, members[k].0) > 0).collect();
        best_of(if chatty.is_empty() { &candidates } else { &chatty })
    } else {
        best_of(&candidates)
    };
    let pick = pick.ok_or_else(|| {
        let names: Vec<String> = members.iter().take(5).map(|m| crate::error::excerpt(&m.1)).collect();
        Error::io(
            &name,
            format!(
                "the zip holds no chat export: no member ends in .txt outside folders starting with `__` \
                 (its members: {}{})",
                if names.is_empty() { "none".to_string() } else { names.join(", ") },
                if members.len() > 5 { ", ..." } else { "" }
            ),
        )
    })?;
    let (index, member, size, compressed) = members.swap_remove(pick);
    let (max_bytes, option) = limits.limit(compressed);
    if size > max_bytes {
        return Err(Error::io(
            format!("{name}:{member}"),
            format!("decompresses to {size} bytes ({compressed} compressed), past the limit of {max_bytes} ({option})"),
        ));
    }
    // Fail here, not in the thread, when the member cannot be opened.
    zip.by_index(index).map_err(|e| Error::io(format!("{name}:{member}"), e))?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(8);
    std::thread::Builder::new()
        .name("whatsapp-unzip".into())
        .spawn(move || {
            let mut entry = match zip.by_index(index) {
                Ok(e) => e,
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e)));
                    return;
                }
            };
            let mut total = 0u64;
            loop {
                let mut buf = vec![0u8; 1 << 16];
                match entry.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        total += n as u64;
                        if total > max_bytes {
                            let _ = tx.send(Err(std::io::Error::other(format!(
                                "the export decompresses past the limit of {max_bytes} bytes ({compressed} \
                                 compressed; {option})"
                            ))));
                            return;
                        }
                        buf.truncate(n);
                        // The reader was dropped: stop.
                        if tx.send(Ok(buf)).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
        })
        .map_err(|e| Error::io(&name, e))?;
    Ok((Box::new(ChannelReader { rx, chunk: Vec::new(), pos: 0 }), member))
}

#[cfg(not(feature = "whatsapp"))]
pub(super) fn zip_member(path: &Path, _limits: ZipLimits) -> Result<(Box<dyn Read + Send>, String)> {
    Err(Error::io(path.display(), "reading .zip exports needs the `whatsapp` feature"))
}
