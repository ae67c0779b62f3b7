"""streamliner.egregora.create_windows against what the pipeline does today: one Ibis query per window."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

import streamliner
from conftest import BACKEND, SAMPLE
from streamliner.egregora import create_windows

ibis = pytest.importorskip("ibis")

CASES = [
    dict(),  # the pipeline's defaults: 100 messages, overlap 0.2
    dict(step_size=30, overlap_ratio=0.0),
    dict(step_size=2, step_unit="hours"),
    dict(step_size=1, step_unit="days", overlap_ratio=0.5),
    dict(step_size=3, step_unit="days", max_window_time=dt.timedelta(hours=20)),
    dict(step_unit="bytes", max_bytes_per_window=4000),
    dict(step_unit="bytes", max_bytes_per_window=1500, overlap_ratio=0.0),
]


@pytest.fixture(scope="module")
def messages() -> pa.Table:
    return streamliner.read_whatsapp(SAMPLE, normalize=True)


@pytest.mark.parametrize("params", CASES, ids=[str(c) or "defaults" for c in CASES])
def test_adapter_equals_per_window_ibis_queries(messages, params):
    """Each window's rows are what the pipeline's query for that window returns: rows in the time range
    for time windows, `.limit(size, offset=start)` on the ordered table for count and byte windows."""
    t = ibis.memtable(messages)  # on Ibis's default backend, DuckDB
    ordered = t.order_by([t.ts, t.line])  # (ts, input order): `line` is the input order
    adapted = list(create_windows(t, backend=BACKEND, **params))
    assert adapted and [w.window_index for w in adapted] == list(range(len(adapted)))
    unit = params.get("step_unit", "messages")
    # The boundaries, as the library computes them under egregora semantics.
    bounds = streamliner.window(
        messages,
        by=unit,
        step=params.get("step_size", 100),
        overlap=params.get("overlap_ratio", 0.2),
        max_window_time=params.get("max_window_time"),
        max_bytes=params.get("max_bytes_per_window", 320000),
        semantics="egregora",
        backend=BACKEND,
    )
    assert len(adapted) == len(bounds)
    for w, b in zip(adapted, bounds):
        assert (w.window_index, w.start_time, w.end_time, w.size) == (b.window_index, b.start_time, b.end_time, b.size)
        if unit in ("hours", "days"):
            q = t.filter((t.ts >= w.start_time) & (t.ts < w.end_time)).order_by([t.ts, t.line])
        else:
            q = ordered.limit(w.size, offset=b.start_row)
        assert w.table.num_rows == w.size
        assert w.table.to_pylist() == q.to_pyarrow().to_pylist()


def test_adapter_takes_pyarrow_polars(messages):
    pl = pytest.importorskip("polars")
    a = [(w.window_index, w.size, w.start_time) for w in create_windows(messages, backend=BACKEND)]
    b = [(w.window_index, w.size, w.start_time) for w in create_windows(pl.from_arrow(messages), backend=BACKEND)]
    assert a == b and len(a) > 1
