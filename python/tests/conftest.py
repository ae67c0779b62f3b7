"""Shared fixtures: the repository, the Rust examples (the reference), generated histories."""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "data" / "sample_chat.txt"

# Tests run on the CPU twins unless told otherwise (lavapipe is slower than the CPU path).
BACKEND = os.environ.get("STREAMLINER_TEST_BACKEND", "cpu")


def examples_dir() -> Path:
    """Where `cargo build --release --examples` put the Rust examples."""
    if "STREAMLINER_EXAMPLES_DIR" in os.environ:
        return Path(os.environ["STREAMLINER_EXAMPLES_DIR"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release" / "examples"


def example(name: str) -> Path:
    """The path of Rust example `name`, or a skip saying how to build it."""
    path = examples_dir() / name
    if not path.exists():
        if os.environ.get("STREAMLINER_REQUIRE_EXAMPLES") == "1":
            pytest.fail(f"the Rust example {name!r} is not built at {path} (STREAMLINER_REQUIRE_EXAMPLES=1)")
        pytest.skip(
            f"the Rust example {name!r} is not built at {path}: run `cargo build --release --examples` "
            "(scripts/test.sh does) or set STREAMLINER_EXAMPLES_DIR"
        )
    return path


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def rust_windows(path: Path, *args: str) -> list[tuple]:
    """The window table of the `window` example on `path` with `args`, as tuples of
    (window_index, start_row, end_row, size, start_time, end_time, units)."""
    env = dict(os.environ, STREAMLINER_BACKEND=BACKEND, NODEVICE_SELECT="1")
    out = subprocess.run(
        [str(example("window")), str(path), "--backend", BACKEND, *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    rows = list(csv.DictReader(out.splitlines()))
    return [
        (
            int(r["window_index"]),
            int(r["start_row"]),
            int(r["end_row"]),
            int(r["size"]),
            parse_time(r["start_time"]),
            parse_time(r["end_time"]),
            int(r["units"]),
        )
        for r in rows
    ]


def py_windows(windows) -> list[tuple]:
    """The same tuples from a `streamliner.Windows`."""
    t = windows.table
    cols = [t.column(c).to_pylist() for c in ("window_index", "start_row", "end_row", "size", "start_time", "end_time", "units")]
    return [
        (c0, c1, c2, c3, c4.astimezone(dt.timezone.utc), c5.astimezone(dt.timezone.utc), c6)
        for c0, c1, c2, c3, c4, c5, c6 in zip(*cols)
    ]


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    """A generated history of 20,000 messages (Parquet), from the `gen_history` example."""
    out = tmp_path_factory.mktemp("gen") / "history.parquet"
    subprocess.run(
        [str(example("gen_history")), "--messages", "20000", "--seed", "7", "--output", str(out)],
        check=True,
        capture_output=True,
    )
    return out
