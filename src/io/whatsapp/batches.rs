//! Messages as Arrow batches in the chat message schema ([`crate::io::chat`]), built column by column
//! from the parsed blocks, and the stream that hands them out.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{LargeStringBuilder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch, TimestampMicrosecondArray, UInt64Array};
use arrow_schema::SchemaRef;
use rayon::prelude::*;

use super::DateOrder;
use super::parse::Messages;
use super::parse::{author_of, text_of};
use super::reader::{Cutting, Reader, Rows};
use super::{ChatMessage, ChatSummary, WhatsAppOptions};
use crate::engine::{Backend, Engine};
use crate::error::{Error, Result};
use crate::io::chat;

/// Rows of a [`WhatsAppStream`] batch by default.
pub const DEFAULT_BATCH_ROWS: usize = 65_536;
/// Bytes of text (and authors) after which a [`WhatsAppStream`] batch is cut by default: 1 GiB, half of
/// what 32-bit Arrow offsets can address.
pub const DEFAULT_BATCH_BYTES: usize = 1 << 30;

/// The zone of an export's wall-clock times, and how they become UTC.
pub(super) struct Zone {
    name: String,
    /// None for UTC, where wall-clock times are UTC already.
    engine: Option<Engine>,
}

impl Zone {
    pub(super) fn new(name: &str) -> Result<Zone> {
        jiff::tz::TimeZone::get(name).map_err(|e| Error::invalid("time zone", name, e.to_string()))?;
        let utc = name.eq_ignore_ascii_case("UTC");
        Ok(Zone { name: name.to_string(), engine: if utc { None } else { Some(Engine::new(Backend::Cpu)?) } })
    }

    /// UTC times of wall-clock times, as gaps and folds take them in Python's zoneinfo with fold=0.
    fn to_utc(&self, local: Vec<i64>) -> Result<ArrayRef> {
        match &self.engine {
            None => Ok(Arc::new(TimestampMicrosecondArray::from(local).with_timezone("UTC"))),
            Some(e) => crate::kernels::time::local_to_utc(e, &TimestampMicrosecondArray::from(local), &self.name),
        }
    }
}

/// A string column being built: `Utf8`, or `LargeUtf8` when its bytes pass `i32::MAX` (known before the
/// first row); values are appended as `&str`, so the array needs no UTF-8 validation.
enum StrCol {
    Off,
    Small(StringBuilder),
    Large(LargeStringBuilder),
}

impl StrCol {
    fn new(on: bool, rows: usize, bytes: usize) -> Self {
        match (on, bytes > i32::MAX as usize) {
            (false, _) => StrCol::Off,
            (true, false) => StrCol::Small(StringBuilder::with_capacity(rows, bytes)),
            (true, true) => StrCol::Large(LargeStringBuilder::with_capacity(rows, bytes)),
        }
    }

    fn push(&mut self, s: &str) {
        match self {
            StrCol::Off => {}
            StrCol::Small(b) => b.append_value(s),
            StrCol::Large(b) => b.append_value(s),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            StrCol::Small(b) => Arc::new(b.finish()),
            StrCol::Large(b) => Arc::new(b.finish()),
            StrCol::Off => Arc::new(StringBuilder::new().finish()),
        }
    }
}

/// Which columns of the chat schema a batch holds, in the batch's order.
#[derive(Clone, Debug)]
pub(super) struct Projection {
    pub indices: Vec<usize>,
}

impl Projection {
    pub(super) fn all() -> Self {
        Projection { indices: (0..chat::COLUMNS.len()).collect() }
    }

    fn wants(&self, column: &str) -> bool {
        self.indices.iter().any(|&i| chat::COLUMNS[i] == column)
    }

    pub(super) fn schema(&self) -> SchemaRef {
        let full = chat::schema();
        Arc::new(full.project(&self.indices).unwrap_or_else(|_| full.as_ref().clone()))
    }
}

/// The rows of a batch, found but not yet written: row ranges of blocks and the bytes each column needs.
pub(super) struct Plan {
    parts: Vec<(Arc<Messages>, DateOrder, usize, usize)>,
    rows: usize,
    author_bytes: usize,
    text_bytes: usize,
    original_bytes: usize,
}

