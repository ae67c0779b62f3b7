//! The message table the existing pipeline expects, built from a parsed WhatsApp export with the ETL
//! kernels: local times to UTC, pseudonyms, lengths, URLs, message ids, then the command and opt-out
//! filters as a mask and a stream compaction.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

use super::{COMMAND_PREFIX, PSEUDONYM_NAMESPACE, PSEUDONYM_PREFIX, ids_column, opt_out_mask};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::io::whatsapp::{Chat, ChatMessage};
use crate::kernels::compact::filter_batch;
use crate::kernels::strings::{LengthUnit, lengths, lengths_on, string_column};
use crate::kernels::text_match::{starts_with_on, urls_on};
use crate::kernels::time::local_to_utc;
use crate::kernels::uuid5::uuid5_with_limit;
use crate::text::Text;

/// How to build the message table.
#[derive(Clone, Debug)]
pub struct MessageTableOptions {
    /// The group's name; its slug is `tenant_id` and `thread_id`.
    pub group: String,
    /// IANA zone of the export's wall-clock times.
    pub tz: String,
    /// Opted-out authors, as UUID bytes (see [`opt_out_keys`]).
    pub opt_out: Vec<[u8; 16]>,
    /// Drop command messages (text starting with `/egregora`, any case).
    pub drop_commands: bool,
}

impl Default for MessageTableOptions {
    fn default() -> Self {
        MessageTableOptions { group: "whatsapp".into(), tz: "UTC".into(), opt_out: Vec::new(), drop_commands: true }
    }
}

/// What building the table did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageTableSummary {
    /// Messages in the table.
    pub messages: usize,
    /// Distinct authors among them.
    pub authors: usize,
    /// Command messages dropped.
    pub dropped_commands: usize,
    /// Messages of opted-out authors dropped.
    pub dropped_opted_out: usize,
}

/// Keys for the opt-out filter from lines of text: a line holding a UUID (canonical text) is that UUID;
/// any other non-empty line is an author name, turned into its pseudonym as the table does. Blank lines
/// and lines starting with `#` are skipped.
///
/// # Example
/// ```
/// use streamliner::etl::opt_out_keys;
/// let keys = opt_out_keys(["Alice", "885a1960-aeb8-52f4-92ad-a8f5caac5e00", "", "# comment"]);
/// assert_eq!(keys.len(), 2);
/// assert_eq!(keys[0], keys[1]);
/// ```
pub fn opt_out_keys<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<[u8; 16]> {
    let ns = uuid::Uuid::from_bytes(super::PSEUDONYM_NAMESPACE);
    lines
        .into_iter()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match uuid::Uuid::try_parse(l) {
            Ok(u) if l.len() == 36 => *u.as_bytes(),
            _ => {
                let name = [super::PSEUDONYM_PREFIX, crate::pystr::py_strip(l)].concat();
                *uuid::Uuid::new_v5(&ns, name.as_bytes()).as_bytes()
            }
        })
        .collect()
}

/// The group's slug as the existing pipeline makes it (its `tenant_id` and `thread_id`):
/// `group_name.lower().replace(" ", "-")`, Python's full Unicode lowercasing (final sigma included),
/// spaces (U+0020 only) to hyphens, nothing else: accents and punctuation stay.
///
/// # Example
/// ```
/// use streamliner::etl::slugify;
/// assert_eq!(slugify("Grupo Ação"), "grupo-ação");
/// assert_eq!(slugify("Blog Club: Été 2024!"), "blog-club:-été-2024!");
/// assert_eq!(slugify("ΟΔΟΣ"), "οδος");
/// ```
pub fn slugify(name: &str) -> String {
    name.to_lowercase().replace(' ', "-")
}

/// Python's `str()` of a UTC datetime: `2023-12-31 21:41:00+00:00`, with `.ffffff` when the microseconds
/// are not 0.
fn python_utc(micros: i64) -> String {
    match jiff::Timestamp::from_microsecond(micros) {
        Ok(t) => {
            let dt = jiff::tz::Offset::UTC.to_datetime(t);
            let mut out = format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                dt.year(),
                dt.month(),
                dt.day(),
                dt.hour(),
                dt.minute(),
                dt.second()
            );
            let us = dt.subsec_nanosecond() / 1000;
            if us != 0 {
                out.push_str(&format!(".{us:06}"));
            }
            out.push_str("+00:00");
            out
        }
        // Outside jiff's range (which holds every time a WhatsApp line can give): the raw number.
        Err(_) => format!("{micros} microseconds since the epoch"),
    }
}

