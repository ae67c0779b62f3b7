//! The message table the existing pipeline expects, built column by column from chat batches (the
//! message schema of [`chat`](super::chat)) with the ETL kernels: pseudonyms, lengths, URLs, message ids,
//! `attrs`, with the command and opt-out filters applied first.

use std::collections::HashSet;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray, TimestampMicrosecondArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

use super::attrs::push_attrs;
use super::chat;
use super::{COMMAND_PREFIX, PSEUDONYM_NAMESPACE, ids_column, opt_out_mask};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::kernels::strings::{LengthUnit, lengths, lengths_on, string_column};
use crate::kernels::text_match::{starts_with_on, urls_on};
use crate::kernels::uuid5::uuid5_with_limit;
use crate::text::Text;

/// How to build the message table.
#[derive(Clone, Debug)]
pub struct MessageTableOptions {
    /// The group's name; its slug is `tenant_id` and `thread_id`.
    pub group: String,
    /// Opted-out authors, as UUID bytes (see [`opt_out_keys`]).
    pub opt_out: Vec<[u8; 16]>,
    /// Drop command messages (text starting with `/egregora`, any case).
    pub drop_commands: bool,
    /// The chat's source (default `whatsapp`): the `source` column, `created_by_run` (`adapter:SOURCE`) and
    /// the pseudonyms' name prefix (`SOURCE:`), as the pipeline's adapter for that source writes them.
    pub source: String,
    /// Bytes of messages [`super::MessageTableBuilder`] holds in memory (default 512 MiB); past them it
    /// keeps them in a temporary file until the table is written.
    pub memory_limit: usize,
}

/// Bytes of messages a builder holds in memory by default.
pub const DEFAULT_MEMORY_LIMIT: usize = 512 << 20;

