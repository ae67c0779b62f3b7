//! Arrow data across the boundary: the caller's objects read through the PyCapsule interface
//! (zero-copy), results handed back as `pyarrow` objects.

use std::panic::{AssertUnwindSafe, catch_unwind};

use arrow_array::ffi_stream::RecordBatchStreamReader;
use arrow_array::{Array, ArrayRef, RecordBatch, make_array};
use arrow_pyarrow::{FromPyArrow, IntoPyArrow, ToPyArrow};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::errors::{arrow_err, panic_err, py_err};
use crate::validate::{Decoded, validate_batch};

/// An Arrow stream of the caller's object (anything with `__arrow_c_stream__`).
pub(crate) fn stream_of(data: &Bound<'_, PyAny>) -> PyResult<RecordBatchStreamReader> {
    if !data.hasattr("__arrow_c_stream__")? {
        return Err(PyTypeError::new_err(format!(
            "expected Arrow data (an object with __arrow_c_stream__, such as a pyarrow Table or RecordBatchReader), \
             not {}",
            data.get_type().name()?
        )));
    }
    RecordBatchStreamReader::from_pyarrow_bound(data)
}

/// All batches of the caller's table (zero-copy), validated (`decoded`: the columns read as text, see
/// [`validate_batch`]): anything with `__arrow_c_stream__`, or a record batch / struct array with
/// `__arrow_c_array__`. An empty stream gives one empty batch of its schema.
pub(crate) fn batches_of(py: Python<'_>, data: &Bound<'_, PyAny>, decoded: Decoded<'_>) -> PyResult<Vec<RecordBatch>> {
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
pub(crate) fn array_of(data: &Bound<'_, PyAny>) -> PyResult<ArrayRef> {
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
pub(crate) fn to_py_array<'py>(py: Python<'py>, a: &dyn Array) -> PyResult<Bound<'py, PyAny>> {
    a.to_data().to_pyarrow(py)
}

/// A record batch as a `pyarrow.Table` of one chunk.
pub(crate) fn to_py_table<'py>(py: Python<'py>, batch: &RecordBatch) -> PyResult<Bound<'py, PyAny>> {
    arrow_pyarrow::Table::try_new(vec![batch.clone()], batch.schema()).map_err(arrow_err)?.into_pyarrow(py)
}

/// Record batches as a `pyarrow.Table` of those chunks (zero-copy).
pub(crate) fn to_py_chunks<'py>(
    py: Python<'py>,
    batches: Vec<RecordBatch>,
    schema: arrow_schema::SchemaRef,
) -> PyResult<Bound<'py, PyAny>> {
    arrow_pyarrow::Table::try_new(batches, schema).map_err(arrow_err)?.into_pyarrow(py)
}
