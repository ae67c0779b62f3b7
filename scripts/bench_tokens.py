"""Token counts of a history's text column: streamliner against tiktoken's batch API, in the same run.

    cargo run --release --example gen_history -- --messages 1000000 --output /tmp/h.parquet
    pip install ./python tiktoken
    python scripts/bench_tokens.py /tmp/h.parquet [--encoding o200k_base] [--repeat 3] [--gpu]

tiktoken (the PyPI package) runs `Encoding.encode_ordinary_batch(texts, num_threads=os.cpu_count())`, its
own thread pool over every core, and, for reference, `encode_ordinary` once per text in a loop (one
thread), on the texts as Python strings (their conversion from Arrow is not timed);
its vocabulary is read from the ranks file inside the tiktoken-rs crate (scripts/local_tiktoken.py).
streamliner runs `streamliner.token_counts` on the Arrow column, on the CPU backend (every core). Each
figure is the best of --repeat runs after an untimed warm-up; the counts must be equal. With --gpu,
streamliner also counts on the GPU backend once, checked against the CPU's (on a software adapter such as
lavapipe this is a correctness check: its time means nothing).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import pyarrow.parquet as pq

import streamliner

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import local_tiktoken  # noqa: E402


def best(repeat, f):
    out, times = None, []
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("--column", default="text")
    ap.add_argument("--encoding", action="append", choices=["o200k_base", "cl100k_base"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--gpu", action="store_true", help="also count on the GPU backend and compare")
    args = ap.parse_args()

    column = pq.read_table(args.input, columns=[args.column]).column(args.column).combine_chunks()
    texts = [t or "" for t in column.to_pylist()]
    mb = sum(len(t.encode()) for t in texts) / 1e6
    threads = os.cpu_count()
    print(f"{args.input}: {len(texts)} rows, {mb:.1f} MB of text; {threads} threads; {platform.processor() or platform.machine()}")
    print(f"tiktoken {__import__('tiktoken').__version__}, streamliner {streamliner.__version__}")
    for name in args.encoding or ["o200k_base", "cl100k_base"]:
        enc = local_tiktoken.encoding(name)
        enc.encode_ordinary_batch(texts[:1000], num_threads=threads)
        streamliner.token_counts(column.slice(0, 1000), name, backend="cpu")
        t_tik, tik = best(args.repeat, lambda: enc.encode_ordinary_batch(texts, num_threads=threads))
        t_loop, loop = best(args.repeat, lambda: [len(enc.encode_ordinary(t)) for t in texts])
        t_ours, ours = best(args.repeat, lambda: streamliner.token_counts(column, name, backend="cpu"))
        want = [len(t) for t in tik]
        assert loop == want
        same = ours.to_pylist() == want
        print(f"{name}: {sum(want)} tokens; counts {'equal' if same else 'DIFFER'}")
        print(f"  tiktoken encode_ordinary_batch  {t_tik:8.3f} s  {mb / t_tik:7.1f} MB/s")
        print(f"  tiktoken encode_ordinary loop   {t_loop:8.3f} s  {mb / t_loop:7.1f} MB/s")
        print(f"  streamliner.token_counts (cpu)  {t_ours:8.3f} s  {mb / t_ours:7.1f} MB/s  {t_tik / t_ours:5.2f}x")
        if args.gpu:
            engine = streamliner.Engine("gpu")
            t = time.perf_counter()
            gpu = streamliner.token_counts(column, name, engine=engine)
            dt = time.perf_counter() - t
            same_gpu = gpu.to_pylist() == want
            print(f"  streamliner.token_counts (gpu: {engine.info()['adapter']['name']})  {dt:8.3f} s  "
                  f"counts {'equal' if same_gpu else 'DIFFER'}")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
