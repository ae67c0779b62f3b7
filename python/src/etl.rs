//! The ETL functions: reading WhatsApp exports, the pipeline's message table, and the column kernels
//! over Arrow arrays.

use std::path::PathBuf;

use pyo3::exceptions::{PyFileNotFoundError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use streamliner::etl::{MessageTableBuilder, MessageTableOptions, author_uuids, opt_out_keys};
use streamliner::io::whatsapp::{DateOrder, WhatsAppOptions, WhatsAppStream};
use streamliner::io::{InputFormat, ReadOptions, read_history};
use streamliner::strings::{LengthUnit, lengths as length_kernel};

use crate::arrow::{array_of, to_py_array, to_py_table};
use crate::engine::{PyEngine, engine_for};
use crate::errors::{py_err, run};

/// A date order from its name: "day_first" (31/12/2023) or "month_first" (12/31/2023), or None to infer.
fn date_order_of(order: Option<&str>) -> PyResult<Option<DateOrder>> {
    match order.map(|o| o.trim().to_ascii_lowercase().replace('-', "_")) {
        None => Ok(None),
        Some(o) if matches!(o.as_str(), "day_first" | "dayfirst" | "dmy") => Ok(Some(DateOrder::DayFirst)),
        Some(o) if matches!(o.as_str(), "month_first" | "monthfirst" | "mdy") => Ok(Some(DateOrder::MonthFirst)),
        Some(o) => Err(PyValueError::new_err(format!(
            "invalid date_order = {o:?}: expected \"day_first\", \"month_first\" or None (inferred)"
        ))),
    }
}

/// A path argument (str or os.PathLike).
fn path_of(path: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    path.extract::<PathBuf>()
}

/// Checks that `path` is a WhatsApp export (.txt or .zip) and exists.
fn whatsapp_path(path: &std::path::Path) -> PyResult<()> {
    match InputFormat::from_path(path) {
        Ok(InputFormat::WhatsApp) => {}
        _ => {
            return Err(PyValueError::new_err(format!(
                "{}: expected a WhatsApp export (.txt, or a .zip holding one)",
                path.display()
            )));
        }
    }
    if !path.exists() {
        return Err(PyFileNotFoundError::new_err(format!("{}: no such file", path.display())));
    }
    Ok(())
}

/// Reads a WhatsApp export into a `pyarrow.Table` (`ts`, `author`, `text`, `line`).
#[pyfunction]
#[pyo3(signature = (path, tz = "UTC", date_order = None, normalize = false))]
fn read_whatsapp<'py>(
    py: Python<'py>,
    path: &Bound<'py, PyAny>,
    tz: &str,
    date_order: Option<&str>,
    normalize: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let path = path_of(path)?;
    whatsapp_path(&path)?;
    let opts =
        ReadOptions { tz: tz.into(), date_order: date_order_of(date_order)?, normalize, ..ReadOptions::default() };
    let batch = run(py, || read_history(&path, &opts))?;
    to_py_table(py, &batch)
}

/// Reads a WhatsApp export and builds the pipeline's message table, as a `pyarrow.Table`, and a summary
/// dict.
#[pyfunction]
#[pyo3(signature = (path, tz = "UTC", group = None, opt_out = None, date_order = None, backend = "auto", engine = None))]
#[allow(clippy::too_many_arguments)] // the Python call's parameters
fn prepare<'py>(
    py: Python<'py>,
    path: &Bound<'py, PyAny>,
    tz: &str,
    group: Option<String>,
    opt_out: Option<Vec<String>>,
    date_order: Option<&str>,
    backend: &str,
    engine: Option<PyRef<'py, PyEngine>>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyDict>)> {
    let path = path_of(path)?;
    whatsapp_path(&path)?;
    let engine = engine_for(py, backend, engine.as_deref())?;
    // `..Default::default()` sets nothing today, but keeps options added to the reader later at their defaults.
    #[allow(clippy::needless_update)]
    let read_opts = WhatsAppOptions {
        tz: tz.into(),
        date_order: date_order_of(date_order)?,
        normalize: true,
        ..WhatsAppOptions::default()
    };
    let mut table_opts = MessageTableOptions::default();
    let (table, summary) = run(py, || {
        let mut stream = WhatsAppStream::open(&path, &read_opts)?;
        table_opts.group = group.clone().unwrap_or_else(|| stream.group_name().to_string());
        if let Some(lines) = &opt_out {
            table_opts.opt_out = opt_out_keys(lines.iter().map(String::as_str));
        }
        let mut builder = MessageTableBuilder::new(&engine, &table_opts);
        for batch in stream.by_ref() {
            builder.push(&batch?)?;
        }
        builder.finish()?.into_batch()
    })?;
    let d = PyDict::new(py);
    d.set_item("messages", summary.messages)?;
    d.set_item("authors", summary.authors)?;
    d.set_item("dropped_commands", summary.dropped_commands)?;
    d.set_item("dropped_opted_out", summary.dropped_opted_out)?;
    Ok((to_py_table(py, &table)?, d))
}

