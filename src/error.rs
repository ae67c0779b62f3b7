//! The crate's one error type.

/// What can go wrong in streamliner. Every variant names the row, the limit or the value at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `Backend::Gpu` was asked for but no usable GPU adapter (hardware or software) was found.
    #[error("no GPU adapter with compute support was found ({reason}); use Backend::Cpu or STREAMLINER_BACKEND=cpu")]
    NoAdapter {
        /// What was tried and why each adapter was passed over.
        reason: String,
    },
    /// A backend name (from `STREAMLINER_BACKEND` or a flag) is not `auto`, `cpu` or `gpu`.
    #[error("unknown backend {value:?} (from {source_name}): expected auto, cpu or gpu")]
    InvalidBackend {
        /// The value given.
        value: String,
        /// Where it came from, e.g. `STREAMLINER_BACKEND`.
        source_name: String,
    },
    /// The GPU device could not be created from the chosen adapter.
    #[error("could not create a device on adapter {adapter:?}: {message}")]
    DeviceRequest {
        /// The adapter's name.
        adapter: String,
        /// wgpu's message.
        message: String,
    },
    /// The GPU reported an error (out of memory, validation, device lost) while running a kernel.
    #[error("GPU error in {operation}: {message}")]
    Gpu {
        /// What was being done.
        operation: String,
        /// wgpu's message.
        message: String,
    },
    /// The haystack of a checked search is not sorted ascending.
    #[error("haystack is not sorted: row {row} holds {value}, smaller than row {} ({previous})", .row - 1)]
    Unsorted {
        /// The first row whose value is smaller than the value before it.
        row: u64,
        /// The value at `row` (as i128: the haystack may hold u64 or i64).
        value: i128,
        /// The value at `row - 1`.
        previous: i128,
    },
    /// A stream of rows went back in time where rows must come in timestamp order. The message names the
    /// input (when the stream was given its name), the column, the row and both times as dates.
    #[error(
        "{}{what}: input row {row} holds {}, earlier than the row before it ({}); streamed windows need rows in \
         timestamp order (within each partition): sort the input, or use the in-memory call, which sorts",
        input.as_ref().map(|name| format!("{name}: ")).unwrap_or_default(),
        shown_time(*ts, *unit),
        shown_time(*previous, *unit)
    )]
    OutOfOrder {
        /// The input (a file), when known.
        input: Option<String>,
        /// The column (and partition) at fault.
        what: String,
        /// The 0-based input row (counted over the whole stream).
        row: u64,
        /// Its timestamp, in the column's unit.
        ts: i64,
        /// The timestamp of the row before it.
        previous: i64,
        /// The column's unit.
        unit: arrow_schema::TimeUnit,
    },
    /// An input holds a null where none is allowed.
    #[error("{what} holds a null at row {row}")]
    NullValue {
        /// Which input (e.g. "haystack", "ts").
        what: String,
        /// The first null row.
        row: u64,
    },
    /// A size or count is beyond what the operation supports.
    #[error("{what} is {value}, beyond the limit of {limit}")]
    LimitExceeded {
        /// What was too large.
        what: String,
        /// The value given.
        value: u64,
        /// The largest value allowed.
        limit: u64,
    },
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The reader of an output closed it (a pipe into `head`, a closed terminal): writing stopped early, and
    /// nothing more can be written. Programs writing to standard output treat it as success.
    #[error("{path}: the reader closed the output")]
    OutputClosed {
        /// The output (a file or e.g. "CSV output").
        path: String,
    },
    /// An input file holds something that cannot be read.
    #[error("{path}, line {line}: {message}")]
    Parse {
        /// The file (or a description of the input).
        path: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// A parameter is out of its domain.
    #[error("invalid {name} = {value}: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: String,
        /// The value given, as text.
        value: String,
        /// What is expected instead.
        reason: String,
    },
}

impl From<arrow_schema::ArrowError> for Error {
    /// An error of an Arrow reader or kernel that the caller handed over (e.g. a `RecordBatchReader`'s).
    fn from(e: arrow_schema::ArrowError) -> Self {
        Error::io("Arrow input", e)
    }
}

