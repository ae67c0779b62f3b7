"""streamliner: cut very large chat histories into windows, fast.

GPU compute kernels (WGSL through wgpu, with bit-identical CPU twins) over Apache Arrow columns, from
Python. Arrow data crosses into the library without copies (the Arrow PyCapsule interface), the GIL is
released while the library computes, and every window's rows come back as zero-copy ``pyarrow`` slices.

>>> import pyarrow as pa, streamliner
>>> t = pa.table({"ts": pa.array(range(10), pa.timestamp("s", "UTC")), "text": ["hi"] * 10})
>>> w = streamliner.window(t, step=3, overlap=0.0)
>>> [len(w.rows(i)) for i in range(len(w))]
[3, 3, 3, 1]

Everything here is a thin wrapper over the Rust extension ``streamliner._streamliner``; the rules of the
windows are in the repository's ``docs/windows.md``.
"""

from __future__ import annotations

import datetime as _dt
import os as _os
from dataclasses import dataclass
from typing import Any, Iterator, Sequence, TypeAlias, cast

import pyarrow as pa

# Mesa's device-select Vulkan layer prints a harmless XDG_RUNTIME_DIR warning wherever there is no
# display session; the engine picks its adapter itself, so the layer is switched off unless the user set
# it (as the Rust examples do).
_os.environ.setdefault("NODEVICE_SELECT", "1")

from . import _streamliner as _ext
from ._streamliner import Engine, WindowSpec

__version__: str = _ext.__version__

__all__ = [
    "Engine",
    "Prompts",
    "StreamWindow",
    "Window",
    "WindowSpec",
    "Windows",
    "as_array",
    "as_table",
    "command_mask",
    "count_tokens",
    "extract_urls",
    "lengths",
    "local_to_utc",
    "media_references",
    "opt_out_mask",
    "prepare",
    "pseudonyms",
    "read_whatsapp",
    "render_prompts",
    "sha256",
    "token_counts",
    "window",
    "window_signature",
    "window_stream",
]


def as_table(data: Any) -> pa.Table:
    """``data`` as a ``pyarrow.Table``, without copying where the source allows it.

    Accepts a ``pyarrow.Table``, ``RecordBatch`` or ``RecordBatchReader``, anything with
    ``__arrow_c_stream__`` or ``__arrow_c_array__`` (Polars, DuckDB relations, nanoarrow, ...), an Ibis
    table expression (``.to_pyarrow()``), objects with ``.to_arrow()`` / ``.arrow()``, or a pandas
    DataFrame. Raises ``TypeError`` for anything else.
    """
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, pa.RecordBatchReader):
        return data.read_all()
    if hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__"):
        return pa.table(data)
    for method in ("to_pyarrow", "to_arrow", "arrow"):
        convert = getattr(data, method, None)
        if callable(convert):
            return as_table(convert())
    if type(data).__module__.startswith("pandas"):
        return pa.Table.from_pandas(data, preserve_index=False)
    raise TypeError(
        "expected Arrow data (a pyarrow Table or RecordBatchReader, or any object with __arrow_c_stream__, "
        f"such as a Polars DataFrame or a DuckDB relation), not {type(data).__name__}"
    )


@dataclass(frozen=True, slots=True)
class Window:
    """One window: rows ``start_row:end_row`` of its partition's history in timestamp order.

    ``start_time`` / ``end_time`` are the first and last message's times for count and byte windows,
    and the window's bounds (end exclusive) for time windows. ``units`` is the window's text length
    (UTF-8 bytes, or code points under egregora semantics or ``unit="chars"``). ``partition`` numbers
    the partitions in order of first appearance and ``key`` is the partition's value (``None`` when
    not partitioned).
    """

    window_index: int
    partition: int
    key: Any
    start_row: int
    end_row: int
    size: int
    start_time: Any
    end_time: Any
    units: int


