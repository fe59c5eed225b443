"""Which feature row is whose: items are mapped to the rows of a feature matrix by content hash.

Built on a worker (the ``aldesk-rows`` lane) from the item columns and the store's hashes, and
swapped into the session's ``ModelState`` on the GUI thread in one step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aldesk.core.features.types import FeatureSet
from aldesk.core.item_columns import ItemColumns

_CHUNK = 8192  # rows per dict update when items are mapped to rows (one call held 40 ms at 100k)


@dataclass(frozen=True)
class FeatureRows:
    """Where each item's feature vector is: built on a worker, swapped in on the GUI thread."""

    features: FeatureSet
    epoch: int  # ``ModelState``'s item epoch when the items were taken
    row_of: dict[int, int]  # item id -> feature row
    item_of_row: np.ndarray  # feature row -> item id (-1: no item has that hash)
    row_by_item: np.ndarray  # item id -> feature row (-1: none)
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
    row_of: dict[int, int] = {}
    for k in range(0, len(ids), _CHUNK):  # a C call per chunk: the GIL can go between them
        row_of.update(zip(ids[k : k + _CHUNK].tolist(), rows[k : k + _CHUNK].tolist(), strict=True))
    return FeatureRows(
        features, epoch, row_of, item_of_row, row_by_item, candidate_file_rows(item_of_row, items)
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
