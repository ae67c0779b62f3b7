//! Readers, by file extension: streams of record batches in bounded memory ([`open_history`]), and the whole
//! file as one batch ([`read_history`]).
// With some formats switched off, their helpers and imports go unused.
#![cfg_attr(not(all(feature = "csv", feature = "parquet", feature = "ipc")), allow(unused_imports, dead_code))]

mod concat;
#[cfg(feature = "csv")]
mod csv;
#[cfg(feature = "ipc")]
mod ipc;
#[cfg(feature = "parquet")]
mod parquet;
#[cfg(feature = "csv")]
mod quotes;

use std::path::Path;

use arrow_array::RecordBatch;
use arrow_schema::{Schema, SchemaRef};

use super::whatsapp::{DateOrder, SummaryHandle, WhatsAppOptions, WhatsAppStream};
use crate::error::{Error, Result};

/// The default of [`ReadOptions::max_field_lines`].
pub const DEFAULT_MAX_FIELD_LINES: u64 = 10_000;

/// The default of [`ReadOptions::max_field_bytes`].
pub const DEFAULT_MAX_FIELD_BYTES: u64 = 16 << 20;

/// A history file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// CSV with a header; the timestamp column in RFC 3339 / ISO 8601 (a time without an offset is a
    /// wall-clock time in `ReadOptions::tz`, UTC by default).
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
    /// The zone of wall-clock (naive) times (default UTC): a WhatsApp export's times; a CSV timestamp written
    /// without an offset (`2024-03-01 08:00:00`; one with an offset or `Z` is absolute and kept as it is); a
    /// Parquet or IPC timestamp column with no zone in its Arrow type (one with a zone is absolute and kept).
    /// Wall-clock times are converted with [`crate::time::local_to_utc`] (gaps and folds as Python's zoneinfo
    /// with fold=0) and the column comes back labelled `UTC`. An unknown zone is an error when the file is
    /// opened.
    pub tz: String,
    /// WhatsApp exports: the date order, or `None` to infer it.
    pub date_order: Option<DateOrder>,
    /// WhatsApp exports: normalize lines as the existing pipeline does (see
    /// [`super::whatsapp::normalize_line`]), for its texts and authors.
    pub normalize: bool,
    /// WhatsApp exports: accept a file where most lines go unused (see
    /// [`super::whatsapp::WhatsAppOptions::allow_unused_lines`]).
    pub allow_unused_lines: bool,
    /// The columns to read, in this order, or `None` for all of them in the file's order.
    pub columns: Option<Vec<String>>,
    /// The most rows in one batch of a stream (default 65 536; a Parquet batch never spans two row groups,
    /// so batches can be shorter).
    pub batch_size: usize,
    /// CSV: the most lines one quoted field may span ([`DEFAULT_MAX_FIELD_LINES`]). A quote that is never closed makes
    /// the rest of the file one field; this bounds how far such a field runs before it is an error naming
    /// the line where it opened (a file that ends inside quotes is always one).
    pub max_field_lines: u64,
    /// CSV: the most bytes one field may hold ([`DEFAULT_MAX_FIELD_BYTES`], 16 MiB), likewise.
    pub max_field_bytes: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            ts_column: "ts".into(),
            tz: "UTC".into(),
            date_order: None,
            normalize: false,
            allow_unused_lines: false,
            columns: None,
            batch_size: 65_536,
            max_field_lines: DEFAULT_MAX_FIELD_LINES,
            max_field_bytes: DEFAULT_MAX_FIELD_BYTES,
        }
    }
}

/// A stream of record batches from a history file, in file order, made by [`open_history`]. Memory stays
/// bounded by a few batches (Parquet: a couple of row groups at most), whatever the file's size. The stream
/// ends after its first error.
pub struct HistoryReader {
    schema: SchemaRef,
    batches: Box<dyn Iterator<Item = Result<RecordBatch>> + Send>,
    rows: u64,
    /// The most rows handed out at once; a longer batch is sliced (zero-copy).
    batch_size: usize,
    /// What is left of a batch longer than `batch_size`.
    pending: Option<RecordBatch>,
    /// A WhatsApp export's counts.
    whatsapp: Option<SummaryHandle>,
    /// The file, for errors.
    name: String,
}

impl std::fmt::Debug for HistoryReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryReader").field("schema", &self.schema).field("rows", &self.rows).finish_non_exhaustive()
    }
}

