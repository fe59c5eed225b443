"""Which items are which: the lists the session needs on every key press, built once per load."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from dataclasses import dataclass, replace

import numpy as np

from aldesk.core.item_columns import FILE, POOL, SYNTH, TEST, ItemColumns
from aldesk.core.store import Event, Item


def is_arrival(item: Item) -> bool:
    """A readable pool file: what the pool ranking and the stream decide on."""
    return item.status == "ok" and item.split == "pool" and item.origin == "file"


def is_candidate(item: Item, answers: dict[int, Event]) -> bool:
    return is_arrival(item) and item.id not in answers


def arrival_key(item: Item) -> tuple[int, int]:
    """Where an item comes in the stream: by arrival, then id."""
    return (item.arrival if item.arrival is not None else item.id, item.id)


def _without(ids: array, k: int) -> array:
    return ids[:k] + ids[k + 1 :]


def id_array(ids: np.ndarray) -> array:
    """Item ids as a compact sequence of Python ints: 8 bytes an id, where a tuple of 100k
    ints held 4 MB (an int object and a pointer each). Slicing, ``index`` and bisect work."""
    return array("q", np.ascontiguousarray(ids, dtype=np.int64).tobytes())


@dataclass(frozen=True)
class ItemIndex:
    """Item lists the loop asks for on every key press, built once per (re)load of the items.

    A 100k-item pool must not be walked per answer: these are computed from the table's
    columns in a few vectorised steps.
    """

    items: ItemColumns
    tests: tuple[int, ...]  # readable held-out test items
    synth: tuple[int, ...]
    n_pool_ok: int
    n_unreadable: int
    random_order: array  # candidate files in a seeded random order (cold start); int64 ids
    arrivals: array  # candidate files in arrival order (stream); int64 ids

    @classmethod
    def build(cls, items: ItemColumns, random_state: int) -> ItemIndex:
        ids = items.ids
        ok, split, origin = items.ok[ids], items.split[ids], items.origin[ids]
        files = ids[ok & (split == POOL) & (origin == FILE)]  # ascending, as ids are
        rng = np.random.default_rng(random_state)
        arrival = items.arrival[files]
        by_arrival = files[np.lexsort((files, np.where(arrival >= 0, arrival, files)))]
        return cls(
            items=items,
            tests=tuple(ids[(split == TEST) & ok].tolist()),
            synth=tuple(ids[origin == SYNTH].tolist()),
            n_pool_ok=int(np.count_nonzero((split == POOL) & ok)),
            n_unreadable=int(np.count_nonzero(~ok)),
            random_order=id_array(rng.permutation(files) if len(files) else files),
            arrivals=id_array(by_arrival),
        )

    @property
    def n_test(self) -> int:
        """Readable held-out test items (a deleted one counted on: "test items labeled 11 of
        50" beside an accuracy on 10, and the pool's count left such files out)."""
        return len(self.tests)

    def flagged(self, old: Item) -> ItemIndex:
        """This index once ``old``, readable until now, is flagged unreadable or missing.

        Counts move by one and the item leaves the lists without a walk of the items (a bisect
        in the arrivals, one C-level scan of the random order): a flag while labelling a 100k
        pool must not re-read it. The random order keeps its order (a fresh build reshuffles).
        """
        arrivals, random_order = self.arrivals, self.random_order
        if is_arrival(old):
            key = arrival_key(old)
            k = bisect_left(arrivals, key, key=self.items.arrival_key)
            arrivals = _without(arrivals, k)
            random_order = _without(random_order, random_order.index(old.id))
        tests = self.tests
        if old.split == "test":
            tests = tuple(i for i in tests if i != old.id)
        return replace(
            self, tests=tests, n_pool_ok=self.n_pool_ok - (old.split == "pool"),
            n_unreadable=self.n_unreadable + 1, random_order=random_order, arrivals=arrivals,
        )  # fmt: skip
