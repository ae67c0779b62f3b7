//! What a budget window counts: a [`Weight`] per row. Its running total over a batch is computed here,
//! in one place, on the engine's backend.

use std::fmt;

use arrow_array::cast::AsArray;
use arrow_array::types::{UInt8Type, UInt16Type, UInt32Type, UInt64Type};
use arrow_array::{Array, ArrowPrimitiveType};
use arrow_schema::DataType;

use crate::column::Column;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::kernels::strings::{LengthUnit, running_lengths};
use crate::kernels::tokens::{Encoding, token_counts};

/// What a row weighs in a budget window. Each weight is one arm of the match in this module, whatever
/// window kind uses it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Weight {
    /// The UTF-8 bytes of the text (the Arrow offsets are their running total already).
    #[default]
    Utf8Bytes,
    /// The Unicode code points of the text (what Python's `len` and DuckDB's `length` count).
    CodePoints,
    /// The tokens of the text in an OpenAI encoding, each row counted on its own (tiktoken's
    /// `encode_ordinary`). A window's rows joined into one text may count a few tokens fewer or more than
    /// the sum of its rows: a prompt rendered from the rows is checked whole by the `llm` layer.
    Tokens(Encoding),
    /// The values of an unsigned integer column of the history (`UInt8` to `UInt64`), e.g. a token count
    /// the caller computed; a null is an error naming its row.
    Column(String),
}

impl From<LengthUnit> for Weight {
    fn from(u: LengthUnit) -> Self {
        match u {
            LengthUnit::Utf8Bytes => Weight::Utf8Bytes,
            LengthUnit::CodePoints => Weight::CodePoints,
        }
    }
}

impl fmt::Display for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Weight::Utf8Bytes => f.write_str("UTF-8 bytes"),
            Weight::CodePoints => f.write_str("code points"),
            Weight::Tokens(e) => write!(f, "{e} tokens"),
            Weight::Column(name) => write!(f, "column {name:?}"),
        }
    }
}

/// The running weight of the rows of `source` (the weight's column: the text, or the weight column
/// itself): `n + 1` values from `start`, row `k` adding its weight and `per_row` (saturating). On a GPU
/// engine code points are counted on the device; with `resident` (and no overhead) their running total
/// stays there, for the budget rule to walk on the device. `first_row` numbers the batch's first row in
/// errors.
pub(crate) fn running_weight(
    engine: &Engine,
    source: &dyn Array,
    weight: &Weight,
    per_row: u64,
    (start, first_row): (u64, u64),
    resident: bool,
) -> Result<Column<u64>> {
    let resident = resident && per_row == 0;
    let running = match weight {
        Weight::Utf8Bytes => running_lengths(engine, source, LengthUnit::Utf8Bytes, start, resident)?,
        Weight::CodePoints => running_lengths(engine, source, LengthUnit::CodePoints, start, resident)?,
        Weight::Tokens(encoding) => Column::host(running_sum(token_counts(engine, source, *encoding)?.values(), start)),
        Weight::Column(name) => Column::host(column_running(source, name, start, first_row)?),
    };
    if per_row == 0 {
        return Ok(running);
    }
    let mut values = running.into_host()?;
    values.iter_mut().enumerate().for_each(|(k, v)| *v = v.saturating_add(per_row.saturating_mul(k as u64)));
    Ok(Column::host(values))
}

/// Checks that `a` can be the weight column `name`.
pub(crate) fn check_column(a: &dyn Array, name: &str) -> Result<()> {
    match a.data_type() {
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => Ok(()),
        other => Err(Error::invalid(
            "weight column type",
            format!("{name}: {other}"),
            "expected an unsigned integer column (UInt8, UInt16, UInt32 or UInt64)",
        )),
    }
}

/// The running total of an unsigned integer column from `start`, saturating.
fn column_running(a: &dyn Array, name: &str, start: u64, first_row: u64) -> Result<Vec<u64>> {
    check_column(a, name)?;
    if let Some(row) = a.nulls().and_then(|n| n.iter().position(|ok| !ok)) {
        return Err(Error::NullValue { what: format!("weight column {name:?}"), row: first_row + row as u64 });
    }
    fn running<T: ArrowPrimitiveType>(a: &dyn Array, start: u64) -> Vec<u64>
    where
        T::Native: Into<u64>,
    {
        running_sum(a.as_primitive::<T>().values(), start)
    }
    Ok(match a.data_type() {
        DataType::UInt8 => running::<UInt8Type>(a, start),
        DataType::UInt16 => running::<UInt16Type>(a, start),
        DataType::UInt32 => running::<UInt32Type>(a, start),
        _ => running::<UInt64Type>(a, start),
    })
}

/// `n + 1` values from `start`, each adding the next of `values` (saturating).
fn running_sum<T: Copy + Into<u64>>(values: &[T], start: u64) -> Vec<u64> {
    let mut out = Vec::with_capacity(values.len() + 1);
    let mut acc = start;
    out.push(acc);
    for &v in values {
        acc = acc.saturating_add(v.into());
        out.push(acc);
    }
    out
}
