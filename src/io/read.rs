//! Readers, by file extension.
// With some formats switched off, their helpers and imports go unused.
#![cfg_attr(not(all(feature = "csv", feature = "parquet", feature = "ipc")), allow(unused_imports, dead_code))]

use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema};

use super::whatsapp::{DateOrder, WhatsAppOptions, read_whatsapp};
use crate::error::{Error, Result};

/// A history file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// CSV with a header; the timestamp column in RFC 3339 / ISO 8601 (UTC when no offset is given).
    Csv,
    /// Apache Parquet.
    Parquet,
    /// Arrow IPC file (or stream).
    Ipc,
    /// A WhatsApp text export, `.txt` or a `.zip` holding one.
    WhatsApp,
}

impl InputFormat {
    /// The format of `path`, by extension: `.csv`, `.parquet`/`.pq`, `.arrow`/`.ipc`/`.feather`/`.arrows`,
    /// `.txt`/`.zip`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for another extension.
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Ok(InputFormat::Csv),
            "parquet" | "pq" => Ok(InputFormat::Parquet),
            "arrow" | "ipc" | "feather" | "arrows" => Ok(InputFormat::Ipc),
            "txt" | "zip" => Ok(InputFormat::WhatsApp),
            _ => Err(Error::invalid(
                "input file",
                path.display(),
                "unknown extension: expected .csv, .parquet, .arrow (Arrow IPC), .txt or .zip (WhatsApp export)",
            )),
        }
    }
}

/// How to read a history.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// The timestamp column (CSV: parsed as a timestamp; the others are read as strings).
    pub ts_column: String,
    /// WhatsApp exports: the zone of their wall-clock times (default UTC).
    pub tz: String,
    /// WhatsApp exports: the date order, or `None` to infer it.
    pub date_order: Option<DateOrder>,
    /// WhatsApp exports: normalize lines as the existing pipeline does (see
    /// [`super::whatsapp::normalize_line`]), for its texts and authors.
    pub normalize: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { ts_column: "ts".into(), tz: "UTC".into(), date_order: None, normalize: false }
    }
}

/// Reads a history from `path`, its format told by the extension. WhatsApp exports give the columns
/// `ts`, `author`, `text`, `line`.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read or decoded; [`Error::Parse`] naming the line of a
/// WhatsApp export that cannot be; [`Error::InvalidParameter`] for an unknown extension or a missing
/// timestamp column.
pub fn read_history(path: &Path, opts: &ReadOptions) -> Result<RecordBatch> {
    match InputFormat::from_path(path)? {
        InputFormat::Csv => read_csv(path, &opts.ts_column),
        InputFormat::Parquet => read_parquet(path),
        InputFormat::Ipc => read_ipc(path),
        InputFormat::WhatsApp => {
            let wa = WhatsAppOptions { tz: opts.tz.clone(), date_order: opts.date_order, normalize: opts.normalize };
            read_whatsapp(path, &wa)?.to_record_batch()
        }
    }
}

fn concat(schema: Arc<Schema>, batches: &[RecordBatch], name: &str) -> Result<RecordBatch> {
    arrow_select::concat::concat_batches(&schema, batches).map_err(|e| Error::io(name, e))
}

#[cfg(feature = "csv")]
fn read_csv(path: &Path, ts_column: &str) -> Result<RecordBatch> {
    let name = path.display().to_string();
    let open = || std::fs::File::open(path).map_err(|e| Error::io(&name, e));
    let format = arrow_csv::reader::Format::default().with_header(true);
    let (inferred, _) = format.infer_schema(open()?, Some(1)).map_err(|e| Error::io(&name, e))?;
    if inferred.field_with_name(ts_column).is_err() {
        return Err(Error::invalid("ts column", ts_column, format!("{name} has no such column")));
    }
    use arrow_schema::{DataType, TimeUnit};
    // Timestamps parse with a +00:00 zone (naive times are UTC) and are labelled UTC after.
    let parse_type = DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into()));
    let field = |f: &Field, ty: DataType| Field::new(f.name(), ty, true);
    let fields: Vec<Field> = inferred
        .fields()
        .iter()
        .map(|f| if f.name() == ts_column { field(f, parse_type.clone()) } else { field(f, DataType::Utf8) })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let reader = arrow_csv::ReaderBuilder::new(schema.clone())
        .with_header(true)
        .build(open()?)
        .map_err(|e| Error::io(&name, e))?;
    let batches: Vec<RecordBatch> = reader.collect::<std::result::Result<_, _>>().map_err(|e| Error::io(&name, e))?;
    let batch = concat(schema, &batches, &name)?;
    relabel_utc(&batch, ts_column)
}

#[cfg(not(feature = "csv"))]
fn read_csv(path: &Path, _ts_column: &str) -> Result<RecordBatch> {
    Err(Error::io(path.display(), "reading CSV needs the `csv` feature"))
}

/// The batch with column `ts` (a microsecond timestamp) labelled with the zone "UTC".
#[cfg(feature = "csv")]
fn relabel_utc(batch: &RecordBatch, ts: &str) -> Result<RecordBatch> {
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (f, c) in batch.schema_ref().fields().iter().zip(batch.columns()) {
        if f.name() == ts {
            let a = c
                .as_any()
                .downcast_ref::<arrow_array::TimestampMicrosecondArray>()
                .ok_or_else(|| Error::invalid("ts column", ts, "was not read as a timestamp"))?;
            let a = a.clone().with_timezone("UTC");
            fields.push(Field::new(f.name(), a.data_type().clone(), f.is_nullable()));
            columns.push(Arc::new(a) as ArrayRef);
        } else {
            fields.push(f.as_ref().clone());
            columns.push(c.clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| Error::invalid("table", ts, e.to_string()))
}

#[cfg(feature = "parquet")]
fn read_parquet(path: &Path) -> Result<RecordBatch> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(&name, e))?;
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| Error::io(&name, e))?;
    let schema = builder.schema().clone();
    let reader = builder.build().map_err(|e| Error::io(&name, e))?;
    let batches: Vec<RecordBatch> = reader.collect::<std::result::Result<_, _>>().map_err(|e| Error::io(&name, e))?;
    concat(schema, &batches, &name)
}

#[cfg(not(feature = "parquet"))]
fn read_parquet(path: &Path) -> Result<RecordBatch> {
    Err(Error::io(path.display(), "reading Parquet needs the `parquet` feature"))
}

#[cfg(feature = "ipc")]
fn read_ipc(path: &Path) -> Result<RecordBatch> {
    let name = path.display().to_string();
    let open = || std::fs::File::open(path).map_err(|e| Error::io(&name, e));
    let (schema, batches): (Arc<Schema>, Vec<RecordBatch>) = match arrow_ipc::reader::FileReader::try_new(open()?, None)
    {
        Ok(r) => {
            let schema = r.schema();
            (schema, r.collect::<std::result::Result<_, _>>().map_err(|e| Error::io(&name, e))?)
        }
        Err(_) => {
            let r = arrow_ipc::reader::StreamReader::try_new(std::io::BufReader::new(open()?), None)
                .map_err(|e| Error::io(&name, e))?;
            let schema = r.schema();
            (schema, r.collect::<std::result::Result<_, _>>().map_err(|e| Error::io(&name, e))?)
        }
    };
    concat(schema, &batches, &name)
}

#[cfg(not(feature = "ipc"))]
fn read_ipc(path: &Path) -> Result<RecordBatch> {
    Err(Error::io(path.display(), "reading Arrow IPC needs the `ipc` feature"))
}
