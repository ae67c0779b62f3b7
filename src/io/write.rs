//! Writing tables (windows, message tables) as CSV, JSON, Parquet or Arrow IPC, by file extension, batch by
//! batch ([`TableWriter`]) or in one call ([`write_table`], [`write_csv`], [`write_json`]).

use std::io::Write;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, SchemaRef, TimeUnit};

use crate::error::{Error, Result};
use crate::timefmt::{format_date, format_timestamp};

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
        DataType::Date32 => Cell::Text(format_date(col.as_primitive::<Date32Type>().value(row))),
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

/// An I/O error on `what`; a closed pipe (`BrokenPipe`) becomes [`Error::OutputClosed`].
fn io_error(what: &str, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Error::OutputClosed { path: what.to_string() }
    } else {
        Error::io(what, e)
    }
}

/// Rows as CSV lines: times as RFC 3339 UTC with microseconds, lists joined by spaces, nulls empty.
struct CsvRows;

impl CsvRows {
    fn header(schema: &arrow_schema::Schema, out: &mut dyn Write, what: &str) -> Result<()> {
        let names: Vec<String> = schema.fields().iter().map(|f| csv_field(f.name())).collect();
        writeln!(out, "{}", names.join(",")).map_err(|e| io_error(what, e))
    }

    fn rows(batch: &RecordBatch, out: &mut dyn Write, what: &str) -> Result<()> {
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
            out.write_all(line.as_bytes()).map_err(|e| io_error(what, e))?;
        }
        Ok(())
    }
}

/// Rows as JSON objects, either the elements of one array (`[`, objects on lines of their own, `]`) or
/// JSON lines (one object per line).
struct JsonRows {
    names: Vec<String>,
    lines: bool,
    rows: u64,
}

impl JsonRows {
    fn new(schema: &arrow_schema::Schema, lines: bool) -> Self {
        JsonRows { names: schema.fields().iter().map(|f| json_string(f.name())).collect(), lines, rows: 0 }
    }

    fn start(&self, out: &mut dyn Write, what: &str) -> Result<()> {
        if self.lines { Ok(()) } else { out.write_all(b"[").map_err(|e| io_error(what, e)) }
    }

