//! `streamliner._streamliner`: the Python extension module of streamliner (PyO3, abi3 for Python >= 3.11).
//!
//! Arrow data crosses the boundary without copies through the Arrow PyCapsule interface
//! (`__arrow_c_stream__` / `__arrow_c_array__`, read with `arrow-pyarrow`); the GIL is released while the
//! library runs, and panics are caught and raised as `RuntimeError`, so no input takes the interpreter
//! down. The public, documented API is the pure-Python package `streamliner`, which wraps this module
//! thinly (see `python/python/streamliner/__init__.py`).

/// The extension's allocator. The window and ETL kernels allocate outputs of many megabytes a call;
/// glibc's malloc returns such blocks to the kernel on free and pays a page fault per page on the next
/// call (a third of the time of a code-point window call on a million messages). mimalloc keeps them for
/// reuse. Memory that Arrow hands across the C interface is freed by the side that allocated it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod llm;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use arrow_array::ffi_stream::RecordBatchStreamReader;
use arrow_array::{Array, ArrayRef, RecordBatch, make_array};
use arrow_pyarrow::{FromPyArrow, IntoPyArrow, ToPyArrow};
use arrow_schema::ArrowError;
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString};
use streamliner::etl::{MessageTableBuilder, MessageTableOptions, author_uuids, opt_out_keys};
use streamliner::io::whatsapp::{DateOrder, WhatsAppOptions, WhatsAppStream};
use streamliner::io::{InputFormat, ReadOptions, read_history};
use streamliner::strings::{LengthUnit, lengths as length_kernel};
use streamliner::window::{Semantics, StepUnit, StreamWindow, WindowSpec, WindowStream, WindowTables, Windows};
use streamliner::{Backend, Engine, Error};

mod tokens;

/// A library error as the Python exception that fits it: `FileNotFoundError` / `OSError` for files,
/// `RuntimeError` for the GPU, `ValueError` for everything the caller gave (input, parameters).
fn py_err(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::Io { message, .. } => {
            let lower = message.to_ascii_lowercase();
            if lower.contains("no such file") || lower.contains("not found") {
                PyFileNotFoundError::new_err(msg)
            } else {
                PyOSError::new_err(msg)
            }
        }
        Error::OutputClosed { .. } => PyOSError::new_err(msg),
        Error::NoAdapter { .. } | Error::DeviceRequest { .. } | Error::Gpu { .. } => PyRuntimeError::new_err(msg),
        _ => PyValueError::new_err(msg),
    }
}

/// An Arrow error from reading the caller's data: bad data, hence `ValueError`.
fn arrow_err(e: ArrowError) -> PyErr {
    PyValueError::new_err(format!("Arrow input: {e}"))
}

/// Runs `f` with the GIL released, turning a panic into `RuntimeError` (a panic must never unwind into
/// the interpreter) and a library error into its Python exception.
fn run<T: Send>(py: Python<'_>, f: impl FnOnce() -> streamliner::Result<T> + Send) -> PyResult<T> {
    py.detach(|| catch_unwind(AssertUnwindSafe(f))).map_err(panic_err)?.map_err(py_err)
}

/// A caught panic as `RuntimeError`, with its message.
fn panic_err(payload: Box<dyn std::any::Any + Send>) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    PyRuntimeError::new_err(format!("streamliner internal error (please report it): {what}"))
}

/// Locks `m`, taking the value even when a panic poisoned the lock (the panic was reported already).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A backend name as `Backend`.
fn backend_of(name: &str) -> PyResult<Backend> {
    Backend::from_str(name).map_err(py_err)
}

/// The engines of the module-level functions, one per backend, made on first use.
static ENGINES: Mutex<Vec<(String, Arc<Engine>)>> = Mutex::new(Vec::new());