class Windows:
    """The windows of a history (from :func:`window`).

    ``len(windows)`` windows; iterating gives :class:`Window` objects; ``windows.table`` is the window
    table (``window_index``, ``start_row``, ``end_row``, ``size``, ``start_time``, ``end_time``,
    ``units``, after the partition column when partitioned) as a ``pyarrow.Table``; ``rows(i)`` is
    window ``i``'s rows as a zero-copy slice.
    """

    __slots__ = ("_ext", "_table", "_bounds", "_prompts")

    def __init__(self, ext: _ext.Windows, prompts: Prompts | None = None) -> None:
        self._ext = ext
        self._table: pa.Table | None = None
        self._bounds: tuple[list[int], list[int], list[int]] | None = None
        self._prompts = prompts

    def _rendered(self) -> Prompts:
        if self._prompts is None:
            raise ValueError("these windows have no prompts: call window(..., render=\"egregora\")")
        return self._prompts

    @property
    def prompts(self) -> pa.LargeStringArray:
        """Each window's prompt, one row per window (``window(..., render=...)``): every message was
        rendered once, and a prompt is the template's header, its window's messages and the footer."""
        return self._rendered().prompts

    @property
    def signatures(self) -> pa.StringArray:
        """The SHA-256 of each window's prompt, as 64 hex digits (``window(..., render=...)``); the
        pipeline's full signature is :func:`streamliner.window_signature` of it."""
        return self._rendered().signatures

    @property
    def table(self) -> pa.Table:
        """The window table as a ``pyarrow.Table``."""
        if self._table is None:
            self._table = self._ext.table()
        return self._table

    @property
    def partitions(self) -> int:
        """The number of partitions (1 when not partitioned)."""
        return int(self._ext.partitions())

    @property
    def in_input_order(self) -> bool:
        """True when window rows are the input's own rows (unpartitioned input in timestamp order): the
        slices then share the input's buffers. Otherwise they are slices of the sorted (or partitioned)
        copy the library made."""
        return bool(self._ext.in_input_order())

    def __len__(self) -> int:
        return len(self._ext)

    def __repr__(self) -> str:
        return f"<streamliner.Windows: {len(self)} windows, {self.partitions} partition(s)>"

    def _rows_bounds(self) -> tuple[list[int], list[int], list[int]]:
        if self._bounds is None:
            t = self.table
            # No nulls in these columns: the casts only drop the `| None` of `to_pylist`.
            self._bounds = (
                cast("list[int]", self._ext.partition_ids().to_pylist()),
                cast("list[int]", t.column("start_row").to_pylist()),
                cast("list[int]", t.column("end_row").to_pylist()),
            )
        return self._bounds

    def history(self, partition: int = 0) -> pa.Table:
        """Partition ``partition``'s rows in timestamp order (the input itself when it was in order)."""
        return self._ext.history(partition)

    def rows(self, i: int) -> pa.Table:
        """Window ``i``'s rows as a ``pyarrow.Table``: a zero-copy slice of the history (of the input
        itself when :attr:`in_input_order`; a window spanning input chunks gives a table of several
        chunks, still without copying)."""
        return self._ext.rows(i)

    def iter_rows(self) -> Iterator[tuple[Window, pa.Table]]:
        """Each window with its rows, in order."""
        for i, w in enumerate(self):
            yield w, self.rows(i)

    def input_rows(self, partition: int = 0) -> pa.UInt64Array | None:
        """Sorted row -> input row of ``partition`` (uint64), or None when they are the same."""
        return self._ext.input_rows(partition)

    def __iter__(self) -> Iterator[Window]:
        t = self.table
        parts, starts, ends = self._rows_bounds()
        cols: dict[str, list[Any]] = {
            name: t.column(name).to_pylist() for name in ("window_index", "size", "units")
        }
        cols["start_time"] = _times(t.column("start_time"))
        cols["end_time"] = _times(t.column("end_time"))
        keys = t.column(0).to_pylist() if self.table.schema.names[0] != "window_index" else [None] * len(starts)
        for i in range(len(starts)):
            yield Window(
                window_index=cols["window_index"][i],
                partition=parts[i],
                key=keys[i],
                start_row=starts[i],
                end_row=ends[i],
                size=cols["size"][i],
                start_time=cols["start_time"][i],
                end_time=cols["end_time"][i],
                units=cols["units"][i],
            )

    def __getitem__(self, i: int) -> Window:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"window {i} of {n}")
        i %= n
        t = self.table.slice(i, 1).to_pylist()[0]
        parts, starts, ends = self._rows_bounds()
        key = None if self.table.schema.names[0] == "window_index" else t[self.table.schema.names[0]]
        return Window(
            window_index=t["window_index"],
            partition=parts[i],
            key=key,
            start_row=t["start_row"],
            end_row=t["end_row"],
            size=t["size"],
            start_time=t["start_time"],
            end_time=t["end_time"],
            units=t["units"],
        )