/// The rows of the next batch: at most `max_rows`, cut before the text and author bytes pass `max_bytes`
/// (a single larger message is a batch of its own); None at the end. The cursor moves past them.
pub(super) fn plan_batch(rows: &mut Rows<'_>, max_rows: usize, max_bytes: usize) -> Result<Option<Plan>> {
    let max_rows = max_rows.max(1);
    let mut plan = Plan { parts: Vec::new(), rows: 0, author_bytes: 0, text_bytes: 0, original_bytes: 0 };
    'rows: while plan.rows < max_rows {
        while rows.queue.front().is_none_or(|(m, _)| rows.front_row >= m.len()) {
            if rows.queue.pop_front().is_some() {
                rows.front_row = 0;
                continue;
            }
            if !rows.pull()? {
                break 'rows;
            }
        }
        let Some((m, order)) = rows.queue.front() else { break };
        let (start, mut row) = (rows.front_row, rows.front_row);
        let mut full = false;
        while row < m.len() && plan.rows < max_rows {
            let o = m.original(row);
            let (a, t) = (author_of(o, m.author_len[row]).len(), text_of(o, m.author_len[row]).len());
            if plan.rows > 0 && (plan.author_bytes + plan.text_bytes).saturating_add(a + t) > max_bytes {
                full = true;
                break;
            }
            plan.author_bytes += a;
            plan.text_bytes += t;
            plan.original_bytes += o.len();
            plan.rows += 1;
            row += 1;
        }
        if row > start {
            plan.parts.push((Arc::clone(m), *order, start, row));
        }
        rows.front_row = row;
        if full {
            break;
        }
    }
    Ok((plan.rows > 0).then_some(plan))
}

/// Writes a planned batch: each column into a buffer of its final size.
pub(super) fn build_batch(plan: &Plan, zone: &Zone, projection: &Projection) -> Result<RecordBatch> {
    let n = plan.rows;
    let want = |c| projection.wants(c);
    let (want_author, want_text) = (want(chat::AUTHOR), want(chat::TEXT));
    let mut author = StrCol::new(want_author, n, plan.author_bytes);
    let mut text = StrCol::new(want_text, n, plan.text_bytes);
    let mut original = StrCol::new(want(chat::ORIGINAL_LINE), n, plan.original_bytes);
    let (mut local, mut lines) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for (m, order, from, to) in &plan.parts {
        for i in *from..*to {
            let micros = m.stamps[i].local_micros(*order).ok_or_else(|| Error::Parse {
                path: String::new(),
                line: m.lines[i],
                message: format!("not a valid date and time in date order {order:?}"),
            })?;
            local.push(micros);
            lines.push(m.lines[i]);
            let o = m.original(i);
            if want_author {
                author.push(author_of(o, m.author_len[i]));
            }
            if want_text {
                text.push(text_of(o, m.author_len[i]));
            }
            original.push(o);
        }
    }
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(projection.indices.len());
    let mut local = Some(local);
    for &i in &projection.indices {
        columns.push(match chat::COLUMNS[i] {
            chat::TS => zone.to_utc(local.clone().unwrap_or_default())?,
            chat::AUTHOR => author.finish(),
            chat::TEXT => text.finish(),
            chat::LINE => Arc::new(UInt64Array::from(lines.clone())),
            chat::LOCAL_TIME => Arc::new(TimestampMicrosecondArray::from(local.take().unwrap_or_default())),
            _ => original.finish(),
        });
    }
    RecordBatch::try_new_with_options(
        projection.schema_for(&columns),
        columns,
        &arrow_array::RecordBatchOptions::new().with_row_count(Some(n)),
    )
    .map_err(|e| Error::invalid("chat batch", n, e.to_string()))
}

/// The next batches (up to `count`), planned in order and written at once on rayon's pool.
pub(super) fn next_batches(
    rows: &mut Rows<'_>,
    zone: &Zone,
    count: usize,
    max_rows: usize,
    max_bytes: usize,
    projection: &Projection,
) -> Result<Vec<RecordBatch>> {
    let mut plans = Vec::with_capacity(count);
    while plans.len() < count.max(1) {
        match plan_batch(rows, max_rows, max_bytes)? {
            Some(p) => plans.push(p),
            None => break,
        }
    }
    if plans.len() == 1 {
        return Ok(vec![build_batch(&plans[0], zone, projection)?]);
    }
    plans.par_iter().map(|p| build_batch(p, zone, projection)).collect()
}