/// The shared engine for `backend` ("auto" honours `STREAMLINER_BACKEND`).
fn shared_engine(py: Python<'_>, backend: &str) -> PyResult<Arc<Engine>> {
    let key = backend.trim().to_ascii_lowercase();
    if let Some((_, e)) = lock(&ENGINES).iter().find(|(k, _)| *k == key) {
        return Ok(Arc::clone(e));
    }
    let engine = if key == "auto" {
        run(py, Engine::from_env)?
    } else {
        let b = backend_of(&key)?;
        run(py, move || Engine::new(b))?
    };
    let engine = Arc::new(engine);
    lock(&ENGINES).push((key, Arc::clone(&engine)));
    Ok(engine)
}

/// The engine of a call: `engine` when given, else the shared engine of `backend`.
fn engine_for(py: Python<'_>, backend: &str, engine: Option<&PyEngine>) -> PyResult<Arc<Engine>> {
    match engine {
        Some(e) => Ok(Arc::clone(&e.inner)),
        None => shared_engine(py, backend),
    }
}

/// A compute engine on one backend (see `streamliner.Engine`).
#[pyclass(module = "streamliner._streamliner", name = "Engine", frozen)]
struct PyEngine {
    inner: Arc<Engine>,
}

#[pymethods]
impl PyEngine {
    /// A new engine: `backend` is "auto", "cpu" or "gpu" ("auto" honours `STREAMLINER_BACKEND`).
    #[new]
    #[pyo3(signature = (backend = "auto"))]
    fn new(py: Python<'_>, backend: &str) -> PyResult<Self> {
        let b = backend.trim().to_ascii_lowercase();
        let engine = if b == "auto" {
            run(py, Engine::from_env)?
        } else {
            let b = backend_of(&b)?;
            run(py, move || Engine::new(b))?
        };
        Ok(PyEngine { inner: Arc::new(engine) })
    }

    /// What runs and why: a dict with `requested`, `active` ("cpu" or "gpu"), `reason`, and `adapter`
    /// (a dict, or None on the CPU).
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let info = self.inner.info();
        let d = PyDict::new(py);
        d.set_item("requested", info.requested.to_string())?;
        d.set_item("active", if self.inner.is_gpu() { "gpu" } else { "cpu" })?;
        d.set_item("reason", &info.reason)?;
        d.set_item("description", info.to_string())?;
        match &info.adapter {
            Some(a) => {
                let ad = PyDict::new(py);
                ad.set_item("name", &a.name)?;
                ad.set_item("api", &a.api)?;
                ad.set_item("device_type", &a.device_type)?;
                ad.set_item("software", a.software)?;
                ad.set_item("driver", &a.driver)?;
                ad.set_item("max_storage_buffer_binding_size", a.max_storage_buffer_binding_size)?;
                ad.set_item("max_buffer_size", a.max_buffer_size)?;
                ad.set_item("segment_elements", a.segment_elements)?;
                ad.set_item("memory", a.memory)?;
                d.set_item("adapter", ad)?;
            }
            None => d.set_item("adapter", py.None())?,
        }
        Ok(d)
    }

    /// True when the engine runs on a GPU adapter.
    #[getter]
    fn is_gpu(&self) -> bool {
        self.inner.is_gpu()
    }

    fn __repr__(&self) -> String {
        format!("Engine({})", self.inner.info())
    }
}

/// A duration from a Python value: a `datetime.timedelta`, a string like "2h" or "1h30m", or a number of
/// seconds.
fn duration_of(obj: &Bound<'_, PyAny>) -> PyResult<Duration> {
    if obj.is_instance_of::<PyString>() {
        let text: String = obj.extract()?;
        return streamliner::window::parse_duration(&text).map_err(py_err);
    }
    if obj.hasattr("days")? && obj.hasattr("seconds")? && obj.hasattr("microseconds")? {
        let days: i64 = obj.getattr("days")?.extract()?;
        let secs: i64 = obj.getattr("seconds")?.extract()?;
        let micros: i64 = obj.getattr("microseconds")?.extract()?;
        let total = days
            .checked_mul(86_400_000_000)
            .and_then(|d| d.checked_add(secs * 1_000_000 + micros))
            .ok_or_else(|| PyValueError::new_err("max_window_time is out of range"))?;
        let total = u64::try_from(total).map_err(|_| PyValueError::new_err("max_window_time must not be negative"))?;
        return Ok(Duration::from_micros(total));
    }
    if let Ok(secs) = obj.extract::<f64>() {
        return Duration::try_from_secs_f64(secs)
            .map_err(|e| PyValueError::new_err(format!("invalid max_window_time = {secs}: {e}")));
    }
    Err(PyTypeError::new_err(format!(
        "max_window_time must be a datetime.timedelta, a string like \"2h\" or a number of seconds, not {}",
        obj.get_type().name()?
    )))
}

