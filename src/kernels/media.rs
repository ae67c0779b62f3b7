//! Media file names in text, as WhatsApp exports write them: the names a row refers to, found with the
//! patterns and the Python `re` semantics of the existing pipeline's `find_media_references`.
//!
//! On a GPU, one row per invocation walks the raw UTF-8 buffer in passes of bounded work; a row larger
//! than one storage binding is left to the CPU twin, which walks the same way (after skipping rows that
//! hold no byte a match needs).

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{Array, ListArray};
use rayon::prelude::*;

use crate::cpu;
use crate::engine::Engine;
use crate::error::Result;
use crate::gpu;
use crate::text::text_parts;

/// The media file names each row refers to, as a list of distinct strings in code point order (a
/// null row gives a null list). A name is found by any of three patterns, with the semantics of
/// Python's `re.findall` (Unicode `\w`, `\d`, `\s` and `\b` as Python's tables have them, Unicode
/// 14.0; case ignored as `re.IGNORECASE` does):
/// 1. `([\w\-\.]+\.\w+)\s*MARKER` with case ignored, MARKER one of `(arquivo anexado)`,
///    `(file attached)`, `(archivo adjunto)`, `\u200e<attached:`;
/// 2. `\b((?:IMG|VID|AUD|PTT|DOC)-\d+-WA\d+\.\w+)\b`;
/// 3. `\u200e((?:IMG|VID|AUD|PTT|DOC)-\d+-WA\d+\.\w+)` with case ignored.
///
/// The pipeline returns `list(set(names))`, whose order changes from one Python process to the next;
/// here the set is sorted, so that equal sets give equal lists.
///
/// # Errors
/// [`crate::Error::InvalidParameter`] when `text` is not a string array; [`crate::Error::Gpu`] when the
/// device fails.
///
/// # Example
/// ```
/// use arrow_array::{Array, StringArray, cast::AsArray};
/// use streamliner::{Engine, media::media_references};
/// let engine = Engine::from_env()?;
/// let text = StringArray::from(vec![
///     "IMG-20250101-WA0001.jpg (arquivo anexado)",
///     "VID-20250101-WA0002.mp4 and IMG-20250101-WA0001.jpg",
///     "no media",
/// ]);
/// let refs = media_references(&engine, &text)?;
/// let row = refs.value(1);
/// let row = row.as_string::<i32>();
/// assert_eq!((row.value(0), row.value(1)), ("IMG-20250101-WA0001.jpg", "VID-20250101-WA0002.mp4"));
/// assert_eq!(refs.value(2).len(), 0);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn media_references(engine: &Engine, text: &dyn Array) -> Result<ListArray> {
    let parts = text_parts(text)?;
    let n = parts.offsets.len() - 1;
    let row = |i: usize| &parts.values[parts.offsets[i] as usize..parts.offsets[i + 1] as usize];
    // Per row, the spans as byte positions in the row.
    let twin = |i: usize| cpu::media::media_spans(row(i));
    let per_row: Vec<Vec<(usize, usize)>> = match engine.gpu() {
        Some(ctx) if n > 0 => {
            let (mut found, oversized) = gpu::media::media_spans(ctx, &parts.offsets, &parts.values)?;
            found.sort_unstable();
            let mut rows: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
            for (r, s, e) in found {
                let base = parts.offsets[r];
                rows[r].push(((s - base) as usize, (e - base) as usize));
            }
            for i in oversized {
                rows[i] = twin(i);
            }
            rows
        }
        _ => (0..n).into_par_iter().with_min_len(1 << 12).map(twin).collect(),
    };
    let mut builder = ListBuilder::new(StringBuilder::new());
    let mut names: Vec<&str> = Vec::new();
    for (i, spans) in per_row.iter().enumerate() {
        if parts.nulls.as_ref().is_some_and(|nb| nb.is_null(i)) {
            builder.append(false);
            continue;
        }
        let r = row(i);
        names.clear();
        // Spans start and end on character boundaries of a valid UTF-8 row.
        names.extend(spans.iter().map(|&(s, e)| std::str::from_utf8(&r[s..e]).unwrap_or_default()));
        names.sort_unstable();
        names.dedup();
        for name in &names {
            builder.values().append_value(name);
        }
        builder.append(true);
    }
    Ok(builder.finish())
}
