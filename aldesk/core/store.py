"""The project store: one SQLite database per project, the single source of truth.

A project is a folder ``NAME.aldesk/`` holding ``project.sqlite`` (WAL mode), ``features/`` (the
feature cache), ``synth/`` (synthesized query items) and ``lock`` (the single-writer lock).

Answers are an append-only event log (label, skip, cannot_label, undo, discard); the current
answer of an item is derived from it, so undo appends and never deletes. Every ``record`` commits
before it returns (into the WAL, which survives the app dying); the fsync that makes it survive a
power cut follows on ``wal_sync``'s thread. Nothing in a project is pickled: opening one runs no
code.

``ProjectStore`` opens, creates and closes a project and holds its settings and rounds; the
tables' own methods are inherited from ``store_items`` (items), ``store_classes`` (classes) and
``store_log`` (the answer log), which read rows through ``store_rows``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sqlite3
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from aldesk.core.classes import check_class_names, hotkeys_for
from aldesk.core.db import transaction as _transaction
from aldesk.core.db import write_error as _write_error
from aldesk.core.errors import (
    ProjectExists,
    ProjectNotFound,
    ProjectReadOnly,
    ProjectTooNew,
)
from aldesk.core.lock import ProjectLock
from aldesk.core.migrations import SCHEMA_VERSION
from aldesk.core.opening import connect_reader, open_snapshot, open_writer, scratch_overlay
from aldesk.core.records import (
    PROJECT_SUFFIX,
    ClassInfo,
    Event,
    Item,
    NewItem,
    RoundRecord,
    current_answers,
)
from aldesk.core.store_classes import ClassTable
from aldesk.core.store_items import ItemTable
from aldesk.core.store_log import ACTIONS, AnswerLog
from aldesk.core.store_rows import ROUND_COLS, read_item_paths, read_items

DB_NAME = "project.sqlite"


def pool_from(project: Path, pool_root: Path) -> str | None:
    """The pool folder's path relative to the project folder (None on another drive)."""
    try:
        return os.path.relpath(pool_root, Path(project).absolute().resolve())
    except ValueError:  # Windows: no relative path between drives
        return None


def _own_folder(path: Path) -> None:
    """Make one of the project's folders. A file or a broken link in its place (damage, or a
    mistake) is replaced, with a warning, rather than making every open fail."""
    if not path.is_dir() and (path.is_symlink() or path.exists()):
        path.unlink()
        # Logged: with no handler set up, Python prints it as one line on stderr.
        logging.getLogger("aldesk").warning(
            "%s was not a folder; it was replaced by an empty one.", path
        )
    path.mkdir(exist_ok=True)


def project_holding(path: str | Path) -> Path | None:
    """The project folder ``path`` is in (or is), if any: aldesk's own files live there, and a
    file written over one (an export to ``project.sqlite``) destroys the project."""
    here = Path(os.path.abspath(Path(path).expanduser()))  # ".." folded: the message names it
    for folder in (here, *here.parents):
        if (folder / DB_NAME).is_file():
            return folder
    return None


def project_path(path: str | Path) -> Path:
    """Return the project folder for ``path``, adding the ``.aldesk`` suffix when missing."""
    p = Path(path).expanduser()
    if p.name in ("", ".."):  # ".", "..", "a/..": the folder's own name
        p = p.resolve()
    if p.name == DB_NAME and p.parent.suffix == PROJECT_SUFFIX:  # the database itself, named
        return p.parent  # (it had become "…/project.sqlite.aldesk", "no project")
    return p if p.suffix == PROJECT_SUFFIX else p.with_name(p.name + PROJECT_SUFFIX)