/// A timestamp of a column in `unit` as an error shows it: RFC 3339 in UTC (to the microsecond, with the
/// nanoseconds left over when there are some).
fn shown_time(value: i64, unit: arrow_schema::TimeUnit) -> String {
    let text = crate::timefmt::format_timestamp(value, unit);
    match unit {
        arrow_schema::TimeUnit::Nanosecond if value.rem_euclid(1000) != 0 => {
            format!("{text} + {} ns", value.rem_euclid(1000))
        }
        _ => text,
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The most characters of a quoted input value that an error message keeps (see [`excerpt`]).
pub const EXCERPT_CHARS: usize = 80;

/// The most characters of a whole message from another library (which may quote input) that an error keeps
/// (see [`clip_message`]).
pub const MESSAGE_CHARS: usize = 400;

/// A value quoted from the input, cut to at most [`EXCERPT_CHARS`] characters (on a character boundary) so
/// that an error message stays readable whatever the input holds: a longer value keeps its first characters
/// and says how long it was. Every error that quotes input goes through it (or [`clip_message`]).
///
/// # Example
/// ```
/// use streamliner::error::excerpt;
/// assert_eq!(excerpt("short"), "short");
/// let long = "é".repeat(100_000);
/// let cut = excerpt(&long);
/// assert!(cut.chars().count() < 130 && cut.ends_with("(100000 characters, 200000 bytes in all)"));
/// ```
pub fn excerpt(s: &str) -> String {
    match s.char_indices().nth(EXCERPT_CHARS) {
        None => s.to_string(),
        Some((end, _)) => {
            format!("{}… ({} characters, {} bytes in all)", &s[..end], s.chars().count(), s.len())
        }
    }
}

/// A whole message (e.g. another library's error, which may quote a field of any length) cut to about
/// [`MESSAGE_CHARS`] characters: its beginning and its end, which name what went wrong, around a note of
/// how much was left out.
///
/// # Example
/// ```
/// use streamliner::error::clip_message;
/// let m = format!("cannot parse '{}' as a timestamp", "x".repeat(1 << 20));
/// let cut = clip_message(&m);
/// assert!(cut.len() < 500 && cut.starts_with("cannot parse 'xxx") && cut.ends_with("' as a timestamp"));
/// ```
pub fn clip_message(s: &str) -> String {
    let n = s.chars().count();
    if n <= MESSAGE_CHARS {
        return s.to_string();
    }
    let (head, tail) = (MESSAGE_CHARS / 2, MESSAGE_CHARS / 4);
    // Both indices exist: n > head + tail.
    let head_end = s.char_indices().nth(head).map_or(s.len(), |(i, _)| i);
    let tail_start = s.char_indices().nth(n - tail).map_or(s.len(), |(i, _)| i);
    format!("{} […{} characters left out…] {}", &s[..head_end], n - head - tail, &s[tail_start..])
}

impl Error {
    pub(crate) fn gpu(operation: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Error::Gpu { operation: operation.into(), message: message.to_string() }
    }

    /// A file error; the message is cut with [`clip_message`] (a reader's message may quote a whole field).
    pub(crate) fn io(path: impl std::fmt::Display, message: impl std::fmt::Display) -> Self {
        Error::Io { path: path.to_string(), message: clip_message(&message.to_string()) }
    }

    /// A parse error at a line; the message is cut with [`clip_message`].
    pub(crate) fn parse(path: impl std::fmt::Display, line: u64, message: impl std::fmt::Display) -> Self {
        Error::Parse { path: path.to_string(), line, message: clip_message(&message.to_string()) }
    }

    /// A parameter out of its domain: the value is cut with [`excerpt`], the reason with [`clip_message`].
    pub(crate) fn invalid(name: &str, value: impl std::fmt::Display, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name: name.to_string(),
            value: excerpt(&value.to_string()),
            reason: clip_message(&reason.into()),
        }
    }
}