Duration = _dt.timedelta | str | float | int


def _times(col: pa.ChunkedArray[Any]) -> list[Any]:
    """A timestamp column as Python datetimes (as ``to_pylist`` gives them, through NumPy when it can:
    ``to_pylist`` builds zone-aware datetimes slowly, ~5 us each)."""
    typ = col.type
    if not (pa.types.is_timestamp(typ) and typ.unit in ("s", "ms", "us")):
        return col.to_pylist()
    try:
        import numpy  # noqa: F401  (pyarrow's to_numpy needs it)

        naive: list[Any] = col.to_numpy().astype(f"datetime64[{typ.unit}]").tolist()
    except ImportError:
        return col.to_pylist()
    if typ.tz is None:
        return naive
    utc = [v.replace(tzinfo=_dt.timezone.utc) for v in naive]
    if typ.tz in ("UTC", "Etc/UTC", "+00:00", "Z"):
        return utc
    try:
        import zoneinfo

        zone = zoneinfo.ZoneInfo(typ.tz)
    except (ImportError, ValueError, KeyError, OSError):
        return col.to_pylist()
    return [v.astimezone(zone) for v in utc]


def _spec_of(spec: WindowSpec | None, params: dict[str, Any]) -> WindowSpec:
    """``spec``, or the :class:`WindowSpec` that ``params`` build."""
    if spec is None:
        return WindowSpec(**params)
    if not isinstance(spec, WindowSpec):
        raise TypeError(f"spec must be a streamliner.WindowSpec, not {type(spec).__name__}")
    if params:
        raise TypeError(f"give a WindowSpec or its parameters, not both (got {', '.join(sorted(params))})")
    return spec


def window(
    data: Any,
    spec: WindowSpec | None = None,
    *,
    render: str | None = None,
    backend: str = "auto",
    engine: Engine | None = None,
    **params: Any,
) -> Windows:
    """Cut a history into windows, in memory.

    Args:
        data: the history: a ``pyarrow.Table`` (any number of chunks, which are not concatenated),
            ``RecordBatch`` or ``RecordBatchReader``, a Polars DataFrame, a DuckDB relation, an Ibis
            table, or anything with ``__arrow_c_stream__``. It needs a timestamp column (any unit, no
            nulls) and a string column. Rows are ordered by timestamp (ties in input order); unsorted
            input is sorted (a copy).
        spec: a :class:`WindowSpec`; or give its parameters as keyword arguments (``by``, ``step``,
            ``max_bytes``, ``overlap``, ``max_window_time``, ``unit``, ``weight_column``,
            ``row_overhead``, ``window_overhead``, ``semantics``, ``partition_by``, ``ts_column``,
            ``text_column``, ``skip_empty``, ``max_windows``, ``max_tokens``, ``encoding``; see
            :class:`WindowSpec`). ``by="tokens", max_tokens=N, encoding="o200k_base"`` budgets tokens.
        render: ``"egregora"`` gives every window its prompt, the pipeline's conversation XML
            (:attr:`Windows.prompts`, :attr:`Windows.signatures`), for an unpartitioned history. With
            ``by="tokens"`` the budget then holds for each prompt counted whole (a window over it is cut,
            its other rows starting the next window; a single message over the budget is a window of its
            own), and the table's ``units`` is each prompt's token count. Without ``render``, a tokens
            window counts each message's text on its own.
        backend: ``"auto"`` (a hardware GPU when there is one; ``STREAMLINER_BACKEND`` overrides it),
            ``"cpu"`` or ``"gpu"``; ignored when ``engine`` is given.
        engine: an :class:`Engine` to run on.

    Returns:
        the :class:`Windows`.

    Raises:
        ValueError: bad parameters, a missing column, a column of the wrong type, a null timestamp, more
            time windows than ``max_windows``.
        TypeError: ``data`` is not Arrow data, or an unknown parameter.
        RuntimeError: the GPU failed.
    """
    spec = _spec_of(spec, params)
    table = as_table(data)
    if render is None:
        return Windows(_ext.window(table, spec, backend=backend, engine=engine))
    if spec.partition_by is not None:
        raise ValueError("render= needs an unpartitioned history: window each partition's rows on their own")
    if spec.by == "tokens":
        ext, prompts = _ext.token_windows(table, spec, template=render, backend=backend, engine=engine)
        return Windows(ext, Prompts(prompts))
    windows = Windows(_ext.window(table, spec, backend=backend, engine=engine))
    history = windows.history(0) if len(windows) > 0 else table
    rendered = render_prompts(history, windows.table, template=render, backend=backend, engine=engine)
    return Windows(windows._ext, rendered)


