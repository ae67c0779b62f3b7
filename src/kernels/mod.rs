//! The host API of each kernel family; each call dispatches to the GPU wrapper or the CPU twin.

pub mod compact;
pub mod elementwise;
pub(crate) mod ids;
pub mod media;
pub mod reduce;
pub mod scan;
pub mod search;
pub mod sha256;
pub mod strings;
pub mod successor;
pub mod text_match;
pub mod time;
pub mod tokens;
pub mod uuid5;
pub mod values;
