#!/usr/bin/env bash
# One run, back to back on the same adapter: streamliner's SinglePass and ReduceThenScan resident u32
# scans (the ignored compare_algorithms test), then lampshade 0.13's resident scans.
# Usage (from the repository root): bash peers/lampshade/compare.sh [logs, default 22,24] [lampshade logs, default 22 24 26]
set -euo pipefail
export NODEVICE_SELECT=1
logs=${1:-22,24}
shift || true
peer_logs=${*:-22 24 26}
date -u; uptime
SCAN_COMPARE_LOGS=$logs cargo test --release --test scan_chained -- --ignored --nocapture compare_algorithms 2>&1 | grep '^round'
uptime
CARGO_TARGET_DIR="$PWD/target/peers" cargo build --release --manifest-path peers/lampshade/Cargo.toml 2>&1 | tail -1
# shellcheck disable=SC2086
target/peers/release/lampshade-peer $peer_logs 2>&1 | grep -v XDG_RUNTIME
date -u; uptime
