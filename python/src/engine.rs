//! `Engine`: a compute engine on one backend, and the shared engines of the module-level functions.

use std::str::FromStr;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use streamliner::{Backend, Engine};

use crate::errors::{lock, py_err, run};

/// A backend name as `Backend`.
fn backend_of(name: &str) -> PyResult<Backend> {
    Backend::from_str(name).map_err(py_err)
}

/// A new engine on `backend` ("auto" honours `STREAMLINER_BACKEND`).
fn build(py: Python<'_>, backend: &str) -> PyResult<Engine> {
    let b = backend.trim().to_ascii_lowercase();
    if b == "auto" {
        return run(py, Engine::from_env);
    }
    let b = backend_of(&b)?;
    run(py, move || Engine::new(b))
}

/// The engines of the module-level functions, one per backend, made on first use.
static ENGINES: Mutex<Vec<(String, Engine)>> = Mutex::new(Vec::new());

/// The engine of a call: `engine` when given, else the shared engine of `backend` (a clone: clones
/// share the device).
pub(crate) fn engine_for(py: Python<'_>, backend: &str, engine: Option<&PyEngine>) -> PyResult<Engine> {
    if let Some(e) = engine {
        return Ok(e.inner.clone());
    }
    let key = backend.trim().to_ascii_lowercase();
    if let Some((_, e)) = lock(&ENGINES).iter().find(|(k, _)| *k == key) {
        return Ok(e.clone());
    }
    let engine = build(py, &key)?;
    lock(&ENGINES).push((key, engine.clone()));
    Ok(engine)
}

/// A compute engine on one backend (see `streamliner.Engine`).
#[pyclass(module = "streamliner._streamliner", name = "Engine", frozen)]
pub(crate) struct PyEngine {
    pub(crate) inner: Engine,
}

#[pymethods]
impl PyEngine {
    /// A new engine: `backend` is "auto", "cpu" or "gpu" ("auto" honours `STREAMLINER_BACKEND`).
    #[new]
    #[pyo3(signature = (backend = "auto"))]
    fn new(py: Python<'_>, backend: &str) -> PyResult<Self> {
        Ok(PyEngine { inner: build(py, backend)? })
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
