"""Prompts, signatures and media references from Python: against the pipeline's own steps written here
(its Jinja template over `to_pylist()` rows, hashlib, Python's `re`), and against the Rust fixtures."""

from __future__ import annotations

import hashlib
import json
import math
import re

import pyarrow as pa
import pytest

import streamliner
from conftest import BACKEND, REPO, SAMPLE
from streamliner.egregora import create_windows

jinja2 = pytest.importorskip("jinja2")

# The pipeline's templates/conversation.xml.jinja (without annotation notes), with autoescape.
XML = jinja2.Environment(autoescape=True).from_string(
    "<chat>\n{% for msg in messages %}\n"
    '<m id="{{ msg.id }}" author="{{ msg.author }}" ts="{{ msg.ts }}">{{ msg.content }}</m>\n'
    "{% endfor %}\n</chat>\n"
)


def _stringify(value):
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def build_conversation_xml(table: pa.Table) -> str:
    """The pipeline's `build_conversation_xml` for a table with msg_id (rows through `to_pylist()`)."""
    rows = table.to_pylist()
    if not rows:
        return "<chat></chat>"
    messages = [
        {
            "id": _stringify(r["msg_id"]) if r.get("msg_id") else _stringify(r.get("message_id")),
            "author": str(r.get("author", "unknown")),
            "ts": str(r.get("ts", r.get("timestamp", ""))),
            "content": str(r.get("text", "")),
        }
        for r in rows
    ]
    return XML.render(messages=messages)


@pytest.fixture(scope="module")
def message_table() -> pa.Table:
    return streamliner.prepare(SAMPLE, backend=BACKEND)


def test_prompts_equal_the_pipelines(message_table):
    n = message_table.num_rows
    windows = [(s, min(s + 10, n)) for s in range(0, n, 8)] + [(0, 0), (0, n)]
    p = streamliner.render_prompts(message_table, windows, backend=BACKEND)
    assert len(p) == len(windows)
    prompts = p.prompts
    assert isinstance(prompts, pa.LargeStringArray)
    for i, (s, e) in enumerate(windows):
        want = build_conversation_xml(message_table.slice(s, e - s))
        assert p[i] == want
        assert prompts[i].as_py() == want
        assert p.signatures[i].as_py() == hashlib.sha256(want.encode()).hexdigest()
    assert p[-1] == p[len(p) - 1]


def test_create_windows_render(message_table):
    windows = list(create_windows(message_table, step_size=20, overlap_ratio=0.2, backend=BACKEND, render=True))
    assert windows
    for w in windows:
        want = build_conversation_xml(w.table)
        assert w.xml == want
        digest = hashlib.sha256(want.encode()).hexdigest()
        logic = hashlib.sha256(b"writer {{ x }}:be brief").hexdigest()
        assert w.signature("writer {{ x }}", "be brief", "gemini-2.5") == f"{digest}:{logic}:gemini-2.5"
        assert w.signature("t", None, "m").split(":")[1] == hashlib.sha256(b"t:").hexdigest()
    plain = next(create_windows(message_table, step_size=20, backend=BACKEND))
    assert plain.xml is None
    with pytest.raises(ValueError, match="render=True"):
        plain.signature("t", "", "m")


def test_window_table_and_named_columns(message_table):
    w = streamliner.window(message_table, step=7, overlap=0.0, semantics="egregora", backend=BACKEND)
    p = streamliner.render_prompts(w.history(), w.table, author_column="author_raw", id_column="event_id")
    # The same prompts as the pipeline's for a table whose columns carry the pipeline's names.
    renamed = w.history().select(["event_id", "author_raw", "ts", "text"])
    renamed = renamed.rename_columns(["msg_id", "author", "ts", "text"])
    for i, win in enumerate(w):
        assert p[i] == build_conversation_xml(renamed.slice(win.start_row, win.size))


def test_message_template():
    t = pa.table({"who": ["Ana", None], "text": ["a < b", "ok"]})
    p = streamliner.render_prompts(
        t, [(0, 2), (1, 1)], message="{who}: {text}\n", header="Chat:\n", footer="--", empty="(none)"
    )
    assert p[0] == "Chat:\nAna: a &lt; b\n: ok\n--"
    assert p[1] == "(none)"
    raw = streamliner.render_prompts(t, [(0, 1)], message="{text}", escape="none")
    assert raw[0] == "a < b"