/// A JSON string as DuckDB (yyjson) writes it: `"` and `\` escaped, `\b \t \n \f \r`, other control
/// characters as `\u00XX` (upper-case hex), everything else as is.
fn duckdb_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `attrs` as the pipeline writes it: DuckDB's JSON text of
/// `{original_line, tagged_line: null, message_date}`, no spaces.
fn attrs_json(message: &ChatMessage, utc_micros: i64) -> String {
    let original = format!("{} - {}", python_utc(utc_micros), message.original_line);
    let original = crate::pystr::py_strip(&original);
    let mut out = String::with_capacity(original.len() + 80);
    out.push_str("{\"original_line\":");
    duckdb_json_string(original, &mut out);
    out.push_str(",\"tagged_line\":null,\"message_date\":\"");
    out.push_str(&message.local.date().to_string());
    out.push_str("\"}");
    out
}

/// Bytes past which a string column of the table is `LargeUtf8`.
const UTF8_LIMIT: u64 = i32::MAX as u64;
/// Rows per batch of [`MessageTableBuilder`] by default.
const DEFAULT_TABLE_BATCH_ROWS: usize = 65_536;

/// The message table of `chat`, in (timestamp, input order) order, with the pipeline's columns
/// (`event_id`, `tenant_id`, `source`, `thread_id`, `msg_id`, `ts`, `author_raw`, `author_uuid`, `text`,
/// `media_url`, `media_type`, `attrs`, `pii_flags`, `created_at`, `created_by_run`) and `text_bytes`,
/// `text_chars`, `urls`; command messages and opted-out authors dropped as the options say. Message
/// ids are given before the filters, so a message keeps its id whatever is dropped around it. String
/// columns are `Utf8`, or `LargeUtf8` when their bytes pass `i32::MAX`. For exports too large to hold,
/// [`MessageTableBuilder`] gives the same rows in batches.
///
/// # Errors
/// [`Error::InvalidParameter`] for an unknown zone; [`Error::Gpu`] when the device fails.
pub fn message_table(
    engine: &Engine,
    chat: &Chat,
    opts: &MessageTableOptions,
) -> Result<(RecordBatch, MessageTableSummary)> {
    message_table_with_limit(engine, chat, opts, UTF8_LIMIT)
}

/// [`message_table`] with `LargeUtf8` string columns past `limit` bytes.
pub(crate) fn message_table_with_limit(
    engine: &Engine,
    chat: &Chat,
    opts: &MessageTableOptions,
    limit: u64,
) -> Result<(RecordBatch, MessageTableSummary)> {
    let utc = utc_times(engine, &chat.messages, &opts.tz)?;
    let mut order: Vec<usize> = (0..chat.messages.len()).collect();
    order.sort_by_key(|&i| utc[i]);
    let rows: Vec<(&ChatMessage, i64)> = order.iter().map(|&i| (&chat.messages[i], utc[i])).collect();
    let first = rows.first().map_or(0, |r| r.1);
    let mut tally = Tally::default();
    let table = table_rows(engine, opts, &slugify(&opts.group), &rows, 0, first, limit, &mut tally)?;
    Ok((table, tally.summary()))
}

/// The UTC times of messages: their wall-clock times in `tz`, converted on the engine.
fn utc_times<'a>(engine: &Engine, messages: impl IntoIterator<Item = &'a ChatMessage>, tz: &str) -> Result<Vec<i64>> {
    // Wall-clock times as naive microseconds, to UTC on the engine.
    let local: Vec<i64> = messages
        .into_iter()
        .map(|m| {
            jiff::tz::TimeZone::UTC
                .to_ambiguous_timestamp(m.local)
                .compatible()
                .map(|t| t.as_microsecond())
                .map_err(|e| Error::Parse { path: "export".into(), line: m.line, message: e.to_string() })
        })
        .collect::<Result<_>>()?;
    let utc = local_to_utc(engine, &TimestampMicrosecondArray::from(local), tz)?;
    let utc = utc
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .ok_or_else(|| Error::invalid("ts", "", "not microseconds"))?;
    Ok(utc.values().to_vec())
}

