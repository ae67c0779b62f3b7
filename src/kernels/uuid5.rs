//! Name-based UUIDs (version 5, SHA-1) of a string column: the API of `shaders/uuid5.wgsl` and its CPU
//! twin.

use std::borrow::Cow;
use std::collections::HashMap;

use arrow_array::{Array, ArrayRef, UInt64Array};

use crate::cpu;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::gpu;
use crate::kernels::strings::string_column_from_parts;
use crate::text::{TextParts, text_parts};

/// Name-based UUIDs (version 5, SHA-1) of each row: the UUID in `namespace` of the UTF-8 name
/// `prefix ++ strip(row)`, where `strip` removes leading and trailing whitespace as Python's
/// `str.strip()` does, as 36 lowercase hyphenated characters. A null row gives a null.
///
/// Each distinct value is hashed once (a column of authors has few): the distinct values are hashed,
/// then taken for every row. On a GPU each distinct value is one invocation (SHA-1 in WGSL), in passes
/// of bounded work, so long names cost more passes, not long loops; a value longer than one storage
/// binding is hashed by the CPU twin. The result is `Utf8`, or `LargeUtf8` when its 36 bytes a row
/// pass `i32::MAX` (from 59,652,324 rows).
///
/// # Errors
/// [`Error::InvalidParameter`] when `text` is not a string array; [`Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use arrow_array::cast::AsArray;
/// use streamliner::{Engine, uuid5::uuid5};
/// let engine = Engine::from_env()?;
/// let oid = uuid::Uuid::NAMESPACE_OID.into_bytes();
/// let authors = arrow_array::StringArray::from(vec![" Alice\n"]);
/// // Python: uuid.uuid5(uuid.NAMESPACE_OID, "whatsapp:Alice")
/// let ids = uuid5(&engine, &authors, oid, "whatsapp:")?;
/// assert_eq!(ids.as_string::<i32>().value(0), "885a1960-aeb8-52f4-92ad-a8f5caac5e00");
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn uuid5(engine: &Engine, text: &dyn Array, namespace: [u8; 16], prefix: &str) -> Result<ArrayRef> {
    uuid5_with_limit(engine, text, namespace, prefix, i32::MAX as u64)
}

/// [`uuid5`], with `LargeUtf8` output past `limit` bytes.
pub(crate) fn uuid5_with_limit(
    engine: &Engine,
    text: &dyn Array,
    namespace: [u8; 16],
    prefix: &str,
    limit: u64,
) -> Result<ArrayRef> {
    let parts = text_parts(text)?;
    let n = parts.len();
    let row = |i: usize| parts.row(i);
    // Distinct values (null rows take index 0 and stay null through the take).
    let mut index: HashMap<&[u8], u64> = HashMap::new();
    let mut keys = Vec::with_capacity(n);
    let mut distinct_values = Vec::new();
    let mut distinct_offsets = vec![0u64];
    for i in 0..n {
        if parts.is_null(i) {
            keys.push(0);
            continue;
        }
        let next = index.len() as u64;
        let k = *index.entry(row(i)).or_insert_with(|| {
            distinct_values.extend_from_slice(row(i));
            distinct_offsets.push(distinct_values.len() as u64);
            next
        });
        keys.push(k);
    }
    let distinct = TextParts { offsets: distinct_offsets, values: Cow::Owned(distinct_values), nulls: None };
    let d = distinct.offsets.len() - 1;
    let ns = uuid::Uuid::from_bytes(namespace);
    let value = |i: usize| -> &str {
        // The distinct values are rows of a valid Arrow string array, so each is valid UTF-8.
        std::str::from_utf8(&distinct.values[distinct.offsets[i] as usize..distinct.offsets[i + 1] as usize])
            .unwrap_or("")
    };
    let hex = match engine.gpu() {
        Some(ctx) if d > 0 => {
            let head = [namespace.as_slice(), prefix.as_bytes()].concat();
            let (mut hex, oversized) = gpu::uuid5::uuid5(ctx, &distinct.offsets, &distinct.values, &head)?;
            for i in oversized {
                hex[36 * i..36 * (i + 1)].copy_from_slice(&cpu::uuid5::uuid5(&ns, prefix, value(i)));
            }
            hex
        }
        _ => (0..d).flat_map(|i| cpu::uuid5::uuid5(&ns, prefix, value(i))).collect(),
    };
    // The dictionary has the output's type, so that the take cannot overflow its offsets.
    let large = 36 * n as u64 > limit;
    let dict_ends: Vec<u64> = (1..=d as u64).map(|i| 36 * i).collect();
    let dict = string_column_from_parts(hex, &dict_ends, None, large, "uuid column")?;
    if d == 0 {
        return Ok(arrow_array::new_null_array(dict.data_type(), n));
    }
    let indices = UInt64Array::new(keys.into(), parts.nulls.clone());
    arrow_select::take::take(dict.as_ref(), &indices, None).map_err(|e| Error::invalid("uuid column", n, e.to_string()))
}
