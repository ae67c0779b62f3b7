"""Window many chats in parallel with Ray Data: each chat (a group of rows with one `chat` value) is
windowed by streamliner inside a Ray worker, with one engine per worker.

    python python/examples/ray_windows.py HISTORY.parquet [--chat-column chat] [--by hours --step 2]
        [--num-cpus 2] [--address auto] [--gpus-per-worker 1] [--output windows.parquet]

Locally (the default) it starts a Ray instance on this machine. On a cluster, run it on the head node with
`--address auto` (`ray.init(address="auto")`): the same script then spreads the chats over the cluster's
workers, reading the Parquet files from a path every node sees (e.g. `s3://bucket/chats/`).
`--gpus-per-worker 1` asks Ray for one GPU per worker (`num_gpus=1` in `map_groups`), and each worker's
engine then runs the kernels on it (`backend="auto"` picks a hardware GPU when there is one).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import pyarrow as pa
import ray

import streamliner


# One engine per worker process: made on the worker's first group, then reused for every group it gets.
_ENGINES: dict[str, streamliner.Engine] = {}


def _engine(backend: str) -> streamliner.Engine:
    engine = _ENGINES.get(backend)
    if engine is None:
        engine = _ENGINES[backend] = streamliner.Engine(backend)
    return engine


def window_chat(group: pa.Table, chat_column: str, backend: str, params: dict[str, Any]) -> pa.Table:
    """A Ray Data UDF: one chat's rows (a group of `map_groups`) -> its window table, after a column
    naming the chat."""
    windows = streamliner.window(group, engine=_engine(backend), **params).table
    key_type = group.schema.field(chat_column).type
    chat = group.column(chat_column)[0].as_py() if group.num_rows else None
    return windows.add_column(0, chat_column, pa.array([chat] * windows.num_rows, key_type))


def window_chats(
    path: str,
    chat_column: str = "chat",
    backend: str = "auto",
    gpus_per_worker: float = 0,
    partitions: int | None = None,
    **params: Any,
) -> pa.Table:
    """The window tables of every chat in the Parquet file(s) at `path`, computed by Ray Data workers,
    as one `pyarrow.Table` sorted by (chat, window_index). `params` are `streamliner.window`'s;
    `partitions` is the number of groups' buckets of the shuffle (Ray's default when None)."""
    ds = ray.data.read_parquet(path)
    grouped = ds.groupby(chat_column, num_partitions=partitions) if partitions else ds.groupby(chat_column)
    remote_args: dict[str, Any] = {"num_gpus": gpus_per_worker} if gpus_per_worker else {}
    out = grouped.map_groups(
        window_chat,
        fn_kwargs=dict(chat_column=chat_column, backend=backend, params=params),
        batch_format="pyarrow",
        **remote_args,
    )
    tables = [pa.Table.from_batches([b]) if isinstance(b, pa.RecordBatch) else b for b in out.iter_batches(batch_format="pyarrow", batch_size=None)]
    table = pa.concat_tables(tables)
    return table.sort_by([(chat_column, "ascending"), ("window_index", "ascending")])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path")
    ap.add_argument("--chat-column", default="chat")
    ap.add_argument("--by", default="messages")
    ap.add_argument("--step", type=int, default=100)
    ap.add_argument("--max-bytes", type=int, default=320000)
    ap.add_argument("--overlap", type=float, default=0.2)
    ap.add_argument("--semantics", default="strict")
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--num-cpus", type=int, default=None, help="local Ray instance: CPUs to use")
    ap.add_argument("--address", default=None, help='"auto" to join a running cluster')
    ap.add_argument("--partitions", type=int, default=None, help="shuffle partitions of the group-by")
    ap.add_argument("--gpus-per-worker", type=float, default=0)
    ap.add_argument("--output", default=None)
    args = ap.parse_args()
    if args.address:
        ray.init(address=args.address)
    else:
        ray.init(num_cpus=args.num_cpus)
    started = time.perf_counter()
    table = window_chats(
        args.path,
        chat_column=args.chat_column,
        backend=args.backend,
        partitions=args.partitions,
        gpus_per_worker=args.gpus_per_worker,
        by=args.by,
        step=args.step,
        max_bytes=args.max_bytes,
        overlap=args.overlap,
        semantics=args.semantics,
    )
    elapsed = time.perf_counter() - started
    chats = len(set(table.column(args.chat_column).to_pylist())) if table.num_rows else 0
    print(f"{table.num_rows} windows of {chats} chats in {elapsed:.2f} s")
    if args.output:
        import pyarrow.parquet as pq

        pq.write_table(table, args.output)


if __name__ == "__main__":
    main()
