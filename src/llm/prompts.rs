//! [`RenderedMessages`]: every message rendered once, and each window's prompt as a range of it.

use std::ops::Range;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt64Type};
use arrow_array::{Array, LargeStringArray, RecordBatch, StringArray};
use arrow_buffer::{Buffer, OffsetBuffer};
use arrow_schema::DataType;

use super::template::PromptTemplate;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::kernels::sha256::{hex_column, sha256_ranges};

/// Every message of a table rendered once into one buffer (see [`PromptTemplate::render`]), with the
/// template's frame: the prompt of a window of rows `s..e` is the header, the messages `s..e` (one
/// range of the buffer), then the footer, so overlapping windows share their bytes.
#[derive(Clone, Debug)]
pub struct RenderedMessages {
    text: Vec<u8>,
    offsets: Vec<u64>,
    header: String,
    footer: String,
    empty: String,
}

/// One window's prompt: its three pieces, borrowed (`Display` writes them one after another).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prompt<'a> {
    /// The template's header, or the text of a window without messages.
    pub head: &'a str,
    /// The window's messages: a range of the rendered buffer.
    pub body: &'a str,
    /// The template's footer (empty for a window without messages).
    pub tail: &'a str,
}

impl Prompt<'_> {
    /// Length in UTF-8 bytes.
    pub fn len(&self) -> usize {
        self.head.len() + self.body.len() + self.tail.len()
    }

    /// Whether the prompt is the empty text.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Display for Prompt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.head)?;
        f.write_str(self.body)?;
        f.write_str(self.tail)
    }
}

impl RenderedMessages {
    pub(crate) fn new(text: Vec<u8>, offsets: Vec<u64>, template: &PromptTemplate) -> Self {
        RenderedMessages {
            text,
            offsets,
            header: template.header.clone(),
            footer: template.footer.clone(),
            empty: template.empty.clone(),
        }
    }

    /// Number of messages.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether there is no message.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All messages' text, one after another (UTF-8).
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// Where each message starts in [`RenderedMessages::text`], and where the last ends (`len() + 1`
    /// values from 0).
    pub fn offsets(&self) -> &[u64] {
        &self.offsets
    }

    /// The text of message `i`.
    ///
    /// # Panics
    /// When `i >= len()`.
    pub fn message(&self, i: usize) -> &str {
        self.body(i as u64, i as u64 + 1)
    }

    fn body(&self, s: u64, e: u64) -> &str {
        // Message boundaries fall between whole rendered values, so every range is valid UTF-8.
        std::str::from_utf8(&self.text[self.offsets[s as usize] as usize..self.offsets[e as usize] as usize])
            .unwrap_or_default()
    }

    /// Checks that every window `(start, end)` is ordered and within the messages.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first window that is not.
    pub fn check_windows(&self, windows: &[(u64, u64)]) -> Result<()> {
        windows.iter().enumerate().try_for_each(|(i, &(s, e))| self.check(i, s, e))
    }

    fn check(&self, i: usize, s: u64, e: u64) -> Result<()> {
        if s > e || e > self.len() as u64 {
            return Err(Error::invalid(
                "window rows",
                format!("{s}..{e} (window {i})"),
                format!("must be ordered and within the {} messages", self.len()),
            ));
        }
        Ok(())
    }

