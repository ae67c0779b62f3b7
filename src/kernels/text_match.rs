//! Per-row matching on string columns: ASCII prefixes with case ignored, URL extraction, membership of
//! UUID text in a set. On a GPU, one row per invocation over the raw UTF-8 buffer, long rows walked in
//! passes of bounded work; a row larger than one storage binding is handled by the CPU twin.

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{Array, BooleanArray, ListArray};

use crate::cpu;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::gpu;
use crate::text::{Text, TextParts};

fn booleans(values: Vec<u64>, parts: &TextParts<'_>) -> BooleanArray {
    BooleanArray::new(values.into_iter().map(|v| v != 0).collect(), parts.nulls.clone())
}

/// Whether each row starts with `prefix` (ASCII), ASCII letters compared without case. For command
/// messages, `starts_with_ignore_ascii_case(text, "/egregora")` is Python's
/// `text.lower().startswith("/egregora")`: no other character lowercases to an ASCII letter of it. A
/// null row gives a null.
///
/// # Errors
/// [`Error::InvalidParameter`] when `prefix` is not ASCII or `text` not a string array;
/// [`Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use arrow_array::StringArray;
/// use streamliner::{Engine, text_match::starts_with_ignore_ascii_case};
/// let engine = Engine::from_env()?;
/// let text = StringArray::from(vec!["/EGREGORA opt-out", "hi /egregora", "/egreg"]);
/// let m = starts_with_ignore_ascii_case(&engine, &text, "/egregora")?;
/// assert_eq!((m.value(0), m.value(1), m.value(2)), (true, false, false));
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn starts_with_ignore_ascii_case(engine: &Engine, text: &dyn Array, prefix: &str) -> Result<BooleanArray> {
    if !prefix.is_ascii() {
        return Err(Error::invalid("prefix", prefix, "must be ASCII"));
    }
    starts_with_on(engine, &Text::new(text)?, prefix)
}

/// [`starts_with_ignore_ascii_case`] over a text made ready for `engine` (on a GPU, the rows already on
/// the device).
pub(crate) fn starts_with_on(engine: &Engine, text: &Text<'_>, prefix: &str) -> Result<BooleanArray> {
    if !prefix.is_ascii() {
        return Err(Error::invalid("prefix", prefix, "must be ASCII"));
    }
    let pattern = prefix.to_ascii_lowercase().into_bytes();
    let parts = &text.parts;
    let n = parts.offsets.len() - 1;
    let twin = |i: usize| u64::from(cpu::text_match::prefix_ci(parts.row(i), &pattern));
    let values = match (engine.gpu(), text.device(engine)?) {
        (Some(ctx), Some(dt)) => {
            let (mut v, oversized) = gpu::text_match::prefix_ci(ctx, dt, &pattern)?;
            for i in oversized {
                v[i] = twin(i);
            }
            v
        }
        _ => (0..n).map(twin).collect(),
    };
    Ok(booleans(values, parts))
}

/// The URLs of each row: every match of `https?://` followed by one or more bytes that are neither
/// ASCII whitespace (space, `\t`, `\n`, `\f`, `\r`) nor any of `< > " { } | \ ^ `` ` `` [ ]`, leftmost
/// first and not overlapping, as a list of strings. A null row gives a null list.
///
/// # Errors
/// As [`starts_with_ignore_ascii_case`].
///
/// # Example
/// ```
/// use arrow_array::{Array, StringArray, cast::AsArray};
/// use streamliner::{Engine, text_match::extract_urls};
/// let engine = Engine::from_env()?;
/// let text = StringArray::from(vec!["see <https://a.example/x?q=1> and http://b.example.", "none"]);
/// let urls = extract_urls(&engine, &text)?;
/// let first = urls.value(0);
/// let first = first.as_string::<i32>();
/// assert_eq!((first.value(0), first.value(1)), ("https://a.example/x?q=1", "http://b.example."));
/// assert_eq!(urls.value(1).len(), 0);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn extract_urls(engine: &Engine, text: &dyn Array) -> Result<ListArray> {
    urls_on(engine, &Text::new(text)?)
}

/// [`extract_urls`] over a text made ready for `engine`.
pub(crate) fn urls_on(engine: &Engine, text: &Text<'_>) -> Result<ListArray> {
    let parts = &text.parts;
    let n = parts.offsets.len() - 1;
    // Per row, the spans as absolute byte positions in parts.values.
    let twin = |i: usize| -> Vec<(u64, u64)> {
        let base = parts.offsets[i];
        cpu::text_match::urls(parts.row(i)).into_iter().map(|(s, e)| (base + s as u64, base + e as u64)).collect()
    };
    let per_row: Vec<Vec<(u64, u64)>> = match (engine.gpu(), text.device(engine)?) {
        (Some(ctx), Some(dt)) => {
            let (counts, spans, oversized) = gpu::text_match::urls(ctx, dt)?;
            let mut it = spans.into_iter();
            let mut rows: Vec<Vec<(u64, u64)>> =
                counts.iter().map(|&k| it.by_ref().take(k as usize).collect()).collect();
            for i in oversized {
                rows[i] = twin(i);
            }
            rows
        }
        _ => (0..n).map(twin).collect(),
    };
    let mut builder = ListBuilder::new(StringBuilder::new());
    for (i, spans) in per_row.iter().enumerate() {
        if parts.is_null(i) {
            builder.append(false);
            continue;
        }
        for &(s, e) in spans {
            // Spans start and end at ASCII bytes or the row's end, so they are valid UTF-8.
            builder
                .values()
                .append_value(std::str::from_utf8(&parts.values[s as usize..e as usize]).unwrap_or_default());
        }
        builder.append(true);
    }
    Ok(builder.finish())
}

/// Whether each row is a UUID in canonical text (36 characters, hyphenated, hex of either case) that is
/// in `set` (UUIDs as 16 bytes). Text that is not a UUID is not in the set; a null row gives a null.
///
/// # Errors
/// As [`starts_with_ignore_ascii_case`].
pub fn uuid_in_set(engine: &Engine, text: &dyn Array, set: &[[u8; 16]]) -> Result<BooleanArray> {
    let text = Text::new(text)?;
    let parts = &text.parts;
    let n = parts.len();
    let mut keys: Vec<[u8; 16]> = set.to_vec();
    keys.sort_unstable();
    keys.dedup();
    let twin =
        |i: usize| u64::from(cpu::text_match::parse_uuid(parts.row(i)).is_some_and(|u| keys.binary_search(&u).is_ok()));
    let values = match (engine.gpu(), text.device(engine)?) {
        (Some(ctx), Some(dt)) => {
            // Big-endian words keep the byte order of the sorted keys.
            let words: Vec<[u32; 4]> = keys
                .iter()
                .map(|k| {
                    std::array::from_fn(|w| u32::from_be_bytes([k[4 * w], k[4 * w + 1], k[4 * w + 2], k[4 * w + 3]]))
                })
                .collect();
            let (mut v, oversized) = gpu::text_match::in_uuid_set(ctx, dt, &words)?;
            for i in oversized {
                v[i] = twin(i);
            }
            v
        }
        _ => (0..n).map(twin).collect(),
    };
    Ok(booleans(values, parts))
}
