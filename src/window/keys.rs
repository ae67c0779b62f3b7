//! Partition keys: each row's key as bytes, partitions numbered in order of first appearance.

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type};
use arrow_array::{Array, ArrayRef, UInt32Array};
use arrow_schema::DataType;

use crate::error::{Error, Result};

/// A partition key column: each row's key as bytes (a tag, then the value).
enum Keys<'a> {
    Str(Box<dyn Fn(usize) -> &'a [u8] + 'a>),
    Int(Box<dyn Fn(usize) -> i128 + 'a>),
}

fn keys<'a>(col: &'a dyn Array, name: &str) -> Result<Keys<'a>> {
    macro_rules! int {
        ($t:ty) => {{
            let a = col.as_primitive::<$t>();
            Keys::Int(Box::new(move |i| i128::from(a.value(i))))
        }};
    }
    Ok(match col.data_type() {
        DataType::Utf8 => {
            let a = col.as_string::<i32>();
            Keys::Str(Box::new(move |i| a.value(i).as_bytes()))
        }
        DataType::LargeUtf8 => {
            let a = col.as_string::<i64>();
            Keys::Str(Box::new(move |i| a.value(i).as_bytes()))
        }
        DataType::Utf8View => {
            let a = col.as_string_view();
            Keys::Str(Box::new(move |i| a.value(i).as_bytes()))
        }
        DataType::Int8 => int!(Int8Type),
        DataType::Int16 => int!(Int16Type),
        DataType::Int32 => int!(Int32Type),
        DataType::Int64 => int!(Int64Type),
        DataType::UInt8 => int!(UInt8Type),
        DataType::UInt16 => int!(UInt16Type),
        DataType::UInt32 => int!(UInt32Type),
        DataType::UInt64 => int!(UInt64Type),
        other => {
            return Err(Error::invalid(
                "partition column type",
                format!("{name}: {other}"),
                "expected a string (Utf8, LargeUtf8, Utf8View) or integer column",
            ));
        }
    })
}

/// Row `i`'s key bytes in `scratch`: a tag (0 null, 1 value) then the value.
fn key_of<'s>(col: &dyn Array, keys: &Keys<'_>, i: usize, scratch: &'s mut Vec<u8>) -> &'s [u8] {
    scratch.clear();
    if col.is_null(i) {
        scratch.push(0);
    } else {
        scratch.push(1);
        match keys {
            Keys::Str(f) => scratch.extend_from_slice(f(i)),
            Keys::Int(f) => scratch.extend_from_slice(&f(i).to_le_bytes()),
        }
    }
    scratch
}

/// Each row's partition number, and the (partition, first row) of the partitions first seen here.
pub(crate) type PartitionIds = (Vec<usize>, Vec<(usize, usize)>);

/// For each row of `col`, its partition's number, giving new keys the next numbers (in order of first
/// appearance) and recording them in `map`; returns the numbers of the new partitions' first rows too.
pub(crate) fn partition_ids(col: &dyn Array, name: &str, map: &mut HashMap<Vec<u8>, usize>) -> Result<PartitionIds> {
    let keys = keys(col, name)?;
    let mut scratch = Vec::new();
    let mut fresh = Vec::new();
    let ids = (0..col.len())
        .map(|i| {
            let k = key_of(col, &keys, i, &mut scratch);
            match map.get(k) {
                Some(&p) => p,
                None => {
                    let p = map.len();
                    map.insert(k.to_vec(), p);
                    fresh.push((p, i));
                    p
                }
            }
        })
        .collect();
    Ok((ids, fresh))
}

/// Row `i` of `col` as a one-row array (a copy, so it holds no input buffer).
pub(crate) fn key_row(col: &dyn Array, i: usize) -> Result<ArrayRef> {
    arrow_select::take::take(col, &UInt32Array::from(vec![i as u32]), None)
        .map_err(|e| Error::invalid("partition key", i, e.to_string()))
}

/// A short display of a one-row key array, for error messages.
pub(crate) fn key_display(a: &dyn Array) -> String {
    if a.is_null(0) {
        return "null".into();
    }
    match keys(a, "") {
        Ok(Keys::Str(f)) => {
            format!("{:?}", crate::error::excerpt(&String::from_utf8_lossy(f(0))))
        }
        Ok(Keys::Int(f)) => f(0).to_string(),
        Err(_) => "?".into(),
    }
}
