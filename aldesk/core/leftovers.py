"""Hidden siblings a run builds its output in (a project, an export), left behind when that
run was killed: the next run of the same output removes them, as no one else would."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
from pathlib import Path


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (True when that cannot be told: never remove a live
    run's work)."""
    if os.name != "posix":  # Windows' os.kill(pid, 0) would terminate that process
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def remove_dead(parent: Path, prefix: str, suffix: str = "", middle: str = r"(\d+)") -> None:
    """Remove ``parent/<prefix><middle><suffix>`` (files or folders) whose run is gone.

    ``middle`` is a regular expression whose first group is the run's process id; nothing
    that does not match it in full is touched.
    """
    shape = re.compile(re.escape(prefix) + middle + re.escape(suffix))
    for old in parent.glob(f"{glob.escape(prefix)}*{glob.escape(suffix)}"):
        found = shape.fullmatch(old.name)
        if found is None or pid_alive(int(found.group(1))):
            continue
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):  # e.g. a read-only folder: left, as before
                old.unlink()
