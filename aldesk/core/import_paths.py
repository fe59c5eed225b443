"""Which project item a labels file's path names: as written, normalised, relative to the pool,
or (written on another machine or mount) by its end."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from aldesk.core.labels_file import Row, normalise
from aldesk.core.store import Item, ProjectStore


@dataclass(frozen=True)
class Match:
    """The item a row names, and how it was found.

    ``by_end``: by the end of its path only. ``moved``: by its content's hash, under another
    path than the row's (renamed or moved since the file was written). ``changed``: the row's
    path names a file that holds other content than the one labelled: no item, as a label
    there would be wrong.
    """

    item: Item | None
    by_end: bool = False
    moved: bool = False
    changed: bool = False


class PathIndex:
    """Every path of every pool file (duplicates included, as stored and normalised), the file
    of every synthesized item, and each file name found once in the pool."""

    def __init__(self, store: ProjectStore) -> None:
        self.store = store
        self.exact: dict[str, Item] = {}
        self.by_hash: dict[str, Item] = {}
        paths = store.all_item_paths()  # one query, not one per item (1.3 s at 100k items)
        for item in store.items():
            self.by_hash[item.hash] = item
            if item.origin == "file":
                for relpath in [item.relpath, *paths.get(item.id, ())]:
                    self.exact.setdefault(relpath, item)
            else:  # a synthesized item, as an export names it: its file in the project
                self.exact.setdefault(store.synth_file(item).as_posix(), item)
        for relpath, item in list(self.exact.items()):
            self.exact.setdefault(normalise(relpath), item)  # exact names win
        pairs = list(self.exact.items())
        self.names = _unique(pairs, lambda p: PurePosixPath(p).name)
        # Windows and macOS disks ignore case: "D:\\ANNOT\\IMG_0001.PNG" names img_0001.png
        self.folded = _unique(pairs, str.casefold)
        self.names_folded = _unique(pairs, lambda p: PurePosixPath(p).name.casefold())

    def match(self, row: Row) -> Match:
        """By content when the row gives its hash (an aldesk export), else by path."""
        item, by_end = self.find(row)
        if not row.sha256 or (item is not None and item.hash == row.sha256):
            return Match(item, by_end)
        same = self.by_hash.get(row.sha256)
        if same is not None:
            return Match(same, moved=True)
        return Match(None, changed=item is not None)

    def find(self, row: Row) -> tuple[Item | None, bool]:
        """The item ``row`` names, and whether it was found by the end of its path only."""
        item = self._lookup(row)
        if item is not None:
            return item, False
        item = self._by_end(row)
        return item, item is not None

    def _lookup(self, row: Row) -> Item | None:
        """By the path as written first (a name may hold a backslash), then normalised
        (Windows separators, ``./``), or relative to the pool."""
        for relpath in (row.path, row.key):
            if relpath in self.exact:
                return self.exact[relpath]
            if os.path.isabs(relpath):
                try:
                    relpath = Path(relpath).relative_to(self.store.pool_root).as_posix()
                except ValueError:
                    continue
            if relpath in self.exact:
                return self.exact[relpath]
        return None

    def _by_end(self, row: Row) -> Item | None:
        """The item whose pool path is the longest tail of the row's path (folders dropped
        from the left: a file written on another machine, or relative to the pool's parent),
        else the one file of the pool with the row's file name (a list of bare names for a
        pool in sub-folders); a name found in two folders is not guessed. Case counts only
        where it tells two files apart."""
        parts = [p for p in row.key.split("/") if p and not p.endswith(":")]
        for k in range(len(parts)):  # the whole path (its case aside), then its tails
            tail = "/".join(parts[k:])
            item = (self.exact.get(tail) if k else None) or self.folded.get(tail.casefold())
            if item is not None:
                return item
        name = parts[-1] if parts else ""
        return self.names.get(name) or self.names_folded.get(name.casefold())


def _unique(pairs: list[tuple[str, Item]], key) -> dict[str, Item]:
    """``key(path)`` -> item, for the keys that name one item only."""
    found: dict[str, Item | None] = {}
    for path, item in pairs:
        k = key(path)
        found[k] = item if found.get(k, item) is item else None  # None: two items
    return {k: item for k, item in found.items() if item is not None}