/// A whole-number parameter of at least 1 (`step`, `max_bytes`...) as `u64`: a value out of range or of
/// another type is an error naming the parameter (PyO3's own conversion raises a bare `OverflowError`).
fn count_param(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    let shown = || obj.repr().map(|r| streamliner::error::excerpt(&r.to_string_lossy()));
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        if let Ok(index) = obj.call_method0("__index__") {
            return count_param(name, &index);
        }
        return Err(PyTypeError::new_err(format!("{name} must be an int, not {}", obj.get_type().name()?)));
    }
    match obj.extract::<u64>() {
        Ok(v) if v >= 1 => Ok(v),
        Ok(v) => Err(PyValueError::new_err(format!("invalid {name} = {v}: must be at least 1"))),
        Err(_) if obj.lt(0)? => {
            Err(PyValueError::new_err(format!("invalid {name} = {}: must be at least 1", shown()?)))
        }
        Err(_) => Err(PyValueError::new_err(format!(
            "invalid {name} = {}: must be at most {} (2**64 - 1)",
            shown()?,
            u64::MAX
        ))),
    }
}

/// The window parameters of the Python API as a `WindowSpec`.
#[allow(clippy::too_many_arguments)] // one argument per parameter of the Python call
fn spec_of(
    by: &str,
    step: &Bound<'_, PyAny>,
    max_bytes: &Bound<'_, PyAny>,
    overlap: f64,
    max_window_time: Option<&Bound<'_, PyAny>>,
    unit: Option<&str>,
    semantics: &str,
    partition_by: Option<String>,
    ts_column: &str,
    text_column: &str,
    skip_empty: bool,
) -> PyResult<WindowSpec> {
    let step_unit = StepUnit::from_str(by).map_err(py_err)?;
    let step = count_param("step", step)?;
    let max_bytes = count_param("max_bytes", max_bytes)?;
    let semantics = Semantics::from_str(semantics).map_err(py_err)?;
    let length_unit = match unit.map(|u| u.trim().to_ascii_lowercase()) {
        None => None,
        Some(u) if u == "bytes" => Some(LengthUnit::Utf8Bytes),
        Some(u) if u == "chars" => Some(LengthUnit::CodePoints),
        Some(u) => return Err(PyValueError::new_err(format!("invalid unit = {u:?}: expected \"bytes\" or \"chars\""))),
    };
    let max_window_time = match max_window_time {
        Some(obj) if !obj.is_none() => Some(duration_of(obj)?),
        _ => None,
    };
    let spec = WindowSpec {
        step_size: step,
        step_unit,
        overlap_ratio: overlap,
        max_window_time,
        max_bytes_per_window: max_bytes,
        length_unit,
        semantics,
        ts_column: ts_column.into(),
        text_column: text_column.into(),
        partition_by,
        skip_empty_windows: skip_empty,
        ..WindowSpec::default()
    };
    spec.validate().map_err(py_err)?;
    Ok(spec)
}

/// An Arrow stream of the caller's object (anything with `__arrow_c_stream__`).
fn stream_of(data: &Bound<'_, PyAny>) -> PyResult<RecordBatchStreamReader> {
    if !data.hasattr("__arrow_c_stream__")? {
        return Err(PyTypeError::new_err(format!(
            "expected Arrow data (an object with __arrow_c_stream__, such as a pyarrow Table or RecordBatchReader), \
             not {}",
            data.get_type().name()?
        )));
    }
    RecordBatchStreamReader::from_pyarrow_bound(data)
}