    /// The prompt of the window of messages `rows`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `rows` is reversed or ends past the messages.
    pub fn prompt(&self, rows: Range<u64>) -> Result<Prompt<'_>> {
        self.check(0, rows.start, rows.end)?;
        Ok(if rows.is_empty() {
            Prompt { head: &self.empty, body: "", tail: "" }
        } else {
            Prompt { head: &self.header, body: self.body(rows.start, rows.end), tail: &self.footer }
        })
    }

    /// The prompts of `windows` (row ranges `(start, end)`) as one `LargeUtf8` column.
    ///
    /// # Errors
    /// As [`RenderedMessages::prompt`], naming the first bad window.
    pub fn prompts(&self, windows: &[(u64, u64)]) -> Result<LargeStringArray> {
        self.check_windows(windows)?;
        let mut offsets = Vec::with_capacity(windows.len() + 1);
        offsets.push(0i64);
        let mut total = 0usize;
        for &(s, e) in windows {
            total += self.prompt(s..e)?.len();
            offsets.push(total as i64);
        }
        let mut bytes = Vec::with_capacity(total);
        for &(s, e) in windows {
            let p = self.prompt(s..e)?;
            bytes.extend_from_slice(p.head.as_bytes());
            bytes.extend_from_slice(p.body.as_bytes());
            bytes.extend_from_slice(p.tail.as_bytes());
        }
        // Offsets are increasing and every prompt is valid UTF-8.
        LargeStringArray::try_new(OffsetBuffer::new(offsets.into()), Buffer::from_vec(bytes), None)
            .map_err(|e| Error::invalid("prompts", windows.len(), e.to_string()))
    }

    /// The SHA-256 of each window's prompt (its UTF-8 bytes), computed over the rendered buffer
    /// without joining any prompt: on a GPU engine with `shaders/sha256.wgsl`, else on every core.
    ///
    /// # Errors
    /// As [`RenderedMessages::prompt`]; [`Error::Gpu`] when the device fails.
    pub fn digests(&self, engine: &Engine, windows: &[(u64, u64)]) -> Result<Vec<[u8; 32]>> {
        self.check_windows(windows)?;
        let full: Vec<usize> = (0..windows.len()).filter(|&i| windows[i].0 < windows[i].1).collect();
        let ranges: Vec<(u64, u64)> =
            full.iter().map(|&i| (self.offsets[windows[i].0 as usize], self.offsets[windows[i].1 as usize])).collect();
        let digests = sha256_ranges(engine, &self.text, &ranges, self.header.as_bytes(), self.footer.as_bytes())?;
        let empty = crate::cpu::sha256::digest(self.empty.as_bytes(), b"", b"");
        let mut out = vec![empty; windows.len()];
        for (i, d) in full.into_iter().zip(digests) {
            out[i] = d;
        }
        Ok(out)
    }

    /// [`RenderedMessages::digests`] as 64 lowercase hex digits each (Python's `hexdigest()`): the
    /// first part of the pipeline's window signature.
    ///
    /// # Errors
    /// As [`RenderedMessages::digests`].
    pub fn hex_digests(&self, engine: &Engine, windows: &[(u64, u64)]) -> Result<StringArray> {
        hex_column(&self.digests(engine, windows)?, None)
    }
}

/// The row ranges `(start_row, end_row)` of a window table (columns `start_row` and `end_row`,
/// unsigned or signed 64-bit integers without nulls, as [`crate::window::Windows::table`] has them).
///
/// # Errors
/// [`Error::InvalidParameter`] for a missing column or one of another type; [`Error::NullValue`] for a
/// null; a negative row.
pub fn window_ranges(windows: &RecordBatch) -> Result<Vec<(u64, u64)>> {
    let col = |name: &str| -> Result<Vec<u64>> {
        let c = windows
            .schema_ref()
            .index_of(name)
            .map(|i| windows.column(i))
            .map_err(|_| Error::invalid("window table", name, "has no such column"))?;
        if let Some(row) = c.nulls().and_then(|n| n.iter().position(|ok| !ok)) {
            return Err(Error::NullValue { what: format!("window table column {name}"), row: row as u64 });
        }
        match c.data_type() {
            DataType::UInt64 => Ok(c.as_primitive::<UInt64Type>().values().to_vec()),
            DataType::Int64 => c
                .as_primitive::<Int64Type>()
                .values()
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    u64::try_from(v)
                        .map_err(|_| Error::invalid(name, format!("{v} at window {i}"), "must not be negative"))
                })
                .collect(),
            other => {
                Err(Error::invalid("window table column type", format!("{name}: {other}"), "expected UInt64 or Int64"))
            }
        }
    };
    Ok(col("start_row")?.into_iter().zip(col("end_row")?).collect())
}
