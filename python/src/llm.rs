//! Bindings of `streamliner::llm` and the LLM-side kernels: prompts rendered once per message, their
//! SHA-256, and media file names (wrapped by `python/python/streamliner/llm.py`).

use arrow_array::RecordBatch;
use pyo3::exceptions::{PyIndexError, PyValueError};
use pyo3::prelude::*;
use streamliner::Engine;
use streamliner::llm::{ConversationColumns, Escape, PromptTemplate, RenderedMessages, window_ranges};

use crate::arrow::{array_of, batches_of, to_py_array};
use crate::engine::{PyEngine, engine_for};
use crate::errors::{py_err, run};
use crate::spec::PyWindowSpec;
use crate::validate::Decoded;
use crate::windows::PyWindows;

/// The prompts of windows over one message table: every message rendered once, each prompt a range of
/// that text (see `streamliner.Prompts`, which wraps this).
#[pyclass(module = "streamliner._streamliner", name = "Prompts", frozen)]
struct PyPrompts {
    rendered: RenderedMessages,
    windows: Vec<(u64, u64)>,
    engine: Engine,
}

#[pymethods]
impl PyPrompts {
    fn __len__(&self) -> usize {
        self.windows.len()
    }

    /// The number of messages rendered.
    fn messages(&self) -> usize {
        self.rendered.len()
    }

    /// Window `i`'s prompt as a `str`.
    fn prompt(&self, i: isize) -> PyResult<String> {
        let n = self.windows.len() as isize;
        if !(-n..n).contains(&i) {
            return Err(PyIndexError::new_err(format!("window {i} of {n}")));
        }
        let (s, e) = self.windows[i.rem_euclid(n) as usize];
        Ok(self.rendered.prompt(s..e).map_err(py_err)?.to_string())
    }

    /// Every window's prompt, as a `pyarrow.LargeStringArray`.
    fn prompts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let out = run(py, || self.rendered.prompts(&self.windows))?;
        to_py_array(py, &out)
    }

    /// The SHA-256 of every window's prompt as 64 hex digits (`pyarrow.StringArray`).
    fn signatures<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let out = run(py, || self.rendered.hex_digests(&self.engine, &self.windows))?;
        to_py_array(py, &out)
    }
}

/// The windows' row ranges: a window table (Arrow data with `start_row` and `end_row`) or a sequence
/// of `(start, end)` pairs.
fn ranges_of(py: Python<'_>, windows: &Bound<'_, PyAny>) -> PyResult<Vec<(u64, u64)>> {
    if windows.hasattr("__arrow_c_stream__")? || windows.hasattr("__arrow_c_array__")? {
        let mut out = Vec::new();
        for batch in batches_of(py, windows, Decoded::All)? {
            out.extend(window_ranges(&batch).map_err(py_err)?);
        }
        return Ok(out);
    }
    windows.extract::<Vec<(u64, u64)>>().map_err(|_| {
        PyValueError::new_err("windows must be a window table (with start_row and end_row) or (start, end) pairs")
    })
}

/// The template a `render_prompts` call describes.
#[allow(clippy::too_many_arguments)] // one argument per parameter of the Python call
fn template_of(
    template: &str,
    message: Option<&str>,
    header: Option<&str>,
    footer: Option<&str>,
    empty: Option<&str>,
    columns: ConversationColumns,
    escape: &str,
) -> PyResult<PromptTemplate> {
    let escape = match escape.trim().to_ascii_lowercase().as_str() {
        "html" => Escape::Html,
        "none" => Escape::None,
        other => {
            return Err(PyValueError::new_err(format!("invalid escape = {other:?}: expected \"html\" or \"none\"")));
        }
    };
    let mut t = match (template.trim().to_ascii_lowercase().as_str(), message) {
        (_, Some(m)) => PromptTemplate::new(m).map_err(py_err)?,
        ("egregora", None) => {
            if header.is_some() || footer.is_some() || empty.is_some() {
                return Err(PyValueError::new_err(
                    "header, footer and empty go with a message template (message=...), not the egregora one",
                ));
            }
            PromptTemplate::conversation_xml(&columns)
        }
        (other, None) => {
            return Err(PyValueError::new_err(format!(
                "invalid template = {other:?}: expected \"egregora\", or a message template in message=..."
            )));
        }
    };
    if message.is_some() && columns != ConversationColumns::default() {
        return Err(PyValueError::new_err(
            "id_column, author_column, ts_column and text_column go with the egregora template; a message \
             template names its columns itself ({column})",
        ));
    }
    if let Some(h) = header {
        t = t.header(h);
    }
    if let Some(f) = footer {
        t = t.footer(f);
    }
    if let Some(e) = empty {
        t = t.empty(e);
    }
    Ok(t.escape(escape))
}

