"""Opening a project database: for writing (migrated, under the lock) or as a read-only snapshot.

Every open checks the file before anything is written to it: that it is an aldesk project whose
format number agrees with its tables, that SQLite finds its pages sound, and that the settings
every part of aldesk reads are present and valid JSON. A file that fails is refused with what is
wrong and what to do; it is never migrated or repaired in place.

Readers (``aldesk status``, ``aldesk export``, the app on a read-only disk) never take the
writer's lock: they copy a consistent snapshot of the database into memory through a read-only
connection (WAL readers do not block the writer) and work on the copy.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from pathlib import Path
from urllib.parse import quote

from aldesk.core.db import (
    WriterConnection,
    configure,
    damaged,
    read_error,
    setting_error,
    sync_in_background,
)
from aldesk.core.errors import ProjectReadOnly
from aldesk.core.lock import owner_name
from aldesk.core.migrations import SCHEMA_VERSION, check_schema, migrate, schema_version

KINDS = ("image", "audio")


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# The session's own bookkeeping, kept as settings: the shape each must have to be read back.
_STATE_SHAPES = {
    "current": ("[item id, strategy, score]", lambda v: isinstance(v, list) and len(v) == 3
                and _is_int(v[0]) and isinstance(v[1], str) and (v[2] is None or _is_number(v[2]))),
    "seed_queue": ("a list of item ids", lambda v: isinstance(v, list) and all(map(_is_int, v))),
    "queue": ("a ranking {round, strategy, items}", lambda v: isinstance(v, dict)
              and isinstance(v.get("strategy"), str) and isinstance(v.get("items"), list)
              and all(isinstance(p, list) and len(p) == 2 and _is_int(p[0]) and _is_number(p[1])
                      for p in v["items"])),
    "stream_state": ("a JSON object", lambda v: isinstance(v, dict)),
    "stop_set_items": ("a list of item ids", lambda v: isinstance(v, list) and all(map(_is_int, v))),
    "pinned_item": ("an item id or null", lambda v: v is None or _is_int(v)),
    "stop_set_history": ("a list of prediction lists", lambda v: isinstance(v, list)
                         and all(isinstance(p, list) and all(map(_is_int, p)) for p in v)),
}  # fmt: skip


def open_writer(db: Path, *, existing: bool, deep_check: bool = True) -> sqlite3.Connection:
    """A read-write connection, migrated to the current format (the caller holds the lock).

    ``existing=False`` is for a project being created: its empty database is initialised.
    ``deep_check=False`` leaves SQLite's page check (a second per 100k items) to the caller,
    who runs :func:`check_pages` later (the app: on a worker once the first item is shown);
    a database that needs migrating is always checked first.
    """
    conn = None
    if existing:
        refuse_foreign_wal(db)
    try:
        conn = sqlite3.connect(db, isolation_level=None, factory=WriterConnection)
        if existing:
            check_database(conn, db, deep=deep_check or schema_version(conn) < SCHEMA_VERSION)
        else:
            share_as_folder(db)  # before WAL mode makes the -wal and -shm files with its mode
        configure(conn)
        if existing and 0 < schema_version(conn) < SCHEMA_VERSION:
            conn.upgraded_from = keep_before_upgrade(conn, db)
        migrate(conn)
        sync_in_background(conn, db)
    except sqlite3.DatabaseError as exc:
        _close(conn)
        raise read_error(db, exc) from exc
    except BaseException:
        _close(conn)
        raise
    return conn


def keep_before_upgrade(conn: sqlite3.Connection, db: Path) -> int:
    """Copy a database an older aldesk wrote before it is upgraded (that aldesk cannot read
    the new format; the user can go back with the copy); returns its format."""
    version = schema_version(conn)
    copy = db.with_name(f"before-upgrade-format{version}.sqlite")
    if not copy.exists():
        with contextlib.closing(sqlite3.connect(copy)) as target:
            conn.backup(target)
    return version


def share_as_folder(db: Path) -> None:
    """Give a new database its folder's read and write bits (SQLite makes it 0644 whatever the
    umask): SQLite creates the -wal and -shm files with the database's mode, so with a shared
    group (umask 002) a colleague's ``aldesk status`` made files the owner could not write, and
    every answer after it failed to save."""
    with contextlib.suppress(OSError):
        os.chmod(db, db.parent.stat().st_mode & 0o666)


def refuse_foreign_wal(db: Path) -> None:
    """Refuse to write when SQLite's -wal or -shm file is another user's and not writable:
    SQLite would open, then fail every write ("the project is read-only") without saying why.

    Raises:
        ProjectReadOnly: with whose files they are and what to do.
    """
    for suffix in ("-wal", "-shm"):
        side = db.with_name(db.name + suffix)
        if side.exists() and not os.access(side, os.W_OK):
            owner = owner_name(side)
            wal = db.with_name(db.name + "-wal")
            empty = not wal.exists() or wal.stat().st_size == 0
            what = (f"once {owner} has closed the project, delete {db.name}-wal and "
                    f"{db.name}-shm in it (they hold no answers) and open it again" if empty
                    else f"ask {owner} to open and close the project once, which writes them "
                    "back into it")  # fmt: skip
            raise ProjectReadOnly(
                f"The project {db.parent.name} cannot be changed by you now: {side.name} "
                f"belongs to {owner}, who read the project (aldesk status, export or a "
                f"read-only window) and left files only they can write. To label, {what}.",
                reason=f"{side.name} belongs to {owner}: {what}",
            )


def open_snapshot(db: Path, *, deep: bool = True) -> sqlite3.Connection:
    """An in-memory copy of the project, read without the writer's lock, migrated in memory.

    The copy can be written (the session's bookkeeping), but nothing reaches the project.
    ``deep``: False leaves SQLite's page check to the caller (``check_pages_of``).
    """
    source = None
    try:
        source = _connect_readonly(db)
        check_database(source, db, deep=deep)
        snapshot = sqlite3.connect(":memory:", isolation_level=None)
        source.backup(snapshot)  # one read transaction: a consistent copy while a writer works
        migrate(snapshot)
    except sqlite3.DatabaseError as exc:
        raise read_error(db, exc) from exc
    finally:
        _close(source)
    snapshot.execute("PRAGMA foreign_keys = ON")
    return snapshot


def _connect_readonly(db: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(db.resolve()))}"
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 2000")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
        if _wal_has_content(db):
            raise
    # A read-only folder with no -shm file and no WAL content: nothing can change the file
    # while we read it, so SQLite may read it as immutable (no shared memory needed).
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)


def _wal_has_content(db: Path) -> bool:
    wal = db.with_name(db.name + "-wal")
    try:
        return wal.stat().st_size > 0
    except OSError:
        return False


def scratch_overlay(project: Path, folders: tuple[str, ...]) -> Path:
    """A temporary folder mirroring the project's ``folders`` by symbolic links.

    A reader finds every cached feature and synthesized item there, and what it writes stays
    out of the project: the caches only ever write a temporary name and ``os.replace`` it (which
    replaces a link, never its target) or unlink (which removes the link).
    """
    root = Path(tempfile.mkdtemp(prefix="aldesk-readonly-"))
    for name in folders:
        (root / name).mkdir()
        source = project / name
        for src in sorted(source.rglob("*")) if source.is_dir() else ():
            dst = root / name / src.relative_to(source)
            if src.is_dir():
                dst.mkdir(parents=True, exist_ok=True)
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.symlink_to(src.resolve())
    return root


def check_database(conn: sqlite3.Connection, db: Path, *, deep: bool = True) -> None:
    """Refuse a foreign, edited or damaged database before anything writes to it.

    Raises:
        ProjectDamaged: with what is wrong and what to do.
        ProjectTooNew: written by a newer aldesk.
        sqlite3.DatabaseError: the file is not a SQLite database at all (see ``read_error``).
    """
    check_schema(conn, db)
    if deep:
        check_pages(conn, db)
    check_settings(conn, db)


def check_pages(conn: sqlite3.Connection, db: Path) -> None:
    """SQLite's quick_check of every page (about 1 s at 100k items).

    Raises:
        ProjectDamaged: a page is damaged.
    """
    problem = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
    if problem != "ok":  # e.g. "*** in database main ***\nPage 3: btreeInitPage() returns..."
        detail = " ".join(problem.split("\n")[-1].split())
        raise damaged(db, f"is damaged (SQLite's check: {detail[:120]})")


def check_pages_of(db: Path) -> None:
    """``check_pages`` through a read-only connection of its own (any thread, no lock).

    Raises:
        ProjectDamaged: a page is damaged, or the file cannot be read as a database.
    """
    conn = None
    try:
        conn = _connect_readonly(db)
        check_pages(conn, db)
    except sqlite3.DatabaseError as exc:
        raise read_error(db, exc) from exc
    finally:
        _close(conn)


def connect_reader(db: Path) -> sqlite3.Connection:
    """A read-only connection for a worker thread (WAL: it never blocks the writer)."""
    return _connect_readonly(db)


def check_settings(conn: sqlite3.Connection, db: Path) -> None:
    """Every stored setting is JSON; ``kind`` and ``pool_root``, which everything reads, exist;
    the session's bookkeeping has the shape it is read back with."""
    values = {}
    for key, raw in conn.execute("SELECT key, value FROM settings"):
        try:
            values[key] = json.loads(raw)
        except (ValueError, TypeError):
            raise setting_error(db, key, f"is not valid JSON ({str(raw)[:40]!r})") from None
    if "kind" not in values:
        raise setting_error(db, "kind", "is missing")
    if values["kind"] not in KINDS:
        raise setting_error(db, "kind", f"is {values['kind']!r}, not 'image' or 'audio'")
    if "pool_root" not in values:
        raise setting_error(db, "pool_root", "is missing")
    if not isinstance(values["pool_root"], str) or not values["pool_root"]:
        raise setting_error(db, "pool_root", f"is {values['pool_root']!r}, not a folder path")
    for key, (shape, valid) in _STATE_SHAPES.items():
        if values.get(key) is not None and not valid(values[key]):
            raise setting_error(db, key, f"is not {shape}")


def _close(conn: sqlite3.Connection | None) -> None:
    if conn is not None:
        conn.close()