/// The columns of the caller's data that the library decodes as text, whose UTF-8 is checked as well as
/// their layout (see [`validate_batch`]).
#[derive(Clone, Copy, Debug)]
enum Decoded<'a> {
    /// Every column (the prompt renderer formats and escapes every value).
    All,
    /// These columns (the windows decode a string partition key only, to quote it in messages).
    Columns(&'a [&'a str]),
}

/// Checks that batch `index` of the caller's data is laid out as Arrow's rules say, before the library
/// reads it: what crosses the C data interface is whatever its producer made (`pyarrow.Array.from_buffers`
/// checks nothing), and the library reads columns without checks. Every column is checked by
/// [`check_layout`]; the `decoded` ones, which the library reads as text, are also checked for UTF-8
/// (arrow's `validate_full`).
fn validate_batch(batch: &RecordBatch, index: u64, decoded: Decoded<'_>) -> Result<(), Error> {
    let schema = batch.schema();
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let data = column.to_data();
        let full = match decoded {
            Decoded::All => true,
            Decoded::Columns(names) => names.contains(&field.name().as_str()),
        };
        let checked = if full { data.validate_full() } else { check_layout(&data) };
        checked.map_err(|e| Error::InvalidParameter {
            name: "Arrow input".into(),
            value: format!("column {:?} of batch {index}", field.name()),
            reason: streamliner::error::clip_message(&format!(
                "{e} (pyarrow's Array.validate(full=True) finds the same)"
            )),
        })?;
    }
    Ok(())
}

/// Checks what memory safety rests on, for `data` and its children: buffer sizes and first and last
/// offsets (arrow's `validate`), null counts, every offset of string and binary arrays in bounds and in
/// order, views within their buffers, list offsets, dictionary keys, union type ids and run ends (arrow's
/// checks of values). Text bytes are not checked for UTF-8: the window kernels count them (bytes, and
/// code points on the raw bytes) without decoding them, and a full UTF-8 check of a text column costs
/// many times the window call itself. The offsets are checked by a loop of our own, which is an order
/// of magnitude faster than arrow's per-offset check (0.08 ms against 1.1 ms on a million rows).
fn check_layout(data: &arrow_data::ArrayData) -> Result<(), ArrowError> {
    use arrow_schema::DataType;
    data.validate()?;
    data.validate_nulls()?;
    match data.data_type() {
        DataType::Utf8 | DataType::Binary => offsets_in_order(data, 4)?,
        DataType::LargeUtf8 | DataType::LargeBinary => offsets_in_order(data, 8)?,
        // Views are checked as binary views: within their buffers, with no UTF-8 check.
        DataType::Utf8View => {
            data.clone().into_builder().data_type(DataType::BinaryView).build()?;
        }
        _ => data.validate_values()?,
    }
    data.child_data().iter().try_for_each(check_layout)
}

/// Checks that the `len + 1` offsets (of `width` bytes, native order) of a string or binary array never
/// decrease (`validate` has checked that there are that many, and that the first and the last are within
/// the values). The offsets are read from the buffer's bytes, which need no alignment.
fn offsets_in_order(data: &arrow_data::ArrayData, width: usize) -> Result<(), ArrowError> {
    let buffer = data.buffers().first().map_or(&[][..], |b| b.as_slice());
    let (start, end) = (data.offset() * width, (data.offset() + data.len() + 1) * width);
    let bytes = buffer.get(start..end).ok_or_else(|| {
        ArrowError::InvalidArgumentError(format!("offset buffer of {} bytes, expected {end}", buffer.len()))
    })?;
    let slot = match width {
        4 => first_decrease(bytes.chunks_exact(4).map(|c| i64::from(i32::from_ne_bytes([c[0], c[1], c[2], c[3]])))),
        _ => first_decrease(
            bytes.chunks_exact(8).map(|c| i64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])),
        ),
    };
    match slot {
        None => Ok(()),
        Some(slot) => Err(ArrowError::InvalidArgumentError(format!(
            "Offset invariant failure: non-monotonic offset at slot {slot}"
        ))),
    }
}