/// What the filters dropped, and the authors kept, so far.
#[derive(Default)]
struct Tally {
    messages: usize,
    authors: HashSet<String>,
    dropped_commands: usize,
    dropped_opted_out: usize,
}

impl Tally {
    fn summary(&self) -> MessageTableSummary {
        MessageTableSummary {
            messages: self.messages,
            authors: self.authors.len(),
            dropped_commands: self.dropped_commands,
            dropped_opted_out: self.dropped_opted_out,
        }
    }
}

/// Every string of a `Utf8` or `LargeUtf8` column (nulls skipped).
fn strings_of(a: &dyn Array) -> Box<dyn Iterator<Item = &str> + '_> {
    match a.data_type() {
        DataType::Utf8 => Box::new(a.as_string::<i32>().iter().flatten()),
        DataType::LargeUtf8 => Box::new(a.as_string::<i64>().iter().flatten()),
        _ => Box::new(std::iter::empty()),
    }
}

/// The table rows of `rows` (messages with their UTC times, in (timestamp, input order) order, the first
/// at sorted position `first_pos` of the whole export, whose earliest time is `first_ts`), filtered;
/// the counts go to `tally`.
#[allow(clippy::too_many_arguments)]
fn table_rows(
    engine: &Engine,
    opts: &MessageTableOptions,
    slug: &str,
    rows: &[(&ChatMessage, i64)],
    first_pos: u64,
    first_ts: i64,
    limit: u64,
    tally: &mut Tally,
) -> Result<RecordBatch> {
    let n = rows.len();
    let limit_usize = usize::try_from(limit).unwrap_or(usize::MAX);
    let ts: ArrayRef =
        Arc::new(TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| r.1)).with_timezone("UTC"));
    let author_raw = string_column(rows.iter().map(|r| r.0.author.as_str()), limit_usize);
    let text = string_column(rows.iter().map(|r| r.0.text.as_str()), limit_usize);
    let author_uuid = uuid5_with_limit(engine, author_raw.as_ref(), PSEUDONYM_NAMESPACE, PSEUDONYM_PREFIX, limit)?;
    // The earliest time is the first of the export: no delta is negative.
    let delta: Vec<u64> = rows.iter().map(|r| (i128::from(r.1) - i128::from(first_ts)) as u64).collect();
    let row: Vec<u64> = (0..n as u64).map(|i| first_pos + i).collect();
    let msg_id = ids_column(engine, &delta, &row, TimeUnit::Microsecond, limit)?;
    let text_bytes = lengths(engine, text.as_ref(), LengthUnit::Utf8Bytes)?;
    // The text goes to the device once for the code points, the URLs and the command mask.
    let matched = Text::new(text.as_ref())?;
    let text_chars = lengths_on(engine, &matched, LengthUnit::CodePoints)?;
    let urls = urls_on(engine, &matched)?;
    let attrs: Vec<String> = rows.iter().map(|r| attrs_json(r.0, r.1)).collect();
    let attrs = string_column(attrs.iter().map(String::as_str), limit_usize);
    let constant = |v: &str| string_column(std::iter::repeat_n(v, n), limit_usize);
    let nulls = || Arc::new(StringArray::new_null(n)) as ArrayRef;
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("event_id", msg_id.clone()),
        ("tenant_id", constant(slug)),
        ("source", constant("whatsapp")),
        ("thread_id", constant(slug)),
        ("msg_id", msg_id),
        ("ts", ts.clone()),
        ("author_raw", author_raw),
        ("author_uuid", author_uuid.clone()),
        ("text", text.clone()),
        ("media_url", nulls()),
        ("media_type", nulls()),
        ("attrs", attrs),
        ("pii_flags", nulls()),
        ("created_at", ts),
        ("created_by_run", constant("adapter:whatsapp")),
        ("text_bytes", Arc::new(text_bytes)),
        ("text_chars", Arc::new(text_chars)),
        ("urls", Arc::new(urls)),
    ];
    let schema =
        Schema::new(columns.iter().map(|(name, a)| Field::new(*name, a.data_type().clone(), true)).collect::<Vec<_>>());
    let table = RecordBatch::try_new(Arc::new(schema), columns.into_iter().map(|(_, a)| a).collect())
        .map_err(|e| Error::invalid("message table", n, e.to_string()))?;

    let commands = if opts.drop_commands {
        starts_with_on(engine, &matched, COMMAND_PREFIX)?
    } else {
        BooleanArray::from(vec![false; n])
    };
    let opted_out = opt_out_mask(engine, author_uuid.as_ref(), &opts.opt_out)?;
    let keep = BooleanArray::from_iter((0..n).map(|i| Some(!commands.value(i) && !opted_out.value(i))));
    let kept = filter_batch(engine, &table, &keep)?;

    tally.messages += kept.num_rows();
    for id in strings_of(kept.column(7).as_ref()) {
        if !tally.authors.contains(id) {
            tally.authors.insert(id.to_string());
        }
    }
    tally.dropped_commands += (0..n).filter(|&i| commands.value(i)).count();
    tally.dropped_opted_out += (0..n).filter(|&i| opted_out.value(i) && !commands.value(i)).count();
    Ok(kept)
}

