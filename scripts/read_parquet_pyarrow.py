# Times pyarrow reading columns ts,text of a Parquet file, threads on and off (docs/benchmarks.md, "Reading Parquet").
# Usage: python3 scripts/read_parquet_pyarrow.py FILE
import sys, time, resource
import pyarrow as pa, pyarrow.parquet as pq
path = sys.argv[1]
for threads in (True, False):
    for run in range(3):
        t = time.perf_counter()
        table = pq.read_table(path, columns=['ts', 'text'], use_threads=threads)
        dt = time.perf_counter() - t
        print(f"pyarrow {pa.__version__} use_threads={threads} run {run+1}: {table.num_rows} rows, {dt:.3f} s")
        del table
print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} kB")
