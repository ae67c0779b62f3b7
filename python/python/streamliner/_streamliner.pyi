"""Type stubs of the Rust extension module ``streamliner._streamliner`` (PyO3).

The documented API is the ``streamliner`` package, which wraps these thinly; ``Engine`` is re-exported
there as it is.
"""

from __future__ import annotations

import datetime
import os
from typing import Any, Iterator, final

import pyarrow as pa

__version__: str

_Duration = datetime.timedelta | str | float | int | None

@final
class Engine:
    """A compute engine on one backend: ``"auto"`` (a hardware GPU when there is one, else the CPU
    twins; ``STREAMLINER_BACKEND`` overrides it), ``"cpu"`` or ``"gpu"`` (software adapters included;
    ``RuntimeError`` when there is none). Build one per process (or Ray worker) and pass it as
    ``engine=`` to reuse its device, pipelines and buffers."""

    def __new__(cls, backend: str = "auto") -> Engine: ...
    def info(self) -> dict[str, Any]:
        """What runs and why: ``requested``, ``active`` (``"cpu"`` / ``"gpu"``), ``reason``,
        ``description``, ``adapter`` (a dict: name, api, device_type, software, driver, limits, ``memory``: the
        device's memory in bytes or None when unknown; or None)."""
    @property
    def is_gpu(self) -> bool:
        """True when the engine runs on a GPU adapter."""

@final
class WindowSpec:
    """How to cut a history into windows: the parameters of :func:`streamliner.window` and
    :func:`streamliner.window_stream`, checked once here (``ValueError`` naming the parameter).

    Args:
        by: ``"messages"``, ``"hours"``, ``"days"``, ``"bytes"`` (a budget of weight) or ``"tokens"`` (a
            budget of tokens, each message's text counted on its own).
        step: messages, hours or days per window (ignored by ``"bytes"``), at least 1 (default 100).
        max_bytes: the budget of a ``"bytes"`` window, overheads included, at least 1 (default 320000).
        overlap: the overlap ratio, clamped to [0, 0.5].
        max_window_time: a cap on a window's span: a ``datetime.timedelta``, a string like ``"2h"`` /
            ``"90m"`` / ``"1h30m"``, or seconds.
        unit: what a row weighs: ``"bytes"`` (UTF-8 bytes of the text, the strict default) or ``"chars"``
            (code points, always under egregora semantics).
        weight_column: instead of ``unit``, an unsigned integer column whose values are the rows' weights
            (a token count, say).
        row_overhead: added to each row's weight (strict semantics).
        window_overhead: added to each window's weight and taken from the budget (strict semantics).
        semantics: ``"strict"`` or ``"egregora"`` (the existing pipeline's windows, quirks included).
        partition_by: a column whose values (one chat each) are windowed on their own.
        ts_column: the timestamp column's name.
        text_column: the text column's name.
        skip_empty: time windows: leave out the windows that hold no message.
        max_windows: the most time windows a partition may have with empty ones emitted (default 2**24);
            past it, ``ValueError`` naming the count.
        max_tokens: with ``by="tokens"`` (required there), the budget of a window in tokens.
        encoding: with ``by="tokens"``, ``"o200k_base"`` (the default) or ``"cl100k_base"``.
    """

    def __new__(
        cls,
        *,
        by: str = "messages",
        step: int | None = None,
        max_bytes: int | None = None,
        overlap: float = 0.2,
        max_window_time: _Duration = None,
        unit: str | None = None,
        weight_column: str | None = None,
        row_overhead: int | None = None,
        window_overhead: int | None = None,
        semantics: str = "strict",
        partition_by: str | None = None,
        ts_column: str = "ts",
        text_column: str = "text",
        skip_empty: bool = False,
        max_windows: int | None = None,
        max_tokens: int | None = None,
        encoding: str | None = None,
    ) -> WindowSpec: ...
    @property
    def by(self) -> str: ...
    @property
    def step(self) -> int: ...
    @property
    def max_bytes(self) -> int: ...
    @property
    def overlap(self) -> float: ...
    @property
    def max_window_time(self) -> float | None:
        """The cap on a window's span, in seconds."""
    @property
    def unit(self) -> str | None: ...
    @property
    def weight_column(self) -> str | None: ...
    @property
    def row_overhead(self) -> int: ...
    @property
    def window_overhead(self) -> int: ...
    @property
    def semantics(self) -> str: ...
    @property
    def partition_by(self) -> str | None: ...
    @property
    def ts_column(self) -> str: ...
    @property
    def text_column(self) -> str: ...
    @property
    def skip_empty(self) -> bool: ...
    @property
    def max_windows(self) -> int: ...
    @property
    def max_tokens(self) -> int | None: ...
    @property
    def encoding(self) -> str | None: ...