impl HistoryReader {
    pub(crate) fn new(
        schema: SchemaRef,
        batch_size: usize,
        batches: Box<dyn Iterator<Item = Result<RecordBatch>> + Send>,
    ) -> Self {
        HistoryReader {
            schema,
            batches,
            rows: 0,
            batch_size: batch_size.max(1),
            pending: None,
            whatsapp: None,
            name: String::new(),
        }
    }

    /// The schema of every batch (after projection).
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// For a WhatsApp export, a handle on its parse's counts (lines, system notices, lines unused...),
    /// readable after the reader is handed on; None for other formats.
    pub fn whatsapp_summary(&self) -> Option<SummaryHandle> {
        self.whatsapp.clone()
    }

    /// The rest of the stream in one batch, as [`read_history`] gives it (`LargeUtf8` past 2 GiB).
    ///
    /// # Errors
    /// Every error of the stream; [`Error::LimitExceeded`] naming a column that cannot be concatenated
    /// within Arrow's offset limits.
    pub fn read_all(self) -> Result<RecordBatch> {
        let schema = self.schema();
        let batches = self.collect::<Result<Vec<_>>>()?;
        concat::concat_batches(&schema, &batches, concat::UTF8_LIMIT)
    }

    /// The file read (as given to [`open_history`]), for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many rows the batches handed out so far hold.
    pub fn rows_read(&self) -> u64 {
        self.rows
    }
}

impl Iterator for HistoryReader {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = match self.pending.take() {
            Some(b) => b,
            None => match guarded(&self.name, || self.batches.next()) {
                Ok(Some(Ok(b))) => b,
                Ok(Some(Err(e))) => {
                    // A reader that failed may fail again at every call (arrow-csv rereads its input): the
                    // stream ends at its first error.
                    self.batches = Box::new(std::iter::empty());
                    return Some(Err(e));
                }
                Ok(None) => return None,
                Err(e) => {
                    // A decoder that panicked is in no state to go on: the stream ends after this error.
                    self.batches = Box::new(std::iter::empty());
                    return Some(Err(e));
                }
            },
        };
        let batch = if batch.num_rows() > self.batch_size {
            self.pending = Some(batch.slice(self.batch_size, batch.num_rows() - self.batch_size));
            batch.slice(0, self.batch_size)
        } else {
            batch
        };
        self.rows += batch.num_rows() as u64;
        Some(Ok(batch))
    }
}

/// Opens `path` as a stream of record batches (at most `opts.batch_size` rows each), its format told by the
/// extension, projected to `opts.columns`. Nothing is read whole: Parquet row groups are decoded on two
/// threads and handed back in file order, IPC files and streams batch by batch, CSV with arrow's batched
/// reader. WhatsApp exports give the columns `ts`, `author`, `text`, `line`.
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened or its start decoded; [`Error::InvalidParameter`] for an
/// unknown extension, a batch size of 0, a projected column the file lacks (naming it and listing the ones
/// it has) or a missing CSV timestamp column; [`Error::Parse`] naming the line of a WhatsApp export that
/// cannot be read. Errors later in the file come from the stream's items ([`Error::Parse`] with the file
/// line for CSV values).
///
/// # Example
/// ```
/// # let dir = std::env::temp_dir().join(format!("streamliner-doc-open-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("history.csv");
/// std::fs::write(&path, "ts,author,text\n2024-03-01T08:00:00Z,Ana,hi\n2024-03-01T08:01:00Z,Bob,hello\n")?;
/// let opts = streamliner::io::ReadOptions {
///     columns: Some(vec!["text".into(), "ts".into()]),
///     batch_size: 1,
///     ..Default::default()
/// };
/// let mut reader = streamliner::io::open_history(&path, &opts)?;
/// assert_eq!(reader.schema().field(0).name(), "text");
/// let batches = reader.by_ref().collect::<streamliner::Result<Vec<_>>>()?;
/// assert_eq!((batches.len(), reader.rows_read()), (2, 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open_history(path: &Path, opts: &ReadOptions) -> Result<HistoryReader> {
    if opts.batch_size == 0 {
        return Err(Error::invalid("batch size", 0, "must be at least 1"));
    }
    let format = InputFormat::from_path(path)?;
    if !is_utc(&opts.tz) {
        jiff::tz::TimeZone::get(&opts.tz).map_err(|e| Error::invalid("time zone", &opts.tz, e.to_string()))?;
    }
    let name = path.display().to_string();
    let mut reader = guarded(&name, || open_format(format, path, opts))??;
    reader.name = name;
    Ok(reader)
}