impl Projection {
    /// The schema of a batch of these columns, string columns as built (`Utf8` or `LargeUtf8`).
    fn schema_for(&self, columns: &[ArrayRef]) -> SchemaRef {
        let full = chat::schema();
        let fields: Vec<arrow_schema::Field> = self
            .indices
            .iter()
            .zip(columns)
            .map(|(&i, c)| full.field(i).clone().with_data_type(c.data_type().clone()))
            .collect();
        Arc::new(arrow_schema::Schema::new(fields))
    }
}

/// The messages of a batch in the full chat schema, as structs.
pub(super) fn messages_of(batch: &RecordBatch) -> Result<Vec<ChatMessage>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{TimestampMicrosecondType, UInt64Type};
    let col =
        |name: &str| batch.column_by_name(name).ok_or_else(|| Error::invalid("chat batch", name, "no such column"));
    let strings = |name: &str| -> Result<Vec<String>> {
        let c = col(name)?;
        Ok(match c.data_type() {
            arrow_schema::DataType::LargeUtf8 => {
                c.as_string::<i64>().iter().map(|s| s.unwrap_or("").to_string()).collect()
            }
            _ => c.as_string::<i32>().iter().map(|s| s.unwrap_or("").to_string()).collect(),
        })
    };
    let ts = col(chat::TS)?.as_primitive::<TimestampMicrosecondType>().values().to_vec();
    let local = col(chat::LOCAL_TIME)?.as_primitive::<TimestampMicrosecondType>().values().to_vec();
    let line = col(chat::LINE)?.as_primitive::<UInt64Type>().values().to_vec();
    let (author, text, original) = (strings(chat::AUTHOR)?, strings(chat::TEXT)?, strings(chat::ORIGINAL_LINE)?);
    let mut out = Vec::with_capacity(batch.num_rows());
    for (k, ((author, text), original_line)) in author.into_iter().zip(text).zip(original).enumerate() {
        let local = super::grammar::datetime_of_micros(local[k])
            .ok_or_else(|| Error::invalid("local time", local[k], "out of range"))?;
        out.push(ChatMessage { line: line[k], local, ts_micros: ts[k], author, text, original_line });
    }
    Ok(out)
}

/// An error of a batch's build (which knows lines, not the file) with the file's name.
fn with_path(e: Error, source: &str) -> Error {
    match e {
        Error::Parse { path, line, message } if path.is_empty() => {
            Error::Parse { path: source.to_string(), line, message }
        }
        e => e,
    }
}

/// A shared view of a [`WhatsAppStream`]'s counts (see [`WhatsAppStream::summary_handle`]).
#[derive(Clone, Debug)]
pub struct SummaryHandle(Arc<std::sync::Mutex<ChatSummary>>);

impl SummaryHandle {
    /// The counts as of the last batch or chunk the stream handed out.
    pub fn get(&self) -> ChatSummary {
        match self.0.lock() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// A WhatsApp export (a `.txt` file, or the export inside a `.zip`, decompressed as it is read), handed out
/// as Arrow batches in the chat message schema ([`crate::io::chat`]: `ts`, `author`, `text`, `line`,
/// `local_time`, `original_line`). The file is read once: cut into chunks of whole lines, parsed on every
/// core, stitched in order. Memory holds the chunks in flight and one batch, whatever the size of the file
/// (and, while the headers have not settled the date order, up to 64 MiB of messages).
///
/// # Example
/// ```
/// use arrow_array::cast::AsArray;
/// use streamliner::io::whatsapp::{WhatsAppOptions, WhatsAppStream};
/// let path = std::env::temp_dir().join("streamliner_doc_stream.txt");
/// std::fs::write(&path, "31/12/2023, 21:41 - Alice: hi\nthere\n01/01/2024, 00:00 - Bob: 🎉\n")?;
/// let mut stream = WhatsAppStream::open(&path, &WhatsAppOptions::default())?.with_batch_size(1);
/// let first = stream.next().unwrap()?;
/// assert_eq!(first.column_by_name("text").unwrap().as_string::<i32>().value(0), "hi\nthere");
/// let rest = stream.next().unwrap()?;
/// assert_eq!(rest.column_by_name("author").unwrap().as_string::<i32>().value(0), "Bob");
/// assert!(stream.next().is_none());
/// assert_eq!(stream.summary().lines, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct WhatsAppStream {
    rows: Rows<'static>,
    zone: Zone,
    source: String,
    group: String,
    shared: SummaryHandle,
    batch_rows: usize,
    batch_bytes: usize,
    projection: Projection,
    /// Batches written ahead (several at once), handed out in order.
    ready: std::collections::VecDeque<RecordBatch>,
}

impl std::fmt::Debug for WhatsAppStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppStream")
            .field("source", &self.source)
            .field("summary", self.rows.reader.summary())
            .field("batch_rows", &self.batch_rows)
            .finish_non_exhaustive()
    }
}

