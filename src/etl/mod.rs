//! The existing pipeline's column transforms (egregora-compatible), on top of the kernels: author
//! pseudonyms, command and opt-out filters, date ranges, message ids, per-window aggregates, and the
//! message table built from a WhatsApp export. The rules are in `../shared/docs/semantics.md` and
//! `docs/etl.md`.

mod aggregates;
mod attrs;
mod builder;
pub mod chat;
mod store;
mod table;

pub use aggregates::window_aggregates;
pub use builder::{MessageTable, MessageTableBuilder};
pub use table::{DEFAULT_MEMORY_LIMIT, MessageTableOptions, MessageTableSummary, message_table, opt_out_keys, slugify};

use arrow_array::{Array, ArrayRef, BooleanArray};
use arrow_schema::TimeUnit;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::kernels::elementwise as ew;
use crate::kernels::ids::message_id_bytes;
use crate::kernels::strings::string_column_from_parts;
use crate::kernels::text_match::{starts_with_ignore_ascii_case, uuid_in_set};
use crate::kernels::time::{ordered, per_second, timestamps};
use crate::kernels::uuid5::uuid5;

/// The namespace of author pseudonyms: the OID namespace of RFC 4122.
pub const PSEUDONYM_NAMESPACE: [u8; 16] = *uuid::Uuid::NAMESPACE_OID.as_bytes();
/// The name prefix of author pseudonyms.
pub const PSEUDONYM_PREFIX: &str = "whatsapp:";
/// The prefix of command messages.
pub const COMMAND_PREFIX: &str = "/egregora";

/// Author pseudonyms: `uuid5(NAMESPACE_OID, "whatsapp:" + author.strip())` as Python computes it,
/// lowercase hyphenated. A null author gives a null. Each distinct author is hashed once. `Utf8`, or
/// `LargeUtf8` past `i32::MAX` bytes (59,652,324 rows).
///
/// # Errors
/// As [`crate::uuid5::uuid5`].
///
/// # Example
/// ```
/// use arrow_array::{StringArray, cast::AsArray};
/// use streamliner::{Engine, etl::author_uuids};
/// let engine = Engine::from_env()?;
/// let ids = author_uuids(&engine, &StringArray::from(vec!["Alice", "  Alice\t"]))?;
/// let ids = ids.as_string::<i32>();
/// assert_eq!(ids.value(0), "885a1960-aeb8-52f4-92ad-a8f5caac5e00");
/// assert_eq!(ids.value(1), ids.value(0));
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn author_uuids(engine: &Engine, authors: &dyn Array) -> Result<ArrayRef> {
    uuid5(engine, authors, PSEUDONYM_NAMESPACE, PSEUDONYM_PREFIX)
}

/// Command messages: text that, lowercased, starts with `/egregora`.
///
/// # Errors
/// As [`crate::text_match::starts_with_ignore_ascii_case`].
pub fn command_mask(engine: &Engine, text: &dyn Array) -> Result<BooleanArray> {
    starts_with_ignore_ascii_case(engine, text, COMMAND_PREFIX)
}

/// Opted-out authors: rows whose `author_uuid` is in `opted_out` (16-byte UUIDs; see [`opt_out_keys`]).
///
/// # Errors
/// As [`crate::text_match::uuid_in_set`].
pub fn opt_out_mask(engine: &Engine, author_uuid: &dyn Array, opted_out: &[[u8; 16]]) -> Result<BooleanArray> {
    uuid_in_set(engine, author_uuid, opted_out)
}

/// Rows whose UTC date is in `first_day..=last_day` (days since 1970-01-01, as Arrow's `Date32`). A
/// null timestamp gives a null. On a GPU: two comparisons per row on the device.
///
/// # Errors
/// [`Error::InvalidParameter`] for a column that is not a timestamp; [`Error::Gpu`] when the device fails.
pub fn date_range_mask(engine: &Engine, ts: &dyn Array, first_day: i32, last_day: i32) -> Result<BooleanArray> {
    let (values, unit) = timestamps(ts)?;
    let per_day = i128::from(86_400 * per_second(unit));
    let clamped = |t: i128| ordered(t.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64);
    let lo = clamped(i128::from(first_day) * per_day);
    let hi = clamped((i128::from(last_day) + 1) * per_day);
    let keys: Vec<u64> = values.iter().map(|&t| ordered(t)).collect();
    let col = engine.upload(&keys)?;
    let mask = ew::min(engine, &ew::ge_scalar(engine, &col, lo)?, &ew::lt_scalar(engine, &col, hi)?)?.to_vec()?;
    Ok(BooleanArray::new(mask.into_iter().map(|m| m != 0).collect(), ts.nulls().cloned()))
}

