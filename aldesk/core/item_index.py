"""Which items are which: the lists the session needs on every key press, built once per load."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, replace

import numpy as np

from aldesk.core.store import Event, Item


def is_arrival(item: Item) -> bool:
    """A readable pool file: what the pool ranking and the stream decide on."""
    return item.status == "ok" and item.split == "pool" and item.origin == "file"


def is_candidate(item: Item, answers: dict[int, Event]) -> bool:
    return is_arrival(item) and item.id not in answers


def arrival_key(item: Item) -> tuple[int, int]:
    """Where an item comes in the stream: by arrival, then id."""
    return (item.arrival if item.arrival is not None else item.id, item.id)


def _without(ids: tuple[int, ...], k: int) -> tuple[int, ...]:
    return ids[:k] + ids[k + 1 :]


def is_train_label(ev: Event, items: dict[int, Item]) -> bool:
    return ev.action == "label" and items[ev.item_id].split == "pool"


@dataclass(frozen=True)
class ItemIndex:
    """Item lists the loop asks for on every key press, built once per (re)load of the items.

    A 10k-item pool must not be walked per answer: these are precomputed in one pass.
    """

    items: dict[int, Item]
    tests: tuple[int, ...]  # readable held-out test items
    n_test: int
    synth: tuple[int, ...]
    n_pool_ok: int
    n_unreadable: int
    random_order: tuple[int, ...]  # candidate files in a seeded random order (cold start)
    arrivals: tuple[int, ...]  # candidate files in arrival order (stream)

    @classmethod
    def build(cls, items: dict[int, Item], random_state: int) -> ItemIndex:
        values = list(items.values())
        files = sorted(it.id for it in values if is_candidate(it, {}))
        rng = np.random.default_rng(random_state)
        arrivals = sorted((items[i] for i in files), key=arrival_key)
        return cls(
            items=items,
            tests=tuple(it.id for it in values if it.split == "test" and it.status == "ok"),
            n_test=sum(1 for it in values if it.split == "test"),
            synth=tuple(it.id for it in values if it.origin == "synth"),
            n_pool_ok=sum(1 for it in values if it.split == "pool" and it.status == "ok"),
            n_unreadable=sum(1 for it in values if it.status != "ok"),
            random_order=tuple(int(i) for i in rng.permutation(files)) if files else (),
            arrivals=tuple(it.id for it in arrivals),
        )

    def flagged(self, old: Item) -> ItemIndex:
        """This index once ``old``, readable until now, is flagged unreadable or missing.

        Counts move by one and the item leaves the lists without a walk of the items (a bisect
        in the arrivals, one C-level scan of the random order): a flag while labelling a 100k
        pool must not re-read it. The random order keeps its order (a fresh build reshuffles).
        """
        arrivals, random_order = self.arrivals, self.random_order
        if is_arrival(old):
            key = arrival_key(old)
            k = bisect_left(arrivals, key, key=lambda i: arrival_key(self.items[i]))
            arrivals = _without(arrivals, k)
            random_order = _without(random_order, random_order.index(old.id))
        tests = self.tests
        if old.split == "test":
            tests = tuple(i for i in tests if i != old.id)
        return replace(
            self, tests=tests, n_pool_ok=self.n_pool_ok - (old.split == "pool"),
            n_unreadable=self.n_unreadable + 1, random_order=random_order, arrivals=arrivals,
        )  # fmt: skip
