"""Applying a pool scan to a project store: new items, moved paths, missing files, duplicates.

``pool.scan`` only looks at the folder; this module is the second half, run on the thread that
owns the store. Item identity is the content hash, so a moved file keeps its labels.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aldesk.core.errors import PoolMissing
from aldesk.core.opening import connect_reader
from aldesk.core.pool import FileEntry, Progress, ScanResult, same_files, scan
from aldesk.core.pool_walk import WalkNotes
from aldesk.core.store import (
    Item,
    NewItem,
    ProjectStore,
    pool_from,
    read_item_paths,
    read_items,
)

# Why an item is missing after a rescan (shown where the item would be).
REMOVED = "the file is no longer in the pool folder"
# the path holds a file with other content (a new item): "no longer in the pool folder" was
# said of a file that is there
REPLACED = "the file was replaced: its path holds other content now (a new item)"
# How many known paths relocate() looks for in the folder the user chose.
_RELOCATE_SAMPLE = 200

# An item needs an identity even when its bytes cannot be read (permission denied); such an
# item is keyed by its path until it can be hashed, and then becomes a new item.
_UNHASHED = "unhashed:"


def _item_key(entry: FileEntry) -> str:
    return entry.hash if entry.hash is not None else _UNHASHED + entry.relpath


def _entry_from_item(item: Item) -> FileEntry:
    digest = None if item.hash.startswith(_UNHASHED) else item.hash
    error = None if item.status == "ok" else item.reason
    # A missing item is read again when a file is back at its path: its stored reason may be
    # the viewer's "file not found" from while the folder was away, not a fact about the file.
    missing = item.status == "missing"
    return FileEntry(item.relpath, item.kind, item.size, item.mtime_ns, digest, error, missing)


def _previous_from(items: list[Item]) -> dict[str, FileEntry]:
    # Present items overwrite missing ones that last lived at the same path.
    ordered = sorted(items, key=lambda it: it.status != "missing")
    return {it.relpath: _entry_from_item(it) for it in ordered}


def _groups(entries: dict[str, FileEntry]) -> dict[str, list[FileEntry]]:
    groups: dict[str, list[FileEntry]] = defaultdict(list)
    for entry in entries.values():
        groups[_item_key(entry)].append(entry)
    return groups


def _status(entry: FileEntry) -> tuple[str, str | None]:
    return ("unreadable", entry.error) if entry.error is not None else ("ok", None)


@dataclass
class ScanPlan:
    """What applying a scan writes: only what differs from the store's items.

    Made anywhere from a copy of the items (``plan_scan``); written on the store's thread in a
    few batched transactions (``apply_plan``). An unchanged pool gives an empty plan.
    """

    updates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    paths: list[tuple[int, list[str]]] = field(default_factory=list)  # duplicate paths
    new: list[NewItem] = field(default_factory=list)
    new_paths: list[list[str]] = field(default_factory=list)  # per new item ([]: one path)

    @property
    def empty(self) -> bool:
        return not (self.updates or self.paths or self.new)


def _refresh(item: Item, group: list[FileEntry], known_paths: list[str], plan: ScanPlan) -> None:
    """Point a known item at where its content is now; its labels stay (they key on the id)."""
    paths = [e.relpath for e in group]
    entry = next((e for e in group if e.relpath == item.relpath), group[0])
    status, reason = _status(entry)
    wanted = {
        "relpath": entry.relpath,
        "size": entry.size,
        "mtime_ns": entry.mtime_ns,
        "status": status,
        "reason": reason,
    }
    changes = {k: v for k, v in wanted.items() if getattr(item, k) != v}
    if "relpath" in changes:  # a move states what the file is: the plan's copy of the item
        changes.update(status=status, reason=reason)  # may predate the viewer's "gone" flag
    if changes:
        plan.updates.append((item.id, changes))
    # item_paths lists every path of duplicated content, and is empty for a single path.
    dup_paths = sorted(paths) if len(paths) > 1 else []
    if known_paths != dup_paths:
        plan.paths.append((item.id, dup_paths))


def _add_new(groups: list[list[FileEntry]], first_arrival: int, plan: ScanPlan) -> None:
    """Add unknown content as items; stream arrival follows file mtime, then path."""
    groups = sorted(groups, key=lambda g: (g[0].mtime_ns, g[0].relpath))
    for arrival, group in enumerate(groups, start=first_arrival):
        entry = group[0]
        status, reason = _status(entry)
        plan.new.append(
            NewItem(
                hash=_item_key(entry),
                relpath=entry.relpath,
                kind=entry.kind,
                size=entry.size,
                mtime_ns=entry.mtime_ns,
                status=status,
                reason=reason,
                arrival=arrival,
            )
        )
        plan.new_paths.append([e.relpath for e in group] if len(group) > 1 else [])


def sync_pool(
    store: ProjectStore,
    root: str | os.PathLike[str] | None = None,
    *,
    progress: Progress | None = None,
) -> ScanResult:
    """Rescan the project's pool folder and bring the store's items up to date.

    The store's items are the scan's ``previous``, so only new or touched files are read;
    then :func:`apply_scan` updates the items.

    Args:
        store: An open project.
        root: The pool folder; defaults to ``store.pool_root``.
        progress: Passed to :func:`scan`.

    Returns:
        The scan result, relative to the items the store knew.

    Raises:
        PoolMissing: The pool folder does not exist.
        NoMedia: The project has no items yet and the folder holds no file of its kind.
    """
    result = scan(
        store.pool_root if root is None else root,
        kind=store.kind,
        previous=previous_entries(store),
        progress=progress,
    )
    apply_scan(store, result)
    return result


def apply_scan(store: ProjectStore, result: ScanResult) -> None:
    """Make the store's items match ``result.entries`` (a scan of the store's pool folder).

    Unknown content becomes a new item (status ``'ok'`` or ``'unreadable'`` with its reason),
    numbered for stream arrival by file mtime, then path, after the existing items. Known
    content found at a new path keeps its item, so its labels. Items whose content is no longer
    in the pool get status ``'missing'`` and come back when the file reappears. A file whose
    content changed in place is a new item, and the old item goes missing. Only what differs is
    written. Only ``result.entries`` is used, so a scan made before the project existed (to
    learn its kind) can be applied to the new, empty store without scanning again.

    Args:
        store: An open project.
        result: A scan of ``store.pool_root``.
    """
    apply_plan(store, plan_scan(store.items(), store.all_item_paths(), result))


def plan_scan(items: list[Item], item_paths: dict[int, list[str]], result: ScanResult) -> ScanPlan:
    """What ``apply_scan`` would write, from the store's items and duplicate paths (as
    ``read_items`` / ``read_item_paths`` give them): pure, so a worker can make it."""
    plan = ScanPlan()
    by_key = {it.hash: it for it in items}
    groups = _groups(result.entries)
    unknown = []
    for key, group in groups.items():
        item = by_key.get(key)
        if item is None:
            unknown.append(group)
        elif item.origin == "file":
            _refresh(item, group, item_paths.get(item.id, []), plan)
    if unknown:
        arrivals = [it.arrival for it in items if it.arrival is not None]
        _add_new(unknown, max(arrivals, default=-1) + 1, plan)
    for item in items:
        if item.origin == "file" and item.hash not in groups and item.status != "missing":
            reason = REPLACED if item.relpath in result.entries else REMOVED
            plan.updates.append((item.id, {"status": "missing", "reason": reason}))
    return plan


def apply_plan(store: ProjectStore, plan: ScanPlan) -> None:
    """Write a plan: one transaction each for changed items, duplicate paths and new items;
    nothing at all for an empty plan."""
    store.update_items(plan.updates)
    if plan.paths:
        store.set_many_item_paths(plan.paths)
    if plan.new:
        ids = store.add_items(plan.new)
        rows = [(i, p) for i, p in zip(ids, plan.new_paths, strict=True) if p]
        if rows:
            store.set_many_item_paths(rows)


def previous_entries(store: ProjectStore) -> dict[str, FileEntry]:
    """What the store knows of the pool, as ``scan(previous=...)`` wants it.

    Read on the store's thread; the scan itself can then run anywhere (it touches no store).
    """
    return _previous_from([it for it in store.items() if it.origin == "file"])


@dataclass(frozen=True)
class Rescan:
    """A rescan made off the store's thread: the plan to apply and what changed, counted."""

    plan: ScanPlan
    new: int
    missing: int
    moved: int
    changed: int
    notes: WalkNotes = field(default_factory=WalkNotes)  # sub-folders it could not list

    def summary(self) -> str:
        """What changed, as said to the user ("Pool rescanned: 2 new, 1 missing files."), or
        "" when nothing did."""
        changes = [(self.new, "new"), (self.missing, "missing"),
                   (self.moved, "moved"), (self.changed, "changed")]  # fmt: skip
        said = ", ".join(f"{n} {what}" for n, what in changes if n)
        if not said:
            return ""
        files = "file" if sum(n for n, _ in changes) == 1 else "files"
        return f"Pool rescanned: {said} {files}."