/// Where each message of an export goes in the message table, from a first pass over its messages that
/// keeps only their UTC times (8 bytes a message; 4 bytes a message after [`MessageOrderBuilder::finish`],
/// none when the export is already in time order).
#[derive(Clone, Debug)]
pub struct MessageOrder {
    messages: u64,
    first_ts: i64,
    /// Each message's sorted position, in input order; None when the input is in time order.
    positions: Option<Vec<u32>>,
}

impl MessageOrder {
    /// Messages seen by the first pass.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// Whether the export was already in (UTC) time order.
    pub fn is_sorted(&self) -> bool {
        self.positions.is_none()
    }

    fn position(&self, i: u64) -> Option<u64> {
        match &self.positions {
            None => (i < self.messages).then_some(i),
            Some(p) => usize::try_from(i).ok().and_then(|i| p.get(i)).map(|&x| u64::from(x)),
        }
    }
}

/// The first pass of a streamed message table: push every message of the export, in order, then
/// [`finish`](Self::finish) for the [`MessageOrder`] that [`MessageTableBuilder`] needs.
pub struct MessageOrderBuilder<'e> {
    engine: &'e Engine,
    tz: String,
    ts: Vec<i64>,
}

impl std::fmt::Debug for MessageOrderBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageOrderBuilder").field("tz", &self.tz).field("messages", &self.ts.len()).finish()
    }
}

impl<'e> MessageOrderBuilder<'e> {
    /// A first pass for the table `opts` describes (its zone gives the UTC times).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown zone.
    pub fn new(engine: &'e Engine, opts: &MessageTableOptions) -> Result<Self> {
        jiff::tz::TimeZone::get(&opts.tz).map_err(|e| Error::invalid("time zone", &opts.tz, e.to_string()))?;
        Ok(MessageOrderBuilder { engine, tz: opts.tz.clone(), ts: Vec::new() })
    }

    /// Records the UTC times of the next messages of the export.
    ///
    /// # Errors
    /// [`Error::Gpu`] when the device fails.
    pub fn push(&mut self, messages: &[ChatMessage]) -> Result<()> {
        if !messages.is_empty() {
            let utc = utc_times(self.engine, messages, &self.tz)?;
            self.ts.extend_from_slice(&utc);
        }
        Ok(())
    }

    /// The order of the messages pushed.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] past 2^32 messages in an export not in time order.
    pub fn finish(self) -> Result<MessageOrder> {
        let ts = self.ts;
        let messages = ts.len() as u64;
        let first_ts = ts.iter().copied().min().unwrap_or(0);
        if ts.windows(2).all(|w| w[0] <= w[1]) {
            return Ok(MessageOrder { messages, first_ts, positions: None });
        }
        if messages > u64::from(u32::MAX) {
            return Err(Error::LimitExceeded {
                what: "messages of an export not in time order".into(),
                value: messages,
                limit: u64::from(u32::MAX),
            });
        }
        // Sorted by (time, input order); then each message's place in that order.
        let mut order: Vec<u32> = (0..messages as u32).collect();
        order.sort_unstable_by_key(|&i| (ts[i as usize], i));
        drop(ts);
        let mut positions = vec![0u32; order.len()];
        for (pos, &i) in order.iter().enumerate() {
            positions[i as usize] = pos as u32;
        }
        Ok(MessageOrder { messages, first_ts, positions: Some(positions) })
    }
}

