"""Times `prepare` (the WhatsApp export -> message table, Parquet) against pyarrow's CSV reader on the same
messages, alternating runs, and prints a Markdown table (docs/benchmarks.md, "Preparing an export").

Usage: python scripts/etl_bench.py EXPORT.txt MESSAGES.csv PREPARE_BINARY [RUNS]
Both inputs come from `gen_history` with the same seed (the CSV holds `ts`, `author`, `text`).
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import pyarrow as pa
import pyarrow.csv as pcsv

txt, csv, prepare = sys.argv[1], sys.argv[2], sys.argv[3]
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
mb = os.path.getsize(txt) / 1e6
csv_mb = os.path.getsize(csv) / 1e6
out = os.path.join(tempfile.mkdtemp(prefix="etl_bench_"), "table.parquet")


def pyarrow_read(threads: bool) -> float:
    opts = pcsv.ParseOptions(newlines_in_values=True)
    t = time.perf_counter()
    table = pcsv.read_csv(csv, parse_options=opts, read_options=pcsv.ReadOptions(use_threads=threads))
    dt = time.perf_counter() - t
    assert table.num_rows > 0
    return dt


def run_prepare(threads: int | None) -> float:
    env = dict(os.environ)
    if threads:
        env["RAYON_NUM_THREADS"] = str(threads)
    t = time.perf_counter()
    subprocess.run([prepare, txt, "--output", out], check=True, env=env, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


rows = {"pyarrow read_csv, all threads": [], "pyarrow read_csv, 1 thread": [],
        "prepare, all threads": [], "prepare, 1 thread": []}
for _ in range(runs):
    rows["pyarrow read_csv, all threads"].append(pyarrow_read(True))
    rows["prepare, all threads"].append(run_prepare(None))
    rows["pyarrow read_csv, 1 thread"].append(pyarrow_read(False))
    rows["prepare, 1 thread"].append(run_prepare(1))

print(f"export {mb:.1f} MB, CSV {csv_mb:.1f} MB, pyarrow {pa.__version__}, {os.cpu_count()} CPUs, {runs} runs each, alternating")
print()
print("| run | median s | min s | MB/s of the export (median) |")
print("|---|---:|---:|---:|")
for name, times in rows.items():
    med = statistics.median(times)
    print(f"| {name} | {med:.2f} | {min(times):.2f} | {mb / med:.0f} |")
pa_all = statistics.median(rows["pyarrow read_csv, all threads"])
pr_all = statistics.median(rows["prepare, all threads"])
pr_one = statistics.median(rows["prepare, 1 thread"])
print()
print(f"prepare / pyarrow (all threads): {pr_all / pa_all:.2f}x; prepare 1 thread -> all threads: {pr_one / pr_all:.2f}x")
