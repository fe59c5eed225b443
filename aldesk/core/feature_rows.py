"""Which feature row is whose: items are mapped to the rows of a feature matrix by content hash.

Built on a worker (the ``aldesk-rows`` lane) from the item columns and the store's hashes, and
swapped into the session's ``ModelState`` on the GUI thread in one step.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aldesk.core.features.types import FeatureSet
from aldesk.core.item_columns import ItemColumns


class RowMap(Mapping[int, int]):
    """Item id -> feature row, read from the ``row_by_item`` array (-1: no row).

    A read-only ``Mapping``: a dict of 100k Python ints held 11 MB of the GUI process and took
    40 ms of a worker to build. ``ids()`` / ``rows()`` give the pairs as arrays, ascending by id.
    """

    __slots__ = ("_by_item", "_ids")

    def __init__(self, row_by_item: np.ndarray | None = None) -> None:
        self._by_item = np.full(0, -1, np.int64) if row_by_item is None else row_by_item
        self._ids = np.flatnonzero(self._by_item >= 0)

    def __getitem__(self, item_id: int) -> int:
        row = self.get(item_id)
        if row is None:
            raise KeyError(item_id)
        return row

    def get(self, item_id: int, default: int | None = None) -> int | None:
        try:
            row = int(self._by_item[item_id]) if 0 <= item_id < len(self._by_item) else -1
        except (TypeError, IndexError):  # not an integer id: as a dict, no such key
            return default
        return row if row >= 0 else default

    def __contains__(self, item_id: object) -> bool:
        return self.get(item_id) is not None  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids.tolist())

    def __len__(self) -> int:
        return len(self._ids)

    def ids(self) -> np.ndarray:
        return self._ids

    def rows(self) -> np.ndarray:
        return self._by_item[self._ids]

    def items(self) -> Iterator[tuple[int, int]]:  # two arrays read once, not a lookup a key
        return zip(self._ids.tolist(), self.rows().tolist(), strict=True)

    def values(self) -> list[int]:
        return self.rows().tolist()

    @property
    def by_item(self) -> np.ndarray:
        """The array itself: item id -> row (-1: none)."""
        return self._by_item


@dataclass(frozen=True)
class FeatureRows:
    """Where each item's feature vector is: built on a worker, swapped in on the GUI thread."""

    features: FeatureSet
    epoch: int  # ``ModelState``'s item epoch when the items were taken
    row_of: RowMap  # item id -> feature row (``row_of.by_item``: the array, -1 for none)
    item_of_row: np.ndarray  # feature row -> item id (-1: no item has that hash)
    file_rows: np.ndarray  # rows of readable pool files, ascending (the candidates)


def feature_rows(
    features: FeatureSet, hashes: list[tuple[int, str]], items: ItemColumns, epoch: int
) -> FeatureRows:
    """Map items to feature rows by content hash (of items sharing a hash, the last one).

    ``hashes``: (item id, content hash) rows of the store; ids not in ``items`` are left out.
    """
    known = items.contains(np.fromiter((i for i, _ in hashes), np.int64, len(hashes))).tolist()
    by_hash = {h: i for (i, h), k in zip(hashes, known, strict=True) if k}
    item_of_row = np.fromiter(
        (by_hash.get(h, -1) for h in features.hashes), dtype=np.int64, count=len(features.hashes)
    )
    rows = np.flatnonzero(item_of_row >= 0)
    ids = item_of_row[rows]
    row_by_item = np.full(int(ids.max(initial=-1)) + 1, -1, dtype=np.int64)
    row_by_item[ids] = rows
    return FeatureRows(
        features,
        epoch,
        RowMap(row_by_item),
        item_of_row,
        candidate_file_rows(item_of_row, items),
    )


def read_hashes(db: Path) -> list[tuple[int, str]]:
    """(item id, content hash) of every item, through a read-only connection of this thread."""
    from aldesk.core.opening import connect_reader

    conn = connect_reader(db)
    try:
        return conn.execute("SELECT id, hash FROM items ORDER BY id").fetchall()
    finally:
        conn.close()


def candidate_file_rows(item_of_row: np.ndarray, items: ItemColumns) -> np.ndarray:
    """Ascending feature rows whose item is a readable pool file."""
    rows = np.flatnonzero(item_of_row >= 0)
    return rows[items.arrivals_mask(item_of_row[rows])]