@dataclass(frozen=True, slots=True)
class StreamWindow:
    """A window from :func:`window_stream`: as :class:`Window`, with its rows (a ``pyarrow.RecordBatch``,
    zero-copy when the window lies in one input batch; ``None`` when rows were not asked for)."""

    window_index: int
    partition: int
    key: Any
    start_row: int
    end_row: int
    size: int
    start_time: Any
    end_time: Any
    units: int
    rows: pa.RecordBatch | None


def _as_reader(source: Any) -> pa.RecordBatchReader:
    """``source`` as a ``pyarrow.RecordBatchReader`` (zero-copy): a reader, a dataset scanner, anything
    with ``__arrow_c_stream__``, or what :func:`as_table` takes."""
    if isinstance(source, pa.RecordBatchReader):
        return source
    to_reader = getattr(source, "to_reader", None)  # pyarrow.dataset.Scanner
    if callable(to_reader) and not hasattr(source, "__arrow_c_stream__"):
        return cast(pa.RecordBatchReader, to_reader())
    if hasattr(source, "__arrow_c_stream__"):
        return pa.RecordBatchReader.from_stream(source)
    return pa.RecordBatchReader.from_stream(as_table(source))


def window_stream(
    source: Any,
    spec: WindowSpec | None = None,
    *,
    rows: bool = True,
    tables: bool = False,
    max_table_rows: int = 65536,
    backend: str = "auto",
    engine: Engine | None = None,
    **params: Any,
) -> Iterator[StreamWindow] | Iterator[pa.RecordBatch]:
    """Windows over a stream of record batches in timestamp order, each yielded as soon as it is final.

    Memory holds one input batch and the rows of the windows not yet final, whatever the stream's
    length; the windows are those of :func:`window` on the whole history. The GIL is released while
    the library computes and while it waits for the next input batch (a producer written in Python,
    such as a ``pyarrow.RecordBatchReader`` over a generator, takes the GIL itself).

    Args:
        source: a ``pyarrow.RecordBatchReader``, a ``pyarrow.dataset`` scanner, or anything with
            ``__arrow_c_stream__``; rows in timestamp order (within each partition).
        spec, params: as :func:`window`.
        rows: yield each window's rows (:attr:`StreamWindow.rows`).
        tables: yield window tables (``pyarrow.RecordBatch``, the columns of :attr:`Windows.table`)
            instead of windows: one for the windows each input batch makes final, at most
            ``max_table_rows`` windows each.
        backend, engine: as :func:`window`.

    Raises:
        ValueError: bad parameters (at the call); while iterating, the errors of :func:`window` and a
            row that goes back in time (naming it).
    """
    spec = _spec_of(spec, params)
    reader = _as_reader(source)
    ts_type = None
    if spec.ts_column in reader.schema.names:
        ts_type = reader.schema.field(spec.ts_column).type
    stream = _ext.window_stream(
        reader, spec, rows=rows, tables=tables, max_table_rows=max_table_rows, backend=backend, engine=engine
    )
    if tables:
        return iter(stream)
    return _stream_windows(stream, ts_type)


def _stream_windows(stream: Any, ts_type: pa.DataType | None) -> Iterator[StreamWindow]:
    def time(v: int) -> Any:
        return pa.scalar(v, type=ts_type).as_py() if ts_type is not None and pa.types.is_timestamp(ts_type) else v

    for index, part, start, end, t0, t1, units, key, batch in stream:
        yield StreamWindow(
            window_index=index,
            partition=part,
            key=None if key is None else key[0].as_py(),
            start_row=start,
            end_row=end,
            size=end - start,
            start_time=time(t0),
            end_time=time(t1),
            units=units,
            rows=batch,
        )


