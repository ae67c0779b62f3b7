#!/usr/bin/env bash
# Builds the Python package as a wheel that installs without a Rust toolchain, into dist/.
#
# The wheel is abi3 (one wheel for CPython >= 3.11) and manylinux_2_17 (manylinux2014): maturin
# cross-compiles with zig against glibc 2.17, so it runs on any Linux of this architecture with glibc
# 2.17 or later. `auditwheel show` must find it manylinux_2_17, or the script fails. Earlier
# dist/streamliner-*.whl files are removed, so `pip install dist/streamliner-*.whl` names one wheel.
#
# maturin, ziglang and auditwheel (pinned below) are installed from PyPI into a virtual environment in
# cargo's target directory ($CARGO_TARGET_DIR/wheel-tools, reused). zig builds for an explicit target,
# so cargo's output is in $CARGO_TARGET_DIR/<target>/release, apart from the native release build.
# PYTHON picks the interpreter (default python3, >= 3.11).
#
# --check: then installs the wheel into a fresh virtual environment ($CARGO_TARGET_DIR/wheel-check-venv)
# with no cargo or rustc on PATH, and windows the bundled sample chat with it (pip fetches pyarrow).
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
for arg in "$@"; do
    case "$arg" in
    --check) check=1 ;;
    *)
        echo "usage: scripts/wheel.sh [--check]" >&2
        exit 2
        ;;
    esac
done

python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "scripts/wheel.sh: needs Python >= 3.11 ($python is not; set PYTHON)" >&2
    exit 1
fi
python="$("$python" -c 'import sys; print(sys.executable)')"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

# The build tools, pinned (maturin's `zig` extra is ziglang).
tools="$CARGO_TARGET_DIR/wheel-tools"
requirements=(maturin==1.16.0 ziglang==0.17.1 auditwheel==6.8.2)
if [ ! -x "$tools/bin/python" ]; then
    "$python" -m venv "$tools"
fi
# (Pinned versions that are installed already are not looked up again.)
"$tools/bin/python" -m pip install -q --disable-pip-version-check "${requirements[@]}"
# maturin runs zig as `python3 -m ziglang`, with the python3 it finds on PATH.
export PATH="$tools/bin:$PATH"

mkdir -p dist
rm -f dist/streamliner-*.whl
start=$SECONDS
maturin build --release --zig --compatibility manylinux2014 --manifest-path python/Cargo.toml \
    --interpreter "$python" --out dist
wheels=(dist/streamliner-*.whl)
if [ "${#wheels[@]}" != 1 ]; then
    echo "scripts/wheel.sh: expected one wheel in dist/, found: ${wheels[*]}" >&2
    exit 1
fi
wheel="$PWD/${wheels[0]}"
echo "scripts/wheel.sh: built ${wheels[0]} in $((SECONDS - start)) s" >&2

# auditwheel wraps its lines: join them before looking for the tag.
tag="manylinux_2_17_$(uname -m)"
audit="$(auditwheel show "$wheel")"
if ! tr '\n' ' ' <<<"$audit" | grep -q "consistent with the following platform tag: \"$tag\""; then
    echo "$audit" >&2
    echo "scripts/wheel.sh: auditwheel does not accept $wheel as $tag" >&2
    exit 1
fi
echo "scripts/wheel.sh: auditwheel: $tag" >&2

if [ "$check" = 1 ]; then
    venv="$CARGO_TARGET_DIR/wheel-check-venv"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    # PATH without any directory that holds cargo or rustc.
    clean_path="$venv/bin"
    IFS=: read -ra dirs <<<"$PATH"
    for d in "${dirs[@]}"; do
        if [ -n "$d" ] && [ ! -e "$d/cargo" ] && [ ! -e "$d/rustc" ] && [ "$d" != "$tools/bin" ]; then
            clean_path="$clean_path:$d"
        fi
    done
    sample="$PWD/examples/data/sample_chat.txt"
    (
        export PATH="$clean_path"
        unset CARGO_TARGET_DIR RUSTUP_HOME CARGO_HOME
        if command -v cargo >/dev/null || command -v rustc >/dev/null; then
            echo "scripts/wheel.sh: a Rust toolchain is still on PATH" >&2
            exit 1
        fi
        cd /
        python -m pip install -q --disable-pip-version-check --only-binary :all: "$wheel"
        python - "$sample" <<'EOF'
import sys

import streamliner

table = streamliner.read_whatsapp(sys.argv[1])
windows = streamliner.window(table, by="messages", step=100, overlap=0.0)
assert len(table) == 600 and len(windows) == 6, (len(table), len(windows))
assert [w.size for w in windows] == [100] * 6
print(f"scripts/wheel.sh: the wheel, installed without Rust, windows the sample: {len(windows)} windows "
      f"of {len(table)} messages ({streamliner.__file__})", file=sys.stderr)
EOF
    )
fi
