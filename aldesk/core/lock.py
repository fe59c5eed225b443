"""Single-writer lock of a project, held with an OS file lock.

The kernel drops an ``flock`` when its process dies, so a lock left by a crashed or killed aldesk
is recovered automatically; the file's JSON body only names the holder for the error message.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from aldesk.core.errors import ProjectLocked

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt


class ProjectLock:
    """An exclusive, non-blocking lock on ``path``; ``acquire`` raises ProjectLocked if held."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self.recovered_stale = False

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            holder = _read_holder(fd)
            os.close(fd)
            raise ProjectLocked(_locked_message(self.path.parent, holder))
        self.recovered_stale = bool(_read_holder(fd))  # a body left by a holder that died
        _write_holder(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        _unlock(self._fd)
        os.close(self._fd)
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    else:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def _read_holder(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 4096)
    try:
        return json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError):
        return {}


def _write_holder(fd: int) -> None:
    body = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps(body).encode("utf-8"))


def _locked_message(project: Path, holder: dict) -> str:
    who = "another aldesk"
    if holder:
        since = time.strftime("%Y-%m-%d %H:%M", time.localtime(holder.get("since", 0)))
        who = f"aldesk (pid {holder.get('pid')} on {holder.get('host')}, since {since})"
    return f"The project {project.name} is already open in {who}. Close it there first."
