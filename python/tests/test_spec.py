"""streamliner.WindowSpec, weights and overheads, the window limit, and streams that own their engine."""

from __future__ import annotations

import gc

import pyarrow as pa
import pytest

import streamliner
from conftest import BACKEND


def history(n: int = 200, step_s: int = 60) -> pa.Table:
    ts = pa.array([i * step_s for i in range(n)], pa.timestamp("s", "UTC"))
    text = pa.array([f"message {i} " + "é" * (i % 7) for i in range(n)], pa.string())
    tokens = pa.array([1 + i % 9 for i in range(n)], pa.uint32())
    return pa.table({"ts": ts, "text": text, "tokens": tokens})


def test_spec_holds_the_parameters_once():
    spec = streamliner.WindowSpec(by="bytes", max_bytes=500, overlap=0.1, unit="chars", max_window_time="2h")
    assert (spec.by, spec.max_bytes, spec.overlap, spec.unit, spec.max_window_time) == ("bytes", 500, 0.1, "chars", 7200)
    assert spec.step == 100 and spec.semantics == "strict" and spec.max_windows == 2**24
    assert "max_bytes=500" in repr(spec)
    t = history()
    by_spec = streamliner.window(t, spec, backend=BACKEND)
    by_keywords = streamliner.window(t, by="bytes", max_bytes=500, overlap=0.1, unit="chars", max_window_time="2h")
    assert by_spec.table.equals(by_keywords.table)
    streamed = [w.window_index for w in streamliner.window_stream(t, spec, backend=BACKEND, rows=False)]
    assert streamed == list(range(len(by_spec)))
    assert spec == streamliner.WindowSpec(by="bytes", max_bytes=500, overlap=0.1, unit="chars", max_window_time="2h")


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        (dict(step=2**64), ValueError, "step"),
        (dict(max_bytes=2**70), ValueError, "max_bytes"),
        (dict(step="3"), TypeError, "step"),
        (dict(max_windows=0), ValueError, "max_windows"),
        (dict(unit="chars", weight_column="tokens"), ValueError, "weight_column"),
        (dict(by="bytes", max_bytes=10, window_overhead=10), ValueError, "window_overhead"),
        (dict(semantics="egregora", row_overhead=1), ValueError, "row_overhead"),
        (dict(semantics="egregora", weight_column="tokens"), ValueError, "weight"),
        (dict(weeks=2), TypeError, "weeks"),
    ],
)
def test_bad_specs_raise(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        streamliner.WindowSpec(**kwargs)


def test_spec_and_keywords_do_not_mix():
    with pytest.raises(TypeError, match="not both"):
        streamliner.window(history(), streamliner.WindowSpec(), step=3)
    with pytest.raises(TypeError, match="WindowSpec"):
        streamliner.window(history(), "messages")


def test_weight_column_and_overheads():
    t = history()
    w = streamliner.window(t, by="bytes", max_bytes=60, weight_column="tokens", row_overhead=2, window_overhead=5)
    tokens = t.column("tokens").to_pylist()
    for win in w:
        weight = sum(tokens[win.start_row : win.end_row]) + 2 * win.size + 5
        assert win.units == weight
        assert weight <= 60 or win.size == 1
    assert sum(x.size for x in w) >= t.num_rows
    with pytest.raises(ValueError, match="weight column"):
        streamliner.window(t, by="bytes", weight_column="text")


def test_sparse_time_windows_stop_at_max_windows():
    far = 4_000_000_000 * 3600
    t = pa.table({"ts": pa.array([0, 1, far], pa.timestamp("s", "UTC")), "text": ["a", "b", "c"]})
    # Window tables from the stream: a time 4 * 10^9 hours away is past what `datetime` holds.
    for call in (
        lambda **kw: len(streamliner.window(t, backend=BACKEND, **kw)),
        lambda **kw: sum(b.num_rows for b in streamliner.window_stream(t, backend=BACKEND, tables=True, **kw)),
    ):
        with pytest.raises(ValueError, match="4000000001.*16777216"):
            call(by="hours", step=1, overlap=0.0)
        assert call(by="hours", step=1, overlap=0.0, skip_empty=True) == 2
        with pytest.raises(ValueError, match="beyond the limit of 3"):
            call(by="hours", step=1, overlap=0.0, skip_empty=False, max_windows=3)


def test_stream_owns_its_engine():
    t = history(500)
    engine = streamliner.Engine(BACKEND)
    stream = streamliner.window_stream(t, step=50, overlap=0.0, engine=engine)
    del engine
    gc.collect()
    assert [w.size for w in stream] == [50] * 10


def test_rows_are_sliced_in_rust():
    t = history(300)
    w = streamliner.window(t, step=40, overlap=0.0, backend=BACKEND)
    assert w.rows(-1).equals(w.rows(len(w) - 1))
    assert w.rows(0).equals(t.slice(0, 40))
    with pytest.raises(IndexError):
        w.rows(len(w))
    unsorted = t.take(pa.array(list(range(299, -1, -1))))
    u = streamliner.window(unsorted, step=40, overlap=0.0, backend=BACKEND)
    assert not u.in_input_order
    assert u.rows(0).column("ts").equals(t.slice(0, 40).column("ts"))
    assert u.history().num_rows == 300
