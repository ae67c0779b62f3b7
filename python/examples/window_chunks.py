"""Times `streamliner.window` on a history as `pyarrow.parquet.read_table` hands it over (one chunk per row
group) against the same rows as one chunk (docs/benchmarks.md, "Chunked input").

    python python/examples/window_chunks.py HISTORY.parquet [RUNS]

Strict byte windows (M = 320000, overlap 0.2) in UTF-8 bytes and in code points, on the CPU engine, with the
window table fetched (`.table`). Each case runs RUNS times (default 15) after one warm-up, the cases
interleaved round by round; it prints each case's median in ms and the chunked / one-chunk ratio.
"""

from __future__ import annotations

import statistics
import sys
import time

import pyarrow.parquet as pq

import streamliner


def main() -> None:
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    chunked = pq.read_table(path, columns=["ts", "text"])
    one = chunked.combine_chunks()
    engine = streamliner.Engine("cpu")
    tables = {"chunked": chunked, "one chunk": one}
    cases = [(unit, shape) for unit in ("bytes", "chars") for shape in tables]
    times: dict[tuple[str, str], list[float]] = {c: [] for c in cases}
    windows: dict[tuple[str, str], int] = {}
    for run in range(runs + 1):
        for unit, shape in cases:
            w = None
            started = time.perf_counter()
            w = streamliner.window(tables[shape], by="bytes", unit=unit, engine=engine)
            _ = w.table
            ms = (time.perf_counter() - started) * 1e3
            windows[(unit, shape)] = len(w)
            if run:
                times[(unit, shape)].append(ms)
    print(f"{one.num_rows} rows; chunked: {chunked.column('text').num_chunks} chunks; medians of {runs} runs")
    for unit in ("bytes", "chars"):
        a = statistics.median(times[(unit, "chunked")])
        b = statistics.median(times[(unit, "one chunk")])
        assert windows[(unit, "chunked")] == windows[(unit, "one chunk")]
        print(
            f"unit {unit}: {windows[(unit, 'one chunk')]} windows; chunked {a:.2f} ms, one chunk {b:.2f} ms, "
            f"ratio {a / b:.2f}"
        )


if __name__ == "__main__":
    main()