/// Author pseudonyms: `uuid5(NAMESPACE_OID, "whatsapp:" + author.strip())` as strings.
#[pyfunction]
#[pyo3(signature = (authors, backend = "auto", engine = None))]
fn pseudonyms<'py>(
    py: Python<'py>,
    authors: &Bound<'py, PyAny>,
    backend: &str,
    engine: Option<PyRef<'py, PyEngine>>,
) -> PyResult<Bound<'py, PyAny>> {
    let a = array_of(authors)?;
    let engine = engine_for(py, backend, engine.as_deref())?;
    let out = run(py, || author_uuids(&engine, a.as_ref()))?;
    to_py_array(py, &out)
}

/// Text lengths in UTF-8 bytes ("bytes") or code points ("chars"), as uint64.
#[pyfunction]
#[pyo3(signature = (text, unit = "bytes", backend = "auto", engine = None))]
fn lengths<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
    unit: &str,
    backend: &str,
    engine: Option<PyRef<'py, PyEngine>>,
) -> PyResult<Bound<'py, PyAny>> {
    let unit = match unit.trim().to_ascii_lowercase().as_str() {
        "bytes" => LengthUnit::Utf8Bytes,
        "chars" => LengthUnit::CodePoints,
        other => {
            return Err(PyValueError::new_err(format!("invalid unit = {other:?}: expected \"bytes\" or \"chars\"")));
        }
    };
    let a = array_of(text)?;
    let engine = engine_for(py, backend, engine.as_deref())?;
    let out = run(py, || length_kernel(&engine, a.as_ref(), unit))?;
    to_py_array(py, &out)
}

/// The URLs in each text, as a list<string> array.
#[pyfunction]
#[pyo3(signature = (text, backend = "auto", engine = None))]
fn extract_urls<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
    backend: &str,
    engine: Option<PyRef<'py, PyEngine>>,
) -> PyResult<Bound<'py, PyAny>> {
    let a = array_of(text)?;
    let engine = engine_for(py, backend, engine.as_deref())?;
    let out = run(py, || streamliner::text_match::extract_urls(&engine, a.as_ref()))?;
    to_py_array(py, &out)
}

/// Wall-clock timestamps in `zone` to UTC (same unit, labelled UTC).
#[pyfunction]
#[pyo3(signature = (ts, zone, backend = "auto", engine = None))]
fn local_to_utc<'py>(
    py: Python<'py>,
    ts: &Bound<'py, PyAny>,
    zone: &str,
    backend: &str,
    engine: Option<PyRef<'py, PyEngine>>,
) -> PyResult<Bound<'py, PyAny>> {
    let a = array_of(ts)?;
    let engine = engine_for(py, backend, engine.as_deref())?;
    let out = run(py, || streamliner::time::local_to_utc(&engine, a.as_ref(), zone))?;
    to_py_array(py, out.as_ref())
}

/// Command messages: text that, lowercased, starts with "/egregora".
#[pyfunction]
#[pyo3(signature = (text, backend = "auto", engine = None))]
fn command_mask<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
    backend: &str,
    engine: Option<PyRef<'py, PyEngine>>,
) -> PyResult<Bound<'py, PyAny>> {
    let a = array_of(text)?;
    let engine = engine_for(py, backend, engine.as_deref())?;
    let out = run(py, || streamliner::etl::command_mask(&engine, a.as_ref()))?;
    to_py_array(py, &out)
}

/// Rows whose author pseudonym is in `opted_out` (pseudonyms, or author names turned into theirs).
#[pyfunction]
#[pyo3(signature = (author_uuid, opted_out, backend = "auto", engine = None))]
fn opt_out_mask<'py>(
    py: Python<'py>,
    author_uuid: &Bound<'py, PyAny>,
    opted_out: Vec<String>,
    backend: &str,
    engine: Option<PyRef<'py, PyEngine>>,
) -> PyResult<Bound<'py, PyAny>> {
    let a = array_of(author_uuid)?;
    let keys = opt_out_keys(opted_out.iter().map(String::as_str));
    let engine = engine_for(py, backend, engine.as_deref())?;
    let out = run(py, || streamliner::etl::opt_out_mask(&engine, a.as_ref(), &keys))?;
    to_py_array(py, &out)
}

/// Parses a duration like "90m", "2h", "1h30m" into seconds (float), as the library reads them.
#[pyfunction]
fn parse_duration_seconds(text: &str) -> PyResult<f64> {
    streamliner::window::parse_duration(text).map(|d| d.as_secs_f64()).map_err(py_err)
}

/// Adds the ETL functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(read_whatsapp, m)?)?;
    m.add_function(wrap_pyfunction!(prepare, m)?)?;
    m.add_function(wrap_pyfunction!(pseudonyms, m)?)?;
    m.add_function(wrap_pyfunction!(lengths, m)?)?;
    m.add_function(wrap_pyfunction!(extract_urls, m)?)?;
    m.add_function(wrap_pyfunction!(local_to_utc, m)?)?;
    m.add_function(wrap_pyfunction!(command_mask, m)?)?;
    m.add_function(wrap_pyfunction!(opt_out_mask, m)?)?;
    m.add_function(wrap_pyfunction!(parse_duration_seconds, m)?)?;
    Ok(())
}
