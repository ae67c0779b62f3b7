//! `streamliner._streamliner`: the Python extension module of streamliner (PyO3, abi3 for Python >= 3.11).
//!
//! Arrow data crosses the boundary without copies through the Arrow PyCapsule interface
//! (`__arrow_c_stream__` / `__arrow_c_array__`, read with `arrow-pyarrow`); the GIL is released while the
//! library runs, and panics are caught and raised as `RuntimeError`, so no input takes the interpreter
//! down. The public, documented API is the pure-Python package `streamliner`, which wraps this module
//! thinly (see `python/python/streamliner/__init__.py`).
//!
//! The modules: `errors` (exceptions, running library code), `engine` (`Engine`), `arrow` (data across
//! the boundary), `validate` (Arrow input checked at the boundary), `spec` (`WindowSpec`), `windows` (`window`,
//! `window_stream`), `etl` (readers and column kernels), `llm` (prompts, signatures, media references),
//! `tokens` (token counts).

/// The extension's allocator. The window and ETL kernels allocate outputs of many megabytes a call;
/// glibc's malloc returns such blocks to the kernel on free and pays a page fault per page on the next
/// call (a third of the time of a code-point window call on a million messages). mimalloc keeps them for
/// reuse. Memory that Arrow hands across the C interface is freed by the side that allocated it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod arrow;
mod engine;
mod errors;
mod etl;
mod llm;
mod spec;
mod tokens;
mod validate;
mod windows;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _streamliner(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<engine::PyEngine>()?;
    windows::register(m)?;
    etl::register(m)?;
    llm::register(m)?;
    tokens::register(m)?;
    m.add_function(wrap_pyfunction!(errors::_panic_for_tests, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