/// The first position where `values` decrease (the value before it is larger), if any.
fn first_decrease(values: impl Iterator<Item = i64> + Clone) -> Option<usize> {
    // A pass without an early exit (it vectorizes), then a second one to name the slot.
    let (mut previous, mut decreasing) = (i64::MIN, false);
    for v in values.clone() {
        decreasing |= v < previous;
        previous = v;
    }
    if !decreasing {
        return None;
    }
    let mut previous = i64::MIN;
    values.enumerate().find_map(|(i, v)| {
        let at = (v < previous).then_some(i.saturating_sub(1));
        previous = v;
        at
    })
}

/// A stream of the caller's batches, each checked by [`validate_batch`] as it comes (`decoded`: the
/// columns read as text).
struct Validated {
    inner: RecordBatchStreamReader,
    batches: u64,
    decoded: Vec<String>,
}

impl Validated {
    fn new(inner: RecordBatchStreamReader, decoded: Vec<String>) -> Self {
        Validated { inner, batches: 0, decoded }
    }
}

impl Iterator for Validated {
    type Item = Result<RecordBatch, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = match self.inner.next()? {
            Ok(b) => b,
            Err(e) => return Some(Err(e.into())),
        };
        let index = self.batches;
        self.batches += 1;
        let decoded: Vec<&str> = self.decoded.iter().map(String::as_str).collect();
        Some(validate_batch(&batch, index, Decoded::Columns(&decoded)).map(|()| batch))
    }
}

/// All batches of the caller's table (zero-copy), validated (`decoded`: the columns read as text, see
/// [`validate_batch`]): anything with `__arrow_c_stream__`, or a record batch / struct array with
/// `__arrow_c_array__`. An empty stream gives one empty batch of its schema.
fn batches_of(py: Python<'_>, data: &Bound<'_, PyAny>, decoded: Decoded<'_>) -> PyResult<Vec<RecordBatch>> {
    if !data.hasattr("__arrow_c_stream__")? && data.hasattr("__arrow_c_array__")? {
        // arrow-pyarrow validates what it imports this way.
        let py = data.py();
        return Ok(vec![RecordBatch::from_pyarrow_bound(data).map_err(|e| invalid_import(py, e, "the record batch"))?]);
    }
    let reader = stream_of(data)?;
    let schema = arrow_array::RecordBatchReader::schema(&reader);
    // Pulling batches needs no GIL here; a producer that calls back into Python takes it itself.
    let collect = || -> PyResult<Vec<RecordBatch>> {
        let mut out = Vec::new();
        for batch in reader {
            let batch = batch.map_err(arrow_err)?;
            validate_batch(&batch, out.len() as u64, decoded).map_err(py_err)?;
            out.push(batch);
        }
        Ok(out)
    };
    let mut batches = py.detach(|| catch_unwind(AssertUnwindSafe(collect))).map_err(panic_err)??;
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema));
    }
    Ok(batches)
}

/// One array of the caller's (anything with `__arrow_c_array__`, e.g. a `pyarrow.Array`), validated.
fn array_of(data: &Bound<'_, PyAny>) -> PyResult<ArrayRef> {
    if !data.hasattr("__arrow_c_array__")? {
        return Err(PyTypeError::new_err(format!(
            "expected an Arrow array (an object with __arrow_c_array__, such as a pyarrow.Array), not {}",
            data.get_type().name()?
        )));
    }
    let py = data.py();
    let imported = arrow_data::ArrayData::from_pyarrow_bound(data).map_err(|e| invalid_import(py, e, "the array"))?;
    Ok(make_array(imported))
}

/// An error of arrow-pyarrow's import (which validates what it imports) as `ValueError`, naming what was
/// imported; other errors (a `TypeError` for an object of the wrong kind) as they are.
fn invalid_import(py: Python<'_>, e: PyErr, what: &str) -> PyErr {
    if !e.is_instance_of::<arrow_pyarrow::PyArrowException>(py) {
        return e;
    }
    PyValueError::new_err(format!(
        "invalid Arrow input = {what}: {} (pyarrow's Array.validate(full=True) finds the same)",
        streamliner::error::clip_message(&e.value(py).to_string())
    ))
}

