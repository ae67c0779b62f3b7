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

/// A timestamp as RFC 3339 in UTC with microseconds, e.g. `2024-03-01T08:00:00.000000Z`, for every `i64` of
/// every unit (nanoseconds are cut to the microsecond below).
///
/// Years 0 to 9999 take four digits, as RFC 3339 has them. Years outside RFC 3339's range (any `i64` reaches
/// years from about -292 billion to +292 billion in seconds) are written as ISO 8601 expanded years: a sign
/// and at least four digits, `-0001-12-31T00:00:00.000000Z` for the year before year 0 and
/// `+10000-01-01T00:00:00.000000Z` after 9999. Years are astronomical (proleptic Gregorian, year 0 is 1 BC).
///
/// # Example
/// ```
/// use arrow_schema::TimeUnit;
/// use streamliner::io::format_timestamp;
/// assert_eq!(format_timestamp(1_709_280_000, TimeUnit::Second), "2024-03-01T08:00:00.000000Z");
/// assert_eq!(format_timestamp(-62_167_219_201, TimeUnit::Second), "-0001-12-31T23:59:59.000000Z");
/// assert_eq!(format_timestamp(253_402_300_800, TimeUnit::Second), "+10000-01-01T00:00:00.000000Z");
/// ```
pub fn format_timestamp(value: i64, unit: TimeUnit) -> String {
    let micros = match unit {
        TimeUnit::Second => i128::from(value) * 1_000_000,
        TimeUnit::Millisecond => i128::from(value) * 1_000,
        TimeUnit::Microsecond => i128::from(value),
        TimeUnit::Nanosecond => i128::from(value).div_euclid(1_000),
    };
    if let Some(text) = i64::try_from(micros).ok().and_then(rfc3339_micros) {
        return text;
    }
    const DAY: i128 = 86_400_000_000;
    // |micros| < 2^63 * 10^6, so the day count is below 2^47 and fits an i64 (the cast cannot truncate).
    let (days, in_day) = (micros.div_euclid(DAY) as i64, micros.rem_euclid(DAY) as i64);
    let (year, month, day) = civil_from_days(days);
    let (secs, frac) = (in_day / 1_000_000, in_day % 1_000_000);
    format!(
        "{}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        expanded_year(year),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// A year as four digits for 0 to 9999, else as an ISO 8601 expanded year: a sign and at least four digits.
fn expanded_year(year: i64) -> String {
    match year {
        0..=9999 => format!("{year:04}"),
        y if y < 0 => format!("-{:04}", y.unsigned_abs()),
        y => format!("+{y:04}"),
    }
}

/// A Date32 (days since 1970-01-01) as `YYYY-MM-DD`, with the years of [`format_timestamp`].
fn format_date(days: i32) -> String {
    let (year, month, day) = civil_from_days(i64::from(days));
    format!("{}-{month:02}-{day:02}", expanded_year(year))
}

/// The proleptic Gregorian date of `days` since 1970-01-01 (the "days from civil" inverse of Howard
/// Hinnant's date algorithms).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `micros` as `YYYY-MM-DDTHH:MM:SS.ffffffZ` for years 0 to 9999 (the fast path of the writers, which
/// format a timestamp per cell); `None` outside them.
fn rfc3339_micros(micros: i64) -> Option<String> {
    const DAY: i64 = 86_400_000_000;
    let (days, in_day) = (micros.div_euclid(DAY), micros.rem_euclid(DAY));
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let (secs, frac) = (in_day / 1_000_000, in_day % 1_000_000);
    let mut out = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, width: usize, mut v: i64| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, i64::from(month));
    put(8, 2, i64::from(day));
    put(11, 2, secs / 3600);
    put(14, 2, secs / 60 % 60);
    put(17, 2, secs % 60);
    put(20, 6, frac);
    // Only ASCII digits and separators were written.
    String::from_utf8(out.to_vec()).ok()
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
/// [`Error::InvalidParameter`] for another extension; [`Error::Io`] when writing fails.
pub fn write_table(batch: &RecordBatch, path: &Path) -> Result<()> {
    let mut w = TableWriter::create(path, batch.schema())?;
    w.write(batch)?;
    w.finish().map(|_| ())
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
    /// [`Error::InvalidParameter`] for another extension (before creating anything); [`Error::Io`] when the
    /// file cannot be created.
    pub fn create(path: &Path, schema: SchemaRef) -> Result<Self> {
        let what = path.display().to_string();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        if !matches!(ext.as_str(), "csv" | "json" | "jsonl" | "ndjson" | "parquet" | "arrow" | "ipc" | "feather") {
            return Err(Error::invalid(
                "output file",
                what,
                "unknown extension: expected .csv, .json, .jsonl, .parquet or .arrow",
            ));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// 10^5 instants in `lo..hi` from a xorshift generator seeded with `seed`.
    fn random_micros(seed: u64, lo: i64, hi: i64) -> Vec<i64> {
        let mut x = seed;
        (0..100_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                lo + (x % (hi - lo) as u64) as i64
            })
            .collect()
    }

    #[test]
    fn fast_timestamps_equal_jiff() {
        let jiff = |m: i64| {
            jiff::Timestamp::from_microsecond(m)
                .map_err(|e| format!("{m}: {e}"))
                .unwrap()
                .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
                .to_string()
        };
        // Year 0 to jiff's last instant (9999-12-30T22:00Z); the fast path goes on to the end of 9999.
        let lo = -62_167_219_200_000_000i64;
        let hi = 253_402_207_200_000_000i64;
        let mut values = vec![0, -1, 1, lo, hi, 951_782_400_000_000, 1_709_280_000_123_456];
        values.extend(random_micros(0x9E37_79B9_7F4A_7C15, lo, hi));
        for v in values {
            assert_eq!(rfc3339_micros(v).unwrap(), jiff(v), "{v}");
        }
        assert_eq!(rfc3339_micros(lo - 1), None);
        assert_eq!(rfc3339_micros(253_402_300_799_999_999).as_deref(), Some("9999-12-31T23:59:59.999999Z"));
        assert_eq!(rfc3339_micros(253_402_300_800_000_000), None);
    }

    /// Issue 8: times outside RFC 3339's years printed as "N (Second since the epoch, out of range)", and years
    /// before 1 need four digits. Every i64 of every unit now prints a date; the calendar is checked against
    /// jiff over jiff's whole range (years -9999 to 9999), and the extremes by hand.
    #[test]
    fn every_timestamp_prints_a_date() {
        use jiff::tz::TimeZone;
        let by_jiff = |m: i64| {
            let dt = TimeZone::UTC.to_datetime(jiff::Timestamp::from_microsecond(m).unwrap());
            format!(
                "{}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                expanded_year(i64::from(dt.year())),
                dt.month(),
                dt.day(),
                dt.hour(),
                dt.minute(),
                dt.second(),
                dt.subsec_nanosecond() / 1000
            )
        };
        // The range of jiff's `Timestamp::from_microsecond` (years -9999 to 9999).
        let (lo, hi) = (-377_705_023_201_000_000i64, 253_402_207_200_000_000i64);
        let mut values = vec![lo, hi, -62_167_219_200_000_001, -62_167_219_200_000_000, -1, 0];
        values.extend(random_micros(0x2545_F491_4F6C_DD1D, lo, hi));
        for v in values {
            assert_eq!(format_timestamp(v, TimeUnit::Microsecond), by_jiff(v), "{v}");
        }
        assert_eq!(format_timestamp(-62_167_219_201, TimeUnit::Second), "-0001-12-31T23:59:59.000000Z");
        assert_eq!(format_timestamp(253_402_300_800, TimeUnit::Second), "+10000-01-01T00:00:00.000000Z");
        assert_eq!(format_timestamp(i64::MAX, TimeUnit::Nanosecond), "2262-04-11T23:47:16.854775Z");
        assert_eq!(format_timestamp(i64::MIN, TimeUnit::Nanosecond), "1677-09-21T00:12:43.145224Z");
        assert_eq!(format_timestamp(i64::MAX, TimeUnit::Microsecond), "+294247-01-10T04:00:54.775807Z");
        assert_eq!(format_timestamp(i64::MIN, TimeUnit::Microsecond), "-290308-12-21T19:59:05.224192Z");
        assert_eq!(format_timestamp(i64::MAX, TimeUnit::Second), "+292277026596-12-04T15:30:07.000000Z");
        assert_eq!(format_timestamp(i64::MIN, TimeUnit::Second), "-292277022657-01-27T08:29:52.000000Z");
        for unit in [TimeUnit::Second, TimeUnit::Millisecond, TimeUnit::Microsecond, TimeUnit::Nanosecond] {
            for v in [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX] {
                let text = format_timestamp(v, unit);
                assert!(!text.contains("range") && text.ends_with('Z'), "{v} {unit:?}: {text}");
            }
        }
        assert_eq!(format_date(-719_529), "-0001-12-31");
        assert_eq!(format_date(i32::MIN), "-5877641-06-23");
        assert_eq!(format_date(i32::MAX), "+5881580-07-11");
    }
}
