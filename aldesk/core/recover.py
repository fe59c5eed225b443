"""``aldesk recover``: save the labels a damaged project database still holds.

The database is copied first (the project is never written), then every table the labels need
is read row range by row range: a range that hits a damaged page is split until the readable
rows around it are found, so one bad page costs only the rows on it. The current label of each
item is replayed from the answer log exactly as the app does, and written as a labels file that
``aldesk import-labels`` reads into a new project on the same folder.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from aldesk.core.errors import AldeskError
from aldesk.core.labels_export import (
    EXPORT_COLUMNS,
    FORMATS,
    _iso,
    _to_csv,
    _to_json,
    _write_atomically,
)
from aldesk.core.records import Event, current_answers
from aldesk.core.review_rows import source_of
from aldesk.core.store import DB_NAME, project_path

_FIRST_ROWID = 1
_LAST_ROWID_GUESS = 1 << 24  # when even max(rowid) cannot be read


@dataclass
class RecoverReport:
    """What was saved and what was lost."""

    labels: int = 0
    events: int = 0
    events_expected: int = 0  # the highest event id read: ids are given in order, from 1
    lost: dict[str, int] = field(default_factory=dict)  # table -> unreadable row ranges
    lost_unknown: set[str] = field(default_factory=set)  # tables whose row count is lost too
    missing_tables: list[str] = field(default_factory=list)
    unknown_items: int = 0  # labels whose item row was lost
    unknown_classes: int = 0  # labels whose class row was lost
    found_by_content: int = 0  # labels whose lost item row was found again by its file's hash
    gone_files: int = 0  # labels on files deleted or replaced since (left out, as export does)


def recover_labels(project: str | os.PathLike, out: str | os.PathLike, fmt: str = "csv"):
    """Write the labels ``project``'s database still holds to ``out``; returns a RecoverReport.

    Raises:
        AldeskError: no database there, or nothing at all can be read from it.
    """
    if fmt not in FORMATS:
        raise AldeskError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    folder = Path(project)
    db = folder / DB_NAME if (folder / DB_NAME).exists() else project_path(folder) / DB_NAME
    if not db.is_file():
        raise AldeskError(f"No project database at {db}: there is nothing to recover.")
    with tempfile.TemporaryDirectory(prefix="aldesk-recover-") as scratch:
        conn = _copy(db, Path(scratch))
        try:
            rows, report = _labels(conn)
        finally:
            conn.close()
    text = _to_csv(rows, EXPORT_COLUMNS) if fmt == "csv" else _to_json(rows, EXPORT_COLUMNS)
    _write_atomically(Path(out), text)
    report.labels = len(rows)
    return report


def _copy(db: Path, scratch: Path) -> sqlite3.Connection:
    """A copy with its write-ahead log, so answers not yet checkpointed are read too."""
    for suffix in ("", "-wal"):
        if db.with_name(db.name + suffix).is_file():
            shutil.copyfile(db.with_name(db.name + suffix), scratch / (DB_NAME + suffix))
    conn = sqlite3.connect(scratch / DB_NAME, isolation_level=None)
    try:
        conn.execute("SELECT name FROM sqlite_master").fetchall()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise AldeskError(
            f"Nothing can be recovered from {db}: SQLite cannot read it at all ({exc}). "
            "Restore project.sqlite from a backup."
        ) from exc
    return conn


def _labels(conn: sqlite3.Connection) -> tuple[list[dict], RecoverReport]:
    report = RecoverReport()
    classes = _table(conn, "classes", "id, name, merged_into", report)
    items = _table(conn, "items", "id, relpath, split, origin, status", report)
    events = _table(
        conn, "events",
        "id, at, item_id, action, class_id, strategy, score, model_round, split, undoes", report,
    )  # fmt: skip
    events = [e for e in events if _is_event(e)]
    report.events = len(events)
    report.events_expected = max(max((e[0] for e in events), default=0), _indexed_max(conn))
    names = {cid: name for cid, name, _ in classes}
    parent = {cid: merged for cid, _, merged in classes}
    paths = {iid: (os.fsdecode(rel) if isinstance(rel, bytes) else rel, split, origin)
             for iid, rel, split, origin, _ in items}  # fmt: skip
    # its path may hold other content now (a file replaced under its name): a wrong label
    gone = {iid for iid, *_, status in items if status == "missing"}
    answers = current_answers(Event(*e) for e in events)
    labelled = {i for i, e in answers.items() if e.action == "label"}
    found = _find_by_content(conn, labelled - paths.keys())
    report.found_by_content = len(found)
    paths.update(found)
    rows = []
    for item_id, event in answers.items():
        if event.action != "label":
            continue
        cls = _resolve(event.class_id, parent)
        if item_id not in paths:
            report.unknown_items += 1
        elif cls not in names:
            report.unknown_classes += 1
        elif item_id in gone:
            report.gone_files += 1
        elif paths[item_id][2] == "file":
            path, split, _ = paths[item_id]
            rows.append({"path": path, "label": names[cls], "split": split or event.split,
                         "source": source_of(event), "answered_at": _iso(event.at)})  # fmt: skip
    rows.sort(key=lambda r: r["path"])
    return rows, report


def _find_by_content(conn: sqlite3.Connection, lost: set[int]) -> dict[int, tuple]:
    """Item id -> (path, split, origin) for labelled items whose row is lost, found again by
    hashing the pool folder's files: the unique index on ``items.hash`` is a b-tree of its own
    and still pairs each id with its content hash when the table's pages are damaged."""
    if not lost:
        return {}
    try:
        pairs = conn.execute("SELECT id, hash FROM items INDEXED BY sqlite_autoindex_items_1")
        wanted = {h: i for i, h in pairs.fetchall() if i in lost}
        (root,) = conn.execute("SELECT value FROM settings WHERE key = 'pool_root'").fetchone()
        root = Path(json.loads(root))
    except (sqlite3.DatabaseError, TypeError, ValueError):
        return {}
    found: dict[int, tuple] = {}
    for path in sorted(root.rglob("*")) if wanted and root.is_dir() else ():
        item = wanted.get(_content_hash(path))
        if item is not None and item not in found:
            found[item] = (path.relative_to(root).as_posix(), None, "file")  # split: the event's
            if len(found) == len(wanted):
                break
    return found