impl WhatsAppStream {
    /// Opens an export: a `.txt` file, or a `.zip` holding one. The member of a zip: among the members
    /// ending in `.txt` outside folders starting with `__`, those with a name WhatsApp gives (`_chat.txt`,
    /// or a name holding "WhatsApp": `WhatsApp Chat with NAME.txt` and the other locales' names) first;
    /// when there is none, those whose first lines start messages; among them the pipeline's score
    /// ([`super::chat_member`]) decides. [`ChatSummary::member`] names it.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown time zone; [`Error::Io`] when the file cannot be read,
    /// the zip holds no candidate `.txt`, or the member's declared size passes the limits
    /// ([`WhatsAppOptions::max_member_bytes`], [`WhatsAppOptions::max_zip_ratio`]).
    pub fn open(path: &Path, opts: &WhatsAppOptions) -> Result<Self> {
        Self::open_with(path, opts, Cutting::default())
    }

    pub(super) fn open_with(path: &Path, opts: &WhatsAppOptions, cut: Cutting) -> Result<Self> {
        let zone = Zone::new(&opts.tz)?;
        let name = path.display().to_string();
        let is_zip = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip"));
        let (input, source, group, member): (Box<dyn std::io::Read + Send>, _, _, _) = if is_zip {
            let limits = super::zip::ZipLimits { max_bytes: opts.max_member_bytes, max_ratio: opts.max_zip_ratio };
            let (reader, member) = super::zip::zip_member(path, limits)?;
            let group = super::zip::group_from_file_name(&member);
            (reader, format!("{name}:{member}"), group, Some(member))
        } else {
            let file = std::fs::File::open(path).map_err(|e| Error::io(&name, e))?;
            let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (Box::new(file), name, super::zip::group_from_file_name(&file_name), None)
        };
        let mut rows = Rows::new(Reader::new(input, &source, opts, cut));
        rows.reader.summary_mut().member = member;
        let shared = SummaryHandle(Arc::new(std::sync::Mutex::new(rows.reader.summary().clone())));
        Ok(WhatsAppStream {
            rows,
            zone,
            source,
            group,
            shared,
            batch_rows: DEFAULT_BATCH_ROWS,
            batch_bytes: DEFAULT_BATCH_BYTES,
            projection: Projection::all(),
            ready: std::collections::VecDeque::new(),
        })
    }

    /// The group's name as the existing pipeline takes it: from the chat file's name (inside the zip for
    /// a `.zip`): the group of `WhatsApp Chat with GROUP.txt`, else the file's stem.
    pub fn group_name(&self) -> &str {
        &self.group
    }

    /// A handle on this stream's [`ChatSummary`] that stays readable after the stream is handed on (to
    /// a reader or a window stream): it holds the counts as of the last batch the stream handed out.
    pub fn summary_handle(&self) -> SummaryHandle {
        self.shared.clone()
    }

    /// Counts so far: lines read, messages handed out, system notices, empty messages dropped, and the
    /// date order in use.
    pub fn summary(&self) -> ChatSummary {
        self.rows.reader.summary().clone()
    }

    fn publish(&self) {
        if let Ok(mut s) = self.shared.0.lock() {
            s.clone_from(self.rows.reader.summary());
        }
    }

    /// Rows per batch (default 65,536; at least 1).
    pub fn with_batch_size(mut self, rows: usize) -> Self {
        self.batch_rows = rows.max(1);
        self
    }

    /// Bytes of text and authors after which a new batch starts (default 1 GiB; a single larger message
    /// is a batch of its own, with `LargeUtf8` columns past `i32::MAX` bytes).
    pub fn with_batch_bytes(mut self, bytes: usize) -> Self {
        self.batch_bytes = bytes.max(1);
        self
    }

