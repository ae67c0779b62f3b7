//! Token counts of OpenAI's byte-pair encodings (`o200k_base`, `cl100k_base`), per row of a string
//! column, equal to tiktoken's `len(encoding.encode_ordinary(text))`: special tokens such as
//! `<|endoftext|>` are counted as the ordinary text they are made of.
//!
//! The vocabularies are the official ranks files shipped inside the `tiktoken-rs` crate, read once per
//! process (a few hundred milliseconds); nothing is fetched at run time. On a GPU, rows are cut into
//! pieces by the encoding's split pattern (one invocation a row, in passes of bounded work), then every
//! piece merges on its own invocation against a table of token pairs resident on the device; see
//! `docs/tokens.md`. The CPU twin runs the same scanner and merges over every core.
//!
//! BPE counts of parts do not add up to the count of their concatenation in every case: to budget a
//! whole prompt, count the prompt with [`count_tokens`].

use arrow_array::{Array, UInt32Array};

use crate::cpu;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::gpu;
use crate::text::{TextParts, text_parts};

pub use crate::cpu::vocab::Encoding;

/// The tokens of each row of `text` (`Utf8`, `LargeUtf8` or `Utf8View`) in `encoding`; a null row gives a
/// null, an empty row 0.
///
/// # Errors
/// [`Error::InvalidParameter`] when `text` is not a string array; [`Error::LimitExceeded`] for a row of
/// more than `u32::MAX` tokens (only rows over 4 GiB can have that many); [`Error::Gpu`] when the device
/// fails.
///
/// # Example
/// ```
/// use arrow_array::StringArray;
/// use streamliner::{Engine, tokens::{token_counts, Encoding}};
/// let engine = Engine::from_env()?;
/// let text = StringArray::from(vec![Some("Hello, world!"), None, Some(""), Some("<|endoftext|>")]);
/// let counts = token_counts(&engine, &text, Encoding::O200kBase)?;
/// assert_eq!(counts.iter().collect::<Vec<_>>(), vec![Some(4), None, Some(0), Some(7)]);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn token_counts(engine: &Engine, text: &dyn Array, encoding: Encoding) -> Result<UInt32Array> {
    let parts = text_parts(text)?;
    let counts = parts_counts(engine, &parts, encoding)?;
    let mut out = Vec::with_capacity(counts.len());
    for (row, &c) in counts.iter().enumerate() {
        out.push(u32::try_from(c).map_err(|_| Error::LimitExceeded {
            what: format!("the token count of row {row}"),
            value: c,
            limit: u64::from(u32::MAX),
        })?);
    }
    Ok(UInt32Array::new(out.into(), parts.nulls.clone()))
}

/// The tokens of each row of `parts` (null rows are empty, so 0), on `engine`.
pub(crate) fn parts_counts(engine: &Engine, parts: &TextParts<'_>, encoding: Encoding) -> Result<Vec<u64>> {
    let vocab = cpu::vocab::vocab(encoding)?;
    let classes = cpu::vocab::classes()?;
    let n = parts.offsets.len() - 1;
    match engine.gpu() {
        Some(ctx) if n > 0 => {
            let out = gpu::tokens::counts(ctx, &parts.offsets, &parts.values, vocab, classes)?;
            let mut counts = out.counts;
            for r in out.oversized {
                let row = &parts.values[parts.offsets[r] as usize..parts.offsets[r + 1] as usize];
                counts[r] = cpu::tokens::count(vocab, classes, row);
            }
            for (r, s, e) in out.pieces {
                // Within the values for valid UTF-8 (the device's pieces of other bytes may end past them).
                let piece = parts.values.get(s as usize..e as usize).unwrap_or_default();
                counts[r] += u64::from(cpu::tokens::count_piece(vocab, piece));
            }
            Ok(counts)
        }
        _ => Ok(cpu::tokens::counts(vocab, classes, &parts.values, &parts.offsets)),
    }
}

/// The tokens of the whole of `text` in `encoding`, counted on the CPU: what a prompt made of `text`
/// costs. Counts of parts of a text need not add up to this.
///
/// # Errors
/// [`Error::InvalidParameter`] only if the vocabulary of `encoding` cannot be read.
///
/// # Example
/// ```
/// use streamliner::tokens::{count_tokens, Encoding};
/// assert_eq!(count_tokens("Hello, world!", Encoding::Cl100kBase)?, 4);
/// assert_eq!(count_tokens("", Encoding::O200kBase)?, 0);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn count_tokens(text: &str, encoding: Encoding) -> Result<u64> {
    Ok(cpu::tokens::count(cpu::vocab::vocab(encoding)?, cpu::vocab::classes()?, text.as_bytes()))
}