def _content_hash(path: Path) -> str | None:
    from aldesk.core.pool import _hash_file  # the scan's own hash

    try:
        return _hash_file(path) if path.is_file() and not path.is_symlink() else None
    except OSError:
        return None


def _indexed_max(conn: sqlite3.Connection) -> int:
    """The highest event id the item index still lists: a damaged table page can hide rows
    from a scan without an error, and the index, a b-tree of its own, still counts them."""
    try:
        row = conn.execute(
            "SELECT max(id) FROM (SELECT id FROM events INDEXED BY events_item "
            "WHERE item_id IS NOT NULL)"
        ).fetchone()
    except sqlite3.DatabaseError:
        return 0
    return row[0] or 0


def _is_event(row: tuple) -> bool:
    """A row whose fields a damaged page did not scramble into another type."""
    return isinstance(row[0], int) and isinstance(row[2], int) and isinstance(row[3], str)


def _resolve(class_id: int | None, parent: dict[int, int | None]) -> int | None:
    seen = set()
    while parent.get(class_id) is not None and class_id not in seen:
        seen.add(class_id)
        class_id = parent[class_id]
    return class_id


def _table(conn: sqlite3.Connection, table: str, columns: str, report: RecoverReport) -> list:
    """Every readable row of ``table``, skipping the row ranges on damaged pages."""
    try:
        return conn.execute(f"SELECT {columns} FROM {table} ORDER BY rowid").fetchall()
    except sqlite3.DatabaseError as exc:
        if "no such" in str(exc):
            report.missing_tables.append(table)
            return []
    last = _last_rowid(conn, table)
    if last is None:  # the rows' count is lost with the pages: say so, do not count 2**24
        report.lost_unknown.add(table)
        last = _LAST_ROWID_GUESS
    rows: list = []
    _read_range(conn, f"SELECT {columns} FROM {table} WHERE rowid >= ? AND rowid < ? "
                "ORDER BY rowid", _FIRST_ROWID, last + 1, rows, report, table)  # fmt: skip
    return rows


def _last_rowid(conn: sqlite3.Connection, table: str) -> int | None:
    """The table's highest rowid, from the table or else from one of its indexes (each a
    b-tree of its own, holding every row's rowid); None if no b-tree can tell."""
    indexes = [table] + [f"{table} INDEXED BY {name}" for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,))]  # fmt: skip
    for source in indexes:
        try:
            return conn.execute(f"SELECT max(rowid) FROM {source}").fetchone()[0] or 0
        except sqlite3.DatabaseError:
            continue
    return None


def _read_range(conn, sql, lo, hi, rows, report, table) -> None:  # noqa: PLR0913
    """Read rowids [lo, hi); on a damaged page, halve the range until the damage is isolated."""
    stack = [(lo, hi)]
    while stack:
        lo, hi = stack.pop()
        try:
            found = conn.execute(sql, (lo, hi)).fetchall()
        except sqlite3.DatabaseError:
            if hi - lo <= 1:
                report.lost[table] = report.lost.get(table, 0) + 1
                continue
            mid = (lo + hi) // 2
            stack += [(mid, hi), (lo, mid)]  # lower half first: rows stay in order
            continue
        rows.extend(found)


def describe(report: RecoverReport, out: str | os.PathLike) -> str:
    """The report in a few lines for a person."""
    lines = [f"Recovered {report.labels} labels from {report.events} answer events; "
             f"wrote {out}."]  # fmt: skip
    if report.events < report.events_expected:
        lines.append(f"  events: at least {report.events_expected - report.events} were lost "
                     "(their ids are missing)")  # fmt: skip
    for table, n in sorted(report.lost.items()):
        if table in report.lost_unknown:
            lines.append(f"  {table}: rows on damaged pages could not be read (how many is lost "
                         "too)")  # fmt: skip
        else:
            lines.append(f"  {table}: {n} rows could not be read (damaged pages)")
    if report.found_by_content:
        lines.append(f"  {report.found_by_content} labels whose item row was lost were matched "
                     "to their files again by content (the pool folder's files were hashed)")  # fmt: skip
    if report.gone_files:
        lines.append(f"  {report.gone_files} labels on files deleted or replaced since were left "
                     "out (their paths no longer hold what was labeled)")  # fmt: skip
    if report.missing_tables:
        lines.append(f"  missing tables: {', '.join(report.missing_tables)}")
    if report.unknown_items or report.unknown_classes:
        lines.append(f"  {report.unknown_items + report.unknown_classes} labels lost with "
                     "their item or class")  # fmt: skip
    lines.append("Import them into a new project on the same folder with: aldesk new NEW "
                 f"--pool FOLDER --classes ... && aldesk import-labels NEW {out}")  # fmt: skip
    return "\n".join(lines)
