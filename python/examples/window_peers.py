"""Byte windows in-process: streamliner against Polars and NumPy on the same file, in one run.

    python python/examples/window_peers.py HISTORY.parquet [--runs N] [--max-bytes M]

Reads `ts` and `text` with pyarrow as one chunk (the file from `gen_history`), then times, RUNS times
(default 7) after a warm-up each, the same strict byte windows without overlap (`M` = 320000 by default):
start at row 0; a window ends at the largest `e` with `A[e] - A[s] <= M` (at least `s + 1`), where `A` is the
prefix sum of the lengths; the next starts at `e`.

- code points: `streamliner.window(table, by="bytes", unit="chars", overlap=0)` against Polars computing
  `str.len_chars()`, `cum_sum()` and one `search_sorted` a window over the same column;
- UTF-8 bytes: `streamliner.window(table, by="bytes", overlap=0)` against NumPy's `searchsorted` chain over
  the Arrow offsets of the text column (zero-copy: the offsets already are `A`).

Every peer's windows are checked equal to streamliner's before anything is printed. Times are medians in ms;
the ratio is peer / streamliner. Both sides run on the CPU (`Engine("cpu")`); Polars uses its own thread pool.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

import streamliner


def median_ms(runs: int, f):
    out = f()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        out = f()
        times.append((time.perf_counter() - started) * 1e3)
    return statistics.median(times), out


def chain(prefix, search, max_bytes: int) -> list[tuple[int, int]]:
    """Windows `(start, end)` from prefix sums `prefix` (n + 1 values) and `search(v)`, the number of prefix
    values `<= v`."""
    n = len(prefix) - 1
    s, out = 0, []
    while s < n:
        e = max(s + 1, int(search(int(prefix[s]) + max_bytes)) - 1)
        e = min(e, n)
        out.append((s, e))
        s = e
    return out


def polars_chars(text: pl.Series, max_bytes: int) -> list[tuple[int, int]]:
    lengths = text.str.len_chars().fill_null(0).cast(pl.UInt64)
    prefix = pl.concat([pl.Series([0], dtype=pl.UInt64), lengths.cum_sum()])
    return chain(prefix, lambda v: prefix.search_sorted(v, side="right"), max_bytes)


def numpy_bytes(text: pa.Array, max_bytes: int) -> list[tuple[int, int]]:
    # The offsets buffer of a (large) string array, zero-copy; rebased on the first offset.
    width = np.int64 if pa.types.is_large_string(text.type) else np.int32
    offsets = np.frombuffer(text.buffers()[1], dtype=width)[text.offset : text.offset + len(text) + 1]
    prefix = offsets - offsets[0]
    return chain(prefix, lambda v: np.searchsorted(prefix, v, side="right"), max_bytes)


def ours(table: pa.Table, engine, max_bytes: int, unit: str) -> list[tuple[int, int]]:
    w = streamliner.window(table, by="bytes", max_bytes=max_bytes, overlap=0.0, unit=unit, engine=engine)
    t = w.table
    return list(zip(t.column("start_row").to_pylist(), t.column("end_row").to_pylist()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("history")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--max-bytes", type=int, default=320_000)
    args = ap.parse_args()

    table = pq.read_table(args.history, columns=["ts", "text"]).combine_chunks()
    text = table.column("text").chunk(0)
    series = pl.from_arrow(text)
    engine = streamliner.Engine("cpu")
    m = args.max_bytes
    print(f"{table.num_rows} rows, {text.nbytes / 1e6:.1f} MB of text column, max_bytes {m}, {args.runs} runs")
    print("| windows | unit | streamliner ms | peer | peer ms | peer / streamliner |")
    print("|---|---|---:|---|---:|---:|")
    for unit, peer_name, peer in [
        ("chars", f"polars {pl.__version__}", lambda: polars_chars(series, m)),
        ("bytes", f"numpy {np.__version__}", lambda: numpy_bytes(text, m)),
    ]:
        ours_ms, ours_w = median_ms(args.runs, lambda: ours(table, engine, m, unit))
        peer_ms, peer_w = median_ms(args.runs, peer)
        if [tuple(x) for x in peer_w] != ours_w:
            raise SystemExit(f"{peer_name} gives other {unit} windows than streamliner ({len(peer_w)} vs {len(ours_w)})")
        print(f"| {len(ours_w)} | {unit} | {ours_ms:.2f} | {peer_name} | {peer_ms:.2f} | {peer_ms / ours_ms:.1f}x |")


if __name__ == "__main__":
    main()
