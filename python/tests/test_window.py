"""streamliner.window and window_stream: the Rust results, zero-copy rows, every input kind, errors."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import streamliner
from conftest import BACKEND, SAMPLE, py_windows, rust_windows

# (CLI flags, Python keyword arguments): every kind, with and without max_window_time.
KINDS = [
    (["--by", "messages", "--step", "100"], dict(by="messages", step=100)),
    (["--by", "messages", "--step", "7", "--overlap", "0.5"], dict(by="messages", step=7, overlap=0.5)),
    (["--by", "hours", "--step", "2"], dict(by="hours", step=2)),
    (["--by", "days", "--step", "1"], dict(by="days", step=1)),
    (["--by", "days", "--step", "2", "--max-window-time", "12h"], dict(by="days", step=2, max_window_time="12h")),
    (["--by", "bytes", "--max-bytes", "8000"], dict(by="bytes", max_bytes=8000)),
    (["--by", "bytes", "--max-bytes", "2000", "--overlap", "0"], dict(by="bytes", max_bytes=2000, overlap=0.0)),
]
SEMANTICS = ["strict", "egregora"]


@pytest.mark.parametrize("semantics", SEMANTICS)
@pytest.mark.parametrize("flags,kwargs", KINDS, ids=[" ".join(k[0]) for k in KINDS])
def test_sample_equals_rust(flags, kwargs, semantics):
    expected = rust_windows(SAMPLE, *flags, "--semantics", semantics)
    table = streamliner.read_whatsapp(SAMPLE, normalize=semantics == "egregora")
    got = py_windows(streamliner.window(table, semantics=semantics, backend=BACKEND, **kwargs))
    assert got == expected
    assert len(got) > 0


@pytest.mark.parametrize("semantics", SEMANTICS)
@pytest.mark.parametrize("flags,kwargs", KINDS, ids=[" ".join(k[0]) for k in KINDS])
def test_generated_equals_rust(generated, flags, kwargs, semantics):
    expected = rust_windows(generated, *flags, "--semantics", semantics)
    table = pq.read_table(generated)
    windows = streamliner.window(table, semantics=semantics, backend=BACKEND, **kwargs)
    assert py_windows(windows) == expected
    # The stream gives the same windows.
    streamed = [
        (w.window_index, w.start_row, w.end_row, w.size, w.units)
        for w in streamliner.window_stream(
            _reader(generated),
            semantics=semantics,
            backend=BACKEND,
            rows=False,
            **kwargs,
        )
    ]
    assert streamed == [(e[0], e[1], e[2], e[3], e[6]) for e in expected]


def _reader(path) -> pa.RecordBatchReader:
    pf = pq.ParquetFile(path)
    return pa.RecordBatchReader.from_batches(pf.schema_arrow, pf.iter_batches(batch_size=3000))


def history(n: int = 1000, chunks: int = 1, step_s: int = 60) -> pa.Table:
    ts = pa.array([i * step_s * 1_000_000 for i in range(n)], pa.timestamp("us", "UTC"))
    text = pa.array([f"message {i} " + "x" * (i % 17) for i in range(n)], pa.string())
    author = pa.array([f"author{i % 5}" for i in range(n)], pa.string())
    t = pa.table({"ts": ts, "text": text, "author": author})
    if chunks > 1:
        size = -(-n // chunks)
        t = pa.Table.from_batches(t.to_batches(max_chunksize=size))
    return t


def _inside(buf: pa.Buffer, bufs: list[pa.Buffer | None]) -> bool:
    return any(b is not None and b.address <= buf.address and buf.address + buf.size <= b.address + b.size for b in bufs)


def assert_zero_copy(rows: pa.Table, input_table: pa.Table) -> None:
    for name in rows.column_names:
        inputs = [b for chunk in input_table.column(name).chunks for b in chunk.buffers()]
        for chunk in rows.column(name).chunks:
            for buf in chunk.buffers():
                if buf is not None and buf.size > 0:
                    assert _inside(buf, inputs), f"column {name}: buffer at {buf.address:#x} is not in the input"


def test_rows_are_zero_copy_slices():
    t = history(5000)
    w = streamliner.window(t, step=100, backend=BACKEND)
    assert w.in_input_order
    for i in range(len(w)):
        rows = w.rows(i)
        win = w[i]
        assert rows.num_rows == win.size
        assert rows.equals(t.slice(win.start_row, win.size))
        assert_zero_copy(rows, t)


def test_stream_rows_are_zero_copy():
    t = history(5000, chunks=10)
    seen = 0
    for w in streamliner.window_stream(t, step=100, overlap=0.0, backend=BACKEND):
        if w.start_row // 500 == (w.end_row - 1) // 500:  # inside one input batch
            assert_zero_copy(pa.Table.from_batches([w.rows]), t)
            seen += 1
        assert w.rows.num_rows == w.size
    assert seen > 0


@pytest.mark.parametrize("chunks", [1, 7, 64])
def test_chunked_input(chunks):
    one = streamliner.window(history(3000), by="bytes", max_bytes=500, backend=BACKEND)
    t = history(3000, chunks=chunks)
    assert t.column("ts").num_chunks == chunks
    many = streamliner.window(t, by="bytes", max_bytes=500, backend=BACKEND)
    assert many.table.equals(one.table)
    assert many.in_input_order
    for i in range(len(many)):
        rows = many.rows(i)
        assert rows.equals(one.rows(i))
        assert_zero_copy(rows, t)


def test_polars_duckdb_ibis_inputs():
    pl = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    ibis = pytest.importorskip("ibis")
    t = history(2000)
    expected = streamliner.window(t, by="hours", step=3, backend=BACKEND).table
    df = pl.from_arrow(t)
    assert streamliner.window(df, by="hours", step=3, backend=BACKEND).table.equals(expected)
    con = duckdb.connect()
    con.register("h", t)
    rel = con.sql("select * from h order by ts")
    got = streamliner.window(rel, by="hours", step=3, backend=BACKEND).table
    assert py_windows_times(got) == py_windows_times(expected)
    mem = ibis.memtable(t)
    got = streamliner.window(mem, by="hours", step=3, backend=BACKEND).table
    assert py_windows_times(got) == py_windows_times(expected)


def py_windows_times(t: pa.Table) -> list[tuple]:
    """Rows of a window table with times as UTC instants (DuckDB may label the zone differently)."""
    return [
        (r["window_index"], r["start_row"], r["end_row"], r["units"], r["start_time"].astimezone(dt.timezone.utc))
        for r in t.to_pylist()
    ]


def test_unsorted_input_is_sorted():
    t = history(1000)
    shuffled = t.take(pa.array(list(range(999, -1, -1))))
    w = streamliner.window(shuffled, step=100, backend=BACKEND)
    assert not w.in_input_order
    assert w.table.equals(streamliner.window(t, step=100, backend=BACKEND).table)
    assert w.rows(0).equals(t.slice(0, w[0].size))
    assert w.input_rows().to_pylist()[:3] == [999, 998, 997]


def test_partitions():
    a = history(500)
    b = history(300).set_column(2, "author", pa.array(["z"] * 300))
    both = pa.concat_tables([a.append_column("chat", pa.array(["a"] * 500)), b.append_column("chat", pa.array(["b"] * 300))])
    w = streamliner.window(both, step=100, overlap=0.0, partition_by="chat", backend=BACKEND)
    assert w.partitions == 2
    assert w.table.column_names[0] == "chat"
    wins = list(w)
    assert [x.key for x in wins] == ["a"] * 5 + ["b"] * 3
    assert w.rows(5).equals(both.slice(500, 100))


def test_stream_python_generator_and_tables():
    t = history(4000)

    def gen():
        for b in t.to_batches(max_chunksize=333):
            yield b

    reader = pa.RecordBatchReader.from_batches(t.schema, gen())
    tables = list(streamliner.window_stream(reader, by="hours", step=5, tables=True, backend=BACKEND))
    got = pa.Table.from_batches(tables)
    assert got.equals(streamliner.window(t, by="hours", step=5, backend=BACKEND).table)


def test_stream_from_dataset(tmp_path):
    ds = pytest.importorskip("pyarrow.dataset")
    t = history(3000)
    pq.write_table(t, tmp_path / "h.parquet", row_group_size=500)
    scanner = ds.dataset(tmp_path / "h.parquet").scanner()
    got = [(w.window_index, w.size) for w in streamliner.window_stream(scanner, step=100, backend=BACKEND, rows=False)]
    w = streamliner.window(t, step=100, backend=BACKEND)
    assert got == [(x.window_index, x.size) for x in w]


def test_unsorted_stream_raises():
    t = history(1000)
    back = pa.Table.from_batches([t.slice(500, 500).to_batches()[0], t.slice(0, 500).to_batches()[0]])
    with pytest.raises(ValueError, match="earlier than the row before it"):
        list(streamliner.window_stream(back, step=10, backend=BACKEND))


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        (dict(step=0), ValueError, "step"),
        (dict(step=-3), ValueError, "step"),
        (dict(by="weeks"), ValueError, "step_unit"),
        (dict(by="bytes", max_bytes=0), ValueError, "max_bytes"),
        (dict(overlap=float("nan")), ValueError, "overlap"),
        (dict(semantics="loose"), ValueError, "semantics"),
        (dict(unit="words"), ValueError, "unit"),
        (dict(unit="bytes", semantics="egregora"), ValueError, "weight"),
        (dict(max_window_time="soon"), ValueError, "duration"),
        (dict(max_window_time=dt.timedelta(hours=-1)), ValueError, "negative"),
        (dict(max_window_time=[1]), TypeError, "max_window_time"),
        (dict(ts_column="when"), ValueError, "no such column"),
        (dict(text_column="author2"), ValueError, "no such column"),
        (dict(ts_column="text"), ValueError, "timestamp"),
        (dict(text_column="ts"), ValueError, "text column type"),
        (dict(partition_by="nope"), ValueError, "nope"),
        (dict(backend="tpu"), ValueError, "backend"),
    ],
)
def test_bad_parameters_raise(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        streamliner.window(history(100), **{"backend": BACKEND, **kwargs})


def test_bad_inputs_raise():
    with pytest.raises(TypeError):
        streamliner.window(123)
    with pytest.raises(TypeError):
        streamliner.window({"ts": [1, 2]})
    with pytest.raises(ValueError, match="null"):
        t = pa.table({"ts": pa.array([1, None], pa.timestamp("s")), "text": ["a", "b"]})
        streamliner.window(t, backend=BACKEND)
    with pytest.raises(ValueError):
        streamliner.window(pa.table({"x": [1]}), backend=BACKEND)
    with pytest.raises(TypeError):
        list(streamliner.window_stream(42))
    empty = streamliner.window(history(0), backend=BACKEND)
    assert len(empty) == 0 and list(empty) == []
    w = streamliner.window(history(10), step=3, backend=BACKEND)
    with pytest.raises(IndexError):
        w.rows(100)


def test_duration_forms_agree():
    t = history(3000)
    a = streamliner.window(t, by="days", step=2, max_window_time="12h", backend=BACKEND).table
    b = streamliner.window(t, by="days", step=2, max_window_time=dt.timedelta(hours=12), backend=BACKEND).table
    c = streamliner.window(t, by="days", step=2, max_window_time=43200, backend=BACKEND).table
    assert a.equals(b) and a.equals(c)


def test_engine():
    e = streamliner.Engine("cpu")
    info = e.info()
    assert info["active"] == "cpu" and info["adapter"] is None
    assert not e.is_gpu
    t = history(500)
    assert streamliner.window(t, engine=e).table.equals(streamliner.window(t, backend="cpu").table)
    with pytest.raises(ValueError, match="backend"):
        streamliner.Engine("quantum")


def test_gil_is_released():
    """Another Python thread makes progress while a long window call runs."""
    n = 5_000_000
    ts = pa.array(range(0, n * 1_000_000, 1_000_000), pa.timestamp("us", "UTC"))
    text = pc.cast(pa.array(range(n)), pa.string())
    t = pa.table({"ts": ts, "text": text})
    ticks = 0
    stop = False

    def spin():
        nonlocal ticks
        while not stop:
            ticks += 1

    th = threading.Thread(target=spin)
    th.start()
    try:
        time.sleep(0.05)
        before = ticks
        started = time.perf_counter()
        w = streamliner.window(t, by="bytes", max_bytes=50, semantics="egregora", backend="cpu")
        elapsed = time.perf_counter() - started
        during = ticks - before
    finally:
        stop = True
        th.join()
    assert len(w) > 100_000
    # With the GIL held for the whole call the other thread would barely move (a few switch intervals).
    assert elapsed > 0.05, f"the call took {elapsed:.3f} s: too short to tell"
    assert during > 100_000, f"the other thread ran {during} loops in {elapsed:.2f} s"


def test_gpu_backend_equals_cpu():
    """The GPU path (lavapipe on a machine without a GPU) gives the CPU's windows."""
    if os.environ.get("STREAMLINER_SKIP_GPU") == "1":
        pytest.skip("STREAMLINER_SKIP_GPU=1")
    try:
        gpu = streamliner.Engine("gpu")
    except RuntimeError as e:
        pytest.skip(f"no GPU adapter (not even a software one): {e}")
    assert gpu.is_gpu and gpu.info()["adapter"] is not None
    t = history(20000)
    for kw in (dict(by="bytes", max_bytes=700, semantics="egregora"), dict(by="hours", step=3), dict(step=50)):
        assert streamliner.window(t, engine=gpu, **kw).table.equals(streamliner.window(t, backend="cpu", **kw).table)
    text = t.column("text").chunks[0]
    assert streamliner.pseudonyms(text, engine=gpu).equals(streamliner.pseudonyms(text, backend="cpu"))
