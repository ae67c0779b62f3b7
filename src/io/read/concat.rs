//! Joining a stream's batches into one, with 64-bit offsets for string columns that pass 2 GiB.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, LargeStringArray, RecordBatch};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::error::{Error, Result};

/// The most bytes a `Utf8` column (32-bit offsets) can hold.
pub(crate) const UTF8_LIMIT: usize = i32::MAX as usize;

/// `batches` (all of `schema`) as one batch. A `Utf8` column whose text would pass `utf8_limit` bytes is
/// joined as `LargeUtf8` instead (the limit is a parameter so tests can make it small).
pub(crate) fn concat_batches(schema: &SchemaRef, batches: &[RecordBatch], utf8_limit: usize) -> Result<RecordBatch> {
    if batches.is_empty() {
        return Ok(RecordBatch::new_empty(schema.clone()));
    }
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (i, field) in schema.fields().iter().enumerate() {
        let parts: Vec<&dyn Array> = batches.iter().map(|b| b.column(i).as_ref()).collect();
        let text_bytes: usize =
            if field.data_type() == &DataType::Utf8 { parts.iter().map(|a| utf8_bytes(*a)).sum() } else { 0 };
        let joined = if text_bytes > utf8_limit {
            let large: Vec<ArrayRef> = parts.iter().map(|a| to_large_utf8(*a)).collect::<Result<_>>()?;
            let large: Vec<&dyn Array> = large.iter().map(|a| a.as_ref()).collect();
            fields.push(Field::new(field.name(), DataType::LargeUtf8, field.is_nullable()));
            concat(field.name(), &large, text_bytes)?
        } else {
            fields.push(field.as_ref().clone());
            concat(field.name(), &parts, text_bytes)?
        };
        columns.push(joined);
    }
    let schema = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    let options =
        arrow_array::RecordBatchOptions::new().with_row_count(Some(batches.iter().map(|b| b.num_rows()).sum()));
    RecordBatch::try_new_with_options(schema, columns, &options)
        .map_err(|e| Error::invalid("table", "columns", e.to_string()))
}

/// Bytes of text in a `Utf8` array (its slice of the values buffer).
fn utf8_bytes(a: &dyn Array) -> usize {
    let offsets = a.as_string::<i32>().value_offsets();
    match (offsets.first(), offsets.last()) {
        (Some(first), Some(last)) => (last - first).max(0) as usize,
        _ => 0,
    }
}

/// A `Utf8` array as `LargeUtf8`, sharing its text buffer (only the offsets are widened).
fn to_large_utf8(a: &dyn Array) -> Result<ArrayRef> {
    let s = a.as_string::<i32>();
    let offsets: Vec<i64> = s.value_offsets().iter().map(|&o| i64::from(o)).collect();
    // Offsets widened from valid i32 offsets stay monotonic and in bounds of the same values buffer.
    let offsets = OffsetBuffer::new(offsets.into());
    let large = LargeStringArray::try_new(offsets, s.values().clone(), s.nulls().cloned())
        .map_err(|e| Error::invalid("column", "text", e.to_string()))?;
    Ok(Arc::new(large))
}

fn concat(name: &str, parts: &[&dyn Array], text_bytes: usize) -> Result<ArrayRef> {
    arrow_select::concat::concat(parts).map_err(|e| {
        let message = e.to_string();
        if message.to_ascii_lowercase().contains("overflow") {
            Error::LimitExceeded {
                what: format!("text bytes of column {name} in one array ({message})"),
                value: text_bytes as u64,
                limit: UTF8_LIMIT as u64,
            }
        } else {
            Error::invalid("column", name, format!("cannot be concatenated: {message}"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int64Array, StringArray};

    fn batch(texts: &[Option<&str>]) -> RecordBatch {
        let n = texts.len() as i64;
        RecordBatch::try_from_iter([
            ("n", Arc::new(Int64Array::from((0..n).collect::<Vec<_>>())) as ArrayRef),
            ("text", Arc::new(StringArray::from(texts.to_vec())) as ArrayRef),
        ])
        .unwrap()
    }

    #[test]
    fn strings_past_the_limit_become_large_utf8() {
        let batches = [batch(&[Some("abcd"), None]), batch(&[Some("efg")]).slice(0, 1), batch(&[Some("hé")])];
        let schema = batches[0].schema();
        // 4 + 3 + 3 = 10 bytes: at a limit of 10 the column stays Utf8, at 9 it is LargeUtf8.
        let at = concat_batches(&schema, &batches, 10).unwrap();
        assert_eq!(at.column(1).data_type(), &DataType::Utf8);
        let past = concat_batches(&schema, &batches, 9).unwrap();
        assert_eq!(past.schema().field(1).data_type(), &DataType::LargeUtf8);
        assert_eq!(past.column(0).data_type(), &DataType::Int64);
        let large = past.column(1).as_string::<i64>();
        let got: Vec<Option<&str>> = large.iter().collect();
        assert_eq!(got, [Some("abcd"), None, Some("efg"), Some("hé")]);
        assert_eq!(at.column(1).as_string::<i32>().iter().collect::<Vec<_>>(), got);
    }

    #[test]
    fn sliced_arrays_count_only_their_text() {
        let b = batch(&[Some("aaaa"), Some("bb"), Some("c")]);
        assert_eq!(utf8_bytes(b.column(1).slice(1, 2).as_ref()), 3);
        let empty = concat_batches(&b.schema(), &[], 0).unwrap();
        assert_eq!(empty.num_rows(), 0);
    }
}
