//! # streamliner
//!
//! GPU compute kernels over Apache Arrow columns, each with a CPU twin that gives bit-identical
//! results: prefix sums, batched binary search and reductions, for cutting very large chat histories
//! into windows.
//!
//! Kernels are WGSL compute shaders run through `wgpu`. An [`Engine`] picks the backend: a hardware
//! GPU when there is one, otherwise the CPU path; a software adapter (lavapipe / llvmpipe) only when
//! [`Backend::Gpu`] is asked for, since it is slower than the CPU path. `STREAMLINER_BACKEND=auto|cpu|gpu`
//! overrides the default of every program built on the library. [`Engine::info`] says what was chosen
//! and why; the choice is also logged (`log` crate, info level).
//!
//! ```
//! use streamliner::{Engine, scan::{prefix_sum, ScanKind}, search::{search_sorted, Bound, Check}};
//!
//! let engine = Engine::from_env()?;
//! // Message lengths -> offsets of each message in the concatenated text.
//! let offsets: Vec<u64> = prefix_sum(&engine, &[120u32, 80, 300, 45], ScanKind::Exclusive)?;
//! assert_eq!(offsets, vec![0, 120, 200, 500]);
//! // Which message holds byte 250? One query of a batch.
//! let pos = search_sorted(&engine, &offsets, &[251], Bound::Lower, Check::Trust)?;
//! assert_eq!(pos[0] - 1, 2);
//! # Ok::<(), streamliner::Error>(())
//! ```
#![warn(missing_docs)]

mod column;
mod cpu;
mod engine;
pub mod error;
pub mod etl;
mod gpu;
mod host;
pub mod io;
pub mod kernels;
pub mod llm;
mod ops;
mod pystr;
mod pyunicode;
mod text;
mod timefmt;
pub mod window;

pub use column::{Column, Element};
pub use engine::{ActiveBackend, BACKEND_ENV, Backend, Engine, EngineBuilder, EngineInfo};
pub use error::{Error, Result};
pub use gpu::AdapterInfo;
pub use kernels::values::Values;
pub use kernels::{
    compact, elementwise, media, reduce, scan, search, sha256, strings, successor, text_match, time, tokens, uuid5,
};
/// The `wgpu` this crate is built on, for [`EngineBuilder::build_on_device`] callers who need the same
/// version.
pub use wgpu;

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