/// An array as a `pyarrow.Array`.
fn to_py_array<'py>(py: Python<'py>, a: &dyn Array) -> PyResult<Bound<'py, PyAny>> {
    a.to_data().to_pyarrow(py)
}

/// A record batch as a `pyarrow.Table` of one chunk.
fn to_py_table<'py>(py: Python<'py>, batch: &RecordBatch) -> PyResult<Bound<'py, PyAny>> {
    arrow_pyarrow::Table::try_new(vec![batch.clone()], batch.schema()).map_err(arrow_err)?.into_pyarrow(py)
}

/// The windows of a history (see `streamliner.Windows`, which wraps this).
#[pyclass(module = "streamliner._streamliner", name = "Windows", frozen)]
struct PyWindows {
    inner: Windows,
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

    /// The rows of window `i` as a `pyarrow.RecordBatch` (a zero-copy slice of the sorted history).
    fn rows<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Bound<'py, PyAny>> {
        let w = self
            .inner
            .get(i)
            .ok_or_else(|| pyo3::exceptions::PyIndexError::new_err(format!("window {i} of {}", self.inner.len())))?;
        let rows = self.inner.rows(w).map_err(py_err)?;
        rows.to_pyarrow(py)
    }

    /// The partition number of each window (`pyarrow.Array`, uint64; all 0 when not partitioned).
    fn partition_ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let ids = arrow_array::UInt64Array::from_iter_values(self.inner.windows().iter().map(|w| w.partition));
        to_py_array(py, &ids)
    }

    /// The number of partitions (1 when not partitioned).
    fn partitions(&self) -> usize {
        self.inner.partitions()
    }

    /// Partition `p`'s rows in sorted order, as a `pyarrow.Table` (its chunks as they are).
    fn partition_history<'py>(&self, py: Python<'py>, p: usize) -> PyResult<Bound<'py, PyAny>> {
        let batch = self.inner.partition_history(p).map_err(py_err)?;
        to_py_table(py, &batch)
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
        let Some(n) = self.inner.partition_history(p).ok().map(|b| b.num_rows() as u64) else {
            return Err(PyValueError::new_err(format!("no partition {p}")));
        };
        let rows =
            arrow_array::UInt64Array::from_iter_values((0..n).map(|r| self.inner.partition_input_row(p as u64, r)));
        Ok(Some(to_py_array(py, &rows)?))
    }
}

/// Windows `data` (anything with `__arrow_c_stream__`), in memory.
#[pyfunction]
#[pyo3(signature = (data, by, step, max_bytes, overlap, max_window_time, unit, semantics, partition_by, ts_column,
    text_column, skip_empty, backend = "auto", engine = None))]
#[allow(clippy::too_many_arguments)] // the Python call's parameters
fn window(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    by: &str,
    step: &Bound<'_, PyAny>,
    max_bytes: &Bound<'_, PyAny>,
    overlap: f64,
    max_window_time: Option<&Bound<'_, PyAny>>,
    unit: Option<&str>,
    semantics: &str,
    partition_by: Option<String>,
    ts_column: &str,
    text_column: &str,
    skip_empty: bool,
    backend: &str,
    engine: Option<PyRef<'_, PyEngine>>,
) -> PyResult<PyWindows> {
    let spec = spec_of(
        by,
        step,
        max_bytes,
        overlap,
        max_window_time,
        unit,
        semantics,
        partition_by,
        ts_column,
        text_column,
        skip_empty,
    )?;
    let engine = engine_for(py, backend, engine.as_deref())?;
    let decoded: Vec<&str> = spec.partition_by.iter().map(String::as_str).collect();
    let batches = batches_of(py, data, Decoded::Columns(&decoded))?;
    let inner = run(py, || engine.window_batches(&batches, &spec))?;
    Ok(PyWindows { inner })
}

