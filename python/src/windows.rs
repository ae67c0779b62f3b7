//! `window` and `window_stream`: windows in memory (`Windows`, whose rows are sliced here) and
//! streamed (`WindowStream`, which owns its engine clone).

use std::sync::Mutex;

use arrow_array::{RecordBatch, UInt64Array};
use arrow_pyarrow::ToPyArrow;
use pyo3::exceptions::{PyIndexError, PyValueError};
use pyo3::prelude::*;
use streamliner::window::{StreamWindow, WindowStream, WindowTables, Windows};

use crate::arrow::{batches_of, stream_of, to_py_array, to_py_chunks, to_py_table};
use crate::engine::{PyEngine, engine_for};
use crate::errors::{lock, py_err, run};
use crate::spec::{PyWindowSpec, count};
use crate::validate::{Decoded, Validated};

/// The windows of a history (see `streamliner.Windows`, which wraps this).
#[pyclass(module = "streamliner._streamliner", name = "Windows", frozen)]
pub(crate) struct PyWindows {
    inner: Windows,
    /// The caller's table, when window rows are its own rows (unpartitioned input in timestamp order).
    input: Option<Py<PyAny>>,
    /// Each partition's sorted rows as a `pyarrow.Table`, made on first use.
    histories: Mutex<Vec<Option<Py<PyAny>>>>,
}

impl PyWindows {
    /// The windows of `data` (the caller's object, whose rows they are when in input order).
    pub(crate) fn new(inner: Windows, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let in_order = inner.partition_key(0).is_none() && inner.input_rows().is_none();
        let input = (in_order && data.hasattr("slice")?).then(|| data.clone().unbind());
        Ok(PyWindows { inner, input, histories: Mutex::new(Vec::new()) })
    }

    /// Index `i` of `n` items, negative from the end as Python counts.
    fn index(i: isize, n: usize, what: &str) -> PyResult<usize> {
        let k = if i < 0 { i + n as isize } else { i };
        usize::try_from(k).ok().filter(|&k| k < n).ok_or_else(|| PyIndexError::new_err(format!("{what} {i} of {n}")))
    }
}

#[pymethods]
impl PyWindows {
    /// The window table as a `pyarrow.Table`.
    fn table<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_table(py, self.inner.table())
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// Partition `p`'s rows in timestamp order as a `pyarrow.Table`: the input itself when window rows
    /// are its rows, else the chunks the library holds (zero-copy either way).
    fn history<'py>(&self, py: Python<'py>, p: usize) -> PyResult<Bound<'py, PyAny>> {
        if let Some(input) = &self.input {
            return Ok(input.bind(py).clone());
        }
        let n = self.inner.partitions();
        if p >= n {
            return Err(PyIndexError::new_err(format!("partition {p} of {n}")));
        }
        if let Some(Some(h)) = lock(&self.histories).get(p) {
            return Ok(h.bind(py).clone());
        }
        let (batches, schema) = self.inner.partition_batches(p).map_err(py_err)?;
        let table = to_py_chunks(py, batches, schema)?;
        let mut cache = lock(&self.histories);
        cache.resize_with(n, || None);
        cache[p] = Some(table.clone().unbind());
        Ok(table)
    }

    /// The rows of window `i` (negative from the end) as a `pyarrow.Table`: a zero-copy slice of its
    /// partition's history (several chunks when the window spans input chunks).
    fn rows<'py>(&self, py: Python<'py>, i: isize) -> PyResult<Bound<'py, PyAny>> {
        let k = Self::index(i, self.inner.len(), "window")?;
        let w = self.inner.windows()[k];
        self.history(py, w.partition as usize)?.call_method1("slice", (w.start_row, w.size()))
    }

    /// The partition number of each window (`pyarrow.Array`, uint64; all 0 when not partitioned).
    fn partition_ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let ids = UInt64Array::from_iter_values(self.inner.windows().iter().map(|w| w.partition));
        to_py_array(py, &ids)
    }

    /// The number of partitions (1 when not partitioned).
    fn partitions(&self) -> usize {
        self.inner.partitions()
    }

    /// True when window rows are numbered as the input's rows (unpartitioned input already in timestamp
    /// order): a window's rows are then the input's rows `start_row..end_row`.
    fn in_input_order(&self) -> bool {
        self.inner.partition_key(0).is_none() && self.inner.input_rows().is_none()
    }

    /// Sorted row -> input row of partition `p` as a `pyarrow.Array` (uint64), or None when they are
    /// the same.
    fn input_rows<'py>(&self, py: Python<'py>, p: usize) -> PyResult<Option<Bound<'py, PyAny>>> {
        if p == 0 && self.inner.partition_key(0).is_none() {
            return self.inner.input_rows().map(|a| to_py_array(py, a)).transpose();
        }
        let Some(n) =
            self.inner.partition_batches(p).ok().map(|(b, _)| b.iter().map(|b| b.num_rows() as u64).sum::<u64>())
        else {
            return Err(PyValueError::new_err(format!("no partition {p}")));
        };
        let rows = UInt64Array::from_iter_values((0..n).map(|r| self.inner.partition_input_row(p as u64, r)));
        Ok(Some(to_py_array(py, &rows)?))
    }
}

