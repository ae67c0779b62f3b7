//! CSV, batch by batch with arrow-csv's reader: the timestamp column parsed (a time without an offset is a
//! wall-clock time in `ReadOptions::tz`, UTC by default), the others read as strings. Because no batch holds more than `batch_size` rows (65 536 by
//! default), a file is never too large to read: the 2 GiB that a `Utf8` column's 32-bit offsets address
//! bounds one batch only (rows of 32 KiB on average at the default size), never the file.

use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, TimeUnit};

use super::quotes::{Checked, Problem, Scanner, line_of_record};
use super::{HistoryReader, ReadOptions, projection};
use crate::error::{Error, Result};

/// The most rows arrow-csv decodes at once: it reserves room for a whole batch up front, so a huge
/// `batch_size` must not reach it (batches stay at most `batch_size` rows either way).
const MAX_BATCH: usize = 1 << 20;

pub(super) fn open(path: &Path, opts: &ReadOptions) -> Result<HistoryReader> {
    let name = path.display().to_string();
    let open = || std::fs::File::open(path).map_err(|e| Error::io(&name, e));
    refuse_utf16(path, open()?)?;
    // Every byte arrow-csv reads passes a quote scanner, which stops the read at a field that does not end.
    let found: Arc<Mutex<Option<Problem>>> = Arc::default();
    let checked = |file| Checked::new(file, Scanner::new(opts.max_field_lines, opts.max_field_bytes), found.clone());
    let format = arrow_csv::reader::Format::default().with_header(true);
    let (inferred, _) = format
        .infer_schema(checked(open()?), Some(1))
        .map_err(|e| problem_error(path, &found).unwrap_or_else(|| Error::io(&name, e)))?;
    super::unique_columns(&name, &inferred)?;
    let ts = opts.ts_column.as_str();
    let wants_ts = opts.columns.as_ref().is_none_or(|c| c.iter().any(|c| c == ts));
    if wants_ts && inferred.field_with_name(ts).is_err() {
        return Err(Error::invalid("ts column", ts, format!("{name} has no such column")));
    }
    // In UTC, timestamps parse with a +00:00 zone (naive times are UTC) and are labelled UTC after. In another
    // zone they are read as text and parsed here, naive ones as wall-clock times in it.
    let zone = (!super::is_utc(&opts.tz)).then(|| opts.tz.clone());
    let parse_type = match zone {
        None => DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
        Some(_) => DataType::Utf8,
    };
    let fields: Vec<Field> = inferred
        .fields()
        .iter()
        .map(|f| Field::new(f.name(), if f.name() == ts { parse_type.clone() } else { DataType::Utf8 }, true))
        .collect();
    let file_schema = Arc::new(Schema::new(fields));
    let indices = projection(&name, &file_schema, opts.columns.as_deref())?;
    let file_schema_names: Vec<String> = file_schema.fields().iter().map(|f| f.name().clone()).collect();
    let out_fields: Vec<Field> = indices
        .iter()
        .map(|&i| {
            let f = file_schema.field(i);
            if f.name() == ts { Field::new(f.name(), utc_type(), true) } else { f.clone() }
        })
        .collect();
    let schema = Arc::new(Schema::new(out_fields));
    let reader = arrow_csv::ReaderBuilder::new(file_schema)
        .with_header(true)
        .with_batch_size(opts.batch_size.min(MAX_BATCH))
        .with_projection(indices)
        .build(checked(open()?))
        .map_err(|e| Error::io(&name, e))?;
    let out = schema.clone();
    let path = path.to_path_buf();
    let names: Vec<String> = file_schema_names;
    let ts_index = out.index_of(ts).ok();
    let engine = zone.as_ref().map(|_| crate::Engine::new(crate::Backend::Cpu)).transpose()?;
    let mut rows_before = 0u64;
    let batches = reader.map(move |b| {
        let b = b.map_err(|e| problem_error(&path, &found).unwrap_or_else(|| error_at_line(&path, &names, e)))?;
        let mut columns = relabel_utc(b.columns());
        if let (Some(zone), Some(engine), Some(i)) = (&zone, &engine, ts_index) {
            columns[i] = zoned_timestamps(engine, &path, columns[i].as_ref(), zone, rows_before)?;
        }
        rows_before += b.num_rows() as u64;
        RecordBatch::try_new(out.clone(), columns).map_err(|e| Error::io(path.display(), e))
    });
    Ok(HistoryReader::new(schema, opts.batch_size, Box::new(batches)))
}

