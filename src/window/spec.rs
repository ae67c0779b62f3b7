//! What to window by: [`WindowSpec`] and its parts.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::weight::Weight;
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
    /// Budget windows: at most `max_bytes_per_window` of the spec's [`Weight`] a window.
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
/// A budget window (`StepUnit::Bytes`) counts a [`Weight`] per row (UTF-8 bytes of the text by
/// default), plus `row_overhead` a row and `window_overhead` a window: the prompt's own markup. Every
/// window's `units` is that total.
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
    /// The budget of a budget window, in its weight's units, overheads included (at least 1).
    pub max_bytes_per_window: u64,
    /// What a row weighs: `None` takes the semantics' default (UTF-8 bytes of the text under strict
    /// semantics; code points under egregora semantics, which count nothing else).
    pub weight: Option<Weight>,
    /// Added to each row's weight (strict semantics only).
    pub row_overhead: u64,
    /// Added once to each window's weight, and taken from the budget of budget windows (strict
    /// semantics only; below `max_bytes_per_window`).
    pub window_overhead: u64,
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
    /// The most time windows one partition may have when empty windows are emitted (default 2^24):
    /// past it, windowing fails with [`Error::LimitExceeded`] naming the count, streamed or in memory, as
    /// soon as a row shows the count passes it, rather than make one window per step of a long gap. At
    /// least 1.
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
            weight: None,
            row_overhead: 0,
            window_overhead: 0,
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

    /// Budget windows of at most `max` of the weight (UTF-8 bytes of the text unless set).
    pub fn bytes(max: u64) -> Self {
        WindowSpec { step_size: 1, step_unit: StepUnit::Bytes, max_bytes_per_window: max, ..Default::default() }
    }

    /// Budget windows of at most `max` tokens of `encoding`, each row's text counted on its own (see
    /// [`Weight::Tokens`]; `streamliner::llm::token_windows` budgets rendered prompts counted whole).
    pub fn tokens(max: u64, encoding: crate::kernels::tokens::Encoding) -> Self {
        Self::bytes(max).weight(Weight::Tokens(encoding))
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

    /// Sets what a row weighs.
    pub fn weight(mut self, w: Weight) -> Self {
        self.weight = Some(w);
        self
    }

    /// Sets the weight to the text's length in `u`.
    pub fn length_unit(self, u: LengthUnit) -> Self {
        self.weight(u.into())
    }

    /// Sets the overheads: `row` added to each row's weight, `window` to each window's.
    pub fn overheads(mut self, row: u64, window: u64) -> Self {
        self.row_overhead = row;
        self.window_overhead = window;
        self
    }

    /// Sets the most time windows a partition may have (see [`WindowSpec::max_windows`]).
    pub fn max_windows(mut self, n: u64) -> Self {
        self.max_windows = n;
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

    /// What a row weighs, the semantics' default applied.
    pub fn row_weight(&self) -> &Weight {
        static BYTES: Weight = Weight::Utf8Bytes;
        static CHARS: Weight = Weight::CodePoints;
        match (self.semantics, &self.weight) {
            (Semantics::Egregora, Some(w @ Weight::Tokens(_))) => w,
            (Semantics::Egregora, _) => &CHARS,
            (Semantics::Strict, Some(w)) => w,
            (Semantics::Strict, None) => &BYTES,
        }
    }

    /// The column the weight is read from: the text column, or the weight's own column.
    pub fn weight_column(&self) -> &str {
        match self.row_weight() {
            Weight::Column(name) => name,
            _ => &self.text_column,
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
    /// not a number, a window overhead not below the budget, `max_windows` of 0, or under egregora
    /// semantics a weight other than code points or tokens, or an overhead.
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
        if self.max_windows == 0 {
            return Err(Error::invalid("max_windows", 0, "must be at least 1"));
        }
        if self.window_overhead >= self.max_bytes_per_window {
            return Err(Error::invalid(
                "window_overhead",
                self.window_overhead,
                format!("must be below the budget (max_bytes_per_window = {})", self.max_bytes_per_window),
            ));
        }
        if self.semantics == Semantics::Egregora {
            if let Some(w) = self.weight.as_ref().filter(|w| !matches!(w, Weight::CodePoints | Weight::Tokens(_))) {
                return Err(Error::invalid(
                    "weight",
                    w,
                    "egregora semantics count code points, as the existing pipeline does, or tokens; use strict \
                     semantics for another weight",
                ));
            }
            for (name, v) in [("row_overhead", self.row_overhead), ("window_overhead", self.window_overhead)] {
                if v != 0 {
                    return Err(Error::invalid(name, v, "egregora semantics count no overhead; use strict semantics"));
                }
            }
        }
        Ok(())
    }
}

impl WindowSpec {
    /// Logs that `max_window_time` does not apply to the spec's window kind.
    pub(crate) fn warn_ignored_max_window_time(&self) {
        if self.max_window_time.is_some()
            && (self.step_unit == StepUnit::Messages
                || (self.step_unit == StepUnit::Bytes && self.semantics == Semantics::Egregora))
        {
            log::warn!(
                "streamliner: max_window_time does not apply to {} windows under {:?} semantics; ignored",
                self.step_unit,
                self.semantics
            );
        }
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