    fn rows(&mut self, batch: &RecordBatch, out: &mut dyn Write, what: &str) -> Result<()> {
        let mut obj = String::new();
        for row in 0..batch.num_rows() {
            obj.clear();
            if !self.lines {
                obj.push_str(if self.rows == 0 { "\n  " } else { ",\n  " });
            }
            obj.push('{');
            for (i, col) in batch.columns().iter().enumerate() {
                if i > 0 {
                    obj.push_str(", ");
                }
                // `names` has one entry per column: write_json builds it from the batch itself, and
                // TableWriter::write checks the batch's columns against its schema first.
                obj.push_str(&self.names[i]);
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
            if self.lines {
                obj.push('\n');
            }
            out.write_all(obj.as_bytes()).map_err(|e| io_error(what, e))?;
            self.rows += 1;
        }
        Ok(())
    }

    fn end(&self, out: &mut dyn Write, what: &str) -> Result<()> {
        if self.lines { Ok(()) } else { out.write_all(b"\n]\n").map_err(|e| io_error(what, e)) }
    }
}

/// Writes `batch` as CSV with a header: times as RFC 3339 UTC with microseconds, lists joined by spaces,
/// nulls empty.
///
/// # Errors
/// [`Error::Io`] when writing fails ([`Error::OutputClosed`] when the reader closed a pipe);
/// [`Error::InvalidParameter`] for a column type with no text form.
pub fn write_csv(batch: &RecordBatch, out: &mut dyn Write) -> Result<()> {
    CsvRows::header(batch.schema_ref(), out, "CSV output")?;
    CsvRows::rows(batch, out, "CSV output")
}

/// Writes `batch` as a JSON array of objects, one per row.
///
/// # Errors
/// As [`write_csv`].
pub fn write_json(batch: &RecordBatch, out: &mut dyn Write) -> Result<()> {
    let mut json = JsonRows::new(batch.schema_ref(), false);
    json.start(out, "JSON output")?;
    json.rows(batch, out, "JSON output")?;
    json.end(out, "JSON output")
}

/// Writes `batch` to `path` as CSV (`.csv`), JSON (`.json`: an array of objects; `.jsonl`/`.ndjson`: one
/// object per line), Parquet (`.parquet`) or Arrow IPC (`.arrow`), by extension: a [`TableWriter`] given one
/// batch.
///
/// # Errors
/// [`Error::InvalidParameter`] for a directory or another extension; [`Error::Io`] when writing fails.
pub fn write_table(batch: &RecordBatch, path: &Path) -> Result<()> {
    let mut w = TableWriter::create(path, batch.schema())?;
    w.write(batch)?;
    w.finish().map(|_| ())
}

/// The output extensions [`TableWriter::create`] knows, as its errors list them.
const OUTPUT_EXTENSIONS: &str = ".csv, .json, .jsonl, .parquet or .arrow";

/// The lowercase extension of output file `path`, checked: a directory (one that exists, or a path that
/// ends with a separator) and an unknown extension are errors that say so.
fn output_extension(path: &Path) -> Result<String> {
    let what = path.display().to_string();
    let trailing_separator = what.ends_with(std::path::MAIN_SEPARATOR) || what.ends_with('/');
    if trailing_separator || path.is_dir() {
        let example = path.join("windows.csv");
        let reason = format!("is a directory: name a file in it, such as {}", example.display());
        return Err(Error::invalid("output file", &what, format!("{reason} (ending in {OUTPUT_EXTENSIONS})")));
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if !matches!(ext.as_str(), "csv" | "json" | "jsonl" | "ndjson" | "parquet" | "arrow" | "ipc" | "feather") {
        return Err(Error::invalid("output file", what, format!("unknown extension: expected {OUTPUT_EXTENSIONS}")));
    }
    Ok(ext)
}

/// Bytes of encoded data in a Parquet row group before it is flushed, at most (arrow's default row count
/// limit, 1 048 576 rows, applies too).
#[cfg(feature = "parquet")]
const PARQUET_ROW_GROUP_BYTES: usize = 128 << 20;

/// Where a [`TableWriter`] writes, and how.
enum Sink {
    Csv(Box<dyn Write + Send>),
    Json(Box<dyn Write + Send>, JsonRows),
    #[cfg(feature = "parquet")]
    Parquet(Box<super::parquet_sink::ParquetSink>),
    #[cfg(feature = "ipc")]
    Ipc(Box<arrow_ipc::writer::FileWriter<std::io::BufWriter<std::fs::File>>>),
}

/// Writes a table batch by batch, in bounded memory: CSV, JSON, Parquet or Arrow IPC by the file's extension,
/// or CSV to any writer (standard output). Cells are formatted as by [`write_csv`] and [`write_json`].
///
/// A reader that closes its end of a pipe (`head`, a closed terminal) ends writing with
/// [`Error::OutputClosed`], which programs writing to standard output treat as success.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use arrow_array::{Int64Array, RecordBatch};
/// # let dir = std::env::temp_dir().join(format!("streamliner-doc-writer-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let batch = RecordBatch::try_from_iter([("n", Arc::new(Int64Array::from(vec![1, 2, 3])) as _)])?;
/// let path = dir.join("table.csv");
/// let mut w = streamliner::io::TableWriter::create(&path, batch.schema())?;
/// w.write(&batch)?;
/// w.write(&batch.slice(0, 1))?;
/// assert_eq!(w.finish()?, 4);
/// assert_eq!(std::fs::read_to_string(&path)?, "n\n1\n2\n3\n1\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TableWriter {
    sink: Sink,
    schema: SchemaRef,
    what: String,
    rows: u64,
}

impl std::fmt::Debug for TableWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableWriter").field("output", &self.what).field("rows", &self.rows).finish_non_exhaustive()
    }
}

impl TableWriter {
    /// A writer to `path`, its format told by the extension: `.csv`, `.json` (a JSON array of objects, as
    /// [`write_json`]), `.jsonl`/`.ndjson` (JSON lines: one object per row), `.parquet` (Snappy, row groups
    /// of at most 1 048 576 rows or about 128 MiB encoded, each batch's columns encoded at once on every
    /// core), `.arrow`/`.ipc`/`.feather` (Arrow IPC file). CSV and
    /// JSON write their header or opening bracket now.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a directory or another extension (before creating anything);
    /// [`Error::Io`] when the file cannot be created.
    pub fn create(path: &Path, schema: SchemaRef) -> Result<Self> {
        let what = path.display().to_string();
        let ext = output_extension(path)?;
        let file = std::fs::File::create(path).map_err(|e| Error::io(&what, e))?;
        let sink = match ext.as_str() {
            "csv" => Sink::Csv(buffered_file(file)),
            "json" | "jsonl" | "ndjson" => Sink::Json(buffered_file(file), JsonRows::new(&schema, ext != "json")),
            "parquet" => parquet_sink(file, &schema, &what)?,
            _ => ipc_sink(file, &schema, &what)?,
        };
        TableWriter::start(sink, schema, what)
    }

