//! The message schema every chat-export reader produces (`io::whatsapp` today), and what the ETL reads: one
//! row per message, as Arrow columns named here. A reader for another exporter (Telegram JSON, Signal)
//! gives the same columns; the ones it has no value for are null. It lives with the ETL, its reader, and
//! `io` re-exports it as `io::chat`, so readers depend on the ETL's schema and never the other way round.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// When the message was sent: Arrow `Timestamp(Microsecond, "UTC")`.
pub const TS: &str = "ts";
/// Who sent it, stripped: `Utf8` (`LargeUtf8` past 2 GiB of bytes in a batch).
pub const AUTHOR: &str = "author";
/// What it says, its lines joined with `\n`, stripped: `Utf8` (or `LargeUtf8`).
pub const TEXT: &str = "text";
/// Where it starts in the export: the 1-based line number, `UInt64`.
pub const LINE: &str = "line";
/// The wall-clock time as written in the export: `Timestamp(Microsecond)` with no zone.
pub const LOCAL_TIME: &str = "local_time";
/// The message's lines as the export holds them, less the time: the author as written, `": "`, the first
/// line's text, then every further line (notices included), joined with `\n`, trailing whitespace
/// stripped. The existing pipeline keeps this (after the UTC time and `" - "`) as `attrs.original_line`.
/// `Utf8` (or `LargeUtf8`).
pub const ORIGINAL_LINE: &str = "original_line";

/// The columns of the chat message schema, in order.
pub const COLUMNS: [&str; 6] = [TS, AUTHOR, TEXT, LINE, LOCAL_TIME, ORIGINAL_LINE];

/// The type of a column of the chat message schema (string columns as `Utf8`).
fn data_type(column: &str) -> DataType {
    match column {
        TS => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        LINE => DataType::UInt64,
        LOCAL_TIME => DataType::Timestamp(TimeUnit::Microsecond, None),
        _ => DataType::Utf8,
    }
}

/// The chat message schema, string columns as `Utf8` (a batch past 2 GiB of bytes in a string column has
/// `LargeUtf8` there instead).
///
/// # Example
/// ```
/// use streamliner::etl::chat;
/// let schema = chat::schema();
/// assert_eq!(schema.fields().len(), chat::COLUMNS.len());
/// assert_eq!(schema.field(0).name(), chat::TS);
/// ```
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(
        COLUMNS.iter().map(|c| Field::new(*c, data_type(c), *c != TS && *c != LINE)).collect::<Vec<_>>(),
    ))
}
