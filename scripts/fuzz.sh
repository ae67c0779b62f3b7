#!/usr/bin/env bash
# The long fuzzing campaign: runs every cargo-fuzz target in fuzz/ for a share of MINUTES (default 20).
#
#   scripts/fuzz.sh [MINUTES] [TARGET...]
#
# Targets (fuzz/fuzz_targets/): whatsapp (parse_whatsapp), csv_reader (CSV files, whole and streamed),
# window_spec (window specs and histories on the CPU engine, streamed == in memory, split_window),
# time (format_timestamp, local_to_utc, utc_dates on the CPU). Needs a nightly toolchain and cargo-fuzz
# (`rustup toolchain install nightly`, `cargo install cargo-fuzz`). Builds go to fuzz/target, corpora to
# fuzz/corpus/TARGET (both ignored by git; committed seeds are in fuzz/seeds/TARGET), crashes, hangs
# (over 10 s) and out-of-memory inputs to fuzz/artifacts/TARGET, logs to fuzz/logs/TARGET.log.
# FUZZ_SANITIZER=address turns AddressSanitizer on (slower; the default, none, still catches panics,
# overflow checks and debug assertions). Exit status 1 when any target found something.
#
# Reproduce a finding:  cd fuzz && cargo +nightly fuzz run -s none TARGET artifacts/TARGET/crash-...
# Every finding becomes a regression test in tests/ (see docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

minutes="${1:-20}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(whatsapp csv_reader window_spec time)
seconds=$(( minutes * 60 / ${#targets[@]} ))
[ "$seconds" -lt 10 ] && seconds=10
sanitizer="${FUZZ_SANITIZER:-none}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR_FUZZ:-$PWD/target}"
export NODEVICE_SELECT=1

cargo +nightly fuzz build -O -s "$sanitizer"

mkdir -p logs
found=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "fuzz.sh: $t for ${seconds} s" >&2
    seeds=()
    [ -d "seeds/$t" ] && seeds=("seeds/$t")
    if ! cargo +nightly fuzz run -O -s "$sanitizer" "$t" "corpus/$t" "${seeds[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=3072 -max_len=8192 -print_final_stats=1 \
        >"logs/$t.log" 2>&1; then
        found=1
        echo "fuzz.sh: $t FOUND something: see fuzz/logs/$t.log and fuzz/artifacts/$t" >&2
    fi
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)|^Done [0-9]+ runs" "logs/$t.log" | sed "s/^/fuzz.sh: $t: /" >&2 || true
    echo "fuzz.sh: $t: corpus of $(ls "corpus/$t" | wc -l) inputs" >&2
done
exit "$found"