def read_whatsapp(
    path: str | Any, tz: str = "UTC", date_order: str | None = None, normalize: bool = False
) -> pa.Table:
    """Read a WhatsApp export (``.txt``, or a ``.zip`` holding one) into a ``pyarrow.Table`` in the chat
    message schema: ``ts`` (UTC, microseconds), ``author``, ``text``, ``line`` (where the message starts),
    ``local_time`` (the wall-clock time as written) and ``original_line`` (its lines as the export holds
    them, less the time). The file is read once, in chunks parsed on every core.

    Args:
        path: the export.
        tz: the IANA zone of the export's wall-clock times.
        date_order: ``"day_first"``, ``"month_first"``, or None to infer it from the file.
        normalize: normalize lines as the existing pipeline does (NFKC, ...), for its texts and authors.

    Raises:
        FileNotFoundError: no such file. OSError: it cannot be read.
        ValueError: not an export, a line that is not UTF-8 (named), an unknown zone.
    """
    return _ext.read_whatsapp(path, tz, date_order, normalize)


def prepare(
    path: str | Any,
    tz: str = "UTC",
    group: str | None = None,
    opt_out: Sequence[str] | None = None,
    date_order: str | None = None,
    backend: str = "auto",
    engine: Engine | None = None,
    summary: bool = False,
) -> pa.Table | tuple[pa.Table, dict[str, int]]:
    """Read a WhatsApp export and build the message table the pipeline expects (``ts``, ``author_raw``,
    ``author_uuid``, ``text``, ``msg_id``, ``text_bytes``, ``text_chars``, ``urls``, ``attrs``, ...),
    dropping command messages and opted-out authors.

    Args:
        path: the export (``.txt`` or ``.zip``).
        tz: the IANA zone of its wall-clock times.
        group: the group's name (its slug is ``tenant_id`` and ``thread_id``); default "whatsapp".
        opt_out: opted-out authors, as names or pseudonyms (UUIDs).
        date_order: as :func:`read_whatsapp`.
        summary: also return a dict: messages, authors, dropped_commands, dropped_opted_out.

    Raises:
        as :func:`read_whatsapp`.
    """
    table, info = _ext.prepare(
        path, tz, group, list(opt_out) if opt_out is not None else None, date_order, backend=backend, engine=engine
    )
    return (table, info) if summary else table


# A ``pyarrow.Array`` or ``ChunkedArray``: the array kernels return the kind they are given.
Arrays: TypeAlias = "pa.Array[Any] | pa.ChunkedArray[Any]"


def as_array(data: Any) -> Arrays:
    """``data`` as a ``pyarrow.Array`` or ``ChunkedArray``, without copying where the source allows it.

    Accepts pyarrow arrays and chunked arrays, anything with ``__arrow_c_array__`` or
    ``__arrow_c_stream__`` (a Polars Series, nanoarrow, ...), objects with ``.to_arrow()`` /
    ``.to_pyarrow()``, and a pandas Series. Raises ``TypeError`` for anything else.
    """
    if isinstance(data, (pa.Array, pa.ChunkedArray)):
        return data
    if hasattr(data, "__arrow_c_array__"):
        return cast(Arrays, pa.array(data))
    if hasattr(data, "__arrow_c_stream__"):
        try:
            return cast(Arrays, pa.chunked_array(data))
        except TypeError:  # a pyarrow without the PyCapsule stream import: the object's own conversion
            pass
    for method in ("to_arrow", "to_pyarrow"):
        convert = getattr(data, method, None)
        if callable(convert):
            return as_array(convert())
    if type(data).__module__.startswith("pandas"):
        return cast(Arrays, pa.Array.from_pandas(data))
    raise TypeError(
        "expected an Arrow array (a pyarrow Array or ChunkedArray, or any object with __arrow_c_array__ or "
        f"__arrow_c_stream__, such as a Polars Series), not {type(data).__name__}"
    )


def _per_chunk(fn: Any, arr: Any, *args: Any, **kw: Any) -> Arrays:
    """Apply an array kernel to a ``pyarrow.Array``, or to each chunk of a ``ChunkedArray`` (anything
    :func:`as_array` takes is converted first)."""
    arr = as_array(arr)
    if isinstance(arr, pa.ChunkedArray):
        chunks = [fn(c, *args, **kw) for c in arr.chunks]
        if not chunks:
            return pa.chunked_array([], type=fn(pa.array([], arr.type), *args, **kw).type)
        return pa.chunked_array(chunks)
    return cast("pa.Array[Any]", fn(arr, *args, **kw))


