#!/usr/bin/env bash
# The GPU benchmarks of docs/benchmarks.md, on a machine with a real GPU and no Rust toolchain.
#
#   scripts/gpu_bench.sh BIN_DIR OUT_DIR [gpu_vs_cpu arguments...]
#
# BIN_DIR holds release builds of the `gpu_vs_cpu` example (built elsewhere with
# `cargo build --release --example gpu_vs_cpu`); where the machine has no Vulkan loader, put the .deb files
# of libvulkan1 (and the GL/EGL loaders) in `.gl/` beside the checkout and they are unpacked first. Prints
# the adapter, the driver and the table; writes the full log to OUT_DIR/gpu_vs_cpu.log.
set -uo pipefail
bin="$1"; out="$2"; shift 2
mkdir -p "$out"
if [ -d .gl ] && ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$icd" ] && ! ls /usr/share/vulkan/icd.d/*nvidia* >/dev/null 2>&1; then
    export VK_DRIVER_FILES="$icd"
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv
nproc
export RUST_LOG="${RUST_LOG:-warn}"
"$bin/gpu_vs_cpu" "$@" 2>&1 | tee "$out/gpu_vs_cpu.log"
