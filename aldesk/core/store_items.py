"""The items table of a project: adding items, their location and status, duplicate paths.

``ProjectStore`` inherits ``ItemTable``; every write is one committed transaction.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from aldesk.core.db import transaction as _transaction
from aldesk.core.db import write_error as _write_error
from aldesk.core.records import Item, NewItem
from aldesk.core.store_rows import (
    ITEM_COLS,
    db_path,
    item_from_row,
    py_path,
    read_item_paths,
    read_items,
)


class ItemTable:
    """Items (one per content hash) and the paths of duplicated content."""

    # set by ProjectStore
    _conn: sqlite3.Connection
    _write: Callable[[str, Sequence[Any]], sqlite3.Cursor]
    _write_many: Callable[[str, Iterable[Sequence[Any]]], None]
    synth_dir: Path
    pool_root: Path

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
                        (e.hash, db_path(e.relpath), e.kind, e.size, e.mtime_ns, e.status, e.reason,
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
            fields["relpath"] = db_path(fields["relpath"])
        if fields:
            cols = ", ".join(f"{k} = ?" for k in fields)
            self._write(f"UPDATE items SET {cols} WHERE id = ?", [*fields.values(), item_id])

    def items(self) -> list[Item]:
        return read_items(self._conn)

    def file_stats(self) -> Iterator[tuple[str, int, int]]:
        """``(relpath, size, mtime_ns)`` of each pool file not known to be missing, as last
        scanned: tuples, not an Item each (``status`` at 100,000 items)."""
        rows = self._conn.execute("SELECT relpath, size, mtime_ns FROM items "
                                  "WHERE origin = 'file' AND status != 'missing'")  # fmt: skip
        for relpath, size, mtime in rows:
            yield py_path(relpath), size, mtime

    def update_items(self, changes: Iterable[tuple[int, dict[str, Any]]]) -> None:
        """Many ``(item id, fields)`` changes (as ``update_item`` takes) in one transaction."""
        statements = []
        for item_id, fields in changes:
            bad = set(fields) - self._UPDATABLE
            if bad:
                raise ValueError(f"cannot update item fields {sorted(bad)}")
            if "relpath" in fields:
                fields = {**fields, "relpath": db_path(fields["relpath"])}
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
            f"SELECT {ITEM_COLS} FROM items WHERE id = ?", (item_id,)
        ).fetchone()
        if row is None:
            raise KeyError(item_id)
        return item_from_row(row)

    def item_by_hash(self, content_hash: str) -> Item | None:
        row = self._conn.execute(
            f"SELECT {ITEM_COLS} FROM items WHERE hash = ?", (content_hash,)
        ).fetchone()
        return None if row is None else item_from_row(row)

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
                        [(item_id, db_path(p)) for p in relpaths],
                    )
        except sqlite3.OperationalError as exc:
            raise _write_error(exc) from exc

    def all_item_paths(self) -> dict[int, list[str]]:
        return read_item_paths(self._conn)

    def item_paths(self, item_id: int) -> list[str]:
        rows = self._conn.execute(
            "SELECT relpath FROM item_paths WHERE item_id = ? ORDER BY relpath", (item_id,)
        ).fetchall()
        return [py_path(r[0]) for r in rows]

    def synth_file(self, item: Item) -> Path:
        """Where the project keeps a synthesized item's file, absolute and the same however the
        project was opened (read-only, ``abspath`` is a scratch copy that goes on close;
        with a relative path, a relative one): what exports write and imports match."""
        return self.path.absolute().resolve() / "synth" / item.relpath

    def abspath(self, item: Item) -> Path:
        """Where the item's file is now: the pool folder, or the project's synth folder."""
        base = self.synth_dir if item.origin == "synth" else self.pool_root
        return base / item.relpath
