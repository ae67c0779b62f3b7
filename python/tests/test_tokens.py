"""Token counts against tiktoken's own (the fixture tests/fixtures/tokens.json, written by the PyPI package),
on every Arrow string type, with nulls, chunks and bad input."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

import streamliner
from conftest import BACKEND, REPO

ENCODINGS = ["o200k_base", "cl100k_base"]


def fixture_cases():
    cases = json.loads((REPO / "tests" / "fixtures" / "tokens.json").read_text())
    texts = [c["text"] for c in cases if "text" in c]
    out = [c for c in cases if "text" in c]
    out += [{**c, "text": c["repeat"] * c["times"]} for c in cases if "repeat" in c and c["times"] <= 10000]
    joined = "".join(texts)
    for c in cases:
        if "joined" in c:
            k = c["joined"]
            out.append({**c, "text": (joined * (k // len(joined) + 1))[:k]})
    return out


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_token_counts_equal_tiktoken(encoding):
    cases = fixture_cases()
    got = streamliner.token_counts(pa.array([c["text"] for c in cases]), encoding, backend=BACKEND)
    assert got.type == pa.uint32()
    assert got.to_pylist() == [c[encoding] for c in cases]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_count_tokens_of_a_whole_text(encoding):
    for c in fixture_cases()[:200]:
        assert streamliner.count_tokens(c["text"], encoding=encoding) == c[encoding]


def test_types_nulls_and_chunks():
    rows = ["Hello, world!", None, "", "<|endoftext|>"]
    want = [4, None, 0, 7]
    for t in [pa.string(), pa.large_string(), pa.string_view()]:
        assert streamliner.token_counts(pa.array(rows, t), backend=BACKEND).to_pylist() == want
    chunked = pa.chunked_array([rows[:2], rows[2:]])
    out = streamliner.token_counts(chunked, encoding="cl100k_base", backend=BACKEND)
    assert isinstance(out, pa.ChunkedArray) and out.to_pylist() == want
    empty = streamliner.token_counts(pa.chunked_array([], pa.string()), backend=BACKEND)
    assert empty.type == pa.uint32() and len(empty) == 0


def test_bad_input():
    with pytest.raises(ValueError, match="o200k_base"):
        streamliner.token_counts(pa.array(["x"]), encoding="gpt2", backend=BACKEND)
    with pytest.raises(ValueError, match="cl100k_base"):
        streamliner.count_tokens("x", encoding="p50k_base")
    with pytest.raises(ValueError):
        streamliner.token_counts(pa.array([1, 2]), backend=BACKEND)
    with pytest.raises(TypeError):
        streamliner.token_counts(["not", "arrow"])