/// The stream under a `PyWindowStream`: windows (with rows, when asked) or window tables.
enum StreamKind {
    /// Windows one by one.
    Windows(WindowStream<'static, Validated>),
    /// Window tables.
    Tables(WindowTables<'static, Validated>),
}

/// Windows over a stream of record batches, yielded as they become final.
#[pyclass(module = "streamliner._streamliner", name = "WindowStream", frozen)]
struct PyWindowStream {
    // Declared before `_engine`, so dropped before it: the stream borrows the engine (see `window_stream`).
    state: Mutex<Option<StreamKind>>,
    _engine: Arc<Engine>,
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

/// Windows over `source` (anything with `__arrow_c_stream__`), streamed.
#[pyfunction]
#[pyo3(signature = (source, by, step, max_bytes, overlap, max_window_time, unit, semantics, partition_by, ts_column,
    text_column, skip_empty, rows = true, tables = false, max_table_rows = None, backend = "auto", engine = None))]
#[allow(clippy::too_many_arguments)] // the Python call's parameters
fn window_stream(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    by: &str,
    step: &Bound<'_, PyAny>,
    max_bytes: &Bound<'_, PyAny>,
    overlap: f64,
    max_window_time: Option<&Bound<'_, PyAny>>,
    unit: Option<&str>,
    semantics: &str,
    partition_by: Option<String>,
    ts_column: &str,
    text_column: &str,
    skip_empty: bool,
    rows: bool,
    tables: bool,
    max_table_rows: Option<&Bound<'_, PyAny>>,
    backend: &str,
    engine: Option<PyRef<'_, PyEngine>>,
) -> PyResult<PyWindowStream> {
    let spec = spec_of(
        by,
        step,
        max_bytes,
        overlap,
        max_window_time,
        unit,
        semantics,
        partition_by,
        ts_column,
        text_column,
        skip_empty,
    )?;
    let max_table_rows = match max_table_rows {
        Some(obj) => usize::try_from(count_param("max_table_rows", obj)?).unwrap_or(usize::MAX),
        None => 65_536,
    };
    let engine = engine_for(py, backend, engine.as_deref())?;
    let reader = Validated::new(stream_of(source)?, spec.partition_by.iter().cloned().collect());
    // SAFETY: the stream borrows the engine for 'static, but the engine lives in the Arc's heap
    // allocation, which never moves and is kept alive by `_engine` in the same struct; `state` is
    // declared first, so the stream is dropped before the Arc (fields drop in declaration order), and
    // the borrow never escapes the struct.
    let engine_ref: &'static Engine = unsafe { &*Arc::as_ptr(&engine) };
    let stream = engine_ref.window_stream(reader, &spec).map_err(py_err)?;
    let kind = if tables {
        StreamKind::Tables(stream.tables(max_table_rows))
    } else if rows {
        StreamKind::Windows(stream.with_rows())
    } else {
        StreamKind::Windows(stream)
    };
    Ok(PyWindowStream { state: Mutex::new(Some(kind)), _engine: engine })
}

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

/// Panics on purpose, through the same path as every library call (`run`): the tests check that a panic
/// reaches Python as `RuntimeError` and that the interpreter lives on. Hidden: not in the stubs or the API.
#[pyfunction]
fn _panic_for_tests(py: Python<'_>, message: &str) -> PyResult<()> {
    run(py, || -> streamliner::Result<()> { panic!("{message}") })
}

/// The extension module.
#[pymodule]
fn _streamliner(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEngine>()?;
    m.add_class::<PyWindows>()?;
    m.add_class::<PyWindowStream>()?;
    m.add_function(wrap_pyfunction!(window, m)?)?;
    m.add_function(wrap_pyfunction!(window_stream, m)?)?;
    m.add_function(wrap_pyfunction!(read_whatsapp, m)?)?;
    m.add_function(wrap_pyfunction!(prepare, m)?)?;
    m.add_function(wrap_pyfunction!(pseudonyms, m)?)?;
    m.add_function(wrap_pyfunction!(lengths, m)?)?;
    m.add_function(wrap_pyfunction!(extract_urls, m)?)?;
    m.add_function(wrap_pyfunction!(local_to_utc, m)?)?;
    m.add_function(wrap_pyfunction!(command_mask, m)?)?;
    m.add_function(wrap_pyfunction!(opt_out_mask, m)?)?;
    m.add_function(wrap_pyfunction!(parse_duration_seconds, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    llm::register(m)?;
    tokens::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
