"""An adapter for the existing pipeline (egregora): its window parameters, names and defaults.

``create_windows`` replaces the pipeline's windowing (window boundaries, then one Ibis query per window to
fetch its rows) with one call: the boundaries come from streamliner under ``semantics="egregora"`` (the
pipeline's windows, quirks included) and each window's rows are a zero-copy ``pyarrow`` slice.

>>> import pyarrow as pa
>>> from streamliner.egregora import create_windows
>>> t = pa.table({"ts": pa.array(range(0, 36000, 3600), pa.timestamp("s", "UTC")), "text": ["hi"] * 10})
>>> [w.size for w in create_windows(t, step_size=4, overlap_ratio=0.0)]
[4, 4, 2]
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Iterator

import pyarrow as pa

from . import Engine, as_table, window
from .llm import window_signature

__all__ = ["EgregoraWindow", "create_windows"]


@dataclass(frozen=True, slots=True)
class EgregoraWindow:
    """One window as the pipeline sees it.

    Attributes:
        window_index: 0-based, consecutive.
        start_time: the first message's time (count and byte windows) or the window's lower bound (time
            windows), as a ``datetime``.
        end_time: the last message's time (count and byte windows) or the window's exclusive upper bound
            (time windows).
        size: the number of messages.
        table: the window's rows, in timestamp order, as a ``pyarrow.Table`` (a zero-copy slice).
        xml: with ``render=True``, the window's prompt as the pipeline's ``build_conversation_xml``
            renders it (else ``None``).
        prompt_sha256: with ``render=True``, the SHA-256 of ``xml`` (hex), the first part of the
            window's signature.
    """

    window_index: int
    start_time: Any
    end_time: Any
    size: int
    table: pa.Table
    xml: str | None = None
    prompt_sha256: str | None = None

    def signature(self, template: str, instructions: str | None, model: str) -> str:
        """The window's signature as the pipeline's ``generate_window_signature`` writes it:
        ``"{sha256(xml)}:{sha256(f'{template}:{instructions}')}:{model}"``. Needs ``render=True``."""
        if self.prompt_sha256 is None:
            raise ValueError("the window has no prompt: call create_windows(..., render=True)")
        return window_signature(self.prompt_sha256, template, instructions, model)


def create_windows(
    table: Any,
    step_size: int = 100,
    step_unit: str = "messages",
    overlap_ratio: float = 0.2,
    max_window_time: _dt.timedelta | str | None = None,
    max_bytes_per_window: int = 320000,
    *,
    max_tokens_per_window: int | None = None,
    encoding: str = "o200k_base",
    ts_column: str = "ts",
    text_column: str = "text",
    backend: str = "auto",
    engine: Engine | None = None,
    render: bool = False,
) -> Iterator[EgregoraWindow]:
    """The pipeline's windows of ``table``, with their rows.

    Args:
        table: the message table: an Ibis table (materialized once with ``.to_pyarrow()``), a
            ``pyarrow.Table``, a Polars DataFrame, a DuckDB relation, or anything with
            ``__arrow_c_stream__``.
        step_size: messages, hours or days per window.
        step_unit: ``"messages"``, ``"hours"``, ``"days"``, ``"bytes"`` or ``"tokens"``.
        overlap_ratio: the overlap between consecutive windows, clamped to [0, 0.5].
        max_window_time: caps a time window's span (a ``timedelta`` or e.g. ``"2h"``).
        max_bytes_per_window: the text budget of byte windows, counted in code points as the pipeline does.
        max_tokens_per_window: the budget of ``"tokens"`` windows (required there), in tokens of
            ``encoding`` (``"o200k_base"`` or ``"cl100k_base"``). With ``render=True`` it holds for each
            window's prompt counted whole; otherwise each message's text is counted on its own.
        ts_column, text_column: the columns' names.
        backend, engine: where the kernels run (see :func:`streamliner.window`).
        render: give each window its prompt (``xml``, every message rendered once for all windows) and
            its SHA-256 (``prompt_sha256``, :meth:`EgregoraWindow.signature`).

    Yields:
        :class:`EgregoraWindow`, in order.

    Raises:
        ValueError: bad parameters or a table without the columns.
    """
    data = as_table(table)
    tokens = step_unit.strip().lower() == "tokens"
    if tokens and max_tokens_per_window is None:
        raise ValueError('step_unit="tokens" needs max_tokens_per_window')
    budget: dict[str, Any] = (
        {"max_tokens": max_tokens_per_window, "encoding": encoding}
        if tokens
        else {"step": step_size, "max_bytes": max_bytes_per_window}
    )
    windows = window(
        data,
        by=step_unit,
        overlap=overlap_ratio,
        max_window_time=max_window_time,
        semantics="egregora",
        ts_column=ts_column,
        text_column=text_column,
        render="egregora" if render else None,
        backend=backend,
        engine=engine,
        **budget,
    )
    xml: Any = None
    digests: Any = None
    if render:
        xml, digests = windows.prompts, windows.signatures
    for i, w in enumerate(windows):
        yield EgregoraWindow(
            window_index=w.window_index,
            start_time=w.start_time,
            end_time=w.end_time,
            size=w.size,
            table=windows.rows(i),
            xml=None if xml is None else xml[i].as_py(),
            prompt_sha256=None if digests is None else digests[i].as_py(),
        )