/// Windows `data` (a `pyarrow.Table`, or anything with `__arrow_c_stream__`) by `spec`, in memory.
#[pyfunction]
#[pyo3(signature = (data, spec, backend = "auto", engine = None))]
fn window(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    spec: PyRef<'_, PyWindowSpec>,
    backend: &str,
    engine: Option<PyRef<'_, PyEngine>>,
) -> PyResult<PyWindows> {
    let spec = spec.inner.clone();
    let engine = engine_for(py, backend, engine.as_deref())?;
    let decoded: Vec<&str> = spec.partition_by.iter().map(String::as_str).collect();
    let batches = batches_of(py, data, Decoded::Columns(&decoded))?;
    let inner = run(py, || engine.window_batches(&batches, &spec))?;
    PyWindows::new(inner, data)
}

/// The stream under a `PyWindowStream`: windows (with rows, when asked) or window tables.
enum StreamKind {
    /// Windows one by one.
    Windows(WindowStream<Validated>),
    /// Window tables.
    Tables(WindowTables<Validated>),
}

/// Windows over a stream of record batches, yielded as they become final. The stream owns its engine.
#[pyclass(module = "streamliner._streamliner", name = "WindowStream", frozen)]
struct PyWindowStream {
    state: Mutex<Option<StreamKind>>,
}

/// One streamed window as a tuple: (window_index, partition, start_row, end_row, start_time, end_time,
/// units, key (pyarrow array of one row, or None), rows (pyarrow.RecordBatch, or None)).
type WindowTuple<'py> = (u64, u64, u64, u64, i64, i64, u64, Option<Bound<'py, PyAny>>, Option<Bound<'py, PyAny>>);

/// The tuple of a streamed window.
fn window_tuple<'py>(py: Python<'py>, w: &StreamWindow, with_rows: bool) -> PyResult<WindowTuple<'py>> {
    let key = w.key.as_ref().map(|k| to_py_array(py, k.as_ref())).transpose()?;
    let rows = if with_rows { Some(w.rows().map_err(py_err)?.to_pyarrow(py)?) } else { None };
    let x = &w.window;
    Ok((x.index, x.partition, x.start_row, x.end_row, x.start_time, x.end_time, x.units, key, rows))
}

#[pymethods]
impl PyWindowStream {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next window (a tuple, see `WindowTuple`) or window table (a `pyarrow.RecordBatch`).
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        enum Item {
            Window(StreamWindow),
            Table(RecordBatch),
        }
        // The lock is taken with the GIL released: a producer that calls back into Python (a pyarrow
        // reader over a Python generator) takes the GIL while we wait, and must find it free.
        let item = run(py, || {
            let mut state = lock(&self.state);
            let next = match state.as_mut() {
                None => None,
                Some(StreamKind::Windows(s)) => s.next().map(|r| r.map(Item::Window)),
                Some(StreamKind::Tables(t)) => t.next().map(|r| r.map(Item::Table)),
            };
            if next.is_none() {
                // The end (or after an error): release the input stream now.
                *state = None;
            }
            next.transpose()
        })?;
        match item {
            None => Ok(None),
            Some(Item::Window(w)) => {
                let keep = w.rows().is_ok();
                Ok(Some(window_tuple(py, &w, keep)?.into_pyobject(py)?.into_any()))
            }
            Some(Item::Table(t)) => Ok(Some(t.to_pyarrow(py)?)),
        }
    }
}

/// Windows over `source` (anything with `__arrow_c_stream__`) by `spec`, streamed.
#[pyfunction]
#[pyo3(signature = (source, spec, rows = true, tables = false, max_table_rows = None, backend = "auto", engine = None))]
#[allow(clippy::too_many_arguments)] // the Python call's parameters
fn window_stream(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    spec: PyRef<'_, PyWindowSpec>,
    rows: bool,
    tables: bool,
    max_table_rows: Option<&Bound<'_, PyAny>>,
    backend: &str,
    engine: Option<PyRef<'_, PyEngine>>,
) -> PyResult<PyWindowStream> {
    let max_table_rows = match max_table_rows {
        Some(obj) if !obj.is_none() => usize::try_from(count(obj, "max_table_rows", 1)?).unwrap_or(usize::MAX),
        _ => 65_536,
    };
    let engine = engine_for(py, backend, engine.as_deref())?;
    let reader = Validated::new(stream_of(source)?, spec.inner.partition_by.iter().cloned().collect());
    let stream = engine.window_stream(reader, &spec.inner).map_err(py_err)?;
    let kind = if tables {
        StreamKind::Tables(stream.tables(max_table_rows))
    } else if rows {
        StreamKind::Windows(stream.with_rows())
    } else {
        StreamKind::Windows(stream)
    };
    Ok(PyWindowStream { state: Mutex::new(Some(kind)) })
}

/// Adds the window classes and functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyWindowSpec>()?;
    m.add_class::<PyWindows>()?;
    m.add_class::<PyWindowStream>()?;
    m.add_function(wrap_pyfunction!(window, m)?)?;
    m.add_function(wrap_pyfunction!(window_stream, m)?)?;
    Ok(())
}
