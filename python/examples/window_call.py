"""Times the Python call `streamliner.window` on the table `window_call.rs` windows (docs/benchmarks.md).

    python python/examples/window_call.py HISTORY.parquet [RUNS] [--by-bytes-egregora]

Reads `ts` and `text` with pyarrow as one chunk, then times `streamliner.window(table, engine=cpu)` with
the window table fetched as a `pyarrow.Table` (`.table`), RUNS times (default 7) after one warm-up. Same
windows as `window_call.rs`: 100 messages, overlap 0.2, strict; or byte windows (320000 code points) under
egregora semantics with `--by-bytes-egregora`.
"""

from __future__ import annotations

import statistics
import sys
import time

import pyarrow.parquet as pq

import streamliner


def main() -> None:
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 and not sys.argv[2].startswith("--") else 7
    bytes_ = "--by-bytes-egregora" in sys.argv
    table = pq.read_table(path, columns=["ts", "text"]).combine_chunks()
    engine = streamliner.Engine("cpu")
    kw = dict(by="bytes", semantics="egregora") if bytes_ else {}
    times = []
    w = None
    for run in range(runs + 1):
        # The previous result is dropped before the clock starts, as the Rust loop drops its windows: with it
        # alive, glibc's allocator hands the next call fresh pages (page faults: +4-9 ms on 10^6 rows).
        w = None
        started = time.perf_counter()
        w = streamliner.window(table, engine=engine, **kw)
        _ = w.table
        ms = (time.perf_counter() - started) * 1e3
        if run:
            times.append(ms)
    print(
        f"python streamliner.window: {table.num_rows} rows, {len(w)} windows, runs ms "
        f"[{', '.join(f'{t:.1f}' for t in times)}], median {statistics.median(times):.1f} ms"
    )


if __name__ == "__main__":
    main()