    /// Only these columns of the chat schema, in this order (the others are never built).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a name that is not a column of [`crate::io::chat::schema`].
    pub fn with_columns(mut self, names: &[&str]) -> Result<Self> {
        let mut indices = Vec::with_capacity(names.len());
        for name in names {
            let i = chat::COLUMNS.iter().position(|c| c == name).ok_or_else(|| {
                Error::invalid("column", name, format!("not a chat column: {}", chat::COLUMNS.join(", ")))
            })?;
            indices.push(i);
        }
        self.projection = Projection { indices };
        Ok(self)
    }

    /// The schema of the batches (string columns as `Utf8`).
    pub fn schema(&self) -> SchemaRef {
        self.projection.schema()
    }

    /// The next batch: from those written ahead, else `ahead` more written at once.
    fn next_batch_of(&mut self, rows: usize, projection: &Projection, ahead: usize) -> Result<Option<RecordBatch>> {
        if self.ready.is_empty() {
            let built = next_batches(&mut self.rows, &self.zone, ahead, rows, self.batch_bytes, projection)
                .map_err(|e| with_path(e, &self.source));
            match built {
                Ok(b) => self.ready.extend(b),
                Err(e) => {
                    self.publish();
                    return Err(e);
                }
            }
        }
        let got = self.ready.pop_front();
        if let Some(b) = &got {
            self.rows.reader.summary_mut().messages += b.num_rows() as u64;
        }
        self.publish();
        Ok(got)
    }

    /// Up to `max` messages (at least one) in file order, as structs (one heap object per message: for
    /// small exports and tests; the batches are the columnar path); None when the export is exhausted.
    ///
    /// # Errors
    /// [`Error::Parse`] naming the line of a timestamp that is not a valid date or time, or of a line
    /// that is not UTF-8 or longer than [`WhatsAppOptions::max_line_bytes`], or the first line of a message
    /// longer than [`WhatsAppOptions::max_message_bytes`]; at the end of the file, [`Error::Parse`] quoting
    /// the first line when no line started a message, or when most lines went unused
    /// ([`ChatSummary::unused_lines`]) unless [`WhatsAppOptions::allow_unused_lines`]; [`Error::Io`] when
    /// reading fails (a zip member past its limits included). After an error the stream is exhausted.
    pub fn next_messages(&mut self, max: usize) -> Result<Option<Vec<ChatMessage>>> {
        if let Some(b) = self.ready.pop_front() {
            let max = max.max(1);
            let head = if b.num_rows() > max {
                self.ready.push_front(b.slice(max, b.num_rows() - max));
                b.slice(0, max)
            } else {
                b
            };
            self.rows.reader.summary_mut().messages += head.num_rows() as u64;
            self.publish();
            return messages_of(&head).map(Some);
        }
        match self.next_batch_of(max.max(1), &Projection::all(), 1)? {
            Some(b) => messages_of(&b).map(Some),
            None => Ok(None),
        }
    }
}

/// Batches of at most `with_batch_size` messages (fewer when their text passes the batch's bytes).
impl Iterator for WhatsAppStream {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        let projection = self.projection.clone();
        let ahead = rayon::current_num_threads().max(1);
        self.next_batch_of(self.batch_rows, &projection, ahead).transpose()
    }
}

/// Every message of an export read from `input`, as structs.
pub(super) fn read_all(
    input: Box<dyn std::io::Read + Send + '_>,
    source: &str,
    opts: &WhatsAppOptions,
    cut: Cutting,
) -> Result<(Vec<ChatMessage>, ChatSummary)> {
    let zone = Zone::new(&opts.tz)?;
    let mut rows = Rows::new(Reader::new(input, source, opts, cut));
    let mut messages = Vec::new();
    let all = Projection::all();
    loop {
        let batches = next_batches(&mut rows, &zone, 1, DEFAULT_BATCH_ROWS, DEFAULT_BATCH_BYTES, &all)
            .map_err(|e| with_path(e, source))?;
        if batches.is_empty() {
            break;
        }
        for b in &batches {
            messages.extend(messages_of(b)?);
        }
    }
    let mut summary = rows.reader.summary().clone();
    summary.messages = messages.len() as u64;
    Ok((messages, summary))
}
