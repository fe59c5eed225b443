"""Single-writer lock of a project, held with an OS file lock.

The kernel drops an ``flock`` when its process dies, so a lock left by a crashed or killed aldesk
is recovered automatically; the file's JSON body only names the holder for the error message.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import sys
import time
from pathlib import Path

from aldesk.core.errors import AldeskError, ProjectDamaged, ProjectLocked, ProjectReadOnly

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
        """Take the lock.

        Raises:
            ProjectLocked: a live process holds it.
            ProjectReadOnly: the project's folder cannot be written.
            ProjectDamaged: the lock path is a folder or a dangling link.
        """
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)  # less the umask
        except OSError as exc:
            raise lock_error(self.path, exc) from exc
        if not _try_lock(fd):
            holder = _read_holder(fd)
            os.close(fd)
            raise ProjectLocked(_locked_message(self.path.parent, holder))
        self.recovered_stale = bool(_read_holder(fd))  # a body left by a holder that died
        with contextlib.suppress(OSError):  # disk full: the flock counts, the body only names
            _write_holder(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            with contextlib.suppress(OSError):  # the kernel drops the lock with the fd anyway
                os.ftruncate(fd, 0)
                _unlock(fd)
        finally:
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None


def lock_error(path: Path, exc: OSError) -> AldeskError:
    """Why the lock file cannot be opened, for a person."""
    project = path.parent.name
    if (
        exc.errno in (errno.EACCES, errno.EPERM)
        and path.exists()
        and os.access(path.parent, os.W_OK)
    ):
        db = path.parent / "project.sqlite"
        if os.access(db, os.W_OK):  # the project is shared; only its lock file is not
            owner = owner_name(path)
            return ProjectReadOnly(
                f"The project {project} cannot be changed by you now: its lock file belongs to "
                f"{owner} and only they can write it. Once {owner} has closed aldesk, delete "
                f"the file “lock” in {path.parent} (it only says who has the project open) "
                "and open the project again.",
                reason=f"its lock file belongs to {owner}: delete it once they have closed aldesk",
            )
        owner = owner_name(db if db.exists() else path)  # the files are someone else's
        return ProjectReadOnly(
            f"The project {project} belongs to {owner}: you can read it (aldesk status, aldesk "
            f"export) but not change it. Ask {owner} to share it with your group, or copy it "
            "to a folder of yours to label.",
            reason=f"it belongs to {owner}",
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return ProjectReadOnly(
            f"The project {project} is read-only ({exc.strerror.lower()}): it can be read "
            "(aldesk status, aldesk export) but not changed. Copy it to a writable folder to "
            "label.",
            reason="its folder is read-only",
        )
    if path.is_dir():
        return ProjectDamaged(
            f"The project's lock file {path} is a folder. Remove that folder (aldesk keeps "
            "nothing in it) and open the project again."
        )
    if path.is_symlink():
        return ProjectDamaged(
            f"The project's lock file {path} is a link to {os.readlink(path)}, which cannot be "
            "opened. Remove the link and open the project again."
        )
    if exc.errno == errno.ENOSPC:
        return ProjectReadOnly(
            f"The project {project} cannot be opened for writing: the disk is full. Free some "
            "space; it can still be read (aldesk status, aldesk export).",
            reason="the disk is full",
        )
    return AldeskError(f"Cannot open the project's lock file {path}: {exc.strerror}.")


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


# Commands that hold a project for writing, and end by themselves: the message says so, not
# "Close it there first" over a window that is not there.
_COMMANDS = ("train", "import-labels", "new", "recover")


def _holder_name() -> str:
    """What holds the lock, for the message another opener gets."""
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    return f"aldesk {command}" if command in _COMMANDS else "window"


def _write_holder(fd: int) -> None:
    body = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time(),
            "by": _holder_name()}  # fmt: skip
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps(body).encode("utf-8"))


def _locked_message(project: Path, holder: dict) -> str:
    who = "another aldesk"
    by = holder.get("by", "window")
    if holder:
        since = time.strftime("%Y-%m-%d %H:%M", time.localtime(holder.get("since", 0)))
        where = f"pid {holder.get('pid')} on {holder.get('host')}, since {since}"
        who = f"{by} ({where})" if by != "window" else f"aldesk ({where})"
    if by != "window":
        return (f"The project {project.name} is in use by {who}; it ends by itself when done. "
                "Try again then.")  # fmt: skip
    return f"The project {project.name} is already open in {who}. Close it there first."


def owner_name(path: Path) -> str:
    """The login name of the file's owner, or “another user” when it cannot be told."""
    try:
        import pwd

        return pwd.getpwuid(path.stat().st_uid).pw_name
    except (ImportError, KeyError, OSError):
        return "another user"
