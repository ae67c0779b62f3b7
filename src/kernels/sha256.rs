//! SHA-256 digests of many texts cut from one buffer: each text is a range of the buffer between a
//! fixed prefix and suffix, hashed in place (no text is ever copied whole), so that overlapping
//! ranges cost no copy. On a GPU, one range per invocation in passes of bounded work; on the CPU,
//! the `sha2` crate on every core.

use arrow_array::{Array, StringArray};
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer};
use rayon::prelude::*;

use crate::cpu;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::gpu;
use crate::text::text_parts;

/// Total bytes below which the CPU hashes on one thread.
const PARALLEL_BYTES: u64 = 1 << 20;

/// The SHA-256 of `prefix ++ bytes[a..b] ++ suffix` for each range `(a, b)`, in the order given.
/// Ranges may overlap and come in any order; an empty range hashes `prefix ++ suffix`.
///
/// # Errors
/// [`Error::InvalidParameter`] naming the first range that is reversed or ends past `bytes`;
/// [`Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use streamliner::{Engine, sha256::{sha256_ranges, to_hex}};
/// let engine = Engine::from_env()?;
/// let text = b"hello world";
/// let d = sha256_ranges(&engine, text, &[(0, 5), (6, 11)], b"", b"")?;
/// // Python: hashlib.sha256(b"hello").hexdigest()
/// assert_eq!(to_hex(&d[0]), "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
/// let framed = sha256_ranges(&engine, text, &[(0, 5)], b"<", b">")?;
/// assert_eq!(framed[0], sha256_ranges(&engine, b"<hello>", &[(0, 7)], b"", b"")?[0]);
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn sha256_ranges(
    engine: &Engine,
    bytes: &[u8],
    ranges: &[(u64, u64)],
    prefix: &[u8],
    suffix: &[u8],
) -> Result<Vec<[u8; 32]>> {
    if let Some((i, &(a, b))) = ranges.iter().enumerate().find(|(_, r)| r.0 > r.1 || r.1 > bytes.len() as u64) {
        return Err(Error::invalid(
            "range",
            format!("{a}..{b} (range {i})"),
            format!("must be ordered and within the {} bytes", bytes.len()),
        ));
    }
    let twin = |&(a, b): &(u64, u64)| cpu::sha256::digest(prefix, &bytes[a as usize..b as usize], suffix);
    match engine.gpu() {
        Some(ctx) if !ranges.is_empty() => {
            let (words, oversized) = gpu::sha256::digest_ranges(ctx, bytes, ranges, prefix, suffix)?;
            let mut out: Vec<[u8; 32]> = words.iter().map(digest_bytes).collect();
            for i in oversized {
                out[i] = twin(&ranges[i]);
            }
            Ok(out)
        }
        _ => {
            let total: u64 = ranges.iter().map(|&(a, b)| b - a + (prefix.len() + suffix.len()) as u64).sum();
            if total < PARALLEL_BYTES {
                Ok(ranges.iter().map(twin).collect())
            } else {
                Ok(ranges.par_iter().with_min_len(16).map(twin).collect())
            }
        }
    }
}

/// A digest's eight big-endian words as its 32 bytes.
fn digest_bytes(words: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, w) in out.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// The SHA-256 of each row's UTF-8 bytes as 64 lowercase hex digits (a null row gives a null), as
/// Python's `hashlib.sha256(s.encode()).hexdigest()`.
///
/// # Errors
/// [`Error::InvalidParameter`] when `text` is not a string array; [`Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use arrow_array::{Array, StringArray};
/// use streamliner::{Engine, sha256::sha256_hex};
/// let engine = Engine::from_env()?;
/// let h = sha256_hex(&engine, &StringArray::from(vec![Some(""), None]))?;
/// assert_eq!(h.value(0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
/// assert!(h.is_null(1));
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn sha256_hex(engine: &Engine, text: &dyn Array) -> Result<StringArray> {
    let parts = text_parts(text)?;
    let ranges: Vec<(u64, u64)> = parts.offsets.windows(2).map(|w| (w[0], w[1])).collect();
    let digests = sha256_ranges(engine, &parts.values, &ranges, b"", b"")?;
    hex_column(&digests, parts.nulls.clone())
}

/// 64 lowercase hex digits of a digest.
///
/// # Example
/// ```
/// assert_eq!(&streamliner::sha256::to_hex(&[0xab; 32])[..4], "abab");
/// ```
pub fn to_hex(digest: &[u8; 32]) -> String {
    let mut out = [0u8; 64];
    write_hex(digest, &mut out);
    // Hex digits are ASCII.
    String::from_utf8_lossy(&out).into_owned()
}

fn write_hex(digest: &[u8; 32], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (k, b) in digest.iter().enumerate() {
        out[2 * k] = DIGITS[usize::from(b >> 4)];
        out[2 * k + 1] = DIGITS[usize::from(b & 15)];
    }
}

/// The digests as a string column of 64 hex digits each, with `nulls`.
pub(crate) fn hex_column(digests: &[[u8; 32]], nulls: Option<NullBuffer>) -> Result<StringArray> {
    let n = digests.len();
    if 64 * n as u64 > i32::MAX as u64 {
        return Err(Error::LimitExceeded {
            what: "digests in one string column".into(),
            value: n as u64,
            limit: i32::MAX as u64 / 64,
        });
    }
    let mut bytes = vec![0u8; 64 * n];
    bytes.par_chunks_mut(64).zip(digests.par_iter()).with_min_len(1 << 12).for_each(|(o, d)| write_hex(d, o));
    let offsets: Vec<i32> = (0..=n as i32).map(|i| 64 * i).collect();
    // Offsets are increasing, within the bytes, and every byte is an ASCII hex digit.
    StringArray::try_new(OffsetBuffer::new(offsets.into()), Buffer::from_vec(bytes), nulls)
        .map_err(|e| Error::invalid("digest column", n, e.to_string()))
}
