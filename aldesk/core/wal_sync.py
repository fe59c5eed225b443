"""The writer's fsyncs and checkpoints on a thread of their own, not in the committing call.

The project's writer connection runs WAL with ``synchronous = NORMAL``: a commit appends its
pages to the WAL file, which survives the app being killed or crashing (the pages are in the
OS's cache), and returns without waiting for the disk. ``WalSync`` then fsyncs the WAL on its
own thread, so every commit is also safe from power loss, normally within a millisecond of the
key press. That is what ``synchronous = FULL`` gave, but the GUI thread no longer waits on the
disk: on a shared disk an fsync queues behind other jobs' writes for 50-90 ms, a visible stutter
between two items.

The checkpoints (copying the WAL back into the database, with two more fsyncs) run here too,
through a connection of this thread's own, instead of in whichever commit crosses SQLite's
1,000-page mark. A failed fsync is kept and raised by the next transaction (``check``), so the
user is told before giving another answer.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

# A passive checkpoint after this many commits (about SQLite's own 1,000 WAL pages of answers):
# each one makes the next commit restart the WAL, one fsync on the committing thread.
CHECKPOINT_COMMITS = 250
# The thread ends after this long with nothing to do and is started again by the next commit:
# a store that is never closed leaves no thread behind.
IDLE_SECONDS = 1.0
_log = logging.getLogger("aldesk")


class WalSync:
    """fsyncs ``db``'s WAL after commits and checkpoints it, on a daemon thread.

    ``committed()`` is called after each COMMIT (cheap: it wakes the thread, or starts it after
    an idle second); several commits made while an fsync runs share the next one.
    """

    def __init__(self, db: Path, *, checkpoint_commits: int = CHECKPOINT_COMMITS) -> None:
        self._db = Path(db)
        self._wal = Path(f"{db}-wal")
        self._checkpoint_commits = checkpoint_commits
        self._cond = threading.Condition()
        self._committed = 0  # commits announced
        self._synced = 0  # commits known to be on disk
        self._since_checkpoint = 0
        self._closing = False
        self._error: OSError | sqlite3.Error | None = None
        self._thread: threading.Thread | None = None  # running while there is work

    def committed(self) -> None:
        """A transaction was committed: have it put on disk."""
        with self._cond:
            self._committed += 1
            if self._thread is None and not self._closing:
                # It runs _run, which waits for this lock before looking at the counts.
                self._thread = threading.Thread(
                    target=self._run, name="aldesk-wal-sync", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every commit announced so far is on disk; False on timeout or close."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._committed
            while self._synced < target and self._thread is not None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
            return self._synced >= target

    def check(self) -> None:
        """Raise the error of a failed fsync or checkpoint, once, for the caller to report."""
        with self._cond:
            error, self._error = self._error, None
        if error is not None:
            raise error

    def close(self) -> None:
        """Put the last commits on disk and stop the thread (safe to call twice)."""
        with self._cond:
            self._closing = True
            thread = self._thread
            self._cond.notify_all()
        if thread is not None:
            thread.join()

    # ------------------------------------------------------------------ the thread
    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                with self._cond:
                    if self._synced == self._committed and not self._closing:
                        self._cond.wait(IDLE_SECONDS)
                    if self._synced == self._committed:  # idle, or closing: nothing left
                        self._thread = None
                        self._cond.notify_all()
                        return
                    target = self._committed
                conn = self._sync(target, conn)
                with self._cond:
                    self._synced = target
                    self._cond.notify_all()
        finally:
            with self._cond:  # ended by a bug: the next commit starts a thread again
                if self._thread is threading.current_thread():
                    self._thread = None
                    self._cond.notify_all()
            if conn is not None:
                conn.close()

    def _sync(self, target: int, conn: sqlite3.Connection | None) -> sqlite3.Connection | None:
        """fsync the WAL, then checkpoint when enough commits have gathered; errors are kept."""
        try:
            self._fsync_wal()
            self._since_checkpoint += target - self._synced
            if self._since_checkpoint >= self._checkpoint_commits:
                conn = conn or _checkpoint_connection(self._db)
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                self._since_checkpoint = 0
        except (OSError, sqlite3.Error) as exc:
            _log.warning("Could not put the project's last answers on disk: %s", exc)
            with self._cond:
                self._error = exc
        return conn

    def _fsync_wal(self) -> None:
        try:
            fd = os.open(self._wal, os.O_RDWR)
        except FileNotFoundError:  # no WAL: the last connection checkpointed and removed it
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _checkpoint_connection(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 2000")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    return conn
