//! Windows made ready for an LLM: every message of a table rendered once into one buffer, each
//! window's prompt a zero-copy range of it between a header and a footer, and the SHA-256 of each
//! prompt computed over those ranges. [`PromptTemplate::egregora`] is the existing pipeline's
//! conversation XML, quirks included; the rules are in `docs/llm.md`.
//!
//! Windows are contiguous row ranges, so a message is rendered once however many windows hold it, and
//! no prompt is joined unless asked for ([`RenderedMessages::prompts`]).
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{RecordBatch, StringArray, TimestampMicrosecondArray};
//! use streamliner::{Engine, llm::PromptTemplate};
//!
//! let hour = 3_600_000_000i64;
//! let ts = TimestampMicrosecondArray::from((0..5).map(|i| i * hour).collect::<Vec<_>>()).with_timezone("UTC");
//! let text = StringArray::from(vec!["hi", "a < b", "ok", "bye", "!"]);
//! let table = RecordBatch::try_from_iter([("ts", Arc::new(ts) as _), ("text", Arc::new(text) as _)])?;
//!
//! let rendered = PromptTemplate::egregora().render(&table)?;
//! let windows = [(0, 3), (2, 5)];
//! let prompts = rendered.prompts(&windows)?;
//! // No msg_id column: the id is the pipeline's hash of the row's text (sha256("hi")[:16]).
//! assert!(prompts.value(0).starts_with(
//!     "<chat>\n\n<m id=\"8f434346648f6b96\" author=\"unknown\" ts=\"1970-01-01 00:00:00+00:00\">hi</m>"
//! ));
//! assert!(prompts.value(0).contains("a &lt; b"));
//! let engine = Engine::from_env()?;
//! let signatures = rendered.hex_digests(&engine, &windows)?;
//! assert_eq!(signatures.value(1).len(), 64);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod budget;
mod prompts;
mod render;
mod template;
mod values;

pub use budget::{PromptWindows, token_windows};
pub use prompts::{Prompt, RenderedMessages, window_ranges};
pub use template::{ConversationColumns, PromptTemplate};
pub use values::Escape;
