//! What to window by: [`WindowSpec`] and its parts.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::kernels::strings::LengthUnit;

/// What a step counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StepUnit {
    /// `step_size` messages per window (plus the overlap).
    #[default]
    Messages,
    /// Windows of `step_size` hours (3600 s each), anchored at the first message.
    Hours,
    /// Windows of `step_size` days (86400 s each, not calendar days), anchored at the first message.
    Days,
    /// Windows of at most `max_bytes_per_window` units of text.
    Bytes,
}

impl FromStr for StepUnit {
    type Err = Error;

    /// `messages`, `hours`, `days` or `bytes`, in any case.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "messages" => Ok(StepUnit::Messages),
            "hours" => Ok(StepUnit::Hours),
            "days" => Ok(StepUnit::Days),
            "bytes" => Ok(StepUnit::Bytes),
            _ => Err(Error::invalid("step_unit", s, "expected messages, hours, days or bytes")),
        }
    }
}

impl fmt::Display for StepUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StepUnit::Messages => "messages",
            StepUnit::Hours => "hours",
            StepUnit::Days => "days",
            StepUnit::Bytes => "bytes",
        })
    }
}

/// Which rules windows follow (see `docs/windows.md`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Semantics {
    /// The existing pipeline's windows, quirks included: byte windows count code points, the first
    /// message of a byte window is free, the tail cascades, every count window is emitted.
    Egregora,
    /// The same ideas with the quirks fixed: budgets hold, no window lies inside its predecessor.
    #[default]
    Strict,
}

impl FromStr for Semantics {
    type Err = Error;

    /// `strict` or `egregora`, in any case.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "strict" => Ok(Semantics::Strict),
            "egregora" => Ok(Semantics::Egregora),
            _ => Err(Error::invalid("semantics", s, "expected strict or egregora")),
        }
    }
}

/// The default of [`WindowSpec::max_windows`].
pub const DEFAULT_MAX_WINDOWS: u64 = 1 << 24;

/// How to cut a history into windows. The defaults are the existing pipeline's: 100 messages a step,
/// overlap 0.2, a budget of 320000, strict semantics, columns `ts` and `text`.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use streamliner::window::{Semantics, WindowSpec};
/// let by_count = WindowSpec::messages(50).overlap(0.2);
/// let by_time = WindowSpec::hours(2).max_window_time(Duration::from_secs(3600));
/// let by_bytes = WindowSpec::bytes(64 * 1024).semantics(Semantics::Egregora);
/// assert_eq!(by_bytes.max_bytes_per_window, 65536);
/// # let _ = (by_count, by_time);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct WindowSpec {
    /// Messages, hours or days per step (at least 1; not used by byte windows).
    pub step_size: u64,
    /// What a step counts.
    pub step_unit: StepUnit,
    /// Overlap between consecutive windows, as a fraction of the step (clamped to `[0, 0.5]`).
    pub overlap_ratio: f64,
    /// Longest time a window may span (time and, under strict semantics, byte windows).
    pub max_window_time: Option<Duration>,
    /// Text budget of a byte window, in `length_unit`s (at least 1).
    pub max_bytes_per_window: u64,
    /// How text is measured: `None` takes the semantics' default (UTF-8 bytes under strict semantics,
    /// code points under egregora semantics, which always counts code points).
    pub length_unit: Option<LengthUnit>,
    /// Which rules windows follow.
    pub semantics: Semantics,
    /// Name of the timestamp column.
    pub ts_column: String,
    /// Name of the text column.
    pub text_column: String,
    /// Window each value of this column (one chat or group per value) on its own: windows are numbered
    /// within their partition and carry its key. `None`: the whole history is one partition.
    pub partition_by: Option<String>,
    /// Time windows: leave out windows that hold no row (window indices stay consecutive). Off by
    /// default, as the existing pipeline emits them.
    pub skip_empty_windows: bool,
    /// The most time windows the in-memory call makes (default 2^24); past it, it fails with
    /// [`Error::LimitExceeded`] naming the count, rather than allocate per empty window. Streaming
    /// windows make them one at a time and have no such limit.
    pub max_windows: u64,
}

impl Default for WindowSpec {
    fn default() -> Self {
        WindowSpec {
            step_size: 100,
            step_unit: StepUnit::Messages,
            overlap_ratio: 0.2,
            max_window_time: None,
            max_bytes_per_window: 320_000,
            length_unit: None,
            semantics: Semantics::Strict,
            ts_column: "ts".into(),
            text_column: "text".into(),
            partition_by: None,
            skip_empty_windows: false,
            max_windows: DEFAULT_MAX_WINDOWS,
        }
    }
}

