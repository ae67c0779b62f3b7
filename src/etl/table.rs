//! The message table the existing pipeline expects, built from a parsed WhatsApp export with the ETL
//! kernels: local times to UTC, pseudonyms, lengths, URLs, message ids, then the command and opt-out
//! filters as a mask and a stream compaction.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

use super::{author_uuids, command_mask, message_ids, opt_out_mask};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::io::whatsapp::Chat;
use crate::io::write::json_string;
use crate::kernels::compact::filter_batch;
use crate::kernels::strings::{LengthUnit, lengths};
use crate::kernels::text_match::extract_urls;
use crate::kernels::time::local_to_utc;

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

/// A slug as python-slugify makes it: ASCII letters and digits (accents dropped), lowercase, other runs
/// turned into single hyphens, none at the ends.
pub fn slugify(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::new();
    let mut gap = false;
    for c in name.nfkd().filter(char::is_ascii) {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
            gap = false;
        } else {
            gap = true;
        }
    }
    out
}

/// The message table of `chat`, in (timestamp, input order) order, with the pipeline's columns
/// (`event_id`, `tenant_id`, `source`, `thread_id`, `msg_id`, `ts`, `author_raw`, `author_uuid`, `text`,
/// `media_url`, `media_type`, `attrs`, `pii_flags`, `created_at`, `created_by_run`) and `text_bytes`,
/// `text_chars`, `urls`; command messages and opted-out authors dropped as the options say. Message
/// ids are given before the filters, so a message keeps its id whatever is dropped around it.
///
/// # Errors
/// [`Error::InvalidParameter`] for an unknown zone; [`Error::Gpu`] when the device fails.
pub fn message_table(
    engine: &Engine,
    chat: &Chat,
    opts: &MessageTableOptions,
) -> Result<(RecordBatch, MessageTableSummary)> {
    let n = chat.messages.len();
    // Wall-clock times as naive microseconds, to UTC on the engine.
    let local: Vec<i64> = chat
        .messages
        .iter()
        .map(|m| {
            jiff::tz::TimeZone::UTC
                .to_ambiguous_timestamp(m.local)
                .compatible()
                .map(|t| t.as_microsecond())
                .map_err(|e| Error::Parse { path: "export".into(), line: m.line, message: e.to_string() })
        })
        .collect::<Result<_>>()?;
    let utc = local_to_utc(engine, &TimestampMicrosecondArray::from(local), &opts.tz)?;
    let utc = utc
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .ok_or_else(|| Error::invalid("ts", "", "not microseconds"))?;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| utc.value(i));
    let msgs: Vec<&crate::io::whatsapp::ChatMessage> = order.iter().map(|&i| &chat.messages[i]).collect();
    let ts_values: Vec<i64> = order.iter().map(|&i| utc.value(i)).collect();

    let ts: ArrayRef = Arc::new(TimestampMicrosecondArray::from(ts_values).with_timezone("UTC"));
    let author_raw = StringArray::from_iter_values(msgs.iter().map(|m| m.author.as_str()));
    let text = StringArray::from_iter_values(msgs.iter().map(|m| m.text.as_str()));
    let author_uuid = author_uuids(engine, &author_raw)?;
    let msg_id: ArrayRef = Arc::new(message_ids(engine, ts.as_ref())?);
    let text_bytes = lengths(engine, &text, LengthUnit::Utf8Bytes)?;
    let text_chars = lengths(engine, &text, LengthUnit::CodePoints)?;
    let urls = extract_urls(engine, &text)?;
    let attrs = StringArray::from_iter_values(msgs.iter().map(|m| {
        format!(
            "{{\"original_line\": {}, \"tagged_line\": null, \"message_date\": \"{}\"}}",
            json_string(&m.original_line),
            m.local.date()
        )
    }));
    let slug = slugify(&opts.group);
    let constant = |v: &str| Arc::new(StringArray::from_iter_values(std::iter::repeat_n(v, n))) as ArrayRef;
    let nulls = || Arc::new(StringArray::new_null(n)) as ArrayRef;
    let s = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    let ts_type = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let schema = Schema::new(vec![
        s("event_id", true),
        s("tenant_id", true),
        s("source", true),
        s("thread_id", true),
        s("msg_id", true),
        Field::new("ts", ts_type.clone(), true),
        s("author_raw", true),
        s("author_uuid", true),
        s("text", true),
        s("media_url", true),
        s("media_type", true),
        s("attrs", true),
        s("pii_flags", true),
        Field::new("created_at", ts_type, true),
        s("created_by_run", true),
        Field::new("text_bytes", DataType::UInt64, true),
        Field::new("text_chars", DataType::UInt64, true),
        Field::new("urls", urls.data_type().clone(), true),
    ]);
    let table = RecordBatch::try_new(
        Arc::new(schema),
        vec![
            msg_id.clone(),
            constant(&slug),
            constant("whatsapp"),
            constant(&slug),
            msg_id,
            ts.clone(),
            Arc::new(author_raw),
            Arc::new(author_uuid.clone()),
            Arc::new(text.clone()),
            nulls(),
            nulls(),
            Arc::new(attrs),
            nulls(),
            ts,
            constant("adapter:whatsapp"),
            Arc::new(text_bytes),
            Arc::new(text_chars),
            Arc::new(urls),
        ],
    )
    .map_err(|e| Error::invalid("message table", n, e.to_string()))?;

    let commands = if opts.drop_commands { command_mask(engine, &text)? } else { BooleanArray::from(vec![false; n]) };
    let opted_out = opt_out_mask(engine, &author_uuid, &opts.opt_out)?;
    let keep = BooleanArray::from_iter((0..n).map(|i| Some(!commands.value(i) && !opted_out.value(i))));
    let kept = filter_batch(engine, &table, &keep)?;

    let kept_uuids = kept
        .column(7)
        .as_any()
        .downcast_ref::<StringArray>()
        .map(|a| a.iter().flatten().collect::<std::collections::HashSet<_>>().len());
    let summary = MessageTableSummary {
        messages: kept.num_rows(),
        authors: kept_uuids.unwrap_or(0),
        dropped_commands: (0..n).filter(|&i| commands.value(i)).count(),
        dropped_opted_out: (0..n).filter(|&i| opted_out.value(i) && !commands.value(i)).count(),
    };
    Ok((kept, summary))
}
