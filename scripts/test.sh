#!/usr/bin/env bash
# Runs streamliner's whole test suite, GPU tests included.
#
# The GPU tests need a Vulkan driver. On a machine without a GPU that is Mesa's lavapipe, which this
# script installs (apt-get: mesa-vulkan-drivers libvulkan1) when no Vulkan driver is present.
# STREAMLINER_SKIP_GPU=1 skips the GPU tests instead (each one says so); extra arguments go to
# `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

have_vulkan() {
    ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' &&
        ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1
}

if [ "${STREAMLINER_SKIP_GPU:-0}" != 1 ] && ! have_vulkan; then
    echo "scripts/test.sh: no Vulkan driver found; installing Mesa's lavapipe (mesa-vulkan-drivers libvulkan1)" >&2
    if ! command -v apt-get >/dev/null; then
        echo "scripts/test.sh: apt-get is not available: install a Vulkan driver, or set STREAMLINER_SKIP_GPU=1" >&2
        exit 1
    fi
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends mesa-vulkan-drivers libvulkan1 >/dev/null
fi

# Mesa's device-select layer otherwise warns about XDG_RUNTIME_DIR on every process start.
export NODEVICE_SELECT=1
cargo test --release "$@"
