"""The readable items of a project as a feature run reads them: ``(content hash, path)`` pairs
kept as columns (:class:`ItemFiles`), read through a connection of the calling thread's own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


class ItemFiles:
    """The ``(content hash, path)`` of a project's readable items, kept as columns: a tuple and
    a whole path string per item (26 MB at 100k items) are made only for the items that are
    extracted, none when every item's features are cached. Iterating yields the pairs."""

    def __init__(self, hashes: list[str], relpaths: list, synth: bytearray, pool_root, synth_dir):
        self.hashes, self._relpaths, self._synth = hashes, relpaths, synth
        self._bases = (os.path.join(pool_root, ""), os.path.join(synth_dir, ""))

    def __len__(self) -> int:
        return len(self.hashes)

    def path(self, i: int) -> str:
        return self._bases[self._synth[i]] + os.fsdecode(self._relpaths[i])

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((h, self.path(i)) for i, h in enumerate(self.hashes))

    def __getitem__(self, key: int | slice):
        """The pair at ``key``, or a list of the pairs of a slice (as the list it replaces)."""
        if isinstance(key, slice):
            return [(self.hashes[i], self.path(i)) for i in range(*key.indices(len(self)))]
        return self.hashes[key], self.path(key)


def readable_files(db: Path, pool_root: Path, synth_dir: Path) -> ItemFiles:
    """Every readable item, read through a connection of this thread's own (the feature
    lane's worker: the GUI thread never walks the items for this).

    Paths are plain strings, made when asked for: a ``Path`` per item cost 3.5 KB each (350
    MB at 100k items).
    """
    from aldesk.core.opening import connect_reader

    hashes: list[str] = []
    relpaths: list = []
    synth = bytearray()
    conn = connect_reader(db)
    try:
        cursor = conn.execute(
            "SELECT hash, relpath, origin IS 'synth' FROM items WHERE status = 'ok' ORDER BY id"
        )
        while rows := cursor.fetchmany(8192):  # never every row as a tuple at once
            for h, rel, is_synth in rows:
                hashes.append(h)
                relpaths.append(rel)
                synth.append(is_synth)
    finally:
        conn.close()
    return ItemFiles(hashes, relpaths, synth, pool_root, synth_dir)