/// The message table built from an export streamed in chunks, in batches of bounded size: the rows and
/// values of [`message_table`], in the same order. It needs the [`MessageOrder`] of a first pass over
/// the export ([`MessageOrderBuilder`]); then the export is pushed again, in the same order. Rows come out
/// in (timestamp, input order) order: a message that goes back in time (a clock change) waits, with the
/// messages after it, until the rows before it have come.
///
/// # Example
/// ```
/// use streamliner::Engine;
/// use streamliner::etl::{MessageOrderBuilder, MessageTableBuilder, MessageTableOptions, message_table};
/// use streamliner::io::whatsapp::{WhatsAppOptions, parse_whatsapp};
/// let engine = Engine::from_env()?;
/// let text = "01/03/2024, 08:00 - Ann: hi\n01/03/2024, 08:05 - Bo: /egregora opt-out\n01/03/2024, 08:07 - Bo: yo\n";
/// let chat = parse_whatsapp(text, "chat.txt", &WhatsAppOptions::default())?;
/// let opts = MessageTableOptions::default();
/// let mut first = MessageOrderBuilder::new(&engine, &opts)?;
/// for chunk in chat.messages.chunks(2) {
///     first.push(chunk)?;
/// }
/// let mut builder = MessageTableBuilder::new(&engine, &opts, first.finish()?)?.with_batch_size(2);
/// let mut batches = Vec::new();
/// for chunk in chat.messages.chunks(2) {
///     batches.extend(builder.push(chunk)?);
/// }
/// let (last, summary) = builder.finish()?;
/// batches.extend(last);
/// let all = arrow_select::concat::concat_batches(&batches[0].schema(), &batches)?;
/// assert_eq!(all, message_table(&engine, &chat, &opts)?.0);
/// assert_eq!((summary.messages, summary.dropped_commands), (2, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MessageTableBuilder<'e> {
    engine: &'e Engine,
    opts: MessageTableOptions,
    slug: String,
    order: MessageOrder,
    batch_rows: usize,
    limit: u64,
    /// Messages pushed so far.
    seen: u64,
    /// Messages that came before their turn, by sorted position.
    waiting: BTreeMap<u64, (ChatMessage, i64)>,
    /// Messages whose turn has come, from sorted position `ready_start`.
    ready: Vec<(ChatMessage, i64)>,
    ready_start: u64,
    /// The UTC time of the last message pushed, to check the second pass against the first.
    last_ts: Option<i64>,
    batches: u64,
    tally: Tally,
}

impl std::fmt::Debug for MessageTableBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageTableBuilder")
            .field("seen", &self.seen)
            .field("waiting", &self.waiting.len())
            .field("ready", &self.ready.len())
            .finish_non_exhaustive()
    }
}

impl<'e> MessageTableBuilder<'e> {
    /// A builder for the table `opts` describes, of the export whose first pass gave `order`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown zone.
    pub fn new(engine: &'e Engine, opts: &MessageTableOptions, order: MessageOrder) -> Result<Self> {
        jiff::tz::TimeZone::get(&opts.tz).map_err(|e| Error::invalid("time zone", &opts.tz, e.to_string()))?;
        Ok(MessageTableBuilder {
            engine,
            opts: opts.clone(),
            slug: slugify(&opts.group),
            order,
            batch_rows: DEFAULT_TABLE_BATCH_ROWS,
            limit: UTF8_LIMIT,
            seen: 0,
            waiting: BTreeMap::new(),
            ready: Vec::new(),
            ready_start: 0,
            last_ts: None,
            batches: 0,
            tally: Tally::default(),
        })
    }

    /// Rows (before the filters) per batch (default 65,536; at least 1). A batch holds every row that is
    /// ready once there are that many, so pushing chunks of at most this many rows keeps batches at most
    /// twice that.
    pub fn with_batch_size(mut self, rows: usize) -> Self {
        self.batch_rows = rows.max(1);
        self
    }