    /// A CSV writer to `out` (standard output, a socket...), buffered; the header is written now.
    ///
    /// # Errors
    /// [`Error::Io`] when the header cannot be written; [`Error::OutputClosed`] when `out` is a closed pipe.
    pub fn csv_to(out: Box<dyn Write + Send>, schema: SchemaRef) -> Result<Self> {
        TableWriter::start(Sink::Csv(Box::new(std::io::BufWriter::new(out))), schema, "CSV output".into())
    }

    fn start(mut sink: Sink, schema: SchemaRef, what: String) -> Result<Self> {
        match &mut sink {
            Sink::Csv(out) => CsvRows::header(&schema, out, &what)?,
            Sink::Json(out, json) => json.start(out, &what)?,
            #[cfg(feature = "parquet")]
            Sink::Parquet(_) => {}
            #[cfg(feature = "ipc")]
            Sink::Ipc(_) => {}
        }
        Ok(TableWriter { sink, schema, what, rows: 0 })
    }

    /// Writes the rows of `batch`, which must have the writer's schema.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a batch of another schema or a column type with no text form;
    /// [`Error::Io`] when writing fails; [`Error::OutputClosed`] when the reader closed a pipe.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let (want, got) = (self.schema.fields(), batch.schema_ref().fields());
        if want.len() != got.len() || want.iter().zip(got.iter()).any(|(a, b)| a.data_type() != b.data_type()) {
            return Err(Error::invalid(
                "batch schema",
                format!("{:?}", batch.schema_ref().fields().iter().map(|f| f.data_type()).collect::<Vec<_>>()),
                format!(
                    "{} was created for {:?}",
                    self.what,
                    self.schema.fields().iter().map(|f| f.data_type()).collect::<Vec<_>>()
                ),
            ));
        }
        let what = self.what.as_str();
        match &mut self.sink {
            Sink::Csv(out) => CsvRows::rows(batch, out, what)?,
            Sink::Json(out, json) => json.rows(batch, out, what)?,
            #[cfg(feature = "parquet")]
            Sink::Parquet(w) => w.write(batch)?,
            #[cfg(feature = "ipc")]
            Sink::Ipc(w) => w.write(batch).map_err(|e| Error::io(what, e))?,
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Ends the table (closing bracket, Parquet footer, IPC footer), flushes it, and returns the rows
    /// written.
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails; [`Error::OutputClosed`] when the reader closed a pipe.
    pub fn finish(self) -> Result<u64> {
        let what = self.what.as_str();
        match self.sink {
            Sink::Csv(mut out) => out.flush().map_err(|e| io_error(what, e))?,
            Sink::Json(mut out, json) => {
                json.end(&mut out, what)?;
                out.flush().map_err(|e| io_error(what, e))?
            }
            #[cfg(feature = "parquet")]
            Sink::Parquet(w) => w.finish()?,
            #[cfg(feature = "ipc")]
            Sink::Ipc(mut w) => {
                w.finish().map_err(|e| Error::io(what, e))?;
                w.get_mut().flush().map_err(|e| io_error(what, e))?
            }
        }
        Ok(self.rows)
    }
}

fn buffered_file(file: std::fs::File) -> Box<dyn Write + Send> {
    Box::new(std::io::BufWriter::new(file))
}

#[cfg(feature = "parquet")]
fn parquet_sink(file: std::fs::File, schema: &SchemaRef, what: &str) -> Result<Sink> {
    let sink = super::parquet_sink::ParquetSink::create(file, schema, PARQUET_ROW_GROUP_BYTES, what)?;
    Ok(Sink::Parquet(Box::new(sink)))
}

#[cfg(not(feature = "parquet"))]
fn parquet_sink(_: std::fs::File, _: &SchemaRef, what: &str) -> Result<Sink> {
    Err(Error::io(what, "writing Parquet needs the `parquet` feature"))
}

#[cfg(feature = "ipc")]
fn ipc_sink(file: std::fs::File, schema: &SchemaRef, what: &str) -> Result<Sink> {
    let w = arrow_ipc::writer::FileWriter::try_new(std::io::BufWriter::new(file), schema)
        .map_err(|e| Error::io(what, e))?;
    Ok(Sink::Ipc(Box::new(w)))
}

#[cfg(not(feature = "ipc"))]
fn ipc_sink(_: std::fs::File, _: &SchemaRef, what: &str) -> Result<Sink> {
    Err(Error::io(what, "writing Arrow IPC needs the `ipc` feature"))
}