def pseudonyms(authors: Any, backend: str = "auto", engine: Engine | None = None) -> Arrays:
    """Author pseudonyms: ``uuid5(NAMESPACE_OID, "whatsapp:" + author.strip())`` as lowercase strings
    (nulls stay null). Works on ``pyarrow.Array`` / ``ChunkedArray`` (so as an Ibis pyarrow UDF), and on
    what :func:`as_array` takes (a Polars Series gives a ``ChunkedArray``)."""
    return _per_chunk(_ext.pseudonyms, authors, backend=backend, engine=engine)


def lengths(text: Any, unit: str = "bytes", backend: str = "auto", engine: Engine | None = None) -> Arrays:
    """Text lengths (uint64) in UTF-8 bytes (``unit="bytes"``) or code points (``"chars"``); nulls stay null.
    ``text``: a string array (``string``, ``large_string``, ``string_view`` or a dictionary of one), as
    :func:`as_array` takes it (a pyarrow array, a Polars Series...); the result is a pyarrow array (chunked
    for chunked input)."""
    return _per_chunk(_ext.lengths, text, unit, backend=backend, engine=engine)


def token_counts(
    text: Any, encoding: str = "o200k_base", backend: str = "auto", engine: Engine | None = None
) -> Arrays:
    """The tokens of each text in OpenAI's ``encoding``, as a ``pyarrow.UInt32Array`` (nulls stay null).

    ``encoding`` is ``"o200k_base"`` (GPT-4o, GPT-4.1, GPT-5, the ``o`` series) or ``"cl100k_base"`` (GPT-4,
    GPT-3.5-turbo); the counts are ``len(tiktoken.get_encoding(encoding).encode_ordinary(t))``, so special
    tokens such as ``<|endoftext|>`` count as the text they are made of. The vocabularies ship inside the
    package (nothing is downloaded). ``text``: as :func:`lengths` takes it; a ``ChunkedArray`` gives a
    ``ChunkedArray``.

    Counts of parts of a text need not add up to the count of the whole: to budget a prompt, count the
    prompt itself with :func:`count_tokens`.

    >>> import pyarrow as pa, streamliner
    >>> streamliner.token_counts(pa.array(["Hello, world!", None, ""])).to_pylist()
    [4, None, 0]
    """
    return _per_chunk(_ext.token_counts, text, encoding, backend=backend, engine=engine)


def count_tokens(text: str, encoding: str = "o200k_base") -> int:
    """The tokens of the whole of ``text`` in OpenAI's ``encoding`` (see :func:`token_counts`), counted on
    the CPU: what a prompt made of ``text`` costs.

    >>> import streamliner
    >>> streamliner.count_tokens("Hello, world!", encoding="cl100k_base")
    4
    """
    return _ext.count_tokens(text, encoding)


def extract_urls(text: Any, backend: str = "auto", engine: Engine | None = None) -> Arrays:
    """The URLs in each text, as a ``list<string>`` array, as the pipeline extracts them. ``text``: as
    :func:`lengths` takes it."""
    return _per_chunk(_ext.extract_urls, text, backend=backend, engine=engine)


def local_to_utc(ts: Any, zone: str, backend: str = "auto", engine: Engine | None = None) -> Arrays:
    """Wall-clock timestamps in ``zone`` (read as local whatever zone they are labelled with) to UTC:
    the same unit, labelled ``UTC`` (nulls stay null); a time that does not exist (a DST gap) moves forward."""
    return _per_chunk(_ext.local_to_utc, ts, zone, backend=backend, engine=engine)


def command_mask(text: Any, backend: str = "auto", engine: Engine | None = None) -> Arrays:
    """Command messages (boolean): text that, lowercased, starts with ``/egregora``."""
    return _per_chunk(_ext.command_mask, text, backend=backend, engine=engine)


def opt_out_mask(
    author_uuid: Any, opted_out: Sequence[str], backend: str = "auto", engine: Engine | None = None
) -> Arrays:
    """Rows (boolean) whose ``author_uuid`` is in ``opted_out`` (pseudonyms, or names turned into theirs)."""
    return _per_chunk(_ext.opt_out_mask, author_uuid, list(opted_out), backend=backend, engine=engine)


from .llm import Prompts, media_references, render_prompts, sha256, window_signature  # noqa: E402
