"""Checks every decoder runs first: the file exists, is a file, is not empty, can be read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from aldesk.core.errors import MediaError


def check_file(path: Path) -> None:
    """Raise a MediaError for a missing, unreadable or empty file before any decoder runs."""
    try:
        st = path.stat()  # one stat for existence, kind and size
    except FileNotFoundError as exc:
        raise MediaError("file not found", str(path)) from exc
    except PermissionError as exc:
        raise MediaError("permission denied", str(path)) from exc
    if stat.S_ISDIR(st.st_mode):
        raise MediaError("is a folder", str(path))
    if st.st_size == 0:
        raise MediaError("empty file (0 bytes)", str(path))
    if not os.access(path, os.R_OK):
        raise MediaError("permission denied", str(path))
