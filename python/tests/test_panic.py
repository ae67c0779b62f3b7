"""A panic inside the extension reaches Python as RuntimeError, and the interpreter lives on.

The extension's hidden ``_panic_for_tests`` panics through the path every library call takes (the GIL
released, the panic caught at the boundary)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import streamliner
from conftest import BACKEND, SAMPLE
from streamliner import _streamliner

MESSAGE = "streamliner internal error (please report it): panic on purpose"

# A fresh interpreter: panics, catches the RuntimeError, then reads and windows the sample.
SCRIPT = """
import sys
import streamliner
from streamliner import _streamliner

try:
    _streamliner._panic_for_tests("panic on purpose")
except RuntimeError as e:
    print("caught:", e)
else:
    sys.exit("no RuntimeError")
table = streamliner.read_whatsapp(sys.argv[1])
print("windows:", len(streamliner.window(table, step=100, overlap=0.0, backend=sys.argv[2])))
"""


def test_panic_is_a_runtime_error_in_a_fresh_interpreter():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(SAMPLE), BACKEND], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert f"caught: {MESSAGE}" in out.stdout
    assert "windows: 6" in out.stdout, out.stdout


def test_panic_is_a_runtime_error_and_the_library_still_works():
    for _ in range(3):
        with pytest.raises(RuntimeError, match="internal error.*panic on purpose"):
            _streamliner._panic_for_tests("panic on purpose")
    windows = streamliner.window(streamliner.read_whatsapp(SAMPLE), step=100, overlap=0.0, backend=BACKEND)
    assert len(windows) == 6
