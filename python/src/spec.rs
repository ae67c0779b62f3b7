//! `WindowSpec`: the window parameters of the Python API, written once; `window` and `window_stream`
//! take one, or the keyword arguments that build one.

use std::str::FromStr;
use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};
use streamliner::strings::LengthUnit;
use streamliner::tokens::Encoding;
use streamliner::window::{DEFAULT_MAX_WINDOWS, Semantics, StepUnit, Weight, WindowSpec};

use crate::errors::py_err;

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

/// A whole-number parameter of at least `min` (`step`, `max_bytes`...) as `u64`: a value out of range or of
/// another type is an error naming the parameter (PyO3's own conversion raises a bare `OverflowError`);
/// integers of other types (numpy's) are taken through `__index__`.
pub(crate) fn count(obj: &Bound<'_, PyAny>, name: &str, min: u64) -> PyResult<u64> {
    let shown = || obj.repr().map(|r| streamliner::error::excerpt(&r.to_string_lossy()));
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        if let Ok(index) = obj.call_method0("__index__") {
            return count(&index, name, min);
        }
        return Err(PyTypeError::new_err(format!("{name} must be an int, not {}", obj.get_type().name()?)));
    }
    match obj.extract::<u64>() {
        Ok(v) if v >= min => Ok(v),
        Ok(v) => Err(PyValueError::new_err(format!("invalid {name} = {v}: must be at least {min}"))),
        Err(_) if obj.lt(0)? => {
            Err(PyValueError::new_err(format!("invalid {name} = {}: must be at least {min}", shown()?)))
        }
        Err(_) => Err(PyValueError::new_err(format!(
            "invalid {name} = {}: must be at most {} (2**64 - 1)",
            shown()?,
            u64::MAX
        ))),
    }
}

/// How to cut a history into windows (see `streamliner.WindowSpec`).
#[pyclass(module = "streamliner._streamliner", name = "WindowSpec", frozen, skip_from_py_object)]
#[derive(Clone)]
pub(crate) struct PyWindowSpec {
    pub(crate) inner: WindowSpec,
}

