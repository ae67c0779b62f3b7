"""Ray Data: many chats windowed in parallel (python/examples/ray_windows.py) on a local Ray instance give
the same windows as one process."""

from __future__ import annotations

import importlib.util
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import streamliner
from conftest import BACKEND, REPO

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install ./python[ray])")


def load_example():
    spec = importlib.util.spec_from_file_location("ray_windows", REPO / "python" / "examples" / "ray_windows.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def chats(n_chats: int = 6, n: int = 2000) -> pa.Table:
    tables = []
    for c in range(n_chats):
        rows = n + 300 * c
        ts = pa.array([(c * 7 + i * (60 + c)) * 1_000_000 for i in range(rows)], pa.timestamp("us", "UTC"))
        text = pa.array([f"chat {c} message {i} " + "y" * ((i * (c + 3)) % 41) for i in range(rows)], pa.string())
        tables.append(pa.table({"chat": pa.array([f"chat-{c}"] * rows), "ts": ts, "text": text}))
    return pa.concat_tables(tables)


@pytest.fixture(scope="module")
def ray_local():
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=200 * 1024 * 1024)
    except Exception as e:  # noqa: BLE001 - report exactly what failed, then skip
        pytest.skip(f"a local Ray instance could not start: {type(e).__name__}: {e}")
    yield
    ray.shutdown()


@pytest.mark.parametrize("params", [dict(by="hours", step=2), dict(by="bytes", max_bytes=3000, semantics="egregora")])
def test_ray_equals_one_process(ray_local, tmp_path, params):
    table = chats()
    path = tmp_path / "chats.parquet"
    pq.write_table(table, path, row_group_size=1000)
    example = load_example()
    got = example.window_chats(str(path), chat_column="chat", backend=BACKEND, partitions=4, **params)
    one = streamliner.window(table, partition_by="chat", backend=BACKEND, **params).table
    one = one.sort_by([("chat", "ascending"), ("window_index", "ascending")])
    assert got.num_rows == one.num_rows > 0
    assert got.column_names == one.column_names
    for name in one.column_names:
        assert got.column(name).to_pylist() == one.column(name).to_pylist(), name
