"""Windows by tokens: the budget holds for every rendered prompt counted whole, every message is in a
window, and the table's units are the prompts' token counts."""

from __future__ import annotations

import os
import random

import pyarrow as pa
import pytest

import streamliner
from streamliner.egregora import create_windows

BACKEND = os.environ.get("STREAMLINER_TEST_BACKEND", "cpu")
PIECES = ["hello", " world", "\n", "\n\n", "  ", "123", "<b>", "&", "é", "日本語", "😀", "'s", "x" * 20]


def history(n: int, seed: int = 3) -> pa.Table:
    rng = random.Random(seed)
    text = ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40))) for _ in range(n)]
    return pa.table(
        {
            "msg_id": [f"m{i}" for i in range(n)],
            "ts": pa.array(range(n), pa.timestamp("s", "UTC")),
            "text": text,
        }
    )


@pytest.mark.parametrize("semantics", ["strict", "egregora"])
@pytest.mark.parametrize("overlap", [0.0, 0.2])
@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_budget_holds_for_whole_prompts(semantics: str, overlap: float, encoding: str) -> None:
    t = history(400)
    w = streamliner.window(
        t, by="tokens", max_tokens=300, encoding=encoding, overlap=overlap, semantics=semantics,
        render="egregora", backend=BACKEND,
    )
    prompts = w.prompts
    assert isinstance(prompts, pa.LargeStringArray) and len(prompts) == len(w)
    counts = streamliner.token_counts(prompts, encoding=encoding).to_pylist()
    assert w.table.column("units").to_pylist() == counts
    for count, size in zip(counts, w.table.column("size").to_pylist()):
        assert count <= 300 or size == 1
    covered = set()
    for s, e in zip(w.table.column("start_row").to_pylist(), w.table.column("end_row").to_pylist()):
        covered.update(range(s, e))
    assert covered == set(range(400))
    assert [len(s) for s in w.signatures.to_pylist()] == [64] * len(w)


def test_tokens_without_render_count_each_message() -> None:
    t = history(200)
    w = streamliner.window(t, by="tokens", max_tokens=250, overlap=0.0, backend=BACKEND)
    counts = streamliner.token_counts(t.column("text").combine_chunks()).to_pylist()
    for row in w.table.to_pylist():
        assert row["units"] == sum(counts[row["start_row"] : row["end_row"]])
    spec = streamliner.WindowSpec(by="tokens", max_tokens=250, encoding="cl100k_base")
    assert (spec.by, spec.max_tokens, spec.encoding) == ("tokens", 250, "cl100k_base")
    with pytest.raises(ValueError, match="prompts"):
        _ = w.prompts


def test_parameters_are_checked() -> None:
    t = history(10)
    with pytest.raises(ValueError, match="needs max_tokens"):
        streamliner.window(t, by="tokens", backend=BACKEND)
    with pytest.raises(ValueError, match="go with by"):
        streamliner.window(t, by="bytes", max_tokens=5, backend=BACKEND)
    with pytest.raises(ValueError, match="encoding"):
        streamliner.window(t, by="tokens", max_tokens=50, encoding="p50k", backend=BACKEND)
    with pytest.raises(ValueError, match="header and footer"):
        streamliner.window(t, by="tokens", max_tokens=2, render="egregora", backend=BACKEND)


def test_egregora_adapter_by_tokens() -> None:
    t = history(120)
    windows = list(create_windows(t, step_unit="tokens", max_tokens_per_window=400, render=True, backend=BACKEND))
    assert windows and all(w.xml is not None for w in windows)
    for w in windows:
        assert streamliner.count_tokens(w.xml) <= 400 or w.size == 1
        assert w.signature("tmpl", None, "model").endswith(":model")
    with pytest.raises(ValueError, match="max_tokens_per_window"):
        list(create_windows(t, step_unit="tokens"))
