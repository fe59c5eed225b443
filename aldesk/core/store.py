"""The project store: one SQLite database per project, the single source of truth.

A project is a folder ``NAME.aldesk/`` holding ``project.sqlite`` (WAL mode), ``features/`` (the
feature cache), ``synth/`` (synthesized query items) and ``lock`` (the single-writer lock).

Answers are an append-only event log (label, skip, cannot_label, undo, discard); the current
answer of an item is derived from it, so undo appends and never deletes. Every ``record`` commits
before it returns. Nothing in a project is pickled: opening one runs no code.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import sys
import time
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from aldesk.core.classes import PALETTE, check_class_names, hotkeys_for
from aldesk.core.db import transaction as _transaction
from aldesk.core.db import write_error as _write_error
from aldesk.core.errors import (
    AldeskError,
    ProjectExists,
    ProjectNotFound,
    ProjectReadOnly,
    ProjectTooNew,
    UnknownClass,
)
from aldesk.core.lock import ProjectLock
from aldesk.core.migrations import SCHEMA_VERSION
from aldesk.core.opening import open_snapshot, open_writer, scratch_overlay
from aldesk.core.records import (
    PROJECT_SUFFIX,
    ClassInfo,
    Event,
    Item,
    NewItem,
    RoundRecord,
    current_answers,
)

DB_NAME = "project.sqlite"
ACTIONS = ("label", "skip", "cannot_label", "undo", "discard")


_ITEM_COLS = "id, hash, relpath, kind, size, mtime_ns, status, reason, split, origin, arrival"
_EVENT_COLS = "id, at, item_id, action, class_id, strategy, score, model_round, split, undoes"
_ROUND_COLS = (
    "round, n_labels, n_test, accuracy, accuracy_lo, accuracy_hi, macro_f1, macro_f1_lo, "
    "macro_f1_hi, fit_seconds, strategy, at, representation"
)


def _db_path(relpath: str) -> str | bytes:
    """A relpath as stored: text, or the name's raw bytes (a BLOB) when it is not UTF-8.

    Python holds such a name with surrogate escapes (``os.fsdecode``), which SQLite's text
    cannot; the bytes keep it exact, so the file is found again by the same name.
    """
    try:
        relpath.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(relpath)
    return relpath


def _py_path(value: str | bytes) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else value


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


def _item(row: Sequence[Any]) -> Item:
    # kind, status, split and origin take a few values: one shared str each, not four new
    # ones per item (SQLite returns fresh copies; 20 MB at 100k items)
    i, h, rel, kind, size, mtime, status, reason, split, origin, arrival = row
    return Item(i, h, _py_path(rel), sys.intern(kind), size, mtime, sys.intern(status), reason,
                sys.intern(split), sys.intern(origin), arrival)  # fmt: skip


def _event(row: Sequence[Any]) -> Event:
    # action, strategy and split take a few values: shared strs, as for items
    i, at, item, action, class_id, strategy, score, model_round, split, undoes = row
    strategy = strategy if strategy is None else sys.intern(strategy)
    return Event(i, at, item, sys.intern(action), class_id, strategy, score, model_round,
                 sys.intern(split), undoes)  # fmt: skip


def read_items(conn: sqlite3.Connection) -> list[Item]:
    """Every item, in id order, through ``conn`` (a worker's own read-only connection too)."""
    rows = conn.execute(f"SELECT {_ITEM_COLS} FROM items ORDER BY id").fetchall()
    return [_item(r) for r in rows]


def read_item_paths(conn: sqlite3.Connection) -> dict[int, list[str]]:
    """Item id -> every path of its duplicated content (items with one path are absent)."""
    paths: dict[int, list[str]] = {}
    for item_id, relpath in conn.execute(
        "SELECT item_id, relpath FROM item_paths ORDER BY item_id, relpath"
    ):
        paths.setdefault(item_id, []).append(_py_path(relpath))
    return paths


def project_path(path: str | Path) -> Path:
    """Return the project folder for ``path``, adding the ``.aldesk`` suffix when missing."""
    p = Path(path).expanduser()
    return p if p.suffix == PROJECT_SUFFIX else p.with_name(p.name + PROJECT_SUFFIX)


class ProjectStore:
    """Owns one project's database connection and write lock (one writer per project)."""

    def __init__(
        self, path: Path, conn: sqlite3.Connection, lock: ProjectLock, readonly: str = ""
    ) -> None:
        self.path = path
        self._conn = conn
        self._lock = lock
        self.readonly = readonly  # why answers cannot be saved ("" when they can)
        self.cache_dir = path / "features"
        self.synth_dir = path / "synth"
        self._scratch: Path | None = None  # a reader's caches: links to the project's files
        self._pool_root: Path | None = None  # read once: abspath() is called per item shown

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
            store.set_many(
                {"pool_root": str(Path(pool_root).resolve()), "kind": kind, **(settings or {})}
            )
            keys = list(hotkeys) if hotkeys else hotkeys_for(classes)
            for name, key in zip(classes, keys, strict=True):
                store.add_class(name, hotkey=key)
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
            store = cls(path, open_snapshot(path / DB_NAME), ProjectLock(path / "lock"), readonly)
            store._scratch = scratch_overlay(path, ("features", "synth"))
            # removed on close, or when the store is let go / at exit if never closed
            store._drop_scratch = weakref.finalize(store, shutil.rmtree, store._scratch, True)
            store.cache_dir, store.synth_dir = store._scratch / "features", store._scratch / "synth"
            return store
        return cls._connect(path, existing=True, deep_check=deep_check)

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
    def db_file(self) -> Path:
        """The project's database file (a worker reads it through a connection of its own)."""
        return self.path / DB_NAME

    @property
    def pool_root(self) -> Path:
        if self._pool_root is None:
            self._pool_root = Path(self.get("pool_root"))
        return self._pool_root

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

    # ------------------------------------------------------------------ items
    def add_items(self, entries: Iterable[NewItem]) -> list[int]:
        """Insert new items in one transaction; returns their ids in order."""
        entries = list(entries)
        now = time.time()
        ids: list[int] = []
        try:
            with _transaction(self._conn):
                for e in entries:
                    cur = self._conn.execute(
                        "INSERT INTO items(hash, relpath, kind, size, mtime_ns, status, reason,"
                        " origin, arrival, added_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (e.hash, _db_path(e.relpath), e.kind, e.size, e.mtime_ns, e.status, e.reason,
                         e.origin, e.arrival, now),
                    )  # fmt: skip
                    ids.append(cur.lastrowid)
        except sqlite3.OperationalError as exc:
            raise _write_error(exc) from exc
        return ids

    _UPDATABLE = frozenset({"relpath", "size", "mtime_ns", "status", "reason", "arrival"})

    def update_item(self, item_id: int, **fields: Any) -> None:
        """Change an item's location or status (``relpath``, ``size``, ``status``, ...)."""
        bad = set(fields) - self._UPDATABLE
        if bad:
            raise ValueError(f"cannot update item fields {sorted(bad)}")
        if "relpath" in fields:
            fields["relpath"] = _db_path(fields["relpath"])
        if fields:
            cols = ", ".join(f"{k} = ?" for k in fields)
            self._write(f"UPDATE items SET {cols} WHERE id = ?", [*fields.values(), item_id])

    def items(self) -> list[Item]:
        return read_items(self._conn)

    def update_items(self, changes: Iterable[tuple[int, dict[str, Any]]]) -> None:
        """Many ``(item id, fields)`` changes (as ``update_item`` takes) in one transaction."""
        statements = []
        for item_id, fields in changes:
            bad = set(fields) - self._UPDATABLE
            if bad:
                raise ValueError(f"cannot update item fields {sorted(bad)}")
            if "relpath" in fields:
                fields = {**fields, "relpath": _db_path(fields["relpath"])}
            if fields:
                cols = ", ".join(f"{k} = ?" for k in fields)
                statements.append(
                    (f"UPDATE items SET {cols} WHERE id = ?", [*fields.values(), item_id])
                )
        if not statements:
            return
        try:
            with _transaction(self._conn):
                for sql, params in statements:
                    self._conn.execute(sql, params)
        except sqlite3.OperationalError as exc:
            raise _write_error(exc) from exc

    def item(self, item_id: int) -> Item:
        row = self._conn.execute(
            f"SELECT {_ITEM_COLS} FROM items WHERE id = ?", (item_id,)
        ).fetchone()
        if row is None:
            raise KeyError(item_id)
        return _item(row)

    def item_by_hash(self, content_hash: str) -> Item | None:
        row = self._conn.execute(
            f"SELECT {_ITEM_COLS} FROM items WHERE hash = ?", (content_hash,)
        ).fetchone()
        return None if row is None else _item(row)

    def set_split(self, item_ids: Iterable[int], split: str) -> None:
        if split not in ("pool", "test"):
            raise ValueError(f"unknown split {split!r}")
        self._write_many("UPDATE items SET split = ? WHERE id = ?", [(split, i) for i in item_ids])

    def set_item_paths(self, item_id: int, relpaths: Iterable[str]) -> None:
        """Record every path holding this item's content (exact duplicates)."""
        self.set_many_item_paths([(item_id, relpaths)])

    def set_many_item_paths(self, rows: Iterable[tuple[int, Iterable[str]]]) -> None:
        """``set_item_paths`` for many items in one transaction."""
        try:
            with _transaction(self._conn):
                for item_id, relpaths in rows:
                    self._conn.execute("DELETE FROM item_paths WHERE item_id = ?", (item_id,))
                    self._conn.executemany(
                        "INSERT INTO item_paths(item_id, relpath) VALUES (?, ?)",
                        [(item_id, _db_path(p)) for p in relpaths],
                    )
        except sqlite3.OperationalError as exc:
            raise _write_error(exc) from exc

    def all_item_paths(self) -> dict[int, list[str]]:
        return read_item_paths(self._conn)

    def item_paths(self, item_id: int) -> list[str]:
        rows = self._conn.execute(
            "SELECT relpath FROM item_paths WHERE item_id = ? ORDER BY relpath", (item_id,)
        ).fetchall()
        return [_py_path(r[0]) for r in rows]

    def abspath(self, item: Item) -> Path:
        """Where the item's file is now: the pool folder, or the project's synth folder."""
        base = self.synth_dir if item.origin == "synth" else self.pool_root
        return base / item.relpath

    # ------------------------------------------------------------------ classes
    def classes(self) -> list[ClassInfo]:
        """The active classes (merged ones excluded), in display order."""
        rows = self._conn.execute(
            "SELECT id, name, hotkey, colour, ord FROM classes WHERE merged_into IS NULL "
            "ORDER BY ord, id"
        ).fetchall()
        return [ClassInfo(*r) for r in rows]

    def class_by_name(self, name: str) -> ClassInfo:
        for c in self.classes():
            if c.name == name:
                return c
        raise UnknownClass(f"Unknown class {name!r}; the project has: "
                           f"{', '.join(c.name for c in self.classes())}.")  # fmt: skip

    def add_class(
        self, name: str, hotkey: str | None = None, colour: str | None = None
    ) -> ClassInfo:
        self._refuse_if_readonly()
        name = name.strip()
        existing = self.classes()
        check_class_names([c.name for c in existing] + [name])
        order = max((c.order for c in existing), default=-1) + 1
        if hotkey is None:
            hotkey = hotkeys_for([name], taken=[c.hotkey for c in existing])[0]
        colour = colour or PALETTE[order % len(PALETTE)]
        cur = self._write(
            "INSERT INTO classes(name, hotkey, colour, ord, created_at) VALUES (?,?,?,?,?)",
            (name, hotkey, colour, order, time.time()),
        )
        return ClassInfo(cur.lastrowid, name, hotkey, colour, order)

    def rename_class(self, class_id: int, name: str) -> None:
        self._refuse_if_readonly()
        others = [c.name for c in self.classes() if c.id != class_id]
        check_class_names([*others, name.strip()])
        self._write("UPDATE classes SET name = ? WHERE id = ?", (name.strip(), class_id))

    def set_hotkeys(self, keys: dict[int, str | None]) -> None:
        """Give classes new label keys (class id -> key, or None for no key) in one transaction."""
        self._write_many(
            "UPDATE classes SET hotkey = ? WHERE id = ?", [(k, cid) for cid, k in keys.items()]
        )

    def merge_classes(self, src_id: int, dst_id: int) -> None:
        """Fold class ``src`` into ``dst``; past labels of ``src`` now count as ``dst``."""
        self._refuse_if_readonly()
        if src_id == dst_id:
            raise AldeskError("A class cannot be merged into itself.")
        self._write("UPDATE classes SET merged_into = ? WHERE id = ?", (dst_id, src_id))

    def class_resolver(self) -> dict[int, int]:
        """Map every class id (merged ones too) to the active class it now counts as."""
        parent = dict(self._conn.execute("SELECT id, merged_into FROM classes").fetchall())

        def root(cid: int) -> int:
            seen = set()
            while parent.get(cid) is not None and cid not in seen:
                seen.add(cid)
                cid = parent[cid]
            return cid

        return {cid: root(cid) for cid in parent}

    # ------------------------------------------------------------------ answer log
    def record(
        self,
        item_id: int,
        action: str,
        *,
        class_id: int | None = None,
        strategy: str | None = None,
        score: float | None = None,
        model_round: int | None = None,
        split: str = "pool",
        undoes: int | None = None,
    ) -> int:
        """Append one answer to the log and commit it before returning its event id."""
        if action != "discard":  # a stream's discard is the session's bookkeeping
            self._refuse_if_readonly()
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        if (action == "label") != (class_id is not None):
            raise ValueError("a class is given with, and only with, a 'label' answer")
        cur = self._write(
            "INSERT INTO events(at, item_id, action, class_id, strategy, score, model_round,"
            " split, undoes) VALUES (?,?,?,?,?,?,?,?,?)",
            (time.time(), item_id, action, class_id, strategy,
             None if score is None else float(score), model_round, split, undoes),
        )  # fmt: skip
        return cur.lastrowid

    def record_labels(
        self, labels: Iterable[tuple[int, int, str]], *, strategy: str | None = None
    ) -> None:
        """Append many ``(item_id, class_id, split)`` labels in one committed transaction."""
        self._refuse_if_readonly()
        now = time.time()
        self._write_many(
            "INSERT INTO events(at, item_id, action, class_id, strategy, split)"
            " VALUES (?, ?, 'label', ?, ?, ?)",
            [(now, item, cls, strategy, split) for item, cls, split in labels],
        )

    def record_many(self, rows: Sequence[tuple]) -> list[int]:
        """Append ``(item_id, action, class_id, split, undoes, strategy[, score])`` events in one
        committed transaction (a batch edit of the review view); returns their event ids."""
        self._refuse_if_readonly()
        for _, action, class_id, *_ in rows:
            if action not in ACTIONS or (action == "label") != (class_id is not None):
                raise ValueError(f"bad event {action!r} with class {class_id!r}")
        now, ids = time.time(), []
        try:
            with _transaction(self._conn):
                for item, action, class_id, split, undoes, strategy, *score in rows:
                    cur = self._conn.execute(
                        "INSERT INTO events(at, item_id, action, class_id, strategy, split,"
                        " undoes, score) VALUES (?,?,?,?,?,?,?,?)",
                        (now, item, action, class_id, strategy, split, undoes, *(score or [None])),
                    )
                    ids.append(cur.lastrowid)
        except sqlite3.OperationalError as exc:
            raise _write_error(exc) from exc
        return ids

    def events(self, since_id: int = 0) -> list[Event]:
        rows = self._conn.execute(
            f"SELECT {_EVENT_COLS} FROM events WHERE id > ? ORDER BY id", (since_id,)
        ).fetchall()
        return [_event(r) for r in rows]

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """The rows of one read-only query (an aggregate, rather than replaying the log)."""
        return self._conn.execute(sql, params).fetchall()

    def answers(self) -> dict[int, Event]:
        """Each answered item's current answer: its latest event not withdrawn by an undo."""
        return current_answers(self.events())

    def labels(self, split: str | None = None) -> dict[int, int]:
        """Item id -> active class id, for items whose current answer is a label."""
        resolve = self.class_resolver()
        return {
            item: resolve.get(ev.class_id, ev.class_id)
            for item, ev in self.answers().items()
            if ev.action == "label" and (split is None or ev.split == split)
        }

    # ------------------------------------------------------------------ rounds
    def add_round(self, r: RoundRecord) -> None:
        self._write(
            f"INSERT INTO rounds({_ROUND_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (r.round, r.n_labels, r.n_test, r.accuracy, r.accuracy_lo, r.accuracy_hi,
             r.macro_f1, r.macro_f1_lo, r.macro_f1_hi, r.fit_seconds, r.strategy,
             r.at or time.time(), r.representation),
        )  # fmt: skip

    def rounds(self) -> list[RoundRecord]:
        rows = self._conn.execute(f"SELECT {_ROUND_COLS} FROM rounds ORDER BY id").fetchall()
        return [RoundRecord(*r) for r in rows]


__all__ = [
    "ClassInfo", "Event", "Item", "NewItem", "ProjectStore", "RoundRecord",
    "SCHEMA_VERSION", "ProjectTooNew", "current_answers", "project_path",
]  # fmt: skip