/// Renders every message of `messages` once and frames the windows' prompts.
#[pyfunction]
#[pyo3(signature = (messages, windows, template = "egregora", message = None, header = None, footer = None,
    empty = None, id_column = None, author_column = None, ts_column = None, text_column = None, escape = "html",
    backend = "auto", engine = None))]
#[allow(clippy::too_many_arguments)] // the Python call's parameters
fn render_prompts(
    py: Python<'_>,
    messages: &Bound<'_, PyAny>,
    windows: &Bound<'_, PyAny>,
    template: &str,
    message: Option<&str>,
    header: Option<&str>,
    footer: Option<&str>,
    empty: Option<&str>,
    id_column: Option<String>,
    author_column: Option<String>,
    ts_column: Option<String>,
    text_column: Option<String>,
    escape: &str,
    backend: &str,
    engine: Option<PyRef<'_, PyEngine>>,
) -> PyResult<PyPrompts> {
    let columns = ConversationColumns { id: id_column, author: author_column, ts: ts_column, text: text_column };
    let template = template_of(template, message, header, footer, empty, columns, escape)?;
    let engine = engine_for(py, backend, engine.as_deref())?;
    let batches: Vec<RecordBatch> = batches_of(py, messages, Decoded::All)?;
    let windows = ranges_of(py, windows)?;
    let rendered = run(py, || {
        let r = template.render_batches(&batches)?;
        // Checked now, so that a bad window fails this call rather than a later use.
        r.check_windows(&windows)?;
        Ok(r)
    })?;
    Ok(PyPrompts { rendered, windows, engine })
}

/// Windows of `data` by `spec` (a "tokens" spec) whose prompts, rendered by the template, hold at most
/// the budget counted whole; the windows and their prompts.
#[pyfunction]
#[pyo3(signature = (data, spec, template = "egregora", message = None, header = None, footer = None,
    empty = None, id_column = None, author_column = None, ts_column = None, text_column = None, escape = "html",
    backend = "auto", engine = None))]
#[allow(clippy::too_many_arguments)] // the Python call's parameters
fn token_windows(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    spec: PyRef<'_, PyWindowSpec>,
    template: &str,
    message: Option<&str>,
    header: Option<&str>,
    footer: Option<&str>,
    empty: Option<&str>,
    id_column: Option<String>,
    author_column: Option<String>,
    ts_column: Option<String>,
    text_column: Option<String>,
    escape: &str,
    backend: &str,
    engine: Option<PyRef<'_, PyEngine>>,
) -> PyResult<(PyWindows, PyPrompts)> {
    let columns = ConversationColumns { id: id_column, author: author_column, ts: ts_column, text: text_column };
    let template = template_of(template, message, header, footer, empty, columns, escape)?;
    let engine = engine_for(py, backend, engine.as_deref())?;
    let batches: Vec<RecordBatch> = batches_of(py, data, Decoded::All)?;
    let spec = spec.inner.clone();
    let out = run(py, || streamliner::llm::token_windows(&engine, &batches, &spec, &template))?;
    let windows = out.ranges();
    let (inner, rendered) = out.into_parts();
    Ok((PyWindows::new(inner, data)?, PyPrompts { rendered, windows, engine }))
}

/// The media file names each text refers to, as a list<string> array.
#[pyfunction]
#[pyo3(signature = (text, backend = "auto", engine = None))]
fn media_references<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
    backend: &str,
    engine: Option<PyRef<'py, PyEngine>>,
) -> PyResult<Bound<'py, PyAny>> {
    let a = array_of(text)?;
    let engine = engine_for(py, backend, engine.as_deref())?;
    let out = run(py, || streamliner::media::media_references(&engine, a.as_ref()))?;
    to_py_array(py, &out)
}

/// The SHA-256 of each text's UTF-8 bytes as 64 hex digits.
#[pyfunction]
#[pyo3(signature = (text, backend = "auto", engine = None))]
fn sha256<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
    backend: &str,
    engine: Option<PyRef<'py, PyEngine>>,
) -> PyResult<Bound<'py, PyAny>> {
    let a = array_of(text)?;
    let engine = engine_for(py, backend, engine.as_deref())?;
    let out = run(py, || streamliner::sha256::sha256_hex(&engine, a.as_ref()))?;
    to_py_array(py, &out)
}

/// Adds this file's classes and functions to the extension module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPrompts>()?;
    m.add_function(wrap_pyfunction!(render_prompts, m)?)?;
    m.add_function(wrap_pyfunction!(token_windows, m)?)?;
    m.add_function(wrap_pyfunction!(media_references, m)?)?;
    m.add_function(wrap_pyfunction!(sha256, m)?)?;
    Ok(())
}
