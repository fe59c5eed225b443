"""SQLite plumbing of the project store: connection settings, transactions, write errors."""

from __future__ import annotations

import sqlite3

from aldesk.core.errors import AldeskError, StoreWriteError


def configure(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode = WAL")
    # FULL: each committed answer is on disk before the call returns, even on power loss.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 2000")


class transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error (the connection is in autocommit)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self._conn.execute("COMMIT")
        elif self._conn.in_transaction:  # SQLite already rolled back on SQLITE_FULL
            self._conn.execute("ROLLBACK")


def write_error(exc: sqlite3.OperationalError) -> AldeskError:
    text = str(exc)
    if "full" in text:
        return StoreWriteError(
            "Could not save: the disk is full. Free some space; nothing already saved is lost."
        )
    return StoreWriteError(f"Could not save to the project database: {text}.")
