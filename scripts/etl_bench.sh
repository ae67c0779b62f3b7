#!/usr/bin/env bash
# The ETL benchmark of docs/benchmarks.md ("Preparing an export"): `prepare` against pyarrow's CSV reader on
# the same generated messages (N messages, default 2,000,000), 1 thread and all threads, alternating runs;
# with --big, also `prepare` of a 20,000,000-message export, its wall time and peak RSS.
#
# Usage: scripts/etl_bench.sh [--messages N] [--runs R] [--big]
set -euo pipefail
cd "$(dirname "$0")/.."
messages=2000000 runs=3 big=0
while [ $# -gt 0 ]; do
    case "$1" in
        --messages) messages="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --big) big=1; shift ;;
        *) echo "usage: scripts/etl_bench.sh [--messages N] [--runs R] [--big]" >&2; exit 2 ;;
    esac
done
target="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --example prepare --example gen_history
work="${TMPDIR:-/tmp}/streamliner-etl-bench"
mkdir -p "$work"
txt="$work/wa$messages.txt" csv="$work/wa$messages.csv"
[ -f "$txt" ] || "$target/release/examples/gen_history" --messages "$messages" --output "$txt"
[ -f "$csv" ] || "$target/release/examples/gen_history" --messages "$messages" --output "$csv"
venv="$target/bench-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q pyarrow
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%d)"
"$venv/bin/python" scripts/etl_bench.py "$txt" "$csv" "$target/release/examples/prepare" "$runs"
if [ "$big" = 1 ]; then
    bigtxt="$work/wa20000000.txt"
    [ -f "$bigtxt" ] || "$target/release/examples/gen_history" --messages 20000000 --output "$bigtxt"
    echo "20,000,000 messages ($(stat -c %s "$bigtxt") bytes):"
    /usr/bin/time -f "wall %e s, peak RSS %M kB" "$target/release/examples/prepare" "$bigtxt" --output "$work/big.parquet"
fi