/// Runs `f`, turning a panic (of a decoder in another crate, on a damaged file: arrow's IPC reader slices
/// buffers by lengths read from the file) into an error naming the file.
fn guarded<T>(name: &str, f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Error::io(name, format!("the file is damaged or not what its extension says (its decoder failed: {what})"))
    })
}

fn open_format(format: InputFormat, path: &Path, opts: &ReadOptions) -> Result<HistoryReader> {
    match format {
        InputFormat::Csv => open_csv(path, opts),
        InputFormat::Parquet => open_parquet(path, opts).and_then(|r| naive_to_utc(r, path, opts)),
        InputFormat::Ipc => open_ipc(path, opts).and_then(|r| naive_to_utc(r, path, opts)),
        InputFormat::WhatsApp => {
            // Parsed line by line: a batch of messages at a time.
            let wa = WhatsAppOptions {
                tz: opts.tz.clone(),
                date_order: opts.date_order,
                normalize: opts.normalize,
                allow_unused_lines: opts.allow_unused_lines,
                ..WhatsAppOptions::default()
            };
            let full = super::chat::schema();
            let name = path.display().to_string();
            let indices = projection(&name, &full, opts.columns.as_deref())?;
            let names: Vec<&str> = indices.iter().map(|&i| super::chat::COLUMNS[i]).collect();
            let stream = WhatsAppStream::open(path, &wa)?.with_batch_size(opts.batch_size).with_columns(&names)?;
            let summary = stream.summary_handle();
            let schema = stream.schema();
            let mut reader = HistoryReader::new(schema, opts.batch_size, Box::new(stream));
            reader.whatsapp = Some(summary);
            Ok(reader)
        }
    }
}

/// Whether `tz` names UTC, in which wall-clock times need no conversion.
pub(crate) fn is_utc(tz: &str) -> bool {
    tz.eq_ignore_ascii_case("UTC")
}

/// The reader, with a naive timestamp column (no zone in its Arrow type) read as wall-clock times in
/// `opts.tz` and converted to UTC by [`crate::time::local_to_utc`] on the CPU, labelled `UTC`. A column with
/// a zone, a zone of UTC, or a reader without the column are handed back as they are.
fn naive_to_utc(mut reader: HistoryReader, path: &Path, opts: &ReadOptions) -> Result<HistoryReader> {
    use arrow_schema::{DataType, Field};
    reader.name = path.display().to_string();
    let schema = reader.schema();
    let Some((i, field)) = schema.column_with_name(&opts.ts_column) else { return Ok(reader) };
    let DataType::Timestamp(unit, None) = field.data_type() else { return Ok(reader) };
    if is_utc(&opts.tz) {
        return Ok(reader);
    }
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields[i] = Field::new(field.name(), DataType::Timestamp(*unit, Some("UTC".into())), field.is_nullable());
    let out: SchemaRef = std::sync::Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    let (engine, zone, name, batch_size) =
        (crate::Engine::new(crate::Backend::Cpu)?, opts.tz.clone(), path.display().to_string(), reader.batch_size);
    let schema_out = out.clone();
    let batches = reader.map(move |b| {
        let b = b?;
        let mut columns = b.columns().to_vec();
        columns[i] = crate::time::local_to_utc(&engine, columns[i].as_ref(), &zone).map_err(|e| {
            Error::io(&name, format!("column {:?} (wall-clock times in {zone}): {e}", schema_out.field(i).name()))
        })?;
        RecordBatch::try_new(schema_out.clone(), columns).map_err(|e| Error::io(&name, e))
    });
    Ok(HistoryReader::new(out, batch_size, Box::new(batches)))
}

/// Reads a whole history from `path` into one batch: [`open_history`]'s stream, concatenated. A string
/// column whose text passes 2 GiB (`i32::MAX` bytes) comes back as `LargeUtf8` (64-bit offsets).
///
/// # Errors
/// As [`open_history`], and every error of the stream; [`Error::LimitExceeded`] naming a column that cannot
/// be concatenated within Arrow's offset limits.
pub fn read_history(path: &Path, opts: &ReadOptions) -> Result<RecordBatch> {
    open_history(path, opts)?.read_all()
}