def rescan_store(store: ProjectStore) -> Rescan | None:
    """Bring the items up to date with the pool folder, as opening the project does (for the
    command line): None when the folder is away or the project is read-only."""
    if store.readonly or not store.pool_root.is_dir():
        return None
    rescan = rescan_plan(store.db_file, store.pool_root, store.kind)
    apply_plan(store, rescan.plan)
    return rescan


def rescan_plan(db: Path, root: Path, kind: str, *, progress: Progress | None = None) -> Rescan:
    """Scan the pool against the items read through a connection of this thread's own.

    For a worker: the GUI thread then writes only ``plan`` (usually nothing) with
    :func:`apply_plan`, and does no per-item work.
    """
    conn = connect_reader(db)
    notes = WalkNotes()
    try:
        if _unchanged(conn, root, kind, notes):
            return Rescan(ScanPlan(), 0, 0, 0, 0, notes)
        items, paths = read_items(conn), read_item_paths(conn)
    finally:
        conn.close()
    previous = _previous_from([it for it in items if it.origin == "file"])
    result = scan(root, kind=kind, previous=previous, progress=progress)
    plan = plan_scan(items, paths, result)
    # files gone since the last scan: those gone before are missing already, not news, and a
    # file replaced under its name is "changed" (its old content's item goes missing too)
    replaced = {before.relpath for before, _ in result.changed}
    relpath = {it.id: it.relpath for it in items}
    gone = sum(change.get("reason") == REMOVED and relpath[i] not in replaced
               for i, change in plan.updates)  # fmt: skip
    return Rescan(plan, len(result.new), gone, len(result.moved), len(result.changed),
                  result.notes)  # fmt: skip