class ProjectStore(ItemTable, ClassTable, AnswerLog):
    """Owns one project's database connection and write lock (one writer per project)."""

    def __init__(
        self, path: Path, conn: sqlite3.Connection, lock: ProjectLock, readonly: str = ""
    ) -> None:
        self.path = path
        self._conn = conn
        self._lock = lock
        self.readonly = readonly  # why answers cannot be saved ("" when they can)
        self.unshared_keys: list[str] = []  # classes whose shared key this open took away
        self.cache_dir = path / "features"
        self.synth_dir = path / "synth"
        self._scratch: Path | None = None  # a reader's caches: links to the project's files
        self._pool_root: Path | None = None  # read once: abspath() is called per item shown
        self.pool_followed_project = False  # the pool was found where it is from the project

    # ------------------------------------------------------------------ open / create
    @classmethod
    def create(
        cls,
        path: str | Path,
        *,
        pool_root: str | Path,
        kind: str,
        classes: Sequence[str],
        settings: dict[str, Any] | None = None,
        hotkeys: Sequence[str] | None = None,
    ) -> ProjectStore:
        """Create a new project folder; raises ProjectExists if one is already there."""
        path = project_path(path)
        if (path / DB_NAME).exists():
            raise ProjectExists(f"A project already exists at {path}.")
        check_class_names(classes)
        created = not path.exists()
        path.mkdir(parents=True, exist_ok=True)
        try:
            store = cls._connect(path, existing=False)
        except BaseException:
            if created:  # e.g. a full disk: leave no half project that blocks the next try
                shutil.rmtree(path, ignore_errors=True)
            raise
        try:
            root = Path(pool_root).resolve()
            store.set_many({"pool_root": str(root), "pool_from_project": pool_from(path, root),
                            "kind": kind, **(settings or {})})  # fmt: skip
            keys = list(hotkeys) if hotkeys else hotkeys_for(classes)
            for name, key in zip(classes, keys, strict=True):
                # no key stays none: add_class chose one again from the classes added so
                # far, the key of a class later in the list ("L" and "1" both on 1)
                store.add_class(name, hotkey=key or "")
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def open(cls, path: str | Path, *, readonly: str = "", deep_check: bool = True) -> ProjectStore:
        """Open an existing project for writing, or read-only.

        Args:
            readonly: why the project is opened read-only ("" to write). A read-only store
                takes no lock and works on an in-memory snapshot (see ``aldesk.core.opening``):
                answers and class changes are refused with this reason, the session's own
                bookkeeping stays in memory.
            deep_check: False leaves SQLite's page check to the caller (the app runs it on a
                worker after the first item is shown: ``opening.check_pages_of``).

        Raises:
            ProjectNotFound: no project database at ``path``.
            ProjectLocked: another live process holds the project.
            ProjectReadOnly: the project cannot be written (open it with ``readonly``).
            ProjectDamaged: the database is foreign, edited or damaged, or a setting is.
            ProjectTooNew: the project was written by a newer aldesk.
        """
        path = project_path(path) if not (Path(path) / DB_NAME).exists() else Path(path)
        if not (path / DB_NAME).exists():
            raise ProjectNotFound(f"No aldesk project at {path}.")
        if readonly:
            snapshot = open_snapshot(path / DB_NAME, deep=deep_check)
            store = cls(path, snapshot, ProjectLock(path / "lock"), readonly)
            store._scratch = scratch_overlay(path, ("features", "synth"))
            # removed on close, or when the store is let go / at exit if never closed
            store._drop_scratch = weakref.finalize(store, shutil.rmtree, store._scratch, True)
            store.cache_dir, store.synth_dir = store._scratch / "features", store._scratch / "synth"
            return store
        return cls._connect(path, existing=True, deep_check=deep_check)

    @classmethod
    def reader(cls, path: str | Path) -> ProjectStore:
        """A read-only store over a connection of the calling thread's own, for a worker that
        reads while the window's store writes (WAL readers never block the writer): no lock,
        writes refused. Close it in the thread that opened it."""
        path = Path(path)
        conn = connect_reader(path / DB_NAME)
        return cls(path, conn, ProjectLock(path / "lock"), readonly="a background reader")

    @classmethod
    def _connect(cls, path: Path, *, existing: bool, deep_check: bool = True) -> ProjectStore:
        lock = ProjectLock(path / "lock")
        lock.acquire()
        try:
            deep = {} if deep_check else {"deep_check": False}
            conn = open_writer(path / DB_NAME, existing=existing, **deep)
        except BaseException:
            lock.release()
            raise
        store = cls(path, conn, lock)
        try:
            _own_folder(store.cache_dir)
            _own_folder(store.synth_dir)
            store.unshared_keys = store.unshare_keys() if existing else []
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        """Close the database and release the lock; safe to call twice, and the lock is released
        even when closing the database fails."""
        conn, self._conn = self._conn, None
        try:
            if conn is not None:
                conn.close()
        finally:
            self._lock.release()
            if self._scratch is not None:
                self._drop_scratch()

    def without_fsync(self) -> None:
        """For a throwaway project (a simulation's copies): speed over durability, no fsync."""
        sync, self._conn.wal_sync = self._conn.wal_sync, None
        if sync is not None:
            sync.close()
        self._conn.execute("PRAGMA synchronous = OFF")
        self._conn.execute("PRAGMA wal_autocheckpoint = 1000")

    def __enter__(self) -> ProjectStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def name(self) -> str:
        return self.path.name.removesuffix(PROJECT_SUFFIX)

    @property
    def kind(self) -> str:
        return self.get("kind")

    @property
    def recovered_after_crash(self) -> bool:
        """Whether the session before this one ended without closing the project."""
        return self._lock.recovered_stale

    @property
    def upgraded_from(self) -> int | None:
        """The format an older aldesk wrote this project in, if this open upgraded it."""
        return getattr(self._conn, "upgraded_from", None)

    @property
    def db_file(self) -> Path:
        """The project's database file (a worker reads it through a connection of its own)."""
        return self.path / DB_NAME

    @property
    def pool_root(self) -> Path:
        """The pool folder: where it was, or, when that is gone, where it is from the project
        now if the two were moved or copied together (a project kept inside or beside its
        pool, taken to another machine)."""
        if self._pool_root is None:
            self._pool_root = Path(self.get("pool_root"))
            moved = None if self._pool_root.is_dir() else self._moved_with_project()
            self.pool_followed_project = moved is not None
            self._pool_root = moved or self._pool_root
        return self._pool_root

    def _moved_with_project(self) -> Path | None:
        """The pool at its place relative to the project, if it holds the project's files."""
        relative = self.get("pool_from_project")
        if not isinstance(relative, str):
            return None
        root = Path(os.path.normpath(self.path.absolute().resolve() / relative))
        rows = self.read("SELECT relpath FROM items WHERE origin = 'file' ORDER BY id LIMIT 20")
        found = root.is_dir() and any((root / relpath).is_file() for (relpath,) in rows)
        return root if found else None

    # ------------------------------------------------------------------ writing
    def _refuse_if_readonly(self) -> None:
        """Answers and class changes would be lost in a read-only snapshot: refuse them."""
        if self.readonly:
            raise ProjectReadOnly(
                f"The project {self.name} is open read-only ({self.readonly}): answers and "
                "class changes cannot be saved."
            )

    def _write(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Run one statement in its own committed transaction."""
        try:
            with _transaction(self._conn):
                return self._conn.execute(sql, params)
        except sqlite3.OperationalError as exc:
            raise _write_error(exc) from exc

    def _write_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            with _transaction(self._conn):
                self._conn.executemany(sql, rows)
        except sqlite3.OperationalError as exc:
            raise _write_error(exc) from exc

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction for several writes: ``with store.batch(): ...`` commits them together
        (one fsync), or none of them if one fails."""
        try:
            with _transaction(self._conn):
                yield
        except sqlite3.OperationalError as exc:  # BEGIN or COMMIT itself (a full disk)
            raise _write_error(exc) from exc

    # ------------------------------------------------------------------ settings
    def get(self, key: str, default: Any = None) -> Any:
        row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def set(self, key: str, value: Any) -> None:
        self.set_many({key: value})

    def set_many(self, values: dict[str, Any]) -> None:
        self._pool_root = None  # relocate() sets a new one
        self._write_many(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [(k, json.dumps(v)) for k, v in values.items()],
        )

    def settings(self) -> dict[str, Any]:
        rows = self._conn.execute("SELECT key, value FROM settings").fetchall()
        return {k: json.loads(v) for k, v in rows}

    # ------------------------------------------------------------------ rounds
    def add_round(self, r: RoundRecord) -> None:
        self._write(
            f"INSERT INTO rounds({ROUND_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (r.round, r.n_labels, r.n_test, r.accuracy, r.accuracy_lo, r.accuracy_hi,
             r.macro_f1, r.macro_f1_lo, r.macro_f1_hi, r.fit_seconds, r.strategy,
             r.at or time.time(), r.representation),
        )  # fmt: skip

    def update_last_round(self, r: RoundRecord) -> None:
        """Replace the newest round's test measurement: the same labels' model, measured on
        more or corrected test labels (and the features it was rebuilt with)."""
        self._write(
            "UPDATE rounds SET n_test = ?, accuracy = ?, accuracy_lo = ?, accuracy_hi = ?, "
            "macro_f1 = ?, macro_f1_lo = ?, macro_f1_hi = ?, representation = ? "
            "WHERE id = (SELECT MAX(id) FROM rounds)",
            (r.n_test, r.accuracy, r.accuracy_lo, r.accuracy_hi, r.macro_f1, r.macro_f1_lo,
             r.macro_f1_hi, r.representation),
        )  # fmt: skip

    def rounds(self) -> list[RoundRecord]:
        rows = self._conn.execute(f"SELECT {ROUND_COLS} FROM rounds ORDER BY id").fetchall()
        return [RoundRecord(*r) for r in rows]


__all__ = [
    "ACTIONS", "ClassInfo", "Event", "Item", "NewItem", "ProjectStore", "RoundRecord",
    "SCHEMA_VERSION", "ProjectTooNew", "current_answers", "project_path", "read_item_paths",
    "read_items",
]  # fmt: skip
