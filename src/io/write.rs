//! Writing tables (windows, message tables) as CSV, JSON, Parquet or Arrow IPC, by file extension.

use std::io::Write;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};

use crate::error::{Error, Result};

/// A timestamp as RFC 3339 in UTC with microseconds, e.g. `2024-03-01T08:00:00.000000Z`.
///
/// # Example
/// ```
/// use arrow_schema::TimeUnit;
/// assert_eq!(streamliner::io::format_timestamp(1_709_280_000, TimeUnit::Second), "2024-03-01T08:00:00.000000Z");
/// ```
pub fn format_timestamp(value: i64, unit: TimeUnit) -> String {
    let micros = match unit {
        TimeUnit::Second => i128::from(value) * 1_000_000,
        TimeUnit::Millisecond => i128::from(value) * 1_000,
        TimeUnit::Microsecond => i128::from(value),
        TimeUnit::Nanosecond => i128::from(value).div_euclid(1_000),
    };
    match i64::try_from(micros).ok().and_then(|m| jiff::Timestamp::from_microsecond(m).ok()) {
        Some(ts) => ts.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        None => format!("{value} ({unit:?} since the epoch, out of range)"),
    }
}

/// One cell, formatted.
enum Cell {
    Null,
    Number(String),
    Text(String),
    List(Vec<String>),
}

