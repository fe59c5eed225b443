"""The command line's output files: checked before the work, written whole, and the format a
file's ending names."""

from __future__ import annotations

import json
import os
from pathlib import Path

from aldesk.core.errors import AldeskError

EXIT_SOME_FAILED = 1  # done, but some files could not be written (rsync says 23)


def check_writable(path: Path) -> None:
    """Refuse an output path that cannot be written, before any work is done."""

    from aldesk.core.labels_export import refuse_inside_project, written_into

    path = Path(path)
    folder = path.parent
    refuse_inside_project(path)
    if written_into(path):  # /dev/stdout: written into, so its folder need not be writable
        if not os.access(path, os.W_OK):
            raise AldeskError(f"Cannot write {path}: permission denied.")
        return
    if path.is_dir():
        raise AldeskError(f"Cannot write {path}: it is a folder; give a file name.")
    if not folder.is_dir():
        raise AldeskError(f"Cannot write {path}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise AldeskError(f"Cannot write {path}: permission denied.")


def write_json(path: Path, data: object) -> None:
    from aldesk.core.labels_export import write_text

    write_text(path, json.dumps(data, indent=1))


def format_of(out: Path, formats: tuple[str, ...]) -> str:
    """The file format a path's ending names (``labels.json`` → json), else the first: a JSON
    export was written as CSV into ``labels.json`` unless --format said so too."""
    ending = Path(out).suffix.lower().lstrip(".")
    return ending if ending in formats else formats[0]


def report_stream(out: Path):
    """Where a command says what it wrote: stderr when the output file is this process's
    stdout (``--out /dev/stdout | …``: the line ended up inside the CSV), else stdout."""
    import sys

    try:
        written, shown = os.stat(out), os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no such file yet; stdout not a file
        return sys.stdout
    same = (written.st_dev, written.st_ino) == (shown.st_dev, shown.st_ino)
    return sys.stderr if same else sys.stdout