/// Timestamps read as text, parsed: one with an offset (or `Z`) is absolute; one without is a wall-clock time
/// in `zone`, converted with [`crate::time::local_to_utc`]. `rows_before`: data rows before this batch, for the
/// line of an error.
fn zoned_timestamps(
    engine: &crate::Engine,
    path: &Path,
    text: &dyn Array,
    zone: &str,
    rows_before: u64,
) -> Result<ArrayRef> {
    use arrow_array::TimestampMicrosecondArray;
    use arrow_array::cast::AsArray;
    let text = text.as_string::<i32>();
    let (mut values, mut naive) = (vec![0i64; text.len()], vec![false; text.len()]);
    for row in 0..text.len() {
        if text.is_null(row) {
            continue;
        }
        let s = text.value(row).trim();
        let parsed = match s.parse::<jiff::Timestamp>() {
            Ok(t) => Some(t.as_microsecond()),
            Err(_) => s.parse::<jiff::civil::DateTime>().ok().and_then(|dt| {
                naive[row] = true;
                jiff::tz::TimeZone::UTC.to_timestamp(dt).ok().map(|t| t.as_microsecond())
            }),
        };
        let Some(v) = parsed else {
            let record = rows_before + row as u64 + 1;
            let message = format!(
                "cannot parse {:?} as a timestamp (RFC 3339 / ISO 8601, e.g. 2024-03-01T08:00:00Z, or a wall-clock \
                 time in {zone} such as 2024-03-01 08:00:00)",
                crate::error::excerpt(s)
            );
            return Err(match std::fs::File::open(path).ok().and_then(|f| line_of_record(f, record)) {
                Some(line) => Error::parse(path.display(), line, message),
                None => Error::io(path.display(), format!("data row {}: {message}", record)),
            });
        };
        values[row] = v;
    }
    // The wall-clock times, converted together (nulls where a time was absolute or missing).
    let local = TimestampMicrosecondArray::from_iter((0..values.len()).map(|r| naive[r].then_some(values[r])));
    let utc = crate::time::local_to_utc(engine, &local, zone).map_err(|e| Error::io(path.display(), e))?;
    let utc = utc.as_primitive::<arrow_array::types::TimestampMicrosecondType>();
    for (r, v) in values.iter_mut().enumerate() {
        if naive[r] {
            *v = utc.value(r);
        }
    }
    Ok(Arc::new(TimestampMicrosecondArray::new(values.into(), text.nulls().cloned()).with_timezone("UTC")))
}

fn utc_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// The columns, with microsecond timestamps labelled with the zone "UTC".
fn relabel_utc(columns: &[ArrayRef]) -> Vec<ArrayRef> {
    columns
        .iter()
        .map(|c| match c.as_any().downcast_ref::<arrow_array::TimestampMicrosecondArray>() {
            Some(a) => Arc::new(a.clone().with_timezone("UTC")) as ArrayRef,
            None => c.clone(),
        })
        .collect()
}

/// arrow-csv's error, with the 1-based line of the file (the header is line 1) where arrow gives a record
/// number: arrow counts records (0-based for values that do not parse, 1-based for a wrong number of
/// fields or invalid UTF-8), and a quoted field can span lines, so the line is found by scanning the file.
/// Arrow's column index becomes the column's name (`names`: the file's columns).
fn error_at_line(path: &Path, names: &[String], e: ArrowError) -> Error {
    let mut message = e.to_string();
    if let Ok(re) = regex::Regex::new(r"column (\d+)") {
        let named = re.replace(&message, |c: &regex::Captures<'_>| {
            match c[1].parse::<usize>().ok().and_then(|i| names.get(i)) {
                Some(name) => format!("column {name:?}"),
                None => c[0].to_string(),
            }
        });
        message = named.into_owned();
    }
    let found = regex::Regex::new(r"(?: at| for)? line (\d+)").ok().and_then(|re| {
        let caps = re.captures(&message)?;
        let n: u64 = caps.get(1)?.as_str().parse().ok()?;
        let whole = caps.get(0)?;
        Some((n, whole.start(), whole.end()))
    });
    let Some((n, start, end)) = found else { return Error::io(path.display(), message) };
    // A record index from 0 with the header as record 0, whatever arrow's convention.
    let record = if matches!(e, ArrowError::CsvError(_)) { n.saturating_sub(1) } else { n };
    let rest = format!("{}{}", &message[..start], &message[end..]);
    match std::fs::File::open(path).ok().and_then(|f| line_of_record(f, record)) {
        Some(line) => Error::parse(path.display(), line, rest),
        None => Error::io(path.display(), message),
    }
}

/// The problem the quote scanner found, if it stopped the read, as an error naming the line where the field
/// at fault opened.
fn problem_error(path: &Path, found: &Mutex<Option<Problem>>) -> Option<Error> {
    let problem = found.lock().unwrap_or_else(|p| p.into_inner()).take()?;
    Some(Error::parse(path.display(), problem.line, problem.message))
}

/// Refuses a file in UTF-16 or UTF-32 (by its byte order mark, or by the NUL bytes of UTF-16 text without
/// one), which arrow-csv would only call invalid UTF-8.
fn refuse_utf16(path: &Path, mut file: std::fs::File) -> Result<()> {
    let mut head = [0u8; 4];
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path.display(), e)),
        }
    }
    match super::wide_encoding(&head[..n]) {
        Some(wide) => Err(Error::parse(
            path.display(),
            1,
            format!(
                "the file is {} ({}), not UTF-8: convert it first, e.g. with `iconv -f {} -t UTF-8 IN > OUT`, or \
                 save it as UTF-8",
                wide.name, wide.evidence, wide.iconv
            ),
        )),
        None => Ok(()),
    }
}
