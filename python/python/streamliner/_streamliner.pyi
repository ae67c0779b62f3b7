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
class Windows:
    """The windows of a history (wrapped by ``streamliner.Windows``)."""

    def table(self) -> pa.Table: ...
    def __len__(self) -> int: ...
    def rows(self, i: int) -> pa.RecordBatch: ...
    def partition_ids(self) -> pa.UInt64Array: ...
    def partitions(self) -> int: ...
    def partition_history(self, p: int) -> pa.Table: ...
    def in_input_order(self) -> bool: ...
    def input_rows(self, p: int) -> pa.UInt64Array | None: ...

@final
class WindowStream(Iterator[Any]):
    """Windows of a stream: tuples ``(window_index, partition, start_row, end_row, start_time,
    end_time, units, key, rows)`` (times as integers in the timestamp column's unit), or window tables
    (``pyarrow.RecordBatch``)."""

    def __iter__(self) -> WindowStream: ...
    def __next__(self) -> Any: ...

def window(
    data: Any,
    by: str,
    step: int,
    max_bytes: int,
    overlap: float,
    max_window_time: _Duration,
    unit: str | None,
    semantics: str,
    partition_by: str | None,
    ts_column: str,
    text_column: str,
    skip_empty: bool,
    backend: str = "auto",
    engine: Engine | None = None,
) -> Windows: ...
def window_stream(
    source: Any,
    by: str,
    step: int,
    max_bytes: int,
    overlap: float,
    max_window_time: _Duration,
    unit: str | None,
    semantics: str,
    partition_by: str | None,
    ts_column: str,
    text_column: str,
    skip_empty: bool,
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
def media_references(text: Any, backend: str = "auto", engine: Engine | None = None) -> pa.ListArray[Any]: ...
def sha256(text: Any, backend: str = "auto", engine: Engine | None = None) -> pa.StringArray: ...