impl WindowSpec {
    /// Count windows of `n` messages (default overlap 0.2).
    pub fn messages(n: u64) -> Self {
        WindowSpec { step_size: n, step_unit: StepUnit::Messages, ..Default::default() }
    }

    /// Time windows of `n` hours.
    pub fn hours(n: u64) -> Self {
        WindowSpec { step_size: n, step_unit: StepUnit::Hours, ..Default::default() }
    }

    /// Time windows of `n` days.
    pub fn days(n: u64) -> Self {
        WindowSpec { step_size: n, step_unit: StepUnit::Days, ..Default::default() }
    }

    /// Byte windows of at most `max` units of text.
    pub fn bytes(max: u64) -> Self {
        WindowSpec { step_size: 1, step_unit: StepUnit::Bytes, max_bytes_per_window: max, ..Default::default() }
    }

    /// Sets the overlap ratio.
    pub fn overlap(mut self, r: f64) -> Self {
        self.overlap_ratio = r;
        self
    }

    /// Sets the semantics.
    pub fn semantics(mut self, s: Semantics) -> Self {
        self.semantics = s;
        self
    }

    /// Sets the longest time a window may span.
    pub fn max_window_time(mut self, d: Duration) -> Self {
        self.max_window_time = Some(d);
        self
    }

    /// Sets how text is measured.
    pub fn length_unit(mut self, u: LengthUnit) -> Self {
        self.length_unit = Some(u);
        self
    }

    /// Sets the timestamp and text column names.
    pub fn columns(mut self, ts: &str, text: &str) -> Self {
        self.ts_column = ts.into();
        self.text_column = text.into();
        self
    }

    /// Windows each value of column `name` on its own (see [`WindowSpec::partition_by`]).
    pub fn partition_by(mut self, name: &str) -> Self {
        self.partition_by = Some(name.into());
        self
    }

    /// Leaves out time windows that hold no row.
    pub fn skip_empty_windows(mut self, skip: bool) -> Self {
        self.skip_empty_windows = skip;
        self
    }

    /// The unit text is measured in.
    pub fn unit(&self) -> LengthUnit {
        match self.semantics {
            Semantics::Egregora => LengthUnit::CodePoints,
            Semantics::Strict => self.length_unit.unwrap_or(LengthUnit::Utf8Bytes),
        }
    }

    /// The overlap ratio clamped to `[0, 0.5]`.
    pub fn ratio(&self) -> f64 {
        self.overlap_ratio.clamp(0.0, 0.5)
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter: a step of 0, a budget of 0, an overlap that is
    /// not a number, or UTF-8 bytes asked for under egregora semantics.
    pub fn validate(&self) -> Result<()> {
        if self.step_size == 0 {
            return Err(Error::invalid("step_size", 0, "must be at least 1"));
        }
        if self.max_bytes_per_window == 0 {
            return Err(Error::invalid("max_bytes_per_window", 0, "must be at least 1"));
        }
        if self.overlap_ratio.is_nan() {
            return Err(Error::invalid("overlap_ratio", "NaN", "must be a number (it is clamped to [0, 0.5])"));
        }
        if self.semantics == Semantics::Egregora && self.length_unit == Some(LengthUnit::Utf8Bytes) {
            return Err(Error::invalid(
                "length_unit",
                "UTF-8 bytes",
                "egregora semantics count code points, as the existing pipeline does; use strict semantics for bytes",
            ));
        }
        Ok(())
    }
}

/// Parses a duration such as `90m`, `2h`, `1d`, `45s`, `1h30m` or `500ms`.
///
/// # Errors
/// [`Error::InvalidParameter`] for anything else.
///
/// # Example
/// ```
/// use std::time::Duration;
/// assert_eq!(streamliner::window::parse_duration("1h30m")?, Duration::from_secs(5400));
/// assert!(streamliner::window::parse_duration("soon").is_err());
/// # Ok::<(), streamliner::Error>(())
/// ```
pub fn parse_duration(text: &str) -> Result<Duration> {
    let bad =
        || Error::invalid("duration", text, "expected a number and a unit (ms, s, m, h, d), e.g. 90m, 2h, 1d, 1h30m");
    let mut total = Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let part = match &rest[..unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" | "min" => Duration::from_secs(n.checked_mul(60).ok_or_else(bad)?),
            "h" => Duration::from_secs(n.checked_mul(3600).ok_or_else(bad)?),
            "d" => Duration::from_secs(n.checked_mul(86_400).ok_or_else(bad)?),
            _ => return Err(bad()),
        };
        total = total.checked_add(part).ok_or_else(bad)?;
        rest = &rest[unit_len..];
    }
    Ok(total)
}