/// Refuses a file whose columns are not all named differently (a reader asked for `ts` would take the first
/// of two silently), naming the first name that repeats.
pub(crate) fn unique_columns(file: &str, schema: &Schema) -> Result<()> {
    let mut seen = std::collections::HashMap::with_capacity(schema.fields().len());
    for (i, field) in schema.fields().iter().enumerate() {
        if let Some(first) = seen.insert(field.name().as_str(), i) {
            return Err(Error::invalid(
                "column",
                field.name(),
                format!(
                    "{file} has two columns of this name (columns {} and {}, counted from 1): column names must be \
                     unique, so rename one",
                    first + 1,
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

/// A text file's encoding when it is UTF-16 or UTF-32, which readers of UTF-8 would only call invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WideEncoding {
    /// Its name, e.g. "UTF-16LE".
    pub name: &'static str,
    /// What shows it.
    pub evidence: &'static str,
    /// The name `iconv -f` takes to convert it (the byte order mark's own family, which drops the mark).
    pub iconv: &'static str,
}

/// The encoding of a text file that starts with `head`, when it is UTF-16 or UTF-32: by a byte order mark,
/// or by UTF-16 text's NUL bytes around ASCII characters.
pub(crate) fn wide_encoding(head: &[u8]) -> Option<WideEncoding> {
    let bom = |name, family| WideEncoding { name, evidence: "it starts with a byte order mark", iconv: family };
    match head {
        [0xFF, 0xFE, 0, 0, ..] => Some(bom("UTF-32LE", "UTF-32")),
        [0, 0, 0xFE, 0xFF, ..] => Some(bom("UTF-32BE", "UTF-32")),
        [0xFF, 0xFE, ..] => Some(bom("UTF-16LE", "UTF-16")),
        [0xFE, 0xFF, ..] => Some(bom("UTF-16BE", "UTF-16")),
        [a, 0, b, 0, ..] if a.is_ascii() && b.is_ascii() && *a != 0 && *b != 0 => Some(WideEncoding {
            name: "UTF-16LE",
            evidence: "its first characters are ASCII, each followed by a NUL byte",
            iconv: "UTF-16LE",
        }),
        [0, a, 0, b, ..] if a.is_ascii() && b.is_ascii() && *a != 0 && *b != 0 => Some(WideEncoding {
            name: "UTF-16BE",
            evidence: "its first characters are ASCII, each after a NUL byte",
            iconv: "UTF-16BE",
        }),
        _ => None,
    }
}

/// The indices of `columns` in `schema`, in the order asked for (all of them for `None`). A schema with two
/// columns of one name is refused ([`unique_columns`]).
pub(crate) fn projection(file: &str, schema: &Schema, columns: Option<&[String]>) -> Result<Vec<usize>> {
    unique_columns(file, schema)?;
    let Some(columns) = columns else { return Ok((0..schema.fields().len()).collect()) };
    if columns.is_empty() {
        return Err(Error::invalid("columns", "[]", "name at least one column, or None for all"));
    }
    let mut indices = Vec::with_capacity(columns.len());
    for name in columns {
        let Some(i) = schema.fields().iter().position(|f| f.name() == name) else {
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            return Err(Error::invalid(
                "column",
                name,
                format!("{file} has no such column; its columns are: {}", names.join(", ")),
            ));
        };
        if indices.contains(&i) {
            return Err(Error::invalid("column", name, "is asked for twice"));
        }
        indices.push(i);
    }
    Ok(indices)
}

#[cfg(feature = "csv")]
fn open_csv(path: &Path, opts: &ReadOptions) -> Result<HistoryReader> {
    csv::open(path, opts)
}

#[cfg(not(feature = "csv"))]
fn open_csv(path: &Path, _: &ReadOptions) -> Result<HistoryReader> {
    Err(Error::io(path.display(), "reading CSV needs the `csv` feature"))
}

#[cfg(feature = "parquet")]
fn open_parquet(path: &Path, opts: &ReadOptions) -> Result<HistoryReader> {
    parquet::open(path, opts)
}

#[cfg(not(feature = "parquet"))]
fn open_parquet(path: &Path, _: &ReadOptions) -> Result<HistoryReader> {
    Err(Error::io(path.display(), "reading Parquet needs the `parquet` feature"))
}

#[cfg(feature = "ipc")]
fn open_ipc(path: &Path, opts: &ReadOptions) -> Result<HistoryReader> {
    ipc::open(path, opts)
}

#[cfg(not(feature = "ipc"))]
fn open_ipc(path: &Path, _: &ReadOptions) -> Result<HistoryReader> {
    Err(Error::io(path.display(), "reading Arrow IPC needs the `ipc` feature"))
}