#[pymethods]
impl PyWindowSpec {
    /// A window spec; every parameter is a keyword, checked here.
    #[new]
    #[pyo3(signature = (*, by = "messages", step = None, max_bytes = None, overlap = 0.2, max_window_time = None,
        unit = None, weight_column = None, row_overhead = None, window_overhead = None, semantics = "strict",
        partition_by = None, ts_column = "ts", text_column = "text", skip_empty = false, max_windows = None,
        max_tokens = None, encoding = None))]
    #[allow(clippy::too_many_arguments)] // one argument per parameter of the Python call
    fn new(
        by: &str,
        step: Option<&Bound<'_, PyAny>>,
        max_bytes: Option<&Bound<'_, PyAny>>,
        overlap: f64,
        max_window_time: Option<&Bound<'_, PyAny>>,
        unit: Option<&str>,
        weight_column: Option<String>,
        row_overhead: Option<&Bound<'_, PyAny>>,
        window_overhead: Option<&Bound<'_, PyAny>>,
        semantics: &str,
        partition_by: Option<String>,
        ts_column: &str,
        text_column: &str,
        skip_empty: bool,
        max_windows: Option<&Bound<'_, PyAny>>,
        max_tokens: Option<&Bound<'_, PyAny>>,
        encoding: Option<&str>,
    ) -> PyResult<Self> {
        let d = WindowSpec::default();
        let get = |obj: Option<&Bound<'_, PyAny>>, name: &str, min: u64, default: u64| match obj {
            Some(o) if !o.is_none() => count(o, name, min),
            _ => Ok(default),
        };
        let length_unit = match unit.map(|u| u.trim().to_ascii_lowercase()) {
            None => None,
            Some(u) if u == "bytes" => Some(LengthUnit::Utf8Bytes),
            Some(u) if u == "chars" => Some(LengthUnit::CodePoints),
            Some(u) => {
                return Err(PyValueError::new_err(format!("invalid unit = {u:?}: expected \"bytes\" or \"chars\"")));
            }
        };
        let tokens = by.trim().eq_ignore_ascii_case("tokens");
        let given = |o: Option<&Bound<'_, PyAny>>| o.is_some_and(|o| !o.is_none());
        if !tokens && (given(max_tokens) || encoding.is_some()) {
            return Err(PyValueError::new_err(format!("max_tokens and encoding go with by=\"tokens\", not by={by:?}")));
        }
        let weight = match (length_unit, weight_column) {
            (Some(_), Some(c)) => {
                return Err(PyValueError::new_err(format!(
                    "invalid weight_column = {c:?}: unit and weight_column both say what a row weighs; give one"
                )));
            }
            _ if tokens && (unit.is_some() || max_bytes.is_some_and(|o| !o.is_none())) => {
                return Err(PyValueError::new_err(
                    "by=\"tokens\" counts tokens: give max_tokens (and encoding), not unit or max_bytes",
                ));
            }
            (None, Some(c)) if tokens => {
                return Err(PyValueError::new_err(format!(
                    "invalid weight_column = {c:?}: by=\"tokens\" weighs rows by their tokens"
                )));
            }
            _ if tokens => Some(Weight::Tokens(Encoding::from_str(encoding.unwrap_or("o200k_base")).map_err(py_err)?)),
            (Some(u), None) => Some(Weight::from(u)),
            (None, Some(c)) => Some(Weight::Column(c)),
            (None, None) => None,
        };
        let budget = if tokens {
            if !given(max_tokens) {
                return Err(PyValueError::new_err(
                    "by=\"tokens\" needs max_tokens: the budget of a window's prompt, in tokens",
                ));
            }
            get(max_tokens, "max_tokens", 1, 0)?
        } else {
            get(max_bytes, "max_bytes", 1, d.max_bytes_per_window)?
        };
        let inner = WindowSpec {
            step_size: get(step, "step", 1, d.step_size)?,
            step_unit: if tokens { StepUnit::Bytes } else { StepUnit::from_str(by).map_err(py_err)? },
            overlap_ratio: overlap,
            max_window_time: match max_window_time {
                Some(obj) if !obj.is_none() => Some(duration_of(obj)?),
                _ => None,
            },
            max_bytes_per_window: budget,
            weight,
            row_overhead: get(row_overhead, "row_overhead", 0, 0)?,
            window_overhead: get(window_overhead, "window_overhead", 0, 0)?,
            semantics: Semantics::from_str(semantics).map_err(py_err)?,
            ts_column: ts_column.into(),
            text_column: text_column.into(),
            partition_by,
            skip_empty_windows: skip_empty,
            max_windows: get(max_windows, "max_windows", 1, DEFAULT_MAX_WINDOWS)?,
        };
        inner.validate().map_err(py_err)?;
        Ok(PyWindowSpec { inner })
    }

    /// "messages", "hours", "days", "bytes" or "tokens".
    #[getter]
    fn by(&self) -> String {
        match self.inner.weight {
            Some(Weight::Tokens(_)) => "tokens".into(),
            _ => self.inner.step_unit.to_string(),
        }
    }

    /// The budget of a "tokens" window, or None.
    #[getter]
    fn max_tokens(&self) -> Option<u64> {
        matches!(self.inner.weight, Some(Weight::Tokens(_))).then_some(self.inner.max_bytes_per_window)
    }

    /// The encoding of a "tokens" window ("o200k_base" or "cl100k_base"), or None.
    #[getter]
    fn encoding(&self) -> Option<String> {
        match self.inner.weight {
            Some(Weight::Tokens(e)) => Some(e.to_string()),
            _ => None,
        }
    }

    #[getter]
    fn step(&self) -> u64 {
        self.inner.step_size
    }

    #[getter]
    fn max_bytes(&self) -> u64 {
        self.inner.max_bytes_per_window
    }

    #[getter]
    fn overlap(&self) -> f64 {
        self.inner.overlap_ratio
    }

    /// The cap on a window's span, in seconds, or None.
    #[getter]
    fn max_window_time(&self) -> Option<f64> {
        self.inner.max_window_time.map(|d| d.as_secs_f64())
    }

    /// "bytes" or "chars" when the text's length is the weight and was given; None otherwise.
    #[getter]
    fn unit(&self) -> Option<&'static str> {
        match self.inner.weight {
            Some(Weight::Utf8Bytes) => Some("bytes"),
            Some(Weight::CodePoints) => Some("chars"),
            _ => None,
        }
    }

    #[getter]
    fn weight_column(&self) -> Option<String> {
        match &self.inner.weight {
            Some(Weight::Column(c)) => Some(c.clone()),
            _ => None,
        }
    }

    #[getter]
    fn row_overhead(&self) -> u64 {
        self.inner.row_overhead
    }

    #[getter]
    fn window_overhead(&self) -> u64 {
        self.inner.window_overhead
    }

    /// "strict" or "egregora".
    #[getter]
    fn semantics(&self) -> &'static str {
        match self.inner.semantics {
            Semantics::Strict => "strict",
            Semantics::Egregora => "egregora",
        }
    }

    #[getter]
    fn partition_by(&self) -> Option<String> {
        self.inner.partition_by.clone()
    }

    #[getter]
    fn ts_column(&self) -> String {
        self.inner.ts_column.clone()
    }

    #[getter]
    fn text_column(&self) -> String {
        self.inner.text_column.clone()
    }

    #[getter]
    fn skip_empty(&self) -> bool {
        self.inner.skip_empty_windows
    }

    #[getter]
    fn max_windows(&self) -> u64 {
        self.inner.max_windows
    }

    fn __repr__(&self) -> String {
        let s = &self.inner;
        format!(
            "WindowSpec(by={:?}, step={}, max_bytes={}, overlap={}, max_window_time={}, weight={:?}, row_overhead={}, \
             window_overhead={}, semantics={:?}, partition_by={:?}, ts_column={:?}, text_column={:?}, skip_empty={}, \
             max_windows={})",
            self.by(),
            s.step_size,
            s.max_bytes_per_window,
            s.overlap_ratio,
            s.max_window_time.map_or("None".into(), |d| format!("{}", d.as_secs_f64())),
            s.row_weight().to_string(),
            s.row_overhead,
            s.window_overhead,
            self.semantics(),
            s.partition_by,
            s.ts_column,
            s.text_column,
            if s.skip_empty_windows { "True" } else { "False" },
            s.max_windows,
        )
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}
