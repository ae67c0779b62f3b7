//! Rendering every message of a table once, into one buffer: a [`PromptTemplate`] bound to the table's
//! columns, rows cut into blocks rendered on every core, the blocks joined.

use arrow_array::RecordBatch;
use rayon::prelude::*;

use super::RenderedMessages;
use super::template::{Field, Piece, PromptTemplate};
use super::values::{Escape, PyColumn, PyFloat, Sink, push_escaped};
use crate::error::{Error, Result};

/// Rows per rendering task.
const BLOCK_ROWS: usize = 1 << 13;

/// The pipeline's `_compute_message_id` keys, in order.
const HASH_KEYS: [&str; 6] = ["msg_id", "timestamp", "author", "message", "content", "text"];

/// A field bound to the table's columns.
enum Bound<'a> {
    Value {
        col: Option<PyColumn<'a>>,
        null: &'static str,
        nan_is_null: bool,
        missing: &'a str,
    },
    Id {
        msg_id: Option<PyColumn<'a>>,
        message_id: Option<PyColumn<'a>>,
    },
    /// The pipeline's hash of the row (a table with neither `msg_id` nor `message_id`).
    HashId(HashId<'a>),
}

/// The columns `_compute_message_id` reads: its keys that the table has, and every column by name
/// (`None` where the type cannot be printed, an error only if a row needs it).
struct HashId<'a> {
    keys: Vec<PyColumn<'a>>,
    all: Vec<(&'a str, Option<PyColumn<'a>>)>,
}

enum BoundPiece<'a> {
    Text(&'a [u8]),
    Field(Bound<'a>),
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a arrow_array::ArrayRef> {
    batch.schema_ref().index_of(name).ok().map(|i| batch.column(i))
}

fn bind<'a>(template: &'a PromptTemplate, batch: &'a RecordBatch) -> Result<Vec<BoundPiece<'a>>> {
    let schema = batch.schema_ref();
    let mut out = Vec::with_capacity(template.message.len());
    for piece in &template.message {
        out.push(match piece {
            Piece::Text(t) => BoundPiece::Text(t.as_bytes()),
            Piece::Field(Field::Value { names, null, nan_is_null, missing }) => {
                let found = names.iter().find_map(|n| column(batch, n).map(|c| (n, c)));
                let col = match (found, missing) {
                    (Some((n, c)), _) => Some(PyColumn::new(n, c)?),
                    (None, Some(_)) => None,
                    (None, None) => {
                        let have: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                        return Err(Error::invalid(
                            "prompt column",
                            names.join(" or "),
                            format!("the message table has no such column (it has {})", have.join(", ")),
                        ));
                    }
                };
                let missing = missing.as_deref().unwrap_or("");
                BoundPiece::Field(Bound::Value { col, null, nan_is_null: *nan_is_null, missing })
            }
            Piece::Field(Field::PipelineId) => {
                let msg_id = column(batch, "msg_id").map(|c| PyColumn::new("msg_id", c)).transpose()?;
                let message_id = column(batch, "message_id").map(|c| PyColumn::new("message_id", c)).transpose()?;
                if msg_id.is_some() || message_id.is_some() {
                    BoundPiece::Field(Bound::Id { msg_id, message_id })
                } else {
                    let keys = HASH_KEYS
                        .iter()
                        .filter_map(|k| column(batch, k).map(|c| PyColumn::new(k, c)))
                        .collect::<Result<Vec<_>>>()?;
                    let mut all: Vec<(&str, Option<PyColumn<'_>>)> = schema
                        .fields()
                        .iter()
                        .zip(batch.columns())
                        .map(|(f, c)| (f.name().as_str(), PyColumn::new(f.name(), c).ok()))
                        .collect();
                    all.sort_by(|a, b| a.0.cmp(b.0));
                    BoundPiece::Field(Bound::HashId(HashId { keys, all }))
                }
            }
        });
    }
    Ok(out)
}

/// Appends the pipeline's `_stringify_value` of row `i` ("" for None and NaN, else `str()`).
fn push_stringified<S: Sink>(col: &PyColumn<'_>, i: usize, out: &mut S, escape: Escape) -> Result<()> {
    if col.stringifies_empty(i) { Ok(()) } else { col.push_str(i, out, escape) }
}

impl HashId<'_> {
    /// The first 16 hex digits of the SHA-256 of the row's key values that are not empty, joined by
    /// `||`; failing those, of its `key=value` pairs (by key, `row_index` and `similarity` left out);
    /// failing those, of the row as JSON (`json.dumps(row, sort_keys=True)`).
    fn push<S: Sink>(&self, i: usize, out: &mut S) -> Result<()> {
        let mut raw = Vec::new();
        for col in &self.keys {
            if !col.stringifies_empty(i) {
                if !raw.is_empty() {
                    raw.extend_from_slice(b"||");
                }
                col.push_str(i, &mut raw, Escape::None)?;
            }
        }
        let unprintable = |name: &str| {
            Error::invalid("prompt column", name, "its type cannot be printed, and the message id of a row needs it")
        };
        if raw.is_empty() {
            for (name, col) in &self.all {
                if matches!(*name, "row_index" | "similarity") {
                    continue;
                }
                let col = col.as_ref().ok_or_else(|| unprintable(name))?;
                if !col.stringifies_empty(i) {
                    if !raw.is_empty() {
                        raw.extend_from_slice(b"||");
                    }
                    raw.extend_from_slice(name.as_bytes());
                    raw.push(b'=');
                    col.push_str(i, &mut raw, Escape::None)?;
                }
            }
        }
        if raw.is_empty() {
            raw.push(b'{');
            for (k, (name, col)) in self.all.iter().enumerate() {
                let col = col.as_ref().ok_or_else(|| unprintable(name))?;
                if k > 0 {
                    raw.extend_from_slice(b", ");
                }
                push_json_string(&mut raw, name);
                raw.extend_from_slice(b": ");
                push_json(col, i, &mut raw)?;
            }
            raw.push(b'}');
        }
        let digest = crate::cpu::sha256::digest(&raw, b"", b"");
        out.put(&crate::kernels::sha256::to_hex(&digest).as_bytes()[..16]);
        Ok(())
    }
}

/// A string as Python's `json.dumps` writes it (`ensure_ascii`: `\uXXXX` beyond ASCII).
fn push_json_string(out: &mut Vec<u8>, s: &str) {
    use std::io::Write as _;
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
            c => out.push(c as u8),
        }
    }
    out.push(b'"');
}

