"""The project's items as the session holds them: columns by item id, records read on demand.

What the loop asks of every item (readable? pool or test? a file or a synthesized blend? when did
it arrive?) sits in numpy columns indexed by item id, read from SQLite in one narrow query: a few
bytes per item instead of a Python record each (at 100k items: ~2 MB and ~0.15 s against ~60 MB
and ~1 s). An item's whole record (hash, path, size, ...) is read from the store when it is
needed, i.e. for the handful of items put on screen, and kept.

The table is owned by the session's thread. Workers may read its columns (numpy arrays, replaced
rather than changed when an item is flagged) but never ask it for a record, which would use the
owning thread's SQLite connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import chain

import numpy as np

from aldesk.core.records import Item

POOL, TEST = 0, 1  # split codes; other split names get codes after these
FILE, SYNTH = 0, 1  # origin codes, likewise


class ItemColumns(Mapping[int, Item]):
    """Item id -> ``Item``, with the columns the loop needs for every item kept as arrays."""

    def __init__(
        self,
        ids: np.ndarray,
        ok: np.ndarray,
        split: np.ndarray,
        origin: np.ndarray,
        arrival: np.ndarray,
        names: tuple[list[str], list[str]] = (["pool", "test"], ["file", "synth"]),
        read_record: Callable[[int], Item] | None = None,
        records: dict[int, Item] | None = None,
    ) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)  # ascending
        size = int(self.ids[-1]) + 1 if len(self.ids) else 0
        self.present = _by_id(size, self.ids, True, bool)
        self.ok = _by_id(size, self.ids, ok, bool)  # status 'ok' (readable)
        self.split = _by_id(size, self.ids, split, np.int8)
        self.origin = _by_id(size, self.ids, origin, np.int8)
        self.arrival = _by_id(size, self.ids, arrival, np.int64)  # -1: none recorded
        self.split_names, self.origin_names = names
        self._read = read_record
        self._records: dict[int, Item] = dict(records or {})

    # ------------------------------------------------------------------ building
    @classmethod
    def read(cls, store) -> ItemColumns:
        """Every item's columns, in one query through ``store``'s connection."""
        names = (["pool", "test"], ["file", "synth"])
        cols = _read_columns(store, names)
        if (cols[2] < 0).any() or (cols[3] < 0).any():  # a split or origin of another name
            names = (_vocabulary(store, "split", names[0]), _vocabulary(store, "origin", names[1]))
            cols = _read_columns(store, names)
        return cls(*cols, names=names, read_record=store.item)

    @classmethod
    def of(cls, items: Iterable[Item]) -> ItemColumns:
        """A table of records already in memory (tests, tools)."""
        records = sorted(items, key=lambda it: it.id)
        splits, origins = ["pool", "test"], ["file", "synth"]
        for it in records:
            splits += [it.split] if it.split not in splits else []
            origins += [it.origin] if it.origin not in origins else []
        return cls(
            np.array([it.id for it in records], dtype=np.int64),
            np.array([it.status == "ok" for it in records], dtype=bool),
            np.array([splits.index(it.split) for it in records], dtype=np.int8),
            np.array([origins.index(it.origin) for it in records], dtype=np.int8),
            np.array([-1 if it.arrival is None else it.arrival for it in records], np.int64),
            names=(splits, origins),
            records={it.id: it for it in records},
        )

    # ------------------------------------------------------------------ Mapping
    def __getitem__(self, item_id: int) -> Item:
        record = self._records.get(item_id)
        if record is not None:
            return record
        if item_id not in self:
            raise KeyError(item_id)
        if self._read is None:
            raise KeyError(item_id)
        record = self._records[item_id] = self._read(int(item_id))
        return record

    def __contains__(self, item_id: object) -> bool:
        try:
            i = int(item_id)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return False
        return 0 <= i < len(self.present) and bool(self.present[i])

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids.tolist())

    def __len__(self) -> int:
        return len(self.ids)

    # ------------------------------------------------------------------ one item
    def split_of(self, item_id: int) -> str | None:
        """``'pool'``, ``'test'``, ...; None for an id that is not an item."""
        if item_id not in self:
            return None
        return self.split_names[self.split[item_id]]

    def origin_of(self, item_id: int) -> str | None:
        if item_id not in self:
            return None
        return self.origin_names[self.origin[item_id]]

    def is_arrival(self, item_id: int) -> bool:
        """A readable pool file: what the pool ranking and the stream decide on."""
        return item_id in self and bool(self._arrival_mask_at(np.int64(item_id)))

    def arrival_key(self, item_id: int) -> tuple[int, int]:
        """Where an item comes in the stream: by arrival, then id."""
        arrival = int(self.arrival[item_id])
        return (arrival if arrival >= 0 else int(item_id), int(item_id))

    # ------------------------------------------------------------------ many items
    def contains(self, item_ids: np.ndarray) -> np.ndarray:
        """Whether each id (an int array) is an item."""
        return bool_at(len(self.present), item_ids, lambda at: self.present[at])

    def splits_of(self, item_ids: np.ndarray) -> list[str | None]:
        """Each id's split name (None: not an item)."""
        ids = np.asarray(item_ids, dtype=np.int64)
        if not len(self.present):
            return [None] * len(ids)
        known = self.contains(ids)
        codes = self.split[np.where(known, ids, 0)].tolist()
        names = self.split_names
        return [names[c] if k else None for c, k in zip(codes, known.tolist(), strict=True)]

    def arrivals_mask(self, item_ids: np.ndarray) -> np.ndarray:
        """Whether each id is a readable pool file (ids that are not items: False)."""
        return bool_at(len(self.present), item_ids, self._arrival_mask_at)

    def readable_files_mask(self, item_ids: np.ndarray) -> np.ndarray:
        """Whether each id is a readable file (pool or test; not a synthesized blend)."""
        return bool_at(len(self.present), item_ids, self._readable_file_at)

    def _readable_file_at(self, at: np.ndarray) -> np.ndarray:
        return self.present[at] & self.ok[at] & (self.origin[at] == FILE)

    def _arrival_mask_at(self, at: np.ndarray) -> np.ndarray:
        return self.present[at] & self.ok[at] & (self.split[at] == POOL) & (self.origin[at] == FILE)

    # ------------------------------------------------------------------ changes
    def replace(self, item: Item) -> None:
        """One item's row changed in the store (e.g. flagged unreadable). The columns are
        replaced, not changed in place, so a worker reading the old ones is not disturbed."""
        self.ok = self.ok.copy()
        self.ok[item.id] = item.status == "ok"
        self._records[item.id] = item


