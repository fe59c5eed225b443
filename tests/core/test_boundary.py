"""The core never imports Qt: every core module is imported in a fresh interpreter."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import aldesk.core


def test_core_modules_import_no_pyside6() -> None:
    modules = sorted(
        m.name for m in pkgutil.walk_packages(aldesk.core.__path__, prefix="aldesk.core.")
    )
    assert "aldesk.core.session" in modules and "aldesk.core.features.run" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'aldesk.gui')))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_headless_cli_commands_import_no_pyside6(tmp_path) -> None:
    code = (
        "import sys\n"
        "from aldesk.cli import main\n"
        f"main(['status', {str(tmp_path / 'none')!r}])\n"
        "print(any(m.startswith('PySide6') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"
