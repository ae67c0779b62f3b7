//! Reading histories and writing tables: CSV, Parquet, Arrow IPC and WhatsApp exports in, CSV, JSON
//! and Parquet out, streamed batch by batch in bounded memory. Formats that pull heavy crates sit behind cargo features, on by default.

#[cfg(feature = "parquet")]
mod parquet_sink;
mod read;
pub mod whatsapp;
pub(crate) mod write;

pub use crate::etl::chat;
pub use crate::timefmt::format_timestamp;
pub use read::{
    DEFAULT_MAX_FIELD_BYTES, DEFAULT_MAX_FIELD_LINES, HistoryReader, InputFormat, ReadOptions, open_history,
    read_history,
};
pub use write::{TableWriter, write_csv, write_json, write_table};
