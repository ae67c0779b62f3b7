//! Library errors as Python exceptions, and the one way the extension runs library code: the GIL
//! released, panics caught.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, MutexGuard};

use arrow_schema::ArrowError;
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use streamliner::Error;

/// A library error as the Python exception that fits it: `FileNotFoundError` / `OSError` for files,
/// `RuntimeError` for the GPU, `ValueError` for everything the caller gave (input, parameters).
pub(crate) fn py_err(e: Error) -> PyErr {
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
pub(crate) fn arrow_err(e: ArrowError) -> PyErr {
    PyValueError::new_err(format!("Arrow input: {e}"))
}

/// Runs `f` with the GIL released, turning a panic into `RuntimeError` (a panic must never unwind into
/// the interpreter) and a library error into its Python exception.
pub(crate) fn run<T: Send>(py: Python<'_>, f: impl FnOnce() -> streamliner::Result<T> + Send) -> PyResult<T> {
    py.detach(|| catch_unwind(AssertUnwindSafe(f))).map_err(panic_err)?.map_err(py_err)
}

/// A caught panic as `RuntimeError`, with its message.
pub(crate) fn panic_err(payload: Box<dyn std::any::Any + Send>) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    PyRuntimeError::new_err(format!("streamliner internal error (please report it): {what}"))
}

/// Locks `m`, taking the value even when a panic poisoned the lock (the panic was reported already).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Panics on purpose, through the same path as every library call (`run`): the tests check that a panic
/// reaches Python as `RuntimeError` and that the interpreter lives on. Hidden: not in the stubs or the API.
#[pyfunction]
pub(crate) fn _panic_for_tests(py: Python<'_>, message: &str) -> PyResult<()> {
    run(py, || -> streamliner::Result<()> { panic!("{message}") })
}
