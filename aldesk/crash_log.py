"""Where the details of a bug go: a file in the config folder, so the user sees one line.

The GUI's exception dialog and the command line's entry point both write here; neither
imports Qt through this module.
"""

from __future__ import annotations

import contextlib
import traceback
from pathlib import Path
from types import TracebackType

FILE_NAME = "last-error.txt"


def write(etype: type, value: BaseException, tb: TracebackType | None) -> Path | None:
    """Write the traceback to ``<config>/last-error.txt``; its path, or None if it failed.

    A crash log must never cause a second error, so a full or read-only disk is ignored.
    """
    from aldesk.gui.recent import config_dir  # Qt-free: paths and JSON only

    with contextlib.suppress(OSError):
        folder = config_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / FILE_NAME
        path.write_text("".join(traceback.format_exception(etype, value, tb)), encoding="utf-8")
        return path
    return None
