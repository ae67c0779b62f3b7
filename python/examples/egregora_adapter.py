"""The egregora adapter on an Ibis memtable backed by DuckDB, timed against what the pipeline does today.

    python python/examples/egregora_adapter.py [HISTORY] [--step-unit messages|hours|days|bytes]
        [--step-size 100] [--overlap-ratio 0.2] [--max-bytes-per-window 320000] [--max-window-time 2h]
        [--sample 200] [--backend auto]

HISTORY is a Parquet file with `ts` and `text` (e.g. from `cargo run --release --example gen_history --
--messages 1000000 --output /tmp/h1m.parquet`) or a WhatsApp export (default: the bundled sample chat).

The pipeline today computes the window boundaries, then fetches each window's rows with one Ibis query:
`t.filter((t.ts >= start) & (t.ts < end)).order_by(t.ts).to_pyarrow()` for time windows, and
`t.order_by(t.ts).limit(size, offset=start).to_pyarrow()` for count and byte windows. The adapter,
`streamliner.egregora.create_windows`, gives the same windows with every window's rows as a zero-copy
`pyarrow.Table`. The per-window Ibis queries are timed on `--sample` windows spread over the history (all of
them when there are fewer) and extrapolated to all windows; the rows of the sampled windows are checked
equal (rows at one timestamp compared as a set: DuckDB's order_by(ts) does not keep ties in input order).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq

import streamliner
from streamliner.egregora import create_windows

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data" / "sample_chat.txt"


def load(path: Path) -> pa.Table:
    if path.suffix in (".txt", ".zip"):
        return streamliner.read_whatsapp(path, normalize=True).select(["ts", "author", "text"])
    return pq.read_table(path)


def canonical(t: pa.Table) -> list:
    """The rows, sorted (ties at one timestamp in any order)."""
    return sorted(t.to_pylist(), key=lambda r: tuple(str(v) for v in r.values()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("history", nargs="?", default=str(SAMPLE))
    ap.add_argument("--step-unit", default="messages")
    ap.add_argument("--step-size", type=int, default=100)
    ap.add_argument("--overlap-ratio", type=float, default=0.2)
    ap.add_argument("--max-bytes-per-window", type=int, default=320000)
    ap.add_argument("--max-window-time", default=None)
    ap.add_argument("--sample", type=int, default=200, help="windows to time with per-window Ibis queries")
    ap.add_argument("--backend", default="auto")
    args = ap.parse_args()

    arrow = load(Path(args.history))
    t = ibis.memtable(arrow)  # executed by Ibis's default backend, DuckDB
    params = dict(
        step_size=args.step_size,
        step_unit=args.step_unit,
        overlap_ratio=args.overlap_ratio,
        max_window_time=args.max_window_time,
        max_bytes_per_window=args.max_bytes_per_window,
    )
    engine = streamliner.Engine(args.backend)
    print(f"{arrow.num_rows} messages; {params}; engine: {engine.info()['description']}")

    # Warm up Ibis and DuckDB (connection, first compilation), so neither side pays for them below.
    t.limit(1).to_pyarrow()
    t.order_by(t.ts).limit(1, offset=1).to_pyarrow()

    # The adapter on the Ibis table: materialize it once (DuckDB -> Arrow), then every window with its rows.
    started = time.perf_counter()
    windows = list(create_windows(t, engine=engine, **params))
    adapter_s = time.perf_counter() - started
    # The same from the Arrow table the memtable was made of (no DuckDB round trip).
    started = time.perf_counter()
    again = list(create_windows(arrow, engine=engine, **params))
    adapter_arrow_s = time.perf_counter() - started
    assert len(again) == len(windows)
    rows = sum(w.table.num_rows for w in windows)
    print(f"adapter: {len(windows)} windows, {rows} rows in all windows' tables")
    print(f"adapter on the Ibis memtable (incl. its .to_pyarrow()): {adapter_s * 1e3:.1f} ms")
    print(f"adapter on the pyarrow table:                          {adapter_arrow_s * 1e3:.1f} ms")

    # What the pipeline does today, on a sample of the windows.
    n = len(windows)
    k = min(args.sample, n)
    picked = sorted({round(i * (n - 1) / max(k - 1, 1)) for i in range(k)}) if n else []
    bounds = streamliner.window(
        arrow,
        by=args.step_unit,
        step=args.step_size,
        overlap=args.overlap_ratio,
        max_window_time=args.max_window_time,
        max_bytes=args.max_bytes_per_window,
        semantics="egregora",
        engine=engine,
    )
    timed = args.step_unit in ("hours", "days")
    mismatches = 0
    started = time.perf_counter()
    fetched = []
    for i in picked:
        w = windows[i]
        if timed:
            q = t.filter((t.ts >= w.start_time) & (t.ts < w.end_time)).order_by(t.ts)
        else:
            q = t.order_by(t.ts).limit(w.size, offset=bounds[i].start_row)
        fetched.append(q.to_pyarrow())
    ibis_s = time.perf_counter() - started
    for i, got in zip(picked, fetched):
        if got.num_rows != windows[i].size or canonical(got) != canonical(windows[i].table):
            mismatches += 1
    per_window = ibis_s / max(len(picked), 1)
    print(
        f"per-window Ibis queries: {len(picked)} of {n} windows in {ibis_s:.2f} s ({per_window * 1e3:.2f} ms a window)"
        f"{'' if len(picked) == n else f'; all {n} extrapolated: {per_window * n:.1f} s'}"
    )
    print(f"rows equal in {len(picked) - mismatches} of {len(picked)} sampled windows")
    if n:
        print(f"speed-up of the adapter: {per_window * n / adapter_s:,.0f}x (on the memtable), "
              f"{per_window * n / adapter_arrow_s:,.0f}x (on the pyarrow table)")


if __name__ == "__main__":
    main()