impl Default for MessageTableOptions {
    fn default() -> Self {
        MessageTableOptions {
            group: "whatsapp".into(),
            opt_out: Vec::new(),
            drop_commands: true,
            source: "whatsapp".into(),
            memory_limit: DEFAULT_MEMORY_LIMIT,
        }
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

/// Bytes past which a string column of the table is `LargeUtf8`.
pub(super) const UTF8_LIMIT: u64 = i32::MAX as u64;

/// A chat batch's columns, looked up by name once.
pub(super) struct ChatColumns {
    pub ts: TimestampMicrosecondArray,
    pub author: ArrayRef,
    pub text: ArrayRef,
    /// The wall-clock times (`ts` when the batch has none).
    pub local: TimestampMicrosecondArray,
    /// The lines as the export holds them (`author: text` when the batch has none).
    pub original: Option<ArrayRef>,
}

impl ChatColumns {
    /// The columns of `batch`, which must have `ts` (timestamp, microseconds), `author` and `text`
    /// (strings); `local_time` and `original_line` are used when present.
    pub(super) fn of(batch: &RecordBatch) -> Result<ChatColumns> {
        let get = |name: &str| {
            batch.column_by_name(name).cloned().ok_or_else(|| {
                let names: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
                Error::invalid("chat batch", name, format!("no such column; its columns are: {}", names.join(", ")))
            })
        };
        let micros = |name: &str, a: &ArrayRef| -> Result<TimestampMicrosecondArray> {
            match a.data_type() {
                DataType::Timestamp(TimeUnit::Microsecond, _) => {
                    Ok(a.as_primitive::<TimestampMicrosecondType>().clone())
                }
                t => Err(Error::invalid(name, format!("{t:?}"), "expected a timestamp in microseconds")),
            }
        };
        let string = |name: &str, a: ArrayRef| -> Result<ArrayRef> {
            match a.data_type() {
                DataType::Utf8 | DataType::LargeUtf8 => Ok(a),
                t => Err(Error::invalid(name, format!("{t:?}"), "expected a string column (Utf8 or LargeUtf8)")),
            }
        };
        let ts = micros(chat::TS, &get(chat::TS)?)?;
        if let Some(row) = ts.nulls().and_then(|n| n.iter().position(|ok| !ok)) {
            return Err(Error::NullValue { what: chat::TS.into(), row: row as u64 });
        }
        let local = match batch.column_by_name(chat::LOCAL_TIME) {
            Some(a) => micros(chat::LOCAL_TIME, a)?,
            None => ts.clone(),
        };
        let original = match batch.column_by_name(chat::ORIGINAL_LINE) {
            Some(a) => Some(string(chat::ORIGINAL_LINE, a.clone())?),
            None => None,
        };
        Ok(ChatColumns {
            ts,
            author: string(chat::AUTHOR, get(chat::AUTHOR)?)?,
            text: string(chat::TEXT, get(chat::TEXT)?)?,
            local,
            original,
        })
    }
}

/// The `i`th string of a `Utf8` or `LargeUtf8` column ("" for a null).
fn str_at(a: &dyn Array, i: usize) -> &str {
    if a.is_null(i) {
        return "";
    }
    match a.data_type() {
        DataType::LargeUtf8 => a.as_string::<i64>().value(i),
        _ => a.as_string::<i32>().value(i),
    }
}

/// The `attrs` column of rows `rows` of `c`: `Utf8`, or `LargeUtf8` when its bytes pass `limit`. Rows are written as
/// `&str`s into Arrow's builder, so the array needs no UTF-8 validation.
fn attrs_column(c: &ChatColumns, rows: &[usize], limit: u64) -> Result<ArrayRef> {
    use arrow_array::builder::GenericStringBuilder;
    let original_len = |i: usize| match &c.original {
        Some(o) => str_at(o.as_ref(), i).len(),
        None => str_at(c.author.as_ref(), i).len() + 2 + str_at(c.text.as_ref(), i).len(),
    };
    // At most 6 bytes out per byte in (`\u00XX`), plus the fixed parts: the builder's offsets never overflow.
    let bound: u64 = rows.iter().map(|&i| 6 * original_len(i) as u64 + 128).sum();
    fn build<O: arrow_array::OffsetSizeTrait>(c: &ChatColumns, rows: &[usize], cap: usize) -> ArrayRef {
        let mut b = GenericStringBuilder::<O>::with_capacity(rows.len(), cap);
        let mut row = String::with_capacity(256);
        let mut joined = String::new();
        for &i in rows {
            let original = match &c.original {
                Some(o) => str_at(o.as_ref(), i),
                None => {
                    joined.clear();
                    joined.push_str(str_at(c.author.as_ref(), i));
                    joined.push_str(": ");
                    joined.push_str(str_at(c.text.as_ref(), i));
                    &joined
                }
            };
            row.clear();
            push_attrs(&mut row, c.ts.value(i), original, c.local.value(i));
            b.append_value(&row);
        }
        Arc::new(b.finish())
    }
    let cap = usize::try_from(bound / 2).unwrap_or(usize::MAX).min(1 << 30);
    let built = if bound <= i32::MAX as u64 { build::<i32>(c, rows, cap) } else { build::<i64>(c, rows, cap) };
    sized(&built, limit)
}

/// The table's constant columns (`tenant_id`/`thread_id`, `source`, `created_by_run`, and the all-null
/// ones), built once for a batch size and sliced for each batch.
pub(super) struct Constants {
    rows: usize,
    limit: u64,
    columns: [(String, ArrayRef); 3],
    nulls: ArrayRef,
}

impl Constants {
    pub(super) fn new(opts: &MessageTableOptions, rows: usize, limit: u64) -> Self {
        let column = |v: &str| (v.to_string(), constant_column(v, rows, limit));
        let run = format!("adapter:{}", opts.source);
        Constants {
            rows,
            limit,
            columns: [column(&slugify(&opts.group)), column(&opts.source), column(&run)],
            nulls: Arc::new(StringArray::new_null(rows)),
        }
    }

    /// A column of `n` copies of the `k`th constant, of the type a fresh one would have.
    fn get(&self, k: usize, n: usize) -> ArrayRef {
        let (value, cached) = &self.columns[k];
        let large = |rows: usize| (rows as u64).saturating_mul(value.len() as u64) > self.limit;
        if n <= self.rows && large(n) == large(self.rows) {
            cached.slice(0, n)
        } else {
            constant_column(value, n, self.limit)
        }
    }

    fn nulls(&self, n: usize) -> ArrayRef {
        if n <= self.rows { self.nulls.slice(0, n) } else { Arc::new(StringArray::new_null(n)) }
    }
}

/// `n` copies of `v`: `Utf8`, or `LargeUtf8` past `limit` bytes.
fn constant_column(v: &str, n: usize, limit: u64) -> ArrayRef {
    string_column(std::iter::repeat_n(v, n), usize::try_from(limit).unwrap_or(usize::MAX))
}

/// What one batch of the table dropped, and the distinct authors it kept.
#[derive(Default)]
pub(super) struct Tally {
    pub messages: usize,
    pub authors: HashSet<String>,
    pub dropped_commands: usize,
    pub dropped_opted_out: usize,
}

impl Tally {
    pub(super) fn add(&mut self, other: Tally) {
        self.messages += other.messages;
        self.dropped_commands += other.dropped_commands;
        self.dropped_opted_out += other.dropped_opted_out;
        if self.authors.len() < other.authors.len() {
            let mine = std::mem::replace(&mut self.authors, other.authors);
            self.authors.extend(mine);
        } else {
            self.authors.extend(other.authors);
        }
    }

    pub(super) fn summary(&self) -> MessageTableSummary {
        MessageTableSummary {
            messages: self.messages,
            authors: self.authors.len(),
            dropped_commands: self.dropped_commands,
            dropped_opted_out: self.dropped_opted_out,
        }
    }
}

/// The table rows of `rows` (a chat batch in (timestamp, input order) order, its first row at sorted
/// position `first_pos` of the whole export, whose earliest time is `first_ts`), filtered.
pub(super) fn table_rows(
    engine: &Engine,
    opts: &MessageTableOptions,
    constants: &Constants,
    rows: &RecordBatch,
    first_pos: u64,
    first_ts: i64,
    limit: u64,
) -> Result<(RecordBatch, Tally)> {
    let all = ChatColumns::of(rows)?;
    let n = rows.num_rows();
    // The filters first: the other columns are built for the rows kept.
    let prefix = format!("{}:", opts.source);
    let author_uuid = uuid5_with_limit(engine, all.author.as_ref(), PSEUDONYM_NAMESPACE, &prefix, limit)?;
    let commands = if opts.drop_commands {
        let text = Text::new(all.text.as_ref())?;
        starts_with_on(engine, &text, COMMAND_PREFIX)?
    } else {
        BooleanArray::from(vec![false; n])
    };
    let opted_out = opt_out_mask(engine, author_uuid.as_ref(), &opts.opt_out)?;
    let mut tally = Tally::default();
    let keep: Vec<bool> = (0..n)
        .map(|i| {
            let (c, o) = (commands.value(i), opted_out.value(i));
            tally.dropped_commands += usize::from(c);
            tally.dropped_opted_out += usize::from(o && !c);
            !c && !o
        })
        .collect();
    let positions = UInt64Array::from_iter_values((0..n as u64).map(|i| first_pos + i));
    // The rows kept (by their place in the batch); the columns the table holds are filtered, the ones only
    // `attrs` reads are read through `kept_rows`.
    let kept_rows: Vec<usize> = (0..n).filter(|&i| keep[i]).collect();
    let (ts, author, text, author_uuid, positions) = if kept_rows.len() == n {
        (all.ts.clone(), all.author.clone(), all.text.clone(), author_uuid, positions)
    } else {
        let mask = BooleanArray::from(keep);
        let f = |a: &dyn Array| {
            arrow_select::filter::filter(a, &mask).map_err(|e| Error::invalid("filter", n, e.to_string()))
        };
        (
            f(&all.ts)?.as_primitive::<TimestampMicrosecondType>().clone(),
            f(all.author.as_ref())?,
            f(all.text.as_ref())?,
            f(author_uuid.as_ref())?,
            f(&positions)?.as_primitive::<arrow_array::types::UInt64Type>().clone(),
        )
    };
    let kept = ts.len();
    // The earliest time is the first of the export: no delta is negative.
    let delta: Vec<u64> = ts.values().iter().map(|&t| (i128::from(t) - i128::from(first_ts)) as u64).collect();
    let msg_id = ids_column(engine, &delta, positions.values(), TimeUnit::Microsecond, limit)?;
    let text_bytes = lengths(engine, text.as_ref(), LengthUnit::Utf8Bytes)?;
    // The text goes to the device once for the code points and the URLs.
    let matched = Text::new(text.as_ref())?;
    let text_chars = lengths_on(engine, &matched, LengthUnit::CodePoints)?;
    let urls = urls_on(engine, &matched)?;
    let attrs = attrs_column(&all, &kept_rows, limit)?;
    let author_raw = sized(&author, limit)?;
    let text = sized(&text, limit)?;
    let ts: ArrayRef = Arc::new(ts.with_timezone("UTC"));
    let slug = constants.get(0, kept);
    let nulls = || constants.nulls(kept);
    for i in 0..kept {
        let id = str_at(author_uuid.as_ref(), i);
        if !tally.authors.contains(id) {
            tally.authors.insert(id.to_string());
        }
    }
    tally.messages = kept;
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("event_id", msg_id.clone()),
        ("tenant_id", slug.clone()),
        ("source", constants.get(1, kept)),
        ("thread_id", slug),
        ("msg_id", msg_id),
        ("ts", ts.clone()),
        ("author_raw", author_raw),
        ("author_uuid", author_uuid),
        ("text", text),
        ("media_url", nulls()),
        ("media_type", nulls()),
        ("attrs", attrs),
        ("pii_flags", nulls()),
        ("created_at", ts),
        ("created_by_run", constants.get(2, kept)),
        ("text_bytes", Arc::new(text_bytes)),
        ("text_chars", Arc::new(text_chars)),
        ("urls", Arc::new(urls)),
    ];
    let schema =
        Schema::new(columns.iter().map(|(name, a)| Field::new(*name, a.data_type().clone(), true)).collect::<Vec<_>>());
    let table = RecordBatch::try_new(Arc::new(schema), columns.into_iter().map(|(_, a)| a).collect())
        .map_err(|e| Error::invalid("message table", kept, e.to_string()))?;
    Ok((table, tally))
}

/// A string column as the table types it: `Utf8`, or `LargeUtf8` when its bytes pass `limit` (the same
/// array when it is typed so already). Nulls stay null.
fn sized(a: &ArrayRef, limit: u64) -> Result<ArrayRef> {
    let large = string_bytes(a.as_ref()) > limit;
    if large == (a.data_type() == &DataType::LargeUtf8) {
        return Ok(a.clone());
    }
    let to = if large { DataType::LargeUtf8 } else { DataType::Utf8 };
    Ok(match to {
        DataType::LargeUtf8 => Arc::new(arrow_array::LargeStringArray::from_iter(
            (0..a.len()).map(|i| (!a.is_null(i)).then(|| str_at(a.as_ref(), i))),
        )),
        _ => Arc::new(StringArray::from_iter((0..a.len()).map(|i| (!a.is_null(i)).then(|| str_at(a.as_ref(), i))))),
    })
}

/// Bytes of a string column's values.
fn string_bytes(a: &dyn Array) -> u64 {
    match a.data_type() {
        DataType::LargeUtf8 => {
            let s = a.as_string::<i64>();
            (s.value_offsets()[s.len()] - s.value_offsets()[0]) as u64
        }
        _ => {
            let s = a.as_string::<i32>();
            (s.value_offsets()[s.len()] - s.value_offsets()[0]) as u64
        }
    }
}

/// The message table of a whole export held in memory (a chat batch: see [`chat`](super::chat)), in
/// (timestamp, input order) order, with the pipeline's columns (`event_id`, `tenant_id`, `source`,
/// `thread_id`, `msg_id`, `ts`, `author_raw`, `author_uuid`, `text`, `media_url`, `media_type`, `attrs`,
/// `pii_flags`, `created_at`, `created_by_run`) and `text_bytes`, `text_chars`, `urls`; command messages
/// and opted-out authors dropped as the options say. Message ids are given before the filters, so a
/// message keeps its id whatever is dropped around it. String columns are `Utf8`, or `LargeUtf8` when
/// their bytes pass `i32::MAX`. For exports too large to hold, [`super::MessageTableBuilder`] gives the
/// same rows in batches.
///
/// # Errors
/// [`Error::InvalidParameter`] for a batch without `ts` (microseconds), `author` or `text`;
/// [`Error::NullValue`] for a null `ts`; [`Error::Gpu`] when the device fails.
///
/// # Example
/// ```
/// use streamliner::Engine;
/// use streamliner::etl::{MessageTableOptions, message_table};
/// use streamliner::io::whatsapp::{WhatsAppOptions, parse_whatsapp};
/// let engine = Engine::from_env()?;
/// let text = "01/03/2024, 08:00 - Ann: hi\n01/03/2024, 08:05 - Bo: /egregora opt-out\n01/03/2024, 08:07 - Bo: yo\n";
/// let chat = parse_whatsapp(text, "chat.txt", &WhatsAppOptions::default())?;
/// let (table, summary) = message_table(&engine, &chat.to_record_batch()?, &MessageTableOptions::default())?;
/// assert_eq!((table.num_rows(), summary.dropped_commands), (2, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn message_table(
    engine: &Engine,
    chat: &RecordBatch,
    opts: &MessageTableOptions,
) -> Result<(RecordBatch, MessageTableSummary)> {
    message_table_with_limit(engine, chat, opts, UTF8_LIMIT)
}

