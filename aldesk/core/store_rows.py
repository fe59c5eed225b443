"""How the project tables' rows are read: column lists, paths as stored, rows to records.

Shared by ``ProjectStore`` and its table mixins (``store_items``, ``store_log``), and by workers
that read the database through a connection of their own (``read_items``, ``read_item_paths``).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

from aldesk.core.records import Event, Item

ITEM_COLS = "id, hash, relpath, kind, size, mtime_ns, status, reason, split, origin, arrival"
EVENT_COLS = "id, at, item_id, action, class_id, strategy, score, model_round, split, undoes"
ROUND_COLS = (
    "round, n_labels, n_test, accuracy, accuracy_lo, accuracy_hi, macro_f1, macro_f1_lo, "
    "macro_f1_hi, fit_seconds, strategy, at, representation"
)


def db_path(relpath: str) -> str | bytes:
    """A relpath as stored: text, or the name's raw bytes (a BLOB) when it is not UTF-8.

    Python holds such a name with surrogate escapes (``os.fsdecode``), which SQLite's text
    cannot; the bytes keep it exact, so the file is found again by the same name.
    """
    try:
        relpath.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(relpath)
    return relpath


def py_path(value: str | bytes) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else value


def item_from_row(row: Sequence[Any]) -> Item:
    # kind, status, split and origin take a few values: one shared str each, not four new
    # ones per item (SQLite returns fresh copies; 20 MB at 100k items)
    i, h, rel, kind, size, mtime, status, reason, split, origin, arrival = row
    return Item(i, h, py_path(rel), sys.intern(kind), size, mtime, sys.intern(status), reason,
                sys.intern(split), sys.intern(origin), arrival)  # fmt: skip


def event_from_row(row: Sequence[Any]) -> Event:
    # action, strategy and split take a few values: shared strs, as for items
    i, at, item, action, class_id, strategy, score, model_round, split, undoes = row
    strategy = strategy if strategy is None else sys.intern(strategy)
    return Event(i, at, item, sys.intern(action), class_id, strategy, score, model_round,
                 sys.intern(split), undoes)  # fmt: skip


def read_items(conn: sqlite3.Connection) -> list[Item]:
    """Every item, in id order, through ``conn`` (a worker's own read-only connection too)."""
    rows = conn.execute(f"SELECT {ITEM_COLS} FROM items ORDER BY id").fetchall()
    return [item_from_row(r) for r in rows]


def read_item_paths(conn: sqlite3.Connection) -> dict[int, list[str]]:
    """Item id -> every path of its duplicated content (items with one path are absent)."""
    paths: dict[int, list[str]] = {}
    for item_id, relpath in conn.execute(
        "SELECT item_id, relpath FROM item_paths ORDER BY item_id, relpath"
    ):
        paths.setdefault(item_id, []).append(py_path(relpath))
    return paths