/// A value as Python's `json.dumps(..., default=str)` writes it.
fn push_json(col: &PyColumn<'_>, i: usize, out: &mut Vec<u8>) -> Result<()> {
    if col.is_null(i) {
        out.extend_from_slice(b"null");
        return Ok(());
    }
    let mut text = Vec::new();
    col.push_str(i, &mut text, Escape::None)?;
    match col {
        PyColumn::Int(_) | PyColumn::UInt(_) => out.extend_from_slice(&text),
        PyColumn::Bool(_) => out.extend_from_slice(if text == b"True" { b"true" } else { b"false" }),
        PyColumn::Float(a) => {
            let x = a.value(i);
            if x.is_nan() {
                out.extend_from_slice(b"NaN");
            } else if x.is_infinite() {
                out.extend_from_slice(if x > 0.0 { b"Infinity" } else { b"-Infinity" });
            } else {
                out.extend_from_slice(PyFloat(x).to_string().as_bytes());
            }
        }
        _ => push_json_string(out, &String::from_utf8_lossy(&text)),
    }
    Ok(())
}

fn push_field<S: Sink>(field: &Bound<'_>, i: usize, out: &mut S, escape: Escape) -> Result<()> {
    match field {
        Bound::Value { col: None, missing, .. } => push_escaped(out, missing.as_bytes(), escape),
        Bound::Value { col: Some(col), null, nan_is_null, .. } => {
            if col.is_null(i) || (*nan_is_null && col.stringifies_empty(i)) {
                push_escaped(out, null.as_bytes(), escape);
            } else {
                col.push_str(i, out, escape)?;
            }
        }
        Bound::Id { msg_id, message_id } => match (msg_id, message_id) {
            (Some(m), _) if m.truthy(i) => push_stringified(m, i, out, escape)?,
            (_, Some(m)) => push_stringified(m, i, out, escape)?,
            _ => {}
        },
        // Hex digits need no escaping.
        Bound::HashId(h) => h.push(i, out)?,
    }
    Ok(())
}