fn cell(col: &dyn Array, row: usize) -> Result<Cell> {
    if col.is_null(row) {
        return Ok(Cell::Null);
    }
    Ok(match col.data_type() {
        DataType::UInt64 => Cell::Number(col.as_primitive::<UInt64Type>().value(row).to_string()),
        DataType::UInt32 => Cell::Number(col.as_primitive::<UInt32Type>().value(row).to_string()),
        DataType::Int64 => Cell::Number(col.as_primitive::<Int64Type>().value(row).to_string()),
        DataType::Int32 => Cell::Number(col.as_primitive::<Int32Type>().value(row).to_string()),
        DataType::Float64 => Cell::Number(col.as_primitive::<Float64Type>().value(row).to_string()),
        DataType::Boolean => Cell::Number(col.as_boolean().value(row).to_string()),
        DataType::Utf8 => Cell::Text(col.as_string::<i32>().value(row).to_string()),
        DataType::LargeUtf8 => Cell::Text(col.as_string::<i64>().value(row).to_string()),
        DataType::Utf8View => Cell::Text(col.as_string_view().value(row).to_string()),
        DataType::Date32 => {
            let days = col.as_primitive::<Date32Type>().value(row);
            let date = jiff::civil::date(1970, 1, 1).checked_add(jiff::Span::new().days(days));
            Cell::Text(date.map(|d| d.to_string()).unwrap_or_else(|_| days.to_string()))
        }
        DataType::Timestamp(unit, _) => {
            let v = match unit {
                TimeUnit::Second => col.as_primitive::<TimestampSecondType>().value(row),
                TimeUnit::Millisecond => col.as_primitive::<TimestampMillisecondType>().value(row),
                TimeUnit::Microsecond => col.as_primitive::<TimestampMicrosecondType>().value(row),
                TimeUnit::Nanosecond => col.as_primitive::<TimestampNanosecondType>().value(row),
            };
            Cell::Text(format_timestamp(v, *unit))
        }
        DataType::List(_) => {
            let items = col.as_list::<i32>().value(row);
            let mut v = Vec::with_capacity(items.len());
            for i in 0..items.len() {
                match cell(items.as_ref(), i)? {
                    Cell::Text(s) | Cell::Number(s) => v.push(s),
                    Cell::Null | Cell::List(_) => {}
                }
            }
            Cell::List(v)
        }
        other => return Err(Error::invalid("column type", other, "cannot be written as text")),
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// `s` as a JSON string literal.
pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes `batch` as CSV with a header: times as RFC 3339 UTC with microseconds, lists joined by spaces,
/// nulls empty.
///
/// # Errors
/// [`Error::Io`] when writing fails; [`Error::InvalidParameter`] for a column type with no text form.
pub fn write_csv(batch: &RecordBatch, out: &mut dyn Write) -> Result<()> {
    let io = |e: std::io::Error| Error::io("CSV output", e);
    let names: Vec<String> = batch.schema_ref().fields().iter().map(|f| csv_field(f.name())).collect();
    writeln!(out, "{}", names.join(",")).map_err(io)?;
    let mut line = String::new();
    for row in 0..batch.num_rows() {
        line.clear();
        for (i, col) in batch.columns().iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            match cell(col.as_ref(), row)? {
                Cell::Null => {}
                Cell::Number(s) => line.push_str(&s),
                Cell::Text(s) => line.push_str(&csv_field(&s)),
                Cell::List(v) => line.push_str(&csv_field(&v.join(" "))),
            }
        }
        line.push('\n');
        out.write_all(line.as_bytes()).map_err(io)?;
    }
    Ok(())
}

/// Writes `batch` as a JSON array of objects, one per row.
///
/// # Errors
/// As [`write_csv`].
pub fn write_json(batch: &RecordBatch, out: &mut dyn Write) -> Result<()> {
    let io = |e: std::io::Error| Error::io("JSON output", e);
    let names: Vec<String> = batch.schema_ref().fields().iter().map(|f| json_string(f.name())).collect();
    out.write_all(b"[").map_err(io)?;
    for row in 0..batch.num_rows() {
        let mut obj = String::from(if row == 0 { "\n  {" } else { ",\n  {" });
        for (i, col) in batch.columns().iter().enumerate() {
            if i > 0 {
                obj.push_str(", ");
            }
            obj.push_str(&names[i]);
            obj.push_str(": ");
            match cell(col.as_ref(), row)? {
                Cell::Null => obj.push_str("null"),
                Cell::Number(s) => obj.push_str(&s),
                Cell::Text(s) => obj.push_str(&json_string(&s)),
                Cell::List(v) => {
                    obj.push('[');
                    obj.push_str(&v.iter().map(|s| json_string(s)).collect::<Vec<_>>().join(", "));
                    obj.push(']');
                }
            }
        }
        obj.push('}');
        out.write_all(obj.as_bytes()).map_err(io)?;
    }
    out.write_all(b"\n]\n").map_err(io)?;
    Ok(())
}

/// Writes `batch` to `path` as CSV (`.csv`), JSON (`.json`), Parquet (`.parquet`) or Arrow IPC
/// (`.arrow`), by extension.
///
/// # Errors
/// [`Error::InvalidParameter`] for another extension; [`Error::Io`] when writing fails.
pub fn write_table(batch: &RecordBatch, path: &Path) -> Result<()> {
    let name = path.display().to_string();
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let create = || std::fs::File::create(path).map_err(|e| Error::io(&name, e));
    match ext.as_str() {
        "csv" | "json" => {
            let mut w = std::io::BufWriter::new(create()?);
            if ext == "csv" {
                write_csv(batch, &mut w)?
            } else {
                write_json(batch, &mut w)?
            }
            w.flush().map_err(|e| Error::io(&name, e))
        }
        "parquet" => write_parquet(batch, create()?, &name),
        "arrow" | "ipc" | "feather" => write_ipc(batch, create()?, &name),
        _ => Err(Error::invalid("output file", name, "unknown extension: expected .csv, .json, .parquet or .arrow")),
    }
}

#[cfg(feature = "parquet")]
fn write_parquet(batch: &RecordBatch, file: std::fs::File, name: &str) -> Result<()> {
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .build();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(|e| Error::io(name, e))?;
    w.write(batch).map_err(|e| Error::io(name, e))?;
    w.close().map_err(|e| Error::io(name, e))?;
    Ok(())
}

#[cfg(not(feature = "parquet"))]
fn write_parquet(_: &RecordBatch, _: std::fs::File, name: &str) -> Result<()> {
    Err(Error::io(name, "writing Parquet needs the `parquet` feature"))
}

#[cfg(feature = "ipc")]
fn write_ipc(batch: &RecordBatch, file: std::fs::File, name: &str) -> Result<()> {
    let mut w = arrow_ipc::writer::FileWriter::try_new(file, batch.schema_ref()).map_err(|e| Error::io(name, e))?;
    w.write(batch).map_err(|e| Error::io(name, e))?;
    w.finish().map_err(|e| Error::io(name, e))
}

#[cfg(not(feature = "ipc"))]
fn write_ipc(_: &RecordBatch, _: std::fs::File, name: &str) -> Result<()> {
    Err(Error::io(name, "writing Arrow IPC needs the `ipc` feature"))
}
