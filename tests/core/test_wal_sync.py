"""WalSync: the writer's commits are put on disk by a thread of their own, not by the caller."""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
from pathlib import Path

import pytest

from aldesk.core import wal_sync
from aldesk.core.errors import StoreWriteError
from aldesk.core.store import NewItem, ProjectStore
from aldesk.core.wal_sync import WalSync


@pytest.fixture
def store(tmp_path: Path):
    s = ProjectStore.create(tmp_path / "proj", pool_root=tmp_path, kind="image", classes=["a", "b"])
    yield s
    s.close()


def _label(store: ProjectStore, n: int) -> list[int]:
    ids = store.add_items(NewItem(f"h{i}", f"f{i}.png", "image", 1, 1) for i in range(n))
    cls = store.classes()[0].id
    for item in ids:
        store.record(item, "label", class_id=cls)
    return ids


def _fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Record each ``os.fsync`` as (thread name, file path), then do it."""
    seen: list[tuple[str, str]] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        seen.append((threading.current_thread().name, os.readlink(f"/proc/self/fd/{fd}")))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return seen


def test_the_writer_commits_without_waiting_for_the_disk(store: ProjectStore) -> None:
    # NORMAL in WAL mode: the commit returns once its pages are in the WAL (the OS's cache).
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 1
    assert store._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc/self/fd")
def test_answers_are_fsynced_on_the_sync_thread(store: ProjectStore, monkeypatch) -> None:
    seen = _fsyncs(monkeypatch)
    _label(store, 3)
    assert store._conn.wal_sync.flush(timeout=30)
    assert seen, "no fsync after the answers"
    assert {name for name, _ in seen} == {"aldesk-wal-sync"}
    assert all(path.endswith("project.sqlite-wal") for _, path in seen)


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        (OSError(errno.EIO, "Input/output error"), "Is the disk full or failing?"),
        (OSError(errno.EACCES, "Permission denied"), "cannot be written any more"),
    ],
)
def test_a_failed_fsync_is_reported_by_the_next_write_and_loses_nothing(
    store: ProjectStore, monkeypatch, error: OSError, advice: str
) -> None:
    first, second = _label(store, 2)
    assert store._conn.wal_sync.flush(timeout=30)
    real, failures = os.fsync, [error]

    def fsync(fd: int) -> None:
        if failures:
            raise failures.pop()
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    store.record(first, "skip")  # committed; its fsync fails on the thread
    assert store._conn.wal_sync.flush(timeout=30)
    with pytest.raises(StoreWriteError, match="disk reported an error") as raised:
        store.record(second, "skip")
    assert advice in str(raised.value)  # a folder made read-only is not a failing disk
    store.record(second, "skip")  # told once; the disk works again
    assert [(e.item_id, e.action) for e in store.events()][-2:] == [
        (first, "skip"),
        (second, "skip"),
    ]


def _committed_rows_in_database_file(db: Path) -> int:
    """Rows in the database file itself; ``immutable`` makes SQLite ignore the WAL."""
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM t").fetchone()[0]
    finally:
        conn.close()


def test_commits_are_checkpointed_into_the_database_on_the_thread(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("CREATE TABLE t(x)")  # written to the database file (rollback journal)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    sync = WalSync(db, checkpoint_commits=3)
    try:
        for x in range(2):
            conn.execute("INSERT INTO t VALUES (?)", (x,))
            sync.committed()
        assert sync.flush(timeout=30)
        assert _committed_rows_in_database_file(db) == 0  # still only in the WAL
        conn.execute("INSERT INTO t VALUES (2)")
        sync.committed()
        assert sync.flush(timeout=30)
        assert _committed_rows_in_database_file(db) == 3
    finally:
        sync.close()
        conn.close()


def test_closing_puts_the_last_commits_on_disk_and_ends_the_thread(
    tmp_path: Path, monkeypatch
) -> None:
    store = ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image", classes=["a"])
    sync = store._conn.wal_sync
    seen = _fsyncs(monkeypatch) if Path("/proc/self/fd").is_dir() else None
    _label(store, 1)
    thread = sync._thread
    store.close()
    assert sync.flush(timeout=0) is True  # nothing left unsynced
    assert sync._thread is None and not thread.is_alive()
    if seen is not None:
        assert seen
    with ProjectStore.open(tmp_path / "p") as again:
        assert len(again.events()) == 1


def test_an_idle_thread_ends_and_the_next_commit_starts_one(store: ProjectStore, monkeypatch):
    monkeypatch.setattr(wal_sync, "IDLE_SECONDS", 0.01)
    sync = store._conn.wal_sync
    ids = _label(store, 1)
    first = sync._thread
    assert first is not None and sync.flush(timeout=30)
    first.join(timeout=30)  # nothing more to do: it ends by itself
    assert not first.is_alive() and sync._thread is None
    store.record(ids[0], "skip")
    assert sync._thread is not None and sync._thread is not first
    assert sync.flush(timeout=30)