@final
class Windows:
    """The windows of a history (wrapped by ``streamliner.Windows``)."""

    def table(self) -> pa.Table: ...
    def __len__(self) -> int: ...
    def history(self, p: int) -> pa.Table: ...
    def rows(self, i: int) -> pa.Table: ...
    def partition_ids(self) -> pa.UInt64Array: ...
    def partitions(self) -> int: ...
    def in_input_order(self) -> bool: ...
    def input_rows(self, p: int) -> pa.UInt64Array | None: ...

@final
class WindowStream(Iterator[Any]):
    """Windows of a stream: tuples ``(window_index, partition, start_row, end_row, start_time,
    end_time, units, key, rows)`` (times as integers in the timestamp column's unit), or window tables
    (``pyarrow.RecordBatch``)."""

    def __iter__(self) -> WindowStream: ...
    def __next__(self) -> Any: ...

def window(data: Any, spec: WindowSpec, backend: str = "auto", engine: Engine | None = None) -> Windows: ...
def window_stream(
    source: Any,
    spec: WindowSpec,
    rows: bool = True,
    tables: bool = False,
    max_table_rows: int | None = None,
    backend: str = "auto",
    engine: Engine | None = None,
) -> WindowStream: ...
def read_whatsapp(
    path: str | os.PathLike[str], tz: str = "UTC", date_order: str | None = None, normalize: bool = False
) -> pa.Table: ...
def prepare(
    path: str | os.PathLike[str],
    tz: str = "UTC",
    group: str | None = None,
    opt_out: list[str] | None = None,
    date_order: str | None = None,
    backend: str = "auto",
    engine: Engine | None = None,
) -> tuple[pa.Table, dict[str, int]]: ...
def pseudonyms(authors: Any, backend: str = "auto", engine: Engine | None = None) -> pa.StringArray: ...
def lengths(text: Any, unit: str = "bytes", backend: str = "auto", engine: Engine | None = None) -> pa.UInt64Array: ...
def extract_urls(text: Any, backend: str = "auto", engine: Engine | None = None) -> pa.ListArray[Any]: ...
def token_counts(
    text: Any, encoding: str = "o200k_base", backend: str = "auto", engine: Engine | None = None
) -> pa.UInt32Array: ...
def count_tokens(text: str, encoding: str = "o200k_base") -> int: ...
def local_to_utc(ts: Any, zone: str, backend: str = "auto", engine: Engine | None = None) -> pa.TimestampArray: ...
def command_mask(text: Any, backend: str = "auto", engine: Engine | None = None) -> pa.BooleanArray: ...
def opt_out_mask(
    author_uuid: Any, opted_out: list[str], backend: str = "auto", engine: Engine | None = None
) -> pa.BooleanArray: ...
def parse_duration_seconds(text: str) -> float: ...

@final
class Prompts:
    """Prompts of windows over one message table (wrapped by ``streamliner.Prompts``)."""

    def __len__(self) -> int: ...
    def messages(self) -> int: ...
    def prompt(self, i: int) -> str: ...
    def prompts(self) -> pa.LargeStringArray: ...
    def signatures(self) -> pa.StringArray: ...

def render_prompts(
    messages: Any,
    windows: Any,
    template: str = "egregora",
    message: str | None = None,
    header: str | None = None,
    footer: str | None = None,
    empty: str | None = None,
    id_column: str | None = None,
    author_column: str | None = None,
    ts_column: str | None = None,
    text_column: str | None = None,
    escape: str = "html",
    backend: str = "auto",
    engine: Engine | None = None,
) -> Prompts: ...
def token_windows(
    data: Any,
    spec: WindowSpec,
    template: str = "egregora",
    message: str | None = None,
    header: str | None = None,
    footer: str | None = None,
    empty: str | None = None,
    id_column: str | None = None,
    author_column: str | None = None,
    ts_column: str | None = None,
    text_column: str | None = None,
    escape: str = "html",
    backend: str = "auto",
    engine: Engine | None = None,
) -> tuple[Windows, Prompts]: ...
def media_references(text: Any, backend: str = "auto", engine: Engine | None = None) -> pa.ListArray[Any]: ...
def sha256(text: Any, backend: str = "auto", engine: Engine | None = None) -> pa.StringArray: ...