    /// Takes the next messages of the export (in the order of the first pass); returns a batch of table
    /// rows once enough are ready (None otherwise, or when the filters dropped them all).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when more messages come than the first pass saw, or (for an export in
    /// time order) when they are not the same; [`Error::Gpu`] when the device fails.
    pub fn push(&mut self, messages: &[ChatMessage]) -> Result<Option<RecordBatch>> {
        if messages.is_empty() {
            return Ok(None);
        }
        let utc = utc_times(self.engine, messages, &self.opts.tz)?;
        for (m, t) in messages.iter().zip(utc) {
            let pos = self.order.position(self.seen).ok_or_else(|| {
                Error::invalid(
                    "message",
                    m.line,
                    format!("more messages than the first pass saw ({})", self.order.messages),
                )
            })?;
            if self.order.is_sorted() && self.last_ts.is_some_and(|l| t < l) {
                return Err(Error::invalid("message", m.line, "out of time order, unlike in the first pass"));
            }
            self.last_ts = Some(t);
            self.seen += 1;
            let next = self.ready_start + self.ready.len() as u64;
            if pos == next {
                self.ready.push((m.clone(), t));
                while let Some(entry) = self.waiting.first_entry() {
                    if *entry.key() != self.ready_start + self.ready.len() as u64 {
                        break;
                    }
                    self.ready.push(entry.remove());
                }
            } else {
                self.waiting.insert(pos, (m.clone(), t));
            }
        }
        if self.ready.len() < self.batch_rows {
            return Ok(None);
        }
        let batch = self.flush()?;
        Ok((batch.num_rows() > 0).then_some(batch))
    }

    fn flush(&mut self) -> Result<RecordBatch> {
        let ready = std::mem::take(&mut self.ready);
        let rows: Vec<(&ChatMessage, i64)> = ready.iter().map(|(m, t)| (m, *t)).collect();
        let batch = table_rows(
            self.engine,
            &self.opts,
            &self.slug,
            &rows,
            self.ready_start,
            self.order.first_ts,
            self.limit,
            &mut self.tally,
        )?;
        self.ready_start += ready.len() as u64;
        self.batches += 1;
        Ok(batch)
    }

    /// The last rows, and what building the table did. The batch is None when it would be empty, except
    /// when no batch came before (then an empty batch gives the table's schema).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when fewer messages came than the first pass saw; [`Error::Gpu`] when
    /// the device fails.
    pub fn finish(mut self) -> Result<(Option<RecordBatch>, MessageTableSummary)> {
        if self.seen != self.order.messages || !self.waiting.is_empty() {
            return Err(Error::invalid(
                "messages",
                self.seen,
                format!("the first pass saw {} messages", self.order.messages),
            ));
        }
        let emitted = self.batches > 0;
        let batch = if self.ready.is_empty() && emitted { None } else { Some(self.flush()?) };
        let batch = batch.filter(|b| b.num_rows() > 0 || !emitted);
        Ok((batch, self.tally.summary()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::whatsapp::{WhatsAppOptions, read_whatsapp};

    #[test]
    fn string_columns_switch_to_large_utf8_past_the_limit() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/sample_chat.txt");
        let chat = read_whatsapp(path.as_ref(), &WhatsAppOptions { normalize: true, ..Default::default() }).unwrap();
        let opts = MessageTableOptions { group: "Blog club".into(), ..Default::default() };
        for engine in super::super::tests::engines() {
            let (small, s1) = message_table(&engine, &chat, &opts).unwrap();
            let (large, s2) = message_table_with_limit(&engine, &chat, &opts, 10).unwrap();
            assert_eq!(s1, s2);
            assert_eq!(small.num_rows(), large.num_rows());
            for (i, field) in large.schema().fields().iter().enumerate() {
                let (a, b) = (small.column(i), large.column(i));
                match field.name().as_str() {
                    "media_url" | "media_type" | "pii_flags" => assert_eq!(a, b),
                    _ if a.data_type() == &DataType::Utf8 => {
                        assert_eq!(b.data_type(), &DataType::LargeUtf8, "{}", field.name());
                        assert!(a.as_string::<i32>().iter().eq(b.as_string::<i64>().iter()), "{}", field.name());
                    }
                    _ => assert_eq!(a, b, "{}", field.name()),
                }
            }
        }
    }
}