_KNOWN_AS_SCANNED = """
SELECT 1 FROM items WHERE origin = 'file' AND (status NOT IN ('ok', 'unreadable')
    OR hash LIKE 'unhashed:%') UNION ALL SELECT 1 FROM item_paths LIMIT 1
"""


def _unchanged(conn, root: Path, kind: str, notes: WalkNotes | None = None) -> bool:
    """Every file is where the store has it, with the same size and mtime, and no other is
    there: a full scan would change nothing. Decided from tuples, without a record per item
    (a rescan of 100k items built 300 MB of them, and the memory stayed with the process).

    Not decided here (False): duplicated content, items missing or never hashed (a scan
    rechecks those), and entries that are not regular files.
    """
    if conn.execute(_KNOWN_AS_SCANNED).fetchone() is not None:
        return False
    rows = conn.execute("SELECT relpath, size, mtime_ns FROM items WHERE origin = 'file'")
    known = {
        os.fsdecode(p) if isinstance(p, bytes) else p: (size, mtime) for p, size, mtime in rows
    }
    (n_items,) = conn.execute("SELECT COUNT(*) FROM items WHERE origin = 'file'").fetchone()
    same = len(known) == n_items and same_files(
        root, kind, known, notes
    )  # (two items, one path: no)
    _drop_gradually(known)
    return same


def _drop_gradually(entries: dict) -> None:
    """Empty a big dict one entry at a time: freeing 100k entries in one call (``clear``, or
    the dict going out of scope) holds the GIL ~30 ms; a loop lets other threads in."""
    while entries:
        entries.popitem()


def relocate(store: ProjectStore, folder: str | os.PathLike[str]) -> int:
    """Point the project at its pool folder's new place (the user located a moved folder).

    Item paths are stored relative to the pool folder, so this one setting rebases every item
    at once, before any of them is loaded; a rescan then finds what else changed. A folder that
    holds none of the project's files is refused, so a wrong choice cannot turn every item
    ``missing``.

    Args:
        store: An open project.
        folder: The folder the user chose.

    Returns:
        How many of the (up to 200) known paths looked for were found in ``folder``.

    Raises:
        PoolMissing: ``folder`` is not a folder, or none of the project's files are in it.
    """
    root = Path(folder).expanduser().resolve()
    if not root.is_dir():
        raise PoolMissing(f"{root} is not a folder; choose the folder that holds the items.")
    paths = sorted(it.relpath for it in store.items() if it.origin == "file")
    sample = paths[:: max(1, len(paths) // _RELOCATE_SAMPLE)][:_RELOCATE_SAMPLE]
    found = sum(1 for p in sample if (root / p).is_file())
    if sample and not found:
        raise PoolMissing(
            f"None of this project's files (e.g. {sample[0]}) are in {root}; choose the folder "
            "that holds them. The project still points at its old folder."
        )
    store.set_many({"pool_root": str(root), "pool_from_project": pool_from(store.path, root)})
    return found
