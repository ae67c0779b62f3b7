"""The column kernels over pyarrow arrays, against Python's own answers; read_whatsapp and prepare
against the Rust examples; kernels as Ibis pyarrow UDFs."""

from __future__ import annotations

import datetime as dt
import subprocess
import uuid
import zoneinfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import streamliner
from conftest import BACKEND, SAMPLE, example

NAMES = ["Alice", "  Alice\t", "Bob Ñandú", "李雷", "", None, "😀 emoji"]


def test_pseudonyms():
    got = streamliner.pseudonyms(pa.array(NAMES), backend=BACKEND).to_pylist()
    want = [None if n is None else str(uuid.uuid5(uuid.NAMESPACE_OID, "whatsapp:" + n.strip())) for n in NAMES]
    assert got == want


def test_lengths():
    text = pa.array(["héllo", "", None, "李雷😀", "abc"])
    assert streamliner.lengths(text, backend=BACKEND).to_pylist() == [6, 0, None, 10, 3]
    assert streamliner.lengths(text, unit="chars", backend=BACKEND).to_pylist() == [5, 0, None, 3, 3]
    large = pa.array(["héllo"], pa.large_string())
    assert streamliner.lengths(large, unit="chars", backend=BACKEND).to_pylist() == [5]
    with pytest.raises(ValueError, match="unit"):
        streamliner.lengths(text, unit="words")
    with pytest.raises(ValueError):
        streamliner.lengths(pa.array([1, 2]), backend=BACKEND)
    with pytest.raises(TypeError):
        streamliner.lengths(["not", "arrow"])


def test_chunked_arrays():
    text = pa.chunked_array([["a", "bb"], [], ["ccc"]])
    out = streamliner.lengths(text, backend=BACKEND)
    assert isinstance(out, pa.ChunkedArray) and out.to_pylist() == [1, 2, 3]
    empty = streamliner.lengths(pa.chunked_array([], pa.string()), backend=BACKEND)
    assert empty.to_pylist() == []


def test_extract_urls():
    text = pa.array(["see https://example.com/a?b=1 and http://x.org.", "none here", None])
    got = streamliner.extract_urls(text, backend=BACKEND).to_pylist()
    assert got[0] == ["https://example.com/a?b=1", "http://x.org."] or got[0][0] == "https://example.com/a?b=1"
    assert got[1] == [] and got[2] in (None, [])


def test_local_to_utc():
    zone = "Europe/Lisbon"
    local = [dt.datetime(2024, 1, 15, 12, 0), dt.datetime(2024, 7, 1, 8, 30, 15), dt.datetime(2023, 12, 31, 23, 59)]
    arr = pa.array(local + [None], pa.timestamp("us"))
    got = streamliner.local_to_utc(arr, zone, backend=BACKEND)
    assert got.type == pa.timestamp("us", "UTC")
    want = [d.replace(tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(dt.timezone.utc) for d in local] + [None]
    assert got.to_pylist() == want
    with pytest.raises(ValueError):
        streamliner.local_to_utc(arr, "Mars/Olympus", backend=BACKEND)
    with pytest.raises(ValueError):
        streamliner.local_to_utc(pa.array(["x"]), zone, backend=BACKEND)


def test_masks():
    text = pa.array(["/egregora opt-out", "/EGREGORA x", "hello /egregora", None, "/egreg"])
    assert streamliner.command_mask(text, backend=BACKEND).to_pylist() == [True, True, False, None, False] or [
        bool(x) for x in streamliner.command_mask(text, backend=BACKEND).to_pylist()
    ] == [True, True, False, False, False]
    ids = streamliner.pseudonyms(pa.array(["Alice", "Bob", "Carol"]), backend=BACKEND)
    mask = streamliner.opt_out_mask(ids, ["Bob", ids[2].as_py()], backend=BACKEND)
    assert mask.to_pylist() == [False, True, True]


def test_read_whatsapp():
    t = streamliner.read_whatsapp(SAMPLE)
    assert t.num_rows == 600
    assert t.column_names[:3] == ["ts", "author", "text"]
    assert t.schema.field("ts").type == pa.timestamp("us", "UTC")
    lisbon = streamliner.read_whatsapp(SAMPLE, tz="Europe/Lisbon", date_order="day_first")
    assert lisbon.num_rows == 600
    with pytest.raises(FileNotFoundError):
        streamliner.read_whatsapp("/nonexistent/chat.txt")
    with pytest.raises(ValueError, match="WhatsApp export"):
        streamliner.read_whatsapp("history.parquet")
    with pytest.raises(ValueError, match="date_order"):
        streamliner.read_whatsapp(SAMPLE, date_order="year_first")


def test_prepare_equals_rust(tmp_path):
    out = tmp_path / "messages.parquet"
    optout = tmp_path / "optout.txt"
    first_author = streamliner.read_whatsapp(SAMPLE).column("author")[0].as_py()
    optout.write_text(first_author + "\n")
    subprocess.run(
        [str(example("prepare")), str(SAMPLE), "--tz", "Europe/Lisbon", "--group", "Test Group",
         "--opt-out", str(optout), "--backend", BACKEND, "--output", str(out)],
        check=True,
        capture_output=True,
    )
    expected = pq.read_table(out)
    got, summary = streamliner.prepare(
        SAMPLE, tz="Europe/Lisbon", group="Test Group", opt_out=[first_author], backend=BACKEND, summary=True
    )
    assert summary["dropped_opted_out"] > 0
    assert got.num_rows == expected.num_rows == summary["messages"]
    for name in expected.column_names:
        assert got.column(name).to_pylist() == expected.column(name).to_pylist(), name
    with pytest.raises(ValueError):
        streamliner.prepare(SAMPLE, tz="Nowhere/Never", backend=BACKEND)


def test_ibis_pyarrow_udf():
    ibis = pytest.importorskip("ibis")

    @ibis.udf.scalar.pyarrow
    def pseudonym(author: str) -> str:
        return streamliner.pseudonyms(author, backend=BACKEND)

    @ibis.udf.scalar.pyarrow
    def chars(text: str) -> int:
        return streamliner.lengths(text, unit="chars", backend=BACKEND).cast(pa.int64())

    t = ibis.memtable({"author": ["Alice", "Bob"], "text": ["héllo", "李雷"]})
    out = t.mutate(author_uuid=pseudonym(t.author), n=chars(t.text)).to_pyarrow()
    assert out.column("author_uuid").to_pylist()[0] == "885a1960-aeb8-52f4-92ad-a8f5caac5e00"
    assert out.column("n").to_pylist() == [5, 2]
