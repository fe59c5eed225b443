"""SQLite plumbing of the project store: connection settings, transactions, write errors."""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

from aldesk.core.errors import AldeskError, ProjectDamaged, ProjectReadOnly, StoreWriteError
from aldesk.core.wal_sync import WalSync


class WriterConnection(sqlite3.Connection):
    """The project's read-write connection: its commits are fsynced by ``wal_sync``'s thread."""

    wal_sync: WalSync | None = None
    upgraded_from: int | None = None  # the format an older aldesk wrote, if upgraded on open

    def close(self) -> None:
        """Put the last commits on disk, then close (SQLite checkpoints and removes the WAL)."""
        sync, self.wal_sync = self.wal_sync, None
        if sync is not None:
            sync.close()
        super().close()


def configure(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 2000")


def sync_in_background(conn: WriterConnection, db: Path) -> None:
    """Commits return once in the WAL (safe if the app dies); ``WalSync`` fsyncs them and
    checkpoints on its thread (safe on power loss a moment later). See ``aldesk.core.wal_sync``."""
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.wal_sync = WalSync(db)
    conn.wal_sync.committed()  # whatever opening wrote (a migration) goes to disk too


class transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error (the connection is in autocommit).

    Inside another one it is part of that one: the outer block commits (one fsync) or rolls
    back everything.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._outer = False

    def __enter__(self) -> None:
        self._outer = not self._conn.in_transaction
        if self._outer:
            _check_synced(self._conn)
            self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if not self._outer:
            return
        if exc_type is None:
            self._conn.execute("COMMIT")
            if (sync := getattr(self._conn, "wal_sync", None)) is not None:
                sync.committed()
        elif self._conn.in_transaction:  # SQLite already rolled back on SQLITE_FULL
            self._conn.execute("ROLLBACK")


def _check_synced(conn: sqlite3.Connection) -> None:
    """Refuse the next write when an earlier commit could not be put on disk: say so now."""
    sync = getattr(conn, "wal_sync", None)
    if sync is None:
        return
    try:
        sync.check()
    except (OSError, sqlite3.Error) as exc:
        if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            why = ("The project folder cannot be written any more (its permissions or the disk "
                   "changed). Make it writable again, or close and reopen the project read-only.")  # fmt: skip
        else:
            why = "Is the disk full or failing? Check it, then go on."
        raise StoreWriteError(
            f"The disk reported an error while saving ({exc}): the answers given so far are in "
            f"the project but may not be safely on disk. {why}"
        ) from exc


def damaged(db: Path, what: str) -> ProjectDamaged:
    """A damaged database: say what is wrong, how to restore it, and how to save the answers."""
    return ProjectDamaged(
        f"The project database {db} {what}. Restore project.sqlite from a backup, or save the "
        f"answers it still holds with: aldesk recover {db.parent} OUT.csv"
    )


def setting_error(db: Path, key: str, problem: str) -> ProjectDamaged:
    """A project setting that is missing or malformed: name it, and say how to get it back."""
    return ProjectDamaged(
        f"The project setting {key!r} {problem}. The project database {db} was edited or "
        "damaged: restore project.sqlite from a backup."
    )


def read_error(db: Path, exc: sqlite3.Error) -> AldeskError:
    """Why ``db`` cannot be opened or read, for a person."""
    text = str(exc)
    if db.is_dir():
        return ProjectDamaged(
            f"{db} is a folder, not the project's database. Restore project.sqlite from a backup."
        )
    if "not a database" in text:
        return damaged(db, "is not a SQLite database (damaged, or replaced by another file)")
    if "malformed" in text or "corrupt" in text:
        return damaged(db, "is damaged (SQLite: database disk image is malformed)")
    if "readonly" in text or "read-only" in text:
        return ProjectReadOnly(
            f"The project database {db} is read-only: the project can be read (aldesk status, "
            "aldesk export) but not changed.",
            reason="its database file is read-only",
        )
    if "full" in text or ("disk I/O" in text and _no_space(db)):
        return ProjectReadOnly(
            f"The disk is full: the project database {db} cannot be opened for writing. Free "
            "some space and try again; it can still be read (aldesk status, aldesk export).",
            reason="the disk is full",
        )
    if "disk I/O" in text:
        return StoreWriteError(
            f"A disk error stopped aldesk opening the project database {db} (disk I/O error): "
            "is the disk full or failing? Free some space and try again."
        )
    return AldeskError(f"Could not open the project database {db}: {text}.")


def _no_space(db: Path) -> bool:
    """SQLite reports a -shm file it cannot grow on a full disk as a plain I/O error."""
    try:
        return shutil.disk_usage(db.parent).free < 64 * 1024
    except OSError:
        return False


def write_error(exc: sqlite3.Error) -> AldeskError:
    text = str(exc)
    if "full" in text:
        return StoreWriteError(
            "Could not save: the disk is full. Free some space; nothing already saved is lost."
        )
    if "readonly" in text:
        return ProjectReadOnly("Could not save: the project is read-only.")
    if "malformed" in text or "not a database" in text:
        return ProjectDamaged(
            f"Could not save: the project database is damaged ({text}). Close the project and "
            "restore project.sqlite from a backup."
        )
    return StoreWriteError(f"Could not save to the project database: {text}.")