def test_bad_input():
    t = pa.table({"msg_id": ["a"], "text": ["x"]})
    with pytest.raises(ValueError, match="window 1"):
        streamliner.render_prompts(t, [(0, 1), (0, 2)])
    with pytest.raises(ValueError, match="nope"):
        streamliner.render_prompts(t, [(0, 1)], message="{nope}")
    with pytest.raises(ValueError):
        streamliner.render_prompts(t, [(0, 1)], template="other")
    with pytest.raises(ValueError):
        streamliner.render_prompts(t, [(0, 1)], header="x")
    with pytest.raises(IndexError):
        streamliner.render_prompts(t, [(0, 1)])[5]


def test_rust_fixtures():
    """The Rust tests' prompt fixtures, whose tables hold every quirk (hash ids, nulls, odd times)."""
    cases = json.loads((REPO / "tests" / "fixtures" / "prompts.json").read_text(encoding="utf-8"))
    types = {"utf8": pa.string(), "large_utf8": pa.large_string(), "int64": pa.int64(), "int32": pa.int32(),
             "float64": pa.float64(), "float32": pa.float32(), "bool": pa.bool_(), "date32": pa.date32()}
    for case in cases:
        cols = {}
        for c in case["table"]["columns"]:
            if c["type"] == "timestamp":
                typ = pa.timestamp(c["unit"], c["tz"])
            else:
                typ = types[c["type"]]
            values = [float(v) if v is not None and c["type"].startswith("float") else v for v in c["values"]]
            cols[c["name"]] = pa.array(values, typ)
        kw = {}
        if "template" in case:
            t = case["template"]
            kw = dict(message=t["message"], header=t["header"], footer=t["footer"], empty=t["empty"])
        elif case.get("columns"):
            c = case["columns"]
            kw = dict(id_column=c["id"], author_column=c["author"], ts_column=c["ts"], text_column=c["text"])
        p = streamliner.render_prompts(pa.table(cols), [tuple(w) for w in case["windows"]], backend=BACKEND, **kw)
        assert p.prompts.to_pylist() == case["prompts"], case["name"]
        assert p.signatures.to_pylist() == case["sha256"], case["name"]


ATTACHMENT = re.compile(
    r"([\w\-\.]+\.\w+)\s*(?:"
    + "|".join(re.escape(m) for m in ("(arquivo anexado)", "(file attached)", "(archivo adjunto)", "\u200e<attached:"))
    + ")",
    re.IGNORECASE,
)
WA = re.compile(r"\b((?:IMG|VID|AUD|PTT|DOC)-\d+-WA\d+\.\w+)\b")
LRM = re.compile(r"\u200e((?:IMG|VID|AUD|PTT|DOC)-\d+-WA\d+\.\w+)", re.IGNORECASE)


def find_media_references(text):
    if not text:
        return []
    return list(set(ATTACHMENT.findall(text) + WA.findall(text) + LRM.findall(text)))


def test_media_references():
    cases = json.loads((REPO / "tests" / "fixtures" / "media.json").read_text(encoding="utf-8"))
    texts = [c["text"] for c in cases] + [None, "IMG-1-WA2.jpg and photo.png (file attached)"]
    got = streamliner.media_references(pa.array(texts), backend=BACKEND).to_pylist()
    for text, refs in zip(texts, got):
        if text is None:
            assert refs is None
        else:
            assert refs == sorted(find_media_references(text)), text
    chunked = streamliner.media_references(pa.chunked_array([texts[:5], texts[5:9]]), backend=BACKEND)
    assert chunked.to_pylist() == got[:9]


def test_sha256():
    texts = ["", "abc", "é😀", None]
    got = streamliner.sha256(pa.array(texts), backend=BACKEND).to_pylist()
    assert got[:3] == [hashlib.sha256(t.encode()).hexdigest() for t in texts[:3]] and got[3] is None
