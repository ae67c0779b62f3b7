#!/usr/bin/env bash
# The whole pipeline, stage by stage (docs/benchmarks.md, "The whole pipeline, stage by stage"): the same
# generated WhatsApp export of N messages (default 1,000,000) through streamliner and through the existing
# pipeline's own way of doing each stage, in one run; a table, and a plot of where the time goes.
#
# Usage: scripts/pipeline_bench.sh [--messages N] [--parser-messages N] [--pipeline-windows K]
#                                  [--plot FILE] [--note TEXT]
#
# The export comes from the `gen_history` example (built with cargo; STREAMLINER_GEN_HISTORY names an
# already-built binary instead). The Python side runs in a virtual environment, $CARGO_TARGET_DIR/bench-venv,
# with streamliner installed from ./python (built by maturin through cargo), or in STREAMLINER_BENCH_VENV,
# whose streamliner is used as installed. Jinja2, DuckDB, Ibis, matplotlib and tiktoken come from PyPI;
# tiktoken's vocabulary is read from the tiktoken-rs crate's files (scripts/local_tiktoken.py).
set -euo pipefail
cd "$(dirname "$0")/.."
messages=1000000 plot=docs/img/pipeline_stages.png
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --messages) messages="$2"; shift 2 ;;
        --plot) plot="$2"; shift 2 ;;
        --parser-messages | --pipeline-windows | --note | --repeat | --backend) extra+=("$1" "$2"); shift 2 ;;
        *) echo "usage: scripts/pipeline_bench.sh [--messages N] [--parser-messages N] [--pipeline-windows K] [--plot FILE] [--note TEXT]" >&2; exit 2 ;;
    esac
done
target="${CARGO_TARGET_DIR:-$PWD/target}"
gen="${STREAMLINER_GEN_HISTORY:-}"
if [ -z "$gen" ]; then
    cargo build --release --example gen_history
    gen="$target/release/examples/gen_history"
fi
work="${TMPDIR:-/tmp}/streamliner-pipeline-bench"
mkdir -p "$work"
txt="$work/wa$messages.txt"
[ -f "$txt" ] || "$gen" --messages "$messages" --output "$txt"
venv="${STREAMLINER_BENCH_VENV:-}"
if [ -z "$venv" ]; then
    venv="$target/bench-venv"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q ./python
fi
"$venv/bin/python" -m pip install -q pyarrow jinja2 duckdb "ibis-framework[duckdb]" matplotlib tiktoken
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ {print $2}') GiB, $(date -u '+%Y-%m-%d %H:%M UTC')"
"$venv/bin/python" scripts/pipeline_bench.py "$txt" --plot "$plot" --json "$work/results$messages.json" "${extra[@]}"
