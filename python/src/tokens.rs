//! Token counts of OpenAI's encodings (`streamliner.token_counts`, `streamliner.count_tokens`).

use pyo3::prelude::*;
use streamliner::tokens::{self, Encoding};

use crate::arrow::{array_of, to_py_array};
use crate::engine::{PyEngine, engine_for};
use crate::errors::{py_err, run};

/// `"o200k_base"` or `"cl100k_base"`; another name is a `ValueError`.
fn encoding_of(name: &str) -> PyResult<Encoding> {
    name.parse().map_err(py_err)
}

/// The tokens of each text in an OpenAI encoding (tiktoken's `encode_ordinary`), as uint32.
#[pyfunction]
#[pyo3(signature = (text, encoding = "o200k_base", backend = "auto", engine = None))]
fn token_counts<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
    encoding: &str,
    backend: &str,
    engine: Option<PyRef<'py, PyEngine>>,
) -> PyResult<Bound<'py, PyAny>> {
    let encoding = encoding_of(encoding)?;
    let a = array_of(text)?;
    let engine = engine_for(py, backend, engine.as_deref())?;
    let out = run(py, || tokens::token_counts(&engine, a.as_ref(), encoding))?;
    to_py_array(py, &out)
}

/// The tokens of one whole text in an OpenAI encoding, counted on the CPU.
#[pyfunction]
#[pyo3(signature = (text, encoding = "o200k_base"))]
fn count_tokens(py: Python<'_>, text: &str, encoding: &str) -> PyResult<u64> {
    let encoding = encoding_of(encoding)?;
    run(py, || tokens::count_tokens(text, encoding))
}

/// Adds the token functions to the extension module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(token_counts, m)?)?;
    m.add_function(wrap_pyfunction!(count_tokens, m)?)?;
    Ok(())
}