def bool_at(
    size: int, item_ids: np.ndarray, value_at: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """``value_at(ids)`` of a column indexed by item id (``size`` long) for each id inside it;
    False for the ids outside (not items, or newer than the column)."""
    ids = np.asarray(item_ids, dtype=np.int64)
    inside = (ids >= 0) & (ids < size)
    out = np.zeros(ids.shape, dtype=bool)
    out[inside] = value_at(ids[inside])
    return out


def _by_id(size: int, ids: np.ndarray, values, dtype) -> np.ndarray:
    out = np.zeros(size, dtype=dtype) if dtype is not np.int64 else np.full(size, -1, np.int64)
    out[ids] = values
    return out


def _read_columns(store, names: tuple[list[str], list[str]]) -> np.ndarray:
    """(id, readable, split code, origin code, arrival) columns; -1 codes an unknown name."""
    splits, origins = names
    rows = store.read(
        "SELECT id, status = 'ok', " + _case("split", splits) + ", " + _case("origin", origins)
        + ", coalesce(arrival, -1) FROM items ORDER BY id",
        [*splits, *origins],
    )  # fmt: skip
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=5 * len(rows))
    return flat.reshape(-1, 5).T


def _vocabulary(store, column: str, known: list[str]) -> list[str]:
    found = [v for (v,) in store.read(f"SELECT DISTINCT {column} FROM items")]
    return known + sorted(v for v in found if v not in known)


def _case(column: str, names: list[str]) -> str:
    whens = " ".join(f"WHEN ? THEN {k}" for k in range(len(names)))
    return f"CASE {column} {whens} ELSE -1 END"
