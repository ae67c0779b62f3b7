#!/usr/bin/env bash
# Runs streamliner's whole test suite, GPU tests included.
#
# The GPU tests need a Vulkan driver. On a machine without a GPU that is Mesa's lavapipe, which this
# script installs (apt-get: mesa-vulkan-drivers libvulkan1) when no Vulkan driver is present.
# STREAMLINER_SKIP_GPU=1 skips the GPU tests instead (each one says so); extra arguments go to
# `cargo test`.
#
# Then the Python package, tested as users install it: scripts/wheel.sh --check builds the manylinux wheel
# into dist/ and windows the sample with it in a virtual environment without Rust; a virtual environment
# (target/python-test-venv, reused; STREAMLINER_VENV overrides it) gets that wheel with its `test` and `ray`
# extras; `mypy --strict` checks the installed package (stubs included), mypy's stubtest checks the stubs
# against the extension, and `pytest python/tests` runs, comparing against the Rust examples. It needs
# Python >= 3.11 (PYTHON picks the interpreter, default python3); STREAMLINER_SKIP_PYTHON=1 skips it, and
# says so.
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

if [ "${STREAMLINER_SKIP_PYTHON:-0}" = 1 ]; then
    echo "scripts/test.sh: STREAMLINER_SKIP_PYTHON=1: the Python package's tests are skipped" >&2
    exit 0
fi
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "scripts/test.sh: the Python tests need Python >= 3.11 ($python is not; set PYTHON, or STREAMLINER_SKIP_PYTHON=1)" >&2
    exit 1
fi
# The Python tests compare against the Rust examples (built by `cargo test` unless its arguments said otherwise).
cargo build --release --examples
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
venv="${STREAMLINER_VENV:-$CARGO_TARGET_DIR/python-test-venv}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip
bash scripts/wheel.sh --check
wheel="$(echo dist/streamliner-*.whl)"
"$venv/bin/python" -m pip install -q "$wheel[test,ray]"
# The previous run's wheel has the same version: replace it.
"$venv/bin/python" -m pip install -q --force-reinstall --no-deps "$wheel"
repo="$PWD"
(
    # Outside the checkout, so that nothing can be imported from the source tree.
    cd "$venv"
    bin/python -c 'import sys, streamliner; assert streamliner.__file__.startswith(sys.prefix), streamliner.__file__'
    bin/python -m mypy --strict -p streamliner
    bin/python -m mypy.stubtest --allowlist "$repo/python/stubtest-allowlist.txt" streamliner._streamliner
)
STREAMLINER_REQUIRE_EXAMPLES=1 "$venv/bin/python" -m pytest -q -rs python/tests