/// Renders row `i` into `out`.
fn render_row<S: Sink>(pieces: &[BoundPiece<'_>], i: usize, out: &mut S, escape: Escape) -> Result<()> {
    for p in pieces {
        match p {
            BoundPiece::Text(t) => out.put(t),
            BoundPiece::Field(f) => push_field(f, i, out, escape)?,
        }
    }
    Ok(())
}

impl PromptTemplate {
    /// Renders every message of `messages` once, in row order, into one buffer: a window of rows
    /// `s..e` then has the prompt [`RenderedMessages::prompt`], a zero-copy range of the buffer between
    /// the template's header and footer. Rows are rendered on every core.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a column the template names that the table lacks, a field
    /// column of a type Python would print otherwise (lists, structs, binary), or a time outside
    /// Python's years 1 to 9999.
    ///
    /// # Example
    /// ```
    /// use std::sync::Arc;
    /// use arrow_array::{RecordBatch, StringArray, TimestampMicrosecondArray};
    /// use streamliner::llm::PromptTemplate;
    /// let ts = TimestampMicrosecondArray::from(vec![1_704_096_000_000_000, 1_704_096_060_000_000]).with_timezone("UTC");
    /// let table = RecordBatch::try_from_iter([
    ///     ("msg_id", Arc::new(StringArray::from(vec!["a1b2", "c3"])) as _),
    ///     ("ts", Arc::new(ts) as _),
    ///     ("text", Arc::new(StringArray::from(vec!["x &lt; y & \"z\"", "hi"])) as _),
    /// ])?;
    /// let rendered = PromptTemplate::egregora().render(&table)?;
    /// assert_eq!(
    ///     rendered.prompt(0..2)?.to_string(),
    ///     "<chat>\n\n<m id=\"a1b2\" author=\"unknown\" ts=\"2024-01-01 08:00:00+00:00\">x &amp;lt; y &amp; &#34;z&#34;</m>\n\n\
    ///      <m id=\"c3\" author=\"unknown\" ts=\"2024-01-01 08:01:00+00:00\">hi</m>\n\n</chat>"
    /// );
    /// assert_eq!(rendered.prompt(1..1)?.to_string(), "<chat></chat>");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn render(&self, messages: &RecordBatch) -> Result<RenderedMessages> {
        self.render_batches(std::slice::from_ref(messages))
    }

    /// [`PromptTemplate::render`] of a table held as several batches (of one schema), rows in batch
    /// order, without joining them.
    ///
    /// # Errors
    /// As [`PromptTemplate::render`]; [`Error::InvalidParameter`] for batches whose schemas differ.
    pub fn render_batches(&self, batches: &[RecordBatch]) -> Result<RenderedMessages> {
        if let Some(first) = batches.first()
            && let Some((i, _)) = batches.iter().enumerate().find(|(_, b)| b.schema_ref() != first.schema_ref())
        {
            return Err(Error::invalid("message batches", format!("batch {i}"), "its schema differs from batch 0's"));
        }
        let bound = batches.iter().map(|b| bind(self, b)).collect::<Result<Vec<_>>>()?;
        let blocks: Vec<(usize, std::ops::Range<usize>)> = batches
            .iter()
            .enumerate()
            .flat_map(|(k, b)| {
                let n = b.num_rows();
                (0..n).step_by(BLOCK_ROWS).map(move |s| (k, s..(s + BLOCK_ROWS).min(n)))
            })
            .collect();
        let n: usize = batches.iter().map(RecordBatch::num_rows).sum();
        // Each block of rows rendered on its own on every core, then the blocks joined in place. (A
        // first pass counting every message's bytes, so that the second writes each straight into its
        // place, formats every value twice, and measured slower.)
        let rendered: Vec<(Vec<u8>, Vec<u64>)> = blocks
            .into_par_iter()
            .map(|(k, rows)| {
                // Room for messages of a few hundred bytes: untouched capacity costs no memory.
                let mut out = Vec::with_capacity(rows.len() * 512);
                let mut ends = Vec::with_capacity(rows.len());
                for i in rows {
                    render_row(&bound[k], i, &mut out, self.escape)?;
                    ends.push(out.len() as u64);
                }
                Ok((out, ends))
            })
            .collect::<Result<_>>()?;
        let total: usize = rendered.iter().map(|(b, _)| b.len()).sum();
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0u64);
        let mut base = 0u64;
        for (bytes, ends) in &rendered {
            offsets.extend(ends.iter().map(|e| base + e));
            base += bytes.len() as u64;
        }
        let mut text = vec![0u8; total];
        let mut slices = Vec::with_capacity(rendered.len());
        let mut rest = text.as_mut_slice();
        for (bytes, _) in &rendered {
            let (mine, later) = rest.split_at_mut(bytes.len());
            slices.push(mine);
            rest = later;
        }
        slices.into_par_iter().zip(rendered.par_iter()).for_each(|(dst, (src, _))| dst.copy_from_slice(src));
        Ok(RenderedMessages::new(text, offsets, self))
    }
}
