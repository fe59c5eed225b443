"""Guards against a known-bad Qt binding: PySide6 6.12.0 on CPython 3.11 drops a reference to
None on every call of a void method, and the interpreter aborts ("none_dealloc") after a few
thousand paints. pyproject.toml pins PySide6 below 6.12; this test fails if that is undone."""

from __future__ import annotations

import subprocess
import sys

HAMMER = """
import sys
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
before = sys.getrefcount(None)
for _ in range(50_000):
    label.setText("x")
print(before - sys.getrefcount(None))
"""


def test_void_qt_calls_do_not_leak_references_to_none() -> None:
    out = subprocess.run([sys.executable, "-c", HAMMER], capture_output=True, text=True,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""}, timeout=120)  # fmt: skip
    assert out.returncode == 0, f"the Qt binding crashed the interpreter: {out.stderr[-300:]}"
    assert int(out.stdout.strip()) < 1000, "the Qt binding leaks references to None"