/// Message ids `"{ms}_{row}"`: `ms` the milliseconds since the first (earliest) message, rounded half to
/// even, `row` the 0-based position in (timestamp, input order). Built on the GPU as variable-length
/// strings (a length pass, a scan, a write pass). Null timestamps are an error. The column is `Utf8`, or
/// `LargeUtf8` when its bytes pass `i32::MAX`.
///
/// # Errors
/// [`Error::NullValue`] naming the first null timestamp; [`Error::InvalidParameter`] for a column that
/// is not a timestamp; [`Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use arrow_array::{TimestampMicrosecondArray, cast::AsArray};
/// use streamliner::{Engine, etl::message_ids};
/// let engine = Engine::from_env()?;
/// let ts = TimestampMicrosecondArray::from(vec![5_000_000, 1_000_000, 1_002_500]);
/// let ids = message_ids(&engine, &ts)?;
/// let ids = ids.as_string::<i32>();
/// assert_eq!((ids.value(0), ids.value(1), ids.value(2)), ("4000_2", "0_0", "2_1"));
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn message_ids(engine: &Engine, ts: &dyn Array) -> Result<ArrayRef> {
    message_ids_with_limit(engine, ts, i32::MAX as u64)
}

/// [`message_ids`], `LargeUtf8` past `limit` bytes.
pub(crate) fn message_ids_with_limit(engine: &Engine, ts: &dyn Array, limit: u64) -> Result<ArrayRef> {
    if let Some(row) = ts.nulls().and_then(|n| n.iter().position(|ok| !ok)) {
        return Err(Error::NullValue { what: "ts".into(), row: row as u64 });
    }
    let (values, unit) = timestamps(ts)?;
    let first = values.iter().copied().min().unwrap_or(0);
    let delta: Vec<u64> = values.iter().map(|&t| (i128::from(t) - i128::from(first)) as u64).collect();
    // Position of each row in a stable sort by timestamp.
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by_key(|&i| values[i]);
    let mut row = vec![0u64; values.len()];
    for (pos, &i) in order.iter().enumerate() {
        row[i] = pos as u64;
    }
    ids_column(engine, &delta, &row, unit, limit)
}

/// The ids of rows with `delta` (units since the first message) and sorted position `row`, as a string
/// column: `LargeUtf8` when the bytes pass `limit`.
pub(crate) fn ids_column(engine: &Engine, delta: &[u64], row: &[u64], unit: TimeUnit, limit: u64) -> Result<ArrayRef> {
    let (bytes, ends) = message_id_bytes(engine, delta, row, unit)?;
    let large = ends.last().copied().unwrap_or(0) > limit;
    string_column_from_parts(bytes, &ends, None, large, "message ids")
}

#[cfg(test)]
mod tests {
    use arrow_array::TimestampMicrosecondArray;
    use arrow_array::cast::AsArray;

    use super::*;
    use crate::engine::Backend;

    /// The CPU engine, and the GPU one unless `STREAMLINER_SKIP_GPU=1`.
    pub(crate) fn engines() -> Vec<Engine> {
        let mut out = vec![Engine::new(Backend::Cpu).unwrap()];
        if std::env::var("STREAMLINER_SKIP_GPU").ok().as_deref() != Some("1") {
            out.push(Engine::new(Backend::Gpu).expect("a GPU adapter (lavapipe), or STREAMLINER_SKIP_GPU=1"));
            out.push(Engine::builder().backend(Backend::Gpu).max_binding_bytes(64 * 1024).build().unwrap());
        }
        out
    }

    #[test]
    fn message_ids_switch_to_large_utf8_past_the_limit() {
        for engine in engines() {
            for n in [1usize, 7, 9000] {
                let ts = TimestampMicrosecondArray::from(
                    (0..n as i64).map(|i| (i * 7919) % 10_007 * 1500).collect::<Vec<_>>(),
                );
                let small = message_ids(&engine, &ts).unwrap();
                let small = small.as_string::<i32>();
                let bytes = small.value_data().len() as u64;
                let at = message_ids_with_limit(&engine, &ts, bytes).unwrap();
                assert_eq!(at.data_type(), &arrow_schema::DataType::Utf8);
                let past = message_ids_with_limit(&engine, &ts, bytes - 1).unwrap();
                let past = past.as_string::<i64>();
                assert_eq!(past.len(), n);
                assert!(small.iter().eq(past.iter()), "n {n}");
            }
        }
    }

    #[test]
    fn uuid5_switches_to_large_utf8_past_the_limit() {
        for engine in engines() {
            let authors =
                arrow_array::StringArray::from(vec![Some("Ann"), None, Some(" Ann "), Some("Bo"), Some("Ann")]);
            let small = author_uuids(&engine, &authors).unwrap();
            let large = crate::kernels::uuid5::uuid5_with_limit(
                &engine,
                &authors,
                PSEUDONYM_NAMESPACE,
                PSEUDONYM_PREFIX,
                36 * 5 - 1,
            )
            .unwrap();
            assert!(small.as_string::<i32>().iter().eq(large.as_string::<i64>().iter()));
            assert!(large.is_null(1));
            let nulls = arrow_array::StringArray::new_null(3);
            let none = crate::kernels::uuid5::uuid5_with_limit(&engine, &nulls, PSEUDONYM_NAMESPACE, "", 0).unwrap();
            assert_eq!((none.len(), none.null_count(), none.data_type()), (3, 3, &arrow_schema::DataType::LargeUtf8));
        }
    }
}
