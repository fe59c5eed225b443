"""What changed between two scans of a pool, and which files share their contents.

Split from ``aldesk.core.pool`` (which scans): these functions only compare ``FileEntry``
records by path and content hash.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aldesk.core.pool import FileEntry


@dataclass
class Changes:
    """Paths new since the previous scan, gone, changed in place, and moved (old, new)."""

    new: list[FileEntry]
    missing: list[FileEntry]
    changed: list[tuple[FileEntry, FileEntry]]
    moved: list[tuple[FileEntry, FileEntry]]


def by_hash(entries: Iterable[FileEntry]) -> dict[str, list[FileEntry]]:
    """Entries grouped by content hash (unreadable ones, without a hash, left out)."""
    groups: dict[str, list[FileEntry]] = defaultdict(list)
    for entry in entries:
        if entry.hash is not None:
            groups[entry.hash].append(entry)
    return groups


def compare(previous: dict[str, FileEntry], current: dict[str, FileEntry]) -> Changes:
    """Classify each current path (unchanged, moved, changed, new) and each lost previous one."""
    known = by_hash(previous.values())
    # Previous paths that no longer hold their content: the possible origins of a move.
    origins = {
        h: [p for p in group if getattr(current.get(p.relpath), "hash", None) != h]
        for h, group in known.items()
    }
    out, accounted = Changes([], [], [], []), set()
    for relpath, entry in current.items():
        before = previous.get(relpath)
        if before is not None and before.hash == entry.hash:
            continue
        if origins.get(entry.hash):
            origin = origins[entry.hash].pop(0)
            out.moved.append((origin, entry))
            accounted.add(origin.relpath)
        elif entry.hash in known:
            continue  # one more copy of known content: reported in duplicates
        elif before is not None:
            out.changed.append((before, entry))
            accounted.add(relpath)
        else:
            out.new.append(entry)
    present = {e.hash for e in current.values()}
    for relpath, before in sorted(previous.items()):
        gone = before.hash not in present if before.hash is not None else relpath not in current
        if gone and relpath not in accounted:
            out.missing.append(before)
    return out


def duplicates(entries: dict[str, FileEntry]) -> dict[str, list[str]]:
    """Hash -> sorted relpaths, for contents held by more than one file."""
    return {
        h: sorted(e.relpath for e in group)
        for h, group in by_hash(entries.values()).items()
        if len(group) > 1
    }
