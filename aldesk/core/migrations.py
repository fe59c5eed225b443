"""Schema versions of project.sqlite and the forward migrations between them.

``MIGRATIONS[i]`` brings a database from version ``i`` to ``i + 1``. A project whose version is
newer than ``SCHEMA_VERSION`` was written by a newer aldesk and is refused, never downgraded.
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

from aldesk.core.db import damaged
from aldesk.core.errors import ProjectDamaged, ProjectTooNew

_V1 = """
CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE items(
    id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, relpath TEXT NOT NULL,
    kind TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'ok', reason TEXT,
    split TEXT NOT NULL DEFAULT 'pool', origin TEXT NOT NULL DEFAULT 'file',
    arrival INTEGER, added_at REAL);
CREATE TABLE classes(
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, hotkey TEXT, colour TEXT,
    ord INTEGER NOT NULL, merged_into INTEGER REFERENCES classes(id), created_at REAL);
CREATE TABLE events(
    id INTEGER PRIMARY KEY, at REAL NOT NULL, item_id INTEGER NOT NULL REFERENCES items(id),
    action TEXT NOT NULL CHECK (action IN ('label','skip','cannot_label','undo','discard')),
    class_id INTEGER REFERENCES classes(id), strategy TEXT, score REAL, model_round INTEGER,
    split TEXT NOT NULL DEFAULT 'pool', undoes INTEGER REFERENCES events(id));
CREATE INDEX events_item ON events(item_id);
"""

# v2: duplicates keep every path of their content; the learning curve lives in the store.
_V2 = """
CREATE TABLE item_paths(
    item_id INTEGER NOT NULL REFERENCES items(id), relpath TEXT NOT NULL,
    PRIMARY KEY (item_id, relpath));
CREATE TABLE rounds(
    id INTEGER PRIMARY KEY, round INTEGER NOT NULL, n_labels INTEGER NOT NULL,
    n_test INTEGER NOT NULL, accuracy REAL, accuracy_lo REAL, accuracy_hi REAL,
    macro_f1 REAL, macro_f1_lo REAL, macro_f1_hi REAL, fit_seconds REAL, strategy TEXT, at REAL);
"""

# v3: each round records the representation its model was trained on.
_V3 = """
ALTER TABLE rounds ADD COLUMN representation TEXT;
"""

MIGRATIONS: list[str] = [_V1, _V2, _V3]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


Tables = dict[str, frozenset[str]]  # table name -> its column names


def tables(conn: sqlite3.Connection) -> Tables:
    names = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return {
        n: frozenset(r[0] for r in conn.execute("SELECT name FROM pragma_table_info(?)", (n,)))
        for (n,) in names
    }


@functools.cache
def expected_tables(version: int) -> Tables:
    """The tables and columns a database of ``version`` has: the migrations, run in memory."""
    mem = sqlite3.connect(":memory:")
    try:
        for script in MIGRATIONS[:version]:
            mem.executescript(script)
        return tables(mem)
    finally:
        mem.close()


def _holds(actual: Tables, expected: Tables) -> bool:
    return all(name in actual and cols <= actual[name] for name, cols in expected.items())


def check_schema(conn: sqlite3.Connection, db: Path) -> None:
    """Refuse a database that is not an aldesk project, or whose version number and tables
    disagree (edited or damaged): such a file is never migrated in place.

    Raises:
        ProjectDamaged: empty, foreign, or inconsistent; the message says what to do.
        ProjectTooNew: written by a newer aldesk.
    """
    version, actual = schema_version(conn), tables(conn)
    if not actual:
        raise ProjectDamaged(
            f"The project database {db} is empty: it holds no project (it was never completely "
            "created, or its content was lost). Restore project.sqlite from a backup."
        )
    if not set(actual) & set(expected_tables(1)):
        raise ProjectDamaged(
            f"{db} is not an aldesk project database (it holds the tables "
            f"{', '.join(sorted(actual)[:5])}). aldesk leaves it unchanged."
        )
    if version > SCHEMA_VERSION:
        raise _too_new(version)
    if version < 1:
        raise damaged(db, f"has an invalid format number ({version}): it was edited or damaged")
    expected = expected_tables(version)
    missing = sorted(t for t, cols in expected.items() if t not in actual or not cols <= actual[t])
    if missing:
        raise damaged(db, f"is missing tables or columns ({', '.join(missing)})")
    newest = max(v for v in range(1, SCHEMA_VERSION + 1) if _holds(actual, expected_tables(v)))
    if newest != version:
        raise damaged(
            db, f"says it is format {version} but holds the tables of format {newest}: its "
            "format number was edited",
        )  # fmt: skip


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the database up to ``target``; returns the version it started at."""
    start = schema_version(conn)
    if start > SCHEMA_VERSION:
        raise _too_new(start)
    for version in range(start, target):
        # executescript commits first; each step and its version bump land together.
        conn.executescript(
            f"BEGIN IMMEDIATE; {MIGRATIONS[version]} PRAGMA user_version = {version + 1}; COMMIT;"
        )
    return start


def _too_new(version: int) -> ProjectTooNew:
    return ProjectTooNew(
        f"This project was saved by a newer aldesk (format {version}; this version reads up "
        f"to {SCHEMA_VERSION}). Update aldesk to open it."
    )
