"""Hostile and awkward input from Python, kept as regression tests: arrays that break Arrow's rules (which
once crashed the interpreter), parameters out of range, Polars Series, dictionary-encoded text."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pyarrow as pa
import pytest

import streamliner
from conftest import BACKEND


def bad_offsets(n: int = 4) -> pa.Array:
    """A string array whose offsets go backwards, as ``pa.Array.from_buffers`` makes it (no checks)."""
    offsets = pa.array([0, 5, 2, 9, 3][: n + 1], pa.int32()).buffers()[1]
    return pa.Array.from_buffers(pa.string(), n, [None, offsets, pa.py_buffer(b"hello world!")])


def hostile_table() -> pa.Table:
    return pa.table(
        {
            "ts": pa.array(range(4), pa.timestamp("s", "UTC")),
            "text": bad_offsets(),
            "chat": ["a", "b", "a", "b"],
        }
    )


# Each call once ended the interpreter (a segfault in a memcpy with partitions) or gave absurd units
# (18446744073709551611 bytes, by bytes): all are a ValueError naming the column now.
CALLS = {
    "window_partitioned": "streamliner.window(t, partition_by='chat', backend=B)",
    "window_bytes": "streamliner.window(t, by='bytes', backend=B)",
    "window_chars": "streamliner.window(t, by='bytes', unit='chars', backend=B)",
    "window_messages": "streamliner.window(t, step=2, backend=B)",
    "stream_partitioned": "list(streamliner.window_stream(t, partition_by='chat', backend=B))",
    "stream_tables": "list(streamliner.window_stream(t, by='bytes', tables=True, backend=B))",
    "lengths": "streamliner.lengths(t.column('text'), backend=B)",
    "extract_urls": "streamliner.extract_urls(t.column('text'), backend=B)",
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_invalid_offsets_are_refused_in_a_child_process(name):
    """Run in a child interpreter, so that a crash fails this test instead of ending the test run."""
    script = textwrap.dedent(
        f"""
        import pyarrow as pa, streamliner
        from test_bad_input import hostile_table
        t, B = hostile_table(), {BACKEND!r}
        try:
            {CALLS[name]}
        except ValueError as e:
            print("ValueError:", e)
        """
    )
    here = str(__import__("pathlib").Path(__file__).parent)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=here, env=None
    )
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert done.stdout.startswith("ValueError: invalid Arrow input"), done.stdout + done.stderr[-2000:]
    assert "text" in done.stdout or "array" in done.stdout, done.stdout


def test_invalid_input_in_process():
    t = hostile_table()
    with pytest.raises(ValueError, match=r'column "text" of batch 0.*non-monotonic'):
        streamliner.window(t, partition_by="chat", backend=BACKEND)
    with pytest.raises(ValueError, match="invalid Arrow input"):
        list(streamliner.window_stream(t, by="bytes", backend=BACKEND))
    # A valid batch before the bad one is windowed; the bad one is named by its number.
    good = pa.table({"ts": pa.array(range(4), pa.timestamp("s", "UTC")), "text": ["a", "b", "c", "d"]})
    reader = pa.RecordBatchReader.from_batches(
        good.schema, [good.to_batches()[0], hostile_table().select(["ts", "text"]).to_batches()[0]]
    )
    with pytest.raises(ValueError, match="batch 1"):
        list(streamliner.window_stream(reader, step=2, backend=BACKEND))


def test_invalid_utf8_in_a_partition_key_is_refused():
    # The partition key is read as text (it is quoted in messages): its UTF-8 is checked too.
    offsets = pa.array([0, 1, 2, 3, 4], pa.int32()).buffers()[1]
    key = pa.Array.from_buffers(pa.string(), 4, [None, offsets, pa.py_buffer(b"a\xffb\xfe")])
    t = pa.table({"ts": pa.array(range(4), pa.timestamp("s", "UTC")), "text": ["w"] * 4, "chat": key})
    with pytest.raises(ValueError, match=r'(?i)column "chat".*utf'):
        streamliner.window(t, partition_by="chat", backend=BACKEND)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(step=2**64), r"invalid step = 18446744073709551616: must be at most 18446744073709551615"),
        (dict(step=-(2**70)), r"invalid step = -1180591620717411303424: must be at least 1"),
        (dict(by="bytes", max_bytes=10**40), r"invalid max_bytes = 1000000000000000000000000000000000000000"),
    ],
)
def test_huge_integers_name_the_parameter(kwargs, match):
    t = pa.table({"ts": pa.array(range(4), pa.timestamp("s", "UTC")), "text": ["a"] * 4})
    with pytest.raises(ValueError, match=match):
        streamliner.window(t, backend=BACKEND, **kwargs)
    with pytest.raises(ValueError, match=match):
        streamliner.window_stream(t, backend=BACKEND, **kwargs)


def test_integer_parameters():
    t = pa.table({"ts": pa.array(range(10), pa.timestamp("s", "UTC")), "text": ["a"] * 10})
    # The largest step there is: one window.
    assert len(streamliner.window(t, step=2**64 - 1, overlap=0.0, backend=BACKEND)) == 1
    with pytest.raises(TypeError, match="step must be an int, not str"):
        streamliner.window(t, step="3", backend=BACKEND)
    with pytest.raises(ValueError, match="max_table_rows"):
        streamliner.window_stream(t, tables=True, max_table_rows=2**64, backend=BACKEND)
    # Integers of other types (numpy) are taken through __index__.
    np = pytest.importorskip("numpy")
    assert len(streamliner.window(t, step=np.int64(5), overlap=0.0, backend=BACKEND)) == 2


def test_polars_series_are_taken_by_the_array_functions():
    pl = pytest.importorskip("polars")
    s = pl.Series("text", ["héllo", None, "see https://example.com/a", ""])
    assert streamliner.lengths(s, backend=BACKEND).to_pylist() == [6, None, 25, 0]
    assert streamliner.lengths(s, unit="chars", backend=BACKEND).to_pylist() == [5, None, 25, 0]
    urls = streamliner.extract_urls(s, backend=BACKEND).to_pylist()
    assert urls[2] == ["https://example.com/a"] and urls[0] == []
    assert streamliner.command_mask(pl.Series(["/egregora x", "hi"]), backend=BACKEND).to_pylist() == [True, False]
    with pytest.raises(TypeError, match="Polars Series"):
        streamliner.lengths(["not", "arrow"])


def test_dictionary_text_is_decoded():
    n = 1000
    words = ["", "hi", "olá", "李雷😀", "a longer message"]
    plain = pa.array([words[i * 7 % 5] if i % 11 else None for i in range(n)])
    t = pa.table({"ts": pa.array(range(n), pa.timestamp("s", "UTC")), "text": plain})
    d = t.set_column(1, "text", plain.dictionary_encode())
    assert pa.types.is_dictionary(d.schema.field("text").type)
    for kwargs in [dict(by="bytes", max_bytes=50), dict(by="bytes", max_bytes=40, unit="chars"), dict(step=7)]:
        want = streamliner.window(t, backend=BACKEND, **kwargs).table
        assert streamliner.window(d, backend=BACKEND, **kwargs).table.equals(want), kwargs
        streamed = pa.Table.from_batches(list(streamliner.window_stream(d, tables=True, backend=BACKEND, **kwargs)))
        assert streamed.equals(want), kwargs
    got = streamliner.lengths(d.column("text"), unit="chars", backend=BACKEND)
    assert got.to_pylist() == streamliner.lengths(plain, unit="chars", backend=BACKEND).to_pylist()