/// [`message_table`] with `LargeUtf8` string columns past `limit` bytes.
pub(crate) fn message_table_with_limit(
    engine: &Engine,
    chat: &RecordBatch,
    opts: &MessageTableOptions,
    limit: u64,
) -> Result<(RecordBatch, MessageTableSummary)> {
    let ts = ChatColumns::of(chat)?.ts;
    let mut order: Vec<u64> = (0..chat.num_rows() as u64).collect();
    order.sort_by_key(|&i| ts.value(i as usize));
    let sorted = arrow_select::take::take_record_batch(chat, &UInt64Array::from(order))
        .map_err(|e| Error::invalid("chat batch", chat.num_rows(), e.to_string()))?;
    let first = ts.values().iter().copied().min().unwrap_or(0);
    let constants = Constants::new(opts, sorted.num_rows(), limit);
    let (table, tally) = table_rows(engine, opts, &constants, &sorted, 0, first, limit)?;
    Ok((table, tally.summary()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::whatsapp::{WhatsAppOptions, read_whatsapp};

    #[test]
    fn string_columns_switch_to_large_utf8_past_the_limit() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/sample_chat.txt");
        let chat = read_whatsapp(path.as_ref(), &WhatsAppOptions { normalize: true, ..Default::default() }).unwrap();
        let chat = chat.to_record_batch().unwrap();
        let opts = MessageTableOptions { group: "Blog club".into(), ..Default::default() };
        for engine in super::super::tests::engines() {
            let (small, s1) = message_table(&engine, &chat, &opts).unwrap();
            let (large, s2) = message_table_with_limit(&engine, &chat, &opts, 10).unwrap();
            assert_eq!(s1, s2);
            // The builder switches the same way.
            let mut builder = super::super::MessageTableBuilder::new(&engine, &opts).with_utf8_limit(10);
            builder.push(&chat).unwrap();
            let built: Vec<RecordBatch> = builder.finish().unwrap().map(|b| b.unwrap()).collect();
            assert_eq!(built, vec![large.clone()]);
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
